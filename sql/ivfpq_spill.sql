-- ivfpq: a build whose encoded rows do not fit in maintenance_work_mem sorts
-- them on disk (a NOTICE says so) and gives the same index as a build in memory
SET enable_seqscan = off;

CREATE TABLE spill_t (id int, v vector(4));
-- deterministic rows; 80,000 x (m + 18) bytes exceed 1 MB
INSERT INTO spill_t
	SELECT i, ARRAY[sin(i), cos(i * 0.7), sin(i * 0.13) * 2, cos(i * 0.031)]::vector
	FROM generate_series(1, 80000) i;
CREATE TABLE spill_q AS
	SELECT i AS qid, ARRAY[sin(i * 3.1), cos(i * 1.7), sin(i * 0.5), cos(i * 0.9)]::vector AS v
	FROM generate_series(1, 20) i;
-- every list probed; re-ranking one candidate at a time, so the order is the
-- PQ order and depends on every code and its place in the lists
SET ivfpq.probes = 20;
SET ivfpq.rerank = 1;

-- in memory (no NOTICE); the training sample is the same at 1 MB for 4 dimensions
SET maintenance_work_mem = '64MB';
CREATE INDEX spill_idx ON spill_t USING ivfpq (v vector_l2_ops) WITH (lists = 20);
CREATE TABLE res_mem AS
	SELECT q.qid, ARRAY(SELECT id FROM spill_t ORDER BY v <-> q.v LIMIT 30) AS ids FROM spill_q q;
SELECT pg_relation_size('spill_idx') AS mem_size \gset
DROP INDEX spill_idx;

-- on disk
SET maintenance_work_mem = '1MB';
CREATE INDEX spill_idx ON spill_t USING ivfpq (v vector_l2_ops) WITH (lists = 20);
CREATE TABLE res_disk AS
	SELECT q.qid, ARRAY(SELECT id FROM spill_t ORDER BY v <-> q.v LIMIT 30) AS ids FROM spill_q q;
SELECT pg_relation_size('spill_idx') = :mem_size AS same_size;
SELECT count(*) AS queries, count(*) FILTER (WHERE m.ids = d.ids) AS same_results,
	min(cardinality(d.ids)) AS min_len
FROM res_mem m JOIN res_disk d USING (qid);
SELECT pgvq_index_check('spill_idx', true);
RESET ivfpq.rerank;

-- the index takes inserts afterwards; REINDEX spills again
INSERT INTO spill_t VALUES (0, '[0.25,0.5,0.75,1]');
SELECT id FROM spill_t ORDER BY v <-> '[0.25,0.5,0.75,1]' LIMIT 1;
REINDEX INDEX spill_idx;
SELECT pgvq_index_check('spill_idx', true);

-- cosine opclass too
CREATE INDEX spill_cos ON spill_t USING ivfpq (v vector_cosine_ops) WITH (lists = 10);
SELECT pgvq_index_check('spill_cos', true);

-- a training sample cut by maintenance_work_mem: a NOTICE, and the build goes on
CREATE TABLE cut_t (id int, v vector(64));
INSERT INTO cut_t
	SELECT i, ARRAY(SELECT sin(i * j) FROM generate_series(1, 64) j)::vector
	FROM generate_series(1, 3000) i;
CREATE INDEX cut_idx ON cut_t USING ivfpq (v vector_l2_ops) WITH (lists = 50);
SELECT pgvq_index_check('cut_idx', true);
SELECT id FROM cut_t ORDER BY v <-> (SELECT v FROM cut_t WHERE id = 1234) LIMIT 1;

-- without a lists option, as many of the default lists (4 sqrt(1100) = 132)
-- as training fits in 1 MB with the 256-row sample of 256 dimensions (126),
-- not an error; VACUUM trains an untrained index the same way, and does not
-- retrain it again (the lists it would train are the same)
CREATE TABLE fit_t (id int, v vector(256)) WITH (autovacuum_enabled = off);
CREATE INDEX fit_untrained ON fit_t USING ivfpq (v vector_l2_ops);
INSERT INTO fit_t
	SELECT i, ARRAY(SELECT sin(i * j * 0.01) FROM generate_series(1, 256) j)::vector
	FROM generate_series(1, 1100) i;
CREATE INDEX fit_idx ON fit_t USING ivfpq (v vector_l2_ops);
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('fit_idx');
SELECT pgvq_index_check('fit_idx', true);
SET ivfpq.retrain_min_rows = 1000;
SET client_min_messages = warning;
VACUUM fit_t;
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('fit_untrained');
SELECT pg_relation_size('fit_untrained') AS fit_size \gset
VACUUM fit_t;
SELECT pg_relation_size('fit_untrained') = :fit_size AS not_retrained;
-- 4000 rows ask for 252 lists, twice 126, but training fits 126 again: no
-- retrain on every VACUUM
INSERT INTO fit_t
	SELECT i, ARRAY(SELECT sin(i * j * 0.01) FROM generate_series(1, 256) j)::vector
	FROM generate_series(1101, 4000) i;
SELECT pg_relation_size('fit_untrained') AS fit_size \gset
VACUUM fit_t;
SELECT pg_relation_size('fit_untrained') = :fit_size AS not_retrained, lists, tuples
FROM pgvq_ivfpq_list_stats('fit_untrained');
RESET client_min_messages;
RESET ivfpq.retrain_min_rows;

RESET maintenance_work_mem;
DROP TABLE spill_t, spill_q, res_mem, res_disk, cut_t, fit_t;
