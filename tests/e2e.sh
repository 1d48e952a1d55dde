#!/bin/sh
# ISC license.
# End-to-end tests: smtpd behind the launchers it is meant for
# (tcpserver, systemd-socket-activate), fed by real clients (swaks,
# Python smtplib) over 127.0.0.1, with the mailbox compared byte for
# byte against tests/e2e/expected/; and one delivery over ::1, where
# the host has an IPv6 loopback.
#
# Usage: SMTPD=./smtpd sh tests/e2e.sh
# Prints one line per check ("pass:", "FAIL:", "SKIP:" with the reason)
# and a last line "N passed, N failed, N skipped"; exits 1 if any check
# failed.  A launcher or a client that is not installed is skipped, and
# counted as skipped, never as passed; .ci/run installs them all.
#
# smtpd runs with SMTPD_FAKE_TIME and TZ=UTC, so dates are fixed and
# every session's message ids are 6553F10000000 plus a counter.
# Note on swaks: it always sends CR LF "." CR LF after the data, so a
# --data file that ends in a newline gives the message one more empty
# line; the expected mailboxes show it.

set -u

SMTPD=${SMTPD:-./smtpd}
case $SMTPD in
/*)	;;
*)	SMTPD=$(pwd)/$SMTPD ;;
esac
TESTS=$(cd "$(dirname "$0")" && pwd)
E2E=$TESTS/e2e
FAKE_TIME=1700000000
CLIENT_TIMEOUT=20
CONCURRENT=10
ID1=6553F100000000001	# the first message id under SMTPD_FAKE_TIME

passed=0
failed=0
skipped=0
LPID=
PORT=
TMP=
HOST=127.0.0.1
saved=0

pass() {
	passed=$((passed + 1))
	echo "pass: $*"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

skip() {
	skipped=$((skipped + 1))
	echo "SKIP: $*"
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# reply R_ID [ARG]: the reply line of reply.h, without CR LF
reply() {
	python3 "$TESTS/replies.py" "$@"
}

# Show a file indented, at most 40 lines, after a failure.
show() {
	sed -e 's/^/	| /' -e 40q "$1"
}

stop_launcher() {
	if [ -n "$LPID" ]; then
		kill "$LPID" 2>/dev/null
		wait "$LPID" 2>/dev/null
		LPID=
	fi
}

cleanup() {
	stop_launcher
	[ -n "$TMP" ] && rm -rf "$TMP"
}

trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpd-e2e.XXXXXX") || exit 1

if [ ! -x "$SMTPD" ]; then
	echo "e2e: $SMTPD is not an executable; build it first" >&2
	exit 1
fi

# A port from 20000 to 59999; the launcher reports when it is taken.
random_port() {
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + n % 40000))
}

# Wait (at most 5 s) until file $1 matches pattern $2, or LPID dies.
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$LPID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# tcpserver -1 prints the port it bound; port 0 lets the kernel pick a
# free one, so no retry is needed.  -R -H: no ident or DNS lookups;
# -v: log each child's exit status.
start_tcpserver() {
	env SMTPD_FAKE_TIME="$FAKE_TIME" TZ=UTC tcpserver -1 -v -R -H -l 0 \
	    -c 20 127.0.0.1 0 "$SMTPD" -n mx.example.org -d example.org \
	    mbox "$MBOX" >"$DIR/port" 2>"$DIR/launcher.err" &
	LPID=$!
	if wait_for "$DIR/port" '^[0-9][0-9]*$'; then
		PORT=$(cat "$DIR/port")
		return 0
	fi
	stop_launcher
	return 1
}

# systemd-socket-activate passes only the variables named with -E, and
# --inetd puts the connection on fds 0 and 1 as smtpd expects.
start_socket_activate() {
	set -- -E SMTPD_FAKE_TIME="$FAKE_TIME" -E TZ=UTC
	[ -n "${ASAN_OPTIONS:-}" ] && set -- "$@" -E "ASAN_OPTIONS=$ASAN_OPTIONS"
	[ -n "${UBSAN_OPTIONS:-}" ] &&
	    set -- "$@" -E "UBSAN_OPTIONS=$UBSAN_OPTIONS"
	for _ in 1 2 3 4 5; do
		PORT=$(random_port)
		systemd-socket-activate --accept --inetd -l "$LISTEN:$PORT" \
		    "$@" "$SMTPD" -n mx.example.org -d example.org \
		    mbox "$MBOX" >/dev/null 2>"$DIR/launcher.err" &
		LPID=$!
		wait_for "$DIR/launcher.err" '^Listening on' && return 0
		stop_launcher
	done
	return 1
}

# Compare the mailbox with an expected file, then move it aside so the
# next client starts from an empty one.
check_mbox() {
	name=$1
	want=$2
	[ -f "$MBOX" ] || : >"$MBOX"
	if cmp -s "$want" "$MBOX"; then
		pass "$name"
	else
		fail "$name: mailbox differs from ${want#"$E2E"/}"
		diff -u "$want" "$MBOX" >"$DIR/diff" 2>&1
		show "$DIR/diff"
	fi
	saved=$((saved + 1))
	mv "$MBOX" "$MBOX.$saved"
}

swaks_run() {
	log=$1
	shift
	timeout $CLIENT_TIMEOUT swaks --server "$HOST" --port "$PORT" \
	    --from a@example.org "$@" >"$log" 2>&1
}

# swaks run $1: exit status $2 and a reply line $3 in its transcript.
swaks_saw() {
	name=$1
	want_rc=$2
	line=$3
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$name: swaks exited $rc, want $want_rc"
		show "$DIR/swaks.log"
	elif ! grep -qxF -- "$line" "$DIR/swaks.log"; then
		fail "$name: swaks did not see: $line"
		show "$DIR/swaks.log"
	else
		pass "$name"
	fi
}

swaks_checks() {
	l=$1
	if ! have swaks; then
		skip "$l swaks checks (swaks is not installed)"
		return
	fi
	swaks_run "$DIR/swaks.log" --to b@example.org --helo swaks.example \
	    --data "@$E2E/swaks-tricky.eml"
	rc=$?
	swaks_saw "$l swaks EHLO, dots and From lines" 0 \
	    "<-  $(reply R_DATA_OK $ID1)"

	swaks_run "$DIR/swaks.log" --to b@example.org,c@example.org \
	    --protocol SMTP --helo helo.example --data "@$E2E/swaks-short.eml"
	rc=$?
	swaks_saw "$l swaks HELO, two recipients" 0 \
	    "<-  $(reply R_DATA_OK $ID1)"

	swaks_run "$DIR/swaks.log" --to b@example.org --pipeline \
	    --helo pipe.example --data "@$E2E/swaks-short.eml"
	rc=$?
	swaks_saw "$l swaks PIPELINING" 0 \
	    "<-  $(reply R_DATA_OK $ID1)"

	# exit 24: no recipient accepted
	swaks_run "$DIR/swaks.log" --to x@elsewhere.test --helo r.example \
	    --data "@$E2E/swaks-short.eml"
	rc=$?
	swaks_saw "$l swaks relay refused" 24 \
	    "<** $(reply R_RELAY_DENIED elsewhere.test)"

	check_mbox "$l swaks mailbox" "$E2E/expected/swaks.mbox"
}

python_checks() {
	l=$1
	if ! have python3; then
		skip "$l python smtplib checks (python3 is not installed)"
		return
	fi
	timeout $CLIENT_TIMEOUT python3 "$E2E/send.py" "$PORT" \
	    >"$DIR/python.log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"pass: "*)	pass "$l ${line#pass: }" ;;
		"FAIL: "*)	fail "$l ${line#FAIL: }" ;;
		esac
	done <"$DIR/python.log"
	# a crash or a timeout leaves no FAIL line of its own
	if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' "$DIR/python.log"; then
		fail "$l python send.py exited $rc"
		show "$DIR/python.log"
	fi
	check_mbox "$l python mailbox" "$E2E/expected/python.mbox"
}

# Message $2 of a concurrency check, subject "$1 $2", $3 body lines:
# well over the 64 KiB mbox write buffer, so a delivery takes several
# write()s and an unlocked one would interleave with another.  The
# same text as send.py's burst_body(), with LF line ends.
numbered_message() {
	awk -v s="$1" -v n="$2" -v lines="$3" 'BEGIN {
		printf "Subject: %s %d\n\n", s, n
		for (k = 1; k <= lines; k++)
			printf "%d:%d the quick brown fox jumps over the lazy dog\n", n, k
	}'
}

# What message $2 must look like in the mailbox; $4 is how many empty
# lines the client added after the text, before mbox's separating one.
numbered_expected() {
	printf 'From a@example.org Tue Nov 14 22:13:20 2023\n'
	printf 'Return-Path: <a@example.org>\n'
	printf 'Received: from %s%d.example ([127.0.0.1])\n' "$1" "$2"
	printf '\tby mx.example.org (smtpd) with ESMTP id 6553F100000000001\n'
	printf '\tfor <b@example.org>;\n'
	printf '\tTue, 14 Nov 2023 22:13:20 +0000\n'
	numbered_message "$1" "$2" "$3"
	e=0
	while [ $e -le "$4" ]; do
		printf '\n'
		e=$((e + 1))
	done
}

# The mailbox must hold messages 1..CONCURRENT, each whole, in any
# order: split it at each From_ line and compare every part.
check_numbered() {
	l=$1
	word=$2
	lines=$3
	extra=$4
	[ -f "$MBOX" ] || : >"$MBOX"
	n=$(grep -c '^From ' "$MBOX")
	if [ "$n" -eq $CONCURRENT ]; then
		pass "$l $word: $CONCURRENT From_ lines in the mailbox"
	else
		fail "$l $word: $n From_ lines in the mailbox, want $CONCURRENT"
	fi
	rm -rf "$DIR/parts"
	mkdir "$DIR/parts"
	awk -v d="$DIR/parts" '/^From / { n++ } { print > (d "/" n) }' "$MBOX"
	intact=0
	for part in "$DIR"/parts/*; do
		[ -f "$part" ] || continue
		k=$(sed -n "s/^Subject: $word \\([0-9][0-9]*\\)\$/\\1/p" "$part")
		case $k in
		''|*[!0-9]*)	continue ;;
		esac
		[ -f "$DIR/parts/seen$k" ] && continue
		numbered_expected "$word" "$k" "$lines" "$extra" >"$DIR/want"
		if cmp -s "$DIR/want" "$part"; then
			: >"$DIR/parts/seen$k"
			intact=$((intact + 1))
		fi
	done
	if [ $intact -eq $CONCURRENT ]; then
		pass "$l $word: $CONCURRENT messages intact, none interleaved"
	else
		fail "$l $word: only $intact of $CONCURRENT messages intact"
	fi
	saved=$((saved + 1))
	mv "$MBOX" "$MBOX.$saved"
}

# CONCURRENT swaks clients started together.
concurrency_check() {
	l=$1
	if ! have swaks; then
		skip "$l $CONCURRENT concurrent clients (swaks is not installed)"
		return
	fi
	pids=
	i=1
	while [ $i -le $CONCURRENT ]; do
		numbered_message cc $i 1500 >"$DIR/cc$i.eml"
		swaks_run "$DIR/cc$i.log" --to b@example.org \
		    --helo "cc$i.example" --data "@$DIR/cc$i.eml" &
		pids="$pids $!"
		i=$((i + 1))
	done
	bad=0
	for p in $pids; do
		wait "$p" || bad=$((bad + 1))
	done
	if [ $bad -eq 0 ]; then
		pass "$l $CONCURRENT concurrent swaks clients succeeded"
	else
		fail "$l $bad of $CONCURRENT concurrent swaks clients failed"
	fi
	# swaks adds an empty line after a --data file's last newline
	check_numbered "$l" cc 1500 1
}

# CONCURRENT smtplib sessions whose data ends at the same moment, so
# the deliveries surely overlap and the mailbox locks are what keep
# the messages whole.
burst_check() {
	l=$1
	if ! have python3; then
		skip "$l burst of $CONCURRENT (python3 is not installed)"
		return
	fi
	timeout $CLIENT_TIMEOUT python3 "$E2E/send.py" "$PORT" burst \
	    $CONCURRENT 20000 >"$DIR/burst.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^pass: ' "$DIR/burst.log"; then
		pass "$l burst: $CONCURRENT simultaneous deliveries accepted"
	else
		fail "$l burst: send.py exited $rc"
		show "$DIR/burst.log"
	fi
	check_numbered "$l" burst 20000 0
}

# The client's IPv6 address is an RFC 5321 4.1.3 address literal in
# the Received header.
ipv6_check() {
	l=$1
	swaks_run "$DIR/swaks.log" --to b@example.org --helo v6.example \
	    --data "@$E2E/swaks-short.eml"
	rc=$?
	swaks_saw "$l swaks over ::1" 0 \
	    "<-  $(reply R_DATA_OK $ID1)"
	{
		printf 'From a@example.org Tue Nov 14 22:13:20 2023\n'
		printf 'Return-Path: <a@example.org>\n'
		printf 'Received: from v6.example ([IPv6:::1])\n'
		printf '\tby mx.example.org (smtpd) with ESMTP id 6553F100000000001\n'
		printf '\tfor <b@example.org>;\n'
		printf '\tTue, 14 Nov 2023 22:13:20 +0000\n'
		printf 'Subject: short\n\none line\n\n\n'
	} >"$DIR/ipv6.mbox"
	check_mbox "$l mailbox" "$DIR/ipv6.mbox"
}

# Both launchers log each connection and each child's exit status:
# tcpserver "ok PID ..." and "end PID status N" (N the raw wait
# status), systemd-socket-activate "Connection from ..." and "Child
# PID died with code N".  Wait until every smtpd has been reaped, then
# insist that each exited 0: a crash or a sanitizer abort does not.
check_exits() {
	l=$1
	began=$2
	ended=$3
	i=0
	while [ $i -lt 50 ]; do
		b=$(grep -c "$began" "$DIR/launcher.err")
		e=$(grep -c "$ended" "$DIR/launcher.err")
		[ "$b" -eq "$e" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	bad=$(grep "$ended" "$DIR/launcher.err" | grep -cv ' 0$')
	if [ "$b" -eq 0 ]; then
		fail "$l: the launcher logged no connection"
	elif [ "$b" -ne "$e" ]; then
		fail "$l: $b smtpd started, only $e ended"
	elif [ "$bad" -ne 0 ]; then
		fail "$l: $bad of $e smtpd processes exited non-zero"
		grep "$ended" "$DIR/launcher.err" | grep -v ' 0$' >"$DIR/bad"
		show "$DIR/bad"
	else
		pass "$l: all $e smtpd processes exited 0"
	fi
}

# Whatever smtpd wrote to stderr reaches the launcher's: under
# `make sanitize` that is where ASan and UBSan report.
check_stderr() {
	l=$1
	if grep -q -e 'Sanitizer' -e 'runtime error' "$DIR/launcher.err"; then
		fail "$l sanitizer report from smtpd"
		grep -m 1 -A 15 -e Sanitizer -e "runtime error" \
		    "$DIR/launcher.err" >"$DIR/bad"
		show "$DIR/bad"
	else
		pass "$l no sanitizer report"
	fi
}

run_launcher() {
	l=$1
	DIR=$TMP/$l
	MBOX=$DIR/mbox
	mkdir "$DIR"
	if ! "start_$2"; then
		fail "$l did not start"
		show "$DIR/launcher.err"
		return
	fi
	echo "# $l on $HOST port $PORT"
	case $l in
	tcpserver)
		swaks_checks "$l"
		python_checks "$l"
		concurrency_check "$l"
		burst_check "$l"
		check_exits "$l" '^tcpserver: ok ' '^tcpserver: end '
		;;
	socket-activate)
		swaks_checks "$l"
		python_checks "$l"
		check_exits "$l" '^Connection from ' '^Child .* died with code '
		;;
	ipv6)
		ipv6_check "$l"
		check_exits "$l" '^Connection from ' '^Child .* died with code '
		;;
	esac
	stop_launcher
	check_stderr "$l"
}

if have tcpserver; then
	run_launcher tcpserver tcpserver
else
	skip "tcpserver checks (ucspi-tcp is not installed)"
fi
if have systemd-socket-activate; then
	LISTEN=127.0.0.1
	run_launcher socket-activate socket_activate
	if ! have swaks; then
		skip "IPv6 check (swaks is not installed)"
	elif ! swaks --support 2>&1 | grep -q '^=== IPv6 supported'; then
		skip "IPv6 check (swaks lacks IPv6: libio-socket-inet6-perl)"
	elif grep -q '^0*1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
		HOST=::1
		LISTEN='[::1]'
		run_launcher ipv6 socket_activate
	else
		skip "IPv6 check (no ::1 on this host)"
	fi
else
	skip "systemd-socket-activate checks (systemd is not installed)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] || exit 1
exit 0
