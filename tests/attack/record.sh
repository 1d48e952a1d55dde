#!/bin/sh
# ISC license.
# Pipe target for tests/attack/run.py: store what smtpd handed over.
# usage: record.sh DIR [ARG...]
# DIR/N.argv gets the arguments after DIR, each ended by a NUL octet;
# DIR/N.env the environment, one variable a line; DIR/N.msg the standard
# input; N counts from 1.  Nothing here evaluates its input: a field
# that holds $(...) or `...` must arrive as those very characters.
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
	tr '\000' '\n' <"/proc/$$/environ"
else
	env
fi >"$dir/$n.env"
cat >"$dir/$n.msg"
