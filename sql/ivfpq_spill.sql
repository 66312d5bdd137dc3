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

RESET maintenance_work_mem;
DROP TABLE spill_t, spill_q, res_mem, res_disk, cut_t;
