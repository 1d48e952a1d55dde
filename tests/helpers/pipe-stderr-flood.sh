#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: write one line to stderr, then
# about 1.3 MB more, then copy stdin to the file $1 and exit 1.
printf '  first\tline \001here  \nsecond line\n' >&2
yes 'stderr flood' | head -n 100000 >&2
cat >"$1"
exit 1
