#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-usage.sh - iommu-policy's help, version, man pages and every usage
# error: exit status 2 and exactly one "iommu-policy: ..." line.
. "$(dirname "$0")/cli-lib.sh"

expect_exit 0 "$IP" --help
grep -q '^Commands:' "$tmp/out" || fail "--help lists no commands"
expect_exit 0 "$IP" --version
grep -q '^iommu-policy ' "$tmp/out" || fail "--version"
for c in compare sweep replay; do
	expect_exit 0 "$IP" "$c" --help
	grep -q "^Usage: iommu-policy" "$tmp/out" || fail "$c --help"
	grep -q "Exit status" "$tmp/out" || fail "$c --help documents no exit status"
	expect_exit 0 "$IP" help "$c"
	grep -q "^Usage: iommu-policy" "$tmp/out" || fail "help $c"
done
grep -q 'netperf-16k' "$tmp/out" || true
expect_exit 0 "$IP" compare --help
for w in netperf-16k netperf-256 memcached apache; do
	grep -q "$w" "$tmp/out" || fail "compare --help does not list $w"
done

# A man page per command, and it renders without warnings.
for m in iommu-policy iommu-policy-compare iommu-policy-sweep iommu-policy-replay; do
	page="$top_src/tools/iommu-policy/$m.1"
	[ -f "$page" ] || fail "missing $page"
	grep -q "^\.SH EXIT STATUS" "$page" || fail "$m.1 has no EXIT STATUS"
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww "$page" >/dev/null 2>"$tmp/groff" || fail "groff $m.1"
		[ ! -s "$tmp/groff" ] || { cat "$tmp/groff"; fail "groff warns on $m.1"; }
	fi
	ok
done

usage_error frobnicate
usage_error help frobnicate
usage_error compare --bogus-option
usage_error compare extra-argument
usage_error --packets 0
usage_error --packets abc
usage_error compare --json --csv
usage_error compare --plot out.txt
usage_error compare --plot .png
usage_error compare --strategies strict,bogus
usage_error compare --strategies ,
usage_error compare --workloads nope
usage_error compare --platform vax
usage_error compare --ring-size 4
usage_error compare --buffer-size 1M
usage_error compare --buffer-size 100
usage_error compare --threads 0
usage_error compare --inval-latency 5parsecs
usage_error compare --inval-latency 2s
usage_error compare --quota 0
usage_error compare --age 1
usage_error compare --batch -3
usage_error compare --queues 1000
usage_error compare --platform qemu --threads 2
usage_error compare --platform qemu --buffer-size 8K
usage_error compare --platform qemu --inval-latency 1us
usage_error compare --budget 300 --ring-size 256
usage_error compare --probe-watch 1
usage_error sweep --param nope
usage_error sweep --param quota --values 0
usage_error sweep --param age --values 1ms,soon
usage_error sweep --param ring --values 64 --budget 128
usage_error sweep --workloads netperf-256,memcached
usage_error replay
usage_error replay a b
usage_error replay --check x
usage_error replay --format xml x
usage_error replay --packets 5 x
echo "cli-usage: $checks checks passed"
