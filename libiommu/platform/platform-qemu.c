// SPDX-License-Identifier: MIT
/*
 * platform-qemu.c - the qemu platform: QEMU's VT-d model as the hardware.
 *
 * liommu_qemu_start() runs
 *
 *   qemu-system-x86_64 -accel tcg -machine q35 -nodefaults -display none
 *     -m RAM -smp CPUS -bios FW -icount shift=0,sleep=off
 *     -object memory-backend-file,id=ram,size=RAM,mem-path=DIR/ram,share=on
 *     -machine memory-backend=ram
 *     -device intel-iommu,intremap=on|off,aw-bits=39|48[,caching-mode=on]
 *     -device edu,addr=0x1 [-device edu,addr=0x2 ...]
 *     -qtest unix:DIR/qtest.sock -qtest-log none
 *     [-qmp unix:DIR/qmp.sock,server=on,wait=off]
 *
 * with DIR a private mkdtemp() directory (in /dev/shm when possible, so
 * guest RAM is tmpfs).  We listen on qtest.sock and QEMU connects to it:
 * a socket rather than "-qtest stdio" because QEMU prints diagnostics on
 * stdout too (a failed glib assertion writes "Bail out! ..." there), which
 * would corrupt a protocol carried on the same stream.
 * QEMU's stderr goes to a memfd that is logged when start-up fails.
 *
 * Debian's QEMU 7.2 has no qtest accelerator, so the CPU runs under TCG
 * (-accel tcg says so explicitly, and keeps a build that has one from
 * freezing the virtual clock, which there only qtest's clock_step moves).
 * FW is 64 KiB of 0xF4 (hlt): the CPU halts at the reset vector and no
 * firmware touches devices.  -icount shift=0,sleep=off lets the virtual
 * clock jump to the next timer deadline while the CPU is halted, so edu's
 * 100 ms DMA timer fires within about a millisecond of wall time.
 *
 * RAM is a file we create, size and mmap(MAP_SHARED) before QEMU opens it
 * with share=on: the file offset is the guest physical address (q35 puts
 * all RAM below 2 GiB contiguously at 0 for the sizes accepted here).
 * QEMU opens the firmware and RAM files and creates the QMP socket during
 * initialisation, which is complete once it answers the first qtest
 * command (it only reads commands from its main loop); all files and the
 * directory are unlinked at that point, so nothing is left behind even if
 * this process is killed later.  The child sets PR_SET_PDEATHSIG so QEMU
 * dies with the thread that started it.
 *
 * Guest physical memory layout (see liommu/qemu.h):
 *   [0, 1 MiB)           legacy area (ROM shadows, VGA hole): unused;
 *   [1 MiB, RAM / 2)     the caller's: DMA buffers of tests (data region);
 *   [RAM / 2, RAM)       page pool: page_alloc and liommu_qemu_alloc_pages.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <liommu/platform.h>
#include <liommu/vtd.h>

#include "qtest.h"

#ifdef QEMU_DEFAULT_BINARY
static const char qemu_default_binary[] = QEMU_DEFAULT_BINARY;
#else
static const char qemu_default_binary[] = "";
#endif

#define QEMU_FW_SIZE		(64 * 1024)
#define QEMU_FW_BYTE		0xf4	/* hlt */
#define QEMU_DEFAULT_RAM_MB	256u
#define QEMU_MIN_RAM_MB		32u
#define QEMU_MAX_RAM_MB		2048u	/* all of it below 2 GiB on q35 */
#define QEMU_DEFAULT_TIMEOUT_MS	10000u
#define QEMU_LEGACY_END		0x100000ULL
#define BITS_PER_LONG		(8 * sizeof(unsigned long))
/* The private directory's path fits a sockaddr_un with a file name. */
#define QEMU_DIR_MAX		108
#define QEMU_PATH_MAX		(QEMU_DIR_MAX + 16)
/* cfg.trace: at most this many patterns, each shorter than the length. */
#define QEMU_MAX_CPUS		8
#define QEMU_MAX_TRACE		8
#define QEMU_TRACE_LEN		64
/* liommu_qemu_stderr() returns at most this much per call. */
#define QEMU_STDERR_MAX		(4u << 20)

static void qlog(const struct liommu_qemu *q, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void qlog(const struct liommu_qemu *q, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!q->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	q->cfg.log(q->cfg.log_priv, level, msg);
}

/* Log what QEMU wrote on stderr (why it refused to start, usually). */
static void log_qemu_stderr(const struct liommu_qemu *q)
{
	char buf[1024];
	ssize_t n;

	if (q->stderr_fd < 0)
		return;
	n = pread(q->stderr_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	qlog(q, LOG_ERR, "qemu stderr: %s", buf);
}

/* ------------------------------------------------------------------ */
/* Start-up helpers                                                    */
/* ------------------------------------------------------------------ */

/* Resolve the binary to an absolute or relative path with a '/', so the
 * child can execv() it without searching (execvp is not async-signal
 * safe).  Return 0 or -ENOENT. */
static int find_qemu(const char *want, char *path, size_t len)
{
	const char *env, *p, *end;
	size_t n;

	if (!want || !*want) {
		env = getenv("LIOMMU_QEMU");
		want = (env && *env) ? env : qemu_default_binary;
		if (!*want || access(want, X_OK))
			want = "qemu-system-x86_64";
	}
	if (strchr(want, '/')) {
		if (strlen(want) >= len || access(want, X_OK))
			return -ENOENT;
		strcpy(path, want);
		return 0;
	}
	env = getenv("PATH");
	for (p = env ? env : "/usr/local/bin:/usr/bin:/bin"; *p; p = end + (*end == ':')) {
		end = strchrnul(p, ':');
		n = (size_t)(end - p);
		if (n == 0 || n + strlen(want) + 2 > len)
			continue;
		memcpy(path, p, n);
		path[n] = '/';
		strcpy(path + n + 1, want);
		if (!access(path, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* A private directory whose paths fit a sockaddr_un and contain no comma
 * (QEMU's option syntax would split on it). */
static int make_dir(char *dir, size_t len)
{
	const char *bases[] = { "/dev/shm", getenv("TMPDIR"), "/tmp" };
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!bases[i] || !*bases[i] || strchr(bases[i], ','))
			continue;
		if (stat(bases[i], &st) || !S_ISDIR(st.st_mode))
			continue;
		/* Longest entry is "/qtest.sock": keep room in sun_path. */
		if (strlen(bases[i]) + sizeof("/liommu-qemu-XXXXXX/qtest.sock") >
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			continue;
		snprintf(dir, len, "%s/liommu-qemu-XXXXXX", bases[i]);
		if (mkdtemp(dir))
			return 0;
	}
	return -EIO;
}

static int write_firmware(const char *path)
{
	unsigned char fw[QEMU_FW_SIZE];
	size_t off = 0;
	ssize_t n;
	int fd;

	memset(fw, QEMU_FW_BYTE, sizeof(fw));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < sizeof(fw)) {
		n = write(fd, fw + off, sizeof(fw) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -EIO;
		}
		off += (size_t)n;
	}
	return close(fd) ? -EIO : 0;
}

static int map_ram(struct liommu_qemu *q, const char *path)
{
	void *p;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)q->ram_size)) {
		close(fd);
		return -ENOMEM;
	}
	p = mmap(NULL, q->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -ENOMEM;
	q->ram = p;
	return 0;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Has QEMU exited?  Reaps it if so; @expected: we killed it. */
static bool qemu_exited(struct liommu_qemu *q, bool expected)
{
	int status;
	pid_t r;

	if (!q->pid)
		return true;
	r = waitpid(q->pid, &status, WNOHANG);
	if (r != q->pid && !(r < 0 && errno == ECHILD))
		return false;
	/* ECHILD: someone else reaped it (SIGCHLD ignored, say). */
	if (!expected && r == q->pid && WIFEXITED(status))
		qlog(q, LOG_ERR, "qemu exited with status %d", WEXITSTATUS(status));
	else if (!expected && r == q->pid && WIFSIGNALED(status))
		qlog(q, LOG_ERR, "qemu killed by signal %d", WTERMSIG(status));
	q->pid = 0;
	return true;
}

/* Accept QEMU's qtest connection, bounded by @deadline. */
static int accept_qemu(struct liommu_qemu *q, int lfd, uint64_t deadline)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -EIO;
		if (qemu_exited(q, false))
			return -EIO;
		if (liommu__qemu_now_ms() >= deadline)
			return -ETIMEDOUT;
		poll(&pfd, 1, 20);	/* short slices: notice an early exit */
	}
}

/* Connect to QEMU's QMP server socket; it exists once QEMU answered its
 * first qtest command, so a failure here is final. */
static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -EIO;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Kill QEMU and wait for it, at most the configured timeout. */
static void kill_qemu(struct liommu_qemu *q)
{
	uint64_t deadline;

	if (!q->pid)
		return;
	kill(q->pid, SIGKILL);
	deadline = liommu__qemu_now_ms() + q->cfg.timeout_ms;
	while (!qemu_exited(q, true)) {
		if (liommu__qemu_now_ms() >= deadline) {
			qlog(q, LOG_ERR, "qemu pid %d not reaped after SIGKILL", (int)q->pid);
			q->pid = 0;
			return;
		}
		usleep(1000);
	}
}

/*
 * fork + exec QEMU.  Between fork and exec the child only makes
 * async-signal-safe calls: this process may have other threads.
 */
static int spawn(struct liommu_qemu *q, const char *bin, char *const argv[])
{
	pid_t parent = getpid(), pid;
	sigset_t all;
	int devnull;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(devnull);
		return -errno;
	}
	if (pid == 0) {
		/* Die with the thread that started us, even on a crash. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(126);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
		    dup2(q->stderr_fd, 2) < 0)
			_exit(126);
		/* Leak none of this process's descriptors into QEMU. */
		syscall(SYS_close_range, 3u, ~0u, 0u);
		execv(bin, argv);
		_exit(127);
	}
	close(devnull);
	q->pid = pid;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Page pool                                                           */
/* ------------------------------------------------------------------ */

static bool pool_test(const struct liommu_qemu *q, size_t i)
{
	return q->pool_map[i / BITS_PER_LONG] & (1UL << (i % BITS_PER_LONG));
}

static void pool_set(struct liommu_qemu *q, size_t i, bool on)
{
	if (on)
		q->pool_map[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
	else
		q->pool_map[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
}

/* First fit: the lowest run of @n free pages.  Return its index or -1.
 * Full words are skipped whole, so a scan of the default 32768-page pool
 * costs at most 512 word tests when pages are taken one at a time. */
static long pool_find_locked(struct liommu_qemu *q, size_t n)
{
	size_t i = 0, run = 0;

	while (i < q->pool_pages) {
		if (i % BITS_PER_LONG == 0 && !run &&
		    q->pool_map[i / BITS_PER_LONG] == ~0UL) {
			i += BITS_PER_LONG;
			continue;
		}
		if (pool_test(q, i)) {
			run = 0;
		} else if (++run == n) {
			return (long)(i + 1 - n);
		}
		i++;
	}
	return -1;
}

int liommu_qemu_alloc_pages(struct liommu_qemu *q, unsigned int n, void **va,
			    uint64_t *pa)
{
	size_t i;
	long at;

	if (!q || !n || !va || !pa || n > q->pool_pages)
		return -EINVAL;
	pthread_mutex_lock(&q->pool_lock);
	at = pool_find_locked(q, n);
	if (at >= 0)
		for (i = 0; i < n; i++)
			pool_set(q, (size_t)at + i, true);
	pthread_mutex_unlock(&q->pool_lock);
	if (at < 0)
		return -ENOMEM;
	*pa = q->pool_base + (uint64_t)at * VTD_PAGE_SIZE;
	*va = q->ram + *pa;
	memset(*va, 0, (size_t)n * VTD_PAGE_SIZE);
	return 0;
}

int liommu_qemu_free_pages(struct liommu_qemu *q, uint64_t pa, unsigned int n)
{
	size_t first, i;
	int r = 0;

	if (!q || !n || pa < q->pool_base || (pa & (VTD_PAGE_SIZE - 1)))
		return -EINVAL;
	first = (size_t)((pa - q->pool_base) / VTD_PAGE_SIZE);
	if (first >= q->pool_pages || n > q->pool_pages - first)
		return -EINVAL;
	pthread_mutex_lock(&q->pool_lock);
	for (i = 0; i < n; i++)
		if (!pool_test(q, first + i))
			r = -EINVAL;	/* not allocated: a double free */
	if (!r)
		for (i = 0; i < n; i++)
			pool_set(q, first + i, false);
	pthread_mutex_unlock(&q->pool_lock);
	return r;
}

int liommu_qemu_data_region(const struct liommu_qemu *q, uint64_t *base,
			    uint64_t *size)
{
	if (!q || !base || !size)
		return -EINVAL;
	*base = QEMU_LEGACY_END;
	*size = q->pool_base - QEMU_LEGACY_END;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Platform ops                                                        */
/* ------------------------------------------------------------------ */

/* Registers beyond the window, or misaligned, read as all ones (a
 * master abort) without bothering QEMU. */
static bool reg_ok(uint32_t off, uint32_t size)
{
	return off <= VTD_REG_WINDOW_SIZE - size && !(off & (size - 1));
}

static uint64_t qemu_read(struct liommu_qemu *q, char width, uint32_t off,
			  uint32_t size)
{
	uint64_t v = ~0ULL;
	int r;

	if (!reg_ok(off, size))
		return v;
	pthread_mutex_lock(&q->io_lock);
	r = liommu__qtest_read(&q->qt, width, LIOMMU_QEMU_DMAR_BASE + off, &v);
	pthread_mutex_unlock(&q->io_lock);
	if (r) {
		qlog(q, LOG_ERR, "qtest read%c 0x%x: %s", width, off, strerror(-r));
		v = ~0ULL;
	}
	return v;
}

static void qemu_write(struct liommu_qemu *q, char width, uint32_t off,
		       uint32_t size, uint64_t val)
{
	int r;

	if (!reg_ok(off, size))
		return;
	pthread_mutex_lock(&q->io_lock);
	r = liommu__qtest_write(&q->qt, width, LIOMMU_QEMU_DMAR_BASE + off, val);
	pthread_mutex_unlock(&q->io_lock);
	if (r)
		qlog(q, LOG_ERR, "qtest write%c 0x%x: %s", width, off, strerror(-r));
}

static uint32_t qemu_read32(void *priv, uint32_t off)
{
	return (uint32_t)qemu_read(priv, 'l', off, 4);
}

static uint64_t qemu_read64(void *priv, uint32_t off)
{
	return qemu_read(priv, 'q', off, 8);
}

static void qemu_write32(void *priv, uint32_t off, uint32_t val)
{
	qemu_write(priv, 'l', off, 4, val);
}

static void qemu_write64(void *priv, uint32_t off, uint64_t val)
{
	qemu_write(priv, 'q', off, 8, val);
}

static int qemu_page_alloc(void *priv, int node, void **va, uint64_t *pa)
{
	return liommu_qemu_alloc_pages(priv, 1, va, pa);
}

static void qemu_page_free(void *priv, void *va, uint64_t pa)
{
	struct liommu_qemu *q = priv;

	if (va != q->ram + pa || liommu_qemu_free_pages(q, pa, 1))
		qlog(q, LOG_ERR, "page_free of a page not from the pool: pa 0x%llx",
		     (unsigned long long)pa);
}

/*
 * Nothing to write back: QEMU reads guest RAM from the same shared file
 * mapping, which the CPU keeps coherent between the two processes.  What
 * matters is only that our stores are not moved after the qtest command
 * that makes the unit look; that command is a send() system call, which
 * orders them on the CPU, and this compiler barrier makes the intent
 * explicit to the compiler.
 */
static void qemu_flush(void *priv, const void *va, size_t len)
{
	atomic_signal_fence(memory_order_seq_cst);
}

static void *qemu_phys_map(void *priv, uint64_t pa, size_t len)
{
	struct liommu_qemu *q = priv;

	if (len == 0 || pa >= q->ram_size || len > q->ram_size - pa)
		return NULL;
	return q->ram + pa;
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                      */
/* ------------------------------------------------------------------ */

static int check_config(const struct liommu_qemu_config *in,
			struct liommu_qemu_config *cfg)
{
	*cfg = in ? *in : (struct liommu_qemu_config){ 0 };
	if (!cfg->aw_bits)
		cfg->aw_bits = 48;
	if (!cfg->ram_mb)
		cfg->ram_mb = QEMU_DEFAULT_RAM_MB;
	if (!cfg->timeout_ms)
		cfg->timeout_ms = QEMU_DEFAULT_TIMEOUT_MS;
	if (cfg->aw_bits != 39 && cfg->aw_bits != 48)
		return -EINVAL;
	if (cfg->ram_mb < QEMU_MIN_RAM_MB || cfg->ram_mb > QEMU_MAX_RAM_MB)
		return -EINVAL;
	if (cfg->timeout_ms > INT_MAX)
		return -EINVAL;
	if (!cfg->cpus)
		cfg->cpus = 1;
	if (cfg->cpus > QEMU_MAX_CPUS)
		return -EINVAL;
	if (!cfg->edu_count)
		cfg->edu_count = 1;
	if (cfg->edu_count > LIOMMU_QEMU_MAX_EDU)
		return -EINVAL;
	return 0;
}

/*
 * "-trace PATTERN" for each comma-separated pattern of cfg.trace: QEMU's
 * trace events (Debian builds the "log" backend) then print on stderr,
 * which liommu_qemu_stderr() returns.  Patterns are event names with
 * optional '*' wildcards; anything else is refused rather than passed
 * to QEMU's option parser.
 */
static int split_trace(struct liommu_qemu *q, char trace[QEMU_MAX_TRACE][QEMU_TRACE_LEN])
{
	const char *p = q->cfg.trace;

	q->ntrace = 0;
	if (!p)
		return 0;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (!len || len >= QEMU_TRACE_LEN || q->ntrace == QEMU_MAX_TRACE)
			return -EINVAL;
		for (size_t i = 0; i < len; i++)
			if (!(p[i] == '_' || p[i] == '*' || (p[i] >= 'a' && p[i] <= 'z') ||
			      (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
				return -EINVAL;
		memcpy(trace[q->ntrace], p, len);
		trace[q->ntrace][len] = '\0';
		q->ntrace++;
		p += len;
		if (*p == ',' && !*++p)
			return -EINVAL;
	}
	return 0;
}

static void unlink_all(const char *dir)
{
	static const char *const names[] = { "fw.bin", "ram", "qtest.sock", "qmp.sock" };
	char path[QEMU_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int pool_init(struct liommu_qemu *q)
{
	size_t words;

	q->pool_base = (q->ram_size / 2) & VTD_PAGE_MASK;
	q->pool_pages = (q->ram_size - q->pool_base) / VTD_PAGE_SIZE;
	words = (q->pool_pages + BITS_PER_LONG - 1) / BITS_PER_LONG;
	q->pool_map = calloc(words, sizeof(unsigned long));
	return q->pool_map ? 0 : -ENOMEM;
}

/* Everything after QEMU is running: channels, files, edu, pool, platform. */
static int bring_up(struct liommu_qemu *q, int lfd, const char *dir, uint64_t deadline)
{
	char path[QEMU_PATH_MAX];
	uint64_t ver;
	int fd, r;

	fd = accept_qemu(q, lfd, deadline);
	if (fd < 0)
		return fd;
	liommu__chan_init(&q->qt, fd, q->cfg.timeout_ms);
	/* The first reply proves initialisation done: files opened, QMP
	 * listening, machine reset. */
	r = liommu__qtest_read(&q->qt, 'l', LIOMMU_QEMU_DMAR_BASE + VTD_VER_REG, &ver);
	if (r)
		return r;
	if (q->cfg.qmp) {
		snprintf(path, sizeof(path), "%s/qmp.sock", dir);
		fd = connect_unix(path);
		if (fd < 0)
			return -EIO;
		liommu__chan_init(&q->qmp, fd, q->cfg.timeout_ms);
		r = liommu__qmp_handshake(&q->qmp);
		if (r)
			return r;
		q->have_qmp = true;
	}
	unlink_all(dir);
	r = liommu__qtest_read(&q->qt, 'q', LIOMMU_QEMU_DMAR_BASE + VTD_CAP_REG, &q->cap);
	if (r)
		return r;
	r = liommu__qemu_edu_setup(q);
	if (r)
		return r;
	r = pool_init(q);
	if (r)
		return r;
	q->ops = (struct liommu_platform_ops){
		.read32 = qemu_read32,
		.read64 = qemu_read64,
		.write32 = qemu_write32,
		.write64 = qemu_write64,
		.page_alloc = qemu_page_alloc,
		.page_free = qemu_page_free,
		.flush = qemu_flush,
		.phys_map = qemu_phys_map,
		/* No destroy: @q owns the platform and liommu_qemu_stop()
		 * frees both. */
	};
	return liommu_platform_new(&q->ops, q, &q->plat);
}

int liommu_qemu_start(const struct liommu_qemu_config *cfg, struct liommu_qemu **out)
{
	char bin[PATH_MAX], dir[QEMU_DIR_MAX], fw[QEMU_PATH_MAX], ram[QEMU_PATH_MAX];
	char qt_sock[QEMU_PATH_MAX], qmp_sock[QEMU_PATH_MAX];
	char mem[QEMU_PATH_MAX + 96], iommu[128], mopt[32], qtarg[QEMU_PATH_MAX + 8];
	char smp[16], edu[LIOMMU_QEMU_MAX_EDU][24];
	char qmparg[QEMU_PATH_MAX + 32];
	char trace[QEMU_MAX_TRACE][QEMU_TRACE_LEN];
	const char *argv[40 + 2 * QEMU_MAX_TRACE + 2 * LIOMMU_QEMU_MAX_EDU];
	struct liommu_qemu *q;
	uint64_t deadline;
	int lfd = -1, r;
	unsigned int n = 0;

	if (!out)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->stderr_fd = -1;
	liommu__chan_init(&q->qt, -1, 0);
	liommu__chan_init(&q->qmp, -1, 0);
	pthread_mutex_init(&q->io_lock, NULL);
	pthread_mutex_init(&q->qmp_lock, NULL);
	pthread_mutex_init(&q->pool_lock, NULL);
	pthread_mutex_init(&q->edu_lock, NULL);
	r = check_config(cfg, &q->cfg);
	if (!r)
		r = split_trace(q, trace);
	if (r)
		goto err_free;
	r = find_qemu(q->cfg.qemu_path, bin, sizeof(bin));
	if (r) {
		qlog(q, LOG_ERR, "no QEMU binary found");
		goto err_free;
	}
	deadline = liommu__qemu_now_ms() + q->cfg.timeout_ms;
	q->ram_size = (size_t)q->cfg.ram_mb << 20;

	r = make_dir(dir, sizeof(dir));
	if (r)
		goto err_free;
	snprintf(fw, sizeof(fw), "%s/fw.bin", dir);
	snprintf(ram, sizeof(ram), "%s/ram", dir);
	snprintf(qt_sock, sizeof(qt_sock), "%s/qtest.sock", dir);
	snprintf(qmp_sock, sizeof(qmp_sock), "%s/qmp.sock", dir);
	r = write_firmware(fw);
	if (r)
		goto err_dir;
	r = map_ram(q, ram);
	if (r)
		goto err_dir;
	lfd = listen_unix(qt_sock);
	if (lfd < 0) {
		r = lfd;
		goto err_dir;
	}
	q->stderr_fd = memfd_create("liommu-qemu-stderr", MFD_CLOEXEC);
	if (q->stderr_fd < 0) {
		r = -errno;
		goto err_dir;
	}

	snprintf(mopt, sizeof(mopt), "%uM", q->cfg.ram_mb);
	snprintf(smp, sizeof(smp), "%u", q->cfg.cpus);
	snprintf(mem, sizeof(mem),
		 "memory-backend-file,id=ram,size=%uM,mem-path=%s,share=on",
		 q->cfg.ram_mb, ram);
	snprintf(iommu, sizeof(iommu), "intel-iommu,intremap=%s,aw-bits=%u%s",
		 q->cfg.intremap ? "on" : "off", q->cfg.aw_bits,
		 q->cfg.caching_mode ? ",caching-mode=on" : "");
	snprintf(qtarg, sizeof(qtarg), "unix:%s", qt_sock);
	snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", qmp_sock);
	argv[n++] = bin;
	argv[n++] = "-accel";
	argv[n++] = "tcg";
	argv[n++] = "-machine";
	argv[n++] = "q35";
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-m";
	argv[n++] = mopt;
	argv[n++] = "-smp";
	argv[n++] = smp;
	argv[n++] = "-bios";
	argv[n++] = fw;
	argv[n++] = "-icount";
	argv[n++] = "shift=0,sleep=off";
	argv[n++] = "-object";
	argv[n++] = mem;
	argv[n++] = "-machine";
	argv[n++] = "memory-backend=ram";
	argv[n++] = "-device";
	argv[n++] = iommu;
	/* Fixed slots, so that source-ids do not depend on QEMU's choice. */
	for (unsigned int i = 0; i < q->cfg.edu_count; i++) {
		snprintf(edu[i], sizeof(edu[i]), "edu,addr=0x%x", LIOMMU_QEMU_EDU_SLOT0 + i);
		argv[n++] = "-device";
		argv[n++] = edu[i];
	}
	argv[n++] = "-qtest";
	argv[n++] = qtarg;
	argv[n++] = "-qtest-log";
	argv[n++] = "none";
	if (q->cfg.qmp) {
		argv[n++] = "-qmp";
		argv[n++] = qmparg;
	}
	for (unsigned int i = 0; i < q->ntrace; i++) {
		argv[n++] = "-trace";
		argv[n++] = trace[i];
	}
	argv[n] = NULL;

	r = spawn(q, bin, (char *const *)argv);
	if (r)
		goto err_dir;
	r = bring_up(q, lfd, dir, deadline);
	if (r)
		goto err_kill;
	close(lfd);
	qlog(q, LOG_DEBUG, "qemu pid %d up: cap 0x%016llx, %u edu, first at 00:%02x.%x",
	     (int)q->pid, (unsigned long long)q->cap, q->cfg.edu_count,
	     q->edu[0].devfn >> 3, q->edu[0].devfn & 7);
	*out = q;
	return 0;

err_kill:
	if (r == -ETIMEDOUT)
		qlog(q, LOG_ERR, "qemu did not answer within %u ms", q->cfg.timeout_ms);
	kill_qemu(q);
	log_qemu_stderr(q);
err_dir:
	if (lfd >= 0)
		close(lfd);
	unlink_all(dir);
err_free:
	liommu_qemu_stop(q);
	return r;
}

void liommu_qemu_stop(struct liommu_qemu *q)
{
	if (!q)
		return;
	liommu_platform_free(q->plat);
	liommu__chan_close(&q->qt);
	liommu__chan_close(&q->qmp);
	kill_qemu(q);
	if (q->ram)
		munmap(q->ram, q->ram_size);
	if (q->stderr_fd >= 0)
		close(q->stderr_fd);
	free(q->pool_map);
	pthread_mutex_destroy(&q->io_lock);
	pthread_mutex_destroy(&q->qmp_lock);
	pthread_mutex_destroy(&q->pool_lock);
	pthread_mutex_destroy(&q->edu_lock);
	free(q);
}

struct liommu_platform *liommu_qemu_platform(struct liommu_qemu *q)
{
	return q->plat;
}

void *liommu_qemu_ram(struct liommu_qemu *q, size_t *size)
{
	if (size)
		*size = q->ram_size;
	return q->ram;
}

pid_t liommu_qemu_pid(const struct liommu_qemu *q)
{
	return q->pid;
}

int liommu_qemu_qtest(struct liommu_qemu *q, const char *cmd, char *reply,
		      size_t reply_len)
{
	int r;

	/* One line exactly: an embedded newline would desynchronise the
	 * stream, and QEMU 7.2 aborts on an empty command line. */
	if (!q || !cmd || !*cmd || strpbrk(cmd, "\r\n"))
		return -EINVAL;
	pthread_mutex_lock(&q->io_lock);
	r = liommu__qtest_cmd(&q->qt, cmd, reply, reply_len);
	pthread_mutex_unlock(&q->io_lock);
	return r;
}

int liommu_qemu_hmp(struct liommu_qemu *q, const char *cmd, char **out)
{
	int r;

	if (!q || !cmd || !out)
		return -EINVAL;
	*out = NULL;
	if (!q->have_qmp)
		return -ENOTCONN;
	pthread_mutex_lock(&q->qmp_lock);
	r = liommu__qmp_hmp(&q->qmp, cmd, out);
	pthread_mutex_unlock(&q->qmp_lock);
	return r;
}

int liommu_qemu_stderr(struct liommu_qemu *q, size_t from, char **out, size_t *end)
{
	struct stat st;
	size_t len;
	ssize_t n;
	char *buf;

	if (!q || !out)
		return -EINVAL;
	*out = NULL;
	if (q->stderr_fd < 0)
		return -EIO;
	if (fstat(q->stderr_fd, &st))
		return -errno;
	len = (size_t)st.st_size > from ? (size_t)st.st_size - from : 0;
	if (len > QEMU_STDERR_MAX)
		len = QEMU_STDERR_MAX;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	n = len ? pread(q->stderr_fd, buf, len, (off_t)from) : 0;
	if (n < 0) {
		free(buf);
		return -errno;
	}
	buf[n] = '\0';
	*out = buf;
	if (end)
		*end = from + (size_t)n;
	return 0;
}

/*
 * "info lapic APIC-ID" (QEMU 7.2 dump_apic_lapic()) prints the pending
 * vectors as a line "IRR\t <v> <v> ..." in decimal, or "IRR\t (none)";
 * the monitor ends lines with "\r\n".
 */
int liommu_qemu_lapic_irr(struct liommu_qemu *q, unsigned int apic_id, uint64_t irr[4])
{
	char cmd[32], *text = NULL, *line, *p;
	int r;

	if (!q || !irr)
		return -EINVAL;
	snprintf(cmd, sizeof(cmd), "info lapic %u", apic_id);
	r = liommu_qemu_hmp(q, cmd, &text);
	if (r)
		return r;
	memset(irr, 0, 4 * sizeof(irr[0]));
	r = -EIO;
	for (line = text; line && *line; line = p ? p + 1 : NULL) {
		p = strchr(line, '\n');
		if (strncmp(line, "IRR", 3) || (line[3] != '\t' && line[3] != ' '))
			continue;
		line += 4;
		r = 0;
		while (*line && *line != '\n' && !r) {
			char *e;
			unsigned long v;

			/* The monitor ends its lines with "\r\n". */
			while (*line == ' ' || *line == '\t' || *line == '\r')
				line++;
			if (!*line || *line == '\n' || !strncmp(line, "(none)", 6))
				break;
			v = strtoul(line, &e, 10);
			if (e == line || v > 255)
				r = -EIO;
			else
				irr[v / 64] |= 1ull << (v % 64);
			line = e;
		}
		break;
	}
	free(text);
	return r;
}
