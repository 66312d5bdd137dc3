#!/usr/bin/env bash
# Runs the pg_regress suite (make installcheck) against a throwaway cluster
# whose every server process runs under valgrind memcheck, and fails when
# valgrind reports an error whose stack passes through pgvq code.
#
#   scripts/valgrind.sh                                  the whole suite (slow: tens of minutes)
#   scripts/valgrind.sh vector_type flat_ops ivfpq_ops   a subset of sql/*.sql
#
# Environment:
#   PG_CONFIG           the PostgreSQL 15 to use (as for scripts/test.sh)
#   PGVQ_VG_CLUSTER     cluster directory (default /tmp/pgvq-valgrind); the valgrind
#                       logs are left in $PGVQ_VG_CLUSTER/vg/<pid>.log, pg_regress'
#                       results and diffs in $PGVQ_VG_CLUSTER/regress/
#   PGVQ_VG_PORT        port of its Unix socket (default 54398)
#   PGVQ_VG_STRICT=1    also fail on valgrind errors that do not involve pgvq
#   PGVQ_VG_NOBUILD=1   skip the build and install
#   PGVQ_VG_EXITCODE    status of a process with memcheck errors (default 128; 0 lets the
#                       suite run on, to collect suppressions for new Postgres noise)
#
# How it works.  pg_ctl starts "postgres" through a wrapper (pg_ctl -p) that
# execs valgrind --trace-children=yes --leak-check=no --error-exitcode=128
# --suppressions=test/valgrind.supp on the real postgres binary.  Backends are
# forked, not exec'd, so valgrind follows all of them.  A process in which
# memcheck finds an error exits with status 128, which the postmaster treats
# as a crash (it restarts and the running tests fail), so an error cannot
# pass unnoticed.  Debian's PostgreSQL is built without USE_VALGRIND: palloc
# chunks are not marked for memcheck, so invalid reads inside a palloc'd block
# go unseen (reads of never-written malloc'd memory, out-of-block accesses and
# uninitialised values used in branches or syscalls are still found), and
# the server itself writes uninitialised padding to files and sockets;
# test/valgrind.supp silences those Postgres-internal reports.  Afterwards the
# script splits every log into error records and prints each record with a
# frame in pgvq (pgvq.so, or a source file under src/ of this repository).
source "$(dirname "$0")/common.sh"

CL=${PGVQ_VG_CLUSTER:-/tmp/pgvq-valgrind}
PORT=${PGVQ_VG_PORT:-54398}
SUPP=$REPO/test/valgrind.supp
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }

if [ "${PGVQ_VG_NOBUILD:-0}" != 1 ]; then
	make -C "$REPO" -s -j "$JOBS" PG_CONFIG="$PG_CONFIG"
	make -C "$REPO" -s install PG_CONFIG="$PG_CONFIG"
fi

# A fresh cluster; initdb itself runs natively.
stop_cluster "$CL"
rm -rf "$CL"
mkdir -p "$CL/vg"
chown -R postgres: "$CL" 2>/dev/null || true
as_pg "$PGBIN/initdb" -D "$CL/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
cat >>"$CL/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$CL'
port = $PORT
fsync = off
shared_buffers = 64MB
maintenance_work_mem = 256MB
max_parallel_maintenance_workers = 0
max_parallel_workers_per_gather = 0
jit = off
autovacuum = off
ivfpq.build_threads = 2
# valgrind makes every process 20-50 times slower
statement_timeout = 0
deadlock_timeout = 10s
CONF

cat >"$CL/postgres-vg" <<WRAP
#!/bin/sh
exec valgrind --quiet --trace-children=yes --leak-check=no --error-exitcode=${PGVQ_VG_EXITCODE:-128} \\
	--track-origins=yes --num-callers=30 --fullpath-after= \\
	--suppressions=$SUPP --gen-suppressions=all \\
	--log-file=$CL/vg/%p.log \\
	$PGBIN/postgres "\$@"
WRAP
chmod 755 "$CL/postgres-vg"

cleanup() { stop_cluster "$CL"; }
trap cleanup EXIT
log "starting postgres under valgrind in $CL (port $PORT)"
as_pg "$PGBIN/pg_ctl" -D "$CL/data" -l "$CL/server.log" -p "$CL/postgres-vg" -t 600 -w start >/dev/null
export PGHOST=$CL PGPORT=$PORT PGUSER=postgres

log "make installcheck ${*:+REGRESS=\"$*\"}"
# Results go to the cluster directory, so a normal test run in the worktree
# can go on meanwhile.
mkdir -p "$CL/regress"
opts="--inputdir=$REPO --outputdir=$CL/regress --load-extension=pgvq"
regress_rc=0
if [ $# -gt 0 ]; then
	make -C "$REPO" -s installcheck PG_CONFIG="$PG_CONFIG" REGRESS_OPTS="$opts" REGRESS="$*" || regress_rc=$?
else
	make -C "$REPO" -s installcheck PG_CONFIG="$PG_CONFIG" REGRESS_OPTS="$opts" || regress_rc=$?
fi
[ $regress_rc -ne 0 ] && [ -f "$CL/regress/regression.diffs" ] && head -n 200 "$CL/regress/regression.diffs"
cleanup
trap - EXIT

# Split each log into error records (each ends at a line holding only
# "==PID== "); the suppressions valgrind generates for them are skipped.
log "valgrind reports"
report=$CL/vg-report.txt
: >"$report"
awk -v repo="$REPO/src/" '
	function flush() {
		if (rec != "" && rec ~ /(Invalid|uninitialised|Uninitialised|Mismatched|overlap|free\(\)|Syscall param|Source and destination|Argument .* of function)/) {
			total++
			if (index(rec, "pgvq.so") || index(rec, repo)) { ours++; printf "%s\n----\n", rec > "/dev/stderr" }
		}
		rec = ""
	}
	FNR == 1 { flush() }
	/^==[0-9]+== ?$/ { flush(); next }
	/^==[0-9]+== / { sub(/^==[0-9]+== /, ""); rec = rec $0 "\n"; next }
	/^\{/ { flush(); insupp = 1 }
	insupp { if ($0 ~ /^\}/) insupp = 0; next }
	END { flush(); printf "%d %d\n", total + 0, ours + 0 }
' "$CL"/vg/*.log 2>"$report" >"$CL/vg-counts.txt"
read -r total ours <"$CL/vg-counts.txt"
nlogs=$(ls "$CL"/vg/*.log | wc -l)
echo "valgrind logs: $nlogs processes; error records: $total; involving pgvq: $ours"
if [ "$ours" -gt 0 ]; then
	echo "*** valgrind errors in pgvq code:"
	cat "$report"
fi
if [ "$total" -gt "$ours" ]; then
	echo "other valgrind reports (Postgres-internal; add a suppression if they are noise):"
	grep -l -E 'Invalid|ninitialised|Syscall param' "$CL"/vg/*.log | head -n 20
fi
crashes=$(grep -c 'exited with exit code 128\|terminated by signal' "$CL/server.log" || true)
echo "server processes that exited with valgrind's status 128 or a signal: $crashes"
echo "make installcheck: $([ $regress_rc -eq 0 ] && echo passed || echo FAILED)"

rc=0
[ $regress_rc -ne 0 ] && rc=1
[ "$ours" -gt 0 ] && rc=1
[ "${PGVQ_VG_STRICT:-0}" = 1 ] && [ "$total" -gt 0 ] && rc=1
[ $rc -eq 0 ] && echo "valgrind: OK" || echo "valgrind: FAILED"
exit $rc
