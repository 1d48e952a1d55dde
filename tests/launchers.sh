#!/bin/sh
# ISC license.
# Every launcher example in the repository, started for real and fed by
# real clients over loopback: inetd.conf.example under openbsd-inetd,
# smtpd.xinetd under xinetd, tcpserver/run, smtpd.socket with
# smtpd@.service and smtpd-lmtp.socket with smtpd-lmtp@.service under
# systemd-socket-activate --accept.  Each test configuration is made
# from the example file itself (port, paths and user replaced), so an
# example that stops working fails here.  Also: smtpd's own -u, the
# privilege drop as root, and the units' syntax (systemd-analyze).
#
# Usage: SMTPD=./smtpd sh tests/launchers.sh
# One line per check ("pass:", "FAIL:", "SKIP:" with the reason), then
# "N passed, N failed, N skipped"; exit 1 if any check failed.  A
# launcher or client that is not installed is skipped, and counted as
# skipped; .ci/run installs them all (xinetd under /opt/xinetd, as it
# conflicts with openbsd-inetd in Debian).
#
# As root the sessions run as nobody, as the examples' user would;
# otherwise as the user running the tests.

set -u

SMTPD=${SMTPD:-./smtpd}
case $SMTPD in
/*)	;;
*)	SMTPD=$(pwd)/$SMTPD ;;
esac
SRC=$(cd "$(dirname "$0")/.." && pwd)
L=$SRC/tests/launchers
ID1=6553F100000000001	# the first message id under SMTPD_FAKE_TIME
FAKE_TIME=1700000000
CLIENT_TIMEOUT=30
MANY=50
XINETD=${XINETD:-}
if [ -z "$XINETD" ]; then
	if command -v xinetd >/dev/null 2>&1; then
		XINETD=$(command -v xinetd)
	else
		XINETD=/opt/xinetd/usr/sbin/xinetd
	fi
fi

passed=0
failed=0
skipped=0
LPID=
TMP=

pass() { passed=$((passed + 1)); echo "pass: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# reply R_ID [ARG]: the reply line of reply.h, without CR LF
reply() { python3 "$SRC/tests/replies.py" "$@"; }
show() { sed -e 's/^/	| /' -e 40q "$1"; }

stop_launcher() {
	if [ -n "$LPID" ]; then
		kill "$LPID" 2>/dev/null
		wait "$LPID" 2>/dev/null
		LPID=
	fi
}

cleanup() {
	stop_postfix
	stop_launcher
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$SMTPD" ]; then
	echo "launchers: $SMTPD is not an executable; build it first" >&2
	exit 1
fi

# The sessions' user must reach smtpd and the mail store: a copy of the
# binary in a world-readable directory, mail directories owned by them.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpd-launchers.XXXXXX") || exit 1
chmod 0755 "$TMP"
cp "$SMTPD" "$TMP/smtpd" && chmod 0755 "$TMP/smtpd" || exit 1
BIN=$TMP/smtpd
if [ "$(id -u)" -eq 0 ]; then
	ROOT=1
	RUNUSER=nobody
else
	ROOT=0
	RUNUSER=$(id -un)
fi
RUNGROUP=$(id -gn "$RUNUSER")

# A directory the sessions may write in.
mail_dir() {
	mkdir -p "$1" && chown "$RUNUSER:$RUNGROUP" "$1"
}

random_port() {
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + n % 40000))
}

# Is a TCP socket listening on port $1 (/proc: no ss or netstat needed)?
listening() {
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p \
	    { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 \
	    2>/dev/null
}

# Wait (at most 5 s) until port $1 listens, or the launcher dies.
wait_listen() {
	i=0
	while [ $i -lt 50 ]; do
		listening "$1" && return 0
		kill -0 "$LPID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# A free port for the next launcher.
free_port() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$(random_port)
		listening "$PORT" || return 0
	done
	return 1
}

# The environment every smtpd gets: fixed clock, and the sanitizers'
# settings under `make sanitize`.
SMTPD_ENV="SMTPD_FAKE_TIME=$FAKE_TIME TZ=UTC"
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	eval "val=\${$v-}"
	[ -n "$val" ] && SMTPD_ENV="$SMTPD_ENV $v=$val"
done

# What one message must look like in the mbox: the From_ line and
# trace headers smtpd adds, the stored text (mboxrd-quoted), $3 empty
# lines the client added at the end, and mbox's separating empty line;
# $4 what the Received header says after "with" (ESMTP when omitted).
expected_mbox() {
	printf 'From a@example.org Tue Nov 14 22:13:20 2023\n'
	printf 'Return-Path: <a@example.org>\n'
	printf 'Received: from %s ([%s])\n' "$1" "$2"
	printf '\tby mx.example.org (smtpd) with %s id 6553F100000000001\n' \
	    "${4:-ESMTP}"
	printf '\tfor <b@example.org>;\n'
	printf '\tTue, 14 Nov 2023 22:13:20 +0000\n'
	cat "$L/message.stored"
	e=0
	while [ $e -le "$3" ]; do
		printf '\n'
		e=$((e + 1))
	done
}

saved=0
# Compare the mbox with file $2, then move it aside for the next client.
check_mbox() {
	[ -f "$MBOX" ] || : >"$MBOX"
	if cmp -s "$2" "$MBOX"; then
		pass "$1"
	else
		fail "$1: the mailbox differs"
		diff -u "$2" "$MBOX" >"$DIR/diff" 2>&1
		show "$DIR/diff"
	fi
	saved=$((saved + 1))
	mv "$MBOX" "$MBOX.$saved" 2>/dev/null
}

# $1 the check's name, $2 the file with what was seen, $3 the
# file with what must be.
check_same() {
	if cmp -s "$3" "$2"; then
		pass "$1"
	else
		fail "$1"
		diff -u "$3" "$2" >"$DIR/diff" 2>&1
		show "$DIR/diff"
	fi
}

# --- clients -------------------------------------------------------

client_swaks() {
	if ! have swaks; then
		skip "$1 swaks (not installed)"
		return
	fi
	timeout $CLIENT_TIMEOUT swaks --server "$HOST" --port "$PORT" \
	    --from a@example.org --to b@example.org --helo swaks.example \
	    --data "@$L/message.eml" >"$DIR/swaks.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || ! grep -qxF \
	    "<-  $(reply R_DATA_OK $ID1)" "$DIR/swaks.log"; then
		fail "$1 swaks: exit $rc or no 250 after the data"
		show "$DIR/swaks.log"
	else
		pass "$1 swaks: 250 after the data"
	fi
	# swaks ends a --data file that ends in LF with one more CR LF
	expected_mbox swaks.example "$PEER" 1 >"$DIR/want"
	check_mbox "$1 swaks mailbox" "$DIR/want"
}

# The replies Python's smtplib gets, byte for byte (the EHLO reply's
# lines joined by LF).
python_replies() {
	reply R_HELO "$1"
	printf 'PIPELINING\nSIZE 10240000\n8BITMIME\nENHANCEDSTATUSCODES\n'
	printf 'SMTPUTF8\nHELP\nCHUNKING\n'
	reply R_SENDER_OK '<a@example.org>'
	reply R_RCPT_OK '<b@example.org>'
	reply R_DATA_OK $ID1
	reply R_QUIT mx.example.org
}

client_python() {
	if ! have python3; then
		skip "$1 python smtplib (python3 is not installed)"
		return
	fi
	timeout $CLIENT_TIMEOUT python3 "$L/client.py" smtp "$HOST" "$PORT" \
	    python.example "$L/message.eml" >"$DIR/python.out" 2>&1
	python_replies python.example >"$DIR/want"
	check_same "$1 python smtplib replies" "$DIR/python.out" "$DIR/want"
	expected_mbox python.example "$PEER" 0 >"$DIR/want"
	check_mbox "$1 python smtplib mailbox" "$DIR/want"
}

client_curl() {
	if ! have curl; then
		skip "$1 curl (not installed)"
		return
	fi
	# curl sends the file as it is: CR LF, as SMTP wants
	sed 's/$/\r/' "$L/message.eml" >"$DIR/message.crlf"
	if timeout $CLIENT_TIMEOUT curl -sS \
	    "smtp://$HOST:$PORT/curl.example" --mail-from a@example.org \
	    --mail-rcpt b@example.org --upload-file "$DIR/message.crlf" \
	    >"$DIR/curl.log" 2>&1; then
		pass "$1 curl smtp:// exit 0"
	else
		fail "$1 curl smtp:// failed"
		show "$DIR/curl.log"
	fi
	expected_mbox curl.example "$PEER" 0 >"$DIR/want"
	check_mbox "$1 curl mailbox" "$DIR/want"
}

client_msmtp() {
	if ! have msmtp; then
		skip "$1 msmtp (not installed)"
		return
	fi
	if timeout $CLIENT_TIMEOUT msmtp --host="$HOST" --port="$PORT" \
	    --domain=msmtp.example --auth=off --tls=off \
	    --from=a@example.org b@example.org <"$L/message.eml" \
	    >"$DIR/msmtp.log" 2>&1; then
		pass "$1 msmtp exit 0"
	else
		fail "$1 msmtp failed"
		show "$DIR/msmtp.log"
	fi
	expected_mbox msmtp.example "$PEER" 0 >"$DIR/want"
	check_mbox "$1 msmtp mailbox" "$DIR/want"
}

# s-nail composes the message itself: a fixed date (SOURCE_DATE_EPOCH)
# and no Message-ID or User-Agent (stealthmua) keep it byte-stable.
client_snail() {
	if ! have s-nail; then
		skip "$1 s-nail (not installed)"
		return
	fi
	printf 'one line from s-nail\n' >"$DIR/snail.body"
	if HOME=$DIR MAILRC=/dev/null SOURCE_DATE_EPOCH=$FAKE_TIME TZ=UTC \
	    timeout $CLIENT_TIMEOUT s-nail -: / -Sv15-compat \
	    -Smta="smtp://$HOST:$PORT" -Shostname=snail.example \
	    -Ssmtp-auth=none -Sstealthmua=all \
	    -Sexpandaddr=fail,-all,+addr -Ssendcharsets=us-ascii \
	    -r a@example.org -Sfrom=a@example.org -s 'from s-nail' b@example.org \
	    <"$DIR/snail.body" >"$DIR/snail.log" 2>&1; then
		pass "$1 s-nail exit 0"
	else
		fail "$1 s-nail failed"
		show "$DIR/snail.log"
	fi
	{
		# s-nail says HELO, not EHLO, when it needs no extension
		expected_mbox snail.example "$PEER" 0 SMTP | sed '/^Date: /,$d'
		printf 'Date: Tue, 14 Nov 2023 22:13:20 +0000\n'
		printf 'From: a@example.org\nTo: b@example.org\n'
		printf 'Subject: from s-nail\n\none line from s-nail\n\n'
	} >"$DIR/want"
	check_mbox "$1 s-nail mailbox" "$DIR/want"
}

# Message $1 of client.py many, as stored.
many_expected() {
	printf 'From a@example.org Tue Nov 14 22:13:20 2023\n'
	printf 'Return-Path: <a@example.org>\n'
	printf 'Received: from many%d.example ([%s])\n' "$1" "$PEER"
	printf '\tby mx.example.org (smtpd) with ESMTP id 6553F100000000001\n'
	printf '\tfor <b@example.org>;\n'
	printf '\tTue, 14 Nov 2023 22:13:20 +0000\n'
	printf 'Subject: many %d\n\n' "$1"
	awk -v n="$1" 'BEGIN { for (k = 1; k <= 2000; k++)
	    printf "%d:%d the quick brown fox jumps over the lazy dog\n", n, k }'
	printf '\n'
}

# MANY sessions at once whose data ends at the same moment: every one
# gets 250 and the mbox holds MANY whole messages, none interleaved.
client_many() {
	if ! have python3; then
		skip "$1 $MANY concurrent clients (python3 is not installed)"
		return
	fi
	timeout 60 python3 "$L/client.py" many "$HOST" "$PORT" $MANY \
	    >"$DIR/many.out" 2>&1
	n=0
	while [ $n -lt $MANY ]; do
		n=$((n + 1))
		echo "$n 250"
	done >"$DIR/want"
	check_same "$1 $MANY concurrent clients: all 250" "$DIR/many.out" \
	    "$DIR/want"
	rm -rf "$DIR/parts"
	mkdir "$DIR/parts"
	awk -v d="$DIR/parts" '/^From / { n++ } { print > (d "/" n) }' "$MBOX"
	# each part is compared with the message its Subject names, and
	# each message is counted once
	intact=0
	for part in "$DIR"/parts/*; do
		k=$(sed -n 's/^Subject: many \([0-9][0-9]*\)$/\1/p' "$part")
		case $k in
		''|*[!0-9]*)	continue ;;
		esac
		[ -f "$DIR/parts/seen$k" ] && continue
		many_expected "$k" >"$DIR/want"
		if [ "$k" -le $MANY ] && cmp -s "$DIR/want" "$part"; then
			: >"$DIR/parts/seen$k"
			intact=$((intact + 1))
		fi
	done
	parts=$(grep -c '^From ' "$MBOX")
	if [ $intact -eq $MANY ] && [ "$parts" -eq $MANY ]; then
		pass "$1 $MANY messages intact in the mbox, none interleaved"
	else
		fail "$1 $intact of $MANY messages intact, $parts in the mbox"
	fi
	saved=$((saved + 1))
	mv "$MBOX" "$MBOX.$saved"
}

# Every smtpd the launcher started ended with status 0 (a sanitizer
# abort or a crash does not).  $2 matches a start in the launcher's
# log, $3 an end, $4 an end with status 0.
check_exits() {
	i=0
	while [ $i -lt 50 ]; do
		b=$(grep -c -e "$2" "$DIR/launcher.log")
		e=$(grep -c -e "$3" "$DIR/launcher.log")
		[ "$b" -eq "$e" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	bad=$(grep -e "$3" "$DIR/launcher.log" | grep -cv -e "$4")
	if [ "$b" -eq 0 ] || [ "$b" -ne "$e" ] || [ "$bad" -ne 0 ]; then
		fail "$1: $b smtpd started, $e ended, $bad not with status 0"
		show "$DIR/launcher.log"
	else
		pass "$1: all $e smtpd processes exited 0"
	fi
	if grep -q -e 'Sanitizer' -e 'runtime error' "$DIR/launcher.log"; then
		fail "$1: sanitizer report"
		show "$DIR/launcher.log"
	fi
}

# Set DIR, MBOX (owned by the sessions' user) and PORT for launcher $1.
setup() {
	DIR=$TMP/$1
	mkdir "$DIR" && mail_dir "$DIR/mail"
	MBOX=$DIR/mail/mbox
	HOST=127.0.0.1
	PEER=127.0.0.1
	free_port
}

# --- inetd ---------------------------------------------------------

# inetd.conf.example's service line, made to listen on 127.0.0.1:PORT,
# run as the sessions' user, start the binary under test and deliver
# into the test's mbox.
inetd_conf() {
	grep '^smtp[[:space:]]*stream[[:space:]]*tcp4[[:space:]]' \
	    "$SRC/inetd.conf.example" | sed \
	    -e "s|^smtp|127.0.0.1:$PORT|" \
	    -e "s|smtpd:mail|$RUNUSER:$RUNGROUP|" \
	    -e "s|/usr/local/sbin/smtpd|$BIN|" \
	    -e "s|/var/mail/incoming|$MBOX|"
}

test_inetd() {
	if ! have inetd; then
		skip "inetd (openbsd-inetd is not installed)"
		return
	fi
	setup inetd
	inetd_conf >"$DIR/inetd.conf"
	if ! grep -q "^127.0.0.1:$PORT	stream	tcp4	nowait	" \
	    "$DIR/inetd.conf"; then
		fail "inetd: no service line in inetd.conf.example"
		show "$SRC/inetd.conf.example"
		return
	fi
	# -d: stay in the foreground and log each child to stderr; inetd
	# passes its environment on to smtpd
	env $SMTPD_ENV inetd -d "$DIR/inetd.conf" >"$DIR/launcher.log" 2>&1 &
	LPID=$!
	if ! wait_listen "$PORT"; then
		fail "inetd did not start"
		show "$DIR/launcher.log"
		stop_launcher
		return
	fi
	echo "# inetd on 127.0.0.1 port $PORT"
	client_swaks inetd
	client_python inetd
	client_curl inetd
	client_msmtp inetd
	client_snail inetd
	client_many inetd
	check_exits inetd ' execv ' ' reaped, status ' ' status 0$'
	stop_launcher
}

# --- xinetd --------------------------------------------------------

# smtpd.xinetd as a test service: UNLISTED on 127.0.0.1:PORT (xinetd
# insists that a service named in /etc/services use its port), logging
# to a file, the environment set for the tests.
xinetd_conf() {
	sed -e "s|^service smtp\$|service smtpd-test|" \
	    -e "s|^\\([[:space:]]*user[[:space:]]*=[[:space:]]*\\).*|\\1$RUNUSER|" \
	    -e "s|^\\([[:space:]]*group[[:space:]]*=[[:space:]]*\\).*|\\1$RUNGROUP|" \
	    -e "s|/usr/local/sbin/smtpd|$BIN|" \
	    -e "s|/var/mail/incoming|$MBOX|" \
	    -e "s|^{\$|{\\
	type		= UNLISTED\\
	port		= $PORT\\
	bind		= 127.0.0.1\\
	log_type	= FILE $DIR/launcher.log\\
	env		= $SMTPD_ENV|" \
	    -e '/^[[:space:]]*flags/d' \
	    "$SRC/smtpd.xinetd"
}

test_xinetd() {
	if [ ! -x "$XINETD" ]; then
		skip "xinetd (not installed)"
		return
	fi
	if [ $ROOT -eq 0 ]; then
		skip "xinetd (it switches users only as root)"
		return
	fi
	setup xinetd
	xinetd_conf >"$DIR/xinetd.conf"
	: >"$DIR/launcher.log"
	"$XINETD" -dontfork -f "$DIR/xinetd.conf" -pidfile "$DIR/pid" \
	    >"$DIR/xinetd.err" 2>&1 &
	LPID=$!
	if ! wait_listen "$PORT"; then
		fail "xinetd did not start"
		show "$DIR/xinetd.err"
		stop_launcher
		return
	fi
	echo "# xinetd on 127.0.0.1 port $PORT"
	client_swaks xinetd
	client_python xinetd
	check_exits xinetd 'START: ' 'EXIT: ' ' status=0 '
	stop_launcher
}

# --- tcpserver/run -------------------------------------------------

test_tcpserver() {
	if ! have tcpserver; then
		skip "tcpserver (ucspi-tcp is not installed)"
		return
	fi
	setup tcpserver
	# as root, tcpserver/run has smtpd -u drop to SMTPD_USER
	env $SMTPD_ENV IP=127.0.0.1 PORT="$PORT" SMTPD_USER="$RUNUSER" \
	    SMTPD="$BIN" MBOX="$MBOX" sh "$SRC/tcpserver/run" \
	    >"$DIR/launcher.log" 2>&1 &
	LPID=$!
	if ! wait_listen "$PORT"; then
		fail "tcpserver/run did not start"
		show "$DIR/launcher.log"
		stop_launcher
		return
	fi
	echo "# tcpserver/run on 127.0.0.1 port $PORT"
	client_swaks tcpserver
	client_python tcpserver
	check_exits tcpserver '^tcpserver: ok ' '^tcpserver: end ' ' status 0$'
	stop_launcher
}

# --- systemd units -------------------------------------------------

# The value of key $2 in unit file $1.
unit_value() {
	sed -n "s/^$2=//p" "$1"
}

# The units' syntax and the sandboxing they promise.
test_units() {
	if ! have systemd-analyze; then
		skip "systemd unit syntax (systemd is not installed)"
		return
	fi
	DIR=$TMP/units
	mkdir "$DIR"
	for u in smtpd.socket smtpd@.service smtpd-lmtp.socket \
	    smtpd-lmtp@.service; do
		sed "s|/usr/local/sbin/smtpd|$BIN|" "$SRC/$u" >"$DIR/$u"
	done
	(cd "$DIR" && systemd-analyze verify --man=no ./smtpd.socket \
	    ./smtpd@.service ./smtpd-lmtp.socket ./smtpd-lmtp@.service) \
	    >"$DIR/verify.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$DIR/verify.log" ]; then
		pass "units: systemd-analyze verify finds nothing"
	else
		fail "units: systemd-analyze verify exit $rc"
		show "$DIR/verify.log"
	fi
	for u in smtpd@.service smtpd-lmtp@.service; do
		missing=
		for k in NoNewPrivileges=yes ProtectSystem=strict \
		    ReadWritePaths= PrivateTmp=yes User= \
		    StandardInput=socket StandardOutput=socket; do
			grep -q "^$k" "$SRC/$u" || missing="$missing $k"
		done
		if [ -z "$missing" ]; then
			pass "units: $u sandboxed, on the socket"
		else
			fail "units: $u lacks$missing"
		fi
	done
	for u in smtpd.socket smtpd-lmtp.socket; do
		if [ "$(unit_value "$SRC/$u" Accept)" = yes ]; then
			pass "units: $u has Accept=yes"
		else
			fail "units: $u lacks Accept=yes"
		fi
	done
}

# ExecStart of unit $1 as smtpd gets it: the binary and mail store of
# the test, %% (a % in a unit file) as %.
exec_start() {
	unit_value "$SRC/$1" ExecStart | sed -e "s|/usr/local/sbin/smtpd|$BIN|" \
	    -e "s|/var/mail/incoming|$MBOX|" -e "s|/var/vmail|$DIR/vmail|" \
	    -e 's/%%/%/g'
}

# systemd-socket-activate --accept does what systemd does with
# Accept=yes: one process per connection, the connection on fds 0
# and 1 (--inetd); as root it runs as the sessions' user, as User=.
start_socket_activate() {
	set -- --accept --inetd -l "$1"
	for v in $SMTPD_ENV; do
		set -- "$@" -E "$v"
	done
	# shellcheck disable=SC2046 # ExecStart is split into words
	set -- systemd-socket-activate "$@" $(exec_start "$UNIT")
	if [ $ROOT -eq 1 ]; then
		set -- setpriv --reuid="$RUNUSER" --regid="$RUNGROUP" \
		    --clear-groups -- "$@"
	fi
	# one process from here to systemd-socket-activate (setpriv
	# execs it), so stop_launcher's kill reaches it
	"$@" >/dev/null 2>"$DIR/launcher.log" &
	LPID=$!
}

test_systemd_socket() {
	if ! have systemd-socket-activate; then
		skip "smtpd.socket (systemd is not installed)"
		return
	fi
	setup systemd
	UNIT=smtpd@.service
	listen=$(unit_value "$SRC/smtpd.socket" ListenStream)
	if [ "$listen" != 25 ]; then
		fail "smtpd.socket: ListenStream is $listen, not 25"
	fi
	start_socket_activate "127.0.0.1:$PORT"
	if ! wait_listen "$PORT"; then
		fail "smtpd.socket did not start"
		show "$DIR/launcher.log"
		stop_launcher
		return
	fi
	echo "# smtpd.socket on 127.0.0.1 port $PORT"
	client_swaks systemd
	client_python systemd
	check_exits systemd '^Connection from ' ' died with code ' ' code 0$'
	stop_launcher

	# IPv6, and IPv4 through an IPv6 socket (::ffff:127.0.0.1, RFC
	# 4291 2.5.5.2): the Received header shows each as it is
	if ! grep -q '^0*1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
		skip "smtpd.socket over IPv6 (no ::1 on this host)"
		return
	fi
	DIR=$TMP/systemd6
	mkdir "$DIR" && mail_dir "$DIR/mail"
	MBOX=$DIR/mail/mbox
	free_port
	start_socket_activate "[::]:$PORT"
	if ! wait_listen "$PORT"; then
		fail "smtpd.socket on [::] did not start"
		show "$DIR/launcher.log"
		stop_launcher
		return
	fi
	echo "# smtpd.socket on [::] port $PORT"
	HOST=::1
	PEER=IPv6:::1
	client_python "systemd ::1"
	HOST=127.0.0.1
	PEER=127.0.0.1
	client_python "systemd IPv4 via an IPv6 socket"
	check_exits "systemd [::]" '^Connection from ' ' died with code ' \
	    ' code 0$'
	stop_launcher
}

# LMTP over the Unix socket of smtpd-lmtp.socket, as Postfix's lmtp
# client would speak it: two recipients, two replies after the data,
# one Maildir each.
test_systemd_lmtp() {
	if ! have systemd-socket-activate || ! have python3; then
		skip "smtpd-lmtp.socket (systemd or python3 is not installed)"
		return
	fi
	DIR=$TMP/lmtp
	mail_dir "$DIR" && mail_dir "$DIR/vmail"
	mail_dir "$DIR/vmail/example.org"
	chmod 0755 "$DIR"
	UNIT=smtpd-lmtp@.service
	if [ "$(unit_value "$SRC/smtpd-lmtp.socket" ListenStream)" != \
	    /run/smtpd-lmtp.sock ]; then
		fail "smtpd-lmtp.socket: not on /run/smtpd-lmtp.sock"
	fi
	start_socket_activate "$DIR/lmtp.sock"
	i=0
	while [ $i -lt 50 ] && [ ! -S "$DIR/lmtp.sock" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "# smtpd-lmtp.socket on $DIR/lmtp.sock"
	timeout $CLIENT_TIMEOUT python3 "$L/client.py" lmtp "$DIR/lmtp.sock" \
	    "$L/message.eml" b@example.org c@example.org >"$DIR/lmtp.out" 2>&1
	{
		printf '250 LHLO\n'
		reply R_SENDER_OK '<a@example.org>'
		reply R_RCPT_OK '<b@example.org>'
		reply R_RCPT_OK '<c@example.org>'
		reply R_DATA_GO
		reply R_LMTP_DELIVERED "<b@example.org> as $ID1"
		reply R_LMTP_DELIVERED "<c@example.org> as $ID1"
		reply R_QUIT mx.example.org
	} >"$DIR/want"
	check_same "lmtp python smtplib.LMTP replies" "$DIR/lmtp.out" \
	    "$DIR/want"
	for r in b c; do
		set -- "$DIR"/vmail/example.org/$r/new/*
		{
			printf 'Return-Path: <a@example.org>\n'
			printf 'Delivered-To: %s@example.org\n' $r
			printf 'Received: from postfix.example (stdin)\n'
			# two recipients: no "for" (RFC 5321 4.4)
			printf '\tby mx.example.org (smtpd) with LMTP id 6553F100000000001;\n'
			printf '\tTue, 14 Nov 2023 22:13:20 +0000\n'
			cat "$L/message.eml"
		} >"$DIR/want"
		if [ $# -eq 1 ] && [ -f "$1" ]; then
			check_same "lmtp Maildir of $r@example.org" "$1" "$DIR/want"
		else
			fail "lmtp: $# files in the Maildir of $r@example.org"
		fi
	done
	check_exits lmtp '^Connection from ' ' died with code ' ' code 0$'
	stop_launcher
}

# --- Postfix in front, LMTP to smtpd-lmtp.socket -------------------

POSTFIX_CONF=

stop_postfix() {
	if [ -n "$POSTFIX_CONF" ]; then
		postfix -c "$POSTFIX_CONF" stop >/dev/null 2>&1
		POSTFIX_CONF=
	fi
}

# A Postfix instance of its own (configuration, queue and log under
# DIR; the system's Postfix, if any, is not touched), listening on
# 127.0.0.1:$1 and relaying example.org over LMTP to the Unix socket $2,
# as the README's mailbox_transport / virtual_transport recipe does.
postfix_conf() {
	mkdir -p "$DIR/postfix" "$DIR/queue" "$DIR/data"
	chown postfix "$DIR/data"
	cp /etc/postfix/master.cf "$DIR/postfix/master.cf"
	cat >"$DIR/postfix/main.cf" <<MAINCF
compatibility_level = 3.6
meta_directory = /etc/postfix
queue_directory = $DIR/queue
data_directory = $DIR/data
maillog_file_prefixes = $DIR
maillog_file = $DIR/maillog
myhostname = relay.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject
relay_domains = example.org
relay_transport = lmtp:unix:$2
alias_maps =
alias_database =
biff = no
MAINCF
	c=$DIR/postfix
	postconf -c "$c" -Me "127.0.0.1:$1/inet=127.0.0.1:$1 inet n - n - - smtpd"
	postconf -c "$c" -MX smtp/inet
	postconf -c "$c" -F '*/*/chroot = n'
}

# Postfix's own trace header (its queue id and the time vary) is the
# one thing taken out before the comparison: header lines from
# "Received: from python.example" to the next that is no continuation.
drop_postfix_received() {
	awk 'skip && /^[ \t]/ { next } { skip = 0 }
	    /^Received: from python\.example / { skip = 1; next } { print }' "$1"
}

test_postfix() {
	if [ ! -x /usr/sbin/postfix ] || ! have systemd-socket-activate ||
	    ! have python3; then
		skip "Postfix over LMTP (postfix, systemd or python3 is not installed)"
		return
	fi
	if [ $ROOT -eq 0 ]; then
		skip "Postfix over LMTP (Postfix starts only as root)"
		return
	fi
	DIR=$TMP/postfix
	mail_dir "$DIR" && mail_dir "$DIR/sock" && mail_dir "$DIR/vmail"
	mail_dir "$DIR/vmail/example.org"
	chmod 0755 "$DIR"
	free_port
	postfix_conf "$PORT" "$DIR/sock/lmtp.sock"
	UNIT=smtpd-lmtp@.service
	start_socket_activate "$DIR/sock/lmtp.sock"
	i=0
	while [ $i -lt 50 ] && [ ! -S "$DIR/sock/lmtp.sock" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# what SocketUser=postfix and SocketMode=0600 in the unit do
	chown postfix:postfix "$DIR/sock/lmtp.sock"
	chmod 0600 "$DIR/sock/lmtp.sock"
	# postfix start gives up at once on a transient failure (its log
	# empty, and a second try working): three tries, a second apart
	tries=0
	until postfix -c "$DIR/postfix" start >>"$DIR/start.log" 2>&1; do
		tries=$((tries + 1))
		[ $tries -lt 3 ] || break
		echo "# postfix start failed; trying again" >>"$DIR/start.log"
		sleep 1
	done
	if [ $tries -ge 3 ]; then
		fail "Postfix did not start"
		show "$DIR/start.log"
		stop_launcher
		return
	fi
	POSTFIX_CONF=$DIR/postfix
	LPID_SAVED=$LPID
	LPID=$(cat "$DIR/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
	wait_listen "$PORT"
	LPID=$LPID_SAVED
	echo "# Postfix on 127.0.0.1 port $PORT, LMTP to $DIR/sock/lmtp.sock"
	timeout $CLIENT_TIMEOUT python3 "$L/client.py" smtp 127.0.0.1 "$PORT" \
	    python.example "$L/message.eml" >"$DIR/python.out" 2>&1
	if grep -q '^250 2.0.0 Ok: queued as ' "$DIR/python.out"; then
		pass "postfix: accepted the message from smtplib"
	else
		fail "postfix: did not accept the message"
		show "$DIR/python.out"
	fi
	# Postfix delivers on its own time: wait (at most 20 s)
	i=0
	while [ $i -lt 200 ]; do
		set -- "$DIR"/vmail/example.org/b/new/*
		[ -f "$1" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	{
		printf 'Return-Path: <a@example.org>\n'
		printf 'Delivered-To: b@example.org\n'
		printf 'Received: from relay.example (stdin)\n'
		printf '\tby mx.example.org (smtpd) with LMTP id 6553F100000000001\n'
		printf '\tfor <b@example.org>;\n'
		printf '\tTue, 14 Nov 2023 22:13:20 +0000\n'
		cat "$L/message.eml"
	} >"$DIR/want"
	if [ -f "$1" ]; then
		drop_postfix_received "$1" >"$DIR/got"
		check_same "postfix: LMTP into the Maildir, message intact" \
		    "$DIR/got" "$DIR/want"
		if grep -q '^	by relay.example (Postfix) with ESMTP id ' "$1"; then
			pass "postfix: its own Received header is there"
		else
			fail "postfix: no Received header from Postfix"
		fi
	else
		fail "postfix: nothing delivered within 20 s"
		show "$DIR/maillog"
	fi
	if grep -qF "status=sent ($(reply R_LMTP_DELIVERED "<b@example.org> as $ID1"))" \
	    "$DIR/maillog"; then
		pass "postfix: logs the LMTP reply as sent"
	else
		fail "postfix: no status=sent in its log"
		show "$DIR/maillog"
	fi
	stop_postfix
	check_exits postfix '^Connection from ' ' died with code ' ' code 0$'
	stop_launcher
}

# --- the client's address from the environment ----------------------

# stdin not a socket: the address a launcher put in the environment,
# checked to be one, else "stdin"; IPv4-mapped IPv6 shown as IPv4.
# $1 the check's name, $2 what the Received header must say in
# parentheses, the rest the environment.
peer_check() {
	name=$1
	want=$2
	shift 2
	printf 'HELO e.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: peer\r\n\r\n.\r\nQUIT\r\n' |
	    env -i $SMTPD_ENV "$@" "$BIN" -u "$RUNUSER" -n mx.example.org \
	    mbox "$DIR/mail/mbox" >"$DIR/out" 2>&1
	got=$(sed -n 's/^Received: from e\.example (\(.*\))$/\1/p' \
	    "$DIR/mail/mbox")
	if [ "$got" = "$want" ]; then
		pass "peer: $name: ($want)"
	else
		fail "peer: $name: ($got), want ($want)"
		show "$DIR/out"
	fi
	rm -f "$DIR/mail/mbox"
}

test_peer() {
	DIR=$TMP/peer
	mkdir "$DIR" && mail_dir "$DIR/mail"
	peer_check "no socket, no variable" stdin
	peer_check "TCPREMOTEIP (tcpserver)" '[192.0.2.7]' TCPREMOTEIP=192.0.2.7
	peer_check "REMOTE_ADDR, IPv4-mapped" '[192.0.2.8]' \
	    REMOTE_ADDR=::ffff:192.0.2.8
	peer_check "REMOTE_HOST, IPv6" '[IPv6:2001:db8::1]' \
	    REMOTE_HOST=2001:db8::1
	peer_check "TCPREMOTEIP not an address" stdin \
	    'TCPREMOTEIP=1.2.3.4) (forged'
	peer_check "TCPREMOTEIP before REMOTE_ADDR" '[192.0.2.9]' \
	    TCPREMOTEIP=192.0.2.9 REMOTE_ADDR=192.0.2.10
}

# --- privileges ----------------------------------------------------

# As root smtpd refuses to start without -u; with -u it runs as that
# user with that user's groups only, so the mailbox it creates and a
# pipe program it starts are the user's.
test_privileges() {
	DIR=$TMP/priv
	mkdir "$DIR" && mail_dir "$DIR/mail"
	session='HELO p.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: ids\r\n\r\nx\r\n.\r\nQUIT\r\n'
	if [ $ROOT -eq 0 ]; then
		printf 'QUIT\r\n' | "$BIN" -u root >/dev/null 2>"$DIR/err"
		rc=$?
		if [ $rc -eq 64 ] && grep -q '^smtpd: -u root: refusing to run as root; usage: ' "$DIR/err"; then
			pass "privileges: -u root refused (exit 64)"
		else
			fail "privileges: -u root: exit $rc"
			show "$DIR/err"
		fi
		skip "privileges as root (not root)"
		return
	fi
	printf 'QUIT\r\n' | "$BIN" -n mx.example.org >"$DIR/out" 2>"$DIR/err"
	rc=$?
	# the usage part as smtpd prints it for any wrong command line, so
	# a new option elsewhere does not break this check
	"$BIN" -Z 2>&1 </dev/null | sed 's/^smtpd: [^;]*; /smtpd: started as root: name the user to run as with -u user; /' >"$DIR/want"
	if [ $rc -eq 64 ] && [ ! -s "$DIR/out" ] && cmp -s "$DIR/want" "$DIR/err"; then
		pass "privileges: root without -u refused, exit 64, no greeting"
	else
		fail "privileges: root without -u: exit $rc"
		show "$DIR/err"
	fi
	printf 'QUIT\r\n' | "$BIN" -u root >/dev/null 2>&1
	rc=$?
	if [ $rc -eq 64 ]; then
		pass "privileges: -u root refused (exit 64)"
	else
		fail "privileges: -u root: exit $rc"
	fi
	# the pipe program records who it runs as; the mbox is created
	# by the session's user
	printf "$session" | env $SMTPD_ENV "$BIN" -u "$RUNUSER" -n mx.example.org \
	    pipe /bin/sh -c "id -u >$DIR/mail/id; id -g >>$DIR/mail/id; id -G >>$DIR/mail/id" \
	    >"$DIR/out" 2>&1
	uid=$(id -u "$RUNUSER")
	gid=$(id -g "$RUNUSER")
	printf '%s\n%s\n%s\n' "$uid" "$gid" "$gid" >"$DIR/want"
	check_same "privileges: -u $RUNUSER: uid and gid of $RUNUSER, no other group" \
	    "$DIR/mail/id" "$DIR/want"
	# a user listed in another group in /etc/group still gets its own
	# group alone, as setuidgid gives it (priv.c): /etc/group with such
	# a line, in a mount namespace of the test's own
	if command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
		rm -f "$DIR/mail/id"
		{ cat /etc/group; echo "smtpdtest:x:54321:$RUNUSER"; } >"$DIR/group"
		printf "$session" | unshare -m sh -c 'mount --bind "$1" /etc/group &&
		    exec env $2 "$3" -u "$4" -n mx.example.org pipe /bin/sh -c "$5"' \
		    sh "$DIR/group" "$SMTPD_ENV" "$BIN" "$RUNUSER" \
		    "id -u >$DIR/mail/id; id -g >>$DIR/mail/id; id -G >>$DIR/mail/id" \
		    >"$DIR/out" 2>&1
		check_same "privileges: -u $RUNUSER, also in another group: that group not kept" \
		    "$DIR/mail/id" "$DIR/want"
	else
		skip "privileges: another group (no unshare -m)"
	fi
	printf "$session" | env $SMTPD_ENV "$BIN" -u "$RUNUSER" -n mx.example.org \
	    mbox "$DIR/mail/mbox" >"$DIR/out" 2>&1
	owner=$(stat -c %U "$DIR/mail/mbox" 2>/dev/null)
	if [ "$owner" = "$RUNUSER" ]; then
		pass "privileges: -u $RUNUSER: the mbox belongs to $RUNUSER"
	else
		fail "privileges: the mbox belongs to '$owner'"
	fi
}

test_privileges
test_peer
test_inetd
test_xinetd
test_tcpserver
test_units
test_systemd_socket
test_systemd_lmtp
test_postfix

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] || exit 1
exit 0
