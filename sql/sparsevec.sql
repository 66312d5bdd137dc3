-- The sparsevec type (pgvector 0.8's): text and binary forms, every error
-- path with its SQLSTATE, operators on known values (pgvector's expected
-- results), casts, btree ordering, COPY in text and binary.

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

SELECT '{1:1.5,3:3.5}/5'::sparsevec;
SELECT '{1:-2,3:-4}/5'::sparsevec;
SELECT '{1:2.,3:4.}/5'::sparsevec;
SELECT ' { 1 : 1.5 ,  3  :  3.5  } / 5 '::sparsevec;
SELECT '{1:1.23456}/1'::sparsevec;
SELECT '{1:1.5e38,2:-1.5e-38}/2'::sparsevec;
SELECT '{1:1e-45,2:3.4028235e38}/2'::sparsevec;
SELECT '{}/1'::sparsevec, '{ }/1'::sparsevec, '{}/1000000000'::sparsevec;
-- zeros are dropped (their indices unchecked), elements sorted
SELECT '{1:0,2:1,3:-0}/3'::sparsevec;
SELECT '{0:0,7:0,2:1}/2'::sparsevec;
SELECT '{5:5,2:2,4:4,1:1,3:3}/5'::sparsevec;
SELECT (chr(9) || '{' || chr(10) || '1' || chr(13) || ':' || chr(12) || '2' || chr(11) || '}/' || chr(10) || '3' || chr(10))::sparsevec;
SELECT '{+1:+.5,2:0x10,3:1E2}/+3'::sparsevec;

-- syntax
SELECT '{1:hello,2:1}/2'::sparsevec;
SELECT ''::sparsevec;
SELECT '[1,2]'::sparsevec;
SELECT '{'::sparsevec;
SELECT '{}'::sparsevec;
SELECT '{}/'::sparsevec;
SELECT '{}/1a'::sparsevec;
SELECT '{:}/1'::sparsevec;
SELECT '{1,}/1'::sparsevec;
SELECT '{1:}/1'::sparsevec;
SELECT '{1a:1}/1'::sparsevec;
SELECT '{1.5:1}/2'::sparsevec;
SELECT '{1:1,}/1'::sparsevec;
SELECT '{1:1} 5'::sparsevec;

-- elements
SELECT '{1:NaN,2:1}/2'::sparsevec;
SELECT '{1:Infinity,2:1}/2'::sparsevec;
SELECT '{1:-inf,2:1}/2'::sparsevec;
SELECT '{1:4e38,2:1}/2'::sparsevec;
SELECT '{1: -4e38 ,2:1}/2'::sparsevec;
SELECT '{1:1e-46,2:1}/2'::sparsevec;
-- the first problem from the left wins; element errors precede dimension errors
SELECT '{1:nan,2:x}/2'::sparsevec;
SELECT '{1:x,2:nan}/2'::sparsevec;
SELECT '{1:nan}/0'::sparsevec;

-- dimensions and indices
SELECT '{}/-1'::sparsevec;
SELECT '{}/0'::sparsevec;
SELECT '{}/1000000001'::sparsevec;
SELECT '{}/9223372036854775808'::sparsevec;
SELECT '{}/-9223372036854775809'::sparsevec;
SELECT '{2147483647:1}/1'::sparsevec;
SELECT '{-2147483649:1}/1'::sparsevec;
SELECT '{0:1}/1'::sparsevec;
SELECT '{2:1}/1'::sparsevec;
SELECT '{1:1,1:1}/2'::sparsevec;
SELECT '{1:1,2:1,1:1}/2'::sparsevec;
SELECT '{5:1}/0'::sparsevec;

-- non-zero element limit: 16000 is fine, 16001 is not (commas are counted first)
SELECT l2_norm(('{' || string_agg(i || ':1', ',') || '}/16000')::sparsevec) FROM generate_series(1, 16000) i;
SELECT ('{' || string_agg(i || ':1', ',') || '}/16001')::sparsevec FROM generate_series(1, 16001) i;
SELECT ('x' || repeat(',', 16000))::sparsevec;
SELECT ('{' || string_agg(i || ':0', ',') || '}/16001')::sparsevec FROM generate_series(1, 16000) i;

-- round trips: text -> sparsevec -> text is the identity on canonical forms
SELECT v::text = t AS same, v
FROM (VALUES ('{1:0.1,2:0.2,3:0.3}/3'), ('{1:-1.1754944e-38,9:1e-45}/1000000000'),
	('{1000000000:3.4028235e+38}/1000000000'), ('{}/7')) s(t), LATERAL (SELECT t::sparsevec AS v) l;

-- ---------------------------------------------------------------------------
-- type modifier
-- ---------------------------------------------------------------------------

SELECT '{}/3'::sparsevec(3);
SELECT '{}/3'::sparsevec(2);
SELECT '{9:1}/3'::sparsevec(2);
SELECT '{}/3'::sparsevec(3, 2);
SELECT '{}/3'::sparsevec('a');
SELECT '{}/3'::sparsevec(0);
SELECT '{}/3'::sparsevec(1000000001);
SELECT format_type('sparsevec'::regtype, 1000000000);
CREATE TABLE typmod_t (v sparsevec(3));
INSERT INTO typmod_t VALUES ('{1:1}/3');
INSERT INTO typmod_t VALUES ('{1:1}/4');
INSERT INTO typmod_t VALUES ('[1,0,2]'::vector);
SELECT * FROM typmod_t;
DROP TABLE typmod_t;

-- ---------------------------------------------------------------------------
-- functions and operators (values from pgvector's tests)
-- ---------------------------------------------------------------------------

SELECT round(l2_norm('{1:1,2:1}/2'::sparsevec)::numeric, 5);
SELECT l2_norm('{1:3,2:4}/2'::sparsevec), l2_norm('{2:1}/2'::sparsevec), l2_norm('{}/2'::sparsevec);
SELECT l2_norm('{1:3e37,2:4e37}/2'::sparsevec)::real;

SELECT l2_distance('{}/2'::sparsevec, '{1:3,2:4}/2');
SELECT l2_distance('{1:3}/2'::sparsevec, '{2:4}/2'), l2_distance('{2:4}/2'::sparsevec, '{1:3}/2');
SELECT l2_distance('{1:3,2:4}/2'::sparsevec, '{}/2'), l2_distance('{}/2'::sparsevec, '{2:1}/2');
SELECT '{}/2'::sparsevec <-> '{1:3,2:4}/2';
SELECT sparsevec_l2_squared_distance('{1:1,3:2}/4', '{2:1,3:4}/4');

SELECT inner_product('{1:1,2:2}/2'::sparsevec, '{1:2,2:4}/2');
SELECT inner_product('{1:1,3:3}/4'::sparsevec, '{2:2,4:4}/4');
SELECT inner_product('{1:1,3:3,5:5}/5'::sparsevec, '{2:4,3:6,4:8}/5');
SELECT inner_product('{1:1}/2'::sparsevec, '{}/2'), inner_product('{}/2'::sparsevec, '{1:1}/2');
SELECT inner_product('{1:3e38}/1'::sparsevec, '{1:3e38}/1');
SELECT '{1:1,2:2}/2'::sparsevec <#> '{1:3,2:4}/2';

SELECT cosine_distance('{1:1,2:2}/2'::sparsevec, '{1:2,2:4}/2');
SELECT cosine_distance('{1:1,2:2}/2'::sparsevec, '{}/2');
SELECT cosine_distance('{1:1}/2'::sparsevec, '{2:2}/2');
SELECT cosine_distance('{1:1,2:1}/2'::sparsevec, '{1:-1,2:-1}/2');
SELECT cosine_distance('{1:1,2:1}/2'::sparsevec, '{1:1.1,2:1.1}/2');
SELECT cosine_distance('{1:1,2:1}/2'::sparsevec, '{1:-1.1,2:-1.1}/2');
SELECT cosine_distance('{1:3e38}/1'::sparsevec, '{1:3e38}/1');
SELECT cosine_distance('{}/1'::sparsevec, '{}/1');
SELECT '{1:1,2:2}/2'::sparsevec <=> '{1:2,2:4}/2';

SELECT l1_distance('{}/2'::sparsevec, '{1:3,2:4}/2'), l1_distance('{}/2'::sparsevec, '{2:1}/2');
SELECT l1_distance('{1:3e38}/1'::sparsevec, '{1:-3e38}/1');
SELECT l1_distance('{1:1,3:3,5:5,7:7}/8'::sparsevec, '{2:2,4:4,6:6,8:8}/8');
SELECT l1_distance('{1:1,3:3,5:5,7:7,9:9}/9'::sparsevec, '{2:2,4:4,6:6,8:8}/9');
SELECT '{}/2'::sparsevec <+> '{1:3,2:4}/2';

SELECT l2_normalize('{1:3,2:4}/2'::sparsevec), l2_normalize('{1:3}/2'::sparsevec);
SELECT l2_normalize('{2:0.1}/2'::sparsevec), l2_normalize('{}/2'::sparsevec);
SELECT l2_normalize('{1:3e38}/1'::sparsevec), l2_normalize('{1:3e38,2:1e-37}/2'::sparsevec);
SELECT l2_normalize('{2:3e37,4:3e-37,6:4e37,8:4e-37}/9'::sparsevec);

-- the same values as the dense vector operators, on random vectors
SELECT setseed(0.25);
CREATE TABLE pairs AS
SELECT i, (SELECT array_agg(CASE WHEN random() < 0.3 THEN round((random() * 8 - 4)::numeric, 2) ELSE 0 END)
	FROM generate_series(1, 40) g WHERE i > 0)::real[]::vector AS a,
	(SELECT array_agg(CASE WHEN random() < 0.3 THEN round((random() * 8 - 4)::numeric, 2) ELSE 0 END)
	FROM generate_series(1, 40) g WHERE i > 0)::real[]::vector AS b
FROM generate_series(1, 200) i;
SELECT count(*) AS pairs,
	count(*) FILTER (WHERE abs((a::sparsevec <-> b::sparsevec) - (a <-> b)) > 1e-5 * (1 + (a <-> b))) AS l2_off,
	count(*) FILTER (WHERE abs((a::sparsevec <#> b::sparsevec) - (a <#> b)) > 1e-4 * (1 + abs(a <#> b))) AS ip_off,
	count(*) FILTER (WHERE abs((a::sparsevec <+> b::sparsevec) - (a <+> b)) > 1e-4 * (1 + (a <+> b))) AS l1_off,
	count(*) FILTER (WHERE NOT (a::sparsevec <=> b::sparsevec) IS NOT DISTINCT FROM (a <=> b)
		AND abs((a::sparsevec <=> b::sparsevec) - (a <=> b)) > 1e-5) AS cos_off,
	count(*) FILTER (WHERE abs(l2_norm(a::sparsevec) - vector_norm(a)) > 1e-9) AS norm_off,
	count(*) FILTER (WHERE l2_normalize(a::sparsevec)::vector <> l2_normalize(a)) AS normalize_off,
	count(*) FILTER (WHERE (a::sparsevec < b::sparsevec) <> (a < b)
		OR sparsevec_cmp(a::sparsevec, b::sparsevec) <> vector_cmp(a, b)) AS cmp_off
FROM pairs;
DROP TABLE pairs;

-- ---------------------------------------------------------------------------
-- comparison and btree ordering
-- ---------------------------------------------------------------------------

SELECT '{1:1,2:2,3:3}/3'::sparsevec < '{1:1,2:2,3:3}/3', '{1:1,2:2,3:3}/3'::sparsevec < '{1:1,2:2}/2';
SELECT '{1:1,2:2,3:3}/3'::sparsevec <= '{1:1,2:2,3:3}/3', '{1:1,2:2,3:3}/3'::sparsevec <= '{1:1,2:2}/2';
SELECT '{1:1,2:2,3:3}/3'::sparsevec = '{1:1,2:2,3:3}/3', '{1:1,2:2,3:3}/3'::sparsevec = '{1:1,2:2}/2';
SELECT '{1:1,2:2,3:3}/3'::sparsevec <> '{1:1,2:2,3:3}/3', '{1:1,2:2,3:3}/3'::sparsevec <> '{1:1,2:2}/2';
SELECT '{1:1,2:2,3:3}/3'::sparsevec >= '{1:1,2:2,3:3}/3', '{1:1,2:2,3:3}/3'::sparsevec >= '{1:1,2:2}/2';
SELECT '{1:1,2:2,3:3}/3'::sparsevec > '{1:1,2:2,3:3}/3', '{1:1,2:2,3:3}/3'::sparsevec > '{1:1,2:2}/2';
SELECT sparsevec_cmp('{1:1,2:2,3:3}/3', '{1:1,2:2,3:3}/3'), sparsevec_cmp('{1:1,2:2,3:3}/3', '{}/3'),
	sparsevec_cmp('{}/3', '{1:1,2:2,3:3}/3'), sparsevec_cmp('{1:1,2:2}/2', '{1:1,2:2,3:3}/3'),
	sparsevec_cmp('{1:1,2:2,3:3}/3', '{1:1,2:2}/2'), sparsevec_cmp('{1:1,2:2}/2', '{1:2,2:3,3:4}/3'),
	sparsevec_cmp('{1:2,2:3}/2', '{1:1,2:2,3:3}/3');
-- negative elements sort before a missing (zero) one; extra elements past the
-- other's dimensions only matter through the length
SELECT sparsevec_cmp('{1:-1}/2', '{}/2'), sparsevec_cmp('{2:-1}/2', '{1:1}/2'),
	sparsevec_cmp('{3:-1}/3', '{}/2'), sparsevec_cmp('{2:-1}/3', '{}/2');

CREATE TABLE t (val sparsevec(3));
INSERT INTO t (val) VALUES ('{}/3'), ('{1:1,2:2,3:3}/3'), ('{1:1,2:1,3:1}/3'), (NULL), ('{1:-1}/3'), ('{3:5}/3');
CREATE INDEX ON t (val);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM t WHERE val = '{1:1,2:2,3:3}/3';
SELECT * FROM t WHERE val = '{1:1,2:2,3:3}/3';
SELECT * FROM t ORDER BY val;
SELECT * FROM t WHERE val > '{}/3' ORDER BY val DESC;
RESET enable_seqscan;
SELECT DISTINCT val FROM (SELECT val FROM t UNION ALL SELECT val FROM t) s ORDER BY val;
DROP TABLE t;

-- ---------------------------------------------------------------------------
-- casts
-- ---------------------------------------------------------------------------

SELECT ARRAY[1,0,2,0,3,0]::sparsevec;
SELECT ARRAY[1.0,0.0,2.0,0.0,3.0,0.0]::sparsevec;
SELECT ARRAY[1,0,2,0,3,0]::real[]::sparsevec, ARRAY[1,0,2,0,3,0]::double precision[]::sparsevec;
SELECT '{1,0,2,0,3,0}'::real[]::sparsevec(6);
SELECT '{1,0,2,0,3,0}'::real[]::sparsevec(5);
SELECT '{NULL}'::real[]::sparsevec;
SELECT '{NaN}'::real[]::sparsevec;
SELECT '{0,Infinity}'::real[]::sparsevec;
SELECT '{-Infinity}'::real[]::sparsevec;
SELECT '{}'::real[]::sparsevec;
SELECT '{{1}}'::real[]::sparsevec;
SELECT '{4e38,-4e38}'::double precision[]::sparsevec;
SELECT '{1e-46,-1e-46}'::double precision[]::sparsevec;
SELECT '{1e39}'::numeric[]::sparsevec;
SELECT array_agg(n)::sparsevec FROM generate_series(1, 16001) n;
SELECT l2_norm(array_agg(n % 2)::sparsevec) FROM generate_series(1, 32000) n;

SELECT '[0,1.5,0,3.5,0]'::vector::sparsevec;
SELECT '[0,1.5,0,3.5,0]'::vector::sparsevec(5);
SELECT '[0,1.5,0,3.5,0]'::vector::sparsevec(4);
SELECT '[0,-0,0]'::vector::sparsevec;
SELECT '{2:1.5,4:3.5}/5'::sparsevec::vector;
SELECT '{2:1.5,4:3.5}/5'::sparsevec::vector(5);
SELECT '{2:1.5,4:3.5}/5'::sparsevec::vector(4);
SELECT '{}/16001'::sparsevec::vector;
SELECT vector_dims('{16000:1}/16000'::sparsevec::vector);
-- a dense vector's binary form round-trips through sparsevec
SELECT vector_send(v::sparsevec::vector) = vector_send(v) FROM (VALUES ('[1,0,-2,0,1e-45]'::vector)) s(v);

-- ---------------------------------------------------------------------------
-- binary form: pgvector's layout, byte for byte
-- ---------------------------------------------------------------------------

SELECT sparsevec_send('{1:1.5,3:3.5}/5'), sparsevec_send('{}/1'), sparsevec_send('{1000000000:-1e-45}/1000000000');

-- Feeds the given bytes to sparsevec_recv as the only field of a binary COPY
-- file (written and read by the server, in its data directory).
CREATE TABLE bin_in (v sparsevec);
CREATE TABLE bin_in3 (v sparsevec(3));
CREATE FUNCTION pg_temp.recv(bytes bytea, tab text DEFAULT 'bin_in') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/pgvq_sparsevec_recv.bin';
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
	'\x00000005000000020000000000000000000000023fc0000040600000',	-- {1:1.5,3:3.5}/5
	'\x000000010000000000000000',				-- {}/1
	'\x',										-- nothing
	'\x0000000500000002000000',					-- 11 header bytes
	'\x000000000000000000000000',				-- dim 0
	'\xffffffff0000000000000000',				-- dim -1
	'\x3b9aca010000000000000000',				-- dim 1000000001
	'\x3b9aca000000000000000000',				-- dim 1000000000
	'\x00000005ffffffff00000000',				-- nnz -1
	'\x00000005000000050000000000000000000000010000000200000003000000043f8000003f8000003f8000003f8000003f800000',	-- nnz = dim
	'\x00000005000000060000000000000000',		-- nnz > dim
	'\x7fffffff00003e8100000000',				-- dim 2147483647 (checked before nnz)
	'\x00004e2000003e8100000000',				-- nnz 16001
	'\x000000050000000000000001',				-- unused 1
	'\x0000000500000001000000000000000100',	-- value cut short
	'\x000000050000000200000000000000050000',	-- index out of bounds, then cut short
	'\x00000005000000010000000000000004',		-- index present, value missing
	'\x000000050000000100000000ffffffff3f800000',	-- index -1
	'\x00000005000000020000000000000002000000013f8000003f800000',	-- descending
	'\x00000005000000020000000000000002000000023f8000003f800000',	-- duplicate
	'\x0000000500000001000000000000000000000000',	-- zero
	'\x0000000500000001000000000000000080000000',	-- -0
	'\x000000050000000100000000000000007fc00000',	-- NaN
	'\x00000005000000010000000000000000ff800000',	-- -Infinity
	'\x00000005000000010000000000000000000000013f80000000',	-- one byte too many
	'\x000000010000000000000000000000010000000000000000'	-- two vectors in one field
]) AS u(b);

SELECT pg_temp.recv('\x00000003000000010000000000000000bf800000', 'bin_in3');
SELECT pg_temp.recv('\x00000004000000010000000000000000bf800000', 'bin_in3');
-- typmod is checked after the element count and before unused
SELECT pg_temp.recv('\x00000004000000050000000100000000', 'bin_in3');
SELECT pg_temp.recv('\x00000004000000010000000100000000', 'bin_in3');
SELECT pg_temp.recv(sparsevec_send(s)) = s::text FROM (VALUES ('{1:1e-45,7:-3.4028235e38,1000000000:0.1}/1000000000'::sparsevec)) v(s);

-- the largest vector, through the binary form and back
SELECT l2_norm(pg_temp.recv(sparsevec_send(s))::sparsevec) = l2_norm(s) AS same, length(sparsevec_send(s))
FROM (SELECT ('{' || string_agg(i * 60000 || ':' || i, ',') || '}/1000000000')::sparsevec AS s FROM generate_series(1, 16000) i) v;
DROP TABLE bin_in, bin_in3;

-- ---------------------------------------------------------------------------
-- COPY: text and binary (pgvector's copy test, and more)
-- ---------------------------------------------------------------------------

CREATE TABLE t (val sparsevec(3));
INSERT INTO t (val) VALUES ('{}/3'), ('{1:1,2:2,3:3}/3'), ('{1:1,2:1,3:1}/3'), (NULL), ('{2:-1e-45}/3'), ('{3:3.4028235e38}/3');
CREATE TABLE t2 (val sparsevec(3));
\copy t TO 'results/sparsevec.bin' WITH (FORMAT binary)
\copy t2 FROM 'results/sparsevec.bin' WITH (FORMAT binary)
SELECT * FROM t2 ORDER BY val;
SELECT count(*) AS unmatched FROM t FULL JOIN t2 ON sparsevec_send(t.val) = sparsevec_send(t2.val)
WHERE (t.val IS NULL) <> (t2.val IS NULL);
TRUNCATE t2;
\copy t TO 'results/sparsevec.txt'
\copy t2 FROM 'results/sparsevec.txt'
SELECT * FROM t2 ORDER BY val;
CREATE TABLE t4 (val sparsevec(4));
\copy t4 FROM 'results/sparsevec.bin' WITH (FORMAT binary)
\copy t4 FROM 'results/sparsevec.txt'
DROP TABLE t, t2, t4;

-- ---------------------------------------------------------------------------
-- SQLSTATE of each error path (pgvector's codes)
-- ---------------------------------------------------------------------------

SELECT q, pg_temp.sqlstate_of(q) FROM (VALUES
	($$SELECT '{1:1'::sparsevec$$),
	($$SELECT '1:1}/1'::sparsevec$$),
	($$SELECT '{1:1}'::sparsevec$$),
	($$SELECT '{1:1}/1x'::sparsevec$$),
	($$SELECT '{1:4e38}/1'::sparsevec$$),
	($$SELECT '{1:1e-46}/1'::sparsevec$$),
	($$SELECT '{1:NaN}/1'::sparsevec$$),
	($$SELECT '{1:Infinity}/1'::sparsevec$$),
	($$SELECT '{}/0'::sparsevec$$),
	($$SELECT '{}/1000000001'::sparsevec$$),
	($$SELECT '{2:1}/1'::sparsevec$$),
	($$SELECT '{1:1,1:2}/1'::sparsevec$$),
	($$SELECT repeat(',', 16000)::sparsevec$$),
	($$SELECT '{1:1}/2'::sparsevec(3)$$),
	($$SELECT '{}/1'::sparsevec(0)$$),
	($$SELECT '{}/1'::sparsevec(1000000001)$$),
	($$SELECT '{}/1'::sparsevec(1, 1)$$),
	($$SELECT '{}/2'::sparsevec <-> '{}/1'$$),
	($$SELECT '{}/2'::sparsevec <#> '{}/1'$$),
	($$SELECT '{}/2'::sparsevec <=> '{}/1'$$),
	($$SELECT '{}/2'::sparsevec <+> '{}/1'$$),
	($$SELECT inner_product('{}/2'::sparsevec, '{}/1')$$),
	($$SELECT sparsevec_l2_squared_distance('{}/2', '{}/1')$$),
	($$SELECT l2_normalize('{1:1e-45}/1'::sparsevec)$$),
	($$SELECT '{NULL}'::real[]::sparsevec$$),
	($$SELECT '{{1}}'::real[]::sparsevec$$),
	($$SELECT '{}'::real[]::sparsevec$$),
	($$SELECT '{NaN}'::real[]::sparsevec$$),
	($$SELECT '{1e39}'::double precision[]::sparsevec$$),
	($$SELECT array_fill(1, ARRAY[16001])::sparsevec$$),
	($$SELECT '{1,2}'::real[]::sparsevec(3)$$),
	($$SELECT '{}/16001'::sparsevec::vector$$),
	($$SELECT '{}/3'::sparsevec::vector(2)$$),
	($$SELECT '[1,2]'::vector::sparsevec(3)$$)
) t(q);

-- ---------------------------------------------------------------------------
-- catalogue: the type, its operators and casts live in the extension
-- ---------------------------------------------------------------------------

SELECT typname, typlen, typstorage, typalign, typmodin::text FROM pg_type WHERE typname = 'sparsevec';
SELECT oprname, oprresult::regtype FROM pg_operator
WHERE oprleft = 'sparsevec'::regtype AND oprright = 'sparsevec'::regtype ORDER BY oprname;
SELECT castsource::regtype, casttarget::regtype, castcontext FROM pg_cast
WHERE (castsource = 'sparsevec'::regtype OR casttarget = 'sparsevec'::regtype)
	AND castsource::text NOT LIKE 'halfvec%' AND casttarget::text NOT LIKE 'halfvec%'
ORDER BY 1::text, 2::text;
