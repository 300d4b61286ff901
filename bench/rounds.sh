#!/bin/sh
# SPDX-License-Identifier: MIT
# rounds.sh - run bench-iova, bench-translate and bench-dma in five
# alternating rounds over two builds (a baseline and a candidate), so
# that a before/after comparison sees the same machine state on both
# sides; one output file per bench, build and round.  The figures in
# docs/performance.md's before/after sections come from this.
#
# Usage: bench/rounds.sh BASE_BUILDDIR NEW_BUILDDIR OUTDIR
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BASE_BUILDDIR NEW_BUILDDIR OUTDIR" >&2; exit 2; }
base=$1 new=$2 out=$3
mkdir -p "$out"
for r in 1 2 3 4 5; do
	for b in base new; do
		if [ $b = base ]; then d=$base; else d=$new; fi
		"$d/bench/bench-iova" --reps 7 >"$out/iova-$b-$r.txt" 2>&1
		"$d/bench/bench-translate" --iters 2000000 --reps 11 >"$out/translate-$b-$r.txt" 2>&1
		"$d/bench/bench-dma" --iters 100000 --reps 7 >"$out/dma-$b-$r.txt" 2>&1
		echo "round $r $b done $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
	done
done
