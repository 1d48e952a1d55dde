#!/bin/sh
# ISC license.
# The counts of `make check` and `make sanitize`.
#
# usage: sh tests/results.sh run DIR NAME -- COMMAND [ARG...]
#        sh tests/results.sh sum DIR NAME...
#
# Every suite ends its output with one line "N passed, M failed, K
# skipped" (a test that cannot run on this machine says SKIP and why,
# and is counted as skipped, never as passed).
#
# run: runs COMMAND (one suite), its output passing through, and writes
# that closing line to DIR/NAME.  A suite whose last line is not of that
# form, or whose exit status disagrees with its count of failures,
# counts one failure more.  Exits 0 when nothing failed, else 1.
#
# sum: adds up DIR/NAME for each NAME, a missing file (a suite that did
# not run) counting as one failure; prints each suite's line, then the
# total as the very last line, "N passed, M failed, K skipped".  Exits 0
# when nothing failed, else 1.  POSIX sh: runs under dash.

set -u

SUMMARY='^[0-9][0-9]* passed, [0-9][0-9]* failed, [0-9][0-9]* skipped$'

# field $2 (1: passed, 3: failed, 5: skipped) of closing line $1
field() {
	printf '%s\n' "$1" | tr -d ',' | cut -d ' ' -f "$2"
}

usage() {
	echo "usage: sh tests/results.sh run DIR NAME -- COMMAND [ARG...]" >&2
	echo "       sh tests/results.sh sum DIR NAME..." >&2
	exit 2
}

run() {
	if [ $# -lt 4 ] || [ "$3" != -- ]; then
		usage
	fi
	dir=$1
	name=$2
	shift 3
	mkdir -p "$dir" || exit 2
	rm -f "$dir/$name"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/results.XXXXXX") || exit 2
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 2' HUP INT TERM
	# stdout through tee, and the suite's own exit status kept
	{
		"$@"
		echo $? >"$tmp/status"
	} | tee "$tmp/out"
	status=$(cat "$tmp/status" 2>/dev/null || echo 2)
	last=$(sed -n '$p' "$tmp/out")
	if printf '%s\n' "$last" | grep -q "$SUMMARY"; then
		passed=$(field "$last" 1)
		failed=$(field "$last" 3)
		skipped=$(field "$last" 5)
	else
		echo "FAIL $name: no closing line \"N passed, M failed, K skipped\""
		passed=0
		failed=1
		skipped=0
	fi
	if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
		echo "FAIL $name: exit status $status, yet nothing failed"
		failed=1
	fi
	echo "$passed passed, $failed failed, $skipped skipped" >"$dir/$name"
	[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
}

sum() {
	[ $# -ge 2 ] || usage
	dir=$1
	shift
	passed=0
	failed=0
	skipped=0
	for name in "$@"; do
		line=
		if [ -f "$dir/$name" ]; then
			line=$(sed -n 1p "$dir/$name")
		fi
		if ! printf '%s\n' "$line" | grep -q "$SUMMARY"; then
			echo "$name: no result (it did not run to its end)"
			failed=$((failed + 1))
			continue
		fi
		echo "$name: $line"
		passed=$((passed + $(field "$line" 1)))
		failed=$((failed + $(field "$line" 3)))
		skipped=$((skipped + $(field "$line" 5)))
	done
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
run)	run "$@" ;;
sum)	sum "$@" ;;
*)	usage ;;
esac
