#!/usr/bin/env bash
# Runs every pgvq test suite on a fresh Debian 12 machine: installs what is
# missing, builds, installs, starts a throwaway cluster on a Unix socket, and
# runs unit (GoogleTest, also under ASan+UBSan), a bounded libFuzzer pass over
# the vector parsers, pg_regress, pgTAP, dataset recall checks and TAP
# (PostgreSQL::Test::Cluster) tests.  Exits non-zero on any failure.
#
# The console gets one line per suite (passed / FAILED / skipped, seconds) and,
# for a failed suite, the details of its failures; everything every suite
# printed is in $PGVQ_TEST_LOG_DIR (build/test-logs): all.log and one
# SUITE.log each.
#
#   scripts/test.sh            everything
#   PGVQ_TEST_ONLY="regress pgtap" scripts/test.sh   a subset
#     (suites: unit asan fuzz gpu regress pgtap recall tap concurrency pg17 pg18)
#   PGVQ_FUZZ_TIME=300 scripts/test.sh   a longer fuzz pass (seconds per target)
source "$(dirname "$0")/common.sh"

ONLY=${PGVQ_TEST_ONLY:-"unit asan fuzz gpu regress pgtap recall tap concurrency pg17 pg18"}
want() { [[ " $ONLY " == *" $1 "* ]]; }
LOGDIR=${PGVQ_TEST_LOG_DIR:-$REPO/build/test-logs}
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
ALL_LOG=$LOGDIR/all.log
: >"$ALL_LOG"
failed=()
passed=()
skipped=()
summary=()
# A suite that finds nothing to run here writes why into $SUITE_NOTE and
# returns 77 (skipped); a suite that ran but left parts out writes a note and
# returns 0.
SUITE_NOTE=$LOGDIR/.note

# Lines of a failed suite's log worth reading first: TAP "not ok" and its
# diagnostics, test-runner failure lines, compiler and server errors.
failure_details() {
	grep -E -a 'not ok|^#|FAIL|Failed|failed|ERROR|error:|Error |\*\*\*|SKIP|Assertion|Sanitizer|^\s+(got|expected)' "$1" |
		grep -v -E '^# (Looks like you planned|Subtest:)|tests passed, 0 tests failed' | head -n 150
}

run_suite() {
	local name=$1 log=$LOGDIR/$1.log rc start secs note
	shift
	rm -f "$SUITE_NOTE"
	start=$(date +%s)
	printf '%-12s ... ' "$name"
	# in this shell, not a subshell: the cluster a suite starts is the next one's
	if "$@" >"$log" 2>&1; then rc=0; else rc=$?; fi
	secs=$(($(date +%s) - start))
	note=$(cat "$SUITE_NOTE" 2>/dev/null || true)
	{ echo "=== suite $name (rc $rc, ${secs}s)"; cat "$log"; } >>"$ALL_LOG"
	if [ $rc -eq 0 ]; then
		passed+=("$name")
		echo "passed (${secs}s)${note:+; $note}"
	elif [ $rc -eq 77 ]; then
		skipped+=("$name")
		echo "skipped (${secs}s): ${note:-nothing to run here}"
	else
		failed+=("$name")
		echo "FAILED (${secs}s), full output in $log"
		echo "----- $name: failures"
		failure_details "$log" | sed 's/^/  /'
		[ "$name" = regress ] && [ -f "$REPO/regression.diffs" ] && head -n 300 "$REPO/regression.diffs" | sed 's/^/  /'
		echo "----- end of $name"
	fi
}

# The set-up (packages, builds, install) goes to setup.log; on failure its tail.
setup() {
	local log=$LOGDIR/setup.log start
	start=$(date +%s)
	printf '%-12s ... ' setup
	if ! { install_deps && build_and_install; } >"$log" 2>&1; then
		echo "FAILED, full output in $log"
		tail -n 60 "$log"
		cat "$log" >>"$ALL_LOG"
		exit 1
	fi
	cat "$log" >>"$ALL_LOG"
	echo "done ($(($(date +%s) - start))s)"
}

echo "pgvq test suites ($ONLY); full logs in $LOGDIR"
setup

suite_unit() { ctest --test-dir "$REPO/build/dev" --output-on-failure -j "$JOBS"; }

suite_asan() {
	cmake -S "$REPO" -B "$REPO/build/asan" -DCMAKE_BUILD_TYPE=Debug -DPGVQ_SANITIZE=ON \
		-DPGVQ_BUILD_TOOLS=OFF >/dev/null &&
		cmake --build "$REPO/build/asan" -j "$JOBS" >/dev/null &&
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			ctest --test-dir "$REPO/build/asan" --output-on-failure -j "$JOBS"
}

suite_fuzz() {
	# libFuzzer (clang, ASan+UBSan) on the text and binary vector parsers:
	# PGVQ_FUZZ_TIME seconds per target (default 20); any crash fails.
	PGVQ_FUZZ_TIME=${PGVQ_FUZZ_TIME:-20} bash "$REPO/test/fuzz/run.sh"
}

suite_gpu() {
	# CI has nvcc but no GPU: configure and compile the CUDA module so a change
	# that breaks it fails here; its tests skip themselves without a device.
	# Then test/gpu/*.sh: the extension's side (pgvq.so links no CUDA; the
	# loader and pgvq.build_device against stand-in GPU modules).
	local nvcc rc=0 f
	nvcc=$(gpu_nvcc)
	if [ ! -f "$REPO/gpu/CMakeLists.txt" ]; then echo "gpu/ has no CMake project yet"; return 0; fi
	if [ -z "$nvcc" ]; then
		echo "SKIP: no nvcc (set CUDACXX); the CUDA module is not compiled"
		echo "CUDA module skipped (no nvcc); loader tests only" >"$SUITE_NOTE"
	else
		configure_gpu "$nvcc" &&
			cmake --build "$REPO/build/gpu" -j "$JOBS" &&
			ctest --test-dir "$REPO/build/gpu" --output-on-failure || rc=1
		if ! ls /dev/nvidia[0-9]* >/dev/null 2>&1; then
			echo "CUDA module compiled, its device tests skipped (no GPU)" >"$SUITE_NOTE"
		fi
	fi
	need_cluster
	for f in "$REPO"/test/gpu/*.sh; do
		[ -e "$f" ] || continue
		echo "--- $(basename "$f")"
		bash "$f" || rc=1
	done
	return $rc
}

CLUSTER=${PGVQ_TEST_CLUSTER:-/tmp/pgvq-test-cluster}
PORT=${PGVQ_TEST_PORT:-54329}
cluster_up=0
need_cluster() {
	if [ $cluster_up -eq 0 ]; then
		log "starting a throwaway cluster in $CLUSTER (port $PORT, Unix socket only)"
		start_cluster "$CLUSTER" "$PORT"
		cluster_up=1
		trap 'stop_cluster "$CLUSTER"' EXIT
	fi
}

suite_regress() {
	need_cluster
	make -C "$REPO" -s installcheck PG_CONFIG="$PG_CONFIG"
}

suite_pgtap() {
	need_cluster
	local files=("$REPO"/test/pgtap/*.sql)
	[ -e "${files[0]}" ] || { echo "no pgTAP tests"; return 1; }
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS pgvq_pgtap" -c "CREATE DATABASE pgvq_pgtap" &&
		psql -X -q -d pgvq_pgtap -c "CREATE EXTENSION pgtap" &&
		pg_prove -d pgvq_pgtap "${files[@]}"
}

suite_recall() {
	need_cluster
	local rc=0 f
	for f in "$REPO"/test/recall/*.sh; do
		[ -e "$f" ] || continue
		echo "--- $(basename "$f")"
		PGVQ_TOOLS="$REPO/build/dev" PGVQ_DATA="$PGVQ_DATA" bash "$f" || rc=1
	done
	return $rc
}

suite_tap() {
	local files=("$REPO"/test/t/*.pl)
	[ -e "${files[0]}" ] || { echo "no TAP tests"; return 0; }
	# TAP clusters are made by PostgreSQL::Test::Cluster, which must not run as root.
	local work=$CLUSTER-tap
	rm -rf "$work"; mkdir -p "$work"; cp -r "$REPO/test/t" "$work/"
	chown -R postgres: "$work" 2>/dev/null || true
	local pgxs
	pgxs=$(dirname "$("$PG_CONFIG" --pgxs)")/../..
	(cd "$work" && as_pg env PATH="$PGBIN:$PATH" PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
		PGVQ_DATA="$PGVQ_DATA" PGVQ_TOOLS="$REPO/build/dev" \
		PERL5LIB="$pgxs/src/test/perl" PG_CONFIG="$PG_CONFIG" \
		prove -v -I "$pgxs/src/test/perl" t/*.pl)
}

suite_concurrency() {
	# pgbench clients writing, querying and vacuuming at once (test/concurrency/run.sh)
	need_cluster
	PATH="$PGBIN:$PATH" PGVQ_SERVER_LOG="$CLUSTER/server.log" bash "$REPO/test/concurrency/run.sh"
}

# PostgreSQL 17 (trixie) and 18 (forky) in chroots: build, regress, pgTAP, TAP (scripts/test_pgversion.sh)
suite_pg17() { bash "$REPO/scripts/test_pgversion.sh" 17; }
suite_pg18() { bash "$REPO/scripts/test_pgversion.sh" 18; }

for s in unit asan fuzz gpu regress pgtap recall tap concurrency pg17 pg18; do
	want "$s" && run_suite "$s" "suite_$s"
done

echo
echo "suites passed: ${passed[*]:-none}"
[ ${#skipped[@]} -eq 0 ] || echo "suites skipped: ${skipped[*]}"
echo "suites failed: ${failed[*]:-none}"
echo "${#passed[@]} passed, ${#skipped[@]} skipped, ${#failed[@]} failed; full log: $ALL_LOG"
[ ${#failed[@]} -eq 0 ]
