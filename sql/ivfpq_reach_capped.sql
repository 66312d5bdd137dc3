-- The reach of a filtered scan with capped re-ranking (ivfpq.rerank > 0).
-- Such a scan returns its best re-ranked row after ivfpq.rerank fetches
-- whatever still waits, with worst-case bounds (no calibration): the
-- smallest waiting bound lies far below the rows it returns and cannot stand
-- for the next row's value when the reach is cut (IvfpqReachNeeded).  Cut by
-- it, a filter keeping 5% of gaussian 64-dimension rows stayed at the lists
-- of ivfpq.probes and lost a third of recall@10 (0.430 against 0.635 before
-- the cut); the square-root rule gives a filtered scan the recall of an
-- unfiltered one or more.  The queries are not rows of the table.
SET client_min_messages = warning;
SET jit = off;
SELECT setseed(0.7);
CREATE TABLE gc AS SELECT i AS id,
  (SELECT array_agg(sqrt(-2 * ln(random())) * cos(2 * pi() * random()) ORDER BY j)
   FROM generate_series(1, 64) j WHERE i > 0)::real[]::vector(64) AS v,
  abs(hashint4(i)) % 20 AS g
  FROM generate_series(1, 8000) i;
CREATE INDEX gc_idx ON gc USING ivfpq (v);
CREATE TABLE gcq AS SELECT i AS qid,
  (SELECT array_agg(sqrt(-2 * ln(random())) * cos(2 * pi() * random()) ORDER BY j)
   FROM generate_series(1, 64) j WHERE i > 0)::real[]::vector(64) AS v
  FROM generate_series(1, 20) i;
VACUUM ANALYZE gc;
SET enable_bitmapscan = off;
-- recall@10 of the index scan against a sequential scan, over the queries
CREATE FUNCTION pg_temp.recall(flt text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	q record;
	a int[];
	b int[];
	hit int := 0;
	tot int := 0;
BEGIN
	FOR q IN SELECT v FROM gcq ORDER BY qid LOOP
		PERFORM set_config('enable_seqscan', 'off', true);
		PERFORM set_config('enable_indexscan', 'on', true);
		EXECUTE format('SELECT array(SELECT id FROM gc WHERE %s ORDER BY v <-> $1 LIMIT 10)', flt)
			INTO a USING q.v;
		PERFORM set_config('enable_seqscan', 'on', true);
		PERFORM set_config('enable_indexscan', 'off', true);
		EXECUTE format('SELECT array(SELECT id FROM gc WHERE %s ORDER BY v <-> $1 LIMIT 10)', flt)
			INTO b USING q.v;
		hit := hit + (SELECT count(*) FROM unnest(a) x WHERE x = ANY (b));
		tot := tot + cardinality(b);
	END LOOP;
	PERFORM set_config('enable_seqscan', 'on', true);
	PERFORM set_config('enable_indexscan', 'on', true);
	RETURN hit::float8 / tot;
END $$;
-- the index is used (a generic plan's parameter reads the same on every
-- PostgreSQL version; 17 changed how InitPlan parameters are shown)
SET enable_seqscan = off;
SET plan_cache_mode = force_generic_plan;
PREPARE gc_q(vector) AS SELECT id FROM gc WHERE g = 3 ORDER BY v <-> $1 LIMIT 10;
EXPLAIN (COSTS OFF) EXECUTE gc_q(NULL);
DEALLOCATE gc_q;
RESET plan_cache_mode;
RESET enable_seqscan;
SET ivfpq.rerank = 40;
CREATE TEMP TABLE r AS SELECT pg_temp.recall('g = 3') AS filtered, pg_temp.recall('true') AS unfiltered;
SELECT filtered >= 0.5 AS capped_filtered_recall_at_least_0_5,
       filtered >= unfiltered AS capped_filtered_recall_at_least_unfiltered
FROM r;
RESET ivfpq.rerank;
RESET enable_bitmapscan;
DROP TABLE gc, gcq;
