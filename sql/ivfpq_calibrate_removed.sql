-- Rows the prefilter removes are measured for the calibrated bounds (their
-- vector read and their exact value computed) only until the scan has
-- measured IVFPQ_CALIBRATE_ROWS (32) of them.  A row whose share tells
-- nothing does not count in the scan's measurements: against a zero query
-- under inner product no row's does, and without the limit such a scan read
-- the vector of every row it removed (1,353 TOAST blocks here; 78 when no
-- removed row is measured, 110 with the limit).  The vectors are stored out
-- of line, so the TOAST blocks a query reads count the vectors it reads.
SET client_min_messages = warning;
SET jit = off;
SELECT setseed(0.2);
CREATE TABLE tz (id int, g int, v vector(600));
ALTER TABLE tz ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO tz SELECT i, abs(hashint4(i)) % 20,
  (SELECT array_agg(random() - 0.5) FROM generate_series(1, 600) j WHERE i > 0)::real[]::vector(600)
  FROM generate_series(1, 2000) i;
CREATE INDEX tz_ip ON tz USING ivfpq (v vector_ip_ops);
CREATE TABLE zq AS SELECT array_fill(0, ARRAY[600])::vector(600) AS v;
VACUUM ANALYZE tz;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
CREATE FUNCTION pg_temp.toast() RETURNS bigint LANGUAGE sql AS $$
	SELECT pg_stat_clear_snapshot();
	SELECT toast_blks_hit + toast_blks_read FROM pg_statio_user_tables WHERE relname = 'tz'
$$;
-- the index is used, and prefilters g = 3 (keeps 5%) (a generic plan's
-- parameter reads the same on every PostgreSQL version; 17 changed how
-- InitPlan parameters are shown)
SET plan_cache_mode = force_generic_plan;
PREPARE tz_q(vector) AS SELECT id FROM tz WHERE g = 3 ORDER BY v <#> $1 LIMIT 10;
EXPLAIN (COSTS OFF) EXECUTE tz_q(NULL);
DEALLOCATE tz_q;
RESET plan_cache_mode;
SELECT FROM pg_stat_force_next_flush();
CREATE TEMP TABLE t0 AS SELECT pg_temp.toast() AS t;
CREATE TEMP TABLE zero AS
  SELECT count(*) AS n FROM (SELECT id FROM tz WHERE g = 3 ORDER BY v <#> (SELECT v FROM zq) LIMIT 10) s;
SELECT FROM pg_stat_force_next_flush();
-- 10 rows; the vectors read: those of the rows that pass (re-ranked, about
-- 40) and of at most 32 rows removed, one TOAST block or two each
SELECT n, pg_temp.toast() - t < 150 AS removed_rows_read_few FROM zero, t0;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP TABLE tz, zq;
