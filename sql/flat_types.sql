-- flat index over halfvec, bit and sparsevec: every opclass returns exactly
-- what a sequential scan returns (same rows, same order, ties by TID),
-- after the build, after inserts and after VACUUM; NULLs, errors, limits,
-- pgvq_index_check, and pgvector's binary quantization recipe.
SET client_min_messages = warning;
SELECT setseed(0.13);

-- the EXPLAIN (COSTS OFF) of query sql as one text, a line each
CREATE FUNCTION ft_plan(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	plan text := '';
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || sql LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END $$;

-- "id:distance ..." of the k nearest rows of tbl by v <op> q.  By index: the
-- plan must be an index scan of a flat index (checked); sequentially: index
-- scans off, ties broken by ctid as the index breaks them (by heap TID).
CREATE FUNCTION ft_knn(tbl text, op text, q text, k int, by_index bool) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	sql text;
	plan text;
	r text;
BEGIN
	PERFORM set_config('enable_seqscan', CASE WHEN by_index THEN 'off' ELSE 'on' END, true);
	PERFORM set_config('enable_indexscan', CASE WHEN by_index THEN 'on' ELSE 'off' END, true);
	PERFORM set_config('enable_bitmapscan', 'off', true);
	sql := format('SELECT id, v %1$s %2$L AS d FROM %3$I ORDER BY v %1$s %2$L %4$s LIMIT %5$s',
				  op, q, tbl, CASE WHEN by_index THEN '' ELSE ', ctid' END, k);
	plan := ft_plan(sql);
	IF by_index <> (plan LIKE '%Index Scan using%') THEN
		RAISE EXCEPTION 'unexpected plan for %: %', sql, plan;
	END IF;
	EXECUTE format('SELECT string_agg(id || '':'' || d, '' '') FROM (%s) s', sql) INTO r;
	RETURN r;
END $$;

-- for every (opclass, query): index and sequential answers agree, k = 7 and all rows
CREATE FUNCTION ft_compare(tbl text, qtbl text) RETURNS TABLE (opclass text, qid int, top7 bool, everything bool, n int)
LANGUAGE plpgsql AS $$
DECLARE
	o record;
	q record;
	a text;
BEGIN
	FOR o IN EXECUTE format('SELECT opc, op FROM ft_ops WHERE tbl = %L ORDER BY opc', tbl) LOOP
		FOR q IN EXECUTE format('SELECT qid, v::text AS v FROM %I ORDER BY qid', qtbl) LOOP
			opclass := o.opc;
			qid := q.qid;
			top7 := ft_knn(tbl, o.op, q.v, 7, true) = ft_knn(tbl, o.op, q.v, 7, false);
			a := ft_knn(tbl, o.op, q.v, 100000, true);
			everything := a = ft_knn(tbl, o.op, q.v, 100000, false);
			n := array_length(string_to_array(a, ' '), 1);
			RETURN NEXT;
		END LOOP;
	END LOOP;
END $$;

-- for every opclass of tbl: the plan of ORDER BY v <op> q LIMIT 5 (its flat index)
CREATE FUNCTION ft_plans(tbl text, q text) RETURNS TABLE (opclass text, plan text)
LANGUAGE plpgsql AS $$
DECLARE
	o record;
BEGIN
	FOR o IN EXECUTE format('SELECT opc, op FROM ft_ops WHERE tbl = %L ORDER BY opc', tbl) LOOP
		opclass := o.opc;
		plan := rtrim(ft_plan(format('SELECT id FROM %I ORDER BY v %s %L LIMIT 5', tbl, o.op, q)), E'\n');
		RETURN NEXT;
	END LOOP;
END $$;

CREATE TABLE ft_ops (tbl text, opc text, op text);
INSERT INTO ft_ops VALUES
	('ft_h', 'halfvec_l2_ops', '<->'), ('ft_h', 'halfvec_ip_ops', '<#>'),
	('ft_h', 'halfvec_cosine_ops', '<=>'), ('ft_h', 'halfvec_l1_ops', '<+>'),
	('ft_b', 'bit_hamming_ops', '<~>'), ('ft_b', 'bit_jaccard_ops', '<%>'),
	('ft_s', 'sparsevec_l2_ops', '<->'), ('ft_s', 'sparsevec_ip_ops', '<#>'),
	('ft_s', 'sparsevec_cosine_ops', '<=>'), ('ft_s', 'sparsevec_l1_ops', '<+>');

-- ---------------------------------------------------------------------------
-- halfvec
-- ---------------------------------------------------------------------------
CREATE TABLE ft_h (id int PRIMARY KEY, v halfvec(6));
INSERT INTO ft_h
	SELECT i, ARRAY(SELECT (random() * 4 - 2)::real FROM generate_series(1, 6) WHERE i > 0)::halfvec
	FROM generate_series(1, 300) i;
INSERT INTO ft_h VALUES (301, '[0,0,0,0,0,0]'), (302, NULL), (303, '[1,1,1,1,1,1]'), (304, '[1,1,1,1,1,1]');
CREATE TABLE ft_hq (qid int, v halfvec(6));
INSERT INTO ft_hq
	SELECT i, ARRAY(SELECT (random() * 4 - 2)::real FROM generate_series(1, 6) WHERE i > 0)::halfvec
	FROM generate_series(1, 3) i;
INSERT INTO ft_hq VALUES (4, '[1,1,1,1,1,1]');

CREATE INDEX ft_h_l2 ON ft_h USING flat (v halfvec_l2_ops);
CREATE INDEX ft_h_ip ON ft_h USING flat (v halfvec_ip_ops);
CREATE INDEX ft_h_cos ON ft_h USING flat (v halfvec_cosine_ops);
CREATE INDEX ft_h_l1 ON ft_h USING flat (v halfvec_l1_ops);
-- inserts after the build (a new page and the free-space path)
INSERT INTO ft_h
	SELECT i, ARRAY(SELECT (random() * 4 - 2)::real FROM generate_series(1, 6) WHERE i > 0)::halfvec
	FROM generate_series(305, 1000) i;
INSERT INTO ft_h VALUES (1001, NULL);

SELECT * FROM ft_plans('ft_h', '[1,2,3,4,5,6]');
SELECT * FROM ft_compare('ft_h', 'ft_hq');
-- known values: the operators' float8 results
SET enable_seqscan = off;
SELECT id, v <-> '[1,1,1,1,1,1]' AS l2 FROM ft_h ORDER BY v <-> '[1,1,1,1,1,1]' LIMIT 3;
SELECT id, v <=> '[1,1,1,1,1,1]' AS cos FROM ft_h ORDER BY v <=> '[1,1,1,1,1,1]' LIMIT 2;
-- the zero vector's cosine distance is NaN: last, as in a sort
SELECT id, v <=> '[1,1,1,1,1,1]' AS cos FROM ft_h ORDER BY v <=> '[1,1,1,1,1,1]' OFFSET 998;
RESET enable_seqscan;
-- VACUUM compacts the pages; answers still agree
DELETE FROM ft_h WHERE id % 3 = 0;
VACUUM ft_h;
SELECT * FROM ft_compare('ft_h', 'ft_hq');
SELECT pgvq_index_check('ft_h_l2', true), pgvq_index_check('ft_h_ip', true),
	pgvq_index_check('ft_h_cos', true), pgvq_index_check('ft_h_l1', true);

-- 3,072 dimensions, halfvec's main use, fit a page in fp16 (4,073 at most);
-- as float4 they do not
CREATE TABLE ft_h3k (id int, v halfvec(3072));
INSERT INTO ft_h3k
	SELECT i, array_fill((i % 7)::real - 3, ARRAY[3072])::halfvec FROM generate_series(1, 20) i;
CREATE INDEX ft_h3k_cos ON ft_h3k USING flat (v halfvec_l2_ops);
INSERT INTO ft_h3k VALUES (21, array_fill(0.5::real, ARRAY[3072])::halfvec);
SET enable_seqscan = off;
SELECT id, v <-> array_fill(0.4::real, ARRAY[3072])::halfvec AS d
	FROM ft_h3k ORDER BY v <-> array_fill(0.4::real, ARRAY[3072])::halfvec LIMIT 3;
RESET enable_seqscan;
SELECT pg_relation_size('ft_h3k_cos') / current_setting('block_size')::int AS pages;
SELECT pgvq_index_check('ft_h3k_cos', true);
CREATE TABLE ft_v3k (v vector(3072));
CREATE INDEX ON ft_v3k USING flat (v vector_l2_ops);

-- ---------------------------------------------------------------------------
-- bit
-- ---------------------------------------------------------------------------
CREATE TABLE ft_b (id int PRIMARY KEY, v bit(37));
INSERT INTO ft_b
	SELECT i, (SELECT string_agg(CASE WHEN random() < 0.4 THEN '1' ELSE '0' END, '')
			   FROM generate_series(1, 37) WHERE i > 0)::bit(37)
	FROM generate_series(1, 300) i;
INSERT INTO ft_b VALUES (301, repeat('0', 37)::bit(37)), (302, NULL);
CREATE TABLE ft_bq (qid int, v bit(37));
INSERT INTO ft_bq
	SELECT i, (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '')
			   FROM generate_series(1, 37) WHERE i > 0)::bit(37)
	FROM generate_series(1, 3) i;
INSERT INTO ft_bq VALUES (4, repeat('0', 37)::bit(37));
CREATE INDEX ft_b_ham ON ft_b USING flat (v bit_hamming_ops);
CREATE INDEX ft_b_jac ON ft_b USING flat (v bit_jaccard_ops);
INSERT INTO ft_b
	SELECT i, (SELECT string_agg(CASE WHEN random() < 0.4 THEN '1' ELSE '0' END, '')
			   FROM generate_series(1, 37) WHERE i > 0)::bit(37)
	FROM generate_series(303, 1000) i;
SELECT * FROM ft_plans('ft_b', repeat('1', 37));
SELECT * FROM ft_compare('ft_b', 'ft_bq');
SET enable_seqscan = off;
SELECT id, v <~> (SELECT v FROM ft_b WHERE id = 7) AS hamming
	FROM ft_b ORDER BY v <~> (SELECT v FROM ft_b WHERE id = 7) LIMIT 3;
-- the all-zero string is at jaccard distance 1 from everything, ties by TID
SELECT id, v <%> repeat('0', 37)::bit(37) AS jaccard
	FROM ft_b ORDER BY v <%> repeat('0', 37)::bit(37) LIMIT 3;
RESET enable_seqscan;
DELETE FROM ft_b WHERE id % 4 = 1;
VACUUM ft_b;
SELECT * FROM ft_compare('ft_b', 'ft_bq');
SELECT pgvq_index_check('ft_b_ham', true), pgvq_index_check('ft_b_jac', true);

-- pgvector's binary quantization recipe: an expression index, then re-rank
-- (PostgreSQL 15 wants an alias on the subquery; the query vector is typed,
-- binary_quantize having a vector and a halfvec form)
CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3));
INSERT INTO items (embedding)
	SELECT ARRAY[(i * 7919 % 201) - 100, (i * 6007 % 199) - 99, (i * 4001 % 197) - 98]::vector
	FROM generate_series(1, 2000) i;
CREATE INDEX ON items USING flat ((binary_quantize(embedding)::bit(3)) bit_hamming_ops);
ANALYZE items;
EXPLAIN (COSTS OFF)
SELECT * FROM (
	SELECT * FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]'::vector) LIMIT 20
) AS t ORDER BY embedding <=> '[1,-2,3]' LIMIT 5;
SELECT * FROM (
	SELECT * FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]'::vector) LIMIT 20
) AS t ORDER BY embedding <=> '[1,-2,3]' LIMIT 5;
-- the 20 candidates are rows at Hamming distance 0 (signs + - +), as without the index
SELECT count(*) FILTER (WHERE binary_quantize(embedding)::bit(3) = B'101') AS exact_signs, count(*)
	FROM (SELECT * FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]'::vector) LIMIT 20) t;
SELECT pgvq_index_check('items_binary_quantize_idx', true);

-- ---------------------------------------------------------------------------
-- sparsevec
-- ---------------------------------------------------------------------------
CREATE FUNCTION ft_rand_sparse(dims int, nnz int, seed int) RETURNS sparsevec LANGUAGE sql VOLATILE AS $$
	SELECT (coalesce('{' || string_agg(j || ':' || (CASE WHEN random() < 0.5 THEN -1 ELSE 1 END *
										 (0.25 + round(random()::numeric, 2))), ',' ORDER BY j) || '}', '{}')
		|| '/' || dims)::sparsevec
	FROM (SELECT DISTINCT (1 + floor(random() * dims))::int AS j
		  FROM generate_series(1, nnz) WHERE seed IS NOT NULL) s
$$;
CREATE TABLE ft_s (id int PRIMARY KEY, v sparsevec(40));
INSERT INTO ft_s SELECT i, ft_rand_sparse(40, 1 + i % 9, i) FROM generate_series(1, 300) i;
INSERT INTO ft_s VALUES (301, '{}/40'), (302, NULL), (303, '{1:1,40:1}/40');
CREATE TABLE ft_sq (qid int, v sparsevec(40));
INSERT INTO ft_sq SELECT i, ft_rand_sparse(40, 6, i) FROM generate_series(1, 3) i;
INSERT INTO ft_sq VALUES (4, '{1:1,40:1}/40');
CREATE INDEX ft_s_l2 ON ft_s USING flat (v sparsevec_l2_ops);
CREATE INDEX ft_s_ip ON ft_s USING flat (v sparsevec_ip_ops);
CREATE INDEX ft_s_cos ON ft_s USING flat (v sparsevec_cosine_ops);
CREATE INDEX ft_s_l1 ON ft_s USING flat (v sparsevec_l1_ops);
INSERT INTO ft_s SELECT i, ft_rand_sparse(40, 1 + i % 9, i) FROM generate_series(304, 1000) i;
SELECT * FROM ft_plans('ft_s', '{1:1}/40');
SELECT * FROM ft_compare('ft_s', 'ft_sq');
SET enable_seqscan = off;
SELECT id, v, v <-> '{1:1,40:1}/40' AS l2 FROM ft_s ORDER BY v <-> '{1:1,40:1}/40' LIMIT 1;
-- the empty sparsevec's cosine distance is NaN: last
SELECT id, v <=> '{1:1,40:1}/40' AS cos FROM ft_s ORDER BY v <=> '{1:1,40:1}/40' OFFSET 998;
RESET enable_seqscan;
DELETE FROM ft_s WHERE id % 5 = 2;
VACUUM ft_s;
SELECT * FROM ft_compare('ft_s', 'ft_sq');
-- the freed space is reused
INSERT INTO ft_s SELECT i, ft_rand_sparse(40, 5, i) FROM generate_series(1001, 1100) i;
SELECT * FROM ft_compare('ft_s', 'ft_sq') WHERE qid = 1;
SELECT pgvq_index_check('ft_s_l2', true), pgvq_index_check('ft_s_ip', true),
	pgvq_index_check('ft_s_cos', true), pgvq_index_check('ft_s_l1', true);

-- ---------------------------------------------------------------------------
-- empty indexes, dimensions from the first insert, NULL queries
-- ---------------------------------------------------------------------------
CREATE TABLE ft_e (id int, h halfvec, b bit varying, s sparsevec);
CREATE INDEX ft_e_h ON ft_e USING flat (h halfvec_l1_ops);
CREATE INDEX ft_e_b ON ft_e USING flat ((b::bit(5)) bit_hamming_ops);
CREATE INDEX ft_e_s ON ft_e USING flat (s sparsevec_ip_ops);
SET enable_seqscan = off;
SELECT id FROM ft_e ORDER BY h <+> '[1,2]' LIMIT 1;
SELECT id FROM ft_e ORDER BY s <#> '{1:1}/3' LIMIT 1;
INSERT INTO ft_e VALUES (1, '[1,2]', B'10101', '{1:2,3:1}/3'), (2, '[3,4]', B'11111', '{2:5}/3'),
	(3, NULL, NULL, NULL);
SELECT id, h <+> '[1,2]' AS d FROM ft_e ORDER BY h <+> '[1,2]' LIMIT 5;
SELECT id, b::bit(5) <~> B'11100' AS d FROM ft_e ORDER BY b::bit(5) <~> B'11100' LIMIT 5;
SELECT id, s <#> '{1:1,2:1}/3' AS d FROM ft_e ORDER BY s <#> '{1:1,2:1}/3' LIMIT 5;
-- a NULL query: no rows
SELECT id FROM ft_e ORDER BY h <+> (SELECT NULL::halfvec) LIMIT 5;
SELECT id FROM ft_e ORDER BY b::bit(5) <~> (SELECT NULL::bit(5)) LIMIT 5;
SELECT id FROM ft_e ORDER BY s <#> (SELECT NULL::sparsevec) LIMIT 5;
RESET enable_seqscan;
SELECT pgvq_index_check('ft_e_h', true), pgvq_index_check('ft_e_b', true),
	pgvq_index_check('ft_e_s', true);

-- ---------------------------------------------------------------------------
-- parallel plans over partitions with flat indexes, and correlated queries
-- ---------------------------------------------------------------------------
CREATE TABLE ft_par (id int, h halfvec(4), s sparsevec(8), b bit(8)) PARTITION BY RANGE (id);
CREATE TABLE ft_par1 PARTITION OF ft_par FOR VALUES FROM (0) TO (1000);
CREATE TABLE ft_par2 PARTITION OF ft_par FOR VALUES FROM (1000) TO (2000);
INSERT INTO ft_par
	SELECT i, ARRAY[sin(i), cos(i), sin(i * 0.37), cos(i * 1.91)]::real[]::halfvec,
		('{' || (1 + i % 8) || ':' || round(sin(i)::numeric, 3) + 2 || ',' || (1 + (i / 8) % 8 + 8) % 8 + 1
		 || ':0}/8')::sparsevec,
		(i % 256)::bit(8)
	FROM generate_series(0, 1999) i;
CREATE INDEX ON ft_par USING flat (h halfvec_cosine_ops);
CREATE INDEX ON ft_par USING flat (s sparsevec_l1_ops);
CREATE INDEX ON ft_par USING flat (b bit_jaccard_ops);
ANALYZE ft_par;
CREATE TABLE ft_par_q (qid int, h halfvec(4), s sparsevec(8), b bit(8));
INSERT INTO ft_par_q VALUES (1, '[1,0,0,1]', '{1:1,2:2}/8', B'10110011'), (2, '[0,-1,1,0]', '{8:3}/8', B'00000001');
-- distances, not ids: rows at equal distance in two partitions may come in either order
SET max_parallel_workers_per_gather = 0;
CREATE TABLE ft_par_seq AS
	SELECT q.qid, ARRAY(SELECT h <=> q.h FROM ft_par ORDER BY 1 LIMIT 4) AS h4,
		ARRAY(SELECT s <+> q.s FROM ft_par ORDER BY 1 LIMIT 4) AS s4,
		ARRAY(SELECT b <%> q.b FROM ft_par ORDER BY 1 LIMIT 4) AS b4
	FROM ft_par_q q;
RESET max_parallel_workers_per_gather;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET min_parallel_index_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_seqscan = off;
SET jit = off;
-- correlated (the index scans order by the outer row)
SELECT q.qid, ARRAY(SELECT h <=> q.h FROM ft_par ORDER BY h <=> q.h LIMIT 4) AS h4,
	ARRAY(SELECT s <+> q.s FROM ft_par ORDER BY s <+> q.s LIMIT 4) AS s4,
	ARRAY(SELECT b <%> q.b FROM ft_par ORDER BY b <%> q.b LIMIT 4) AS b4
FROM ft_par_q q
EXCEPT SELECT * FROM ft_par_seq;
-- constants (parallel-safe), against the sequential answers
SELECT (SELECT h4 FROM ft_par_seq WHERE qid = 1) =
	ARRAY(SELECT h <=> '[1,0,0,1]' FROM ft_par ORDER BY h <=> '[1,0,0,1]' LIMIT 4) AS h_same,
	(SELECT s4 FROM ft_par_seq WHERE qid = 2) =
	ARRAY(SELECT s <+> '{8:3}/8' FROM ft_par ORDER BY s <+> '{8:3}/8' LIMIT 4) AS s_same,
	(SELECT b4 FROM ft_par_seq WHERE qid = 1) =
	ARRAY(SELECT b <%> B'10110011' FROM ft_par ORDER BY b <%> B'10110011' LIMIT 4) AS b_same;
-- both partitions are read through their flat indexes
CREATE FUNCTION pg_temp.index_scans(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	line text;
	n int := 0;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		IF line ~ 'Index Scan using ft_par[12]_' THEN
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END $$;
SELECT pg_temp.index_scans($$SELECT id FROM ft_par ORDER BY h <=> '[1,0,0,1]' LIMIT 4$$) AS h,
	pg_temp.index_scans($$SELECT id FROM ft_par ORDER BY s <+> '{8:3}/8' LIMIT 4$$) AS s,
	pg_temp.index_scans($$SELECT id FROM ft_par ORDER BY b <%> B'10110011' LIMIT 4$$) AS b;
RESET ALL;
SET client_min_messages = warning;
DROP TABLE ft_par, ft_par_q, ft_par_seq;

-- ---------------------------------------------------------------------------
-- errors: the operators' messages and SQLSTATEs, and the flat limits
-- ---------------------------------------------------------------------------
\set VERBOSITY sqlstate
SET enable_seqscan = off;
-- query dimensions differ from the index's
SELECT id FROM ft_e ORDER BY h <+> '[1,2,3]' LIMIT 1;
SELECT id FROM ft_e ORDER BY b::bit(5) <~> B'111' LIMIT 1;
SELECT id FROM ft_e ORDER BY s <#> '{1:1}/4' LIMIT 1;
SET enable_indexscan = off;
SET enable_seqscan = on;
SELECT id FROM ft_e ORDER BY h <+> '[1,2,3]' LIMIT 1;
SELECT id FROM ft_e ORDER BY s <#> '{1:1}/4' LIMIT 1;
RESET enable_indexscan;
\set VERBOSITY default
SELECT id FROM ft_e ORDER BY h <+> '[1,2,3]' LIMIT 1;
SET enable_seqscan = off;
SELECT id FROM ft_e ORDER BY h <+> '[1,2,3]' LIMIT 1;
SELECT id FROM ft_e ORDER BY b::bit(5) <~> B'111' LIMIT 1;
SELECT id FROM ft_e ORDER BY s <#> '{1:1}/4' LIMIT 1;
RESET enable_seqscan;
-- values of other dimensions than the index's
INSERT INTO ft_e (h) VALUES ('[1,2,3]');
INSERT INTO ft_e (s) VALUES ('{1:1}/4');
-- limits: 4,073 halfvec dimensions, 65,168 bits, 1,016 non-zero elements
CREATE TABLE ft_big (h halfvec(4074), b bit(65169), s sparsevec(5000));
CREATE INDEX ON ft_big USING flat (h halfvec_l2_ops);
CREATE INDEX ON ft_big USING flat (b bit_hamming_ops);
CREATE INDEX ft_big_s ON ft_big USING flat (s sparsevec_l2_ops);
INSERT INTO ft_big (s) SELECT ('{' || string_agg(i || ':1', ',') || '}/5000')::sparsevec FROM generate_series(1, 1017) i;
INSERT INTO ft_big (s) SELECT ('{' || string_agg(i || ':1', ',') || '}/5000')::sparsevec FROM generate_series(1, 1016) i;
CREATE TABLE ft_max (h halfvec(4073), b bit(65168));
INSERT INTO ft_max VALUES (array_fill(1, ARRAY[4073])::halfvec, repeat('1', 65168)::bit(65168));
CREATE INDEX ft_max_h ON ft_max USING flat (h halfvec_l2_ops);
CREATE INDEX ft_max_b ON ft_max USING flat (b bit_jaccard_ops);
SELECT pgvq_index_check('ft_max_h', true), pgvq_index_check('ft_max_b', true),
	pgvq_index_check('ft_big_s', true);
-- a flat opclass for a type flat does not store
CREATE OPERATOR CLASS ft_bad_ops FOR TYPE point USING flat AS OPERATOR 1 <-> (point, point) FOR ORDER BY float_ops;
CREATE TABLE ft_p (p point);
CREATE INDEX ON ft_p USING flat (p ft_bad_ops);
DROP TABLE ft_p;
DROP OPERATOR FAMILY ft_bad_ops USING flat;

DROP TABLE ft_h, ft_hq, ft_h3k, ft_v3k, ft_b, ft_bq, items, ft_s, ft_sq, ft_e, ft_big, ft_max, ft_ops;
DROP FUNCTION ft_plan, ft_plans, ft_knn, ft_compare, ft_rand_sparse;
