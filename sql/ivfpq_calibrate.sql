-- Calibrated bounds (ivfpq.exact_bounds = off, the default): on uniform random
-- 256-dimension rows every distance is about the same, the worst-case bounds
-- prove nothing, and an exact-bounds scan fetches nearly every row of the
-- lists it reaches; once a scan has measured 32 rows it bounds the others by
-- the share of the worst case it measured, fetches a fraction of them and
-- returns the same rows.
SET client_min_messages = warning;
SET jit = off;
CREATE TABLE cb (id int, f int, v vector(256));
INSERT INTO cb SELECT i, i % 10,
  (SELECT array_agg(sin(i * 12.9898 + j * 78.233) * 43758.5453 - floor(sin(i * 12.9898 + j * 78.233) * 43758.5453))
   FROM generate_series(1, 256) j)::vector
FROM generate_series(1, 10000) i;
CREATE INDEX cb_idx ON cb USING ivfpq (v);
-- the queries: 8 of the rows, in their own table (cb's block counts are the scans')
CREATE TABLE cbq AS SELECT id, v FROM cb WHERE id % 997 = 0 AND id <= 8 * 997;
VACUUM ANALYZE cb;
SHOW ivfpq.exact_bounds;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- the same rows, unfiltered and with a filter keeping 10%, for 8 queries
CREATE FUNCTION pg_temp.answers(flt text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	out text[] := '{}';
	ids int[];
BEGIN
	FOR q IN 1..8 LOOP
		EXECUTE format('SELECT array(SELECT id FROM cb WHERE %s ORDER BY v <-> (SELECT v FROM cbq WHERE id = %s) LIMIT 10)',
					   flt, q * 997) INTO ids;
		out := out || ids::text;
	END LOOP;
	RETURN out;
END $$;
-- heap blocks the queries read (the scan's fetches), as the statistics count
-- them: flushed when the backend goes idle, so each step is its own statement
CREATE TEMP TABLE runs (mode text, flt text, answers text[], blocks bigint);
CREATE FUNCTION pg_temp.heap_blocks() RETURNS bigint LANGUAGE sql AS $$
	SELECT pg_stat_clear_snapshot();
	SELECT heap_blks_hit + heap_blks_read FROM pg_statio_user_tables WHERE relname = 'cb'
$$;
CREATE FUNCTION pg_temp.run(m text, f text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO runs VALUES (m, f, NULL, -pg_temp.heap_blocks());
	UPDATE runs SET answers = pg_temp.answers(f) WHERE mode = m AND flt = f;
	PERFORM pg_stat_force_next_flush();
END $$;
CREATE FUNCTION pg_temp.finish() RETURNS void LANGUAGE sql AS $$
	UPDATE runs SET blocks = blocks + pg_temp.heap_blocks() WHERE blocks < 0
$$;
SELECT FROM pg_stat_force_next_flush();
SET ivfpq.exact_bounds = on;
SELECT FROM pg_temp.run('exact', 'true');
SELECT FROM pg_temp.finish();
SELECT FROM pg_temp.run('exact', 'f = 3');
SELECT FROM pg_temp.finish();
SET ivfpq.exact_bounds = off;
SELECT FROM pg_temp.run('calibrated', 'true');
SELECT FROM pg_temp.finish();
SELECT FROM pg_temp.run('calibrated', 'f = 3');
SELECT FROM pg_temp.finish();
SELECT e.flt, e.answers = c.answers AS same_rows,
       e.blocks > 1.5 * c.blocks AS exact_reads_over_1_5x_more
FROM runs e JOIN runs c ON c.flt = e.flt AND c.mode = 'calibrated' WHERE e.mode = 'exact' ORDER BY e.flt;
-- a full ordered scan still returns every row once
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM cb ORDER BY v <-> (SELECT v FROM cb WHERE id = 5)) s;
-- the setting is read when a scan starts: a cursor opened with exact bounds
-- keeps them (bounds at 1 of the worst case) when it changes between fetches
SET ivfpq.exact_bounds = on;
SET ivfpq.probes = 400;   -- every list (4 sqrt(10000))
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM cb ORDER BY v <-> (SELECT v FROM cbq WHERE id = 997);
MOVE 5 IN c;
SET ivfpq.exact_bounds = off;
MOVE ALL IN c;
SET client_min_messages = debug1;
CLOSE c;
SET client_min_messages = warning;
COMMIT;
RESET ivfpq.probes;
DROP TABLE cb, cbq;
-- coarse codes keep the worst case: low-rank rows beside noisy ones (96
-- dimensions, rank 2), m = 3 (32 dimensions a byte); the first rows a scan
-- re-ranks are noisy ones whose shares run low, and with calibrated bounds a
-- nearer low-rank row came back late (review7)
SELECT setseed(0.7);
CREATE TABLE lr AS
  SELECT i AS id, array_agg(a * b1 + c * b2 + CASE WHEN i % 2 = 0 THEN 0.001 ELSE 0.5 END * (random() * 2 - 1) ORDER BY j)::real[]::vector(96) AS v
  FROM (SELECT i, random() * 2 - 1 AS a, random() * 2 - 1 AS c FROM generate_series(1, 2000) i) r,
       (SELECT j, random() * 2 - 1 AS b1, random() * 2 - 1 AS b2 FROM generate_series(1, 96) j) s
  GROUP BY i;
CREATE INDEX ON lr USING ivfpq (v vector_l2_ops) WITH (lists = 4, m = 3, nbits = 8);
SET ivfpq.probes = 4;
CREATE FUNCTION pg_temp.lr_answers() RETURNS text LANGUAGE sql AS $$
	SELECT string_agg((SELECT array_agg(id)::text FROM (SELECT id FROM lr ORDER BY v <-> (SELECT v FROM lr WHERE id = q) LIMIT 10) s), ' ')
	FROM generate_series(1, 2000, 67) q
$$;
SET ivfpq.exact_bounds = on;
CREATE TEMP TABLE lr_exact AS SELECT pg_temp.lr_answers() AS a;
RESET ivfpq.exact_bounds;
SELECT a = pg_temp.lr_answers() AS same_rows_in_order FROM lr_exact;
DROP TABLE lr;
