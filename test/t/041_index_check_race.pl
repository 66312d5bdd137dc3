# pgvq_index_check(idx, true) beside VACUUM and INSERT: a dead row's heap TID
# is collected from the first list (ivfpq) or data page (flat), VACUUM removes
# the entry and frees the TID, and an INSERT reuses the TID with an entry on a
# list or page the walk reads later.  The walk then holds the TID twice, but
# the index never did: the check must pass.  The walk is paused at that point
# by the test-only setting pgvq.check_pause_lock (an advisory lock this test
# holds while it runs VACUUM and the INSERT), so nothing depends on timing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib $FindBin::Bin;
use PgvqTest;

my $node = PostgreSQL::Test::Cluster->new('check_race');
$node->init;
$node->append_conf('postgresql.conf', 'autovacuum = off');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgvq');

my $KEY = 4242;
my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);

# A session that stays open and holds the advisory lock the check pauses on.
my $holder = psql_session($node, $timer);

# Runs the check with the pause while the holder has the lock, lets $during
# change the table once the check waits at the pause, then lets the check go
# on.  Returns the check's exit status and stderr.
sub check_with_pause
{
	my ($index, $during) = @_;
	my ($out, $err) = ('', '');
	$holder->run("SELECT pg_advisory_lock($KEY);");
	my $check = IPC::Run::start(
		[
			'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres'),
			'-c', "SET pgvq.check_pause_lock = $KEY",
			'-c', 'SET client_min_messages = debug1',
			'-c', '\set VERBOSITY verbose',
			'-c', "SELECT pgvq_index_check('$index', true)"
		],
		'>', \$out, '2>', \$err, $timer);
	$node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND objid = $KEY AND NOT granted")
	  or die "the check never reached the pause";
	$during->();
	$holder->run("SELECT pg_advisory_unlock($KEY);");
	$check->finish;
	return ($check->result(0), $err);
}

# ---- ivfpq: two lists --------------------------------------------------------
# 30 rows near the origin, 10 near (100,100,100,100), all in heap block 0.
$node->safe_psql('postgres',
	"CREATE TABLE q (i int, v vector(4)) WITH (autovacuum_enabled = off);
	 INSERT INTO q SELECT i, CASE WHEN i % 4 = 0
	   THEN ARRAY[100 + i % 3, 100 + i % 5, 100 + i % 7, 100]
	   ELSE ARRAY[i % 3, i % 5, i % 7, 1] END::vector FROM generate_series(1, 40) i;
	 CREATE INDEX qi ON q USING ivfpq (v) WITH (lists = 2, m = 2, nbits = 4);");
is($node->safe_psql('postgres', "SELECT string_agg(tuples::text, ',' ORDER BY tuples) FROM pgvq_ivfpq_lists('qi')"),
	'10,30', 'ivfpq: the two clusters are the two lists');
# the row at (0,20) (i = 20, far cluster) or (0,21) (i = 21, origin) that is
# in list 0, the one walked first; the new row goes to the other cluster
my $far_first = $node->safe_psql('postgres', "SELECT tuples = 10 FROM pgvq_ivfpq_lists('qi') WHERE list = 0");
my ($victim, $newv, $list1) = $far_first eq 't' ? (20, '[1,1,1,1]', 31) : (21, '[100,100,100,100]', 11);
my $tid = $node->safe_psql('postgres', "SELECT ctid FROM q WHERE i = $victim");
$node->safe_psql('postgres', "DELETE FROM q WHERE i = $victim");

my ($rc, $err) = check_with_pause(
	'qi',
	sub {
		$node->safe_psql('postgres', 'VACUUM (INDEX_CLEANUP on) q');
		$node->safe_psql('postgres', "INSERT INTO q VALUES (1000, '$newv')");
		is($node->safe_psql('postgres', 'SELECT ctid FROM q WHERE i = 1000'), $tid,
			"ivfpq: the new row reuses the freed TID $tid");
		is($node->safe_psql('postgres', "SELECT tuples FROM pgvq_ivfpq_lists('qi') WHERE list = 1"), $list1,
			'ivfpq: its entry is in list 1, not walked yet');
	});
is($rc, 0, 'ivfpq: the check passes') or diag($err);
unlike($err, qr/is indexed twice/, 'ivfpq: no false duplicate');
like($err, qr/1 heap TIDs collected twice are not indexed twice/, 'ivfpq: the walk did collect the TID twice');
is($node->safe_psql('postgres', "SELECT pgvq_index_check('qi', true)"), '', 'ivfpq: a check afterwards passes');

# ---- flat: two data pages ----------------------------------------------------
# 400 rows: data page 1 holds the first 370 entries, page 2 the rest; heap
# blocks 0..2.  Rows (0,20)..(0,22) are deleted; VACUUM leaves three free slots
# on page 1 (the first free-space hint), which three non-HOT updates of rows in
# the last heap block (new versions stay in that block) fill again, so the
# INSERT's entry goes to page 2 while its heap tuple takes (0,20).
$node->safe_psql('postgres',
	"CREATE TABLE f (i int, v vector(4)) WITH (autovacuum_enabled = off);
	 INSERT INTO f SELECT i, ARRAY[i, i % 7, i % 13, 1]::vector FROM generate_series(1, 400) i;
	 CREATE INDEX fi ON f USING flat (v);");
is($node->safe_psql('postgres', "SELECT string_agg(ctid::text, ',' ORDER BY i) FROM f WHERE i BETWEEN 20 AND 22"),
	'(0,20),(0,21),(0,22)', 'flat: the rows to delete are at (0,20)..(0,22)');
$node->safe_psql('postgres', 'DELETE FROM f WHERE i BETWEEN 20 AND 22');

($rc, $err) = check_with_pause(
	'fi',
	sub {
		$node->safe_psql('postgres', 'VACUUM (INDEX_CLEANUP on) f');
		$node->safe_psql('postgres', "UPDATE f SET v = v + '[0,0,0,1]' WHERE i BETWEEN 398 AND 400");
		$node->safe_psql('postgres', "INSERT INTO f VALUES (1000, '[5,5,5,5]')");
		is($node->safe_psql('postgres', 'SELECT ctid FROM f WHERE i = 1000'), '(0,20)',
			'flat: the new row reuses the freed TID (0,20)');
	});
is($rc, 0, 'flat: the check passes') or diag($err);
unlike($err, qr/is indexed twice/, 'flat: no false duplicate');
like($err, qr/1 heap TIDs collected twice are not indexed twice/, 'flat: the walk did collect the TID twice');
is($node->safe_psql('postgres', "SELECT pgvq_index_check('fi', true)"), '', 'flat: a check afterwards passes');

# ---- the setting -------------------------------------------------------------
# (a cast to vector loads the library first, so the setting is defined)
my ($ret, $out, $serr) = $node->psql('postgres',
	"SELECT '[1]'::vector; CREATE ROLE plain; SET ROLE plain; SET pgvq.check_pause_lock = 1");
like($serr, qr/permission denied to set parameter "pgvq.check_pause_lock"/, 'only a superuser sets the pause');
is($node->safe_psql('postgres', "SELECT '[1]'::vector; SHOW pgvq.check_pause_lock"), "[1]\n0",
	'the setting is 0 (off) by default');
my $all = $node->safe_psql('postgres', "SELECT '[1]'::vector; SHOW ALL");
like($all, qr/pgvq\.flat_batch_size/, 'SHOW ALL lists the settings of pgvq');
unlike($all, qr/check_pause_lock/, 'but not the test-only one');

$holder->finish;
$node->stop;
done_testing();
