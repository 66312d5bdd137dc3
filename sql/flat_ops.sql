-- flat index: every opclass returns exactly what a sequential scan returns
SET client_min_messages = warning;
SELECT setseed(0.42);

CREATE TABLE flat_t (id int PRIMARY KEY, v vector(8));
INSERT INTO flat_t
	SELECT i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(1, 400) i;
CREATE TABLE flat_q (qid int, v vector(8));
INSERT INTO flat_q
	SELECT i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(1, 8) i;

-- ids of the k nearest rows by operator op, with the plan the current settings give
CREATE FUNCTION flat_knn(q vector, op text, k int) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
	r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM flat_t ORDER BY v %s $1 LIMIT %s) s',
				   op, k) INTO r USING q;
	RETURN r;
END $$;

-- the same, filtered: WHERE id % 10 = 0
CREATE FUNCTION flat_knn_filtered(q vector, op text, k int) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
	r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM flat_t WHERE id %% 10 = 0 ORDER BY v %s $1 LIMIT %s) s',
				   op, k) INTO r USING q;
	RETURN r;
END $$;

CREATE TABLE flat_ops (op text, opclass text);
INSERT INTO flat_ops VALUES ('<->', 'vector_l2_ops'), ('<#>', 'vector_ip_ops'),
	('<=>', 'vector_cosine_ops'), ('<+>', 'vector_l1_ops');

CREATE INDEX flat_t_l2 ON flat_t USING flat (v vector_l2_ops);
CREATE INDEX flat_t_ip ON flat_t USING flat (v vector_ip_ops);
CREATE INDEX flat_t_cos ON flat_t USING flat (v vector_cosine_ops);
CREATE INDEX flat_t_l1 ON flat_t USING flat (v vector_l1_ops);

-- the planner picks the index for ORDER BY distance LIMIT, even with seqscan allowed
EXPLAIN (COSTS OFF) SELECT id FROM flat_t ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM flat_t ORDER BY v <#> '[0,0,0,0,0,0,0,0]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM flat_t ORDER BY v <=> '[1,0,0,0,0,0,0,0]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM flat_t ORDER BY v <+> '[0,0,0,0,0,0,0,0]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM flat_t WHERE id % 10 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
-- and not without the ordering operator
EXPLAIN (COSTS OFF) SELECT id FROM flat_t WHERE id < 5;
EXPLAIN (COSTS OFF) SELECT id FROM flat_t ORDER BY v LIMIT 5;

-- index answers (seqscan off), then sequential answers (index scans off)
SET enable_seqscan = off;
CREATE TABLE by_index AS
	SELECT o.op, q.qid, flat_knn(q.v, o.op, 10) AS top10, flat_knn(q.v, o.op, 1000) AS everything,
		flat_knn_filtered(q.v, o.op, 10) AS filtered
	FROM flat_ops o, flat_q q;
SET pgvq.flat_batch_size = 3;	-- many passes: every one must resume exactly
CREATE TABLE by_index_small AS
	SELECT o.op, q.qid, flat_knn(q.v, o.op, 10) AS top10, flat_knn(q.v, o.op, 1000) AS everything,
		flat_knn_filtered(q.v, o.op, 10) AS filtered
	FROM flat_ops o, flat_q q;
RESET pgvq.flat_batch_size;
RESET enable_seqscan;
SET enable_indexscan = off;
CREATE TABLE by_seq AS
	SELECT o.op, q.qid, flat_knn(q.v, o.op, 10) AS top10, flat_knn(q.v, o.op, 1000) AS everything,
		flat_knn_filtered(q.v, o.op, 10) AS filtered
	FROM flat_ops o, flat_q q;
RESET enable_indexscan;

-- sizes are right, and both ways agree (EXCEPT both directions)
SELECT op, min(cardinality(top10)) AS k, min(cardinality(everything)) AS n,
	min(cardinality(filtered)) AS kf, bool_and(filtered::text ~ '^\{[0-9]*0(,[0-9]*0)*\}$') AS only_filtered
	FROM by_index GROUP BY op ORDER BY op;
SELECT count(*) AS index_not_seq FROM (SELECT * FROM by_index EXCEPT SELECT * FROM by_seq) s;
SELECT count(*) AS seq_not_index FROM (SELECT * FROM by_seq EXCEPT SELECT * FROM by_index) s;
SELECT count(*) AS small_batch_differs FROM (SELECT * FROM by_index_small EXCEPT SELECT * FROM by_seq) s;

-- the nearest rows and their distances
SET enable_seqscan = off;
SELECT id, round((v <-> '[0.5,0,0,0,0,0,0,0]')::numeric, 5) AS d
	FROM flat_t ORDER BY v <-> '[0.5,0,0,0,0,0,0,0]' LIMIT 3;
SELECT id, round((v <+> '[0.5,0,0,0,0,0,0,0]')::numeric, 5) AS d
	FROM flat_t ORDER BY v <+> '[0.5,0,0,0,0,0,0,0]' LIMIT 3;
RESET enable_seqscan;

DROP TABLE by_index, by_index_small, by_seq, flat_ops;
DROP FUNCTION flat_knn(vector, text, int), flat_knn_filtered(vector, text, int);
DROP TABLE flat_t, flat_q;
