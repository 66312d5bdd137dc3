# flat indexes of halfvec, bit and sparsevec damaged on disk: pgvq_index_check
# reports each damage as index_corrupted naming the block, scans fail cleanly
# where the damage would make them read out of bounds, no backend crashes,
# and REINDEX repairs everything.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgvqPages;
use PgvqTest;

my $node = PostgreSQL::Test::Cluster->new('flat_types');
$node->init(extra => [$node->pg_version >= 18 ? ('--no-data-checksums') : ()]);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgvq');

my $BLCKSZ = 8192;
sub page { return $_[0] * $BLCKSZ; }

# name => [column type, opclass, values, query]
my %cases = (
	s_nnz   => ['sparsevec(50)', 'sparsevec_l2_ops', "('{' || (1 + i % 50) || ':1,' || (1 + (i + 7) % 50) || ':2}/50')::sparsevec", "'{1:1}/50'"],
	s_order => ['sparsevec(50)', 'sparsevec_l2_ops', "('{' || (1 + i % 25) || ':1,' || (26 + i % 25) || ':2}/50')::sparsevec", "'{1:1}/50'"],
	s_lp    => ['sparsevec(50)', 'sparsevec_ip_ops', "('{' || (1 + i % 50) || ':' || i || '}/50')::sparsevec", "'{1:1}/50'"],
	h_nan   => ['halfvec(4)', 'halfvec_l2_ops', "ARRAY[i, i % 7, i % 13, 1]::halfvec", "'[1,1,1,1]'"],
	h_kind  => ['halfvec(4)', 'halfvec_cosine_ops', "ARRAY[i, i % 7, i % 13, 1]::halfvec", "'[1,1,1,1]'"],
	b_pad   => ['bit(13)', 'bit_hamming_ops', "(i % 8192)::bit(13)", "B'1010101010101'"],
);
for my $c (sort keys %cases)
{
	my ($type, $opc, $val) = @{ $cases{$c} };
	$node->safe_psql('postgres',
		"CREATE TABLE t_$c (i int, v $type) WITH (autovacuum_enabled = off); "
		  . "INSERT INTO t_$c SELECT i, $val FROM generate_series(1, 1000) i; "
		  . "CREATE INDEX f_$c ON t_$c USING flat (v $opc);");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_$c', true)"), '', "f_$c passes before damage");
}
my %path = map { $_ => relation_file($node, "f_$_") } keys %cases;
$node->stop;

# a sparse page's item i (1-based): its line pointer's offset
sub item_off
{
	my ($path, $blk, $i) = @_;
	return page($blk) + (unpack('V', peek($path, page($blk) + 24 + ($i - 1) * 4, 4)) & 0x7FFF);
}
# entry 3 of block 1 claims 900 non-zero elements (its item is 28 bytes)
patch($path{s_nnz}, item_off($path{s_nnz}, 1, 3) + 8, pack('V', 900));
# entry 3 of block 1: its two indices swapped (not ascending)
my $o = item_off($path{s_order}, 1, 3);
my ($i0, $i1) = unpack('VV', peek($path{s_order}, $o + 12, 8));
patch($path{s_order}, $o + 12, pack('VV', $i1, $i0));
# line pointer 2 of block 1 points past the special area
patch($path{s_lp}, page(1) + 28, pack('V', (unpack('V', peek($path{s_lp}, page(1) + 28, 4)) & ~0x7FFF) | 8180));
# element 2 of entry 5 of block 1 becomes NaN (8-byte entries from offset 24)
patch($path{h_nan}, page(1) + 24 + 5 * 8 + 2, pack('v', 0x7E00));
# the meta page says float4 (kind 0) for a halfvec index
patch($path{h_kind}, page(0) + 24 + 28, pack('V', 0));
# entry 4 of block 1 gets a pad bit set (2-byte entries, 13 bits)
my $b = unpack('C', peek($path{b_pad}, page(1) + 24 + 4 * 2 + 1, 1));
patch($path{b_pad}, page(1) + 24 + 4 * 2 + 1, pack('C', $b | 0x01));
$node->start;

sub check_fails { index_check_fails($node, 'f_', 'false', @_) }

sub scan
{
	my ($case) = @_;
	my $q = $cases{$case}->[3];
	my $op = $case =~ /^b_/ ? '<~>' : $cases{$case}->[1] =~ /ip_ops/ ? '<#>'
	  : $cases{$case}->[1] =~ /cosine/ ? '<=>' : '<->';
	return $node->psql('postgres',
		"\\set VERBOSITY verbose\nSET enable_seqscan = off; SELECT count(*) FROM (SELECT i FROM t_$case ORDER BY v $op $q) s");
}

my ($ret, $out, $err);
check_fails('s_nnz', qr/corrupted (page )?at block 1.*size does not match its element count/s, 'names block 1 and the entry size');
($ret, $out, $err) = scan('s_nnz');
isnt($ret, 0, 's_nnz: a scan fails rather than reading past the item');
like($err, qr/XX002.*corrupted page at block 1/s, 's_nnz: the scan error is index_corrupted at block 1');

check_fails('s_order', qr/corrupted (page )?at block 1.*indices are not ascending/s, 'names block 1 and the index order');
($ret, $out, $err) = scan('s_order');
is($ret, 0, 's_order: a scan still runs');

check_fails('s_lp', qr/corrupted (page )?at block 1.*item pointer is out of bounds/s, 'names block 1 and the line pointer');
($ret, $out, $err) = scan('s_lp');
isnt($ret, 0, 's_lp: a scan fails');
like($err, qr/XX002/, 's_lp: index_corrupted');

check_fails('h_nan', qr/corrupted (page )?at block 1.*non-finite value at dimension 2/s, 'names block 1 and the NaN');

check_fails('h_kind', qr/corrupted (page )?at block 0.*element kind/s, 'names the meta page and the kind');
($ret, $out, $err) = scan('h_kind');
isnt($ret, 0, 'h_kind: a scan fails');
like($err, qr/XX002.*element kind/s, 'h_kind: the scan names the element kind');

check_fails('b_pad', qr/corrupted (page )?at block 1.*pad bits/s, 'names block 1 and the pad bits');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/, 'no backend crashed');

for my $c (sort keys %cases)
{
	$node->safe_psql('postgres', "REINDEX INDEX f_$c");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_$c', true)"), '', "f_$c passes after REINDEX");
	($ret, $out, $err) = scan($c);
	is($out, '1000', "$c: a scan returns every row after REINDEX");
}

$node->stop;
done_testing();
