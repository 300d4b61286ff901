#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# tests/linux-guest/init.sh - /init of the initramfs run.sh builds: what
# the Linux guest made of the engine's VT-d unit, then VFIO maps through
# it, then power off.  run.sh reads the "== " sections from the console.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "== guest: init at $(cut -d' ' -f1 /proc/uptime) s"
echo "== dmesg DMAR/IOMMU"
dmesg | grep -i -e DMAR -e IOMMU
echo "== iommu groups"
for d in /sys/kernel/iommu_groups/*/devices/*; do
	[ -e "$d" ] || continue
	g=${d%/devices/*}
	echo "group ${g##*/} ${d##*/}"
done
dev=0000:00:03.0
if [ -d /lib/modules ] && [ -e /sys/bus/pci/devices/$dev/iommu_group ]; then
	echo "== vfio"
	# Without interrupt remapping type1 refuses to attach unless told
	# (busybox insmod does not read the kernel command line).
	for m in irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci; do
		arg=
		[ $m = vfio_iommu_type1 ] && arg=allow_unsafe_interrupts=1
		insmod /lib/modules/$m.ko $arg || echo "insmod $m failed"
	done
	echo vfio-pci > /sys/bus/pci/devices/$dev/driver_override
	echo $dev > /sys/bus/pci/drivers_probe
	g=$(readlink /sys/bus/pci/devices/$dev/iommu_group)
	g=${g##*/}
	echo "edu driver: $(readlink /sys/bus/pci/devices/$dev/driver)"
	/bin/vfio-map "$g" $dev
	echo "== dmesg vfio/DMAR at the end"
	dmesg | grep -i -e vfio -e DMAR | tail -n 20
fi
echo "== guest: done at $(cut -d' ' -f1 /proc/uptime) s"
poweroff -f
