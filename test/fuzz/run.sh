#!/usr/bin/env bash
# Builds the libFuzzer harnesses of the vector and sparsevec parsers with clang
# (-fsanitize=fuzzer,address,undefined) straight from the core parser sources,
# then runs each for a bounded time on a copy of the committed seed corpus.
# Exits non-zero if a build fails or a target finds a crash, a sanitizer
# report or a broken invariant (the reproducer lands in build/fuzz/artifacts/).
#
#   test/fuzz/run.sh                  every target (text binary halfbinary sparse), 20 s each
#   PGVQ_FUZZ_TIME=600 test/fuzz/run.sh text     one target, 10 minutes
#   test/fuzz/run.sh binary build/fuzz/artifacts/crash-...   replay one input
#
# Environment: CLANGXX (default clang++-14, then clang++), PGVQ_FUZZ_TIME
# (seconds per target, default 20), PGVQ_FUZZ_RUNS (max executions per
# target, default 5000000), PGVQ_FUZZ_DIR (build/work dir, default build/fuzz).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${PGVQ_FUZZ_DIR:-$REPO/build/fuzz}
TIME=${PGVQ_FUZZ_TIME:-20}
RUNS=${PGVQ_FUZZ_RUNS:-5000000}

CXX=${CLANGXX:-}
if [ -z "$CXX" ]; then
	for c in clang++-14 clang++; do
		if command -v "$c" >/dev/null; then CXX=$c; break; fi
	done
fi
[ -n "$CXX" ] || { echo "run.sh: no clang++ found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

targets=(text binary halfbinary sparse)
if [ $# -ge 1 ]; then targets=("$1"); shift; fi

mkdir -p "$OUT/artifacts"
FLAGS=(-std=c++17 -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I"$REPO/src/core")

build() {
	local t=$1
	echo "--- building fuzz_${t}_parse with $CXX"
	"$CXX" "${FLAGS[@]}" -o "$OUT/fuzz_${t}_parse" "$HERE/fuzz_${t}_parse.cpp" \
		"$REPO/src/core/text_parse.cpp" "$REPO/src/core/binary_parse.cpp" \
		"$REPO/src/core/half_binary_parse.cpp" "$REPO/src/core/sparse_parse.cpp"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

rc=0
for t in "${targets[@]}"; do
	[ -f "$HERE/fuzz_${t}_parse.cpp" ] || { echo "run.sh: unknown target $t (text, binary, halfbinary, sparse)" >&2; exit 2; }
	build "$t"
	bin=$OUT/fuzz_${t}_parse
	if [ $# -ge 1 ]; then
		# Replay the given inputs only.
		"$bin" "$@" || rc=1
		continue
	fi
	# New inputs go to a work corpus under build/; the committed seeds stay as they are.
	work=$OUT/corpus-$t
	mkdir -p "$work"
	opts=(-max_total_time="$TIME" -runs="$RUNS" -timeout=10 -rss_limit_mb=2048
		-max_len=4096 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-")
	[ -f "$HERE/$t.dict" ] && opts+=(-dict="$HERE/$t.dict")
	echo "--- fuzzing $t for at most ${TIME}s / $RUNS runs"
	if ! "$bin" "${opts[@]}" "$work" "$HERE/corpus/$t" 2>"$OUT/$t.log"; then
		tail -n 60 "$OUT/$t.log"
		echo "*** fuzz target $t FAILED (log: $OUT/$t.log)"
		rc=1
	else
		grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$OUT/$t.log" | tail -n 2 || true
	fi
done
exit $rc
