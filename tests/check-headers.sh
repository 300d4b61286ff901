#!/bin/sh
# SPDX-License-Identifier: MIT
# Every installed header must compile on its own, in C and in C++ mode
# when a C++ compiler exists, so users can include them in any order.
# The headers are found by globbing every include/liommu/ and
# include/hvbind/ folder, and each must also be on an install list
# (liommu_include_HEADERS or hvbind_include_HEADERS in some local.mk):
# a public header that other headers include but that is not installed
# would break every user's build.
set -u
src=${LIOMMU_TOP_SRCDIR:-$(dirname "$0")/..}
cc=${CC:-cc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
# check_family NAME INCLUDE-FLAGS: every */include/NAME/*.h, compiled with
# only INCLUDE-FLAGS on the path, and on an install list (NAME_include_HEADERS).
check_family() {
	fam=$1 incs=$2
	for h in "$src"/*/include/"$fam"/*.h; do
		[ -f "$h" ] || continue
		rel=$fam/$(basename "$h")
		printf '#include <%s>\n#include <%s>\nint liommu_header_check_dummy;\n' "$rel" "$rel" > "$tmp/t.c"
		n=$((n + 1))
		dir=$(basename "$(dirname "$(dirname "$(dirname "$h")")")")
		if ! grep -qs "$dir/include/$rel" "$src"/*/local.mk "$src"/*/*/local.mk; then
			echo "FAIL: $rel is not in any ${fam}_include_HEADERS list"; bad=$((bad + 1))
		fi
		if ! $cc -std=c11 -Wall -Wextra -Werror -pedantic $incs \
			-c "$tmp/t.c" -o "$tmp/t.o" 2> "$tmp/err"; then
			echo "FAIL: $rel does not compile alone:"; cat "$tmp/err"; bad=$((bad + 1))
		fi
	done
}
check_family liommu "-I$src/libiommu/include $(for d in "$src"/*/include; do printf ' -I%s' "$d"; done)"
# libhvbind's headers see only their own folder: a hypervisor installs
# them without libiommu's.
check_family hvbind "-I$src/hv-bindings/include"
echo "headers: $n checked, $bad failed"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
