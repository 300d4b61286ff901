#!/bin/sh
# SPDX-License-Identifier: MIT
# Install everything libiommu needs on a fresh Debian 12 machine (as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	check libsubunit-dev libnuma-dev libpci-dev \
	libjansson-dev libsmartcols-dev liburcu-dev gnuplot-nox \
	qemu-system-x86 linux-libc-dev python3 acpica-tools
