-- pgTAP: the catalogue contract of the halfvec type (pgvector 0.8 names) and
-- the SQLSTATE and message of each of its error paths.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgvq;

SELECT plan(119);

-- ---- type ---------------------------------------------------------------------
SELECT has_type('halfvec');
SELECT is((SELECT typstorage::text FROM pg_type WHERE oid = 'halfvec'::regtype), 'e',
	'halfvec has STORAGE external, as in pgvector');
SELECT is((SELECT typmodin::text FROM pg_type WHERE oid = 'halfvec'::regtype), 'halfvec_typmod_in',
	'halfvec takes a type modifier');
SELECT is(format_type('halfvec'::regtype, 3), 'halfvec(3)', 'halfvec(n) is printed as such');

-- ---- functions, with argument types and return types ----------------------------
SELECT function_returns(f, a::name[], r, f || '(' || array_to_string(a, ', ') || ') returns ' || r)
FROM (VALUES
	('halfvec_in', '{cstring,oid,integer}'::text[], 'halfvec'),
	('halfvec_out', '{halfvec}', 'cstring'),
	('halfvec_typmod_in', '{cstring[]}', 'integer'),
	('halfvec_recv', '{internal,oid,integer}', 'halfvec'),
	('halfvec_send', '{halfvec}', 'bytea'),
	('l2_distance', '{halfvec,halfvec}', 'double precision'),
	('inner_product', '{halfvec,halfvec}', 'double precision'),
	('cosine_distance', '{halfvec,halfvec}', 'double precision'),
	('l1_distance', '{halfvec,halfvec}', 'double precision'),
	('vector_dims', '{halfvec}', 'integer'),
	('l2_norm', '{halfvec}', 'double precision'),
	('l2_normalize', '{halfvec}', 'halfvec'),
	('binary_quantize', '{halfvec}', 'bit'),
	('subvector', '{halfvec,integer,integer}', 'halfvec'),
	('halfvec_add', '{halfvec,halfvec}', 'halfvec'),
	('halfvec_sub', '{halfvec,halfvec}', 'halfvec'),
	('halfvec_mul', '{halfvec,halfvec}', 'halfvec'),
	('halfvec_concat', '{halfvec,halfvec}', 'halfvec'),
	('halfvec_lt', '{halfvec,halfvec}', 'boolean'),
	('halfvec_le', '{halfvec,halfvec}', 'boolean'),
	('halfvec_eq', '{halfvec,halfvec}', 'boolean'),
	('halfvec_ne', '{halfvec,halfvec}', 'boolean'),
	('halfvec_ge', '{halfvec,halfvec}', 'boolean'),
	('halfvec_gt', '{halfvec,halfvec}', 'boolean'),
	('halfvec_cmp', '{halfvec,halfvec}', 'integer'),
	('halfvec_l2_squared_distance', '{halfvec,halfvec}', 'double precision'),
	('halfvec_negative_inner_product', '{halfvec,halfvec}', 'double precision'),
	('halfvec_spherical_distance', '{halfvec,halfvec}', 'double precision'),
	('halfvec_accum', '{double precision[],halfvec}', 'double precision[]'),
	('halfvec_avg', '{double precision[]}', 'halfvec'),
	('halfvec_combine', '{double precision[],double precision[]}', 'double precision[]'),
	('halfvec', '{halfvec,integer,boolean}', 'halfvec'),
	('halfvec_to_vector', '{halfvec,integer,boolean}', 'vector'),
	('vector_to_halfvec', '{vector,integer,boolean}', 'halfvec'),
	('array_to_halfvec', '{integer[],integer,boolean}', 'halfvec'),
	('array_to_halfvec', '{real[],integer,boolean}', 'halfvec'),
	('array_to_halfvec', '{double precision[],integer,boolean}', 'halfvec'),
	('array_to_halfvec', '{numeric[],integer,boolean}', 'halfvec'),
	('halfvec_to_float4', '{halfvec,integer,boolean}', 'real[]')
) t(f, a, r);

-- every function taking or returning halfvec is IMMUTABLE STRICT PARALLEL SAFE, like pgvector's
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.prokind = 'f'
	  AND ('halfvec'::regtype = ANY (p.proargtypes::oid[]) OR p.prorettype = 'halfvec'::regtype)
	  AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')
$$, 'halfvec functions are IMMUTABLE STRICT PARALLEL SAFE');

-- ---- aggregates ----------------------------------------------------------------
SELECT results_eq($$
	SELECT a.aggtransfn::text, a.aggfinalfn::text, a.aggcombinefn::text, a.aggtranstype::regtype::text,
		a.agginitval COLLATE "default", p.proparallel::text, p.prorettype::regtype::text
	FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE a.aggfnoid = 'avg(halfvec)'::regprocedure
$$, $$ VALUES ('halfvec_accum', 'halfvec_avg', 'halfvec_combine', 'double precision[]', '{0}', 's', 'halfvec') $$,
	'avg(halfvec): float8[] state {n, sums...}, combine function, parallel safe');
SELECT results_eq($$
	SELECT a.aggtransfn::text, a.aggcombinefn::text, a.aggtranstype::regtype::text, p.proparallel::text
	FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE a.aggfnoid = 'sum(halfvec)'::regprocedure
$$, $$ VALUES ('halfvec_add', 'halfvec_add', 'halfvec', 's') $$,
	'sum(halfvec): halfvec_add as transition and combine function, parallel safe');

-- ---- operators -----------------------------------------------------------------
SELECT has_operator('halfvec', op, 'halfvec', r, 'operator halfvec ' || op || ' halfvec returns ' || r)
FROM (VALUES
	('<->', 'double precision'), ('<#>', 'double precision'), ('<=>', 'double precision'),
	('<+>', 'double precision'), ('+', 'halfvec'), ('-', 'halfvec'), ('*', 'halfvec'), ('||', 'halfvec'),
	('<', 'boolean'), ('<=', 'boolean'), ('=', 'boolean'), ('<>', 'boolean'), ('>=', 'boolean'),
	('>', 'boolean')
) t(op, r);
SELECT results_eq($$
	SELECT o.oprname::text COLLATE "default", o.oprcode::regprocedure::text FROM pg_operator o
	WHERE o.oprleft = 'halfvec'::regtype AND o.oprright = 'halfvec'::regtype AND o.oprname IN ('<->', '<#>', '<=>', '<+>')
	ORDER BY 1
$$, $$ VALUES ('<#>', 'halfvec_negative_inner_product(halfvec,halfvec)'), ('<+>', 'l1_distance(halfvec,halfvec)'),
	('<->', 'l2_distance(halfvec,halfvec)'), ('<=>', 'cosine_distance(halfvec,halfvec)') $$,
	'distance operators call pgvector''s functions');

-- ---- btree opclass ----------------------------------------------------------------
SELECT results_eq($$
	SELECT am.amname::text COLLATE "default", c.opcdefault FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
	WHERE c.opcname = 'halfvec_ops' AND c.opcintype = 'halfvec'::regtype
$$, $$ VALUES ('btree', true) $$, 'halfvec_ops is the default btree opclass of halfvec');
SELECT results_eq($$
	SELECT ao.amopstrategy::int, ao.amopopr::regoperator::text FROM pg_amop ao
	JOIN pg_opfamily f ON f.oid = ao.amopfamily JOIN pg_am am ON am.oid = f.opfmethod
	WHERE f.opfname = 'halfvec_ops' AND am.amname = 'btree' ORDER BY 1
$$, $$ VALUES (1, '<(halfvec,halfvec)'), (2, '<=(halfvec,halfvec)'), (3, '=(halfvec,halfvec)'),
	(4, '>=(halfvec,halfvec)'), (5, '>(halfvec,halfvec)') $$, 'halfvec_ops has the five btree strategies');
SELECT results_eq($$
	SELECT ap.amprocnum::int, ap.amproc::regproc::text FROM pg_amproc ap
	JOIN pg_opfamily f ON f.oid = ap.amprocfamily JOIN pg_am am ON am.oid = f.opfmethod
	WHERE f.opfname = 'halfvec_ops' AND am.amname = 'btree'
$$, $$ VALUES (1, 'halfvec_cmp') $$, 'halfvec_ops support function 1 is halfvec_cmp');

-- ---- casts (pgvector's contexts) -------------------------------------------------------
SELECT results_eq($$
	SELECT castsource::regtype::text, casttarget::regtype::text, (SELECT proname::text COLLATE "default" FROM pg_proc WHERE oid = castfunc),
		castcontext::text FROM pg_cast
	WHERE castsource = 'halfvec'::regtype OR casttarget = 'halfvec'::regtype ORDER BY 1, 2
$$, $$ VALUES ('double precision[]', 'halfvec', 'array_to_halfvec', 'a'), ('halfvec', 'halfvec', 'halfvec', 'i'),
	('halfvec', 'real[]', 'halfvec_to_float4', 'a'), ('halfvec', 'sparsevec', 'halfvec_to_sparsevec', 'i'),
	('halfvec', 'vector', 'halfvec_to_vector', 'a'),
	('integer[]', 'halfvec', 'array_to_halfvec', 'a'), ('numeric[]', 'halfvec', 'array_to_halfvec', 'a'),
	('real[]', 'halfvec', 'array_to_halfvec', 'a'), ('sparsevec', 'halfvec', 'sparsevec_to_halfvec', 'a'),
	('vector', 'halfvec', 'vector_to_halfvec', 'i') $$,
	'halfvec casts and their contexts are pgvector''s');

-- ---- values through the contract ----------------------------------------------------
SELECT is('[1,2,3]'::halfvec::text, '[1,2,3]', 'text round trip');
SELECT is('[1.23456]'::halfvec::text, '[1.234375]', 'elements are rounded to the nearest half');
SELECT is(halfvec_send('[1,2,-3]'), '\x000300003c004000c200'::bytea, 'binary form: uint16 dim, uint16 0, binary16 values, network order');
SELECT is('[0,0]'::halfvec <-> '[3,4]', 5::float8, '<-> is the L2 distance');
SELECT is('[1,2]'::halfvec <#> '[3,4]', -11::float8, '<#> is the negative inner product');
SELECT is('[1,1]'::halfvec <=> '[-1,-1]', 2::float8, '<=> is the cosine distance');
SELECT is('[0,0]'::halfvec <+> '[3,4]', 7::float8, '<+> is the L1 distance');
SELECT is(avg(v), '[2,3.5,5]'::halfvec, 'avg(halfvec)') FROM unnest(ARRAY['[1,2,3]'::halfvec, '[3,5,7]']) v;
SELECT is(sum(v), '[4,7,10]'::halfvec, 'sum(halfvec)') FROM unnest(ARRAY['[1,2,3]'::halfvec, '[3,5,7]']) v;
SELECT is(binary_quantize('[1,0,-1]'::halfvec)::text, '100', 'binary_quantize(halfvec)');

-- ---- errors: SQLSTATE and message ---------------------------------------------------
-- text input
SELECT throws_ok($$SELECT '[1,2'::halfvec$$, '22P02', 'invalid input syntax for type halfvec: "[1,2"');
SELECT throws_ok($$SELECT '1,2'::halfvec$$, '22P02', 'invalid input syntax for type halfvec: "1,2"');
SELECT throws_ok($$SELECT '[1,2]x'::halfvec$$, '22P02', 'invalid input syntax for type halfvec: "[1,2]x"');
SELECT throws_ok($$SELECT '[hello]'::halfvec$$, '22P02', 'invalid input syntax for type halfvec: "[hello]"');
SELECT throws_ok($$SELECT '[65520]'::halfvec$$, '22003', '"65520" is out of range for type halfvec');
SELECT throws_ok($$SELECT '[1,-1e5,nan]'::halfvec$$, '22003', '"-1e5" is out of range for type halfvec');
SELECT throws_ok($$SELECT '[4e38]'::halfvec$$, '22003', '"4e38" is out of range for type halfvec');
SELECT throws_ok($$SELECT '[NaN]'::halfvec$$, '22000', 'NaN not allowed in halfvec');
SELECT throws_ok($$SELECT '[Infinity]'::halfvec$$, '22000', 'infinite value not allowed in halfvec');
SELECT throws_ok($$SELECT '[]'::halfvec$$, '22000', 'halfvec must have at least 1 dimension');
SELECT throws_ok($$SELECT ('[' || repeat('0,', 16000) || '0]')::halfvec$$, '54000', 'halfvec cannot have more than 16000 dimensions');
-- type modifier
SELECT throws_ok($$SELECT '[1,2,3]'::halfvec(2)$$, '22000', 'expected 2 dimensions, not 3');
SELECT throws_ok($$SELECT '[1]'::halfvec(0)$$, '22023', 'dimensions for type halfvec must be at least 1');
SELECT throws_ok($$SELECT '[1]'::halfvec(16001)$$, '22023', 'dimensions for type halfvec cannot exceed 16000');
SELECT throws_ok($$SELECT '[1]'::halfvec(1, 2)$$, '22023', 'invalid type modifier');
-- different dimensions
SELECT throws_ok($$SELECT '[1,2]'::halfvec <-> '[1]'$$, '22000', 'different halfvec dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::halfvec <#> '[1]'$$, '22000', 'different halfvec dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::halfvec <=> '[1]'$$, '22000', 'different halfvec dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::halfvec <+> '[1]'$$, '22000', 'different halfvec dimensions 2 and 1');
SELECT throws_ok($$SELECT '[1,2]'::halfvec + '[1]'$$, '22000', 'different halfvec dimensions 2 and 1');
-- arithmetic range
SELECT throws_ok($$SELECT '[65504]'::halfvec + '[65504]'$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT '[-65504]'::halfvec - '[65504]'$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT '[300]'::halfvec * '[300]'$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT '[1e-4]'::halfvec * '[1e-4]'$$, '22003', 'value out of range: underflow');
SELECT throws_ok($$SELECT array_fill(0, ARRAY[16000])::halfvec || '[1]'$$, '54000', 'halfvec cannot have more than 16000 dimensions');
SELECT throws_ok($$SELECT subvector('[1,2,3]'::halfvec, 4, 1)$$, '22000', 'halfvec must have at least 1 dimension');
-- casts
SELECT throws_ok($$SELECT '{1,NULL}'::real[]::halfvec$$, '22004', 'array must not contain nulls');
SELECT throws_ok($$SELECT '{{1}}'::real[]::halfvec$$, '22000', 'array must be 1-D');
SELECT throws_ok($$SELECT '{}'::real[]::halfvec$$, '22000', 'halfvec must have at least 1 dimension');
SELECT throws_ok($$SELECT '{NaN}'::real[]::halfvec$$, '22000', 'NaN not allowed in halfvec');
SELECT throws_ok($$SELECT '{4e38}'::float8[]::halfvec$$, '22000', 'infinite value not allowed in halfvec');
SELECT throws_ok($$SELECT '{65520}'::real[]::halfvec$$, '22003', '"65520" is out of range for type halfvec');
SELECT throws_ok($$SELECT '[1e5]'::vector::halfvec$$, '22003', '"100000" is out of range for type halfvec');
SELECT throws_ok($$SELECT array_fill(1, ARRAY[16001])::halfvec$$, '54000', 'halfvec cannot have more than 16000 dimensions');
SELECT throws_ok($$SELECT '[1,2,3]'::halfvec::vector(2)$$, '22000', 'expected 2 dimensions, not 3');
-- aggregates
SELECT throws_ok($$SELECT avg(v) FROM unnest(ARRAY['[1,2]'::halfvec, '[3]']) v$$, '22000', 'expected 2 dimensions, not 1');
SELECT throws_ok($$SELECT sum(v) FROM unnest(ARRAY['[65504]'::halfvec, '[65504]']) v$$, '22003', 'value out of range: overflow');
SELECT throws_ok($$SELECT halfvec_avg('{}')$$, 'XX000', 'halfvec_avg: expected state array');
SELECT throws_ok($$SELECT halfvec_accum('{NULL}', '[1]')$$, 'XX000', 'halfvec_accum: expected state array');
SELECT throws_ok($$SELECT halfvec_avg('{1,65520}')$$, '22003', '"65520" is out of range for type halfvec');

-- ---- the extension is relocatable, halfvec with it ---------------------------------
CREATE SCHEMA pgtap_pgvq_hmoved;
ALTER EXTENSION pgvq SET SCHEMA pgtap_pgvq_hmoved;
SELECT is((SELECT typnamespace::regnamespace::text FROM pg_type WHERE typname = 'halfvec'), 'pgtap_pgvq_hmoved',
	'ALTER EXTENSION pgvq SET SCHEMA moves halfvec');
SELECT is('[1,2]'::pgtap_pgvq_hmoved.halfvec OPERATOR(pgtap_pgvq_hmoved.<->) '[4,6]', 5::float8,
	'halfvec operators work after the move');
SELECT is(pgtap_pgvq_hmoved.avg(v)::text, '[2,3]', 'halfvec aggregates work after the move')
FROM unnest(ARRAY['[1,2]'::pgtap_pgvq_hmoved.halfvec, '[3,4]']) v;
SELECT is('[1,2]'::pgtap_pgvq_hmoved.vector::pgtap_pgvq_hmoved.halfvec::text, '[1,2]',
	'vector to halfvec cast works after the move');

SELECT * FROM finish();
ROLLBACK;
