#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: write the number of arguments
# after $1, then each of them on its own line, to the file $1.
cat >/dev/null
out=$1
shift
printf '%s\n' "$#" "$@" >"$out"
