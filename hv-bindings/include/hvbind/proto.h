/* SPDX-License-Identifier: MIT */
/*
 * hvbind/proto.h - the wire protocol between a hypervisor and the
 * viommu-sidecore daemon, and its framing (docs/protocol.md is the
 * narrative; this header is the reference).
 *
 * What it is for: a hypervisor hands the daemon its guest's RAM (file
 * descriptors), asks for an emulated VT-d unit (and gets the register
 * page back as a file descriptor to map into the guest), assigns devices
 * to it, forwards trapped register accesses, asks translations for its
 * emulated devices, and gets the guest's fault interrupts as an eventfd.
 *
 * Framing, in the style of vhost-user: every message is a 12-byte header
 * (request, flags, payload size; little-endian), then the payload, with
 * file descriptors as SCM_RIGHTS ancillary data on the first byte of the
 * header.  Requests go from the hypervisor (client) to the daemon
 * (server) and are answered in order, with the same request code and
 * HVB_F_REPLY set:
 *  - a request with a reply payload (listed below) always gets it, or,
 *    when it failed, a struct hvb_status with the negative errno and
 *    HVB_F_ERROR;
 *  - a request answered by "ack" gets a struct hvb_status (0, or a
 *    negative errno with HVB_F_ERROR) only when the client set
 *    HVB_F_NEED_REPLY (HVB_FEAT_REPLY_ACK), and no reply otherwise.
 * The first message is HVB_REQ_GET_FEATURES, then HVB_REQ_SET_FEATURES
 * with a subset of what was offered.  With HVB_FEAT_IOTLB the daemon
 * also sends HVB_REQ_IOTLB INVALIDATE messages of its own (no
 * HVB_F_REPLY), which are not answered.
 *
 * Everything a peer sends is checked before it is used
 * (hvb_msg_check()): version, reserved flag bits, a known request, the
 * payload size the request has, the number of descriptors it carries.  A
 * malformed message is -EPROTO and ends the connection: nothing of it is
 * acted on, and descriptors it carried are closed.
 *
 * Threading: the functions are reentrant; one connection's sends (and
 * receives) must be serialised by the caller.
 *
 * Errors: negative errno values; nothing aborts.
 */
#ifndef HVBIND_PROTO_H
#define HVBIND_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hvbind/export.h>

#ifdef __cplusplus
extern "C" {
#define HVB_STATIC_ASSERT(e, m)	static_assert(e, m)
#define HVB_ALIGNAS(n)		alignas(n)
#else
#define HVB_STATIC_ASSERT(e, m)	_Static_assert(e, m)
#define HVB_ALIGNAS(n)		_Alignas(n)
#endif

/* Protocol version carried in every header (flags bits 1:0). */
#define HVB_PROTO_VERSION	1u

/* Header flags. */
#define HVB_F_VERSION_MASK	0x3u
#define HVB_F_REPLY		(1u << 2)	/* this is a reply */
#define HVB_F_NEED_REPLY	(1u << 3)	/* reply-ack wanted (HVB_FEAT_REPLY_ACK) */
#define HVB_F_ERROR		(1u << 4)	/* reply: a struct hvb_status < 0 instead */
#define HVB_F_KNOWN		(HVB_F_VERSION_MASK | HVB_F_REPLY | HVB_F_NEED_REPLY | \
				 HVB_F_ERROR)

/* Limits: a payload larger than this, or more descriptors, is -EPROTO. */
#define HVB_MAX_PAYLOAD		8192u	/* a vIOMMU state blob is 4184 bytes */
#define HVB_MAX_FDS		8u

/* Features (HVB_REQ_GET_FEATURES / _SET_FEATURES). */
#define HVB_FEAT_REPLY_ACK	(1ull << 0)	/* HVB_F_NEED_REPLY honoured */
#define HVB_FEAT_TRAP		(1ull << 1)	/* trap-mode register access */
#define HVB_FEAT_IOTLB		(1ull << 2)	/* HVB_REQ_IOTLB for emulated devices */
#define HVB_FEAT_STATE		(1ull << 3)	/* save / restore */
#define HVB_FEAT_ALL		0xfull

/**
 * struct hvb_hdr - every message's first 12 bytes (little-endian).
 * @request: enum hvb_request.
 * @flags:   HVB_F_*; bits 1:0 are HVB_PROTO_VERSION, bits 31:5 are 0.
 * @size:    payload bytes that follow, at most HVB_MAX_PAYLOAD.
 */
struct hvb_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_hdr) == 12, "hvb_hdr is 12 bytes on the wire");

/* The requests; the payload each carries is listed with it (request /
 * reply), and the descriptors, when any. */
enum hvb_request {
	HVB_REQ_NONE = 0,
	HVB_REQ_GET_FEATURES = 1,	/* - / struct hvb_u64 (offered) */
	HVB_REQ_SET_FEATURES = 2,	/* struct hvb_u64 (a subset) / ack */
	HVB_REQ_MEM_ADD = 3,		/* struct hvb_mem + 1 fd (guest RAM) / ack */
	HVB_REQ_MEM_REMOVE = 4,		/* struct hvb_mem (no fd) / ack */
	HVB_REQ_VIOMMU_CREATE = 5,	/* struct hvb_viommu / struct hvb_viommu_created
					 * + the register page's memfd (SIDECORE mode;
					 * none in TRAP mode) */
	HVB_REQ_VIOMMU_DESTROY = 6,	/* struct hvb_u64 (id) / ack */
	HVB_REQ_DEVICE_ATTACH = 7,	/* struct hvb_device / ack */
	HVB_REQ_DEVICE_DETACH = 8,	/* struct hvb_device / ack */
	HVB_REQ_MMIO_READ = 9,		/* struct hvb_mmio / struct hvb_mmio (value) */
	HVB_REQ_MMIO_WRITE = 10,	/* struct hvb_mmio / ack */
	HVB_REQ_IOTLB = 11,		/* struct hvb_iotlb / struct hvb_iotlb */
	HVB_REQ_SET_FAULT_FD = 12,	/* struct hvb_u64 (id) + 1 eventfd / ack */
	HVB_REQ_GET_STATS = 13,		/* struct hvb_u64 (id) / variable, <= HVB_MAX_PAYLOAD */
	HVB_REQ_SAVE_STATE = 14,	/* struct hvb_u64 (id) / the state blob */
	HVB_REQ_RESTORE_STATE = 15,	/* struct hvb_u64 (id), then the blob / ack */
	HVB_REQ_NR
};

/* One 64-bit value (features, an instance id). */
struct hvb_u64 {
	uint64_t v;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_u64) == 8, "wire size");

/* The answer to a request that answers nothing else (reply-ack, and
 * every failed request): 0 or a negative errno. */
struct hvb_status {
	int64_t status;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_status) == 8, "wire size");

/**
 * struct hvb_mem - a range of guest RAM.
 * @gpa, @size:  guest-physical range, 4 KiB aligned, @size non-zero.
 * @fd_offset:   offset of @gpa's byte in the descriptor (MEM_ADD).
 */
struct hvb_mem {
	uint64_t gpa;
	uint64_t size;
	uint64_t fd_offset;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_mem) == 24, "wire size");

/**
 * struct hvb_viommu - create an emulated unit.
 * @cap, @ecap:  the capability registers wanted (0, 0: the daemon's
 *               default, QEMU 7.2's intel-iommu,caching-mode=on).
 * @mode:        0 = sidecore (the page is polled), 1 = trap.
 * @teardown:    1 strict, 2 optimistic, 3 deferred (liommu/dma.h).
 */
struct hvb_viommu {
	uint64_t cap;
	uint64_t ecap;
	uint32_t mode;
	uint32_t teardown;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_viommu) == 24, "wire size");

/* The reply to VIOMMU_CREATE; in SIDECORE mode the register page's memfd
 * rides along (TRAP mode has no page, and sends none). */
struct hvb_viommu_created {
	uint64_t id;
	uint64_t cap;
	uint64_t ecap;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_viommu_created) == 24, "wire size");

/**
 * struct hvb_device - an assigned device.
 * @id:      the instance.
 * @sid:     the guest's source-id (bus << 8 | devfn).
 * @backend: how the daemon reaches the host device (0 = the daemon's
 *           simulated host, others come with the host backends).
 * @handle:  the backend's name for the device (a host source-id, a VFIO
 *           device index).
 */
struct hvb_device {
	uint64_t id;
	uint16_t sid;
	uint16_t backend;
	uint32_t reserved;	/* 0 */
	uint64_t handle;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_device) == 24, "wire size");

/* A trapped register access: @size 4 or 8, @off inside the 4 KiB window. */
struct hvb_mmio {
	uint64_t id;
	uint32_t off;
	uint32_t size;
	uint64_t value;
};
HVB_STATIC_ASSERT(sizeof(struct hvb_mmio) == 24, "wire size");

/*
 * An IOTLB message for an emulated device, with vhost_iotlb_msg's
 * semantics: the client sends a MISS (translate @iova for @sid with
 * @perm), the daemon answers UPDATE (@iova .. @iova + @size -> guest
 * physical @gpa with @perm) or ACCESS_FAIL; the daemon may send
 * INVALIDATE on its own when the guest drops a translation the client
 * may cache.
 */
enum hvb_iotlb_type {
	HVB_IOTLB_MISS = 1,
	HVB_IOTLB_UPDATE = 2,
	HVB_IOTLB_INVALIDATE = 3,
	HVB_IOTLB_ACCESS_FAIL = 4,
};

struct hvb_iotlb {
	uint64_t id;
	uint64_t iova;
	uint64_t size;
	uint64_t gpa;
	uint16_t sid;
	uint8_t perm;		/* 1 read, 2 write, 3 both */
	uint8_t type;		/* enum hvb_iotlb_type */
	uint32_t reserved;	/* 0 */
};
HVB_STATIC_ASSERT(sizeof(struct hvb_iotlb) == 40, "wire size");

/**
 * struct hvb_msg - a received message.
 * @hdr:     the header, in host order.
 * @payload: @hdr.size bytes, 8-byte aligned so that it can be read as
 *           the wire structs above.
 * @fds:     @nfds descriptors that came with it (the receiver owns them).
 */
struct hvb_msg {
	struct hvb_hdr hdr;
	HVB_ALIGNAS(8) uint8_t payload[HVB_MAX_PAYLOAD];
	int fds[HVB_MAX_FDS];
	unsigned int nfds;
};

/**
 * hvb_request_name() - "GET_FEATURES", ...; NULL for an unknown code.
 * Context: any.
 */
HVB_EXPORT const char *hvb_request_name(uint32_t request);

/**
 * hvb_msg_check() - is this a well-formed message?
 * @hdr:  the header, host order.
 * @nfds: descriptors that came with it.
 *
 * Checks the version, that no reserved flag bit is set, that the request
 * is known, that the payload has the size this request (or its reply,
 * when HVB_F_REPLY is set) has on the wire (variable-size payloads: at
 * most HVB_MAX_PAYLOAD; a failed request's reply: struct hvb_status), and
 * that exactly the descriptors this message carries came with it.
 * Return: 0 or -EPROTO.  Context: any.
 */
HVB_EXPORT int hvb_msg_check(const struct hvb_hdr *hdr, unsigned int nfds);

/**
 * hvb_send() - send one message.
 * @sock:    a connected SOCK_STREAM UNIX socket.
 * @request, @flags: the header's (the version is added).
 * @payload, @size: the payload (may be NULL when @size is 0).
 * @fds, @nfds: descriptors to pass (SCM_RIGHTS); the caller keeps them.
 *
 * The message is checked first (hvb_msg_check()): a sender never puts a
 * malformed message on the wire.  Partial writes are continued; EINTR is
 * retried.
 * Return: 0; -EPROTO (malformed); sendmsg()'s -errno (-EPIPE: the peer
 * is gone).  Context: blocks until written.
 */
HVB_EXPORT int hvb_send(int sock, uint32_t request, uint32_t flags, const void *payload,
			uint32_t size, const int *fds, unsigned int nfds);

/**
 * hvb_recv() - receive one message.
 * @sock: as hvb_send().
 * @msg:  filled in; the caller owns @msg->fds and closes them.
 *
 * Reads the header (with any descriptors), checks it, then reads the
 * payload.  Descriptors are received close-on-exec.  On any error every
 * descriptor that arrived is closed, so a hostile peer cannot make the
 * receiver leak them.
 * Return: 0; -EPROTO (malformed, or the ancillary data was truncated);
 * -ECONNRESET (the peer closed mid-message; 0 bytes before the header is
 * -ENOTCONN: an orderly end); recvmsg()'s -errno.
 * Context: blocks until a whole message arrived.
 */
HVB_EXPORT int hvb_recv(int sock, struct hvb_msg *msg);

#ifdef __cplusplus
}
#endif

#endif /* HVBIND_PROTO_H */
