#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: fail, naming the descriptor, when
# any of 3 to 9 is open (sh redirections reach only single digits).
cat >/dev/null
for fd in 3 4 5 6 7 8 9; do
	if (eval ": >&$fd") 2>/dev/null; then
		echo "descriptor $fd is open" >&2
		exit 1
	fi
done
exit 0
