# Helpers shared by the TAP tests:
#   index_check_fails(NODE, PREFIX, HEAPALL, CASE, RE, WHAT): pgvq_index_check
#     of index PREFIX.CASE fails with SQLSTATE XX002 and a message matching RE
#     (three tests, named "CASE: ...", or "ivfpq CASE: ..." for PREFIX x_).
#   psql_session(NODE, TIMER): a psql session kept open (IPC::Run); its
#     ->run(SQL) sends SQL, waits until it has run and returns what it
#     printed (dies once TIMER expires); ->finish ends it.
#   clustered_vec_sql(CENTRES, DIM, NOISE): SQL creating vec(i int), an
#     IMMUTABLE function giving row i a DIM-dimension vector near one of
#     CENTRES centres (i % CENTRES), with pseudo-random noise up to NOISE.
#   knn_sql(TABLE, OP, QUERY, LIMIT[, ID]): SQL giving the LIMIT rows of TABLE
#     nearest to QUERY by OP as one line that two exact scans agree on, in
#     whatever order each returns rows at equal distances: the distances in
#     the order returned, then the ids (column ID, default id) of the rows
#     nearer than the last one, sorted.  (On random data two of the 25-30
#     nearest rows share a distance in 1 query of 2,500 to 10,000 by L2 and
#     1 of 1,700 to 3,000 by inner product, measured on 3,500 and 6,000 rows
#     of 12 and 16 dimensions; a sort and an index scan return such rows in
#     either order.)
package PgvqTest;
use strict;
use warnings;
use Exporter 'import';
use IPC::Run;
use Test::More;
our @EXPORT = qw(index_check_fails psql_session clustered_vec_sql knn_sql);

sub index_check_fails
{
	my ($node, $prefix, $heapall, $case, $re, $what) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\nSELECT pgvq_index_check('$prefix$case', $heapall)");
	my $name = $prefix eq 'x_' ? "ivfpq $case" : $case;
	isnt($ret, 0, "$name: check fails ($what)");
	like($err, qr/XX002/, "$name: SQLSTATE index_corrupted");
	like($err, $re, "$name: $what");
}

sub psql_session
{
	my ($node, $timer) = @_;
	my $s = bless { in => '', out => '', err => '', timer => $timer }, 'PgvqTest::Session';
	$s->{h} = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-q', '-d', $node->connstr('postgres') ],
		'<', \$s->{in}, '>', \$s->{out}, '2>', \$s->{err}, $timer);
	return $s;
}

sub clustered_vec_sql
{
	my ($centres, $dim, $noise) = @_;
	return qq{
	CREATE FUNCTION vec(i int) RETURNS vector LANGUAGE sql IMMUTABLE AS \$\$
		SELECT ARRAY(SELECT ((abs(i) % $centres) * 7919 + j * 104729) % 1000 / 100.0
			+ $noise * ((sin(i * 12.9898 + j * 78.233) * 43758.5453)
				- floor(sin(i * 12.9898 + j * 78.233) * 43758.5453))
			FROM generate_series(1, $dim) j)::real[]::vector
	\$\$;
};
}

sub knn_sql
{
	my ($t, $op, $q, $limit, $id) = @_;
	$id //= 'id';
	return "SELECT a.ds::text || ' ' || ARRAY(SELECT x.id FROM unnest(a.ids, a.ds) x(id, d)"
	  . " WHERE x.d < a.ds[cardinality(a.ds)] ORDER BY x.d, x.id)::text"
	  . " FROM (SELECT array_agg($id) AS ids, array_agg(d) AS ds FROM"
	  . " (SELECT $id, v $op $q AS d FROM $t ORDER BY v $op $q LIMIT $limit) s) a";
}

package PgvqTest::Session;

sub run
{
	my ($s, $sql) = @_;
	$s->{out} = '';
	$s->{in} .= "$sql\n\\echo __done__\n";
	$s->{h}->pump until $s->{out} =~ /__done__/ || $s->{timer}->is_expired;
	die "psql session timed out: $s->{err}" if $s->{timer}->is_expired;
	return $s->{out};
}

sub finish
{
	my ($s) = @_;
	$s->{in} .= "\\q\n";
	$s->{h}->finish;
}

1;
