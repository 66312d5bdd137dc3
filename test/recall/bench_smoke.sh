#!/usr/bin/env bash
# The benchmark suite's smoke run (bench/run.sh --smoke, under a minute) on the
# test cluster (PGHOST/PGPORT from scripts/test.sh): every available index kind
# is built and swept on a tiny synthetic set, plans are checked with EXPLAIN,
# and the exact kinds (flat, sequential scans) must return recall@10 = 1.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$REPO/bench/run.sh" --smoke --no-build --out "$out"
