#!/bin/sh
# SPDX-License-Identifier: MIT
# Each shared library must export exactly the symbols in its version
# script: nothing internal leaks, nothing promised is missing.  libhvbind
# must also stand alone (docs/design.md, "Linking"): it needs no other
# library of the tree.
set -u
src=${LIOMMU_TOP_SRCDIR:-$(dirname "$0")/..}
build=${LIOMMU_TOP_BUILDDIR:-.}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
checked=0

# check_lib SO-GLOB VERSION-SCRIPT SYMBOL-PREFIX VERSION-NODE-PREFIX
check_lib() {
	so=$(ls $1 2>/dev/null | head -n 1)
	if [ -z "$so" ]; then
		echo "SKIP: no shared library $1 built"; return 0
	fi
	sed -n "s/^[[:space:]]*\($3[A-Za-z0-9_]*\);.*/\1/p" "$src/$2" | sort -u > "$tmp/want"
	nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' \
		| grep -v "^$4" | sort -u > "$tmp/have"
	if ! diff -u "$tmp/want" "$tmp/have" > "$tmp/diff"; then
		echo "FAIL: $(basename "$so"): exported symbols differ from $2 (- promised, + exported):"
		cat "$tmp/diff"; exit 1
	fi
	echo "exports: $(basename "$so"): $(wc -l < "$tmp/want") symbols match $2"
	checked=$((checked + 1))
}

check_lib "$build/libiommu/.libs/libiommu.so.*" libiommu/libiommu.sym liommu_ LIOMMU_
check_lib "$build/hv-bindings/.libs/libhvbind.so.*" hv-bindings/libhvbind.sym hvb_ HVBIND_

hvb=$(ls "$build"/hv-bindings/.libs/libhvbind.so.* 2>/dev/null | head -n 1)
if [ -n "$hvb" ]; then
	needed=$(readelf -d "$hvb" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	case " $(echo $needed) " in
	*libiommu*)
		echo "FAIL: libhvbind needs libiommu ($needed): it must link alone"; exit 1 ;;
	esac
	if nm -D --undefined-only "$hvb" | grep -q ' liommu_'; then
		echo "FAIL: libhvbind refers to liommu_ symbols:"
		nm -D --undefined-only "$hvb" | grep ' liommu_'; exit 1
	fi
	echo "exports: libhvbind needs only: $(echo $needed)"
fi
[ "$checked" -gt 0 ] || { echo "SKIP: no shared library built"; exit 77; }
