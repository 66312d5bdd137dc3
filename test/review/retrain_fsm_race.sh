#!/usr/bin/env bash
# Review reproduction (manual, needs gdb and root; not part of the suite):
# GetFreeIndexPage finds a free page and marks it used in two steps, so two
# backends can get the same page.  The retrain's NextPage unlocked its page to
# poll for interrupts; an insert that got the same page from the free space
# map linked it into a live list meanwhile, and the retrain then overwrote it
# with a page of its new structure: the retrain failed ("corrupted page") and
# the live index was left corrupted (pgvq_index_check fails; REINDEX needed).
# gdb stops the retrain (A) at the relock in NextPage and makes the insert's
# (B) GetFreeIndexPage return that block, as the race does.
# Usage: PSQL="psql -h HOST -p PORT -U postgres" test/review/retrain_fsm_race.sh
# on a database with table t(id, n, v vector(16)) and ivfpq index ti whose free
# space map holds free pages (retrain, use an xid, VACUUM).  Fixed: the retrain
# succeeds and pgvq_index_check passes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
W=/tmp/pgvq-fsm-race; rm -rf $W; mkdir -p $W; chmod a+rwx $W
P=${PSQL:?set PSQL}
line=$(grep -n "LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);" "$here/../../src/ivfpq_retrain_write.c" | head -1 | cut -d: -f1)
sed "s/ivfpq_retrain_write.c:[0-9]*/ivfpq_retrain_write.c:$line/" "$here/retrain_fsm_race_a.py" > $W/a.py
cp "$here/retrain_fsm_race_b.py" $W/b.py
$P -qc "select pg_advisory_lock(9001), pg_sleep(12)" > $W/c.log 2>&1 &
sleep 1
$P -c "set ivfpq.retrain_pause_lock = 9000" -c "select * from pgvq_ivfpq_retrain('ti')" > $W/a.log 2>&1 &
$P -qAt -c "select pg_backend_pid()" -c "select pg_sleep(6)" \
	-c "insert into t(v) select ARRAY(SELECT 3.5 + 0.001*j FROM generate_series(1,16) j)::real[]::vector from generate_series(1,3000)" \
	-c "select 'B inserted'" > $W/b.log 2>&1 &
sleep 2
APID=$($P -Atc "select pid from pg_stat_activity where query like '%pgvq_ivfpq_retrain%' and pid<>pg_backend_pid() and wait_event_type='Lock'")
BPID=$(head -1 $W/b.log)
timeout 60 gdb -p "$APID" -batch -x $W/a.py > $W/gdb_a.log 2>&1 &
timeout 60 gdb -p "$BPID" -batch -x $W/b.py > $W/gdb_b.log 2>&1 &
for i in $(seq 1 40); do grep -q "B inserted" $W/b.log && break; sleep 1; done
touch $W/b_done; sleep 5; wait
grep -h "^A \|^B " $W/gdb_a.log $W/gdb_b.log
echo "--- the retrain:"; cat $W/a.log
echo "--- pgvq_index_check:"; $P -c "select pgvq_index_check('ti', true)" 2>&1 | tail -3
