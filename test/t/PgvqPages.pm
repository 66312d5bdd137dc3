# Byte-level access to relation files for the corruption TAP tests (the
# server stopped): patch(FILE, OFFSET, BYTES) overwrites, peek(FILE, OFFSET,
# LEN) reads; relation_file(NODE, REL) is the path of relation REL's main
# fork (ask while the server runs).
package PgvqPages;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(patch peek relation_file);

sub patch
{
	my ($file, $offset, $bytes) = @_;
	open(my $fh, '+<', $file) or die "open $file: $!";
	binmode $fh;
	seek($fh, $offset, 0) or die "seek: $!";
	print $fh $bytes or die "write: $!";
	close $fh or die "close: $!";
}

sub peek
{
	my ($file, $offset, $len) = @_;
	open(my $fh, '<', $file) or die "open $file: $!";
	binmode $fh;
	seek($fh, $offset, 0) or die "seek: $!";
	read($fh, my $buf, $len) == $len or die "read: $!";
	close $fh;
	return $buf;
}

sub relation_file
{
	my ($node, $rel) = @_;
	return $node->data_dir . '/' . $node->safe_psql('postgres', "SELECT pg_relation_filepath('$rel')");
}

1;
