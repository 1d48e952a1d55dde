#!/bin/sh
# ISC license.
# Pipe target for tests/check_pipe.c: read stdin, then write about
# 1.3 MB to stdout, which must go nowhere near smtpd's client.
cat >/dev/null
yes 'this must not reach the SMTP client' | head -n 40000
exit 0
