#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: copy stdin to the file $1, exit 0.
cat >"$1" || exit 1
exit 0
