# ISC license.
# Sourced by bench/run.sh: other servers doing the same jobs, as extra
# rows beside smtpd's, each measured once (not BENCH_RUNS times: they
# are slow) right after the case's own runs, against the median of its
# floor.  Each is optional and skipped with a line that says why:
#
#   exim     exim -bs (Exim reading SMTP on stdin, as under inetd) with
#            a private configuration: an appendfile transport into one
#            mbox, user nobody, -odf (each message delivered before the
#            next is read).  BENCH_EXIM, else /opt/exim/usr/sbin/exim4
#            (where .ci/run unpacks it), else exim4 on the PATH.  As in
#            tests/exim.sh, the Debian binary needs its user
#            Debian-exim, so it runs in a mount namespace of its own
#            (unshare -m) with a passwd that has it: root only.
#   aiosmtpd Python's aiosmtpd (Debian python3-aiosmtpd) through
#            bench/peer-aiosmtpd.py: the same append, fsync and log line.
#
# Peers write no mboxrd quoting of their own choosing, so their mailbox
# is checked by its count of messages (X-Bench lines), not byte for
# byte.  Case d runs them with all clients to one mbox only.

EXIM_BIN=
PEERS=

peers_setup() {
	local e=${BENCH_EXIM:-}
	[ -n "$e" ] || [ ! -x /opt/exim/usr/sbin/exim4 ] ||
	    e=/opt/exim/usr/sbin/exim4
	[ -n "$e" ] || e=$(command -v exim4 || true)
	if [ -z "$e" ] || [ ! -x "$e" ]; then
		echo "(peer exim skipped: no exim4; .ci/run unpacks it in /opt/exim)"
	elif [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
		echo "(peer exim skipped: it needs root and unshare -m)"
	else
		EXIM_BIN=$e
		PEERS="exim"
		exim_setup
	fi
	if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
		PEERS="$PEERS aiosmtpd"
	else
		echo "(peer aiosmtpd skipped: apt-get install python3-aiosmtpd)"
	fi
}

# exim's private world in $DISK/exim: passwd and group with Debian-exim
# (as nobody), spool, log, and the wrapper that mounts them.
exim_setup() {
	local x=$DISK/exim
	mkdir -p "$x/spool" "$x/log"
	chown nobody "$x/spool" "$x/log"
	cp /etc/passwd "$x/passwd"
	cp /etc/group "$x/group"
	echo "Debian-exim:x:$(id -u nobody):$(id -g nobody)::/nonexistent:/usr/sbin/nologin" >>"$x/passwd"
	echo "Debian-exim:x:$(id -g nobody):" >>"$x/group"
	cat >"$x/exim" <<SH
#!/bin/sh
mount --bind $x/passwd /etc/passwd &&
mount --bind $x/group /etc/group &&
exec $EXIM_BIN "\$@"
SH
	chmod +x "$x/exim"
}

# The configuration that appends every message to MBOX.
exim_conf() {	# MBOX
	local x=$DISK/exim
	cat >"$x/conf" <<CONF
exim_path = $EXIM_BIN
spool_directory = $x/spool
log_file_path = $x/log/%slog
primary_hostname = bench.example
qualify_domain = bench.example
never_users =
trusted_users = root
keep_environment =
smtp_accept_queue_per_connection = 0
smtp_accept_max_per_connection = 0
message_size_limit = 0
acl_smtp_rcpt = accept
acl_smtp_data = accept
begin routers
local:
  driver = accept
  transport = mbox
begin transports
mbox:
  driver = appendfile
  file = $1
  user = nobody
  group = $(id -gn nobody)
  mode = 0600
  check_string = "From "
  escape_string = ">From "
CONF
	echo "$x/conf"
}

# Run one peer on the session IN (stdin of exim -bs, a TCP connection
# to aiosmtpd) into MBOX in DIR; its times line on stdout, its replies
# in $DISK/peer.out.
peer_session() {	# PEER IN DIR
	local mb=$3/peer.mbox
	rm -f "$mb" "$DISK/peer.out"
	case $1 in
	exim)
		# shellcheck disable=SC2002
		cat "$2" | "$BIN/bench-load" run - "$DISK/peer.out" \
		    /usr/bin/unshare -m "$DISK/exim/exim" -C "$(exim_conf "$mb")" \
		    -bs -odf 2>/dev/null ;;
	aiosmtpd)
		$AS_USER /usr/bin/python3 "$(dirname "$0")/peer-aiosmtpd.py" \
		    session "$2" "$DISK/peer.out" "$mb" ;;
	esac
}

# The messages in the peer's mailbox.
peer_count() {	# DIR
	grep -c '^X-Bench: ' "$1/peer.mbox" 2>/dev/null || echo 0
}

# b and c: a peer row each, FLOOR-TIMES the case's floor, N messages
# of BYTES octets in all (N > 1: msg/s; else MB/s).
peer_rows() {	# LABEL IN DIR FLOOR-TIMES N BYTES
	local p t f fig
	f=$(cut -d' ' -f1 "$4" | median)
	for p in $PEERS; do
		t=$(peer_session "$p" "$2" "$3" | cut -d' ' -f1)
		if [ -z "$t" ] || [ "$(peer_count "$3")" != "$5" ]; then
			echo "(peer $p: $1 failed: $(peer_count "$3") of $5 stored)"
			continue
		fi
		if [ "$5" -gt 1 ]; then
			fig=$(awk -v t="$t" -v n="$5" 'BEGIN { printf "%.0f msg/s", n / t }')
		else
			fig=$(awk -v t="$t" -v b="$6" 'BEGIN { printf "%.0f MB/s", b / t / 1e6 }')
		fi
		row "$1" "$p $fig" "" \
		    "$(awk -v t="$t" -v f="$f" 'BEGIN { printf "%.3f", f / t }')" \
		    "" "peer, one run, against the floor above"
	done
	rm -f "$3/peer.mbox"
}

# d: a peer row each, all clients to one mbox in DIR.
peer_rows_d() {	# LABEL DIR FLOOR-TIMES
	local p t f pid total=$((CLIENTS * PER_CLIENT))
	f=$(median <"$3")
	for p in $PEERS; do
		rm -f "$2/peer.mbox"
		case $p in
		exim)
			serve_as "" /usr/bin/unshare -m "$DISK/exim/exim" \
			    -C "$(exim_conf "$2/peer.mbox")" -bs -odf ;;
		aiosmtpd)
			PORT=$((20000 + (RANDOM % 20000)))
			$AS_USER /usr/bin/python3 "$(dirname "$0")/peer-aiosmtpd.py" \
			    serve "$PORT" "$2/peer.mbox" &
			TCPPID=$!
			for _ in $(seq 50); do
				(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
				sleep 0.1
			done ;;
		esac
		t=$("$BIN/bench-load" tcp "$PORT" $CLIENTS $PER_CLIENT $SMALL) || t=
		pid=$TCPPID
		stop_serving
		[ "$p" != aiosmtpd ] || wait "$pid" 2>/dev/null || true
		if [ -z "$t" ] || [ "$(peer_count "$2")" != $total ]; then
			echo "(peer $p: d failed: $(peer_count "$2") of $total stored)"
			continue
		fi
		row "$1" "$p $(awk -v t="$t" -v n=$total 'BEGIN { printf "%.0f msg/s", n / t }')" "" \
		    "$(awk -v t="$t" -v f="$f" 'BEGIN { printf "%.3f", f / t }')" \
		    "" "peer, one run, against the floor above"
	done
	rm -f "$2/peer.mbox"
}

# serve, as USER-OPTIONS for tcpserver ("": root) instead of TCP_USER.
serve_as() {	# USER-OPTIONS PROG [ARG...]
	local saved=$TCP_USER
	TCP_USER=$1
	shift
	serve "$@"
	TCP_USER=$saved
}
