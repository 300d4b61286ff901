#!/bin/sh
# SPDX-License-Identifier: MIT
# Build libiommu and run the main job: `iommu-policy compare` on the
# built-in workloads, sim platform.  Extra arguments go to compare, e.g.
# --json, --plot out.png, --platform qemu.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top"/scripts/build.sh >/dev/null
exec "$top"/build/tools/iommu-policy/iommu-policy compare "$@"
