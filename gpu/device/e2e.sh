#!/bin/bash
# Runs on the GPU machine (as root), from a directory made by gpu/device/bundle.sh:
# a throwaway PostgreSQL 15 (the bundled Debian build, run as nobody on a Unix
# socket) with pgvq and libpgvq_gpu.so.  Builds ivfpq indexes on the GPU and on
# the CPU and compares them (index check, size, recall), cancels GPU builds at
# several points, and times builds of several sizes cold and warm.
#   ROWS=150000 bash e2e.sh
#   LARGE=1000000 bash e2e.sh     # instead: GPU vs CPU CREATE INDEX on N x 768
#                                 # (MWM: maintenance_work_mem of the builds, default 16GB)
set -u
cd "$(dirname "$0")"
OUT=${OUT:-$PWD/out}
mkdir -p "$OUT"
E=/tmp/pgvq-device
mkdir -p $E && tar xJf pg.tar.xz -C $E && tar xJf lib.tar.xz -C $E
R=$E/pgroot
chmod -R a+rX $E
[ -e /usr/share/zoneinfo/UTC ] || { mkdir -p /usr/share/zoneinfo && cp $R/zoneinfo/UTC /usr/share/zoneinfo/UTC; }
export LD_LIBRARY_PATH=$R/libs:$E/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib
export TZ=UTC PGTZ=UTC LANG=C LC_ALL=C
B=$R/usr/lib/postgresql/15/bin
ldd $R/usr/lib/postgresql/15/lib/libpgvq_gpu.so | grep -E "not found|cublas"
ldd $B/postgres $R/usr/lib/postgresql/15/lib/pgvq.so | grep "not found"
as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
rm -f /tmp/pg.log; rm -rf /tmp/pgdata; mkdir -p /tmp/pgdata /tmp/pgsock; chown 65534:65534 /tmp/pgdata /tmp/pgsock
as $B/initdb -D /tmp/pgdata --no-locale -E UTF8 -A trust -U postgres >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }
as $B/pg_ctl -D /tmp/pgdata -l /tmp/pg.log -w start -o "-k /tmp/pgsock -c listen_addresses='' -c shared_buffers=8GB -c max_wal_size=32GB" || { cat /tmp/pg.log; exit 1; }
P() { as $B/psql -h /tmp/pgsock -U postgres -d postgres -X -v ON_ERROR_STOP=0 "$@"; }
# Stops the cluster, shows the server log's errors, keeps the log.
finish() {
	as $B/pg_ctl -D /tmp/pgdata -m fast stop >/dev/null
	grep -E "$1" /tmp/pg.log | head -20
	cp /tmp/pg.log "$OUT/pg.log" 2>/dev/null
	exit 0
}

if [ -n "${LARGE:-}" ]; then
	# LARGE=N: N x 768 synthetic rows (bin/pgvq_vecs synth, binary COPY), then
	# CREATE INDEX ... WITH (lists = 1000, m = 96) on the GPU (cold backend)
	# and on the CPU (16 threads), with recall@10 of 100 queries for each.
	V=$PWD/bin/pgvq_vecs
	W=/tmp/pgvq-large; mkdir -p $W
	t0=$(date +%s%N)
	$V synth --n "$LARGE" --d 768 --seed 42 --queries 100 --out $W/x.fvecs --query-out $W/q.fvecs
	$V gt --base $W/x.fvecs --query $W/q.fvecs --k 10 --out $W/gt.ivecs
	echo "data and ground truth: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	chmod -R a+rX $W
	P -q -c "CREATE EXTENSION pgvq" -c "CREATE TABLE items (id int, v vector(768))" \
		-c "CREATE TABLE q (qid int, v vector(768))" -c "CREATE TABLE gt (qid int, ids int[])"
	t0=$(date +%s%N)
	$V copy $W/x.fvecs --binary | P -q -c "COPY items FROM STDIN WITH (FORMAT binary)"
	echo "binary COPY of $LARGE rows: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	$V copy $W/q.fvecs | P -q -c "COPY q FROM STDIN"
	$V ivecs $W/gt.ivecs --k 10 | P -q -c "COPY gt FROM STDIN"
	P -q -c "VACUUM ANALYZE items" -c "CHECKPOINT"
	P <<'SQL'
SELECT pg_size_pretty(pg_total_relation_size('items')) AS table_size;
CREATE FUNCTION recall() RETURNS numeric LANGUAGE sql AS $$
  SELECT round(avg(h)::numeric, 4) FROM (SELECT (SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> q.v LIMIT 10) a
     WHERE a.id = ANY (gt.ids)) / 10.0 AS h FROM q JOIN gt USING (qid)) s $$;
SQL
	for dev in gpu cpu; do
		P <<SQL
SET maintenance_work_mem = '${MWM:-16GB}'; SET pgvq.build_device = $dev; SET client_min_messages = debug1;
\echo === $dev build, $LARGE x 768, lists 1000, m 96, maintenance_work_mem ${MWM:-16GB}
\timing on
CREATE INDEX i_$dev ON items USING ivfpq (v vector_l2_ops) WITH (lists = 1000, m = 96);
\timing off
SELECT pg_size_pretty(pg_relation_size('i_$dev')) AS index_size, pgvq_index_check('i_$dev');
SET enable_seqscan = off; SET ivfpq.probes = 16;
SELECT recall() AS recall_probes16_$dev;
DROP INDEX i_$dev;
SQL
	done
	finish "PANIC|FATAL|terminated|segfault"
fi
P -q -v rows=${ROWS:-150000} <<'SQL'
CREATE EXTENSION pgvq;
SELECT setseed(0.42);
CREATE TABLE c AS SELECT c, (SELECT array_agg((random()*4-2)::real) FROM generate_series(1,256) WHERE c >= 0) a FROM generate_series(0,99) c;
CREATE TABLE items (id int PRIMARY KEY, v vector(256));
INSERT INTO items SELECT i, (SELECT array_agg(cc.a[j] + (random()-0.5)::real) FROM generate_series(1,256) j)::vector
  FROM generate_series(1,:rows) i JOIN c cc ON cc.c = i % 100;
CREATE TABLE q AS SELECT id AS qid, (SELECT array_agg(x + (random()-0.5)::real * 0.3) FROM unnest(v::real[]) x)::vector AS v FROM items WHERE id <= 100;
SET enable_indexscan = off; SET enable_bitmapscan = off;
CREATE TABLE truth AS SELECT q.qid, t.id FROM q, LATERAL (SELECT id FROM items ORDER BY v <-> q.v LIMIT 10) t;
ANALYZE;
SQL
P <<'SQL'
\timing on
SET maintenance_work_mem = '2GB';
SET client_min_messages = debug1;
CREATE OR REPLACE FUNCTION recall() RETURNS numeric LANGUAGE sql AS $$
  SELECT round(avg(h)::numeric, 4) FROM (SELECT (SELECT count(*) FROM (SELECT id FROM items ORDER BY v <-> q.v LIMIT 10) a
     WHERE a.id IN (SELECT t.id FROM truth t WHERE t.qid = q.qid)) / 10.0 AS h FROM q) s $$;
SET enable_seqscan = off; SET ivfpq.probes = 8;
\echo === GPU build (pgvq.build_device = gpu)
SET pgvq.build_device = gpu;
CREATE INDEX i_gpu ON items USING ivfpq (v vector_l2_ops) WITH (lists = 400);
SELECT pg_relation_size('i_gpu') AS gpu_size, pgvq_index_check('i_gpu', true);
EXPLAIN (costs off) SELECT id FROM items ORDER BY v <-> (SELECT v FROM q LIMIT 1) LIMIT 10;
SELECT recall() AS recall_gpu;
DROP INDEX i_gpu;
\echo === CPU build (pgvq.build_device = cpu)
SET pgvq.build_device = cpu;
CREATE INDEX i_cpu ON items USING ivfpq (v vector_l2_ops) WITH (lists = 400);
SELECT pg_relation_size('i_cpu') AS cpu_size, pgvq_index_check('i_cpu', true);
SELECT recall() AS recall_cpu;
DROP INDEX i_cpu;
\echo === auto with a low threshold: expect the GPU
SET pgvq.build_device = auto; SET pgvq.gpu_min_build_size = 1000000;
CREATE INDEX i_auto ON items USING ivfpq (v vector_cosine_ops) WITH (lists = 400);
SELECT pgvq_index_check('i_auto', true);
DROP INDEX i_auto;
\echo === cancels at several points of GPU builds (lists 2000): each either finishes or stops promptly
SET pgvq.build_device = gpu;
DROP INDEX IF EXISTS i_c; SET statement_timeout = '40ms'; CREATE INDEX i_c ON items USING ivfpq (v vector_l2_ops) WITH (lists = 2000); RESET statement_timeout;
DROP INDEX IF EXISTS i_c; SET statement_timeout = '120ms'; CREATE INDEX i_c ON items USING ivfpq (v vector_l2_ops) WITH (lists = 2000); RESET statement_timeout;
DROP INDEX IF EXISTS i_c; SET statement_timeout = '200ms'; CREATE INDEX i_c ON items USING ivfpq (v vector_l2_ops) WITH (lists = 2000); RESET statement_timeout;
DROP INDEX IF EXISTS i_c; SET statement_timeout = '280ms'; CREATE INDEX i_c ON items USING ivfpq (v vector_l2_ops) WITH (lists = 2000); RESET statement_timeout;
DROP INDEX IF EXISTS i_c; SET statement_timeout = '360ms'; CREATE INDEX i_c ON items USING ivfpq (v vector_l2_ops) WITH (lists = 2000); RESET statement_timeout;
DROP INDEX IF EXISTS i_c; SET statement_timeout = '450ms'; CREATE INDEX i_c ON items USING ivfpq (v vector_l2_ops) WITH (lists = 2000); RESET statement_timeout;
DROP INDEX IF EXISTS i_c;
\echo === after the cancels the GPU still builds
CREATE INDEX i_gpu2 ON items USING ivfpq (v vector_l2_ops) WITH (lists = 400);
SELECT recall() AS recall_gpu2, pgvq_index_check('i_gpu2', true);
DROP INDEX i_gpu2;
SQL
echo "=== build time by size: GPU cold (new session), GPU warm, CPU; default lists"
for N in 20000 50000 100000 150000; do
  P -q -c "CREATE TABLE s$N AS SELECT * FROM items WHERE id <= $N" >/dev/null
  for dev in gpu-cold gpu-warm cpu; do
    case $dev in gpu-cold) pre="";; gpu-warm) pre="CREATE INDEX w ON s$N USING ivfpq (v vector_l2_ops); DROP INDEX w;";; cpu) pre="";; esac
    d=${dev%%-*}
    t=$(P -q <<SQL2 | grep -E '^Time' | tail -1
SET maintenance_work_mem = '2GB'; SET pgvq.build_device = $d;
$pre
\timing on
CREATE INDEX x ON s$N USING ivfpq (v vector_l2_ops);
SQL2
)
    P -q -c "DROP INDEX x" >/dev/null
    echo "rows $N x 256: $dev $t"
  done
done
finish "ERROR|PANIC|FATAL|terminated|segfault"
