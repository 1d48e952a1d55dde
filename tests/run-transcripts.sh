#!/bin/sh
# ISC license.
# Transcript tests: whole SMTP sessions, byte for byte.
#
# usage: SMTPD=./smtpd TRICKLE=./build/trickle sh tests/run-transcripts.sh [-u] [NAME...]
#
# Each case in tests/transcripts/ is a set of files sharing a NAME:
#   NAME.in    the exact bytes the client sends, all at once (so the whole
#              session is pipelined).  Lines end in CR LF unless the case is
#              about bare LF.
#   NAME.out   the exact bytes smtpd must write on stdout.
#   NAME.args  optional: one line of extra command-line words, split on
#              blanks, put after "-n mx.example.org".
#   NAME.mbox  optional: the exact bytes of ./mbox afterwards.  Without it,
#              ./mbox must not exist.
#   NAME.exit  optional: the expected exit status (default 0).
#   NAME.err   optional: the exact bytes expected on stderr (default none).
#
# For each NAME.in, in a fresh empty directory as the current directory:
#   env -i PATH=$PATH SMTPD_FAKE_TIME=1700000000 TZ=UTC TMPDIR=<tmp> \
#       $SMTPD -n mx.example.org $(cat NAME.args) < NAME.in
# (plus ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS when they are set, so
# `make sanitize` keeps its settings).  stdout, ./mbox, stderr and the exit
# status must be as expected; the directory must hold nothing else
# afterwards (no stray mbox.lock) and TMPDIR must be empty again (the spool
# file is unlinked).  Then the same input goes through $TRICKLE, one octet
# per write(2), and every result must be byte-identical to the first run:
# replies may not depend on how the input was chunked (RFC 2920).
#
# The fixed clock makes dates and message ids stable: with TZ=UTC the
# From_ line reads "Tue Nov 14 22:13:20 2023" and ids are 6553F10000000NNNN.
#
# -u (or UPDATE=1) rewrites NAME.out, NAME.mbox and NAME.exit from what the
# first run produced: the only way those files are written (generate.py
# writes the inputs alone).  Read every file it writes, in the git diff,
# against the RFCs before keeping it (tests/transcripts/README).
#
# Prints "ok NAME" or "FAIL NAME" (with a readable diff, CR shown as \r)
# per case, then "N passed, N failed, 0 skipped"; exits 1 when anything
# failed.
# See tests/transcripts/README for the list of cases.  POSIX sh: runs
# under dash.

set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
cases=$here/transcripts
update=${UPDATE:-0}
case $update in
0 | '') update=0 ;;
*) update=1 ;;
esac
if [ "${1:-}" = "-u" ]; then
	update=1
	shift
fi

# The programs run from another directory: make relative paths absolute.
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*/*) printf '%s/%s\n' "$(pwd)" "$1" ;;
	*) command -v "$1" || printf '%s\n' "$1" ;;
	esac
}
SMTPD=$(abspath "${SMTPD:-./smtpd}")
TRICKLE=$(abspath "${TRICKLE:-./build/trickle}")
for prog in "$SMTPD" "$TRICKLE"; do
	if [ ! -x "$prog" ]; then
		echo "run-transcripts: $prog is not an executable" >&2
		exit 2
	fi
done

# A hung session fails its case instead of stalling the suite.
if command -v timeout >/dev/null 2>&1; then
	watchdog="timeout 30"
else
	watchdog=
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/transcripts.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
trap 'exit 2' HUP INT TERM

# The sanitizer settings survive env -i; nothing else does.
sanenv=
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	eval "val=\${$v-}"
	if [ -n "$val" ]; then
		sanenv="$sanenv $v=$val"
	fi
done

# Show a file so that CR, NUL and other control octets are visible and
# every line end is marked with "$" (POSIX sed's l command).
visible() {
	if [ -f "$1" ]; then
		sed -n l "$1"
	else
		echo "(no file)"
	fi
}

# Print a readable diff of expected $1 and actual $2, at most 60 lines.
show_diff() {
	visible "$1" > "$scratch/exp.vis"
	visible "$2" > "$scratch/act.vis"
	echo "    --- expected $3, +++ actual:"
	diff -u "$scratch/exp.vis" "$scratch/act.vis" | sed -n '3,62s/^/    /p'
}

# Are files $1 and $2 the same, both missing counting as the same?
same() {
	if [ -f "$1" ] && [ -f "$2" ]; then
		cmp -s "$1" "$2"
	else
		[ ! -f "$1" ] && [ ! -f "$2" ]
	fi
}

# run NAME MODE: one session into $scratch/MODE/; MODE is whole or trickle.
run() {
	r=$scratch/$2
	rm -rf "$r"
	mkdir "$r" "$r/cwd" "$r/tmp" || exit 2
	args=
	if [ -f "$cases/$1.args" ]; then
		args=$(cat "$cases/$1.args")
	fi
	set -f	# the words of .args are not patterns
	# shellcheck disable=SC2086 # $watchdog, $sanenv, $args: split on purpose
	if [ "$2" = whole ]; then
		(cd "$r/cwd" && exec $watchdog env -i PATH="$PATH" \
		    SMTPD_FAKE_TIME=1700000000 TZ=UTC TMPDIR="$r/tmp" $sanenv \
		    "$SMTPD" -n mx.example.org $args) \
		    < "$cases/$1.in" > "$r/out" 2> "$r/err"
	else
		# shellcheck disable=SC2086 # as above
		"$TRICKLE" "$cases/$1.in" | (cd "$r/cwd" && exec $watchdog \
		    env -i PATH="$PATH" \
		    SMTPD_FAKE_TIME=1700000000 TZ=UTC TMPDIR="$r/tmp" $sanenv \
		    "$SMTPD" -n mx.example.org $args) > "$r/out" 2> "$r/err"
	fi
	echo $? > "$r/exit"
	set +f
	if [ -f "$r/cwd/mbox" ]; then
		mv "$r/cwd/mbox" "$r/mbox"
	fi
	# anything left is a leak: a lock file, a spool file
	{ ls -A "$r/cwd"; ls -A "$r/tmp"; } > "$r/left"
}

# check NAME: the whole run against the expected files.
check_expected() {
	bad=0
	w=$scratch/whole
	if [ -f "$cases/$1.exit" ]; then
		cp "$cases/$1.exit" "$scratch/exit.exp"
	else
		echo 0 > "$scratch/exit.exp"
	fi
	if ! cmp -s "$w/out" "$cases/$1.out"; then
		show_diff "$cases/$1.out" "$w/out" "reply"
		bad=1
	fi
	if ! same "$cases/$1.mbox" "$w/mbox"; then
		show_diff "$cases/$1.mbox" "$w/mbox" "mbox"
		bad=1
	fi
	if [ -f "$cases/$1.err" ]; then
		cmp -s "$cases/$1.err" "$w/err"
	else
		[ ! -s "$w/err" ]
	fi || {
		show_diff "$cases/$1.err" "$w/err" "stderr"
		bad=1
	}
	if [ "$(cat "$w/exit")" != "$(cat "$scratch/exit.exp")" ]; then
		echo "    exit status $(cat "$w/exit"), expected" \
		    "$(cat "$scratch/exit.exp")"
		bad=1
	fi
	if [ -s "$w/left" ]; then
		echo "    left behind: $(tr '\n' ' ' < "$w/left")"
		bad=1
	fi
	return $bad
}

# check_trickle NAME: the trickled run must equal the whole run.
check_trickle() {
	bad=0
	for f in out mbox err exit left; do
		same "$scratch/whole/$f" "$scratch/trickle/$f" && continue
		bad=1
		case $f in
		out | mbox)
			echo "    one octet per write changes the $f:"
			show_diff "$scratch/whole/$f" "$scratch/trickle/$f" \
			    "$f (whole input)"
			;;
		*)
			echo "    one octet per write changes the $f"
			;;
		esac
	done
	return $bad
}

update_expected() {
	w=$scratch/whole
	cp "$w/out" "$cases/$1.out"
	if [ -f "$w/mbox" ]; then
		cp "$w/mbox" "$cases/$1.mbox"
	else
		rm -f "$cases/$1.mbox"
	fi
	if [ "$(cat "$w/exit")" != 0 ]; then
		cp "$w/exit" "$cases/$1.exit"
	else
		rm -f "$cases/$1.exit"
	fi
}

if [ $# -eq 0 ]; then
	# case names are plain words: split on purpose
	# shellcheck disable=SC2046,SC2012
	set -- $(cd "$cases" && ls | sed -n 's/\.in$//p')
fi

passed=0
failed=0
for name in "$@"; do
	if [ ! -f "$cases/$name.in" ]; then
		echo "FAIL $name: no $name.in"
		failed=$((failed + 1))
		continue
	fi
	run "$name" whole
	if [ "$update" = 1 ]; then
		update_expected "$name"
	fi
	run "$name" trickle
	good=1
	check_expected "$name" > "$scratch/why" || good=0
	check_trickle "$name" >> "$scratch/why" || good=0
	if [ "$good" = 1 ]; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		cat "$scratch/why"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
