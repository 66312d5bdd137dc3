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
# retrain left behind.  Also: an index of on-disk version 2 is read, written
# and retrained; an unknown version asks for a REINDEX.
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
# the version-2 case rewrites the meta page on disk: no data checksums (on by default from 18)
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

# On-disk version 2 (before retraining: a 64-byte meta page without the
# generation fields) is read and written as it is, and a retrain makes it
# version 3; an unknown version asks for a REINDEX.
$node->safe_psql('postgres', "CREATE TABLE tv (id int, v vector(16));"
	  . " INSERT INTO tv SELECT i, vec(i) FROM generate_series(1, 4000) i;"
	  . " CREATE INDEX tv_idx ON tv USING ivfpq (v) WITH (lists = 4);");
my $file = relation_file($node, 'tv_idx');
my $hdr = 24;
$node->stop;
is(unpack('V', peek($file, $hdr + 4, 4)), 3, 'a new build writes version 3');
patch($file, $hdr + 4, pack('V', 2));
patch($file, 12, pack('v', $hdr + 64));
patch($file, $hdr + 64, "\0" x 24);
$node->start;
check_index('tv', 'version 2', 4);
$node->safe_psql('postgres', "INSERT INTO tv SELECT i, vec(i) FROM generate_series(4001, 4500) i");
check_index('tv', 'version 2 after inserts', 4);
is($node->safe_psql('postgres', "SELECT lists, tuples FROM pgvq_ivfpq_retrain('tv_idx')"), '4|4500',
	'version 2: retrained');
check_index('tv', 'version 2 after a retrain', 4);
$node->stop;
is(unpack('V', peek($file, $hdr + 4, 4)), 3, 'the retrain wrote version 3');
patch($file, $hdr + 4, pack('V', 9));
$node->start;
my ($rc, $out, $err) = $node->psql('postgres',
	"SET enable_seqscan = off; SELECT id FROM tv ORDER BY v <-> vec(0) LIMIT 1");
like($err, qr/on-disk format version 9, this pgvq reads versions 2 to 3.*\n.*HINT:  REINDEX/s,
	'an unknown version asks for a REINDEX');
$node->safe_psql('postgres', 'REINDEX INDEX tv_idx');
check_index('tv', 'after REINDEX', 4);

done_testing();
