#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared library must export exactly the symbols in the version
# script: nothing internal leaks, nothing promised is missing.
set -u
src=${LIOMMU_TOP_SRCDIR:-$(dirname "$0")/..}
build=${LIOMMU_TOP_BUILDDIR:-.}
so=$(ls "$build"/libiommu/.libs/libiommu.so.* 2>/dev/null | head -n 1)
if [ -z "$so" ]; then
	echo "SKIP: no shared library built"; exit 77
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
sed -n 's/^[[:space:]]*\(liommu_[A-Za-z0-9_]*\);.*/\1/p' "$src"/libiommu/libiommu.sym | sort -u > "$tmp/want"
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' \
	| grep -v '^LIOMMU_' | sort -u > "$tmp/have"
if ! diff -u "$tmp/want" "$tmp/have" > "$tmp/diff"; then
	echo "FAIL: exported symbols differ from libiommu.sym (- promised, + exported):"
	cat "$tmp/diff"; exit 1
fi
echo "exports: $(wc -l < "$tmp/want") symbols match libiommu.sym"
