# Crash safety of an ivfpq retrain: VACUUM retrains an index created on an
# empty table and is held (the test-only setting ivfpq.retrain_pause_lock) at
#  1. after the training, before any page of the new structure is written;
#  2. after the new structure is written, before the catch-up and the switch;
#  3. after the switch, before the old pages can be reclaimed;
# rows are inserted meanwhile, and the server is stopped immediately.  After
# crash recovery the index checks clean (pgvq_index_check with
# heapallindexed), is the old structure (1, 2) or the new one (3), returns
# every row once and the exact nearest neighbours; the next VACUUM trains it
# (1, 2) or reclaims the replaced pages (3), reusing the pages the crashed
# retrain left behind.  Also: an index of on-disk version 2, 3 or an unknown
# one is refused with a hint to REINDEX, and REINDEX repairs it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib $FindBin::Bin;
use PgvqPages;
use PgvqTest;

my $KEY = 7100;
my $LISTS = 16;

my $node = PostgreSQL::Test::Cluster->new('retrain_crash');
# the version cases rewrite the meta page on disk: no data checksums (on by default from 18)
$node->init(extra => [$node->pg_version >= 18 ? ('--no-data-checksums') : ()]);
$node->append_conf('postgresql.conf',
	"autovacuum = off\nmaintenance_work_mem = '128MB'\nivfpq.build_threads = 2\n");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION pgvq;
} . clustered_vec_sql(16, 16, 4));

sub check_index
{
	my ($tbl, $what, $lists) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', "SELECT pgvq_index_check('${tbl}_idx', true)");
	is($rc, 0, "$what: pgvq_index_check passes") or diag($err);
	is($node->safe_psql('postgres', "SELECT lists FROM pgvq_ivfpq_list_stats('${tbl}_idx')"),
		$lists, "$what: $lists lists");
	is($node->safe_psql('postgres',
			"SET enable_seqscan = off; SET ivfpq.probes = 32768; SELECT count(*), count(DISTINCT id), sum(id)"
			  . " FROM (SELECT id FROM $tbl ORDER BY v <-> vec(0) LIMIT 100000000) s"),
		$node->safe_psql('postgres', "SELECT count(*), count(*), sum(id) FROM $tbl"),
		"$what: every row once through the index");
	my $top = "SELECT string_agg(id::text, ',') FROM (SELECT id FROM $tbl ORDER BY v <-> vec(-5) LIMIT 10) s";
	is($node->safe_psql('postgres', "SET enable_seqscan = off; SET ivfpq.probes = 32768; $top"),
		$node->safe_psql('postgres', "SET enable_indexscan = off; $top"),
		"$what: the exact nearest neighbours");
}

for my $point (1 .. 3)
{
	my $tbl = "t$point";
	$node->safe_psql('postgres', "CREATE TABLE $tbl (id int, v vector(16));"
		  . " CREATE INDEX ${tbl}_idx ON $tbl USING ivfpq (v) WITH (lists = $LISTS);"
		  . " INSERT INTO $tbl SELECT i, vec(i) FROM generate_series(1, 20000) i;");

	my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	my $holder = psql_session($node, $timer);
	$holder->run("SELECT pg_advisory_lock($KEY + $point);");

	my ($vout, $verr) = ('', '');
	my $vacuum = IPC::Run::start(
		[
			'psql', '-X', '-d', $node->connstr('postgres'),
			'-c', "SET ivfpq.retrain_pause_lock = $KEY", '-c', "VACUUM $tbl"
		],
		'>', \$vout, '2>', \$verr, $timer);
	$node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND objid = $KEY + $point AND NOT granted")
	  or die "the retrain never reached pause $point";
	$node->safe_psql('postgres', "INSERT INTO $tbl SELECT i, vec(i) FROM generate_series(20001, 20500) i");
	my $pages = $node->safe_psql('postgres', "SELECT pg_relation_size('${tbl}_idx') / 8192");

	$node->stop('immediate');
	eval { $vacuum->finish; };
	eval { $holder->finish; };
	$node->start;

	check_index($tbl, "crash at point $point", $point < 3 ? 1 : $LISTS);

	# VACUUM trains it (1, 2) or reclaims the old structure (3); then a retrain
	$node->safe_psql('postgres', 'SELECT txid_current()');
	$node->safe_psql('postgres', "VACUUM $tbl");
	check_index($tbl, "VACUUM after the crash at point $point", $LISTS);
	# (point 1 left no pages; a list may end in one more partly filled page)
	cmp_ok($node->safe_psql('postgres', "SELECT pg_relation_size('${tbl}_idx') / 8192"),
		'<=', $pages + 1 + $LISTS, "point $point: the pages the crash left behind are reused")
	  if $point > 1;
	$node->safe_psql('postgres', 'SELECT txid_current()');
	is($node->safe_psql('postgres', "SELECT lists, tuples FROM pgvq_ivfpq_retrain('${tbl}_idx')"),
		"$LISTS|20500", "point $point: a retrain after the crash");
	check_index($tbl, "retrain after the crash at point $point", $LISTS);
}

# On-disk versions 2 and 3 (list entries without the term T of version 4)
# and unknown versions are refused by scans, inserts, VACUUM and
# pgvq_index_check with SQLSTATE 55000 and a hint to REINDEX; REINDEX makes
# the index version 4 again.
$node->safe_psql('postgres', "CREATE TABLE tv (id int, v vector(16));"
	  . " INSERT INTO tv SELECT i, vec(i) FROM generate_series(1, 4000) i;"
	  . " CREATE INDEX tv_idx ON tv USING ivfpq (v) WITH (lists = 4);");
my $file = relation_file($node, 'tv_idx');
my $hdr = 24;
$node->stop;
is(unpack('V', peek($file, $hdr + 4, 4)), 4, 'a new build writes version 4');
for my $version (3, 2, 9)
{
	$node->stop if $version != 3;
	patch($file, $hdr + 4, pack('V', $version));
	$node->start;
	for my $sql ('SET enable_seqscan = off; SELECT id FROM tv ORDER BY v <-> vec(0) LIMIT 1',
		'INSERT INTO tv VALUES (0, vec(0))', 'VACUUM tv', "SELECT pgvq_index_check('tv_idx', true)")
	{
		my ($rc, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
		like($err,
			qr/ERROR:  55000: ivfpq index "tv_idx" has on-disk format version $version, this pgvq reads version 4.*\n.*HINT:  REINDEX the index/s,
			"version $version: refused with a hint to REINDEX ($sql)");
	}
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM tv'), '4000', 'the refused insert left no row');
$node->safe_psql('postgres', 'REINDEX INDEX tv_idx');
check_index('tv', 'after REINDEX', 4);
$node->safe_psql('postgres', "INSERT INTO tv SELECT i, vec(i) FROM generate_series(4001, 4500) i");
check_index('tv', 'after REINDEX and inserts', 4);
$file = relation_file($node, 'tv_idx');
$node->stop;
is(unpack('V', peek($file, $hdr + 4, 4)), 4, 'REINDEX wrote version 4');
$node->start;

done_testing();
