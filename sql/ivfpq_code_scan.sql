-- ivfpq.code_scan: the integer code scan (tables quantized to int8/int16,
-- rounded down) gives the float scan's rows in the same exact order, at
-- every probes setting, for each opclass, with and without a filter.  m = 72
-- (more than one 64-column block, not a multiple of it); rows per list pages
-- of ~50 (not a multiple of 64).  Without AVX-512 VBMI every setting takes
-- the float scan.  The bounds are the worst case (ivfpq.exact_bounds): the
-- exact order that is compared holds as a proof only then.
SET client_min_messages = warning;
SET ivfpq.exact_bounds = on;
CREATE TABLE cs (id int, v vector(144));
INSERT INTO cs SELECT i, (SELECT array_agg(
    (sin(i * 12.9898 + k * 78.233) * 43758.5453) - floor(sin(i * 12.9898 + k * 78.233) * 43758.5453)
    + CASE WHEN k % 9 = 0 THEN (i % 5) ELSE 0 END)
  FROM generate_series(1, 144) k)::vector
FROM generate_series(1, 3000) i;
CREATE TABLE csq (qid int, q vector(144));
INSERT INTO csq SELECT j, (SELECT array_agg(
    (sin(j * 3.77 + k * 7.11) * 9631.3) - floor(sin(j * 3.77 + k * 7.11) * 9631.3))
  FROM generate_series(1, 144) k)::vector
FROM generate_series(1, 12) j;

-- every query's ids in scan order under each code_scan, by op, filter, probes
CREATE FUNCTION pg_temp.orders(op text, filter text) RETURNS TABLE (setting text, qid int, ids int[])
LANGUAGE plpgsql AS $$
DECLARE
	s text;
	r record;
BEGIN
	FOREACH s IN ARRAY ARRAY['float', 'int8', 'int16'] LOOP
		PERFORM set_config('ivfpq.code_scan', s, true);
		FOR r IN SELECT c.qid, c.q FROM csq c ORDER BY c.qid LOOP
			setting := s;
			qid := r.qid;
			EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM cs WHERE %s ORDER BY v %s $1 LIMIT 15) t',
						   filter, op) INTO ids USING r.q;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;
-- queries whose rows differ from the float scan's (0 expected), and the rows compared
CREATE FUNCTION pg_temp.differ(op text, filter text) RETURNS text LANGUAGE sql AS $$
	WITH o AS (SELECT * FROM pg_temp.orders(op, filter))
	SELECT format('%s differ of %s, %s rows', count(*) FILTER (WHERE a.ids IS DISTINCT FROM b.ids),
				  count(*), sum(coalesce(array_length(a.ids, 1), 0)))
	FROM o a JOIN o b ON a.qid = b.qid AND b.setting = 'float' WHERE a.setting <> 'float'
$$;

SET enable_seqscan = off;
CREATE INDEX cs_l2 ON cs USING ivfpq (v vector_l2_ops) WITH (lists = 16, m = 72);
SET ivfpq.probes = 2;
SELECT pg_temp.differ('<->', 'true') AS l2_probes_2;
SELECT pg_temp.differ('<->', 'id % 10 = 3') AS l2_probes_2_filtered;
SET ivfpq.probes = 16;
SELECT pg_temp.differ('<->', 'true') AS l2_all_lists;
DROP INDEX cs_l2;
CREATE INDEX cs_ip ON cs USING ivfpq (v vector_ip_ops) WITH (lists = 16, m = 72);
SET ivfpq.probes = 3;
SELECT pg_temp.differ('<#>', 'true') AS ip_probes_3;
SELECT pg_temp.differ('<#>', 'id % 7 = 1') AS ip_probes_3_filtered;
DROP INDEX cs_ip;
CREATE INDEX cs_cos ON cs USING ivfpq (v vector_cosine_ops) WITH (lists = 16, m = 72);
SELECT pg_temp.differ('<=>', 'true') AS cosine_probes_3;
SELECT pg_temp.differ('<=>', 'id % 10 = 3') AS cosine_probes_3_filtered;

-- with every list probed the index gives the sequential scan's answer
SET ivfpq.probes = 16;
SET ivfpq.code_scan = int8;
SELECT count(*) FILTER (WHERE i.ids IS DISTINCT FROM e.ids) AS differ_from_seqscan
FROM (SELECT qid, (SELECT array_agg(id) FROM (SELECT id FROM cs ORDER BY v <=> q LIMIT 15) t) AS ids
	  FROM csq) i
JOIN (SELECT qid, (SELECT array_agg(id) FROM (SELECT id, v <=> q AS d FROM cs ORDER BY d, id LIMIT 15) t) AS ids
	  FROM csq) e USING (qid);
RESET enable_seqscan;

-- the setting's values
SET ivfpq.code_scan = int4;
SHOW ivfpq.code_scan;
RESET ivfpq.code_scan;
SHOW ivfpq.code_scan;
