-- concurrency test tables: one flat and two ivfpq indexes (L2, inner product 4-bit)
SET client_min_messages = warning;
DROP TABLE IF EXISTS cf, cq, cqs;
DROP FUNCTION IF EXISTS rv();
CREATE FUNCTION rv() RETURNS vector LANGUAGE sql VOLATILE
	AS $$ SELECT array_agg(random()::real)::vector(16) FROM generate_series(1, 16) $$;
SELECT setseed(0.3);
CREATE TABLE cf (id serial PRIMARY KEY, v vector(16));
CREATE TABLE cq (id serial PRIMARY KEY, v vector(16));
INSERT INTO cf (v) SELECT rv() FROM generate_series(1, 3000);
INSERT INTO cq (v) SELECT rv() FROM generate_series(1, 3000);
INSERT INTO cf (v) VALUES (NULL);
INSERT INTO cq (v) VALUES (NULL);
CREATE INDEX cf_idx ON cf USING flat (v);
CREATE INDEX cq_idx ON cq USING ivfpq (v) WITH (lists = 8, m = 4);
CREATE INDEX cq_ip ON cq USING ivfpq (v vector_ip_ops) WITH (lists = 4, m = 8, nbits = 4);
CREATE TABLE cqs (q int, v vector(16));
INSERT INTO cqs SELECT q, rv() FROM generate_series(1, 8) q;
