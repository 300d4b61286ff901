// SPDX-License-Identifier: MIT
/*
 * gmem.c - the guest memory table of a vIOMMU instance (gmem.h): a
 * sorted, immutable array of guest-physical ranges that readers search
 * without a lock and writers replace under RCU (urcu-bp), and the
 * model's bounded memory interface over it.  It owns the array and the
 * mappings it makes of fd-backed ranges; it touches no register file,
 * cache or shadow state.
 *
 * Read top to bottom: the array and its search, the RCU wrappers, the
 * writers, the readers.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <urcu/urcu-bp.h>

#include "gmem.h"

#if defined(__SANITIZE_THREAD__)
#define GMEM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GMEM_TSAN 1
#endif
#endif
#ifdef GMEM_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#define GMEM_PAGE	4096ULL

/* One range, immutable once its array is published. */
struct gmem_range {
	uint64_t gpa;		/* first byte */
	uint64_t end;		/* one past the last byte (never wraps) */
	uint8_t *host;		/* host address of @gpa */
	uint64_t backend;	/* host side's address of @gpa */
	bool mapped;		/* @host is the table's own mmap of an fd */
};

/* The array readers search: sorted by @gpa, ranges disjoint. */
struct gmem_table {
	unsigned int n;
	struct gmem_range r[];
};

struct viommu_gmem {
	/* RCU-protected: replaced (release store) under @lock, read by
	 * anyone inside a read-side critical section.  Never NULL. */
	struct gmem_table *tab;
	/* Serialises writers: add, remove. */
	pthread_mutex_t lock;
	/* ThreadSanitizer's stand-in for the grace period (below). */
	char tsan_gp;
};

/* ------------------------------------------------------------------ */
/* The array                                                           */
/* ------------------------------------------------------------------ */

/*
 * The range containing @gpa, or NULL.  A binary search: a VM has a
 * handful of ranges (QEMU's q35: below and above the 4 GiB hole, plus
 * ROMs and hot-plugged DIMMs), so this is two or three compares.  There
 * is no last-hit hint: a per-thread one (a shared one would be a store
 * to a shared line per access) measured no faster at 2 and 8 ranges
 * through the ops (about 18 ns a read either way, most of it the two
 * calls into liburcu-bp), and only paid (10 -> 4 ns a lookup) at 64
 * ranges with 16 accesses per range in a row, while a sidecore thread
 * that serves several VMs would keep missing it.
 */
static const struct gmem_range *gmem_find(const struct gmem_table *t, uint64_t gpa)
{
	unsigned int lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (t->r[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || gpa >= t->r[lo - 1].end)
		return NULL;
	return &t->r[lo - 1];
}

static struct gmem_table *gmem_table_alloc(unsigned int n)
{
	struct gmem_table *t = calloc(1, sizeof(*t) + (size_t)n * sizeof(t->r[0]));

	if (t)
		t->n = n;
	return t;
}

static void gmem_range_unmap(const struct gmem_range *r)
{
	if (r->mapped)
		munmap(r->host, r->end - r->gpa);
}

/* ------------------------------------------------------------------ */
/* RCU                                                                 */
/* ------------------------------------------------------------------ */

/*
 * ThreadSanitizer does not see the grace period (liburcu is not
 * instrumented), so it would call a reader's last access to an old array
 * and the writer's free() of it a race.  Under TSan, each read-side
 * section ends with a release on the table's sync object and each grace
 * period ends with an acquire on it: exactly the ordering
 * synchronize_rcu() provides.  Elsewhere these compile to nothing.
 */
#ifdef GMEM_TSAN
static inline void gmem_tsan_release(struct viommu_gmem *g)
{
	__tsan_release(&g->tsan_gp);
}

static inline void gmem_tsan_acquire(struct viommu_gmem *g)
{
	__tsan_acquire(&g->tsan_gp);
}
#else
static inline void gmem_tsan_release(struct viommu_gmem *g)
{
	(void)g;
}

static inline void gmem_tsan_acquire(struct viommu_gmem *g)
{
	(void)g;
}
#endif

void liommu__viommu_gmem_read_lock(struct viommu_gmem *g)
{
	(void)g;
	urcu_bp_read_lock();
}

void liommu__viommu_gmem_read_unlock(struct viommu_gmem *g)
{
	gmem_tsan_release(g);
	urcu_bp_read_unlock();
}

/*
 * rcu_dereference() and rcu_assign_pointer() of liburcu 0.13 are volatile
 * accesses plus compiler barriers, which ThreadSanitizer reports as a
 * race; these C11 atomics are the same instructions on x86 (a plain load,
 * a plain store) with the same ordering (consume is promoted to acquire),
 * and TSan understands them.
 */
static inline struct gmem_table *gmem_deref(struct viommu_gmem *g)
{
	return __atomic_load_n(&g->tab, __ATOMIC_ACQUIRE);
}

/* Publish @t and free the array it replaces once no reader can hold it.
 * Called with @g->lock held. */
static void gmem_publish_locked(struct viommu_gmem *g, struct gmem_table *t)
{
	struct gmem_table *old = g->tab;

	__atomic_store_n(&g->tab, t, __ATOMIC_RELEASE);
	urcu_bp_synchronize_rcu();
	gmem_tsan_acquire(g);
	free(old);
}

/* ------------------------------------------------------------------ */
/* Writers                                                             */
/* ------------------------------------------------------------------ */

int liommu__viommu_gmem_new(struct viommu_gmem **out)
{
	struct viommu_gmem *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->tab = gmem_table_alloc(0);
	if (!g->tab)
		goto err_table;
	if (pthread_mutex_init(&g->lock, NULL))
		goto err_mutex;
	*out = g;
	return 0;

err_mutex:
	free(g->tab);
err_table:
	free(g);
	return -ENOMEM;
}

void liommu__viommu_gmem_free(struct viommu_gmem *g)
{
	unsigned int i;

	if (!g)
		return;
	for (i = 0; i < g->tab->n; i++)
		gmem_range_unmap(&g->tab->r[i]);
	free(g->tab);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static int gmem_check(const struct viommu_gmem_region *r)
{
	if (!r || !r->size || (r->gpa | r->size) & (GMEM_PAGE - 1) ||
	    r->gpa + r->size < r->gpa || r->gpa + r->size == 0)
		return -EINVAL;
	if (r->host) {
		if (r->fd != -1 || (uintptr_t)r->host & (GMEM_PAGE - 1))
			return -EINVAL;
	} else if (r->fd < 0 || r->fd_offset > (uint64_t)INT64_MAX ||
		   r->size > SIZE_MAX) {
		return -EINVAL;
	}
	return 0;
}

int liommu__viommu_gmem_add(struct viommu_gmem *g, const struct viommu_gmem_region *r)
{
	struct gmem_range nr;
	struct gmem_table *t, *old;
	unsigned int i, at;
	int ret = gmem_check(r);

	if (ret)
		return ret;
	nr = (struct gmem_range){
		.gpa = r->gpa, .end = r->gpa + r->size, .host = r->host,
		.backend = r->backend,
	};

	pthread_mutex_lock(&g->lock);
	old = g->tab;
	/* Insertion point: the first range above @gpa; the ones on either
	 * side must not overlap. */
	for (at = 0; at < old->n && old->r[at].gpa <= nr.gpa; at++)
		;
	if ((at && old->r[at - 1].end > nr.gpa) || (at < old->n && old->r[at].gpa < nr.end)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	t = gmem_table_alloc(old->n + 1);
	if (!t) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	if (!nr.host) {
		void *p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
			       (off_t)r->fd_offset);

		if (p == MAP_FAILED) {
			ret = -errno;
			goto err_free;
		}
		nr.host = p;
		nr.mapped = true;
	}
	for (i = 0; i < at; i++)
		t->r[i] = old->r[i];
	t->r[at] = nr;
	for (i = at; i < old->n; i++)
		t->r[i + 1] = old->r[i];
	gmem_publish_locked(g, t);
	pthread_mutex_unlock(&g->lock);
	return 0;

err_free:
	free(t);
err_unlock:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int liommu__viommu_gmem_remove(struct viommu_gmem *g, uint64_t gpa, uint64_t size)
{
	struct gmem_table *t, *old;
	struct gmem_range gone;
	unsigned int i, at;
	int ret;

	pthread_mutex_lock(&g->lock);
	old = g->tab;
	for (at = 0; at < old->n; at++)
		if (old->r[at].gpa == gpa)
			break;
	if (at == old->n || old->r[at].end - gpa != size) {
		ret = -ENOENT;
		goto err_unlock;
	}
	t = gmem_table_alloc(old->n - 1);
	if (!t) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	gone = old->r[at];
	for (i = 0; i < old->n; i++)
		if (i != at)
			t->r[i - (i > at)] = old->r[i];
	/* After the grace period nobody can reach the range: unmapping it
	 * only now is what makes a racing reader's pointer safe. */
	gmem_publish_locked(g, t);
	gmem_range_unmap(&gone);
	pthread_mutex_unlock(&g->lock);
	return 0;

err_unlock:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Readers                                                             */
/* ------------------------------------------------------------------ */

/* The range holding all of [gpa, gpa + len), len > 0 and not wrapping. */
static inline const struct gmem_range *gmem_find_len(const struct gmem_table *t,
						     uint64_t gpa, uint64_t len)
{
	const struct gmem_range *r = gmem_find(t, gpa);

	if (!r || len > r->end - gpa)
		return NULL;
	return r;
}

void *liommu__viommu_gmem_ptr(struct viommu_gmem *g, uint64_t gpa, uint64_t len)
{
	const struct gmem_range *r;

	if (!len || gpa + len < gpa)
		return NULL;
	r = gmem_find_len(gmem_deref(g), gpa, len);
	return r ? r->host + (gpa - r->gpa) : NULL;
}

int liommu__viommu_gmem_backend(struct viommu_gmem *g, uint64_t gpa, uint64_t len,
				uint64_t *out)
{
	const struct gmem_range *r;
	int ret = -EFAULT;

	if (!len || gpa + len < gpa)
		return -EFAULT;
	liommu__viommu_gmem_read_lock(g);
	r = gmem_find_len(gmem_deref(g), gpa, len);
	if (r) {
		*out = r->backend + (gpa - r->gpa);
		ret = 0;
	}
	liommu__viommu_gmem_read_unlock(g);
	return ret;
}

unsigned int liommu__viommu_gmem_spans(struct viommu_gmem *g, struct viommu_gmem_span *out,
				       unsigned int max)
{
	const struct gmem_table *t;
	unsigned int i, n;

	liommu__viommu_gmem_read_lock(g);
	t = gmem_deref(g);
	n = t->n;
	for (i = 0; i < n && i < max; i++) {
		out[i].gpa = t->r[i].gpa;
		out[i].size = t->r[i].end - t->r[i].gpa;
		out[i].backend = t->r[i].backend;
	}
	liommu__viommu_gmem_read_unlock(g);
	return n;
}

/*
 * A range that does not fit in the range holding its first byte is
 * allowed when the ranges that follow are adjacent (a guest table may
 * straddle two memory slots that happen to be contiguous, as on real
 * hardware, where DIMM boundaries are invisible).  All of it is checked
 * before any byte moves, so a range that runs into a hole copies nothing.
 * Return: true when [gpa, gpa + len) is covered, from @r on.
 */
static bool gmem_covered(const struct gmem_table *t, const struct gmem_range *r,
			 uint64_t gpa, uint64_t len)
{
	uint64_t last = gpa + len - 1;

	while (last >= r->end) {
		if (r + 1 == t->r + t->n || r[1].gpa != r->end)
			return false;
		r++;
	}
	return true;
}

/* Copy guest memory from range @r on into @buf, or @buf into it;
 * gmem_covered() already checked, so every piece lands in a range. */
static void gmem_copy_out(const struct gmem_range *r, uint64_t gpa, void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len) {
		uint64_t n = r->end - gpa < len ? r->end - gpa : len;

		memcpy(b, r->host + (gpa - r->gpa), n);
		b += n;
		gpa += n;
		len -= n;
		r++;
	}
}

static void gmem_copy_in(const struct gmem_range *r, uint64_t gpa, const void *buf,
			 size_t len)
{
	const uint8_t *b = buf;

	while (len) {
		uint64_t n = r->end - gpa < len ? r->end - gpa : len;

		memcpy(r->host + (gpa - r->gpa), b, n);
		b += n;
		gpa += n;
		len -= n;
		r++;
	}
}

static int gmem_mem_read(void *priv, uint64_t pa, void *buf, size_t len)
{
	struct viommu_gmem *g = priv;
	const struct gmem_table *t;
	const struct gmem_range *r;
	int ret = -EFAULT;

	if (pa + len < pa)
		return -EFAULT;
	if (!len)
		return 0;
	liommu__viommu_gmem_read_lock(g);
	t = gmem_deref(g);
	r = gmem_find(t, pa);
	if (r && len == 8 && !(pa & 7)) {
		/* Ranges are 4 KiB aligned: an aligned word never spans two. */
		uint64_t v = __atomic_load_n((uint64_t *)(r->host + (pa - r->gpa)),
					     __ATOMIC_ACQUIRE);

		memcpy(buf, &v, 8);
		ret = 0;
	} else if (r && gmem_covered(t, r, pa, len)) {
		gmem_copy_out(r, pa, buf, len);
		ret = 0;
	}
	liommu__viommu_gmem_read_unlock(g);
	return ret;
}

static int gmem_mem_write(void *priv, uint64_t pa, const void *buf, size_t len)
{
	struct viommu_gmem *g = priv;
	const struct gmem_table *t;
	const struct gmem_range *r;
	int ret = -EFAULT;

	if (pa + len < pa)
		return -EFAULT;
	if (!len)
		return 0;
	liommu__viommu_gmem_read_lock(g);
	t = gmem_deref(g);
	r = gmem_find(t, pa);
	if (r && len == 4 && !(pa & 3)) {
		/* A wait descriptor's status: the guest acquires it and must
		 * see every effect of the descriptors before it. */
		uint32_t v;

		memcpy(&v, buf, 4);
		__atomic_store_n((uint32_t *)(r->host + (pa - r->gpa)), v, __ATOMIC_RELEASE);
		ret = 0;
	} else if (r && len == 8 && !(pa & 7)) {
		uint64_t v;

		memcpy(&v, buf, 8);
		__atomic_store_n((uint64_t *)(r->host + (pa - r->gpa)), v, __ATOMIC_RELEASE);
		ret = 0;
	} else if (r && gmem_covered(t, r, pa, len)) {
		gmem_copy_in(r, pa, buf, len);
		ret = 0;
	}
	liommu__viommu_gmem_read_unlock(g);
	return ret;
}

const struct liommu_model_mem_ops liommu__viommu_gmem_mem_ops = {
	.read = gmem_mem_read,
	.write = gmem_mem_write,
};
