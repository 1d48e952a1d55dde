#!/bin/sh
# ISC license.
# A real client that sends with BDAT (RFC 3030): Exim, whose smtp
# transport uses CHUNKING with every server that offers it (its
# hosts_try_chunking is "*" by default).  Exim conflicts with Postfix,
# which the other suites use, so .ci/run unpacks exim4-daemon-light,
# exim4-base and exim4-config into /opt/exim (or $EXIM) without
# installing them; this suite runs that exim with a private
# configuration, delivering through a manualroute router and an smtp
# transport to smtpd under tcpserver on 127.0.0.1.
#
# usage: SMTPD=./smtpd sh tests/exim.sh   (as root)
#
# The Debian binary looks up its user "Debian-exim" before it reads
# any configuration.  Rather than add a user to the machine, the suite
# runs exim in a mount namespace of its own (unshare -m) where copies
# of /etc/passwd and /etc/group with that user (as nobody) are mounted
# over the real ones; so it needs root, and says SKIP otherwise.
#
# Then exim once more, requiring TLS (hosts_require_tls), to smtpd behind
# tlswrapper -n: the delivery must be encrypted (exim's X= in its log,
# ESMTPS in smtpd's Received header).
#
# Checks: exim's own log says the delivery used CHUNKING (the "K" flag
# of its => line) and its debug output shows the BDAT ... LAST command;
# the message arrives byte for byte (the part exim sent, after smtpd's
# Received header: exim's headers, then the body with "From " quoted).
# Prints "N passed, M failed, K skipped".
set -u

SMTPD=$(cd "$(dirname "${SMTPD:-./smtpd}")" && pwd)/$(basename "${SMTPD:-./smtpd}")
EXIM=${EXIM:-/opt/exim/usr/sbin/exim4}
passed=0 failed=0 skipped=0

pass() { echo "pass: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

why=
if [ "$(id -u)" != 0 ]; then
	why="not root (exim runs in a mount namespace of its own)"
elif [ ! -x "$EXIM" ]; then
	why="no $EXIM (.ci/run unpacks exim4-daemon-light there)"
elif ! command -v tcpserver >/dev/null 2>&1; then
	why="no tcpserver (apt-get install ucspi-tcp)"
elif ! unshare -m true 2>/dev/null; then
	why="unshare -m is not allowed here"
fi
if [ -n "$why" ]; then
	skip "exim as a BDAT client: $why"
	finish
fi

dir=$(mktemp -d /tmp/smtpd-exim.XXXXXX) || exit 2
cleanup() {
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill $pids 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM
mkdir "$dir/spool" "$dir/log" "$dir/store"
chown nobody "$dir/spool" "$dir/log" "$dir/store"
chmod 755 "$dir"
cp /etc/passwd "$dir/passwd"
cp /etc/group "$dir/group"
echo "Debian-exim:x:$(id -u nobody):$(id -g nobody)::/nonexistent:/usr/sbin/nologin" >>"$dir/passwd"
echo "Debian-exim:x:$(id -g nobody):" >>"$dir/group"

# start_server VAR "TCPSERVER-OPTIONS" CMD...: CMD under tcpserver on a
# free port of 127.0.0.1, its port in VAR and tcpserver's pid in pids
pids=
start_server() {
	var=$1
	opts=$2
	shift 2
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
		# shellcheck disable=SC2086
		tcpserver -q $opts 127.0.0.1 "$p" "$@" &
		tpid=$!
		for _ in $(seq 30); do
			if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$p" 2>/dev/null; then
				pids="$pids $tpid"
				eval "$var=$p"
				return 0
			fi
			kill -0 "$tpid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
	done
	return 1
}

# smtpd under tcpserver, as nobody, in plain text
if ! start_server port "-u $(id -u nobody) -g $(id -g nobody)" \
    "$SMTPD" -n mx.example.org mbox "$dir/store/%u"; then
	fail "tcpserver would not start"
	finish
fi
# and behind tlswrapper -n (STARTTLS, RFC 3207), which needs root for
# its jail: smtpd drops to nobody itself
tlsport=
if command -v tlswrapper >/dev/null 2>&1 &&
    command -v openssl >/dev/null 2>&1 &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" \
    -out "$dir/crt.pem" -days 2 -subj /CN=mx.example.org \
    >/dev/null 2>&1; then
	cat "$dir/key.pem" "$dir/crt.pem" >"$dir/mx.pem"
	start_server tlsport "" tlswrapper -T 3 -n -f "$dir/mx.pem" \
	    "$SMTPD" -W -u nobody -n mx.example.org mbox "$dir/store/%u" ||
	    tlsport=
fi

cat >"$dir/conf" <<CONF
exim_path = $EXIM
spool_directory = $dir/spool
log_file_path = $dir/log/%slog
primary_hostname = client.example
qualify_domain = client.example
never_users =
trusted_users = root
keep_environment =
begin routers
to_smtpd_tls:
  driver = manualroute
  domains = tls.example.org
  route_list = * 127.0.0.1
  transport = smtpd_tls
  self = send
to_smtpd:
  driver = manualroute
  route_list = * 127.0.0.1
  transport = smtpd
  self = send
begin transports
smtpd:
  driver = smtp
  port = $port
  hosts_avoid_tls = *
smtpd_tls:
  driver = smtp
  port = ${tlsport:-1}
  hosts_require_tls = *
  tls_try_verify_hosts = *
begin retry
* * F,1m,1m
CONF
cat >"$dir/exim" <<SH
#!/bin/sh
mount --bind $dir/passwd /etc/passwd &&
mount --bind $dir/group /etc/group &&
exec $EXIM "\$@"
SH
chmod +x "$dir/exim"

# A message of about 200 KB: lines that begin with "From " and ".",
# a line that is one dot, and a last line without a line end.
python3 - "$dir/msg" "$dir/body" <<'PY'
import sys
lines = ["%05d " % i + ("From x" if i % 97 == 0 else
                        ".dot" if i % 89 == 0 else "y" * 60)
         for i in range(3000)]
body = "\n".join(lines[:1500] + ["."] + lines[1500:]) + "\nno line end"
with open(sys.argv[1], "w") as f:
    f.write("Subject: exim over BDAT\nFrom: a@client.example\n\n" + body)
# as the mbox holds it: mboxrd quoting, a line end added, the separator
stored = "\n".join(">" + l if l.lstrip(">").startswith("From ") else l
                   for l in body.split("\n")) + "\n\n"
with open(sys.argv[2], "w") as f:
    f.write(stored)
PY

# -odf: deliver at once, in the foreground; -oi: a lone dot is text
unshare -m "$dir/exim" -C "$dir/conf" -d+transport -odf -oi \
    -f a@client.example b@example.org <"$dir/msg" >"$dir/debug" 2>&1
st=$?
if [ "$st" = 0 ]; then
	pass "exim exit 0"
else
	fail "exim exit $st"
	sed 's/^/	| /' "$dir/debug" | tail -20
fi

if grep -q '=> b@example.org .* K C="250 2.0.0 Message [0-9A-F]* delivered"' \
    "$dir/log/mainlog"; then
	pass "exim's log: delivered with CHUNKING (K)"
else
	fail "exim's log shows no CHUNKING delivery"
	sed 's/^/	| /' "$dir/log/mainlog"
fi
if grep -q 'SMTP[+>]*> BDAT [0-9]* LAST' "$dir/debug"; then
	pass "exim's debug output: $(grep -o 'SMTP[+>]*> BDAT [0-9]*\( LAST\)*' \
	    "$dir/debug" | sed 's/.*> //' | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
else
	fail "exim's debug output shows no BDAT ... LAST"
fi

# The stored message: From_, Return-Path, smtpd's Received header, then
# what exim sent: its Received header, the message's own headers, the
# Message-Id and Date it adds, the blank line, the body.
box=$dir/store/b
if [ ! -f "$box" ]; then
	fail "no mailbox"
	finish
fi
if [ "$(grep -c '^From ' "$box")" = 1 ]; then
	pass "one message in the mailbox"
else
	fail "$(grep -c '^From ' "$box") From_ lines in the mailbox"
fi
if sed -n '1,/^$/p' "$box" | grep -q '^Received: from root by client.example with local (Exim' &&
    sed -n '1,/^$/p' "$box" | grep -q '^Subject: exim over BDAT$' &&
    sed -n '1,/^$/p' "$box" | grep -q '^Message-Id: <'; then
	pass "headers: exim's Received, Subject, Message-Id"
else
	fail "headers"
	sed -n '1,/^$/p' "$box" | sed 's/^/	| /'
fi
sed '1,/^$/d' "$box" >"$dir/got"
if cmp -s "$dir/got" "$dir/body"; then
	pass "body byte for byte ($(wc -c <"$dir/got") octets)"
else
	fail "body differs"
	cmp "$dir/got" "$dir/body" | sed 's/^/	| /'
fi

# STARTTLS: exim requires TLS of this host (hosts_require_tls), and
# says in its log which protocol and cipher it got
if [ -z "$tlsport" ]; then
	skip "exim over STARTTLS: no tlswrapper or openssl here"
	finish
fi
printf 'Subject: exim over TLS\n\nsecret\n' |
    unshare -m "$dir/exim" -C "$dir/conf" -odf -oi -f a@client.example \
    tls@tls.example.org >"$dir/debug-tls" 2>&1
st=$?
if [ "$st" = 0 ] && grep -q '=> tls@tls.example.org .* X=TLS' \
    "$dir/log/mainlog"; then
	pass "exim delivered over STARTTLS: $(grep -o 'X=TLS[^ ]*' \
	    "$dir/log/mainlog" | tail -n 1)"
else
	fail "exim over STARTTLS: exit $st"
	sed 's/^/	| /' "$dir/debug-tls" "$dir/log/mainlog" | tail -20
fi
if [ -f "$dir/store/tls" ] &&
    grep -q '^	by mx.example.org (smtpd) with ESMTPS id ' "$dir/store/tls" &&
    grep -q '^secret$' "$dir/store/tls"; then
	pass "stored with ESMTPS in smtpd's Received header"
else
	fail "no ESMTPS delivery in the mailbox"
	sed 's/^/	| /' "$dir/store/tls" 2>/dev/null | head -12
fi
finish
