# ivfpq WAL: a streaming standby returns the same answers as the primary after
# the build (replayed from log_newpage_range), inserts (new pages linked into
# list chains), deletes + VACUUM (compaction, insertPage moved back) and more
# inserts into the reclaimed space.  Also: an unlogged table's index survives a
# crash restart (its init fork is WAL-logged).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "maintenance_work_mem = '64MB'\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pgvq');
$primary->safe_psql('postgres', 'CREATE TABLE t (id int, v vector(8))');

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

sub insert_rows
{
	my ($from, $to) = @_;
	$primary->safe_psql('postgres',
		"INSERT INTO t SELECT i, ARRAY(SELECT ((i * 7919 + j * 104729) % 1000) / 500.0 - 1"
		  . " FROM generate_series(1, 8) j WHERE i > 0)::real[]::vector"
		  . " FROM generate_series($from, $to) i");
}

my @queries = ('[0,0,0,0,0,0,0,0]', '[0.5,-0.5,0.5,-0.5,0.5,-0.5,0.5,-0.5]',
	'[-0.9,0.1,0.3,0.7,-0.2,0.4,0.8,-0.6]', '[1,1,1,1,-1,-1,-1,-1]');

sub answers
{
	my ($node) = @_;
	my $out = '';
	foreach my $op ('<->')
	{
		foreach my $q (@queries)
		{
			$out .= $node->safe_psql('postgres',
				"SET enable_seqscan = off; SET ivfpq.probes = 2; SET ivfpq.rerank = 50;"
				  . " SELECT string_agg(id::text, ',') FROM"
				  . " (SELECT id FROM t ORDER BY v $op '$q' LIMIT 20) s")
			  . "\n";
		}
	}
	$out .= $node->safe_psql('postgres',
		"SELECT string_agg(list || ':' || tuples || ':' || pages, ' ') FROM pgvq_ivfpq_lists('t_idx')");
	return $out;
}

sub check
{
	my ($what) = @_;
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
	my $p = answers($primary);
	my $s = answers($standby);
	is($s, $p, "standby matches primary after $what");
}

insert_rows(1, 5000);
$primary->safe_psql('postgres', 'CREATE INDEX t_idx ON t USING ivfpq (v vector_l2_ops) WITH (lists = 8, m = 4)');
check('build');

insert_rows(5001, 9000);
check('inserts');

for my $round (1 .. 3)
{
	$primary->safe_psql('postgres', "DELETE FROM t WHERE id % 4 = $round");
	$primary->safe_psql('postgres', 'VACUUM t');
	check("delete + VACUUM round $round");
	insert_rows(10000 * $round, 10000 * $round + 1500);
	check("inserts into reclaimed space, round $round");
}

my $n = $standby->safe_psql('postgres',
	'SET enable_seqscan = off; SELECT count(*) FROM (SELECT id FROM t ORDER BY v <-> \'[0,0,0,0,0,0,0,0]\' LIMIT 100000) s');
my $expected = $primary->safe_psql('postgres', 'SELECT count(*) FROM t');
is($n, $expected, 'an unbounded standby scan returns every row');

# unlogged table: crash restart resets it to the (logged) init fork
$primary->safe_psql('postgres',
	"CREATE UNLOGGED TABLE u (id int, v vector(4));"
	  . " INSERT INTO u SELECT i, ARRAY[i, i % 3, i % 5, 1]::real[]::vector FROM generate_series(1, 500) i;"
	  . " CREATE INDEX u_idx ON u USING ivfpq (v) WITH (lists = 4);");
$primary->stop('immediate');
$primary->start;
is($primary->safe_psql('postgres', 'SELECT count(*) FROM u'), '0', 'unlogged table empty after crash');
$primary->safe_psql('postgres', "INSERT INTO u VALUES (1, '[1,1,1,1]'), (2, '[5,5,5,5]')");
is($primary->safe_psql('postgres',
		"SET enable_seqscan = off; SELECT string_agg(id::text, ',') FROM (SELECT id FROM u ORDER BY v <-> '[4,4,4,4]') s"),
	'2,1', 'unlogged index works after crash restart');

done_testing();
