#!/usr/bin/env bash
# The README's main job, on a fresh Debian 12 machine: installs the packages it
# needs, builds and installs pgvq, starts a throwaway cluster on a Unix socket,
# loads ../shared/data/sift-5k-128-euclidean, builds a flat index (and an ivfpq
# index when that access method exists), runs a nearest-neighbour query, prints
# the 10 neighbours with their distances, the recall@10 over all 1000 queries
# against groundtruth.ivecs, and the timings.
#
#   scripts/demo.sh
#   PGVQ_DATA=/path/to/data PGVQ_KEEP_CLUSTER=1 scripts/demo.sh
#
# Environment: PGVQ_DATA (datasets, default ../shared/data beside the repo),
# PGVQ_DEMO_CLUSTER (cluster directory, default /tmp/pgvq-demo),
# PGVQ_DEMO_PORT (default 54399), PGVQ_KEEP_CLUSTER=1 (leave it running),
# PGVQ_DEMO_SKIP_BUILD=1 (use what is installed), PGVQ_IVFPQ_LISTS (64),
# PGVQ_IVFPQ_PROBES (8).
source "$(dirname "$0")/common.sh"

CLUSTER=${PGVQ_DEMO_CLUSTER:-/tmp/pgvq-demo}
PORT=${PGVQ_DEMO_PORT:-54399}
DS=$PGVQ_DATA/sift-5k-128-euclidean
K=10

for f in base.fvecs query.fvecs groundtruth.ivecs; do
	[ -f "$DS/$f" ] || { echo "demo: $DS/$f not found (set PGVQ_DATA)" >&2; exit 1; }
done

if [ "${PGVQ_DEMO_SKIP_BUILD:-0}" != 1 ]; then
	install_deps
	build_and_install
fi
VECS=$REPO/build/dev/pgvq_vecs
[ -x "$VECS" ] || { echo "demo: $VECS not built" >&2; exit 1; }

WORK=$(mktemp -d)
cleanup() {
	rm -rf "$WORK"
	if [ "${PGVQ_KEEP_CLUSTER:-0}" = 1 ]; then
		echo "cluster left running: PGHOST=$CLUSTER PGPORT=$PORT PGUSER=postgres psql"
	else
		stop_cluster "$CLUSTER"
	fi
}
log "starting a throwaway cluster in $CLUSTER (port $PORT, Unix socket only)"
trap cleanup EXIT
start_cluster "$CLUSTER" "$PORT"

psql_q() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
now_ms() { date +%s%3N; }
# timed LABEL CMD...: runs CMD and prints how long it took.
timed() {
	local label=$1; shift
	local t0 t1
	t0=$(now_ms)
	"$@"
	t1=$(now_ms)
	printf '%-44s %8d ms\n' "$label" $((t1 - t0))
}

read -r NB DIM < <("$VECS" info "$DS/base.fvecs")
read -r NQ _ < <("$VECS" info "$DS/query.fvecs")

log "loading $DS ($NB x $DIM base vectors, $NQ queries)"
psql_q <<SQL
CREATE EXTENSION pgvq;
CREATE TABLE items (id integer PRIMARY KEY, embedding vector($DIM));
CREATE TABLE queries (qid integer PRIMARY KEY, embedding vector($DIM));
SQL
timed "COPY $NB base vectors" \
	bash -c "'$VECS' copy '$DS/base.fvecs' | psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'COPY items (id, embedding) FROM STDIN'"
"$VECS" copy "$DS/query.fvecs" | psql_q -c 'COPY queries (qid, embedding) FROM STDIN'
psql_q -c 'VACUUM ANALYZE items' -c 'VACUUM ANALYZE queries'

# recall_all INDEX_KIND [SETTINGS]: the 10 nearest neighbours of every query in
# one statement, then recall@10 against the ground truth.
recall_all() {
	local kind=$1 settings=${2:-}
	local out=$WORK/results-$kind.txt t0 t1
	t0=$(now_ms)
	psql_q -c "$settings;" -c "COPY (
		SELECT q.qid, n.ids
		FROM queries q CROSS JOIN LATERAL (
			SELECT array_agg(i.id) AS ids
			FROM (SELECT id FROM items ORDER BY embedding <-> q.embedding LIMIT $K) i) n
		ORDER BY q.qid) TO STDOUT" >"$out"
	t1=$(now_ms)
	local recall
	recall=$("$VECS" recall --gt "$DS/groundtruth.ivecs" --results "$out" --k $K)
	printf '%-44s %8d ms  (%.2f ms/query)\n' "$kind: $NQ queries, LIMIT $K" $((t1 - t0)) \
		"$(awk -v t=$((t1 - t0)) -v n="$NQ" 'BEGIN { print t / n }')"
	printf '%-44s %8s\n' "$kind: recall@$K over $NQ queries" "$recall"
}

Q0=$("$VECS" vec "$DS/query.fvecs" --row 0)

show_query() {
	local settings=${1:-}
	echo "EXPLAIN of the query (the query vector's numbers elided):"
	# the query vector's 128 numbers would fill the plan twice: elide them
	psql_q -At -v q="$Q0" <<SQL | sed -E "s/'\\[[^]']*\\]'/'[...]'/g; s/^/    /"
$settings;
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> :'q' LIMIT $K;
SQL
	echo "The $K nearest neighbours of query 0:"
	psql_q -v q="$Q0" <<SQL
$settings;
\\timing on
SELECT id, embedding <-> :'q' AS distance FROM items ORDER BY embedding <-> :'q' LIMIT $K;
SQL
	echo "ground truth for query 0: $("$VECS" ivecs "$DS/groundtruth.ivecs" --limit 1 --k $K | cut -f2)"
}

log "sequential scan (exact, for comparison)"
recall_all "seqscan" "SET enable_indexscan = off"

log "flat index (exact)"
timed "CREATE INDEX ... USING flat (vector_l2_ops)" \
	psql_q -c "CREATE INDEX items_flat ON items USING flat (embedding vector_l2_ops)"
psql_q -At -c "SELECT 'flat index size: ' || pg_size_pretty(pg_relation_size('items_flat'))"
show_query
recall_all "flat"

if [ "$(psql_q -At -c "SELECT count(*) FROM pg_am WHERE amname = 'ivfpq'")" = 1 ]; then
	LISTS=${PGVQ_IVFPQ_LISTS:-64}
	PROBES=${PGVQ_IVFPQ_PROBES:-8}
	log "ivfpq index (approximate; lists = $LISTS, ivfpq.probes = $PROBES)"
	psql_q -c "DROP INDEX items_flat"
	timed "CREATE INDEX ... USING ivfpq (lists = $LISTS)" \
		psql_q -c "CREATE INDEX items_ivfpq ON items USING ivfpq (embedding vector_l2_ops) WITH (lists = $LISTS)"
	psql_q -At -c "SELECT 'ivfpq index size: ' || pg_size_pretty(pg_relation_size('items_ivfpq'))"
	show_query "SET ivfpq.probes = $PROBES"
	recall_all "ivfpq" "SET ivfpq.probes = $PROBES"
else
	log "ivfpq access method not in this build: skipped"
fi

log "done"
