/* SPDX-License-Identifier: MIT */
/*
 * tests/linux-guest/vfio-map.c - runs inside the Linux guest (linked
 * statically, put in the initramfs by run.sh): VFIO type1 maps through
 * the guest's VT-d driver, so that the engine sees the guest map and
 * unmap and its shadow mirrors them.
 *
 * usage: vfio-map GROUP DEVICE   (e.g. vfio-map 0 0000:00:03.0)
 *
 * Maps two buffers (64 KiB at IOVA 0x100000, 4 KiB at IOVA 0x40000000),
 * prints "vfio-map: iova 0x... gpa 0x..." for each one's first page (its
 * guest-physical address from /proc/self/pagemap), holds them for
 * HOLD_MS so the host's sampler sees them, unmaps the first, waits
 * again and exits (closing the container unmaps the rest).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#define HOLD_MS 1500

static int fail(const char *what)
{
	printf("vfio-map: %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t gpa_of(void *va)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)va / 4096 * 8)) != sizeof(e))
		e = 0;
	close(fd);
	if (!(e >> 63))
		return 0;
	return (e & ((1ull << 55) - 1)) * 4096;
}

static int map(int container, uint64_t iova, size_t size)
{
	void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };

	if (buf == MAP_FAILED)
		return fail("mmap");
	memset(buf, 0x5a, size);
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	m.vaddr = (uintptr_t)buf;
	m.iova = iova;
	m.size = size;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m))
		return fail("VFIO_IOMMU_MAP_DMA");
	printf("vfio-map: iova 0x%" PRIx64 " gpa 0x%" PRIx64 " size 0x%zx\n", iova, gpa_of(buf),
	       size);
	return 0;
}

int main(int argc, char **argv)
{
	char path[64];
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um) };
	int container, group, dev;

	if (argc != 3) {
		fprintf(stderr, "usage: vfio-map GROUP DEVICE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return fail("/dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail("VFIO_GET_API_VERSION");
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	group = open(path, O_RDWR);
	if (group < 0)
		return fail(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs))
		return fail("VFIO_GROUP_GET_STATUS");
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("vfio-map: group %s not viable\n", argv[1]);
		return 1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	printf("vfio-map: device %s fd %d\n", argv[2], dev);
	if (map(container, 0x100000, 64 * 1024) || map(container, 0x40000000, 4096))
		return 1;
	usleep(HOLD_MS * 1000);
	um.iova = 0x100000;
	um.size = 64 * 1024;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &um))
		return fail("VFIO_IOMMU_UNMAP_DMA");
	printf("vfio-map: unmapped iova 0x100000\n");
	usleep(HOLD_MS * 1000);
	if (dev >= 0)
		close(dev);
	close(group);
	close(container);
	printf("vfio-map: done\n");
	return 0;
}
