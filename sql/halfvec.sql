-- pgvq's tests of the halfvec type (pgvector 0.8's half-precision vector):
-- text and binary round trips, every error path with its SQLSTATE, operators
-- on known values, the fp16 kernels against double precision, casts,
-- aggregates, btree ordering, COPY in text and binary form.

-- SQLSTATE and message of a statement, or 'ok'
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- ---------------------------------------------------------------------------
-- text input and output
-- ---------------------------------------------------------------------------

SELECT '[1,2,3]'::halfvec, '[-1.5,0.25,-0]'::halfvec, ' [ 4 ,5	] '::halfvec;
-- rounding to nearest, ties to even; output is the shortest decimal of the half
SELECT '[0.1,0.2,0.3,3.14159,1000.7,2049,2051,4097]'::halfvec;
SELECT '[65504,65519,-65519.99]'::halfvec AS max, '[6e-8,5.97e-8,3e-8,2.98e-8]'::halfvec AS smallest;
SELECT '[6.1035156e-05,6.097555e-05,1e-8,1e-46]'::halfvec AS subnormals;
SELECT '[+1, .5, -.25, 1E2, 0x10]'::halfvec;
-- every finite half reads back to itself from its output
SELECT count(*) AS halves, count(*) FILTER (WHERE h::text::halfvec <> h OR halfvec_send(h::text::halfvec) <> halfvec_send(h)) AS changed
FROM (SELECT ('[' || (i * 7.62939453125e-06)::real || ']')::halfvec AS h FROM generate_series(-8585216, 8585216, 997) i) s;

-- errors, in pgvector's order and wording
SELECT pg_temp.sqlstate_of(format('SELECT %L::halfvec', s)) AS error, s AS input
FROM (VALUES ('[65520]'), ('[1, -65520]'), ('[1e5,nan]'), ('[nan,1e5]'), ('[4e38]'), ('[1,2,7e4'), ('[7e4 x]'),
	('[1,inf]'), ('[-Infinity]'), ('[NaN]'), ('[]'), ('[ ]'), ('1,2'), (''), ('[1,2]x'), ('[1,,2]'), ('[1 2]'),
	('[1,'), ('[hello]'), ('[1e]'), ('[	65536 , 1]')) v(s);
-- dimension limits
SELECT vector_dims(('[' || repeat('1,', 15999) || '1]')::halfvec);
SELECT pg_temp.sqlstate_of('SELECT (''['' || repeat(''1,'', 16000) || ''1]'')::halfvec');
SELECT pg_temp.sqlstate_of('SELECT (''['' || repeat(''1,'', 16000) || ''1e9]'')::halfvec');

-- ---------------------------------------------------------------------------
-- type modifier
-- ---------------------------------------------------------------------------

SELECT '[1,2]'::halfvec(2), vector_dims(array_fill(1, ARRAY[16000])::halfvec(16000));
SELECT pg_temp.sqlstate_of(q) FROM (VALUES ('SELECT ''[1,2]''::halfvec(3)'), ('SELECT ''[1]''::halfvec(0)'),
	('SELECT ''[1]''::halfvec(16001)'), ('SELECT ''[1]''::halfvec(1, 2)'), ('SELECT ''[1]''::halfvec(''x'')')) v(q);
CREATE TABLE typmod_t (v halfvec(3));
INSERT INTO typmod_t VALUES ('[1,2,3]'), (ARRAY[4,5,6]), ('[7,8,9]'::vector);
INSERT INTO typmod_t VALUES ('[1,2]');
INSERT INTO typmod_t VALUES ('[1,2,3,4]'::vector);
SELECT v, format_type(pg_typeof(v), NULL) FROM typmod_t ORDER BY v;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'typmod_t'::regclass AND attname = 'v';
SELECT unnest('{"[1,2]","[3,4]"}'::halfvec(2)[]);
SELECT '{"[1,2]","[3,4,5]"}'::halfvec(2)[];
DROP TABLE typmod_t;

-- ---------------------------------------------------------------------------
-- operators and functions on known values
-- ---------------------------------------------------------------------------

SELECT l2_distance('[1,2,3]'::halfvec, '[4,6,8]'), '[1,2,3]'::halfvec <-> '[4,6,8]',
	halfvec_l2_squared_distance('[1,2,3]', '[4,6,8]');
SELECT inner_product('[1,2,3]'::halfvec, '[4,-5,6]'), '[1,2,3]'::halfvec <#> '[4,-5,6]',
	halfvec_negative_inner_product('[1,2,3]', '[4,-5,6]');
SELECT cosine_distance('[1,2,3]'::halfvec, '[4,5,6]'), '[1,2,3]'::halfvec <=> '[4,5,6]',
	cosine_distance('[1,2,3]'::halfvec, '[4,5,6]') = cosine_distance('[1,2,3]'::vector, '[4,5,6]') AS same_as_vector;
SELECT cosine_distance('[0,0]'::halfvec, '[1,1]'), cosine_distance('[1,1]'::halfvec, '[-1,-1]'),
	cosine_distance('[0.1,0.1]'::halfvec, '[0.1,0.1]');
SELECT l1_distance('[1,2,3]'::halfvec, '[4,-6,3.5]'), '[1,2,3]'::halfvec <+> '[4,-6,3.5]';
SELECT halfvec_spherical_distance('[1,0]', '[0,1]'), halfvec_spherical_distance('[1,0]', '[-1,0]'),
	halfvec_spherical_distance('[2,0]', '[2,0]');
SELECT inner_product('[65504,65504]'::halfvec, '[65504,65504]'), l2_distance('[-65504]'::halfvec, '[65504]');
-- rounded inputs: the distance is the halves', not the decimals'
SELECT '[0.1]'::halfvec <-> '[0]', '[0.1]'::halfvec::vector;
SELECT l2_norm('[3,4]'::halfvec), l2_norm('[6e-8]'::halfvec), l2_norm('[65504,65504]'::halfvec);
SELECT l2_normalize('[3,4]'::halfvec), l2_normalize('[0,0]'::halfvec), l2_normalize('[6e-8,-6e-8]'::halfvec),
	l2_normalize('[-65504]'::halfvec);
SELECT vector_dims('[1,2]'::halfvec), vector_dims(array_fill(0.5, ARRAY[16000])::halfvec);
SELECT '[1.5,-2]'::halfvec + '[0.25,2]', '[1.5,-2]'::halfvec - '[0.25,2]', '[1.5,-2]'::halfvec * '[2,-0.5]';
-- float arithmetic then one rounding to half
SELECT '[2048,1]'::halfvec + '[1,0.0004]', '[0.1]'::halfvec * '[0.1]', '[1000]'::halfvec - '[0.3]';
SELECT '[0,6e-8]'::halfvec * '[5,0]', '[0.0001]'::halfvec * '[0.5]';
SELECT '[1]'::halfvec || '[2]' || '[3,4]';
SELECT subvector('[1,2,3,4,5]'::halfvec, 5, 1), subvector('[1,2,3,4,5]'::halfvec, 0, 2),
	subvector('[1,2,3,4,5]'::halfvec, 2, 2147483647), subvector('[1,2,3,4,5]'::halfvec, -2147483644, 2147483647);
SELECT binary_quantize('[1,0,-1,-0,6e-8,-6e-8,0.5,-0.5,2]'::halfvec),
	length(binary_quantize(array_fill(1, ARRAY[16000])::halfvec));

-- commutators
SELECT '[1,2]'::halfvec <-> '[3,5]' = '[3,5]'::halfvec <-> '[1,2]' AS l2,
	'[1,2]'::halfvec <#> '[3,5]' = '[3,5]'::halfvec <#> '[1,2]' AS ip,
	'[1,2]'::halfvec <=> '[3,5]' = '[3,5]'::halfvec <=> '[1,2]' AS cos,
	'[1,2]'::halfvec <+> '[3,5]' = '[3,5]'::halfvec <+> '[1,2]' AS l1;

-- errors of the operators and functions
SELECT pg_temp.sqlstate_of(q), q FROM (VALUES
	('SELECT ''[1,2]''::halfvec <-> ''[1,2,3]'''),
	('SELECT ''[1,2]''::halfvec <#> ''[1,2,3]'''),
	('SELECT ''[1,2]''::halfvec <=> ''[1,2,3]'''),
	('SELECT ''[1,2]''::halfvec <+> ''[1,2,3]'''),
	('SELECT halfvec_l2_squared_distance(''[1,2]'', ''[1]'')'),
	('SELECT halfvec_spherical_distance(''[1,2]'', ''[1]'')'),
	('SELECT ''[1,2]''::halfvec + ''[1]'''),
	('SELECT ''[1,2]''::halfvec - ''[1]'''),
	('SELECT ''[1,2]''::halfvec * ''[1]'''),
	('SELECT ''[1,65504]''::halfvec + ''[1,16]'''),
	('SELECT ''[1,-65504]''::halfvec - ''[1,65504]'''),
	('SELECT ''[1,300]''::halfvec * ''[1,300]'''),
	('SELECT ''[1,0.0001]''::halfvec * ''[1,0.0001]'''),
	('SELECT ''[0.0001,300]''::halfvec * ''[0.0001,300]'''),
	('SELECT array_fill(0, ARRAY[8000])::halfvec || array_fill(0, ARRAY[8001])::halfvec'),
	('SELECT subvector(''[1,2,3]''::halfvec, 4, 1)'),
	('SELECT subvector(''[1,2,3]''::halfvec, 0, 1)'),
	('SELECT subvector(''[1,2,3]''::halfvec, 1, 0)'),
	('SELECT subvector(''[1,2,3]''::halfvec, 1, -2147483648)')) v(q);
SELECT vector_dims(array_fill(0, ARRAY[8000])::halfvec || array_fill(0, ARRAY[8000])::halfvec);

-- ---------------------------------------------------------------------------
-- the fp16 kernels (odd lengths: SIMD tails) against double precision on the
-- same halves
-- ---------------------------------------------------------------------------

SELECT setseed(0.5);
CREATE TABLE hkernel_t AS
SELECT d, array_agg(round((random() * 20 - 10)::numeric, 3)::float8 ORDER BY i)::halfvec AS a,
	array_agg(round((random() * 20 - 10)::numeric, 3)::float8 ORDER BY i)::halfvec AS b
FROM generate_series(1, 70) d, generate_series(1, d) i
GROUP BY d;
INSERT INTO hkernel_t
SELECT d, array_agg(round((random() * 2 - 1)::numeric, 4)::float8 ORDER BY i)::halfvec,
	array_agg(round((random() * 2 - 1)::numeric, 4)::float8 ORDER BY i)::halfvec
FROM (VALUES (127), (128), (129), (513), (1536), (3072), (16000)) v(d), generate_series(1, d) i
GROUP BY d;
CREATE TEMP VIEW hkernel_ref AS
SELECT d, a, b,
	(SELECT sqrt(sum((x - y) ^ 2)) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS l2,
	(SELECT sum(x * y) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS ip,
	(SELECT sum(abs(x - y)) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS l1,
	(SELECT 1 - sum(x * y) / sqrt(sum(x * x) * sum(y * y)) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS cos,
	(SELECT sqrt(sum(x * x)) FROM unnest(a::real[]::float8[]) u(x)) AS norm
FROM hkernel_t;
SELECT count(*) AS cases,
	count(*) FILTER (WHERE abs((a <-> b) - l2) > 1e-5 * (1 + l2)) AS l2_bad,
	count(*) FILTER (WHERE abs(halfvec_l2_squared_distance(a, b) - l2 * l2) > 1e-5 * (1 + l2 * l2)) AS l2sq_bad,
	count(*) FILTER (WHERE abs(inner_product(a, b) - ip) > 1e-5 * (1 + d * 100)) AS ip_bad,
	count(*) FILTER (WHERE abs((a <+> b) - l1) > 1e-5 * (1 + l1)) AS l1_bad,
	count(*) FILTER (WHERE abs((a <=> b) - cos) > 1e-5) AS cos_bad,
	count(*) FILTER (WHERE abs(l2_norm(a) - norm) > 1e-12 * (1 + norm)) AS norm_bad,
	count(*) FILTER (WHERE abs(l2_norm(l2_normalize(a)) - 1) > 1e-3) AS normalize_bad,
	count(*) FILTER (WHERE a <-> a <> 0 OR a <+> a <> 0 OR abs(a <=> a) > 1e-6) AS self_bad,
	-- the same distances as on the vector type, up to float summation order
	count(*) FILTER (WHERE abs((a <-> b) - (a::vector <-> b::vector)) > 1e-5 * (1 + l2)) AS vector_bad
FROM hkernel_ref;
DROP VIEW hkernel_ref;
DROP TABLE hkernel_t;

-- ---------------------------------------------------------------------------
-- casts
-- ---------------------------------------------------------------------------

SELECT ARRAY[1,2,3]::halfvec, ARRAY[1.5,2.5]::numeric[]::halfvec, '{0.1,65519}'::real[]::halfvec,
	'{1e-8,-1e-46}'::float8[]::halfvec;
SELECT '[1,0.1,-65504]'::halfvec::real[], '[1,0.1,-65504]'::halfvec::vector, '[1.0001,0.1]'::vector::halfvec;
SELECT '[1,2]'::vector::halfvec(2), '[1,2]'::halfvec::vector(2), '[1,2]'::halfvec::halfvec(2);
SELECT halfvec('[1,2]', 2, true), halfvec('[1,2]', -1, false);
SELECT pg_temp.sqlstate_of(q), q FROM (VALUES
	('SELECT ARRAY[65520]::halfvec'),
	('SELECT ARRAY[1, 100000]::halfvec'),
	('SELECT ''{1e10}''::float8[]::halfvec'),
	('SELECT ''{4e38}''::float8[]::halfvec'),
	('SELECT ''{Infinity, 65520}''::real[]::halfvec'),
	('SELECT ''{NaN}''::real[]::halfvec'),
	('SELECT ''{-Infinity}''::real[]::halfvec'),
	('SELECT ''{1e39}''::numeric[]::halfvec'),
	('SELECT ''{1,NULL}''::int[]::halfvec'),
	('SELECT ''{{1,2},{3,4}}''::int[]::halfvec'),
	('SELECT ''{}''::real[]::halfvec'),
	('SELECT array_fill(1, ARRAY[16001])::halfvec'),
	('SELECT ''{1,2,3}''::real[]::halfvec(2)'),
	('SELECT array_to_halfvec(''{1,2}''::int[], 3, true)'),
	('SELECT ''[65520]''::vector::halfvec'),
	('SELECT ''[1,2,1e20]''::vector::halfvec'),
	('SELECT ''[1,2,3]''::vector::halfvec(2)'),
	('SELECT ''[1,2,3]''::halfvec::vector(2)'),
	('SELECT ''[1,2,3]''::halfvec::halfvec(2)'),
	('SELECT halfvec(''[1,2]'', 3, true)')) v(q);
-- cast contexts: vector -> halfvec implicit, halfvec -> vector and arrays by assignment
SELECT castsource::regtype, casttarget::regtype, castcontext
FROM pg_cast WHERE castsource = 'halfvec'::regtype OR casttarget = 'halfvec'::regtype
ORDER BY 1::text, 2::text;
CREATE TABLE cast_t (h halfvec(2), v vector(2), r real[]);
INSERT INTO cast_t VALUES ('{1,2}'::int[], '[1,2]'::halfvec, '[1,2]'::halfvec), ('{1,2}'::numeric[], NULL, NULL),
	('[3,4]'::vector, NULL, NULL);
SELECT * FROM cast_t ORDER BY h;
SELECT '[1,2]'::halfvec <-> '[1,4]'::vector AS mixed_operands;
DROP TABLE cast_t;

-- ---------------------------------------------------------------------------
-- aggregates
-- ---------------------------------------------------------------------------

CREATE TABLE agg_t (g int, v halfvec(3));
INSERT INTO agg_t VALUES (1, '[1,2,3]'), (1, '[3,4,5.5]'), (1, NULL), (2, '[0.1,0.25,0]'), (3, NULL);
SELECT g, avg(v), sum(v), count(v) FROM agg_t GROUP BY g ORDER BY g;
SELECT avg(v), sum(v) FROM agg_t WHERE false;
-- avg sums in double and rounds once; sum rounds at each step
SELECT avg(v), sum(v) FROM (VALUES ('[2048]'::halfvec), ('[1]'), ('[1]'), ('[1]')) t(v);
SELECT avg(v) FROM (VALUES ('[65504]'::halfvec), ('[65504]')) t(v);
SELECT pg_temp.sqlstate_of(q), q FROM (VALUES
	('SELECT sum(v) FROM (VALUES (''[65504]''::halfvec), (''[65504]'')) t(v)'),
	('SELECT avg(v) FROM (VALUES (''[1,2]''::halfvec), (''[1,2,3]'')) t(v)'),
	('SELECT sum(v) FROM (VALUES (''[1,2]''::halfvec), (''[1,2,3]'')) t(v)'),
	('SELECT halfvec_avg(''{1,65520}'')'),
	('SELECT halfvec_avg(''{1,1e300}'')'),
	('SELECT halfvec_avg(''{1}'')'),
	('SELECT halfvec_avg(''{{1,2}}'')'),
	('SELECT halfvec_avg(''{NULL,2}'')'),
	('SELECT halfvec_accum(''{}'', ''[1]'')'),
	('SELECT halfvec_accum(''{1,2}'', ''[1,2]'')'),
	('SELECT halfvec_accum(''{1,1.7976931348623157e308}'', ''[65504]'')'),
	('SELECT halfvec_combine(''{1,2}'', ''{1,2,3}'')'),
	('SELECT halfvec_avg(array_fill(1, ARRAY[16002])::float8[])')) v(q);
SELECT halfvec_accum(halfvec_accum('{0}', '[1,2]'), '[3,0.1]'), halfvec_avg('{2,3,5}'), halfvec_avg('{0}') IS NULL AS empty,
	halfvec_combine('{0}', '{1,2}');
-- parallel plans use the combine functions
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE agg_big AS SELECT i, ARRAY[i % 7, i % 11, 0.5]::halfvec AS v FROM generate_series(1, 20000) i;
ANALYZE agg_big;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM agg_big WHERE i <= 100;
SELECT avg(v), sum(v) FROM agg_big WHERE i <= 100;
SELECT avg(v) FROM agg_big;
SELECT avg(v), sum(v) FROM agg_big WHERE i < 0;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE agg_big;
DROP TABLE agg_t;

-- ---------------------------------------------------------------------------
-- comparison and btree
-- ---------------------------------------------------------------------------

SELECT '[-0]'::halfvec = '[0]', '[1,2]'::halfvec < '[1,2,0]', '[1,3]'::halfvec > '[1,2,9]',
	'[-1]'::halfvec < '[0]', '[6e-8]'::halfvec > '[0]', '[-6e-8]'::halfvec < '[-0]', '[0.1]'::halfvec = '[0.09997]';
SELECT halfvec_cmp('[1,2]', '[1,2]'), halfvec_cmp('[1,2]', '[1,3]'), halfvec_cmp('[2]', '[1,3]'),
	halfvec_cmp('[-2]', '[-3]'), halfvec_cmp('[1,2]', '[1,2,-1]');
CREATE TABLE bt (id int, v halfvec);
INSERT INTO bt VALUES (1, '[1,2,3]'), (2, '[1,2]'), (3, '[0,5]'), (4, '[1,2,3]'), (5, NULL),
	(6, '[-1,100]'), (7, '[1,2,3,0]'), (8, '[6e-8]'), (9, '[-65504]'), (10, '[0]'), (11, '[-0]'),
	(12, '[-6e-8]'), (13, '[65504]'), (14, '[-2]');
SELECT id, v FROM bt ORDER BY v, id;
SELECT id, v FROM bt ORDER BY v DESC NULLS LAST, id;
-- [0] and [-0] are one group
SELECT array_agg(id ORDER BY id) AS ids FROM bt GROUP BY v ORDER BY v;
CREATE INDEX bt_v ON bt (v);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM bt WHERE v = '[1,2,3]';
SELECT id FROM bt WHERE v = '[1,2,3]' ORDER BY id;
SELECT id FROM bt WHERE v > '[1,2]' AND v <= '[1,2,3]' ORDER BY v, id;
SELECT id FROM bt WHERE v < '[0]' ORDER BY v, id;
SELECT id, v FROM bt ORDER BY v DESC, id LIMIT 3;
RESET enable_seqscan;
RESET enable_bitmapscan;
SET enable_hashjoin = off;
SET enable_nestloop = off;
SELECT a.id, b.id FROM bt a JOIN bt b ON a.v = b.v WHERE a.id < b.id ORDER BY 1, 2;
RESET enable_hashjoin;
RESET enable_nestloop;
DROP TABLE bt;

-- ---------------------------------------------------------------------------
-- binary form: pgvector's layout, byte for byte; COPY in text and binary
-- ---------------------------------------------------------------------------

SELECT halfvec_send('[1,2,-3]'), halfvec_send('[65504,6e-8,-0,0.1]');
SELECT length(halfvec_send(array_fill(1, ARRAY[16000])::halfvec));

CREATE TABLE hcopy_src (id int, v halfvec);
INSERT INTO hcopy_src VALUES (1, '[1,2,3]'), (2, '[-0,6e-8,-6.1e-5]'), (3, '[65504,-65504]'),
	(4, '[0.1,0.2,0.3]'), (5, NULL), (6, array_fill(0.33333334, ARRAY[16000])::halfvec);
CREATE TABLE hcopy_dst (LIKE hcopy_src);
\copy hcopy_src TO 'results/halfvec.bin' WITH (FORMAT binary)
\copy hcopy_dst FROM 'results/halfvec.bin' WITH (FORMAT binary)
SELECT count(*) AS rows, count(v) AS non_null,
	count(*) FILTER (WHERE halfvec_send(d.v) = (SELECT halfvec_send(s.v) FROM hcopy_src s WHERE s.id = d.id)) AS same_bytes
FROM hcopy_dst d;
TRUNCATE hcopy_dst;
\copy hcopy_src TO 'results/halfvec.txt'
\copy hcopy_dst FROM 'results/halfvec.txt'
SELECT count(*) AS rows, count(v) AS non_null,
	count(*) FILTER (WHERE halfvec_send(d.v) = (SELECT halfvec_send(s.v) FROM hcopy_src s WHERE s.id = d.id)) AS same_bytes
FROM hcopy_dst d;
-- into a typed column: the type modifier is checked
CREATE TABLE hcopy3 (id int, v halfvec(3));
\copy hcopy3 FROM 'results/halfvec.bin' WITH (FORMAT binary)
\copy (SELECT * FROM hcopy_src WHERE id = 1) TO 'results/halfvec1.bin' WITH (FORMAT binary)
\copy hcopy3 FROM 'results/halfvec1.bin' WITH (FORMAT binary)
SELECT * FROM hcopy3;
DROP TABLE hcopy_src, hcopy_dst, hcopy3;

-- hostile binary input: the given bytes as the only field of a binary COPY file
CREATE TABLE hbin (v halfvec);
CREATE TABLE hbin3 (v halfvec(3));
CREATE FUNCTION pg_temp.recv(bytes bytea, tab text DEFAULT 'hbin') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/pgvq_halfvec_recv.bin';
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
SELECT b AS bytes, pg_temp.recv(b::bytea) AS result FROM (VALUES
	('\x000200003c004000'),		-- [1,2]
	('\x000100000001'),			-- the smallest subnormal
	('\x000100008000'),			-- -0
	('\x0000000000'),			-- 0 dimensions
	('\x3e8100003c00'),			-- 16001 dimensions
	('\xffff00003c00'),			-- 65535 dimensions (unsigned, as pgvector reads it)
	('\x000100013c00'),			-- unused = 1
	('\x0001ffff3c00'),			-- unused = 65535
	('\x000200007e003c00'),		-- NaN
	('\x000200003c007c01'),		-- a signalling NaN
	('\x00020000fc003c00'),		-- -infinity
	('\x000300003c004000'),		-- shorter than the header says
	('\x000200003c0040'),		-- an odd byte short
	('\x000100003c0000'),		-- a byte left over
	('\x0001'),					-- no room for the header
	('\x')) v(b);
SELECT pg_temp.recv('\x000200003c004000', 'hbin3');
SELECT pg_temp.recv('\x000300003c0040004200', 'hbin3');
DROP TABLE hbin, hbin3;

-- ---------------------------------------------------------------------------
-- half-precision storage, indexed through an expression index on the exact
-- float copy (README): the index answers as a sequential scan does
-- ---------------------------------------------------------------------------

CREATE TABLE hitems (id int, embedding halfvec(3));
INSERT INTO hitems SELECT i, ARRAY[i % 7, i % 5 - 2, (i % 11) * 0.1]::halfvec FROM generate_series(1, 200) i;
CREATE INDEX hitems_idx ON hitems USING flat ((embedding::vector(3)) vector_l2_ops);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hitems ORDER BY embedding::vector(3) <-> '[3,1,0.5]' LIMIT 5;
CREATE TEMP TABLE hidx AS
SELECT id, embedding::vector(3) <-> '[3,1,0.5]' AS d FROM hitems ORDER BY embedding::vector(3) <-> '[3,1,0.5]' LIMIT 10;
RESET enable_seqscan;
DROP INDEX hitems_idx;
SELECT count(*) AS same_distances FROM (SELECT row_number() OVER (ORDER BY d, id) AS r, d FROM hidx) a
JOIN (SELECT row_number() OVER (ORDER BY embedding <-> '[3,1,0.5]', id) AS r, embedding <-> '[3,1,0.5]' AS d
	FROM hitems ORDER BY embedding <-> '[3,1,0.5]', id LIMIT 10) b USING (r) WHERE a.d = b.d;
DROP TABLE hitems, hidx;
