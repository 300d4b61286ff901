#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-qemu.sh - `iommu-policy compare --platform qemu`: the NIC's DMA and
# the exposure probe through QEMU 7.2's own intel-iommu model and the edu
# device.  Strict must show no exposure there either; the IOTLB hit rate
# is unknown (QEMU does not expose it).  Skipped (77) without QEMU.
. "$(dirname "$0")/cli-lib.sh"

qemu=${LIOMMU_QEMU:-$(command -v qemu-system-x86_64 || true)}
if [ -z "$qemu" ]; then
	echo "SKIP: no qemu-system-x86_64"
	exit 77
fi
"$IP" compare --platform qemu -w netperf-256 -s strict,deferred -n 40 \
	--check --json >"$tmp/q.json" 2>"$tmp/err"
rc=$?
if [ $rc -eq 4 ]; then
	cat "$tmp/err"
	echo "SKIP: QEMU did not start"
	exit 77
fi
[ $rc -eq 0 ] || { cat "$tmp/err"; fail "qemu compare exit $rc"; }
python3 - "$tmp/q.json" <<'PY' || fail "qemu JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["platform"] == "qemu"
assert d["inval_latency"]["ns"] == 0 and not d["inval_latency"]["modelled"]
r = {x["strategy"]: x for x in d["results"]}
s = r["strict"]
assert s["packets"] >= 40 and s["iotlb_hit_rate"] is None
assert s["exposure"]["stale_dmas"] == 0 and s["within_bound"] is True
assert s["counters"]["inv_waits"] >= s["counters"]["unmaps"] > 0
assert r["deferred"]["counters"]["inv_waits"] < r["deferred"]["counters"]["unmaps"]
PY
ok
echo "cli-qemu: $checks checks passed"
