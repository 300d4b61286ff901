// SPDX-License-Identifier: MIT
/*
 * client.c - the hypervisor's side of the protocol (hvbind/client.h):
 * one connection, one request at a time, each waiting for its reply.
 * The framing and its checks are proto.c's (hvb_send(), hvb_recv());
 * this file only checks that a reply answers the request it follows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <hvbind/client.h>
#include <hvbind/proto.h>

struct hvb_client {
	int sock;
	uint64_t features;
	bool broken;		/* a bad reply or a lost peer: no more calls */
	struct hvb_msg msg;	/* the last reply (8 KiB: not on the stack) */
};

/* The connection cannot be trusted any more: every later call fails. */
static int broken(struct hvb_client *c, int err)
{
	unsigned int i;

	c->broken = true;
	for (i = 0; i < c->msg.nfds; i++)
		close(c->msg.fds[i]);
	c->msg.nfds = 0;
	return err;
}

/*
 * Send @request and receive its reply into c->msg.  @ack: the request is
 * answered by a status (sent with NEED_REPLY); otherwise by @rep_size
 * bytes.  Return: the daemon's status (0 or its negative errno) with
 * c->msg holding a successful reply's payload and descriptors; -EPROTO
 * or a transport error, after which the connection is broken.
 */
static int call(struct hvb_client *c, uint32_t request, const void *payload, uint32_t size,
		const int *fds, unsigned int nfds, bool ack)
{
	struct hvb_msg *m = &c->msg;
	struct hvb_status st;
	int ret;

	if (c->broken)
		return -ENOTCONN;
	ret = hvb_send(c->sock, request, ack ? HVB_F_NEED_REPLY : 0, payload, size, fds, nfds);
	if (ret == -EPROTO)
		return ret;	/* refused before anything was written */
	if (ret)
		return broken(c, ret == -EPIPE ? -ENOTCONN : ret);
	ret = hvb_recv(c->sock, m);
	if (ret)
		return broken(c, ret == -EPROTO ? -EPROTO : -ENOTCONN);
	/* Well formed (hvb_recv() checked that); does it answer us? */
	if (m->hdr.request != request || !(m->hdr.flags & HVB_F_REPLY))
		return broken(c, -EPROTO);
	if (m->hdr.flags & HVB_F_ERROR || ack) {
		memcpy(&st, m->payload, sizeof(st));
		if (m->hdr.flags & HVB_F_ERROR ? st.status >= 0 || st.status < -4095 :
						 st.status != 0)
			return broken(c, -EPROTO);
		return (int)st.status;
	}
	return 0;
}

int hvb_client_connect(const char *path, uint64_t features, struct hvb_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hvb_client *c;
	struct hvb_u64 f;
	int ret;

	if (!path || !out || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0) {
		ret = -errno;
		goto err_free;
	}
	if (connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = call(c, HVB_REQ_GET_FEATURES, NULL, 0, NULL, 0, false);
	if (ret)
		goto err_close;
	memcpy(&f, c->msg.payload, sizeof(f));
	features |= HVB_FEAT_REPLY_ACK;
	if ((f.v & features) != features) {
		ret = -EOPNOTSUPP;
		goto err_close;
	}
	f.v = features;
	ret = call(c, HVB_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0, true);
	if (ret)
		goto err_close;
	c->features = features;
	*out = c;
	return 0;

err_close:
	close(c->sock);
err_free:
	free(c);
	return ret;
}

void hvb_client_close(struct hvb_client *c)
{
	if (!c)
		return;
	close(c->sock);
	free(c);
}

uint64_t hvb_client_features(const struct hvb_client *c)
{
	return c->features;
}

int hvb_client_mem_add(struct hvb_client *c, uint64_t gpa, uint64_t size, int fd,
		       uint64_t offset)
{
	struct hvb_mem m = { gpa, size, offset };

	if (fd < 0)
		return -EINVAL;
	return call(c, HVB_REQ_MEM_ADD, &m, sizeof(m), &fd, 1, true);
}

int hvb_client_mem_remove(struct hvb_client *c, uint64_t gpa, uint64_t size)
{
	struct hvb_mem m = { gpa, size, 0 };

	return call(c, HVB_REQ_MEM_REMOVE, &m, sizeof(m), NULL, 0, true);
}

int hvb_client_viommu_create(struct hvb_client *c, uint64_t cap, uint64_t ecap, uint32_t mode,
			     uint32_t teardown, uint64_t *id, int *regs_fd)
{
	struct hvb_viommu req = { cap, ecap, mode, teardown };
	struct hvb_viommu_created rep;
	int ret;

	if (!id)
		return -EINVAL;
	ret = call(c, HVB_REQ_VIOMMU_CREATE, &req, sizeof(req), NULL, 0, false);
	if (ret)
		return ret;
	memcpy(&rep, c->msg.payload, sizeof(rep));
	/* SIDECORE mode answers with the register page, TRAP mode without. */
	if (c->msg.nfds != (mode == 0 ? 1u : 0u))
		return broken(c, -EPROTO);
	c->msg.nfds = 0;
	*id = rep.id;
	if (mode == 0 && regs_fd)
		*regs_fd = c->msg.fds[0];
	else if (mode == 0)
		close(c->msg.fds[0]);
	else if (regs_fd)
		*regs_fd = -1;
	return 0;
}

int hvb_client_viommu_destroy(struct hvb_client *c, uint64_t id)
{
	struct hvb_u64 v = { id };

	return call(c, HVB_REQ_VIOMMU_DESTROY, &v, sizeof(v), NULL, 0, true);
}

int hvb_client_device_attach(struct hvb_client *c, uint64_t id, uint16_t sid, uint16_t backend,
			     uint64_t handle)
{
	struct hvb_device d = { .id = id, .sid = sid, .backend = backend, .handle = handle };

	return call(c, HVB_REQ_DEVICE_ATTACH, &d, sizeof(d), NULL, 0, true);
}

int hvb_client_device_detach(struct hvb_client *c, uint64_t id, uint16_t sid, uint16_t backend,
			     uint64_t handle)
{
	struct hvb_device d = { .id = id, .sid = sid, .backend = backend, .handle = handle };

	return call(c, HVB_REQ_DEVICE_DETACH, &d, sizeof(d), NULL, 0, true);
}

int hvb_client_mmio_read(struct hvb_client *c, uint64_t id, uint32_t off, uint32_t size,
			 uint64_t *val)
{
	struct hvb_mmio m = { .id = id, .off = off, .size = size };
	int ret;

	if (!val)
		return -EINVAL;
	ret = call(c, HVB_REQ_MMIO_READ, &m, sizeof(m), NULL, 0, false);
	if (ret)
		return ret;
	memcpy(&m, c->msg.payload, sizeof(m));
	if (m.id != id || m.off != off || m.size != size)
		return broken(c, -EPROTO);
	*val = m.value;
	return 0;
}

int hvb_client_mmio_write(struct hvb_client *c, uint64_t id, uint32_t off, uint32_t size,
			  uint64_t val)
{
	struct hvb_mmio m = { .id = id, .off = off, .size = size, .value = val };

	return call(c, HVB_REQ_MMIO_WRITE, &m, sizeof(m), NULL, 0, true);
}

int hvb_client_set_fault_fd(struct hvb_client *c, uint64_t id, int eventfd)
{
	struct hvb_u64 v = { id };

	if (eventfd < 0)
		return -EINVAL;
	return call(c, HVB_REQ_SET_FAULT_FD, &v, sizeof(v), &eventfd, 1, true);
}

int hvb_client_save_state(struct hvb_client *c, uint64_t id, void *buf, size_t len,
			  size_t *got)
{
	struct hvb_u64 v = { id };
	int ret;

	if (!buf || !got)
		return -EINVAL;
	ret = call(c, HVB_REQ_SAVE_STATE, &v, sizeof(v), NULL, 0, false);
	if (ret)
		return ret;
	if (c->msg.hdr.size > len)
		return -ENOSPC;
	memcpy(buf, c->msg.payload, c->msg.hdr.size);
	*got = c->msg.hdr.size;
	return 0;
}

int hvb_client_restore_state(struct hvb_client *c, uint64_t id, const void *buf, size_t len)
{
	uint8_t msg[HVB_MAX_PAYLOAD];
	struct hvb_u64 v = { id };

	if (!buf || !len || len > sizeof(msg) - sizeof(v))
		return -EINVAL;
	memcpy(msg, &v, sizeof(v));
	memcpy(msg + sizeof(v), buf, len);
	return call(c, HVB_REQ_RESTORE_STATE, msg, (uint32_t)(sizeof(v) + len), NULL, 0, true);
}
