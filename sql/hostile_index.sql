-- Hostile input for the two index access methods, flat and ivfpq: absurd
-- storage parameters, huge dimensions, typmod abuse, empty and one-row
-- builds, duplicate and all-identical vectors, zero vectors under cosine,
-- non-finite / wrong-dimension / NULL query vectors, odd query shapes
-- (LIMIT 0, DESC, backward cursors), unsupported index shapes, and DDL
-- around the index (transactions, CONCURRENTLY, CLUSTER, partial indexes,
-- TRUNCATE, ALTER TYPE).  Every case ends in a clear error whose SQLSTATE is
-- printed ("SQLSTATE: message"), or in a result that is compared with a
-- sequential scan; none may crash the backend.
SET client_min_messages = warning;
-- plain queries below go through an index whenever one can serve them
SET enable_seqscan = off;
-- ivfpq is exact when every list is probed and the re-rank pool holds every row
SET ivfpq.probes = 32768;
SET ivfpq.rerank = 1000000;

-- The first column of the first row of a query ('ok' for a statement that
-- is not a query), or its SQLSTATE and message.
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	IF q ~* '^\s*(SELECT|VALUES|TABLE)' THEN
		EXECUTE q INTO r;
		RETURN coalesce(r, '(null)');
	END IF;
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	-- 17 on run CREATE INDEX with search_path = pg_catalog, pg_temp, so its
	-- messages name public.vector: the same message on every version
	RETURN SQLSTATE || ': ' || left(replace(SQLERRM, 'public.', ''), 110);
END
$$;

-- The first column of every row of a query, in order.
CREATE FUNCTION pg_temp.col(q text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	r text[];
BEGIN
	EXECUTE 'SELECT coalesce(array_agg(x::text), ''{}'') FROM (' || q || ') s(x)' INTO r;
	RETURN r;
END
$$;

-- Runs a query twice: with sequential scans off (which index, if any, the
-- plan uses), then with index scans off; prints the plan's index and whether
-- both give the same rows in the same order.
CREATE FUNCTION pg_temp.cmp(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	idx text := 'no index';
	a text[];
	b text[];
	es text := current_setting('enable_seqscan');
	ei text := current_setting('enable_indexscan');
	eb text := current_setting('enable_bitmapscan');
BEGIN
	PERFORM set_config('enable_seqscan', 'off', true);
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		IF line ~ 'Index Scan' THEN
			idx := substring(line FROM 'Index Scan(?: Backward)? using (\S+)');
		END IF;
	END LOOP;
	a := pg_temp.col(q);
	PERFORM set_config('enable_seqscan', 'on', true);
	PERFORM set_config('enable_indexscan', 'off', true);
	PERFORM set_config('enable_bitmapscan', 'off', true);
	b := pg_temp.col(q);
	PERFORM set_config('enable_seqscan', es, true);
	PERFORM set_config('enable_indexscan', ei, true);
	PERFORM set_config('enable_bitmapscan', eb, true);
	IF a IS NOT DISTINCT FROM b THEN
		RETURN idx || ': same, ' || cardinality(a) || ' rows';
	END IF;
	RETURN idx || ': DIFFERENT: ' || left(a::text, 60) || ' vs ' || left(b::text, 60);
EXCEPTION WHEN OTHERS THEN
	RETURN idx || ': ' || SQLSTATE || ': ' || left(SQLERRM, 110);
END
$$;

-- Runs each statement for both access methods, in order: @am@ is replaced
-- by flat or ivfpq, and a statement that starts with "cmp " goes through
-- cmp(), the others through try().  "rows " is cmp() without the index name,
-- for a query whose plan depends on the PostgreSQL version.
CREATE FUNCTION pg_temp.run(qs text[]) RETURNS TABLE (am text, query text, result text)
LANGUAGE plpgsql AS $$
DECLARE
	q text;
BEGIN
	FOREACH am IN ARRAY ARRAY['flat', 'ivfpq'] LOOP
		FOREACH q IN ARRAY qs LOOP
			q := replace(q, '@am@', am);
			query := left(q, 72);
			IF q LIKE 'cmp %' THEN
				result := pg_temp.cmp(substr(q, 5));
			ELSIF q LIKE 'rows %' THEN
				result := regexp_replace(pg_temp.cmp(substr(q, 6)), '^[^:]*: ', '');
			ELSE
				result := pg_temp.try(q);
			END IF;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;

-- 60 rows of 4 dimensions, all distances distinct (rows with NULL vectors
-- are not indexed, as in pgvector: they are tested on their own below).
CREATE TABLE hi (id int, v vector(4));
INSERT INTO hi SELECT i, ARRAY[sin(i), cos(i), sin(2 * i), cos(3 * i) * 2]::real[]::vector
	FROM generate_series(1, 60) i;

-- ---------------------------------------------------------------------------
-- storage parameters: flat has none, ivfpq has lists, m and nbits
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists = 0)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists = -1)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists = 32769)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists = 2147483648)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists = 'abc')$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists = '')$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (lists = 1, lists = 2)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (m = 0)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (m = 3)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (m = 8)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (m = 4096)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (m = 2147483647)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (nbits = 0)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (nbits = 3)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (nbits = 9)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (nbits = 100)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (nbits = -8)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (probes = 1)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (fillfactor = 50)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (ef_construction = 64)$q$,
	$q$CREATE INDEX hi_bad ON hi USING @am@ (v) WITH (toast.lists = 2)$q$,
	$q$SELECT count(*) FROM pg_class WHERE relname = 'hi_bad'$q$
]);

-- Postgres rounds a fractional integer option (as for fillfactor): 1.5 is 2
CREATE INDEX hi_frac ON hi USING ivfpq (v) WITH (lists = 1.5, m = 2.4, nbits = 4.5);
SELECT reloptions FROM pg_class WHERE relname = 'hi_frac';
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('hi_frac');
DROP INDEX hi_frac;

-- ALTER INDEX SET checks the ranges; a value the build cannot use fails at
-- REINDEX and leaves the index as it was
CREATE INDEX hi_alt ON hi USING ivfpq (v) WITH (lists = 2, m = 2);
SELECT * FROM pg_temp.try(
	$q$ALTER INDEX hi_alt SET (lists = 0)$q$) UNION ALL SELECT * FROM pg_temp.try(
	$q$ALTER INDEX hi_alt SET (nbits = 9)$q$) UNION ALL SELECT * FROM pg_temp.try(
	$q$ALTER INDEX hi_alt SET (foo = 1)$q$) UNION ALL SELECT * FROM pg_temp.try(
	$q$ALTER INDEX hi_alt SET (m = 3)$q$) UNION ALL SELECT * FROM pg_temp.try(
	$q$REINDEX INDEX hi_alt$q$) UNION ALL SELECT * FROM pg_temp.try(
	$q$ALTER INDEX hi_alt SET (m = 1, lists = 3)$q$) UNION ALL SELECT * FROM pg_temp.try(
	$q$REINDEX INDEX hi_alt$q$) UNION ALL SELECT pg_temp.cmp(
	$q$SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 10$q$);
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('hi_alt');
DROP INDEX hi_alt;
CREATE INDEX hi_v_idx ON hi USING flat (v);
SELECT * FROM pg_temp.try($q$ALTER INDEX hi_v_idx SET (lists = 1)$q$);
DROP INDEX hi_v_idx;

-- ---------------------------------------------------------------------------
-- huge dimensions: ivfpq takes up to 16000 dims (default m too), flat up
-- to 2036 (one vector per page at most); beyond: 54000
-- ---------------------------------------------------------------------------
CREATE TABLE hi_big (id int, v vector(16000));
INSERT INTO hi_big SELECT i, array_fill(i::real, ARRAY[16000])::vector FROM generate_series(1, 3) i;
CREATE TABLE hi_2036 (id int, v vector(2036));
INSERT INTO hi_2036 SELECT i, array_fill(i::real, ARRAY[2036])::vector FROM generate_series(1, 3) i;
CREATE TABLE hi_2037 (id int, v vector(2037));
INSERT INTO hi_2037 SELECT i, array_fill(i::real, ARRAY[2037])::vector FROM generate_series(1, 3) i;
CREATE TABLE hi_untyped_big (id int, v vector);
INSERT INTO hi_untyped_big VALUES (1, array_fill(1::real, ARRAY[3000])::vector);
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_big_idx ON hi_big USING @am@ (v)$q$,
	$q$cmp SELECT id FROM hi_big ORDER BY v <-> array_fill(2.4::real, ARRAY[16000])::vector LIMIT 2$q$,
	$q$INSERT INTO hi_big VALUES (4, array_fill(2.3::real, ARRAY[16000])::vector)$q$,
	$q$cmp SELECT id FROM hi_big ORDER BY v <-> array_fill(2.4::real, ARRAY[16000])::vector LIMIT 2$q$,
	$q$DELETE FROM hi_big WHERE id = 4$q$,
	$q$DROP INDEX IF EXISTS hi_big_idx$q$,
	$q$CREATE INDEX hi_2036_idx ON hi_2036 USING @am@ (v)$q$,
	$q$cmp SELECT id FROM hi_2036 ORDER BY v <-> array_fill(2.4::real, ARRAY[2036])::vector LIMIT 2$q$,
	$q$DROP INDEX hi_2036_idx$q$,
	$q$CREATE INDEX hi_2037_idx ON hi_2037 USING @am@ (v)$q$,
	$q$DROP INDEX IF EXISTS hi_2037_idx$q$,
	$q$CREATE INDEX ON hi_untyped_big USING @am@ (v)$q$,
	$q$CREATE INDEX ON hi_big USING @am@ (v) WITH (m = 16000)$q$,
	$q$CREATE INDEX ON hi_big USING @am@ (v) WITH (m = 2000)$q$
]);
-- a build that cannot fit maintenance_work_mem stops before it starts
SET maintenance_work_mem = '64MB';
SELECT regexp_replace(pg_temp.try($q$CREATE INDEX ON hi_big USING ivfpq (v) WITH (lists = 32768)$q$),
	'\d+ MB', 'N MB', 'g');
RESET maintenance_work_mem;
SELECT relname FROM pg_class WHERE relname LIKE 'hi_big%' OR relname LIKE 'hi_2036%' ORDER BY 1;
DROP TABLE hi_big, hi_2036, hi_2037, hi_untyped_big;

-- ---------------------------------------------------------------------------
-- typmod abuse: a column without dimensions, mixed dimensions in its rows,
-- wrong-dimension inserts, ALTER COLUMN TYPE under an index
-- ---------------------------------------------------------------------------
CREATE TABLE hi_mixed (id int, v vector);
INSERT INTO hi_mixed VALUES (1, '[1,2]'), (2, '[1,2,3]'), (3, '[3,4]');
CREATE TABLE hi_same (id int, v vector);
INSERT INTO hi_same VALUES (1, '[1,2]'), (2, '[5,1]'), (3, '[3,4]');
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX ON hi_mixed USING @am@ (v)$q$,
	$q$CREATE INDEX hi_same_idx ON hi_same USING @am@ (v)$q$,
	$q$INSERT INTO hi_same VALUES (4, '[1,2,3]')$q$,
	$q$cmp SELECT id FROM hi_same ORDER BY v <-> '[3,3]' LIMIT 3$q$,
	$q$cmp SELECT id FROM hi_same ORDER BY v <-> '[3,3,3]' LIMIT 3$q$,
	$q$DROP INDEX IF EXISTS hi_same_idx$q$,
	$q$CREATE TABLE hi_typed (id int, v vector(3))$q$,
	$q$INSERT INTO hi_typed VALUES (1, '[1,2,3]'), (2, '[3,2,1]')$q$,
	$q$CREATE INDEX hi_typed_idx ON hi_typed USING @am@ (v)$q$,
	$q$INSERT INTO hi_typed VALUES (3, '[1,2]')$q$,
	$q$INSERT INTO hi_typed VALUES (3, '[1,2,3,4]'::vector(4))$q$,
	$q$UPDATE hi_typed SET v = '[1,2,3,4]' WHERE id = 1$q$,
	$q$ALTER TABLE hi_typed ALTER v TYPE vector(2)$q$,
	$q$ALTER TABLE hi_typed ALTER v TYPE vector$q$,
	$q$SELECT count(*) FROM pg_index WHERE indexrelid = 'hi_typed_idx'::regclass$q$,
	$q$INSERT INTO hi_typed VALUES (3, '[1,2]')$q$,
	$q$INSERT INTO hi_typed VALUES (3, '[7,7,7]')$q$,
	$q$cmp SELECT id FROM hi_typed ORDER BY v <-> '[2,4,6]' LIMIT 3$q$,
	$q$cmp SELECT id FROM hi_typed ORDER BY v <-> '[2,4]' LIMIT 3$q$,
	$q$REINDEX INDEX hi_typed_idx$q$,
	$q$DELETE FROM hi_typed WHERE id = 3$q$,
	$q$ALTER TABLE hi_typed ALTER v TYPE real[]$q$,
	$q$ALTER TABLE hi_typed ALTER v TYPE vector(3) USING v + v$q$,
	$q$cmp SELECT id FROM hi_typed ORDER BY v <-> '[2,4,6]' LIMIT 2$q$,
	$q$DELETE FROM hi_typed$q$,
	$q$ALTER TABLE hi_typed ALTER v TYPE vector(5) USING NULL$q$,
	$q$INSERT INTO hi_typed VALUES (5, '[1,2,3,4,5]'), (6, '[5,4,3,2,1]')$q$,
	$q$cmp SELECT id FROM hi_typed ORDER BY v <-> '[5,5,3,1,1]' LIMIT 2$q$,
	$q$SELECT pg_get_indexdef('hi_typed_idx'::regclass)$q$,
	$q$DROP TABLE hi_typed$q$
]);
DROP TABLE hi_mixed, hi_same;

-- ---------------------------------------------------------------------------
-- empty and one-row builds, then queries and inserts
-- ---------------------------------------------------------------------------
CREATE TABLE hi_small (id int, v vector(4));
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_small_idx ON hi_small USING @am@ (v)$q$,
	$q$cmp SELECT id FROM hi_small ORDER BY v <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$INSERT INTO hi_small VALUES (1, '[1,2,3,4]')$q$,
	$q$cmp SELECT id FROM hi_small ORDER BY v <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$INSERT INTO hi_small SELECT id, v FROM hi WHERE id <= 30$q$,
	$q$cmp SELECT id FROM hi_small ORDER BY v <-> '[1,1,1,1]' LIMIT 50$q$,
	$q$DROP INDEX hi_small_idx$q$,
	$q$DELETE FROM hi_small WHERE id > 1$q$,
	$q$CREATE INDEX hi_small_idx ON hi_small USING @am@ (v) WITH (lists = 10, m = 4)$q$,
	$q$CREATE INDEX IF NOT EXISTS hi_small_idx ON hi_small USING @am@ (v)$q$,
	$q$cmp SELECT id FROM hi_small ORDER BY v <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$INSERT INTO hi_small SELECT id, v FROM hi WHERE id <= 30$q$,
	$q$cmp SELECT id FROM hi_small ORDER BY v <-> '[1,1,1,1]' LIMIT 50$q$,
	$q$DROP INDEX hi_small_idx$q$,
	$q$TRUNCATE hi_small$q$,
	$q$INSERT INTO hi_small VALUES (1, NULL), (2, NULL)$q$,
	$q$CREATE INDEX hi_small_idx ON hi_small USING @am@ (v)$q$,
	$q$cmp SELECT id FROM hi_small WHERE v IS NOT NULL ORDER BY v <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$SELECT count(*) FROM (SELECT id FROM hi_small ORDER BY v <-> '[1,1,1,1]' LIMIT 5) s$q$,
	$q$INSERT INTO hi_small VALUES (3, '[1,1,1,2]'), (4, NULL)$q$,
	$q$cmp SELECT id FROM hi_small WHERE v IS NOT NULL ORDER BY v <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$SELECT string_agg(id::text, ',') FROM (SELECT id FROM hi_small ORDER BY v <-> '[1,1,1,1]' LIMIT 5) s$q$,
	$q$DROP INDEX hi_small_idx$q$,
	$q$TRUNCATE hi_small$q$
]);
DROP TABLE hi_small;

-- ---------------------------------------------------------------------------
-- duplicates: many identical rows, more lists than distinct points,
-- all-identical vectors (ties: compare the distances, then the row sets)
-- ---------------------------------------------------------------------------
CREATE TABLE hi_dup (id int, v vector(4));
INSERT INTO hi_dup SELECT i, '[1,1,1,1]' FROM generate_series(1, 300) i;
INSERT INTO hi_dup SELECT i, '[2,0,2,0]' FROM generate_series(301, 310) i;
INSERT INTO hi_dup SELECT i, '[-1,5,0,1]' FROM generate_series(311, 312) i;
CREATE TABLE hi_same4 (id int, v vector(4));
INSERT INTO hi_same4 SELECT i, '[0.5,-2,3,1e-3]' FROM generate_series(1, 500) i;
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_dup_idx ON hi_dup USING @am@ (v) WITH (lists = 10)$q$,
	$q$CREATE INDEX IF NOT EXISTS hi_dup_idx ON hi_dup USING @am@ (v)$q$,
	$q$cmp SELECT round((v <-> '[2,0,2,0.5]')::numeric, 4) FROM hi_dup ORDER BY v <-> '[2,0,2,0.5]' LIMIT 20$q$,
	$q$cmp SELECT id FROM (SELECT id FROM hi_dup ORDER BY v <-> '[2,0,2,0.5]' LIMIT 10) s ORDER BY id$q$,
	$q$cmp SELECT count(*) FROM (SELECT id FROM hi_dup ORDER BY v <-> '[2,0,2,0.5]' LIMIT 12) s WHERE id <= 300$q$,
	$q$cmp SELECT id FROM (SELECT id FROM hi_dup ORDER BY v <-> '[-1,5,0,1]') s ORDER BY id$q$,
	$q$DROP INDEX hi_dup_idx$q$,
	$q$CREATE INDEX hi_same4_idx ON hi_same4 USING @am@ (v) WITH (lists = 10, m = 4)$q$,
	$q$CREATE INDEX IF NOT EXISTS hi_same4_idx ON hi_same4 USING @am@ (v)$q$,
	$q$cmp SELECT round((v <-> '[0,0,0,0]')::numeric, 4) FROM hi_same4 ORDER BY v <-> '[0,0,0,0]' LIMIT 5$q$,
	$q$cmp SELECT id FROM (SELECT id FROM hi_same4 ORDER BY v <-> '[0,0,0,0]') s ORDER BY id$q$,
	$q$INSERT INTO hi_same4 VALUES (501, '[0.5,-2,3,0]')$q$,
	$q$cmp SELECT id FROM hi_same4 ORDER BY v <-> '[0.5,-2,3,0]' LIMIT 1$q$,
	$q$DELETE FROM hi_same4 WHERE id = 501$q$,
	$q$DROP INDEX hi_same4_idx$q$
]);
-- the ivfpq build on all-identical vectors: 10 lists asked, rows all in one
CREATE INDEX hi_same4_idx ON hi_same4 USING ivfpq (v) WITH (lists = 10, m = 4);
SELECT lists, tuples, max_tuples FROM pgvq_ivfpq_list_stats('hi_same4_idx');
DROP TABLE hi_dup, hi_same4;

-- ---------------------------------------------------------------------------
-- zero vectors under cosine: no cosine distance (NaN).  flat indexes them
-- and returns them last, as a sequential scan does; ivfpq does not index
-- them (as pgvector's ivfflat), so its answers are those of a sequential
-- scan over the non-zero rows.  A zero query: every distance is NaN (no
-- order to compare: count the rows).
-- ---------------------------------------------------------------------------
CREATE TABLE hi_zero (id int, v vector(3));
INSERT INTO hi_zero VALUES (1, '[0,0,0]'), (2, '[1,0,0]'), (3, '[0,0,0]'), (4, '[1,1,0]'),
	(5, '[0,1,0]'), (6, '[-1,0,0]');
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_zero_idx ON hi_zero USING @am@ (v vector_cosine_ops)$q$,
	$q$cmp SELECT id FROM hi_zero ORDER BY v <=> '[1,0.1,0]' LIMIT 4$q$,
	$q$cmp SELECT id FROM hi_zero WHERE vector_norm(v) > 0 ORDER BY v <=> '[1,0.1,0]'$q$,
	$q$SELECT string_agg(id::text, ',') FROM (SELECT id FROM hi_zero ORDER BY v <=> '[1,0.1,0]') s$q$,
	$q$SELECT count(*) FROM (SELECT id FROM hi_zero ORDER BY v <=> '[0,0,0]') s$q$,
	$q$SELECT count(*) FROM (SELECT id FROM hi_zero ORDER BY v <=> '[0,0,0]' LIMIT 3) s$q$,
	$q$INSERT INTO hi_zero VALUES (7, '[0,0,0]'), (8, '[2,0.1,0]')$q$,
	$q$cmp SELECT id FROM hi_zero ORDER BY v <=> '[1,0.1,0]' LIMIT 3$q$,
	$q$DELETE FROM hi_zero WHERE id > 6$q$,
	$q$DROP INDEX hi_zero_idx$q$
]);
-- an ivfpq cosine index over zero vectors only is built untrained
TRUNCATE hi_zero;
INSERT INTO hi_zero VALUES (1, '[0,0,0]'), (2, '[0,0,0]');
SELECT * FROM pg_temp.try($q$CREATE INDEX hi_zero_idx ON hi_zero USING ivfpq (v vector_cosine_ops)$q$);
SELECT id FROM hi_zero ORDER BY v <=> '[1,0,0]' LIMIT 5;
INSERT INTO hi_zero VALUES (3, '[0,0,1]');
SELECT id FROM hi_zero ORDER BY v <=> '[1,0,0]' LIMIT 5;
DROP TABLE hi_zero;

-- ---------------------------------------------------------------------------
-- query vectors: NaN / Infinity (cannot be built), overflow, wrong
-- dimensions, NULL (the index returns no rows: flat as pgvector's hnsw;
-- ivfpq as pgvector's ivfflat ranks by a zero vector, i.e. every row)
-- ---------------------------------------------------------------------------
CREATE INDEX hi_flat ON hi USING flat (v);
CREATE INDEX hi_ivfpq ON hi USING ivfpq (v) WITH (lists = 4, m = 2);
CREATE INDEX hi_flat_ip ON hi USING flat (v vector_ip_ops);
CREATE INDEX hi_ivfpq_cos ON hi USING ivfpq (v vector_cosine_ops) WITH (lists = 3);
CREATE INDEX hi_flat_l1 ON hi USING flat (v vector_l1_ops);
SELECT left(q, 72) AS query, pg_temp.cmp(q) FROM unnest(ARRAY[
	$q$SELECT id FROM hi ORDER BY v <-> ARRAY['NaN'::real, 1, 1, 1]::vector LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> ARRAY['Infinity'::real, 1, 1, 1]::vector LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> ARRAY['-Infinity'::float8, 1, 1, 1]::vector LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> ARRAY[1e39::float8, 1, 1, 1]::vector LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> '[NaN,1,1,1]' LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> ('[1,2,3,4]'::vector * '[1e38,1e38,1e38,1e38]') LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> ('[3e38,1,1,1]'::vector + '[3e38,1,1,1]') LIMIT 3$q$,
	$q$SELECT v <-> '[3e38,3e38,3e38,3e38]' FROM hi ORDER BY v <-> '[3e38,3e38,3e38,3e38]' LIMIT 3$q$,
	$q$SELECT v <#> '[3e38,3e38,3e38,3e38]' FROM hi ORDER BY v <#> '[3e38,3e38,3e38,3e38]' LIMIT 3$q$,
	$q$SELECT v <=> '[3e38,3e38,-3e38,1e-38]' FROM hi ORDER BY v <=> '[3e38,3e38,-3e38,1e-38]' LIMIT 3$q$,
	$q$SELECT v <+> '[3e38,3e38,3e38,3e38]' FROM hi ORDER BY v <+> '[3e38,3e38,3e38,3e38]' LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> '[1e-45,1e-45,1e-45,1e-45]' LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> '[1,2,3]' LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> '[1,2,3,4,5]' LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> array_fill(1::real, ARRAY[16000])::vector LIMIT 3$q$,
	$q$SELECT id FROM hi ORDER BY v <-> NULL::vector LIMIT 3$q$
]) WITH ORDINALITY AS u(q, n) ORDER BY n;
-- a NULL query through a generic plan reaches the index
SET plan_cache_mode = force_generic_plan;
PREPARE hi_null(vector) AS SELECT count(*) FROM (SELECT id FROM hi ORDER BY v <-> $1 LIMIT 100) s;
PREPARE hi_null_cos(vector) AS SELECT count(*) FROM (SELECT id FROM hi ORDER BY v <=> $1 LIMIT 100) s;
EXPLAIN (COSTS OFF) EXECUTE hi_null(NULL);
EXECUTE hi_null(NULL);
EXECUTE hi_null('[1,1,1,1]');
EXECUTE hi_null('[1,1,1]');
EXPLAIN (COSTS OFF) EXECUTE hi_null_cos(NULL);
EXECUTE hi_null_cos(NULL);
DROP INDEX hi_flat;
EXPLAIN (COSTS OFF) EXECUTE hi_null(NULL);
EXECUTE hi_null(NULL);
DEALLOCATE hi_null;
DEALLOCATE hi_null_cos;
RESET plan_cache_mode;
DROP INDEX hi_ivfpq, hi_flat_ip, hi_ivfpq_cos, hi_flat_l1;

-- ---------------------------------------------------------------------------
-- query shapes: LIMIT 0, LIMIT ALL with a filter, OFFSET, DESC (never
-- through the index), a second sort key, operators the index does not
-- order by, distance ranges
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_idx ON hi USING @am@ (v)$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 0$q$,
	$q$cmp SELECT id FROM hi WHERE id % 3 = 0 ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT ALL$q$,
	$q$cmp SELECT id FROM hi WHERE id % 3 = 0 ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT NULL$q$,
	$q$cmp SELECT id FROM hi WHERE id % 3 = 0 ORDER BY v <-> '[0.5,0.5,0.5,0.5]'$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 5 OFFSET 50$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 5 OFFSET 1000$q$,
	$q$cmp SELECT id FROM hi WHERE id > 1000 ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 5$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' DESC LIMIT 5$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' DESC NULLS LAST LIMIT 5$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' NULLS FIRST LIMIT 5$q$,
	-- 17 on can use the index and an incremental sort on id; 15 cannot
	$q$rows SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]', id LIMIT 5$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <#> '[0.5,0.5,0.5,0.5]' LIMIT 5$q$,
	$q$cmp SELECT id FROM hi ORDER BY '[0.5,0.5,0.5,0.5]' <-> v LIMIT 5$q$,
	$q$cmp SELECT id FROM hi WHERE v <-> '[0.5,0.5,0.5,0.5]' < 1 ORDER BY id$q$,
	$q$cmp SELECT id FROM hi ORDER BY v <-> (SELECT v FROM hi WHERE id = 7) LIMIT 3$q$,
	$q$cmp SELECT h.id FROM hi h, LATERAL (SELECT g.id FROM hi g ORDER BY g.v <-> h.v LIMIT 1) n WHERE h.id <= 5 AND n.id = h.id$q$,
	$q$SELECT pg_index_has_property('hi_idx'::regclass, 'backward_scan')::text || ',' || pg_index_has_property('hi_idx'::regclass, 'clusterable') || ',' || pg_index_has_property('hi_idx'::regclass, 'bitmap_scan') || ',' || pg_indexam_has_property(a.oid, 'can_multi_col') || ',' || pg_indexam_has_property(a.oid, 'can_unique') || ',' || pg_indexam_has_property(a.oid, 'can_include') FROM pg_am a WHERE amname = '@am@'$q$,
	$q$DROP INDEX hi_idx$q$
]);

-- backward scans: amcanbackward is false, so a SCROLL cursor gets a
-- Materialize node and moves both ways; a NO SCROLL cursor refuses
CREATE INDEX hi_flat ON hi USING flat (v);
EXPLAIN (COSTS OFF) DECLARE hi_c SCROLL CURSOR FOR SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 6;
BEGIN;
DECLARE hi_c SCROLL CURSOR FOR SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 6;
FETCH 4 FROM hi_c;
FETCH BACKWARD 2 FROM hi_c;
FETCH ABSOLUTE 6 FROM hi_c;
FETCH BACKWARD ALL FROM hi_c;
FETCH LAST FROM hi_c;
CLOSE hi_c;
DECLARE hi_n NO SCROLL CURSOR FOR SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 6;
FETCH 2 FROM hi_n;
FETCH BACKWARD 1 FROM hi_n;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
DROP INDEX hi_flat;
CREATE INDEX hi_ivfpq ON hi USING ivfpq (v) WITH (lists = 4);
BEGIN;
DECLARE hi_c SCROLL CURSOR FOR SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 6;
FETCH 4 FROM hi_c;
FETCH BACKWARD 2 FROM hi_c;
FETCH BACKWARD ALL FROM hi_c;
FETCH 6 FROM hi_c;
-- the same rows as a sequential scan
SELECT array_agg(id) FROM (SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 6) s;
SET LOCAL enable_seqscan = on;
SET LOCAL enable_indexscan = off;
SELECT array_agg(id) FROM (SELECT id FROM hi ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 6) s;
ROLLBACK;
DROP INDEX hi_ivfpq;

-- ---------------------------------------------------------------------------
-- index shapes: multicolumn, INCLUDE, UNIQUE, expressions, partial indexes,
-- exclusion constraints, other opclasses
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX ON hi USING @am@ (v, v)$q$,
	$q$CREATE INDEX ON hi USING @am@ (id, v)$q$,
	$q$CREATE INDEX ON hi USING @am@ (v) INCLUDE (id)$q$,
	$q$CREATE UNIQUE INDEX ON hi USING @am@ (v)$q$,
	$q$CREATE INDEX ON hi USING @am@ (id)$q$,
	$q$CREATE INDEX ON hi USING @am@ (v vector_l2_ops DESC)$q$,
	$q$CREATE INDEX ON hi USING @am@ (v NULLS FIRST)$q$,
	$q$CREATE INDEX ON hi USING @am@ (v COLLATE "C")$q$,
	$q$CREATE INDEX ON hi USING @am@ (v int4_ops)$q$,
	$q$ALTER TABLE hi ADD EXCLUDE USING @am@ (v WITH <->)$q$,
	$q$CREATE INDEX hi_expr ON hi USING @am@ ((v + v))$q$,
	$q$cmp SELECT id FROM hi ORDER BY (v + v) <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$DROP INDEX IF EXISTS hi_expr$q$,
	$q$CREATE INDEX hi_expr ON hi USING @am@ (subvector(v, 1, 2))$q$,
	$q$DROP INDEX IF EXISTS hi_expr$q$,
	$q$CREATE INDEX hi_expr ON hi USING @am@ (((v + v)::vector(4)))$q$,
	$q$cmp SELECT id FROM hi ORDER BY (v + v)::vector(4) <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$DROP INDEX IF EXISTS hi_expr$q$,
	$q$CREATE INDEX hi_part ON hi USING @am@ (v) WHERE id % 2 = 0$q$,
	$q$cmp SELECT id FROM hi WHERE id % 2 = 0 ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 10$q$,
	$q$cmp SELECT id FROM hi WHERE id % 2 = 1 ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 10$q$,
	$q$INSERT INTO hi VALUES (1000, '[0.5,0.5,0.5,0.5]'), (1001, '[0.5,0.5,0.5,0.5]')$q$,
	$q$cmp SELECT id FROM hi WHERE id % 2 = 0 ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 3$q$,
	$q$DELETE FROM hi WHERE id >= 1000$q$,
	$q$DROP INDEX hi_part$q$,
	$q$CREATE INDEX hi_part ON hi USING @am@ (v) WHERE v IS NOT NULL AND id > 1000000$q$,
	$q$cmp SELECT id FROM hi WHERE v IS NOT NULL AND id > 1000000 ORDER BY v <-> '[1,1,1,1]' LIMIT 3$q$,
	$q$DROP INDEX hi_part$q$
]);

-- ---------------------------------------------------------------------------
-- DDL around the index: re-creation in a rolled-back transaction,
-- CONCURRENTLY (validate_index collects the index's TIDs through
-- ambulkdelete: a missing TID would be inserted twice), CLUSTER, TRUNCATE
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_idx ON hi USING @am@ (v) WITH (lists = 3)$q$,
	$q$CREATE INDEX IF NOT EXISTS hi_idx ON hi USING @am@ (v)$q$,
	$q$CLUSTER hi USING hi_idx$q$,
	$q$ALTER TABLE hi CLUSTER ON hi_idx$q$,
	$q$SELECT string_agg(indexrelid::regclass || ' ' || indisclustered, ',') FROM pg_index WHERE indrelid = 'hi'::regclass$q$,
	$q$DROP INDEX hi_idx$q$
]);
CREATE INDEX hi_idx ON hi USING ivfpq (v) WITH (lists = 3);

-- re-creation inside a transaction block, rolled back
BEGIN;
DROP INDEX hi_idx;
CREATE INDEX hi_idx ON hi USING flat (v);
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]' LIMIT 5$q$);
DELETE FROM hi WHERE id < 10;
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]' LIMIT 5$q$);
ROLLBACK;
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]' LIMIT 5$q$);
BEGIN;
CREATE INDEX hi_tmp ON hi USING flat (v);
DROP INDEX hi_idx;
INSERT INTO hi VALUES (100, '[1,0,1,0]');
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]' LIMIT 5$q$);
ROLLBACK;
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]' LIMIT 5$q$);
SELECT count(*) FROM pg_class WHERE relname = 'hi_tmp';
-- a savepoint rolled back after an insert into the index
BEGIN;
SAVEPOINT s;
INSERT INTO hi VALUES (101, '[1,0,1,0.01]');
ROLLBACK TO s;
INSERT INTO hi VALUES (102, '[1,0,1,0.02]');
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]' LIMIT 3$q$);
ROLLBACK;
-- REINDEX CONCURRENTLY and CREATE INDEX CONCURRENTLY (one TID once each)
REINDEX INDEX CONCURRENTLY hi_idx;
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]'$q$);
DROP INDEX hi_idx;
CREATE INDEX CONCURRENTLY hi_cc ON hi USING flat (v);
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]'$q$);
REINDEX TABLE CONCURRENTLY hi;
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]'$q$);
DROP INDEX CONCURRENTLY hi_cc;
CREATE INDEX CONCURRENTLY hi_cc ON hi USING ivfpq (v) WITH (lists = 3);
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]'$q$);
REINDEX INDEX CONCURRENTLY hi_cc;
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]'$q$);
SELECT pg_temp.cmp($q$SELECT id FROM hi ORDER BY v <-> '[1,0,1,0]' LIMIT 7$q$);
-- an index left invalid by a failed CREATE INDEX CONCURRENTLY is ignored
CREATE TABLE hi_inv (id int, v vector(2));
INSERT INTO hi_inv VALUES (1, '[1,1]'), (2, '[0,0]');
CREATE INDEX CONCURRENTLY hi_inv_idx ON hi_inv USING ivfpq (v vector_cosine_ops) WITH (lists = 2, m = 3);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'hi_inv_idx'::regclass;
SELECT pg_temp.cmp($q$SELECT id FROM hi_inv ORDER BY v <=> '[1,0]' LIMIT 1$q$);
DROP TABLE hi_inv;
-- TRUNCATE, then queries and inserts
SELECT * FROM pg_temp.run(ARRAY[
	$q$CREATE INDEX hi_t ON hi USING @am@ (v)$q$,
	$q$CREATE TABLE hi_tr AS SELECT * FROM hi$q$,
	$q$CREATE INDEX hi_tr_idx ON hi_tr USING @am@ (v)$q$,
	$q$TRUNCATE hi_tr$q$,
	$q$cmp SELECT id FROM hi_tr ORDER BY v <-> '[1,1,1,1]' LIMIT 5$q$,
	$q$INSERT INTO hi_tr SELECT * FROM hi WHERE id % 4 = 1$q$,
	$q$cmp SELECT id FROM hi_tr ORDER BY v <-> '[1,1,1,1]'$q$,
	$q$DROP TABLE hi_tr$q$,
	$q$DROP INDEX hi_t$q$
]);
DROP TABLE hi;
