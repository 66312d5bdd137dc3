# pgvq_index_check against indexes corrupted on disk: each kind of damage is
# reported as index_corrupted naming the block (or, for a lost entry, the heap
# TID), and scans over the damaged index fail cleanly or keep working; the
# server never crashes.  The server is stopped once, every index patched, and
# started again.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgvqPages;
use PgvqTest;

my $node = PostgreSQL::Test::Cluster->new('check');
# pgvq's own page checks are under test: no data checksums (on by default from 18) to catch the damage first
$node->init(extra => [$node->pg_version >= 18 ? ('--no-data-checksums') : ()]);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgvq');

# flat page layout (src/flat.h): 24-byte header, vectors from offset 24,
# special area = last 16 bytes: nextblkno u32, flags u16, count u16, 3 x u16, page_id u16
my $BLCKSZ = 8192;
my $dim = 4;
my $cap = int(($BLCKSZ - 24 - 16) / ($dim * 4 + 6));    # 370 entries a page

# one table + flat index per kind of damage, 1000 rows = data blocks 1..3
my @cases = qw(pageid count vector cycle lower link magic dup dupdead);
for my $c (@cases)
{
	$node->safe_psql('postgres',
		"CREATE TABLE t_$c (i int, v vector($dim)) WITH (autovacuum_enabled = off); "
		  . "INSERT INTO t_$c SELECT i, ARRAY[i, i % 7, i % 13, 1]::vector FROM generate_series(1, 1000) i; "
		  . "CREATE INDEX f_$c ON t_$c USING flat (v);");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_$c', true)"), '', "f_$c passes before damage");
}
my %path = map { $_ => relation_file($node, "f_$_") } @cases;
# dupdead: the rows of the two entries that will share a TID are deleted (and
# not vacuumed), so no row the check's snapshot sees has that TID
my %dupdead;
$dupdead{flat} = delete_rows_of('t_dupdead', $path{dupdead}, flat_tid_at(1, 5), flat_tid_at(2, 0));
$node->stop;



sub page { return $_[0] * $BLCKSZ; }
sub special { return page($_[0] + 1) - 16; }

# A stored heap TID (bi_hi, bi_lo, offset as uint16) as "(block,offset)".
sub tid_text
{
	my ($hi, $lo, $off) = unpack('vvv', $_[0]);
	return '(' . (($hi << 16) | $lo) . ",$off)";
}

# Where entry i's TID is: flat from pd_upper up, ivfpq down from the special area.
sub flat_tid_at
{
	my ($blk, $i) = @_;
	return sub { return page($blk) + unpack('v', peek($_[0], page($blk) + 14, 2)) + $i * 6; };
}
sub ivfpq_tid_at { my ($blk, $i) = @_; return sub { return special($blk) - ($i + 1) * 12; }; }

# Deletes the rows whose TIDs the two entries hold (read after a checkpoint);
# returns the first one's TID.
sub delete_rows_of
{
	my ($table, $file, $at1, $at2) = @_;
	$node->safe_psql('postgres', 'CHECKPOINT');
	my @tids = map { tid_text(peek($file, $_->($file), 6)) } ($at1, $at2);
	$node->safe_psql('postgres', "DELETE FROM $table WHERE ctid IN ('$tids[0]', '$tids[1]')");
	return $tids[0];
}

# Copies entry at1's heap TID over entry at2's: one TID indexed twice.
sub duplicate_tid
{
	my ($file, $at1, $at2) = @_;
	my $tid = peek($file, $at1->($file), 6);
	patch($file, $at2->($file), $tid);
	return tid_text($tid);
}

# page id of block 2
patch($path{pageid}, special(2) + 14, pack('v', 0x1234));
# block 1 loses its last entry: count and pd_lower agree, the structure is fine
my $count1 = unpack('v', peek($path{count}, special(1) + 6, 2));
is($count1, $cap, 'block 1 is full');
patch($path{count}, special(1) + 6, pack('v', $count1 - 1));
patch($path{count}, page(1) + 12, pack('v', 24 + ($count1 - 1) * $dim * 4));
# a stored vector changes to another finite value (entry 5 of block 1)
patch($path{vector}, page(1) + 24 + 5 * $dim * 4, pack('f', 12345.5));
# the last page links back to the first
patch($path{cycle}, special(3), pack('V', 1));
# pd_lower of block 2 does not match its count
my $lower = unpack('v', peek($path{lower}, page(2) + 12, 2));
patch($path{lower}, page(2) + 12, pack('v', $lower - $dim * 4));
# a link past the end of the index
patch($path{link}, special(1), pack('V', 4242));
# the meta page's magic number
patch($path{magic}, page(0) + 24, pack('V', 0xDEADBEEF));
# entry 0 of block 2 gets the heap TID of entry 5 of block 1 (a live row, and
# for dupdead a deleted one)
my %duptid;
$duptid{$_} = duplicate_tid($path{$_}, flat_tid_at(1, 5), flat_tid_at(2, 0)) for qw(dup dupdead);
is($duptid{dupdead}, $dupdead{flat}, 'dupdead: the shared TID is the deleted row\'s');

$node->start;

sub check_fails { my ($case, $heapall, @rest) = @_; index_check_fails($node, 'f_', $heapall, $case, @rest) }

sub scan
{
	my ($case) = @_;
	return $node->psql('postgres',
		"SET enable_seqscan = off; SELECT count(*) FROM (SELECT i FROM t_$case ORDER BY v <-> '[1,1,1,1]') s");
}

check_fails('pageid', 'false', qr/index "f_pageid" is corrupted at block 2.*page id is 0x1234/s,
	'names block 2 and the page id');
my ($ret, $out, $err) = scan('pageid');
isnt($ret, 0, 'pageid: a scan fails');
like($err, qr/corrupted page at block 2/, 'pageid: the scan error names block 2');

is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_count', false)"), '',
	'count: the structure alone looks fine');
check_fails('count', 'true', qr/heap tuple \(\d+,\d+\) of table "t_count" has no entry in index "f_count"/,
	'heapallindexed names the missing heap TID');
($ret, $out, $err) = scan('count');
is($out, '999', 'count: a scan returns the entries left');

is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_vector', false)"), '',
	'vector: the structure alone looks fine');
check_fails('vector', 'true', qr/corrupted at block 1.*differs from the table row/s,
	'heapallindexed names the block with the changed vector');

check_fails('cycle', 'false', qr/corrupted at block 1.*reaches block 1 twice/s, 'the cycle is found at block 1');
($ret, $out, $err) = scan('cycle');
isnt($ret, 0, 'cycle: a scan fails rather than looping');
like($err, qr/cycle/, 'cycle: the scan reports the cycle');

check_fails('lower', 'false', qr/corrupted at block 2.*pd_lower/s, 'names block 2 and pd_lower');
($ret, $out, $err) = scan('lower');
isnt($ret, 0, 'lower: a scan fails');

check_fails('link', 'false', qr/corrupted at block 1.*link 4242 is out of range/s, 'names block 1 and the bad link');
($ret, $out, $err) = scan('link');
isnt($ret, 0, 'link: a scan fails');
like($err, qr/blocks? 4242|corrupted/, 'link: the scan error is clean');	# 17: "blocks 4242..4242"

# a row the snapshot sees, indexed twice: found by the heap scan; a deleted
# row's TID indexed twice: found when both pages are read again with VACUUM
# locked out
for my $c (qw(dup dupdead))
{
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_$c', false)"), '',
		"$c: the structure alone looks fine");
	check_fails($c, 'true',
		qr/corrupted at block 2.*Heap TID \Q$duptid{$c}\E is indexed twice \(blocks 1 and 2\)/s,
		'heapallindexed names the TID indexed twice and both blocks');
}

check_fails('magic', 'false', qr/corrupted at block 0.*magic number is 0xDEADBEEF/s, 'names the meta page');
($ret, $out, $err) = scan('magic');
isnt($ret, 0, 'magic: a scan fails');
($ret, $out, $err) = $node->psql('postgres', "INSERT INTO t_magic VALUES (0, '[1,2,3,4]')");
isnt($ret, 0, 'magic: an insert fails');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/, 'no backend crashed');

# REINDEX repairs every one of them
for my $c (@cases)
{
	$node->safe_psql('postgres', "REINDEX INDEX f_$c");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('f_$c', true)"), '', "f_$c passes after REINDEX");
}
is(scalar(scan('count')), 0, 'scans work after REINDEX');

$node->stop;

# ---- ivfpq ---------------------------------------------------------------
# layout for dims 4, lists 1, m 2, nbits 4 (src/ivfpq.h): block 0 meta,
# 1 centroids, 2 codebooks, 3 directory, 4.. the list's chain (582 entries a
# page: 2500 rows = blocks 4 to 8).  Special area = last 16 bytes: nextblkno
# u32, list u32, count u16, flags u16, gen u16, page_id u16.  Codes from
# offset 24 (m bytes each); slot i (TID, the error code, then the term T as a
# float4) at 8192 - 16 - (i + 1) * 12.
my $m = 2;
my @qcases = qw(pageid code count cycle dir magic dup dupdead gen cgen term);
$node->start;
for my $c (@qcases)
{
	$node->safe_psql('postgres',
		"CREATE TABLE q_$c (i int, v vector($dim)) WITH (autovacuum_enabled = off); "
		  . "INSERT INTO q_$c SELECT i, ARRAY[i % 17, i % 7, i % 13, 1]::vector FROM generate_series(1, 2500) i; "
		  . "CREATE INDEX x_$c ON q_$c USING ivfpq (v) WITH (lists = 1, m = $m, nbits = 4);");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('x_$c', true)"), '', "x_$c passes before damage");
}
%path = map { $_ => relation_file($node, "x_$_") } @qcases;
$dupdead{ivfpq} = delete_rows_of('q_dupdead', $path{dupdead}, ivfpq_tid_at(4, 0), ivfpq_tid_at(6, 0));
$node->stop;

is(unpack('V', peek($path{pageid}, page(3) + 24, 4)), 4, 'the list starts at block 4');
is(unpack('V', peek($path{pageid}, special(4), 4)), 5, 'block 4 links to block 5');
is(unpack('V', peek($path{pageid}, special(5), 4)), 6, 'block 5 links to block 6');
my $qcount6 = unpack('v', peek($path{count}, special(6) + 8, 2));
cmp_ok($qcount6, '>', 100, 'block 6 holds entries');

patch($path{pageid}, special(5) + 14, pack('v', 0x1234));
# a 4-bit code of 0xFF (first byte of entry 3 on block 4)
patch($path{code}, page(4) + 24 + 3 * $m, pack('C', 0xFF));
# block 6 loses its last entry: count, pd_lower and pd_upper agree
patch($path{count}, special(6) + 8, pack('v', $qcount6 - 1));
patch($path{count}, page(6) + 12, pack('v', 24 + ($qcount6 - 1) * $m));
patch($path{count}, page(6) + 14, pack('v', $BLCKSZ - 16 - ($qcount6 - 1) * 12));
# the term T of entry 2 on block 5 is off (the check recomputes it from the code)
my $term_at = special(5) - 3 * 12 + 8;
patch($path{term}, $term_at, pack('f', unpack('f', peek($path{term}, $term_at, 4)) + 0.5));
# block 6 links back to block 4
patch($path{cycle}, special(6), pack('V', 4));
# the list's start page in the directory points past the end
patch($path{dir}, page(3) + 24, pack('V', 9999));
patch($path{magic}, page(0) + 24, pack('V', 0xDEADBEEF));
# block 5 carries another generation (a page a retrain's reclaim reused)
patch($path{gen}, special(5) + 12, pack('v', 7));
# so does the centroid page (block 1), read when a backend loads the index
patch($path{cgen}, special(1) + 12, pack('v', 7));
# entry 1 of block 4 gets entry 0's heap TID (a live row: twice in one page);
# entry 0 of block 6 gets entry 0 of block 4's (a deleted row)
$duptid{qdup} = duplicate_tid($path{dup}, ivfpq_tid_at(4, 0), ivfpq_tid_at(4, 1));
$duptid{qdupdead} = duplicate_tid($path{dupdead}, ivfpq_tid_at(4, 0), ivfpq_tid_at(6, 0));
is($duptid{qdupdead}, $dupdead{ivfpq}, 'ivfpq dupdead: the shared TID is the deleted row\'s');
$node->start;

sub qcheck_fails { my ($case, $heapall, @rest) = @_; index_check_fails($node, 'x_', $heapall, $case, @rest) }

sub qscan
{
	my ($case) = @_;
	return $node->psql('postgres',
		"SET statement_timeout = '60s'; SET enable_seqscan = off; SET ivfpq.probes = 1; SET ivfpq.rerank = 5000; "
		  . "SELECT count(*) FROM (SELECT i FROM q_$case ORDER BY v <-> '[1,1,1,1]' LIMIT 3000) s");
}

qcheck_fails('pageid', 'false', qr/index "x_pageid" is corrupted at block 5.*page id is 0x1234/s, 'names block 5');
($ret, $out, $err) = qscan('pageid');
isnt($ret, 0, 'ivfpq pageid: a scan fails');
like($err, qr/block 5/, 'ivfpq pageid: the scan error names block 5');

qcheck_fails('code', 'false', qr/corrupted at block 4.*Entry 3 has code 255 for sub-quantizer 0, not below 2\^4/s,
	'names block 4, the entry and the code');
($ret, $out, $err) = qscan('code');
ok($ret == 0 || $err =~ /corrupt/, 'ivfpq code: a scan returns rows or fails cleanly');

is($node->safe_psql('postgres', "SELECT pgvq_index_check('x_count', false)"), '',
	'ivfpq count: the structure alone looks fine');
qcheck_fails('count', 'true', qr/heap tuple \(\d+,\d+\) of table "q_count" has no entry in index "x_count"/,
	'heapallindexed names the missing heap TID');
($ret, $out, $err) = qscan('count');
is($out, '2499', 'ivfpq count: a scan returns the entries left');

qcheck_fails('term', 'false', qr/corrupted at block 5.*Entry 2 stores the distance term [-0-9.e+]+, its code gives/s,
	'names block 5, the entry and its term');
($ret, $out, $err) = qscan('term');
is($out, '2500', 'ivfpq term: a scan still returns every row');

qcheck_fails('cycle', 'false', qr/corrupted at block 4.*reached twice/s, 'the cycle is found at block 4');
($ret, $out, $err) = qscan('cycle');
isnt($ret, 0, 'ivfpq cycle: a scan fails rather than looping');
unlike($err, qr/statement timeout/, 'ivfpq cycle: the scan stops by itself');

# A page of another generation: 40001 naming the block, not rows missed (a
# list page the scan reaches, the centroid page a backend loads first).
for my $g (['gen', 5, 'a list page'], ['cgen', 1, 'the centroid page'])
{
	my ($case, $blk, $what) = @$g;
	($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n"
		  . "SET enable_seqscan = off; SET ivfpq.probes = 1; SET ivfpq.rerank = 5000; "
		  . "SELECT count(*) FROM (SELECT i FROM q_$case ORDER BY v <-> '[1,1,1,1]' LIMIT 3000) s");
	isnt($ret, 0, "ivfpq $case: a scan reading $what of another generation fails");
	like($err, qr/40001.*x_$case" was retrained and block $blk reclaimed/s,
		"ivfpq $case: serialization failure naming block $blk");
}

qcheck_fails('dir', 'false', qr/corrupted at block 3.*List 0 starts at block 9999/s, 'names the directory block');
($ret, $out, $err) = qscan('dir');
isnt($ret, 0, 'ivfpq dir: a scan fails');

for my $c (qw(dup dupdead))
{
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('x_$c', false)"), '',
		"ivfpq $c: the structure alone looks fine");
}
qcheck_fails('dup', 'true', qr/corrupted at block 4.*Heap TID \Q$duptid{qdup}\E is indexed twice in block 4/s,
	'heapallindexed names the TID indexed twice in one block');
qcheck_fails('dupdead', 'true',
	qr/corrupted at block 6.*Heap TID \Q$duptid{qdupdead}\E is indexed twice \(blocks 4 and 6\)/s,
	'heapallindexed names the deleted row\'s TID indexed twice and both blocks');

qcheck_fails('magic', 'false', qr/corrupted at block 0.*magic number is 0xDEADBEEF/s, 'names the meta page');
($ret, $out, $err) = qscan('magic');
isnt($ret, 0, 'ivfpq magic: a scan fails');
($ret, $out, $err) = $node->psql('postgres', "INSERT INTO q_magic VALUES (0, '[1,2,3,4]')");
isnt($ret, 0, 'ivfpq magic: an insert fails');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up after the ivfpq cases');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/,
	'no backend crashed on a damaged ivfpq index');
for my $c (@qcases)
{
	$node->safe_psql('postgres', "REINDEX INDEX x_$c");
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('x_$c', true)"), '', "x_$c passes after REINDEX");
}

# Vectors of size ~1e-20: every entry's term T is subnormal, rounded to float
# with an absolute error the relative tolerance alone did not allow (the check
# reported a healthy index as corrupt), and the scan's bounds keep exact order.
$node->safe_psql('postgres',
	"CREATE TABLE tiny (i int, v vector(8)); "
	  . "INSERT INTO tiny SELECT i, (SELECT array_agg((sin(i * 12.9898 + k * 78.233) * 1e-20)::real) "
	  . "FROM generate_series(1, 8) k)::vector FROM generate_series(1, 2000) i; "
	  . "CREATE INDEX tiny_idx ON tiny USING ivfpq (v) WITH (lists = 4, m = 4);");
# (before: "Entry 0 stores the distance term 4.77324296e-41, its code gives 4.77324296e-41")
($ret, $out, $err) = $node->psql('postgres', "SELECT pgvq_index_check('tiny_idx', true)");
is($err, '', 'ivfpq over vectors of size 1e-20 (subnormal terms) passes the check');
my $tq = "(SELECT v FROM tiny WHERE i = 7)";
is( $node->safe_psql('postgres',
		"SET enable_seqscan = off; SET ivfpq.probes = 4; SET ivfpq.rerank = 0; "
		  . "SELECT array_agg(d ORDER BY n) FROM (SELECT row_number() OVER () n, d FROM "
		  . "(SELECT v <-> $tq d FROM tiny ORDER BY v <-> $tq LIMIT 50) s) s"),
	$node->safe_psql('postgres',
		"SELECT array_agg(d) FROM (SELECT v <-> $tq d FROM tiny ORDER BY 1 LIMIT 50) s"),
	'ivfpq over vectors of size 1e-20: distances in exact order');

$node->stop;
done_testing();
