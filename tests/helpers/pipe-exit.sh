#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: read stdin, write $2 to stderr
# (printf %b, so "\n" and "\0NNN" escapes work), and when there is a $3,
# a second later write that too (the parent reads them apart); exit
# with status $1.
cat >/dev/null
[ $# -ge 2 ] && printf '%b' "$2" >&2
if [ $# -ge 3 ]; then
	sleep 1
	printf '%b' "$3" >&2
fi
exit "$1"
