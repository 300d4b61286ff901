// SPDX-License-Identifier: MIT
/*
 * check-viommu-gmem.c - the guest memory table of a vIOMMU instance
 * (viommu-sidecore/src/gmem.h, internal; linked from the static archive).
 *
 * Every rejection of add/remove; accesses at the edges of ranges (last
 * byte in, first byte out, spanning adjacent ranges, running into a hole
 * with the destination untouched); fd-backed ranges through memfd; a
 * range removed while another thread reads it (and ranges replaced under
 * a reader), which the ASan and TSan builds check for use after unmap and
 * races; a seeded random run against a reference model (LIOMMU_SEED sets
 * the seed, which is printed); and the model itself walking root,
 * context and second-level tables and its invalidation queue in guest
 * memory through the table, with the fault reasons and IQE a guest
 * pointer outside that memory gets.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <liommu/model.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#include "gmem.h"

#define PAGE	4096ULL

static void *host_pages(unsigned int n, uint8_t fill)
{
	void *p = aligned_alloc(PAGE, n * PAGE);

	ck_assert_ptr_nonnull(p);
	memset(p, fill, n * PAGE);
	return p;
}

static struct viommu_gmem *gmem(void)
{
	struct viommu_gmem *g = NULL;

	ck_assert_int_eq(liommu__viommu_gmem_new(&g), 0);
	ck_assert_ptr_nonnull(g);
	return g;
}

static int add_host(struct viommu_gmem *g, uint64_t gpa, uint64_t size, void *host,
		    uint64_t backend)
{
	struct viommu_gmem_region r = {
		.gpa = gpa, .size = size, .host = host, .fd = -1, .backend = backend,
	};

	return liommu__viommu_gmem_add(g, &r);
}

static int add_fd(struct viommu_gmem *g, uint64_t gpa, uint64_t size, int fd, uint64_t off)
{
	struct viommu_gmem_region r = {
		.gpa = gpa, .size = size, .fd = fd, .fd_offset = off, .backend = gpa,
	};

	return liommu__viommu_gmem_add(g, &r);
}

static int rd(struct viommu_gmem *g, uint64_t pa, void *buf, size_t len)
{
	return liommu__viommu_gmem_mem_ops.read(g, pa, buf, len);
}

static int wr(struct viommu_gmem *g, uint64_t pa, const void *buf, size_t len)
{
	return liommu__viommu_gmem_mem_ops.write(g, pa, buf, len);
}

static int memfd(size_t size)
{
	int fd = memfd_create("gmem-test", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* ------------------------------------------------------------------ */
/* Rejections                                                          */
/* ------------------------------------------------------------------ */

START_TEST(add_rejects_bad_ranges)
{
	struct viommu_gmem *g = gmem();
	uint8_t *h = host_pages(2, 0);
	struct viommu_gmem_region r;
	int fd = memfd(2 * PAGE);

	ck_assert_int_eq(liommu__viommu_gmem_add(g, NULL), -EINVAL);
	ck_assert_int_eq(add_host(g, 0x10000, 0, h, 0), -EINVAL);		/* size 0 */
	ck_assert_int_eq(add_host(g, 0x10800, PAGE, h, 0), -EINVAL);	/* gpa unaligned */
	ck_assert_int_eq(add_host(g, 0x10000, PAGE + 8, h, 0), -EINVAL);	/* size unaligned */
	ck_assert_int_eq(add_host(g, 0x10001, PAGE, h, 0), -EINVAL);
	/* gpa + size wraps, and exactly reaches 2^64. */
	ck_assert_int_eq(add_host(g, ~0ULL & ~(PAGE - 1), 2 * PAGE, h, 0), -EINVAL);
	ck_assert_int_eq(add_host(g, ~0ULL & ~(PAGE - 1), PAGE, h, 0), -EINVAL);
	ck_assert_int_eq(add_host(g, PAGE, ~0ULL & ~(PAGE - 1), h, 0), -EINVAL);
	/* Host pointer not 4 KiB aligned. */
	ck_assert_int_eq(add_host(g, 0x10000, PAGE, h + 8, 0), -EINVAL);
	/* Both a pointer and an fd; neither. */
	r = (struct viommu_gmem_region){ .gpa = 0x10000, .size = PAGE, .host = h, .fd = fd };
	ck_assert_int_eq(liommu__viommu_gmem_add(g, &r), -EINVAL);
	r = (struct viommu_gmem_region){ .gpa = 0x10000, .size = PAGE, .host = NULL, .fd = -1 };
	ck_assert_int_eq(liommu__viommu_gmem_add(g, &r), -EINVAL);
	r.fd = -7;
	ck_assert_int_eq(liommu__viommu_gmem_add(g, &r), -EINVAL);
	r = (struct viommu_gmem_region){ .gpa = 0x10000, .size = PAGE, .host = h, .fd = -2 };
	ck_assert_int_eq(liommu__viommu_gmem_add(g, &r), -EINVAL);
	/* fd offset beyond off_t; unaligned (mmap's EINVAL); a closed fd
	 * (mmap's EBADF); a read-only fd can not be mapped shared for
	 * writing (EACCES). */
	ck_assert_int_eq(add_fd(g, 0x10000, PAGE, fd, 1ULL << 63), -EINVAL);
	ck_assert_int_eq(add_fd(g, 0x10000, PAGE, fd, 100), -EINVAL);
	{
		int bad = dup(fd);
		char path[64];
		int ro;

		ck_assert_int_ge(bad, 0);
		close(bad);
		ck_assert_int_eq(add_fd(g, 0x10000, PAGE, bad, 0), -EBADF);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ro = open(path, O_RDONLY);
		ck_assert_int_ge(ro, 0);
		ck_assert_int_eq(add_fd(g, 0x10000, PAGE, ro, 0), -EACCES);
		close(ro);
	}
	/* Nothing of that reached the table. */
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x10000, PAGE), -ENOENT);
	{
		uint8_t b;

		ck_assert_int_eq(rd(g, 0x10000, &b, 1), -EFAULT);
	}
	close(fd);
	liommu__viommu_gmem_free(g);
	free(h);
}
END_TEST

START_TEST(add_rejects_overlaps)
{
	struct viommu_gmem *g = gmem();
	uint8_t *h = host_pages(8, 0);

	ck_assert_int_eq(add_host(g, 0x20000, 4 * PAGE, h, 0), 0);	/* [0x20000, 0x24000) */
	ck_assert_int_eq(add_host(g, 0x20000, 4 * PAGE, h, 0), -EEXIST);	/* the same */
	ck_assert_int_eq(add_host(g, 0x1f000, 2 * PAGE, h, 0), -EEXIST);	/* over the start */
	ck_assert_int_eq(add_host(g, 0x23000, 2 * PAGE, h, 0), -EEXIST);	/* over the end */
	ck_assert_int_eq(add_host(g, 0x21000, PAGE, h, 0), -EEXIST);	/* inside */
	ck_assert_int_eq(add_host(g, 0x10000, 0x20000, h, 0), -EEXIST);	/* around */
	/* Adjacent on both sides is fine. */
	ck_assert_int_eq(add_host(g, 0x1f000, PAGE, h + 4 * PAGE, 0), 0);
	ck_assert_int_eq(add_host(g, 0x24000, PAGE, h + 5 * PAGE, 0), 0);
	/* Between two ranges, overlapping the later one only. */
	ck_assert_int_eq(add_host(g, 0x30000, PAGE, h + 6 * PAGE, 0), 0);
	ck_assert_int_eq(add_host(g, 0x2f000, 2 * PAGE, h, 0), -EEXIST);
	liommu__viommu_gmem_free(g);
	free(h);
}
END_TEST

START_TEST(remove_only_what_was_added)
{
	struct viommu_gmem *g = gmem();
	uint8_t *h = host_pages(4, 0);

	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0, PAGE), -ENOENT);	/* empty table */
	ck_assert_int_eq(add_host(g, 0x40000, 2 * PAGE, h, 0), 0);
	ck_assert_int_eq(add_host(g, 0x42000, 2 * PAGE, h + 2 * PAGE, 0), 0);
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x40000, PAGE), -ENOENT);	/* part */
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x41000, PAGE), -ENOENT);
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x40000, 3 * PAGE), -ENOENT);
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x40000, 4 * PAGE), -ENOENT);	/* two */
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x40000, 0), -ENOENT);
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x40000, 2 * PAGE), 0);
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x40000, 2 * PAGE), -ENOENT);	/* twice */
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x42000, 2 * PAGE), 0);
	liommu__viommu_gmem_free(g);
	liommu__viommu_gmem_free(NULL);
	free(h);
}
END_TEST

START_TEST(lookups_reject_empty_and_wrapping)
{
	struct viommu_gmem *g = gmem();
	uint8_t *h = host_pages(1, 0x5a);
	uint64_t out = 0x1234;
	uint8_t b[16];

	ck_assert_int_eq(add_host(g, 0, PAGE, h, 0x900000), 0);
	liommu__viommu_gmem_read_lock(g);
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(g, 0, 0));
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(g, 8, ~0ULL));
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(g, ~0ULL, 2));
	ck_assert_ptr_eq(liommu__viommu_gmem_ptr(g, 0, PAGE), h);
	liommu__viommu_gmem_read_unlock(g);
	ck_assert_int_eq(liommu__viommu_gmem_backend(g, 0, 0, &out), -EFAULT);
	ck_assert_int_eq(liommu__viommu_gmem_backend(g, 8, ~0ULL, &out), -EFAULT);
	ck_assert_int_eq(liommu__viommu_gmem_backend(g, PAGE, 1, &out), -EFAULT);
	ck_assert_uint_eq(out, 0x1234);	/* untouched */
	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(rd(g, ~0ULL - 3, b, 8), -EFAULT);
	ck_assert_int_eq(wr(g, ~0ULL - 3, b, 8), -EFAULT);
	ck_assert_int_eq(rd(g, 8, b, 0), 0);	/* nothing to copy */
	ck_assert_uint_eq(b[0], 0xee);
	liommu__viommu_gmem_free(g);
	free(h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Edges                                                               */
/* ------------------------------------------------------------------ */

/* A = [0x10000, 0x14000) and B = [0x14000, 0x16000) adjacent, a hole,
 * C = [0x20000, 0x21000); each host page filled with its own byte. */
struct edges {
	struct viommu_gmem *g;
	uint8_t *a, *b, *c;
};

static void edges_up(struct edges *e)
{
	e->g = gmem();
	e->a = host_pages(4, 0xa0);
	e->b = host_pages(2, 0xb0);
	e->c = host_pages(1, 0xc0);
	/* Added out of order: the table sorts. */
	ck_assert_int_eq(add_host(e->g, 0x20000, PAGE, e->c, 0x7020000), 0);
	ck_assert_int_eq(add_host(e->g, 0x10000, 4 * PAGE, e->a, 0x7010000), 0);
	ck_assert_int_eq(add_host(e->g, 0x14000, 2 * PAGE, e->b, 0x9000000), 0);
}

static void edges_down(struct edges *e)
{
	liommu__viommu_gmem_free(e->g);
	free(e->a);
	free(e->b);
	free(e->c);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

START_TEST(read_edges)
{
	struct edges e;
	uint8_t buf[64];
	uint64_t v;

	edges_up(&e);
	e.a[4 * PAGE - 1] = 0x11;
	e.b[0] = 0x22;
	/* Last byte in, first byte below and above. */
	ck_assert_int_eq(rd(e.g, 0x13fff, buf, 1), 0);
	ck_assert_uint_eq(buf[0], 0x11);
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(rd(e.g, 0xffff, buf, 1), -EFAULT);
	ck_assert_int_eq(rd(e.g, 0x16000, buf, 1), -EFAULT);
	ck_assert_int_eq(rd(e.g, 0x21000, buf, 1), -EFAULT);
	ck_assert_int_eq(rd(e.g, 0x0, buf, 8), -EFAULT);
	ck_assert(all_bytes(buf, sizeof(buf), 0xee));
	ck_assert_int_eq(rd(e.g, 0x15ff8, buf, 8), 0);	/* last word of B */
	ck_assert(all_bytes(buf, 8, 0xb0));
	/* Spanning A and B: allowed, split. */
	ck_assert_int_eq(rd(e.g, 0x13ff0, buf, 32), 0);
	ck_assert(all_bytes(buf, 15, 0xa0));
	ck_assert_uint_eq(buf[15], 0x11);
	ck_assert_uint_eq(buf[16], 0x22);
	ck_assert(all_bytes(buf + 17, 15, 0xb0));
	/* Starting in the hole, ending in the hole, spanning A, B and the
	 * hole after B: nothing copied. */
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(rd(e.g, 0xfff0, buf, 32), -EFAULT);
	ck_assert_int_eq(rd(e.g, 0x15ff0, buf, 32), -EFAULT);
	ck_assert_int_eq(rd(e.g, 0x1fff8, buf, 16), -EFAULT);
	ck_assert(all_bytes(buf, sizeof(buf), 0xee));
	{
		uint8_t *big = malloc(7 * PAGE);

		ck_assert_ptr_nonnull(big);
		memset(big, 0xee, 7 * PAGE);
		ck_assert_int_eq(rd(e.g, 0x10000, big, 7 * PAGE), -EFAULT);
		ck_assert(all_bytes(big, 7 * PAGE, 0xee));
		ck_assert_int_eq(rd(e.g, 0x10000, big, 6 * PAGE), 0);
		ck_assert(all_bytes(big + 4 * PAGE + 1, 2 * PAGE - 1, 0xb0));
		free(big);
	}
	/* The aligned 8-byte load. */
	v = 0x0123456789abcdefULL;
	memcpy(e.c + 0xff8, &v, 8);
	v = 0;
	ck_assert_int_eq(rd(e.g, 0x20ff8, &v, 8), 0);
	ck_assert_uint_eq(v, 0x0123456789abcdefULL);
	edges_down(&e);
}
END_TEST

START_TEST(write_edges)
{
	struct edges e;
	uint8_t buf[64];
	uint32_t s = 0xfeedf00d;
	uint64_t w = 0x1122334455667788ULL;

	edges_up(&e);
	memset(buf, 0x33, sizeof(buf));
	ck_assert_int_eq(wr(e.g, 0x13fff, buf, 1), 0);
	ck_assert_uint_eq(e.a[4 * PAGE - 1], 0x33);
	ck_assert_int_eq(wr(e.g, 0x16000, buf, 1), -EFAULT);
	ck_assert_int_eq(wr(e.g, 0xffff, buf, 1), -EFAULT);
	/* Spanning A and B. */
	ck_assert_int_eq(wr(e.g, 0x13ff0, buf, 32), 0);
	ck_assert(all_bytes(e.a + 4 * PAGE - 16, 16, 0x33));
	ck_assert(all_bytes(e.b, 16, 0x33));
	ck_assert_uint_eq(e.b[16], 0xb0);
	ck_assert_uint_eq(e.a[4 * PAGE - 17], 0xa0);
	/* Into the hole: nothing written on either side. */
	memset(buf, 0x44, sizeof(buf));
	ck_assert_int_eq(wr(e.g, 0x15ff0, buf, 32), -EFAULT);
	ck_assert(all_bytes(e.b + 2 * PAGE - 16, 16, 0xb0));
	ck_assert_int_eq(wr(e.g, 0x1fff0, buf, 32), -EFAULT);
	ck_assert(all_bytes(e.c, PAGE, 0xc0));
	ck_assert_int_eq(wr(e.g, 0x13ff0, buf, 3 * PAGE), -EFAULT);	/* A, B, hole */
	ck_assert(all_bytes(e.a + 4 * PAGE - 16, 16, 0x33));
	ck_assert(all_bytes(e.b + 16, 2 * PAGE - 16, 0xb0));
	/* The aligned 4-byte (status) and 8-byte stores. */
	ck_assert_int_eq(wr(e.g, 0x20ffc, &s, 4), 0);
	ck_assert_uint_eq(__atomic_load_n((uint32_t *)(e.c + 0xffc), __ATOMIC_ACQUIRE), s);
	ck_assert_int_eq(wr(e.g, 0x20008, &w, 8), 0);
	ck_assert_uint_eq(__atomic_load_n((uint64_t *)(e.c + 8), __ATOMIC_ACQUIRE), w);
	ck_assert_int_eq(wr(e.g, 0x21000, &s, 4), -EFAULT);
	edges_down(&e);
}
END_TEST

START_TEST(ptr_and_backend_edges)
{
	struct edges e;
	uint64_t out;

	edges_up(&e);
	liommu__viommu_gmem_read_lock(e.g);
	ck_assert_ptr_eq(liommu__viommu_gmem_ptr(e.g, 0x10000, 4 * PAGE), e.a);
	ck_assert_ptr_eq(liommu__viommu_gmem_ptr(e.g, 0x13fff, 1), e.a + 4 * PAGE - 1);
	ck_assert_ptr_eq(liommu__viommu_gmem_ptr(e.g, 0x14000, 1), e.b);
	/* One range only: A and B are adjacent in guest memory, not on the
	 * host. */
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(e.g, 0x13fff, 2));
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(e.g, 0x10000, 4 * PAGE + 1));
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(e.g, 0x16000, 1));
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(e.g, 0xffff, 1));
	liommu__viommu_gmem_read_unlock(e.g);
	ck_assert_int_eq(liommu__viommu_gmem_backend(e.g, 0x10000, 1, &out), 0);
	ck_assert_uint_eq(out, 0x7010000);
	ck_assert_int_eq(liommu__viommu_gmem_backend(e.g, 0x13fff, 1, &out), 0);
	ck_assert_uint_eq(out, 0x7013fff);
	ck_assert_int_eq(liommu__viommu_gmem_backend(e.g, 0x15000, PAGE, &out), 0);
	ck_assert_uint_eq(out, 0x9001000);
	ck_assert_int_eq(liommu__viommu_gmem_backend(e.g, 0x13fff, 2, &out), -EFAULT);
	ck_assert_int_eq(liommu__viommu_gmem_backend(e.g, 0x16000, 1, &out), -EFAULT);
	/* After removal: gone from every lookup. */
	ck_assert_int_eq(liommu__viommu_gmem_remove(e.g, 0x14000, 2 * PAGE), 0);
	ck_assert_int_eq(liommu__viommu_gmem_backend(e.g, 0x15000, 1, &out), -EFAULT);
	liommu__viommu_gmem_read_lock(e.g);
	ck_assert_ptr_null(liommu__viommu_gmem_ptr(e.g, 0x14000, 1));
	ck_assert_ptr_eq(liommu__viommu_gmem_ptr(e.g, 0x20000, 1), e.c);
	liommu__viommu_gmem_read_unlock(e.g);
	edges_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* fd-backed ranges                                                    */
/* ------------------------------------------------------------------ */

START_TEST(fd_backed_shares_the_file)
{
	struct viommu_gmem *g = gmem();
	int fd = memfd(4 * PAGE), keep;
	uint8_t buf[32], out[32];
	uint64_t v;

	memset(buf, 0x5c, sizeof(buf));
	ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), PAGE + 100), (ssize_t)sizeof(buf));
	/* The file's second and third pages at gpa 0x80000. */
	ck_assert_int_eq(add_fd(g, 0x80000, 2 * PAGE, fd, PAGE), 0);
	/* The table does not keep the caller's descriptor. */
	keep = dup(fd);
	ck_assert_int_ge(keep, 0);
	close(fd);
	ck_assert_int_eq(rd(g, 0x80000 + 100, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, buf, sizeof(out));
	/* Written through the table, seen in the file... */
	v = 0xa5a5a5a5deadbeefULL;
	ck_assert_int_eq(wr(g, 0x81ff8, &v, 8), 0);
	v = 0;
	ck_assert_int_eq(pread(keep, &v, 8, 2 * PAGE + 0xff8), 8);
	ck_assert_uint_eq(v, 0xa5a5a5a5deadbeefULL);
	/* ...and the other way round. */
	v = 0x0102030405060708ULL;
	ck_assert_int_eq(pwrite(keep, &v, 8, PAGE), 8);
	v = 0;
	ck_assert_int_eq(rd(g, 0x80000, &v, 8), 0);
	ck_assert_uint_eq(v, 0x0102030405060708ULL);
	/* Outside the mapped window of the file. */
	ck_assert_int_eq(rd(g, 0x82000, &v, 8), -EFAULT);
	ck_assert_int_eq(rd(g, 0x7fff8, &v, 8), -EFAULT);
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, 0x80000, 2 * PAGE), 0);
	ck_assert_int_eq(rd(g, 0x80000, &v, 8), -EFAULT);
	/* An fd range still in the table at free() is unmapped there. */
	ck_assert_int_eq(add_fd(g, 0x80000, 4 * PAGE, keep, 0), 0);
	close(keep);
	liommu__viommu_gmem_free(g);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Concurrency                                                         */
/* ------------------------------------------------------------------ */

#define RD_GPA		0x100000ULL
#define RD_PAGES	4
#define RD_PATTERN	0x6b6b6b6b6b6b6b6bULL

struct reader {
	struct viommu_gmem *g;
	uint64_t gpa;
	int stop;
	unsigned long ok, faults, bad;
};

/* Reads the range through the ops and, holding a section across several
 * accesses, through a pointer; every value read must be the pattern. */
static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t v = 0, off = (r->ok * 8) % (RD_PAGES * PAGE);
		int ret = rd(r->g, r->gpa + off, &v, 8);
		const uint64_t *p;

		if (!ret && v != RD_PATTERN)
			r->bad++;
		else if (ret && ret != -EFAULT)
			r->bad++;
		liommu__viommu_gmem_read_lock(r->g);
		p = liommu__viommu_gmem_ptr(r->g, r->gpa, RD_PAGES * PAGE);
		if (p) {
			unsigned int i;

			for (i = 0; i < RD_PAGES * PAGE / 8; i += 61)
				if (__atomic_load_n(&p[i], __ATOMIC_RELAXED) != RD_PATTERN)
					r->bad++;
		}
		liommu__viommu_gmem_read_unlock(r->g);
		if (ret)
			__atomic_store_n(&r->faults, r->faults + 1, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&r->ok, r->ok + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void wait_for(unsigned long *counter, unsigned long at_least)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < at_least) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		ck_assert_msg(t.tv_sec - t0.tv_sec < 60, "reader made no progress");
		sched_yield();
	}
}

/* _i = 0: host memory, freed right after the removal returns (ASan sees
 * a late reader); _i = 1: an fd range, unmapped by the removal (a late
 * reader would fault). */
START_TEST(remove_under_reader)
{
	struct viommu_gmem *g = gmem();
	struct reader r = { .g = g, .gpa = RD_GPA };
	uint64_t *h = NULL;
	pthread_t t;
	uint64_t v;
	int fd = -1;
	unsigned int i;

	if (_i == 0) {
		h = host_pages(RD_PAGES, 0x6b);
		ck_assert_int_eq(add_host(g, RD_GPA, RD_PAGES * PAGE, h, 0), 0);
	} else {
		fd = memfd(RD_PAGES * PAGE);
		for (i = 0; i < RD_PAGES * PAGE / 8; i++) {
			v = RD_PATTERN;
			ck_assert_int_eq(pwrite(fd, &v, 8, i * 8), 8);
		}
		ck_assert_int_eq(add_fd(g, RD_GPA, RD_PAGES * PAGE, fd, 0), 0);
		close(fd);
	}
	ck_assert_int_eq(pthread_create(&t, NULL, reader_fn, &r), 0);
	wait_for(&r.ok, 1000);
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, RD_GPA, RD_PAGES * PAGE), 0);
	free(h);
	ck_assert_int_eq(rd(g, RD_GPA, &v, 8), -EFAULT);
	wait_for(&r.faults, 100);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_ge(r.ok, 1000);
	liommu__viommu_gmem_free(g);
}
END_TEST

/* Other ranges added and removed around a reader's range (each change
 * replaces the whole array): the reader never misses its range. */
START_TEST(churn_under_reader)
{
	struct viommu_gmem *g = gmem();
	struct reader r = { .g = g, .gpa = RD_GPA };
	uint64_t *h = host_pages(RD_PAGES, 0x6b);
	uint8_t *o = host_pages(2, 0);
	pthread_t t;
	unsigned int i;

	ck_assert_int_eq(add_host(g, RD_GPA, RD_PAGES * PAGE, h, 0), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, reader_fn, &r), 0);
	for (i = 0; i < 200; i++) {
		uint64_t below = RD_GPA - PAGE, above = RD_GPA + RD_PAGES * PAGE;

		ck_assert_int_eq(add_host(g, below, PAGE, o, 0), 0);
		ck_assert_int_eq(add_host(g, above, PAGE, o + PAGE, 0), 0);
		ck_assert_int_eq(liommu__viommu_gmem_remove(g, below, PAGE), 0);
		ck_assert_int_eq(liommu__viommu_gmem_remove(g, above, PAGE), 0);
	}
	wait_for(&r.ok, 100);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(r.faults, 0);
	liommu__viommu_gmem_free(g);
	free(h);
	free(o);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Seeded random operations against a reference model                  */
/* ------------------------------------------------------------------ */

#define RM_BASE		0x40000000ULL
#define RM_PAGES	48		/* the address space ranges live in */
#define RM_SLOTS	12
#define RM_OPS		6000

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: the same sequence on every libc. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t n)
{
	return rng() % n;
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("LIOMMU_SEED");
	uint64_t seed;

	if (s && *s)
		seed = strtoull(s, NULL, 0);
	else
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	printf("check-viommu-gmem: random ops with LIOMMU_SEED=%llu\n",
	       (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

struct ref_range {
	bool used;
	uint64_t gpa, size;
	uint8_t *bytes;		/* what guest memory holds */
	uint8_t *host;		/* host-pointer ranges: the memory given */
	bool fd;
};

struct ref {
	struct ref_range r[RM_SLOTS];
};

static struct ref_range *ref_find(struct ref *m, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < RM_SLOTS; i++)
		if (m->r[i].used && gpa >= m->r[i].gpa && gpa - m->r[i].gpa < m->r[i].size)
			return &m->r[i];
	return NULL;
}

/* Does the reference cover [gpa, gpa + len) (adjacent ranges allowed)?
 * With @buf, copy it out (@in false) or in. */
static bool ref_access(struct ref *m, uint64_t gpa, uint8_t *buf, uint64_t len, bool in)
{
	uint64_t cur = gpa, end = gpa + len;

	while (cur < end) {
		struct ref_range *r = ref_find(m, cur);
		uint64_t n;

		if (!r)
			return false;
		n = r->gpa + r->size - cur;
		if (n > end - cur)
			n = end - cur;
		if (buf && in)
			memcpy(r->bytes + (cur - r->gpa), buf + (cur - gpa), n);
		else if (buf)
			memcpy(buf + (cur - gpa), r->bytes + (cur - r->gpa), n);
		cur += n;
	}
	return true;
}

static bool ref_overlaps(struct ref *m, uint64_t gpa, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < RM_SLOTS; i++)
		if (m->r[i].used && gpa < m->r[i].gpa + m->r[i].size &&
		    m->r[i].gpa < gpa + size)
			return true;
	return false;
}

static void rm_add(struct viommu_gmem *g, struct ref *m)
{
	uint64_t gpa = RM_BASE + rnd(RM_PAGES) * PAGE, size = (1 + rnd(6)) * PAGE;
	struct ref_range *slot = NULL;
	unsigned int i;
	int ret, want;

	for (i = 0; i < RM_SLOTS && !slot; i++)
		if (!m->r[i].used)
			slot = &m->r[i];
	if (!slot)
		return;
	if (!rnd(16)) {	/* an unaligned request */
		uint8_t *h = host_pages(size / PAGE, 0);

		ck_assert_int_eq(add_host(g, gpa + 8 * (1 + rnd(500)), size, h, 0), -EINVAL);
		free(h);
		return;
	}
	want = ref_overlaps(m, gpa, size) ? -EEXIST : 0;
	slot->bytes = malloc(size);
	ck_assert_ptr_nonnull(slot->bytes);
	for (i = 0; i < size; i++)
		slot->bytes[i] = (uint8_t)rng();
	slot->fd = rnd(4) == 0;
	if (slot->fd) {
		int fd = memfd(size);

		ck_assert_int_eq(pwrite(fd, slot->bytes, size, 0), (ssize_t)size);
		ret = add_fd(g, gpa, size, fd, 0);
		close(fd);
	} else {
		slot->host = host_pages(size / PAGE, 0);
		memcpy(slot->host, slot->bytes, size);
		ret = add_host(g, gpa, size, slot->host, gpa ^ 0xb000000000ULL);
	}
	ck_assert_int_eq(ret, want);
	if (ret) {
		free(slot->bytes);
		free(slot->host);
		slot->bytes = NULL;
		slot->host = NULL;
		return;
	}
	slot->used = true;
	slot->gpa = gpa;
	slot->size = size;
}

static void rm_remove(struct viommu_gmem *g, struct ref *m)
{
	struct ref_range *r = NULL;
	uint64_t gpa, size;
	unsigned int i;

	if (rnd(3)) {	/* an existing range */
		unsigned int start = (unsigned int)rnd(RM_SLOTS);

		for (i = 0; i < RM_SLOTS && !r; i++)
			if (m->r[(start + i) % RM_SLOTS].used)
				r = &m->r[(start + i) % RM_SLOTS];
		if (!r)
			return;
		gpa = r->gpa;
		size = r->size;
		if (!rnd(4))	/* part of it, or more than it */
			size += rnd(2) ? PAGE : -PAGE;
	} else {
		gpa = RM_BASE + rnd(RM_PAGES) * PAGE;
		size = (1 + rnd(6)) * PAGE;
	}
	r = NULL;
	for (i = 0; i < RM_SLOTS; i++)
		if (m->r[i].used && m->r[i].gpa == gpa && m->r[i].size == size)
			r = &m->r[i];
	ck_assert_int_eq(liommu__viommu_gmem_remove(g, gpa, size), r ? 0 : -ENOENT);
	if (r) {
		free(r->bytes);
		free(r->host);
		memset(r, 0, sizeof(*r));
	}
}

static uint64_t rm_len(void)
{
	switch (rnd(4)) {
	case 0:
		return 8;
	case 1:
		return 1 + rnd(16);
	case 2:
		return 1 + rnd(600);
	default:
		return 1 + rnd(3 * PAGE);
	}
}

static void rm_access(struct viommu_gmem *g, struct ref *m, bool write)
{
	static uint8_t got[3 * PAGE + 8], want[3 * PAGE + 8];
	uint64_t len = rm_len();
	uint64_t gpa = RM_BASE - 2 * PAGE + rnd((RM_PAGES + 4) * PAGE);
	bool covered;
	unsigned int i;

	if (len == 8)
		gpa &= ~7ULL;
	covered = ref_access(m, gpa, NULL, len, false);
	if (write) {
		for (i = 0; i < len; i++)
			got[i] = (uint8_t)rng();
		ck_assert_int_eq(wr(g, gpa, got, len), covered ? 0 : -EFAULT);
		if (covered)
			ref_access(m, gpa, got, len, true);
		return;
	}
	memset(got, 0xee, len);
	ck_assert_int_eq(rd(g, gpa, got, len), covered ? 0 : -EFAULT);
	if (covered) {
		ref_access(m, gpa, want, len, false);
		ck_assert_msg(!memcmp(got, want, len), "read of %llu bytes at 0x%llx differs",
			      (unsigned long long)len, (unsigned long long)gpa);
	} else {
		ck_assert(all_bytes(got, len, 0xee));
	}
}

static void rm_lookup(struct viommu_gmem *g, struct ref *m)
{
	uint64_t len = rm_len();
	uint64_t gpa = RM_BASE - 2 * PAGE + rnd((RM_PAGES + 4) * PAGE);
	struct ref_range *r = ref_find(m, gpa);
	bool inside = r && len <= r->gpa + r->size - gpa;
	uint64_t out;
	uint8_t *p;

	liommu__viommu_gmem_read_lock(g);
	p = liommu__viommu_gmem_ptr(g, gpa, len);
	ck_assert(!p == !inside);
	if (p && !r->fd)
		ck_assert_ptr_eq(p, r->host + (gpa - r->gpa));
	if (p)
		ck_assert(!memcmp(p, r->bytes + (gpa - r->gpa), len));
	liommu__viommu_gmem_read_unlock(g);
	ck_assert_int_eq(liommu__viommu_gmem_backend(g, gpa, len, &out), inside ? 0 : -EFAULT);
	if (inside && !r->fd)
		ck_assert_uint_eq(out, gpa ^ 0xb000000000ULL);
	else if (inside)
		ck_assert_uint_eq(out, gpa);
}

START_TEST(random_against_reference)
{
	struct viommu_gmem *g = gmem();
	struct ref m;
	unsigned int op, i;

	memset(&m, 0, sizeof(m));
	rng_state = seed_from_env();
	for (op = 0; op < RM_OPS; op++) {
		switch (rnd(10)) {
		case 0:
		case 1:
			rm_add(g, &m);
			break;
		case 2:
			rm_remove(g, &m);
			break;
		case 3:
		case 4:
		case 5:
			rm_access(g, &m, false);
			break;
		case 6:
		case 7:
			rm_access(g, &m, true);
			break;
		default:
			rm_lookup(g, &m);
			break;
		}
	}
	/* Everything written is in the host memory too. */
	for (i = 0; i < RM_SLOTS; i++)
		if (m.r[i].used && !m.r[i].fd)
			ck_assert(!memcmp(m.r[i].host, m.r[i].bytes, m.r[i].size));
	liommu__viommu_gmem_free(g);
	for (i = 0; i < RM_SLOTS; i++) {
		free(m.r[i].bytes);
		free(m.r[i].host);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* The model walking guest memory                                      */
/* ------------------------------------------------------------------ */

/* Guest memory: 1 MiB at MW_BASE.  Tables inside it; OUT is outside. */
#define MW_BASE		0x100000ULL
#define MW_SIZE		0x100000ULL
#define MW_ROOT		(MW_BASE + 0x0000)
#define MW_CTX0		(MW_BASE + 0x1000)	/* bus 0's context table */
#define MW_L3		(MW_BASE + 0x2000)
#define MW_L2		(MW_BASE + 0x3000)
#define MW_L1		(MW_BASE + 0x4000)
#define MW_BADL3	(MW_BASE + 0x5000)	/* points at a table outside */
#define MW_IQ		(MW_BASE + 0x6000)
#define MW_STATUS	(MW_BASE + 0x7000)
#define MW_DATA		(MW_BASE + 0x80000)
#define MW_OUT		0x40000000ULL
#define MW_DID		3

struct mw {
	struct viommu_gmem *g;
	struct liommu_model *m;
	uint8_t *host;
	unsigned int iq_tail;
};

static void gw64(struct mw *w, uint64_t gpa, uint64_t v)
{
	ck_assert_int_eq(wr(w->g, gpa, &v, 8), 0);
}

/* High half first: the low half holds P (check-model-env.h's rule). */
static void gw128(struct mw *w, uint64_t gpa, uint64_t lo, uint64_t hi)
{
	gw64(w, gpa + 8, hi);
	gw64(w, gpa, lo);
}

static void mw_ctx(struct mw *w, uint16_t sid, uint64_t slpt)
{
	/* 39-bit, 3-level tables: AW = 1 (spec 9.3). */
	gw128(w, MW_CTX0 + 16ULL * vtd_sid_devfn(sid), slpt | VTD_CTX_LO_P,
	      vtd_field_prep(VTD_CTX_HI_AW, 1) | vtd_field_prep(VTD_CTX_HI_DID, MW_DID));
}

static void mw_gcmd(struct mw *w, uint32_t bit)
{
	uint32_t gsts = liommu_model_read32(w->m, VTD_GSTS_REG) & (uint32_t)VTD_GSTS_PERSISTENT;

	liommu_model_write32(w->m, VTD_GCMD_REG, gsts | bit);
}

static void mw_up(struct mw *w)
{
	struct liommu_viommu_config cfg;

	memset(w, 0, sizeof(*w));
	w->g = gmem();
	w->host = host_pages(MW_SIZE / PAGE, 0);
	ck_assert_int_eq(add_host(w->g, MW_BASE, MW_SIZE, w->host, 0), 0);
	liommu_viommu_config_default(&cfg);
	cfg.unit.mem.ops = &liommu__viommu_gmem_mem_ops;
	cfg.unit.mem.priv = w->g;
	ck_assert_int_eq(liommu_model_new(&cfg.unit, &w->m), 0);

	/* Bus 0 -> MW_CTX0; bus 1 -> a context table outside guest memory. */
	gw128(w, MW_ROOT, MW_CTX0 | VTD_ROOT_LO_P, 0);
	gw128(w, MW_ROOT + 16, MW_OUT | VTD_ROOT_LO_P, 0);
	/* IOVA 0x5000 -> MW_DATA, IOVA 0x6000 -> outside guest memory. */
	gw64(w, MW_L3 + 8ULL * vtd_level_index(0x5000, 3), MW_L2 | VTD_SLPTE_R | VTD_SLPTE_W);
	gw64(w, MW_L2 + 8ULL * vtd_level_index(0x5000, 2), MW_L1 | VTD_SLPTE_R | VTD_SLPTE_W);
	gw64(w, MW_L1 + 8ULL * vtd_level_index(0x5000, 1), MW_DATA | VTD_SLPTE_R | VTD_SLPTE_W);
	gw64(w, MW_L1 + 8ULL * vtd_level_index(0x6000, 1), MW_OUT | VTD_SLPTE_R | VTD_SLPTE_W);
	gw64(w, MW_BADL3 + 8ULL * vtd_level_index(0x5000, 3),
	     MW_OUT | VTD_SLPTE_R | VTD_SLPTE_W);
	mw_ctx(w, 0x0010, MW_L3);	/* valid */
	mw_ctx(w, 0x0011, MW_OUT);	/* top table outside */
	mw_ctx(w, 0x0012, MW_BADL3);	/* next-level table outside */

	liommu_model_write64(w->m, VTD_RTADDR_REG, MW_ROOT);
	mw_gcmd(w, VTD_GCMD_SRTP);
	ck_assert(liommu_model_read32(w->m, VTD_GSTS_REG) & VTD_GSTS_RTPS);
	mw_gcmd(w, VTD_GCMD_TE);
	ck_assert(liommu_model_read32(w->m, VTD_GSTS_REG) & VTD_GSTS_TES);
}

static void mw_down(struct mw *w)
{
	liommu_model_free(w->m);
	liommu__viommu_gmem_free(w->g);
	free(w->host);
}

static unsigned int mw_fault(struct mw *w, uint16_t sid, uint64_t iova)
{
	struct liommu_fault f;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(liommu_model_translate(w->m, sid, iova, LIOMMU_MODEL_READ, NULL, &f),
			 -EFAULT);
	ck_assert_uint_eq(f.sid, sid);
	return f.reason;
}

START_TEST(model_walks_guest_memory)
{
	struct mw w;
	struct liommu_model_xlate x;
	struct liommu_fault f;
	uint8_t buf[16];

	mw_up(&w);
	ck_assert_int_eq(liommu_model_translate(w.m, 0x0010, 0x5123, LIOMMU_MODEL_WRITE, &x, &f),
			 0);
	ck_assert_uint_eq(x.pa, MW_DATA + 0x123);
	ck_assert_uint_eq(x.did, MW_DID);
	/* The device's DMA lands in the host memory behind MW_DATA. */
	memset(buf, 0x77, sizeof(buf));
	ck_assert_int_eq(liommu_model_dma_write(w.m, 0x0010, 0x5100, buf, 16, &f), 0);
	ck_assert(all_bytes(w.host + (MW_DATA - MW_BASE) + 0x100, 16, 0x77));
	ck_assert_uint_eq(w.host[MW_DATA - MW_BASE + 0x110], 0);
	/* Across into IOVA 0x6000, which the guest mapped outside its
	 * memory: the first piece moves, the second is aborted and the host
	 * byte after MW_DATA's page (guest memory the guest did not map
	 * there) stays as it was. */
	ck_assert_int_eq(liommu_model_dma_write(w.m, 0x0010, 0x5ff8, buf, 16, &f), -EIO);
	ck_assert(all_bytes(w.host + (MW_DATA - MW_BASE) + 0xff8, 8, 0x77));
	ck_assert_uint_eq(w.host[MW_DATA - MW_BASE + 0x1000], 0);
	/* Translated to outside guest memory: a master abort, no VT-d
	 * fault, no host access. */
	ck_assert_int_eq(liommu_model_dma_read(w.m, 0x0010, 0x6000, buf, 8, &f), -EIO);
	ck_assert_uint_eq(f.reason, 0);
	mw_down(&w);
}
END_TEST

START_TEST(model_faults_outside_guest_memory)
{
	struct mw w;

	mw_up(&w);
	/* Appendix A: the context table outside (0x09); the table the
	 * context entry's SLPTPTR names outside is part of the entry's
	 * programming (0x03, as QEMU's vtd_iova_to_slpte()); a table a
	 * paging entry names outside (0x07). */
	ck_assert_uint_eq(mw_fault(&w, 0x0100, 0x5000), VTD_FR_CTX_ACCESS);
	ck_assert_uint_eq(mw_fault(&w, 0x0011, 0x5000), VTD_FR_CTX_INV);
	ck_assert_uint_eq(mw_fault(&w, 0x0012, 0x5000), VTD_FR_PT_ACCESS);
	/* The root table itself outside (0x08). */
	liommu_model_write64(w.m, VTD_RTADDR_REG, MW_OUT);
	mw_gcmd(&w, VTD_GCMD_SRTP);
	ck_assert_uint_eq(mw_fault(&w, 0x0013, 0x5000), VTD_FR_ROOT_ACCESS);
	/* And back inside: the root is found again. */
	liommu_model_write64(w.m, VTD_RTADDR_REG, MW_ROOT);
	mw_gcmd(&w, VTD_GCMD_SRTP);
	ck_assert_uint_eq(mw_fault(&w, 0x0014, 0x5000), VTD_FR_CTX_P);
	/* The memory removed under the unit: the root is outside now.  (A
	 * new source-id, so no cached context entry answers.) */
	ck_assert_int_eq(liommu__viommu_gmem_remove(w.g, MW_BASE, MW_SIZE), 0);
	ck_assert_uint_eq(mw_fault(&w, 0x0015, 0x5000), VTD_FR_ROOT_ACCESS);
	mw_down(&w);
}
END_TEST

static void mw_qi_push(struct mw *w, struct vtd_inv_desc d)
{
	gw64(w, MW_IQ + 16ULL * w->iq_tail, d.lo);
	gw64(w, MW_IQ + 16ULL * w->iq_tail + 8, d.hi);
	w->iq_tail++;
	liommu_model_write64(w->m, VTD_IQT_REG, (uint64_t)w->iq_tail << 4);
}

START_TEST(model_queue_in_guest_memory)
{
	struct mw w;
	uint32_t *status;

	mw_up(&w);
	liommu_model_write64(w.m, VTD_IQT_REG, 0);
	liommu_model_write64(w.m, VTD_IQA_REG, MW_IQ);
	mw_gcmd(&w, VTD_GCMD_QIE);
	ck_assert(liommu_model_read32(w.m, VTD_GSTS_REG) & VTD_GSTS_QIES);
	/* A wait whose status lands in guest memory, as a release store. */
	status = (uint32_t *)(w.host + (MW_STATUS - MW_BASE));
	mw_qi_push(&w, vtd_inv_wait(true, 0xc0ffee, MW_STATUS, false, true));
	ck_assert_uint_eq(__atomic_load_n(status, __ATOMIC_ACQUIRE), 0xc0ffee);
	ck_assert(!(liommu_model_read32(w.m, VTD_FSTS_REG) & VTD_FSTS_IQE));
	/* A status address outside guest memory stops the queue with IQE
	 * on that descriptor (6.5.2.10); nothing is written anywhere. */
	mw_qi_push(&w, vtd_inv_wait(true, 0xbad, MW_OUT, false, true));
	ck_assert(liommu_model_read32(w.m, VTD_FSTS_REG) & VTD_FSTS_IQE);
	ck_assert_uint_eq(vtd_field_get(VTD_IQ_QH, liommu_model_read64(w.m, VTD_IQH_REG)), 1);
	ck_assert_uint_eq(__atomic_load_n(status, __ATOMIC_ACQUIRE), 0xc0ffee);
	mw_down(&w);

	/* The queue itself outside guest memory: descriptor fetch fails. */
	mw_up(&w);
	liommu_model_write64(w.m, VTD_IQT_REG, 0);
	liommu_model_write64(w.m, VTD_IQA_REG, MW_OUT);
	mw_gcmd(&w, VTD_GCMD_QIE);
	liommu_model_write64(w.m, VTD_IQT_REG, 1 << 4);
	ck_assert(liommu_model_read32(w.m, VTD_FSTS_REG) & VTD_FSTS_IQE);
	ck_assert_uint_eq(vtd_field_get(VTD_IQERCD_IQEI, liommu_model_read64(w.m, VTD_IQERCD_REG)),
			  VTD_IQEI_FETCH);
	mw_down(&w);
}
END_TEST

Suite *viommu_gmem_suite(void);

Suite *viommu_gmem_suite(void)
{
	Suite *s = suite_create("viommu-gmem");
	TCase *tc;

	tc = tcase_create("rejections");
	tcase_add_test(tc, add_rejects_bad_ranges);
	tcase_add_test(tc, add_rejects_overlaps);
	tcase_add_test(tc, remove_only_what_was_added);
	tcase_add_test(tc, lookups_reject_empty_and_wrapping);
	suite_add_tcase(s, tc);

	tc = tcase_create("edges");
	tcase_add_test(tc, read_edges);
	tcase_add_test(tc, write_edges);
	tcase_add_test(tc, ptr_and_backend_edges);
	tcase_add_test(tc, fd_backed_shares_the_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_loop_test(tc, remove_under_reader, 0, 2);
	tcase_add_test(tc, churn_under_reader);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_test(tc, random_against_reference);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_add_test(tc, model_walks_guest_memory);
	tcase_add_test(tc, model_faults_outside_guest_memory);
	tcase_add_test(tc, model_queue_in_guest_memory);
	suite_add_tcase(s, tc);
	return s;
}
