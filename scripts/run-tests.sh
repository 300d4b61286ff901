#!/bin/sh
# SPDX-License-Identifier: MIT
# Build and run the whole test suite (QEMU oracle tests included), then
# print one line "N passed, N failed".  Exit status: 0 when all passed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top"/scripts/build.sh "$@" || { echo "0 passed, 1 failed"; exit 1; }
cd "$top"/build
make -j"$(nproc)" -k check >make-check.out 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' make-check.out
if [ $rc -ne 0 ]; then
	for log in $(grep -lE '^:test-result: (FAIL|ERROR)' $(find . -name '*.trs') 2>/dev/null); do
		echo "==== ${log%.trs}.log"; tail -n 40 "${log%.trs}.log"
	done
	grep -E 'error|Error' make-check.out | head -n 20
fi
sh "$top"/tests/summary.sh . "$rc"
