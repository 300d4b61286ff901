# SPDX-License-Identifier: MIT
# Shared by tests/cli-*.sh: where the binary and data are, a scratch
# directory, and small assertion helpers.  Sourced, not run.
top_src=${LIOMMU_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
top_build=${LIOMMU_TOP_BUILDDIR:-$(pwd)}
IP="$top_build/tools/iommu-policy/iommu-policy"
DATA="$top_src/tests/data/traces"
if [ ! -x "$IP" ]; then
	echo "ERROR: $IP not built"
	exit 99
fi
# Run libtool's real binary rather than its wrapper script, which costs a
# shell start per call (the tests make about 200 calls).
if [ -x "$top_build/tools/iommu-policy/.libs/iommu-policy" ]; then
	IP="$top_build/tools/iommu-policy/.libs/iommu-policy"
	LD_LIBRARY_PATH="$top_build/libiommu/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	export LD_LIBRARY_PATH
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checks=0

fail() {
	echo "FAIL: $*"
	exit 1
}

ok() {
	checks=$((checks + 1))
}

# expect_exit CODE CMD...: run CMD, compare its exit status.
expect_exit() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || { cat "$tmp/err"; fail "exit $got, expected $want: $*"; }
	ok
}

# usage_error ARGS...: exit 2 and exactly one line on stderr.
usage_error() {
	expect_exit 2 "$IP" "$@"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "more than one error line: $*"; }
	grep -q '^iommu-policy: ' "$tmp/err" || fail "error line without the program name: $*"
	ok
}

# csv_field FILE KEYCOL KEY COLUMN: COLUMN of the row whose KEYCOL is KEY.
csv_field() {
	awk -F, -v kc="$2" -v k="$3" -v c="$4" '
		NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$(h[kc]) == k { print $(h[c]); exit }' "$1"
}

# expect_field FILE KEYCOL KEY COLUMN VALUE
expect_field() {
	v=$(csv_field "$1" "$2" "$3" "$4")
	[ "$v" = "$5" ] || fail "$(basename "$1"): $3 $4 = '$v', expected '$5'"
	ok
}
