#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tests/linux-guest/run.sh - an unmodified Debian 12 Linux 6.1 guest
# programs the engine's VT-d unit (docs/viommu.md, "A Linux guest").
#
# QEMU 7.2 TCG boots Debian's kernel with its RAM in a shared file and no
# QEMU intel-iommu; a DMAR table (made by libhvbind's builder, checked
# byte for byte against iasl's compile of dmar.asl) names one
# unit whose registers are a page of that RAM (memmap=4K$REGS keeps the
# kernel off it) and tests/linux-guest/viommu-host serves the page with
# the engine (a SIDECORE instance) and shadows edu's (00:03.0) guest
# tables into a sim host domain.  The initramfs's /init (init.sh) prints
# what Linux made of the unit, binds edu to vfio-pci and makes VFIO
# type1 maps (vfio-map.c).  The test then asserts what Linux printed and
# what the engine saw.
#
# Runs only with LIOMMU_LINUX_GUEST=1 (exit 77, skipped, otherwise):
#   LIOMMU_LINUX_GUEST=1 make check TESTS=tests/linux-guest/run.sh
# or, from the build directory, LIOMMU_LINUX_GUEST=1 ../tests/linux-guest/run.sh
#
# Needs qemu-system-x86_64, iasl (acpica-tools), apt-get and dpkg-deb
# (packages are only downloaded and unpacked, never installed), a C
# compiler with a static libc (for vfio-map).  Environment:
#   LIOMMU_LINUX_GUEST_CACHE  downloads and unpacked packages
#                             (default: $builddir/tests/linux-guest-cache)
#   LIOMMU_LINUX_GUEST_KERNEL a linux-image-6.1.0-N-amd64-unsigned name
#                             (default: the newest apt offers, or cached)
#   LIOMMU_LINUX_GUEST_VFIO=0 no VFIO maps (no shadow assertion)
#   LIOMMU_LINUX_GUEST_KEEP=1 keep the work directory (RAM file, logs)
#   LIOMMU_LINUX_GUEST_TIMEOUT QEMU's bound in seconds (default 120)
set -eu

if [ "${LIOMMU_LINUX_GUEST:-0}" != 1 ]; then
	echo "linux-guest: skipped (set LIOMMU_LINUX_GUEST=1 to boot a Linux guest)"
	exit 77
fi

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${LIOMMU_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
builddir=${LIOMMU_TOP_BUILDDIR:-$(pwd)}
host=$builddir/tests/linux-guest/viommu-host
cache=${LIOMMU_LINUX_GUEST_CACHE:-$builddir/tests/linux-guest-cache}
vfio=${LIOMMU_LINUX_GUEST_VFIO:-1}
qemu_timeout=${LIOMMU_LINUX_GUEST_TIMEOUT:-120}
# The register page: guest RAM below the PCI hole (q35 with 512 MiB has
# all of it below 4 GiB, file offset == guest-physical address), away
# from the top of RAM where QEMU's loader puts the initrd and SeaBIOS
# its tables.  dmar.asl names the same address.
REGS=0x10000000
RAM_MB=512
EDU=0000:00:03.0

die() {
	echo "linux-guest: FAIL: $*" >&2
	exit 1
}

for t in qemu-system-x86_64 iasl apt-get apt-cache dpkg-deb timeout; do
	command -v $t >/dev/null 2>&1 || die "$t not found (apt-get install qemu-system-x86 acpica-tools)"
done
[ -x "$host" ] || die "$host not built (make)"

# --- the packages (downloaded and unpacked, cached) ---------------------
mkdir -p "$cache"
kpkg=${LIOMMU_LINUX_GUEST_KERNEL:-}
if [ -z "$kpkg" ]; then
	kdeb=$(ls "$cache"/linux-image-6.1.0-*-amd64-unsigned_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$kdeb" ]; then
		kpkg=$(basename "$kdeb" | sed 's/_.*//')
	else
		kpkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' |
			sed 's/ .*//' | sort -V | tail -n 1)
		[ -n "$kpkg" ] || die "apt offers no linux-image-6.1.0-*-amd64-unsigned (apt-get update?)"
	fi
fi
for p in "$kpkg" busybox-static; do
	if ! ls "$cache/${p}_"*.deb >/dev/null 2>&1; then
		echo "linux-guest: downloading $p"
		(cd "$cache" && apt-get download "$p") || die "apt-get download $p"
	fi
done
kdir=$cache/$kpkg
if [ ! -d "$kdir/boot" ]; then
	rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
	dpkg-deb -x "$(ls "$cache/${kpkg}_"*.deb | sort -V | tail -n 1)" "$kdir.tmp"
	mv "$kdir.tmp" "$kdir"
fi
bdir=$cache/busybox-static
if [ ! -x "$bdir/bin/busybox" ]; then
	rm -rf "$bdir.tmp" && mkdir -p "$bdir.tmp"
	dpkg-deb -x "$(ls "$cache/busybox-static_"*.deb | sort -V | tail -n 1)" "$bdir.tmp"
	mv "$bdir.tmp" "$bdir"
fi
busybox=$bdir/bin/busybox
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
mods=$kdir/lib/modules/$kver/kernel

# --- the work directory --------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/liommu-linux-guest.XXXXXX")
hpid=
cleanup() {
	if [ -n "$hpid" ] && kill -0 "$hpid" 2>/dev/null; then
		kill -TERM "$hpid" 2>/dev/null || :
		wait "$hpid" 2>/dev/null || :
	fi
	if [ "${LIOMMU_LINUX_GUEST_KEEP:-0}" = 1 ]; then
		echo "linux-guest: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The DMAR table: the project's builder makes it, iasl compiles the same
# table from dmar.asl, and the two must be the same bytes.
cp "$srcdir/tests/linux-guest/dmar.asl" "$work/dmar.asl"
(cd "$work" && iasl -p "$work/iasl-dmar" dmar.asl >iasl.log 2>&1) || { cat "$work/iasl.log"; die "iasl"; }
"$builddir/tests/linux-guest/make-dmar" "$work/dmar.aml" "$REGS" || die "make-dmar"
# Every byte but the checksum and the creator revision (iasl writes its
# own version there, 0x20200925 on Debian 12).
python3 - "$work/dmar.aml" "$work/iasl-dmar.aml" <<'PY' ||
import sys
a, b = (bytearray(open(f, "rb").read()) for f in sys.argv[1:3])
for t in (a, b):
    t[9] = 0
    t[32:36] = b"\0\0\0\0"
sys.exit(a != b)
PY
	die "the builder's DMAR differs from iasl's compile of dmar.asl"

# The initramfs: busybox, /init, the VFIO modules and vfio-map.
ird=$work/initramfs
mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/lib/modules"
cp "$busybox" "$ird/bin/busybox"
cp "$srcdir/tests/linux-guest/init.sh" "$ird/init"
chmod 755 "$ird/init"
if [ "$vfio" = 1 ]; then
	for m in virt/lib/irqbypass drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 \
		drivers/vfio/vfio_virqfd drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci; do
		cp "$mods/$m.ko" "$ird/lib/modules/" || die "module $m.ko not in $kpkg"
	done
	${CC:-cc} -static -O2 -Wall -o "$ird/bin/vfio-map" "$srcdir/tests/linux-guest/vfio-map.c" ||
		die "cannot build vfio-map statically (LIOMMU_LINUX_GUEST_VFIO=0 to go without)"
else
	rmdir "$ird/lib/modules"
fi
(cd "$ird" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.gz") ||
	die "cpio"

# --- the engine, then the guest ------------------------------------------
ram=$work/guest-ram
"$host" --ram "$ram" --size $((RAM_MB << 20)) --regs $REGS --attach 00:03.0 \
	--iova 0x100000,0x40000000 >"$work/host.log" 2>&1 &
hpid=$!
i=0
until grep -q '^viommu-host: ready' "$work/host.log"; do
	kill -0 "$hpid" 2>/dev/null || { cat "$work/host.log"; die "viommu-host exited"; }
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$work/host.log"; die "viommu-host not ready after 10 s"; }
	sleep 0.1
done
sed -n 1p "$work/host.log"

t0=$(date +%s.%N)
qrc=0
timeout "$qemu_timeout" qemu-system-x86_64 -M q35,memory-backend=mem -accel tcg -smp 1 \
	-m ${RAM_MB}M \
	-object memory-backend-file,id=mem,size=${RAM_MB}M,mem-path="$ram",share=on \
	-device edu,addr=03.0 -nographic -nic none -no-reboot -monitor none \
	-acpitable file="$work/dmar.aml" \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 quiet nokaslr panic=-1 memmap=4K\$$REGS intel_iommu=on intremap=off" \
	</dev/null >"$work/console.log" 2>&1 || qrc=$?
t1=$(date +%s.%N)
kill -TERM "$hpid"
wait "$hpid" || die "viommu-host failed"
hpid=

echo "---- guest console ----"
tr -d '\r' <"$work/console.log"
echo "---- viommu-host ----"
cat "$work/host.log"
echo "----"
echo "linux-guest: $kpkg, QEMU ran $(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}') s (rc $qrc)"
[ $qrc = 0 ] || die "QEMU exited with $qrc (124: killed by timeout ${qemu_timeout}s)"

con=$work/console.log
stat() { sed -n "s/^stat $1 //p" "$work/host.log"; }
grep -q "DMAR: dmar0: reg_base_addr ${REGS#0x}" "$con" ||
	die "Linux did not find the DMAR unit (no 'DMAR: dmar0: reg_base_addr ${REGS#0x}')"
grep -q "DMAR: dmar0: Using Queued invalidation" "$con" ||
	die "Linux did not enable queued invalidation on dmar0"
grep -q "DMAR: Intel(R) Virtualization Technology for Directed I/O" "$con" ||
	die "Linux did not enable DMA remapping"
grep -q "^group [0-9]* $EDU" "$con" || die "edu ($EDU) is in no IOMMU group"
grep -q "^== guest: done" "$con" || die "the guest's /init did not finish"
[ "$(stat reg_writes)" -gt 0 ] 2>/dev/null || die "the engine saw no guest register writes"
[ "$(stat invalidations)" -gt 0 ] 2>/dev/null || die "the engine handled no guest invalidations"
if [ "$vfio" = 1 ]; then
	[ "$(stat shadow_maps)" -gt 0 ] 2>/dev/null || die "the shadow mirrored no mapping"
	for iova in 0x100000 0x40000000; do
		gpa=$(sed -n "s/^vfio-map: iova $iova gpa \(0x[0-9a-f]*\) .*/\1/p" "$con" | tr -d '\r')
		[ -n "$gpa" ] || die "vfio-map did not map $iova in the guest"
		# The host domain's history for $iova: mapped to the guest's page
		# while the guest had it mapped, then unmapped (with TE clear, before
		# Linux enables translation and after it disables it at power-off,
		# the shadow mirrors guest RAM at identity: 0x100000 maps there too).
		awk -v iova="$iova" -v gpa="$gpa" '
			$1 == "shadow" && $3 == iova {
				if ($9 == "(gpa" && $10 == gpa ",") m = 1
				else if (m && $7 == "unmapped") u = 1
			}
			END { exit !m ? 2 : !u ? 3 : 0 }' "$work/host.log" || case $? in
			2) die "the shadow did not mirror IOVA $iova -> guest-physical $gpa" ;;
			*) die "IOVA $iova stayed mapped at the host after the guest unmapped it" ;;
		esac
	done
fi
echo "linux-guest: PASS"
