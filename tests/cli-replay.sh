#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-replay.sh - `iommu-policy replay`: counters of small traces worked
# out by hand, each malformed fixture rejected with FILE:LINE and exit 3,
# and the real Linux 6.1 capture replayed under every strategy.
. "$(dirname "$0")/cli-lib.sh"

# Time bounds far away, so that only the trace decides what happens.
SLOW="--age 10s --interval 10s"

# small.csv (see its comments): 3 maps, 4 unmaps; B is split in two, so 4
# pieces are mapped and 4 unmapped, with 3 map calls and 4 unmap calls.
expect_exit 0 "$IP" replay $SLOW --csv "$DATA/small.csv"
cp "$tmp/out" "$tmp/s.csv"
for s in direct strict optimistic deferred; do
	expect_field "$tmp/s.csv" strategy $s trace_maps 3
	expect_field "$tmp/s.csv" strategy $s trace_unmaps 4
	expect_field "$tmp/s.csv" strategy $s segments 4
	expect_field "$tmp/s.csv" strategy $s dma_calls 7
	expect_field "$tmp/s.csv" strategy $s maps 4
	expect_field "$tmp/s.csv" strategy $s unmaps 4
	expect_field "$tmp/s.csv" strategy $s domains 1
	expect_field "$tmp/s.csv" strategy $s unmatched_unmaps 0
	expect_field "$tmp/s.csv" strategy $s live_at_end 0
done
# strict: one invalidation wait per unmap call; never a reuse.
expect_field "$tmp/s.csv" strategy strict inv_waits 4
expect_field "$tmp/s.csv" strategy strict flushes 4
expect_field "$tmp/s.csv" strategy strict reuse_hits 0
# A, then B (2 pages): at most 3 pages mapped at once.
expect_field "$tmp/s.csv" strategy strict peak_mapped_bytes 12288
# optimistic: A's second map reuses A's cached mapping; nothing retired yet.
expect_field "$tmp/s.csv" strategy optimistic reuse_hits 1
expect_field "$tmp/s.csv" strategy optimistic inv_waits 0
# deferred: four unmaps queued, batch 256, interval 10 s: no flush yet.
expect_field "$tmp/s.csv" strategy deferred inv_waits 0
expect_field "$tmp/s.csv" strategy deferred reuse_hits 0
# direct: no invalidation, ever.
expect_field "$tmp/s.csv" strategy direct inv_waits 0
expect_field "$tmp/s.csv" strategy direct bound_unbounded true

# A deferred batch of 2 flushes after the 2nd and the 4th unmap.
expect_exit 0 "$IP" replay $SLOW --batch 2 --queues 1 -s deferred --csv "$DATA/small.csv"
expect_field "$tmp/out" strategy deferred flushes 2

# small.ftrace: 5 maps (one a 16 MiB identity map), 4 unmaps among other
# events.  The 8 KiB map at IOVA 0 shares IOVAs with the identity map, so
# a second address space is inferred; its page-by-page unmap splits it;
# the last unmap ends two maps at once (one unmap_sg): 6 pieces mapped, 5
# unmapped, 9 calls; strict waits once per traced unmap.
expect_exit 0 "$IP" replay $SLOW --csv -s strict,optimistic "$DATA/small.ftrace"
cp "$tmp/out" "$tmp/f.csv"
expect_field "$tmp/f.csv" strategy strict trace_maps 5
expect_field "$tmp/f.csv" strategy strict trace_unmaps 4
expect_field "$tmp/f.csv" strategy strict domains 2
expect_field "$tmp/f.csv" strategy strict segments 6
expect_field "$tmp/f.csv" strategy strict maps 6
expect_field "$tmp/f.csv" strategy strict unmaps 5
expect_field "$tmp/f.csv" strategy strict dma_calls 9
expect_field "$tmp/f.csv" strategy strict inv_waits 4
expect_field "$tmp/f.csv" strategy strict live_at_end 1
expect_field "$tmp/f.csv" strategy strict unmatched_unmaps 0
expect_field "$tmp/f.csv" strategy optimistic reuse_hits 0

# JSON form, with the plan summary.
expect_exit 0 "$IP" replay --json "$DATA/small.ftrace"
python3 - "$tmp/out" <<'PY' || fail "replay JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "replay" and d["trace"]["format"] == "ftrace"
assert d["trace"]["maps"] == 5 and d["trace"]["unmaps"] == 4 and d["trace"]["domains"] == 2
assert len(d["results"]) == 4
for x in d["results"]:
    for k in ["trace", "strategy", "events", "events_per_s", "dma_calls", "map_ns",
              "unmap_ns", "invalidations_per_unmap", "peak_pinned_bytes",
              "peak_mapped_bytes", "page_table_bytes", "counters", "bound"]:
        assert k in x, k
PY
ok

# Standard input.
expect_exit 0 sh -c "\"$IP\" replay --csv -s strict - <\"$DATA/small.csv\""
expect_field "$tmp/out" strategy strict inv_waits 4

# Malformed traces: exit 3 and FILE:LINE: reason.
bad() {
	expect_exit 3 "$IP" replay "$DATA/$1"
	grep -q "^iommu-policy: .*$1:$2: $3" "$tmp/err" || { cat "$tmp/err"; fail "$1: message"; }
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$1: more than one error line"
	ok
}
bad bad-map-no-paddr.ftrace 4 'map event: expected "paddr='
bad bad-op.csv 3 'op must be "map" or "unmap"'
bad bad-overlap.csv 5 'map of .* overlaps a live mapping of domain 1'
bad bad-misaligned.csv 3 'map iova 0x1800 is not 4 KiB aligned'
expect_exit 3 "$IP" replay --format csv "$DATA/small.ftrace"
grep -q 'small.ftrace:7: expected the CSV header' "$tmp/err" || fail "forced CSV on ftrace"
expect_exit 3 "$IP" replay "$tmp/does-not-exist"
grep -q 'cannot open' "$tmp/err" || fail "missing file message"
expect_exit 3 "$IP" replay "$tmp"
printf '# nothing\n' >"$tmp/empty.trace"
expect_exit 3 "$IP" replay "$tmp/empty.trace"
grep -q 'no map or unmap events' "$tmp/err" || fail "empty trace message"

# An unedited excerpt of a real Linux 6.1 capture (other events, kprobes,
# two address spaces sharing IOVAs): 34 maps, 17 unmaps, all matched.
expect_exit 0 "$IP" replay $SLOW --csv "$DATA/linux-6.1-q35-excerpt.ftrace"
cp "$tmp/out" "$tmp/x.csv"
for s in direct strict optimistic deferred; do
	expect_field "$tmp/x.csv" strategy $s trace_maps 34
	expect_field "$tmp/x.csv" strategy $s trace_unmaps 17
	expect_field "$tmp/x.csv" strategy $s segments 34
	expect_field "$tmp/x.csv" strategy $s dma_calls 51
	expect_field "$tmp/x.csv" strategy $s domains 2
	expect_field "$tmp/x.csv" strategy $s unmatched_unmaps 0
	expect_field "$tmp/x.csv" strategy $s live_at_end 17
done
expect_field "$tmp/x.csv" strategy strict inv_waits 17
expect_field "$tmp/x.csv" strategy direct inv_waits 0
[ "$(csv_field "$tmp/x.csv" strategy optimistic reuse_hits)" -gt 0 ] ||
	fail "optimistic reused nothing in the excerpt"
ok

# The real capture (tests/data/README.md): every event replays under
# every strategy.  It is part of the tree: missing, it fails the test.
REAL=$DATA/linux-6.1-q35-strict.trace
[ -r "$REAL" ] || fail "$REAL missing or unreadable"
expect_exit 0 "$IP" replay --csv "$REAL"
cp "$tmp/out" "$tmp/r.csv"
for s in direct strict optimistic deferred; do
	expect_field "$tmp/r.csv" strategy $s trace_maps 924
	expect_field "$tmp/r.csv" strategy $s trace_unmaps 326
	expect_field "$tmp/r.csv" strategy $s unmatched_unmaps 0
done
# strict waits once per traced unmap, as Linux's strict mode did
expect_field "$tmp/r.csv" strategy strict inv_waits 326
echo "cli-replay: $checks checks passed"
