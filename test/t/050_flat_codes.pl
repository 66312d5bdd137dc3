# The flat index's codes (the first pass's compressed copy of each vector,
# src/flat.h) damaged on disk: pgvq_index_check finds codes that no longer
# bound their vector and impossible code headers, scans refuse an impossible
# header where they read it, and an index of an older on-disk version reports
# it with a REINDEX hint.  REINDEX repairs everything.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgvqPages;
use PgvqTest;

my $node = PostgreSQL::Test::Cluster->new('flatcodes');
# pgvq's own page checks are under test: no data checksums (on by default from 18) to catch the damage first
$node->init(extra => [$node->pg_version >= 18 ? ('--no-data-checksums') : ()]);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgvq');

# layout at 32 dimensions: entry = 128 float bytes + 6 TID bytes + 48 code
# bytes (16-byte header lo, step, err, norm; then 32 codes); 44 entries a
# page; the codes of entry i at special - 44 * 48 + i * 48
my $BLCKSZ = 8192;
my $dim = 32;
my $stride = 16 + $dim;
my $cap = int(($BLCKSZ - 24 - 16) / ($dim * 4 + 6 + $stride));
is($cap, 44, 'entries a page');

my @cases = qw(code err norm version);
for my $c (@cases)
{
	$node->safe_psql('postgres',
		"CREATE TABLE t_$c (i int, v vector($dim)) WITH (autovacuum_enabled = off); "
		  . "INSERT INTO t_$c SELECT i, ARRAY(SELECT ((i * j) % 17)::real FROM generate_series(1, $dim) j)::vector "
		  . "FROM generate_series(1, 300) i; "
		  . "CREATE INDEX f_$c ON t_$c USING flat (v);");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_$c', true)"), '', "f_$c passes before damage");
}
my %path = map { $_ => relation_file($node, "f_$_") } @cases;
$node->stop;



sub codes_at { my ($blk, $i) = @_; return ($blk + 1) * $BLCKSZ - 16 - $cap * $stride + $i * $stride; }

# a code byte of entry 3 in block 1 moves by 128 steps
my $off = codes_at(1, 3) + 16 + 5;
patch($path{code}, $off, pack('C', unpack('C', peek($path{code}, $off, 1)) ^ 0x80));
# the error bound of entry 2 in block 2 becomes negative
patch($path{err}, codes_at(2, 2) + 8, pack('f', -1.0));
# the norm of entry 0 in block 1 becomes 0 (a zero row's)
patch($path{norm}, codes_at(1, 0) + 12, pack('f', 0.0));
# the meta page says on-disk version 1 (magic u32 at 24, version u32 at 28)
is(unpack('V', peek($path{version}, 28, 4)), 2, 'the on-disk version is 2');
patch($path{version}, 28, pack('V', 1));

$node->start;

sub check_fails { index_check_fails($node, 'f_', 'false', @_) }

# a scan in passes of 2: every page after the first goes through the codes
sub scan
{
	my ($case) = @_;
	return $node->psql('postgres',
		"\\set VERBOSITY verbose\nSET enable_seqscan = off; SET pgvq.flat_batch_size = 2; "
		  . "SELECT count(*) FROM (SELECT i FROM t_$case ORDER BY v <-> "
		  . "(SELECT v FROM t_$case WHERE i = 150) LIMIT 5) s");
}

check_fails('code', qr/corrupted at block 1.*Entry 3's codes differ from its vector by more than their error bound/s,
	'a code byte no longer bounded by the error');
my ($ret, $out, $err) = scan('code');
ok($ret == 0 || $err =~ /XX002/, 'code: a scan returns rows or fails cleanly');

check_fails('err', qr/corrupted at block 2.*Entry 2 has a code header with impossible values/s,
	'a negative error bound');
($ret, $out, $err) = scan('err');
isnt($ret, 0, 'err: a scan through the codes fails');
like($err, qr/XX002.*corrupted page at block 2.*code header holds impossible values/s,
	'err: the scan names the block and the header');

check_fails('norm', qr/corrupted at block 1.*Entry 0's code header does not hold its vector's norm/s,
	'a zero norm for a non-zero vector');

($ret, $out, $err) = scan('version');
isnt($ret, 0, 'version: a scan of an old index fails');
like($err, qr/0A000/, 'version: SQLSTATE feature_not_supported');
like($err, qr/flat index "f_version" has unsupported on-disk version 1/, 'version: names the version');
like($err, qr/reads flat indexes of version 2 only/, 'version: says which version is read');
like($err, qr/HINT:\s+Rebuild it with REINDEX INDEX f_version\./, 'version: the REINDEX hint');
($ret, $out, $err) = $node->psql('postgres', "INSERT INTO t_version SELECT 0, v FROM t_version LIMIT 1");
like($err, qr/unsupported on-disk version 1/, 'version: an insert reports it too');
check_fails('version', qr/corrupted at block 0.*The on-disk version is 1, expected 2/s, 'pgvq_index_check too');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/,
	'no backend crashed on a damaged flat index');
for my $c (@cases)
{
	$node->safe_psql('postgres', "REINDEX INDEX f_$c");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_$c', true)"), '', "f_$c passes after REINDEX");
	($ret, $out, $err) = scan($c);
	is($out, '5', "f_$c: a scan works after REINDEX");
}

$node->stop;
done_testing();
