#!/bin/sh
# ISC license.
# The command line contract (smtpd.8: DIAGNOSTICS): every wrong command
# line gets exactly one line on stderr, nothing on stdout, exit 64, and
# reads nothing from the client.
# Usage: SMTPD=./smtpd sh tests/usage.sh   (as root: via tests/as-nobody.sh)

set -u
SMTPD=${SMTPD:-./smtpd}
USAGE='usage: smtpd [-eIlMSvW] [-C file] [-L lesson] [-n name] [-d domain]... [-P addr[/len]]... [-R file] [-s bytes] [-r count] [-T seconds] [-t seconds] [-U after,limit,ms] [-u user] [-x dir] [mbox path | maildir dir | pipe program [arg ...]]'
pass=0
fail=0
out=$(mktemp) && err=$(mktemp) || exit 2
trap 'rm -f "$out" "$err"' EXIT

# case WHY ARG...: smtpd ARG... must say "smtpd: WHY; USAGE" and exit 64
# ($vars: VAR=value words for its environment)
vars=
case_() {
	why=$1
	shift
	printf 'QUIT\r\n' | env $vars "$SMTPD" "$@" >"$out" 2>"$err"
	st=$?
	want="smtpd: $why; $USAGE"
	if [ "$st" -eq 64 ] && [ ! -s "$out" ] &&
	    [ "$(cat "$err")" = "$want" ] && [ "$(wc -l <"$err")" -eq 1 ]; then
		pass=$((pass + 1))
		echo "ok   $*"
	else
		fail=$((fail + 1))
		echo "FAIL $*: exit $st"
		echo "     stdout: $(cat "$out")"
		echo "     stderr: $(cat "$err")"
		echo "     want:   $want"
	fi
}

case_ 'unknown option or missing value' -q
case_ 'unknown option or missing value' -n
case_ '-r must be a number from 1 to 1000' -r 0
case_ '-r must be a number from 1 to 1000' -r 1001
case_ '-r must be a number from 1 to 1000' -r 12x
case_ '-t must be a number from 1 to 86400' -t -1
case_ 'the method is mbox PATH, maildir DIR or pipe PROGRAM [ARG...]' frob
case_ 'the method is mbox PATH, maildir DIR or pipe PROGRAM [ARG...]' mbox
case_ 'the method is mbox PATH, maildir DIR or pipe PROGRAM [ARG...]' \
    maildir a b
case_ 'empty mailbox path' mbox ''
# the recipient table and the throttle (smtpd.8: -R, -M, -U)
case_ '-R takes a file' -R ''
case_ '-C takes a file' -C ''
case_ '-C compiles a table: no method' -C table mbox /tmp/x
case_ '-M needs mbox or maildir: a program has no mailboxes' -M pipe /bin/cat
case_ '-U takes after,limit,ms' -U 3,10
case_ '-U after must be a number from 0 to 1000' -U x,10,5
case_ '-U after must be less than limit' -U 5,5,10
case_ 'the pipe program needs an absolute path' pipe bin/deliver
case_ 'the pipe program is a fixed path: no % in it' pipe /bin/%u
case_ 'unknown % sequence: use %u, %d, %s, %r or %%' pipe /bin/cat %x
case_ 'unknown % sequence: use %u, %d, %s, %r or %%' mbox 'box%'
case_ '%s and %r are only for pipe arguments' mbox /tmp/%s
case_ '%s and %r are only for pipe arguments' maildir /tmp/%r
case_ 'an mbox path may not end in .lock, the name of a lock file' \
    mbox /tmp/%u.lock
case_ 'an mbox path may not end in .lock, the name of a lock file' \
    mbox /var/mail/BOX.LOCK
# guided lessons (smtpd.8: LESSONS): the names, SMTP only, no socket
case_ '-L takes list or a lesson: puni, exim, ehlo, postfix' -L nosuch
case_ '-L takes list or a lesson: puni, exim, ehlo, postfix' -L ''
case_ '-L lessons are SMTP: no -l' -l -L puni
vars='TCPREMOTEIP=192.0.2.1'
case_ '-L is for a terminal or a pipe, not a network client' -L exim
vars=
# TLS (smtpd.8: STARTTLS): a wrapper is named, never guessed
case_ '-W needs descriptor 5 open: run smtpd under tlswrapper -n' -W 5>&-
case_ '-S needs a TLS wrapper: -W, -I or the UCSPI-TLS variables' -S
case_ '-I is TLS from the start; it excludes -W and SSLCTLFD' -I -W 5</dev/null
vars='SSLCTLFD=5'
case_ '-W and the UCSPI-TLS variables (SSLCTLFD) exclude each other' \
    -W 5</dev/null
vars='SSLCTLFD=7 SSLREADFD=8 SSLWRITEFD=9'
case_ 'SSLCTLFD, SSLREADFD and SSLWRITEFD must name open descriptors' \
    7>&- 8>&- 9>&-
vars='SSLCTLFD=x SSLREADFD=0 SSLWRITEFD=1'
case_ 'SSLCTLFD, SSLREADFD and SSLWRITEFD must name open descriptors'
vars='SSLCTLFD=2 SSLWRITEFD=1'
case_ 'SSLCTLFD, SSLREADFD and SSLWRITEFD must name open descriptors'
vars=

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
