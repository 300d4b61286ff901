#!/bin/sh
# SPDX-License-Identifier: MIT
# The layer rules of docs/design.md ("Layers and their rules"), checked on
# every #include of the library, its public headers and the programs.  A
# layer may include its own headers, the public headers of the layers it
# stands on, and of the driver's private headers only its layer header;
# programs include public headers only.  tests/ and bench/ measure and
# test internals and are not checked.
#
# Usage: check-layers.sh [TREE]   (default: the source tree)
# With LIOMMU_LAYERS_SELFTEST unset, the script first proves that it can
# fail: it copies the tree, adds a forbidden include and expects a
# violation.
set -u
src=${1:-${LIOMMU_TOP_SRCDIR:-$(dirname "$0")/..}}

# The one private driver header other layers may include.
LAYER_HEADER=libiommu/driver/driver-layer.h

# layer -> the layers it may include (besides itself).
deps() {
	case $1 in
	base)		echo "" ;;
	model)		echo "base" ;;
	driver)		echo "base" ;;
	iova)		echo "base" ;;
	dma)		echo "base iova driver" ;;
	platform)	echo "base model driver" ;;
	irq-remap)	echo "base driver" ;;
	eli)		echo "base irq-remap" ;;
	viommu)		echo "base model driver iova dma platform" ;;
	# libhvbind links alone: not even the base layer.
	hvbind)		echo "" ;;
	programs)	echo "base model driver iova dma platform irq-remap eli viommu" ;;
	esac
}

# Path relative to the tree -> its layer (empty: not checked).
layer_of() {
	case $1 in
	libiommu/common/*|libiommu/include/liommu/export.h|\
	libiommu/include/liommu/fault-record.h|\
	libiommu/include/liommu/vtd.h|libiommu/include/liommu/platform.h)
		echo base ;;
	libiommu/include/liommu/model.h|libiommu/model/*)	echo model ;;
	libiommu/include/liommu/liommu.h|libiommu/driver/*)	echo driver ;;
	libiommu/include/liommu/iova.h|libiommu/iova/*)		echo iova ;;
	libiommu/include/liommu/dma.h|libiommu/dma/*)		echo dma ;;
	libiommu/include/liommu/sim.h|libiommu/include/liommu/qemu.h|\
	libiommu/platform/*)					echo platform ;;
	irq-remap/*)						echo irq-remap ;;
	eli/*)							echo eli ;;
	# The daemon is a program (libiommu and libhvbind, public headers).
	viommu-sidecore/daemon/*)				echo programs ;;
	viommu-sidecore/*)					echo viommu ;;
	hv-bindings/*)						echo hvbind ;;
	tools/*|examples/*)					echo programs ;;
	esac
}

is_public() {
	case $1 in */include/liommu/*|*/include/hvbind/*) return 0 ;; esac
	return 1
}

# Resolve an include of FILE to a tree-relative path; empty if not ours.
resolve() {
	file=$1 inc=$2 root=$3
	case $inc in
	\<liommu/*)
		name=${inc#<}; name=${name%>}
		for d in libiommu/include irq-remap/include eli/include viommu-sidecore/include; do
			[ -f "$root/$d/$name" ] && { echo "$d/$name"; return; }
		done
		echo "?$name" ;;
	\<hvbind/*)
		name=${inc#<}; name=${name%>}
		if [ -f "$root/hv-bindings/include/$name" ]; then
			echo "hv-bindings/include/$name"
		else
			echo "?$name"
		fi ;;
	\"config.h\")
		;;
	\"*)
		name=${inc#\"}; name=${name%\"}
		dir=$(dirname "$file")
		p=$(cd "$root/$dir" 2>/dev/null && realpath -m --relative-to="$root" "$name")
		if [ -f "$root/$p" ]; then echo "$p"; else echo "?$name"; fi ;;
	esac
}

check_tree() {
	root=$(cd "$1" && pwd) bad=0 n=0
	files=$(cd "$root" && find libiommu irq-remap eli viommu-sidecore hv-bindings tools examples \
		-name '*.[ch]' 2>/dev/null | sort)
	for f in $files; do
		from=$(layer_of "$f")
		[ -n "$from" ] || continue
		allowed="$from $(deps "$from")"
		incs=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$root/$f" |
			grep -E '^("|<liommu/|<hvbind/)')
		for inc in $incs; do
			to=$(resolve "$f" "$inc" "$root")
			[ -n "$to" ] || continue
			n=$((n + 1))
			case $to in
			\?*)
				echo "FAIL: $f: $inc: not found in the tree"
				bad=$((bad + 1)); continue ;;
			esac
			tol=$(layer_of "$to")
			ok=0
			if [ "$tol" = "$from" ] && [ "$from" != programs ]; then
				ok=1
			elif [ "$from" = programs ]; then
				if is_public "$to" || [ "$(dirname "$to")" = "$(dirname "$f")" ]; then
					ok=1
				fi
			else
				for l in $allowed; do
					[ "$l" = "$tol" ] || continue
					if is_public "$to" || [ "$tol" = base ] ||
					   [ "$to" = "$LAYER_HEADER" ]; then
						ok=1
					fi
				done
			fi
			if [ $ok -eq 0 ]; then
				echo "FAIL: $f ($from) includes $to (${tol:-outside the layers}): not allowed by docs/design.md"
				bad=$((bad + 1))
			fi
		done
	done
	echo "layers: $n includes checked, $bad violations"
	[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
}

check_tree "$src" || exit 1

[ -n "${LIOMMU_LAYERS_SELFTEST:-}" ] && exit 0
# Self-test: a driver file that includes the DMA layer's header, or a
# DMA-layer private header, must fail; so must libhvbind including
# anything of libiommu, even the base layer's headers.
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
n_probe=0
for case in 'libiommu/driver/unit.c|#include <liommu/dma.h>' \
	    'libiommu/driver/unit.c|#include "../dma/dma-internal.h"' \
	    'libiommu/driver/unit.c|#include "../model/model-internal.h"' \
	    'hv-bindings/src/dmar-build.c|#include <liommu/vtd.h>' \
	    'hv-bindings/src/dmar-build.c|#include "../../libiommu/common/spin.h"'; do
	file=${case%%|*} probe=${case#*|}
	rm -rf "$tmp/t"; mkdir "$tmp/t"
	(cd "$src" && tar cf - libiommu irq-remap eli viommu-sidecore hv-bindings tools examples) |
		(cd "$tmp/t" && tar xf -)
	printf '%s\n' "$probe" >> "$tmp/t/$file"
	if check_tree "$tmp/t" > "$tmp/out" 2>&1; then
		echo "FAIL: self-test: '$probe' in $file was not caught"
		exit 1
	fi
	grep -q "$file" "$tmp/out" ||
		{ echo "FAIL: self-test: the violation was not named"; cat "$tmp/out"; exit 1; }
	n_probe=$((n_probe + 1))
done
echo "layers: self-test caught all $n_probe forbidden includes"
