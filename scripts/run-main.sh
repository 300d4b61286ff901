#!/bin/sh
# SPDX-License-Identifier: MIT
# Build libiommu and run the main job on the built-in workload (sim
# platform).  Extra arguments go to the program.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top"/scripts/build.sh
exec "$top"/build/examples/dma-hello "$@"
