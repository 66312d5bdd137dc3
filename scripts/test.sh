#!/usr/bin/env bash
# Runs every pgvq test suite on a fresh Debian 12 machine: installs what is
# missing, builds, installs, starts a throwaway cluster on a Unix socket, and
# runs unit (GoogleTest, also under ASan+UBSan), a bounded libFuzzer pass over
# the vector parsers, pg_regress, pgTAP, dataset recall checks and TAP
# (PostgreSQL::Test::Cluster) tests.  Exits non-zero on
# any failure.
#
#   scripts/test.sh            everything
#   PGVQ_TEST_ONLY="regress pgtap" scripts/test.sh   a subset
#     (suites: unit asan fuzz gpu regress pgtap recall tap concurrency pg17 pg18)
#   PGVQ_FUZZ_TIME=300 scripts/test.sh   a longer fuzz pass (seconds per target)
source "$(dirname "$0")/common.sh"

ONLY=${PGVQ_TEST_ONLY:-"unit asan fuzz gpu regress pgtap recall tap concurrency pg17 pg18"}
want() { [[ " $ONLY " == *" $1 "* ]]; }
failed=()
passed=()
run_suite() {
	local name=$1; shift
	log "suite: $name"
	if "$@"; then passed+=("$name"); else failed+=("$name"); echo "*** suite $name FAILED"; fi
}

install_deps
build_and_install

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
	else
		configure_gpu "$nvcc" &&
			cmake --build "$REPO/build/gpu" -j "$JOBS" &&
			ctest --test-dir "$REPO/build/gpu" --output-on-failure || rc=1
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
	if ! make -C "$REPO" -s installcheck PG_CONFIG="$PG_CONFIG"; then
		[ -f "$REPO/regression.diffs" ] && head -n 300 "$REPO/regression.diffs"
		return 1
	fi
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

log "summary"
echo "suites passed: ${passed[*]:-none}"
echo "suites failed: ${failed[*]:-none}"
echo "${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
