-- ivfpq online (re)training: pgvq_ivfpq_retrain() and its errors, the
-- auto_retrain reloption, and VACUUM training an index created on an empty
-- table, retraining an outgrown one and an unbalanced one.
SET client_min_messages = warning;
SET enable_seqscan = off;

-- SQLSTATE and message of a statement, or 'ok'
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- rows i in [lo, hi]: 8 dimensions around one of 16 cluster centres
CREATE FUNCTION pg_temp.rows_of(lo int, hi int) RETURNS TABLE (id int, v vector) LANGUAGE sql AS $$
	SELECT i, ARRAY(SELECT ((i % 16) * 37 + j * 11) % 23 + ((i * 7 + j * 13) % 100) / 100.0
		FROM generate_series(1, 8) j WHERE i > 0)::real[]::vector
	FROM generate_series(lo, hi) i
$$;

-- every row through the index (all lists probed, every candidate re-ranked)
CREATE FUNCTION pg_temp.index_count(tbl regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	SET LOCAL ivfpq.probes = 32768;
	EXECUTE format('SELECT count(*) FROM (SELECT id FROM %s ORDER BY v <-> %L LIMIT 1000000) s',
		tbl, '[0,0,0,0,0,0,0,0]') INTO n;
	RETURN n;
END
$$;

CREATE TABLE rt (id int, v vector(8)) WITH (autovacuum_enabled = off);
CREATE INDEX rt_idx ON rt USING ivfpq (v) WITH (lists = 8, m = 4);
INSERT INTO rt SELECT * FROM pg_temp.rows_of(1, 3000);
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rt_idx');

-- errors: not an ivfpq index, not an index, not the owner, NULL
CREATE INDEX rt_btree ON rt (id);
SELECT pg_temp.sqlstate_of($$SELECT pgvq_ivfpq_retrain('rt_btree')$$);
SELECT pg_temp.sqlstate_of($$SELECT pgvq_ivfpq_retrain('rt')$$);
SELECT pg_temp.sqlstate_of($$SELECT pgvq_ivfpq_retrain(0)$$);
SELECT pgvq_ivfpq_retrain(NULL);
CREATE ROLE regress_ivfpq_retrain;
GRANT SELECT ON rt TO regress_ivfpq_retrain;
SET ROLE regress_ivfpq_retrain;
SELECT pg_temp.sqlstate_of($$SELECT pgvq_ivfpq_retrain('rt_idx')$$);
RESET ROLE;
DROP OWNED BY regress_ivfpq_retrain;
DROP ROLE regress_ivfpq_retrain;
-- too few rows for the lists asked for
CREATE TABLE rt_small (id int, v vector(8));
CREATE INDEX rt_small_idx ON rt_small USING ivfpq (v) WITH (lists = 8, m = 4);
INSERT INTO rt_small SELECT * FROM pg_temp.rows_of(1, 5);
SELECT pg_temp.sqlstate_of($$SELECT pgvq_ivfpq_retrain('rt_small_idx')$$);
DROP TABLE rt_small;
-- without a lists option a small table gets at most one list a row (4 sqrt(10)
-- is 12), which it retrains
CREATE TABLE rt_tiny (id int, v vector(8));
INSERT INTO rt_tiny SELECT * FROM pg_temp.rows_of(1, 10);
CREATE INDEX rt_tiny_idx ON rt_tiny USING ivfpq (v) WITH (m = 4);
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rt_tiny_idx');
SELECT lists, tuples, previous_lists FROM pgvq_ivfpq_retrain('rt_tiny_idx');
DROP TABLE rt_tiny;
-- the reloption's values
SELECT pg_temp.sqlstate_of($$ALTER INDEX rt_idx SET (auto_retrain = maybe)$$);

-- VACUUM leaves the untrained index alone below ivfpq.retrain_min_rows and
-- with auto_retrain off
VACUUM rt;
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rt_idx');
SET ivfpq.retrain_min_rows = 1000;
ALTER INDEX rt_idx SET (auto_retrain = off);
VACUUM rt;
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rt_idx');

-- and trains it once both allow it
ALTER INDEX rt_idx SET (auto_retrain = on);
VACUUM rt;
SELECT lists, tuples, empty_lists FROM pgvq_ivfpq_list_stats('rt_idx');
SELECT count(*) FROM pgvq_ivfpq_lists('rt_idx');
SELECT pgvq_index_check('rt_idx', true);
SELECT pg_temp.index_count('rt') AS through_index, (SELECT count(*) FROM rt) AS rows;
-- a trained, balanced index with its lists option set is not retrained
SELECT pg_relation_size('rt_idx') AS before \gset
VACUUM rt;
SELECT pg_relation_size('rt_idx') = :before AS unchanged;

-- on demand: the same lists, every row a snapshot may still see (rows
-- deleted by a committed transaction before every running snapshot are left
-- out, as VACUUM would remove their entries)
DELETE FROM rt WHERE id <= 100;
SELECT * FROM pgvq_ivfpq_retrain('rt_idx');
SELECT pgvq_index_check('rt_idx', true);
SELECT pg_temp.index_count('rt') AS through_index, (SELECT count(*) FROM rt) AS rows;
-- the replaced pages are reclaimed by a VACUUM once no snapshot from before
-- the switch is left (a transaction id must have been used since), and the
-- next retrain reuses them instead of growing the index
SELECT txid_current() IS NOT NULL AS xid_used;
VACUUM rt;
SELECT pg_relation_size('rt_idx') AS after_reclaim \gset
SELECT tuples FROM pgvq_ivfpq_retrain('rt_idx');
-- (it may add the new directory page and, against the structure it reuses,
-- one more partly filled page a list, as TAP 080 allows: retraining 12
-- shuffled copies of these rows grew it by exactly 1 page each time, with
-- 10 or 11 list pages; with no page to reuse a retrain grows it by 14)
SELECT pg_relation_size('rt_idx') <= :after_reclaim + (1 + lists) * 8192 AS reused
FROM pgvq_ivfpq_list_stats('rt_idx');
SELECT pgvq_index_check('rt_idx', true);

-- imbalance: 6000 more rows all near one point skew one list; VACUUM
-- retrains when the imbalance passes ivfpq.retrain_imbalance
INSERT INTO rt SELECT i, ARRAY(SELECT 5 + ((i * 7 + j * 13) % 1000) / 1000.0 FROM generate_series(1, 8) j
	WHERE i > 0)::real[]::vector FROM generate_series(10001, 16000) i;
SELECT imbalance > 3 AS skewed FROM pgvq_ivfpq_list_stats('rt_idx');
SELECT imbalance AS skew FROM pgvq_ivfpq_list_stats('rt_idx') \gset
SET ivfpq.retrain_imbalance = 0;
VACUUM rt;
SELECT imbalance > 3 AS still_skewed FROM pgvq_ivfpq_list_stats('rt_idx');
RESET ivfpq.retrain_imbalance;
VACUUM rt;
-- (the dense rows get a list of their own: the retrained lists are as
-- balanced as k-means makes them)
SELECT imbalance < :skew AS rebalanced, lists, tuples FROM pgvq_ivfpq_list_stats('rt_idx');
SELECT pgvq_index_check('rt_idx', true);
SELECT pg_temp.index_count('rt') AS through_index, (SELECT count(*) FROM rt) AS rows;
-- rows no training balances (all equal) are not retrained on every VACUUM
INSERT INTO rt SELECT i, '[9,9,9,9,9,9,9,9]' FROM generate_series(20001, 40000) i;
VACUUM rt;
SELECT imbalance > 3 AS skewed, lists, tuples FROM pgvq_ivfpq_list_stats('rt_idx');
SELECT pg_relation_size('rt_idx') AS before \gset
VACUUM rt;
SELECT pg_relation_size('rt_idx') = :before AS not_retrained;

-- growth: without a lists option, an index trained on 2000 rows (178 lists,
-- 4 sqrt(rows)) is retrained by VACUUM once the rows ask for twice its lists:
-- not at 3500 rows (236), at 8000 (357)
CREATE TABLE rg (id int, v vector(8)) WITH (autovacuum_enabled = off);
INSERT INTO rg SELECT * FROM pg_temp.rows_of(1, 2000);
CREATE INDEX rg_idx ON rg USING ivfpq (v) WITH (m = 4);
SELECT lists FROM pgvq_ivfpq_list_stats('rg_idx');
INSERT INTO rg SELECT * FROM pg_temp.rows_of(2001, 3500);
VACUUM rg;
SELECT lists FROM pgvq_ivfpq_list_stats('rg_idx');
INSERT INTO rg SELECT * FROM pg_temp.rows_of(3501, 8000);
VACUUM rg;
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rg_idx');
SELECT pgvq_index_check('rg_idx', true);

-- inner product and cosine indexes train the same way
CREATE TABLE rc (id int, v vector(8)) WITH (autovacuum_enabled = off);
CREATE INDEX rc_cos ON rc USING ivfpq (v vector_cosine_ops) WITH (lists = 4, m = 4);
CREATE INDEX rc_ip ON rc USING ivfpq (v vector_ip_ops) WITH (lists = 4, m = 4);
INSERT INTO rc SELECT * FROM pg_temp.rows_of(1, 1500);
INSERT INTO rc VALUES (0, '[0,0,0,0,0,0,0,0]');
VACUUM rc;
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rc_cos');
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rc_ip');
SELECT pgvq_index_check('rc_cos', true), pgvq_index_check('rc_ip', true);
SELECT id FROM rc ORDER BY v <=> (SELECT v FROM rc WHERE id = 7) LIMIT 3;
SELECT id FROM rc ORDER BY v <#> (SELECT v FROM rc WHERE id = 7) LIMIT 1;

-- a halfvec column, and an expression index (pgvector's half-precision recipe)
CREATE TABLE rh (id int, v vector(8), h halfvec(8)) WITH (autovacuum_enabled = off);
CREATE INDEX rh_expr ON rh USING ivfpq ((v::halfvec(8)) halfvec_l2_ops) WITH (lists = 4, m = 4);
CREATE INDEX rh_half ON rh USING ivfpq (h halfvec_l2_ops) WITH (lists = 4, m = 4);
INSERT INTO rh SELECT id, v, v::halfvec(8) FROM pg_temp.rows_of(1, 1500);
VACUUM rh;
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rh_expr');
SELECT lists, tuples FROM pgvq_ivfpq_list_stats('rh_half');
SELECT pgvq_index_check('rh_expr', true), pgvq_index_check('rh_half', true);
SELECT tuples FROM pgvq_ivfpq_retrain('rh_expr');
SELECT id FROM rh ORDER BY v::halfvec(8) <-> (SELECT v FROM rh WHERE id = 7)::halfvec(8) LIMIT 3;
SELECT id FROM rh ORDER BY h <-> (SELECT h FROM rh WHERE id = 7) LIMIT 3;

DROP TABLE rt, rg, rc, rh;
RESET ivfpq.retrain_min_rows;
