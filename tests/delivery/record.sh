#!/bin/sh
# ISC license.
# A pipe target for tests/delivery.py: stores what smtpd gave it.
# Usage: record.sh DIR [ARG...]
# Writes DIR/N.msg (its standard input), DIR/N.args (one argument a
# line) and DIR/N.env (its environment, sorted), N counting from 1.
# RECORD_EXIT in DIR/exit, when present, is the status to exit with,
# after RECORD_STDERR (DIR/stderr) is copied to stderr.
dir=$1
shift
n=1
while [ -e "$dir/$n.msg" ]; do
	n=$((n + 1))
done
cat > "$dir/$n.msg"
for arg in "$@"; do
	printf '%s\n' "$arg"
done > "$dir/$n.args"
env | LC_ALL=C sort > "$dir/$n.env"
echo "noise on stdout that must never reach the client"
if [ -f "$dir/stderr" ]; then
	cat "$dir/stderr" >&2
fi
if [ -f "$dir/exit" ]; then
	exit "$(cat "$dir/exit")"
fi
exit 0
