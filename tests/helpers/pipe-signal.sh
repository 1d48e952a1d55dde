#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: die by SIGKILL.
echo 'about to be killed' >&2
kill -KILL $$
