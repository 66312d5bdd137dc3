-- flat index: inserts, VACUUM, NULLs, empty tables, errors, unlogged tables
SET client_min_messages = warning;
SET enable_seqscan = off;

-- inserts after the build, NULLs not indexed
CREATE TABLE flat_d (id serial, v vector(3));
INSERT INTO flat_d (v) VALUES ('[1,1,1]'), ('[2,2,2]'), (NULL), ('[1,1,2]');
CREATE INDEX flat_d_idx ON flat_d USING flat (v vector_l2_ops);
INSERT INTO flat_d (v) VALUES ('[0,0,0]'), (NULL), ('[1,2,1]');
EXPLAIN (COSTS OFF) SELECT id FROM flat_d ORDER BY v <-> '[0,0,0]';
SELECT id, v, round((v <-> '[0,0,0]')::numeric, 4) AS d FROM flat_d ORDER BY v <-> '[0,0,0]';
SELECT count(*) FROM flat_d;	-- NULL rows exist, the index does not return them

-- a NULL query vector returns no rows: from an InitPlan, and from a
-- parameter of a generic plan (whose EXPLAIN reads the same on every
-- PostgreSQL version; 17 changed how InitPlan parameters are shown)
SELECT id FROM flat_d ORDER BY v <-> (SELECT NULL::vector);
SET plan_cache_mode = force_generic_plan;
PREPARE flat_null(vector) AS SELECT id FROM flat_d ORDER BY v <-> $1;
EXPLAIN (COSTS OFF) EXECUTE flat_null(NULL);
EXECUTE flat_null(NULL);
DEALLOCATE flat_null;
RESET plan_cache_mode;
-- a query vector of the wrong dimension: the operator's error
SELECT id FROM flat_d ORDER BY v <-> '[1,2]';
SELECT id FROM flat_d ORDER BY v <-> '[1,2,3,4]' LIMIT 1;
-- a vector of the wrong dimension cannot be inserted
INSERT INTO flat_d (v) VALUES ('[1,2]');

-- VACUUM removes dead entries and later inserts reuse the space
SELECT setseed(0.25);
CREATE TABLE flat_v (id int, v vector(16));
INSERT INTO flat_v SELECT i, ARRAY(SELECT random() * 10 FROM generate_series(1, 16) j WHERE i > 0)::vector
	FROM generate_series(1, 2000) i;
CREATE INDEX flat_v_idx ON flat_v USING flat (v);
SELECT pg_relation_size('flat_v_idx') AS size_before \gset
DELETE FROM flat_v WHERE id % 2 = 0;
VACUUM flat_v;
SELECT count(*) FROM (SELECT id FROM flat_v ORDER BY v <-> array_fill(0, ARRAY[16])::vector) s;
SELECT bool_and(id % 2 = 1) AS only_odd
	FROM (SELECT id FROM flat_v ORDER BY v <-> array_fill(0, ARRAY[16])::vector) s;
INSERT INTO flat_v SELECT i, ARRAY(SELECT random() * 10 FROM generate_series(1, 16) j WHERE i > 0)::vector
	FROM generate_series(2001, 3000) i;
SELECT pg_relation_size('flat_v_idx') = :size_before AS space_reused;
SELECT count(*) FROM (SELECT id FROM flat_v ORDER BY v <-> array_fill(0, ARRAY[16])::vector) s;
-- everything still matches a sequential scan
CREATE TABLE flat_v_ans AS
	SELECT 'index' AS how, array_agg(id) AS ids
	FROM (SELECT id FROM flat_v ORDER BY v <-> array_fill(3, ARRAY[16])::vector LIMIT 50) s;
EXPLAIN (COSTS OFF) SELECT id FROM flat_v ORDER BY v <-> array_fill(3, ARRAY[16])::vector LIMIT 50;
SET enable_seqscan = on;
SET enable_indexscan = off;
INSERT INTO flat_v_ans
	SELECT 'seq', array_agg(id)
	FROM (SELECT id FROM flat_v ORDER BY v <-> array_fill(3, ARRAY[16])::vector LIMIT 50) s;
RESET enable_indexscan;
SET enable_seqscan = off;
SELECT count(DISTINCT ids) AS answers, min(cardinality(ids)) AS k FROM flat_v_ans;
DELETE FROM flat_v WHERE id > 2900;
VACUUM flat_v;
SELECT count(*) FROM (SELECT id FROM flat_v ORDER BY v <-> array_fill(0, ARRAY[16])::vector) s;

-- an empty table, then inserts (no typmod: the first vector fixes the dimension)
CREATE TABLE flat_e (id int, v vector);
CREATE INDEX flat_e_idx ON flat_e USING flat (v vector_cosine_ops);
SELECT id FROM flat_e ORDER BY v <=> '[1,0]';
INSERT INTO flat_e VALUES (1, '[1,0]'), (2, '[0,1]'), (3, '[0,0]'), (4, '[1,1]'), (5, NULL);
-- a zero vector's cosine distance is NaN and comes last
SELECT id, v <=> '[1,0]' AS d FROM flat_e ORDER BY v <=> '[1,0]';
-- a zero query vector: every distance is NaN, all rows still come back
SELECT count(*) FROM (SELECT id FROM flat_e ORDER BY v <=> '[0,0]') s;
INSERT INTO flat_e VALUES (6, '[1,2,3]');
TRUNCATE flat_e;
INSERT INTO flat_e VALUES (7, '[3,4,5]');
SELECT id FROM flat_e ORDER BY v <=> '[3,4,5]';

-- mixed dimensions without a typmod: a clear error at CREATE INDEX
CREATE TABLE flat_m (v vector);
INSERT INTO flat_m VALUES ('[1,2]'), ('[1,2,3]');
CREATE INDEX ON flat_m USING flat (v);
-- more dimensions than a page holds
CREATE TABLE flat_big (v vector(3000));
CREATE INDEX ON flat_big USING flat (v);
-- unknown storage parameter, not an ordering column
CREATE INDEX ON flat_d USING flat (v) WITH (lists = 3);

-- inner product and L1 on the 3-dim column with its typmod
CREATE INDEX flat_d_ip ON flat_d USING flat (v vector_ip_ops);
CREATE INDEX flat_d_l1 ON flat_d USING flat (v vector_l1_ops);
SELECT id, v <#> '[1,2,3]' AS d FROM flat_d ORDER BY v <#> '[1,2,3]';
SELECT id, v <+> '[1,2,3]' AS d FROM flat_d ORDER BY v <+> '[1,2,3]' LIMIT 3;

-- unlogged table
CREATE UNLOGGED TABLE flat_u (id int, v vector(2));
CREATE INDEX flat_u_idx ON flat_u USING flat (v);
INSERT INTO flat_u SELECT i, ARRAY[i, -i]::vector FROM generate_series(1, 300) i;
SELECT id FROM flat_u ORDER BY v <-> '[10,-10]' LIMIT 3;

-- operator classes are valid
SELECT opcname, amvalidate(c.oid) FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
	WHERE a.amname = 'flat' ORDER BY opcname;

DROP TABLE flat_d, flat_v, flat_v_ans, flat_e, flat_m, flat_big, flat_u;
