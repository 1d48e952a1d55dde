#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: write "SHELL_PID CHILD_PID" to the
# file $1, then wait for ever on a child; both must die at the timeout.
sleep 1000 &
echo "$$ $!" >"$1"
wait
