#!/bin/sh
# ISC license.
# Run a test command as an unprivileged user when we are root.
#
# Usage: sh tests/as-nobody.sh FILE... -- COMMAND [ARG...]
#
# smtpd refuses to run a session as root without -u (see smtpd(8)), and
# CI runs as root.  Not root: COMMAND runs here, as it is.  Root: the
# FILEs (paths relative to the current directory: the binaries and test
# files COMMAND reads) are copied into a fresh directory owned by
# nobody, since the clone itself may sit where nobody cannot read (such
# as /root), and COMMAND runs there as nobody, with the same
# environment (PATH keeps only the directories nobody can search) and
# no supplementary groups.

set -u

files=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	files="$files $1"
	shift
done
if [ $# -eq 0 ]; then
	echo "usage: sh tests/as-nobody.sh FILE... -- COMMAND [ARG...]" >&2
	exit 2
fi
shift

if [ "$(id -u)" -ne 0 ]; then
	exec "$@"
fi

user=nobody
group=$(id -gn "$user") || exit 2
dir=$(mktemp -d "${TMPDIR:-/tmp}/as-nobody.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT
trap 'exit 2' HUP INT TERM

# shellcheck disable=SC2086 # FILE names are words, by contract
tar cf - $files | (cd "$dir" && tar xf -) || exit 2
chown -R "$user:$group" "$dir"
chmod 0755 "$dir"
cd "$dir" || exit 2

as_user() {
	setpriv --reuid="$user" --regid="$group" --clear-groups -- "$@"
}

# PATH without the directories the user cannot search (root's own, such
# as ~/.pyenv/shims), so commands resolve to ones the user can run.
path=
old_ifs=$IFS
IFS=:
for d in $PATH; do
	if [ -n "$d" ] && as_user test -x "$d"; then
		path=${path:+$path:}$d
	fi
done
IFS=$old_ifs
PATH=$path as_user "$@"
