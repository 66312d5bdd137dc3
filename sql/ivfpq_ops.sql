-- ivfpq: with every list probed and a large enough re-rank pool, each opclass
-- returns exactly what a sequential scan returns
SET client_min_messages = warning;
SELECT setseed(0.17);

CREATE TABLE ivfpq_t (id int PRIMARY KEY, v vector(8));
INSERT INTO ivfpq_t
	SELECT i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(1, 600) i;
INSERT INTO ivfpq_t VALUES (601, NULL), (602, '[0,0,0,0,0,0,0,0]');
CREATE TABLE ivfpq_q (qid int, v vector(8));
INSERT INTO ivfpq_q
	SELECT i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(1, 10) i;

CREATE FUNCTION ivfpq_knn(q vector, op text, k int, filtered bool DEFAULT false)
RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
	r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ivfpq_t %s ORDER BY v %s $1 LIMIT %s) s',
				   CASE WHEN filtered THEN 'WHERE id % 10 = 3' ELSE '' END, op, k) INTO r USING q;
	RETURN r;
END $$;

CREATE TABLE ivfpq_ops (op text, opclass text);
INSERT INTO ivfpq_ops VALUES ('<->', 'vector_l2_ops'), ('<#>', 'vector_ip_ops'),
	('<=>', 'vector_cosine_ops');

-- answers of a sequential scan
SET enable_indexscan = off;
SET enable_bitmapscan = off;
CREATE TABLE ivfpq_seq AS
	SELECT o.op, q.qid, ivfpq_knn(q.v, o.op, 10) AS top10,
		ivfpq_knn(q.v, o.op, 10, true) AS filtered
	FROM ivfpq_ops o, ivfpq_q q;
RESET enable_indexscan;
RESET enable_bitmapscan;

-- lists = 1: one list, rerank covers every row: exact
CREATE INDEX ivfpq_t_l2 ON ivfpq_t USING ivfpq (v vector_l2_ops) WITH (lists = 1, m = 4);
CREATE INDEX ivfpq_t_ip ON ivfpq_t USING ivfpq (v vector_ip_ops) WITH (lists = 1, m = 4);
CREATE INDEX ivfpq_t_cos ON ivfpq_t USING ivfpq (v vector_cosine_ops) WITH (lists = 1, m = 4);

SET enable_seqscan = off;
SET ivfpq.rerank = 1000;
EXPLAIN (COSTS OFF) SELECT id FROM ivfpq_t ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM ivfpq_t ORDER BY v <#> '[0,0,0,0,0,0,0,0]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM ivfpq_t ORDER BY v <=> '[1,0,0,0,0,0,0,0]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM ivfpq_t WHERE id % 10 = 3 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
-- not without an ORDER BY distance
EXPLAIN (COSTS OFF) SELECT id FROM ivfpq_t WHERE id < 5;

CREATE TABLE ivfpq_idx1 AS
	SELECT o.op, q.qid, ivfpq_knn(q.v, o.op, 10) AS top10,
		ivfpq_knn(q.v, o.op, 10, true) AS filtered
	FROM ivfpq_ops o, ivfpq_q q;
SELECT op, min(cardinality(top10)) AS k, min(cardinality(filtered)) AS kf
	FROM ivfpq_idx1 GROUP BY op ORDER BY op;
SELECT count(*) AS lists1_differs FROM (SELECT * FROM ivfpq_idx1 EXCEPT SELECT * FROM ivfpq_seq) s;

-- the distances the index reports are the operator's
SELECT id, round((v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]')::numeric, 4) AS d
	FROM ivfpq_t ORDER BY v <-> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 3;
SELECT id, round((v <#> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]')::numeric, 4) AS d
	FROM ivfpq_t ORDER BY v <#> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 3;
SELECT id, round((v <=> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]')::numeric, 4) AS d
	FROM ivfpq_t ORDER BY v <=> '[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]' LIMIT 3;

-- many lists, all probed: still exact
DROP INDEX ivfpq_t_l2, ivfpq_t_ip, ivfpq_t_cos;
CREATE INDEX ivfpq_t_l2 ON ivfpq_t USING ivfpq (v vector_l2_ops) WITH (lists = 8, m = 2, nbits = 6);
CREATE INDEX ivfpq_t_ip ON ivfpq_t USING ivfpq (v vector_ip_ops) WITH (lists = 8, m = 8, nbits = 4);
CREATE INDEX ivfpq_t_cos ON ivfpq_t USING ivfpq (v vector_cosine_ops) WITH (lists = 8);
SET ivfpq.probes = 8;
CREATE TABLE ivfpq_idx8 AS
	SELECT o.op, q.qid, ivfpq_knn(q.v, o.op, 10) AS top10,
		ivfpq_knn(q.v, o.op, 10, true) AS filtered
	FROM ivfpq_ops o, ivfpq_q q;
SELECT count(*) AS lists8_differs FROM (SELECT * FROM ivfpq_idx8 EXCEPT SELECT * FROM ivfpq_seq) s;

-- few probes, small pool: approximate, but a filter keeping 10% of the rows
-- still fills its LIMIT (the scan takes more batches and more lists)
SET ivfpq.probes = 1;
SET ivfpq.rerank = 5;
SELECT o.op, min(cardinality(ivfpq_knn(q.v, o.op, 10, true))) AS kf,
	min(cardinality(ivfpq_knn(q.v, o.op, 50))) AS k50
	FROM ivfpq_ops o, ivfpq_q q GROUP BY o.op ORDER BY o.op;
-- every row comes back exactly once from an unbounded scan (NULL and the zero
-- vector under cosine are not indexed)
SELECT o.op, cardinality(a) AS n, (SELECT count(DISTINCT x) FROM unnest(a) x) AS distinct_ids
	FROM ivfpq_ops o, LATERAL (SELECT ivfpq_knn('[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]', o.op, 10000) AS a) s
	ORDER BY o.op;
-- ivfpq.max_probes bounds the lists a scan visits
SET ivfpq.max_probes = 2;
SELECT cardinality(ivfpq_knn('[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]', '<->', 10000)) < 600 AS bounded;
RESET ivfpq.max_probes;
RESET ivfpq.probes;
RESET ivfpq.rerank;

-- the opclasses
SELECT opcname, opcdefault FROM pg_opclass
	WHERE opcmethod = (SELECT oid FROM pg_am WHERE amname = 'ivfpq') ORDER BY opcname;
SELECT amvalidate(oid) FROM pg_opclass
	WHERE opcmethod = (SELECT oid FROM pg_am WHERE amname = 'ivfpq') ORDER BY opcname;

DROP TABLE ivfpq_t, ivfpq_q, ivfpq_ops, ivfpq_seq, ivfpq_idx1, ivfpq_idx8;
DROP FUNCTION ivfpq_knn;

-- one list over many pages (64 dimensions, m = 64: 107 entries a page) is
-- scanned in batches of two pages (ivfpq_reach.c): a full ordered scan
-- returns every row once, in the distances of a sequential scan
CREATE TABLE ivfpq_mp AS
	SELECT i AS id, ARRAY(SELECT sin(i * 7 + j)::real FROM generate_series(1, 64) j)::vector(64) AS v
	FROM generate_series(1, 1000) i;
CREATE INDEX ivfpq_mp_idx ON ivfpq_mp USING ivfpq (v) WITH (lists = 1, m = 64);
SELECT pages > 5 AS many_pages FROM pgvq_ivfpq_lists('ivfpq_mp_idx');
SET enable_seqscan = off;
SET ivfpq.exact_bounds = on;
CREATE TEMP TABLE ivfpq_mp_ix AS
	SELECT row_number() OVER () AS r, id, d FROM (
		SELECT id, (v <-> (SELECT v FROM ivfpq_mp WHERE id = 1)) AS d FROM ivfpq_mp
		ORDER BY v <-> (SELECT v FROM ivfpq_mp WHERE id = 1)) s;
RESET enable_seqscan;
RESET ivfpq.exact_bounds;
SET enable_indexscan = off;
CREATE TEMP TABLE ivfpq_mp_sq AS
	SELECT row_number() OVER (ORDER BY v <-> (SELECT v FROM ivfpq_mp WHERE id = 1), id) AS r,
		(v <-> (SELECT v FROM ivfpq_mp WHERE id = 1)) AS d FROM ivfpq_mp;
RESET enable_indexscan;
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_rows FROM ivfpq_mp_ix;
SELECT count(*) AS distances_differ FROM ivfpq_mp_ix i JOIN ivfpq_mp_sq s USING (r) WHERE i.d <> s.d;
DROP TABLE ivfpq_mp, ivfpq_mp_ix, ivfpq_mp_sq;
