-- ivfpq: one memory budget for the backend's cache of ivfpq indexes
-- (ivfpq.cache_size): a query over many partitions leaves at most the budget
-- behind, whatever the budget, and gives the answers of a sequential scan
SET jit = off;
-- (a parallel plan is not what this file is about)
SET max_parallel_workers_per_gather = 0;

-- six partitions, each with 256 lists and m = 64 (scans need one PQ table
-- per query, not one per list: nothing per list is cached)
CREATE TABLE cache_parts (id int, v vector(64)) PARTITION BY HASH (id);
SELECT format('CREATE TABLE cache_parts_%s PARTITION OF cache_parts FOR VALUES WITH (MODULUS 6, REMAINDER %s)', i, i)
FROM generate_series(0, 5) i \gexec
INSERT INTO cache_parts
	SELECT i, (SELECT array_agg(sin(i * 0.37 + j * 1.3 + (i % 7) * j)) FROM generate_series(1, 64) j)::vector
	FROM generate_series(1, 1800) i;
CREATE INDEX ON cache_parts USING ivfpq (v) WITH (lists = 256, m = 64);
SHOW ivfpq.cache_size;
CREATE TABLE cache_q AS
	SELECT i AS qid, (SELECT array_agg(cos(i * 0.91 + j * 0.7)) FROM generate_series(1, 64) j)::vector AS v
	FROM generate_series(1, 5) i;

-- what the backend keeps for ivfpq indexes (the scans' own contexts are gone
-- once a statement ends)
CREATE VIEW cache_mem AS
	SELECT coalesce(sum(total_bytes), 0) AS bytes, count(*) FILTER (WHERE name = 'ivfpq cache') AS entries
	FROM pg_backend_memory_contexts WHERE name LIKE 'ivfpq%';

-- the exact answers, from sequential scans
SET enable_indexscan = off;
CREATE TABLE cache_expected AS
	SELECT q.qid, ARRAY(SELECT id FROM cache_parts ORDER BY v <-> q.v LIMIT 10) AS ids FROM cache_q q;
RESET enable_indexscan;

-- every list probed and every candidate re-ranked: the index is exact
SET enable_seqscan = off;
SET ivfpq.probes = 256;
SET ivfpq.rerank = 1000;
EXPLAIN (COSTS OFF) SELECT id FROM cache_parts ORDER BY v <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64]' LIMIT 10;
CREATE FUNCTION cache_check() RETURNS TABLE (queries bigint, same_results bigint)
LANGUAGE sql AS $$
	SELECT count(*), count(*) FILTER (WHERE e.ids = ARRAY(SELECT id FROM cache_parts ORDER BY v <-> q.v LIMIT 10))
	FROM cache_q q JOIN cache_expected e USING (qid)
$$;

-- the default budget (64 MB): the indexes cached; within the budget
-- afterwards, also on repeat
SELECT * FROM cache_check();
SELECT entries, bytes <= 64 * 1024 * 1024 AS within_budget FROM cache_mem;
SELECT * FROM cache_check();
SELECT entries, bytes <= 64 * 1024 * 1024 AS within_budget FROM cache_mem;

-- 1 MB: the same answers, and what is left fits 1 MB
SET ivfpq.cache_size = '1MB';
SELECT * FROM cache_check();
SELECT entries > 0 AS cached, bytes <= 1024 * 1024 AS within_budget FROM cache_mem;

-- 0: nothing is kept once a statement ends; inserts, VACUUM and
-- pgvq_ivfpq_lists read the index for themselves
SET ivfpq.cache_size = 0;
SELECT * FROM cache_check();
SELECT bytes, entries FROM cache_mem;
INSERT INTO cache_parts SELECT id + 10000, v FROM cache_parts WHERE id <= 30;
DELETE FROM cache_parts WHERE id > 10000 AND id % 2 = 0;
VACUUM cache_parts;
SELECT sum(tuples) FROM pgvq_ivfpq_lists('cache_parts_0_v_idx') l;
SELECT count(*) FROM cache_parts_0;
SELECT bytes, entries FROM cache_mem;
SELECT array_agg(id ORDER BY id) FROM
	(SELECT id FROM cache_parts ORDER BY v <-> (SELECT v FROM cache_parts WHERE id = 11) LIMIT 2) s;

-- REINDEX: a new build id; the stale entry goes, the new one answers
RESET ivfpq.cache_size;
SELECT * FROM cache_check();
SELECT entries FROM cache_mem;
REINDEX INDEX cache_parts_3_v_idx;
SELECT * FROM cache_check();
SELECT entries, bytes <= 64 * 1024 * 1024 AS within_budget FROM cache_mem;

-- lowering the budget applies at the next use of an index
SET ivfpq.cache_size = '512kB';
SELECT id FROM cache_parts ORDER BY v <-> (SELECT v FROM cache_parts WHERE id = 12) LIMIT 1;
SELECT bytes <= 512 * 1024 AS within_budget FROM cache_mem;
RESET ivfpq.cache_size;

-- the scans' large arrays (query tables, pool, sort and chunk arrays) are
-- kept between statements as free blocks ("ivfpq scan buffers", counted in
-- cache_mem above), so the next scans take no new memory; a scan that fails
-- halfway (here a filter dividing by zero on its first row) gives its blocks
-- back as well
CREATE VIEW scan_buffers AS
	SELECT coalesce(sum(total_bytes), 0) AS bytes FROM pg_backend_memory_contexts
	WHERE name = 'ivfpq scan buffers';
SELECT * FROM cache_check();
SELECT bytes > 0 AS kept, bytes <= 8 * 1024 * 1024 AS within_8mb FROM scan_buffers;
SELECT bytes AS buffers_before FROM scan_buffers \gset
SELECT * FROM cache_check();
SELECT bytes = :buffers_before AS reused FROM scan_buffers;
DO $$
BEGIN
	FOR i IN 1..20 LOOP
		BEGIN
			PERFORM id FROM cache_parts WHERE 1 / (id - id) = 0
				ORDER BY v <-> (SELECT v FROM cache_q WHERE qid = 1 + i % 5) LIMIT 3;
		EXCEPTION WHEN division_by_zero THEN
			NULL;
		END;
	END LOOP;
END
$$;
SELECT bytes = :buffers_before AS given_back FROM scan_buffers;
SELECT * FROM cache_check();
SELECT bytes = :buffers_before AS reused FROM scan_buffers;
DROP VIEW scan_buffers;

-- a cancel while an index is being read into the cache (requested by the
-- statement itself just before: by an INSERT's row, by the argument of
-- pgvq_ivfpq_lists): the half-read entry is freed, not kept, and the next
-- statement reads the index and works
CREATE TABLE cache_cancel (id int, v vector(64));
INSERT INTO cache_cancel SELECT id, v FROM cache_parts WHERE id <= 500;
CREATE INDEX cache_cancel_idx ON cache_cancel USING ivfpq (v) WITH (lists = 16, m = 16);
CREATE TABLE cache_cancel2 AS SELECT * FROM cache_cancel;
CREATE INDEX cache_cancel2_idx ON cache_cancel2 USING ivfpq (v) WITH (lists = 16, m = 16);
SELECT entries AS entries_before, bytes AS bytes_before FROM cache_mem \gset
INSERT INTO cache_cancel
	SELECT 0, CASE WHEN pg_cancel_backend(pg_backend_pid()) THEN v END FROM cache_cancel WHERE id = 1;
SELECT entries = :entries_before AND bytes = :bytes_before AS nothing_kept FROM cache_mem;
SELECT entries AS entries_before, bytes AS bytes_before FROM cache_mem \gset
SELECT count(*) FROM pgvq_ivfpq_lists(CASE WHEN pg_cancel_backend(pg_backend_pid())
	THEN 'cache_cancel2_idx'::regclass END);
SELECT entries = :entries_before AND bytes = :bytes_before AS nothing_kept FROM cache_mem;
INSERT INTO cache_cancel SELECT 0, v FROM cache_cancel WHERE id = 1;
SELECT count(*) FROM pgvq_ivfpq_lists('cache_cancel2_idx');
SELECT entries = :entries_before + 2 AS cached FROM cache_mem;
SELECT array_agg(id ORDER BY id) FROM
	(SELECT id FROM cache_cancel ORDER BY v <-> (SELECT v FROM cache_cancel WHERE id = 1) LIMIT 2) s;

RESET ivfpq.probes;
RESET ivfpq.rerank;
RESET enable_seqscan;
RESET max_parallel_workers_per_gather;
DROP TABLE cache_cancel, cache_cancel2;
DROP FUNCTION cache_check();
DROP VIEW cache_mem;
DROP TABLE cache_parts, cache_q, cache_expected;
