# ivfpq builds with parallel workers (src/ivfpq_build_parallel.c): a build
# with max_parallel_maintenance_workers = 2 says "using 2 parallel workers" at
# DEBUG1 and gives the index a serial build gives: the same lists (per-list
# sizes), the same answers, every page but the meta page (its random build id)
# byte for byte the same, and pgvq_index_check passes.  The same holds when the
# encoded rows spill to disk (maintenance_work_mem = 1MB: the shared tuplesort
# against the serial spill).  A build cancelled by statement_timeout stops
# promptly and leaves no index and no worker behind.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('parbuild');
$node->init;
$node->append_conf('postgresql.conf', "max_worker_processes = 8\nmax_parallel_workers = 8\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgvq');

# 45000 rows of 32 dimensions in 8 loose clusters; parallel_workers = 2 asks
# for two workers whatever the table's size; TIDs in HOT chains too (updates)
$node->safe_psql('postgres', q{
	SELECT setseed(0.25);
	CREATE TABLE t (id int, v vector(32)) WITH (parallel_workers = 2, fillfactor = 90);
	INSERT INTO t SELECT i, ARRAY(SELECT ((i % 8) * 0.5 + random())::real
		FROM generate_series(1, 32) j WHERE i > 0)::vector FROM generate_series(1, 45000) i;
	UPDATE t SET v = v WHERE id % 97 = 0;
	INSERT INTO t VALUES (45001, NULL);
	CREATE TABLE q AS SELECT id AS qid, v FROM t WHERE id % 1499 = 0;
	ANALYZE t;
});

my $answers = q{
	SET enable_seqscan = off; SET ivfpq.probes = 4; SET ivfpq.rerank = 1;
	SELECT string_agg(qid || ':' || ids, ' ' ORDER BY qid) FROM
		(SELECT q.qid, ARRAY(SELECT id FROM t ORDER BY v <-> q.v LIMIT 10)::text AS ids FROM q q) s;
};
my $lists = q{SELECT string_agg(list || ':' || tuples || ':' || pages, ' ' ORDER BY list) FROM pgvq_ivfpq_lists('i')};
my $has_pageinspect = $node->safe_psql('postgres',
	"SELECT count(*) FROM pg_available_extensions WHERE name = 'pageinspect'");
$node->safe_psql('postgres', 'CREATE EXTENSION pageinspect') if $has_pageinspect;

# Builds index i with the given settings; returns (lists, answers, pages, stderr).
sub build
{
	my ($settings) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"$settings; SET client_min_messages = debug1; "
		  . "CREATE INDEX i ON t USING ivfpq (v vector_l2_ops) WITH (lists = 24)");
	is($ret, 0, "build ($settings)") or diag($err);
	my @pages;
	if ($has_pageinspect)
	{
		# each page from byte 11 on (pd_lsn and pd_checksum differ by construction)
		@pages = split /\n/, $node->safe_psql('postgres',
			"SELECT md5(substr(get_raw_page('i', b), 11)) FROM "
			  . "generate_series(0, pg_relation_size('i') / 8192 - 1) b ORDER BY b");
	}
	my @r = ($node->safe_psql('postgres', $lists), $node->safe_psql('postgres', $answers), \@pages, $err);
	is($node->safe_psql('postgres', "SELECT pgvq_index_check('i', true)"), '', "pgvq_index_check ($settings)");
	$node->safe_psql('postgres', 'DROP INDEX i');
	return @r;
}

sub same_index
{
	my ($what, $a, $b) = @_;
	is($b->[0], $a->[0], "$what: the same lists");
	is($b->[1], $a->[1], "$what: the same answers");
	SKIP:
	{
		skip 'no pageinspect', 2 unless $has_pageinspect;
		is(scalar(@{ $b->[2] }), scalar(@{ $a->[2] }), "$what: as many pages");
		my @diff = grep { $a->[2][$_] ne $b->[2][$_] } 0 .. $#{ $a->[2] };
		is("@diff", '0', "$what: only the meta page (its build id) differs");
	}
}

my @serial = build('SET max_parallel_maintenance_workers = 0');
unlike($serial[3], qr/parallel workers/, 'a serial build uses no workers');
my @parallel = build('SET max_parallel_maintenance_workers = 2');
like($parallel[3], qr/using 2 parallel workers/, 'DEBUG1: using 2 parallel workers');
same_index('2 workers', \@serial, \@parallel);
my @one = build('SET max_parallel_maintenance_workers = 1; SET parallel_leader_participation = off');
like($one[3], qr/using 1 parallel workers/, 'DEBUG1: using 1 parallel workers');
same_index('1 worker, leader not participating', \@serial, \@one);

# the encoded rows do not fit in 1 MB: the serial spill against the shared tuplesort
my @serial_spill = build('SET maintenance_work_mem = \'1MB\'; SET max_parallel_maintenance_workers = 0');
like($serial_spill[3], qr/does not fit in maintenance_work_mem/, 'the serial build spills');
my @parallel_spill = build('SET maintenance_work_mem = \'1MB\'; SET max_parallel_maintenance_workers = 2');
like($parallel_spill[3], qr/using 2 parallel workers/, 'the spilling build uses 2 workers');
same_index('2 workers, 1 MB', \@serial_spill, \@parallel_spill);

# cancel: statement_timeout at several points of a larger build; each one
# that fires stops the build promptly and leaves nothing behind
$node->safe_psql('postgres', q{
	CREATE TABLE big (id int, v vector(64)) WITH (parallel_workers = 2);
	INSERT INTO big SELECT i, ARRAY(SELECT random()::real FROM generate_series(1, 64) j WHERE i > 0)::vector
		FROM generate_series(1, 60000) i;
});
my $cancelled = 0;
for my $ms (30, 150, 600, 2000)
{
	my $start = time();
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET max_parallel_maintenance_workers = 2; SET statement_timeout = $ms; "
		  . "CREATE INDEX bi ON big USING ivfpq (v vector_l2_ops) WITH (lists = 60)");
	my $secs = time() - $start;
	if ($ret == 0)
	{
		$node->safe_psql('postgres', 'DROP INDEX bi');
		next;
	}
	$cancelled++;
	like($err, qr/canceling statement due to statement timeout/, "timeout $ms ms cancels the build");
	cmp_ok($secs, '<', $ms / 1000 + 5, "timeout $ms ms: the build stops promptly (${secs}s)");
	is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname = 'bi'"), '0',
		"timeout $ms ms: no index left");
	ok($node->poll_query_until('postgres',
			"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'parallel worker'"),
		"timeout $ms ms: no worker left");
}
cmp_ok($cancelled, '>=', 1, 'at least one build was cancelled');
# the table is fine afterwards
$node->safe_psql('postgres', 'SET max_parallel_maintenance_workers = 2; '
	  . 'CREATE INDEX bi ON big USING ivfpq (v vector_l2_ops) WITH (lists = 60)');
is($node->safe_psql('postgres', "SELECT pgvq_index_check('bi', true)"), '', 'a build after the cancels passes the check');

$node->stop;
done_testing();
