SELECT ARRAY[1,2,3]::vector;
SELECT ARRAY[1.0,2.0,3.0]::vector;
SELECT ARRAY[1,2,3]::float4[]::vector;
SELECT ARRAY[1,2,3]::float8[]::vector;
SELECT ARRAY[1,2,3]::numeric[]::vector;

SELECT '[1,2,3]'::vector::real[];

SELECT '{1,2,3}'::real[]::vector;
SELECT '{1,2,3}'::real[]::vector(3);
SELECT '{1,2,3}'::real[]::vector(2);
SELECT '{NULL}'::real[]::vector;
SELECT '{NaN}'::real[]::vector;
SELECT '{Infinity}'::real[]::vector;
SELECT '{-Infinity}'::real[]::vector;
SELECT '{}'::real[]::vector;
SELECT '{{1}}'::real[]::vector;

SELECT '{1,2,3}'::double precision[]::vector;
SELECT '{1,2,3}'::double precision[]::vector(3);
SELECT '{1,2,3}'::double precision[]::vector(2);
SELECT '{4e38,-4e38}'::double precision[]::vector;
SELECT '{1e-46,-1e-46}'::double precision[]::vector;

SELECT array_agg(n)::vector FROM generate_series(1, 16001) n;
SELECT array_to_vector(array_agg(n), 16001, false) FROM generate_series(1, 16001) n;

-- ensure no error
SELECT ARRAY[1,2,3] = ARRAY[1,2,3];

-- halfvec <-> sparsevec, with pgvector's contexts and errors
SELECT '[0,1.5,0,-2]'::halfvec::sparsevec;
SELECT '[0,1.5,0,-2]'::halfvec::sparsevec(4);
SELECT '[0,1.5,0,-2]'::halfvec::sparsevec(3);
SELECT '[0,-0,0]'::halfvec::sparsevec;
SELECT '[0.1,65504,-0.0000001]'::halfvec::sparsevec;
SELECT '{2:1.5,4:-2}/4'::sparsevec::halfvec;
SELECT '{2:1.5,4:-2}/4'::sparsevec::halfvec(4);
SELECT '{2:1.5,4:-2}/4'::sparsevec::halfvec(3);
SELECT '{1:0.1,2:65519,3:1e-8}/3'::sparsevec::halfvec;
SELECT '{1:65520}/2'::sparsevec::halfvec;
SELECT '{1:-1e10,2:1e10}/2'::sparsevec::halfvec;
SELECT '{1:1}/16001'::sparsevec::halfvec;
SELECT '{1:1}/16000'::sparsevec::halfvec = ('{1:1}/16000'::sparsevec::vector)::halfvec;
SELECT castsource::regtype, casttarget::regtype, castcontext FROM pg_cast
WHERE castsource IN ('halfvec'::regtype, 'sparsevec'::regtype)
	AND casttarget IN ('halfvec'::regtype, 'sparsevec'::regtype)
	AND castsource <> casttarget ORDER BY 1, 2;
CREATE TEMP TABLE cast_hs (h halfvec(3), s sparsevec(3));
INSERT INTO cast_hs (h) VALUES ('{1:1,3:2}/3'::sparsevec);
INSERT INTO cast_hs (s) VALUES ('[1,0,2]'::halfvec);
INSERT INTO cast_hs (h) VALUES ('{1:1}/4'::sparsevec);
SELECT h, s FROM cast_hs;
SELECT l2_distance('[1,0,2]'::halfvec, '{1:1}/3'::sparsevec);
SELECT '{1:1,3:2}/3'::sparsevec <-> '[1,0,0]'::halfvec;
DROP TABLE cast_hs;
