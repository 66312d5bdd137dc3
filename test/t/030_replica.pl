# Streaming replication: flat and ivfpq indexes on a primary and a streaming
# standby.  After the build, rounds of inserts, updates, deletes and VACUUM,
# REINDEX and REINDEX CONCURRENTLY, the standby returns exactly what the
# primary returns for a set of queries (and an exact index scan what a
# sequential scan returns, rows at equal distances in either order: knn_sql),
# and pgvq_index_check (with heapallindexed: it runs under a hot standby's
# MVCC snapshot) passes there.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use PgvqTest;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "autovacuum = off\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pgvq');
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

my $dim = 12;
$primary->safe_psql('postgres', qq{
	SELECT setseed(0.7);
	CREATE FUNCTION rv() RETURNS vector LANGUAGE sql VOLATILE
		AS \$\$ SELECT array_agg(random()::real)::vector($dim) FROM generate_series(1, $dim) \$\$;
	CREATE TABLE qs (q int, v vector($dim));
	INSERT INTO qs SELECT q, rv() FROM generate_series(1, 5) q;
	CREATE TABLE r_flat (id int, v vector($dim));
	CREATE TABLE r_ivfpq (id int, v vector($dim));
	INSERT INTO r_flat SELECT i, rv() FROM generate_series(1, 3000) i;
	INSERT INTO r_ivfpq SELECT * FROM r_flat;
	INSERT INTO r_flat VALUES (0, NULL);
	INSERT INTO r_ivfpq VALUES (0, NULL);
	CREATE INDEX r_flat_idx ON r_flat USING flat (v);
	CREATE INDEX r_flat_cos ON r_flat USING flat (v vector_cosine_ops);
	CREATE INDEX r_ivfpq_idx ON r_ivfpq USING ivfpq (v) WITH (lists = 8, m = 4);
	CREATE INDEX r_ivfpq_ip ON r_ivfpq USING ivfpq (v vector_ip_ops) WITH (lists = 6, m = 6, nbits = 4);
});

# [index, table, operator, settings]; both the exact ivfpq settings (every
# list, everything re-ranked) and the default ones (approximate: the standby
# must still return the very same rows)
my @probes = (
	[ 'r_flat_idx', 'r_flat', '<->', '' ],
	[ 'r_flat_cos', 'r_flat', '<=>', '' ],
	[ 'r_ivfpq_idx', 'r_ivfpq', '<->', 'SET ivfpq.probes = 8; SET ivfpq.rerank = 10000;' ],
	[ 'r_ivfpq_idx', 'r_ivfpq', '<->', '' ],
	[ 'r_ivfpq_ip', 'r_ivfpq', '<#>', 'SET ivfpq.probes = 6; SET ivfpq.rerank = 10000;' ],
	[ 'r_ivfpq_ip', 'r_ivfpq', '<#>', 'SET ivfpq.probes = 2;' ],);

sub results
{
	my ($node, $p, $index) = @_;
	my ($idx, $t, $op, $set) = @$p;
	my $sql = $index ? "SET enable_seqscan = off; $set" : 'SET enable_indexscan = off;';
	for my $q (1 .. 5)
	{
		$sql .= ' ' . knn_sql($t, $op, "(SELECT v FROM qs WHERE q = $q)", 25) . ';';
	}
	return $node->safe_psql('postgres', $sql);
}

sub check_all
{
	my ($what) = @_;
	$primary->wait_for_catchup($standby);
	for my $p (@probes)
	{
		my ($idx, $t, $op, $set) = @$p;
		my $on_primary = results($primary, $p, 1);
		my $plan = $standby->safe_psql('postgres',
			"SET enable_seqscan = off; $set EXPLAIN (COSTS OFF) SELECT id FROM $t ORDER BY v $op (SELECT v FROM qs WHERE q = 1) LIMIT 25");
		like($plan, qr/Index Scan using $idx /, "$what: the standby scans $idx");
		is(results($standby, $p, 1), $on_primary, "$what: $idx ($op, '$set') on the standby matches the primary");
		if ($set =~ /rerank = 10000/ || $idx =~ /flat/)
		{
			is($on_primary, results($primary, $p, 0), "$what: $idx exact scan matches a sequential scan");
		}
	}
	for my $idx (qw(r_flat_idx r_flat_cos r_ivfpq_idx r_ivfpq_ip))
	{
		is($standby->safe_psql('postgres', "SELECT pgvq_index_check('$idx', true)"), '',
			"$what: pgvq_index_check('$idx', heapallindexed) passes on the standby");
	}
}

check_all('after the build');
for my $round (1 .. 3)
{
	my $base = 10000 * $round;
	$primary->safe_psql('postgres', qq{
		DELETE FROM r_flat WHERE id % 4 = $round % 4;
		DELETE FROM r_ivfpq WHERE id % 4 = $round % 4;
		UPDATE r_flat SET v = rv() WHERE id % 11 = $round;
		UPDATE r_ivfpq SET v = rv() WHERE id % 11 = $round;
		VACUUM r_flat;
		VACUUM r_ivfpq;
		INSERT INTO r_flat SELECT i, rv() FROM generate_series($base, $base + 700) i;
		INSERT INTO r_ivfpq SELECT i, rv() FROM generate_series($base, $base + 700) i;
	});
	check_all("round $round (delete, update, VACUUM, insert)");
}
$primary->safe_psql('postgres', 'REINDEX TABLE r_flat; REINDEX TABLE r_ivfpq;');
check_all('after REINDEX');
$primary->safe_psql('postgres', 'REINDEX INDEX CONCURRENTLY r_flat_idx');
$primary->safe_psql('postgres', 'REINDEX INDEX CONCURRENTLY r_ivfpq_idx');
$primary->safe_psql('postgres', 'INSERT INTO r_ivfpq SELECT i, rv() FROM generate_series(90000, 90500) i; '
	  . 'INSERT INTO r_flat SELECT i, rv() FROM generate_series(90000, 90500) i;');
check_all('after REINDEX CONCURRENTLY and inserts');

$standby->stop;
$primary->stop;
done_testing();
