-- pgTAP: the catalogue contract of the sparsevec type and of the bit
-- distances (pgvector 0.8 names), and the SQLSTATE of each error path.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgvq;

SELECT plan(81);

-- ---- sparsevec type -----------------------------------------------------------------
SELECT has_type('sparsevec');
SELECT is((SELECT typstorage::text FROM pg_type WHERE oid = 'sparsevec'::regtype), 'e',
	'sparsevec has STORAGE external, as in pgvector');
SELECT is((SELECT typmodin::text FROM pg_type WHERE oid = 'sparsevec'::regtype), 'sparsevec_typmod_in',
	'sparsevec takes a type modifier');
SELECT is(format_type('sparsevec'::regtype, 5), 'sparsevec(5)', 'sparsevec(n) is printed as such');

-- ---- functions -------------------------------------------------------------------------
SELECT function_returns(f, a::name[], r, f || '(' || array_to_string(a, ', ') || ') returns ' || r)
FROM (VALUES
	('sparsevec_in', '{cstring,oid,integer}'::text[], 'sparsevec'),
	('sparsevec_out', '{sparsevec}', 'cstring'),
	('sparsevec_typmod_in', '{cstring[]}', 'integer'),
	('sparsevec_recv', '{internal,oid,integer}', 'sparsevec'),
	('sparsevec_send', '{sparsevec}', 'bytea'),
	('l2_distance', '{sparsevec,sparsevec}', 'double precision'),
	('inner_product', '{sparsevec,sparsevec}', 'double precision'),
	('cosine_distance', '{sparsevec,sparsevec}', 'double precision'),
	('l1_distance', '{sparsevec,sparsevec}', 'double precision'),
	('l2_norm', '{sparsevec}', 'double precision'),
	('l2_normalize', '{sparsevec}', 'sparsevec'),
	('sparsevec_lt', '{sparsevec,sparsevec}', 'boolean'),
	('sparsevec_le', '{sparsevec,sparsevec}', 'boolean'),
	('sparsevec_eq', '{sparsevec,sparsevec}', 'boolean'),
	('sparsevec_ne', '{sparsevec,sparsevec}', 'boolean'),
	('sparsevec_ge', '{sparsevec,sparsevec}', 'boolean'),
	('sparsevec_gt', '{sparsevec,sparsevec}', 'boolean'),
	('sparsevec_cmp', '{sparsevec,sparsevec}', 'integer'),
	('sparsevec_l2_squared_distance', '{sparsevec,sparsevec}', 'double precision'),
	('sparsevec_negative_inner_product', '{sparsevec,sparsevec}', 'double precision'),
	('sparsevec', '{sparsevec,integer,boolean}', 'sparsevec'),
	('vector_to_sparsevec', '{vector,integer,boolean}', 'sparsevec'),
	('sparsevec_to_vector', '{sparsevec,integer,boolean}', 'vector'),
	('array_to_sparsevec', '{integer[],integer,boolean}', 'sparsevec'),
	('array_to_sparsevec', '{real[],integer,boolean}', 'sparsevec'),
	('array_to_sparsevec', '{double precision[],integer,boolean}', 'sparsevec'),
	('array_to_sparsevec', '{numeric[],integer,boolean}', 'sparsevec'),
	('hamming_distance', '{bit,bit}', 'double precision'),
	('jaccard_distance', '{bit,bit}', 'double precision')
) t(f, a, r);

SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.prokind = 'f'
	  AND (p.proname LIKE 'sparsevec%' OR p.proname IN ('vector_to_sparsevec', 'array_to_sparsevec',
		'hamming_distance', 'jaccard_distance', 'l2_norm')
		OR 'sparsevec'::regtype = ANY (p.proargtypes::oid[]))
	  AND pg_function_is_visible(p.oid)
	  AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')
$$, 'sparsevec and bit functions are IMMUTABLE STRICT PARALLEL SAFE');

-- ---- operators -------------------------------------------------------------------------
SELECT results_eq($$
	SELECT o.oprname::text COLLATE "default", p.proname::text COLLATE "default", coalesce((SELECT c.oprname::text FROM pg_operator c WHERE c.oid = o.oprcom), '0') COLLATE "default",
		coalesce((SELECT n.oprname::text FROM pg_operator n WHERE n.oid = o.oprnegate), '0') COLLATE "default"
	FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode WHERE o.oprleft = 'sparsevec'::regtype AND o.oprright = 'sparsevec'::regtype ORDER BY 1
$$, $$ VALUES ('<', 'sparsevec_lt', '>', '>='), ('<#>', 'sparsevec_negative_inner_product', '<#>', '0'),
	('<+>', 'l1_distance', '<+>', '0'), ('<->', 'l2_distance', '<->', '0'), ('<=', 'sparsevec_le', '>=', '>'),
	('<=>', 'cosine_distance', '<=>', '0'), ('<>', 'sparsevec_ne', '<>', '='), ('=', 'sparsevec_eq', '=', '<>'),
	('>', 'sparsevec_gt', '<', '<='), ('>=', 'sparsevec_ge', '<=', '<') $$,
	'sparsevec operators: pgvector''s functions, commutators and negators');
SELECT results_eq($$
	SELECT o.oprname::text COLLATE "default", p.proname::text COLLATE "default", o.oprresult::regtype::text
	FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode WHERE o.oprleft = 'bit'::regtype AND o.oprright = 'bit'::regtype
	  AND o.oprname IN ('<~>', '<%>') ORDER BY 1
$$, $$ VALUES ('<%>', 'jaccard_distance', 'double precision'), ('<~>', 'hamming_distance', 'double precision') $$,
	'bit distance operators <~> and <%>');

-- ---- btree opclass -----------------------------------------------------------------------
SELECT has_opclass('sparsevec_ops', 'sparsevec_ops opclass exists');
SELECT results_eq($$
	SELECT am.amname::text COLLATE "default", c.opcdefault FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
	WHERE c.opcname = 'sparsevec_ops' AND c.opcintype = 'sparsevec'::regtype
$$, $$ VALUES ('btree', true) $$, 'sparsevec_ops is the default btree opclass of sparsevec');
SELECT results_eq($$
	SELECT ao.amopstrategy::int, ao.amopopr::regoperator::text FROM pg_amop ao
	JOIN pg_opfamily f ON f.oid = ao.amopfamily JOIN pg_am am ON am.oid = f.opfmethod
	WHERE f.opfname = 'sparsevec_ops' AND am.amname = 'btree' ORDER BY 1
$$, $$ VALUES (1, '<(sparsevec,sparsevec)'), (2, '<=(sparsevec,sparsevec)'), (3, '=(sparsevec,sparsevec)'),
	(4, '>=(sparsevec,sparsevec)'), (5, '>(sparsevec,sparsevec)') $$, 'sparsevec_ops has the five btree strategies');
SELECT ok(amvalidate(c.oid), 'amvalidate accepts sparsevec_ops')
FROM pg_opclass c WHERE c.opcname = 'sparsevec_ops';

-- ---- casts --------------------------------------------------------------------------------
SELECT results_eq($$
	SELECT castsource::regtype::text, casttarget::regtype::text, castcontext::text, p.proname::text COLLATE "default"
	FROM pg_cast c JOIN pg_proc p ON p.oid = c.castfunc WHERE (castsource = 'sparsevec'::regtype OR casttarget = 'sparsevec'::regtype)
	ORDER BY 1, 2
$$, $$ VALUES ('double precision[]', 'sparsevec', 'a', 'array_to_sparsevec'),
	('halfvec', 'sparsevec', 'i', 'halfvec_to_sparsevec'),
	('integer[]', 'sparsevec', 'a', 'array_to_sparsevec'), ('numeric[]', 'sparsevec', 'a', 'array_to_sparsevec'),
	('real[]', 'sparsevec', 'a', 'array_to_sparsevec'), ('sparsevec', 'halfvec', 'a', 'sparsevec_to_halfvec'),
	('sparsevec', 'sparsevec', 'i', 'sparsevec'),
	('sparsevec', 'vector', 'a', 'sparsevec_to_vector'), ('vector', 'sparsevec', 'i', 'vector_to_sparsevec') $$,
	'sparsevec cast contexts are pgvector''s');
SELECT throws_ok($$SELECT '{1:65520}/1'::sparsevec::halfvec$$, '22003', '"65520" is out of range for type halfvec',
	'sparsevec to halfvec: a value past 65504 is out of range');
SELECT throws_ok($$SELECT '{}/16001'::sparsevec::halfvec$$, '54000', 'halfvec cannot have more than 16000 dimensions',
	'sparsevec to halfvec: more than 16000 dimensions');

-- ---- values through the contract -------------------------------------------------------------
SELECT is('{3:2,1:1.5}/5'::sparsevec::text, '{1:1.5,3:2}/5', 'text form: sorted, 1-based');
SELECT is(sparsevec_send('{1:1.5,3:2}/5'), '\x00000005000000020000000000000000000000023fc0000040000000'::bytea,
	'binary form: int32 dim, nnz, 0, 0-based int32 indices, float4 values, network order');
SELECT is('{1:3}/2'::sparsevec <-> '{2:4}/2', 5::float8, '<-> is the L2 distance');
SELECT is('{1:1,2:2}/2'::sparsevec <#> '{1:3,2:4}/2', -11::float8, '<#> is the negative inner product');
SELECT is('{1:1}/2'::sparsevec <=> '{2:2}/2', 1::float8, '<=> is the cosine distance');
SELECT is('{}/2'::sparsevec <+> '{1:3,2:4}/2', 7::float8, '<+> is the L1 distance');
SELECT is(B'1010' <~> B'0110', 2::float8, '<~> is the Hamming distance');
SELECT is(B'1110' <%> B'0111', 0.5::float8, '<%> is the Jaccard distance');

-- ---- SQLSTATEs --------------------------------------------------------------------------------
SELECT throws_ok($$SELECT '{1:1'::sparsevec$$, '22P02', NULL, 'syntax error: 22P02');
SELECT throws_ok($$SELECT '1:1}/1'::sparsevec$$, '22P02', NULL, 'no "{": 22P02');
SELECT throws_ok($$SELECT '{1:4e38}/1'::sparsevec$$, '22003', NULL, 'element out of range: 22003');
SELECT throws_ok($$SELECT '{1:1e-46}/1'::sparsevec$$, '22003', NULL, 'element underflow: 22003');
SELECT throws_ok($$SELECT '{1:NaN}/1'::sparsevec$$, '22000', 'NaN not allowed in sparsevec', 'NaN: 22000');
SELECT throws_ok($$SELECT '{1:-Infinity}/1'::sparsevec$$, '22000', 'infinite value not allowed in sparsevec', 'infinity: 22000');
SELECT throws_ok($$SELECT '{}/0'::sparsevec$$, '22000', 'sparsevec must have at least 1 dimension', 'no dimension: 22000');
SELECT throws_ok($$SELECT '{}/1000000001'::sparsevec$$, '54000', 'sparsevec cannot have more than 1000000000 dimensions', 'too many dimensions: 54000');
SELECT throws_ok($$SELECT '{2:1}/1'::sparsevec$$, '22000', 'sparsevec index out of bounds', 'index out of bounds: 22000');
SELECT throws_ok($$SELECT '{1:1,1:2}/1'::sparsevec$$, '22000', 'sparsevec indices must not contain duplicates', 'duplicate index: 22000');
SELECT throws_ok($$SELECT repeat(',', 16000)::sparsevec$$, '54000', 'sparsevec cannot have more than 16000 non-zero elements', 'too many elements: 54000');
SELECT throws_ok($$SELECT '{}/1'::sparsevec(0)$$, '22023', 'dimensions for type sparsevec must be at least 1', 'typmod 0: 22023');
SELECT throws_ok($$SELECT '{}/1'::sparsevec(1000000001)$$, '22023', 'dimensions for type sparsevec cannot exceed 1000000000', 'typmod too large: 22023');
SELECT throws_ok($$SELECT '{}/1'::sparsevec(1, 1)$$, '22023', 'invalid type modifier', 'two typmods: 22023');
SELECT throws_ok($$SELECT '{}/2'::sparsevec(3)$$, '22000', 'expected 3 dimensions, not 2', 'typmod mismatch: 22000');
SELECT throws_ok($$SELECT '{}/2'::sparsevec <-> '{}/1'$$, '22000', 'different sparsevec dimensions 2 and 1', '<-> dimensions: 22000');
SELECT throws_ok($$SELECT '{}/2'::sparsevec <#> '{}/1'$$, '22000', 'different sparsevec dimensions 2 and 1', '<#> dimensions: 22000');
SELECT throws_ok($$SELECT '{}/2'::sparsevec <=> '{}/1'$$, '22000', 'different sparsevec dimensions 2 and 1', '<=> dimensions: 22000');
SELECT throws_ok($$SELECT '{}/2'::sparsevec <+> '{}/1'$$, '22000', 'different sparsevec dimensions 2 and 1', '<+> dimensions: 22000');
SELECT throws_ok($$SELECT '{NULL}'::real[]::sparsevec$$, '22004', 'array must not contain nulls', 'array with nulls: 22004');
SELECT throws_ok($$SELECT '{{1}}'::real[]::sparsevec$$, '22000', 'array must be 1-D', '2-D array: 22000');
SELECT throws_ok($$SELECT '{}'::real[]::sparsevec$$, '22000', 'sparsevec must have at least 1 dimension', 'empty array: 22000');
SELECT throws_ok($$SELECT array_fill(1, ARRAY[16001])::sparsevec$$, '54000', 'sparsevec cannot have more than 16000 non-zero elements', '16001 non-zeros: 54000');
SELECT throws_ok($$SELECT '{}/16001'::sparsevec::vector$$, '54000', 'vector cannot have more than 16000 dimensions', 'to vector, too long: 54000');
SELECT throws_ok($$SELECT B'1' <~> B'10'$$, '22000', 'different bit lengths 1 and 2', '<~> lengths: 22000');
SELECT throws_ok($$SELECT B'1' <%> B'10'$$, '22000', 'different bit lengths 1 and 2', '<%> lengths: 22000');

-- ---- relocatable: the type works from another schema ---------------------------------------------
CREATE SCHEMA pgtap_pgvq_sparse_moved;
ALTER EXTENSION pgvq SET SCHEMA pgtap_pgvq_sparse_moved;
SELECT is((SELECT typnamespace::regnamespace::text FROM pg_type WHERE typname = 'sparsevec'),
	'pgtap_pgvq_sparse_moved', 'sparsevec moves with the extension');
SELECT is(pgtap_pgvq_sparse_moved.l2_distance('{1:3}/2'::pgtap_pgvq_sparse_moved.sparsevec, '{2:4}/2'), 5::float8,
	'sparsevec functions work after the move');
SELECT is('[0,2]'::pgtap_pgvq_sparse_moved.vector::pgtap_pgvq_sparse_moved.sparsevec::text, '{2:2}/2',
	'vector -> sparsevec cast works after the move');
SET LOCAL search_path = public, pgtap_pgvq_sparse_moved;
SELECT is(B'11' <~> B'00', 2::float8, 'bit operators work after the move');

SELECT * FROM finish();
ROLLBACK;
