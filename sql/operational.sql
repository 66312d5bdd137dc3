-- Operational hardening (issue 9): exact float8 order under cosine in flat
-- and ivfpq, cosine rows with huge elements indexed, idx_scan counted once a
-- scan, reltuples true after a VACUUM of several index passes, the bound on m.
-- Exact order under cosine: float8 distances, not float4 (issue 9, defect 6)
-- Scaled copies of one direction: their cosine distances to a query differ
-- only past float4's precision.
SET client_min_messages = warning;
CREATE TABLE scaled (id int, v vector(3));
INSERT INTO scaled
SELECT i, ARRAY[0.3 * i * 1.37, 0.5 * i * 1.37, 0.7 * i * 1.37]::vector
FROM generate_series(1, 2000) i;
-- the seq scan's order, as a baseline
SET enable_indexscan = off;
SET enable_bitmapscan = off;
CREATE TEMP TABLE seq AS
SELECT row_number() OVER () AS rn, d FROM
  (SELECT v <=> '[0.2,0.9,0.1]' AS d FROM scaled ORDER BY v <=> '[0.2,0.9,0.1]' LIMIT 20) s;
RESET enable_indexscan;
RESET enable_bitmapscan;
SELECT count(DISTINCT d) > 1 AS distances_differ, count(DISTINCT d::float4) < count(DISTINCT d) AS float4_collapses FROM seq;
SET enable_seqscan = off;
CREATE INDEX scaled_ivfpq ON scaled USING ivfpq (v vector_cosine_ops) WITH (lists = 1);
SET ivfpq.rerank = 100000;
EXPLAIN (COSTS OFF) SELECT v <=> '[0.2,0.9,0.1]' FROM scaled ORDER BY v <=> '[0.2,0.9,0.1]' LIMIT 3;
CREATE TEMP TABLE idx AS
SELECT row_number() OVER () AS rn, d FROM
  (SELECT v <=> '[0.2,0.9,0.1]' AS d FROM scaled ORDER BY v <=> '[0.2,0.9,0.1]' LIMIT 20) s;
SELECT count(*) AS ivfpq_places_differing FROM seq JOIN idx USING (rn) WHERE seq.d <> idx.d;
DROP INDEX scaled_ivfpq;
CREATE INDEX scaled_flat ON scaled USING flat (v vector_cosine_ops);
TRUNCATE idx;
INSERT INTO idx
SELECT row_number() OVER () AS rn, d FROM
  (SELECT v <=> '[0.2,0.9,0.1]' AS d FROM scaled ORDER BY v <=> '[0.2,0.9,0.1]' LIMIT 20) s;
SELECT count(*) AS flat_places_differing FROM seq JOIN idx USING (rn) WHERE seq.d <> idx.d;
EXPLAIN (COSTS OFF) SELECT v <=> '[0.2,0.9,0.1]' FROM scaled ORDER BY v <=> '[0.2,0.9,0.1]' LIMIT 3;
SET pgvq.flat_batch_size = 2;
SELECT count(*) AS flat_small_batches_differing FROM seq JOIN
  (SELECT row_number() OVER () AS rn, d FROM
    (SELECT v <=> '[0.2,0.9,0.1]' AS d FROM scaled ORDER BY v <=> '[0.2,0.9,0.1]' LIMIT 20) s) i USING (rn)
WHERE seq.d <> i.d;
RESET pgvq.flat_batch_size;
RESET ivfpq.rerank;
RESET enable_seqscan;
DROP TABLE scaled;

-- Cosine rows whose float4 sum of squares overflows are indexed (defect 7)
CREATE TABLE huge (id int, v vector(4));
INSERT INTO huge SELECT i, ARRAY[1e20 * (1 + i % 7), 2e19 * (i % 13), -3e19, 1e20]::vector
FROM generate_series(1, 500) i;
INSERT INTO huge SELECT i, ARRAY[(i % 5) + 1, i % 3, 1, -2]::vector FROM generate_series(501, 1000) i;
CREATE INDEX huge_ivfpq ON huge USING ivfpq (v vector_cosine_ops) WITH (lists = 4);
SET enable_seqscan = off;
SET ivfpq.probes = 4;
SELECT count(*) AS rows_via_ivfpq FROM (SELECT id FROM huge ORDER BY v <=> '[1,1,1,1]' LIMIT 5000) s;
SELECT count(*) AS huge_rows_via_ivfpq FROM (SELECT id FROM huge ORDER BY v <=> '[1e20,1e20,1e20,1e20]' LIMIT 5000) s WHERE id <= 500;
RESET ivfpq.probes;
RESET enable_seqscan;
SELECT count(*) AS rows_via_seqscan FROM (SELECT id FROM huge ORDER BY v <=> '[1,1,1,1]' LIMIT 5000) s;
DROP TABLE huge;

-- idx_scan counts ivfpq and flat scans, once per scan (defect 2)
CREATE TABLE st (id int, v vector(2));
INSERT INTO st SELECT i, ARRAY[i % 100, i % 37]::vector FROM generate_series(1, 1000) i;
CREATE TABLE st2 (LIKE st);
INSERT INTO st2 SELECT * FROM st;
CREATE INDEX st_ivfpq ON st USING ivfpq (v vector_l2_ops) WITH (lists = 2);
CREATE INDEX st2_flat ON st2 USING flat (v vector_l2_ops);
SET enable_seqscan = off;
SELECT id FROM st ORDER BY v <-> '[1,1]' LIMIT 1;
SELECT id FROM st ORDER BY v <-> '[2,1]' LIMIT 1;
-- three passes over the flat index (batches of 2, 4, 8): one scan
SET pgvq.flat_batch_size = 2;
SELECT count(*) FROM (SELECT id FROM st2 ORDER BY v <-> '[1,1]' LIMIT 10) s;
RESET pgvq.flat_batch_size;
RESET enable_seqscan;
SELECT pg_stat_force_next_flush();
SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE relname IN ('st', 'st2') ORDER BY 1;
DROP TABLE st, st2;

-- VACUUM with several index passes keeps reltuples true (defect 3)
SET maintenance_work_mem = '1MB';
CREATE TABLE vt (id int, v vector(2)) WITH (autovacuum_enabled = off);
INSERT INTO vt SELECT i, ARRAY[i % 100, i % 37]::vector FROM generate_series(1, 400000) i;
CREATE INDEX vt_ivfpq ON vt USING ivfpq (v vector_l2_ops) WITH (lists = 4);
CREATE INDEX vt_flat ON vt USING flat (v vector_l2_ops);
DELETE FROM vt WHERE id % 2 = 0;
VACUUM vt;
SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relname IN ('vt', 'vt_ivfpq', 'vt_flat') ORDER BY 1;
RESET maintenance_work_mem;
DROP TABLE vt;

-- m: 905 is the largest (IVFPQ_MAX_CODE_M, the bound before 12-byte slots)
CREATE TABLE mm (v vector(905));
INSERT INTO mm SELECT array_fill(1.0::real, ARRAY[905])::vector FROM generate_series(1, 3);
CREATE INDEX mm_ok ON mm USING ivfpq (v) WITH (lists = 1, m = 905);
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('mm_ok');
DROP TABLE mm;
CREATE TABLE mm (v vector(906));
INSERT INTO mm SELECT array_fill(1.0::real, ARRAY[906])::vector FROM generate_series(1, 3);
CREATE INDEX mm_big ON mm USING ivfpq (v) WITH (lists = 1, m = 906);
DROP TABLE mm;
