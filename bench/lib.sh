# Shared helpers of the benchmark scripts (bench/run.sh, bench/filtered.sh):
# sourced, not run.  The caller sources scripts/common.sh first and sets
# BENCH_PROG (its name, for messages), NO_BUILD, KEEP_CLUSTER, NQ, SEED,
# SYNTH_QUERIES, STORAGE, K, SMOKE, OUT and RESULTS.

BENCH=$REPO/bench

# Settings both benchmarks take (environment variables of the same name win);
# each script sets the defaults of the rest (NQ, MIN_SECONDS, ...) itself.
LISTS=${LISTS:-}
M=${M:-}
NBITS=${NBITS:-}
HNSW_M=${HNSW_M:-16}
EF_CONSTRUCTION=${EF_CONSTRUCTION:-64}
K=${K:-10}
STORAGE=${STORAGE:-plain}
SEED=${SEED:-42}
SYNTH_QUERIES=${SYNTH_QUERIES:-1000}
OUT=${OUT:-$BENCH/out}
NO_BUILD=${NO_BUILD:-0}
KEEP_CLUSTER=${KEEP_CLUSTER:-0}
SMOKE=0
CHECK=${CHECK:-0}
FAILURES=0

# bench_option "$@": the options both benchmarks take, from the first argument on.
# Sets BENCH_ARGS to the number of arguments it used; exits on an unknown option.
bench_option() {
	BENCH_ARGS=2
	local v=${2-}
	case $1 in
	--datasets) DATASETS=$v ;;
	--indexes) INDEXES=$v ;;
	--lists) LISTS=$v ;;
	--m) M=$v ;;
	--nbits) NBITS=$v ;;
	--ef-search) EF_SEARCH=$v ;;
	--hnsw-m) HNSW_M=$v ;;
	--ef-construction) EF_CONSTRUCTION=$v ;;
	--nq) NQ=$v ;;
	--k) K=$v ;;
	--min-seconds) MIN_SECONDS=$v ;;
	--max-seconds) MAX_SECONDS=$v ;;
	--storage) STORAGE=$v ;;
	--seed) SEED=$v ;;
	--synth-queries) SYNTH_QUERIES=$v ;;
	--out) OUT=$v ;;
	--no-build) NO_BUILD=1 BENCH_ARGS=1 ;;
	--keep-cluster) KEEP_CLUSTER=1 BENCH_ARGS=1 ;;
	--check) CHECK=1 BENCH_ARGS=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$BENCH_PROG: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	[ $BENCH_ARGS = 1 ] || [ $# -ge 2 ] || { echo "$BENCH_PROG: option $1 needs a value" >&2; exit 2; }
}

# bench_validate VAR...: the storage is known and each named setting is a non-negative integer.
bench_validate() {
	case $STORAGE in plain | external | main | extended) ;; *) echo "$BENCH_PROG: bad --storage $STORAGE" >&2; exit 2 ;; esac
	local v
	for v in "$@"; do
		[[ ${!v} =~ ^[0-9]+$ ]] || { echo "$BENCH_PROG: $v must be a non-negative integer (got '${!v}')" >&2; exit 2; }
	done
}

# bench_build: builds and installs pgvq unless --no-build; sets VECS, CLIENT, PGBENCH, PY.
bench_build() {
	if [ "$NO_BUILD" != 1 ]; then
		install_deps
		build_and_install
	fi
	VECS=$REPO/build/dev/pgvq_vecs
	CLIENT=$REPO/build/dev/pgvq_bench_client
	local t
	for t in "$VECS" "$CLIENT"; do
		[ -x "$t" ] || { echo "$BENCH_PROG: $t is not built (run without --no-build, or cmake --build build/dev)" >&2; exit 1; }
	done
	PGBENCH=$PGBIN/pgbench
	PY=python3
	command -v python3 >/dev/null || PY=/usr/bin/python3
}

# bench_cluster DB DEFAULT_CLUSTER DEFAULT_PORT: a throwaway cluster (or the one
# PGHOST/PGPORT name), a fresh database DB, q(), and what is installed there:
# HAVE_PREWARM, HAVE_PGVECTOR, PGVECTOR_VERSION, HAVE_IVFPQ, HAVE_FLAT.  Sets
# WORK (a temporary directory) and a trap that removes it and the database or
# the cluster at exit.
bench_cluster() {
	DB=$1
	export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
	mkdir -p "$OUT"
	WORK=$(mktemp -d)
	chmod 755 "$WORK"
	OWN_CLUSTER=0
	trap bench_cleanup EXIT
	if [ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ]; then
		log "using the cluster at PGHOST=$PGHOST PGPORT=$PGPORT"
		export PGUSER=${PGUSER:-postgres}
	else
		CLUSTER=${PGVQ_BENCH_CLUSTER:-$2}
		local port=${PGVQ_BENCH_PORT:-$3}
		log "starting a throwaway cluster in $CLUSTER (port $port)"
		OWN_CLUSTER=1
		# Both tables of a dataset (pgvq's and pgvector's), their indexes and
		# btrees stay in shared buffers (mnist: ~0.8 GB): a plan that reads a
		# page evicted by the other method's phase would time the OS cache.
		PGVQ_SHARED_BUFFERS=${PGVQ_BENCH_SHARED_BUFFERS:-2GB} start_cluster "$CLUSTER" "$port"
	fi
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
	export PGDATABASE=$DB
	# JIT would add compile time to every execution of the expensive scans.
	psql -X -q -v ON_ERROR_STOP=1 -c "ALTER DATABASE $DB SET jit = off"

	q -c "CREATE EXTENSION pgvq"
	HAVE_PREWARM=0
	q -c "CREATE EXTENSION pg_prewarm" 2>/dev/null && HAVE_PREWARM=1
	HAVE_PGVECTOR=0
	local err
	if err=$(q -c "CREATE SCHEMA pgvector" -c "CREATE EXTENSION vector SCHEMA pgvector" 2>&1); then
		HAVE_PGVECTOR=1
		PGVECTOR_VERSION=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
		log "pgvector $PGVECTOR_VERSION is installed: its indexes run side by side"
	else
		PGVECTOR_VERSION=""
		log "pgvector is not installed in this cluster (CREATE EXTENSION vector failed: ${err##*ERROR:  }): its indexes are skipped"
	fi
	HAVE_IVFPQ=$(q -c "SELECT count(*) FROM pg_am WHERE amname = 'ivfpq'")
	HAVE_FLAT=$(q -c "SELECT count(*) FROM pg_am WHERE amname = 'flat'")
	[ "$HAVE_IVFPQ" = 1 ] || log "the ivfpq access method is not in this pgvq build: ivfpq is skipped"
	[ "$HAVE_FLAT" = 1 ] || log "the flat access method is not in this pgvq build: flat is skipped"
}

bench_cleanup() {
	rm -rf "$WORK"
	if [ $OWN_CLUSTER = 0 ] && [ "$KEEP_CLUSTER" != 1 ] && [ -n "${DB:-}" ]; then
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
	fi
	if [ $OWN_CLUSTER = 1 ]; then
		if [ "$KEEP_CLUSTER" = 1 ]; then
			echo "cluster left running: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=postgres"
		else
			stop_cluster "$CLUSTER"
		fi
	fi
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
emit() { echo "$1" >>"$RESULTS"; }
jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
want() { [[ ",$INDEXES," == *",$1,"* ]]; }

# bench_meta: starts $RESULTS with one meta line (machine, versions, server settings).
bench_meta() {
	RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
	: >"$RESULTS"
	CPU=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' || echo unknown)
	local mem_gb pgver pgvq_version settings
	mem_gb=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
	pgver=$(q -c "SHOW server_version")
	pgvq_version=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pgvq'")
	settings=$(q -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN
		('shared_buffers', 'maintenance_work_mem', 'max_parallel_maintenance_workers', 'max_parallel_workers_per_gather',
		 'work_mem', 'jit', 'fsync', 'synchronous_commit')")
	emit "{\"kind\":\"meta\",\"run\":\"$RUN_ID\",\"cpu\":$(jstr "$CPU"),\"cores\":$(nproc),\"mem_gb\":$mem_gb,\"postgres\":$(jstr "$pgver"),\"pgvq\":$(jstr "$pgvq_version"),\"pgvector\":$(jstr "$PGVECTOR_VERSION"),\"settings\":$(jstr "$settings"),\"storage\":\"$STORAGE\",\"k\":$K,\"smoke\":$SMOKE}"
}

# ---- datasets ------------------------------------------------------------------------
# dataset NAME: sets DS_NAME DS_BASE DS_QUERY DS_GT DS_METRIC DS_N DS_D DS_NQ DS_TABLE DS_OP DS_OPCLASS
dataset() {
	local name=$1
	DS_NAME=$name
	DS_METRIC=l2
	case $name in
	sift5k)
		local d=$PGVQ_DATA/sift-5k-128-euclidean
		DS_BASE=$d/base.fvecs DS_QUERY=$d/query.fvecs DS_GT=$d/groundtruth.ivecs DS_TABLE=sift5k ;;
	mnist)
		local d=$PGVQ_DATA/mnist-784-euclidean
		DS_BASE=$d/base.bvecs DS_QUERY=$d/query.bvecs DS_GT=$d/groundtruth.ivecs DS_TABLE=mnist ;;
	synth:* | rotated:*)
		local n d metric rest kind
		IFS=: read -r kind n d metric rest <<<"$name"
		metric=${metric:-l2}
		[[ $n =~ ^[0-9]+$ && $d =~ ^[0-9]+$ && -z $rest ]] || { echo "$BENCH_PROG: bad dataset '$name' (synth:N:D[:l2|ip|cosine])" >&2; exit 2; }
		case $metric in l2 | ip | cosine) ;; *) echo "$BENCH_PROG: bad metric in '$name'" >&2; exit 2 ;; esac
		DS_METRIC=$metric
		local dir=$BENCH/data/$kind-$n-$d-$metric-seed$SEED-q$SYNTH_QUERIES
		DS_BASE=$dir/base.fvecs DS_QUERY=$dir/query.fvecs DS_GT=$dir/groundtruth.ivecs DS_TABLE=${kind}_${n}_${d}_$metric
		if [ ! -f "$DS_GT" ]; then
			mkdir -p "$dir"
			local norm=()
			[ "$metric" = l2 ] || norm=(--normalize)
			log "generating $name (seed $SEED, $SYNTH_QUERIES queries) in $dir"
			local t0=$(date +%s%3N)
			local model=latent
			[ "$kind" = rotated ] && model=rotated
			"$VECS" synth --model "$model" --n "$n" --d "$d" --seed "$SEED" "${norm[@]}" --out "$DS_BASE" \
				--queries "$SYNTH_QUERIES" --query-out "$DS_QUERY"
			local t1=$(date +%s%3N)
			"$VECS" gt --base "$DS_BASE" --query "$DS_QUERY" --k 100 --metric "$metric" --out "$dir/tmp-gt.ivecs"
			mv "$dir/tmp-gt.ivecs" "$DS_GT"
			echo "generated in $((t1 - t0)) ms, exact ground truth in $(($(date +%s%3N) - t1)) ms"
		fi ;;
	*) echo "$BENCH_PROG: unknown dataset '$name' (sift5k, mnist, synth:N:D[:metric], rotated:N:D[:metric])" >&2; exit 2 ;;
	esac
	for f in "$DS_BASE" "$DS_QUERY" "$DS_GT"; do
		[ -f "$f" ] || { echo "$BENCH_PROG: $f not found (set PGVQ_DATA)" >&2; exit 1; }
	done
	read -r DS_N DS_D < <("$VECS" info "$DS_BASE")
	read -r DS_NQ _ < <("$VECS" info "$DS_QUERY")
	case $DS_METRIC in
	l2) DS_OP='<->' DS_OPCLASS=vector_l2_ops ;;
	ip) DS_OP='<#>' DS_OPCLASS=vector_ip_ops ;;
	cosine) DS_OP='<=>' DS_OPCLASS=vector_cosine_ops ;;
	esac
}

# load_table TABLE TYPE: base vectors into TABLE (id, embedding TYPE(d)) and the
# queries into TABLE_q (qid primary key, embedding) for pgbench.
load_table() {
	local t=$1 type=$2
	q -c "DROP TABLE IF EXISTS $t, ${t}_q" \
		-c "CREATE TABLE $t (id integer NOT NULL, embedding $type($DS_D))" \
		-c "ALTER TABLE $t ALTER COLUMN embedding SET STORAGE $STORAGE" \
		-c "CREATE TABLE ${t}_q (qid integer PRIMARY KEY, embedding $type($DS_D))"
	local t0=$(date +%s%3N)
	"$VECS" copy "$DS_BASE" | q -c "COPY $t (id, embedding) FROM STDIN"
	local t1=$(date +%s%3N)
	"$VECS" copy "$DS_QUERY" --limit "$NQ" | q -c "COPY ${t}_q (qid, embedding) FROM STDIN"
	q -c "VACUUM ANALYZE $t" -c "VACUUM ANALYZE ${t}_q"
	echo "loaded $t: $DS_N rows in $((t1 - t0)) ms, $(q -c "SELECT pg_size_pretty(pg_table_size('$t'))")"
}

prewarm() {
	[ $HAVE_PREWARM = 1 ] || return 0
	local r
	for r in "$@"; do q -c "SELECT pg_prewarm('$r')" >/dev/null; done
}

# build_index TABLE INDEX "CREATE INDEX ..." [SET ...]: sets B_MS B_SIZE B_WAL.
build_index() {
	local t=$1 idx=$2 ddl=$3 pre=${4:-}
	q -c "CHECKPOINT"
	local lsn0 out
	lsn0=$(q -c "SELECT pg_current_wal_insert_lsn()")
	out=$(psql -X -v ON_ERROR_STOP=1 -c "$pre" -c '\timing on' -c "$ddl" 2>&1) || { echo "$out" >&2; return 1; }
	B_MS=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	B_WAL=$(q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')::bigint")
	B_SIZE=$(q -c "SELECT pg_relation_size('$idx')")
	printf '  built %s in %.0f ms: %s, WAL %s\n' "$idx" "$B_MS" \
		"$(q -c "SELECT pg_size_pretty($B_SIZE::bigint)")" "$(q -c "SELECT pg_size_pretty($B_WAL::bigint)")"
}

# index_ddl KIND TABLE IDX PARAMS: the CREATE INDEX statement of a vector index kind.
index_ddl() {
	local kind=$1 t=$2 idx=$3 params=$4 with=""
	[ -n "$params" ] && with=" WITH ($params)"
	echo "CREATE INDEX $idx ON $t USING $kind (embedding $DS_OPCLASS)$with"
}
