-- pgvq_index_check: healthy indexes pass (structure and heapallindexed) through
-- inserts, deletes, updates, VACUUM and REINDEX; errors for what it cannot check
SET client_min_messages = warning;
SELECT setseed(0.5);

CREATE TABLE chk (id int, v vector(8));
INSERT INTO chk SELECT i, ARRAY(SELECT random() FROM generate_series(1, 8) j WHERE i > 0)::vector
	FROM generate_series(1, 3000) i;
INSERT INTO chk VALUES (0, NULL), (-1, NULL);
CREATE INDEX chk_flat ON chk USING flat (v);
CREATE INDEX chk_flat_ip ON chk USING flat (v vector_ip_ops);
SELECT pgvq_index_check('chk_flat');
SELECT pgvq_index_check('chk_flat', heapallindexed => true);
SELECT pgvq_index_check('chk_flat_ip', true);

-- deletes (entries still present), VACUUM (entries removed), inserts reusing space
DELETE FROM chk WHERE id % 3 = 0;
SELECT pgvq_index_check('chk_flat', true);
VACUUM chk;
SELECT pgvq_index_check('chk_flat', true);
INSERT INTO chk SELECT i, ARRAY(SELECT random() FROM generate_series(1, 8) j WHERE i > 0)::vector
	FROM generate_series(3001, 4000) i;
SELECT pgvq_index_check('chk_flat', true);
-- HOT updates (index entries stay at the chain's root) and non-HOT updates
UPDATE chk SET id = id + 100000 WHERE id % 5 = 0;
UPDATE chk SET v = array_fill(0.5, ARRAY[8])::vector WHERE id % 7 = 1;
SELECT pgvq_index_check('chk_flat', true);
SELECT pgvq_index_check('chk_flat_ip', true);
VACUUM chk;
SELECT pgvq_index_check('chk_flat', true);
-- inside a transaction that changed the table: its own rows count too
BEGIN;
INSERT INTO chk VALUES (5000, array_fill(1, ARRAY[8])::vector);
DELETE FROM chk WHERE id = 1;
SELECT pgvq_index_check('chk_flat', true);
ROLLBACK;
REINDEX INDEX chk_flat;
SELECT pgvq_index_check('chk_flat', true);
-- the scan still matches a sequential scan
SET enable_seqscan = off;
CREATE TEMP TABLE chk_ans AS SELECT array_agg(id) AS ids FROM
	(SELECT id FROM chk ORDER BY v <-> array_fill(0.3, ARRAY[8])::vector LIMIT 30) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT ids = (SELECT array_agg(id) FROM
	(SELECT id FROM chk ORDER BY v <-> array_fill(0.3, ARRAY[8])::vector LIMIT 30) s) AS same
	FROM chk_ans;
RESET enable_indexscan;

-- empty indexes: no rows, only NULLs, no typmod; then the first insert
CREATE TABLE chk_e (id int, v vector);
CREATE INDEX chk_e_flat ON chk_e USING flat (v);
SELECT pgvq_index_check('chk_e_flat', true);
INSERT INTO chk_e VALUES (1, NULL);
SELECT pgvq_index_check('chk_e_flat', true);
INSERT INTO chk_e VALUES (2, '[1,2,3]');
SELECT pgvq_index_check('chk_e_flat', true);
TRUNCATE chk_e;
SELECT pgvq_index_check('chk_e_flat', true);

-- partial and expression indexes: only the rows the index covers are expected
CREATE TABLE chk_p (id int, v vector(4));
INSERT INTO chk_p SELECT i, ARRAY[i, i % 7, i % 11, 1]::vector FROM generate_series(1, 500) i;
CREATE INDEX chk_p_part ON chk_p USING flat (v) WHERE id % 2 = 0;
CREATE INDEX chk_p_expr ON chk_p USING flat ((v + '[1,1,1,1]'));
SELECT pgvq_index_check('chk_p_part', true);
SELECT pgvq_index_check('chk_p_expr', true);
DELETE FROM chk_p WHERE id < 100;
VACUUM chk_p;
INSERT INTO chk_p SELECT i, ARRAY[i, 0, 0, 0]::vector FROM generate_series(501, 600) i;
SELECT pgvq_index_check('chk_p_part', true);
SELECT pgvq_index_check('chk_p_expr', true);

-- unlogged and temporary tables
CREATE UNLOGGED TABLE chk_u (v vector(2));
INSERT INTO chk_u SELECT ARRAY[i, -i]::vector FROM generate_series(1, 300) i;
CREATE INDEX chk_u_flat ON chk_u USING flat (v);
SELECT pgvq_index_check('chk_u_flat', true);
CREATE TEMP TABLE chk_t (v vector(2));
INSERT INTO chk_t SELECT ARRAY[i, -i]::vector FROM generate_series(1, 300) i;
CREATE INDEX chk_t_flat ON chk_t USING flat (v);
SELECT pgvq_index_check('chk_t_flat', true);

-- ivfpq: trained (nbits 8 and 4, so codes < 16 are checked), through deletes,
-- VACUUM, inserts, updates and REINDEX
CREATE TABLE chk_q (id int, v vector(8));
INSERT INTO chk_q SELECT i, ARRAY(SELECT random() FROM generate_series(1, 8) j WHERE i > 0)::vector
	FROM generate_series(1, 3000) i;
INSERT INTO chk_q VALUES (0, NULL);
CREATE INDEX chk_q_ivf ON chk_q USING ivfpq (v) WITH (lists = 10, m = 4);
CREATE INDEX chk_q_ivf4 ON chk_q USING ivfpq (v vector_ip_ops) WITH (lists = 5, m = 8, nbits = 4);
SELECT pgvq_index_check('chk_q_ivf', true);
SELECT pgvq_index_check('chk_q_ivf4', true);
DELETE FROM chk_q WHERE id % 3 = 0;
SELECT pgvq_index_check('chk_q_ivf', true);
VACUUM chk_q;
SELECT pgvq_index_check('chk_q_ivf', true);
INSERT INTO chk_q SELECT i, ARRAY(SELECT random() FROM generate_series(1, 8) j WHERE i > 0)::vector
	FROM generate_series(3001, 5000) i;
UPDATE chk_q SET id = id + 100000 WHERE id % 5 = 0;
UPDATE chk_q SET v = array_fill(0.5, ARRAY[8])::vector WHERE id % 7 = 1;
SELECT pgvq_index_check('chk_q_ivf', true);
SELECT pgvq_index_check('chk_q_ivf4', true);
VACUUM chk_q;
SELECT pgvq_index_check('chk_q_ivf', true);
SELECT pgvq_index_check('chk_q_ivf4', true);
REINDEX TABLE chk_q;
SELECT pgvq_index_check('chk_q_ivf', true);
SELECT pgvq_index_check('chk_q_ivf4', true);
-- every list probed, everything re-ranked: the same as a sequential scan
SET enable_seqscan = off;
SET ivfpq.probes = 10;
SET ivfpq.rerank = 10000;
DROP INDEX chk_q_ivf4;
CREATE TEMP TABLE chk_q_ans AS SELECT array_agg(id) AS ids FROM
	(SELECT id FROM chk_q ORDER BY v <-> array_fill(0.3, ARRAY[8])::vector LIMIT 30) s;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT ids = (SELECT array_agg(id) FROM
	(SELECT id FROM chk_q ORDER BY v <-> array_fill(0.3, ARRAY[8])::vector LIMIT 30) s) AS same
	FROM chk_q_ans;
RESET enable_indexscan;
RESET ivfpq.probes;
RESET ivfpq.rerank;

-- ivfpq: untrained (built on no rows), then inserts; cosine leaves zero vectors out
CREATE TABLE chk_qe (id int, v vector(4));
CREATE INDEX chk_qe_ivf ON chk_qe USING ivfpq (v vector_cosine_ops);
SELECT pgvq_index_check('chk_qe_ivf', true);
INSERT INTO chk_qe VALUES (1, '[0,0,0,0]'), (2, NULL), (3, '[1,2,3,4]');
INSERT INTO chk_qe SELECT i, ARRAY[i, 1, i % 5, 0]::vector FROM generate_series(4, 2000) i;
SELECT pgvq_index_check('chk_qe_ivf', true);
DELETE FROM chk_qe WHERE id % 2 = 0;
VACUUM chk_qe;
SELECT pgvq_index_check('chk_qe_ivf', true);
REINDEX INDEX chk_qe_ivf;
INSERT INTO chk_qe VALUES (5000, '[0,0,0,0]');
SELECT pgvq_index_check('chk_qe_ivf', true);
TRUNCATE chk_qe;
SELECT pgvq_index_check('chk_qe_ivf', true);
DROP TABLE chk_q, chk_qe;

-- what it cannot check
CREATE INDEX chk_btree ON chk (id);
SELECT pgvq_index_check('chk_btree');
SELECT pgvq_index_check('chk');
SELECT pgvq_index_check(0);
SELECT pgvq_index_check(NULL);
CREATE TABLE chk_part (id int, v vector(2)) PARTITION BY RANGE (id);
CREATE TABLE chk_part_1 PARTITION OF chk_part FOR VALUES FROM (0) TO (100);
CREATE INDEX chk_part_flat ON chk_part USING flat (v);
SELECT pgvq_index_check('chk_part_flat');
SELECT pgvq_index_check(c.oid, true) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
	WHERE i.inhparent = 'chk_part_flat'::regclass;
-- only the table's owner may check its indexes
CREATE ROLE regress_pgvq_check_user;
SET ROLE regress_pgvq_check_user;
SELECT pgvq_index_check('chk_flat');
RESET ROLE;
DROP ROLE regress_pgvq_check_user;

DROP TABLE chk, chk_e, chk_p, chk_u, chk_t, chk_part;
