#!/usr/bin/env bash
# Exact KNN: the flat index against a sequential scan on the same table, both
# exact, single client, warm cache, LIMIT 10, on ../shared/data/mnist-784-euclidean
# (60,000 x 784).  Prints the QPS ratio (issue 2's target: flat >= 3x seqscan),
# for the sequential scan without and with parallel workers, and for the vector
# column stored PLAIN (in the heap row, as ann-benchmarks sets it) and EXTERNAL
# (pgvector's default: vectors over ~2 kB live in TOAST).
#
#   bench/flat_vs_seqscan.sh [--dataset mnist] [--nq 500] [--storage "plain external"]
#                            [--workers "0 2"] [--no-build] [--out DIR]
# Uses bench/run.sh (same environment: PGHOST/PGPORT to use a running cluster).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DATASET=mnist
NQ=500
STORAGES="plain external"
WORKERS="0 2"
OUT=$HERE/out/flat_vs_seqscan
BUILD=()
while [ $# -gt 0 ]; do
	case $1 in
	--dataset) DATASET=$2; shift ;;
	--nq) NQ=$2; shift ;;
	--storage) STORAGES=$2; shift ;;
	--workers) WORKERS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--no-build) BUILD=(--no-build) ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "flat_vs_seqscan.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

summary=()
for st in $STORAGES; do
	out=$OUT/$st
	"$HERE/run.sh" "${BUILD[@]}" --datasets "$DATASET" --indexes seqscan,flat --seqscan-workers "$WORKERS" \
		--storage "$st" --nq "$NQ" --clients "" --max-seconds 60 --out "$out"
	BUILD=(--no-build)
	summary+=("$(python3 - "$out/results.jsonl" "$st" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
meta = next(r for r in rows if r.get("kind") == "meta")
q = [r for r in rows if r.get("kind") == "query"]
flat = [r for r in q if r["index"] == "flat"]
seq = [r for r in q if r["index"] == "seqscan"]
if not flat or not seq:
    sys.exit("flat or seqscan results missing")
f = flat[0]
b = next((r for r in rows if r.get("kind") == "build" and r["index"] == "flat"), {})
print("%s (%s x %s), storage %s, LIMIT %s, 1 client, warm cache; %s, %s cores" % (
    f["dataset"], f["n"], f["d"], sys.argv[2], meta["k"], meta["cpu"], meta["cores"]))
print("  flat index   : %8.1f QPS  p50 %8.3f ms  p99 %8.3f ms  recall %.4f  (build %.1f s, %.1f MB)" % (
    f["qps"], f["p50_ms"], f["p99_ms"], f.get("recall", float("nan")), b.get("build_ms", 0) / 1000.0,
    b.get("index_bytes", 0) / 1048576.0))
for s in seq:
    print("  seqscan %-6s: %8.1f QPS  p50 %8.3f ms  p99 %8.3f ms  recall %.4f  -> flat/seqscan = %.2fx" % (
        s["setting"].replace("workers=", "w=") , s["qps"], s["p50_ms"], s["p99_ms"], s.get("recall", float("nan")),
        f["qps"] / s["qps"]))
PY
)")
done
echo
echo "=== flat index vs sequential scan (exact KNN)"
for s in "${summary[@]}"; do echo "$s"; done
