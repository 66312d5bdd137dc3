-- Distances of PostgreSQL's bit type (pgvector 0.8's <~> hamming_distance
-- and <%> jaccard_distance), binary_quantize, and pgvector's binary
-- quantization recipe with a sequential scan.

-- ---------------------------------------------------------------------------
-- known values (pgvector's bit test)
-- ---------------------------------------------------------------------------

SELECT hamming_distance('111', '111'), hamming_distance('111', '110'),
	hamming_distance('111', '100'), hamming_distance('111', '000');
SELECT hamming_distance('10101010101010101010', '01010101010101010101');
SELECT hamming_distance(repeat('10', 256)::bit(512) || B'1', repeat('10', 256)::bit(512) || B'1');
SELECT hamming_distance(repeat('10', 256)::bit(512) || B'1', repeat('01', 256)::bit(512) || B'0');
SELECT hamming_distance(B'11' || repeat('0', 509)::bit(509) || B'11', B'1' || repeat('0', 511)::bit(511) || B'1');
SELECT hamming_distance('', '');
SELECT hamming_distance('111', '00');
SELECT hamming_distance('111', '000'::varbit(4));
SELECT hamming_distance('111', '0000'::varbit(4));
SELECT B'1010' <~> B'0110';

SELECT jaccard_distance('1111', '1111'), jaccard_distance('1111', '1110'), jaccard_distance('1111', '1100'),
	jaccard_distance('1111', '1000'), jaccard_distance('1111', '0000'), jaccard_distance('1100', '1000');
SELECT jaccard_distance('10101010101010101010', '01010101010101010101');
SELECT jaccard_distance(repeat('10', 256)::bit(512) || B'1', repeat('10', 256)::bit(512) || B'1');
SELECT jaccard_distance(repeat('10', 256)::bit(512) || B'1', repeat('01', 256)::bit(512) || B'0');
SELECT jaccard_distance(B'11' || repeat('0', 509)::bit(509) || B'11', B'1' || repeat('0', 511)::bit(511) || B'1');
SELECT jaccard_distance('', ''), jaccard_distance('000', '000');
SELECT jaccard_distance('1111', '000');
SELECT jaccard_distance('1111', '0000'::varbit(5));
SELECT jaccard_distance('1111', '00000'::varbit(5));
SELECT B'1110' <%> B'0111';

-- the operators commute, NULL in gives NULL out
SELECT B'1100' <~> B'1010' = B'1010' <~> B'1100', B'1100' <%> B'1010' = B'1010' <%> B'1100';
SELECT NULL::bit(3) <~> B'101', B'101' <%> NULL;

-- SQLSTATE of the length check
DO $$
BEGIN
	PERFORM hamming_distance(B'1', B'10');
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE '%: %', SQLSTATE, SQLERRM;
END $$;
DO $$
BEGIN
	PERFORM B'1' <%> B'10';
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE '%: %', SQLSTATE, SQLERRM;
END $$;

-- ---------------------------------------------------------------------------
-- against Postgres' own bit operators, on every length up to 1100 bits (all
-- the whole-word, 64-byte block and tail paths of the popcount kernels)
-- ---------------------------------------------------------------------------

SELECT setseed(0.5);
CREATE TABLE bits AS
SELECT n, a, b FROM generate_series(0, 1100) n,
	LATERAL (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, n) WHERE n > 0) x(sa),
	LATERAL (SELECT string_agg(CASE WHEN random() < 0.3 THEN '1' ELSE '0' END, '') FROM generate_series(1, n) WHERE n > 0) y(sb),
	LATERAL (SELECT coalesce(sa, '')::varbit AS a, coalesce(sb, '')::varbit AS b) z;
SELECT count(*) AS lengths,
	count(*) FILTER (WHERE a <~> b <> bit_count(a # b)) AS hamming_off,
	count(*) FILTER (WHERE a <%> b <> CASE WHEN bit_count(a & b) = 0 THEN 1
		ELSE 1 - bit_count(a & b)::float8 / bit_count(a | b)::float8 END) AS jaccard_off,
	count(*) FILTER (WHERE a <~> a <> 0 OR a <~> ~a <> n) AS self_off
FROM bits;
DROP TABLE bits;

-- ---------------------------------------------------------------------------
-- binary_quantize (pgvector's: a bit per element, set where it is > 0)
-- ---------------------------------------------------------------------------

SELECT binary_quantize('[1,0,-1]'::vector);
SELECT binary_quantize('[0,0.1,-0.2,-0.3,0.4,0.5,0.6,-0.7,0.8,-0.9,1]'::vector);
SELECT binary_quantize('[-0,1e-45,-1e-45]'::vector);
SELECT length(binary_quantize(array_fill(1, ARRAY[16000])::vector)),
	bit_count(binary_quantize(array_fill(1, ARRAY[16000])::vector));
SELECT binary_quantize('[1,-1,1,-1]'::vector) <~> binary_quantize('[1,1,-1,-1]'::vector);

-- ---------------------------------------------------------------------------
-- pgvector's binary quantization recipe: the bits shortlist, the vectors
-- re-rank (a sequential scan; a flat bit index is not offered yet)
-- ---------------------------------------------------------------------------

CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3));
INSERT INTO items (embedding) VALUES ('[1,-2,3]'), ('[-1,2,-3]'), ('[1,2,3]'), ('[1,-2,-3]'),
	('[2,-1,4]'), ('[0.5,-0.5,0.5]'), ('[-1,-2,3]'), ('[3,-2,1]');
SELECT id, binary_quantize(embedding)::bit(3) AS bits FROM items ORDER BY id;
SELECT id FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]'::vector), id LIMIT 5;
SELECT * FROM (
	SELECT * FROM items ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]'::vector) LIMIT 20
) shortlist ORDER BY embedding <=> '[1,-2,3]' LIMIT 5;
SELECT id, round((binary_quantize(embedding) <%> binary_quantize('[1,-2,3]'::vector))::numeric, 4) AS jaccard
FROM items ORDER BY jaccard, id;
DROP TABLE items;
