-- Hostile input for the vector type: absurd type modifiers, huge dimensions,
-- malformed text, binary garbage through vector_recv, non-finite values in
-- queries, bad array casts, out-of-range arguments and overflowing
-- arithmetic.  Every case must end in a clear error with a proper SQLSTATE
-- (shown as "SQLSTATE: message") or in a well-defined value; none may crash
-- the backend.  The parsers themselves are fuzzed by test/fuzz.

-- The first column of the first row of a query, or its SQLSTATE and message.
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE q INTO r;
	RETURN coalesce(r, '(null)');
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || left(SQLERRM, 120);
END
$$;

-- Runs each query of a list through try().
CREATE FUNCTION pg_temp.try_all(qs text[]) RETURNS TABLE (query text, result text)
LANGUAGE sql AS $$
	SELECT left(q, 80), pg_temp.try(q) FROM unnest(qs) WITH ORDINALITY AS u(q, n) ORDER BY n
$$;

-- ---------------------------------------------------------------------------
-- type modifiers
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT '[1]'::vector(0)$q$,
	$q$SELECT '[1]'::vector(16001)$q$,
	$q$SELECT '[1]'::vector(-1)$q$,
	$q$SELECT '[1]'::vector(-2147483648)$q$,
	$q$SELECT '[1]'::vector(2147483647)$q$,
	$q$SELECT '[1]'::vector(2147483648)$q$,
	$q$SELECT '[1]'::vector(1,2)$q$,
	$q$SELECT '[1]'::vector('abc')$q$,
	$q$SELECT '[1]'::vector('1')$q$,
	$q$SELECT '[1]'::vector(abc)$q$,
	$q$SELECT '[1]'::vector(1.5)$q$,
	$q$SELECT '[1]'::vector(NULL)$q$,
	$q$SELECT '[1]'::vector()$q$,
	$q$SELECT '[1]'::vector(1)$q$,
	$q$SELECT vector_dims('[1]'::vector(16000))$q$,
	$q$CREATE TEMP TABLE tm (v vector(0))$q$,
	$q$CREATE TEMP TABLE tm (v vector(16001))$q$,
	$q$CREATE TEMP TABLE tm (v vector(1,2))$q$,
	$q$CREATE TEMP TABLE tm (v vector[](3))$q$
]);

-- typmod abuse through casts, columns and ALTER TABLE
CREATE TABLE hostile_tm (v vector(3));
INSERT INTO hostile_tm VALUES ('[1,2,3]');
SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT '[1,2]'::vector(3)$q$,
	$q$SELECT '[1,2]'::vector(2)::vector(3)$q$,
	$q$SELECT '[1,2]'::vector::vector(1)$q$,
	$q$SELECT CAST('[1,2,3]'::vector AS vector(16001))$q$,
	$q$SELECT ARRAY[1,2]::vector(3)$q$,
	$q$SELECT ARRAY[1,2,3]::real[]::vector(2)$q$,
	$q$SELECT '[1,2,3]'::vector(3)::real[]$q$,
	$q$INSERT INTO hostile_tm VALUES ('[1,2]')$q$,
	$q$INSERT INTO hostile_tm VALUES (ARRAY[1,2,3,4])$q$,
	$q$INSERT INTO hostile_tm SELECT '[1,2,3,4]'::vector(4)$q$,
	$q$UPDATE hostile_tm SET v = v || '[4]'$q$,
	$q$ALTER TABLE hostile_tm ALTER v TYPE vector(2)$q$,
	$q$ALTER TABLE hostile_tm ALTER v TYPE vector(0)$q$,
	$q$SELECT count(*) FROM hostile_tm WHERE v = '[1,2,3]'$q$
]);

-- ---------------------------------------------------------------------------
-- huge dimensions
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT vector_dims((SELECT '[' || string_agg('1', ',') || ']' FROM generate_series(1, 16000))::vector)$q$,
	$q$SELECT vector_dims((SELECT '[' || string_agg('1', ',') || ']' FROM generate_series(1, 16001))::vector)$q$,
	$q$SELECT vector_dims((SELECT '[' || string_agg('1', ',') || ']' FROM generate_series(1, 100000))::vector)$q$,
	$q$SELECT vector_dims(('[' || repeat('0,', 1000000) || '0]')::vector)$q$,
	$q$SELECT vector_dims(('[' || repeat(' ', 1000000) || '1]')::vector)$q$,
	$q$SELECT vector_dims(array_fill(1, ARRAY[16000])::vector)$q$,
	$q$SELECT vector_dims(array_fill(1, ARRAY[16001])::vector)$q$,
	$q$SELECT vector_dims(array_fill(1.5::real, ARRAY[1000000])::vector)$q$,
	$q$SELECT vector_dims(array_fill(1.5::float8, ARRAY[16001])::vector(16001))$q$,
	$q$SELECT vector_dims(array_fill(1.5::numeric, ARRAY[16001])::vector)$q$,
	$q$SELECT vector_dims(array_fill(1, ARRAY[8000])::vector || array_fill(2, ARRAY[8000])::vector)$q$,
	$q$SELECT vector_dims(array_fill(1, ARRAY[8000])::vector || array_fill(2, ARRAY[8001])::vector)$q$,
	$q$SELECT vector_dims(array_fill(1, ARRAY[16000])::vector || array_fill(2, ARRAY[16000])::vector)$q$,
	$q$SELECT vector_dims(array_fill(1, ARRAY[16000])::vector || '[1]')$q$
]);

-- ---------------------------------------------------------------------------
-- malformed text
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT ''::vector$q$,
	$q$SELECT ' '::vector$q$,
	$q$SELECT '['::vector$q$,
	$q$SELECT ']'::vector$q$,
	$q$SELECT '[]'::vector$q$,
	$q$SELECT '[ ]'::vector$q$,
	$q$SELECT '[1'::vector$q$,
	$q$SELECT '1]'::vector$q$,
	$q$SELECT '[1]]'::vector$q$,
	$q$SELECT '[[1]'::vector$q$,
	$q$SELECT '[[1]]'::vector$q$,
	$q$SELECT '[1](2)'::vector$q$,
	$q$SELECT '[1] x'::vector$q$,
	$q$SELECT '[1];'::vector$q$,
	$q$SELECT '[1,]'::vector$q$,
	$q$SELECT '[,1]'::vector$q$,
	$q$SELECT '[1,,2]'::vector$q$,
	$q$SELECT '[,]'::vector$q$,
	$q$SELECT '[1 2]'::vector$q$,
	$q$SELECT '[1,2 ,3 ]'::vector$q$,
	$q$SELECT '[1.2.3]'::vector$q$,
	$q$SELECT '[1e]'::vector$q$,
	$q$SELECT '[1e+]'::vector$q$,
	$q$SELECT '[--1]'::vector$q$,
	$q$SELECT '[+-1]'::vector$q$,
	$q$SELECT '[- 1]'::vector$q$,
	$q$SELECT '[1_000]'::vector$q$,
	$q$SELECT '[1,000]'::vector$q$,
	$q$SELECT '[１]'::vector$q$,
	$q$SELECT ('[1' || chr(160) || ']')::vector$q$,
	$q$SELECT '{1,2}'::vector$q$,
	$q$SELECT '(1,2)'::vector$q$,
	$q$SELECT 'null'::vector$q$,
	$q$SELECT '[null]'::vector$q$,
	$q$SELECT '[true]'::vector$q$,
	$q$SELECT '["1"]'::vector$q$
]);

-- numbers at the edge of float4, in every spelling strtof knows
SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT '[0x1p3, 0X1.8P1, -0x.8p0]'::vector$q$,
	$q$SELECT '[0x1p128]'::vector$q$,
	$q$SELECT '[0x1p-149]'::vector$q$,
	$q$SELECT '[0x]'::vector$q$,
	$q$SELECT '[0xg]'::vector$q$,
	$q$SELECT '[inf]'::vector$q$,
	$q$SELECT '[-inf]'::vector$q$,
	$q$SELECT '[Infinity]'::vector$q$,
	$q$SELECT '[-infinity]'::vector$q$,
	$q$SELECT '[infinit]'::vector$q$,
	$q$SELECT '[nan]'::vector$q$,
	$q$SELECT '[-nan]'::vector$q$,
	$q$SELECT '[NaN(123)]'::vector$q$,
	$q$SELECT '[1e38, 3.4028235e38]'::vector$q$,
	$q$SELECT '[3.4028236e38]'::vector$q$,
	$q$SELECT '[1e39]'::vector$q$,
	$q$SELECT '[-1e39]'::vector$q$,
	$q$SELECT '[1e2147483648]'::vector$q$,
	$q$SELECT '[1e-2147483648]'::vector$q$,
	$q$SELECT '[1e-38, 1.17549435e-38, 1e-40, 1e-45, 1.4e-45, 7e-46]'::vector$q$,
	$q$SELECT '[1e-46, -1e-46, 1e-400]'::vector$q$,
	$q$SELECT '[-0, +0, 0e0, 00000.0000]'::vector$q$,
	$q$SELECT ('[' || repeat('9', 50) || ']')::vector$q$,
	$q$SELECT vector_dims(('[' || repeat('9', 38) || ']')::vector)$q$,
	$q$SELECT ('[0.' || repeat('0', 100000) || '1]')::vector$q$,
	$q$SELECT ('[1' || repeat('0', 100000) || 'e-100000]')::vector$q$,
	$q$SELECT ('[' || repeat('1', 100000) || ']')::vector$q$
]);

-- what cannot reach vector_in: a NUL byte in text is refused by Postgres itself
SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT convert_from('\x5b315d00'::bytea, 'UTF8')::vector$q$,
	$q$SELECT convert_from('\x5b31002c325d'::bytea, 'UTF8')::vector$q$,
	$q$SELECT chr(0)::vector$q$,
	$q$SELECT E'[1\0]'::vector$q$,
	$q$SELECT convert_from('\x5bff5d'::bytea, 'UTF8')::vector$q$,
	$q$SELECT convert_from('\x5b315d'::bytea, 'UTF8')::vector$q$
]);

-- ---------------------------------------------------------------------------
-- binary input (vector_recv) through binary COPY
-- ---------------------------------------------------------------------------

-- Feeds the given bytes to vector_recv as the only field of a binary COPY
-- file (written and read by the server, in its data directory).
CREATE TABLE hostile_bin (v vector);
CREATE TABLE hostile_bin3 (v vector(3));
CREATE FUNCTION pg_temp.recv(bytes bytea, tab text DEFAULT 'hostile_bin') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/pgvq_hostile_input.bin';
	r text;
BEGIN
	EXECUTE format('COPY (SELECT %L::bytea) TO %L WITH (FORMAT binary)', bytes, f);
	EXECUTE format('TRUNCATE %I', tab);
	EXECUTE format('COPY %I FROM %L WITH (FORMAT binary)', tab, f);
	EXECUTE format('SELECT v::text FROM %I', tab) INTO r;
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

SELECT b AS bytes, pg_temp.recv(b::bytea) FROM unnest(ARRAY[
	'\x000200003f80000040000000',		-- [1,2]
	'\x00010000bf800000',				-- [-1]
	'\x0001000000000001',				-- the smallest denormal
	'\x0001000080000000',				-- -0
	'\x000100007f7fffff',				-- FLT_MAX
	'\x',								-- nothing
	'\x00',								-- one byte
	'\x000100',							-- three bytes
	'\x00010000',						-- header only
	'\x00000000',						-- dim 0
	'\x0000000000000000',				-- dim 0 with a value
	'\xffff00003f800000',				-- dim -1
	'\x8000000000000000',				-- dim -32768
	'\x3e8100003f800000',				-- dim 16001
	'\x7fff00003f800000',				-- dim 32767
	'\x3e8000003f800000',				-- dim 16000, one value
	'\x000200003f800000',				-- dim 2, one value
	'\x000200003f800000400000',			-- dim 2, seven bytes
	'\x000100013f800000',				-- unused 1
	'\x0001ffff3f800000',				-- unused -1
	'\x000100007fc00000',				-- NaN
	'\x00010000ffc00000',				-- -NaN
	'\x000100007f800001',				-- signalling NaN
	'\x000100007f800000',				-- +Inf
	'\x00010000ff800000',				-- -Inf
	'\x000200003f8000007f800000',		-- Inf second
	'\x000100003f80000000',				-- one byte too many
	'\x000100003f800000000100003f800000'	-- two vectors in one field
]) AS u(b);

SELECT pg_temp.recv('\x000200003f80000040000000', 'hostile_bin3');
SELECT pg_temp.recv('\x000300003f8000004000000040400000', 'hostile_bin3');
SELECT pg_temp.recv('\x0003ffff3f800000', 'hostile_bin3');
SELECT pg_temp.recv('\x0000ffff', 'hostile_bin3');

-- a long garbage field, and a round trip of the largest vector
SELECT left(pg_temp.recv(decode(repeat('ff', 100000), 'hex')), 60);
SELECT left(pg_temp.recv(decode('3e800000' || repeat('3f800000', 15999), 'hex')), 60);
SELECT vector_dims(v), v = array_fill(1, ARRAY[16000])::vector AS same
FROM (SELECT pg_temp.recv(decode('3e800000' || repeat('3f800000', 16000), 'hex'))::vector AS v) s;
SELECT pg_temp.recv(vector_send('[1.5,-2,3e-45]'));

-- ---------------------------------------------------------------------------
-- NaN and infinity in queries
-- ---------------------------------------------------------------------------

CREATE TABLE hostile_items (id int, v vector(2));
INSERT INTO hostile_items VALUES (1, '[1,1]'), (2, '[0,0]'), (3, '[-3e38,3e38]');
SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT id FROM hostile_items ORDER BY v <-> '[NaN,1]' LIMIT 1$q$,
	$q$SELECT id FROM hostile_items ORDER BY v <=> '[1,Infinity]' LIMIT 1$q$,
	$q$SELECT id FROM hostile_items ORDER BY v <#> ARRAY['NaN'::real, 1]::vector LIMIT 1$q$,
	$q$SELECT id FROM hostile_items ORDER BY v <+> ARRAY['-Infinity'::float8, 1]::vector LIMIT 1$q$,
	$q$SELECT id FROM hostile_items ORDER BY v <-> ARRAY[1e39::float8, 1]::vector LIMIT 1$q$,
	$q$SELECT id FROM hostile_items ORDER BY v <-> ARRAY[1e39::numeric, 1]::vector LIMIT 1$q$,
	$q$SELECT id FROM hostile_items ORDER BY v <-> '[1,2,3]' LIMIT 1$q$,
	$q$SELECT id FROM hostile_items ORDER BY v <-> NULL LIMIT 1$q$,
	$q$SELECT l2_distance('[3e38,-3e38]'::vector, '[-3e38,3e38]')$q$,
	$q$SELECT '[3e38,3e38]'::vector <#> '[3e38,3e38]'$q$,
	$q$SELECT '[3e38]'::vector <+> '[-3e38]'$q$,
	$q$SELECT cosine_distance('[0,0]'::vector, '[1,1]')$q$,
	$q$SELECT cosine_distance('[3e38,3e38]'::vector, '[3e38,3e38]')$q$,
	$q$SELECT vector_norm('[3e38,3e38]')$q$,
	$q$SELECT l2_normalize('[1e-45,1e-45]'::vector)$q$,
	$q$SELECT l2_normalize('[3e38,3e38]'::vector)$q$,
	$q$SELECT array_agg(id ORDER BY v <-> '[0,0]', id) FROM hostile_items$q$,
	$q$SELECT array_agg(id ORDER BY v <=> '[1,1]', id) FROM hostile_items$q$
]);

-- ---------------------------------------------------------------------------
-- array casts
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT ARRAY[1,NULL,3]::vector$q$,
	$q$SELECT ARRAY[NULL]::int[]::vector$q$,
	$q$SELECT ARRAY[NULL::real]::vector$q$,
	$q$SELECT NULL::real[]::vector$q$,
	$q$SELECT ARRAY[[1,2],[3,4]]::vector$q$,
	$q$SELECT ARRAY[[1,2]]::vector$q$,
	$q$SELECT '{{{1}}}'::real[]::vector$q$,
	$q$SELECT '{}'::int[]::vector$q$,
	$q$SELECT '{}'::real[]::vector(3)$q$,
	$q$SELECT ARRAY[]::float8[]::vector$q$,
	$q$SELECT '[5:7]={1,2,3}'::int[]::vector$q$,
	$q$SELECT '[-2147483648:-2147483647]={1,2}'::real[]::vector$q$,
	$q$SELECT ARRAY['NaN'::real]::vector$q$,
	$q$SELECT ARRAY['Infinity'::float8]::vector$q$,
	$q$SELECT ARRAY[1e39::float8]::vector$q$,
	$q$SELECT ARRAY[1e-50::float8]::vector$q$,
	$q$SELECT ARRAY[1e39::numeric]::vector$q$,
	$q$SELECT ARRAY['NaN'::numeric]::vector$q$,
	$q$SELECT ARRAY[1e-50::numeric]::vector$q$,
	$q$SELECT ARRAY[2147483647, -2147483648]::vector$q$,
	$q$SELECT ARRAY[1::bigint]::vector$q$,
	$q$SELECT ARRAY[1::smallint]::vector$q$,
	$q$SELECT ARRAY['1']::text[]::vector$q$,
	$q$SELECT '[1,NaN]'::vector::real[]$q$
]);

-- ---------------------------------------------------------------------------
-- subvector arguments
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT subvector('[1,2,3]', 1, 3)$q$,
	$q$SELECT subvector('[1,2,3]', 0, 2)$q$,
	$q$SELECT subvector('[1,2,3]', -5, 7)$q$,
	$q$SELECT subvector('[1,2,3]', 3, 2147483647)$q$,
	$q$SELECT subvector('[1,2,3]', -2147483648, 2147483647)$q$,
	$q$SELECT subvector('[1,2,3]', 2147483647, 1)$q$,
	$q$SELECT subvector('[1,2,3]', 2147483647, 2147483647)$q$,
	$q$SELECT subvector('[1,2,3]', 4, 1)$q$,
	$q$SELECT subvector('[1,2,3]', 1, 0)$q$,
	$q$SELECT subvector('[1,2,3]', 1, -5)$q$,
	$q$SELECT subvector('[1,2,3]', 1, -2147483648)$q$,
	$q$SELECT subvector('[1,2,3]', -2147483648, 1)$q$,
	$q$SELECT subvector('[1,2,3]', -1, 2)$q$,
	$q$SELECT subvector('[1,2,3]', NULL, 2)$q$,
	$q$SELECT vector_dims(subvector(array_fill(1, ARRAY[16000])::vector, 2, 2147483647))$q$
]);

-- ---------------------------------------------------------------------------
-- aggregates over mixed dimensions and overflowing sums
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT avg(v) FROM (VALUES ('[1]'::vector), ('[1,2]')) t(v)$q$,
	$q$SELECT sum(v) FROM (VALUES ('[1]'::vector), ('[1,2]')) t(v)$q$,
	$q$SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1]'), ('[1,2]')) t(v)$q$,
	$q$SELECT avg(v) FROM (VALUES ('[1,2]'::vector), (NULL), ('[3,4]')) t(v)$q$,
	$q$SELECT avg(v) FROM (VALUES (NULL::vector)) t(v)$q$,
	$q$SELECT avg(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v)$q$,
	$q$SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v)$q$,
	$q$SELECT avg(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]'), ('[-3e38]')) t(v)$q$,
	$q$SELECT vector_dims(avg(v)) FROM (SELECT array_fill(i, ARRAY[16000])::vector FROM generate_series(1, 3) i) t(v)$q$,
	$q$SELECT vector_accum('{0}', '[1,2]')$q$,
	$q$SELECT vector_accum('{1,5}', '[1,2]')$q$,
	$q$SELECT vector_accum('{}', '[1]')$q$,
	$q$SELECT vector_accum('{{1,2}}', '[1]')$q$,
	$q$SELECT vector_accum('{1,NULL}', '[1]')$q$,
	$q$SELECT vector_accum('{1,1e308}', '[3e38]')$q$,
	$q$SELECT vector_accum('{1,Infinity}', '[1]')$q$,
	$q$SELECT vector_combine('{1,1}', '{1,1,1}')$q$,
	$q$SELECT vector_combine('{1,1e308}', '{1,1e308}')$q$,
	$q$SELECT vector_combine('{}', '{1}')$q$,
	$q$SELECT vector_avg('{0}')$q$,
	$q$SELECT vector_avg('{0,1,2}')$q$,
	$q$SELECT vector_avg('{2,4,6}')$q$,
	$q$SELECT vector_avg('{1}')$q$,
	$q$SELECT vector_avg('{1,NaN}')$q$,
	$q$SELECT vector_avg('{1e-300,1}')$q$,
	$q$SELECT vector_avg('{-1,5}')$q$,
	$q$SELECT vector_avg('{}')$q$,
	$q$SELECT vector_dims(vector_avg(array_fill(1::float8, ARRAY[16002])))$q$
]);

-- ---------------------------------------------------------------------------
-- arithmetic overflowing to infinity or underflowing to zero
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT '[3e38]'::vector + '[3e38]'$q$,
	$q$SELECT '[1,-3e38]'::vector + '[1,-3e38]'$q$,
	$q$SELECT '[-3e38]'::vector - '[3e38]'$q$,
	$q$SELECT '[1e20]'::vector * '[1e20]'$q$,
	$q$SELECT '[1e-30]'::vector * '[1e-30]'$q$,
	$q$SELECT '[1e-30]'::vector * '[0]'$q$,
	$q$SELECT '[3.4028235e38]'::vector + '[1e31]'$q$,
	$q$SELECT '[3.4028235e38]'::vector + '[1]'$q$,
	$q$SELECT '[1,2]'::vector + '[1]'$q$,
	$q$SELECT '[1,2]'::vector - '[1,2,3]'$q$,
	$q$SELECT '[1,2]'::vector * '[1]'$q$,
	$q$SELECT '[1,2]'::vector <-> '[1]'$q$,
	$q$SELECT '[1,2]'::vector < '[1]'$q$,
	$q$SELECT vector_cmp('[1,2]', '[1,2,0]')$q$
]);

-- ---------------------------------------------------------------------------
-- the type's support functions called directly with absurd arguments
-- ---------------------------------------------------------------------------

SELECT * FROM pg_temp.try_all(ARRAY[
	$q$SELECT vector_in('[1,2]', 0, -1)$q$,
	$q$SELECT vector_in('[1,2]', 0, 0)$q$,
	$q$SELECT vector_in('[1,2]', 0, -5)$q$,
	$q$SELECT vector_in('[1,2]', 0, 16001)$q$,
	$q$SELECT vector_in('[1,2', 0, -1)$q$,
	$q$SELECT vector_typmod_in('{}'::cstring[])$q$,
	$q$SELECT vector_typmod_in('{NULL}'::cstring[])$q$,
	$q$SELECT vector_typmod_in('{{1}}'::cstring[])$q$,
	$q$SELECT vector_typmod_in('{x}'::cstring[])$q$,
	$q$SELECT vector_typmod_in('{16000}'::cstring[])$q$,
	$q$SELECT vector('[1,2]'::vector, 0, false)$q$,
	$q$SELECT vector('[1,2]'::vector, -100, true)$q$,
	$q$SELECT array_to_vector('{1,2}'::int[], 3, false)$q$,
	$q$SELECT array_to_vector('{1,2}'::real[], -1, true)$q$,
	$q$SELECT vector_to_float4('[1]', 5, false)$q$,
	$q$SELECT vector_send('[1,-0]')$q$
]);

DROP TABLE hostile_tm, hostile_bin, hostile_bin3, hostile_items;
