#!/usr/bin/env bash
# The extension's side of the GPU module, on any machine (no GPU needed):
#  - pgvq.so links no CUDA library;
#  - the loader and pgvq.build_device against stand-in modules (fake_gpu.c,
#    which runs the work on the CPU core behind the real ABI): a build through
#    the GPU function table gives the same answers as the CPU build; ABI
#    mismatch and no device are refused under `gpu` and ignored under `auto`;
#    a failing GPU call falls back to the CPU with a NOTICE under `auto` and is
#    an error with the right SQLSTATE under `gpu`; a cancel reaches a build
#    that is inside a GPU call.
# Needs a running cluster (PGHOST/PGPORT/PGUSER) with this pgvq installed,
# PG_CONFIG, and build/core/libpgvq_core.a (made by `make`).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
DB=pgvq_gpu_loader
fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }

# --- 1. no CUDA in pgvq.so ---------------------------------------------------------
for so in "$REPO/pgvq.so" "$("$PG_CONFIG" --pkglibdir)/pgvq.so"; do
	if [ ! -f "$so" ]; then notok "$so exists"; continue; fi
	deps=$(ldd "$so")
	if grep -Eq 'libcuda|libcudart|libcublas|libnvidia' <<<"$deps"; then
		notok "$so links CUDA: $(grep -E 'cuda|cublas|nvidia' <<<"$deps" | tr '\n' ' ')"
	else
		ok "$so links no CUDA library"
	fi
	if nm -D --undefined-only "$so" | grep -Eq ' (cuda|cublas|cu[A-Z])'; then
		notok "$so has undefined CUDA symbols"
	else
		ok "$so has no undefined CUDA symbols"
	fi
done

# --- 2. stand-in modules -------------------------------------------------------------
fake=${PGHOST:?PGHOST must point at the cluster}/fakegpu
rm -rf "$fake"
mkdir -p "$fake"
for v in OK ABI NODEV FAIL_KMEANS FAIL_ENCODE HANG; do
	cc -O1 -fPIC -shared -fvisibility=hidden -Wall -Werror -D"FAKE_$v" \
		-I"$REPO/src/core" -I"$REPO/gpu" -o "$fake/$(tr 'A-Z' 'a-z' <<<"$v").so" \
		"$REPO/test/gpu/fake_gpu.c" "$REPO/build/core/libpgvq_core.a" \
		-lopenblas -lstdc++ -lpthread -lm -Wl,-Bsymbolic -Wl,--no-undefined
done
chmod -R a+rX "$fake"

psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION pgvq;
CREATE TABLE t (id int, v vector(16));
SELECT setseed(0.42);
-- 70000 rows: more than one GPU encoding batch (65536 rows)
INSERT INTO t SELECT i, ARRAY(SELECT (random() + (i % 7) * 0.3 * (j % 3))::real
	FROM generate_series(1, 16) j WHERE i > 0)::vector FROM generate_series(1, 70000) i;
CREATE TABLE q AS SELECT id AS qid, v FROM t WHERE id % 7001 = 0;
ANALYZE t;
SQL

# run SQL (stdin) in one session after the given settings; prints messages and rows
session() {
	{
		echo "SET client_min_messages = warning; DROP INDEX IF EXISTS t_v_idx; RESET client_min_messages;"
		echo "SET pgvq.gpu_library = '$1';"
		echo "SET pgvq.build_device = $2;"
		cat
	} | psql -X -q -At -d "$DB" 2>&1 || true
}

BUILD="CREATE INDEX t_v_idx ON t USING ivfpq (v vector_l2_ops) WITH (lists = 16, m = 4);"
ANSWERS="SET enable_seqscan = off; SET ivfpq.probes = 2; SET ivfpq.rerank = 10;
SELECT q.qid || ':' || r.ids FROM q CROSS JOIN LATERAL
  (SELECT string_agg(id::text, ',') AS ids FROM (SELECT id FROM t ORDER BY t.v <-> q.v LIMIT 10) s) r
  ORDER BY q.qid;"

cpu=$(session '$libdir/libpgvq_gpu' cpu <<<"$BUILD $ANSWERS")
if [ "$(grep -c ':' <<<"$cpu")" -ge 9 ] && ! grep -q ERROR <<<"$cpu"; then
	ok "CPU build answers $(grep -c ':' <<<"$cpu") queries"
else
	notok "CPU build: $cpu"
fi
plan=$(psql -X -At -d "$DB" -c "SET enable_seqscan = off" -c "EXPLAIN (COSTS OFF) SELECT q.qid, r.* FROM q CROSS JOIN LATERAL (SELECT id FROM t ORDER BY t.v <-> q.v LIMIT 10) r")
grep -q 't_v_idx' <<<"$plan" && ok "answers come from the ivfpq index" || notok "plan: $plan"

# expect NAME OUTPUT PATTERN...: every pattern (grep -E) is in OUTPUT
expect() {
	local name=$1 out=$2 p
	shift 2
	for p in "$@"; do
		if ! grep -Eq -- "$p" <<<"$out"; then
			notok "$name: no /$p/ in: $out"
			return
		fi
	done
	ok "$name"
}
# refuse NAME OUTPUT PATTERN: PATTERN is not in OUTPUT
refuse() {
	if grep -Eq -- "$3" <<<"$2"; then notok "$1: /$3/ in: $2"; else ok "$1"; fi
}
answers_of() { grep -E '^[0-9]+:' <<<"$1" || true; }
same_answers() {
	if [ "$(answers_of "$2")" = "$(answers_of "$cpu")" ]; then ok "$1: same answers as the CPU build"; else
		notok "$1: answers differ from the CPU build: $(answers_of "$2" | head -3)"; fi
}

# working module: auto (threshold 0) and gpu go through the function table
out=$(session "$fake/ok.so" auto <<<"SET pgvq.gpu_min_build_size = 0; SET client_min_messages = debug1; $BUILD RESET client_min_messages; $ANSWERS")
expect "auto uses a usable GPU" "$out" 'building on GPU "fake" \(fake_gpu'
same_answers "auto on the stand-in GPU" "$out"
out=$(session "$fake/ok.so" gpu <<<"SET client_min_messages = debug1; $BUILD RESET client_min_messages; $ANSWERS")
expect "gpu uses the GPU" "$out" 'building on GPU "fake"'
same_answers "gpu on the stand-in GPU" "$out"
# with parallel workers every participant (the leader and 2 workers) encodes through the module
out=$(session "$fake/ok.so" gpu <<<"ALTER TABLE t SET (parallel_workers = 2); SET max_parallel_maintenance_workers = 2;
SET client_min_messages = debug1; $BUILD RESET client_min_messages; ALTER TABLE t RESET (parallel_workers); $ANSWERS")
expect "gpu with 2 parallel workers" "$out" 'using 2 parallel workers'
n=$(grep -c 'building on GPU "fake"' <<<"$out" || true)
[ "$n" -ge 3 ] && ok "gpu with 2 parallel workers: the leader and both workers use the GPU ($n)" ||
	notok "gpu with 2 parallel workers: $n processes on the GPU: $out"
same_answers "gpu with 2 parallel workers" "$out"
out=$(session "$fake/ok.so" auto <<<"SET client_min_messages = debug1; $BUILD")
expect "auto keeps a small build on the CPU" "$out" 'stays on the CPU: pgvq.gpu_min_build_size is 50000000'
refuse "auto keeps a small build on the CPU (no GPU)" "$out" 'building on GPU'
out=$(session "$fake/ok.so" cpu <<<"SET pgvq.gpu_min_build_size = 0; SET client_min_messages = debug1; $BUILD")
refuse "cpu never tries the GPU" "$out" 'GPU|CUDA'

# unusable modules
out=$(session "$fake/abi.so" gpu <<<"$BUILD")
expect "gpu refuses another ABI" "$out" 'ERROR: +pgvq.build_device is "gpu" but no GPU is usable' \
	'does not provide GPU ABI version 1'
out=$(session "$fake/abi.so" auto <<<"SET pgvq.gpu_min_build_size = 0; $BUILD $ANSWERS")
refuse "auto ignores another ABI silently" "$out" 'NOTICE|ERROR|WARNING'
same_answers "auto with another ABI" "$out"
out=$(session "$fake/nodev.so" gpu <<<"$BUILD")
expect "gpu refuses no device" "$out" 'no GPU is usable' 'fake module has none'
out=$(session "$fake/nodev.so" auto <<<"SET pgvq.gpu_min_build_size = 0; $BUILD")
refuse "auto ignores no device silently" "$out" 'NOTICE|ERROR|WARNING'
out=$(session "$fake/nonexistent.so" gpu <<<"$BUILD")
expect "gpu refuses a missing module" "$out" 'is not installed'

# failures inside the build
out=$(session "$fake/fail_kmeans.so" auto <<<"SET pgvq.gpu_min_build_size = 0; $BUILD $ANSWERS")
expect "auto: k-means failure falls back" "$out" \
	'NOTICE: +ivfpq k-means on the GPU failed, continuing on the CPU' 'fake k-means failure'
same_answers "auto after a k-means failure" "$out"
out=$(session "$fake/fail_kmeans.so" gpu <<<"\\set VERBOSITY verbose
$BUILD")
expect "gpu: k-means failure is an error" "$out" 'ERROR: +XX000: internal error during ivfpq k-means on the GPU: fake k-means failure'
out=$(session "$fake/fail_encode.so" auto <<<"SET pgvq.gpu_min_build_size = 0; $BUILD $ANSWERS")
expect "auto: encoding failure falls back" "$out" \
	'NOTICE: +ivfpq encoding on the GPU failed, continuing on the CPU' 'fake device out of memory'
same_answers "auto after an encoding failure in the second batch" "$out"
out=$(session "$fake/fail_encode.so" gpu <<<"\\set VERBOSITY verbose
$BUILD")
expect "gpu: encoding failure is an error" "$out" 'ERROR: +53200: out of memory during ivfpq encoding on the GPU'

# a cancel reaches a build that waits inside the GPU module
start=$(date +%s)
out=$(session "$fake/hang.so" auto <<<"SET pgvq.gpu_min_build_size = 0; SET statement_timeout = '1s'; $BUILD
RESET statement_timeout; SELECT 'alive';")
took=$(($(date +%s) - start))
expect "cancel during a GPU call" "$out" 'canceling statement due to statement timeout' '^alive$'
[ $took -lt 30 ] && ok "cancel took ${took}s" || notok "cancel took ${took}s"

psql -X -q -d postgres -c "DROP DATABASE $DB"
rm -rf "$fake"
echo "$fails failed"
[ $fails -eq 0 ]
