-- ivfpq on halfvec: halfvec_l2_ops, halfvec_ip_ops and halfvec_cosine_ops.
-- With every list probed (ivfpq.probes = lists) an index scan returns what a
-- sequential scan returns, in the same order and with the same distances
-- (the halfvec operators' own values), after the build, after inserts and
-- after VACUUM; then pgvector's half-precision indexing recipe (an
-- expression index on embedding::halfvec(3)).
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;

-- q ordered by an index scan and by a sequential scan: the same distances in
-- the same order, the same rows (ties may come in either order)
CREATE FUNCTION pg_temp.same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	plan text := '';
	line text;
	ai int[];
	ad float8[];
	bi int[];
	bd float8[];
BEGIN
	PERFORM set_config('enable_seqscan', 'off', true);
	PERFORM set_config('enable_indexscan', 'on', true);
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		plan := plan || line;
	END LOOP;
	EXECUTE format('SELECT array_agg(id), array_agg(d) FROM (%s) s', q) INTO ai, ad;
	PERFORM set_config('enable_seqscan', 'on', true);
	PERFORM set_config('enable_indexscan', 'off', true);
	EXECUTE format('SELECT array_agg(id), array_agg(d) FROM (%s) s', q) INTO bi, bd;
	PERFORM set_config('enable_indexscan', 'on', true);
	IF plan NOT LIKE '%Index Scan using%' THEN
		RETURN 'no index scan: ' || plan;
	END IF;
	IF ad IS DISTINCT FROM bd THEN
		RETURN format('distances differ: %s / %s', ad[1:5], bd[1:5]);
	END IF;
	IF (SELECT array_agg(x ORDER BY x) FROM unnest(ai) x) IS DISTINCT FROM
		(SELECT array_agg(x ORDER BY x) FROM unnest(bi) x) THEN
		RETURN 'rows differ';
	END IF;
	RETURN format('same, %s rows', coalesce(cardinality(ai), 0));
END
$$;

CREATE TABLE ihv (id int PRIMARY KEY, v halfvec(4));
INSERT INTO ihv SELECT i, ARRAY[(i * 37 % 101) / 8.0, (i * 53 % 97) / 16.0 - 3,
	(i % 13) - 6, (i * 7 % 11) * 0.1]::halfvec
	FROM generate_series(1, 600) i;
-- NULLs are not indexed; halves at the edges of the range (65504, a
-- subnormal) and a value that is not exact in binary
INSERT INTO ihv VALUES (1001, NULL), (1002, '[65504,-65504,0.0000610,0.0000001]'),
	(1003, '[0.1,0.2,0.3,0.4]');

-- each operator class, all lists probed
CREATE INDEX ihv_l2 ON ihv USING ivfpq (v halfvec_l2_ops) WITH (lists = 4, m = 2);
CREATE INDEX ihv_ip ON ihv USING ivfpq (v halfvec_ip_ops) WITH (lists = 4, m = 2);
CREATE INDEX ihv_cos ON ihv USING ivfpq (v halfvec_cosine_ops) WITH (lists = 4, m = 2);
SET ivfpq.probes = 4;

-- the index is used and its first rows are the operator's nearest
BEGIN;
DROP INDEX ihv_ip, ihv_cos;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ihv ORDER BY v <-> '[1,2,3,0.5]' LIMIT 5;
SELECT id, v <-> '[1,2,3,0.5]' AS d FROM ihv ORDER BY v <-> '[1,2,3,0.5]' LIMIT 5;
ROLLBACK;

SELECT pg_temp.same($$SELECT id, v <-> '[1,2,3,0.5]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <-> '[1,2,3,0.5]'$$);
SELECT pg_temp.same($$SELECT id, v <-> '[0.1,0.2,0.3,0.4]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <-> '[0.1,0.2,0.3,0.4]'$$);
SELECT pg_temp.same($$SELECT id, v <#> '[1,-2,0.5,3]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <#> '[1,-2,0.5,3]'$$);
SELECT pg_temp.same($$SELECT id, v <#> '[-0.001,0.002,65504,1]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <#> '[-0.001,0.002,65504,1]'$$);
SELECT pg_temp.same($$SELECT id, v <=> '[1,2,3,0.5]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <=> '[1,2,3,0.5]'$$);
SELECT pg_temp.same($$SELECT id, v <=> '[-3,0.25,1,1]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <=> '[-3,0.25,1,1]' LIMIT 17$$);
-- LIMIT and a WHERE clause: still the sequential scan's rows
SELECT pg_temp.same($$SELECT id, v <-> '[4,0,-1,0.5]' AS d FROM ihv WHERE id % 3 = 0 ORDER BY v <-> '[4,0,-1,0.5]' LIMIT 10$$);

SELECT pgvq_index_check('ihv_l2'), pgvq_index_check('ihv_ip'), pgvq_index_check('ihv_cos');

-- inserts after the build (a zero vector: not in the cosine index, as in pgvector)
INSERT INTO ihv SELECT i, ARRAY[(i * 29 % 89) / 4.0 - 10, i % 5, (i * 3 % 17) / 2.0, -1]::halfvec
	FROM generate_series(2001, 2150) i;
INSERT INTO ihv VALUES (3000, '[0,0,0,0]'), (3001, NULL);
SELECT pg_temp.same($$SELECT id, v <-> '[1,2,3,0.5]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <-> '[1,2,3,0.5]'$$);
SELECT pg_temp.same($$SELECT id, v <#> '[1,-2,0.5,3]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <#> '[1,-2,0.5,3]'$$);
SELECT pg_temp.same($$SELECT id, v <=> '[1,2,3,0.5]' AS d FROM ihv WHERE v IS NOT NULL AND id <> 3000 ORDER BY v <=> '[1,2,3,0.5]'$$);
SELECT pgvq_index_check('ihv_l2'), pgvq_index_check('ihv_ip'), pgvq_index_check('ihv_cos');

-- VACUUM: deleted rows leave the lists
DELETE FROM ihv WHERE id % 4 = 1;
VACUUM ihv;
SELECT pg_temp.same($$SELECT id, v <-> '[1,2,3,0.5]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <-> '[1,2,3,0.5]'$$);
SELECT pg_temp.same($$SELECT id, v <#> '[1,-2,0.5,3]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <#> '[1,-2,0.5,3]'$$);
SELECT pg_temp.same($$SELECT id, v <=> '[1,2,3,0.5]' AS d FROM ihv WHERE v IS NOT NULL AND id <> 3000 ORDER BY v <=> '[1,2,3,0.5]'$$);
SELECT sum(tuples) AS l2_entries FROM pgvq_ivfpq_lists('ihv_l2');
SELECT count(*) AS rows_with_values FROM ihv WHERE v IS NOT NULL;
SELECT pgvq_index_check('ihv_l2'), pgvq_index_check('ihv_ip'), pgvq_index_check('ihv_cos');

-- a parallel build gives the same index answers
DROP INDEX ihv_l2;
ALTER TABLE ihv SET (parallel_workers = 2);
SET max_parallel_maintenance_workers = 2;
SET min_parallel_table_scan_size = 0;
CREATE INDEX ihv_l2 ON ihv USING ivfpq (v halfvec_l2_ops) WITH (lists = 4, m = 2);
RESET max_parallel_maintenance_workers;
RESET min_parallel_table_scan_size;
SELECT pg_temp.same($$SELECT id, v <-> '[1,2,3,0.5]' AS d FROM ihv WHERE v IS NOT NULL ORDER BY v <-> '[1,2,3,0.5]'$$);
SELECT pgvq_index_check('ihv_l2');

-- a NULL query: every indexed row, no order; a zero query under cosine:
-- every row of the cosine index (all distances NaN; the zero vector is not in
-- a cosine index, as in pgvector)
BEGIN;
SET LOCAL enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM ihv ORDER BY v <-> (SELECT NULL::halfvec)) s;
SELECT count(*) FROM (SELECT id FROM ihv ORDER BY v <=> '[0,0,0,0]') s;
ROLLBACK;

-- errors: a query of other dimensions, a column without dimensions
BEGIN;
SET LOCAL enable_seqscan = off;
SELECT id FROM ihv ORDER BY v <-> '[1,2,3]' LIMIT 1;
ROLLBACK;
CREATE TABLE ihv_nodim (v halfvec);
CREATE INDEX ON ihv_nodim USING ivfpq (v halfvec_l2_ops);
CREATE INDEX ON ihv_nodim USING ivfpq (v);
DROP TABLE ihv_nodim;
DROP TABLE ihv;

-- 16000 dimensions, halfvec's limit
CREATE TABLE ihv_big (id int, v halfvec(16000));
INSERT INTO ihv_big SELECT i, (SELECT array_agg(((j * i) % 17) * 0.125 - 1)
	FROM generate_series(1, 16000) j)::halfvec FROM generate_series(1, 12) i;
CREATE INDEX ON ihv_big USING ivfpq (v halfvec_l2_ops) WITH (lists = 2);
SET ivfpq.probes = 2;
SELECT pg_temp.same($$SELECT id, v <-> (SELECT v FROM ihv_big WHERE id = 5) AS d FROM ihv_big ORDER BY v <-> (SELECT v FROM ihv_big WHERE id = 5)$$);
SELECT pgvq_index_check('ihv_big_v_idx');
DROP TABLE ihv_big;

-- pgvector's half-precision indexing recipe: vector storage, a halfvec
-- expression index
CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3));
INSERT INTO items (embedding) SELECT ARRAY[i % 7, (i * 5 % 11) * 0.5, i % 3 + 0.1]
	FROM generate_series(1, 300) i;
INSERT INTO items (embedding) VALUES ('[1,2,3]'), ('[1,2,3.0001]'), (NULL);
CREATE INDEX ON items USING ivfpq ((embedding::halfvec(3)) halfvec_l2_ops) WITH (lists = 3);
SET ivfpq.probes = 3;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM items ORDER BY embedding::halfvec(3) <-> '[1,2,3]' LIMIT 5;
SELECT id, embedding, embedding::halfvec(3) <-> '[1,2,3]' AS d FROM items
	ORDER BY embedding::halfvec(3) <-> '[1,2,3]' LIMIT 5;
RESET enable_seqscan;
SELECT pg_temp.same($$SELECT id, embedding::halfvec(3) <-> '[1,2,3]' AS d FROM items WHERE embedding IS NOT NULL ORDER BY embedding::halfvec(3) <-> '[1,2,3]'$$);
-- inserts and VACUUM through the expression
INSERT INTO items (embedding) SELECT ARRAY[i % 5, i % 4, (i * 3 % 7) * 0.25] FROM generate_series(1, 50) i;
DELETE FROM items WHERE id % 5 = 0;
VACUUM items;
SELECT pg_temp.same($$SELECT id, embedding::halfvec(3) <-> '[2,0.5,1]' AS d FROM items WHERE embedding IS NOT NULL ORDER BY embedding::halfvec(3) <-> '[2,0.5,1]'$$);
SELECT pgvq_index_check('items_embedding_idx');
-- the other operator classes through the expression too
CREATE INDEX items_ip ON items USING ivfpq ((embedding::halfvec(3)) halfvec_ip_ops) WITH (lists = 3);
CREATE INDEX items_cos ON items USING ivfpq ((embedding::halfvec(3)) halfvec_cosine_ops) WITH (lists = 3);
SELECT pg_temp.same($$SELECT id, embedding::halfvec(3) <#> '[1,2,3]' AS d FROM items WHERE embedding IS NOT NULL ORDER BY embedding::halfvec(3) <#> '[1,2,3]'$$);
SELECT pg_temp.same($$SELECT id, embedding::halfvec(3) <=> '[1,2,3]' AS d FROM items WHERE embedding IS NOT NULL AND embedding <> '[0,0,0]' ORDER BY embedding::halfvec(3) <=> '[1,2,3]'$$);
SELECT pgvq_index_check('items_ip'), pgvq_index_check('items_cos');
-- an expression without dimensions cannot be indexed
CREATE INDEX ON items USING ivfpq ((embedding::halfvec) halfvec_l2_ops);
DROP TABLE items;
RESET ivfpq.probes;
RESET max_parallel_workers_per_gather;
-- the column's type is known by its input function, not its name: a renamed
-- halfvec (or one in another schema) still indexes and scans
CREATE TABLE hr (id int, v halfvec(3));
INSERT INTO hr SELECT i, ARRAY[i % 7, i % 11, i % 13]::halfvec FROM generate_series(1, 300) i;
CREATE INDEX hr_idx ON hr USING ivfpq (v halfvec_l2_ops) WITH (lists = 3);
ALTER TYPE halfvec RENAME TO half_vector;
\c
SET enable_seqscan = off;
SET ivfpq.probes = 3;
INSERT INTO hr VALUES (301, '[1,2,3]');
SELECT id FROM hr ORDER BY v <-> '[1,2,3]', id LIMIT 3;
ALTER TYPE half_vector RENAME TO halfvec;
DROP TABLE hr;
RESET ivfpq.probes;
RESET enable_seqscan;
