#!/usr/bin/env bash
# pgvq benchmark suite: one command.
#
# Starts a throwaway cluster (or uses the one PGHOST/PGPORT point to), loads
# each dataset (from ../shared/data, or generated with a fixed seed), computes
# the exact ground truth by brute force when it is not shipped, then for each
# index kind builds the index and measures build time, index size, WAL written
# by the build, and, over a sweep of query settings, recall@10 and single-client
# QPS with p50/p99 latency (prepared statement, warm cache, plan checked with
# EXPLAIN first), plus multi-client throughput with pgbench at the cheapest
# setting that reaches --mc-recall.  pgvector's ivfflat, hnsw and a sequential
# scan on its type run in the same cluster and run when
# `CREATE EXTENSION vector SCHEMA pgvector` succeeds; otherwise it says so.
#
# Output: bench/out/results.jsonl, bench/out/results.md, bench/out/recall_qps.png
#
#   bench/run.sh                                  sift5k, every index kind
#   bench/run.sh --smoke                          tiny synthetic set, under a minute (CI)
#   bench/run.sh --datasets mnist,synth:1000000:128 --lists 1000 --m 32
#
# Options (environment variables of the same name in capitals also work):
#   --datasets LIST      comma-separated: sift5k, mnist, synth:N:D[:l2|ip|cosine],
#                        rotated:N:D[:metric] (1000 clusters, each rotated, std (j+1)^-1/2)  (sift5k)
#   --indexes LIST       flat,ivfpq,seqscan,ivfflat,hnsw,pgv_seqscan                 (all)
#   --lists N            IVF lists for ivfpq and ivfflat (default: ivfpq's, 4 sqrt(rows), at least 1)
#   --m M --nbits B      ivfpq options (default: the access method's defaults)
#   --probes "LIST"      ivfpq.probes and ivfflat.probes sweep     ("1 2 4 8 16 32 64")
#   --rerank "LIST"      ivfpq.rerank sweep                        ("" = its default)
#   --ef-search "LIST"   hnsw.ef_search sweep                      ("10 20 40 80 160 320")
#   --hnsw-m M --ef-construction E                                 (16, 64)
#   --seqscan-workers "LIST"  max_parallel_workers_per_gather sweep for scans  ("0 2")
#   --nq N               queries timed per setting                 (1000)
#   --k K                LIMIT and recall@K                        (10)
#   --min-seconds S      repeat the query pass until S seconds     (2)
#   --max-seconds S      stop a setting's timing after S seconds   (60)
#   --clients "LIST"     pgbench client counts                     ("2 4")
#   --pgbench-seconds S                                            (10)
#   --mc-recall R        recall the pgbench setting must reach     (0.95)
#   --storage plain|external   the vector column's storage        (plain, as ann-benchmarks)
#   --seed S             synthetic data seed                       (42)
#   --synth-queries Q    queries generated for synthetic sets      (1000)
#   --out DIR            output directory                          (bench/out)
#   --no-build           do not build/install (use what is installed)
#   --keep-cluster       leave the throwaway cluster running (or, on a cluster given by
#                        PGHOST/PGPORT, the pgvq_bench database, else dropped at the end)
#   --no-plot            no recall/QPS plot (then python3-matplotlib is not needed)
#   --smoke              synth:2000:32, short sweeps, pgbench 2 s; implies --check
#                        and --no-plot
#   --check              exit non-zero when a build or a sweep point fails, or an
#                        exact kind (flat, seq scans) has recall below 1
# Environment: PGHOST/PGPORT (use that cluster; the bench creates and drops the
# database pgvq_bench there), PGVQ_DATA, PG_CONFIG, PGVQ_BENCH_CLUSTER
# (/tmp/pgvq-bench), PGVQ_BENCH_PORT (54404), PGVQ_BENCH_SHARED_BUFFERS (2GB).
source "$(dirname "$0")/../scripts/common.sh"
source "$(dirname "$0")/lib.sh"
BENCH_PROG=run.sh
DATASETS=${DATASETS:-sift5k}
INDEXES=${INDEXES:-flat,ivfpq,seqscan,ivfflat,hnsw,pgv_seqscan}
PROBES=${PROBES:-"1 2 4 8 16 32 64"}
RERANK=${RERANK:-}
EF_SEARCH=${EF_SEARCH:-"10 20 40 80 160 320"}
SEQSCAN_WORKERS=${SEQSCAN_WORKERS:-"0 2"}
NQ=${NQ:-1000}
MIN_SECONDS=${MIN_SECONDS:-2}
MAX_SECONDS=${MAX_SECONDS:-60}
CLIENTS=${CLIENTS:-"2 4"}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-10}
MC_RECALL=${MC_RECALL:-0.95}
PLOT=${PLOT:-1}

usage() { sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--probes) PROBES=$2; shift ;;
	--rerank) RERANK=$2; shift ;;
	--seqscan-workers) SEQSCAN_WORKERS=$2; shift ;;
	--clients) CLIENTS=$2; shift ;;
	--pgbench-seconds) PGBENCH_SECONDS=$2; shift ;;
	--mc-recall) MC_RECALL=$2; shift ;;
	--no-plot) PLOT=0 ;;
	--smoke) SMOKE=1 CHECK=1 PLOT=0 ;;
	*) bench_option "$@"; [ $BENCH_ARGS = 1 ] || shift ;;
	esac
	shift
done
if [ $SMOKE = 1 ]; then
	DATASETS=synth:2000:32
	NQ=100
	SYNTH_QUERIES=100
	LISTS=${LISTS:-16}
	PROBES="1 4 16"
	EF_SEARCH="10 40"
	SEQSCAN_WORKERS="0"
	MIN_SECONDS=0
	MAX_SECONDS=5
	CLIENTS="2"
	PGBENCH_SECONDS=2
fi
bench_validate NQ K HNSW_M EF_CONSTRUCTION SEED SYNTH_QUERIES PGBENCH_SECONDS

# ---- build ---------------------------------------------------------------------
bench_build

# A python3 with matplotlib for the plot (Debian's python3-matplotlib), when
# a plot is wanted: the smoke run (the test suite's) and --no-plot need none.
if [ "$PLOT" = 1 ] && ! "$PY" -c 'import matplotlib' 2>/dev/null; then
	if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
		PY=/usr/bin/python3
	else
		log "installing python3-matplotlib for the plot"
		sudo=""
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		{ $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
			--no-install-recommends python3 python3-matplotlib >/dev/null; } || echo "could not install python3-matplotlib: no plot"
		/usr/bin/python3 -c 'import matplotlib' 2>/dev/null && PY=/usr/bin/python3
	fi
fi

# ---- cluster ----------------------------------------------------------------------
RESULTS=$OUT/results.jsonl
bench_cluster pgvq_bench /tmp/pgvq-bench 54404
bench_meta

# A sweep point: run_point LABEL "GUC=V GUC=V" EXPECT REJECT TABLE SEARCH_PATH [tags...]
# appends one JSON line to $RESULTS and to $WORK/sweep.jsonl.
run_point() {
	local setting=$1 gucs=$2 expect=$3 reject=$4 t=$5 sp=$6
	shift 6
	local args=() g
	args+=(--set "search_path=$sp")
	for g in $gucs; do args+=(--set "$g"); done
	[ -n "$expect" ] && args+=(--expect-plan "$expect")
	[ -n "$reject" ] && args+=(--reject-plan "$reject")
	local line
	line=$("$CLIENT" --sql "SELECT id FROM $t ORDER BY embedding $DS_OP \$1::vector LIMIT $K" \
		--queries "$DS_QUERY" --nq "$NQ" --gt "$DS_GT" --k "$K" \
		--warmup-seconds 10 --min-seconds "$MIN_SECONDS" --max-seconds "$MAX_SECONDS" \
		"${args[@]}" --tag kind=query --tag run="$RUN_ID" --tag dataset="$DS_NAME" --tag n="$DS_N" \
		--tag d="$DS_D" --tag metric="$DS_METRIC" --tag setting="$setting" --tag gucs="$gucs" "$@") || {
		FAILURES=$((FAILURES + 1))
		return 1
	}
	emit "$line"
	echo "$line" >>"$WORK/sweep.jsonl"
	# recall, qps, p50, p99 for the console
	"$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); print("  %-28s recall@%s %.4f  QPS %9.1f  p50 %7.3f ms  p99 %7.3f ms" % (r["setting"], sys.argv[2], r.get("recall", float("nan")), r["qps"], r["p50_ms"], r["p99_ms"]))' "$line" "$K"
	LAST_RECALL=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get("recall", 0))' "$line")
}

# Multi-client throughput with pgbench at the cheapest sweep point reaching MC_RECALL.
run_pgbench() {
	local index=$1 t=$2 sp=$3 expect=$4
	shift 4
	[ -s "$WORK/sweep.jsonl" ] || return 0
	local pick
	pick=$("$PY" - "$WORK/sweep.jsonl" "$MC_RECALL" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
target = float(sys.argv[2])
ok = [r for r in rows if r.get("recall", 0) >= target]
r = max(ok, key=lambda r: r["qps"]) if ok else max(rows, key=lambda r: (r.get("recall", 0), r["qps"]))
print(r["setting"] + "|" + r["gucs"] + "|" + str(r.get("recall", "")))
PY
)
	local setting gucs recall
	IFS='|' read -r setting gucs recall <<<"$pick"
	local opts="$PGOPTIONS -c search_path=$sp" g
	for g in $gucs; do opts+=" -c $g"; done
	local nq
	nq=$(q -c "SELECT count(*) FROM ${t}_q")
	local script=$WORK/pgbench.sql
	printf '\\set qid random(0, %d)\nSELECT id FROM %s ORDER BY embedding %s (SELECT embedding FROM %s_q WHERE qid = :qid) LIMIT %d;\n' \
		$((nq - 1)) "$t" "$DS_OP" "$t" "$K" >"$script"
	chmod 644 "$script"
	local plan
	plan=$(PGOPTIONS="$opts" q -c "EXPLAIN (COSTS OFF) SELECT id FROM $t ORDER BY embedding $DS_OP (SELECT embedding FROM ${t}_q WHERE qid = 0) LIMIT $K")
	if [ -n "$expect" ] && [[ $plan != *"$expect"* ]]; then
		echo "  pgbench skipped: the plan does not use '$expect':"; echo "$plan"
		FAILURES=$((FAILURES + 1))
		return 1
	fi
	local c out tps lat
	for c in $CLIENTS; do
		out=$(PGOPTIONS="$opts" "$PGBENCH" -n -M prepared -c "$c" -j "$(($c < $(nproc) ? $c : $(nproc)))" \
			-T "$PGBENCH_SECONDS" -f "$script" 2>&1) || {
			echo "$out" | tail -n 5
			FAILURES=$((FAILURES + 1))
			return 1
		}
		tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -n 1)
		lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p')
		emit "{\"kind\":\"pgbench\",\"run\":\"$RUN_ID\",\"dataset\":$(jstr "$DS_NAME"),\"n\":$DS_N,\"d\":$DS_D,\"index\":\"$index\",\"setting\":$(jstr "$setting"),\"gucs\":$(jstr "$gucs"),\"recall\":${recall:-null},\"clients\":$c,\"seconds\":$PGBENCH_SECONDS,\"tps\":${tps:-null},\"latency_avg_ms\":${lat:-null}$*}"
		printf '  pgbench %-20s %d clients: %s TPS, %s ms average\n' "$setting" "$c" "$tps" "$lat"
	done
}

# sweep_index INDEX TABLE SEARCH_PATH IDXNAME: runs the settings sweep for one index kind.
sweep_index() {
	local kind=$1 t=$2 sp=$3 idx=$4
	shift 4
	local extra=("$@") failures_before=$FAILURES
	: >"$WORK/sweep.jsonl"
	local expect="Index Scan using $idx"
	# The index sweeps measure the index: the planner may not pick an IVF index
	# when every list is probed, so sequential scans are disabled there (the
	# plan is still checked), and kept for the seqscan rows.
	local noseq="enable_seqscan=off"
	case $kind in
	flat)
		run_point "exact" "$noseq" "$expect" "" "$t" "$sp" "${extra[@]}" ;;
	ivfpq)
		local r p reranks=${RERANK:-default}
		for r in $reranks; do
			for p in $PROBES; do
				[ "$p" -le "$CUR_LISTS" ] || continue
				local g="$noseq ivfpq.probes=$p" s="probes=$p"
				[ "$r" = default ] || { g+=" ivfpq.rerank=$r"; s+=" rerank=$r"; }
				run_point "$s" "$g" "$expect" "" "$t" "$sp" "${extra[@]}"
				awk -v r="$LAST_RECALL" 'BEGIN { exit !(r >= 0.999) }' && break
			done
		done ;;
	ivfflat)
		local p
		for p in $PROBES; do
			[ "$p" -le "$CUR_LISTS" ] || continue
			run_point "probes=$p" "$noseq ivfflat.probes=$p" "$expect" "" "$t" "$sp" "${extra[@]}"
			awk -v r="$LAST_RECALL" 'BEGIN { exit !(r >= 0.999) }' && break
		done ;;
	hnsw)
		local e
		for e in $EF_SEARCH; do
			run_point "ef_search=$e" "$noseq hnsw.ef_search=$e" "$expect" "" "$t" "$sp" "${extra[@]}"
			awk -v r="$LAST_RECALL" 'BEGIN { exit !(r >= 0.999) }' && break
		done ;;
	seqscan | pgv_seqscan)
		local w
		for w in $SEQSCAN_WORKERS; do
			run_point "workers=$w" "max_parallel_workers_per_gather=$w enable_indexscan=off enable_bitmapscan=off" \
				"Seq Scan" "Index" "$t" "$sp" "${extra[@]}"
		done ;;
	esac
	# Failed only if a point failed (run_point counts those), not because the
	# last recall test of a loop was false.
	[ "$FAILURES" -eq "$failures_before" ]
}

# ---- the run ------------------------------------------------------------------------------
IFS=, read -r -a DS_LIST <<<"$DATASETS"
for ds in "${DS_LIST[@]}"; do
	dataset "$ds"
	if [ "$NQ" -gt "$DS_NQ" ]; then NQ_DS=$DS_NQ; else NQ_DS=$NQ; fi
	log "dataset $DS_NAME: $DS_N x $DS_D, metric $DS_METRIC, $NQ_DS queries, LIMIT $K"
	CUR_LISTS=${LISTS:-$(awk -v n="$DS_N" 'BEGIN { l = int(4 * sqrt(n)); print (l < 1 ? 1 : l) }')}
	T=${DS_TABLE}
	TP=${DS_TABLE}_pgv
	load_table "$T" public.vector
	TSIZE=$(q -c "SELECT pg_table_size('$T')")
	if [ $HAVE_PGVECTOR = 1 ] && { want ivfflat || want hnsw || want pgv_seqscan; }; then
		load_table "$TP" pgvector.vector
	fi
	common_tags=(--tag table_bytes="$TSIZE" --tag storage="$STORAGE")

	for kind in seqscan pgv_seqscan flat ivfpq ivfflat hnsw; do
		want $kind || continue
		case $kind in
		flat) [ "$HAVE_FLAT" = 1 ] || continue ;;
		ivfpq) [ "$HAVE_IVFPQ" = 1 ] || continue ;;
		ivfflat | hnsw | pgv_seqscan)
			if [ $HAVE_PGVECTOR != 1 ]; then echo "--- $kind: skipped (pgvector not installed)"; continue; fi ;;
		esac
		log "$DS_NAME: $kind"
		case $kind in
		seqscan)
			prewarm "$T"
			sweep_index seqscan "$T" public "" --tag index=seqscan "${common_tags[@]}" --tag build_ms=0 --tag index_bytes=0 --tag wal_bytes=0
			continue ;;
		pgv_seqscan)
			prewarm "$TP"
			sweep_index pgv_seqscan "$TP" pgvector,public "" --tag index=pgv_seqscan "${common_tags[@]}" --tag build_ms=0 --tag index_bytes=0 --tag wal_bytes=0
			continue ;;
		esac
		tbl=$T sp=public params="" pre=""
		case $kind in
		flat) idx=${T}_flat ;;
		ivfpq)
			idx=${T}_ivfpq
			params="lists = $CUR_LISTS"
			[ -n "$M" ] && params+=", m = $M"
			[ -n "$NBITS" ] && params+=", nbits = $NBITS" ;;
		ivfflat)
			tbl=$TP sp=pgvector,public idx=${TP}_ivfflat
			params="lists = $CUR_LISTS"
			pre="SET search_path = pgvector, public" ;;
		hnsw)
			tbl=$TP sp=pgvector,public idx=${TP}_hnsw
			params="m = $HNSW_M, ef_construction = $EF_CONSTRUCTION"
			pre="SET search_path = pgvector, public" ;;
		esac
		ddl=$(index_ddl "$kind" "$tbl" "$idx" "$params")
		if ! build_index "$tbl" "$idx" "$ddl" "$pre"; then
			echo "--- $kind: the build failed; skipped"
			FAILURES=$((FAILURES + 1))
			emit "{\"kind\":\"build\",\"run\":\"$RUN_ID\",\"dataset\":$(jstr "$DS_NAME"),\"index\":\"$kind\",\"params\":$(jstr "$params"),\"error\":true}"
			continue
		fi
		emit "{\"kind\":\"build\",\"run\":\"$RUN_ID\",\"dataset\":$(jstr "$DS_NAME"),\"n\":$DS_N,\"d\":$DS_D,\"metric\":\"$DS_METRIC\",\"index\":\"$kind\",\"params\":$(jstr "$params"),\"build_ms\":$B_MS,\"index_bytes\":$B_SIZE,\"wal_bytes\":$B_WAL,\"table_bytes\":$TSIZE,\"storage\":\"$STORAGE\"}"
		prewarm "$tbl" "$idx"
		btags=(--tag index="$kind" --tag params="$params" --tag build_ms="$B_MS" --tag index_bytes="$B_SIZE" --tag wal_bytes="$B_WAL" "${common_tags[@]}")
		sweep_index "$kind" "$tbl" "$sp" "$idx" "${btags[@]}" || echo "--- $kind: a sweep point failed"
		run_pgbench "$kind" "$tbl" "$sp" "Index Scan using $idx" ",\"params\":$(jstr "$params")" || true
		q -c "DROP INDEX $idx"
	done
done

log "report"
PGVQ_NO_PLOT=$([ "$PLOT" = 1 ] || echo 1) "$PY" "$BENCH/report.py" "$RESULTS" "$OUT" || echo "report failed"
echo "results: $RESULTS, $OUT/results.md${PLOT_NOTE:-}"

if [ "$CHECK" = 1 ]; then
	log "checks"
	"$PY" - "$RESULTS" <<'PY' || FAILURES=$((FAILURES + 1))
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = 0
for r in rows:
    if r.get("kind") == "query" and r["index"] in ("flat", "seqscan", "pgv_seqscan"):
        if r.get("recall", 0) < 0.999:
            print("exact %s on %s returned recall %.4f" % (r["index"], r["dataset"], r.get("recall", 0)))
            bad += 1
kinds = sorted({r["index"] for r in rows if r.get("kind") == "query"})
print("index kinds measured: " + ", ".join(kinds))
if not kinds:
    print("nothing was measured")
    bad += 1
sys.exit(1 if bad else 0)
PY
	if [ "$FAILURES" -gt 0 ]; then
		echo "*** $FAILURES failure(s)"
		exit 1
	fi
	echo "all checks passed"
fi
