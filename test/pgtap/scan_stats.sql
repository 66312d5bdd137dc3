-- pgTAP: both access methods count their scans where a DBA looks for them:
-- idx_scan (pg_stat_user_indexes; without it the usual "unused index" query
-- says to drop the index) and, from PostgreSQL 18 on, the "Index Searches"
-- of EXPLAIN ANALYZE.  And a query without a distance ordering never plans
-- them, even with enable_seqscan off (18 compares disabled nodes first).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgvq;
SELECT plan(8);

CREATE TABLE tap_stats_flat (id int, v vector(4));
CREATE TABLE tap_stats_ivfpq (id int, v vector(4));
INSERT INTO tap_stats_flat SELECT i, ARRAY[i % 7, i % 11, i % 13, i % 17]::vector FROM generate_series(1, 500) i;
INSERT INTO tap_stats_ivfpq SELECT * FROM tap_stats_flat;
CREATE INDEX tap_stats_flat_idx ON tap_stats_flat USING flat (v);
CREATE INDEX tap_stats_ivfpq_idx ON tap_stats_ivfpq USING ivfpq (v) WITH (lists = 4);
SET LOCAL enable_seqscan = off;

-- the scans of index idx this transaction counts while running q
CREATE FUNCTION pg_temp.scans_by(idx regclass, q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	before bigint := pg_stat_get_xact_numscans(idx);
BEGIN
	EXECUTE q;
	RETURN pg_stat_get_xact_numscans(idx) - before;
END $$;

-- the Index Searches of EXPLAIN ANALYZE of q (NULL: no such line)
CREATE FUNCTION pg_temp.index_searches(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF line ~ 'Index Searches:' THEN
			RETURN substring(line FROM 'Index Searches: (\d+)')::int;
		END IF;
	END LOOP;
	RETURN NULL;
END $$;

SELECT is(pg_temp.scans_by('tap_stats_flat_idx',
	$$SELECT id FROM tap_stats_flat ORDER BY v <-> '[1,2,3,4]' LIMIT 5$$), 1::bigint,
	'flat: one query, one idx_scan');
SELECT is(pg_temp.scans_by('tap_stats_ivfpq_idx',
	$$SELECT id FROM tap_stats_ivfpq ORDER BY v <-> '[1,2,3,4]' LIMIT 5$$), 1::bigint,
	'ivfpq: one query, one idx_scan');
SELECT is(pg_temp.scans_by('tap_stats_flat_idx',
	$$SELECT (SELECT id FROM tap_stats_flat ORDER BY v <-> '[1,2,3,4]' LIMIT 1),
	         (SELECT id FROM tap_stats_flat ORDER BY v <-> '[4,3,2,1]' LIMIT 1)$$), 2::bigint,
	'flat: two scans, two idx_scans');
SELECT is(pg_temp.scans_by('tap_stats_ivfpq_idx',
	$$SELECT (SELECT id FROM tap_stats_ivfpq ORDER BY v <-> '[1,2,3,4]' LIMIT 1),
	         (SELECT id FROM tap_stats_ivfpq ORDER BY v <-> '[4,3,2,1]' LIMIT 1)$$), 2::bigint,
	'ivfpq: two scans, two idx_scans');
SELECT CASE WHEN current_setting('server_version_num')::int >= 180000
	THEN is(pg_temp.index_searches($$SELECT id FROM tap_stats_flat ORDER BY v <-> '[1,2,3,4]' LIMIT 5$$),
			1, 'flat: EXPLAIN ANALYZE shows one index search')
	ELSE skip('EXPLAIN shows Index Searches from PostgreSQL 18 on') END;
SELECT CASE WHEN current_setting('server_version_num')::int >= 180000
	THEN is(pg_temp.index_searches($$SELECT id FROM tap_stats_ivfpq ORDER BY v <-> '[1,2,3,4]' LIMIT 5$$),
			1, 'ivfpq: EXPLAIN ANALYZE shows one index search')
	ELSE skip('EXPLAIN shows Index Searches from PostgreSQL 18 on') END;

SELECT is((SELECT count(*) FROM tap_stats_flat), 500::bigint,
	'flat: count(*) with enable_seqscan off scans the table, not the index');
SELECT is((SELECT count(*) FROM tap_stats_ivfpq), 500::bigint,
	'ivfpq: count(*) with enable_seqscan off scans the table, not the index');

SELECT * FROM finish();
ROLLBACK;
