// SPDX-License-Identifier: MIT
/*
 * workload.c - the built-in workloads: the shape of the benchmarks the
 * IOMMU papers this project grew from measure (netperf TCP_STREAM with
 * large and small messages, memcached, apache), as sequences of frames a
 * NIC moves.
 *
 * Each generator produces one transaction at a time: the frames (with
 * their direction and length) that one message, or one request and its
 * response, puts through the NIC.  Sizes follow TCP over Ethernet with
 * timestamps: 66 bytes of headers, a 1448-byte MSS, 1514-byte frames on
 * receive; sends go out as one TSO descriptor of up to 64 KiB; the peer
 * acknowledges every second segment (delayed ACKs).  The numbers are the
 * shape of the workloads, not a trace of them; docs/iommu-policy.md
 * lists them.
 */
#include "config.h"

#include <string.h>

#include "policy.h"

#define HDR	66u	/* Ethernet 14 + IPv4 20 + TCP with timestamps 32 */
#define MSS	1448u

/* Uniform in [lo, hi]. */
static uint32_t uniform(uint64_t *rng, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(ipol_rand(rng) % (uint64_t)(hi - lo + 1));
}

static unsigned int add(struct ipol_pkt *out, unsigned int n, uint8_t dir,
			uint32_t len)
{
	if (n < IPOL_MAX_BURST) {
		out[n].dir = dir;
		out[n].len = len;
		n++;
	}
	return n;
}

/* A TCP send of @bytes: TSO descriptors of at most 64 KiB, and the ACKs
 * the peer returns for its segments (one per two). */
static unsigned int tcp_send(struct ipol_pkt *out, unsigned int n, uint32_t bytes)
{
	uint32_t segs = (bytes + MSS - 1) / MSS;
	uint32_t max_payload = IPOL_TX_MAX - HDR;
	uint32_t left = bytes, acks = (segs + 1) / 2;

	while (left) {
		uint32_t chunk = left > max_payload ? max_payload : left;

		n = add(out, n, IPOL_TX, chunk + HDR);
		left -= chunk;
	}
	while (acks--)
		n = add(out, n, IPOL_RX, HDR);
	return n;
}

/* netperf TCP_STREAM, 16 KiB messages: one 16 KiB send per transaction. */
static unsigned int netperf_16k(uint64_t *rng, struct ipol_pkt *out)
{
	(void)rng;
	return tcp_send(out, 0, 16384);
}

/*
 * netperf TCP_STREAM, 256-byte messages sent one segment each (no Nagle
 * coalescing, as with -D): two messages and the ACK that covers them.
 */
static unsigned int netperf_256(uint64_t *rng, struct ipol_pkt *out)
{
	unsigned int n = 0;

	(void)rng;
	n = add(out, n, IPOL_TX, 256 + HDR);
	n = add(out, n, IPOL_TX, 256 + HDR);
	return add(out, n, IPOL_RX, HDR);
}

/*
 * memcached, memslap-like: 90 % GET (a short request, a value of 32 B to
 * 1 KiB back), 10 % SET (the value in, "STORED" back).
 */
static unsigned int memcached(uint64_t *rng, struct ipol_pkt *out)
{
	uint32_t key = uniform(rng, 16, 64);
	uint32_t value = uniform(rng, 32, 1024);
	unsigned int n = 0;

	if (ipol_rand(rng) % 10) {
		n = add(out, n, IPOL_RX, HDR + 6 + key);		/* get <key>\r\n */
		n = add(out, n, IPOL_TX, HDR + 24 + key + value + 7);	/* VALUE ... END */
	} else {
		n = add(out, n, IPOL_RX, HDR + 24 + key + value + 2);	/* set ... data */
		n = add(out, n, IPOL_TX, HDR + 8);			/* STORED\r\n */
	}
	return n;
}

/*
 * apache, ab-like: a 200-400 byte request; 85 % small responses (1-8 KiB
 * pages), 15 % large ones (32-128 KiB files), each sent with TSO and
 * acknowledged by the client.
 */
static unsigned int apache(uint64_t *rng, struct ipol_pkt *out)
{
	unsigned int n = 0;
	uint32_t resp;

	n = add(out, n, IPOL_RX, HDR + uniform(rng, 200, 400));
	if (ipol_rand(rng) % 100 < 85)
		resp = uniform(rng, 1024, 8192);
	else
		resp = uniform(rng, 32768, 131072);
	return tcp_send(out, n, resp + 250);	/* + response headers */
}

const struct ipol_workload ipol_workloads[] = {
	{ "netperf-16k", "netperf TCP_STREAM, 16 KiB messages (TSO sends, ACKs back)",
	  netperf_16k },
	{ "netperf-256", "netperf TCP_STREAM, 256-byte messages (one segment each)",
	  netperf_256 },
	{ "memcached", "memcached: 90% GET / 10% SET, keys 16-64 B, values 32 B-1 KiB",
	  memcached },
	{ "apache", "apache: 85% 1-8 KiB pages, 15% 32-128 KiB files, TSO sends",
	  apache },
};
const size_t ipol_nr_workloads = sizeof(ipol_workloads) / sizeof(ipol_workloads[0]);

const struct ipol_workload *ipol_workload_find(const char *name)
{
	size_t i;

	for (i = 0; i < ipol_nr_workloads; i++)
		if (!strcmp(ipol_workloads[i].name, name))
			return &ipol_workloads[i];
	return NULL;
}
