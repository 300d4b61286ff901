// SPDX-License-Identifier: MIT
/*
 * check-platform-qemu.c - the qemu platform against a real QEMU 7.2, and
 * against a fake QEMU that answers badly.
 *
 * Real QEMU: start/stop leaves no process, file or descriptor behind
 * (also when the starting process is killed); VER/CAP/ECAP read back what
 * QEMU's VT-d model reports for each aw-bits/intremap/caching-mode
 * combination; edu sits on bus 0 as 1234:11e8; the page pool gives
 * zeroed distinct pages whose pointers alias guest RAM (checked through
 * qtest's own memory reads); edu copies bytes with translation off, and
 * with translation on and an empty root table records the fault the spec
 * prescribes; the monitor answers over QMP.
 *
 * Fake QEMU (a python3 script written at run time, passed as qemu_path):
 * garbage, FAIL, EOF, silence, overlong lines, bad numbers and malformed
 * JSON each give the documented error and never a crash.
 *
 * Each test starts its own QEMU (about 0.2 s) in Check's forked child.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <liommu/liommu.h>
#include <liommu/platform.h>
#include <liommu/qemu.h>
#include <liommu/vtd.h>

#define DMAR_BASE	0xfed90000ULL

static struct liommu_qemu *q;
static char last_log[2048];

static void test_log(void *priv, int level, const char *msg)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
	if (getenv("LIOMMU_TEST_VERBOSE"))
		fprintf(stderr, "log(%d): %s\n", level, msg);
}

static struct liommu_qemu *start(struct liommu_qemu_config cfg)
{
	struct liommu_qemu *n = NULL;
	int r;

	cfg.log = test_log;
	r = liommu_qemu_start(&cfg, &n);
	ck_assert_msg(r == 0, "liommu_qemu_start: %s (%s)", strerror(-r), last_log);
	ck_assert_ptr_nonnull(n);
	return n;
}

static void setup_default(void)
{
	q = start((struct liommu_qemu_config){ 0 });
}

static void setup_qmp(void)
{
	q = start((struct liommu_qemu_config){ .qmp = true });
}

static void setup_three_edus(void)
{
	q = start((struct liommu_qemu_config){ .edu_count = 3 });
}

static void setup_two_edus_qmp(void)
{
	q = start((struct liommu_qemu_config){ .edu_count = 2, .qmp = true });
}

static void teardown(void)
{
	liommu_qemu_stop(q);
	q = NULL;
}

/* Platform register access, as the driver does it. */
static uint32_t rd32(uint32_t off)
{
	struct liommu_platform *p = liommu_qemu_platform(q);

	return liommu_platform_get_ops(p)->read32(liommu_platform_get_priv(p), off);
}

static uint64_t rd64(uint32_t off)
{
	struct liommu_platform *p = liommu_qemu_platform(q);

	return liommu_platform_get_ops(p)->read64(liommu_platform_get_priv(p), off);
}

static void wr32(uint32_t off, uint32_t v)
{
	struct liommu_platform *p = liommu_qemu_platform(q);

	liommu_platform_get_ops(p)->write32(liommu_platform_get_priv(p), off, v);
}

static void wr64(uint32_t off, uint64_t v)
{
	struct liommu_platform *p = liommu_qemu_platform(q);

	liommu_platform_get_ops(p)->write64(liommu_platform_get_priv(p), off, v);
}

static int count_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The paths QEMU was given, read back from its command line: -bios FW,
 * mem-path=RAM and the unix: socket addresses. */
static int qemu_paths(pid_t pid, char paths[][256], int max)
{
	char file[64], buf[8192], *a, *p, *prev = NULL;
	ssize_t len;
	int fd, n = 0;

	snprintf(file, sizeof(file), "/proc/%d/cmdline", (int)pid);
	fd = open(file, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(len, 0);
	buf[len] = '\0';
	for (a = buf; a < buf + len && n < max; prev = a, a += strlen(a) + 1) {
		p = strstr(a, "mem-path=");
		if (p)
			p += strlen("mem-path=");
		else if (!strncmp(a, "unix:", 5))
			p = a + 5;
		else if (prev && !strcmp(prev, "-bios"))
			p = a;
		if (!p)
			continue;
		snprintf(paths[n], 256, "%.*s", (int)strcspn(p, ","), p);
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

START_TEST(start_stop_leaves_nothing_behind)
{
	char paths[8][256], dir[256 + 8];
	struct stat st;
	int fds = count_fds(), n, i;
	pid_t pid;

	q = start((struct liommu_qemu_config){ .qmp = true });
	pid = liommu_qemu_pid(q);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, 0), 0);
	/* fw, RAM file, qtest and QMP sockets: all unlinked once started. */
	n = qemu_paths(pid, paths, 8);
	ck_assert_int_eq(n, 4);
	for (i = 0; i < n; i++) {
		ck_assert_msg(stat(paths[i], &st) == -1 && errno == ENOENT,
			      "%s still exists", paths[i]);
		snprintf(dir, sizeof(dir), "%.255s", paths[i]);
		*strrchr(dir, '/') = '\0';
		ck_assert_msg(stat(dir, &st) == -1 && errno == ENOENT,
			      "%s still exists", dir);
	}
	liommu_qemu_stop(q);
	q = NULL;
	/* Reaped: the pid no longer names a process, not even a zombie. */
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(killed_starter_takes_qemu_with_it)
{
	int pfd[2], status = 0, i;
	pid_t child, pid = 0, w;

	/* Orphans are re-parented to us, so we can wait for QEMU. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(pfd), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct liommu_qemu *c = NULL;

		if (liommu_qemu_start(NULL, &c))
			_exit(1);
		pid = liommu_qemu_pid(c);
		if (write(pfd[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		raise(SIGKILL);		/* a crash: no stop, no cleanup */
		_exit(1);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &pid, sizeof(pid)), sizeof(pid));
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (i = 0; i < 5000; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		usleep(1000);
	}
	ck_assert_msg(w == pid, "QEMU %d outlived its starter", (int)pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}
END_TEST

START_TEST(start_rejects_bad_configuration)
{
	struct liommu_qemu *n = NULL;

	ck_assert_int_eq(liommu_qemu_start(NULL, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){ .aw_bits = 57 }, &n),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){ .aw_bits = 40 }, &n),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){ .ram_mb = 16 }, &n),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){ .ram_mb = 4096 }, &n),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){
				.qemu_path = "/nonexistent/qemu-system-x86_64" }, &n),
			 -ENOENT);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){
				.qemu_path = "no-such-qemu-binary-in-path" }, &n),
			 -ENOENT);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){
				.edu_count = LIOMMU_QEMU_MAX_EDU + 1 }, &n),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){ .edu_count = ~0u }, &n),
			 -EINVAL);
	ck_assert_ptr_null(n);
	liommu_qemu_stop(NULL);
}
END_TEST

START_TEST(qemu_exiting_at_start_is_eio_with_its_status)
{
	struct liommu_qemu *n = NULL;

	last_log[0] = '\0';
	ck_assert_int_eq(liommu_qemu_start(&(struct liommu_qemu_config){
				.qemu_path = "/bin/false", .log = test_log }, &n),
			 -EIO);
	ck_assert_ptr_null(n);
	ck_assert_msg(strstr(last_log, "exited with status 1") ||
		      strstr(last_log, "qemu stderr"), "log: %s", last_log);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

/*
 * What QEMU 7.2 reports, read over qtest and cross-checked with
 * hw/i386/intel_iommu.c (vtd_init): CAP always has ND=6, FRO=0x22, NFR=0,
 * SLLPS=2M|1G, PSI, MAMV=18, DRD/DWD; SAGAW has 39-bit, plus 48-bit only
 * with aw-bits=48, and MGAW is aw-bits - 1.  ECAP has QI, PT and IRO=0xf,
 * plus IR and MHMV=15 with intremap=on.  EIM stays 0 under TCG (QEMU
 * only enables it with KVM's split irqchip), and C (coherency) is 0.
 */
static const struct {
	unsigned int aw;
	bool ir, cm;
	uint64_t cap, ecap;
} reg_table[] = {
	{ 48, false, false, 0x00d2008c222f0606ULL, 0xf42ULL },
	{ 48, true,  false, 0x00d2008c222f0606ULL, 0xf00f4aULL },
	{ 39, false, false, 0x00d2008c22260206ULL, 0xf42ULL },
	{ 39, true,  false, 0x00d2008c22260206ULL, 0xf00f4aULL },
	{ 48, false, true,  0x00d2008c222f0686ULL, 0xf42ULL },
};

START_TEST(ver_cap_ecap_match_qemu)
{
	uint64_t cap, ecap;

	q = start((struct liommu_qemu_config){ .aw_bits = reg_table[_i].aw,
					       .intremap = reg_table[_i].ir,
					       .caching_mode = reg_table[_i].cm });
	ck_assert_uint_eq(rd32(VTD_VER_REG), 0x10);	/* version 1.0 */
	cap = rd64(VTD_CAP_REG);
	ecap = rd64(VTD_ECAP_REG);
	ck_assert_uint_eq(cap, reg_table[_i].cap);
	ck_assert_uint_eq(ecap, reg_table[_i].ecap);
	/* The 32-bit halves agree with the 64-bit read. */
	ck_assert_uint_eq(rd32(VTD_CAP_REG), (uint32_t)cap);
	ck_assert_uint_eq(rd32(VTD_CAP_REG + 4), (uint32_t)(cap >> 32));

	ck_assert_uint_eq(vtd_cap_mgaw(cap), reg_table[_i].aw);
	ck_assert_uint_eq(vtd_cap_sagaw(cap), reg_table[_i].aw == 48 ?
			  (VTD_SAGAW_39 | VTD_SAGAW_48) : VTD_SAGAW_39);
	ck_assert_uint_eq(!!(cap & VTD_CAP_CM), reg_table[_i].cm);
	ck_assert_uint_eq(vtd_cap_fro(cap), 0x220);
	ck_assert_uint_eq(vtd_cap_nfr(cap), 1);
	ck_assert_uint_eq(!!(ecap & VTD_ECAP_IR), reg_table[_i].ir);
	ck_assert_uint_eq(vtd_ecap_mhmv(ecap), reg_table[_i].ir ? 15 : 0);
	ck_assert(!(ecap & VTD_ECAP_EIM));
	ck_assert(!(ecap & VTD_ECAP_C));
	ck_assert(ecap & VTD_ECAP_QI);
	ck_assert(ecap & VTD_ECAP_PT);
	ck_assert_uint_eq(vtd_iotlb_reg(ecap), 0xf8);
	teardown();
}
END_TEST

START_TEST(register_writes_follow_qemu_write_masks)
{
	/* FEDATA: QEMU keeps bits 15:0 (IMD; EIMD is reserved without EIM). */
	wr32(VTD_FEDATA_REG, 0x1234abcd);
	ck_assert_uint_eq(rd32(VTD_FEDATA_REG), 0xabcd);
	/* RTADDR: a 64-bit write keeps both halves (QEMU's wmask is 63:12). */
	wr64(VTD_RTADDR_REG, 0xabc0000012345000ULL);
	ck_assert_uint_eq(rd64(VTD_RTADDR_REG), 0xabc0000012345000ULL);
	ck_assert_uint_eq(rd32(VTD_RTADDR_REG), 0x12345000);
	ck_assert_uint_eq(rd32(VTD_RTADDR_REG + 4), 0xabc00000);
	wr64(VTD_RTADDR_REG, 0);
	/* IQA departs from the spec's plain RW register: QEMU 7.2 returns
	 * the queue base latched when QI was last enabled, plus QS; the
	 * address written reads back as 0 while QI is off. */
	wr64(VTD_IQA_REG, 0x12345007ULL);
	ck_assert_uint_eq(rd64(VTD_IQA_REG), 0x7);
	wr64(VTD_IQA_REG, 0);
	/* FECTL resets with IM set. */
	ck_assert_uint_eq(rd32(VTD_FECTL_REG), VTD_FECTL_IM);
	/* CAP is read-only. */
	wr64(VTD_CAP_REG, 0);
	ck_assert_uint_eq(rd64(VTD_CAP_REG), 0x00d2008c222f0606ULL);
	/* Translation is off after reset. */
	ck_assert(!(rd32(VTD_GSTS_REG) & VTD_GSTS_TES));
}
END_TEST

START_TEST(registers_outside_window_read_all_ones)
{
	ck_assert_uint_eq(rd32(VTD_REG_WINDOW_SIZE), 0xffffffffu);
	ck_assert_uint_eq(rd32(VTD_REG_WINDOW_SIZE - 2), 0xffffffffu);
	ck_assert_uint_eq(rd32(0x2), 0xffffffffu);	/* misaligned */
	ck_assert_uint_eq(rd64(0x4), ~0ULL);		/* misaligned */
	ck_assert_uint_eq(rd64(0xffffffffu), ~0ULL);
	wr32(VTD_REG_WINDOW_SIZE, 0);			/* ignored */
	ck_assert_uint_eq(rd32(VTD_VER_REG), 0x10);	/* still talking */
}
END_TEST

struct reader_arg {
	int bad;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	int i;

	for (i = 0; i < 50; i++) {
		if (rd32(VTD_VER_REG) != 0x10)
			a->bad++;
		if (rd64(VTD_CAP_REG) != 0x00d2008c222f0606ULL)
			a->bad++;
		if (liommu_qemu_pci_read32(q, 8, 0) != 0x11e81234u)
			a->bad++;
	}
	return NULL;
}

START_TEST(register_ops_are_safe_from_many_threads)
{
	struct reader_arg args[4] = { 0 };
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &args[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(args[i].bad, 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* PCI                                                                 */
/* ------------------------------------------------------------------ */

START_TEST(edu_is_found_and_programmed)
{
	uint16_t sid = liommu_qemu_edu_sid(q);
	unsigned int devfn = vtd_sid_devfn(sid);

	/* q35 with -nodefaults puts edu in the first free slot, 00:01.0. */
	ck_assert_uint_eq(sid, vtd_sid(0, 1, 0));
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, devfn, 0x00), 0x11e81234u);
	/* The host bridge is Intel's Q35 MCH, 8086:29c0. */
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 0, 0x00), 0x29c08086u);
	/* BAR0 at the platform's address, memory decode and bus master on. */
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, devfn, 0x10) & ~0xfu, 0xfea00000u);
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, devfn, 0x04) & 0x6, 0x6);
	/* An empty slot reads all ones. */
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 2 << 3, 0x00), 0xffffffffu);
	/* One edu by default; the indexed variants know no other. */
	ck_assert_uint_eq(liommu_qemu_edu_count(q), 1);
	ck_assert_int_eq(liommu_qemu_edu_sid_n(q, 0), sid);
	ck_assert_int_eq(liommu_qemu_edu_sid_n(q, 1), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_sid_n(NULL, 0), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma_n(q, 1, LIOMMU_EDU_TO_RAM, 0x200000, 0, 1, NULL),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_msi_setup_n(q, 1, 0xfee00000, 0x30, false), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_raise_irq_n(q, 1), -EINVAL);
}
END_TEST

START_TEST(pci_accessors_reject_bad_arguments)
{
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 256, 0), 0xffffffffu);
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 8, 256), 0xffffffffu);
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 8, 2), 0xffffffffu);
	ck_assert_int_eq(liommu_qemu_pci_write32(q, 256, 0, 0), -EINVAL);
	ck_assert_int_eq(liommu_qemu_pci_write32(q, 8, 0x11, 0), -EINVAL);
	/* A real write: edu's interrupt line register (0x3c, bits 7:0). */
	ck_assert_int_eq(liommu_qemu_pci_write32(q, 8, 0x3c, 0x0b), 0);
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 8, 0x3c) & 0xff, 0x0b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

START_TEST(page_alloc_gives_zeroed_distinct_aliasing_pages)
{
	struct liommu_platform *p = liommu_qemu_platform(q);
	const struct liommu_platform_ops *ops = liommu_platform_get_ops(p);
	void *priv = liommu_platform_get_priv(p), *va[64];
	uint64_t pa[64], base, size;
	size_t ram_size;
	uint8_t *ram = liommu_qemu_ram(q, &ram_size);
	static const uint8_t zero[4096];
	char cmd[64], reply[64];
	int i, j;

	ck_assert_uint_eq(ram_size, 256u << 20);
	ck_assert_int_eq(liommu_qemu_data_region(q, &base, &size), 0);
	ck_assert_uint_eq(base, 0x100000);
	ck_assert_uint_eq(base + size, ram_size / 2);
	for (i = 0; i < 64; i++) {
		ck_assert_int_eq(ops->page_alloc(priv, -1, &va[i], &pa[i]), 0);
		ck_assert_uint_eq(pa[i] & 0xfff, 0);
		ck_assert_uint_ge(pa[i], base + size);		/* not in data */
		ck_assert_uint_le(pa[i] + 4096, ram_size);
		ck_assert_ptr_eq(va[i], ram + pa[i]);
		ck_assert_ptr_eq(ops->phys_map(priv, pa[i], 4096), va[i]);
		ck_assert_mem_eq(va[i], zero, 4096);
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(pa[i], pa[j]);
		memset(va[i], 0xa5, 4096);
		*(uint32_t *)va[i] = 0xc0de0000u + (uint32_t)i;
	}
	/* QEMU sees our stores at the same guest physical address ... */
	for (i = 0; i < 64; i += 9) {
		snprintf(cmd, sizeof(cmd), "readl 0x%llx", (unsigned long long)pa[i]);
		ck_assert_int_eq(liommu_qemu_qtest(q, cmd, reply, sizeof(reply)), 0);
		ck_assert_uint_eq(strtoull(reply, NULL, 16), 0xc0de0000u + (unsigned int)i);
	}
	/* ... and we see QEMU's. */
	snprintf(cmd, sizeof(cmd), "writel 0x%llx 0x5eedf00d", (unsigned long long)pa[3] + 8);
	ck_assert_int_eq(liommu_qemu_qtest(q, cmd, NULL, 0), 0);
	ck_assert_uint_eq(((uint32_t *)va[3])[2], 0x5eedf00du);
	/* Freed pages come back zeroed. */
	for (i = 0; i < 64; i++)
		ops->page_free(priv, va[i], pa[i]);
	for (i = 0; i < 64; i++) {
		ck_assert_int_eq(ops->page_alloc(priv, 0, &va[i], &pa[i]), 0);
		ck_assert_mem_eq(va[i], zero, 4096);
	}
	for (i = 0; i < 64; i++)
		ops->page_free(priv, va[i], pa[i]);
	/* flush has nothing to write back here, and is harmless. */
	ops->flush(priv, va[0], 4096);
}
END_TEST

START_TEST(phys_map_rejects_out_of_bounds)
{
	struct liommu_platform *p = liommu_qemu_platform(q);
	size_t ram_size;
	uint8_t *ram = liommu_qemu_ram(q, &ram_size);

	ck_assert_ptr_eq(liommu_platform_phys_map(p, 0, ram_size), ram);
	ck_assert_ptr_eq(liommu_platform_phys_map(p, ram_size - 4096, 4096),
			 ram + ram_size - 4096);
	ck_assert_ptr_eq(liommu_platform_phys_map(p, ram_size - 1, 1), ram + ram_size - 1);
	ck_assert_ptr_null(liommu_platform_phys_map(p, ram_size - 4095, 4096));
	ck_assert_ptr_null(liommu_platform_phys_map(p, ram_size, 1));
	ck_assert_ptr_null(liommu_platform_phys_map(p, 0, ram_size + 1));
	ck_assert_ptr_null(liommu_platform_phys_map(p, 0x1000, 0));
	ck_assert_ptr_null(liommu_platform_phys_map(p, ~0ULL - 1, 2));
	ck_assert_ptr_null(liommu_platform_phys_map(p, 0xfed90000ULL, 4));	/* MMIO */
	/* The op itself also checks, without the wrapper's overflow test. */
	ck_assert_ptr_null(liommu_platform_get_ops(p)->phys_map(
		liommu_platform_get_priv(p), ~0ULL - 1, 2));
}
END_TEST

START_TEST(page_pool_contiguous_exhaustion_and_bad_frees)
{
	uint64_t pa, pa2, base, size, got = 0;
	size_t ram_size;
	void *va;
	uint64_t chunks[64];
	int n = 0, r;

	q = start((struct liommu_qemu_config){ .ram_mb = 32 });
	liommu_qemu_ram(q, &ram_size);
	ck_assert_int_eq(liommu_qemu_data_region(q, &base, &size), 0);
	/* Contiguous runs. */
	ck_assert_int_eq(liommu_qemu_alloc_pages(q, 4, &va, &pa), 0);
	ck_assert_ptr_eq((uint8_t *)liommu_qemu_ram(q, NULL) + pa, va);
	ck_assert_int_eq(liommu_qemu_alloc_pages(q, 1, &va, &pa2), 0);
	ck_assert(pa2 >= pa + 4 * 4096 || pa2 + 4096 <= pa);
	/* Bad frees change nothing. */
	ck_assert_int_eq(liommu_qemu_free_pages(q, pa + 1, 1), -EINVAL);	/* misaligned */
	ck_assert_int_eq(liommu_qemu_free_pages(q, base, 1), -EINVAL);	/* data region */
	ck_assert_int_eq(liommu_qemu_free_pages(q, ram_size, 1), -EINVAL);
	ck_assert_int_eq(liommu_qemu_free_pages(q, pa, 0), -EINVAL);
	ck_assert_int_eq(liommu_qemu_free_pages(q, pa, 6), -EINVAL);	/* beyond the run */
	ck_assert_int_eq(liommu_qemu_free_pages(q, pa, 4), 0);
	ck_assert_int_eq(liommu_qemu_free_pages(q, pa, 4), -EINVAL);	/* double free */
	ck_assert_int_eq(liommu_qemu_free_pages(q, pa2, 1), 0);
	ck_assert_int_eq(liommu_qemu_alloc_pages(q, 0, &va, &pa), -EINVAL);
	ck_assert_int_eq(liommu_qemu_alloc_pages(q, 1, NULL, &pa), -EINVAL);
	/* Exhaust the 16 MiB pool in 1 MiB runs, then give it all back. */
	while ((r = liommu_qemu_alloc_pages(q, 256, &va, &pa)) == 0) {
		ck_assert_int_lt(n, 64);
		chunks[n++] = pa;
		got += 256;
	}
	ck_assert_int_eq(r, -ENOMEM);
	ck_assert_uint_eq(got * 4096, ram_size / 2);
	ck_assert_int_eq(liommu_qemu_alloc_pages(q, 1, &va, &pa), -ENOMEM);
	while (n--)
		ck_assert_int_eq(liommu_qemu_free_pages(q, chunks[n], 256), 0);
	ck_assert_int_eq(liommu_qemu_alloc_pages(q, 4096, &va, &pa), 0);
	teardown();
}
END_TEST

static void *pool_worker(void *arg)
{
	uint64_t pa[32];
	void *va[32];
	long bad = 0;
	int round, i;

	for (round = 0; round < 50; round++) {
		for (i = 0; i < 32; i++) {
			if (liommu_qemu_alloc_pages(q, 1, &va[i], &pa[i])) {
				bad++;
				pa[i] = 0;
				continue;
			}
			/* Zeroed, and nobody else is writing it. */
			if (*(uint64_t *)va[i])
				bad++;
			*(uint64_t *)va[i] = pa[i];
		}
		for (i = 0; i < 32; i++) {
			if (!pa[i])
				continue;
			if (*(uint64_t *)va[i] != pa[i])
				bad++;
			*(uint64_t *)va[i] = 0;
			if (liommu_qemu_free_pages(q, pa[i], 1))
				bad++;
		}
	}
	return (void *)bad;
}

START_TEST(page_pool_is_thread_safe)
{
	pthread_t t[4];
	void *bad;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, pool_worker, NULL), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		ck_assert_int_eq((long)bad, 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* edu DMA                                                             */
/* ------------------------------------------------------------------ */

static uint8_t *pa_ptr(uint64_t pa, size_t len)
{
	uint8_t *p = liommu_platform_phys_map(liommu_qemu_platform(q), pa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(edu_copies_between_physical_addresses_untranslated)
{
	struct liommu_qemu_dma_result res;
	uint64_t src = 0x200000, dst = 0x345000;	/* data region */
	uint8_t *s = pa_ptr(src, 4096), *d = pa_ptr(dst, 4096);
	int i;

	ck_assert(!(rd32(VTD_GSTS_REG) & VTD_GSTS_TES));
	for (i = 0; i < 4096; i++)
		s[i] = (uint8_t)(i * 7 + 3);
	memset(d, 0, 4096);
	/* QEMU 7.2's edu aborts if a transfer touches the buffer's last
	 * byte, so the largest copy is LIOMMU_EDU_BUF_USABLE bytes. */
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_FROM_RAM, src, 0,
					     LIOMMU_EDU_BUF_USABLE, &res), 0);
	ck_assert(!res.faulted && !res.overflow);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, dst, 0,
					     LIOMMU_EDU_BUF_USABLE, &res), 0);
	ck_assert(!res.faulted && !res.overflow);
	ck_assert_mem_eq(d, s, LIOMMU_EDU_BUF_USABLE);
	ck_assert_uint_eq(d[LIOMMU_EDU_BUF_USABLE], 0);
	/* A partial copy: buffer bytes 100..399 to an unaligned address. */
	memset(d, 0xee, 4096);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, dst + 11, 100, 300, NULL), 0);
	ck_assert_mem_eq(d + 11, s + 100, 300);
	ck_assert_uint_eq(d[10], 0xee);
	ck_assert_uint_eq(d[311], 0xee);
	ck_assert_uint_eq(rd32(VTD_FSTS_REG) & VTD_FSTS_PPF, 0);
}
END_TEST

START_TEST(edu_dma_rejects_bad_arguments)
{
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x200000, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x200000, 4096, 1, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x200000, 4000, 96, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x200000, 0, 4096, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x200000, 4095, 1, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 1ULL << 28, 0, 1, NULL), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, (1ULL << 28) - 4, 0, 5, NULL),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, (enum liommu_edu_dir)2, 0x200000, 0, 1, NULL),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_dma(NULL, LIOMMU_EDU_TO_RAM, 0x200000, 0, 1, NULL),
			 -EINVAL);
	/* The last byte below the mask, and the last usable buffer byte,
	 * are fine (QEMU is still alive afterwards). */
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_FROM_RAM, (1ULL << 28) - 4, 0, 4, NULL),
			 0);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x200000, 4094, 1, NULL), 0);
	ck_assert_uint_eq(rd32(VTD_VER_REG), 0x10);
}
END_TEST

/* Set or clear a GCMD command and wait for GSTS to follow (spec 11.4.4:
 * write the persistent bits from GSTS plus the one command). */
static void gcmd(uint32_t bit, bool on)
{
	uint32_t sts = rd32(VTD_GSTS_REG) & VTD_GSTS_PERSISTENT;
	int i;

	wr32(VTD_GCMD_REG, on ? (sts | bit) : (sts & ~bit));
	for (i = 0; i < 1000; i++)
		if (!!(rd32(VTD_GSTS_REG) & bit) == on)
			return;
	ck_abort_msg("GSTS did not follow GCMD 0x%x", bit);
}

START_TEST(edu_dma_reports_fault_and_leaves_it_pending)
{
	struct liommu_platform *p = liommu_qemu_platform(q);
	const struct liommu_platform_ops *ops = liommu_platform_get_ops(p);
	struct liommu_qemu_dma_result res;
	uint64_t a = 0x200000, b = 0x201000, out = 0x202000, root_pa;
	uint64_t cap = rd64(VTD_CAP_REG);
	uint16_t sid = liommu_qemu_edu_sid(q);
	uint8_t zero[64] = { 0 };
	void *root;

	memset(pa_ptr(a, 64), 0xaa, 64);
	memset(pa_ptr(b, 64), 0xbb, 64);
	memset(pa_ptr(out, 2 * 4096), 0x11, 2 * 4096);
	/* edu's buffer holds 0xaa, loaded untranslated. */
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_FROM_RAM, a, 0, 64, &res), 0);
	ck_assert(!res.faulted);

	/* An empty (zeroed) root table, then translation on: every request
	 * from edu faults with "root entry not present" (spec 7.1.3, 0x1). */
	ck_assert_int_eq(ops->page_alloc(liommu_platform_get_priv(p), -1, &root, &root_pa), 0);
	wr64(VTD_RTADDR_REG, root_pa);
	gcmd(VTD_GCMD_SRTP, true);
	gcmd(VTD_GCMD_TE, true);

	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_FROM_RAM, b + 0x123, 0, 64, &res), 0);
	ck_assert(res.faulted);
	ck_assert(!res.overflow);
	ck_assert_uint_eq(res.index, 0);
	ck_assert_uint_eq(res.fault.reason, VTD_FR_ROOT_P);
	ck_assert_uint_eq(res.fault.sid, sid);
	ck_assert_uint_eq(res.fault.addr, b);		/* page address */
	ck_assert(!res.fault.is_write);			/* a read of memory */
	ck_assert(!res.fault.pasid_present);
	/* Left pending for the driver. */
	ck_assert(rd32(VTD_FSTS_REG) & VTD_FSTS_PPF);
	ck_assert_uint_eq(vtd_field_get(VTD_FSTS_FRI, rd32(VTD_FSTS_REG)), 0);
	ck_assert(rd64(vtd_frcd_reg(cap, 0) + 8) & VTD_FRCD_HI_F);

	/* With edu's record pending QEMU drops the next fault of the same
	 * source-id silently (no record, no PFO), and still blocks the DMA. */
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, out, 0, 64, &res), 0);
	ck_assert(!res.faulted);
	ck_assert(!res.overflow);
	ck_assert_uint_eq(pa_ptr(out, 1)[0], 0x11);

	/* Clear F (RW1C), PPF follows; a write now records a new fault and
	 * writes nothing. */
	wr64(vtd_frcd_reg(cap, 0) + 8, VTD_FRCD_HI_F);
	ck_assert(!(rd32(VTD_FSTS_REG) & VTD_FSTS_PPF));
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, out + 0x1000, 0, 64, &res), 0);
	ck_assert(res.faulted);
	ck_assert_uint_eq(res.fault.reason, VTD_FR_ROOT_P);
	ck_assert_uint_eq(res.fault.addr, out + 0x1000);
	ck_assert(res.fault.is_write);
	ck_assert_uint_eq(res.fault.sid, sid);
	ck_assert_uint_eq(pa_ptr(out + 0x1000, 1)[0], 0x11);

	/* Translation off again; read edu's buffer back.  The blocked read
	 * did not deliver 0xbb, but it did not leave 0xaa either: QEMU 7.2
	 * completes a blocked DMA read with zeros (unassigned memory), where
	 * hardware would abort the request. */
	gcmd(VTD_GCMD_TE, false);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, out, 0, 64, &res), 0);
	ck_assert(!res.faulted);
	ck_assert_mem_eq(pa_ptr(out, 64), zero, 64);
}
END_TEST

/*
 * cfg.edu_count = 3: three edus in slots 1..3, each with its own BAR,
 * bus mastering and 4 KiB buffer.  Each copies its own pattern between
 * physical addresses untranslated; then, with translation on and an
 * empty root table, each one's DMA faults with its own source-id.
 */
START_TEST(several_edus_have_distinct_sids_and_each_moves_bytes)
{
	struct liommu_platform *p = liommu_qemu_platform(q);
	const struct liommu_platform_ops *ops = liommu_platform_get_ops(p);
	struct liommu_qemu_dma_result res;
	uint64_t cap = rd64(VTD_CAP_REG), root_pa;
	unsigned int i, j, n = liommu_qemu_edu_count(q);
	int sid[3];
	uint32_t bar[3];
	void *root;

	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++) {
		unsigned int devfn;

		sid[i] = liommu_qemu_edu_sid_n(q, i);
		ck_assert_int_eq(sid[i], vtd_sid(0, 1 + i, 0));
		devfn = vtd_sid_devfn((uint16_t)sid[i]);
		ck_assert_uint_eq(liommu_qemu_pci_read32(q, devfn, 0x00), 0x11e81234u);
		ck_assert_uint_eq(liommu_qemu_pci_read32(q, devfn, 0x04) & 0x6, 0x6);
		bar[i] = liommu_qemu_pci_read32(q, devfn, 0x10) & ~0xfu;
		for (j = 0; j < i; j++) {
			ck_assert_int_ne(sid[i], sid[j]);
			ck_assert_uint_ne(bar[i], bar[j]);
		}
	}
	ck_assert_int_eq(liommu_qemu_edu_sid_n(q, 3), -EINVAL);
	ck_assert_uint_eq(liommu_qemu_edu_sid(q), (uint16_t)sid[0]);
	ck_assert_int_eq(liommu_qemu_edu_dma_n(q, 3, LIOMMU_EDU_TO_RAM, 0x200000, 0, 1, NULL),
			 -EINVAL);

	/* Load every buffer first, then read them all back: a buffer
	 * shared between edus would hold the last pattern only. */
	for (i = 0; i < n; i++) {
		memset(pa_ptr(0x200000 + i * 0x1000, 512), 0xa0 + i, 512);
		ck_assert_int_eq(liommu_qemu_edu_dma_n(q, i, LIOMMU_EDU_FROM_RAM,
						       0x200000 + i * 0x1000, 0, 512, &res), 0);
		ck_assert(!res.faulted && !res.overflow);
	}
	for (i = 0; i < n; i++) {
		uint8_t *out = pa_ptr(0x300000 + i * 0x1000, 514);
		uint8_t want[512];

		memset(out, 0x11, 514);
		ck_assert_int_eq(liommu_qemu_edu_dma_n(q, i, LIOMMU_EDU_TO_RAM,
						       0x300000 + i * 0x1000 + 1, 0, 512, &res), 0);
		ck_assert(!res.faulted && !res.overflow);
		memset(want, 0xa0 + i, sizeof(want));
		ck_assert_mem_eq(out + 1, want, sizeof(want));
		ck_assert_uint_eq(out[0], 0x11);
		ck_assert_uint_eq(out[513], 0x11);
	}

	/* Translation on, empty root table: each edu's request faults with
	 * reason 0x1 and the requester's own source-id (spec 7.1.3). */
	ck_assert_int_eq(ops->page_alloc(liommu_platform_get_priv(p), -1, &root, &root_pa), 0);
	wr64(VTD_RTADDR_REG, root_pa);
	gcmd(VTD_GCMD_SRTP, true);
	gcmd(VTD_GCMD_TE, true);
	for (i = 0; i < n; i++) {
		uint64_t iova = 0x400000 + i * 0x1000;

		ck_assert_int_eq(liommu_qemu_edu_dma_n(q, i, LIOMMU_EDU_TO_RAM, iova, 0, 64,
						       &res), 0);
		ck_assert(res.faulted);
		ck_assert_uint_eq(res.fault.reason, VTD_FR_ROOT_P);
		ck_assert_uint_eq(res.fault.sid, (uint16_t)sid[i]);
		ck_assert_uint_eq(res.fault.addr, iova);
		ck_assert(res.fault.is_write);
		/* Cleared (RW1C) so that no record is left pending. */
		wr64(vtd_frcd_reg(cap, res.index) + 8, VTD_FRCD_HI_F);
	}
	ck_assert(!(rd32(VTD_FSTS_REG) & VTD_FSTS_PPF));
	gcmd(VTD_GCMD_TE, false);
}
END_TEST

static bool irr_has(unsigned int vector)
{
	uint64_t irr[4];

	ck_assert_int_eq(liommu_qemu_lapic_irr(q, 0, irr), 0);
	return irr[vector / 64] & (1ULL << (vector % 64));
}

/*
 * Each edu's MSI capability is its own: with interrupt remapping off, a
 * compatibility-format message (address 0xfee00000: APIC 0, physical;
 * data: the vector, fixed, edge) reaches local APIC 0's IRR, and only
 * the edu that raised it has that vector.  edu 0 with MSI disabled
 * raises INTx, which the unprogrammed I/O APIC does not deliver.
 */
START_TEST(several_edus_raise_their_own_msi)
{
	ck_assert_uint_eq(liommu_qemu_edu_count(q), 2);
	ck_assert_int_eq(liommu_qemu_edu_msi_setup_n(q, 0, 0xfee00000, 0x50, false), 0);
	ck_assert_int_eq(liommu_qemu_edu_msi_setup_n(q, 1, 0xfee00000, 0x51, true), 0);
	ck_assert(!irr_has(0x50) && !irr_has(0x51));

	ck_assert_int_eq(liommu_qemu_edu_raise_irq_n(q, 0), 0);
	ck_assert(!irr_has(0x50) && !irr_has(0x51));
	ck_assert_int_eq(liommu_qemu_edu_raise_irq_n(q, 1), 0);
	ck_assert(irr_has(0x51));
	ck_assert(!irr_has(0x50));

	/* The index-less functions are edu 0's. */
	ck_assert_int_eq(liommu_qemu_edu_msi_setup(q, 0xfee00000, 0x52, true), 0);
	ck_assert_int_eq(liommu_qemu_edu_raise_irq(q), 0);
	ck_assert(irr_has(0x52));
	ck_assert(!irr_has(0x50));
	ck_assert_int_eq(liommu_qemu_edu_raise_irq_n(q, 2), -EINVAL);
	ck_assert_int_eq(liommu_qemu_edu_msi_setup_n(NULL, 0, 0xfee00000, 0x53, true), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* qtest and QMP                                                       */
/* ------------------------------------------------------------------ */

START_TEST(qtest_fail_is_eio_and_connection_survives)
{
	char reply[128], small[4];

	ck_assert_int_eq(liommu_qemu_qtest(q, "bogus", reply, sizeof(reply)), -EIO);
	ck_assert_msg(strstr(reply, "Unknown command"), "reply: %s", reply);
	/* Debian's QEMU 7.2 has no qtest accelerator, hence no clock_step. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "clock_step", reply, sizeof(reply)), -EIO);
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0xfed90000", reply, sizeof(reply)), 0);
	ck_assert_str_eq(reply, "0x0000000000000010");
	/* Truncated to the buffer. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0xfed90000", small, sizeof(small)), 0);
	ck_assert_str_eq(small, "0x0");
	/* Commands that would desynchronise or crash QEMU are refused. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "", reply, sizeof(reply)), -EINVAL);
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x0\nreadl 0x0", reply, sizeof(reply)),
			 -EINVAL);
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x0\r", reply, sizeof(reply)), -EINVAL);
	ck_assert_int_eq(liommu_qemu_qtest(q, NULL, reply, sizeof(reply)), -EINVAL);
	ck_assert_uint_eq(rd32(VTD_VER_REG), 0x10);
}
END_TEST

START_TEST(qemu_abort_gives_eio_then_all_ones)
{
	/* QEMU 7.2 asserts on "readl" with no address and dies. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl", NULL, 0), -EIO);
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0xfed90000", NULL, 0), -EIO);
	ck_assert_uint_eq(rd32(VTD_VER_REG), 0xffffffffu);
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 8, 0), 0xffffffffu);
	ck_assert_int_eq(liommu_qemu_edu_dma(q, LIOMMU_EDU_TO_RAM, 0x200000, 0, 1, NULL), -EIO);
}
END_TEST

START_TEST(hmp_returns_monitor_text)
{
	char *out = NULL;

	ck_assert_int_eq(liommu_qemu_hmp(q, "info lapic", &out), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strstr(out, "dumping local APIC state for CPU 0"), "out: %s", out);
	ck_assert_msg(strchr(out, '\n') && !strstr(out, "\\n"), "not unescaped: %s", out);
	free(out);
	/* The monitor sees the same guest memory. */
	*(uint32_t *)pa_ptr(0x300000, 4) = 0x600dcafe;
	ck_assert_int_eq(liommu_qemu_hmp(q, "xp /1xw 0x300000", &out), 0);
	ck_assert_msg(strstr(out, "0x600dcafe"), "out: %s", out);
	free(out);
	/* An unknown HMP command is still a successful QMP exchange. */
	ck_assert_int_eq(liommu_qemu_hmp(q, "no-such-command", &out), 0);
	ck_assert_msg(strstr(out, "unknown command"), "out: %s", out);
	free(out);
	ck_assert_int_eq(liommu_qemu_hmp(q, NULL, &out), -EINVAL);
}
END_TEST

START_TEST(hmp_without_qmp_is_enotconn)
{
	char *out = (char *)1;

	ck_assert_int_eq(liommu_qemu_hmp(q, "info lapic", &out), -ENOTCONN);
	ck_assert_ptr_null(out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A fake QEMU that misbehaves                                         */
/* ------------------------------------------------------------------ */

/*
 * Behaves like QEMU for start-up (edu at 00:01.0, BAR0 and its ID
 * register), then misbehaves on chosen addresses; FAKE_QEMU_MODE makes it
 * misbehave from the first command.  The QMP side answers
 * human-monitor-command by the command text.
 */
static const char fake_qemu[] =
	"#!/usr/bin/python3\n"
	"import json, os, socket, sys, threading\n"
	"args = sys.argv[1:]\n"
	"mode = os.environ.get('FAKE_QEMU_MODE', 'ok')\n"
	"def arg(n):\n"
	"    return args[args.index(n) + 1] if n in args else None\n"
	"if mode == 'exit3':\n"
	"    sys.exit(3)\n"
	"qmp = arg('-qmp')\n"
	"HMP = {\n"
	"  'err': '{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}',\n"
	"  'garbage': 'this is not json',\n"
	"  'num': '{\"return\": 5}',\n"
	"  'unicode': '{\"timestamp\": {\"seconds\": 1}, \"event\": \"X\", \"data\": '\n"
	"             '{\"a\": [1, -2.5e3, true, false, null, {}, []]}}\\r\\n'\n"
	"             '{\"return\": \"a\\\\u00e9\\\\ud83d\\\\ude00\\\\n\\\\\"q\\\\\"\\\\\\\\\\\\/\\\\t\"}',\n"
	"  'surrogate': '{\"return\": \"\\\\ud800x\"}',\n"
	"  'lowsurrogate': '{\"return\": \"\\\\udc00\"}',\n"
	"  'nul': '{\"return\": \"a\\\\u0000b\"}',\n"
	"  'badescape': '{\"return\": \"\\\\x41\"}',\n"
	"  'rawctl': '{\"return\": \"a\\tb\"}',\n"
	"  'trunc': '{\"return\": \"abc',\n"
	"  'deep': '{\"event\": ' + '[' * 100 + ']' * 100 + '}',\n"
	"}\n"
	"def serve_qmp(ls):\n"
	"    c, _ = ls.accept()\n"
	"    g = c.makefile('wb', buffering=0)\n"
	"    g.write(b'{\"QMP\": {\"version\": {}, \"capabilities\": []}}\\r\\n')\n"
	"    for raw in c.makefile('rb'):\n"
	"        req = json.loads(raw)\n"
	"        if req['execute'] == 'qmp_capabilities':\n"
	"            g.write(b'{\"return\": {}}\\r\\n')\n"
	"            continue\n"
	"        cl = req['arguments']['command-line']\n"
	"        out = HMP.get(cl, json.dumps({'return': cl}))\n"
	"        g.write(out.encode() + b'\\r\\n')\n"
	"if qmp:\n"
	"    ls = socket.socket(socket.AF_UNIX)\n"
	"    ls.bind(qmp[5:].split(',')[0])\n"
	"    ls.listen(1)\n"
	"    threading.Thread(target=serve_qmp, args=(ls,), daemon=True).start()\n"
	"s = socket.socket(socket.AF_UNIX)\n"
	"s.connect(arg('-qtest')[5:])\n"
	"f = s.makefile('wb', buffering=0)\n"
	"if mode == 'eof':\n"
	"    sys.exit(0)\n"
	"cf8 = 0\n"
	"bar = 0\n"
	"def reply(line):\n"
	"    f.write(line.encode() + b'\\n')\n"
	"for raw in s.makefile('rb'):\n"
	"    w = raw.decode().split()\n"
	"    if mode == 'silent':\n"
	"        continue\n"
	"    if mode == 'garbage':\n"
	"        reply('HELLO')\n"
	"        continue\n"
	"    if mode == 'fail':\n"
	"        reply('FAIL nope')\n"
	"        continue\n"
	"    op = w[0]\n"
	"    devfn = (cf8 >> 8) & 0xff\n"
	"    reg = cf8 & 0xfc\n"
	"    if op == 'outl' and int(w[1], 16) == 0xcf8:\n"
	"        cf8 = int(w[2], 16)\n"
	"        reply('OK')\n"
	"    elif op == 'outl':\n"
	"        if devfn == 8 and reg == 0x10:\n"
	"            bar = int(w[2], 16)\n"
	"        reply('OK')\n"
	"    elif op == 'inl':\n"
	"        if devfn == 8 and reg == 0:\n"
	"            reply('OK 0x11e81234')\n"
	"        elif devfn == 8 and reg == 0x10:\n"
	"            reply('OK 0x%x' % bar)\n"
	"        elif devfn == 0x10:\n"
	"            reply('OK 0xzz')\n"
	"        elif devfn == 0x18:\n"
	"            reply('OK 0x123456789')\n"
	"        else:\n"
	"            reply('OK 0xffffffff')\n"
	"    elif op in ('readl', 'readq'):\n"
	"        a = int(w[1], 16)\n"
	"        if a == 0xfea00000:\n"
	"            reply('OK 0x010000ed')\n"
	"        elif a == 0x2000:\n"
	"            reply('IRQ raise 3')\n"
	"            reply('IRQ lower 3')\n"
	"            reply('OK 0x5')\n"
	"        elif a == 0x3000:\n"
	"            reply('OK 0x' + '0' * (2 << 20))\n"
	"        elif a == 0x4000:\n"
	"            reply('WHAT')\n"
	"        elif a == 0x5000:\n"
	"            f.write(b'OK\\x00 0x1\\n')\n"
	"        elif a == 0x6000:\n"
	"            os._exit(0)\n"
	"        elif a == 0x7000:\n"
	"            pass\n"
	"        else:\n"
	"            reply('OK 0x0000000000000000')\n"
	"    else:\n"
	"        reply('OK')\n";

static char fake_dir[64], fake_path[96];

static void write_fake(void)
{
	FILE *f;

	snprintf(fake_dir, sizeof(fake_dir), "/tmp/check-qemu-fake-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_dir));
	snprintf(fake_path, sizeof(fake_path), "%s/qemu", fake_dir);
	f = fopen(fake_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(fake_qemu, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(fake_path, 0755), 0);
}

static void remove_fake(void)
{
	unlink(fake_path);
	rmdir(fake_dir);
}

static bool have_python(void)
{
	if (access("/usr/bin/python3", X_OK) == 0)
		return true;
	fprintf(stderr, "check-platform-qemu: /usr/bin/python3 missing, fake-QEMU test skipped\n");
	return false;
}

static int start_fake(const char *mode, bool qmp, unsigned int timeout_ms,
		      struct liommu_qemu **out)
{
	setenv("FAKE_QEMU_MODE", mode, 1);
	return liommu_qemu_start(&(struct liommu_qemu_config){
		.qemu_path = fake_path, .qmp = qmp, .timeout_ms = timeout_ms,
		.log = test_log }, out);
}

START_TEST(fake_qemu_bad_start_is_reported)
{
	struct liommu_qemu *n = NULL;

	if (!have_python())
		return;
	write_fake();
	ck_assert_int_eq(start_fake("garbage", false, 0, &n), -EIO);
	ck_assert_int_eq(start_fake("fail", false, 0, &n), -EIO);
	ck_assert_int_eq(start_fake("eof", false, 0, &n), -EIO);
	ck_assert_int_eq(start_fake("silent", false, 300, &n), -ETIMEDOUT);
	last_log[0] = '\0';
	ck_assert_int_eq(start_fake("exit3", false, 0, &n), -EIO);
	ck_assert_msg(strstr(last_log, "status 3"), "log: %s", last_log);
	ck_assert_ptr_null(n);
	remove_fake();
}
END_TEST

START_TEST(fake_qemu_odd_qtest_replies)
{
	char reply[64];

	if (!have_python())
		return;
	write_fake();
	ck_assert_int_eq(start_fake("ok", false, 3000, &q), 0);
	/* Asynchronous IRQ lines are skipped. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x2000", reply, sizeof(reply)), 0);
	ck_assert_str_eq(reply, "0x5");
	/* A value that is not hex, or too wide for 32 bits: an error, but
	 * the stream is still in step. */
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 0x10, 0), 0xffffffffu);
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 0x18, 0), 0xffffffffu);
	ck_assert_uint_eq(liommu_qemu_pci_read32(q, 8, 0), 0x11e81234u);
	/* A line that is not a reply breaks the connection for good. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x4000", reply, sizeof(reply)), -EIO);
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x1000", reply, sizeof(reply)), -EIO);
	ck_assert_uint_eq(rd32(VTD_VER_REG), 0xffffffffu);
	teardown();

	ck_assert_int_eq(start_fake("ok", false, 3000, &q), 0);
	/* An overlong line (2 MiB) breaks it too. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x3000", reply, sizeof(reply)), -EIO);
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x1000", reply, sizeof(reply)), -EIO);
	teardown();

	ck_assert_int_eq(start_fake("ok", false, 3000, &q), 0);
	/* A NUL inside a line. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x5000", reply, sizeof(reply)), -EIO);
	teardown();

	ck_assert_int_eq(start_fake("ok", false, 1000, &q), 0);
	/* No answer: bounded by timeout_ms, then broken. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x7000", reply, sizeof(reply)), -ETIMEDOUT);
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x1000", reply, sizeof(reply)), -EIO);
	teardown();

	ck_assert_int_eq(start_fake("ok", false, 3000, &q), 0);
	/* QEMU disappears: EOF. */
	ck_assert_int_eq(liommu_qemu_qtest(q, "readl 0x6000", reply, sizeof(reply)), -EIO);
	ck_assert_uint_eq(rd64(VTD_CAP_REG), ~0ULL);
	teardown();
	remove_fake();
}
END_TEST

START_TEST(fake_qemu_odd_qmp_replies)
{
	static const char *const bad[] = {
		"surrogate", "lowsurrogate", "nul", "badescape", "rawctl", "deep",
		"garbage", "trunc",
	};
	const char *tricky = "say \"hi\"\\ to\tthe\x01 monitor/ \xc3\xa9";
	char *out = NULL;
	size_t i;

	if (!have_python())
		return;
	write_fake();
	ck_assert_int_eq(start_fake("ok", true, 3000, &q), 0);
	/* Events are skipped; escapes, \u and surrogate pairs decoded. */
	ck_assert_int_eq(liommu_qemu_hmp(q, "unicode", &out), 0);
	ck_assert_str_eq(out, "a\xc3\xa9\xf0\x9f\x98\x80\n\"q\"\\/\t");
	free(out);
	/* Our escaping survives a real JSON parser and comes back intact. */
	ck_assert_int_eq(liommu_qemu_hmp(q, tricky, &out), 0);
	ck_assert_str_eq(out, tricky);
	free(out);
	/* An error reply, or a non-string return: -EIO, stream still in step. */
	ck_assert_int_eq(liommu_qemu_hmp(q, "err", &out), -EIO);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(liommu_qemu_hmp(q, "num", &out), -EIO);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(liommu_qemu_hmp(q, "still here", &out), 0);
	ck_assert_str_eq(out, "still here");
	free(out);
	teardown();

	/* Undecodable strings and malformed JSON break the connection. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(start_fake("ok", true, 3000, &q), 0);
		out = (char *)1;
		ck_assert_msg(liommu_qemu_hmp(q, bad[i], &out) == -EIO, "%s", bad[i]);
		ck_assert_ptr_null(out);
		ck_assert_int_eq(liommu_qemu_hmp(q, "x", &out), -EIO);
		teardown();
	}

	remove_fake();
}
END_TEST

Suite *platform_qemu_suite(void);

Suite *platform_qemu_suite(void)
{
	Suite *s = suite_create("platform-qemu");
	TCase *tc;

	tc = tcase_create("lifecycle");
	tcase_add_test(tc, start_stop_leaves_nothing_behind);
	tcase_add_test(tc, killed_starter_takes_qemu_with_it);
	tcase_add_test(tc, start_rejects_bad_configuration);
	tcase_add_test(tc, qemu_exiting_at_start_is_eio_with_its_status);
	suite_add_tcase(s, tc);

	tc = tcase_create("registers");
	tcase_add_loop_test(tc, ver_cap_ecap_match_qemu, 0,
			    (int)(sizeof(reg_table) / sizeof(reg_table[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("register_access");
	tcase_add_checked_fixture(tc, setup_default, teardown);
	tcase_add_test(tc, register_writes_follow_qemu_write_masks);
	tcase_add_test(tc, registers_outside_window_read_all_ones);
	tcase_add_test(tc, register_ops_are_safe_from_many_threads);
	tcase_add_test(tc, edu_is_found_and_programmed);
	tcase_add_test(tc, pci_accessors_reject_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_checked_fixture(tc, setup_default, teardown);
	tcase_add_test(tc, page_alloc_gives_zeroed_distinct_aliasing_pages);
	tcase_add_test(tc, phys_map_rejects_out_of_bounds);
	tcase_add_test(tc, page_pool_is_thread_safe);
	suite_add_tcase(s, tc);

	tc = tcase_create("page_pool");
	tcase_add_test(tc, page_pool_contiguous_exhaustion_and_bad_frees);
	suite_add_tcase(s, tc);

	tc = tcase_create("edu_dma");
	tcase_add_checked_fixture(tc, setup_default, teardown);
	tcase_add_test(tc, edu_copies_between_physical_addresses_untranslated);
	tcase_add_test(tc, edu_dma_rejects_bad_arguments);
	tcase_add_test(tc, edu_dma_reports_fault_and_leaves_it_pending);
	suite_add_tcase(s, tc);

	tc = tcase_create("several_edus");
	tcase_add_checked_fixture(tc, setup_three_edus, teardown);
	tcase_add_test(tc, several_edus_have_distinct_sids_and_each_moves_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("several_edus_msi");
	tcase_add_checked_fixture(tc, setup_two_edus_qmp, teardown);
	tcase_add_test(tc, several_edus_raise_their_own_msi);
	suite_add_tcase(s, tc);

	tc = tcase_create("qtest");
	tcase_add_checked_fixture(tc, setup_default, teardown);
	tcase_add_test(tc, qtest_fail_is_eio_and_connection_survives);
	tcase_add_test(tc, qemu_abort_gives_eio_then_all_ones);
	suite_add_tcase(s, tc);

	tc = tcase_create("hmp");
	tcase_add_checked_fixture(tc, setup_qmp, teardown);
	tcase_add_test(tc, hmp_returns_monitor_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("hmp_off");
	tcase_add_checked_fixture(tc, setup_default, teardown);
	tcase_add_test(tc, hmp_without_qmp_is_enotconn);
	suite_add_tcase(s, tc);

	tc = tcase_create("fake_qemu");
	tcase_add_test(tc, fake_qemu_bad_start_is_reported);
	tcase_add_test(tc, fake_qemu_odd_qtest_replies);
	tcase_add_test(tc, fake_qemu_odd_qmp_replies);
	suite_add_tcase(s, tc);

	return s;
}
