-- ivfpq indexes created before their rows (migrations, Citus shards): the
-- build on an empty table says so only at DEBUG1; a scan of an untrained index
-- that holds more than 10,000 rows and more than 10 a configured list says so
-- once per backend and index; pgvq_ivfpq_list_stats shows trained and the
-- configured lists.  Also the build's thread count (ivfpq.build_threads).
SET enable_seqscan = off;
SET client_min_messages = notice;

-- (no autovacuum: it would train the index once 10,000 rows are in)
CREATE TABLE iu (id int, v vector(2)) WITH (autovacuum_enabled = off);
-- no NOTICE for an empty table
CREATE INDEX iu_idx ON iu USING ivfpq (v) WITH (lists = 20);
-- a DEBUG1 line names it
SET client_min_messages = debug1;
REINDEX INDEX iu_idx;
SET client_min_messages = notice;
SELECT lists, tuples, trained, configured_lists FROM pgvq_ivfpq_list_stats('iu_idx');
SELECT pgvq_ivfpq_trained('iu_idx');

-- 10,000 rows: at the threshold, no NOTICE
INSERT INTO iu SELECT i, ARRAY[i % 100, i / 100]::vector FROM generate_series(1, 10000) i;
SELECT id FROM iu ORDER BY v <-> '[3,3]' LIMIT 1;
-- one more row: the first scan says so, the next ones do not
INSERT INTO iu VALUES (10001, '[3.25,3]');
SELECT id FROM iu ORDER BY v <-> '[3.3,3]' LIMIT 1;
SELECT id FROM iu ORDER BY v <-> '[3,3]' LIMIT 1;
SELECT count(*) FROM (SELECT id FROM iu ORDER BY v <-> '[50,50]' LIMIT 5) s;
SELECT lists, tuples, trained, configured_lists FROM pgvq_ivfpq_list_stats('iu_idx');

-- a new backend says so again, once
\c
SET enable_seqscan = off;
SET client_min_messages = notice;
SELECT id FROM iu ORDER BY v <-> '[3,3]' LIMIT 1;
SELECT id FROM iu ORDER BY v <-> '[3,3]' LIMIT 1;

-- under client_min_messages = warning nothing shows
\c
SET enable_seqscan = off;
SET client_min_messages = warning;
SELECT id FROM iu ORDER BY v <-> '[3,3]' LIMIT 1;
-- and it was not spent: the first scan the user can see it in says so
SET client_min_messages = notice;
SELECT id FROM iu ORDER BY v <-> '[3,3]' LIMIT 1;

-- trained by REINDEX: no NOTICE, and list_stats shows it
SET client_min_messages = notice;
REINDEX INDEX iu_idx;
SELECT id FROM iu ORDER BY v <-> '[3,3]' LIMIT 1;
SELECT lists, tuples, trained, configured_lists FROM pgvq_ivfpq_list_stats('iu_idx');
SELECT pgvq_ivfpq_trained('iu_idx');

-- many lists: the threshold is 10 rows a configured list (1100 lists: 11,000)
CREATE TABLE iu2 (id int, v vector(2)) WITH (autovacuum_enabled = off);
CREATE INDEX iu2_idx ON iu2 USING ivfpq (v) WITH (lists = 1100);
INSERT INTO iu2 SELECT id, v FROM iu;
SELECT id FROM iu2 ORDER BY v <-> '[3,3]' LIMIT 1;
INSERT INTO iu2 SELECT i, ARRAY[i % 100, i / 100]::vector FROM generate_series(10002, 11001) i;
SELECT id FROM iu2 ORDER BY v <-> '[3,3]' LIMIT 1;
-- no lists option: configured_lists is NULL
CREATE TABLE iu3 (v vector(2));
CREATE INDEX iu3_idx ON iu3 USING ivfpq (v);
SELECT lists, tuples, trained, configured_lists IS NULL AS from_rows FROM pgvq_ivfpq_list_stats('iu3_idx');
SELECT pgvq_ivfpq_trained('iu3');
-- configured_lists is the option as the build reads it (1.5 rounds to 2)
CREATE INDEX iu3_frac ON iu3 USING ivfpq (v) WITH (lists = 1.5);
SELECT configured_lists, pgvq_ivfpq_lists_option('iu3_frac') FROM pgvq_ivfpq_list_stats('iu3_frac');
SELECT pgvq_ivfpq_lists_option('iu3');

-- build threads: ivfpq.build_threads = 0 (the default) uses
-- max_parallel_maintenance_workers + 1 threads, no more than the CPUs shared
-- among the builds running; a set value is used as is
SHOW ivfpq.build_threads;
SET pgvq.build_device = cpu;
SET max_parallel_maintenance_workers = 0;
SET client_min_messages = debug1;
REINDEX INDEX iu2_idx;
SET ivfpq.build_threads = 3;
REINDEX INDEX iu2_idx;
RESET ivfpq.build_threads;
RESET max_parallel_maintenance_workers;
RESET pgvq.build_device;
SET client_min_messages = notice;
SELECT lists, trained FROM pgvq_ivfpq_list_stats('iu2_idx');

DROP TABLE iu, iu2, iu3;
-- a relation that does not exist (42P01)
SELECT pgvq_ivfpq_trained(0::oid::regclass);
