/* SPDX-License-Identifier: MIT */
/*
 * qtest.h - internals of the qemu platform (not installed).
 *
 * Three files implement liommu/qemu.h:
 *  - qtest.c: a line channel over a UNIX stream socket with bounded
 *    reads, the qtest request/reply client on top of it, and the QMP
 *    client (handshake, human-monitor-command, JSON string escaping);
 *  - platform-qemu.c: starting and stopping QEMU, the shared guest RAM,
 *    the page pool and the platform ops;
 *  - qemu-edu.c: PCI configuration space and the edu DMA engine.
 *
 * Everything QEMU sends is untrusted: a malformed, overlong or missing
 * reply gives -EIO (or -ETIMEDOUT) and marks the channel broken, because
 * a stream whose request/reply pairing is in doubt cannot be reused.
 */
#ifndef LIOMMU_QTEST_H
#define LIOMMU_QTEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <liommu/liommu.h>
#include <liommu/qemu.h>

/* Longest line accepted from QEMU; longer ones break the channel. */
#define LIOMMU_CHAN_MAX_LINE	(1u << 20)

/* A line-oriented, blocking-with-deadline channel on a stream socket. */
struct liommu__chan {
	int fd;			/* -1 when not connected */
	bool broken;		/* desynchronised or closed: refuse all I/O */
	unsigned int timeout_ms;	/* bound for each request's reply */
	char *buf;		/* received bytes */
	size_t len;		/* bytes in @buf */
	size_t cap;		/* allocated size of @buf */
	size_t consumed;	/* bytes of the line last returned */
};

void liommu__chan_init(struct liommu__chan *c, int fd, unsigned int timeout_ms);
void liommu__chan_close(struct liommu__chan *c);
/* Send all of @data (a complete request line).  Return 0, -EIO, -ETIMEDOUT. */
int liommu__chan_send(struct liommu__chan *c, const char *data, size_t len,
		      uint64_t deadline_ms);
/*
 * Receive one line (without its '\n', and without a trailing '\r') into
 * *@line, a NUL-terminated pointer valid until the next call.  Return 0,
 * -EIO (EOF, error, line over LIOMMU_CHAN_MAX_LINE or containing a NUL),
 * -ETIMEDOUT.
 */
int liommu__chan_recv_line(struct liommu__chan *c, uint64_t deadline_ms,
			   char **line);
/* Monotonic milliseconds. */
uint64_t liommu__qemu_now_ms(void);

/*
 * qtest: send @cmd (no newline), skip asynchronous "IRQ ..." lines and
 * return the reply after "OK" (possibly empty) in @reply, truncated to
 * @reply_len - 1 bytes.  Return 0 for OK, -EIO for FAIL or a broken
 * channel, -ETIMEDOUT.  Caller serialises.
 */
int liommu__qtest_cmd(struct liommu__chan *c, const char *cmd, char *reply,
		      size_t reply_len);
/* "readb/w/l/q ADDR" and parse the "OK 0x..." value. */
int liommu__qtest_read(struct liommu__chan *c, char width, uint64_t addr,
		       uint64_t *val);
/* "writeb/w/l/q ADDR VAL". */
int liommu__qtest_write(struct liommu__chan *c, char width, uint64_t addr,
			uint64_t val);
/* "inl/outl PORT [VAL]". */
int liommu__qtest_inl(struct liommu__chan *c, uint16_t port, uint32_t *val);
int liommu__qtest_outl(struct liommu__chan *c, uint16_t port, uint32_t val);

/* QMP: read the greeting and negotiate capabilities.  Return 0, -EIO,
 * -ETIMEDOUT. */
int liommu__qmp_handshake(struct liommu__chan *c);
/* QMP human-monitor-command; @cmd is escaped as a JSON string (bytes
 * above 0x7f pass through, so it should be UTF-8); *@out is malloc'd.
 * Return 0, -EIO (error reply, non-string or undecodable return),
 * -ETIMEDOUT, -ENOMEM. */
int liommu__qmp_hmp(struct liommu__chan *c, const char *cmd, char **out);

/*
 * JSON string helpers (RFC 8259 section 7).  _escape appends the quoted
 * form of @s to a malloc'd buffer; _unescape decodes the string literal
 * starting at *@p (which must point at its opening quote), advances *@p
 * past the closing quote and returns a malloc'd NUL-terminated UTF-8
 * copy.  Return 0, -EPROTO (malformed literal, raw control character,
 * lone surrogate, \u0000), -ENOMEM.
 */
int liommu__json_escape(const char *s, char **out);
int liommu__json_unescape(const char **p, char **out);
/*
 * Find the value of top-level member @key in the JSON object text @obj.
 * Return a pointer to the first character of the value, or NULL when
 * @obj is not an object, is malformed, or lacks @key.
 */
const char *liommu__json_member(const char *obj, const char *key);

/* ------------------------------------------------------------------ */
/* State shared by platform-qemu.c and qemu-edu.c                      */
/* ------------------------------------------------------------------ */

#define LIOMMU_QEMU_DMAR_BASE	0xfed90000ULL	/* q35's DMAR unit */
/* edu number i gets BAR0 (1 MiB) at LIOMMU_QEMU_EDU_BAR0 - i MiB: free
 * MMIO below the IOAPIC (0xfec00000), above q35's MMCONFIG window. */
#define LIOMMU_QEMU_EDU_BAR0	0xfea00000ULL
#define LIOMMU_QEMU_EDU_BAR_SIZE	0x100000ULL
/* LIOMMU_QEMU_MAX_EDU (liommu/qemu.h) edus at most. */
/* edu number i sits in slot LIOMMU_QEMU_EDU_SLOT0 + i of bus 0. */
#define LIOMMU_QEMU_EDU_SLOT0	1
#define LIOMMU_QEMU_PCI_ADDR	0xcf8
#define LIOMMU_QEMU_PCI_DATA	0xcfc

struct liommu_qemu {
	struct liommu_qemu_config cfg;	/* defaults filled in */
	pid_t pid;			/* QEMU, 0 once reaped */
	struct liommu_platform *plat;
	struct liommu_platform_ops ops;
	int stderr_fd;			/* memfd holding QEMU's stderr */
	unsigned int ntrace;		/* -trace patterns from cfg.trace */

	/* io_lock serialises every qtest exchange (and the two-step PCI
	 * configuration access) on @qt. */
	pthread_mutex_t io_lock;
	struct liommu__chan qt;

	/* qmp_lock serialises monitor commands on @qmp. */
	pthread_mutex_t qmp_lock;
	struct liommu__chan qmp;
	bool have_qmp;

	/* Guest RAM shared with QEMU: file offset = guest physical address. */
	uint8_t *ram;
	size_t ram_size;

	/* pool_lock protects the page pool bitmap. */
	pthread_mutex_t pool_lock;
	uint64_t pool_base;		/* physical */
	size_t pool_pages;
	unsigned long *pool_map;	/* 1 = allocated */

	/* edus (cfg.edu_count of them, in slot order): found at start;
	 * edu_lock serialises DMA commands of all of them, so that a new
	 * fault record is that of the one DMA in flight. */
	pthread_mutex_t edu_lock;
	struct {
		unsigned int devfn;
		uint64_t bar;
	} edu[LIOMMU_QEMU_MAX_EDU];
	uint64_t cap;			/* DMAR CAP read at start */
};

/* qemu-edu.c: find cfg.edu_count edus on bus 0, program each one's BAR0
 * and command register.
 * Return 0, -ENODEV (fewer edus than configured), -EIO, -ETIMEDOUT. */
int liommu__qemu_edu_setup(struct liommu_qemu *q);
/* PCI configuration read/write with io_lock held. */
int liommu__qemu_pci_read_locked(struct liommu_qemu *q, unsigned int devfn,
				 unsigned int reg, uint32_t *val);
int liommu__qemu_pci_write_locked(struct liommu_qemu *q, unsigned int devfn,
				  unsigned int reg, uint32_t val);

#endif /* LIOMMU_QTEST_H */
