// SPDX-License-Identifier: MIT
/*
 * server.c - viommu-sidecore's protocol server: one listening UNIX
 * socket, one poll() loop serving every client in turn, and per client
 * the state its requests build (hvbind/proto.h, docs/protocol.md).
 *
 * Per client: a memory table (each MEM_ADD's descriptor, kept open, so
 * every instance the client creates later gets the same guest RAM) and
 * its instances.  Instance ids are unique in the daemon, and a client
 * finds only its own: another client's id is -ENOENT, exactly like an id
 * that never existed.  A malformed message, or a message the protocol
 * does not allow at that point, ends that client's connection only, and
 * everything the client owned is freed: its instances leave the
 * sidecore, their devices are detached, descriptors closed.
 *
 * Backend 0 of DEVICE_ATTACH is a host domain on a simulated platform
 * inside the daemon (liommu/sim.h): the handle is the host source-id,
 * and the shadow's host-physical address of a guest page is its
 * guest-physical address.  It makes the whole shadow path run without
 * host hardware; VFIO and iommufd backends are issue 13's.
 *
 * Threading: everything here runs in the server thread, except
 * fault_event(), which the engine calls in the sidecore thread
 * (SIDECORE instances) and which takes only the instance's fault_lock.
 * A client that stalls mid-message is bounded by the socket timeouts
 * (CLIENT_TIMEOUT_S), after which its connection is closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <hvbind/proto.h>
#include <liommu/liommu.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>
#include <liommu/vtd.h>

#include "daemon.h"

/* Bounds on what one client can make the daemon hold. */
#define MAX_CLIENTS		64
#define MAX_MEM_RANGES		64	/* per client */
#define MAX_INSTANCES		16	/* per client */
#define MAX_DEVICES		32	/* per instance */
#define CLIENT_TIMEOUT_S	2	/* a message must arrive (be taken) this fast */

#define PG			4096ull
#define FEATURES_OFFERED	(HVB_FEAT_REPLY_ACK | HVB_FEAT_TRAP | HVB_FEAT_STATE)
#define SIM_MEM_SIZE		(16ull << 20)	/* the host sim's table memory */

/* A handler's verdict that the peer broke the protocol: close it. */
#define CLOSE_CLIENT		(-EPROTO)

struct mem_range {
	uint64_t gpa, size, offset;
	int fd;
};

struct device {
	uint16_t sid;
	uint64_t handle;		/* the host source-id (backend 0) */
	struct liommu_domain *dom;
};

struct instance {
	uint64_t id;
	uint32_t mode;
	struct liommu_viommu *v;
	struct device dev[MAX_DEVICES];
	unsigned int ndev;
	pthread_mutex_t fault_lock;	/* fault_fd, against fault_event() */
	int fault_fd;
};

struct client {
	int sock;
	unsigned int serial;		/* for the log */
	uint64_t features;
	bool offered;			/* GET_FEATURES answered */
	bool negotiated;		/* SET_FEATURES accepted */
	struct mem_range mem[MAX_MEM_RANGES];
	unsigned int nmem;
	struct instance *inst[MAX_INSTANCES];
	unsigned int ninst;
};

struct server {
	int lsock, sigfd;
	struct liommu_sidecore *sc;
	struct liommu_sim *sim;		/* backend 0's host */
	struct liommu_unit *hunit;
	struct client *cl[MAX_CLIENTS];
	unsigned int ncl;
	uint64_t next_id;
	unsigned int next_serial;
};

/* The instance's fault interrupt: count it on the client's eventfd. */
static void fault_event(void *priv, enum liommu_model_event ev, uint64_t addr, uint32_t data)
{
	struct instance *in = priv;
	uint64_t one = 1;

	(void)addr;
	(void)data;
	if (ev != LIOMMU_MODEL_EV_FAULT)
		return;
	pthread_mutex_lock(&in->fault_lock);
	/* A full counter (2^64 - 2 unread events) drops the event, as an
	 * MSI the guest never acknowledges would be lost too. */
	if (in->fault_fd >= 0 && write(in->fault_fd, &one, sizeof(one)) != sizeof(one)) {
		/* nothing to do: see above */
	}
	pthread_mutex_unlock(&in->fault_lock);
}

/* ---- devices ---- */

static int device_detach(struct server *s, struct instance *in, unsigned int i)
{
	struct device *d = &in->dev[i];
	int ret = liommu_viommu_detach(in->v, d->sid);

	liommu_domain_detach(d->dom, (uint16_t)d->handle);
	liommu_domain_free(d->dom);
	in->dev[i] = in->dev[--in->ndev];
	(void)s;
	return ret;
}

static bool handle_in_use(struct server *s, uint64_t handle)
{
	unsigned int i, j, k;

	for (i = 0; i < s->ncl; i++)
		for (j = 0; j < s->cl[i]->ninst; j++)
			for (k = 0; k < s->cl[i]->inst[j]->ndev; k++)
				if (s->cl[i]->inst[j]->dev[k].handle == handle)
					return true;
	return false;
}

/* ---- instances ---- */

static void instance_free(struct server *s, struct instance *in)
{
	if (in->mode == LIOMMU_VIOMMU_SIDECORE)
		liommu_sidecore_remove(s->sc, in->v);
	while (in->ndev)
		device_detach(s, in, in->ndev - 1);
	liommu_viommu_free(in->v);
	if (in->fault_fd >= 0)
		close(in->fault_fd);
	pthread_mutex_destroy(&in->fault_lock);
	free(in);
}

static struct instance *instance_find(struct client *c, uint64_t id, unsigned int *idx)
{
	unsigned int i;

	for (i = 0; i < c->ninst; i++) {
		if (c->inst[i]->id == id) {
			if (idx)
				*idx = i;
			return c->inst[i];
		}
	}
	return NULL;
}

/* ---- clients ---- */

static void client_free(struct server *s, struct client *c)
{
	unsigned int i;

	while (c->ninst)
		instance_free(s, c->inst[--c->ninst]);
	for (i = 0; i < c->nmem; i++)
		close(c->mem[i].fd);
	close(c->sock);
	free(c);
}

static void client_drop(struct server *s, unsigned int idx, const char *why)
{
	struct client *c = s->cl[idx];

	vsd_log("client %u: %s; closing (%u instances, %u memory ranges freed)", c->serial, why,
		c->ninst, c->nmem);
	client_free(s, c);
	s->cl[idx] = s->cl[--s->ncl];
}

/* ---- requests ---- */

/* A reply with a payload, filled by the handlers that have one. */
struct reply {
	const void *payload;
	uint32_t size;
	int fd;			/* -1: none */
	bool close_fd;		/* @fd is the reply's own, closed once sent */
	union {
		struct hvb_u64 u64;
		struct hvb_viommu_created created;
		struct hvb_mmio mmio;
		uint8_t state[LIOMMU_VIOMMU_STATE_SIZE];
	} u;
};

static int req_get_features(struct client *c, struct reply *r)
{
	c->offered = true;
	r->u.u64.v = FEATURES_OFFERED;
	r->payload = &r->u.u64;
	r->size = sizeof(r->u.u64);
	return 0;
}

static int req_set_features(struct client *c, const struct hvb_msg *m)
{
	struct hvb_u64 f;

	memcpy(&f, m->payload, sizeof(f));
	if (!c->offered || c->negotiated)
		return CLOSE_CLIENT;	/* out of order: docs/protocol.md */
	if (f.v & ~FEATURES_OFFERED)
		return -EINVAL;
	c->features = f.v;
	c->negotiated = true;
	return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static int req_mem_add(struct client *c, struct hvb_msg *m)
{
	struct hvb_mem mem;
	struct stat st;
	unsigned int i, j;
	int ret;

	memcpy(&mem, m->payload, sizeof(mem));
	if (!mem.size || (mem.gpa | mem.size | mem.fd_offset) & (PG - 1) ||
	    mem.gpa + mem.size < mem.gpa || mem.fd_offset + mem.size < mem.fd_offset)
		return -EINVAL;
	/* The file must hold the range: a mapping past its end would
	 * SIGBUS the daemon on the first guest-table read. */
	if (fstat(m->fds[0], &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < mem.fd_offset + mem.size)
		return -EINVAL;
	for (i = 0; i < c->nmem; i++)
		if (ranges_overlap(mem.gpa, mem.size, c->mem[i].gpa, c->mem[i].size))
			return -EEXIST;
	if (c->nmem == MAX_MEM_RANGES)
		return -ENOSPC;
	for (i = 0; i < c->ninst; i++) {
		ret = liommu_viommu_mem_add_fd(c->inst[i]->v, mem.gpa, mem.size, m->fds[0],
					       mem.fd_offset, mem.gpa);
		if (ret) {
			for (j = 0; j < i; j++)
				liommu_viommu_mem_remove(c->inst[j]->v, mem.gpa, mem.size);
			return ret;
		}
	}
	c->mem[c->nmem++] = (struct mem_range){ mem.gpa, mem.size, mem.fd_offset, m->fds[0] };
	m->fds[0] = -1;	/* kept */
	return 0;
}

static int req_mem_remove(struct client *c, const struct hvb_msg *m)
{
	struct hvb_mem mem;
	unsigned int i, j;

	memcpy(&mem, m->payload, sizeof(mem));
	for (i = 0; i < c->nmem; i++)
		if (c->mem[i].gpa == mem.gpa && c->mem[i].size == mem.size)
			break;
	if (i == c->nmem)
		return -ENOENT;
	for (j = 0; j < c->ninst; j++)
		liommu_viommu_mem_remove(c->inst[j]->v, mem.gpa, mem.size);
	close(c->mem[i].fd);
	c->mem[i] = c->mem[--c->nmem];
	return 0;
}

static int req_viommu_create(struct server *s, struct client *c, const struct hvb_msg *m,
			     struct reply *r)
{
	static const enum liommu_dma_strategy teardowns[] = {
		LIOMMU_DMA_STRICT, LIOMMU_DMA_STRICT, LIOMMU_DMA_OPTIMISTIC, LIOMMU_DMA_DEFERRED,
	};
	struct liommu_viommu_config cfg;
	struct hvb_viommu req;
	struct instance *in;
	unsigned int i;
	int ret, fd = -1;	/* TRAP mode: no page to send */

	memcpy(&req, m->payload, sizeof(req));
	if (req.mode > LIOMMU_VIOMMU_TRAP || req.teardown > 3)
		return -EINVAL;
	if (req.mode == LIOMMU_VIOMMU_TRAP && !(c->features & HVB_FEAT_TRAP))
		return -EOPNOTSUPP;
	if (c->ninst == MAX_INSTANCES)
		return -ENOSPC;
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->fault_fd = -1;
	in->mode = req.mode;
	pthread_mutex_init(&in->fault_lock, NULL);
	liommu_viommu_config_default(&cfg);
	cfg.mode = (enum liommu_viommu_mode)req.mode;
	cfg.teardown = teardowns[req.teardown];
	cfg.event = fault_event;
	cfg.event_priv = in;
	ret = liommu_viommu_new(&cfg, &in->v);
	if (ret)
		goto err_free;
	/* Only the default capability set is built so far (the model is
	 * configured by fields, not by raw CAP/ECAP values). */
	r->u.created.cap = liommu_viommu_mmio_read(in->v, VTD_CAP_REG, 8);
	r->u.created.ecap = liommu_viommu_mmio_read(in->v, VTD_ECAP_REG, 8);
	if ((req.cap || req.ecap) &&
	    (req.cap != r->u.created.cap || req.ecap != r->u.created.ecap)) {
		ret = -EOPNOTSUPP;
		goto err_viommu;
	}
	for (i = 0; i < c->nmem; i++) {
		ret = liommu_viommu_mem_add_fd(in->v, c->mem[i].gpa, c->mem[i].size, c->mem[i].fd,
					       c->mem[i].offset, c->mem[i].gpa);
		if (ret)
			goto err_viommu;
	}
	if (req.mode == LIOMMU_VIOMMU_SIDECORE) {
		ret = liommu_sidecore_add(s->sc, in->v);
		if (ret)
			goto err_viommu;
		fd = liommu_viommu_regs_fd(in->v);
	}
	in->id = ++s->next_id;
	c->inst[c->ninst++] = in;
	r->u.created.id = in->id;
	r->payload = &r->u.created;
	r->size = sizeof(r->u.created);
	r->fd = fd;
	vsd_log("client %u: instance %llu created (%s)", c->serial, (unsigned long long)in->id,
		req.mode ? "trap" : "sidecore");
	return 0;

err_viommu:
	liommu_viommu_free(in->v);
err_free:
	pthread_mutex_destroy(&in->fault_lock);
	free(in);
	return ret;
}

static int req_viommu_destroy(struct server *s, struct client *c, const struct hvb_msg *m)
{
	struct hvb_u64 id;
	struct instance *in;
	unsigned int i;

	memcpy(&id, m->payload, sizeof(id));
	in = instance_find(c, id.v, &i);
	if (!in)
		return -ENOENT;
	c->inst[i] = c->inst[--c->ninst];
	instance_free(s, in);
	return 0;
}

static int req_device(struct server *s, struct client *c, const struct hvb_msg *m, bool attach)
{
	struct hvb_device d;
	struct instance *in;
	struct device *dev;
	unsigned int i;
	int ret;

	memcpy(&d, m->payload, sizeof(d));
	in = instance_find(c, d.id, NULL);
	if (!in)
		return -ENOENT;
	if (d.reserved)
		return -EINVAL;
	for (i = 0; i < in->ndev; i++)
		if (in->dev[i].sid == d.sid)
			break;
	if (!attach) {
		if (i == in->ndev || in->dev[i].handle != d.handle || d.backend)
			return -ENOENT;
		return device_detach(s, in, i);
	}
	if (d.backend)
		return -EOPNOTSUPP;	/* VFIO and iommufd: issue 13 */
	if (i < in->ndev)
		return -EEXIST;
	if (d.handle > UINT16_MAX)
		return -EINVAL;
	if (in->ndev == MAX_DEVICES)
		return -ENOSPC;
	if (handle_in_use(s, d.handle))
		return -EBUSY;
	dev = &in->dev[in->ndev];
	ret = liommu_domain_new(s->hunit, &dev->dom);
	if (ret)
		return ret;
	ret = liommu_domain_attach(dev->dom, (uint16_t)d.handle);
	if (ret)
		goto err_dom;
	ret = liommu_viommu_attach(in->v, d.sid, dev->dom);
	if (ret)
		goto err_detach;
	dev->sid = d.sid;
	dev->handle = d.handle;
	in->ndev++;
	return 0;

err_detach:
	liommu_domain_detach(dev->dom, (uint16_t)d.handle);
err_dom:
	liommu_domain_free(dev->dom);
	return ret;
}

static int mmio_check(struct client *c, const struct hvb_mmio *mm, struct instance **in)
{
	*in = instance_find(c, mm->id, NULL);
	if (!*in)
		return -ENOENT;
	if (!(c->features & HVB_FEAT_TRAP))
		return -EOPNOTSUPP;
	if ((mm->size != 4 && mm->size != 8) || mm->off % mm->size ||
	    mm->off > VTD_REG_WINDOW_SIZE - mm->size)
		return -EINVAL;
	return 0;
}

static int req_mmio_read(struct client *c, const struct hvb_msg *m, struct reply *r)
{
	struct instance *in;
	int ret;

	memcpy(&r->u.mmio, m->payload, sizeof(r->u.mmio));
	ret = mmio_check(c, &r->u.mmio, &in);
	if (ret)
		return ret;
	r->u.mmio.value = liommu_viommu_mmio_read(in->v, r->u.mmio.off, r->u.mmio.size);
	r->payload = &r->u.mmio;
	r->size = sizeof(r->u.mmio);
	return 0;
}

static int req_mmio_write(struct client *c, const struct hvb_msg *m)
{
	struct hvb_mmio mm;
	struct instance *in;
	int ret;

	memcpy(&mm, m->payload, sizeof(mm));
	ret = mmio_check(c, &mm, &in);
	if (ret)
		return ret;
	liommu_viommu_mmio_write(in->v, mm.off, mm.size, mm.value);
	return 0;
}

static bool is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:[eventfd]");
}

static int req_set_fault_fd(struct client *c, struct hvb_msg *m)
{
	struct hvb_u64 id;
	struct instance *in;
	int old;

	memcpy(&id, m->payload, sizeof(id));
	in = instance_find(c, id.v, NULL);
	if (!in)
		return -ENOENT;
	if (!is_eventfd(m->fds[0]))
		return -EINVAL;
	pthread_mutex_lock(&in->fault_lock);
	old = in->fault_fd;
	in->fault_fd = m->fds[0];
	pthread_mutex_unlock(&in->fault_lock);
	m->fds[0] = -1;	/* kept */
	if (old >= 0)
		close(old);
	return 0;
}

/*
 * Live migration (docs/viommu.md, "Live migration"): the instance's
 * guest-visible state as the engine's blob.  A SIDECORE instance leaves
 * the sidecore for the copy (which forwards what the guest wrote) and
 * comes back after it; the guest is expected to be stopped.
 */
static int state_op(struct server *s, struct instance *in, bool save, void *buf, size_t len)
{
	int ret, ret2 = 0;

	if (in->mode == LIOMMU_VIOMMU_SIDECORE)
		liommu_sidecore_remove(s->sc, in->v);
	ret = save ? liommu_viommu_save_state(in->v, buf, len)
		   : liommu_viommu_restore_state(in->v, buf, len);
	if (in->mode == LIOMMU_VIOMMU_SIDECORE)
		ret2 = liommu_sidecore_add(s->sc, in->v);
	return ret ? ret : ret2;
}

static int req_save_state(struct server *s, struct client *c, const struct hvb_msg *m,
			  struct reply *r)
{
	struct hvb_u64 id;
	struct instance *in;
	int ret;

	if (!(c->features & HVB_FEAT_STATE))
		return -EOPNOTSUPP;
	memcpy(&id, m->payload, sizeof(id));
	in = instance_find(c, id.v, NULL);
	if (!in)
		return -ENOENT;
	ret = state_op(s, in, true, r->u.state, sizeof(r->u.state));
	if (ret)
		return ret;
	r->payload = r->u.state;
	r->size = sizeof(r->u.state);
	return 0;
}

static int req_restore_state(struct server *s, struct client *c, const struct hvb_msg *m)
{
	struct hvb_u64 id;
	struct instance *in;

	if (!(c->features & HVB_FEAT_STATE))
		return -EOPNOTSUPP;
	if (m->hdr.size != sizeof(id) + LIOMMU_VIOMMU_STATE_SIZE)
		return -EINVAL;
	memcpy(&id, m->payload, sizeof(id));
	in = instance_find(c, id.v, NULL);
	if (!in)
		return -ENOENT;
	return state_op(s, in, false, (void *)(m->payload + sizeof(id)),
			LIOMMU_VIOMMU_STATE_SIZE);
}

/* Does @request answer with a payload of its own (not an ack)? */
static bool has_payload_reply(uint32_t request)
{
	switch (request) {
	case HVB_REQ_GET_FEATURES:
	case HVB_REQ_VIOMMU_CREATE:
	case HVB_REQ_MMIO_READ:
	case HVB_REQ_IOTLB:
	case HVB_REQ_GET_STATS:
	case HVB_REQ_SAVE_STATE:
		return true;
	default:
		return false;
	}
}

/* Serve one well-formed message.  Return: 0, or CLOSE_CLIENT / a send
 * error when the connection must end. */
static int serve(struct server *s, struct client *c, struct hvb_msg *m)
{
	struct reply r = { .fd = -1 };
	uint32_t req = m->hdr.request;
	struct hvb_status st;
	int ret;

	if (m->hdr.flags & HVB_F_REPLY)
		return CLOSE_CLIENT;	/* the daemon asks nothing it waits for */
	if (!c->negotiated && req != HVB_REQ_GET_FEATURES && req != HVB_REQ_SET_FEATURES)
		return CLOSE_CLIENT;	/* features first (docs/protocol.md) */
	switch (req) {
	case HVB_REQ_GET_FEATURES:
		ret = req_get_features(c, &r);
		break;
	case HVB_REQ_SET_FEATURES:
		ret = req_set_features(c, m);
		break;
	case HVB_REQ_MEM_ADD:
		ret = req_mem_add(c, m);
		break;
	case HVB_REQ_MEM_REMOVE:
		ret = req_mem_remove(c, m);
		break;
	case HVB_REQ_VIOMMU_CREATE:
		ret = req_viommu_create(s, c, m, &r);
		break;
	case HVB_REQ_VIOMMU_DESTROY:
		ret = req_viommu_destroy(s, c, m);
		break;
	case HVB_REQ_DEVICE_ATTACH:
	case HVB_REQ_DEVICE_DETACH:
		ret = req_device(s, c, m, req == HVB_REQ_DEVICE_ATTACH);
		break;
	case HVB_REQ_MMIO_READ:
		ret = req_mmio_read(c, m, &r);
		break;
	case HVB_REQ_MMIO_WRITE:
		ret = req_mmio_write(c, m);
		break;
	case HVB_REQ_SET_FAULT_FD:
		ret = req_set_fault_fd(c, m);
		break;
	case HVB_REQ_SAVE_STATE:
		ret = req_save_state(s, c, m, &r);
		break;
	case HVB_REQ_RESTORE_STATE:
		ret = req_restore_state(s, c, m);
		break;
	default:
		/* IOTLB and statistics: not served yet. */
		ret = -EOPNOTSUPP;
		break;
	}
	if (ret == CLOSE_CLIENT)
		return ret;
	if (ret) {
		st.status = ret;
		return hvb_send(c->sock, req, HVB_F_REPLY | HVB_F_ERROR, &st, sizeof(st), NULL, 0);
	}
	if (has_payload_reply(req)) {
		ret = hvb_send(c->sock, req, HVB_F_REPLY, r.payload, r.size, &r.fd,
			       r.fd >= 0 ? 1 : 0);
		if (r.close_fd)
			close(r.fd);
		return ret;
	}
	if (m->hdr.flags & HVB_F_NEED_REPLY) {
		st.status = 0;
		return hvb_send(c->sock, req, HVB_F_REPLY, &st, sizeof(st), NULL, 0);
	}
	return 0;
}

static void client_readable(struct server *s, unsigned int idx)
{
	struct client *c = s->cl[idx];
	static struct hvb_msg m;	/* one thread; 8 KiB */
	char why[96];
	unsigned int i;
	int ret;

	ret = hvb_recv(c->sock, &m);
	if (ret == -ENOTCONN) {
		client_drop(s, idx, "disconnected");
		return;
	}
	if (ret) {
		snprintf(why, sizeof(why), "receive failed (%s)", strerror(-ret));
		client_drop(s, idx, why);
		return;
	}
	ret = serve(s, c, &m);
	for (i = 0; i < m.nfds; i++)
		if (m.fds[i] >= 0)
			close(m.fds[i]);
	if (ret) {
		snprintf(why, sizeof(why), "%s %s (%s)",
			 ret == CLOSE_CLIENT ? "protocol violation in" : "reply failed for",
			 hvb_request_name(m.hdr.request), strerror(-ret));
		client_drop(s, idx, why);
	}
}

static void client_accept(struct server *s)
{
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd;

	fd = accept4(s->lsock, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			vsd_log("accept: %s", strerror(errno));
		return;
	}
	if (s->ncl == MAX_CLIENTS) {
		vsd_log("refusing a client: %u connected already", s->ncl);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	/* Bounded: a peer that stops mid-message cannot hold the loop. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->sock = fd;
	c->serial = ++s->next_serial;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		vsd_log("client %u: connected, pid %d uid %u gid %u", c->serial, (int)cred.pid,
			(unsigned int)cred.uid, (unsigned int)cred.gid);
	else
		vsd_log("client %u: connected, credentials unknown (%s)", c->serial,
			strerror(errno));
	s->cl[s->ncl++] = c;
}

/* ---- set-up and tear-down ---- */

static int make_parent(const char *path)
{
	char *dir = strdup(path), *slash;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			ret = -errno;
	}
	free(dir);
	return ret;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		vsd_log("%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	ret = make_parent(path);
	if (ret) {
		vsd_log("%s: cannot create its folder: %s", path, strerror(-ret));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket left by a daemon that died is replaced; one that answers
	 * belongs to a daemon that runs. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			vsd_log("%s: another daemon is listening", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		ret = -errno;
		vsd_log("%s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/* Backend 0's host: a sim unit with translation on, no domain yet. */
static int host_up(struct server *s)
{
	struct liommu_sim_config hc = { .mem_size = SIM_MEM_SIZE };
	int ret;

	ret = liommu_sim_new(&hc, &s->sim);
	if (ret)
		return ret;
	ret = liommu_unit_new(liommu_sim_platform(s->sim), NULL, &s->hunit);
	if (!ret)
		ret = liommu_unit_enable_translation(s->hunit);
	return ret;
}

int vsd_serve(const struct vsd_options *opt)
{
	struct liommu_sidecore_config scc;
	struct server s = { .lsock = -1, .sigfd = -1 };
	struct pollfd pfd[MAX_CLIENTS + 2];
	int ret, code = VSD_EXIT_ERROR;
	bool stop = false;
	unsigned int i, n;
	sigset_t sigs;

	/* Blocked before the sidecore thread exists, so that it inherits
	 * the mask and the signals arrive only through the signalfd. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigdelset(&sigs, SIGPIPE);
	s.sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (s.sigfd < 0) {
		vsd_log("signalfd: %s", strerror(errno));
		return VSD_EXIT_ERROR;
	}
	ret = host_up(&s);
	if (ret) {
		vsd_log("the simulated host (backend 0): %s", strerror(-ret));
		goto out;
	}
	liommu_sidecore_config_default(&scc);
	scc.cpu = opt->cpu;
	ret = liommu_sidecore_new(&scc, &s.sc);
	if (ret) {
		vsd_log("the sidecore thread (cpu %d): %s", opt->cpu, strerror(-ret));
		goto out;
	}
	s.lsock = listen_on(opt->socket);
	if (s.lsock < 0)
		goto out;
	vsd_log("listening on %s", opt->socket);

	while (!stop) {
		pfd[0] = (struct pollfd){ .fd = s.sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s.lsock, .events = POLLIN };
		for (i = 0; i < s.ncl; i++)
			pfd[2 + i] = (struct pollfd){ .fd = s.cl[i]->sock, .events = POLLIN };
		n = s.ncl;
		ret = poll(pfd, 2 + n, -1);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			vsd_log("poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(s.sigfd, &si, sizeof(si)) == sizeof(si))
				vsd_log("signal %u: stopping", si.ssi_signo);
			stop = true;
			break;
		}
		/* Back to front: dropping client i moves the last one into
		 * its slot, which was served already. */
		for (i = n; i-- > 0;)
			if (pfd[2 + i].revents & (POLLIN | POLLHUP | POLLERR))
				client_readable(&s, i);
		if (pfd[1].revents & POLLIN)
			client_accept(&s);
	}
	code = VSD_EXIT_OK;

out:
	if (s.lsock >= 0) {
		close(s.lsock);
		unlink(opt->socket);
	}
	while (s.ncl)
		client_drop(&s, s.ncl - 1, "daemon stopping");
	liommu_sidecore_free(s.sc);
	liommu_unit_free(s.hunit);
	liommu_sim_free(s.sim);
	close(s.sigfd);
	return code;
}
