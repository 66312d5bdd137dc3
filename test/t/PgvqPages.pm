# Byte-level access to relation files for the corruption TAP tests (the
# server stopped): patch(FILE, OFFSET, BYTES) overwrites, peek(FILE, OFFSET,
# LEN) reads.
package PgvqPages;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(patch peek);

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

1;
