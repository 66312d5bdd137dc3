# flat indexes of halfvec, bit and sparsevec on a primary and a streaming
# standby: after the build and after rounds of deletes, VACUUM (dense pages
# compacted, sparse items removed with PageIndexMultiDelete) and inserts, the
# standby's index scans return exactly the primary's rows, which are those
# of a sequential scan, and pgvq_index_check passes there.  Then a crash
# restart of the primary with an unlogged table of each kind.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('ft_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "autovacuum = off\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pgvq');
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('ft_standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

my %val = (
	h => "ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 16) WHERE i > 0)::halfvec(16)",
	b => "(SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') "
	  . "FROM generate_series(1, 70) WHERE i > 0)::bit(70)",
	s => "(SELECT ('{' || string_agg(j || ':' || round((random() + 0.5)::numeric, 3), ',' ORDER BY j) || '}/300')"
	  . " FROM (SELECT DISTINCT (1 + floor(random() * 300))::int j FROM generate_series(1, 1 + i % 40)) x)::sparsevec(300)",
);
my %type = (h => 'halfvec(16)', b => 'bit(70)', s => 'sparsevec(300)');
# [table, operator, opclass]
my @probes = (
	[ 'h', '<->', 'halfvec_l2_ops' ], [ 'h', '<=>', 'halfvec_cosine_ops' ],
	[ 'b', '<~>', 'bit_hamming_ops' ], [ 'b', '<%>', 'bit_jaccard_ops' ],
	[ 's', '<#>', 'sparsevec_ip_ops' ], [ 's', '<+>', 'sparsevec_l1_ops' ],);

$primary->safe_psql('postgres', 'SELECT setseed(0.3)');
for my $t (qw(h b s))
{
	$primary->safe_psql('postgres',
		"CREATE TABLE r_$t (id int, v $type{$t}); "
		  . "INSERT INTO r_$t SELECT i, $val{$t} FROM generate_series(1, 2000) i; "
		  . "INSERT INTO r_$t VALUES (0, NULL); "
		  . "CREATE TABLE q_$t (q int, v $type{$t}); "
		  . "INSERT INTO q_$t SELECT i, $val{$t} FROM generate_series(1, 3) i;");
}
for my $p (@probes)
{
	my ($t, $op, $opc) = @$p;
	$primary->safe_psql('postgres', "CREATE INDEX ON r_$t USING flat (v $opc)");
}

sub results
{
	my ($node, $p, $index) = @_;
	my ($t, $op) = @$p;
	my $sql = $index ? 'SET enable_seqscan = off;' : 'SET enable_indexscan = off; SET enable_bitmapscan = off;';
	for my $q (1 .. 3)
	{
		# distances: the order of equal distances is by TID in the index, arbitrary in a sort
		$sql .= " SELECT string_agg(d::text, ',') FROM (SELECT v $op (SELECT v FROM q_$t WHERE q = $q) d "
		  . "FROM r_$t ORDER BY v $op (SELECT v FROM q_$t WHERE q = $q) LIMIT 40) s;";
		$sql .= " SELECT count(*) FROM (SELECT id FROM r_$t WHERE v IS NOT NULL "
		  . "ORDER BY v $op (SELECT v FROM q_$t WHERE q = $q)) s;";
	}
	return $node->safe_psql('postgres', $sql);
}

sub compare
{
	my ($when) = @_;
	$primary->wait_for_catchup($standby);
	for my $p (@probes)
	{
		my $name = "$p->[0] $p->[1]";
		my $want = results($primary, $p, 0);
		is(results($primary, $p, 1), $want, "$when: primary index scan = sequential scan ($name)");
		is(results($standby, $p, 1), $want, "$when: standby index scan = primary's ($name)");
	}
	for my $t (qw(h b s))
	{
		is($standby->safe_psql('postgres',
				"SELECT count(*) FROM (SELECT pgvq_index_check(indexrelid, true) FROM pg_index "
				  . "WHERE indrelid = 'r_$t'::regclass) c"), '2', "$when: pgvq_index_check passes on the standby (r_$t)");
	}
}

compare('after the build');
for my $round (1 .. 3)
{
	for my $t (qw(h b s))
	{
		my $from = 2000 + $round * 1000;
		$primary->safe_psql('postgres',
			"DELETE FROM r_$t WHERE id % 5 = $round; VACUUM r_$t; "
			  . "INSERT INTO r_$t SELECT i, $val{$t} FROM generate_series($from, $from + 400) i;");
	}
	compare("round $round");
}

# crash restart with unlogged tables: the init forks are logged
for my $p (@probes)
{
	my ($t, $op, $opc) = @$p;
	$primary->safe_psql('postgres',
		"CREATE UNLOGGED TABLE IF NOT EXISTS u_$t (id int, v $type{$t}); "
		  . "CREATE INDEX ON u_$t USING flat (v $opc);");
}
$primary->safe_psql('postgres', "INSERT INTO u_$_ SELECT i, $val{$_} FROM generate_series(1, 300) i")
  for qw(h b s);
$primary->stop('immediate');
$primary->start;
sub ucount
{
	my ($t, $op) = @_;
	return $primary->safe_psql('postgres',
		"SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM u_$t ORDER BY v $op "
		  . "(SELECT v FROM q_$t WHERE q = 1)) s");
}
is(ucount($_->[0], $_->[1]), '0', "unlogged u_$_->[0] ($_->[1]): empty after the crash") for @probes;
$primary->safe_psql('postgres', "INSERT INTO u_$_ SELECT i, $val{$_} FROM generate_series(1, 50) i")
  for qw(h b s);
is(ucount($_->[0], $_->[1]), '50', "unlogged u_$_->[0] ($_->[1]): usable after the crash") for @probes;
is($primary->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT pgvq_index_check(indexrelid, true) FROM pg_index "
		  . "WHERE indrelid::regclass::text LIKE 'u\\__') c"), '6', 'pgvq_index_check passes on the unlogged indexes');

$standby->stop;
$primary->stop;
done_testing();
