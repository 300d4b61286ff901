#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-compare.sh - `iommu-policy compare` end to end on the sim platform,
# in each output format: the table names every workload and strategy and
# the source of the invalidation latency; the JSON parses and has the
# documented fields; the CSV header is the documented one; strict shows
# no exposure and the --check verdicts hold; a plot is drawn (log axis,
# direct unbounded, the table's bound strings) and each way --plot can
# fail says what failed and what was written.
. "$(dirname "$0")/cli-lib.sh"
N=3000

# Table: every workload x strategy, and the latency's source.
expect_exit 0 "$IP" compare -n $N --no-progress
for w in netperf-16k netperf-256 memcached apache; do
	for s in direct strict optimistic deferred; do
		grep -q "^$w  *$s " "$tmp/out" || fail "table lacks $w/$s"
	done
done
grep -q "^Invalidation latency: 800 ns modelled .*(default; source: an assumed" "$tmp/out" ||
	fail "table does not state the invalidation latency's source"
grep -q "^IN-BOUND 'late'" "$tmp/out" || fail "table does not explain 'late'"
ok

# JSON: parses, documented fields, strict exposure zero, bounds checked.
expect_exit 0 "$IP" -w netperf-256 -n $N --json -o "$tmp/c.json" --check
python3 -m json.tool "$tmp/c.json" >/dev/null || fail "JSON does not parse"
python3 - "$tmp/c.json" <<'PY' || fail "JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "iommu-policy/1" and d["command"] == "compare"
assert d["platform"] == "sim"
assert d["inval_latency"]["ns"] == 800 and d["inval_latency"]["default"]
assert "assumed" in d["inval_latency"]["source"]
assert d["config"]["packets"] == 3000 and d["config"]["ring"] == 256
r = {x["strategy"]: x for x in d["results"]}
assert sorted(r) == ["deferred", "direct", "optimistic", "strict"], sorted(r)
keys = ["workload", "strategy", "packets", "wall_s", "busy_s", "packets_per_s",
        "cpu_ns_per_packet", "map_ns", "unmap_ns", "invalidations_per_packet",
        "iotlb_hit_rate", "peak_pinned_bytes", "peak_mapped_bytes",
        "page_table_bytes", "counters", "exposure", "bound", "within_bound",
        "verdict", "wakeup_lateness_ns", "reclaimer_lateness_ns"]
for x in r.values():
    for k in keys:
        assert k in x, k
    assert x["workload"] == "netperf-256"
    assert x["packets"] >= 3000 and x["packets_per_s"] > 0
    assert 0 <= x["iotlb_hit_rate"] <= 1
    assert x["wakeup_lateness_ns"] >= 0
    # only optimistic and deferred have a reclaimer
    assert x["reclaimer_lateness_ns"] >= 0
    if x["strategy"] in ("direct", "strict"):
        assert x["reclaimer_lateness_ns"] == 0, x
    assert x["verdict"] in (None, "yes", "late", "no"), x["verdict"]
    assert x["within_bound"] == (None if x["verdict"] is None else x["verdict"] != "no")
    for k in ["watched", "exposed", "stale_dmas", "open", "max_ns", "p99_ns", "max_stale"]:
        assert k in x["exposure"], k
s, o, f, dr = r["strict"], r["optimistic"], r["deferred"], r["direct"]
# strict: no stale DMA ever succeeds, and every unmap waited for its invalidation
assert s["exposure"]["stale_dmas"] == 0 and s["exposure"]["max_ns"] == 0, s["exposure"]
assert s["within_bound"] is True and s["verdict"] == "yes"
assert s["counters"]["inv_waits"] >= s["counters"]["unmaps"] > 0
assert s["counters"]["reuse_hits"] == 0
# optimistic reuses cached mappings; deferred batches invalidations
assert o["counters"]["reuse_hits"] > 0 and o["within_bound"] is True
assert f["counters"]["inv_waits"] * 10 < f["counters"]["unmaps"]
assert f["within_bound"] is True and f["exposure"]["stale_dmas"] > 0
# a device's own DMAs hit the IOTLB of direct's superpages
assert dr["iotlb_hit_rate"] > 0.9, dr["iotlb_hit_rate"]
# direct: nothing per DMA, no bound, and unmapped buffers stay reachable
assert dr["bound"]["unbounded"] is True and dr["within_bound"] is None
assert dr["counters"]["inv_waits"] == 0 and dr["exposure"]["stale_dmas"] > 0
assert dr["peak_pinned_bytes"] > 10 * s["peak_pinned_bytes"]
PY
ok

# CSV: the documented header, one row per strategy.
expect_exit 0 "$IP" -w memcached -n $N --csv
hdr='workload,strategy,packets,wall_s,busy_s,packets_per_s,cpu_ns_per_packet,map_ns,unmap_ns,invalidations_per_packet,iotlb_hit_rate,peak_pinned_bytes,peak_mapped_bytes,page_table_bytes,maps,unmaps,reuse_hits,retired,flushes,pte_writes,inv_descs,inv_waits,exposure_watched,exposure_exposed,exposure_stale_dmas,exposure_open,exposure_max_ns,exposure_p99_ns,exposure_max_stale,bound_unbounded,bound_count,bound_queues,bound_time_ns,within_bound,inval_latency_ns,verdict,wakeup_lateness_ns,reclaimer_lateness_ns'
[ "$(head -n 1 "$tmp/out")" = "$hdr" ] || fail "CSV header differs from the documented one"
[ "$(wc -l <"$tmp/out")" -eq 5 ] || fail "CSV rows"
cp "$tmp/out" "$tmp/c.csv"
expect_field "$tmp/c.csv" strategy strict exposure_stale_dmas 0
expect_field "$tmp/c.csv" strategy strict within_bound true
expect_field "$tmp/c.csv" strategy strict verdict yes
expect_field "$tmp/c.csv" strategy direct verdict ""
expect_field "$tmp/c.csv" strategy direct bound_unbounded true
expect_field "$tmp/c.csv" strategy direct within_bound ""
expect_field "$tmp/c.csv" strategy strict inval_latency_ns 800
awk -F, 'NR > 1 && NF != 38 { exit 1 }' "$tmp/c.csv" || fail "CSV rows of uneven width"
ok

# Several queues and a user-given latency: strict still never exposes a
# buffer (a hard guarantee); the others' verdicts are measured.  (No
# --check here: a time bound is a promise up to scheduling latency, and
# this test must not depend on how loaded the machine running it is.)
expect_exit 0 "$IP" -w apache -t 2 -n 4000 --inval-latency 2us --csv
cp "$tmp/out" "$tmp/t.csv"
expect_field "$tmp/t.csv" strategy strict exposure_stale_dmas 0
expect_field "$tmp/t.csv" strategy strict verdict yes
expect_field "$tmp/t.csv" strategy strict inval_latency_ns 2000
# The latency is the sim model's: every strict unmap waits for one
# invalidation, which completes no earlier than 2 us after it was issued
# (a lower bound only).
awk -v u="$(csv_field "$tmp/t.csv" strategy strict unmap_ns)" \
	'BEGIN { exit !(u + 0 >= 2000) }' || fail "strict unmap_ns below the 2 us latency"
ok
for s in optimistic deferred; do
	case $(csv_field "$tmp/t.csv" strategy $s verdict) in
	yes|late|no) ok ;;
	*) fail "apache/$s: no verdict" ;;
	esac
done

# The probe is really measuring: with it off there is no exposure data.
expect_exit 0 "$IP" -w netperf-256 -s strict -n 1000 --probe-budget 0 --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["results"][0]["exposure"] is None' \
	<"$tmp/out" || fail "--probe-budget 0 still reports exposure"
ok

# A progress bar only when asked (stderr is not a terminal here).
expect_exit 0 "$IP" -w netperf-256 -s direct -n 1000 --progress
grep -q '%' "$tmp/err" || fail "--progress drew nothing"
expect_exit 0 "$IP" -w netperf-256 -s direct -n 1000
[ ! -s "$tmp/err" ] || fail "progress bar drawn on a non-terminal"

# Plot: gnuplot draws throughput against exposure from .dat + .gp.
if command -v gnuplot >/dev/null 2>&1; then
	expect_exit 0 "$IP" -w netperf-256 -n 1000 --plot "$tmp/p.svg"
	[ -s "$tmp/p.dat" ] && [ -s "$tmp/p.gp" ] || fail "no .dat/.gp"
	grep -q '<svg' "$tmp/p.svg" || fail "no SVG drawn"
	[ "$(grep -c '^"netperf-256"' "$tmp/p.dat")" -eq 4 ] || fail "plot data rows"
	ok
	# A log exposure axis, direct drawn as unbounded at its high end.
	grep -q '^set logscale x' "$tmp/p.gp" || fail "exposure axis is not logarithmic"
	grep -q "'unbounded' XHI" "$tmp/p.gp" || fail "no 'unbounded' tic at the axis end"
	grep -q "^set label .*'direct: unbounded' at XHI" "$tmp/p.gp" ||
		fail "no 'direct: unbounded' label at the axis end"
	grep -q "with vectors head" "$tmp/p.gp" || fail "no arrow for direct"
	grep -q "^set xtics ('0' XLO" "$tmp/p.gp" || fail "no '0' tic at the axis' low end"
	# direct's point is at the axis end, not at the finite exposure its
	# probe measured; strict's exposure 0 is at the low end; the others
	# where they were measured.
	xhi=$(sed -n 's/^XHI = //p' "$tmp/p.gp")
	xlo=$(sed -n 's/^XLO = //p' "$tmp/p.gp")
	awk -v hi="$xhi" -v lo="$xlo" '
		/^#/ || NF == 0 { next }
		$2 == "direct" { d = 1; if ($7 != hi || $4 + 0 >= hi + 0 || $4 == $7) exit 1 }
		$2 == "strict" { if ($4 + 0 != 0 || $7 != lo) exit 1 }
		$2 == "optimistic" || $2 == "deferred" { if ($7 != $4 + 0) exit 1 }
		END { exit !d }' "$tmp/p.dat" || fail "plot positions: $(cat "$tmp/p.dat")"
	ok
	# The bound labels are the table's BOUND column, for each strategy.
	for s in direct strict optimistic deferred; do
		want=$(awk -v s=$s '$2 == s { print $(NF - 1) }' "$tmp/out")
		[ -n "$want" ] || fail "no BOUND for $s in the table"
		grep -q "^\"netperf-256\" $s \"$want\" " "$tmp/p.dat" ||
			fail "$s: .dat bound differs from the table's '$want'"
		grep -q "^set label [0-9]* '$s: $want' " "$tmp/p.gp" ||
			fail "$s: no '$s: $want' label"
		ok
	done
fi

# --plot's output errors, before anything runs: a missing directory, a
# directory that is a file, a .dat that is a directory.  Exit 1, the path
# and the reason named, no run (stdout empty), no claim about gnuplot.
plot_error() {
	expect_exit 1 "$IP" -w netperf-256 -n 1000 --no-progress --plot "$1"
	[ ! -s "$tmp/out" ] || fail "--plot $1: the workloads ran anyway"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "--plot $1: not one line"; }
	grep -q "^iommu-policy: --plot $1: cannot write $2: $3 (nothing was run)\$" \
		"$tmp/err" || { cat "$tmp/err"; fail "--plot $1: message"; }
	! grep -q gnuplot "$tmp/err" || fail "--plot $1: blames gnuplot"
	ok
}
plot_error "$tmp/none/x.png" "into $tmp/none" "No such file or directory"
: >"$tmp/file"
plot_error "$tmp/file/x.png" "into $tmp/file" "Not a directory"
mkdir "$tmp/d.dat"
plot_error "$tmp/d.png" "$tmp/d.dat" "Is a directory"
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$tmp/ro" && chmod a-w "$tmp/ro"
	plot_error "$tmp/ro/x.png" "into $tmp/ro" "Permission denied"
fi
# A write that fails while writing (after the check): the file is named,
# nothing is claimed.
if [ -w /dev/full ]; then
	ln -s /dev/full "$tmp/full.dat"
	expect_exit 1 "$IP" -w netperf-256 -s strict -n 500 --plot "$tmp/full.png"
	grep -q "^iommu-policy: plotting $tmp/full.png: cannot write $tmp/full.dat: No space left on device; nothing was plotted\$" \
		"$tmp/err" || { cat "$tmp/err"; fail "write error on .dat"; }
	[ ! -e "$tmp/full.gp" ] || fail ".gp written after the .dat failed"
	ok
fi

# gnuplot not installed: the .dat and .gp are written and listed.
mkdir "$tmp/nognuplot"
rm -f "$tmp/q.dat" "$tmp/q.gp"
expect_exit 1 env PATH="$tmp/nognuplot" "$IP" -w netperf-256 -s strict -n 500 --plot "$tmp/q.png"
grep -q "^iommu-policy: plotting $tmp/q.png: gnuplot not found in PATH (install gnuplot-nox); wrote $tmp/q.dat and $tmp/q.gp" \
	"$tmp/err" || { cat "$tmp/err"; fail "gnuplot missing: message"; }
[ -s "$tmp/q.dat" ] && [ -s "$tmp/q.gp" ] || fail "gnuplot missing: .dat/.gp not written"
[ ! -e "$tmp/q.png" ] || fail "gnuplot missing: an image exists"
ok

# gnuplot fails: its exit status given, its stderr forwarded.
mkdir "$tmp/fake"
printf '#!/bin/sh\necho "fake gnuplot: cannot draw $1" >&2\nexit 3\n' >"$tmp/fake/gnuplot"
chmod +x "$tmp/fake/gnuplot"
expect_exit 1 env PATH="$tmp/fake:$PATH" "$IP" -w netperf-256 -s strict -n 500 --plot "$tmp/q.png"
grep -q "^fake gnuplot: cannot draw $tmp/q.gp\$" "$tmp/err" || fail "gnuplot's stderr not forwarded"
grep -q "^iommu-policy: plotting $tmp/q.png: gnuplot $tmp/q.gp exited with status 3 (its messages are above); wrote $tmp/q.dat and $tmp/q.gp\$" \
	"$tmp/err" || { cat "$tmp/err"; fail "gnuplot failing: message"; }
ok

# gnuplot succeeds but draws nothing, or an empty file; an image left by
# an earlier run must not count.
printf '#!/bin/sh\nexit 0\n' >"$tmp/fake/gnuplot"
echo stale >"$tmp/q.png"
expect_exit 1 env PATH="$tmp/fake:$PATH" "$IP" -w netperf-256 -s strict -n 500 --plot "$tmp/q.png"
grep -q "^iommu-policy: plotting $tmp/q.png: gnuplot $tmp/q.gp exited with status 0 but did not write $tmp/q.png: No such file or directory; wrote $tmp/q.dat and $tmp/q.gp\$" \
	"$tmp/err" || { cat "$tmp/err"; fail "no image: message"; }
ok
printf '#!/bin/sh\n: >"%s"\nexit 0\n' "$tmp/q.png" >"$tmp/fake/gnuplot"
expect_exit 1 env PATH="$tmp/fake:$PATH" "$IP" -w netperf-256 -s strict -n 500 --plot "$tmp/q.png"
grep -q "^iommu-policy: plotting $tmp/q.png: gnuplot $tmp/q.gp exited with status 0 but $tmp/q.png is empty; wrote $tmp/q.dat and $tmp/q.gp\$" \
	"$tmp/err" || { cat "$tmp/err"; fail "empty image: message"; }
ok
# The vIOMMU platform: the NIC's driver is a guest's, its DMA goes through
# the shadow in a host domain.  Every packet's DMA landed (a fault on a
# mapped buffer fails the run), strict exposes nothing, and direct's
# up-front mapping is mirrored whole (its stale DMAs reach the buffer).
expect_exit 0 "$IP" compare --platform viommu -w netperf-256 -n $N --json -o "$tmp/v.json" --check
python3 - "$tmp/v.json" <<'PY' || fail "viommu JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["platform"] == "viommu", d["platform"]
r = {x["strategy"]: x for x in d["results"]}
assert sorted(r) == ["deferred", "direct", "optimistic", "strict"], sorted(r)
for x in r.values():
    assert x["packets"] >= 3000, x
assert r["strict"]["exposure"]["stale_dmas"] == 0, r["strict"]["exposure"]
assert r["direct"]["exposure"]["stale_dmas"] > 0, r["direct"]["exposure"]
assert r["strict"]["invalidations_per_packet"] >= 1.9, r["strict"]
PY
ok
expect_exit 2 "$IP" compare --platform bogus -n 10
grep -q "expected sim, qemu or viommu" "$tmp/err" || fail "--platform bogus: message"
ok
echo "cli-compare: $checks checks passed"
