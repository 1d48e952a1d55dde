#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: "yes" dies silently of SIGPIPE
# when the signal has its default action; if smtpd's SIG_IGN leaked
# through exec, it complains on stderr instead.  Then exit 3.
cat >/dev/null
yes | head -n 1 >/dev/null
exit 3
