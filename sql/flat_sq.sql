-- flat index first pass (8-bit codes and lower bounds): results stay exactly
-- those of a sequential scan, ids, float8 values and order, for every opclass,
-- after inserts far outside the built rows' ranges, zero rows, ties, deletes
-- and VACUUM, in many small passes; codes are skipped above 1626 dimensions
SET client_min_messages = warning;
SELECT setseed(0.73);

CREATE TABLE sq_t (id int PRIMARY KEY, v vector(24));
INSERT INTO sq_t
	SELECT i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 24) WHERE i > 0)::vector
	FROM generate_series(1, 1500) i;
CREATE INDEX sq_l2 ON sq_t USING flat (v vector_l2_ops);
CREATE INDEX sq_ip ON sq_t USING flat (v vector_ip_ops);
CREATE INDEX sq_cos ON sq_t USING flat (v vector_cosine_ops);
CREATE INDEX sq_l1 ON sq_t USING flat (v vector_l1_ops);

-- after the build: rows far outside every built range, tiny rows, zero rows,
-- exact duplicates (ties broken by TID) and near-duplicates
INSERT INTO sq_t
	SELECT 2000 + i, ARRAY(SELECT ((random() * 2 - 1) * 1e6)::real FROM generate_series(1, 24) WHERE i > 0)::vector
	FROM generate_series(1, 50) i;
INSERT INTO sq_t
	SELECT 3000 + i, ARRAY(SELECT ((random() * 2 - 1) * 1e-20)::real FROM generate_series(1, 24) WHERE i > 0)::vector
	FROM generate_series(1, 20) i;
INSERT INTO sq_t SELECT 4000 + i, array_fill(0, ARRAY[24])::vector FROM generate_series(1, 3) i;
INSERT INTO sq_t SELECT 5000 + id, v FROM sq_t WHERE id <= 40;
INSERT INTO sq_t SELECT 6000 + id, v + array_fill(1e-6, ARRAY[24])::vector FROM sq_t WHERE id <= 40;
-- one coordinate far out, the rest in range
INSERT INTO sq_t
	SELECT 7000 + i, (ARRAY[1e5::real] || ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 23) WHERE i > 0))::vector
	FROM generate_series(1, 20) i;
DELETE FROM sq_t WHERE id % 7 = 3;
VACUUM sq_t;
-- fill the freed slots again
INSERT INTO sq_t
	SELECT 8000 + i, ARRAY(SELECT (random() * 4 - 2)::real FROM generate_series(1, 24) WHERE i > 0)::vector
	FROM generate_series(1, 200) i;

CREATE TABLE sq_q (qid int, v vector(24));
INSERT INTO sq_q
	SELECT i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 24) WHERE i > 0)::vector
	FROM generate_series(1, 5) i;
INSERT INTO sq_q SELECT 10 + id, v FROM sq_t WHERE id IN (7, 2001, 3001, 4001, 7001);
INSERT INTO sq_q VALUES (20, array_fill(0, ARRAY[24])::vector);

-- "id:value" of the k nearest rows by operator op, optionally filtered; the
-- index breaks ties by TID, a sequential scan is told to (sq_tiebreak)
CREATE TABLE sq_tiebreak (by text);
INSERT INTO sq_tiebreak VALUES ('');
CREATE FUNCTION sq_knn(q vector, op text, k int, filter text DEFAULT 'true') RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	r text[];
BEGIN
	EXECUTE format('SELECT array_agg(id || '':'' || d::text) FROM (SELECT id, v %s $1 AS d FROM sq_t WHERE %s ORDER BY v %s $1 %s LIMIT %s) s',
				   op, filter, op, (SELECT by FROM sq_tiebreak), k) INTO r USING q;
	RETURN r;
END $$;

CREATE TABLE sq_ops (op text);
INSERT INTO sq_ops VALUES ('<->'), ('<#>'), ('<=>'), ('<+>');

CREATE FUNCTION sq_answers() RETURNS TABLE (op text, qid int, top10 text[], everything text[], filtered text[])
LANGUAGE sql AS $$
	SELECT o.op, q.qid, sq_knn(q.v, o.op, 10), sq_knn(q.v, o.op, 100000), sq_knn(q.v, o.op, 10, 'id % 13 = 0')
	FROM sq_ops o, sq_q q
$$;

-- the plan is an index scan
SET enable_seqscan = off;
-- (checked by the plan's index line: EXPLAIN prints initplans differently by version)
DO $$
DECLARE
	line text;
	found boolean := false;
BEGIN
	FOR line IN EXPLAIN (COSTS OFF) SELECT id FROM sq_t ORDER BY v <=> (SELECT v FROM sq_q WHERE qid = 1) LIMIT 10 LOOP
		found := found OR line ~ 'Index Scan using sq_cos on sq_t';
	END LOOP;
	IF NOT found THEN
		RAISE EXCEPTION 'the plan is not an index scan using sq_cos';
	END IF;
END
$$;
CREATE TABLE sq_by_index AS SELECT * FROM sq_answers();
SET pgvq.flat_batch_size = 2;	-- many passes, each resuming after the last returned row
CREATE TABLE sq_by_index_small AS SELECT * FROM sq_answers();
RESET pgvq.flat_batch_size;
RESET enable_seqscan;
SET enable_indexscan = off;
UPDATE sq_tiebreak SET by = ', ctid';
CREATE TABLE sq_by_seq AS SELECT * FROM sq_answers();
RESET enable_indexscan;

SELECT op, min(cardinality(top10)) AS k, min(cardinality(everything)) AS n, min(cardinality(filtered)) AS kf
	FROM sq_by_index GROUP BY op ORDER BY op;
SELECT count(*) AS index_not_seq FROM (SELECT * FROM sq_by_index EXCEPT SELECT * FROM sq_by_seq) s;
SELECT count(*) AS seq_not_index FROM (SELECT * FROM sq_by_seq EXCEPT SELECT * FROM sq_by_index) s;
SELECT count(*) AS small_batch_differs FROM (SELECT * FROM sq_by_index_small EXCEPT SELECT * FROM sq_by_seq) s;
-- cosine: the three zero rows come last (NaN) for every non-zero query, and
-- every row is NaN for the zero queries
SELECT bool_and(array_to_string(everything[cardinality(everything) - 2:], ',') ~ '^400.:NaN,400.:NaN,400.:NaN$'
		AND everything[cardinality(everything) - 3] NOT LIKE '%NaN') AS zero_rows_last
	FROM sq_by_index WHERE op = '<=>' AND qid NOT IN (20, 4011);
SELECT bool_and(e LIKE '%:NaN') AS all_nan
	FROM sq_by_index, unnest(everything) e WHERE op = '<=>' AND qid IN (20, 4011);
-- pgvq_index_check verifies that every entry's codes bound its vector
SELECT pgvq_index_check('sq_l2'), pgvq_index_check('sq_ip'), pgvq_index_check('sq_cos'),
	pgvq_index_check('sq_l1');

-- the first pass prunes: one cluster near the query (in the first page), one
-- far away; with a batch of 10 only the first page's rows need exact distances
CREATE TABLE sq_c (id int, v vector(16));
INSERT INTO sq_c SELECT i, array_fill(i * 0.01, ARRAY[16])::vector FROM generate_series(1, 20) i;
INSERT INTO sq_c
	SELECT 100 + i, ARRAY(SELECT (100 + random())::real FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 2000) i;
CREATE INDEX sq_c_idx ON sq_c USING flat (v vector_l2_ops);
SET enable_seqscan = off;
SET pgvq.flat_batch_size = 10;
SET client_min_messages = debug1;
SELECT id FROM sq_c ORDER BY v <-> array_fill(0, ARRAY[16])::vector LIMIT 3;
SET client_min_messages = warning;
RESET pgvq.flat_batch_size;
RESET enable_seqscan;

-- an index built empty (no dimension count yet) gets codes from its first
-- insert; the first pass prunes most rows
CREATE TABLE sq_e (id int, v vector);
CREATE INDEX sq_e_idx ON sq_e USING flat (v vector_ip_ops);
SET enable_seqscan = off;
SELECT id FROM sq_e ORDER BY v <#> array_fill(1, ARRAY[20])::vector LIMIT 1;
INSERT INTO sq_e SELECT i, array_fill(i * 0.5, ARRAY[20])::vector FROM generate_series(3000, 1, -1) i;
SET pgvq.flat_batch_size = 5;
SET client_min_messages = debug1;
SELECT array_agg(id) AS ids FROM (SELECT id FROM sq_e ORDER BY v <#> array_fill(1, ARRAY[20])::vector LIMIT 5) s;
SET client_min_messages = warning;
RESET pgvq.flat_batch_size;
RESET enable_seqscan;
SELECT array_agg(id) AS ids FROM (SELECT id FROM sq_e ORDER BY v <#> array_fill(1, ARRAY[20])::vector LIMIT 5) s;
SELECT pgvq_index_check('sq_e_idx');

-- below 16 dimensions entries carry no codes either
CREATE TABLE sq_small (id int, v vector(3));
INSERT INTO sq_small SELECT i, ARRAY[i % 17, -i % 5, i * 0.5]::vector FROM generate_series(1, 500) i;
CREATE INDEX sq_small_idx ON sq_small USING flat (v vector_cosine_ops);
SET enable_seqscan = off;
CREATE TABLE sq_small_ans AS SELECT array_agg(id) AS ids
	FROM (SELECT id FROM sq_small ORDER BY v <=> '[1,2,3]', id) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT (SELECT ids FROM sq_small_ans) = array_agg(id) AS small_matches
	FROM (SELECT id FROM sq_small ORDER BY v <=> '[1,2,3]', id) s;
RESET enable_indexscan;

-- above 1626 dimensions entries carry no codes; scans are exact all the same
CREATE TABLE sq_wide (id int, v vector(1700));
INSERT INTO sq_wide
	SELECT i, ARRAY(SELECT random()::real FROM generate_series(1, 1700) WHERE i > 0)::vector
	FROM generate_series(1, 30) i;
CREATE INDEX sq_wide_idx ON sq_wide USING flat (v vector_l1_ops);
SET enable_seqscan = off;
CREATE TABLE sq_wide_idx_ans AS SELECT array_agg(id) AS ids
	FROM (SELECT id FROM sq_wide ORDER BY v <+> (SELECT v FROM sq_wide WHERE id = 4)) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT (SELECT ids FROM sq_wide_idx_ans) = array_agg(id) AS wide_matches
	FROM (SELECT id FROM sq_wide ORDER BY v <+> (SELECT v FROM sq_wide WHERE id = 4)) s;
RESET enable_indexscan;
SELECT pgvq_index_check('sq_wide_idx');

DROP TABLE sq_t, sq_q, sq_ops, sq_tiebreak, sq_by_index, sq_by_index_small, sq_by_seq, sq_c, sq_e, sq_small, sq_small_ans, sq_wide,
	sq_wide_idx_ans;
DROP FUNCTION sq_answers(), sq_knn(vector, text, int, text);
