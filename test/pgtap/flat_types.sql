-- pgTAP: the flat operator classes of halfvec, bit and sparsevec (pgvector's
-- names and operators), their use by the planner and their SQLSTATEs.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgvq;
SELECT plan(20);

SELECT has_opclass('halfvec_l2_ops', 'opclass halfvec_l2_ops');
SELECT has_opclass('halfvec_ip_ops', 'opclass halfvec_ip_ops');
SELECT has_opclass('halfvec_cosine_ops', 'opclass halfvec_cosine_ops');
SELECT has_opclass('halfvec_l1_ops', 'opclass halfvec_l1_ops');
SELECT has_opclass('bit_hamming_ops', 'opclass bit_hamming_ops');
SELECT has_opclass('bit_jaccard_ops', 'opclass bit_jaccard_ops');
SELECT has_opclass('sparsevec_l2_ops', 'opclass sparsevec_l2_ops');
SELECT has_opclass('sparsevec_ip_ops', 'opclass sparsevec_ip_ops');
SELECT has_opclass('sparsevec_cosine_ops', 'opclass sparsevec_cosine_ops');
SELECT has_opclass('sparsevec_l1_ops', 'opclass sparsevec_l1_ops');

-- each belongs to flat, for its type, with one ordering operator of that type
SELECT results_eq(
	$$SELECT c.opcname::text COLLATE "default", format_type(c.opcintype, NULL) COLLATE "default",
		o.oprname::text COLLATE "default", format_type(o.oprleft, NULL) COLLATE "default",
		format_type(o.oprright, NULL) COLLATE "default", ao.amopstrategy::int,
		ao.amoppurpose::text COLLATE "default", c.opcdefault
	  FROM pg_opclass c
	  JOIN pg_am a ON a.oid = c.opcmethod
	  JOIN pg_amop ao ON ao.amopfamily = c.opcfamily
	  JOIN pg_operator o ON o.oid = ao.amopopr
	  WHERE a.amname = 'flat' AND c.opcintype <> 'vector'::regtype
	  ORDER BY c.opcname$$,
	$$VALUES ('bit_hamming_ops', 'bit', '<~>', 'bit', 'bit', 5, 'o', false),
	         ('bit_jaccard_ops', 'bit', '<%>', 'bit', 'bit', 6, 'o', false),
	         ('halfvec_cosine_ops', 'halfvec', '<=>', 'halfvec', 'halfvec', 3, 'o', false),
	         ('halfvec_ip_ops', 'halfvec', '<#>', 'halfvec', 'halfvec', 2, 'o', false),
	         ('halfvec_l1_ops', 'halfvec', '<+>', 'halfvec', 'halfvec', 4, 'o', false),
	         ('halfvec_l2_ops', 'halfvec', '<->', 'halfvec', 'halfvec', 1, 'o', false),
	         ('sparsevec_cosine_ops', 'sparsevec', '<=>', 'sparsevec', 'sparsevec', 3, 'o', false),
	         ('sparsevec_ip_ops', 'sparsevec', '<#>', 'sparsevec', 'sparsevec', 2, 'o', false),
	         ('sparsevec_l1_ops', 'sparsevec', '<+>', 'sparsevec', 'sparsevec', 4, 'o', false),
	         ('sparsevec_l2_ops', 'sparsevec', '<->', 'sparsevec', 'sparsevec', 1, 'o', false)$$,
	'flat opclasses of halfvec, bit and sparsevec: one ordering operator each');
SELECT ok(bool_and(amvalidate(c.oid)), 'amvalidate accepts every flat opclass')
	FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod WHERE a.amname = 'flat';

-- the planner uses them
CREATE TABLE tap_ft (id int, h halfvec(3), b bit(4), s sparsevec(5));
INSERT INTO tap_ft SELECT i, ARRAY[i % 7, i % 11, i % 13]::halfvec, (i % 16)::bit(4),
	('{' || (1 + i % 5) || ':' || i || '}/5')::sparsevec FROM generate_series(1, 2000) i;
CREATE INDEX tap_ft_h ON tap_ft USING flat (h halfvec_l2_ops);
CREATE INDEX tap_ft_b ON tap_ft USING flat (b bit_hamming_ops);
CREATE INDEX tap_ft_s ON tap_ft USING flat (s sparsevec_cosine_ops);
ANALYZE tap_ft;

\ir include/plan_of.sql
SELECT matches(pg_temp.plan_of($$SELECT id FROM tap_ft ORDER BY h <-> '[1,2,3]' LIMIT 10$$),
	'Index Scan using tap_ft_h', 'ORDER BY halfvec <-> LIMIT uses the flat index');
SELECT matches(pg_temp.plan_of($$SELECT id FROM tap_ft ORDER BY b <~> B'1010' LIMIT 10$$),
	'Index Scan using tap_ft_b', 'ORDER BY bit <~> LIMIT uses the flat index');
SELECT matches(pg_temp.plan_of($$SELECT id FROM tap_ft ORDER BY s <=> '{1:1}/5' LIMIT 10$$),
	'Index Scan using tap_ft_s', 'ORDER BY sparsevec <=> LIMIT uses the flat index');

-- SQLSTATEs: the operators' for a query of other dimensions, the flat limits
SET LOCAL enable_seqscan = off;
SELECT throws_ok($$SELECT id FROM tap_ft ORDER BY h <-> '[1,2]' LIMIT 1$$,
	'22000', 'different halfvec dimensions 3 and 2', 'halfvec query of other dimensions: 22000');
SELECT throws_ok($$SELECT id FROM tap_ft ORDER BY b <~> B'101' LIMIT 1$$,
	'22000', 'different bit lengths 4 and 3', 'bit query of another length: 22000');
SELECT throws_ok($$SELECT id FROM tap_ft ORDER BY s <=> '{1:1}/6' LIMIT 1$$,
	'22000', 'different sparsevec dimensions 5 and 6', 'sparsevec query of other dimensions: 22000');
CREATE TABLE tap_ft_big (h halfvec(5000), s sparsevec(3000));
SELECT throws_ok($$CREATE INDEX ON tap_ft_big USING flat (h halfvec_l2_ops)$$,
	'54000', NULL, 'more halfvec dimensions than a page holds: 54000');
CREATE INDEX ON tap_ft_big USING flat (s sparsevec_l2_ops);
SELECT throws_ok($$INSERT INTO tap_ft_big (s) SELECT ('{' || string_agg(i || ':1', ',') || '}/3000')::sparsevec
	FROM generate_series(1, 2000) i$$,
	'54000', NULL, 'more non-zero elements than a page holds: 54000');

SELECT * FROM finish();
ROLLBACK;
