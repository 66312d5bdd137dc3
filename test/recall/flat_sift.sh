#!/usr/bin/env bash
# Recall test for the flat index: loads sift-5k-128-euclidean's base vectors,
# builds a flat index, runs the queries with ORDER BY <-> LIMIT 10 through the
# index and checks recall@10 = 1.0 against groundtruth.ivecs.  Ties are
# allowed: a result counts as correct when its distance is <= the distance of
# the query's 10th true neighbour.  Prints the recall; exits non-zero on
# failure.
#
# Environment: PGVQ_DATA (datasets), PGVQ_TOOLS (directory holding the built
# pgvq_vecs), PGHOST/PGPORT/PGUSER of a running server with pgvq installed,
# PGVQ_RECALL_QUERIES (how many queries, default all 1000).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=${PGVQ_DATA:-$(cd "$REPO/.." && pwd)/shared/data}
DS=$DATA/sift-5k-128-euclidean
VECS=${PGVQ_TOOLS:-$REPO/build/dev}/pgvq_vecs
NQ=${PGVQ_RECALL_QUERIES:-1000}
K=10
DB=pgvq_recall_flat

if [ ! -d "$DS" ]; then
	echo "SKIP: no sift-5k data at $DS (set PGVQ_DATA)"
	exit 0
fi
for f in base.fvecs query.fvecs groundtruth.ivecs; do
	[ -f "$DS/$f" ] || { echo "flat_sift: $DS/$f not found" >&2; exit 1; }
done
[ -x "$VECS" ] || { echo "flat_sift: $VECS not built (set PGVQ_TOOLS)" >&2; exit 1; }

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
[ "${PGVQ_KEEP_DB:-0}" = 1 ] || trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT

read -r NB DIM < <("$VECS" info "$DS/base.fvecs")
psql_db <<SQL
CREATE EXTENSION pgvq;
CREATE TABLE items (id integer PRIMARY KEY, embedding vector($DIM));
CREATE TABLE queries (qid integer PRIMARY KEY, embedding vector($DIM));
CREATE TABLE gt (qid integer PRIMARY KEY, ids integer[]);
SQL
"$VECS" copy "$DS/base.fvecs" | psql_db -c "COPY items (id, embedding) FROM STDIN"
"$VECS" copy "$DS/query.fvecs" --limit "$NQ" | psql_db -c "COPY queries (qid, embedding) FROM STDIN"
"$VECS" ivecs "$DS/groundtruth.ivecs" --limit "$NQ" --k "$K" | psql_db -c "COPY gt (qid, ids) FROM STDIN"
psql_db -c "CREATE INDEX items_flat ON items USING flat (embedding vector_l2_ops)" -c "VACUUM ANALYZE items"

# the index must be what answers (no seqscan fallback)
plan=$(psql_db -At -c "EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM queries LIMIT 1) LIMIT $K")
if ! grep -q "Index Scan using items_flat" <<<"$plan"; then
	echo "flat_sift: the plan does not use the flat index:"; echo "$plan"; exit 1
fi

read -r nq nres correct < <(psql_db -At -F ' ' <<SQL
SET enable_seqscan = off;
WITH res AS (
	SELECT q.qid, r.id, r.d
	FROM queries q
	CROSS JOIN LATERAL (
		SELECT i.id, i.embedding <-> q.embedding AS d
		FROM items i ORDER BY i.embedding <-> q.embedding LIMIT $K) r
), kth AS (
	SELECT g.qid, i.embedding <-> q.embedding AS kd
	FROM gt g JOIN queries q USING (qid) JOIN items i ON i.id = g.ids[$K]
)
SELECT (SELECT count(*) FROM queries), count(*), coalesce(sum((res.d <= kth.kd)::int), 0)
FROM res JOIN kth USING (qid);
SQL
)

total=$((nq * K))
recall=$(awk -v c="$correct" -v t="$total" 'BEGIN { printf "%.4f", (t > 0 ? c / t : 0) }')
echo "flat_sift: $NB x $DIM base vectors, $nq queries, recall@$K = $recall ($correct / $total, $nres rows returned)"
if [ "$nq" -lt 1 ] || [ "$nres" -ne "$total" ] || [ "$correct" -ne "$total" ]; then
	echo "flat_sift: FAILED (expected recall@$K = 1.0)"
	exit 1
fi
echo "flat_sift: ok"
