#!/usr/bin/env bash
# Recall@10 of ivfpq on sift-5k-128-euclidean (4000 x 128, L2; 200 of its
# queries, the dataset's exact ground truth).  Settings: lists = 16, m = 32
# (the default for 128 dims), nbits = 8; ivfpq.probes = 8, ivfpq.rerank = 100.
# Needs a running server (PGHOST/PGPORT/PGUSER), $PGVQ_DATA and
# $PGVQ_TOOLS/pgvq_vecs; prints SKIP and succeeds when the data is absent.
set -euo pipefail
DATA=${PGVQ_DATA:-$(dirname "$0")/../../../shared/data}/sift-5k-128-euclidean
VECS=${PGVQ_TOOLS:-build/dev}/pgvq_vecs
MIN_RECALL=${MIN_RECALL:-0.97}
if [ ! -f "$DATA/base.fvecs" ]; then
	echo "SKIP: no sift-5k data at $DATA (set PGVQ_DATA)"
	exit 0
fi
[ -x "$VECS" ] || { echo "ivfpq_sift: $VECS not built (set PGVQ_TOOLS)" >&2; exit 1; }
DB=pgvq_recall_ivfpq_sift
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB"' EXIT
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
$P -c "CREATE EXTENSION pgvq" \
	-c "CREATE TABLE base (id int, v vector(128))" \
	-c "CREATE TABLE query (id int, v vector(128))" \
	-c "CREATE TABLE gt (id int, ids int[])"
"$VECS" copy "$DATA/base.fvecs" | $P -c "COPY base FROM STDIN"
"$VECS" copy "$DATA/query.fvecs" --limit 200 | $P -c "COPY query FROM STDIN"
"$VECS" ivecs "$DATA/groundtruth.ivecs" --limit 200 --k 10 | $P -c "COPY gt FROM STDIN"
start=$(date +%s.%N)
$P -c "CREATE INDEX ON base USING ivfpq (v vector_l2_ops) WITH (lists = 16)"
end=$(date +%s.%N)
recall=$($P -At <<'SQL'
SET enable_seqscan = off;
SET ivfpq.probes = 8;
SET ivfpq.rerank = 100;
SELECT round(avg((SELECT count(*) FROM unnest(r.ids) x WHERE x = ANY (g.ids)) / 10.0), 4)
FROM (SELECT q.id, ARRAY(SELECT b.id FROM base b ORDER BY b.v <-> q.v LIMIT 10) AS ids FROM query q) r
JOIN gt g USING (id);
SQL
)
printf 'ivfpq sift-5k: build %.2fs, recall@10 = %s (minimum %s)\n' "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$recall" "$MIN_RECALL"
awk -v r="$recall" -v m="$MIN_RECALL" 'BEGIN { exit !(r >= m) }'
