// SPDX-License-Identifier: MIT
/*
 * probe.c - the device-side exposure probe: exposure measured, not
 * assumed.
 *
 * Every buffer the driver unmaps is put on a watch list with the time
 * unmap() returned.  Between polls the simulated device retries watched
 * IOVAs, in the direction the buffer was used, as a malicious or buggy
 * device would: a request that still translates is a stale DMA that
 * succeeded.  A watched buffer stops being watched when
 *  - a retry faults: the translation is gone for good (nothing but a new
 *    map() can bring it back, and that is tracked);
 *  - the driver maps the same IOVA again: the buffer is live again, and
 *    its stale window ended there;
 *  - the list is full (its oldest entry is evicted) or the run ends: the
 *    buffer is then still reachable and counted as "open", its window at
 *    least what was measured.
 * A buffer's window is the time from unmap() to its last successful
 * retry (0 when none succeeded): a lower bound of the real window whose
 * resolution is the retry period, reported as max and 99th percentile.
 *
 * New entries are tried first, so the first retry follows unmap() by at
 * most one poll; the others are retried round-robin within a per-poll
 * budget.  On the sim a retry is a translation request that records no
 * fault (LIOMMU_MODEL_NO_RECORD); on QEMU it is a one-byte edu DMA.
 *
 * Threading: one probe per NIC queue, used by that queue's thread only.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NO_ENTRY	UINT32_MAX

struct entry {
	uint64_t iova;
	uint64_t pa;
	uint64_t t_unmap;
	uint64_t last_ok;	/* 0: never reached */
	uint32_t hnext;		/* hash chain */
	uint32_t slot;		/* index in act[] */
	uint32_t gen;		/* bumped at every reuse: stale refs die */
	bool write;
	bool ok;		/* the last retry succeeded */
	bool used;
};

/*
 * A FIFO of entry references that are dropped lazily: a reference is valid
 * while its entry is watched under the same generation.  Closing an entry
 * therefore costs nothing here; a full ring (2 * watch slots, at most
 * watch of them valid) is compacted, O(1) amortised per push.
 */
struct ref {
	uint32_t idx;
	uint32_t gen;
};

struct refq {
	struct ref *r;
	uint32_t cap, head, count;
};

struct ipol_probe {
	struct entry *e;
	uint32_t cap;
	uint32_t *act;		/* dense list of watched entries */
	uint32_t nact;
	uint32_t rr;		/* round-robin cursor in act[] */
	struct refq fresh;	/* entries never retried, oldest first */
	struct refq order;	/* every entry, in unmap (= time) order */
	uint32_t *freelist;
	uint32_t nfree;
	uint32_t *bucket;
	uint32_t nbuckets;

	uint64_t *win;		/* closed windows */
	size_t nwin, capwin;

	uint64_t reachable;	/* entries whose last retry succeeded */
	struct ipol_exposure x;
};

static uint32_t hash(const struct ipol_probe *p, uint64_t iova)
{
	return (uint32_t)((iova >> 12) * 0x9e3779b97f4a7c15ull >> 40) & (p->nbuckets - 1);
}

int ipol_probe_new(unsigned int watch, struct ipol_probe **out)
{
	struct ipol_probe *p = calloc(1, sizeof(*p));
	uint32_t i;

	if (!p || !watch)
		goto err;
	p->cap = watch;
	for (p->nbuckets = 1; p->nbuckets < 2 * watch; p->nbuckets <<= 1)
		;
	p->e = calloc(watch, sizeof(*p->e));
	p->act = calloc(watch, sizeof(*p->act));
	p->fresh.cap = p->order.cap = 2 * watch;
	p->fresh.r = calloc(p->fresh.cap, sizeof(struct ref));
	p->order.r = calloc(p->order.cap, sizeof(struct ref));
	p->freelist = calloc(watch, sizeof(*p->freelist));
	p->bucket = malloc(p->nbuckets * sizeof(*p->bucket));
	if (!p->e || !p->act || !p->fresh.r || !p->order.r || !p->freelist || !p->bucket)
		goto err;
	for (i = 0; i < p->nbuckets; i++)
		p->bucket[i] = NO_ENTRY;
	for (i = 0; i < watch; i++)
		p->freelist[i] = watch - 1 - i;
	p->nfree = watch;
	*out = p;
	return 0;
err:
	ipol_probe_free(p);
	return -ENOMEM;
}

void ipol_probe_free(struct ipol_probe *p)
{
	if (!p)
		return;
	free(p->e);
	free(p->act);
	free(p->fresh.r);
	free(p->order.r);
	free(p->freelist);
	free(p->bucket);
	free(p->win);
	free(p);
}

static void record_window(struct ipol_probe *p, uint64_t w)
{
	if (p->nwin == p->capwin) {
		size_t cap = p->capwin ? p->capwin * 2 : 1024;
		uint64_t *n = realloc(p->win, cap * sizeof(*n));

		if (!n)
			return;	/* the percentile loses a sample, max does not */
		p->win = n;
		p->capwin = cap;
	}
	p->win[p->nwin++] = w;
}

/* Stop watching entry @i; @open: it was still reachable. */
static void close_entry(struct ipol_probe *p, uint32_t i, bool open)
{
	struct entry *e = &p->e[i];
	uint32_t *link = &p->bucket[hash(p, e->iova)];
	uint64_t w = e->last_ok ? e->last_ok - e->t_unmap : 0;
	uint32_t last;

	while (*link != i)
		link = &p->e[*link].hnext;
	*link = e->hnext;

	last = p->act[--p->nact];
	p->act[e->slot] = last;
	p->e[last].slot = e->slot;
	if (p->rr >= p->nact)
		p->rr = 0;

	if (e->ok)
		p->reachable--;
	if (open)
		p->x.open++;
	if (w > p->x.max_ns)
		p->x.max_ns = w;
	record_window(p, w);
	e->used = false;
	p->freelist[p->nfree++] = i;
}

static bool ref_valid(const struct ipol_probe *p, struct ref r)
{
	return p->e[r.idx].used && p->e[r.idx].gen == r.gen;
}

static void refq_push(struct ipol_probe *p, struct refq *q, uint32_t i)
{
	if (q->count == q->cap) {
		uint32_t k, n = 0;

		for (k = 0; k < q->count; k++) {
			struct ref r = q->r[(q->head + k) % q->cap];

			if (ref_valid(p, r))
				q->r[(q->head + n++) % q->cap] = r;
		}
		q->count = n;	/* at most watch entries are valid */
	}
	q->r[(q->head + q->count) % q->cap] = (struct ref){ i, p->e[i].gen };
	q->count++;
}

/* Pop the first valid reference; NO_ENTRY when there is none. */
static uint32_t refq_pop(struct ipol_probe *p, struct refq *q)
{
	while (q->count) {
		struct ref r = q->r[q->head];

		q->head = (q->head + 1) % q->cap;
		q->count--;
		if (ref_valid(p, r))
			return r.idx;
	}
	return NO_ENTRY;
}

/* The entry unmapped longest ago (entries arrive in time order). */
static uint32_t oldest(struct ipol_probe *p)
{
	while (p->order.count && !ref_valid(p, p->order.r[p->order.head])) {
		p->order.head = (p->order.head + 1) % p->order.cap;
		p->order.count--;
	}
	return p->order.count ? p->order.r[p->order.head].idx : p->act[0];
}

void ipol_probe_unmapped(struct ipol_probe *p, uint64_t iova, uint64_t pa,
			 bool write, uint64_t t_ns)
{
	struct entry *e;
	uint32_t i, h, gen;

	if (!p->nfree)
		close_entry(p, oldest(p), true);
	i = p->freelist[--p->nfree];
	e = &p->e[i];
	gen = e->gen + 1;
	memset(e, 0, sizeof(*e));
	e->gen = gen;
	e->iova = iova;
	e->pa = pa;
	e->t_unmap = t_ns;
	e->write = write;
	e->used = true;
	h = hash(p, iova);
	e->hnext = p->bucket[h];
	p->bucket[h] = i;
	e->slot = p->nact;
	p->act[p->nact++] = i;
	refq_push(p, &p->fresh, i);
	refq_push(p, &p->order, i);
	p->x.watched++;
}

void ipol_probe_mapped(struct ipol_probe *p, uint64_t iova)
{
	uint32_t i = p->bucket[hash(p, iova)];

	while (i != NO_ENTRY) {
		uint32_t next = p->e[i].hnext;

		if (p->e[i].iova == iova)
			close_entry(p, i, false);
		i = next;
	}
}

/* Retry entry @i.  Return 0 or a platform error. */
static int retry(struct ipol_probe *p, struct ipol_env *env, uint32_t i)
{
	struct entry *e = &p->e[i];
	/* Taken before the request: a success is dated no later than it
	 * happened, so a window is never overstated. */
	uint64_t t = ipol_now_ns(), pa;
	bool hit;
	int r = ipol_env_probe(env, e->iova, e->write, &hit, &pa);

	if (r < 0)
		return r;
	/*
	 * A fault ends the window for good.  A translation to another page
	 * means another queue mapped this IOVA afresh: what the device
	 * reaches is that live buffer, not the stale one, and nothing but a
	 * new map() of this buffer could make it reachable again.
	 */
	if (r == 0 || (pa != IPOL_PA_UNKNOWN && (pa & ~4095ull) != (e->pa & ~4095ull))) {
		close_entry(p, i, false);
		return 0;
	}
	if (!e->last_ok)
		p->x.exposed++;
	e->last_ok = t > e->t_unmap ? t : e->t_unmap;
	p->x.stale_dmas++;
	if (!e->ok) {
		e->ok = true;
		p->reachable++;
		if (p->reachable > p->x.max_stale)
			p->x.max_stale = p->reachable;
	}
	return 0;
}

int ipol_probe_step(struct ipol_probe *p, struct ipol_env *env,
		    unsigned int budget)
{
	int ret;

	while (budget) {
		uint32_t i = refq_pop(p, &p->fresh);

		if (i == NO_ENTRY)
			break;
		ret = retry(p, env, i);
		if (ret)
			return ret;
		budget--;
	}
	while (budget && p->nact) {
		uint32_t i;

		if (p->rr >= p->nact)
			p->rr = 0;
		i = p->act[p->rr];
		ret = retry(p, env, i);
		if (ret)
			return ret;
		/* A closed entry's slot now holds the last one: keep the cursor. */
		if (p->e[i].used)
			p->rr++;
		budget--;
	}
	return 0;
}

int ipol_probe_finish(struct ipol_probe *p, struct ipol_env *env)
{
	int ret;

	p->fresh.count = 0;
	while (p->nact) {
		uint32_t i = p->act[p->nact - 1];

		ret = retry(p, env, i);
		if (ret)
			return ret;
		if (p->nact && p->act[p->nact - 1] == i && p->e[i].used)
			close_entry(p, i, true);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void ipol_probe_summary(struct ipol_probe *const *p, size_t n,
			struct ipol_exposure *out)
{
	size_t i, total = 0, k = 0;
	uint64_t *all;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		out->watched += p[i]->x.watched;
		out->exposed += p[i]->x.exposed;
		out->stale_dmas += p[i]->x.stale_dmas;
		out->open += p[i]->x.open;
		out->max_stale += p[i]->x.max_stale;
		if (p[i]->x.max_ns > out->max_ns)
			out->max_ns = p[i]->x.max_ns;
		total += p[i]->nwin;
	}
	if (!total)
		return;
	all = malloc(total * sizeof(*all));
	if (!all) {
		out->p99_ns = out->max_ns;	/* conservative */
		return;
	}
	for (i = 0; i < n; i++) {
		memcpy(all + k, p[i]->win, p[i]->nwin * sizeof(*all));
		k += p[i]->nwin;
	}
	qsort(all, total, sizeof(*all), cmp_u64);
	out->p99_ns = all[(total * 99 + 99) / 100 - 1];
	free(all);
}
