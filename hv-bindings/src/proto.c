// SPDX-License-Identifier: MIT
/*
 * proto.c - the protocol's framing (hvbind/proto.h): which payload size
 * and how many descriptors each message has, and sending and receiving
 * one message over a UNIX stream socket with SCM_RIGHTS.  It owns no
 * state; what a request means is the daemon's and the client's.
 *
 * Byte order: the wire is little-endian and so are the machines this
 * library builds for (x86-64); the header is converted explicitly, so a
 * big-endian port only has to convert the payload structs as well.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <hvbind/proto.h>

#define VAR	UINT32_MAX	/* a variable-size payload, <= HVB_MAX_PAYLOAD */
#define ACK	(UINT32_MAX - 1)	/* answered by a struct hvb_status, on request */
#define FD01	0xffu		/* a descriptor or none (VIOMMU_CREATE: SIDECORE's page) */

/* What each request and its reply carry. */
struct shape {
	const char *name;
	uint32_t req_size;
	uint8_t req_fds;
	uint32_t rep_size;
	uint8_t rep_fds;
};

static const struct shape shapes[HVB_REQ_NR] = {
	[HVB_REQ_GET_FEATURES] = { "GET_FEATURES", 0, 0, sizeof(struct hvb_u64), 0 },
	[HVB_REQ_SET_FEATURES] = { "SET_FEATURES", sizeof(struct hvb_u64), 0, ACK, 0 },
	[HVB_REQ_MEM_ADD] = { "MEM_ADD", sizeof(struct hvb_mem), 1, ACK, 0 },
	[HVB_REQ_MEM_REMOVE] = { "MEM_REMOVE", sizeof(struct hvb_mem), 0, ACK, 0 },
	[HVB_REQ_VIOMMU_CREATE] = { "VIOMMU_CREATE", sizeof(struct hvb_viommu), 0,
				    sizeof(struct hvb_viommu_created), FD01 },
	[HVB_REQ_VIOMMU_DESTROY] = { "VIOMMU_DESTROY", sizeof(struct hvb_u64), 0, ACK, 0 },
	[HVB_REQ_DEVICE_ATTACH] = { "DEVICE_ATTACH", sizeof(struct hvb_device), 0, ACK, 0 },
	[HVB_REQ_DEVICE_DETACH] = { "DEVICE_DETACH", sizeof(struct hvb_device), 0, ACK, 0 },
	[HVB_REQ_MMIO_READ] = { "MMIO_READ", sizeof(struct hvb_mmio), 0, sizeof(struct hvb_mmio), 0 },
	[HVB_REQ_MMIO_WRITE] = { "MMIO_WRITE", sizeof(struct hvb_mmio), 0, ACK, 0 },
	[HVB_REQ_IOTLB] = { "IOTLB", sizeof(struct hvb_iotlb), 0, sizeof(struct hvb_iotlb), 0 },
	[HVB_REQ_SET_FAULT_FD] = { "SET_FAULT_FD", sizeof(struct hvb_u64), 1, ACK, 0 },
	[HVB_REQ_GET_STATS] = { "GET_STATS", sizeof(struct hvb_u64), 0, VAR, 0 },
	[HVB_REQ_SAVE_STATE] = { "SAVE_STATE", sizeof(struct hvb_u64), 0, VAR, 0 },
	[HVB_REQ_RESTORE_STATE] = { "RESTORE_STATE", VAR, 0, ACK, 0 },
};

const char *hvb_request_name(uint32_t request)
{
	if (request == HVB_REQ_NONE || request >= HVB_REQ_NR)
		return NULL;
	return shapes[request].name;
}

static bool size_ok(uint32_t want, uint32_t got)
{
	if (want == VAR)
		return got <= HVB_MAX_PAYLOAD;
	if (want == ACK)
		return got == sizeof(struct hvb_status);
	return got == want;
}

static bool fds_ok(uint8_t want, unsigned int got)
{
	return want == FD01 ? got <= 1 : got == want;
}

int hvb_msg_check(const struct hvb_hdr *hdr, unsigned int nfds)
{
	const struct shape *sh;
	bool reply = hdr->flags & HVB_F_REPLY;

	if ((hdr->flags & HVB_F_VERSION_MASK) != HVB_PROTO_VERSION || (hdr->flags & ~HVB_F_KNOWN))
		return -EPROTO;
	if (!hvb_request_name(hdr->request) || hdr->size > HVB_MAX_PAYLOAD || nfds > HVB_MAX_FDS)
		return -EPROTO;
	sh = &shapes[hdr->request];
	if (!reply) {
		/* ERROR is a reply's; an unsolicited IOTLB INVALIDATE is the
		 * one request the daemon sends, with a request's shape. */
		if (hdr->flags & HVB_F_ERROR)
			return -EPROTO;
		return size_ok(sh->req_size, hdr->size) && fds_ok(sh->req_fds, nfds) ? 0 : -EPROTO;
	}
	if (hdr->flags & HVB_F_NEED_REPLY)
		return -EPROTO;
	if (hdr->flags & HVB_F_ERROR)
		return hdr->size == sizeof(struct hvb_status) && !nfds ? 0 : -EPROTO;
	return size_ok(sh->rep_size, hdr->size) && fds_ok(sh->rep_fds, nfds) ? 0 : -EPROTO;
}

static void close_fds(const int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

int hvb_send(int sock, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
	     const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HVB_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct hvb_hdr h = { request, (flags & ~HVB_F_VERSION_MASK) | HVB_PROTO_VERSION, size };
	struct hvb_hdr wire = { htole32(h.request), htole32(h.flags), htole32(h.size) };
	struct iovec iov[2] = {
		{ &wire, sizeof(wire) },
		{ (void *)payload, size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	size_t left = sizeof(wire) + size;
	int ret = hvb_msg_check(&h, nfds);

	if (ret)
		return ret;
	if (size && !payload)
		return -EPROTO;
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
	while (left) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left -= (size_t)n;
		/* The descriptors went with the first byte. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (n > 0) {
			size_t take = (size_t)n < mh.msg_iov->iov_len ? (size_t)n : mh.msg_iov->iov_len;

			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + take;
			mh.msg_iov->iov_len -= take;
			n -= (ssize_t)take;
			if (!mh.msg_iov->iov_len && mh.msg_iovlen > 1) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* Read exactly @len bytes.  Return: 0, -ECONNRESET (EOF), -errno. */
static int read_full(int sock, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(sock, p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Take the SCM_RIGHTS descriptors of @mh into @msg.  Return: 0, or
 * -EPROTO for anything else in the ancillary data (all closed). */
static int take_fds(struct msghdr *mh, struct hvb_msg *msg)
{
	struct cmsghdr *c;
	int ret = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			ret = -EPROTO;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		while (n--) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + n * sizeof(int), sizeof(int));
			if (msg->nfds < HVB_MAX_FDS) {
				msg->fds[msg->nfds++] = fd;
			} else {
				close(fd);
				ret = -EPROTO;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		ret = -EPROTO;
	return ret;
}

int hvb_recv(int sock, struct hvb_msg *msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HVB_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct hvb_hdr wire;
	struct iovec iov = { &wire, sizeof(wire) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	int ret;

	msg->nfds = 0;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		return -ENOTCONN;
	ret = take_fds(&mh, msg);
	if (!ret && (size_t)n < sizeof(wire))
		ret = read_full(sock, (char *)&wire + n, sizeof(wire) - (size_t)n);
	if (ret)
		goto err;
	msg->hdr.request = le32toh(wire.request);
	msg->hdr.flags = le32toh(wire.flags);
	msg->hdr.size = le32toh(wire.size);
	ret = hvb_msg_check(&msg->hdr, msg->nfds);
	if (!ret && msg->hdr.size)
		ret = read_full(sock, msg->payload, msg->hdr.size);
	if (ret)
		goto err;
	return 0;

err:
	close_fds(msg->fds, msg->nfds);
	msg->nfds = 0;
	return ret;
}
