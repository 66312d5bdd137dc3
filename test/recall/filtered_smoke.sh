#!/usr/bin/env bash
# The filtered benchmark's smoke run (bench/filtered.sh --smoke, about a minute) on
# the test cluster (PGHOST/PGPORT from scripts/test.sh): synth:10000:16 with an
# independent and a correlated filter column keeping 10%, 1% and 0.1% of the rows,
# without and with a btree, every available method measured with its plan checked.
# Fails when a run fails, or when an exact method returns recall@10 below 1 or an
# unfilled LIMIT against the exact filtered answer: the sequential scan, btree +
# sort, flat, and ivfpq with ivfpq.probes = lists.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$REPO/bench/filtered.sh" --smoke --no-build --out "$out"
