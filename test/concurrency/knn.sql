SET enable_seqscan = off;
SELECT id FROM cf ORDER BY v <-> rv() LIMIT 10;
SELECT id FROM cq ORDER BY v <-> rv() LIMIT 10;
SELECT id FROM cq ORDER BY v <#> rv() LIMIT 10;
-- an iterative scan over more rows than the first batch
SELECT count(*) FROM (SELECT id FROM cf ORDER BY v <-> rv() LIMIT 300) s;
SELECT count(*) FROM (SELECT id FROM cq ORDER BY v <-> rv() LIMIT 300) s;
