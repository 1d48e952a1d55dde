#!/bin/sh
# ISC license.
# Make sure the Check unit test framework (and pkg-config, which finds
# it) is installed; install both with the system package manager when
# they are missing.  Silent when there is nothing to do.

have_check() {
	command -v pkg-config >/dev/null 2>&1 && pkg-config --exists check
}

have_check && exit 0

# Root installs directly; anyone else needs sudo, when there is one.
if [ "$(id -u 2>/dev/null)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	SUDO=none
fi

if command -v apt-get >/dev/null 2>&1; then
	pkgs='check pkg-config'
	manager=apt-get
elif command -v dnf >/dev/null 2>&1; then
	pkgs='check-devel pkgconf-pkg-config'
	manager=dnf
elif command -v apk >/dev/null 2>&1; then
	pkgs='check-dev pkgconf'
	manager=apk
elif command -v brew >/dev/null 2>&1; then
	pkgs='check pkg-config'
	manager=brew
	SUDO=		# Homebrew refuses to run as root and needs no sudo
else
	pkgs=
	manager=
fi

fail() {
	if [ -n "$pkgs" ]; then
		echo "need-check.sh: the Check unit test framework is missing;" \
		    "install the packages '$pkgs' with $manager (as root)," \
		    "then run make check again" >&2
	else
		echo "need-check.sh: the Check unit test framework is missing" \
		    "and no known package manager was found; install Check" \
		    "(https://libcheck.github.io/check/) and pkg-config," \
		    "then run make check again" >&2
	fi
	exit 1
}

[ -n "$manager" ] || fail
[ "$SUDO" = none ] && fail

echo "need-check.sh: installing $pkgs with $manager" >&2
# $pkgs and $SUDO are split into words on purpose
# shellcheck disable=SC2086
case $manager in
apt-get)
	# a stale package index is the usual reason for a failed install
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $pkgs ||
	    { $SUDO apt-get update &&
	    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $pkgs; }
	;;
dnf)
	$SUDO dnf install -y $pkgs
	;;
apk)
	$SUDO apk add $pkgs
	;;
brew)
	brew install $pkgs
	;;
esac || fail

have_check || fail
exit 0
