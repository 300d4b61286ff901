// SPDX-License-Identifier: MIT
/*
 * check-hvb-daemon.c - the viommu-sidecore daemon through libhvbind's
 * client, as a hypervisor uses it.  Each test starts the daemon as a
 * child process on a socket in a temporary folder and stops it with
 * SIGTERM at the end (it must exit 0: under the sanitizers that also
 * says it leaked nothing).  The daemon gets PR_SET_PDEATHSIG, so a test
 * that fails midway does not leave it behind.
 *
 * What is checked: negotiation; a sidecore-mode instance's register page
 * (the memfd the daemon returns) carries QEMU 7.2's CAP/ECAP and serves
 * libiommu's driver running in this process as the guest (the unit comes
 * up and enables translation through the daemon's sidecore thread);
 * trap-mode register accesses over the protocol; the fault eventfd
 * (an invalidation queue error is a fault event); one client never
 * sees another's instance; every rejection the daemon makes; malformed
 * bytes close only the connection that sent them; a client that goes
 * away frees what it owned.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hvbind/client.h>
#include <hvbind/proto.h>
#include <liommu/liommu.h>
#include <liommu/platform.h>
#include <liommu/vtd.h>

Suite *hvb_daemon_suite(void);

#define PG		4096ull
#define RAM_SIZE	(8ull << 20)
#define QEMU_CAP	0x00d2008c22260286ull
#define QEMU_ECAP	0xf00f4aull
#define FEAT		(HVB_FEAT_REPLY_ACK | HVB_FEAT_TRAP)

static char dir[64], sock_path[128], log_path[128];
static pid_t daemon_pid;

static void sleep_ms(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&d, NULL);
}

static void daemon_start(void)
{
	const char *top = getenv("LIOMMU_TOP_BUILDDIR");
	char bin[512];
	pid_t parent = getpid();
	int i, fd;

	snprintf(bin, sizeof(bin), "%s/viommu-sidecore/daemon/viommu-sidecore", top ? top : ".");
	strcpy(dir, "/tmp/hvb-daemon.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/run/viommu.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (!daemon_pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl(bin, bin, "--socket", sock_path, (char *)NULL);
		_exit(127);
	}
	/* Bounded: up to 10 s for the socket to answer (sanitizer builds
	 * start slowly). */
	for (i = 0; i < 1000; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		strcpy(sa.sun_path, sock_path);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(s);
			return;
		}
		close(s);
		ck_assert_int_eq(waitpid(daemon_pid, NULL, WNOHANG), 0);
		sleep_ms(10);
	}
	ck_abort_msg("the daemon did not listen on %s", sock_path);
}

/* SIGTERM to the daemon this test started; it must exit 0 in 10 s. */
static void daemon_stop(void)
{
	int i, status = 0;
	pid_t r = 0;

	ck_assert_int_eq(kill(daemon_pid, SIGTERM), 0);
	for (i = 0; i < 1000 && !r; i++) {
		r = waitpid(daemon_pid, &status, WNOHANG);
		if (!r)
			sleep_ms(10);
	}
	if (!r) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, &status, 0);
		ck_abort_msg("the daemon did not stop on SIGTERM");
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the daemon's exit status is %#x (log: %s)", status, log_path);
	ck_assert_int_eq(access(sock_path, F_OK), -1);	/* socket removed */
	unlink(log_path);
	snprintf(log_path, sizeof(log_path), "%s/run", dir);
	rmdir(log_path);
	rmdir(dir);
}

static struct hvb_client *client(uint64_t features)
{
	struct hvb_client *c = NULL;

	ck_assert_int_eq(hvb_client_connect(sock_path, features, &c), 0);
	return c;
}

/* Guest RAM: a memfd of RAM_SIZE bytes, and this process's mapping. */
struct ram {
	int fd;
	uint8_t *p;
	uint64_t next;		/* the guest driver's page allocator */
};

static void ram_new(struct ram *r)
{
	r->fd = memfd_create("guest-ram", MFD_CLOEXEC);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_int_eq(ftruncate(r->fd, RAM_SIZE), 0);
	r->p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	ck_assert_ptr_ne(r->p, MAP_FAILED);
	r->next = RAM_SIZE / 2;
}

static void ram_free(struct ram *r)
{
	munmap(r->p, RAM_SIZE);
	close(r->fd);
}

/* The guest driver's pages: guest RAM's upper half, phys = offset. */
static int gpage_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	struct ram *r = priv;

	(void)node;
	if (r->next + PG > RAM_SIZE)
		return -ENOMEM;
	*pa = r->next;
	*va = r->p + r->next;
	memset(*va, 0, PG);
	r->next += PG;
	return 0;
}

static void gpage_free(void *priv, void *va, uint64_t pa)
{
	(void)priv;
	(void)va;
	(void)pa;	/* a bump allocator: the test is short */
}

static void gflush(void *priv, const void *va, size_t len)
{
	(void)priv;
	(void)va;
	(void)len;	/* the daemon reads the same coherent memory */
}

static void *gphys_map(void *priv, uint64_t pa, size_t len)
{
	struct ram *r = priv;

	return pa < RAM_SIZE && len <= RAM_SIZE - pa ? r->p + pa : NULL;
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	strcpy(sa.sun_path, sock_path);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

/* The daemon closes @s within 5 s (and sends nothing before).  A close
 * with bytes it did not read is a reset rather than an end of file. */
static bool closed_by_daemon(int s)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t n;
	char c;

	if (poll(&p, 1, 5000) != 1)
		return false;
	n = recv(s, &c, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void raw_negotiate(int s)
{
	struct hvb_msg *m = malloc(sizeof(*m));
	struct hvb_u64 f = { HVB_FEAT_REPLY_ACK };

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(hvb_send(s, HVB_REQ_GET_FEATURES, 0, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(hvb_recv(s, m), 0);
	ck_assert_int_eq(hvb_send(s, HVB_REQ_SET_FEATURES, HVB_F_NEED_REPLY, &f, sizeof(f), NULL,
				  0),
			 0);
	ck_assert_int_eq(hvb_recv(s, m), 0);
	ck_assert_uint_eq(m->hdr.flags & HVB_F_ERROR, 0);
	free(m);
}

START_TEST(test_negotiate)
{
	struct hvb_client *a, *b;

	daemon_start();
	a = client(HVB_FEAT_TRAP);
	ck_assert_uint_eq(hvb_client_features(a), FEAT);
	b = client(0);
	ck_assert_uint_eq(hvb_client_features(b), HVB_FEAT_REPLY_ACK);
	/* Not offered: IOTLB is not served yet. */
	ck_assert_int_eq(hvb_client_connect(sock_path, HVB_FEAT_IOTLB, &b), -EOPNOTSUPP);
	hvb_client_close(b);
	b = client(HVB_FEAT_STATE);
	ck_assert_uint_eq(hvb_client_features(b), HVB_FEAT_REPLY_ACK | HVB_FEAT_STATE);
	hvb_client_close(a);
	hvb_client_close(b);
	daemon_stop();
}
END_TEST

/* Sidecore mode: the daemon's thread serves a register page that this
 * process's driver uses as the guest's. */
START_TEST(test_sidecore_guest_driver)
{
	struct liommu_host_config hc = {
		.page_alloc = gpage_alloc, .page_free = gpage_free,
		.flush = gflush, .phys_map = gphys_map,
	};
	struct liommu_platform *plat;
	struct liommu_domain *dom;
	struct liommu_unit *unit;
	struct hvb_client *c;
	volatile uint8_t *regs;
	uint64_t id, cap, ecap;
	uint32_t gsts;
	struct ram r;
	int fd;

	daemon_start();
	ram_new(&r);
	hc.priv = &r;
	c = client(0);
	/* Memory first: applied to the instance created after it. */
	ck_assert_int_eq(hvb_client_mem_add(c, 0, RAM_SIZE, r.fd, 0), 0);
	ck_assert_int_eq(hvb_client_viommu_create(c, 0, 0, 0, 1, &id, &fd), 0);
	ck_assert_int_ge(fd, 0);
	regs = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne((void *)regs, MAP_FAILED);
	memcpy(&cap, (const void *)(regs + VTD_CAP_REG), 8);
	memcpy(&ecap, (const void *)(regs + VTD_ECAP_REG), 8);
	ck_assert_uint_eq(cap, QEMU_CAP);
	ck_assert_uint_eq(ecap, QEMU_ECAP);

	ck_assert_int_eq(liommu_platform_host_new(regs, &hc, &plat), 0);
	ck_assert_int_eq(liommu_unit_new(plat, NULL, &unit), 0);
	ck_assert_int_eq(liommu_domain_new(unit, &dom), 0);
	ck_assert_int_eq(liommu_domain_attach(dom, 0x18), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(unit), 0);
	memcpy(&gsts, (const void *)(regs + VTD_GSTS_REG), 4);
	ck_assert(gsts & VTD_GSTS_TES);
	ck_assert(gsts & VTD_GSTS_QIES);
	/* The same page through the protocol is not trap mode's: refused
	 * without the TRAP feature. */
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_CAP_REG, 8, &cap), -EOPNOTSUPP);

	ck_assert_int_eq(liommu_domain_detach(dom, 0x18), 0);
	liommu_domain_free(dom);
	liommu_unit_free(unit);
	liommu_platform_free(plat);
	munmap((void *)regs, PG);
	close(fd);
	ck_assert_int_eq(hvb_client_viommu_destroy(c, id), 0);
	hvb_client_close(c);
	ram_free(&r);
	daemon_stop();
}
END_TEST

/* One daemon's identity, to run two at once. */
struct dmn {
	char dir[64], sock[128], log[128];
	pid_t pid;
};

static void dmn_save(struct dmn *d)
{
	memcpy(d->dir, dir, sizeof(dir));
	memcpy(d->sock, sock_path, sizeof(sock_path));
	memcpy(d->log, log_path, sizeof(log_path));
	d->pid = daemon_pid;
}

static void dmn_load(const struct dmn *d)
{
	memcpy(dir, d->dir, sizeof(dir));
	memcpy(sock_path, d->sock, sizeof(sock_path));
	memcpy(log_path, d->log, sizeof(log_path));
	daemon_pid = d->pid;
}

/* A guest platform whose register page can move (migration). */
struct movable {
	struct ram *r;
	volatile uint8_t *regs;
};

static uint32_t mv_rd32(void *priv, uint32_t off)
{
	struct movable *mv = priv;

	return __atomic_load_n((volatile uint32_t *)(mv->regs + off), __ATOMIC_ACQUIRE);
}

static uint64_t mv_rd64(void *priv, uint32_t off)
{
	struct movable *mv = priv;

	return __atomic_load_n((volatile uint64_t *)(mv->regs + off), __ATOMIC_ACQUIRE);
}

static void mv_wr32(void *priv, uint32_t off, uint32_t v)
{
	struct movable *mv = priv;

	__atomic_store_n((volatile uint32_t *)(mv->regs + off), v, __ATOMIC_RELEASE);
}

static void mv_wr64(void *priv, uint32_t off, uint64_t v)
{
	struct movable *mv = priv;

	__atomic_store_n((volatile uint64_t *)(mv->regs + off), v, __ATOMIC_RELEASE);
}

static int mv_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	return gpage_alloc(((struct movable *)priv)->r, node, va, pa);
}

static void mv_free(void *priv, void *va, uint64_t pa)
{
	gpage_free(((struct movable *)priv)->r, va, pa);
}

static const struct liommu_platform_ops mv_ops = {
	.read32 = mv_rd32, .read64 = mv_rd64, .write32 = mv_wr32, .write64 = mv_wr64,
	.page_alloc = mv_alloc, .page_free = mv_free,
};

/*
 * Live migration between two daemons: a guest (libiommu's driver in this
 * process, over daemon 1's register page) is stopped, its unit's state
 * goes to daemon 2 (same guest RAM), and the guest goes on over daemon
 * 2's page: its queue continues (an invalidation completes), its tables
 * are there.
 */
START_TEST(test_migrate_between_daemons)
{
	static uint8_t blob[8192];
	static const uint32_t same[] = { VTD_GSTS_REG, VTD_RTADDR_REG, VTD_IQA_REG,
					 VTD_IQH_REG, VTD_IQT_REG, VTD_FECTL_REG };
	struct movable mv = { 0 };
	struct liommu_platform *plat;
	struct liommu_domain *dom;
	struct liommu_unit *unit;
	struct hvb_client *c1, *c2;
	volatile uint8_t *regs1, *regs2;
	uint64_t id1, id2;
	struct dmn d1, d2;
	unsigned int i;
	size_t got;
	struct ram r;
	int fd1, fd2;

	ram_new(&r);
	mv.r = &r;
	daemon_start();
	dmn_save(&d1);
	c1 = client(HVB_FEAT_STATE);
	ck_assert_int_eq(hvb_client_mem_add(c1, 0, RAM_SIZE, r.fd, 0), 0);
	ck_assert_int_eq(hvb_client_viommu_create(c1, 0, 0, 0, 1, &id1, &fd1), 0);
	regs1 = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd1, 0);
	ck_assert_ptr_ne((void *)regs1, MAP_FAILED);
	mv.regs = regs1;
	ck_assert_int_eq(liommu_platform_new(&mv_ops, &mv, &plat), 0);
	ck_assert_int_eq(liommu_unit_new(plat, NULL, &unit), 0);
	ck_assert_int_eq(liommu_domain_new(unit, &dom), 0);
	ck_assert_int_eq(liommu_domain_attach(dom, 0x18), 0);
	ck_assert_int_eq(liommu_unit_enable_translation(unit), 0);
	ck_assert_int_eq(liommu_domain_map(dom, 0x100000, 0x10000, PG, LIOMMU_PROT_RW), 0);

	/* Stop and copy. */
	ck_assert_int_eq(hvb_client_save_state(c1, id1, blob, 16, &got), -ENOSPC);
	ck_assert_int_eq(hvb_client_save_state(c1, id1, blob, sizeof(blob), &got), 0);
	daemon_start();
	dmn_save(&d2);
	c2 = client(HVB_FEAT_STATE);
	ck_assert_int_eq(hvb_client_mem_add(c2, 0, RAM_SIZE, r.fd, 0), 0);
	ck_assert_int_eq(hvb_client_viommu_create(c2, 0, 0, 0, 1, &id2, &fd2), 0);
	regs2 = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	ck_assert_ptr_ne((void *)regs2, MAP_FAILED);
	/* A blob that is not one is refused, the unit unchanged. */
	blob[0] ^= 1;
	ck_assert_int_eq(hvb_client_restore_state(c2, id2, blob, got), -EINVAL);
	blob[0] ^= 1;
	ck_assert_int_eq(hvb_client_restore_state(c2, id2 + 99, blob, got), -ENOENT);
	ck_assert_int_eq(hvb_client_restore_state(c2, id2, blob, got), 0);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		uint32_t a, b;

		memcpy(&a, (const void *)(regs1 + same[i]), 4);
		memcpy(&b, (const void *)(regs2 + same[i]), 4);
		ck_assert_msg(a == b, "register %#x: %#x at the source, %#x at the destination",
			      same[i], a, b);
	}
	/* The guest resumes on daemon 2. */
	mv.regs = regs2;
	ck_assert_int_eq(liommu_unit_invalidate_iotlb_all(unit), 0);
	ck_assert_int_eq(liommu_domain_map(dom, 0x200000, 0x11000, PG, LIOMMU_PROT_RW), 0);
	ck_assert_int_eq(liommu_domain_unmap(dom, 0x100000, PG), 0);
	ck_assert_int_eq(liommu_domain_unmap(dom, 0x200000, PG), 0);

	ck_assert_int_eq(liommu_domain_detach(dom, 0x18), 0);
	liommu_domain_free(dom);
	liommu_unit_free(unit);
	liommu_platform_free(plat);
	munmap((void *)regs1, PG);
	munmap((void *)regs2, PG);
	close(fd1);
	close(fd2);
	hvb_client_close(c1);
	hvb_client_close(c2);
	dmn_load(&d2);
	daemon_stop();
	dmn_load(&d1);
	daemon_stop();
	ram_free(&r);
}
END_TEST

START_TEST(test_trap_mmio)
{
	struct hvb_client *c;
	uint64_t id, v;
	int fd;

	daemon_start();
	c = client(HVB_FEAT_TRAP);
	ck_assert_int_eq(hvb_client_viommu_create(c, QEMU_CAP, QEMU_ECAP, 1, 0, &id, &fd), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_CAP_REG, 8, &v), 0);
	ck_assert_uint_eq(v, QEMU_CAP);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_ECAP_REG, 8, &v), 0);
	ck_assert_uint_eq(v, QEMU_ECAP);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_CAP_REG, 4, &v), 0);
	ck_assert_uint_eq(v, QEMU_CAP & 0xffffffffu);
	/* FECTL.IM is read-write: it resets to 1, clears and sets again. */
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_FECTL_REG, 4, &v), 0);
	ck_assert_uint_eq(v, VTD_FECTL_IM);
	ck_assert_int_eq(hvb_client_mmio_write(c, id, VTD_FECTL_REG, 4, 0), 0);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_FECTL_REG, 4, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(hvb_client_mmio_write(c, id, VTD_FECTL_REG, 4, VTD_FECTL_IM), 0);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_FECTL_REG, 4, &v), 0);
	ck_assert_uint_eq(v, VTD_FECTL_IM);
	/* Bad accesses. */
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_CAP_REG, 2, &v), -EINVAL);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, 0x1000, 4, &v), -EINVAL);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, 0xffc, 8, &v), -EINVAL);
	ck_assert_int_eq(hvb_client_mmio_write(c, id, 0x3a, 4, 0), -EINVAL);
	ck_assert_int_eq(hvb_client_mmio_read(c, id + 100, VTD_CAP_REG, 8, &v), -ENOENT);
	/* Still usable after refusals. */
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_CAP_REG, 8, &v), 0);
	hvb_client_close(c);
	daemon_stop();
}
END_TEST

/* An invalidation queue error is a fault event (VT-d 6.5.2.10): it
 * reaches the eventfd the client gave. */
START_TEST(test_fault_eventfd)
{
	struct pollfd p;
	struct hvb_client *c;
	uint64_t id, v, cnt, desc[2] = { 0xf, 0 };	/* type 15: reserved */
	struct ram r;
	int efd, i;

	daemon_start();
	ram_new(&r);
	c = client(HVB_FEAT_TRAP);
	ck_assert_int_eq(hvb_client_viommu_create(c, 0, 0, 1, 1, &id, NULL), 0);
	/* Memory added after the instance reaches it too. */
	ck_assert_int_eq(hvb_client_mem_add(c, 0, RAM_SIZE, r.fd, 0), 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(hvb_client_set_fault_fd(c, id, r.fd), -EINVAL);	/* not an eventfd */
	ck_assert_int_eq(hvb_client_set_fault_fd(c, id, efd), 0);
	ck_assert_int_eq(hvb_client_mmio_write(c, id, VTD_FECTL_REG, 4, 0), 0);
	ck_assert_int_eq(hvb_client_mmio_write(c, id, VTD_IQA_REG, 8, 0x10000), 0);
	ck_assert_int_eq(hvb_client_mmio_write(c, id, VTD_GCMD_REG, 4, VTD_GCMD_QIE), 0);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_GSTS_REG, 4, &v), 0);
		if (v & VTD_GSTS_QIES)
			break;
		sleep_ms(1);
	}
	ck_assert(v & VTD_GSTS_QIES);
	memcpy(r.p + 0x10000, desc, sizeof(desc));
	ck_assert_int_eq(hvb_client_mmio_write(c, id, VTD_IQT_REG, 8, 0x10), 0);
	ck_assert_int_eq(hvb_client_mmio_read(c, id, VTD_FSTS_REG, 4, &v), 0);
	ck_assert(v & VTD_FSTS_IQE);
	p = (struct pollfd){ .fd = efd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(read(efd, &cnt, sizeof(cnt)), sizeof(cnt));
	ck_assert_uint_eq(cnt, 1);
	close(efd);
	ck_assert_int_eq(hvb_client_mem_remove(c, 0, RAM_SIZE), 0);
	ck_assert_int_eq(hvb_client_mem_remove(c, 0, RAM_SIZE), -ENOENT);
	hvb_client_close(c);
	ram_free(&r);
	daemon_stop();
}
END_TEST

START_TEST(test_isolation)
{
	struct hvb_client *a, *b;
	uint64_t id, id2, v;
	int efd;

	daemon_start();
	a = client(HVB_FEAT_TRAP);
	b = client(HVB_FEAT_TRAP);
	ck_assert_int_eq(hvb_client_viommu_create(a, 0, 0, 1, 0, &id, NULL), 0);
	ck_assert_int_eq(hvb_client_viommu_create(b, 0, 0, 1, 0, &id2, NULL), 0);
	ck_assert_uint_ne(id, id2);	/* unique in the daemon */
	efd = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_eq(hvb_client_mmio_read(b, id, VTD_CAP_REG, 8, &v), -ENOENT);
	ck_assert_int_eq(hvb_client_mmio_write(b, id, VTD_FECTL_REG, 4, 0), -ENOENT);
	ck_assert_int_eq(hvb_client_device_attach(b, id, 0x18, 0, 0x10), -ENOENT);
	ck_assert_int_eq(hvb_client_set_fault_fd(b, id, efd), -ENOENT);
	ck_assert_int_eq(hvb_client_viommu_destroy(b, id), -ENOENT);
	/* A's instance is untouched. */
	ck_assert_int_eq(hvb_client_mmio_read(a, id, VTD_FECTL_REG, 4, &v), 0);
	ck_assert_uint_eq(v, VTD_FECTL_IM);
	ck_assert_int_eq(hvb_client_viommu_destroy(a, id), 0);
	ck_assert_int_eq(hvb_client_viommu_destroy(a, id), -ENOENT);
	close(efd);
	hvb_client_close(a);
	hvb_client_close(b);
	daemon_stop();
}
END_TEST

START_TEST(test_rejections)
{
	struct hvb_client *c, *plain;
	struct ram r;
	uint64_t id;

	daemon_start();
	ram_new(&r);
	c = client(HVB_FEAT_TRAP);
	/* Memory: alignment, size, the file's extent, overlap, removal. */
	ck_assert_int_eq(hvb_client_mem_add(c, 0x800, PG, r.fd, 0), -EINVAL);
	ck_assert_int_eq(hvb_client_mem_add(c, 0, 0, r.fd, 0), -EINVAL);
	ck_assert_int_eq(hvb_client_mem_add(c, 0, PG, r.fd, 0x10), -EINVAL);
	ck_assert_int_eq(hvb_client_mem_add(c, 0, RAM_SIZE * 2, r.fd, 0), -EINVAL);
	ck_assert_int_eq(hvb_client_mem_add(c, 0, RAM_SIZE, r.fd, 0), 0);
	ck_assert_int_eq(hvb_client_mem_add(c, RAM_SIZE - PG, PG, r.fd, 0), -EEXIST);
	ck_assert_int_eq(hvb_client_mem_remove(c, 0, PG), -ENOENT);
	/* Instances: mode, teardown, capability sets. */
	ck_assert_int_eq(hvb_client_viommu_create(c, 0, 0, 2, 0, &id, NULL), -EINVAL);
	ck_assert_int_eq(hvb_client_viommu_create(c, 0, 0, 1, 4, &id, NULL), -EINVAL);
	ck_assert_int_eq(hvb_client_viommu_create(c, QEMU_CAP ^ 1, QEMU_ECAP, 1, 0, &id, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(hvb_client_viommu_destroy(c, 12345), -ENOENT);
	plain = client(0);
	ck_assert_int_eq(hvb_client_viommu_create(plain, 0, 0, 1, 0, &id, NULL), -EOPNOTSUPP);
	hvb_client_close(plain);
	/* Devices. */
	ck_assert_int_eq(hvb_client_viommu_create(c, 0, 0, 0, 1, &id, NULL), 0);
	ck_assert_int_eq(hvb_client_device_attach(c, id + 1, 0x18, 0, 0x10), -ENOENT);
	ck_assert_int_eq(hvb_client_device_attach(c, id, 0x18, 1, 0x10), -EOPNOTSUPP);
	ck_assert_int_eq(hvb_client_device_attach(c, id, 0x18, 0, 0x10000), -EINVAL);
	ck_assert_int_eq(hvb_client_device_attach(c, id, 0x18, 0, 0x10), 0);
	ck_assert_int_eq(hvb_client_device_attach(c, id, 0x18, 0, 0x11), -EEXIST);
	ck_assert_int_eq(hvb_client_device_attach(c, id, 0x20, 0, 0x10), -EBUSY);
	ck_assert_int_eq(hvb_client_device_detach(c, id, 0x18, 0, 0x11), -ENOENT);
	ck_assert_int_eq(hvb_client_device_detach(c, id, 0x18, 0, 0x10), 0);
	ck_assert_int_eq(hvb_client_device_detach(c, id, 0x18, 0, 0x10), -ENOENT);
	ck_assert_int_eq(hvb_client_device_attach(c, id, 0x20, 0, 0x10), 0);
	/* Left attached: the close frees it (and the daemon's exit status
	 * under the sanitizers says nothing leaked). */
	hvb_client_close(c);
	/* The host handle is free again once its owner went away. */
	c = client(0);
	ck_assert_int_eq(hvb_client_viommu_create(c, 0, 0, 0, 0, &id, NULL), 0);
	ck_assert_int_eq(hvb_client_device_attach(c, id, 0x18, 0, 0x10), 0);
	hvb_client_close(c);
	ram_free(&r);
	daemon_stop();
}
END_TEST

/* Framing refusals and malformed peers: only that connection ends. */
START_TEST(test_malformed_closes_one)
{
	static const struct hvb_hdr garbage = { 0x77, 0xffff, 5000 };
	struct hvb_mem mem = { 0, PG, 0 };
	struct hvb_hdr h;
	struct hvb_client *a;
	uint64_t id, v;
	int s;

	daemon_start();
	a = client(HVB_FEAT_TRAP);
	ck_assert_int_eq(hvb_client_viommu_create(a, 0, 0, 1, 0, &id, NULL), 0);

	/* MEM_ADD without its descriptor: the framing refuses to send it. */
	s = raw_connect();
	raw_negotiate(s);
	ck_assert_int_eq(hvb_send(s, HVB_REQ_MEM_ADD, HVB_F_NEED_REPLY, &mem, sizeof(mem), NULL, 0),
			 -EPROTO);
	/* ... and the same bytes written by hand close the connection. */
	h = (struct hvb_hdr){ HVB_REQ_MEM_ADD, HVB_PROTO_VERSION | HVB_F_NEED_REPLY, sizeof(mem) };
	ck_assert_int_eq(send(s, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h));
	ck_assert_int_eq(send(s, &mem, sizeof(mem), MSG_NOSIGNAL), sizeof(mem));
	ck_assert(closed_by_daemon(s));
	close(s);

	/* Garbage. */
	s = raw_connect();
	ck_assert_int_eq(send(s, &garbage, sizeof(garbage), MSG_NOSIGNAL), sizeof(garbage));
	ck_assert(closed_by_daemon(s));
	close(s);

	/* A request before the features are negotiated. */
	s = raw_connect();
	ck_assert_int_eq(hvb_send(s, HVB_REQ_VIOMMU_DESTROY, HVB_F_NEED_REPLY, &id, sizeof(id),
				  NULL, 0),
			 0);
	ck_assert(closed_by_daemon(s));
	close(s);

	/* A reply sent to the daemon. */
	s = raw_connect();
	raw_negotiate(s);
	h = (struct hvb_hdr){ HVB_REQ_GET_FEATURES, HVB_PROTO_VERSION | HVB_F_REPLY, 8 };
	ck_assert_int_eq(hvb_send(s, HVB_REQ_GET_FEATURES, HVB_F_REPLY, &v, sizeof(v), NULL, 0),
			 0);
	ck_assert(closed_by_daemon(s));
	close(s);

	/* Half a header, then silence: closed by the daemon's timeout. */
	s = raw_connect();
	ck_assert_int_eq(send(s, &h, 6, MSG_NOSIGNAL), 6);
	ck_assert(closed_by_daemon(s));
	close(s);

	/* The well-behaved client kept working throughout. */
	ck_assert_int_eq(hvb_client_mmio_read(a, id, VTD_CAP_REG, 8, &v), 0);
	ck_assert_uint_eq(v, QEMU_CAP);
	hvb_client_close(a);
	daemon_stop();
}
END_TEST

/* A client whose daemon went away: -ENOTCONN, never a hang. */
START_TEST(test_daemon_gone)
{
	struct hvb_client *a;
	uint64_t id;

	daemon_start();
	a = client(0);
	ck_assert_int_eq(hvb_client_viommu_create(a, 0, 0, 0, 0, &id, NULL), 0);
	daemon_stop();	/* SIGTERM with a client connected: still exit 0 */
	ck_assert_int_eq(hvb_client_viommu_destroy(a, id), -ENOTCONN);
	ck_assert_int_eq(hvb_client_viommu_destroy(a, id), -ENOTCONN);
	hvb_client_close(a);
	ck_assert_int_eq(hvb_client_connect(sock_path, 0, &a), -ENOENT);
}
END_TEST

Suite *hvb_daemon_suite(void)
{
	Suite *s = suite_create("hvb_daemon");
	TCase *tc;

	tc = tcase_create("negotiation");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_negotiate);
	tcase_add_test(tc, test_daemon_gone);
	suite_add_tcase(s, tc);

	tc = tcase_create("register_access");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sidecore_guest_driver);
	tcase_add_test(tc, test_migrate_between_daemons);
	tcase_add_test(tc, test_trap_mmio);
	tcase_add_test(tc, test_fault_eventfd);
	suite_add_tcase(s, tc);

	tc = tcase_create("ownership_and_refusals");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_isolation);
	tcase_add_test(tc, test_rejections);
	tcase_add_test(tc, test_malformed_closes_one);
	suite_add_tcase(s, tc);
	return s;
}
