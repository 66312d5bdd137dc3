-- pgTAP: the flat access method's catalogue contract, index use and SQLSTATEs.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgvq;
SELECT plan(24);

-- the access method and its operator classes
SELECT ok(EXISTS (SELECT 1 FROM pg_am WHERE amname = 'flat' AND amtype = 'i'),
	'access method flat exists');
SELECT has_function('flathandler', ARRAY['internal'], 'handler function flathandler(internal)');
SELECT has_opclass('vector_l2_ops', 'opclass vector_l2_ops');
SELECT has_opclass('vector_ip_ops', 'opclass vector_ip_ops');
SELECT has_opclass('vector_cosine_ops', 'opclass vector_cosine_ops');
SELECT has_opclass('vector_l1_ops', 'opclass vector_l1_ops');

-- each opclass belongs to flat, for type vector, with its ordering operator
SELECT results_eq(
	$$SELECT c.opcname::text COLLATE "default", o.oprname::text COLLATE "default", ao.amopstrategy::int, ao.amoppurpose::text COLLATE "default", c.opcdefault
	  FROM pg_opclass c
	  JOIN pg_am a ON a.oid = c.opcmethod
	  JOIN pg_amop ao ON ao.amopfamily = c.opcfamily
	  JOIN pg_operator o ON o.oid = ao.amopopr
	  WHERE a.amname = 'flat' AND c.opcintype = 'vector'::regtype
	  ORDER BY ao.amopstrategy$$,
	$$VALUES ('vector_l2_ops', '<->', 1, 'o', true),
	         ('vector_ip_ops', '<#>', 2, 'o', false),
	         ('vector_cosine_ops', '<=>', 3, 'o', false),
	         ('vector_l1_ops', '<+>', 4, 'o', false)$$,
	'flat opclasses: one ordering operator each, l2 is the default');
SELECT ok(bool_and(amvalidate(c.oid)), 'amvalidate accepts every flat opclass')
	FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod WHERE a.amname = 'flat';

-- index usage in EXPLAIN
CREATE TABLE tap_flat (id int, v vector(4));
INSERT INTO tap_flat SELECT i, ARRAY[i % 7, i % 11, i % 13, i % 17]::vector FROM generate_series(1, 3000) i;
CREATE INDEX tap_flat_l2 ON tap_flat USING flat (v vector_l2_ops);
CREATE INDEX tap_flat_ip ON tap_flat USING flat (v vector_ip_ops);
CREATE INDEX tap_flat_cos ON tap_flat USING flat (v vector_cosine_ops);
CREATE INDEX tap_flat_l1 ON tap_flat USING flat (v vector_l1_ops);
ANALYZE tap_flat;

\ir include/plan_of.sql

SELECT index_is_type('tap_flat', 'tap_flat_l2', 'flat');
SELECT matches(pg_temp.plan_of($$SELECT id FROM tap_flat ORDER BY v <-> '[1,2,3,4]' LIMIT 10$$),
	'Index Scan using tap_flat_l2', 'ORDER BY <-> LIMIT uses the l2 flat index');
SELECT matches(pg_temp.plan_of($$SELECT id FROM tap_flat ORDER BY v <#> '[1,2,3,4]' LIMIT 10$$),
	'Index Scan using tap_flat_ip', 'ORDER BY <#> LIMIT uses the ip flat index');
SELECT matches(pg_temp.plan_of($$SELECT id FROM tap_flat ORDER BY v <=> '[1,2,3,4]' LIMIT 10$$),
	'Index Scan using tap_flat_cos', 'ORDER BY <=> LIMIT uses the cosine flat index');
SELECT matches(pg_temp.plan_of($$SELECT id FROM tap_flat ORDER BY v <+> '[1,2,3,4]' LIMIT 10$$),
	'Index Scan using tap_flat_l1', 'ORDER BY <+> LIMIT uses the l1 flat index');
SELECT doesnt_match(pg_temp.plan_of($$SELECT id FROM tap_flat WHERE id < 10$$),
	'tap_flat_', 'a query without a distance ordering does not use a flat index');
SELECT doesnt_match(pg_temp.plan_of($$SELECT id FROM tap_flat ORDER BY v LIMIT 10$$),
	'tap_flat_', 'ORDER BY the column itself does not use a flat index');

-- the index answer equals the sequential answer
SET LOCAL enable_seqscan = off;
CREATE TEMP TABLE tap_by_index AS
	SELECT array_agg(id) AS ids FROM (SELECT id FROM tap_flat ORDER BY v <-> '[3.1,2.37,7.21,1.13]' LIMIT 20) s;
SET LOCAL enable_seqscan = on;
SET LOCAL enable_indexscan = off;
SELECT results_eq(
	$$SELECT array_agg(id) FROM (SELECT id FROM tap_flat ORDER BY v <-> '[3.1,2.37,7.21,1.13]' LIMIT 20) s$$,
	$$SELECT ids FROM tap_by_index$$,
	'flat index top-20 equals the sequential scan top-20');
SET LOCAL enable_indexscan = on;
SET LOCAL enable_seqscan = off;

-- SQLSTATEs
SELECT throws_ok($$SELECT id FROM tap_flat ORDER BY v <-> '[1,2,3]' LIMIT 1$$,
	'22000', 'different vector dimensions 4 and 3', 'query vector of the wrong dimension: 22000');
CREATE TABLE tap_flat_big (v vector(2100));
SELECT throws_ok($$CREATE INDEX ON tap_flat_big USING flat (v)$$,
	'54000', NULL, 'more dimensions than a page holds: program_limit_exceeded');
CREATE TABLE tap_flat_mixed (v vector);
INSERT INTO tap_flat_mixed VALUES ('[1,2]'), ('[1,2,3]');
SELECT throws_ok($$CREATE INDEX ON tap_flat_mixed USING flat (v)$$,
	'22000', 'expected 2 dimensions, not 3', 'mixed dimensions at CREATE INDEX: 22000');
SELECT throws_ok($$CREATE INDEX ON tap_flat USING flat (v) WITH (lists = 1)$$,
	'22023', NULL, 'unknown storage parameter: 22023');
SELECT throws_ok($$CREATE INDEX ON tap_flat USING flat (id)$$,
	'42704', NULL, 'no flat opclass for int: 42704');
SELECT throws_ok($$CREATE INDEX ON tap_flat USING flat (v, v)$$,
	'0A000', NULL, 'flat indexes have one column');

-- settings
SELECT is(current_setting('pgvq.flat_batch_size'), '100', 'pgvq.flat_batch_size defaults to 100');
SELECT throws_ok($$SET pgvq.flat_batch_size = 0$$, '22023', NULL, 'pgvq.flat_batch_size must be positive');

SELECT * FROM finish();
ROLLBACK;
