#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: leave a child behind that holds
# stderr open, write its pid to the file $1, and exit 0 at once.
cat >/dev/null
sleep 1000 &
echo "$!" >"$1"
echo 'left a child behind' >&2
exit 0
