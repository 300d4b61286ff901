#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-sweep.sh - `iommu-policy sweep`: one row per value (and strategy),
# the parameter really applied (the deferred batch shows in the
# invalidation count), JSON/CSV forms, the curve plotted.
. "$(dirname "$0")/cli-lib.sh"
N=3000

expect_exit 0 "$IP" sweep --param quota --values 16,64 -n $N --csv
cp "$tmp/out" "$tmp/q.csv"
[ "$(wc -l <"$tmp/q.csv")" -eq 3 ] || fail "quota sweep rows"
head -n 1 "$tmp/q.csv" | grep -q '^workload,strategy,param,param_value,packets,' || fail "sweep CSV header"
expect_field "$tmp/q.csv" param_value 16 strategy optimistic
expect_field "$tmp/q.csv" param_value 64 param quota
expect_field "$tmp/q.csv" param_value 16 bound_count 16
expect_field "$tmp/q.csv" param_value 64 bound_count 64

# Deferred batch: a batch of 8 flushes more than a batch of 128.
expect_exit 0 "$IP" sweep --param batch --values 8,128 -n $N --json --check
python3 - "$tmp/out" <<'PY' || fail "batch sweep JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "sweep" and d["sweep"]["param"] == "batch"
r = {x["param_value"]: x for x in d["results"]}
assert sorted(r) == [8, 128] and all(x["strategy"] == "deferred" for x in r.values())
assert r[8]["counters"]["inv_waits"] > 4 * r[128]["counters"]["inv_waits"], \
    (r[8]["counters"], r[128]["counters"])
assert r[8]["bound"]["count"] == 8 and r[128]["bound"]["count"] == 128
PY
ok

# Ring size: every strategy given, table form.
expect_exit 0 "$IP" sweep --param ring --values 64,128 -s strict,direct -n 2000
[ "$(grep -c '^ring=' "$tmp/out")" -eq 4 ] || fail "ring sweep rows"
ok

# Age as durations.
expect_exit 0 "$IP" sweep --param age --values 100us,2ms -n 2000 --csv
expect_field "$tmp/out" param_value 100000 bound_time_ns 100000

if command -v gnuplot >/dev/null 2>&1; then
	expect_exit 0 "$IP" sweep --param quota --values 16,64,256 -n 2000 --plot "$tmp/s.png"
	[ "$(head -c 4 "$tmp/s.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "no PNG drawn"
	grep -q 'axes x1y2' "$tmp/s.gp" || fail "sweep plot has no exposure curve"
	ok
fi
echo "cli-sweep: $checks checks passed"
