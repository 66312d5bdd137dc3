# A damaged index must not break planning: the cost estimate runs for every
# plan, even with enable_indexscan off, so it never raises; the scan reports
# the corruption (XX002) and everything else on the table keeps working.
# Also: a flat meta page naming a data page past the end of the index makes
# INSERT fail with index_corrupted, not an I/O error.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgvqPages;

my $node = PostgreSQL::Test::Cluster->new('planner');
# pgvq's own page checks are under test: no data checksums (on by default from 18) to catch the damage first
$node->init(extra => [$node->pg_version >= 18 ? ('--no-data-checksums') : ()]);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgvq');

my $BLCKSZ = 8192;
for my $c (qw(magic header))
{
	$node->safe_psql('postgres',
		"CREATE TABLE q_$c (i int, v vector(4)); "
		  . "INSERT INTO q_$c SELECT i, ARRAY[i % 17, i % 7, i % 13, 1]::vector FROM generate_series(1, 500) i; "
		  . "CREATE INDEX x_$c ON q_$c USING ivfpq (v) WITH (lists = 2, m = 2);");
}
$node->safe_psql('postgres',
	"CREATE TABLE f_hint (i int, v vector(4)); "
	  . "INSERT INTO f_hint SELECT i, ARRAY[i, 1, 2, 3]::vector FROM generate_series(1, 10) i; "
	  . "CREATE INDEX y_hint ON f_hint USING flat (v);");
my %path = map { $_ => relation_file($node, $_) } qw(x_magic x_header y_hint);
$node->stop;


# the ivfpq meta page's magic number (our own verification: XX002)
patch($path{x_magic}, 24, pack('V', 0xDEADBEEF));
# the ivfpq meta page's header: pd_upper below pd_lower, which Postgres'
# own page check rejects before ours runs
patch($path{x_header}, 14, pack('v', 8));
# the flat meta page: one free-space hint (nfree at 64, hints from 68), block 1000
patch($path{y_hint}, 64, pack('V', 1));
patch($path{y_hint}, 68, pack('V', 1000));
$node->start;

for my $c (qw(magic header))
{
	my $q = "SELECT i FROM q_$c ORDER BY v <-> '[1,1,1,1]' LIMIT 3";
	my ($ret, $out, $err) = $node->psql('postgres', "SET enable_indexscan = off; EXPLAIN (COSTS OFF) $q");
	is($ret, 0, "$c: EXPLAIN plans with enable_indexscan off") or diag($err);
	like($out, qr/Seq Scan on q_$c/, "$c: the plan is a sequential scan");
	($ret, $out, $err) = $node->psql('postgres', "SET enable_indexscan = off; $q");
	is($ret, 0, "$c: the query runs without the index");
	like($out, qr/^1\n/, "$c: and gives the nearest row first");
	($ret, $out, $err) = $node->psql('postgres', "SET enable_seqscan = off; EXPLAIN (COSTS OFF) $q");
	is($ret, 0, "$c: EXPLAIN with the index preferred plans too") or diag($err);
	like($out, qr/Index Scan using x_$c/, "$c: the plan uses the index");
	($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nSET enable_seqscan = off; $q");
	isnt($ret, 0, "$c: the index scan fails");
	like($err, qr/XX00[12]/, "$c: with a data corruption SQLSTATE");
	is($node->safe_psql('postgres', "SELECT count(*) FROM q_$c WHERE i < 100"), '99', "$c: other queries on the table work");
}

my ($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nINSERT INTO f_hint VALUES (11, '[1,1,1,1]')");
isnt($ret, 0, 'flat: an insert through a hint past the end fails');
like($err, qr/XX002/, 'flat: with index_corrupted');
like($err, qr/names data page 1000, past the end/, 'flat: naming the hinted block');
unlike($err, qr/could not read block/, 'flat: not as an I/O error');
is($node->safe_psql('postgres', 'SELECT count(*) FROM f_hint'), '10', 'flat: no row was added');

$node->safe_psql('postgres', 'REINDEX INDEX y_hint');
$node->safe_psql('postgres', "INSERT INTO f_hint VALUES (11, '[1,1,1,1]')");
is($node->safe_psql('postgres', 'SELECT count(*) FROM f_hint'), '11', 'flat: inserts work after REINDEX');

$node->stop;
done_testing();
