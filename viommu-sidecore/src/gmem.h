/* SPDX-License-Identifier: MIT */
/*
 * gmem.h - the guest memory table of one vIOMMU instance (gmem.c; not
 * installed).
 *
 * What it is for: a guest's pointers (root and context tables, second-
 * level tables, the invalidation queue, wait-descriptor status words,
 * IRTEs) are guest-physical addresses the guest chose.  The emulated unit
 * (libiommu's model) reaches guest memory only through
 * liommu__viommu_gmem_mem_ops, which resolves each access against this table of
 * guest-physical ranges backed by host memory, so a pointer outside the
 * VM's memory fails with -EFAULT (and the model reports the fault reason
 * or IQE hardware would) instead of touching host memory.  The table
 * also carries, per range, the address the host side maps it to (the
 * shadow needs guest-physical -> host-physical).
 *
 * It owns the table and the mappings it made of fd-backed ranges; it
 * does not own host memory given as a pointer, nor the fd it was given.
 *
 * Threading contract:
 *  - liommu__viommu_gmem_add() and _remove() (the hypervisor's thread; rare) are
 *    serialised by a mutex inside the table and may run while any number
 *    of threads read.
 *  - Readers (the sidecore's polling thread, device threads calling the
 *    model) take no lock and make no atomic read-modify-write on a
 *    shared cache line: the table is an immutable sorted array of ranges
 *    published with a release store and replaced, never edited, under
 *    RCU (liburcu's bulletproof flavour, urcu-bp, which registers a
 *    reader thread on its first read-side critical section, so threads
 *    the engine does not own need no set-up).  The old array is freed,
 *    and a removed range unmapped, only after a grace period.
 *  - A host pointer obtained from liommu__viommu_gmem_ptr() is valid only inside
 *    the read-side critical section (liommu__viommu_gmem_read_lock() .. _unlock())
 *    it was obtained in.  The other readers take that section themselves.
 *  - liommu__viommu_gmem_new() and _free() are not thread-safe against other use
 *    of the same table.
 *
 * Errors: negative errno values; nothing aborts.
 */
#ifndef VIOMMU_GMEM_H
#define VIOMMU_GMEM_H

#include <stdint.h>

#include <liommu/model.h>

struct viommu_gmem;

/**
 * struct viommu_gmem_region - one guest-physical range and its backing.
 * @gpa:       guest-physical address of the first byte; 4 KiB aligned.
 * @size:      bytes; a non-zero multiple of 4 KiB, @gpa + @size must not
 *             wrap.
 * @host:      host memory the hypervisor owns and keeps mapped until the
 *             range is removed; 4 KiB aligned (so that the guest's aligned
 *             8-byte table entries are aligned host words, which single-
 *             copy-atomic loads need).  NULL when @fd is used.
 * @fd:        -1 with @host; otherwise a file the table maps MAP_SHARED
 *             itself (read and write) and unmaps on removal.  The table
 *             does not keep the descriptor: the mapping holds the file,
 *             and the caller may close its fd after liommu__viommu_gmem_add().
 * @fd_offset: offset of @gpa's byte in @fd; page aligned (mmap's rule).
 * @backend:   the address the host side maps the range's first byte to
 *             (sim and qemu platforms: its physical address; VFIO: a
 *             process virtual address).  Carried only, never dereferenced.
 */
struct viommu_gmem_region {
	uint64_t gpa, size;
	void *host;
	int fd;
	uint64_t fd_offset;
	uint64_t backend;
};

/**
 * liommu__viommu_gmem_new() - an empty guest memory table.
 * @out: the new table.
 *
 * Return: 0 or -ENOMEM.
 * Context: may block.
 */
int liommu__viommu_gmem_new(struct viommu_gmem **out);

/**
 * liommu__viommu_gmem_free() - destroy a table; NULL is accepted.
 * @g: the table.
 *
 * Unmaps what the table mapped of fd-backed ranges; memory given by
 * pointer is left to its owner.
 * Context: no reader may be using @g and no other call may be running on
 * it; may block.
 */
void liommu__viommu_gmem_free(struct viommu_gmem *g);

/**
 * liommu__viommu_gmem_add() - add a guest-physical range.
 * @g: the table.
 * @r: the range and its backing (copied).
 *
 * Readers see the range from some point during the call on; once it
 * returns, every read-side critical section that starts sees it.
 *
 * Return: 0; -EINVAL (@size 0, @gpa or @size not 4 KiB aligned, @gpa +
 * @size wraps, both or neither of @host and @fd given, @host not 4 KiB
 * aligned, @fd_offset beyond off_t); -EEXIST (overlaps a range already in
 * the table); -ENOMEM; or mmap's -errno for an fd-backed range (e.g.
 * -EBADF, -EACCES, -EINVAL for an unaligned @fd_offset).
 * Context: takes the table's mutex and waits for an RCU grace period, so
 * it must not be called inside a read-side critical section; may block.
 */
int liommu__viommu_gmem_add(struct viommu_gmem *g, const struct viommu_gmem_region *r);

/**
 * liommu__viommu_gmem_remove() - remove a range that was added.
 * @g:    the table.
 * @gpa:  its @gpa as added.
 * @size: its @size as added.
 *
 * When it returns, no reader still uses the range: every read-side
 * critical section that could have resolved an address in it has ended,
 * and the table's own mapping of an fd-backed range is gone.  Later
 * accesses to the range fail with -EFAULT.
 *
 * Return: 0, or -ENOENT when no range with exactly this @gpa and @size is
 * in the table (part of a range, or several ranges, cannot be removed).
 * Context: as liommu__viommu_gmem_add().
 */
int liommu__viommu_gmem_remove(struct viommu_gmem *g, uint64_t gpa, uint64_t size);

/**
 * liommu__viommu_gmem_read_lock() - begin a read-side critical section.
 * @g: the table (the section covers every table, but callers name the
 *     one they read so that the engine may change flavour later).
 *
 * Sections nest.  Inside one, ranges resolved with liommu__viommu_gmem_ptr() stay
 * mapped; liommu__viommu_gmem_add() and _remove() must not be called.
 * Context: any thread; no lock, no shared-line write; the first call in a
 * thread registers it with urcu-bp (allocates, may block once).
 */
void liommu__viommu_gmem_read_lock(struct viommu_gmem *g);

/**
 * liommu__viommu_gmem_read_unlock() - end the section liommu__viommu_gmem_read_lock()
 * began.
 * @g: the table named at liommu__viommu_gmem_read_lock().
 *
 * Context: the thread that began the section; does not block.
 */
void liommu__viommu_gmem_read_unlock(struct viommu_gmem *g);

/**
 * liommu__viommu_gmem_ptr() - the host address of guest-physical memory.
 * @g:   the table.
 * @gpa: first byte.
 * @len: bytes.
 *
 * Return: the host pointer of @gpa when [@gpa, @gpa + @len) lies wholly
 * inside one range; NULL otherwise, and for @len 0 or a range that wraps.
 * Context: inside a read-side critical section, where the pointer stays
 * valid until the section ends; no lock.
 */
void *liommu__viommu_gmem_ptr(struct viommu_gmem *g, uint64_t gpa, uint64_t len);

/**
 * liommu__viommu_gmem_backend() - where the host side maps guest-physical memory.
 * @g:   the table.
 * @gpa: first byte.
 * @len: bytes; as liommu__viommu_gmem_ptr(), the range must lie in one range.
 * @out: @gpa's backend address (its range's @backend plus the offset).
 *
 * Return: 0, or -EFAULT when liommu__viommu_gmem_ptr() would return NULL (then
 * @out is untouched).
 * Context: any thread (takes its own read-side critical section); no lock.
 */
int liommu__viommu_gmem_backend(struct viommu_gmem *g, uint64_t gpa, uint64_t len,
				uint64_t *out);

/**
 * struct viommu_gmem_span - one range as the shadow needs it.
 * @gpa, @size: the guest-physical range.
 * @backend:    the host side's address of @gpa.
 */
struct viommu_gmem_span {
	uint64_t gpa, size, backend;
};

/**
 * liommu__viommu_gmem_spans() - the table's ranges, in increasing @gpa order.
 * @g:   the table.
 * @out: filled with up to @max ranges.
 * @max: room in @out.
 *
 * Return: the number of ranges in the table (more than @max when @out
 * was too small: call again with room for that many).
 * Context: any thread (takes its own read-side critical section); no lock.
 */
unsigned int liommu__viommu_gmem_spans(struct viommu_gmem *g, struct viommu_gmem_span *out,
				       unsigned int max);

/*
 * The model's memory interface over a table (struct liommu_model_mem
 * .ops, with .priv the struct viommu_gmem *), as liommu/model.h demands:
 * read and write return -EFAULT, and copy nothing, when any byte lies
 * outside the table's ranges; a range that spans adjacent ranges is
 * split between them.  An 8-byte read at an 8-byte aligned address is a
 * single-copy-atomic acquire load, a 4- or 8-byte write at an address
 * aligned to its size a single-copy-atomic release store.  Each call is
 * its own read-side critical section.  Context: any thread; no lock.
 */
extern const struct liommu_model_mem_ops liommu__viommu_gmem_mem_ops;

#endif /* VIOMMU_GMEM_H */
