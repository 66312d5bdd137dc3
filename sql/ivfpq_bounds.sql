-- Exact re-ranking driven by error bounds (issue 10): with every list probed
-- an ivfpq scan is an exact search for each opclass, filtered or not;
-- distances never decrease along a scan; later stages return every row once.
SET client_min_messages = warning;
-- 20,000 uniform 3-d rows and 40 queries, from a deterministic hash
CREATE TABLE ub (id int, v vector(3));
INSERT INTO ub SELECT i, ARRAY[
    (sin(i * 12.9898) * 43758.5453) - floor(sin(i * 12.9898) * 43758.5453),
    (sin(i * 78.233) * 43758.5453) - floor(sin(i * 78.233) * 43758.5453),
    (sin(i * 37.719) * 43758.5453) - floor(sin(i * 37.719) * 43758.5453)]::vector
FROM generate_series(1, 20000) i;
CREATE TABLE uq (qid int, q vector(3));
INSERT INTO uq SELECT j, ARRAY[
    (sin(j * 3.77) * 9631.3) - floor(sin(j * 3.77) * 9631.3) - 0.2,
    (sin(j * 7.11) * 9631.3) - floor(sin(j * 7.11) * 9631.3),
    (sin(j * 1.93) * 9631.3) - floor(sin(j * 1.93) * 9631.3) + 0.1]::vector
FROM generate_series(1, 40) j;

-- The nearest 20 ids of every query by sequential scan, by op; then the same
-- through the index; recall = the share of seq-scan ids the index returned
CREATE FUNCTION pg_temp.recall(op text, filter text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
	hit bigint := 0;
	total bigint := 0;
	r record;
	exact int[];
	got int[];
BEGIN
	FOR r IN SELECT qid, q FROM uq ORDER BY qid LOOP
		PERFORM set_config('enable_indexscan', 'off', true);
		PERFORM set_config('enable_seqscan', 'on', true);
		EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ub WHERE %s ORDER BY v %s $1 LIMIT 20) s',
					   filter, op) INTO exact USING r.q;
		PERFORM set_config('enable_indexscan', 'on', true);
		PERFORM set_config('enable_seqscan', 'off', true);
		EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ub WHERE %s ORDER BY v %s $1 LIMIT 20) s',
					   filter, op) INTO got USING r.q;
		hit := hit + (SELECT count(*) FROM unnest(exact) e WHERE e = ANY (got));
		total := total + coalesce(array_length(exact, 1), 0);
	END LOOP;
	RETURN round(hit::numeric / total, 4);
END
$$;

CREATE INDEX ub_l2 ON ub USING ivfpq (v vector_l2_ops) WITH (lists = 40);
EXPLAIN (COSTS OFF) SELECT id FROM ub ORDER BY v <-> '[0.5,0.5,0.5]' LIMIT 20;
SET ivfpq.probes = 40;
SELECT pg_temp.recall('<->', 'true') AS l2_all_lists;
-- a filter keeping 1 row in 10: the scan re-ranks far past the first rows
SELECT pg_temp.recall('<->', 'id % 10 = 3') AS l2_all_lists_filtered;
-- distances never decrease along an unlimited filtered scan
SET enable_seqscan = off;
SELECT count(*) AS rows, count(*) FILTER (WHERE d < prev) AS decreasing FROM
  (SELECT d, lag(d) OVER (ORDER BY n) AS prev FROM
    (SELECT row_number() OVER () AS n, v <-> '[0.1,0.9,0.3]' AS d FROM
      (SELECT v FROM ub WHERE id % 7 = 1 ORDER BY v <-> '[0.1,0.9,0.3]') s) t) u;
RESET enable_seqscan;
DROP INDEX ub_l2;

CREATE INDEX ub_ip ON ub USING ivfpq (v vector_ip_ops) WITH (lists = 40);
SELECT pg_temp.recall('<#>', 'true') AS ip_all_lists;
SELECT pg_temp.recall('<#>', 'id % 10 = 3') AS ip_all_lists_filtered;
DROP INDEX ub_ip;

CREATE INDEX ub_cos ON ub USING ivfpq (v vector_cosine_ops) WITH (lists = 40);
SELECT pg_temp.recall('<=>', 'true') AS cosine_all_lists;
SELECT pg_temp.recall('<=>', 'id % 10 = 3') AS cosine_all_lists_filtered;

-- fewer lists per stage: later stages open as the filter rejects rows, and
-- every matching row comes back exactly once
SET ivfpq.probes = 2;
SET enable_seqscan = off;
SELECT count(*) AS returned, count(DISTINCT id) AS distinct_ids,
       (SELECT count(*) FROM ub WHERE id % 50 = 7) AS matching
FROM (SELECT id FROM ub WHERE id % 50 = 7 ORDER BY v <=> '[0.3,0.2,0.9]') s;
-- the first stage alone is exactly ordered: its rows come first, ascending
SELECT count(*) FILTER (WHERE d < prev) AS decreasing FROM
  (SELECT d, lag(d) OVER (ORDER BY n) AS prev FROM
    (SELECT row_number() OVER () AS n, v <=> '[0.3,0.2,0.9]' AS d FROM
      (SELECT v FROM ub ORDER BY v <=> '[0.3,0.2,0.9]' LIMIT 50) s) t) u;
-- a cap on heap fetches still returns every row once
SET ivfpq.rerank = 1;
SELECT count(*) AS returned_capped, count(DISTINCT id) AS distinct_capped
FROM (SELECT id FROM ub WHERE id % 50 = 7 ORDER BY v <=> '[0.3,0.2,0.9]') s;
RESET ivfpq.rerank;
RESET enable_seqscan;
RESET ivfpq.probes;
DROP TABLE ub, uq;
