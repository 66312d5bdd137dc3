# Online training of an ivfpq index created on an empty table.  50,000 rows are
# loaded while other sessions insert (one row per transaction) and query; then
# VACUUM trains the index.  The retrain is held at its pause points (the
# test-only setting ivfpq.retrain_pause_lock) while more rows are inserted:
# after the training (before the new lists are written) and after the new
# structure is written (before the catch-up and the switch), one transaction
# stays open across the whole retrain, and the background inserter keeps going
# through the switch.  Afterwards the index is trained, pgvq_index_check(idx,
# true) passes, an index scan of every list returns every row exactly once,
# recall at probes 20 is at most 0.02 below a freshly built index's, and
# a streaming standby that replayed it all gives the same answers and checks
# clean; the replaced pages are reclaimed by a later VACUUM.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib $FindBin::Bin;
use PgvqTest;

my $KEY = 7000;
my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);

my $primary = PostgreSQL::Test::Cluster->new('retrain_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	"autovacuum = off\nmaintenance_work_mem = '256MB'\nivfpq.build_threads = 2\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pgvq');
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('retrain_standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

# 32 dimensions around 50 centres, with pseudo-random noise
$primary->safe_psql('postgres', clustered_vec_sql(50, 32, 10) . q{
	CREATE TABLE t (id int, v vector(32));
	CREATE TABLE stop (x int);
	CREATE SEQUENCE bg_seq START 1000001;
	CREATE INDEX ti ON t USING ivfpq (v vector_l2_ops);
});
is($primary->safe_psql('postgres', "SELECT lists FROM pgvq_ivfpq_list_stats('ti')"),
	'1', 'created on an empty table: untrained');

# Background sessions: an inserter and a querier, until a row is in stop
my @bg;
sub start_bg
{
	my ($name, $sql) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ 'psql', '-X', '-q', '-d', $primary->connstr('postgres'), '-c', $sql ],
		'>', \$out, '2>', \$err);
	push @bg, [ $name, $h, \$err ];
}
start_bg('inserter', q{DO $$ BEGIN LOOP
	EXIT WHEN EXISTS (SELECT FROM stop);
	INSERT INTO t SELECT i, vec(i) FROM (SELECT nextval('bg_seq')::int AS i) s;
	COMMIT;
END LOOP; END $$});
start_bg('querier', q{SET enable_seqscan = off; DO $$ DECLARE n int; k int := 0; BEGIN LOOP
	EXIT WHEN EXISTS (SELECT FROM stop);
	SELECT count(*) INTO n FROM (SELECT id FROM t ORDER BY v <-> vec(-1 - k % 7) LIMIT 5) s;
	k := k + 1;
END LOOP; END $$});

for my $b (0 .. 9)
{
	my ($lo, $hi) = ($b * 5000 + 1, $b * 5000 + 5000);
	$primary->safe_psql('postgres', "INSERT INTO t SELECT i, vec(i) FROM generate_series($lo, $hi) i");
}
ok($primary->safe_psql('postgres', 'SELECT last_value > 1000001 FROM bg_seq') eq 't',
	'the background inserter is running');

# A session holding the pause locks, one with a transaction open throughout
my $holder = psql_session($primary, $timer);
my $open = psql_session($primary, $timer);
$open->run("BEGIN;\nINSERT INTO t SELECT i, vec(i) FROM generate_series(3000001, 3000200) i;");

$holder->run("SELECT pg_advisory_lock($KEY + 1), pg_advisory_lock($KEY + 2);");
my ($vout, $verr) = ('', '');
my $vacuum = IPC::Run::start(
	[
		'psql', '-X', '-d', $primary->connstr('postgres'),
		'-c', "SET ivfpq.retrain_pause_lock = $KEY", '-c', 'SET client_min_messages = debug1',
		'-c', 'VACUUM t'
	],
	'>', \$vout, '2>', \$verr, $timer);

sub wait_pause
{
	my ($point) = @_;
	$primary->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND objid = $KEY + $point AND NOT granted")
	  or die "the retrain never reached pause $point";
}
wait_pause(1);
$primary->safe_psql('postgres', 'INSERT INTO t SELECT i, vec(i) FROM generate_series(2000001, 2000300) i');
$holder->run("SELECT pg_advisory_unlock($KEY + 1);");
wait_pause(2);
$primary->safe_psql('postgres', 'INSERT INTO t SELECT i, vec(i) FROM generate_series(2000301, 2000600) i');
$holder->run("SELECT pg_advisory_unlock($KEY + 2);");
$vacuum->finish;
is($vacuum->result(0), 0, 'VACUUM with the retrain succeeds');
like($verr, qr/ivfpq index "ti" retrained: \d+ lists \(was 1\)/, 'VACUUM retrained the index');

# the open transaction commits after the switch; the background sessions stop
$open->run('COMMIT;');
$open->finish;
$primary->safe_psql('postgres', 'INSERT INTO stop VALUES (1)');
for my $b (@bg)
{
	my ($name, $h, $err) = @$b;
	$h->finish;
	is($h->result(0), 0, "$name ran without error");
	unlike($$err, qr/ERROR/, "$name saw no error");
}

# Every row through the index: each list probed, nothing cut
my $count_sql = "SET enable_seqscan = off; SET ivfpq.probes = 32768;"
  . " SELECT count(*), count(DISTINCT id), sum(id) FROM"
  . " (SELECT id FROM t ORDER BY v <-> vec(0) LIMIT 100000000) s";
sub check_node
{
	my ($node, $what) = @_;
	my $lists = $node->safe_psql('postgres', "SELECT lists FROM pgvq_ivfpq_list_stats('ti')");
	cmp_ok($lists, '>', 1, "$what: the index is trained ($lists lists)");
	my ($rc, $out, $err) = $node->psql('postgres', "SELECT pgvq_index_check('ti', true)");
	is($rc, 0, "$what: pgvq_index_check(ti, true) passes") or diag($err);
	like($node->safe_psql('postgres', "SET enable_seqscan = off; EXPLAIN (COSTS OFF) "
			  . "SELECT id FROM t ORDER BY v <-> vec(0) LIMIT 10"),
		qr/Index Scan using ti/, "$what: the count uses the index");
	my $seq = $node->safe_psql('postgres', 'SELECT count(*), count(*), sum(id) FROM t');
	is($node->safe_psql('postgres', $count_sql), $seq, "$what: every row once through the index");
	is($node->safe_psql('postgres', $count_sql =~ s/FROM t ORDER/FROM t WHERE id > 1000000 ORDER/r),
		$node->safe_psql('postgres',
			'SELECT count(*), count(*), sum(id) FROM t WHERE id > 1000000'),
		"$what: every row inserted during the load and the retrain");
}
check_node($primary, 'primary');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
check_node($standby, 'standby');

# Recall at probes 20: retrained against freshly built, over 1,000 queries.
# Two trainings of this data differ: six fresh builds of a shuffled copy gave
# 0.9755-0.9795, and retrained indexes (sampled from a table that grew in
# another order) have measured 0.966-0.97 against 0.973-0.975 fresh; so the
# retrained index may be at most 0.02 below the fresh one (a retrain whose
# codes or centroids were wrong loses far more), and any amount above it.
$primary->safe_psql('postgres', q{
	CREATE TABLE queries AS SELECT g AS qid, vec(-g) AS v FROM generate_series(1, 1000) g;
	SET enable_indexscan = off;
	CREATE TABLE truth AS SELECT q.qid, s.id FROM queries q,
		LATERAL (SELECT id FROM t ORDER BY t.v <-> q.v LIMIT 10) s;
});
my $recall_sql = "SET enable_seqscan = off; SET ivfpq.probes = 20; SELECT round(count(*)::numeric / 10000, 4) FROM"
  . " (SELECT q.qid, s.id FROM queries q, LATERAL (SELECT id FROM t ORDER BY t.v <-> q.v LIMIT 10) s) a"
  . " JOIN truth ON truth.qid = a.qid AND truth.id = a.id";
my $r_retrained = $primary->safe_psql('postgres', $recall_sql);
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', $recall_sql), $r_retrained, 'standby: the same answers as the primary');

# the replaced pages are reclaimed once no snapshot from before the switch is left
# (the first retrain frees the untrained structure's pages; VACUUM frees the
# first trained structure's, which the second retrain reuses)
$primary->safe_psql('postgres', 'SELECT txid_current()');
$primary->safe_psql('postgres', "SELECT pgvq_ivfpq_retrain('ti')");
$primary->safe_psql('postgres', 'SELECT txid_current()');
$primary->safe_psql('postgres', 'VACUUM t');
my $pages = $primary->safe_psql('postgres', "SELECT pg_relation_size('ti') / 8192");
$primary->safe_psql('postgres', "SELECT pgvq_ivfpq_retrain('ti')");
# (the directory is a new page; a list may end in one more partly filled page)
my $lists = $primary->safe_psql('postgres', "SELECT lists FROM pgvq_ivfpq_list_stats('ti')");
cmp_ok($primary->safe_psql('postgres', "SELECT pg_relation_size('ti') / 8192"), '<=', $pages + 1 + $lists,
	'a retrain reuses the reclaimed pages');
check_node($primary, 'primary after reclaim and two more retrains');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
check_node($standby, 'standby after reclaim and two more retrains');

$primary->safe_psql('postgres', 'REINDEX INDEX ti');
my $r_fresh = $primary->safe_psql('postgres', $recall_sql);
note("recall\@10 at probes 20: retrained $r_retrained, freshly built $r_fresh");
cmp_ok($r_retrained, '>=', $r_fresh - 0.02, 'recall at most 0.02 below a freshly built index');

$holder->finish;
done_testing();
