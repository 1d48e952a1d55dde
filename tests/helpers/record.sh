#!/bin/sh
# ISC license.
# The pipe program of the tests (tests/attack/run.py,
# tests/delivery/run.py): stores what smtpd handed over.
# usage: record.sh DIR [ARG...]
#
# For the Nth run (N counts from 1) it writes
#   DIR/N.argv   the arguments after DIR, each ended by a NUL octet
#   DIR/N.env    the environment it was started with, each VAR=value
#                ended by a NUL octet (/proc/self/environ: exactly what
#                smtpd passed; elsewhere env's output, one a line)
#   DIR/N.msg    its standard input
# then prints a line on stdout (which must never reach the client),
# copies DIR/stderr, when present, to its stderr, and exits with the
# status in DIR/exit (0 when absent).  Nothing here evaluates its
# input: a field that holds $(...) or `...` arrives as those very
# characters.
dir=$1
shift
n=1
while [ -e "$dir/$n.msg" ]; do
	n=$((n + 1))
done
for arg in "$@"; do
	printf '%s\0' "$arg"
done >"$dir/$n.argv"
if [ -r "/proc/$$/environ" ]; then
	cat "/proc/$$/environ"
else
	env | tr '\n' '\000'
fi >"$dir/$n.env"
cat >"$dir/$n.msg"
echo "noise on stdout that must never reach the client"
if [ -f "$dir/stderr" ]; then
	cat "$dir/stderr" >&2
fi
if [ -f "$dir/exit" ]; then
	exit "$(cat "$dir/exit")"
fi
exit 0
