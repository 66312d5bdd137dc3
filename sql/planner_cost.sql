-- The planner's price of a distance (distance_cost.c): the distance functions
-- carry a support function answering SupportRequestCost with the arithmetic
-- over the dimensions and, for a column stored out of line, a TOAST fetch;
-- ivfpq charges the same fetch for every heap row it re-ranks.  With it the
-- planner takes the index over a sequential scan of a table whose vectors are
-- TOASTed (each row detoasted for its distance), and a sequential scan on a
-- tiny table.
SET client_min_messages = warning;
SELECT setseed(0.42);

-- every distance function behind an operator, and the named ones, has it
SELECT o.oprname, o.oprleft::regtype, o.oprcode, p.prosupport
FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
WHERE o.oprname IN ('<->', '<#>', '<=>', '<+>', '<~>', '<%>')
  AND o.oprleft IN ('vector'::regtype, 'halfvec'::regtype, 'sparsevec'::regtype, 'bit'::regtype)
ORDER BY 1, 2;
SELECT p.oid::regprocedure, p.prosupport, p.provolatile, p.proparallel
FROM pg_proc p
WHERE p.proname IN ('l2_distance', 'inner_product', 'cosine_distance', 'l1_distance',
                    'vector_l2_squared_distance', 'halfvec_l2_squared_distance',
                    'sparsevec_l2_squared_distance', 'vector_spherical_distance',
                    'halfvec_spherical_distance', 'vector_negative_inner_product',
                    'halfvec_negative_inner_product', 'sparsevec_negative_inner_product',
                    'hamming_distance', 'jaccard_distance')
ORDER BY p.oid::regprocedure::text;
SELECT p.oid::regprocedure, p.prorettype::regtype, p.provolatile, p.proisstrict
FROM pg_proc p WHERE p.proname LIKE 'pgvq\_%\_distance\_support' ORDER BY p.proname;

-- a field of a query's top plan node, an index scan's startup cost, and the
-- index a plan reads (or 'seq scan')
CREATE FUNCTION pg_temp.top(q text, field text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
	RETURN (j->0->'Plan'->>field)::float8;
END $$;
CREATE FUNCTION pg_temp.index_startup(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json; c float8;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
	WITH RECURSIVE n(node) AS (SELECT j->0->'Plan'
		UNION ALL SELECT x FROM n, json_array_elements(n.node->'Plans') x)
	SELECT (node->>'Startup Cost')::float8 INTO c FROM n WHERE node->>'Node Type' = 'Index Scan';
	RETURN c;
END $$;
\i sql/include/plan_index.sql
-- what one call of expression e costs over the rows of from-list t, in
-- operator costs (the query's cost less that of a constant)
CREATE FUNCTION pg_temp.call_cost(t text, e text) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
	RETURN round(((pg_temp.top(format('SELECT %s FROM %s', e, t), 'Total Cost') -
				   pg_temp.top(format('SELECT 1::float8 FROM %s', t), 'Total Cost')) /
				  pg_temp.top(format('SELECT 1 FROM %s', t), 'Plan Rows') /
				  current_setting('cpu_operator_cost')::float8)::numeric, 1);
END $$;

-- 3,000 random vector(1024) (4 kB each), stored out of line (the type's
-- default storage, external) and plain; 20 of them
CREATE TABLE pc_toast (id int, v vector(1024));
CREATE TABLE pc_plain (id int, v vector(1024));
ALTER TABLE pc_plain ALTER v SET STORAGE plain;
INSERT INTO pc_toast
	SELECT i, ARRAY(SELECT random() FROM generate_series(1, 1024) WHERE i > 0)::vector
	FROM generate_series(1, 3000) i;
INSERT INTO pc_plain SELECT * FROM pc_toast;
CREATE TABLE pc_tiny AS SELECT * FROM pc_toast WHERE id <= 20;
CREATE INDEX pc_toast_iv ON pc_toast USING ivfpq (v) WITH (lists = 50);
CREATE INDEX pc_plain_iv ON pc_plain USING ivfpq (v) WITH (lists = 50);
CREATE INDEX pc_tiny_iv ON pc_tiny USING ivfpq (v) WITH (lists = 2);
VACUUM ANALYZE pc_toast, pc_plain, pc_tiny;
-- (whether a table's values went out of line: its toast table has pages)
CREATE FUNCTION pg_temp.out_of_line(t text) RETURNS bool LANGUAGE sql AS $$
	SELECT pg_relation_size(reltoastrelid) > 0 FROM pg_class WHERE oid = t::regclass
$$;
SELECT c.relname, a.attstorage, pg_temp.out_of_line(c.relname) AS out_of_line
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'v'
WHERE c.relname IN ('pc_toast', 'pc_plain') ORDER BY 1;

-- the plans: the index on the TOASTed table (a sequential scan detoasts all
-- 3,000 rows for a top-N sort) and on the plain one, a sequential scan on
-- 20 rows
SELECT pg_temp.plan($$SELECT id FROM pc_toast ORDER BY v <-> (SELECT v FROM pc_plain WHERE id = 7) LIMIT 10$$) AS toast,
       pg_temp.plan($$SELECT id FROM pc_plain ORDER BY v <-> (SELECT v FROM pc_plain WHERE id = 7) LIMIT 10$$) AS plain,
       pg_temp.plan($$SELECT id FROM pc_tiny ORDER BY v <-> (SELECT v FROM pc_plain WHERE id = 7) LIMIT 10$$) AS tiny;
-- a prepared statement's generic plan (the query a parameter of unknown
-- dimensions: the column's typmod prices it)
PREPARE pc_q(vector) AS SELECT id FROM pc_toast ORDER BY v <-> $1 LIMIT 10;
SET plan_cache_mode = force_generic_plan;
SELECT pg_temp.plan(format('EXECUTE pc_q(%L)', array_fill(0.5, ARRAY[1024])::vector)) AS generic;
RESET plan_cache_mode;
DEALLOCATE pc_q;
-- ivfpq charges the fetch for each row it re-ranks: the same index on the
-- TOASTed table starts dearer
SET enable_seqscan = off;
SELECT pg_temp.index_startup($$SELECT id FROM pc_toast ORDER BY v <-> (SELECT v FROM pc_plain WHERE id = 7) LIMIT 10$$) >
       pg_temp.index_startup($$SELECT id FROM pc_plain ORDER BY v <-> (SELECT v FROM pc_plain WHERE id = 7) LIMIT 10$$)
	AS toast_rerank_dearer;
RESET enable_seqscan;

-- one call in operator costs: 1 + 1024 / 16 for the arithmetic over a plain
-- column, the dimensions from the column's typmod, a constant's length or
-- both, whichever argument, operator or function
SELECT pg_temp.call_cost('pc_plain', 'v <-> v') AS col_col,
       pg_temp.call_cost('pc_plain', format('%L <#> v', array_fill(1, ARRAY[1024])::vector)) AS const_col,
       pg_temp.call_cost('pc_plain', 'cosine_distance(v, v)') AS func,
       pg_temp.call_cost('pc_plain', 'l1_distance(v::vector, v)') AS relabelled,
       pg_temp.call_cost('pc_plain', 'vector_l2_squared_distance(v, v)') AS squared;
-- a column without typmod: the dimensions of a constant (and with them
-- the values' storage, out of line here), or 128 when nothing tells
CREATE TABLE pc_untyped (v vector);
INSERT INTO pc_untyped SELECT v FROM pc_toast WHERE id <= 100;
ANALYZE pc_untyped;
SELECT pg_temp.out_of_line('pc_untyped') AS out_of_line,
       pg_temp.call_cost('pc_untyped', format('v <=> %L', array_fill(1, ARRAY[1024])::vector)) AS const_1024,
       pg_temp.call_cost('pc_untyped', $$v <-> '[1,2,3]'$$) AS const_3dims,
       pg_temp.call_cost('pc_untyped', 'v <-> v') AS unknown_dims;
-- out of line: a TOAST fetch per column argument, 4,104 bytes in 3 chunks
-- (0.75 toast page) at random_page_cost 4, 3 index and heap tuples and a
-- btree descent, 1,235 operator costs; scaled by random_page_cost
SELECT pg_temp.call_cost('pc_toast', format('v <-> %L', array_fill(1, ARRAY[1024])::vector)) AS one_column,
       pg_temp.call_cost('pc_toast', 'v <-> v') AS two_columns,
       pg_temp.call_cost('(SELECT v FROM pc_toast OFFSET 0) s', 'v <-> v') > 2500 AS subquery_columns;
SET random_page_cost = 1.1;
SELECT pg_temp.call_cost('pc_toast', format('v <-> %L', array_fill(1, ARRAY[1024])::vector)) AS one_column_rpc_1_1;
RESET random_page_cost;

-- halfvec (2 bytes a dimension), sparsevec (the entries of both arguments,
-- 4 to an operator cost, a column's as many as the constant's) and bit
-- (512 bits to an operator cost)
CREATE TABLE pc_types (h halfvec(1024), hp halfvec(1024), s sparsevec(100000), b bit(4096));
ALTER TABLE pc_types ALTER hp SET STORAGE plain;
INSERT INTO pc_types
	SELECT v::halfvec, v::halfvec, '{1:1,5:2,99:3}/100000', repeat('1', 4096)::bit(4096)
	FROM pc_toast WHERE id <= 100;
ANALYZE pc_types;
SELECT pg_temp.call_cost('pc_types', 'hp <-> hp') AS halfvec_plain,
       pg_temp.call_cost('pc_types', 'h <-> hp') > 500 AS halfvec_out_of_line,
       pg_temp.call_cost('pc_types', format('s <-> %L',
			(SELECT '{' || string_agg(i || ':1', ',') || '}/100000' FROM generate_series(1, 40) i))) AS sparse_40,
       pg_temp.call_cost('pc_types', 'b <~> b') AS hamming_4096,
       pg_temp.call_cost('pc_types', 'jaccard_distance(b, b)') AS jaccard_4096;

-- the support function's view of out of line against the heap's, both sides
-- of the threshold (an int and a vector of d dimensions make a row longer
-- than TOAST_TUPLE_THRESHOLD, 2,032 bytes, past 499 dimensions), and past
-- a table's toast_tuple_target when that is larger
DO $$
DECLARE d int;
BEGIN
	FOR d IN 497..502 LOOP
		EXECUTE format('CREATE TABLE pc_edge_%s (id int, v vector(%s))', d, d);
		EXECUTE format('INSERT INTO pc_edge_%s SELECT 1, array_fill(0.5, ARRAY[%s])', d, d);
		EXECUTE format('ANALYZE pc_edge_%s', d);
	END LOOP;
END $$;
SELECT d, pg_temp.out_of_line('pc_edge_' || d) AS stored_out_of_line,
       pg_temp.call_cost('pc_edge_' || d, 'v <-> v') > 100 AS priced_out_of_line
FROM generate_series(497, 502) d;
CREATE TABLE pc_target (id int, v vector(600)) WITH (toast_tuple_target = 4000);
INSERT INTO pc_target SELECT 1, array_fill(0.5, ARRAY[600]);
ANALYZE pc_target;
SELECT pg_temp.out_of_line('pc_target') AS stored_out_of_line,
       pg_temp.call_cost('pc_target', 'v <-> v') > 100 AS priced_out_of_line;
-- other storage (random values, which do not compress): main moves a value
-- out of line only past a page, extended as external, plain never
DO $$
DECLARE st text;
BEGIN
	FOREACH st IN ARRAY ARRAY['main', 'extended', 'plain'] LOOP
		EXECUTE format('CREATE TABLE pc_st_%s (id int, v vector(1024))', st);
		EXECUTE format('ALTER TABLE pc_st_%s ALTER v SET STORAGE %s', st, st);
		EXECUTE format('INSERT INTO pc_st_%s SELECT id, v FROM pc_toast WHERE id <= 20', st);
		EXECUTE format('ANALYZE pc_st_%s', st);
	END LOOP;
END $$;
SELECT st, pg_temp.out_of_line('pc_st_' || st) AS stored_out_of_line,
       pg_temp.call_cost('pc_st_' || st, 'v <-> v') > 100 AS priced_out_of_line
FROM unnest(ARRAY['main', 'extended', 'plain']) st;

-- never an error: a partitioned table, a view, an outer query's column, a
-- CTE, a join, a NULL argument, a WHERE clause, a DELETE
CREATE TABLE pc_part (id int, v vector(1024)) PARTITION BY RANGE (id);
CREATE TABLE pc_part_1 PARTITION OF pc_part FOR VALUES FROM (0) TO (100);
CREATE TABLE pc_part_2 PARTITION OF pc_part FOR VALUES FROM (100) TO (200);
INSERT INTO pc_part SELECT id, v FROM pc_toast WHERE id < 200;
ANALYZE pc_part;
CREATE VIEW pc_view AS SELECT id, v FROM pc_toast WHERE id < 100;
SELECT pg_temp.call_cost('pc_part', 'v <-> v') AS partitioned,
       pg_temp.call_cost('pc_view', 'v <-> v') AS view;
SELECT count(*) FROM (
	SELECT (SELECT min(a.v <-> b.v) FROM pc_plain b WHERE b.id < 3) FROM pc_toast a WHERE a.id < 5) s;
WITH c AS MATERIALIZED (SELECT v FROM pc_toast WHERE id < 5) SELECT count(v <-> v) FROM c;
SELECT count(a.v <-> b.v) FROM pc_tiny a JOIN pc_tiny b ON a.id = b.id + 1;
SELECT count(v <-> NULL) FROM pc_tiny;
SELECT count(*) FROM pc_tiny WHERE v <-> (SELECT v FROM pc_tiny WHERE id = 1) < 1e9;
EXPLAIN (COSTS OFF) DELETE FROM pc_tiny WHERE v <-> v > 1;
