# A retrain leaves out the entries of rows dead to every snapshot *of the
# primary*.  A standby query (hot_standby_feedback off) whose snapshot still
# sees such a row gets no recovery conflict (generic WAL carries none): its
# index scan must fail with 40001 rather than miss the row, while snapshots
# taken after the switch was replayed scan normally.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('dead_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "autovacuum = off\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pgvq');
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('dead_standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->append_conf('postgresql.conf', "hot_standby_feedback = off\n");
$standby->start;

$primary->safe_psql('postgres', q{
	CREATE TABLE t (id int, v vector(8));
	INSERT INTO t SELECT i, ARRAY(SELECT (i * 7919 + j * 104729) % 1000 / 10.0
		FROM generate_series(1, 8) j)::real[]::vector FROM generate_series(1, 3000) i;
	CREATE INDEX ti ON t USING ivfpq (v vector_l2_ops) WITH (lists = 4, m = 4);
	-- row 0: alone on a fresh heap page, so that no fetch prunes its page
	DO $$ DECLARE b int; BEGIN
		SELECT max((ctid::text::point)[0]) INTO b FROM t;
		LOOP
			INSERT INTO t VALUES (-1, '[1,1,1,1,1,1,1,1]');
			EXIT WHEN (SELECT (ctid::text::point)[0] FROM t WHERE id = -1) > b;
			DELETE FROM t WHERE id = -1;
		END LOOP;
		UPDATE t SET id = 0 WHERE id = -1;
	END $$;
	VACUUM t;
});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

my $q = q{SET enable_seqscan = off; SET enable_indexscan = on; SET ivfpq.probes = 4;
	SELECT id FROM t ORDER BY v <-> '[1,1,1,1,1,1,1,1]' LIMIT 1;};
my $seq = q{SET enable_seqscan = on; SET enable_indexscan = off; SET enable_bitmapscan = off;
	SELECT id FROM t ORDER BY v <-> '[1,1,1,1,1,1,1,1]' LIMIT 1;};

# A standby transaction whose snapshot sees row 0
my $s = $standby->background_psql('postgres', on_error_stop => 0);
$s->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
is($s->query_safe($q), '0', 'standby, before: the index finds row 0');

$primary->safe_psql('postgres', 'DELETE FROM t WHERE id = 0');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($s->query_safe($seq), '0', 'standby, after the delete: a sequential scan returns row 0');
is($s->query_safe($q), '0', 'standby, after the delete: the index returns row 0');
my $r = $primary->safe_psql('postgres', 'SELECT lists FROM pgvq_ivfpq_retrain(\'ti\')');
note "retrained: $r lists";
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

is($s->query_safe($seq), '0', 'standby, after: a sequential scan still returns row 0');
$s->query_safe('\\set VERBOSITY verbose');
$s->query($q);
like($s->{stderr}, qr/40001.*was retrained after this query's snapshot/s,
	'standby, after: the old snapshot\'s index scan fails with 40001 instead of missing row 0');
$s->quit;
my $after = $standby->safe_psql('postgres', $q);
isnt($after, '0', 'standby, a new snapshot: the index scan works and no longer sees row 0');
is($after, $primary->safe_psql('postgres', $seq), 'standby, a new snapshot: the sequential scan\'s answer');

done_testing();
