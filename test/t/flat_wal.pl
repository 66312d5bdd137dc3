# flat index: WAL replay on a streaming standby (bloom's test shape; index
# scans compared with knn_sql: rows at equal distances in either order), crash
# restart with an unlogged table, and a corrupted page reported as
# index_corrupted instead of a crash.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgvqTest;

my $primary = PostgreSQL::Test::Cluster->new('flat_primary');
# pgvq's own page checks are under test: no data checksums (on by default from 18) to catch the damage first
$primary->init(allows_streaming => 1,
	extra => [$primary->pg_version >= 18 ? ('--no-data-checksums') : ()]);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pgvq');

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('flat_standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

my $dim = 8;
sub random_vectors
{
	my ($from, $to) = @_;
	return "SELECT i, ARRAY(SELECT random()::real FROM generate_series(1, $dim) WHERE i > 0)::vector "
	  . "FROM generate_series($from, $to) i";
}

$primary->safe_psql('postgres',
	"SELECT setseed(0.5); CREATE TABLE tst (i int, v vector($dim)); INSERT INTO tst "
	  . random_vectors(1, 2000)
	  . "; CREATE INDEX tst_flat ON tst USING flat (v);");

my $queries = join(' ', map { knn_sql('tst', '<->', "array_fill(0.$_, ARRAY[$dim])::vector", 20, 'i') . ';' } (1 .. 5));

sub check_same
{
	my ($what) = @_;
	$primary->wait_for_catchup($standby);
	my $q = "SET enable_seqscan = off; $queries";
	my $on_primary = $primary->safe_psql('postgres', $q);
	my $on_standby = $standby->safe_psql('postgres', $q);
	is($on_standby, $on_primary, "standby matches primary: $what");
	my $seq = $primary->safe_psql('postgres', "SET enable_indexscan = off; $queries");
	is($on_primary, $seq, "index matches sequential scan: $what");
}

check_same('after build');
for my $round (1 .. 6)
{
	my $base = 2000 + $round * 1000;
	$primary->safe_psql('postgres',
		"DELETE FROM tst WHERE i % 3 = $round % 3; VACUUM tst; INSERT INTO tst "
		  . random_vectors($base, $base + 600) . ";");
	check_same("delete/vacuum/insert round $round");
}
my $count = $standby->safe_psql('postgres',
	'SET enable_seqscan = off; SELECT count(*) FROM (SELECT i FROM tst ORDER BY v <-> array_fill(0, ARRAY[8])::vector) s');
my $heap_count = $standby->safe_psql('postgres', 'SELECT count(*) FROM tst');
is($count, $heap_count, 'standby index returns every row');

# unlogged table: after a crash the index is reset from its init fork
$primary->safe_psql('postgres',
	"CREATE UNLOGGED TABLE ul (i int, v vector($dim)); CREATE INDEX ul_flat ON ul USING flat (v); INSERT INTO ul "
	  . random_vectors(1, 500) . ";");
$primary->stop('immediate');
$primary->start;
is($primary->safe_psql('postgres',
	"SET enable_seqscan = off; SELECT count(*) FROM (SELECT i FROM ul ORDER BY v <-> array_fill(0, ARRAY[8])::vector) s"),
	'0', 'unlogged flat index is empty after a crash');
$primary->safe_psql('postgres', "INSERT INTO ul " . random_vectors(1, 300));
is($primary->safe_psql('postgres',
	"SET enable_seqscan = off; SELECT count(*) FROM (SELECT i FROM ul ORDER BY v <-> array_fill(0, ARRAY[8])::vector) s"),
	'300', 'unlogged flat index works after a crash');

# a corrupted data page: index_corrupted naming the block, no crash
$primary->safe_psql('postgres',
	"CREATE TABLE cor (i int, v vector(4)); INSERT INTO cor SELECT i, ARRAY[i, i, i, i]::vector FROM generate_series(1, 100) i; "
	  . "CREATE INDEX cor_flat ON cor USING flat (v);");
my $path = $primary->data_dir . '/'
  . $primary->safe_psql('postgres', "SELECT pg_relation_filepath('cor_flat')");
$primary->stop;
open(my $fh, '+<', $path) or die "open $path: $!";
binmode $fh;
# the page id of block 1: the last two bytes of the page
seek($fh, 2 * 8192 - 2, 0) or die;
print $fh pack('v', 0x1234);
close $fh;
$primary->start;
my ($ret, $out, $err) = $primary->psql('postgres',
	"SET enable_seqscan = off; SELECT i FROM cor ORDER BY v <-> '[1,1,1,1]' LIMIT 1");
isnt($ret, 0, 'a scan over a corrupted page fails');
like($err, qr/flat index "cor_flat" contains a corrupted page at block 1/, 'the error names the block');
($ret, $out, $err) = $primary->psql('postgres', "INSERT INTO cor VALUES (101, '[1,2,3,4]')");
like($err, qr/corrupted page at block 1/, 'an insert into the corrupted page fails cleanly');
is($primary->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
$primary->safe_psql('postgres', 'REINDEX INDEX cor_flat');
is($primary->safe_psql('postgres',
	"SET enable_seqscan = off; SELECT i FROM cor ORDER BY v <-> '[1,1,1,1]' LIMIT 1"),
	'1', 'REINDEX repairs it');

$standby->stop;
$primary->stop;
done_testing();
