// SPDX-License-Identifier: MIT
/*
 * dma-hello - the smallest complete use of libiommu.
 *
 * Brings up a VT-d unit on the sim platform (the software model, no
 * hardware or QEMU needed), gives device 00:03.0 a domain, maps one
 * buffer read/write and one read-only, lets the device move bytes through
 * the unit with DMA, then unmaps and shows that the device's next DMA to
 * the same address faults.  Every step prints what happened; the exit
 * status is 0 only if each outcome was the one the VT-d rules predict.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <liommu/liommu.h>
#include <liommu/sim.h>

#define DEV_SID		((0 << 8) | (3 << 3) | 0)	/* 00:03.0 */
#define IOVA_RW		0x10000000ull
#define IOVA_RO		0x10200000ull

static int check(int ret, const char *what)
{
	if (ret < 0)
		fprintf(stderr, "dma-hello: %s: %s\n", what, strerror(-ret));
	return ret;
}

static void print_fault(const char *what, const struct liommu_fault *f)
{
	printf("%-36s fault: reason %#x (%s), sid %02x:%02x.%u, addr %#" PRIx64
	       ", %s\n", what, f->reason, liommu_fault_reason_str(f->reason),
	       f->sid >> 8, (f->sid >> 3) & 0x1f, f->sid & 7, f->addr,
	       f->is_write ? "write" : "read");
}

/* The device's side: write a message, read it back, try to write the
 * read-only page, and report whether each outcome is the expected one. */
static int device_traffic(struct liommu_sim *sim, const char *cpu_rw)
{
	static const char msg[] = "hello from 00:03.0 through VT-d";
	struct liommu_fault f;
	char back[64] = { 0 };
	int ret, bad = 0;

	ret = liommu_sim_dma_write(sim, DEV_SID, IOVA_RW, msg, sizeof(msg), &f);
	printf("%-36s %s\n", "device DMA write to IOVA_RW:", ret ? "FAULT" : "ok");
	bad |= ret != 0;
	printf("%-36s \"%s\"\n", "CPU sees at the buffer's PA:", cpu_rw);
	bad |= strcmp(cpu_rw, msg) != 0;

	ret = liommu_sim_dma_read(sim, DEV_SID, IOVA_RW, back, sizeof(msg), &f);
	printf("%-36s %s \"%s\"\n", "device DMA read of IOVA_RW:",
	       ret ? "FAULT" : "ok", back);
	bad |= ret != 0 || strcmp(back, msg) != 0;

	ret = liommu_sim_dma_write(sim, DEV_SID, IOVA_RO, msg, 8, &f);
	if (ret == -EFAULT)
		print_fault("device DMA write to read-only page:", &f);
	else
		printf("device DMA write to read-only page: unexpectedly %d\n", ret);
	bad |= ret != -EFAULT || f.reason != VTD_FR_WRITE;
	return bad;
}

int main(void)
{
	struct liommu_sim_config scfg = { .mem_size = 64ull << 20 };
	struct liommu_unit_config ucfg = { 0 };
	struct liommu_sim *sim = NULL;
	struct liommu_unit *unit = NULL;
	struct liommu_domain *dom = NULL;
	struct liommu_unit_stats st;
	struct liommu_fault f;
	uint64_t pa_rw, pa_ro, pa;
	void *va_rw, *va_ro;
	char probe[8];
	int ret, bad = 1;

	if (check(liommu_sim_new(&scfg, &sim), "sim") ||
	    check(liommu_unit_new(liommu_sim_platform(sim), &ucfg, &unit), "unit"))
		goto out;
	printf("unit: CAP %#018" PRIx64 " ECAP %#018" PRIx64 ", %u-bit, %u levels, "
	       "%s invalidation\n", liommu_unit_cap(unit), liommu_unit_ecap(unit),
	       liommu_unit_addr_width(unit), liommu_unit_levels(unit),
	       liommu_unit_inval_mode(unit) == LIOMMU_INVAL_QUEUED ?
	       "queued" : "register");

	if (check(liommu_domain_new(unit, &dom), "domain") ||
	    check(liommu_sim_alloc(sim, 4096, &va_rw, &pa_rw), "alloc") ||
	    check(liommu_sim_alloc(sim, 4096, &va_ro, &pa_ro), "alloc") ||
	    check(liommu_domain_map(dom, IOVA_RW, pa_rw, 4096,
				    LIOMMU_PROT_READ | LIOMMU_PROT_WRITE), "map rw") ||
	    check(liommu_domain_map(dom, IOVA_RO, pa_ro, 4096, LIOMMU_PROT_READ),
		  "map ro") ||
	    check(liommu_domain_attach(dom, DEV_SID), "attach") ||
	    check(liommu_unit_enable_translation(unit), "enable"))
		goto out;
	ret = liommu_domain_translate(dom, IOVA_RW, &pa, NULL, NULL);
	printf("domain %u: IOVA %#llx -> PA %#" PRIx64 " (rw), IOVA %#llx -> PA %#"
	       PRIx64 " (ro); software walk says %#" PRIx64 "\n",
	       liommu_domain_id(dom), IOVA_RW, pa_rw, IOVA_RO, pa_ro,
	       ret ? 0 : pa);

	bad = device_traffic(sim, va_rw);
	{
		struct liommu_fault rec[4];

		/* collect and clear the read-only fault so the next one records */
		liommu_unit_read_faults(unit, rec, 4, NULL);
	}

	if (check(liommu_domain_unmap(dom, IOVA_RW, 4096), "unmap"))
		goto out;
	ret = liommu_sim_dma_read(sim, DEV_SID, IOVA_RW, probe, sizeof(probe), &f);
	if (ret == -EFAULT)
		print_fault("device DMA read after unmap:", &f);
	else
		printf("device DMA read after unmap: unexpectedly %d\n", ret);
	bad |= ret != -EFAULT || f.reason != VTD_FR_READ ||
	       f.addr != IOVA_RW || f.sid != DEV_SID;

	liommu_unit_get_stats(unit, &st);
	printf("unit counters: %" PRIu64 " invalidations, %" PRIu64 " waits\n",
	       st.inv_descs, st.inv_waits);
	printf("%s\n", bad ? "dma-hello: UNEXPECTED outcome" : "dma-hello: all outcomes as VT-d predicts");
out:
	liommu_domain_free(dom);
	liommu_unit_free(unit);
	liommu_sim_free(sim);
	return bad ? 1 : 0;
}
