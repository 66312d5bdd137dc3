# Crash recovery: flat and ivfpq indexes under a concurrent workload of
# inserts, updates, deletes and VACUUM are killed by an immediate shutdown
# (twice), and after WAL replay pgvq_index_check passes with heapallindexed
# and exact index scans (ivfpq: every list probed, everything re-ranked)
# return what a sequential scan returns (rows at equal distances in either
# order: knn_sql).  An unlogged table's index comes back empty from its init
# fork and works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib $FindBin::Bin;
use PgvqTest;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "autovacuum = off\nmax_wal_size = 1GB\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgvq');
my $has_ivfpq = $node->safe_psql('postgres', "SELECT count(*) FROM pg_am WHERE amname = 'ivfpq'");
is($has_ivfpq, '1', 'the ivfpq access method is installed (its tables are tested too)');

my $dim = 16;
my $rows = 3000;
$node->safe_psql('postgres', qq{
	SELECT setseed(0.42);
	CREATE FUNCTION rv() RETURNS vector LANGUAGE sql VOLATILE
		AS \$\$ SELECT array_agg(random()::real)::vector($dim) FROM generate_series(1, $dim) \$\$;
	CREATE TABLE progress (worker int, round int);
	CREATE TABLE qs (q int, v vector($dim));
	INSERT INTO qs SELECT q, rv() FROM generate_series(1, 6) q;
});

# table => [index DDL, settings for an exact index scan]
my %tables = (
	c_flat => ["CREATE INDEX c_flat_idx ON c_flat USING flat (v)", ''],
	u_flat => ["CREATE INDEX u_flat_idx ON u_flat USING flat (v)", ''],);
if ($has_ivfpq)
{
	$tables{c_ivfpq} = [
		"CREATE INDEX c_ivfpq_idx ON c_ivfpq USING ivfpq (v) WITH (lists = 8, m = 4)",
		'SET ivfpq.probes = 8; SET ivfpq.rerank = 10000; SET ivfpq.max_probes = 8;'
	];
	$tables{u_ivfpq} = [
		"CREATE INDEX u_ivfpq_idx ON u_ivfpq USING ivfpq (v) WITH (lists = 4, m = 4)",
		'SET ivfpq.probes = 4; SET ivfpq.rerank = 10000; SET ivfpq.max_probes = 4;'
	];
}
my @logged = grep { /^c_/ } sort keys %tables;
my @unlogged = grep { /^u_/ } sort keys %tables;
for my $t (sort keys %tables)
{
	my $unlogged = $t =~ /^u_/ ? 'UNLOGGED' : '';
	my $n = $t =~ /^u_/ ? 500 : $rows;
	$node->safe_psql('postgres',
		"CREATE $unlogged TABLE $t (id int, v vector($dim)); "
		  . "INSERT INTO $t SELECT i, rv() FROM generate_series(1, $n) i; "
		  . "INSERT INTO $t VALUES (0, NULL); "
		  . $tables{$t}[0]);
}

# A worker's script: rounds of inserts, updates (HOT and not), deletes and
# VACUUM on every table, each round logged in progress.  Far longer than the
# time before the crash.
sub workload
{
	my ($worker, $rounds) = @_;
	my $sql = "SET client_min_messages = error;\n";
	for my $r (1 .. $rounds)
	{
		my $base = 100000 * $worker + 1000 * $r;
		for my $t (sort keys %tables)
		{
			$sql .= "INSERT INTO $t SELECT i, rv() FROM generate_series($base, $base + 60) i;\n";
			$sql .= "UPDATE $t SET v = rv() WHERE id % 97 = $r % 97;\n";
			$sql .= "UPDATE $t SET id = id WHERE id % 89 = $r % 89;\n";
			$sql .= "DELETE FROM $t WHERE id % 31 = ($r + $worker) % 31;\n";
			$sql .= "VACUUM $t;\n" if $r % 3 == $worker % 3;
		}
		$sql .= "INSERT INTO progress VALUES ($worker, $r);\n";
	}
	return $sql;
}

sub start_workers
{
	my @h;
	for my $w (1 .. 2)
	{
		# psql reads the script from a file: IPC::Run feeds a scalar only while pumped
		my $file = "${PostgreSQL::Test::Utils::tmp_check}/workload_$w.sql";
		open(my $fh, '>', $file) or die "open $file: $!";
		print $fh workload($w, 400);
		close $fh;
		push @h,
		  IPC::Run::start(
			[
				'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'),
				'-f', $file
			],
			'>', "$file.out", '2>', "$file.err");
	}
	return @h;
}

sub exact_scan
{
	my ($t, $q, $index) = @_;
	my $set = $index ? "SET enable_seqscan = off; SET enable_bitmapscan = off; $tables{$t}[1]"
	  : 'SET enable_indexscan = off; SET enable_bitmapscan = off;';
	return $node->safe_psql('postgres', "$set " . knn_sql($t, '<->', "(SELECT v FROM qs WHERE q = $q)", 40));
}

sub verify
{
	my ($what) = @_;
	for my $t (sort keys %tables)
	{
		my $idx = ($tables{$t}[0] =~ /INDEX (\S+)/)[0];
		is($node->safe_psql('postgres', "SELECT pgvq_index_check('$idx', true)"), '',
			"$what: pgvq_index_check('$idx', heapallindexed) passes");
		my $plan = $node->safe_psql('postgres',
			"SET enable_seqscan = off; $tables{$t}[1] EXPLAIN (COSTS OFF) SELECT id FROM $t ORDER BY v <-> (SELECT v FROM qs WHERE q = 1) LIMIT 40");
		like($plan, qr/Index Scan using $idx/, "$what: $t is scanned through $idx");
		my $same = 1;
		for my $q (1 .. 6)
		{
			my $i = exact_scan($t, $q, 1);
			my $s = exact_scan($t, $q, 0);
			if ($i ne $s)
			{
				$same = 0;
				diag("$t query $q\n index: $i\n   seq: $s");
			}
		}
		ok($same, "$what: $t: exact index scans return what sequential scans return");
		my $all = $node->safe_psql('postgres',
			"SET enable_seqscan = off; $tables{$t}[1] SELECT count(*) FROM (SELECT id FROM $t ORDER BY v <-> (SELECT v FROM qs WHERE q = 2)) s");
		is($all, $node->safe_psql('postgres', "SELECT count(*) FROM $t WHERE v IS NOT NULL"),
			"$what: $t: an unlimited index scan returns every non-NULL row");
	}
}

verify('before the workload');

for my $crash (1 .. 2)
{
	$node->safe_psql('postgres', 'CHECKPOINT');
	my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM progress');
	my @workers = start_workers();
	# crash once both workers are well into the workload
	my $ok = $node->poll_query_until('postgres',
		"SELECT count(DISTINCT worker) = 2 AND count(*) >= $before + 20 FROM progress");
	ok($ok, "crash $crash: the workload is running");
	$node->stop('immediate');
	for my $h (@workers)
	{
		eval { $h->finish; };
	}
	for my $w (1 .. 2)
	{
		my $err = slurp_file("${PostgreSQL::Test::Utils::tmp_check}/workload_$w.sql.err");
		unlike($err, qr/ERROR/, "crash $crash: worker $w saw no error before the crash");
	}
	$node->start;
	my $done = $node->safe_psql('postgres', 'SELECT count(*) FROM progress');
	cmp_ok($done - $before, '<', 2 * 400, "crash $crash: the server died in the middle of the workload");

	# unlogged tables were reset from their init forks
	for my $t (@unlogged)
	{
		is($node->safe_psql('postgres', "SELECT count(*) FROM $t"), '0', "crash $crash: $t is empty");
	}
	verify("after crash $crash (empty unlogged)");
	for my $t (@unlogged)
	{
		$node->safe_psql('postgres', "INSERT INTO $t SELECT i, rv() FROM generate_series(1, 400) i");
	}
	verify("after crash $crash");
}

$node->stop;
done_testing();
