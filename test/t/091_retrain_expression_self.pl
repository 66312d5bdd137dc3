# A retrain's last catch-up evaluates the index expression while it holds the
# meta page exclusively.  An expression that reads or writes the index (here:
# it inserts a row, whose index insert reads the meta page) used to wait for
# that lock itself: the backend hung uninterruptibly (pg_terminate_backend had
# no effect) and every insert and scan of the index hung behind it.  Now the
# retrain fails with 55006 and the index stays usable.
#
# Deterministic: row 1's vector starts with 42, and the expression inserts one
# more such row each time the retrain evaluates one, so every phase (training,
# the two catch-ups without the lock, the last one under it) has rows to read.
# VACUUM leaves such an index alone (a LOG line) rather than failing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('retrain_self');
$node->init;
$node->append_conf('postgresql.conf', "autovacuum = off\njit = off\n");
$node->start;
# Table TABLE and the expression function FUNC(vector): with test.grow on, it
# inserts a row starting with 42 into TABLE for each such row it evaluates.
sub growing_table
{
	my ($table, $func) = @_;
	return qq{
	CREATE TABLE $table (id serial, v vector(4));
	CREATE FUNCTION ${func}_grow() RETURNS void LANGUAGE sql VOLATILE AS
		\$\$ INSERT INTO $table(v) VALUES ('[42,1,1,1]') \$\$;
	CREATE FUNCTION $func(x vector) RETURNS vector LANGUAGE plpgsql IMMUTABLE AS \$\$
	BEGIN
		IF current_setting('test.grow', true) = 'on' AND (x::real[])[1] = 42 THEN
			PERFORM set_config('test.grow', 'off', false);	-- not for the insert's own row
			PERFORM ${func}_grow();
			PERFORM set_config('test.grow', 'on', false);
		END IF;
		RETURN x;
	END \$\$;};
}

$node->safe_psql('postgres', 'CREATE EXTENSION pgvq; ' . growing_table('e', 'f') . q{
	INSERT INTO e(v) VALUES ('[42,1,1,1]');
	INSERT INTO e(v) SELECT ARRAY[i % 10, i % 7, i % 3, i % 11]::real[]::vector
		FROM generate_series(1, 2000) i;
	CREATE INDEX ei ON e USING ivfpq ((f(v)::vector(4)) vector_l2_ops)
		WITH (lists = 4, m = 2, auto_retrain = off);
});

my ($stdout, $stderr, $timed_out) = ('', '', 0);
$node->psql('postgres',
	"SET test.grow = on; SELECT lists FROM pgvq_ivfpq_retrain('ei')",
	stdout => \$stdout, stderr => \$stderr, timeout => 60, timed_out => \$timed_out);
ok(!$timed_out, 'the retrain returns (it does not wait for itself)');
BAIL_OUT('the retrain hung on its own meta page lock') if $timed_out;
like($stderr, qr/cannot be read while its retrain switches structures/,
	'the retrain fails with a clear error');

# The index is usable from another session, and checks clean
is($node->safe_psql('postgres', q{SET enable_seqscan = off;
	SELECT count(*) FROM (SELECT id FROM e ORDER BY f(v)::vector(4) <-> '[0,0,0,0]' LIMIT 3) s}),
	'3', 'an index scan works after the failed retrain');
$node->safe_psql('postgres', "INSERT INTO e(v) VALUES ('[1,2,3,4]')");
is($node->safe_psql('postgres', "SELECT pgvq_index_check('ei', true)"), '',
	'pgvq_index_check passes');
# Without the expression reading the index, the retrain succeeds
is($node->safe_psql('postgres', "SELECT lists FROM pgvq_ivfpq_retrain('ei')"), '4',
	'a retrain without the self-reference succeeds');

# VACUUM does not retrain an index whose expression runs queries (here it
# would fail the whole VACUUM with 55006): it says so in the log, the VACUUM
# succeeds, and pgvq_ivfpq_retrain still trains the index.
$node->safe_psql('postgres', growing_table('e2', 'g') . q{
	CREATE INDEX e2i ON e2 USING ivfpq ((g(v)::vector(4)) vector_l2_ops) WITH (lists = 4, m = 2);
	INSERT INTO e2(v) VALUES ('[42,1,1,1]');
	INSERT INTO e2(v) SELECT ARRAY[i % 10, i % 7, i % 3, i % 11]::real[]::vector
		FROM generate_series(1, 2000) i;
});
my $log_offset = -s $node->logfile;
($stdout, $stderr) = ('', '');
my $rc = $node->psql('postgres',
	"SET ivfpq.retrain_min_rows = 100; SET test.grow = on; VACUUM e2",
	stdout => \$stdout, stderr => \$stderr, timeout => 60, timed_out => \$timed_out);
ok(!$timed_out && $rc == 0, 'VACUUM succeeds') or diag($stderr);
# (17+ qualifies the name: VACUUM runs with a safe search_path)
ok($node->log_contains(qr/ivfpq index "e2i" is not retrained by VACUUM: its expression calls (?:public\.)?g\((?:public\.)?vector\)/,
	$log_offset), 'the log says why the index was not retrained');
is($node->safe_psql('postgres', "SELECT pgvq_ivfpq_trained('e2i')"), 'f', 'the index is still untrained');
is($node->safe_psql('postgres', "SELECT lists FROM pgvq_ivfpq_retrain('e2i')"), '4',
	'pgvq_ivfpq_retrain trains it');
is($node->safe_psql('postgres', "SELECT pgvq_index_check('e2i', true)"), '', 'pgvq_index_check passes');

# An expression of C functions only (the halfvec recipe) is still retrained by VACUUM
$node->safe_psql('postgres', q{
	CREATE TABLE e3 (id serial, v vector(4));
	CREATE INDEX e3i ON e3 USING ivfpq ((v::halfvec(4)) halfvec_l2_ops) WITH (lists = 4, m = 2);
	INSERT INTO e3(v) SELECT ARRAY[i % 10, i % 7, i % 3, i % 11]::real[]::vector
		FROM generate_series(1, 2000) i;
});
$node->safe_psql('postgres', "SET ivfpq.retrain_min_rows = 100; VACUUM e3");
is($node->safe_psql('postgres', "SELECT pgvq_ivfpq_trained('e3i')"), 't',
	'VACUUM trains an expression index without SQL functions');
$node->stop('immediate');
done_testing();
