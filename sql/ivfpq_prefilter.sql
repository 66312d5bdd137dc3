-- ivfpq.prefilter: the scan applies the query's WHERE clause to each row it
-- fetches, before the exact distance, and drops the rows that fail it.  With
-- every list probed (exact search) the answers with the prefilter on, off and
-- from a sequential scan are the same, for every shape of query that reaches
-- the scan; the rows the scan returns (idx_tup_read) are only rows that pass.
-- Filters that are volatile or apply a function that is not leakproof to a
-- column are not evaluated early.
SET client_min_messages = warning;
CREATE TABLE pf (id int PRIMARY KEY, f int, g int, v vector(8));
INSERT INTO pf SELECT i, CASE WHEN i % 97 = 0 THEN NULL ELSE i % 10 END, i % 7,
  (SELECT array_agg(sin(i * 0.37 + j * 1.3) + cos(i * 0.011 * j)) FROM generate_series(1, 8) j)::vector
FROM generate_series(1, 3000) i;
CREATE INDEX pf_idx ON pf USING ivfpq (v) WITH (lists = 8);
VACUUM ANALYZE pf;
SET ivfpq.probes = 8;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SHOW ivfpq.prefilter;
-- the lines of q's plan that name pf_idx, its filter or a join (the same on
-- every PostgreSQL version; 17 changed how initplan parameters are shown)
CREATE FUNCTION pg_temp.plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	x text;
BEGIN
	FOR x IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		IF x ~ '(Nested Loop|Index Scan using pf_idx|Filter:)' THEN
			RETURN NEXT btrim(x, ' ->');
		END IF;
	END LOOP;
END
$$;
-- EXPLAIN ANALYZE's counts for pf_idx (JSON: 18 prints fractions in text)
CREATE FUNCTION pg_temp.analyze_counts(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	j jsonb;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO j;
	RETURN (SELECT format('actual rows %s, loops %s, rows removed by filter %s',
						  round((x->>'Actual Rows')::numeric), x->>'Actual Loops',
						  round((x->>'Rows Removed by Filter')::numeric))
			FROM jsonb_path_query(j, 'strict $.**') x
			WHERE jsonb_typeof(x) = 'object' AND x->>'Index Name' = 'pf_idx');
END
$$;

-- q's answer (one value) with the prefilter on, with it off, and from a
-- sequential scan: 'same' when the three agree and (plan) the first two plans
-- read pf_idx and the third does not.  Runs q through EXECUTE (SPI, nested in
-- the calling query).
CREATE FUNCTION pg_temp.same3(q text, plan bool DEFAULT true) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text[] := '{}';
	plans text[] := '{}';
	x text;
	p text;
	mode text;
BEGIN
	FOREACH mode IN ARRAY ARRAY['on', 'off', 'seq'] LOOP
		PERFORM set_config('ivfpq.prefilter', CASE WHEN mode = 'on' THEN 'on' ELSE 'off' END, false);
		PERFORM set_config('enable_indexscan', CASE WHEN mode = 'seq' THEN 'off' ELSE 'on' END, false);
		PERFORM set_config('enable_seqscan', CASE WHEN mode = 'seq' THEN 'on' ELSE 'off' END, false);
		p := '';
		FOR x IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
			p := p || x;
		END LOOP;
		plans := plans || (p LIKE '%Index Scan using pf_idx%')::text;
		EXECUTE q INTO x;
		r := r || x;
	END LOOP;
	PERFORM set_config('ivfpq.prefilter', 'on', false);
	PERFORM set_config('enable_indexscan', 'on', false);
	PERFORM set_config('enable_seqscan', 'off', false);
	IF plan AND plans <> '{true,true,false}' THEN
		RETURN 'plans: ' || plans::text;
	END IF;
	IF r[1] IS DISTINCT FROM r[2] OR r[2] IS DISTINCT FROM r[3] OR r[1] IS NULL THEN
		RETURN 'differ: ' || r::text;
	END IF;
	RETURN 'same';
END
$$;

-- filter shapes: a range, an IN list, a conjunction, a disjunction, IS NULL,
-- a parameter-free expression (no LIMIT: every passing row, in order)
SELECT pg_temp.same3($$SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f < 3 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s$$) AS range;
SELECT pg_temp.same3($$SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f IN (1, 4, 7) ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s$$) AS in_list;
SELECT pg_temp.same3($$SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f = 2 AND g <> 3 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s$$) AS conjunction;
SELECT pg_temp.same3($$SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f = 9 OR g = 0 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s$$) AS disjunction;
SELECT pg_temp.same3($$SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f IS NULL ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s$$) AS is_null;
SELECT pg_temp.same3($$SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f = 3 AND g = 1 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5)) s$$) AS no_limit;
-- an initplan's value in the filter: computed by the executor when it first
-- evaluates the filter, never by the prefilter (rows go through unfiltered
-- until then)
SELECT pg_temp.same3($$SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f = (SELECT max(f) - 4 FROM pf WHERE id < 10) ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s$$) AS initplan_param;
-- the inner side of a nested loop: the filter compares with the outer row (a
-- PARAM_EXEC value set before each rescan of the same scan)
SELECT pg_temp.plan_lines($$SELECT q.f, s.id FROM (VALUES (1), (5), (9)) q(f),
  LATERAL (SELECT id FROM pf WHERE pf.f = q.f ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 5) s$$);
SELECT pg_temp.same3($$SELECT array_agg(s.id ORDER BY q.f, s.rn) FROM (VALUES (1), (5), (9)) q(f),
  LATERAL (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM pf WHERE pf.f = q.f
           ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 5) t) s$$) AS nested_loop;
-- a correlated subquery (a SubPlan rescanned for each outer row)
SELECT pg_temp.same3($$SELECT array_agg(x ORDER BY f) FROM (SELECT q.f, (SELECT array_agg(id) FROM
  (SELECT id FROM pf WHERE pf.g = q.f ORDER BY v <-> (SELECT v FROM pf WHERE id = 7) LIMIT 4) t)::text AS x
  FROM (VALUES (0), (3), (6)) q(f)) s$$) AS correlated_subplan;

-- PL/pgSQL: a static query with variables (parameters the function supplies)
CREATE FUNCTION pg_temp.knn(p_f int, p_id int, k int) RETURNS int[] LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN ARRAY(SELECT id FROM pf WHERE f = p_f ORDER BY v <-> (SELECT v FROM pf WHERE id = p_id) LIMIT k);
END
$$;
SELECT pg_temp.same3($$SELECT array_agg(pg_temp.knn(f, f + 10, 3)::text ORDER BY f) FROM generate_series(0, 9) f$$, false) AS plpgsql_static;

-- a prepared statement, run with the generic plan (PARAM_EXTERN values) more
-- than five times, the prefilter on, against the sequential scan's answers
SET plan_cache_mode = force_generic_plan;
PREPARE pknn(int, int) AS SELECT array_agg(id) FROM
  (SELECT id FROM pf WHERE f = $1 ORDER BY v <-> (SELECT v FROM pf WHERE id = $2) LIMIT 6) s;
CREATE TEMP TABLE prep (f int, ids int[]);
INSERT INTO prep VALUES (0, NULL), (1, NULL), (2, NULL), (3, NULL), (4, NULL), (5, NULL), (6, NULL), (7, NULL);
SELECT pg_temp.plan_lines('EXECUTE pknn(0, 100)');
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read AS r0 FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx' \gset
EXECUTE pknn(0, 100) \gset p0_
EXECUTE pknn(1, 101) \gset p1_
EXECUTE pknn(2, 102) \gset p2_
EXECUTE pknn(3, 103) \gset p3_
EXECUTE pknn(4, 104) \gset p4_
EXECUTE pknn(5, 105) \gset p5_
EXECUTE pknn(6, 106) \gset p6_
EXECUTE pknn(7, 107) \gset p7_
SELECT pg_stat_force_next_flush() \gset
-- the scans returned only the 48 rows that pass (6 a query)
SELECT idx_tup_read - :r0 AS returned_prepared FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx';
UPDATE prep SET ids = CASE f WHEN 0 THEN :'p0_array_agg' WHEN 1 THEN :'p1_array_agg' WHEN 2 THEN :'p2_array_agg'
  WHEN 3 THEN :'p3_array_agg' WHEN 4 THEN :'p4_array_agg' WHEN 5 THEN :'p5_array_agg'
  WHEN 6 THEN :'p6_array_agg' ELSE :'p7_array_agg' END::int[];
RESET plan_cache_mode;
DEALLOCATE pknn;
SET enable_indexscan = off;
SET enable_seqscan = on;
SELECT f, ids = ARRAY(SELECT id FROM pf WHERE pf.f = prep.f ORDER BY v <-> (SELECT v FROM pf WHERE id = 100 + prep.f) LIMIT 6) AS same
FROM prep ORDER BY f;
RESET enable_indexscan;
SET enable_seqscan = off;

-- a cursor fetched in part while another query runs, then closed
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM pf WHERE f = 4 ORDER BY v <-> (SELECT v FROM pf WHERE id = 9);
FETCH 3 FROM c;
SELECT pg_temp.knn(4, 9, 5) AS meanwhile;
FETCH 2 FROM c;
CLOSE c;
COMMIT;
SELECT pg_temp.knn(4, 9, 5) AS after_close;
SET enable_indexscan = off;
SET enable_seqscan = on;
SELECT pg_temp.knn(4, 9, 5) AS sequential_scan;
RESET enable_indexscan;
SET enable_seqscan = off;

-- the prefilter ran, in every shape above: the scans returned only rows
-- that pass (pg_stat_user_indexes.idx_tup_read counts the rows an index scan
-- returns), where without it a scan returns every row nearer than the last
-- one the query takes (for the first query, 99 rows up to the 10th that
-- passes)
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read AS r0 FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx' \gset
SELECT array_agg(id) AS prefilter_on FROM (SELECT id FROM pf WHERE f = 6 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s;
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read - :r0 AS returned_prefilter_on FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx';
SET ivfpq.prefilter = off;
SELECT idx_tup_read AS r0 FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx' \gset
SELECT array_agg(id) AS prefilter_off FROM (SELECT id FROM pf WHERE f = 6 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s;
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read - :r0 AS returned_prefilter_off FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx';
RESET ivfpq.prefilter;
SET enable_indexscan = off;
SET enable_seqscan = on;
SELECT count(*) AS rows_up_to_the_10th FROM pf WHERE v <-> (SELECT v FROM pf WHERE id = 5) <=
  (SELECT max(d) FROM (SELECT v <-> (SELECT v FROM pf WHERE id = 5) AS d FROM pf WHERE f = 6 ORDER BY 1 LIMIT 10) t);
RESET enable_indexscan;
SET enable_seqscan = off;
-- nested loop: 3 rescans of 5 rows
SELECT idx_tup_read AS r0 FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx' \gset
SELECT count(*) FROM (VALUES (1), (5), (9)) q(f),
  LATERAL (SELECT id FROM pf WHERE pf.f = q.f ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 5) s;
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read - :r0 AS returned_nested_loop FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx';
-- correlated subquery: 3 rescans of 4 rows
SELECT idx_tup_read AS r0 FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx' \gset
SELECT sum(cardinality(x)) FROM (SELECT q.f, (SELECT array_agg(id) FROM
  (SELECT id FROM pf WHERE pf.g = q.f ORDER BY v <-> (SELECT v FROM pf WHERE id = 7) LIMIT 4) t) AS x
  FROM (VALUES (0), (3), (6)) q(f)) s;
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read - :r0 AS returned_correlated_subplan FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx';
-- PL/pgSQL static SQL: 10 calls of 3 rows
SELECT idx_tup_read AS r0 FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx' \gset
SELECT count(pg_temp.knn(f, f + 10, 3)) FROM generate_series(0, 9) f;
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read - :r0 AS returned_plpgsql_static FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx';
-- PL/pgSQL EXECUTE ... USING: 10 calls of 3 rows
CREATE FUNCTION pg_temp.knn_dynamic(p_f int, p_id int, k int) RETURNS int[] LANGUAGE plpgsql STABLE AS $$
DECLARE
	r int[];
BEGIN
	EXECUTE 'SELECT array_agg(id) FROM (SELECT id FROM pf WHERE f = $1 ORDER BY v <-> (SELECT v FROM pf WHERE id = $2) LIMIT $3) s'
		INTO r USING p_f, p_id, k;
	RETURN r;
END
$$;
SELECT idx_tup_read AS r0 FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx' \gset
SELECT bool_and(pg_temp.knn_dynamic(f, f + 10, 3) = pg_temp.knn(f, f + 10, 3)) AS same_as_static
FROM generate_series(0, 9) f;
SELECT pg_stat_force_next_flush() \gset
SELECT idx_tup_read - :r0 AS returned_plpgsql_both FROM pg_stat_user_indexes WHERE indexrelname = 'pf_idx';

-- EXPLAIN ANALYZE: the rows the prefilter removed are the node's "Rows Removed
-- by Filter", as the executor's own were (a scan of every row: 2,703 fail)
SELECT pg_temp.analyze_counts($$SELECT id FROM pf WHERE f < 1 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5)$$) AS prefilter_on;
SET ivfpq.prefilter = off;
SELECT pg_temp.analyze_counts($$SELECT id FROM pf WHERE f < 1 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5)$$) AS prefilter_off;
RESET ivfpq.prefilter;
-- and per loop of a nested loop (3 scans of every row, 297 pass in each)
SELECT pg_temp.analyze_counts($$SELECT q.f, s.id FROM (VALUES (1), (5), (9)) q(f),
  LATERAL (SELECT id FROM pf WHERE pf.f = q.f ORDER BY v <-> (SELECT v FROM pf WHERE id = 5)) s$$) AS nested_loop;
-- and the scan's DEBUG1 line counts them
SET client_min_messages = debug1;
SELECT count(*) FROM (SELECT id FROM pf WHERE f < 1 ORDER BY v <-> (SELECT v FROM pf WHERE id = 5)) s;
SET client_min_messages = warning;

-- a VOLATILE filter is not evaluated early: it runs once for each row the
-- scan returns, the prefilter on or off
CREATE SEQUENCE calls;
CREATE FUNCTION pg_temp.counted(x int) RETURNS bool LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	PERFORM nextval('calls');
	RETURN x = 6;
END
$$;
SELECT array_agg(id) AS volatile_filter FROM
  (SELECT id FROM pf WHERE pg_temp.counted(f) ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s;
SELECT last_value AS calls_prefilter_on FROM calls;
ALTER SEQUENCE calls RESTART;
SET ivfpq.prefilter = off;
SELECT array_agg(id) AS volatile_filter FROM
  (SELECT id FROM pf WHERE pg_temp.counted(f) ORDER BY v <-> (SELECT v FROM pf WHERE id = 5) LIMIT 10) s;
RESET ivfpq.prefilter;
SELECT last_value AS calls_prefilter_off FROM calls;

-- a function that is not leakproof is not evaluated early.  An untrained
-- index bounds a row by | |q| - |x| |, so the row [-1, 0] (as long as the
-- query [1, 0], at distance 2) is fetched before the nearest row is returned;
-- the executor never evaluates the filter on it, and LIMIT 1 succeeds.  Once
-- declared LEAKPROOF (a promise that it raises no error that depends on its
-- arguments, broken here) the function is evaluated early, and raises.
CREATE TABLE lk (id int, v vector(2));
CREATE INDEX lk_idx ON lk USING ivfpq (v) WITH (lists = 1);
INSERT INTO lk VALUES (1, '[1, 0.01]'), (2, '[0.9, 0]'), (3, '[0.8, 0]'), (99, '[-1, 0]');
CREATE FUNCTION pg_temp.boom(x int) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF x = 99 THEN
		RAISE EXCEPTION 'boom on row %', x;
	END IF;
	RETURN true;
END
$$;
EXPLAIN (COSTS OFF) SELECT id FROM lk WHERE pg_temp.boom(id) ORDER BY v <-> '[1, 0]' LIMIT 1;
SELECT id FROM lk WHERE pg_temp.boom(id) ORDER BY v <-> '[1, 0]' LIMIT 1;
ALTER FUNCTION pg_temp.boom(int) LEAKPROOF;
\set VERBOSITY terse
SELECT id FROM lk WHERE pg_temp.boom(id) ORDER BY v <-> '[1, 0]' LIMIT 1;
\set VERBOSITY default
SET ivfpq.prefilter = off;
SELECT id FROM lk WHERE pg_temp.boom(id) ORDER BY v <-> '[1, 0]' LIMIT 1;
RESET ivfpq.prefilter;
-- an error raised by the prefilter leaves nothing behind: the next scans work
SELECT id FROM lk WHERE id > 1 ORDER BY v <-> '[1, 0]' LIMIT 2;
-- and inside a PL/pgSQL block that catches it (a subtransaction), the next
-- scan of the same transaction works
CREATE FUNCTION pg_temp.catch_then_scan() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	msg text;
BEGIN
	BEGIN
		PERFORM id FROM lk WHERE pg_temp.boom(id) ORDER BY v <-> '[1, 0]' LIMIT 1;
	EXCEPTION WHEN raise_exception THEN
		msg := SQLERRM;
	END;
	RETURN msg || ', then ' || (SELECT array_agg(id) FROM (SELECT id FROM lk WHERE id > 1 ORDER BY v <-> '[1, 0]' LIMIT 2) s)::text;
END
$$;
SELECT pg_temp.catch_then_scan();
-- a cast to text applies a function that is not leakproof: not prefiltered
SELECT id FROM lk WHERE pg_temp.boom(id) AND id::text <> '2' ORDER BY v <-> '[1, 0]' LIMIT 1;
-- a function that may raise, on parameters alone, where only some rows
-- evaluate it (an OR, a CASE): the executor evaluates it on no row that LIMIT
-- 1 takes (row 1 passes by id < 50), but row 99 is fetched first, and it
-- would raise there.  Not prefiltered (a generic plan: $1 is not folded)
SET plan_cache_mode = force_generic_plan;
PREPARE cond_or(int) AS SELECT id FROM lk WHERE id < 50 OR 10 / $1 > id ORDER BY v <-> '[1, 0]' LIMIT 1;
PREPARE cond_case(int) AS SELECT id FROM lk WHERE CASE WHEN id < 50 THEN true ELSE 10 / $1 > id END
  ORDER BY v <-> '[1, 0]' LIMIT 1;
EXECUTE cond_or(0);
EXECUTE cond_case(0);
DEALLOCATE cond_or;
DEALLOCATE cond_case;
RESET plan_cache_mode;

DROP TABLE lk;
DROP TABLE pf;
DROP SEQUENCE calls;
RESET enable_seqscan;
RESET enable_bitmapscan;
RESET ivfpq.probes;
