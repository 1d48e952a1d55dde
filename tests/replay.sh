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
# One line per check, then "N passed, N failed, 0 skipped"; exits 1 when
# a check failed.  Each session of tests/sessions/ counts as a check.
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
passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/replay.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT

# add_counts STATUS: add the counts of the last line of $out, "N passed,
# M failed[, K skipped]", to ours; a run that exited STATUS != 0 with no
# failure counted, or without that line, counts one failure
add_counts() {
	last=$(sed -n '$p' "$out")
	p=$(printf '%s\n' "$last" | sed -n 's/^\([0-9]*\) passed, [0-9]* failed.*/\1/p')
	f=$(printf '%s\n' "$last" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p')
	if [ -z "$p" ] || [ -z "$f" ]; then
		p=0
		f=0
	fi
	if [ "$1" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

python3 "$replay" -s "$SMTPD" "$here"/sessions/*.txt > "$out"
st=$?
if [ $st -eq 0 ]; then
	echo "ok sessions: $(tail -n 1 "$out")"
else
	cat "$out"
	echo "FAIL sessions"
fi
add_counts $st

for f in "$here"/sessions-fail/*.txt; do
	name=sessions-fail/$(basename "$f")
	want=$(sed -n 's/^# expect-exit: *//p' "$f")
	python3 "$replay" -s "$SMTPD" "$f" > "$out" 2>&1
	got=$?
	if [ "$got" != "${want:-1}" ]; then
		echo "FAIL $name: exit $got, expected ${want:-1}"
		sed 's/^/    /' "$out"
		failed=$((failed + 1))
	elif [ "$got" = 1 ] && ! grep -q '^    +++ actual' "$out"; then
		echo "FAIL $name: no diff shown"
		sed 's/^/    /' "$out"
		failed=$((failed + 1))
	else
		echo "ok $name (fails as it must, exit $got)"
		passed=$((passed + 1))
	fi
done

python3 "$here/record.py" "$SMTPD" "$replay" "$here"/sessions/*.txt \
    > "$out" 2>&1
st=$?
sed '$d' "$out"
add_counts $st

echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
