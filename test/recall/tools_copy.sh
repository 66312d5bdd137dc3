#!/usr/bin/env bash
# pgvq_vecs copy: the text stream and the binary COPY stream (--binary) load
# the same vectors, bit for bit, and --binary refuses a non-finite element.
# Synthetic data: needs no dataset.  Environment as the other scripts here
# (PGVQ_TOOLS, PGHOST/PGPORT/PGUSER of a running server with pgvq installed).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VECS=${PGVQ_TOOLS:-$REPO/build/dev}/pgvq_vecs
DB=pgvq_tools_copy
[ -x "$VECS" ] || { echo "tools_copy: $VECS not built (set PGVQ_TOOLS)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

"$VECS" synth --n 3000 --d 77 --seed 11 --out "$TMP/x.fvecs"
psql_db -c "CREATE EXTENSION pgvq" -c "CREATE TABLE t (id int, v vector(77))" -c "CREATE TABLE b (id int, v vector(77))"
"$VECS" copy "$TMP/x.fvecs" | psql_db -c "COPY t FROM STDIN"
"$VECS" copy "$TMP/x.fvecs" --binary --offset 100 --limit 2500 | psql_db -c "COPY b FROM STDIN WITH (FORMAT binary)"
read -r n same lo hi < <(psql_db -At -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE t.v = b.v AND t.v::real[] = b.v::real[]), min(b.id), max(b.id) FROM b JOIN t USING (id)")
if [ "$n $same $lo $hi" != "2500 2500 100 2599" ]; then
	echo "tools_copy: FAIL: binary rows: $n joined, $same identical, ids $lo..$hi (want 2500 2500 100 2599)" >&2
	exit 1
fi

# A NaN in the file: the binary writer refuses it (the text writer does too).
# d = 3, then 1.0, NaN, 2.0 (little-endian float32)
printf '\x03\x00\x00\x00\x00\x00\x80\x3f\x00\x00\xc0\x7f\x00\x00\x00\x40' >"$TMP/nan.fvecs"
if "$VECS" copy "$TMP/nan.fvecs" --binary >/dev/null 2>"$TMP/err"; then
	echo "tools_copy: FAIL: a NaN element was written" >&2
	exit 1
fi
grep -q "non-finite" "$TMP/err" || { echo "tools_copy: FAIL: unexpected message: $(cat "$TMP/err")" >&2; exit 1; }
echo "tools_copy: text and binary COPY streams load identical vectors (2500 rows); NaN refused"
