#!/bin/sh
# ISC license.
# make check-memory: a session's peak RSS does not depend on what the
# client sends.  A session with a 1 GB message (76-octet lines), one
# with the same message as a single 1 GB BDAT chunk (RFC 3030) and one
# with a 1 GB line must each peak within MARGIN KiB of a session with a
# 2 KB message, and under LIMIT KiB (docs/performance.md).  Each is
# checked byte for byte in the mailbox.
#
# Environment: SMTPD (./smtpd), BENCH_BIN (build), MEMORY_SIZE (octets,
# default 1000000000).  Works in /dev/shm when it is a tmpfs with room
# for twice SIZE (the spool file and the mailbox), else in build/.
set -eu

SMTPD=${SMTPD:-./smtpd}
BIN=${BENCH_BIN:-build}
# the "message delivered" reply, from reply.h
DELIVERED=$(python3 "$(dirname "$0")/../tests/replies.py" -E R_DATA_OK)
SIZE=${MEMORY_SIZE:-1000000000}
MARGIN=1024	# the buffers touched whole, and the kernel's own variation
LIMIT=4096

# KiB free in a directory's filesystem
free_kib() {
	df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'
}

need=$((SIZE / 1024 * 2 + 65536))
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
    [ "$(free_kib /dev/shm)" -gt "$need" ]; then
	dir=$(mktemp -d /dev/shm/smtpd-memory.XXXXXX)
else
	mkdir -p build
	dir=$(mktemp -d build/memory.XXXXXX)
	if [ "$(free_kib "$dir")" -le "$need" ]; then
		echo "memory: need $need KiB free in /dev/shm or build/" >&2
		exit 1
	fi
fi
trap 'rm -rf "$dir"' EXIT
export TMPDIR="$dir"
# started as root, smtpd needs -u (smtpd.8, -u); nobody then
# writes the spool file and the mailbox here
runas=
if [ "$(id -u)" = 0 ]; then
	runas="-u nobody"
	chown nobody "$dir"
fi

# Run one session from a generator; print its peak RSS in KiB.
session() {	# GENERATOR-ARGS...
	rm -f "$dir/mbox"
	"$BIN/bench-gen" "$@" | "$BIN/bench-load" run /dev/stdin "$dir/out" \
	    "$SMTPD" $runas -n bench.example -s $((SIZE * 2)) mbox "$dir/mbox" |
	    cut -d' ' -f2
	grep -Eq "$DELIVERED" "$dir/out" || {
		echo "memory: not delivered: $*" >&2
		exit 1
	}
}

status=0
within() {	# LABEL KIB
	if [ "$2" -le $((base + MARGIN)) ] && [ "$2" -le $LIMIT ]; then
		echo "pass: $1: peak RSS $2 KiB (2 KB message: $base KiB)"
	else
		echo "FAIL: $1: peak RSS $2 KiB, over $base + $MARGIN or $LIMIT"
		status=1
	fi
}

base=$(session session 1 2000)
"$BIN/bench-gen" check "$dir/mbox" 1
rss=$(session session 1 "$SIZE")
"$BIN/bench-gen" check "$dir/mbox" 1
within "message of $SIZE octets" "$rss"
rss=$(session bdat 1 "$SIZE")
"$BIN/bench-gen" check "$dir/mbox" 1
within "BDAT chunk of $SIZE octets" "$rss"
rss=$(session line "$SIZE")
"$BIN/bench-gen" checkline "$dir/mbox" "$SIZE"
within "line of $SIZE octets" "$rss"
exit $status
