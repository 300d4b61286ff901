/* SPDX-License-Identifier: MIT */
/*
 * hvbind/client.h - the hypervisor's side of the viommu-sidecore
 * protocol (hvbind/proto.h, docs/protocol.md): one connection to the
 * daemon, and one call per request.
 *
 * What it is for: a hypervisor connects (the features are negotiated
 * then), hands the daemon its guest's RAM, creates emulated VT-d units
 * (and maps the register page it gets back into the guest), assigns
 * devices to them, forwards trapped register accesses and gives each
 * unit an eventfd for the guest's fault interrupt.
 *
 * Every call sends one request and waits for its reply: requests that
 * are answered by an ack are sent with HVB_F_NEED_REPLY, so the daemon's
 * errors always come back as the call's return value.  A reply that does
 * not answer the request (another request code, no HVB_F_REPLY, an ack
 * that says "error" with a non-negative status), or a malformed one, is
 * -EPROTO, and the connection is unusable from then on: every later call
 * returns -ENOTCONN.  So is a connection whose daemon went away.
 *
 * Threading: one connection's calls must be serialised by the caller
 * (a reply belongs to the request sent just before it); different
 * connections are independent.  Every call blocks until its reply has
 * arrived.
 *
 * Errors: negative errno values; nothing aborts.  The daemon's errors are
 * passed through as it sent them (-ENOENT: no such instance for this
 * connection, -EEXIST, -EINVAL, -EOPNOTSUPP, ...).
 */
#ifndef HVBIND_CLIENT_H
#define HVBIND_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <hvbind/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hvb_client;

/**
 * hvb_client_connect() - connect to the daemon and negotiate.
 * @path:     the daemon's UNIX socket.
 * @features: HVB_FEAT_* wanted besides HVB_FEAT_REPLY_ACK, which is
 *            always asked for (and required: the calls depend on it).
 * @out:      the connection.
 *
 * Sends GET_FEATURES, then SET_FEATURES with what was both offered and
 * wanted (and NEED_REPLY, so the daemon confirms it).
 * Return: 0; -EINVAL (NULL or too long a @path); -EOPNOTSUPP (the daemon
 * does not offer REPLY_ACK or a feature in @features); -ENOMEM;
 * socket()'s or connect()'s -errno; -EPROTO (a bad reply).
 * Context: blocks until negotiated.
 */
HVB_EXPORT int hvb_client_connect(const char *path, uint64_t features, struct hvb_client **out);

/**
 * hvb_client_close() - close the connection and free it; NULL is
 * accepted.  The daemon frees everything the connection owned: its
 * instances (their devices detached) and its memory table.
 * Context: any; does not block.
 */
HVB_EXPORT void hvb_client_close(struct hvb_client *c);

/**
 * hvb_client_features() - the negotiated HVB_FEAT_* set.
 * Context: any.
 */
HVB_EXPORT uint64_t hvb_client_features(const struct hvb_client *c);

/**
 * hvb_client_mem_add() - guest-physical [@gpa, @gpa + @size) is the
 * memory at @offset in @fd.
 * @gpa, @size: 4 KiB aligned, @size non-zero, not overlapping a range
 *            added before.
 * @fd:       the guest RAM (a memfd or another mappable file); passed to
 *            the daemon, the caller keeps its own descriptor.
 * @offset:   4 KiB aligned.
 *
 * The daemon applies the range to every instance of this connection,
 * now and when created later.
 * Return: 0, -EINVAL, -EEXIST (overlap), -ENOSPC (too many ranges), the
 * daemon's mapping error; the connection errors above.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_mem_add(struct hvb_client *c, uint64_t gpa, uint64_t size, int fd,
				  uint64_t offset);

/**
 * hvb_client_mem_remove() - a range added with exactly this @gpa and
 * @size is no longer guest RAM; when it returns the daemon no longer
 * reads it and no host mapping points into it.
 * Return: 0, -ENOENT; the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_mem_remove(struct hvb_client *c, uint64_t gpa, uint64_t size);

/**
 * hvb_client_viommu_create() - an emulated VT-d unit for this
 * connection's guest.
 * @cap, @ecap: the capability registers wanted; 0, 0 is the daemon's
 *            default (QEMU 7.2's intel-iommu,caching-mode=on).
 * @mode:     0 sidecore (the register page is polled), 1 trap (register
 *            accesses go through hvb_client_mmio_read() / _write(); needs
 *            HVB_FEAT_TRAP).
 * @teardown: 1 strict, 2 optimistic, 3 deferred (0: strict).
 * @id:       the instance's id (unique in the daemon).
 * @regs_fd:  sidecore mode: the register page's memfd (the caller owns
 *            it, maps 4 KiB of it shared into the guest at the DRHD's
 *            register base); trap mode: -1.  May be NULL (closed then).
 * Return: 0; -EINVAL; -EOPNOTSUPP (a capability set other than the
 * default, or trap mode without HVB_FEAT_TRAP); -ENOSPC; the engine's
 * error; the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_viommu_create(struct hvb_client *c, uint64_t cap, uint64_t ecap,
					uint32_t mode, uint32_t teardown, uint64_t *id,
					int *regs_fd);

/**
 * hvb_client_viommu_destroy() - destroy an instance (its devices are
 * detached first).  Return: 0, -ENOENT; the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_viommu_destroy(struct hvb_client *c, uint64_t id);

/**
 * hvb_client_device_attach() - guest source-id @sid of instance @id is
 * the host device @handle reaches through @backend.
 * @backend: 0 = the daemon's simulated host (@handle: a host source-id);
 *           other backends are not served yet (-EOPNOTSUPP).
 * Return: 0, -ENOENT, -EEXIST (@sid attached), -EBUSY (@handle in use),
 * -EINVAL, -EOPNOTSUPP; the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_device_attach(struct hvb_client *c, uint64_t id, uint16_t sid,
					uint16_t backend, uint64_t handle);

/**
 * hvb_client_device_detach() - stop shadowing @sid (@backend and
 * @handle as attached).  Return: 0, -ENOENT; the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_device_detach(struct hvb_client *c, uint64_t id, uint16_t sid,
					uint16_t backend, uint64_t handle);

/**
 * hvb_client_mmio_read() - a trapped register read.
 * @off:  byte offset in the 4 KiB window, aligned to @size.
 * @size: 4 or 8.
 * @val:  the register's value.
 * Return: 0, -ENOENT, -EINVAL, -EOPNOTSUPP (no HVB_FEAT_TRAP); the
 * connection errors.  Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_mmio_read(struct hvb_client *c, uint64_t id, uint32_t off,
				    uint32_t size, uint64_t *val);

/**
 * hvb_client_mmio_write() - a trapped register write; what it causes is
 * done when the call returns.  Arguments and return as
 * hvb_client_mmio_read().  Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_mmio_write(struct hvb_client *c, uint64_t id, uint32_t off,
				     uint32_t size, uint64_t val);

/**
 * hvb_client_set_fault_fd() - the guest unit's fault interrupt signals
 * @eventfd (the daemon adds 1 to it per fault event; KVM's irqfd is the
 * expected reader).  Replaces an eventfd given before; the caller keeps
 * its own descriptor.
 * Return: 0, -ENOENT, -EINVAL (not an eventfd); the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_set_fault_fd(struct hvb_client *c, uint64_t id, int eventfd);

/**
 * hvb_client_save_state() - the guest-visible state of instance @id, for
 * live migration (the daemon's engine: liommu_viommu_save_state()).
 * @buf, @len: room for the blob (4184 bytes today).
 * @got: the blob's length.
 * Stop the guest's vCPUs and devices first.
 * Return: 0, -ENOENT, -ENOSPC (@len short), -EOPNOTSUPP (no
 * HVB_FEAT_STATE); the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_save_state(struct hvb_client *c, uint64_t id, void *buf, size_t len,
				     size_t *got);

/**
 * hvb_client_restore_state() - put instance @id (same capability set,
 * same guest RAM added) into a saved state; attach the devices after it.
 * Return: 0, -ENOENT, -EINVAL (a malformed or foreign blob: nothing
 * changed), -EOPNOTSUPP; the connection errors.
 * Context: blocks until the daemon answered.
 */
HVB_EXPORT int hvb_client_restore_state(struct hvb_client *c, uint64_t id, const void *buf,
					size_t len);

#ifdef __cplusplus
}
#endif

#endif /* HVBIND_CLIENT_H */
