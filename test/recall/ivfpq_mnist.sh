#!/usr/bin/env bash
# Recall@10 of ivfpq on the first 20,000 rows of mnist-784-euclidean (L2) with
# 200 of its queries; the exact answers over those rows come from a sequential
# scan.  Default settings throughout, as a user gets them: lists = 565
# (4 sqrt(rows)), m = 196 (4 dims a code byte), nbits = 8, ivfpq.probes = 30,
# ivfpq.rerank = 0 (exact order within the lists reached).  Needs a running server (PGHOST/PGPORT/PGUSER),
# $PGVQ_DATA and $PGVQ_TOOLS/pgvq_vecs; prints SKIP and succeeds when the data
# is absent.
set -euo pipefail
DATA=${PGVQ_DATA:-$(dirname "$0")/../../../shared/data}/mnist-784-euclidean
VECS=${PGVQ_TOOLS:-build/dev}/pgvq_vecs
MIN_RECALL=${MIN_RECALL:-0.97}
ROWS=${ROWS:-20000}
if [ ! -f "$DATA/base.bvecs" ]; then
	echo "SKIP: no mnist data at $DATA (set PGVQ_DATA)"
	exit 0
fi
[ -x "$VECS" ] || { echo "ivfpq_mnist: $VECS not built (set PGVQ_TOOLS)" >&2; exit 1; }
DB=pgvq_recall_ivfpq_mnist
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB"' EXIT
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
$P -c "CREATE EXTENSION pgvq" \
	-c "CREATE TABLE base (id int, v vector(784))" \
	-c "CREATE TABLE query (id int, v vector(784))"
"$VECS" copy "$DATA/base.bvecs" --limit "$ROWS" | $P -c "COPY base FROM STDIN"
"$VECS" copy "$DATA/query.bvecs" --limit 200 | $P -c "COPY query FROM STDIN"
# exact answers by sequential scan
$P <<'SQL'
SET enable_indexscan = off;
SET enable_bitmapscan = off;
CREATE TABLE gt AS
	SELECT q.id, ARRAY(SELECT b.id FROM base b ORDER BY b.v <-> q.v, b.id LIMIT 10) AS ids FROM query q;
SQL
start=$(date +%s.%N)
$P -c "SET maintenance_work_mem = '256MB'" -c "CREATE INDEX ON base USING ivfpq (v vector_l2_ops)"
end=$(date +%s.%N)
recall=$($P -At <<'SQL'
SET enable_seqscan = off;
SELECT round(avg((SELECT count(*) FROM unnest(r.ids) x WHERE x = ANY (g.ids)) / 10.0), 4)
FROM (SELECT q.id, ARRAY(SELECT b.id FROM base b ORDER BY b.v <-> q.v LIMIT 10) AS ids FROM query q) r
JOIN gt g USING (id);
SQL
)
printf 'ivfpq mnist-784 (%s rows): build %.2fs, recall@10 = %s (minimum %s)\n' "$ROWS" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$recall" "$MIN_RECALL"
awk -v r="$recall" -v m="$MIN_RECALL" 'BEGIN { exit !(r >= m) }'
