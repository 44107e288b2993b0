#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Read isola's TAP report of the report suite (suite.sh) with TAP::Parser, the parser behind
# prove, and check what it says: usage: check_tap.pl FILE. Exits 1 with the reasons on a mismatch.
#
# TAP::Parser up to 3.44 (Debian 12) knows TAP versions 12 and 13 only: it reads a version 14
# stream with the 13 grammar (TAP 14 is a superset, compatible with what TAP 13 parsers do) and
# records exactly one parse error for the version line. That error, and no other, is allowed.
use strict;
use warnings;
use TAP::Parser;

my @expected = (
	# ok, directive, description
	[1, '',     'pass'],
	[0, '',     q{fail "quoted" <tag> & 'apos'}],
	[1, 'SKIP', q{skip \# hash \\\\ backslash}],
	[0, '',     'error'],
	[0, '',     'timeout'],
	[0, '',     'crash'],
	[0, '',     'leak'],
	[0, '',     'big output'],
	[1, '',     "esc ^[[1m and bad \xef\xbf\xbd bytes \xc3\xa9"],
	[0, '',     'cannot start'],
);
my %outcome = (2 => 'FAIL', 4 => 'ERROR', 5 => 'TIMEOUT', 6 => 'CRASH', 7 => 'LEAK', 8 => 'FAIL',
	       10 => 'ERROR');
my @problems;
sub check { my ($ok, $what) = @_; push @problems, $what unless $ok; }

open(my $fh, '<:raw', $ARGV[0]) or die "check_tap.pl: cannot read $ARGV[0]: $!\n";
my $parser = TAP::Parser->new({ tap => do { local $/; <$fh> } });
my (@tests, %yaml, $last);
while (my $r = $parser->next) {
	if ($r->is_test) {
		push @tests, $r;
		$last = $r->number;
	} elsif ($r->is_yaml) {
		$yaml{$last} = $r->data;
	} elsif ($r->is_unknown) {
		push @problems, "a line TAP::Parser does not understand: " . $r->as_string;
	}
}
check(scalar(@tests) == @expected, "expected " . @expected . " test points, got " . @tests);
check($parser->plan eq '1..' . @expected, "plan '" . ($parser->plan // '') . "'");
check(!$parser->is_good_plan ? 0 : 1, "the plan does not match the test points");
for my $i (0 .. $#expected) {
	my ($ok, $dir, $desc) = @{ $expected[$i] };
	my $t = $tests[$i] or last;
	check($t->number == $i + 1, "test point $i numbered " . $t->number);
	check(($t->is_actual_ok ? 1 : 0) == $ok, "test $desc: ok is " . ($t->is_actual_ok ? 1 : 0));
	check(($t->directive // '') eq $dir, "test $desc: directive '" . ($t->directive // '') . "'");
	check($t->description eq "- $desc", "description '" . $t->description . "', expected '- $desc'");
	my $y = $yaml{ $i + 1 };
	if ($ok) {
		check(!defined $y, "test $desc passed but has a YAML block");
	} else {
		check(ref $y eq 'HASH', "test $desc has no YAML diagnostics") or next;
		next unless ref $y eq 'HASH';
		check($y->{outcome} eq $outcome{ $i + 1 }, "test $desc: outcome '$y->{outcome}'");
		check(defined $y->{message}, "test $desc: no message");
	}
}
my $nasty = $yaml{2} // {};
for my $want ('"double"', '<a href="x">&amp; & </a> ]]>', 'nul: [^@]', "esc: [^[[31mred",
	      'tab:' . "\t" . '| backslash: \\ hash: #', "ok 99 - not a test point\n...\n---\n",
	      'no final newline') {
	check(index($nasty->{output} // '', $want) >= 0, "nasty output lacks '$want'");
}
check(($nasty->{exit_code} // -1) == 3, "nasty exit_code");
check(($yaml{6} // {})->{signal} eq 'SIGKILL', "crash signal");
check(($yaml{8} // {})->{output} =~ /the last line\n\z/, "big output tail");
check(($yaml{8} // {})->{output_bytes} == 10485775, "big output_bytes");

my @errors = $parser->parse_errors;
my @allowed = grep { /^TAP specified version 14 but we don't know about versions later than 13$/ } @errors;
check(@errors == @allowed, "parse errors: " . join('; ', @errors));
check($parser->version == 13 || $parser->version == 14, "version " . $parser->version);

if (@problems) {
	print STDERR "check_tap.pl: $_\n" for @problems;
	exit 1;
}
printf "TAP::Parser %s read %d test points as expected (%s)\n", $TAP::Parser::VERSION,
    scalar(@tests), @errors ? 'as version 13' : 'as version 14';
