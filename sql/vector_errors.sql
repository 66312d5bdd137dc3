-- pgvq's own tests of the vector type: every error path (messages and
-- SQLSTATEs), operators on known values, the SIMD kernels against a double
-- precision reference, casts, aggregates, btree ordering, the binary form and
-- text round trips (dump/restore).

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
-- text input
-- ---------------------------------------------------------------------------

SELECT '[1,2,3]x'::vector;
SELECT '[1,2,3] ]'::vector;
SELECT '[1,2,3],[4]'::vector;
SELECT 'vector'::vector;
SELECT '[1 2]'::vector;
SELECT '[1;2]'::vector;
SELECT '[[1]]'::vector;
SELECT '[1e]'::vector;
SELECT '[.]'::vector;
SELECT '[1,2,'::vector;
SELECT '[1e39]'::vector;
SELECT '[1, -3.5e38]'::vector;
SELECT '[1,nan]'::vector;
SELECT '[1,inf]'::vector;
SELECT '[ -INF ]'::vector;
SELECT '[	]'::vector;

-- what strtof reads is accepted, as in pgvector
SELECT '[+1, .5, -.25, 1E2, 0x10]'::vector;
SELECT (chr(9) || '[' || chr(10) || '1' || chr(13) || ',' || chr(12) || '2' || chr(11) || ']' || chr(10))::vector;

-- dimension limits: 16000 is fine, 16001 is not
SELECT vector_dims(('[' || repeat('1,', 15999) || '1]')::vector);
SELECT ('[' || repeat('1,', 16000) || '1]')::vector;
SELECT ('[' || repeat('1,', 16000) || 'x]')::vector;
SELECT vector_dims(array_fill(1, ARRAY[16000])::vector);

-- ---------------------------------------------------------------------------
-- type modifier
-- ---------------------------------------------------------------------------

SELECT '[1,2]'::vector(1);
SELECT '[1,2]'::vector(-1);
SELECT '[1,2]'::vector(1, 2, 3);
SELECT vector_dims('[1]'::vector(16000));
CREATE TABLE typmod_t (v vector(3));
INSERT INTO typmod_t VALUES ('[1,2,3]'), ('[1,2]');
INSERT INTO typmod_t VALUES ('[1,2,3,4]');
INSERT INTO typmod_t VALUES (ARRAY[1,2]);
INSERT INTO typmod_t VALUES (ARRAY[1.5,2.5,3.5]::real[]);
INSERT INTO typmod_t SELECT '[4,5,6]'::vector;
INSERT INTO typmod_t SELECT '[4,5]'::vector;
UPDATE typmod_t SET v = v || '[1]';
SELECT * FROM typmod_t ORDER BY v;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'typmod_t'::regclass AND attname = 'v';
ALTER TABLE typmod_t ALTER COLUMN v TYPE vector(4);
ALTER TABLE typmod_t ALTER COLUMN v TYPE vector;
INSERT INTO typmod_t VALUES ('[1]');
SELECT v, vector_dims(v) FROM typmod_t ORDER BY v;
DROP TABLE typmod_t;

-- ---------------------------------------------------------------------------
-- operators and functions on known values
-- ---------------------------------------------------------------------------

SELECT l2_distance('[1,2,3]'::vector, '[4,6,8]'), '[1,2,3]'::vector <-> '[4,6,8]';
SELECT vector_l2_squared_distance('[1,2,3]', '[4,6,8]');
SELECT inner_product('[1,2,3]'::vector, '[4,-5,6]'), '[1,2,3]'::vector <#> '[4,-5,6]';
SELECT vector_negative_inner_product('[1,2,3]', '[4,-5,6]');
SELECT cosine_distance('[1,2,3]'::vector, '[4,5,6]'), '[1,2,3]'::vector <=> '[4,5,6]';
SELECT cosine_distance('[0,0]'::vector, '[0,0]');
SELECT l1_distance('[1,2,3]'::vector, '[4,-6,3.5]'), '[1,2,3]'::vector <+> '[4,-6,3.5]';
SELECT vector_spherical_distance('[1,0]', '[0,1]'), vector_spherical_distance('[1,0]', '[-1,0]'),
	vector_spherical_distance('[1,0]', '[1,0]'), vector_spherical_distance('[2,0]', '[2,0]');
SELECT vector_norm('[1,2,2]'), vector_norm('[1e-30,1e-30]') > 0 AS tiny, vector_norm('[3e38,3e38]');
SELECT l2_normalize('[1,2,2]'::vector), l2_normalize('[-5]'::vector), l2_normalize('[1e-45]'::vector);
SELECT vector_dims('[1]'::vector), vector_dims(array_fill(0.5, ARRAY[1000])::vector);
SELECT '[1.5,-2]'::vector + '[0.25,2]', '[1.5,-2]'::vector - '[0.25,2]', '[1.5,-2]'::vector * '[2,-0.5]';
SELECT '[1e38]'::vector + '[-1e38]', '[0]'::vector * '[1e-40]', '[1e-20]'::vector * '[1e-20]';
SELECT '[1]'::vector || '[2]' || '[3,4]';
SELECT subvector('[1,2,3,4,5]', 5, 1), subvector('[1,2,3,4,5]', 0, 2), subvector('[1,2,3,4,5]', 2, 2147483647);
SELECT subvector('[1,2,3,4,5]', -2147483648, 2147483647);
SELECT binary_quantize('[1]'), binary_quantize('[-1,0,1,2,-3,4,5,6,7]'), length(binary_quantize(array_fill(1, ARRAY[16000])::vector));

-- commutators
SELECT '[1,2]'::vector <-> '[3,5]' = '[3,5]'::vector <-> '[1,2]' AS l2,
	'[1,2]'::vector <#> '[3,5]' = '[3,5]'::vector <#> '[1,2]' AS ip,
	'[1,2]'::vector <=> '[3,5]' = '[3,5]'::vector <=> '[1,2]' AS cos,
	'[1,2]'::vector <+> '[3,5]' = '[3,5]'::vector <+> '[1,2]' AS l1;

-- different dimensions
SELECT '[1,2]'::vector <-> '[1,2,3]';
SELECT '[1,2]'::vector <#> '[1,2,3]';
SELECT '[1,2]'::vector <=> '[1,2,3]';
SELECT '[1,2]'::vector <+> '[1,2,3]';
SELECT vector_l2_squared_distance('[1,2]', '[1,2,3]');
SELECT vector_negative_inner_product('[1,2]', '[1,2,3]');
SELECT vector_spherical_distance('[1,2]', '[1,2,3]');
SELECT '[1,2,3]'::vector - '[1,2]';

-- overflow and underflow
SELECT '[3e38,1]'::vector + '[3e38,1]';
SELECT '[1,-3e38]'::vector - '[1,3e38]';
SELECT '[1,2e19]'::vector * '[1,2e19]';
SELECT '[1,1e-30]'::vector * '[1,1e-30]';

-- concatenation and subvector limits
SELECT vector_dims(array_fill(0, ARRAY[8000])::vector || array_fill(0, ARRAY[8000])::vector);
SELECT array_fill(0, ARRAY[8000])::vector || array_fill(0, ARRAY[8001])::vector;
SELECT subvector('[1,2,3]', 4, 1);
SELECT subvector('[1,2,3]', 0, 1);
SELECT subvector('[1,2,3]', 1, -2147483648);

-- ---------------------------------------------------------------------------
-- the distance kernels (SIMD with odd tails) against double precision
-- ---------------------------------------------------------------------------

SELECT setseed(0.25);
CREATE TABLE kernel_t AS
SELECT d, array_agg(round((random() * 20 - 10)::numeric, 3)::float8 ORDER BY i) AS a,
	array_agg(round((random() * 20 - 10)::numeric, 3)::float8 ORDER BY i) AS b
FROM generate_series(1, 100) d, generate_series(1, d) i
WHERE i <= d GROUP BY d;
INSERT INTO kernel_t
SELECT d, array_agg(round((random() * 2 - 1)::numeric, 4)::float8 ORDER BY i),
	array_agg(round((random() * 2 - 1)::numeric, 4)::float8 ORDER BY i)
FROM (VALUES (127), (128), (129), (255), (513), (1000), (1537), (16000)) v(d), generate_series(1, d) i
GROUP BY d;
CREATE TEMP VIEW kernel_ref AS
SELECT d, a::vector AS va, b::vector AS vb,
	(SELECT sqrt(sum((x - y) ^ 2)) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS l2,
	(SELECT sum(x * y) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS ip,
	(SELECT sum(abs(x - y)) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS l1,
	(SELECT 1 - sum(x * y) / sqrt(sum(x * x) * sum(y * y)) FROM unnest(a::real[]::float8[], b::real[]::float8[]) u(x, y)) AS cos
FROM kernel_t;
-- float accumulation: relative error well under 1e-4 of the magnitudes summed
SELECT count(*) AS cases,
	count(*) FILTER (WHERE abs((va <-> vb) - l2) > 1e-4 * (1 + l2)) AS l2_bad,
	count(*) FILTER (WHERE abs(vector_l2_squared_distance(va, vb) - l2 * l2) > 1e-4 * (1 + l2 * l2)) AS l2sq_bad,
	count(*) FILTER (WHERE abs(inner_product(va, vb) - ip) > 1e-4 * (1 + d * 100)) AS ip_bad,
	count(*) FILTER (WHERE abs((va <#> vb) + ip) > 1e-4 * (1 + d * 100)) AS nip_bad,
	count(*) FILTER (WHERE abs((va <+> vb) - l1) > 1e-4 * (1 + l1)) AS l1_bad,
	count(*) FILTER (WHERE abs((va <=> vb) - cos) > 1e-4) AS cos_bad,
	count(*) FILTER (WHERE abs(vector_norm(va) - sqrt(inner_product(va, va))) > 1e-4 * (1 + vector_norm(va))) AS norm_bad,
	count(*) FILTER (WHERE abs(vector_norm(l2_normalize(va)) - 1) > 1e-6) AS normalize_bad,
	count(*) FILTER (WHERE va <-> va <> 0 OR va <+> va <> 0 OR abs(va <=> va) > 1e-6) AS self_bad
FROM kernel_ref;
DROP VIEW kernel_ref;
DROP TABLE kernel_t;

-- ---------------------------------------------------------------------------
-- casts
-- ---------------------------------------------------------------------------

SELECT ARRAY[16777217, -2147483648, 2147483647]::vector;
SELECT ARRAY[1.25, -0.5e-3, 1e38]::numeric[]::vector;
SELECT ARRAY[1e39]::numeric[]::vector;
SELECT ARRAY[1, NULL]::numeric[]::vector;
SELECT '{NaN}'::numeric[]::vector;
SELECT '{NaN}'::float8[]::vector;
SELECT '{Infinity}'::float8[]::vector;
SELECT '{}'::int[]::vector;
SELECT '{{1,2},{3,4}}'::int[]::vector;
SELECT '[2:3]={1,2}'::int[]::vector;
SELECT array_fill(1, ARRAY[16001])::real[]::vector;
SELECT array_fill(1, ARRAY[16001])::float8[]::vector;
SELECT array_fill(1, ARRAY[3])::vector(2);
SELECT '{1,2}'::float8[]::vector(2), '{1,2}'::numeric[]::vector(2);
SELECT '[1e-45,-0,3.4028235e38]'::vector::real[];
SELECT '[1,2]'::vector::real[]::vector;
SELECT '[1,2,3]'::vector::vector(3), '[1,2,3]'::vector(3)::vector;
SELECT '[1,2,3]'::vector::vector(2);
SELECT vector('[1,2]', 2, true), vector('[1,2]', -1, false);
SELECT vector('[1,2]', 3, true);
SELECT array_to_vector('{1,2}'::int[], 3, true);
-- assignment casts from arrays
CREATE TABLE cast_t (v vector(2));
INSERT INTO cast_t VALUES ('{1,2}'::int[]), ('{1,2}'::real[]), ('{1,2}'::float8[]), ('{1,2}'::numeric[]);
INSERT INTO cast_t VALUES ('{1,2,3}'::int[]);
SELECT v FROM cast_t;
DROP TABLE cast_t;
-- implicit cast to real[]
CREATE TABLE cast_r (a real[]);
INSERT INTO cast_r VALUES ('[1,2.5,3]'::vector);
SELECT a, a[2] FROM cast_r;
DROP TABLE cast_r;

-- ---------------------------------------------------------------------------
-- aggregates
-- ---------------------------------------------------------------------------

CREATE TABLE agg_t (g int, v vector(3));
INSERT INTO agg_t VALUES (1, '[1,2,3]'), (1, '[3,4,5]'), (1, NULL), (2, '[0.5,0.25,0]'), (3, NULL);
SELECT g, avg(v), sum(v), count(v) FROM agg_t GROUP BY g ORDER BY g;
SELECT avg(v), sum(v) FROM agg_t;
SELECT avg(v), sum(v) FROM agg_t WHERE false;
-- accumulation in double precision: 1e-8 is not lost against 1
SELECT avg(v) FROM (VALUES ('[1]'::vector), ('[1e-8]'), ('[-1]')) t(v);
SELECT avg(v) FROM (VALUES ('[3e38,1]'::vector), ('[3e38,1]'), ('[3e38,1]')) t(v);
SELECT sum(v) FROM (VALUES ('[2e38,1]'::vector), ('[2e38,1]')) t(v);
SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) t(v);
SELECT sum(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) t(v);
-- the state functions, called directly
SELECT vector_accum(vector_accum('{0}', '[1,2]'), '[3,5]');
SELECT vector_avg(vector_accum(vector_accum('{0}', '[1,2]'), '[3,5]'));
SELECT vector_combine(vector_accum('{0}', '[1,2]'), vector_accum('{0}', '[3,5]'));
SELECT vector_combine('{0}', vector_accum('{0}', '[3,5]')), vector_combine(vector_accum('{0}', '[3,5]'), '{0}');
SELECT vector_combine('{0}', '{0}'), vector_avg(vector_combine('{0}', '{0}')) IS NULL AS avg_null;
SELECT vector_combine('{1,2}', '{3,4,5}');
SELECT vector_combine('{1,1e308}', '{1,1e308}');
SELECT vector_accum('{1,1e308}', '[3e38]'), vector_accum('{1,1.7e308}', '[3e38]');
SELECT vector_accum('{1,1.7976931348623157e308}', '[3e38]');
SELECT vector_accum('{1,2}'::float4[]::float8[], '[1]');
SELECT vector_avg('{1,1e300}');
SELECT vector_avg('{0,1,2}');
-- parallel plans use the combine function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE agg_big AS SELECT i, ARRAY[i % 7, i % 11, 1]::vector AS v FROM generate_series(1, 20000) i;
ANALYZE agg_big;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM agg_big;
SELECT avg(v), sum(v) FROM agg_big;
SELECT avg(v), sum(v) FROM agg_big WHERE i < 0;
SELECT avg(v), sum(v) FROM agg_big WHERE i % 1000 = 0;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE agg_big;
DROP TABLE agg_t;

-- ---------------------------------------------------------------------------
-- comparison and btree
-- ---------------------------------------------------------------------------

SELECT '[-0]'::vector = '[0]', '[1,2]'::vector < '[1,2,0]', '[1,3]'::vector > '[1,2,9]',
	'[-1]'::vector < '[0]', '[1e-45]'::vector > '[0]';
CREATE TABLE bt (id int, v vector);
INSERT INTO bt VALUES (1, '[1,2,3]'), (2, '[1,2]'), (3, '[0,5]'), (4, '[1,2,3]'), (5, NULL),
	(6, '[-1,100]'), (7, '[1,2,3,0]'), (8, '[1e-45]'), (9, '[-3.4e38]'), (10, '[0]');
SELECT id, v FROM bt ORDER BY v, id;
SELECT id, v FROM bt ORDER BY v DESC NULLS LAST, id;
SELECT DISTINCT v FROM bt WHERE v IS NOT NULL ORDER BY v;
SELECT v, count(*) FROM bt GROUP BY v ORDER BY v;
CREATE INDEX bt_v ON bt (v);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM bt WHERE v = '[1,2,3]';
SELECT id FROM bt WHERE v = '[1,2,3]' ORDER BY id;
SELECT id FROM bt WHERE v > '[1,2]' AND v <= '[1,2,3]' ORDER BY v, id;
SELECT id FROM bt WHERE v < '[0]' ORDER BY v;
SELECT id, v FROM bt ORDER BY v DESC, id LIMIT 3;
RESET enable_seqscan;
RESET enable_bitmapscan;
-- merge join on vectors
SET enable_hashjoin = off;
SET enable_nestloop = off;
SELECT a.id, b.id FROM bt a JOIN bt b ON a.v = b.v WHERE a.id < b.id ORDER BY 1, 2;
RESET enable_hashjoin;
RESET enable_nestloop;
DROP TABLE bt;

-- ---------------------------------------------------------------------------
-- binary form: pgvector's layout, byte for byte
-- ---------------------------------------------------------------------------

SELECT vector_send('[1,2]'), vector_send('[-0.5]'), vector_send('[1e-45,-0,3.4028235e38]');
SELECT length(vector_send(array_fill(1, ARRAY[16000])::vector));

CREATE TABLE bin_src (v vector);
INSERT INTO bin_src VALUES ('[1,2,3]'), ('[-0,1e-45,-1.17549435e-38]'), ('[3.4028235e38,-3.4028235e38]'),
	('[0.1,0.2,0.3]'), (NULL), (array_fill(0.33333334, ARRAY[16000])::vector);
CREATE TABLE bin_dst (v vector);
\copy bin_src TO 'results/vector_errors.bin' WITH (FORMAT binary)
\copy bin_dst FROM 'results/vector_errors.bin' WITH (FORMAT binary)
SELECT count(*) AS rows, count(v) AS non_null FROM bin_dst;
SELECT count(*) AS missing FROM bin_src s WHERE v IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM bin_dst d WHERE vector_send(d.v) = vector_send(s.v));

-- hostile binary input: a binary COPY file whose field holds the given bytes
CREATE TABLE bin_in (v vector);
CREATE TABLE bin_in3 (v vector(3));
\copy (SELECT '\x000200003f80000040000000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in3 FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x000000003f800000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\xffff00003f800000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x3e8100003f800000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x7fff00003f800000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x000100013f800000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x000100007fc00000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x00010000ff800000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x000300003f80000040000000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x3e8000003f800000'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x0001000040000000ff'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x00'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
\copy (SELECT '\x'::bytea) TO 'results/vector_recv.bin' WITH (FORMAT binary)
\copy bin_in FROM 'results/vector_recv.bin' WITH (FORMAT binary)
SELECT * FROM bin_in;
DROP TABLE bin_src, bin_dst, bin_in, bin_in3;

-- ---------------------------------------------------------------------------
-- text round trip (what pg_dump writes and restores): shortest exact output
-- ---------------------------------------------------------------------------

SELECT '[0.1,0.2,0.3]'::vector, '[0.33333334]'::vector, '[1.0000001]'::vector, '[16777217]'::vector;
SELECT '[1e-45,1.17549435e-38,3.4028235e38,-0,100000,1e7,1.5e-5]'::vector;
SELECT setseed(0.5);
CREATE TABLE rt (v vector);
INSERT INTO rt SELECT array_agg(((random() - 0.5) * 10 ^ (random() * 60 - 30))::real) FROM generate_series(1, 2000) i GROUP BY i % 100;
INSERT INTO rt SELECT array_agg(random()::real) FROM generate_series(1, 16000);
SELECT count(*) AS vectors, count(*) FILTER (WHERE vector_send(v::text::vector) <> vector_send(v)) AS changed FROM rt;
\copy rt TO 'results/vector_errors.txt'
CREATE TABLE rt2 (v vector);
\copy rt2 FROM 'results/vector_errors.txt'
SELECT count(*) AS missing FROM rt WHERE NOT EXISTS (SELECT 1 FROM rt2 WHERE vector_send(rt2.v) = vector_send(rt.v));
DROP TABLE rt, rt2;

-- ---------------------------------------------------------------------------
-- SQLSTATE of each error path (pgvector's codes)
-- ---------------------------------------------------------------------------

SELECT q, pg_temp.sqlstate_of(q) FROM (VALUES
	($$SELECT '[1,2'::vector$$),
	($$SELECT '1,2'::vector$$),
	($$SELECT '[1]x'::vector$$),
	($$SELECT '[4e38]'::vector$$),
	($$SELECT '[NaN]'::vector$$),
	($$SELECT '[Infinity]'::vector$$),
	($$SELECT '[]'::vector$$),
	($$SELECT ('[' || repeat('1,', 16000) || '1]')::vector$$),
	($$SELECT '[1,2]'::vector(3)$$),
	($$SELECT '[1]'::vector(0)$$),
	($$SELECT '[1]'::vector(16001)$$),
	($$SELECT '[1]'::vector(1, 1)$$),
	($$SELECT '[1,2]'::vector <-> '[1]'$$),
	($$SELECT '[1,2]'::vector <#> '[1]'$$),
	($$SELECT '[1,2]'::vector <=> '[1]'$$),
	($$SELECT '[1,2]'::vector <+> '[1]'$$),
	($$SELECT '[1,2]'::vector + '[1]'$$),
	($$SELECT '[3e38]'::vector + '[3e38]'$$),
	($$SELECT '[1e-30]'::vector * '[1e-30]'$$),
	($$SELECT array_fill(0, ARRAY[16000])::vector || '[1]'$$),
	($$SELECT subvector('[1,2]', 3, 1)$$),
	($$SELECT '{NULL}'::real[]::vector$$),
	($$SELECT '{{1}}'::real[]::vector$$),
	($$SELECT '{}'::real[]::vector$$),
	($$SELECT '{NaN}'::real[]::vector$$),
	($$SELECT array_fill(1, ARRAY[16001])::vector$$),
	($$SELECT avg(v) FROM (VALUES ('[1]'::vector), ('[1,2]')) t(v)$$),
	($$SELECT vector_avg('{}')$$)
) t(q);
