#!/bin/sh
# SPDX-License-Identifier: MIT
# Configure (once) and build libiommu in ./build.  Extra arguments go to
# configure, e.g. --enable-sanitizers=address,undefined.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure --enable-werror "$@"
make -j"$(nproc)"
