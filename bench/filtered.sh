#!/usr/bin/env bash
# pgvq filtered benchmark: ORDER BY embedding <-> $1 LIMIT k under a WHERE clause.
#
# Loads a dataset (as bench/run.sh does) and adds two filter columns, 0..999,
# each value kept by 1/1000 of the rows:
#   f_ind  independent of the vectors: the rank of hashint4(id)
#   f_cor  correlated with them: the rank of the distance to one base row (the
#          row with id 0), so `f_cor < t` keeps a ball of the data around it
# and queries `WHERE f_X < t` keeping 10%, 1% and 0.1% of the rows, without and
# with a btree on the filter columns.  The exact filtered ground truth is
# computed first, by a sequential scan per query (WHERE filter ORDER BY
# distance, id LIMIT k).  Each method is timed with build/dev/pgvq_bench_client:
# recall@k against that ground truth, the share of queries whose LIMIT was
# filled, single-client QPS and latency, and the plan.
#
# The methods are measured side by side: ivfpq's index on the pgvq table and
# hnsw's on pgvector's copy of it are built first and coexist with the exact
# plans; then, without and with the btrees, --rounds passes over the
# (filter, rows kept) cells each run every method of a cell back to back, the
# order rotated from cell to cell and round to round so no method always runs
# first.  flat and ivfflat would compete with ivfpq and hnsw for the plans of
# the same tables: they make a second group, measured the same way after the
# first group's indexes are dropped.  Every round's measurement is a line of
# the results (round=R).
#
# methods (--indexes picks the phases):
#   exact    "seq scan" (index scans off, no parallel workers) and, with the
#            btree, "btree + sort" (bitmap scan on the btree, then a top-N sort)
#   ivfpq    "ivfpq": the planner's own plan at default settings (recorded: it
#            may be a sequential scan or the btree); "ivfpq forced": the index
#            made to order the rows (enable_seqscan, enable_bitmapscan and
#            enable_sort off; EXPLAIN checked); "ivfpq rerank=N forced" with the
#            capped setting; with --all-lists, "ivfpq all lists" (probes = lists)
#   flat     "flat" (planner) and "flat forced"
#   hnsw     pgvector, hnsw.ef_search 40, hnsw.iterative_scan = relaxed_order:
#            "hnsw" (planner) and "hnsw forced"
#   ivfflat  pgvector, same lists as ivfpq, ivfflat.probes = --ivfflat-probes,
#            ivfflat.iterative_scan = relaxed_order: "ivfflat" and "ivfflat forced"
# pgvector's phases run when `CREATE EXTENSION vector SCHEMA pgvector` works.
#
# Output: bench/out/filtered.jsonl, bench/out/filtered.md.  The report takes,
# per cell and method, the median QPS over the rounds, the lowest recall and
# filled share, and the plan (flagged when it changed between rounds); ratio =
# pgvq's QPS / the better of hnsw's and the exact plan's.  Below 10% kept, where
# pgvq's planner ran the plan kind of the faster exact method and that method set
# the ratio, both time the same work on the same table: the target reads "yes
# (same plan)" when the ratio is at least 0.95 (the rest is noise), where it
# would read "no" (at 10%, the same plan cannot make the 1.5x target).
#
#   bench/filtered.sh                              mnist, everything
#   bench/filtered.sh --smoke                      tiny synthetic set, under a minute (CI)
#   bench/filtered.sh --datasets sift5k --indexes exact,ivfpq,hnsw --kept "10 1"
#
# Options (environment variables of the same name in capitals also work):
#   --datasets LIST      comma-separated: mnist, sift5k, synth:N:D[:l2|ip|cosine],
#                        rotated:N:D[:metric] (as in bench/run.sh)               (mnist)
#   --indexes LIST       exact,ivfpq,flat,hnsw,ivfflat                             (all)
#   --filters LIST       ind,cor                                                   (both)
#   --kept "LIST"        percent of rows the filter keeps, multiples of 0.1        ("10 1 0.1")
#   --btree "LIST"       no, yes                                                   ("no yes")
#   --lists N            ivfpq and ivfflat lists (default: ivfpq's own default)
#   --m M --nbits B      ivfpq options (default: the access method's defaults)
#   --capped-rerank N    the capped ivfpq.rerank setting measured        (100)
#   --all-lists          also measure ivfpq forced with ivfpq.probes = lists
#   --code-scans LIST    also measure ivfpq (planner's choice and forced) under each
#                        ivfpq.code_scan in LIST (e.g. float,int8,int16), with the mean
#                        entries scanned and heap fetches of its scans
#   --ivfflat-probes N   ivfflat.probes (ivfpq.probes' default)          (30)
#   --ef-search N        hnsw.ef_search                                  (40)
#   --hnsw-m M --ef-construction E                                       (16, 64)
#   --nq N               queries                                         (100)
#   --k K                LIMIT and recall@K                              (10)
#   --rounds N           passes over the cells, methods interleaved      (3)
#   --warmup-seconds S --min-seconds S --max-seconds S   per method, cell and round
#                                                                        (0.5, 1, 10)
#   --storage plain|external   the vector column's storage               (plain)
#   --seed S --synth-queries Q   synthetic sets                          (42, 1000)
#   --out DIR            output directory                                (bench/out)
#   --no-build           do not build/install (use what is installed)
#   --keep-cluster       leave the cluster (or the pgvq_fbench database) behind
#   --smoke              synth:10000:16, 10 queries, lists 16, --all-lists, 2 rounds,
#                        short timings; implies --check
#   --check              exit non-zero when a run fails (build, plan check, query)
#                        or an exact method (seq scan, btree + sort, flat forced,
#                        ivfpq all lists) has recall below 1 or an unfilled LIMIT
#                        in any round, or a method missed a round of a cell
# Environment: PGHOST/PGPORT (use that cluster; the bench creates and drops the
# database pgvq_fbench there), PGVQ_DATA, PG_CONFIG, PGVQ_BENCH_CLUSTER
# (/tmp/pgvq-fbench-run), PGVQ_BENCH_PORT (54405), PGVQ_BENCH_SHARED_BUFFERS (2GB).
source "$(dirname "$0")/../scripts/common.sh"
source "$(dirname "$0")/lib.sh"
BENCH_PROG=filtered.sh
DATASETS=${DATASETS:-mnist}
INDEXES=${INDEXES:-exact,ivfpq,flat,hnsw,ivfflat}
FILTERS=${FILTERS:-ind,cor}
KEPT=${KEPT:-"10 1 0.1"}
BTREE=${BTREE:-"no yes"}
CAPPED_RERANK=${CAPPED_RERANK:-100}
ALL_LISTS=${ALL_LISTS:-0}
CODE_SCANS=${CODE_SCANS:-}
IVFFLAT_PROBES=${IVFFLAT_PROBES:-30}
EF_SEARCH=${EF_SEARCH:-40}
NQ=${NQ:-100}
ROUNDS=${ROUNDS:-3}
WARMUP_SECONDS=${WARMUP_SECONDS:-0.5}
MIN_SECONDS=${MIN_SECONDS:-1}
MAX_SECONDS=${MAX_SECONDS:-10}

usage() { sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--filters) FILTERS=$2; shift ;;
	--kept) KEPT=$2; shift ;;
	--btree) BTREE=$2; shift ;;
	--capped-rerank) CAPPED_RERANK=$2; shift ;;
	--all-lists) ALL_LISTS=1 ;;
	--code-scans) CODE_SCANS=$2; shift ;;
	--ivfflat-probes) IVFFLAT_PROBES=$2; shift ;;
	--warmup-seconds) WARMUP_SECONDS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--smoke) SMOKE=1 CHECK=1 ;;
	*) bench_option "$@"; [ $BENCH_ARGS = 1 ] || shift ;;
	esac
	shift
done
if [ $SMOKE = 1 ]; then
	DATASETS=synth:10000:16
	NQ=10
	SYNTH_QUERIES=10
	LISTS=${LISTS:-16}
	ALL_LISTS=1
	ROUNDS=2
	WARMUP_SECONDS=0
	MIN_SECONDS=0
	MAX_SECONDS=5
fi
bench_validate NQ K HNSW_M EF_CONSTRUCTION SEED SYNTH_QUERIES CAPPED_RERANK IVFFLAT_PROBES EF_SEARCH ROUNDS ${LISTS:+LISTS}
[ "$ROUNDS" -ge 1 ] || { echo "filtered.sh: --rounds wants at least 1" >&2; exit 2; }
for p in $KEPT; do
	awk -v p="$p" 'BEGIN { t = p * 10; exit !(p ~ /^[0-9]+(\.[0-9])?$/ && t >= 1 && t <= 1000) }' ||
		{ echo "filtered.sh: --kept wants percentages from 0.1 to 100 in steps of 0.1 (got '$p')" >&2; exit 2; }
done
for b in $BTREE; do [[ $b == no || $b == yes ]] || { echo "filtered.sh: --btree wants no and/or yes" >&2; exit 2; }; done
IFS=, read -r -a FILTER_LIST <<<"$FILTERS"
for f in "${FILTER_LIST[@]}"; do [[ $f == ind || $f == cor ]] || { echo "filtered.sh: --filters wants ind and/or cor" >&2; exit 2; }; done

bench_build
# Only the standard library is needed: the system python3 starts fastest (a
# pyenv shim takes ~0.4 s, once for every method and cell).
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
RESULTS=$OUT/filtered.jsonl
bench_cluster pgvq_fbench /tmp/pgvq-fbench-run 54405
bench_meta
REPORT=$BENCH/filtered_report.py

# threshold PERCENT: the f_X bound that keeps PERCENT of the rows (values 0..999).
threshold() { awk -v p="$1" 'BEGIN { printf "%d", p * 10 + 0.5 }'; }

# add_filters TABLE [SOURCE]: the columns f_ind and f_cor, computed from TABLE's
# own rows, or copied from SOURCE's (ids match), then the table is rewritten.
add_filters() {
	local t=$1 src=${2:-}
	if [ -z "$src" ]; then
		q -c "DROP TABLE IF EXISTS ${t}_f" -c "CREATE TABLE ${t}_f AS SELECT id,
			((row_number() OVER (ORDER BY hashint4(id), id) - 1) * 1000 / count(*) OVER ())::int AS f_ind,
			((row_number() OVER (ORDER BY embedding $DS_OP (SELECT embedding FROM $t WHERE id = 0), id) - 1)
				* 1000 / count(*) OVER ())::int AS f_cor
			FROM $t"
		src=$t
	fi
	q -c "ALTER TABLE $t ADD COLUMN f_ind integer, ADD COLUMN f_cor integer" \
		-c "UPDATE $t SET f_ind = f.f_ind, f_cor = f.f_cor FROM ${src}_f f WHERE f.id = $t.id" \
		-c "VACUUM FULL $t" -c "ANALYZE $t"
}

# ground_truth TABLE: $WORK/gt-F-T.ivecs for every filter F and bound T.
ground_truth() {
	local t=$1 f p thr t0=$(date +%s%3N)
	for f in "${FILTER_LIST[@]}"; do
		for p in $KEPT; do
			thr=$(threshold "$p")
			PGOPTIONS="$PGOPTIONS -c max_parallel_workers_per_gather=0 -c enable_indexscan=off -c enable_bitmapscan=off" \
				q -F $'\t' -c "SELECT qid, array_to_string(ARRAY(SELECT id FROM $t WHERE f_$f < $thr
					ORDER BY embedding $DS_OP qq.embedding, id LIMIT $K), ' ') FROM ${t}_q qq ORDER BY qid" |
				"$PY" "$REPORT" gt "$K" "$WORK/gt-$f-$thr.ivecs" || { echo "filtered.sh: ground truth failed" >&2; exit 1; }
		done
	done
	echo "exact filtered ground truth ($NQ queries x ${#FILTER_LIST[@]} filters x $(wc -w <<<"$KEPT") bounds) in $(($(date +%s%3N) - t0)) ms"
}

# phase_table PHASE: P_T and P_SP, the table a phase's methods query and its
# search path (pgvector's methods run on its copy of the table, TP), and P_IDX,
# the phase's vector index.
phase_table() {
	case $1 in
	hnsw | ivfflat) P_T=$TP P_SP=pgvector,public ;;
	*) P_T=$T P_SP=public ;;
	esac
	P_IDX=${P_T}_$1
}

# fpoint PHASE METHOD "GUC=V ..." EXPECT REJECT [CLIENT OPTION]: one measurement of one
# method in the current cell (CELL_F filter, CELL_P percent, CELL_BT btree) in
# round CELL_R at position CELL_POS of the cell's order.
fpoint() {
	local method=$2 gucs=$3 expect=$4 reject=$5
	local thr args=(${6:-}) g line
	phase_table "$1"
	thr=$(threshold "$CELL_P")
	args+=(--set "search_path=$P_SP")
	for g in $gucs; do args+=(--set "$g"); done
	[ -n "$expect" ] && args+=(--expect-plan "$expect")
	[ -n "$reject" ] && args+=(--reject-plan "$reject")
	line=$("$CLIENT" --sql "SELECT id FROM $P_T WHERE f_$CELL_F < $thr ORDER BY embedding $DS_OP \$1::vector LIMIT $K" \
		--queries "$DS_QUERY" --nq "$NQ" --gt "$WORK/gt-$CELL_F-$thr.ivecs" --k "$K" --results "$WORK/ids.txt" \
		--warmup-seconds "$WARMUP_SECONDS" --min-seconds "$MIN_SECONDS" --max-seconds "$MAX_SECONDS" "${args[@]}" \
		--tag kind=fquery --tag run="$RUN_ID" --tag dataset="$DS_NAME" --tag n="$DS_N" --tag d="$DS_D" \
		--tag filter="$CELL_F" --tag kept="$CELL_P" --tag btree="$CELL_BT" --tag method="$method" \
		--tag gucs="$gucs" --tag lists="${CUR_LISTS:-}" --tag round="$CELL_R" --tag pos="$CELL_POS") &&
		line=$("$PY" "$REPORT" point "$line" "$WORK/ids.txt" "$K") || {
		echo "  *** $method ($CELL_F, $CELL_P% kept, btree $CELL_BT, round $CELL_R) failed"
		FAILURES=$((FAILURES + 1))
		return 0
	}
	emit "$line"
}

FORCE="enable_seqscan=off enable_bitmapscan=off enable_sort=off"

# m METHOD GUCS EXPECT REJECT [OPTION]: appends a method of cell_methods' phase to METHODS.
m() { METHODS+=("$phase|$1|$2|$3|$4|${5:-}"); }

# cell_methods PHASE: appends the methods of one phase in the current cell to
# METHODS, each as "PHASE|METHOD|GUCS|EXPECT|REJECT|CLIENT OPTION" (fpoint's arguments).
cell_methods() {
	local phase=$1 use g cs
	phase_table "$phase"
	use="Index Scan using $P_IDX"
	case $phase in
	exact)
		m "seq scan" "enable_indexscan=off enable_bitmapscan=off max_parallel_workers_per_gather=0" "Seq Scan" "Index"
		[ "$CELL_BT" = no ] ||
			m "btree + sort" "enable_seqscan=off enable_indexscan=off max_parallel_workers_per_gather=0" \
				"Bitmap Index Scan on ${T}_f_${CELL_F}_bt" "" ;;
	ivfpq)
		m ivfpq "" "" ""
		m "ivfpq forced" "$FORCE" "$use" ""
		m "ivfpq rerank=$CAPPED_RERANK forced" "$FORCE ivfpq.rerank=$CAPPED_RERANK" "$use" ""
		[ "$ALL_LISTS" != 1 ] || m "ivfpq all lists" "$FORCE ivfpq.probes=$CUR_LISTS" "$use" ""
		for cs in ${CODE_SCANS//,/ }; do
			m "ivfpq code_scan=$cs" "ivfpq.code_scan=$cs" "" "" --ivfpq-stats
			m "ivfpq code_scan=$cs forced" "$FORCE ivfpq.code_scan=$cs" "$use" "" --ivfpq-stats
		done ;;
	flat)
		m flat "" "" ""
		m "flat forced" "$FORCE" "$use" "" ;;
	hnsw)
		g="hnsw.ef_search=$EF_SEARCH hnsw.iterative_scan=relaxed_order"
		m hnsw "$g" "" ""
		m "hnsw forced" "$FORCE $g" "$use" "" ;;
	ivfflat)
		g="ivfflat.probes=$IVFFLAT_PROBES ivfflat.iterative_scan=relaxed_order"
		m ivfflat "$g" "" ""
		m "ivfflat forced" "$FORCE $g" "$use" "" ;;
	esac
}

# run_rounds TABLES PHASE...: for each btree setting (the btrees made on each of
# TABLES), ROUNDS passes over the cells; in each cell every method of the
# phases back to back, the order rotated by one from cell to cell and round to round.
run_rounds() {
	local tables=$1 t n i off c entry ph method gucs expect reject opt
	shift
	for CELL_BT in $BTREE; do
		if [ "$CELL_BT" = yes ]; then
			for t in $tables; do
				q -c "CREATE INDEX ${t}_f_ind_bt ON $t (f_ind)" -c "CREATE INDEX ${t}_f_cor_bt ON $t (f_cor)"
				prewarm "${t}_f_ind_bt" "${t}_f_cor_bt"
			done
		fi
		for ((CELL_R = 1; CELL_R <= ROUNDS; CELL_R++)); do
			echo "--- btree $CELL_BT, round $CELL_R of $ROUNDS"
			c=0
			for CELL_F in "${FILTER_LIST[@]}"; do
				for CELL_P in $KEPT; do
					METHODS=()
					for ph in "$@"; do cell_methods "$ph"; done
					n=${#METHODS[@]}
					off=$(((CELL_R - 1 + c) % n))
					for ((i = 0; i < n; i++)); do
						entry=${METHODS[(off + i) % n]}
						IFS='|' read -r ph method gucs expect reject opt <<<"$entry"
						CELL_POS=$i fpoint "$ph" "$method" "$gucs" "$expect" "$reject" "$opt"
					done
					c=$((c + 1))
				done
			done
		done
		if [ "$CELL_BT" = yes ]; then
			for t in $tables; do q -c "DROP INDEX ${t}_f_ind_bt, ${t}_f_cor_bt"; done
		fi
	done
}

# build_phase PHASE: the phase's vector index (ivfpq, flat on T; hnsw, ivfflat on TP),
# its build line in the results, prewarmed; returns 1 when the build fails.
build_phase() {
	local phase=$1 params="" pre=""
	phase_table "$phase"
	case $phase in
	ivfpq)
		params=${LISTS:+lists = $LISTS}
		[ -n "$M" ] && params+="${params:+, }m = $M"
		[ -n "$NBITS" ] && params+="${params:+, }nbits = $NBITS" ;;
	ivfflat)
		pre="SET search_path = pgvector, public"
		[ -n "$CUR_LISTS" ] || CUR_LISTS=$(awk -v n="$DS_N" 'BEGIN { l = int(n / 1000); print (l < 1 ? 1 : l) }')
		params="lists = $CUR_LISTS" ;;
	hnsw)
		pre="SET search_path = pgvector, public"
		params="m = $HNSW_M, ef_construction = $EF_CONSTRUCTION" ;;
	esac
	if ! build_index "$P_T" "$P_IDX" "$(index_ddl "$phase" "$P_T" "$P_IDX" "$params")" "$pre"; then
		echo "--- $phase: the build failed; skipped"
		FAILURES=$((FAILURES + 1))
		return 1
	fi
	[ $phase != ivfpq ] || CUR_LISTS=$(q -c "SELECT lists FROM pgvq_ivfpq_list_stats('$P_IDX')")
	emit "{\"kind\":\"build\",\"run\":\"$RUN_ID\",\"dataset\":$(jstr "$DS_NAME"),\"n\":$DS_N,\"d\":$DS_D,\"index\":\"$phase\",\"params\":$(jstr "$params"),\"lists\":${CUR_LISTS:-null},\"build_ms\":$B_MS,\"index_bytes\":$B_SIZE}"
	prewarm "$P_IDX"
}

# run_group PHASE...: the wanted and available phases among PHASE... measured
# together: their indexes built (they must not compete for one table's plans),
# run_rounds, the indexes dropped.
run_group() {
	local phases=() tables="" ph
	for ph in "$@"; do
		want "$ph" || continue
		case $ph in
		flat) [ "$HAVE_FLAT" = 1 ] || continue ;;
		ivfpq) [ "$HAVE_IVFPQ" = 1 ] || continue ;;
		hnsw | ivfflat)
			if [ $HAVE_PGVECTOR != 1 ]; then echo "--- $ph: skipped (pgvector not installed)"; continue; fi ;;
		esac
		if [ "$ph" != exact ]; then
			log "$DS_NAME: $ph index"
			build_phase "$ph" || continue
		fi
		phases+=("$ph")
		phase_table "$ph"
		[[ " $tables " == *" $P_T "* ]] || tables+=" $P_T"
	done
	[ ${#phases[@]} -gt 0 ] || return 0
	log "$DS_NAME: ${phases[*]}, side by side in $ROUNDS round(s)"
	for ph in $tables; do prewarm "$ph"; done
	run_rounds "$tables" "${phases[@]}"
	for ph in "${phases[@]}"; do
		[ "$ph" = exact ] || { phase_table "$ph"; q -c "DROP INDEX $P_IDX"; }
	done
}

# ---- the run ------------------------------------------------------------------------------
IFS=, read -r -a DS_LIST <<<"$DATASETS"
NQ_ARG=$NQ
for ds in "${DS_LIST[@]}"; do
	dataset "$ds"
	NQ=$NQ_ARG
	[ "$NQ" -le "$DS_NQ" ] || NQ=$DS_NQ
	log "dataset $DS_NAME: $DS_N x $DS_D, metric $DS_METRIC, $NQ queries, LIMIT $K, filters $FILTERS, kept $KEPT%"
	T=$DS_TABLE
	TP=${DS_TABLE}_pgv
	load_table "$T" public.vector
	add_filters "$T"
	ground_truth "$T"
	if [ $HAVE_PGVECTOR = 1 ] && { want hnsw || want ivfflat; }; then
		load_table "$TP" pgvector.vector
		add_filters "$TP" "$T"
	fi
	CUR_LISTS=$LISTS
	# ivfpq's and hnsw's indexes are on different tables: both run beside the
	# exact plans.  flat would compete with ivfpq for T's plans, ivfflat with
	# hnsw for TP's: they make a second group.
	run_group exact ivfpq hnsw
	run_group flat ivfflat
done

log "report"
"$PY" "$REPORT" report "$RESULTS" "$OUT/filtered.md" || { echo "report failed"; FAILURES=$((FAILURES + 1)); }
echo "results: $RESULTS, $OUT/filtered.md"

if [ "$CHECK" = 1 ]; then
	log "checks"
	# The methods a check needs: missing ones fail it too.
	need=""
	want exact && need+=",seq scan"
	[ "$HAVE_FLAT" = 1 ] && want flat && need+=",flat forced"
	[ "$HAVE_IVFPQ" = 1 ] && want ivfpq && need+=",ivfpq forced"
	[ "$HAVE_IVFPQ" = 1 ] && want ivfpq && [ "$ALL_LISTS" = 1 ] && need+=",ivfpq all lists"
	"$PY" "$REPORT" check "$RESULTS" "${need#,}" || FAILURES=$((FAILURES + 1))
	if [ "$FAILURES" -gt 0 ]; then
		echo "*** $FAILURES failure(s)"
		exit 1
	fi
	echo "all checks passed"
fi
