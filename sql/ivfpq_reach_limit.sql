-- How far a filtered scan reaches, and how it bounds the rows of a filter
-- that keeps few.  80 clusters of 64-dimension rows, 8,000 rows, a filter
-- column independent of the clusters (g keeps 5% at g = 3).  The scan's own
-- rows show that the lists past ivfpq.probes cannot hold a nearer row than
-- the tenth that passes (IvfpqReachNeeded): it stays at the lists of the
-- probes where the square-root rule alone reached 2 to 4 times as many; and
-- the rows the prefilter removes are measured for the calibrated bounds
-- until the scan has 32 (only 10 of the rows it fetches pass).
SET client_min_messages = warning;
SET jit = off;
SELECT setseed(0.3);
CREATE TABLE cl AS
  SELECT i AS id, array_agg(cen.v[j] + (random() * 2 - 1) ORDER BY j)::real[]::vector(64) AS v
  FROM generate_series(1, 8000) i
  JOIN (SELECT c, array_agg((random() * 20 - 10) ORDER BY j) AS v
        FROM generate_series(0, 79) c, generate_series(1, 64) j GROUP BY c) cen ON cen.c = i % 80
  CROSS JOIN generate_series(1, 64) j
  GROUP BY i;
ALTER TABLE cl ADD COLUMN g int, ADD COLUMN c int;
UPDATE cl SET g = abs(hashint4(id)) % 20, c = id % 80;
CREATE INDEX cl_idx ON cl USING ivfpq (v);
-- the queries: 8 of the rows, in their own table (cl's block counts are the scans')
CREATE TABLE clq AS SELECT id, v FROM cl WHERE id % 797 = 0 ORDER BY id LIMIT 8;
VACUUM ANALYZE cl;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- the answers of the 8 queries under a filter, each in the order returned
CREATE FUNCTION pg_temp.answers(flt text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	out text[];
BEGIN
	EXECUTE format('SELECT array_agg(array(SELECT id FROM cl WHERE %s ORDER BY v <-> q.v LIMIT 10)::text ORDER BY q.id) FROM clq q', flt)
		INTO out;
	RETURN out;
END $$;
-- heap and index blocks the queries read, as the statistics count them:
-- flushed when the backend goes idle, so the counters are read in a
-- statement after the one that ran the queries (runs: the counters before,
-- then the difference)
CREATE TEMP TABLE runs (mode text, flt text, answers text[], heap bigint, idx bigint);
CREATE FUNCTION pg_temp.counters(OUT heap bigint, OUT idx bigint) LANGUAGE sql AS $$
	SELECT pg_stat_clear_snapshot();
	SELECT t.heap_blks_hit + t.heap_blks_read, i.idx_blks_hit + i.idx_blks_read
	FROM pg_statio_user_tables t, pg_statio_user_indexes i
	WHERE t.relname = 'cl' AND i.indexrelname = 'cl_idx'
$$;
SELECT FROM pg_stat_force_next_flush();
SET ivfpq.exact_bounds = on;
INSERT INTO runs SELECT 'exact', 'g = 3', pg_temp.answers('g = 3'), c.heap, c.idx FROM pg_temp.counters() c;
SELECT FROM pg_stat_force_next_flush();
SET ivfpq.exact_bounds = off;
INSERT INTO runs SELECT 'calibrated', 'g = 3', pg_temp.answers('g = 3'), c.heap, c.idx FROM pg_temp.counters() c;
SELECT FROM pg_stat_force_next_flush();
INSERT INTO runs SELECT 'calibrated', 'true', pg_temp.answers('true'), c.heap, c.idx FROM pg_temp.counters() c;
SELECT FROM pg_stat_force_next_flush();
-- each run's blocks: the counters of the next run (or of now) less its own
CREATE TEMP TABLE blocks AS
	SELECT mode, flt, answers,
	       coalesce(lead(heap) OVER w, (SELECT heap FROM pg_temp.counters())) - heap AS heap,
	       coalesce(lead(idx) OVER w, (SELECT idx FROM pg_temp.counters())) - idx AS idx
	FROM runs WINDOW w AS (ORDER BY heap);
-- the same rows either way; calibrated bounds (measured on removed rows)
-- fetch fewer rows than the worst case, which a scan with only 10 rows
-- passing kept before
SELECT e.answers = c.answers AS same_rows, c.heap < 0.9 * e.heap AS calibrated_reads_fewer_heap_blocks
FROM blocks e, blocks c WHERE e.mode = 'exact' AND c.mode = 'calibrated' AND c.flt = 'g = 3';
-- the filtered scans read about the index blocks of the unfiltered ones
SELECT f.idx <= 1.3 * u.idx AS filtered_reads_about_the_same_lists
FROM blocks f, blocks u WHERE f.mode = 'calibrated' AND f.flt = 'g = 3' AND u.mode = 'calibrated' AND u.flt = 'true';
-- and find the rows a sequential scan finds (recall@10 over the 8 queries)
SET enable_indexscan = off;
SET enable_seqscan = on;
CREATE TEMP TABLE seq AS SELECT pg_temp.answers('g = 3') AS a;
RESET enable_indexscan;
SELECT sum((SELECT count(*) FROM unnest(c.answers[k]::int[]) x WHERE x = ANY (s.a[k]::int[])))::float8 / 80 >= 0.95
       AS recall_at_least_0_95
FROM blocks c, seq s, generate_series(1, 8) k WHERE c.mode = 'calibrated' AND c.flt = 'g = 3';
-- a filter keeping 10 of the 80 clusters, not the query's (row 797, of
-- cluster 77) nor, as it happens, those of the first 30 lists: the prefilter
-- applies it (int4eq is leakproof), the rows that pass lie in lists farther
-- out, and the scan reaches them (60 lists here) and returns a sequential
-- scan's rows in its order
SET enable_indexscan = off;
SET enable_seqscan = on;
CREATE TEMP TABLE far_seq AS SELECT array(SELECT id FROM cl WHERE c IN (0, 8, 16, 24, 32, 40, 48, 56, 64, 72)
	ORDER BY v <-> (SELECT v FROM clq ORDER BY id LIMIT 1) LIMIT 10) AS a;
RESET enable_indexscan;
SET enable_seqscan = off;
SELECT a = array(SELECT id FROM cl WHERE c IN (0, 8, 16, 24, 32, 40, 48, 56, 64, 72)
	ORDER BY v <-> (SELECT v FROM clq ORDER BY id LIMIT 1) LIMIT 10) AS far_rows_in_order
FROM far_seq;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP TABLE cl, clq;
