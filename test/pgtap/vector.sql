-- pgTAP: the catalogue contract of the vector type (pgvector 0.8 names) and the
-- SQLSTATE and message of each of its error paths.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgvq;

SELECT plan(150);

-- ---- type ---------------------------------------------------------------------
SELECT has_type('vector');
SELECT is((SELECT typstorage::text FROM pg_type WHERE oid = 'vector'::regtype), 'e',
	'vector has STORAGE external, as in pgvector');
SELECT is((SELECT typmodin::text FROM pg_type WHERE oid = 'vector'::regtype), 'vector_typmod_in',
	'vector takes a type modifier');
SELECT is(format_type('vector'::regtype, 3), 'vector(3)', 'vector(n) is printed as such');

-- ---- functions, with argument types --------------------------------------------
SELECT has_function(f, a::name[], f || '(' || array_to_string(a, ', ') || ') exists')
FROM (VALUES
	('vector_in', '{cstring,oid,integer}'::text[]),
	('vector_out', '{vector}'),
	('vector_typmod_in', '{cstring[]}'),
	('vector_recv', '{internal,oid,integer}'),
	('vector_send', '{vector}'),
	('l2_distance', '{vector,vector}'),
	('inner_product', '{vector,vector}'),
	('cosine_distance', '{vector,vector}'),
	('l1_distance', '{vector,vector}'),
	('vector_dims', '{vector}'),
	('vector_norm', '{vector}'),
	('l2_normalize', '{vector}'),
	('binary_quantize', '{vector}'),
	('subvector', '{vector,integer,integer}'),
	('vector_add', '{vector,vector}'),
	('vector_sub', '{vector,vector}'),
	('vector_mul', '{vector,vector}'),
	('vector_concat', '{vector,vector}'),
	('vector_lt', '{vector,vector}'),
	('vector_le', '{vector,vector}'),
	('vector_eq', '{vector,vector}'),
	('vector_ne', '{vector,vector}'),
	('vector_ge', '{vector,vector}'),
	('vector_gt', '{vector,vector}'),
	('vector_cmp', '{vector,vector}'),
	('vector_l2_squared_distance', '{vector,vector}'),
	('vector_negative_inner_product', '{vector,vector}'),
	('vector_spherical_distance', '{vector,vector}'),
	('vector_accum', '{double precision[],vector}'),
	('vector_avg', '{double precision[]}'),
	('vector_combine', '{double precision[],double precision[]}'),
	('vector', '{vector,integer,boolean}'),
	('array_to_vector', '{integer[],integer,boolean}'),
	('array_to_vector', '{real[],integer,boolean}'),
	('array_to_vector', '{double precision[],integer,boolean}'),
	('array_to_vector', '{numeric[],integer,boolean}'),
	('vector_to_float4', '{vector,integer,boolean}')
) t(f, a);

-- return types of the public functions
SELECT function_returns(f, a::name[], r, f || ' returns ' || r)
FROM (VALUES
	('l2_distance', '{vector,vector}'::text[], 'double precision'),
	('inner_product', '{vector,vector}', 'double precision'),
	('cosine_distance', '{vector,vector}', 'double precision'),
	('l1_distance', '{vector,vector}', 'double precision'),
	('vector_dims', '{vector}', 'integer'),
	('vector_norm', '{vector}', 'double precision'),
	('l2_normalize', '{vector}', 'vector'),
	('binary_quantize', '{vector}', 'bit'),
	('subvector', '{vector,integer,integer}', 'vector'),
	('vector_cmp', '{vector,vector}', 'integer'),
	('vector_send', '{vector}', 'bytea')
) t(f, a, r);

-- every function of the type is IMMUTABLE STRICT PARALLEL SAFE, like pgvector's
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.prokind = 'f'
	  AND p.proname IN ('vector_in', 'vector_out', 'vector_typmod_in', 'vector_recv', 'vector_send',
		'l2_distance', 'inner_product', 'cosine_distance', 'l1_distance', 'vector_dims', 'vector_norm',
		'l2_normalize', 'binary_quantize', 'subvector', 'vector_add', 'vector_sub', 'vector_mul',
		'vector_concat', 'vector_lt', 'vector_le', 'vector_eq', 'vector_ne', 'vector_ge', 'vector_gt',
		'vector_cmp', 'vector_l2_squared_distance', 'vector_negative_inner_product',
		'vector_spherical_distance', 'vector_accum', 'vector_avg', 'vector_combine', 'vector',
		'array_to_vector', 'vector_to_float4')
	  AND pg_function_is_visible(p.oid)
	  AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')
$$, 'vector functions are IMMUTABLE STRICT PARALLEL SAFE');

-- ---- aggregates ----------------------------------------------------------------
SELECT is_aggregate('avg', ARRAY['vector'], 'avg(vector) is an aggregate');
SELECT is_aggregate('sum', ARRAY['vector'], 'sum(vector) is an aggregate');
SELECT function_returns('avg', ARRAY['vector'], 'vector', 'avg(vector) returns vector');
SELECT function_returns('sum', ARRAY['vector'], 'vector', 'sum(vector) returns vector');
SELECT results_eq($$
	SELECT a.aggtransfn::text, a.aggfinalfn::text, a.aggcombinefn::text, a.aggtranstype::regtype::text,
		a.agginitval COLLATE "default", p.proparallel::text
	FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE a.aggfnoid = 'avg(vector)'::regprocedure
$$, $$ VALUES ('vector_accum', 'vector_avg', 'vector_combine', 'double precision[]', '{0}', 's') $$,
	'avg(vector): float8[] state {n, sums...}, combine function, parallel safe');
SELECT results_eq($$
	SELECT a.aggtransfn::text, a.aggcombinefn::text, a.aggtranstype::regtype::text, p.proparallel::text
	FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE a.aggfnoid = 'sum(vector)'::regprocedure
$$, $$ VALUES ('vector_add', 'vector_add', 'vector', 's') $$,
	'sum(vector): vector_add as transition and combine function, parallel safe');

-- ---- operators -----------------------------------------------------------------
SELECT has_operator('vector', op, 'vector', r, 'operator vector ' || op || ' vector returns ' || r)
FROM (VALUES
	('<->', 'double precision'), ('<#>', 'double precision'), ('<=>', 'double precision'),
	('<+>', 'double precision'), ('+', 'vector'), ('-', 'vector'), ('*', 'vector'), ('||', 'vector'),
	('<', 'boolean'), ('<=', 'boolean'), ('=', 'boolean'), ('<>', 'boolean'), ('>=', 'boolean'),
	('>', 'boolean')
) t(op, r);
SELECT results_eq($$
	SELECT o.oprname::text COLLATE "default", p.proname::text COLLATE "default" FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
	WHERE o.oprleft = 'vector'::regtype AND o.oprright = 'vector'::regtype AND o.oprname IN ('<->', '<#>', '<=>', '<+>')
	ORDER BY 1
$$, $$ VALUES ('<#>', 'vector_negative_inner_product'), ('<+>', 'l1_distance'), ('<->', 'l2_distance'), ('<=>', 'cosine_distance') $$,
	'distance operators call pgvector''s functions');

-- ---- btree opclass ----------------------------------------------------------------
SELECT has_opclass('vector_ops', 'vector_ops opclass exists');
SELECT results_eq($$
	SELECT am.amname::text COLLATE "default", c.opcdefault FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
	WHERE c.opcname = 'vector_ops' AND c.opcintype = 'vector'::regtype
$$, $$ VALUES ('btree', true) $$, 'vector_ops is the default btree opclass of vector');
SELECT results_eq($$
	SELECT ao.amopstrategy::int, ao.amopopr::regoperator::text FROM pg_amop ao
	JOIN pg_opfamily f ON f.oid = ao.amopfamily JOIN pg_am am ON am.oid = f.opfmethod
	WHERE f.opfname = 'vector_ops' AND am.amname = 'btree' ORDER BY 1
$$, $$ VALUES (1, '<(vector,vector)'), (2, '<=(vector,vector)'), (3, '=(vector,vector)'),
	(4, '>=(vector,vector)'), (5, '>(vector,vector)') $$, 'vector_ops has the five btree strategies');
SELECT results_eq($$
	SELECT ap.amprocnum::int, ap.amproc::regproc::text FROM pg_amproc ap
	JOIN pg_opfamily f ON f.oid = ap.amprocfamily JOIN pg_am am ON am.oid = f.opfmethod
	WHERE f.opfname = 'vector_ops' AND am.amname = 'btree'
$$, $$ VALUES (1, 'vector_cmp') $$, 'vector_ops support function 1 is vector_cmp');

-- ---- casts ------------------------------------------------------------------------
SELECT has_cast(s, t, f, 'cast (' || s || ' AS ' || t || ') WITH FUNCTION ' || f)
FROM (VALUES
	('vector', 'vector', 'vector'),
	('vector', 'real[]', 'vector_to_float4'),
	('integer[]', 'vector', 'array_to_vector'),
	('real[]', 'vector', 'array_to_vector'),
	('double precision[]', 'vector', 'array_to_vector'),
	('numeric[]', 'vector', 'array_to_vector')
) t(s, t, f);
SELECT results_eq($$
	SELECT castsource::regtype::text, casttarget::regtype::text, castcontext::text FROM pg_cast
	WHERE (castsource = 'vector'::regtype OR casttarget = 'vector'::regtype)
	  -- casts to and from the other vector types are checked in their own files
	  AND castsource::regtype::text NOT IN ('sparsevec', 'halfvec')
	  AND casttarget::regtype::text NOT IN ('sparsevec', 'halfvec') ORDER BY 1, 2
$$, $$ VALUES ('double precision[]', 'vector', 'a'), ('integer[]', 'vector', 'a'), ('numeric[]', 'vector', 'a'),
	('real[]', 'vector', 'a'), ('vector', 'real[]', 'i'), ('vector', 'vector', 'i') $$,
	'cast contexts are pgvector''s (assignment from arrays, implicit to real[])');

-- ---- values through the contract ----------------------------------------------------
SELECT is('[1,2,3]'::vector::text, '[1,2,3]', 'text round trip');
SELECT is(vector_send('[1,2]'), '\x000200003f80000040000000'::bytea, 'binary form: int16 dim, int16 0, float4 values, network order');
SELECT is('[0,0]'::vector <-> '[3,4]', 5::float8, '<-> is the L2 distance');
SELECT is('[1,2]'::vector <#> '[3,4]', -11::float8, '<#> is the negative inner product');
SELECT is('[1,1]'::vector <=> '[-1,-1]', 2::float8, '<=> is the cosine distance');
SELECT is('[0,0]'::vector <+> '[3,4]', 7::float8, '<+> is the L1 distance');
SELECT is(avg(v), '[2,3.5,5]'::vector, 'avg(vector)') FROM unnest(ARRAY['[1,2,3]'::vector, '[3,5,7]']) v;
SELECT is(sum(v), '[4,7,10]'::vector, 'sum(vector)') FROM unnest(ARRAY['[1,2,3]'::vector, '[3,5,7]']) v;

-- ---- errors: SQLSTATE and message ---------------------------------------------------
-- text input
SELECT throws_ok($$SELECT '[1,2'::vector$$, '22P02', 'invalid input syntax for type vector: "[1,2"');
SELECT throws_ok($$SELECT '1,2'::vector$$, '22P02', 'invalid input syntax for type vector: "1,2"');
SELECT throws_ok($$SELECT '[1,2]x'::vector$$, '22P02', 'invalid input syntax for type vector: "[1,2]x"');
SELECT throws_ok($$SELECT '[1,,2]'::vector$$, '22P02', 'invalid input syntax for type vector: "[1,,2]"');
SELECT throws_ok($$SELECT '[hello]'::vector$$, '22P02', 'invalid input syntax for type vector: "[hello]"');
SELECT throws_ok($$SELECT ''::vector$$, '22P02', 'invalid input syntax for type vector: ""');
SELECT throws_ok($$SELECT '[4e38]'::vector$$, '22003', '"4e38" is out of range for type vector');
SELECT throws_ok($$SELECT '[-4e38]'::vector$$, '22003', '"-4e38" is out of range for type vector');
SELECT throws_ok($$SELECT '[NaN]'::vector$$, '22000', 'NaN not allowed in vector');
SELECT throws_ok($$SELECT '[Infinity]'::vector$$, '22000', 'infinite value not allowed in vector');
SELECT throws_ok($$SELECT '[-Infinity]'::vector$$, '22000', 'infinite value not allowed in vector');
SELECT throws_ok($$SELECT '[]'::vector$$, '22000', 'vector must have at least 1 dimension');
SELECT throws_ok($$SELECT ('[' || repeat('0,', 16000) || '0]')::vector$$, '54000', 'vector cannot have more than 16000 dimensions');
-- type modifier
SELECT throws_ok($$SELECT '[1,2,3]'::vector(2)$$, '22000', 'expected 2 dimensions, not 3');
SELECT throws_ok($$SELECT '[1]'::vector(0)$$, '22023', 'dimensions for type vector must be at least 1');
SELECT throws_ok($$SELECT '[1]'::vector(16001)$$, '22023', 'dimensions for type vector cannot exceed 16000');
SELECT throws_ok($$SELECT '[1]'::vector(1, 2)$$, '22023', 'invalid type modifier');
SELECT throws_ok($$CREATE TEMP TABLE pgtap_t (v vector(2)); INSERT INTO pgtap_t VALUES ('[1,2,3]')$$, '22000', 'expected 2 dimensions, not 3');
-- binary input (a binary COPY would be needed for the header errors; the
-- regression test vector_errors covers them); different dimensions
SELECT throws_ok($$SELECT '[1,2]'::vector <-> '[1]'$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::vector <#> '[1]'$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::vector <=> '[1]'$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::vector <+> '[1]'$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT inner_product('[1,2]'::vector, '[1]')$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT vector_l2_squared_distance('[1,2]', '[1]')$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT vector_spherical_distance('[1,2]', '[1]')$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::vector + '[1]'$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::vector - '[1]'$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::vector * '[1]'$$, '22000', 'different vector dimensions 2 and 1');
-- arithmetic range
SELECT throws_ok($$SELECT '[3e38]'::vector + '[3e38]'$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT '[-3e38]'::vector - '[3e38]'$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT '[1e37]'::vector * '[1e37]'$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT '[1e-37]'::vector * '[1e-37]'$$, '22003', 'value out of range: underflow');
SELECT throws_ok($$SELECT array_fill(0, ARRAY[16000])::vector || '[1]'$$, '54000', 'vector cannot have more than 16000 dimensions');
SELECT throws_ok($$SELECT subvector('[1,2,3]'::vector, 1, 0)$$, '22000', 'vector must have at least 1 dimension');
SELECT throws_ok($$SELECT subvector('[1,2,3]'::vector, 4, 1)$$, '22000', 'vector must have at least 1 dimension');
-- casts
SELECT throws_ok($$SELECT '{1,NULL}'::real[]::vector$$, '22004', 'array must not contain nulls');
SELECT throws_ok($$SELECT '{{1}}'::real[]::vector$$, '22000', 'array must be 1-D');
SELECT throws_ok($$SELECT '{}'::real[]::vector$$, '22000', 'vector must have at least 1 dimension');
SELECT throws_ok($$SELECT '{NaN}'::real[]::vector$$, '22000', 'NaN not allowed in vector');
SELECT throws_ok($$SELECT '{Infinity}'::float8[]::vector$$, '22000', 'infinite value not allowed in vector');
SELECT throws_ok($$SELECT '{4e38}'::float8[]::vector$$, '22000', 'infinite value not allowed in vector');
SELECT throws_ok($$SELECT array_fill(1, ARRAY[16001])::vector$$, '54000', 'vector cannot have more than 16000 dimensions');
SELECT throws_ok($$SELECT '{1,2,3}'::int[]::vector(2)$$, '22000', 'expected 2 dimensions, not 3');
SELECT throws_ok($$SELECT '[1,2,3]'::vector::vector(2)$$, '22000', 'expected 2 dimensions, not 3');
-- aggregates
SELECT throws_ok($$SELECT avg(v) FROM unnest(ARRAY['[1,2]'::vector, '[3]']) v$$, '22000', 'expected 2 dimensions, not 1');
SELECT throws_ok($$SELECT sum(v) FROM unnest(ARRAY['[1,2]'::vector, '[3]']) v$$, '22000', 'different vector dimensions 2 and 1');
SELECT throws_ok($$SELECT sum(v) FROM unnest(ARRAY['[3e38]'::vector, '[3e38]']) v$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT vector_avg('{}')$$, 'XX000', 'vector_avg: expected state array');
SELECT throws_ok($$SELECT vector_accum('{NULL}', '[1]')$$, 'XX000', 'vector_accum: expected state array');
SELECT throws_ok($$SELECT vector_combine('{{1}}', '{1}')$$, 'XX000', 'vector_combine: expected state array');
SELECT throws_ok($$SELECT vector_combine('{1,2}', '{1,2,3}')$$, '22000', 'expected 1 dimensions, not 2');
SELECT throws_ok($$SELECT vector_avg(array_fill(1::float8, ARRAY[16002]))$$, '54000', 'vector cannot have more than 16000 dimensions');

-- ---- the extension is relocatable ---------------------------------------------------
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'pgvq'), true, 'pgvq is relocatable');
CREATE SCHEMA pgtap_pgvq_moved;
ALTER EXTENSION pgvq SET SCHEMA pgtap_pgvq_moved;
SELECT is((SELECT typnamespace::regnamespace::text FROM pg_type WHERE typname = 'vector'), 'pgtap_pgvq_moved',
	'ALTER EXTENSION pgvq SET SCHEMA moves the type');
SELECT is($$[1,2]$$::pgtap_pgvq_moved.vector OPERATOR(pgtap_pgvq_moved.<->) '[4,6]', 5::float8,
	'operators work after the move');
SELECT is(pgtap_pgvq_moved.avg(v)::text, '[2,3]', 'aggregates work after the move')
FROM unnest(ARRAY['[1,2]'::pgtap_pgvq_moved.vector, '[3,4]']) v;
SELECT is(ARRAY[1,2]::pgtap_pgvq_moved.vector::text, '[1,2]', 'casts work after the move');

SELECT * FROM finish();
ROLLBACK;
