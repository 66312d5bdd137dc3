-- ivfpq re-ranking prefetches the heap rows it fetches next and pins their
-- buffers ahead of the fetch (ivfpq_prefetch.c).  Its edge paths against a
-- sequential scan: rescans with pins outstanding, cursors closed early, LIMITs
-- that stop a scan, dead rows and HOT chains, tables smaller than the window,
-- many rows in one block, toasted rows, temporary tables, errors, a rewritten
-- table.  A pin left behind would show as a WARNING (buffer refcount leak) at
-- commit.
SET client_min_messages = warning;
CREATE TABLE pf (id int, v vector(4), note text) WITH (fillfactor = 50);
INSERT INTO pf SELECT i, ARRAY[sin(i * 0.37) * 10, cos(i * 0.91) * 10, sin(i * 1.73) * 10,
	cos(i * 0.13) * 10]::real[]::vector, 'n' FROM generate_series(1, 3000) i;
CREATE INDEX pf_idx ON pf USING ivfpq (v) WITH (lists = 4, m = 2);
CREATE TABLE pf_q (qid int, v vector(4));
INSERT INTO pf_q SELECT j, ARRAY[sin(j * 2.17) * 9, cos(j * 0.53) * 9, sin(j * 0.29) * 9,
	cos(j * 1.41) * 9]::real[]::vector FROM generate_series(1, 20) j;
-- every list probed: the index answers exactly
SET ivfpq.probes = 4;

-- the n nearest of each query by the index (a correlated subquery: the index
-- scan is rescanned for each query, after a LIMIT stopped it with pins
-- outstanding), then the queries where a sequential scan disagrees: on the
-- distances in the order returned, or on the rows (in distance order, ties by
-- id: two rows at one distance may come back in either order)
CREATE FUNCTION pf_mismatches(tbl regclass, n int, queries regclass = 'pf_q') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	nearest text := format('(SELECT array_agg(d)::text || array_agg(id ORDER BY d, id)::text FROM '
						   '(SELECT id, t.v <-> q.v AS d FROM %s t ORDER BY t.v <-> q.v LIMIT %s) s)', tbl, n);
	bad bigint;
BEGIN
	PERFORM set_config('enable_seqscan', 'off', true);
	EXECUTE format('CREATE TEMP TABLE pf_got AS SELECT q.qid, %s AS got FROM %s q', nearest, queries);
	PERFORM set_config('enable_seqscan', 'on', true);
	PERFORM set_config('enable_indexscan', 'off', true);
	EXECUTE format('SELECT count(*) FROM pf_got g JOIN %s q USING (qid) WHERE g.got IS DISTINCT FROM %s',
				   queries, nearest)
		INTO bad;
	PERFORM set_config('enable_indexscan', 'on', true);
	DROP TABLE pf_got;
	RETURN bad;
END
$$;
-- (enable_sort, not enable_seqscan: pf_q has no index, and PostgreSQL 18
-- marks a disabled node in EXPLAIN)
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT q.qid, (SELECT array_agg(id) FROM
	(SELECT id FROM pf t ORDER BY t.v <-> q.v LIMIT 3) s) FROM pf_q q;
RESET enable_sort;
SELECT pf_mismatches('pf', 1) AS limit_1, pf_mismatches('pf', 3) AS limit_3,
	pf_mismatches('pf', 7) AS limit_7, pf_mismatches('pf', 40) AS limit_40,
	pf_mismatches('pf', 3000) AS every_row;

-- a cursor closed after a few rows, one left open at commit
SET enable_seqscan = off;
BEGIN;
DECLARE c1 CURSOR FOR SELECT id FROM pf ORDER BY v <-> '[1,2,3,4]';
DECLARE c2 CURSOR FOR SELECT id FROM pf ORDER BY v <-> '[4,3,2,1]';
FETCH 2 FROM c1;
FETCH 1 FROM c2;
FETCH 3 FROM c1;
CLOSE c1;
FETCH 1 FROM c2;
COMMIT;
SELECT id FROM pf ORDER BY v <-> '[1,2,3,4]' LIMIT 5;
RESET enable_seqscan;
SELECT array_agg(id) FROM (SELECT id FROM pf ORDER BY v <-> '[1,2,3,4]' LIMIT 5) s;

-- dead rows and HOT chains: deletes, updates of another column (HOT, twice,
-- and the page pruned), updates of the vector (a new index entry), all after
-- the build; then rows deleted by this transaction only; then VACUUM
DELETE FROM pf WHERE id % 5 = 0;
UPDATE pf SET note = 'hot' WHERE id % 5 = 1;
UPDATE pf SET note = 'hot again' WHERE id % 5 = 1;
UPDATE pf SET v = v + '[0.5,0.5,0.5,0.5]' WHERE id % 7 = 2;
SELECT pf_mismatches('pf', 3) AS limit_3, pf_mismatches('pf', 40) AS limit_40,
	pf_mismatches('pf', 3000) AS every_row;
BEGIN;
DELETE FROM pf WHERE id % 3 = 0;
UPDATE pf SET v = v + v WHERE id % 11 = 4;
SELECT pf_mismatches('pf', 3) AS limit_3, pf_mismatches('pf', 40) AS limit_40,
	pf_mismatches('pf', 3000) AS every_row;
ROLLBACK;
VACUUM pf;
SELECT pf_mismatches('pf', 3) AS limit_3, pf_mismatches('pf', 3000) AS every_row;
-- a rewritten table (a new file): where this backend found its blocks before
-- no longer holds them; with effective_io_concurrency 0 the blocks found
-- nowhere are not looked up ahead
VACUUM FULL pf;
SET effective_io_concurrency = 0;
SELECT pf_mismatches('pf', 3) AS limit_3, pf_mismatches('pf', 3000) AS every_row;
RESET effective_io_concurrency;
SELECT pf_mismatches('pf', 3) AS limit_3, pf_mismatches('pf', 3000) AS every_row;

-- one list reached at a time: the reach grows while the window is full, and
-- every row still comes back once
SET ivfpq.probes = 1;
SET enable_seqscan = off;
SELECT count(*) AS rows_back, count(DISTINCT id) AS distinct_rows,
	count(*) = (SELECT count(*) FROM pf WHERE v IS NOT NULL) AS all_rows
FROM (SELECT id FROM pf WHERE note <> 'x' ORDER BY v <-> '[3,-2,5,1]') s;
-- capped re-ranking: fetches in ADC order
SET ivfpq.rerank = 5;
SELECT count(*) AS rows_back, count(DISTINCT id) AS distinct_rows
FROM (SELECT id FROM pf ORDER BY v <-> '[3,-2,5,1]') s;
RESET ivfpq.rerank;
RESET enable_seqscan;
SET ivfpq.probes = 4;

-- an error in the middle of a scan (division by zero at row 17, the nearest):
-- the resource owner releases the pins; then a cursor fetched inside a
-- subtransaction that fails (its row 2, recorded there, is rolled back), and
-- fetched again after it (row 3)
SET enable_seqscan = off;
SELECT id, 1 / (id - 17) FROM pf ORDER BY v <-> (SELECT v FROM pf WHERE id = 17) LIMIT 10;
CREATE TEMP TABLE pf_seen (n int, id int);
DO $$
DECLARE
	c refcursor;
	r record;
BEGIN
	OPEN c FOR SELECT id FROM pf ORDER BY v <-> (SELECT v FROM pf WHERE id = 17);
	FETCH c INTO r;
	INSERT INTO pf_seen VALUES (1, r.id);
	BEGIN
		FETCH c INTO r;
		INSERT INTO pf_seen VALUES (2, r.id);
		PERFORM 1 / 0;
	EXCEPTION WHEN division_by_zero THEN
		NULL;
	END;
	FETCH c INTO r;
	INSERT INTO pf_seen VALUES (3, r.id);
	CLOSE c;
END
$$;
RESET enable_seqscan;
SELECT (SELECT array_agg(n || ':' || id ORDER BY n) FROM pf_seen) =
	(SELECT array_agg(n || ':' || id) FROM (SELECT row_number() OVER () AS n, id FROM
		(SELECT id FROM pf ORDER BY v <-> (SELECT v FROM pf WHERE id = 17) LIMIT 3) s) t WHERE n <> 2)
	AS cursor_rows_right;

-- tables with fewer rows than the window (8), and many rows in one block
CREATE TABLE pf_small (id int, v vector(4));
INSERT INTO pf_small VALUES (1, '[1,1,1,1]'), (2, '[2,2,2,3]'), (3, '[5,4,3,2]');
CREATE INDEX ON pf_small USING ivfpq (v) WITH (lists = 1, m = 2);
SELECT pf_mismatches('pf_small', 1) AS limit_1, pf_mismatches('pf_small', 3) AS every_row;
INSERT INTO pf_small VALUES (4, '[0,0,0,1]'), (5, '[9,1,9,1]');
DELETE FROM pf_small WHERE id = 2;
SELECT pf_mismatches('pf_small', 2) AS limit_2, pf_mismatches('pf_small', 5) AS every_row;
SELECT pg_relation_size('pf_small') = current_setting('block_size')::int AS one_block;

-- toasted rows (600 dimensions: stored out of line, the heap rows hold pointers)
CREATE TABLE pf_wide (id int, v vector(600));
INSERT INTO pf_wide SELECT i, (SELECT array_agg(sin(i * 0.7 + j * 0.05)) FROM generate_series(1, 600) j)::vector
FROM generate_series(1, 60) i;
CREATE INDEX ON pf_wide USING ivfpq (v) WITH (lists = 2, m = 4, nbits = 4);
CREATE TABLE pf_q_wide AS SELECT qid, (SELECT array_agg(cos(qid * 0.3 + j * 0.05))
	FROM generate_series(1, 600) j)::vector AS v FROM generate_series(1, 5) qid;
SET ivfpq.probes = 2;
SELECT pf_mismatches('pf_wide', 2, 'pf_q_wide') AS limit_2, pf_mismatches('pf_wide', 60, 'pf_q_wide') AS every_row;

-- a temporary table (local buffers: fetched without the window)
CREATE TEMP TABLE pf_temp AS SELECT * FROM pf;
CREATE INDEX ON pf_temp USING ivfpq (v) WITH (lists = 2, m = 2);
SET ivfpq.probes = 2;
SELECT pf_mismatches('pf_temp', 5) AS limit_5, pf_mismatches('pf_temp', 3000) AS every_row;

RESET ivfpq.probes;
DROP FUNCTION pf_mismatches(regclass, int, regclass);
DROP TABLE pf, pf_q, pf_small, pf_wide, pf_q_wide, pf_temp, pf_seen;
