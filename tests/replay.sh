#!/bin/sh
# ISC license.
# The transcript runner and the recorder, tested on themselves.
#
# usage: SMTPD=./smtpd sh tests/replay.sh
#
# 1. Every learner session in tests/sessions/ must replay byte for byte
#    (tools/smtpd-replay exits 0).
# 2. Every case in tests/sessions-fail/ must fail: exit 1 with a diff
#    (expected and actual), or the exit status its "# expect-exit:"
#    line gives (2: a transcript that cannot be replayed).
# 3. tests/record.py: sessions recorded with -x give back their own
#    C: and S: lines, replay, stay apart when run in parallel, and are
#    cut at 64 KiB of data.
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
case ${SMTPD:-./smtpd} in
/*) SMTPD=${SMTPD:-./smtpd} ;;
*) SMTPD=$(pwd)/${SMTPD:-./smtpd} ;;
esac
export SMTPD
replay=$top/tools/smtpd-replay
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/replay.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT

if python3 "$replay" -s "$SMTPD" "$here"/sessions/*.txt > "$out"; then
	echo "ok sessions: $(tail -n 1 "$out")"
else
	cat "$out"
	echo "FAIL sessions"
	failed=1
fi

for f in "$here"/sessions-fail/*.txt; do
	name=sessions-fail/$(basename "$f")
	want=$(sed -n 's/^# expect-exit: *//p' "$f")
	python3 "$replay" -s "$SMTPD" "$f" > "$out" 2>&1
	got=$?
	if [ "$got" != "${want:-1}" ]; then
		echo "FAIL $name: exit $got, expected ${want:-1}"
		sed 's/^/    /' "$out"
		failed=1
	elif [ "$got" = 1 ] && ! grep -q '^    +++ actual' "$out"; then
		echo "FAIL $name: no diff shown"
		sed 's/^/    /' "$out"
		failed=1
	else
		echo "ok $name (fails as it must, exit $got)"
	fi
done

if ! python3 "$here/record.py" "$SMTPD" "$replay" "$here"/sessions/*.txt; then
	failed=1
fi
exit $failed
