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

# Well-formed traces beyond the replay platform's limits: refused before
# anything runs, with the line and the limit (docs/iommu-policy.md,
# "Limits of a replay"), never a failure half-way (exit 1).
bad bad-map-too-large.csv 6 "map size 0x8000000000000000 bytes (8 EiB) is larger than the replayed unit's I/O address space: 48-bit address width, 0xfffffff00000 bytes (256 TiB) above the first MiB"
# direct allocates no IOVA; the map still ends above the sim's memory.
expect_exit 3 "$IP" replay -s direct "$DATA/bad-map-too-large.csv"
grep -q 'bad-map-too-large.csv:6: map of physical \[0x0, 0x8000000000000000) ends above 0x10000000000 bytes (1 TiB), the most physical memory the replay gives the sim platform' \
	"$tmp/err" || { cat "$tmp/err"; fail "direct: beyond the sim memory"; }
ok
printf 'op,iova,size,paddr\nmap,0x0,0x1000,0xfffffff000\nmap,0x1000,0x2000,0xfffffff000\n' \
	>"$tmp/mem.csv"
expect_exit 3 "$IP" replay "$tmp/mem.csv"
grep -q 'mem.csv:3: map of physical \[0xfffffff000, 0x10000001000) ends above 0x10000000000 bytes (1 TiB)' \
	"$tmp/err" || { cat "$tmp/err"; fail "beyond the sim memory"; }
ok
# 1025 live maps of 1 GiB (one domain, aliasing the same memory): the
# 1025th passes the 1 TiB the page-table reserve is sized for.
awk 'BEGIN { print "op,iova,size,paddr";
	for (i = 0; i < 1100; i++) printf "map,%.0f,%.0f,0x0\n", i * 2^30, 2^30 }' >"$tmp/live.csv"
expect_exit 3 "$IP" replay "$tmp/live.csv"
grep -q 'live.csv:1026: live mappings of all address spaces add up to 0x10040000000 bytes (1.001 TiB) at this map, more than 0x10000000000 bytes (1 TiB), the most the replay sizes' \
	"$tmp/err" || { cat "$tmp/err"; fail "live mappings over the limit"; }
ok
awk 'BEGIN { print "op,iova,size,paddr,domain";
	for (i = 0; i < 1025; i++) printf "map,0x1000,4096,0x0,%d\n", i }' >"$tmp/doms.csv"
expect_exit 3 "$IP" replay "$tmp/doms.csv"
grep -q 'doms.csv:1026: more than 1024 distinct domains' "$tmp/err" ||
	{ cat "$tmp/err"; fail "domains over the limit"; }
ok
printf 'op,iova,size,paddr\nunmap,0x0,0xfffffffffffff000,\nunmap,0x0,0x1000,\n' >"$tmp/unmaps.csv"
expect_exit 3 "$IP" replay "$tmp/unmaps.csv"
grep -q 'unmaps.csv:3: unmap sizes add up to more than 2^64 bytes' "$tmp/err" ||
	{ cat "$tmp/err"; fail "unmap sizes over 2^64"; }
ok
# Within the limits, aliasing traces replay: 600 live maps of the same
# 64 MiB at a 4 KiB offset (no superpage fits) need 75 MiB of page
# tables, more than the 64 MiB the traced memory spans; the sim is given
# the room (this failed with "Cannot allocate memory", exit 1).
awk 'BEGIN { print "op,iova,size,paddr";
	for (i = 0; i < 600; i++) printf "map,%.0f,%.0f,0x1000\n", i * 2^26, 2^26 }' >"$tmp/alias.csv"
expect_exit 0 "$IP" replay --csv -s strict,direct "$tmp/alias.csv"
expect_field "$tmp/out" strategy strict peak_mapped_bytes $((600 * 67108864))
# direct maps the traced memory, not the page-table reserve
expect_field "$tmp/out" strategy direct peak_mapped_bytes $((66 * 1048576))
expect_exit 3 "$IP" replay --format csv "$DATA/small.ftrace"
grep -q 'small.ftrace:7: expected the CSV header' "$tmp/err" || fail "forced CSV on ftrace"
expect_exit 3 "$IP" replay "$tmp/does-not-exist"
grep -q 'cannot open' "$tmp/err" || fail "missing file message"
expect_exit 3 "$IP" replay "$tmp"
printf '# nothing\n' >"$tmp/empty.trace"
expect_exit 3 "$IP" replay "$tmp/empty.trace"
grep -q 'no map or unmap events' "$tmp/err" || fail "empty trace message"

# An unedited excerpt of a real Linux 6.1 capture (other events, kprobes,
# three domains sharing IOVAs): 34 maps, 17 unmaps, all matched.
expect_exit 0 "$IP" replay $SLOW --csv "$DATA/linux-6.1-q35-excerpt.ftrace"
cp "$tmp/out" "$tmp/x.csv"
for s in direct strict optimistic deferred; do
	expect_field "$tmp/x.csv" strategy $s trace_maps 34
	expect_field "$tmp/x.csv" strategy $s trace_unmaps 17
	expect_field "$tmp/x.csv" strategy $s segments 34
	expect_field "$tmp/x.csv" strategy $s dma_calls 51
	# The excerpt's first map lost its kprobe line to the cut (the
	# kprobe precedes its event): that one event is placed by inference
	# into a space of its own, and the output says so.
	expect_field "$tmp/x.csv" strategy $s domains 4
	expect_field "$tmp/x.csv" strategy $s domain_source mixed
	expect_field "$tmp/x.csv" strategy $s ambiguous_events 1
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
