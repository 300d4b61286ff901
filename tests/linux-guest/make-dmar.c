// SPDX-License-Identifier: MIT
/*
 * make-dmar.c - the DMAR table the Linux guest is given, made by the
 * project's builder (libhvbind, hvbind/dmar.h): one DRHD at the register
 * page viommu-host serves, a device scope naming edu at 00:03.0, a 39-bit
 * host address width, no flags.  The header fields equal those iasl
 * writes for tests/linux-guest/dmar.asl, so run.sh can compare the two
 * tables byte for byte (iasl is the oracle; this is what Linux boots
 * with).
 *
 * Usage: make-dmar OUT REG_BASE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvbind/dmar.h>

int main(int argc, char **argv)
{
	struct hvb_dmar_config cfg = {
		.host_addr_width = 39,
		.oem_id = "LIOMMU",
		.oem_table_id = "LNXGUEST",
		.oem_revision = 1,
		.creator_id = "INTL",
		.creator_revision = 0x20200925,	/* Debian 12's iasl writes this */
	};
	const struct hvb_dmar_path edu = { 3, 0 };
	const struct hvb_dmar_scope scope = {
		.type = HVB_DMAR_SCOPE_PCI_ENDPOINT, .start_bus = 0, .path = &edu, .path_len = 1,
	};
	struct hvb_dmar *b;
	unsigned char buf[512];
	unsigned int drhd;
	size_t len;
	FILE *f;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OUT REG_BASE\n", argv[0]);
		return 2;
	}
	ret = hvb_dmar_new(&cfg, &b);
	if (!ret)
		ret = hvb_dmar_add_drhd(b, 0, 0, strtoull(argv[2], NULL, 0), 0, &drhd);
	if (!ret)
		ret = hvb_dmar_drhd_add_scope(b, drhd, &scope);
	if (!ret)
		ret = hvb_dmar_build(b, buf, sizeof(buf), &len);
	hvb_dmar_free(b);
	if (ret) {
		fprintf(stderr, "make-dmar: %s\n", strerror(-ret));
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "make-dmar: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
