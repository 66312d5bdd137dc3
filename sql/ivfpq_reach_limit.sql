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
ALTER TABLE cl ADD COLUMN g int;
UPDATE cl SET g = abs(hashint4(id)) % 20;
CREATE INDEX cl_idx ON cl USING ivfpq (v);
-- the queries: 8 of the rows, in their own table (cl's block counts are the scans')
CREATE TABLE clq AS SELECT id, v FROM cl WHERE id % 797 = 0 ORDER BY id LIMIT 8;
VACUUM ANALYZE cl;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
CREATE FUNCTION pg_temp.answers(flt text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	out text[] := '{}';
	ids int[];
	q record;
BEGIN
	FOR q IN SELECT v FROM clq ORDER BY id LOOP
		EXECUTE format('SELECT array(SELECT id FROM cl WHERE %s ORDER BY v <-> $1 LIMIT 10)', flt)
			INTO ids USING q.v;
		out := out || ids::text;
	END LOOP;
	RETURN out;
END $$;
-- heap and index blocks the queries read, as the statistics count them:
-- flushed when the backend goes idle, so each step is its own statement
CREATE TEMP TABLE runs (mode text, flt text, answers text[], heap bigint, idx bigint);
CREATE FUNCTION pg_temp.blocks(OUT heap bigint, OUT idx bigint) LANGUAGE sql AS $$
	SELECT pg_stat_clear_snapshot();
	SELECT t.heap_blks_hit + t.heap_blks_read, i.idx_blks_hit + i.idx_blks_read
	FROM pg_statio_user_tables t, pg_statio_user_indexes i
	WHERE t.relname = 'cl' AND i.indexrelname = 'cl_idx'
$$;
CREATE FUNCTION pg_temp.run(m text, f text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO runs SELECT m, f, NULL, -b.heap, -b.idx FROM pg_temp.blocks() b;
	UPDATE runs SET answers = pg_temp.answers(f) WHERE mode = m AND flt = f;
	PERFORM pg_stat_force_next_flush();
END $$;
CREATE FUNCTION pg_temp.finish() RETURNS void LANGUAGE sql AS $$
	UPDATE runs r SET heap = r.heap + b.heap, idx = r.idx + b.idx FROM pg_temp.blocks() b WHERE r.heap < 0
$$;
SELECT FROM pg_stat_force_next_flush();
SET ivfpq.exact_bounds = on;
SELECT FROM pg_temp.run('exact', 'g = 3');
SELECT FROM pg_temp.finish();
SET ivfpq.exact_bounds = off;
SELECT FROM pg_temp.run('calibrated', 'g = 3');
SELECT FROM pg_temp.finish();
SELECT FROM pg_temp.run('calibrated', 'true');
SELECT FROM pg_temp.finish();
-- the same rows either way; calibrated bounds (measured on removed rows)
-- fetch fewer rows than the worst case, which a scan with only 10 rows
-- passing kept before
SELECT e.answers = c.answers AS same_rows, c.heap < 0.9 * e.heap AS calibrated_reads_fewer_heap_blocks
FROM runs e, runs c WHERE e.mode = 'exact' AND c.mode = 'calibrated' AND c.flt = 'g = 3';
-- the filtered scans read about the index blocks of the unfiltered ones
SELECT f.idx <= 1.3 * u.idx AS filtered_reads_about_the_same_lists
FROM runs f, runs u WHERE f.mode = 'calibrated' AND f.flt = 'g = 3' AND u.mode = 'calibrated' AND u.flt = 'true';
-- and find the rows a sequential scan finds (recall@10 over the 8 queries)
SET enable_indexscan = off;
SET enable_seqscan = on;
CREATE TEMP TABLE seq AS SELECT pg_temp.answers('g = 3') AS a;
RESET enable_indexscan;
SELECT sum((SELECT count(*) FROM unnest(c.answers[k]::int[]) x WHERE x = ANY (s.a[k]::int[])))::float8 / 80 >= 0.95
       AS recall_at_least_0_95
FROM runs c, seq s, generate_series(1, 8) k WHERE c.mode = 'calibrated' AND c.flt = 'g = 3';
-- a filter that removes the query's own cluster: the rows that pass lie in
-- lists farther out, and the scan reaches them, in a sequential scan's order
SET enable_indexscan = off;
SET enable_seqscan = on;
CREATE TEMP TABLE far_seq AS SELECT array(SELECT id FROM cl WHERE (id - 797) % 80 <> 0
	ORDER BY v <-> (SELECT v FROM clq ORDER BY id LIMIT 1) LIMIT 10) AS a;
RESET enable_indexscan;
SET enable_seqscan = off;
SELECT a = array(SELECT id FROM cl WHERE (id - 797) % 80 <> 0
	ORDER BY v <-> (SELECT v FROM clq ORDER BY id LIMIT 1) LIMIT 10) AS far_rows_in_order
FROM far_seq;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP TABLE cl, clq;
