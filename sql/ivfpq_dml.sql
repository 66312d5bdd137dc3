-- ivfpq: options, errors, inserts after the build, VACUUM, NULLs, empty
-- tables, TRUNCATE, REINDEX, unlogged tables and the list statistics
SET client_min_messages = warning;
SET enable_seqscan = off;

CREATE TABLE ivfpq_d (id int, v vector(4));

-- option validation
CREATE INDEX ON ivfpq_d USING ivfpq (v) WITH (lists = 0);
CREATE INDEX ON ivfpq_d USING ivfpq (v) WITH (lists = 40000);
CREATE INDEX ON ivfpq_d USING ivfpq (v) WITH (m = 3);
CREATE INDEX ON ivfpq_d USING ivfpq (v) WITH (m = 0);
CREATE INDEX ON ivfpq_d USING ivfpq (v) WITH (nbits = 3);
CREATE INDEX ON ivfpq_d USING ivfpq (v) WITH (nbits = 9);
CREATE INDEX ON ivfpq_d USING ivfpq (v) WITH (probes = 2);
CREATE INDEX ON ivfpq_d USING ivfpq (v, v);
CREATE INDEX ON ivfpq_d USING ivfpq ((v + v));
CREATE TABLE ivfpq_nodim (v vector);
CREATE INDEX ON ivfpq_nodim USING ivfpq (v);
DROP TABLE ivfpq_nodim;
SET ivfpq.probes = 0;
SET ivfpq.rerank = 0;

-- an empty table: the index is untrained and answers exactly
SET client_min_messages = notice;
CREATE INDEX ivfpq_d_idx ON ivfpq_d USING ivfpq (v) WITH (lists = 3, m = 2);
SET client_min_messages = warning;
SELECT * FROM ivfpq_d ORDER BY v <-> '[1,1,1,1]' LIMIT 3;
INSERT INTO ivfpq_d VALUES (1, '[1,1,1,1]'), (2, '[2,2,2,2]'), (3, '[3,3,3,3]'), (4, NULL),
	(5, '[1,2,3,4]'), (6, '[4,3,2,1]');
SELECT * FROM ivfpq_d ORDER BY v <-> '[3,3,3,3]' LIMIT 3;
SELECT * FROM ivfpq_d ORDER BY v <-> '[0,0,0,0]';
SELECT list, tuples, pages FROM pgvq_ivfpq_lists('ivfpq_d_idx');

-- a wrong-dimension query, a NULL query (any order, every non-NULL row)
SELECT * FROM ivfpq_d ORDER BY v <-> '[1,2,3]' LIMIT 1;
SET plan_cache_mode = force_generic_plan;
PREPARE ivfpq_p(vector) AS SELECT count(*) FROM (SELECT id FROM ivfpq_d ORDER BY v <-> $1 LIMIT 10) s;
EXPLAIN (COSTS OFF) EXECUTE ivfpq_p(NULL);
EXECUTE ivfpq_p(NULL);
EXECUTE ivfpq_p('[1,1,1,1]');
DEALLOCATE ivfpq_p;
RESET plan_cache_mode;

-- REINDEX trains it; inserts after the build
INSERT INTO ivfpq_d SELECT i, ARRAY[i % 7, i % 11, i % 13, i % 17]::real[]::vector FROM generate_series(7, 3000) i;
REINDEX INDEX ivfpq_d_idx;
SELECT lists, tuples, empty_lists, imbalance < 2 AS balanced FROM pgvq_ivfpq_list_stats('ivfpq_d_idx');
INSERT INTO ivfpq_d SELECT i, ARRAY[i % 7, i % 11, i % 13, i % 17]::real[]::vector FROM generate_series(3001, 6000) i;
INSERT INTO ivfpq_d VALUES (6001, '[100,100,100,100]'), (6002, NULL);
SELECT lists, tuples, pages >= 6 AS pages_ok FROM pgvq_ivfpq_list_stats('ivfpq_d_idx');
SELECT id FROM ivfpq_d ORDER BY v <-> '[100,100,100,99]' LIMIT 1;
SELECT count(*) FROM (SELECT id FROM ivfpq_d ORDER BY v <-> '[1,2,3,4]' LIMIT 200) s;

-- with every list probed and a pool covering the table, results are exact
SET ivfpq.probes = 3;
SET ivfpq.rerank = 10000;
SELECT (SELECT array_agg(id) FROM (SELECT id FROM ivfpq_d ORDER BY v <-> '[1,5,2,6]', id LIMIT 8) s) =
	(SELECT array_agg(id) FROM (SELECT id FROM ivfpq_d ORDER BY v <-> '[1,5,2,6]', id LIMIT 8) s) AS same;

-- VACUUM removes dead entries, and inserts reuse the space
DELETE FROM ivfpq_d WHERE id % 3 = 0;
VACUUM ivfpq_d;
SELECT tuples FROM pgvq_ivfpq_list_stats('ivfpq_d_idx');
SELECT count(*) AS dead_found FROM (SELECT id FROM ivfpq_d ORDER BY v <-> '[1,2,3,4]' LIMIT 10000) s
	WHERE id % 3 = 0;
SELECT count(*) FROM (SELECT id FROM ivfpq_d ORDER BY v <-> '[1,2,3,4]' LIMIT 10000) s;
CREATE TEMP TABLE ivfpq_pages AS SELECT pages FROM pgvq_ivfpq_list_stats('ivfpq_d_idx');
INSERT INTO ivfpq_d SELECT i, ARRAY[i % 5, i % 3, i % 2, 1]::real[]::vector FROM generate_series(7000, 7300) i;
SELECT s.pages = p.pages AS space_reused FROM pgvq_ivfpq_list_stats('ivfpq_d_idx') s, ivfpq_pages p;
SELECT tuples FROM pgvq_ivfpq_list_stats('ivfpq_d_idx');
DELETE FROM ivfpq_d;
VACUUM ivfpq_d;
SELECT tuples, pages > 0 AS has_pages FROM pgvq_ivfpq_list_stats('ivfpq_d_idx');
SELECT * FROM ivfpq_d ORDER BY v <-> '[1,2,3,4]' LIMIT 3;

-- TRUNCATE leaves an untrained index
INSERT INTO ivfpq_d VALUES (1, '[1,1,1,1]');
TRUNCATE ivfpq_d;
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('ivfpq_d_idx');
INSERT INTO ivfpq_d VALUES (1, '[1,1,1,1]'), (2, '[0,0,0,1]');
SELECT id FROM ivfpq_d ORDER BY v <-> '[0,0,0,0]';

-- unlogged tables get an init fork
CREATE UNLOGGED TABLE ivfpq_u (id int, v vector(4));
INSERT INTO ivfpq_u SELECT i, ARRAY[i, i % 3, i % 5, 1]::real[]::vector FROM generate_series(1, 100) i;
CREATE INDEX ivfpq_u_idx ON ivfpq_u USING ivfpq (v vector_l2_ops) WITH (lists = 2);
SELECT id FROM ivfpq_u ORDER BY v <-> '[50,2,0,1]' LIMIT 1;
DROP TABLE ivfpq_u;

-- the statistics function checks its argument
SELECT * FROM pgvq_ivfpq_lists('ivfpq_d');
CREATE INDEX ivfpq_d_btree ON ivfpq_d (id);
SELECT * FROM pgvq_ivfpq_lists('ivfpq_d_btree');

-- cosine: zero vectors are not indexed, the rest are
CREATE TABLE ivfpq_c (id int, v vector(3));
INSERT INTO ivfpq_c VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,0]'), (4, '[1,1,0]'), (5, '[-1,0,0]');
CREATE INDEX ON ivfpq_c USING ivfpq (v vector_cosine_ops) WITH (lists = 1, m = 3);
SELECT id FROM ivfpq_c ORDER BY v <=> '[1,0.1,0]';
SELECT id FROM ivfpq_c ORDER BY v <=> '[0,0,0]';

-- up to 16000 dimensions (centroids and codebooks span many pages)
CREATE TABLE ivfpq_big (id int, v vector(16000));
INSERT INTO ivfpq_big SELECT i, array_fill(i::real, ARRAY[16000])::vector FROM generate_series(1, 5) i;
CREATE INDEX ON ivfpq_big USING ivfpq (v) WITH (lists = 2, m = 800, nbits = 4);
SELECT id FROM ivfpq_big ORDER BY v <-> array_fill(3.2::real, ARRAY[16000])::vector LIMIT 2;

DROP TABLE ivfpq_d, ivfpq_c, ivfpq_big;
