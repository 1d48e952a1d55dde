#!/bin/sh
# ISC license.
# `make install` and `make uninstall` into a staging directory (DESTDIR),
# with the default PREFIX and with another one: every file where the
# README's "Running it" and install.mk say, byte for byte the same as
# in the tree, with its mode;
# nothing else installed, and nothing left after uninstall.  Also the
# man page: mandoc finds nothing to warn about, and it documents every
# option smtpd's usage line shows.
#
# Usage: SMTPD=./smtpd [O=build] sh tests/install.sh   (from the tree's top)
# One line per check, then "N passed, N failed, N skipped"; exit 1 on a
# failure.

set -u

SMTPD=${SMTPD:-./smtpd}
BIN=${SMTPD#./}
O=${O:-build}
MAKE=${MAKE:-make}

passed=0
failed=0
skipped=0
pass() { passed=$((passed + 1)); echo "pass: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }
show() { sed -e 's/^/	| /' -e 40q "$1"; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpd-install.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 2' HUP INT TERM

# What must be installed under PREFIX: mode, path, source in the tree.
manifest() {
	cat <<MANIFEST
755 sbin/smtpd $BIN
644 share/man/man8/smtpd.8 $TMP/smtpd.8.want
644 share/doc/smtpd/README README
644 share/doc/smtpd/inetd.conf.example inetd.conf.example
644 share/doc/smtpd/smtpd.xinetd smtpd.xinetd
644 share/doc/smtpd/smtpd.socket smtpd.socket
644 share/doc/smtpd/smtpd@.service smtpd@.service
644 share/doc/smtpd/smtpd-lmtp.socket smtpd-lmtp.socket
644 share/doc/smtpd/smtpd-lmtp@.service smtpd-lmtp@.service
644 share/doc/smtpd/tls.example tls.example
644 share/doc/smtpd/haproxy.cfg.example haproxy.cfg.example
644 share/doc/smtpd/docs/performance.md docs/performance.md
644 share/doc/smtpd/docs/security.md docs/security.md
644 share/doc/smtpd/docs/testing.md docs/testing.md
755 share/doc/smtpd/tcpserver/run tcpserver/run
MANIFEST
}

# Install with DESTDIR=$1 and PREFIX $2 (empty: the default), check.
install_check() {
	dest=$1
	prefix=$2
	name="install PREFIX=${prefix:-(default)}"
	set -- DESTDIR="$dest"
	[ -n "$prefix" ] && set -- "$@" PREFIX="$prefix"
	if ! $MAKE -s install BIN="$BIN" O="$O" "$@" >"$TMP/make.log" 2>&1
	then
		fail "$name: make install failed"
		show "$TMP/make.log"
		return
	fi
	root=$dest${prefix:-/usr/local}
	# the installed page names this PREFIX's doc directory in FILES
	sed "s|/usr/local/share/doc/smtpd|${prefix:-/usr/local}/share/doc/smtpd|g" \
	    smtpd.8 >"$TMP/smtpd.8.want"
	if [ -n "$prefix" ] && ! grep -q "^\.It Pa $prefix/share/doc/smtpd/\$" \
	    "$TMP/smtpd.8.want"; then
		fail "$name: smtpd.8's FILES does not name $prefix"
		bad=1
	fi
	bad=0
	manifest >"$TMP/manifest"
	while read -r mode path src; do
		f=$root/$path
		if [ ! -f "$f" ]; then
			fail "$name: $path missing"
			bad=1
		elif ! cmp -s "$src" "$f"; then
			fail "$name: $path differs from $src"
			bad=1
		elif [ "$(stat -c %a "$f")" != "$mode" ]; then
			fail "$name: $path has mode $(stat -c %a "$f"), not $mode"
			bad=1
		fi
	done <"$TMP/manifest"
	n=$(find "$dest" -type f | wc -l)
	want=$(wc -l <"$TMP/manifest")
	if [ "$n" -ne "$want" ]; then
		fail "$name: $n files installed, want $want"
		find "$dest" -type f >"$TMP/found"
		show "$TMP/found"
		bad=1
	fi
	[ $bad -eq 0 ] && pass "$name: $want files, bytes and modes"

	set -- DESTDIR="$dest"
	[ -n "$prefix" ] && set -- "$@" PREFIX="$prefix"
	$MAKE -s uninstall BIN="$BIN" O="$O" "$@" >"$TMP/make.log" 2>&1
	left=$(find "$dest" -type f | wc -l)
	if [ "$left" -eq 0 ] && [ ! -d "$root/share/doc/smtpd" ]; then
		pass "$name: uninstall removes every file"
	else
		fail "$name: $left files left after uninstall"
		find "$dest" >"$TMP/found"
		show "$TMP/found"
	fi
}

install_check "$TMP/stage1" ""
install_check "$TMP/stage2" /opt/smtpd

# The man page: no warnings, and every option in the usage line
# (printed for an unknown option) has its own entry.
if command -v mandoc >/dev/null 2>&1; then
	if mandoc -Tlint -Wwarning smtpd.8 >"$TMP/lint" 2>&1; then
		pass "smtpd.8: mandoc -Tlint -Wwarning is silent"
	else
		fail "smtpd.8: mandoc warns"
		show "$TMP/lint"
	fi
else
	skip "smtpd.8 lint (mandoc is not installed)"
fi
"$SMTPD" -Z 2>"$TMP/usage" </dev/null >/dev/null
missing=
for opt in $(grep -o '\[-[a-zA-Z]' "$TMP/usage" | cut -c3); do
	grep -q "^\\.It Fl $opt\\( \\|\$\\)" smtpd.8 || missing="$missing -$opt"
done
if [ -z "$missing" ] && grep -q '\[-u user\]' "$TMP/usage"; then
	pass "smtpd.8: documents every option of the usage line"
else
	fail "smtpd.8: no entry for$missing"
	show "$TMP/usage"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] || exit 1
exit 0
