#!/bin/sh
# SPDX-License-Identifier: MIT
# Sum the results of `make check` into one line "N passed, N failed".
# A Check binary reports "NN%: Checks: C, Failures: F, Errors: E"; a
# script test counts as one check.  A test that crashed before Check
# could report (or any test automake marked FAIL/ERROR without a Check
# line) counts as one failure.  The optional second argument is make's
# exit status: when make failed but no test did (a test binary that did
# not build never runs), that is one more failure, never a green line.
set -u
build=${1:-.}
make_rc=${2:-0}
passed=0 failed=0 skipped=0
for trs in $(find "$build" -name '*.trs' | sort); do
	log=${trs%.trs}.log
	res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" 2>/dev/null | tail -n 1)
	if [ -n "$line" ]; then
		c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
		e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
		passed=$((passed + c - f - e)); failed=$((failed + f + e))
		if [ "$res" != PASS ] && [ $((f + e)) -eq 0 ]; then failed=$((failed + 1)); fi
	else
		case "$res" in
		PASS|XFAIL) passed=$((passed + 1)) ;;
		SKIP) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	fi
done
if [ "$make_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "make check failed (exit $make_rc) outside any test: counted as one failure"
	failed=1
fi
[ "$skipped" -eq 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
