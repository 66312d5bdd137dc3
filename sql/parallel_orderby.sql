-- A correlated subquery that orders by an outer column (ORDER BY v <-> q.v)
-- over a partitioned table whose partitions have pgvq indexes.  PostgreSQL
-- does not check an index path's ORDER BY arguments for parallel safety, so
-- it could put these index scans under Gather + Parallel Append, where the
-- workers never receive the outer value: a parallel worker crashed (SIGSEGV in
-- ExecIndexEvalRuntimeKeys).  pgvq's cost estimates now mark such paths
-- parallel-unsafe; ORDER BY arguments that are constants or initplan
-- parameters still give parallel plans.
SET client_min_messages = warning;

CREATE TABLE pob (id int, v vector(4)) PARTITION BY RANGE (id);
CREATE TABLE pob1 PARTITION OF pob FOR VALUES FROM (0) TO (1000);
CREATE TABLE pob2 PARTITION OF pob FOR VALUES FROM (1000) TO (2000);
INSERT INTO pob
	SELECT i, ARRAY[sin(i), cos(i), sin(i * 0.37), cos(i * 1.91)]::real[]::vector
	FROM generate_series(0, 1999) i;
CREATE TABLE pob_q (id int, v vector(4));
INSERT INTO pob_q
	SELECT i, ARRAY[cos(i * 2.3), sin(i * 0.7), cos(i), sin(i * 3.1)]::real[]::vector
	FROM generate_series(1, 5) i;
ANALYZE pob, pob_q;

-- answers of sequential scans
SET max_parallel_workers_per_gather = 0;
CREATE TABLE pob_seq AS
	SELECT q.id, ARRAY(SELECT id FROM pob ORDER BY v <-> q.v, id LIMIT 3) AS top3 FROM pob_q q;
RESET max_parallel_workers_per_gather;

-- exact ivfpq: every list probed, every row re-ranked
CREATE INDEX pob_ivfpq ON pob USING ivfpq (v) WITH (lists = 4);
SET ivfpq.probes = 4;
SET ivfpq.rerank = 2000;

-- parallel plans as cheap as can be; workers do all the scanning
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET min_parallel_index_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_seqscan = off;
SET jit = off;

-- the crash: before the fix this plan was Limit, Sort, Gather, Parallel Append
-- of the two index scans; now no Gather over scans that order by the outer q.v
EXPLAIN (COSTS OFF)
SELECT q.id, ARRAY(SELECT id FROM pob ORDER BY v <-> q.v LIMIT 3) FROM pob_q q;
SELECT q.id, ARRAY(SELECT id FROM pob ORDER BY v <-> q.v LIMIT 3) AS top3 FROM pob_q q
EXCEPT SELECT * FROM pob_seq;

-- a constant or an initplan parameter as the argument is parallel-safe: the
-- path may stay parallel (whether Gather or Merge Append wins depends on the
-- costs and the PostgreSQL version, so only the answers are checked here)
SELECT id FROM pob ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 3;
SELECT ARRAY(SELECT id FROM pob ORDER BY v <-> (SELECT v FROM pob_q WHERE id = 2) LIMIT 3)
	= (SELECT top3 FROM pob_seq WHERE id = 2) AS same;

-- the flat access method: the same plan needed cheap comparisons and no LIMIT
DROP INDEX pob_ivfpq;
CREATE INDEX pob_flat ON pob USING flat (v);
SET cpu_operator_cost = 0;
EXPLAIN (COSTS OFF)
SELECT q.id, (ARRAY(SELECT id FROM pob ORDER BY v <-> q.v))[1:3] FROM pob_q q;
SELECT q.id, (ARRAY(SELECT id FROM pob ORDER BY v <-> q.v))[1:3] AS top3 FROM pob_q q
EXCEPT SELECT * FROM pob_seq;
EXPLAIN (COSTS OFF)
SELECT (ARRAY(SELECT id FROM pob ORDER BY v <-> '[0.5,0.5,0.5,0.5]'))[1:3];

DROP TABLE pob, pob_q, pob_seq;
