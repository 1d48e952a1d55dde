#!/bin/sh
# ISC license.
# Run each fuzz target for FUZZ_SECONDS (default 30), one after the
# other, on a copy of its seed corpus, with the SMTP dictionary.
#
# usage: FUZZ_SECONDS=30 sh fuzz/run.sh BUILD-DIR TARGET...
#
# Prints libFuzzer's final statistics for each target (number of
# executed inputs, peak RSS) and exits 1 if any target found a crash,
# a leak, a timeout or a failed oracle; the input is kept in
# BUILD-DIR/artifacts/.
set -u
build=$1
shift
seconds=${FUZZ_SECONDS:-30}
here=$(cd "$(dirname "$0")" && pwd)
status=0
mkdir -p "$build/artifacts" "$build/work"
for t in "$@"; do
	work=$build/work/$t
	mkdir -p "$work"
	cp -n "$build/corpus/$t"/* "$work"/ 2>/dev/null
	echo "=== fuzz_$t: $seconds s"
	# -timeout: one input may take 10 s; -rss_limit_mb: memory is
	# bounded by design (smtpd.8: LIMITS), so 512 MB means a leak
	if ! "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=512 -dict="$here/smtp.dict" -print_final_stats=1 \
	    -artifact_prefix="$build/artifacts/$t-" "$work" \
	    >"$build/work/$t.log" 2>&1; then
		status=1
		echo "fuzz_$t FAILED:"
		tail -n 60 "$build/work/$t.log"
	fi
	grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' \
	    "$build/work/$t.log"
done
exit $status
