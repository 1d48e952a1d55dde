#!/bin/bash
# ISC license.
# make bench: smtpd beside the physical floor of each job, as
# docs/performance.md describes.  Each figure is the median of
# BENCH_RUNS runs (default 5); the floor is measured in the same runs,
# next to smtpd, and the ratio is the median of the runs' own ratios.
# Every run checks that every message arrived intact before it counts.
#
#   a  200 sequential sessions (greeting, EHLO, QUIT) through pipes;
#      floor: bench-floor-smtpd, which answers and stores nothing; the
#      two alternate session by session, to meet the same machine load.
#      Again with a recipient table (-R) of 10, 10,000 and 100,000
#      entries, as text and compiled by smtpd -C: every session reads
#      it before the greeting
#   b  one pipelined session of 2000 messages of about 2 KB into an mbox,
#      on the local disk and on tmpfs, sent with DATA and again with
#      BDAT (RFC 3030, one chunk per message, no dot-stuffing); floor:
#      bench-floor-append -l, one write and one fsync per message of the
#      very bytes smtpd stored and one syslog line per message to the
#      same /dev/log; beside it the floor that does not log
#   c  one message of 200 MB (76-octet lines, some starting with "." or
#      "From "), into an mbox and into a Maildir: MB/s and peak RSS;
#      floor: dd conv=fsync of the same bytes into a file on the same
#      filesystem; beside it cat (no fsync).  All read from a pipe, as
#      smtpd does in service (from a regular file, cat would copy in the
#      kernel with copy_file_range(2), which no client connection allows)
#   d  20 clients at once, 100 messages each, over TCP on 127.0.0.1
#      under tcpserver (mbox on tmpfs), each client to its own mbox and
#      all to one; floor: bench-floor-smtpd under the same tcpserver,
#      storing each message with a write and an fsync to the same
#      mailboxes and logging a line; beside it the floor that stores
#      and logs nothing
#   e  the cost of STARTTLS (as root, with tlswrapper): 100 sequential
#      sessions of one small message each, under tcpserver and
#      tlswrapper -n (smtpd -W), with STARTTLS and without; the ratio
#      is the time without over the time with
#
#
# smtpd logs a line per message to syslog.  Where /dev/log is missing
# (containers, CI machines: no syslog daemon), glibc's syslog(3) tries
# socket, connect and close again for every line, a cost no real mail
# server pays, so as root the script then runs bench-logsink at
# /dev/log for as long as it measures: a stand-in for syslogd that
# drops what it reads.  An existing /dev/log is never touched.  The
# table's heading says which of the three it was.
#
# Environment: SMTPD (./smtpd), BENCH_BIN (build), BENCH_RUNS (5),
# BENCH_DIR (a directory on the local disk, where a scratch directory
# is made and removed; default build),
# BENCH_BIG (octets in case c, default 200000000), BENCH_CASES (the
# cases to run, default "a b c d e").
set -eu

SMTPD=$(cd "$(dirname "${SMTPD:-./smtpd}")" && pwd)/$(basename "${SMTPD:-./smtpd}")
BIN=$(cd "${BENCH_BIN:-build}" && pwd)
# the "message delivered" reply, from reply.h
DELIVERED=$(python3 "$(dirname "$0")/../tests/replies.py" -E R_DATA_OK)
RUNS=${BENCH_RUNS:-5}
CASES=${BENCH_CASES:-a b c d e}
BIG=${BENCH_BIG:-200000000}
SMALL=2000		# octets of text per message in b and d
NB=2000			# messages in b
SESSIONS=200		# sessions in a
TABLES="10 10000 100000"	# entries in a's recipient tables
CLIENTS=20 PER_CLIENT=100
DISK=
TMPFS=
MOUNTED=
TCPPID=
SINKPID=
SYSLOG=

fail() {
	echo "bench: $*" >&2
	exit 1
}

cleanup() {
	[ -n "$TCPPID" ] && kill "$TCPPID" 2>/dev/null
	stop_logsink
	[ -n "$TMPFS" ] && rm -rf "$TMPFS"
	[ -n "$MOUNTED" ] && umount "$MOUNTED" && rmdir "$MOUNTED"
	[ -z "$DISK" ] || rm -rf "$DISK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The middle value of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The median over runs of each run's own ratio: a run of smtpd and the
# floor run next to it meet about the same load from the rest of the
# machine, so their ratio moves less than the times do.
ratio() {	# SMTPD-TIMES FLOOR-TIMES smtpd|floor (which one divides)
	paste -d' ' "$1" "$2" | awk -v over="$3" '{
		t = $1; f = $(NF > 2 ? 3 : 2)
		printf "%.6f\n", over == "floor" ? t / f : f / t }' |
	    median | awk '{ printf "%.2f", $1 }'
}

# Where syslog(3) writes during the runs; sets SYSLOG for the heading.
start_logsink() {
	if [ -e /dev/log ] || [ -L /dev/log ]; then
		SYSLOG="syslog: this machine's /dev/log"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		SYSLOG="no syslog daemon, no sink (not root): syslog(3) reconnects for every line"
		return 0
	fi
	: >"$DISK/logsink.out"
	"$BIN/bench-logsink" /dev/log >"$DISK/logsink.out" &
	SINKPID=$!
	for _ in $(seq 50); do
		grep -q '^ready$' "$DISK/logsink.out" && break
		kill -0 "$SINKPID" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^ready$' "$DISK/logsink.out"; then
		SYSLOG="no syslog daemon: bench-logsink at /dev/log"
	else
		stop_logsink
		SYSLOG="no syslog daemon, no sink (bench-logsink failed): syslog(3) reconnects for every line"
	fi
}

# Stop bench-logsink, which removes /dev/log as it exits; if it could
# not (killed), remove the socket it bound: /dev/log did not exist
# before it, since bind(2) never replaces a file.
stop_logsink() {
	local pid=$SINKPID
	[ -n "$pid" ] || return 0
	SINKPID=
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if grep -q '^ready$' "$DISK/logsink.out" 2>/dev/null &&
	    ! grep -q ' lines$' "$DISK/logsink.out"; then
		rm -f /dev/log
	fi
}

# A tmpfs directory: /dev/shm where it is one with room for case c (a
# container's is often 64 MB), else a new mount (root).
find_tmpfs() {
	local need=$((BIG / 1024 * 3))
	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
	    [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt "$need" ]
	then
		TMPFS=$(mktemp -d /dev/shm/smtpd-bench.XXXXXX)
	elif [ "$(id -u)" = 0 ]; then
		MOUNTED=$(mktemp -d /tmp/smtpd-bench-tmpfs.XXXXXX)
		if ! mount -t tmpfs -o size=$((need / 1024 + 64))m tmpfs \
		    "$MOUNTED"; then
			rmdir "$MOUNTED"
			MOUNTED=
			return 0
		fi
		TMPFS=$MOUNTED/w
		mkdir "$TMPFS"
	fi
}

# As root, everything measured runs as nobody, the way the launchers in
# README "Running it" start smtpd (inetd's user field, systemd's User=):
# AS_USER for the drivers, TCP_USER for tcpserver.  Case a also runs
# once more as root with -u nobody, where smtpd drops privileges itself.
AS_USER=
TCP_USER=
if [ "$(id -u)" = 0 ]; then
	AS_USER="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups"
	TCP_USER="-u $(id -u nobody) -g $(id -g nobody)"
fi

smtpd_args() {
	echo "-n bench.example -s $((BIG + BIG / 10))"
}

# Let nobody write in the directories given.
give_away() {
	[ -z "$AS_USER" ] || chown nobody "$@"
}

# Count the "250 ... delivered" replies in a session's output and
# check that it ended with 221.
check_replies() {	# OUT EXPECTED
	local n
	n=$(grep -Ec "$DELIVERED" "$1" || true)
	[ "$n" = "$2" ] || fail "$2 messages sent, $n accepted ($1)"
	tail -n 1 "$1" | grep -q '^221 ' || fail "no 221 at the end of $1"
}

# a: per-connection cost.  With "root", as root with -u nobody; with
# a table, -R TABLE, LABEL in the row.
case_a() {	# [root] [TABLE LABEL]
	local i t f as=$AS_USER label="$SESSIONS sessions, pipe" u= r=
	if [ "${1:-}" = root ]; then
		as= label="$SESSIONS sessions, -u nobody" u="-u nobody"
	fi
	if [ -n "${2:-}" ]; then
		r="-R $2" label="$SESSIONS sess, $3"
	fi
	: >"$DISK/a.times"
	for i in $(seq "$RUNS"); do
		# shellcheck disable=SC2046,SC2086
		$as "$BIN/bench-load" seq "$SESSIONS" "$SMTPD" $u $r \
		    $(smtpd_args) mbox "$DISK/a.mbox" -- "$BIN/bench-floor-smtpd" \
		    >>"$DISK/a.times" || fail "a: sessions failed"
	done
	[ ! -e "$DISK/a.mbox" ] || fail "a: a mailbox appeared"
	cut -d' ' -f1 "$DISK/a.times" >"$DISK/a.smtpd"
	cut -d' ' -f2 "$DISK/a.times" >"$DISK/a.floor"
	t=$(median <"$DISK/a.smtpd")
	f=$(median <"$DISK/a.floor")
	row "a  $label" \
	    "$(awk -v t="$t" -v n=$SESSIONS 'BEGIN { printf "%.0f us/sess", t * 1e6 / n }')" \
	    "$(awk -v t="$f" -v n=$SESSIONS 'BEGIN { printf "%.0f us/sess", t * 1e6 / n }')" \
	    "$(ratio "$DISK/a.smtpd" "$DISK/a.floor" floor)" \
	    "<= 1.3" ""
}

# A recipient table of $1 entries, in the shape of a real one: mostly
# addresses, some aliases, a bare local part and a catch-all; its path.
make_table() {	# ENTRIES
	local t="$DISK/table.$1"
	awk -v n="$1" 'BEGIN {
		print "# bench table"
		print "postmaster admin0@example.org"
		print "@example.net admin0@example.org"
		for (i = 0; i < n - 2; i++)
			if (i % 10 == 9)
				printf "alias%d@example.org admin%d@example.org\n", i, i - 9
			else
				printf "admin%d@example.org\n", i
	}' >"$t"
	give_away "$t"
	echo "$t"
}

# "floor N unit ratio R": an extra column, an older or other floor
# beside the one the ratio is taken against.
extra() {	# NAME SMTPD-TIMES FLOOR-TIMES FIGURE
	echo "$1 $4 $(ratio "$2" "$3" smtpd)"
}

# b: many small messages in one pipelined session, in directory $1,
# sent as $3 (b.in: DATA, b-bdat.in: BDAT).  The floor writes and
# fsyncs each message to one file, as smtpd does, and logs one line
# per message to the same /dev/log; the old floor, which does not log,
# is the extra column.
case_b() {	# DIR LABEL INPUT
	local dir=$1 in=$3 i t f o
	: >"$DISK/b-smtpd.times" >"$DISK/b-floor.times" >"$DISK/b-nolog.times"
	for i in $(seq "$RUNS"); do
		rm -f "$dir/b.mbox" "$dir/b.floor"
		# shellcheck disable=SC2046,SC2086
		$AS_USER "$BIN/bench-load" run "$DISK/$in" "$DISK/b.out" "$SMTPD" \
		    $(smtpd_args) mbox "$dir/b.mbox" >>"$DISK/b-smtpd.times"
		check_replies "$DISK/b.out" $NB
		"$BIN/bench-gen" check "$dir/b.mbox" $NB ||
		    fail "b: the mailbox is wrong"
		# shellcheck disable=SC2086
		$AS_USER "$BIN/bench-load" run /dev/null /dev/null \
		    "$BIN/bench-floor-append" -l "$dir/b.mbox" "$dir/b.floor" \
		    >>"$DISK/b-floor.times"
		cmp -s "$dir/b.mbox" "$dir/b.floor" || fail "b: floor differs"
		rm -f "$dir/b.floor"
		# shellcheck disable=SC2086
		$AS_USER "$BIN/bench-load" run /dev/null /dev/null \
		    "$BIN/bench-floor-append" "$dir/b.mbox" "$dir/b.floor" \
		    >>"$DISK/b-nolog.times"
	done
	rm -f "$dir/b.mbox" "$dir/b.floor"
	t=$(cut -d' ' -f1 "$DISK/b-smtpd.times" | median)
	f=$(cut -d' ' -f1 "$DISK/b-floor.times" | median)
	o=$(cut -d' ' -f1 "$DISK/b-nolog.times" | median)
	row "b  $NB msgs, $2" \
	    "$(awk -v t="$t" -v n=$NB 'BEGIN { printf "%.0f msg/s", n / t }')" \
	    "$(awk -v t="$f" -v n=$NB 'BEGIN { printf "%.0f msg/s", n / t }')" \
	    "$(ratio "$DISK/b-smtpd.times" "$DISK/b-floor.times" smtpd)" \
	    ">= 0.8" "$(extra "no-log floor" "$DISK/b-smtpd.times" \
	    "$DISK/b-nolog.times" \
	    "$(awk -v t="$o" -v n=$NB 'BEGIN { printf "%.0f msg/s", n / t }')")"
	[ "$in" != b.in ] || peer_rows "b  $NB msgs, $2" "$DISK/$in" "$dir" \
	    "$DISK/b-floor.times" $NB 0
}

# MB/s of BYTES in the median of a times file.
rate() {	# TIMES BYTES
	cut -d' ' -f1 "$1" | median |
	    awk -v b="$2" '{ printf "%.0f MB/s", b / $1 / 1e6 }'
}

# c: one big message, streamed, in directory $1, into an mbox and into
# a Maildir (made beforehand, as a user's is).  The floor is dd
# conv=fsync of the session's bytes into a file on the same filesystem:
# one durable write, the least that storing them costs; cat (no fsync),
# the floor before, is the extra column.  All four read from a pipe.
case_c() {	# DIR LABEL
	local dir=$1 i rss bytes m f
	: >"$DISK/c-mbox.times" >"$DISK/c-maildir.times"
	: >"$DISK/c-dd.times" >"$DISK/c-cat.times"
	bytes=$(wc -c <"$DISK/c.in")
	for i in $(seq "$RUNS"); do
		rm -rf "$dir/c.mbox" "$dir/c.cat" "$dir/c.dd" "$dir/c.md"
		# shellcheck disable=SC2046
		# shellcheck disable=SC2086
		cat "$DISK/c.in" | TMPDIR=$dir $AS_USER "$BIN/bench-load" run - \
		    "$DISK/c.out" "$SMTPD" $(smtpd_args) mbox "$dir/c.mbox" \
		    >>"$DISK/c-mbox.times"
		check_replies "$DISK/c.out" 1
		"$BIN/bench-gen" check "$dir/c.mbox" 1 ||
		    fail "c: the mailbox is wrong"
		rm -f "$dir/c.mbox"
		mkdir -p "$dir/c.md/tmp" "$dir/c.md/new" "$dir/c.md/cur"
		give_away "$dir/c.md" "$dir/c.md/tmp" "$dir/c.md/new" \
		    "$dir/c.md/cur"
		# shellcheck disable=SC2046
		# shellcheck disable=SC2086
		cat "$DISK/c.in" | TMPDIR=$dir $AS_USER "$BIN/bench-load" run - \
		    "$DISK/c.out" "$SMTPD" $(smtpd_args) maildir "$dir/c.md" \
		    >>"$DISK/c-maildir.times"
		check_replies "$DISK/c.out" 1
		for m in "$dir"/c.md/new/*; do
			"$BIN/bench-gen" checkfile "$m" 1 ||
			    fail "c: the Maildir message is wrong"
		done
		[ -z "$(ls "$dir/c.md/tmp")" ] || fail "c: left in tmp/"
		rm -rf "$dir/c.md"
		# shellcheck disable=SC2086
		cat "$DISK/c.in" | $AS_USER "$BIN/bench-load" run - /dev/null \
		    "$(command -v dd)" of="$dir/c.dd" bs=65536 conv=fsync \
		    status=none >>"$DISK/c-dd.times"
		cmp -s "$DISK/c.in" "$dir/c.dd" || fail "c: dd differs"
		rm -f "$dir/c.dd"
		# shellcheck disable=SC2086
		cat "$DISK/c.in" | $AS_USER "$BIN/bench-load" run - \
		    "$dir/c.cat" /bin/cat >>"$DISK/c-cat.times"
		cmp -s "$DISK/c.in" "$dir/c.cat" || fail "c: cat differs"
		rm -f "$dir/c.cat"
	done
	for m in mbox maildir; do
		[ $m = mbox ] && f=0.5 || f=0.8
		rss=$(cut -d' ' -f2 "$DISK/c-$m.times" | sort -g | tail -n 1)
		row "c  $((BIG / 1000000)) MB, $m, $2" \
		    "$(rate "$DISK/c-$m.times" "$bytes")" \
		    "$(rate "$DISK/c-dd.times" "$bytes")" \
		    "$(ratio "$DISK/c-$m.times" "$DISK/c-dd.times" smtpd)" \
		    ">= $f" "$(awk -v k="$rss" 'BEGIN { printf "RSS %.1f MiB", k / 1024 }');" \
		    "$(extra "cat" "$DISK/c-$m.times" "$DISK/c-cat.times" \
		    "$(rate "$DISK/c-cat.times" "$bytes")")"
	done
	peer_rows "c  $((BIG / 1000000)) MB, mbox, $2" "$DISK/c.in" "$dir" \
	    "$DISK/c-dd.times" 1 "$bytes"
}

# Start tcpserver on a free port with the given program; sets PORT.
serve() {
	local try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$((20000 + (RANDOM % 20000)))
		# shellcheck disable=SC2086
		tcpserver -q -HRl0 -c 40 $TCP_USER 127.0.0.1 "$PORT" "$@" &
		TCPPID=$!
		for _ in $(seq 50); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
				return 0
			fi
			kill -0 "$TCPPID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$TCPPID" 2>/dev/null
		wait "$TCPPID" 2>/dev/null || true
	done
	fail "d: tcpserver would not start"
}

stop_serving() {
	kill "$TCPPID"
	wait "$TCPPID" 2>/dev/null || true
	TCPPID=
}

# d: concurrent clients over TCP, each to its own mbox (each) or all to
# one (one).  The floor stores each message as smtpd does (one write
# and one fsync to the same mailboxes, see bench/floor-smtpd.c) and logs
# a line for it; the old floor, which stores and logs nothing, is the
# extra column.
case_d() {	# DIR LABEL each|one
	local dir=$1 i t f o total=$((CLIENTS * PER_CLIENT)) each= mb fl
	if [ "$3" = each ]; then
		each=each mb="$dir/d.%u" fl="$dir/f.%u"
	else
		mb="$dir/d.mbox" fl="$dir/f.mbox"
	fi
	: >"$DISK/d-smtpd.times" >"$DISK/d-floor.times" >"$DISK/d-none.times"
	for i in $(seq "$RUNS"); do
		rm -f "$dir"/d.* "$dir"/f.*
		# shellcheck disable=SC2046
		serve "$SMTPD" $(smtpd_args) mbox "$mb"
		# shellcheck disable=SC2086
		"$BIN/bench-load" tcp "$PORT" $CLIENTS $PER_CLIENT $SMALL $each \
		    >>"$DISK/d-smtpd.times" || fail "d: smtpd clients failed"
		stop_serving
		cat "$dir"/d.* >"$DISK/d.all"
		"$BIN/bench-gen" check "$DISK/d.all" $total ||
		    fail "d: the mailboxes are wrong"
		serve "$BIN/bench-floor-smtpd" -l "$fl"
		# shellcheck disable=SC2086
		"$BIN/bench-load" tcp "$PORT" $CLIENTS $PER_CLIENT $SMALL $each \
		    >>"$DISK/d-floor.times" || fail "d: floor clients failed"
		stop_serving
		[ "$(cat "$dir"/f.* | grep -c '^X-Bench: ')" = $total ] ||
		    fail "d: the floor stored the wrong count"
		serve "$BIN/bench-floor-smtpd"
		# shellcheck disable=SC2086
		"$BIN/bench-load" tcp "$PORT" $CLIENTS $PER_CLIENT $SMALL $each \
		    >>"$DISK/d-none.times" || fail "d: floor clients failed"
		stop_serving
	done
	rm -f "$dir"/d.* "$dir"/f.* "$DISK/d.all"
	t=$(median <"$DISK/d-smtpd.times")
	f=$(median <"$DISK/d-floor.times")
	o=$(median <"$DISK/d-none.times")
	row "d  ${CLIENTS}x$PER_CLIENT, $2" \
	    "$(awk -v t="$t" -v n=$total 'BEGIN { printf "%.0f msg/s", n / t }')" \
	    "$(awk -v t="$f" -v n=$total 'BEGIN { printf "%.0f msg/s", n / t }')" \
	    "$(ratio "$DISK/d-smtpd.times" "$DISK/d-floor.times" smtpd)" \
	    ">= 0.8" "$(extra "no-store floor" "$DISK/d-smtpd.times" \
	    "$DISK/d-none.times" \
	    "$(awk -v t="$o" -v n=$total 'BEGIN { printf "%.0f msg/s", n / t }')")"
	[ "$3" != one ] || peer_rows_d "d  ${CLIENTS}x$PER_CLIENT, $2" "$dir" \
	    "$DISK/d-floor.times"
}

# e: the same launcher, a session with STARTTLS against one without.
case_e() {	# DIR
	local dir=$1 i saved=$TCP_USER n=100
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DISK/e.key" \
	    -out "$DISK/e.crt" -days 2 -subj /CN=bench.example \
	    >/dev/null 2>&1 || fail "e: openssl req failed"
	cat "$DISK/e.key" "$DISK/e.crt" >"$DISK/e.pem"
	: >"$DISK/e-tls.times" >"$DISK/e-plain.times"
	TCP_USER=	# tlswrapper needs root for its jail; smtpd drops
	for i in $(seq "$RUNS"); do
		rm -f "$dir/e.mbox"
		# shellcheck disable=SC2046
		serve tlswrapper -n -f "$DISK/e.pem" "$SMTPD" -W -u nobody \
		    $(smtpd_args) mbox "$dir/e.mbox"
		python3 "$(dirname "$0")/tls-sessions.py" "$PORT" $n tls \
		    >>"$DISK/e-tls.times" || fail "e: STARTTLS sessions failed"
		python3 "$(dirname "$0")/tls-sessions.py" "$PORT" $n plain \
		    >>"$DISK/e-plain.times" || fail "e: plain sessions failed"
		stop_serving
		[ "$(grep -c '^From ' "$dir/e.mbox")" = $((2 * n)) ] ||
		    fail "e: the mailbox is wrong"
	done
	TCP_USER=$saved
	rm -f "$dir/e.mbox"
	row "e  $n sessions, STARTTLS" \
	    "$(median <"$DISK/e-tls.times" | awk -v n=$n '{ printf "%.1f ms", $1 * 1000 / n }')" \
	    "$(median <"$DISK/e-plain.times" | awk -v n=$n '{ printf "%.1f ms", $1 * 1000 / n }')" \
	    "$(ratio "$DISK/e-tls.times" "$DISK/e-plain.times" smtpd)" \
	    "" "floor: the same sessions without STARTTLS"
}

# shellcheck source=bench/peers.sh
. "$(dirname "$0")/peers.sh"

row() {
	printf '%-26s %13s %13s %6s %7s  %s\n' "$1" "$2" "$3" "$4" "$5" \
	    "${*:6}"
}

[ -x "$SMTPD" ] || fail "no $SMTPD: run make first"
mkdir -p "${BENCH_DIR:-build}"
DISK=$(cd "$(mktemp -d "${BENCH_DIR:-build}/bench.XXXXXX")" && pwd)
find_tmpfs
give_away "$DISK" ${TMPFS:+"$TMPFS"}

# The load average before the first run: other work on the machine
# moves every figure, so the table says how busy it was.
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)

wanted() {
	case " $CASES " in
	*" $1 "*)	return 0 ;;
	esac
	return 1
}

start_logsink
echo "smtpd benchmark: median of $RUNS runs, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs${LOAD:+, load $LOAD}"
echo "$SYSLOG"
if [ "${BENCH_PEERS:-yes}" != no ]; then
	peers_setup
fi
row case smtpd floor ratio target
if wanted a; then
	case_a
	[ -z "$AS_USER" ] || case_a root
	for n in $TABLES; do
		tbl=$(make_table "$n")
		"$SMTPD" -C "$tbl" || fail "a: smtpd -C $tbl failed"
		give_away "$tbl.cdb"
		case_a "" "$tbl" "-R $n text"
		case_a "" "$tbl.cdb" "-R $n cdb"
	done
fi
if wanted b; then
	"$BIN/bench-gen" session $NB $SMALL >"$DISK/b.in"
	"$BIN/bench-gen" bdat $NB $SMALL >"$DISK/b-bdat.in"
	case_b "$DISK" disk b.in
	case_b "$DISK" "disk, BDAT" b-bdat.in
	if [ -n "$TMPFS" ]; then
		case_b "$TMPFS" tmpfs b.in
		case_b "$TMPFS" "tmpfs, BDAT" b-bdat.in
	else
		echo "(no tmpfs: b on tmpfs skipped)"
	fi
fi
if wanted c; then
	"$BIN/bench-gen" session 1 "$BIG" >"$DISK/c.in"
	case_c "$DISK" disk
	[ -z "$TMPFS" ] || case_c "$TMPFS" tmpfs
fi
if ! wanted d; then
	:
elif ! command -v tcpserver >/dev/null; then
	echo "(no tcpserver: d skipped; apt-get install ucspi-tcp)"
elif [ -n "$TMPFS" ]; then
	case_d "$TMPFS" "mbox each, tmpfs" each
	case_d "$TMPFS" "one mbox, tmpfs" one
else
	case_d "$DISK" "mbox each, disk" each
	case_d "$DISK" "one mbox, disk" one
fi
if ! wanted e; then
	:
elif [ "$(id -u)" != 0 ] || ! command -v tlswrapper >/dev/null ||
    ! command -v openssl >/dev/null || ! command -v tcpserver >/dev/null; then
	echo "(e skipped: it needs root, tlswrapper, openssl and tcpserver)"
elif [ -n "$TMPFS" ]; then
	case_e "$TMPFS"
else
	case_e "$DISK"
fi
if [ -n "$SINKPID" ]; then
	stop_logsink
	if grep -q ' lines$' "$DISK/logsink.out"; then
		echo "(bench-logsink dropped $(sed -n 's/ lines$//p' "$DISK/logsink.out") syslog lines, from every process on the machine)"
	else
		fail "bench-logsink died during the runs: the figures above do not all have a sink"
	fi
fi
