/* SPDX-License-Identifier: MIT */
/*
 * tests/linux-guest/viommu-host.c - the engine serving a real Linux guest.
 *
 * QEMU runs the guest with its RAM in a shared file
 * (`-object memory-backend-file,...,mem-path=FILE,share=on -machine
 * memory-backend=mem`) and no QEMU intel-iommu.  This program maps the
 * same file, makes the page at the DMAR's register base (a page of guest
 * RAM the guest kernel skips: memmap=4K$ADDR) the register page of a
 * SIDECORE instance, tells the instance that guest RAM below the PCI hole
 * is the file (on q35 below 4 GiB, file offset == guest-physical address)
 * and serves it from a sidecore thread.  With --attach SID the guest's
 * tables for that source-id are shadowed into a host domain on the sim
 * platform (host address = --backend + guest-physical address); a
 * sampler then records, every 5 ms, each change of what the host domain
 * translates the --iova addresses to, and of the guest's GSTS.TES.
 *
 * It prints "viommu-host: ready" once CAP/ECAP are in the page (the
 * guest parses the DMAR within ~0.01 s of boot: start QEMU after that),
 * runs until SIGTERM or SIGINT, then prints the engine's statistics as
 * "stat NAME VALUE" lines and the shadow samples as "shadow ..." lines.
 *
 * usage: viommu-host --ram FILE --size BYTES --regs GPA
 *                    [--attach BB:DD.F] [--backend ADDR] [--iova A,B,...]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liommu/liommu.h>
#include <liommu/sim.h>
#include <liommu/viommu.h>

#define PAGE 4096ull
#define MAX_IOVAS 16
/* The host side's own source-id for the assigned device (sim platform). */
#define HOST_SID 0x0018

#define MAX_CHANGES 32

/* What the host domain translated one IOVA to, each time it changed. */
struct sample {
	uint64_t iova;
	unsigned int n;
	bool cur_mapped;
	uint64_t cur_pa;
	struct {
		uint64_t ms;	/* since start */
		bool mapped;
		uint64_t pa;	/* host address */
		uint64_t page_size;
	} ch[MAX_CHANGES];
};

static uint64_t now_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000 +
	       (uint64_t)((t.tv_nsec - t0->tv_nsec) / 1000000);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "viommu-host: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: viommu-host --ram FILE --size BYTES --regs GPA "
			"[--attach BB:DD.F] [--backend ADDR] [--iova A,B,...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ram_path = NULL;
	uint64_t size = 0, regs = 0, backend = 1ull << 32;
	int attach_sid = -1;
	struct sample samples[MAX_IOVAS];
	unsigned int nsamples = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(a, "--ram")) {
			ram_path = v;
		} else if (!strcmp(a, "--size")) {
			size = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--regs")) {
			regs = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--backend")) {
			backend = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--attach")) {
			unsigned int b, d, f;

			if (sscanf(v, "%x:%x.%x", &b, &d, &f) != 3 || b > 255 || d > 31 || f > 7)
				usage();
			attach_sid = (int)(b << 8 | d << 3 | f);
		} else if (!strcmp(a, "--iova")) {
			char *s = strdup(v), *save = NULL;

			for (char *t = strtok_r(s, ",", &save); t && nsamples < MAX_IOVAS;
			     t = strtok_r(NULL, ",", &save)) {
				memset(&samples[nsamples], 0, sizeof(samples[0]));
				samples[nsamples++].iova = strtoull(t, NULL, 0);
			}
			free(s);
		} else {
			usage();
		}
		i++;
	}
	if (!ram_path || !size || size % PAGE || regs % PAGE || regs + PAGE > size)
		usage();

	/* Signals first, so a signal during set-up is not lost. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* Guest RAM: the file QEMU maps (created, or taken at its size). */
	int fd = open(ram_path, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		die(ram_path, errno);
	struct stat st;
	if (fstat(fd, &st))
		die("fstat", errno);
	if ((uint64_t)st.st_size != size && ftruncate(fd, (off_t)size))
		die("ftruncate", errno);
	uint8_t *ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED)
		die("mmap", errno);
	close(fd);
	/* Whatever a previous run left in the page is not a register. */
	memset(ram + regs, 0, PAGE);

	/* The host side: a sim platform's unit and one domain. */
	struct liommu_sim *sim = NULL;
	struct liommu_unit *hunit = NULL;
	struct liommu_domain *hdom = NULL;
	int rc;

	if (attach_sid >= 0) {
		struct liommu_sim_config hc = { .mem_size = 64ull << 20 };

		if ((rc = liommu_sim_new(&hc, &sim)))
			die("liommu_sim_new", rc);
		if ((rc = liommu_unit_new(liommu_sim_platform(sim), NULL, &hunit)))
			die("liommu_unit_new", rc);
		if ((rc = liommu_domain_new(hunit, &hdom)))
			die("liommu_domain_new", rc);
		if ((rc = liommu_domain_attach(hdom, HOST_SID)))
			die("liommu_domain_attach", rc);
		if ((rc = liommu_unit_enable_translation(hunit)))
			die("liommu_unit_enable_translation", rc);
	}

	/* The guest's unit: the default (QEMU 7.2 caching-mode) set. */
	struct liommu_viommu_config vc;
	struct liommu_viommu *v;

	liommu_viommu_config_default(&vc);
	vc.mode = LIOMMU_VIOMMU_SIDECORE;
	vc.regs_page = ram + regs;
	if ((rc = liommu_viommu_new(&vc, &v)))
		die("liommu_viommu_new", rc);
	/* Guest RAM below the hole, without the register page. */
	if (regs && (rc = liommu_viommu_mem_add(v, 0, regs, ram, backend)))
		die("liommu_viommu_mem_add (below the register page)", rc);
	if (regs + PAGE < size &&
	    (rc = liommu_viommu_mem_add(v, regs + PAGE, size - regs - PAGE, ram + regs + PAGE,
					backend + regs + PAGE)))
		die("liommu_viommu_mem_add (above the register page)", rc);
	if (hdom && (rc = liommu_viommu_attach(v, (uint16_t)attach_sid, hdom)))
		die("liommu_viommu_attach", rc);

	struct liommu_sidecore_config scc;
	struct liommu_sidecore *sc;

	liommu_sidecore_config_default(&scc);
	if ((rc = liommu_sidecore_new(&scc, &sc)))
		die("liommu_sidecore_new", rc);
	if ((rc = liommu_sidecore_add(sc, v)))
		die("liommu_sidecore_add", rc);

	volatile uint64_t *page = (volatile uint64_t *)(ram + regs);
	printf("viommu-host: ready regs=0x%" PRIx64 " CAP=0x%016" PRIx64 " ECAP=0x%016" PRIx64
	       " attach=%d\n", regs, page[1], page[2], attach_sid);
	fflush(stdout);

	/* Run until signalled, sampling the shadow every 5 ms. */
	struct timespec t0, tick = { 0, 5 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t max_live = 0;
	uint32_t last_gsts = 0;
	int sig;
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		uint32_t gsts = (uint32_t)(page[0x18 / 8] >> 32);
		if ((gsts ^ last_gsts) & (1u << 31))
			printf("viommu-host: %" PRIu64 " ms: GSTS.TES %u\n", now_ms(&t0), gsts >> 31);
		last_gsts = gsts;
		if (!hdom)
			continue;
		for (unsigned int i = 0; i < nsamples; i++) {
			struct sample *sp = &samples[i];
			uint64_t pa = 0, ps = 0;
			bool mapped = !liommu_domain_translate(hdom, sp->iova, &pa, NULL, &ps);

			if (mapped == sp->cur_mapped && (!mapped || pa == sp->cur_pa))
				continue;
			sp->cur_mapped = mapped;
			sp->cur_pa = pa;
			if (sp->n == MAX_CHANGES)
				continue;
			sp->ch[sp->n].ms = now_ms(&t0);
			sp->ch[sp->n].mapped = mapped;
			sp->ch[sp->n].pa = pa;
			sp->ch[sp->n].page_size = ps;
			sp->n++;
		}
		fflush(stdout);
		struct liommu_viommu_stats vs;
		liommu_viommu_get_stats(v, &vs);
		if (vs.shadow_maps - vs.shadow_unmaps > max_live)
			max_live = vs.shadow_maps - vs.shadow_unmaps;
	}

	struct liommu_viommu_stats vs;
	struct liommu_sidecore_stats ss;
	liommu_viommu_get_stats(v, &vs);
	liommu_sidecore_get_stats(sc, &ss);
	printf("viommu-host: signal %d after %" PRIu64 " ms; GSTS=0x%08" PRIx32 "\n", sig,
	       now_ms(&t0), (uint32_t)(page[0x18 / 8] >> 32));
#define STAT(s, f) printf("stat %s %" PRIu64 "\n", #f, (uint64_t)(s).f)
	STAT(vs, reg_writes);
	STAT(vs, publications);
	STAT(vs, repaired);
	STAT(vs, invalidations);
	STAT(vs, shadow_maps);
	STAT(vs, shadow_unmaps);
	STAT(vs, shadow_skipped);
	STAT(vs, shadow_limited);
	STAT(vs, events);
	STAT(vs, host.maps);
	STAT(vs, host.unmaps);
	STAT(vs, host.peak_mapped_pages);
	printf("stat shadow_live_max %" PRIu64 "\n", max_live);
	STAT(ss, passes);
	STAT(ss, busy_passes);
	STAT(ss, requests);
	STAT(ss, sleeps);
	STAT(ss, sleep_ns);
	STAT(ss, backoff_wait_max_ns);
	STAT(ss, scan_ns);
#undef STAT
	/* "shadow IOVA at MS ms: ..." per change, in order. */
	for (unsigned int i = 0; hdom && i < nsamples; i++) {
		const struct sample *sp = &samples[i];

		if (!sp->n)
			printf("shadow iova 0x%" PRIx64 " never mapped\n", sp->iova);
		for (unsigned int j = 0; j < sp->n; j++) {
			if (sp->ch[j].mapped)
				printf("shadow iova 0x%" PRIx64 " at %" PRIu64 " ms: host 0x%" PRIx64
				       " (gpa 0x%" PRIx64 ", %" PRIu64 " KiB page)\n",
				       sp->iova, sp->ch[j].ms, sp->ch[j].pa, sp->ch[j].pa - backend,
				       sp->ch[j].page_size >> 10);
			else
				printf("shadow iova 0x%" PRIx64 " at %" PRIu64 " ms: unmapped\n",
				       sp->iova, sp->ch[j].ms);
		}
	}
	fflush(stdout);

	liommu_sidecore_remove(sc, v);
	liommu_sidecore_free(sc);
	liommu_viommu_free(v);
	liommu_domain_free(hdom);
	liommu_unit_free(hunit);
	liommu_sim_free(sim);
	munmap(ram, size);
	return 0;
}
