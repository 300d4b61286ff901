// SPDX-License-Identifier: MIT
/*
 * check-hvb-proto.c - the hypervisor protocol's framing (hvbind/proto.h):
 * every request and reply shape goes through a socket pair intact with
 * its descriptors; the sender refuses to put a malformed message on the
 * wire; the receiver refuses every malformed message a hostile peer can
 * write (version, reserved bits, unknown request, sizes, descriptor
 * counts, truncated ancillary data, a peer gone mid-message) with
 * -EPROTO or -ECONNRESET and closes every descriptor that came with it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <hvbind/proto.h>

Suite *hvb_proto_suite(void);

struct pair {
	int a, b;	/* a: the sender, b: the receiver */
};

static void pair_up(struct pair *p)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->a = sv[0];
	p->b = sv[1];
}

static void pair_down(struct pair *p)
{
	close(p->a);
	close(p->b);
}

/* Descriptors this process has open (the /proc/self/fd listing). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* Nothing waits on @fd. */
static bool empty(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* Raw bytes and descriptors, as a hostile peer writes them. */
static void raw_send(int sock, const struct hvb_hdr *h, const void *payload, size_t len,
		     const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)payload, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ck_assert_int_eq(sendmsg(sock, &mh, 0), (ssize_t)(sizeof(*h) + len));
}

/* The payload sizes, as the header documents them. */
struct shape {
	uint32_t req;
	uint32_t req_size, req_fds, rep_size, rep_fds;
};

static const struct shape shapes[] = {
	{ HVB_REQ_GET_FEATURES, 0, 0, 8, 0 },
	{ HVB_REQ_SET_FEATURES, 8, 0, 8, 0 },
	{ HVB_REQ_MEM_ADD, 24, 1, 8, 0 },
	{ HVB_REQ_MEM_REMOVE, 24, 0, 8, 0 },
	{ HVB_REQ_VIOMMU_CREATE, 24, 0, 24, 1 },
	{ HVB_REQ_VIOMMU_DESTROY, 8, 0, 8, 0 },
	{ HVB_REQ_DEVICE_ATTACH, 24, 0, 8, 0 },
	{ HVB_REQ_DEVICE_DETACH, 24, 0, 8, 0 },
	{ HVB_REQ_MMIO_READ, 24, 0, 24, 0 },
	{ HVB_REQ_MMIO_WRITE, 24, 0, 8, 0 },
	{ HVB_REQ_IOTLB, 40, 0, 40, 0 },
	{ HVB_REQ_SET_FAULT_FD, 8, 1, 8, 0 },
	{ HVB_REQ_GET_STATS, 8, 0, 100, 0 },
	{ HVB_REQ_SAVE_STATE, 8, 0, 4096, 0 },
	{ HVB_REQ_RESTORE_STATE, 300, 0, 8, 0 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* Every request and its reply, through the socket, with descriptors. */
START_TEST(test_round_trip)
{
	const struct shape *s = &shapes[_i / 2];
	bool reply = _i & 1;
	uint32_t size = reply ? s->rep_size : s->req_size;
	unsigned int nfds = reply ? s->rep_fds : s->req_fds, i;
	uint8_t payload[HVB_MAX_PAYLOAD];
	static struct hvb_msg m;
	int fds[2], before;
	struct pair p;
	struct stat st;

	pair_up(&p);
	for (i = 0; i < size; i++)
		payload[i] = (uint8_t)(i * 7 + s->req);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(hvb_send(p.a, s->req, reply ? HVB_F_REPLY : HVB_F_NEED_REPLY,
				  payload, size, fds, nfds),
			 0);
	before = open_fds();
	ck_assert_int_eq(hvb_recv(p.b, &m), 0);
	ck_assert_uint_eq(m.hdr.request, s->req);
	ck_assert_uint_eq(m.hdr.size, size);
	ck_assert_uint_eq(m.hdr.flags & HVB_F_VERSION_MASK, HVB_PROTO_VERSION);
	ck_assert_uint_eq(!!(m.hdr.flags & HVB_F_REPLY), reply);
	ck_assert_mem_eq(m.payload, payload, size);
	ck_assert_uint_eq(m.nfds, nfds);
	ck_assert_int_eq(open_fds(), before + (int)nfds);
	for (i = 0; i < m.nfds; i++) {
		struct stat want;

		/* The descriptor names the pipe that was sent. */
		ck_assert_int_eq(fstat(m.fds[i], &st), 0);
		ck_assert_int_eq(fstat(fds[0], &want), 0);
		ck_assert_uint_eq(st.st_ino, want.st_ino);
		ck_assert_int_eq(fcntl(m.fds[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		close(m.fds[i]);
	}
	ck_assert(empty(p.b));
	close(fds[0]);
	close(fds[1]);
	pair_down(&p);
}
END_TEST

/* Several messages back to back keep their boundaries and descriptors. */
START_TEST(test_stream_boundaries)
{
	static struct hvb_msg m;
	struct hvb_mem mem = { 0x1000, 0x2000, 0 };
	struct hvb_u64 id = { 7 };
	struct pair p;
	int fds[2];

	pair_up(&p);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_MEM_ADD, 0, &mem, sizeof(mem), fds, 1), 0);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_VIOMMU_DESTROY, 0, &id, sizeof(id), NULL, 0), 0);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_SET_FAULT_FD, 0, &id, sizeof(id), &fds[1], 1), 0);
	ck_assert_int_eq(hvb_recv(p.b, &m), 0);
	ck_assert_uint_eq(m.hdr.request, HVB_REQ_MEM_ADD);
	ck_assert_uint_eq(m.nfds, 1);
	close(m.fds[0]);
	ck_assert_int_eq(hvb_recv(p.b, &m), 0);
	ck_assert_uint_eq(m.hdr.request, HVB_REQ_VIOMMU_DESTROY);
	ck_assert_uint_eq(m.nfds, 0);
	ck_assert_int_eq(hvb_recv(p.b, &m), 0);
	ck_assert_uint_eq(m.hdr.request, HVB_REQ_SET_FAULT_FD);
	ck_assert_uint_eq(m.nfds, 1);
	close(m.fds[0]);
	close(fds[0]);
	close(fds[1]);
	pair_down(&p);
}
END_TEST

/* The sender never writes a malformed message. */
START_TEST(test_send_refuses)
{
	uint8_t buf[HVB_MAX_PAYLOAD + 1] = { 0 };
	struct pair p;
	int fds[2];

	pair_up(&p);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(hvb_send(p.a, 99, 0, NULL, 0, NULL, 0), -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_NONE, 0, NULL, 0, NULL, 0), -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_MEM_ADD, 0, buf, 24, NULL, 0), -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_MEM_REMOVE, 0, buf, 24, fds, 1), -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_MEM_REMOVE, 0, buf, 23, NULL, 0), -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_GET_STATS, HVB_F_REPLY, buf, HVB_MAX_PAYLOAD + 1,
				  NULL, 0),
			 -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_GET_FEATURES, 1u << 9, NULL, 0, NULL, 0), -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_SET_FEATURES, 0, NULL, 8, NULL, 0), -EPROTO);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_GET_FEATURES, HVB_F_ERROR, NULL, 0, NULL, 0),
			 -EPROTO);
	ck_assert(empty(p.b));
	/* VIOMMU_CREATE answers with the register page (SIDECORE) or with
	 * none (TRAP): one descriptor or none, never two. */
	{
		static struct hvb_msg m;

		ck_assert_int_eq(hvb_send(p.a, HVB_REQ_VIOMMU_CREATE, HVB_F_REPLY, buf, 24, fds, 2),
				 -EPROTO);
		ck_assert_int_eq(hvb_send(p.a, HVB_REQ_VIOMMU_CREATE, HVB_F_REPLY, buf, 24, NULL, 0),
				 0);
		ck_assert_int_eq(hvb_recv(p.b, &m), 0);
		ck_assert_uint_eq(m.nfds, 0);
	}
	/* A failed request's reply: a status, whatever its usual reply. */
	{
		struct hvb_status st = { -ENOENT };
		static struct hvb_msg m;

		ck_assert_int_eq(hvb_send(p.a, HVB_REQ_VIOMMU_CREATE, HVB_F_REPLY | HVB_F_ERROR,
					  &st, sizeof(st), NULL, 0),
				 0);
		ck_assert_int_eq(hvb_recv(p.b, &m), 0);
		ck_assert(m.hdr.flags & HVB_F_ERROR);
		ck_assert_int_eq(((struct hvb_status *)(void *)m.payload)->status, -ENOENT);
	}
	close(fds[0]);
	close(fds[1]);
	pair_down(&p);
}
END_TEST

/* What a hostile peer may write, and what the receiver says. */
struct bad {
	const char *what;
	struct hvb_hdr h;
	size_t len;		/* payload bytes actually written */
	unsigned int nfds;
};

static const struct bad bads[] = {
	{ "version 0", { HVB_REQ_GET_FEATURES, 0, 0 }, 0, 0 },
	{ "version 2", { HVB_REQ_GET_FEATURES, 2, 0 }, 0, 0 },
	{ "reserved flag bit", { HVB_REQ_GET_FEATURES, 1 | (1u << 31), 0 }, 0, 0 },
	{ "unknown request", { 1000, 1, 0 }, 0, 0 },
	{ "request 0", { HVB_REQ_NONE, 1, 0 }, 0, 0 },
	{ "payload over the limit", { HVB_REQ_RESTORE_STATE, 1, HVB_MAX_PAYLOAD + 1 }, 0, 0 },
	{ "short fixed payload", { HVB_REQ_MEM_REMOVE, 1, 16 }, 16, 0 },
	{ "long fixed payload", { HVB_REQ_MEM_REMOVE, 1, 32 }, 32, 0 },
	{ "descriptor where none belongs", { HVB_REQ_MEM_REMOVE, 1, 24 }, 24, 1 },
	{ "two descriptors where one belongs", { HVB_REQ_MEM_ADD, 1, 24 }, 24, 2 },
	{ "missing descriptor", { HVB_REQ_MEM_ADD, 1, 24 }, 24, 0 },
	{ "more descriptors than the limit", { HVB_REQ_MEM_ADD, 1, 24 }, 24, 12 },
	{ "ERROR on a request", { HVB_REQ_MMIO_READ, 1 | HVB_F_ERROR, 24 }, 24, 0 },
	{ "NEED_REPLY on a reply", { HVB_REQ_MMIO_READ, 1 | HVB_F_REPLY | HVB_F_NEED_REPLY, 24 },
	  24, 0 },
	{ "ERROR reply of the wrong size", { HVB_REQ_MMIO_READ, 1 | HVB_F_REPLY | HVB_F_ERROR, 24 },
	  24, 0 },
	{ "reply payload of the request's size", { HVB_REQ_VIOMMU_DESTROY, 1 | HVB_F_REPLY, 0 }, 0,
	  0 },
};
#define NBADS (sizeof(bads) / sizeof(bads[0]))

START_TEST(test_recv_refuses)
{
	const struct bad *b = &bads[_i];
	uint8_t payload[HVB_MAX_PAYLOAD] = { 0 };
	static struct hvb_msg m;
	int fds[12], before, i;
	struct pair p;

	pair_up(&p);
	for (i = 0; i < (int)b->nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	raw_send(p.a, &b->h, payload, b->len, fds, b->nfds);
	for (i = 0; i < (int)b->nfds; i++)
		close(fds[i]);
	before = open_fds();
	ck_assert_msg(hvb_recv(p.b, &m) == -EPROTO, "%s: not refused", b->what);
	ck_assert_uint_eq(m.nfds, 0);
	/* Nothing it carried is left open in the receiver. */
	ck_assert_msg(open_fds() == before, "%s: %d descriptors leaked", b->what,
		      open_fds() - before);
	pair_down(&p);
}
END_TEST

/* A peer gone before, inside and after a message. */
START_TEST(test_peer_gone)
{
	struct hvb_hdr h = { HVB_REQ_MEM_REMOVE, 1, 24 };
	static struct hvb_msg m;
	uint8_t half[12] = { 0 };
	struct pair p;

	pair_up(&p);
	close(p.a);
	ck_assert_int_eq(hvb_recv(p.b, &m), -ENOTCONN);
	close(p.b);

	pair_up(&p);
	ck_assert_int_eq(send(p.a, &h, 6, 0), 6);	/* half a header */
	close(p.a);
	ck_assert_int_eq(hvb_recv(p.b, &m), -ECONNRESET);
	close(p.b);

	pair_up(&p);
	raw_send(p.a, &h, half, sizeof(half), NULL, 0);	/* half a payload */
	close(p.a);
	ck_assert_int_eq(hvb_recv(p.b, &m), -ECONNRESET);
	close(p.b);

	/* Sending to a peer that is gone: -EPIPE, no SIGPIPE. */
	pair_up(&p);
	close(p.b);
	ck_assert_int_eq(hvb_send(p.a, HVB_REQ_GET_FEATURES, 0, NULL, 0, NULL, 0), -EPIPE);
	close(p.a);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(hvb_request_name(HVB_REQ_GET_FEATURES), "GET_FEATURES");
	ck_assert_str_eq(hvb_request_name(HVB_REQ_RESTORE_STATE), "RESTORE_STATE");
	ck_assert_ptr_null(hvb_request_name(HVB_REQ_NONE));
	ck_assert_ptr_null(hvb_request_name(HVB_REQ_NR));
}
END_TEST

Suite *hvb_proto_suite(void)
{
	Suite *s = suite_create("hvb_proto");
	TCase *tc;

	tc = tcase_create("every request and reply shape round-trips");
	tcase_add_loop_test(tc, test_round_trip, 0, 2 * NSHAPES);
	tcase_add_test(tc, test_stream_boundaries);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed messages are refused, nothing leaks");
	tcase_add_test(tc, test_send_refuses);
	tcase_add_loop_test(tc, test_recv_refuses, 0, NBADS);
	tcase_add_test(tc, test_peer_gone);
	suite_add_tcase(s, tc);
	return s;
}
