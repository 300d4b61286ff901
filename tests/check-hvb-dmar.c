// SPDX-License-Identifier: MIT
/*
 * check-hvb-dmar.c - libhvbind's guest DMAR table builder.
 *
 * Three kinds of cases:
 *  - bytes: tables built through hvbind/dmar.h, read back at offsets
 *    worked out by hand from the VT-d specification (8.1 DMAR, 8.3 DRHD,
 *    8.3.1 device scope, 8.4 RMRR) and the ACPI header layout; the offset
 *    arithmetic is in the comments;
 *  - iasl: the same tables disassembled by `iasl -d` (ACPICA, the code
 *    Linux's own ACPI tables go through), the .dsl text parsed and each
 *    decoded field compared, by offset and name, with the value the table
 *    was built from, and the checksum accepted without a warning.  A
 *    self-test corrupts a table and proves the comparison and the
 *    checksum check fail.  Built only when configure found iasl;
 *  - rejections: every rule hvbind/dmar.h lists, one case each, and that
 *    a refused call leaves the builder as it was.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <hvbind/dmar.h>

#include "dmar-internal.h"

/* ---- Helpers ----------------------------------------------------------- */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static struct hvb_dmar *new_builder(unsigned int haw, uint8_t flags)
{
	struct hvb_dmar_config cfg = { .host_addr_width = haw, .flags = flags };
	struct hvb_dmar *b = NULL;

	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), 0);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* Build into a fresh buffer of exactly the needed length. */
static uint8_t *build(const struct hvb_dmar *b, size_t *len)
{
	size_t need = 0;
	uint8_t *t;

	ck_assert_int_eq(hvb_dmar_build(b, NULL, 0, &need), -ENOSPC);
	ck_assert_uint_gt(need, 0);
	t = malloc(need);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(hvb_dmar_build(b, t, need, len), 0);
	ck_assert_uint_eq(*len, need);
	return t;
}

static size_t table_len(const struct hvb_dmar *b)
{
	size_t need = 0;

	hvb_dmar_build(b, NULL, 0, &need);
	return need;
}

static void add_scope(struct hvb_dmar *b, bool rmrr, unsigned int idx, uint8_t type,
		      uint8_t enum_id, uint8_t bus, const struct hvb_dmar_path *path, size_t n)
{
	struct hvb_dmar_scope s = {
		.type = type, .enum_id = enum_id, .start_bus = bus, .path = path, .path_len = n,
	};

	if (rmrr)
		ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, idx, &s), 0);
	else
		ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, idx, &s), 0);
}

/* ---- The tables --------------------------------------------------------- */

/*
 * The Linux guest: one unit at 0xfed90000 translating for the
 * assigned device 00:03.0, a 39-bit guest, interrupt remapping offered.
 *   0  header (48)  36: HAW 39 - 1 = 38 = 0x26, 37: flags 0x01
 *  48  DRHD, length 16 + 8 = 24:  52 flags, 53 size, 54 segment,
 *      56 register base
 *  64  scope: 64 type 1, 65 length 6 + 2 = 8, 68 enum, 69 bus, 70 path 03,00
 *  72  end
 */
static struct hvb_dmar *table_linux_guest(void)
{
	static const struct hvb_dmar_path p = { 3, 0 };
	struct hvb_dmar *b = new_builder(39, HVB_DMAR_FLAG_INTR_REMAP);
	unsigned int d = 99;

	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, &d), 0);
	ck_assert_uint_eq(d, 0);
	add_scope(b, false, d, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p, 1);
	return b;
}

/*
 * Three units, INCLUDE_PCI_ALL last on segment 0, a 48-bit guest:
 *   36: HAW 0x2f, 37: flags INTR_REMAP | X2APIC_OPT_OUT = 0x03
 *  48  DRHD0 seg 0 @0xfed90000, length 16 + 8 + 10 = 34 = 0x22
 *      64 endpoint 00:03.0 (path at 70); 72 sub-hierarchy, length 10,
 *      bus 0, path 1c.0 then 00.0 (path at 78 and 80)
 *  82  DRHD1 seg 1 @0xfed91000, length 24: 86 flags, 88 segment, 90 base
 *      98 endpoint, 103 bus 0x80, 104 path 02,01
 * 106  DRHD2 INCLUDE_PCI_ALL seg 0 @0xfed92000, 2 pages (size 1), length
 *      16 + 8 + 8 = 32 = 0x20: 110 flags, 111 size, 112 segment, 114 base
 *      122 IOAPIC, 126 enum 8, 127 bus 0xf0, 128 path 1f,00
 *      130 HPET, 134 enum 0, 135 bus 0, 136 path 1f,07
 * 138  end (0x8a)
 */
static struct hvb_dmar *table_multi(void)
{
	static const struct hvb_dmar_path ep = { 3, 0 }, br[2] = { { 0x1c, 0 }, { 0, 0 } },
		ep1 = { 2, 1 }, ioapic = { 0x1f, 0 }, hpet = { 0x1f, 7 };
	struct hvb_dmar *b = new_builder(48, HVB_DMAR_FLAG_INTR_REMAP |
					 HVB_DMAR_FLAG_X2APIC_OPT_OUT);
	unsigned int d0, d1, d2;

	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, &d0), 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 1, 0xfed91000, 0, &d1), 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed92000, 1,
					   &d2), 0);
	ck_assert_uint_eq(d0, 0);
	ck_assert_uint_eq(d1, 1);
	ck_assert_uint_eq(d2, 2);
	add_scope(b, false, d0, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &ep, 1);
	add_scope(b, false, d0, HVB_DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, br, 2);
	add_scope(b, false, d1, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0x80, &ep1, 1);
	add_scope(b, false, d2, HVB_DMAR_SCOPE_IOAPIC, 8, 0xf0, &ioapic, 1);
	add_scope(b, false, d2, HVB_DMAR_SCOPE_HPET, 0, 0, &hpet, 1);
	return b;
}

/*
 * RMRRs added before the DRHD still follow it (spec 8.2):
 *  48  DRHD INCLUDE_PCI_ALL seg 0 @0xfed90000, length 24
 *      64 IOAPIC enum 2 (68), bus 0xf0 (69), path 1f,00 (70)
 *  72  RMRR0 length 24 + 8 + 8 = 40 = 0x28: 76 reserved, 78 segment,
 *      80 base 0x7f000000, 88 limit 0x7f0fffff
 *      96 endpoint, 101 bus 0, 102 path 1f,02; 104 endpoint, 110 path 1d,00
 * 112  RMRR1 length 32: 118 segment, 120 base 0xe0000, 128 limit 0xeffff
 *      136 endpoint, 142 path 14,00
 * 144  end (0x90)
 */
static struct hvb_dmar *table_rmrr(void)
{
	static const struct hvb_dmar_path sata = { 0x1f, 2 }, ehci = { 0x1d, 0 },
		xhci = { 0x14, 0 }, ioapic = { 0x1f, 0 };
	struct hvb_dmar *b = new_builder(39, HVB_DMAR_FLAG_INTR_REMAP);
	unsigned int r0, r1, d;

	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x7f000000, 0x7f0fffff, &r0), 0);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0xe0000, 0xeffff, &r1), 0);
	ck_assert_uint_eq(r0, 0);
	ck_assert_uint_eq(r1, 1);
	add_scope(b, true, r0, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &sata, 1);
	add_scope(b, true, r0, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &ehci, 1);
	add_scope(b, true, r1, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &xhci, 1);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed90000, 0,
					   &d), 0);
	add_scope(b, false, d, HVB_DMAR_SCOPE_IOAPIC, 2, 0xf0, &ioapic, 1);
	return b;
}

/*
 * One INCLUDE_PCI_ALL unit whose scope is the IOAPIC its interrupts are
 * remapped for, on segment 5, with a 4-page register set (size 2) and
 * the platform-opt-in flag:
 *  37 flags INTR_REMAP | DMA_CTRL_PLATFORM_OPT_IN = 0x05
 *  48 DRHD, 52 flags 1, 53 size 2, 54 segment 5, 56 base 0xfed80000
 *  64 IOAPIC (3), 68 enum 0x21, 69 bus 0xf0, 70 path 1f,00; 72 end
 */
static struct hvb_dmar *table_ioapic(void)
{
	static const struct hvb_dmar_path p = { 0x1f, 0 };
	struct hvb_dmar *b = new_builder(46, HVB_DMAR_FLAG_INTR_REMAP |
					 HVB_DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN);

	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 5, 0xfed80000, 2,
					   NULL), 0);
	add_scope(b, false, 0, HVB_DMAR_SCOPE_IOAPIC, 0x21, 0xf0, &p, 1);
	return b;
}

/* ---- Bytes against the spec --------------------------------------------- */

static void check_header(const uint8_t *t, size_t len, uint8_t haw_m1, uint8_t flags)
{
	size_t i;

	ck_assert_mem_eq(t, "DMAR", 4);
	ck_assert_uint_eq(le32(t + 4), len);
	ck_assert_uint_eq(t[8], 1);				/* DMAR revision */
	ck_assert_uint_eq(sum8(t, len), 0);			/* ACPI 5.2.6 */
	ck_assert_mem_eq(t + 10, "HVBIND", 6);			/* defaults */
	ck_assert_mem_eq(t + 16, "HVBDMAR ", 8);
	ck_assert_mem_eq(t + 28, "HVB ", 4);
	ck_assert_uint_eq(t[36], haw_m1);
	ck_assert_uint_eq(t[37], flags);
	for (i = 38; i < 48; i++)
		ck_assert_uint_eq(t[i], 0);
}

static void check_scope_bytes(const uint8_t *s, uint8_t type, uint8_t enum_id, uint8_t bus,
			      const uint8_t *path, size_t n)
{
	ck_assert_uint_eq(s[0], type);
	ck_assert_uint_eq(s[1], 6 + 2 * n);
	ck_assert_uint_eq(le16(s + 2), 0);
	ck_assert_uint_eq(s[4], enum_id);
	ck_assert_uint_eq(s[5], bus);
	ck_assert_mem_eq(s + 6, path, 2 * n);
}

START_TEST(linux_guest_bytes_match_the_spec)
{
	struct hvb_dmar *b = table_linux_guest();
	size_t len;
	uint8_t *t = build(b, &len);

	ck_assert_uint_eq(len, 72);
	check_header(t, len, 38, 0x01);
	ck_assert_uint_eq(le16(t + 48), 0);			/* DRHD */
	ck_assert_uint_eq(le16(t + 50), 24);
	ck_assert_uint_eq(t[52], 0);
	ck_assert_uint_eq(t[53], 0);
	ck_assert_uint_eq(le16(t + 54), 0);
	ck_assert_uint_eq(le64(t + 56), 0xfed90000);
	check_scope_bytes(t + 64, 1, 0, 0, (const uint8_t[]){ 3, 0 }, 1);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(multi_drhd_bytes_match_the_spec)
{
	struct hvb_dmar *b = table_multi();
	size_t len;
	uint8_t *t = build(b, &len);

	ck_assert_uint_eq(len, 138);
	check_header(t, len, 0x2f, 0x03);
	ck_assert_uint_eq(le16(t + 48), 0);
	ck_assert_uint_eq(le16(t + 50), 34);
	ck_assert_uint_eq(t[52], 0);
	ck_assert_uint_eq(le16(t + 54), 0);
	ck_assert_uint_eq(le64(t + 56), 0xfed90000);
	check_scope_bytes(t + 64, 1, 0, 0, (const uint8_t[]){ 3, 0 }, 1);
	check_scope_bytes(t + 72, 2, 0, 0, (const uint8_t[]){ 0x1c, 0, 0, 0 }, 2);

	ck_assert_uint_eq(le16(t + 82), 0);
	ck_assert_uint_eq(le16(t + 84), 24);
	ck_assert_uint_eq(t[86], 0);
	ck_assert_uint_eq(le16(t + 88), 1);
	ck_assert_uint_eq(le64(t + 90), 0xfed91000);
	check_scope_bytes(t + 98, 1, 0, 0x80, (const uint8_t[]){ 2, 1 }, 1);

	ck_assert_uint_eq(le16(t + 106), 0);
	ck_assert_uint_eq(le16(t + 108), 32);
	ck_assert_uint_eq(t[110], 1);				/* INCLUDE_PCI_ALL */
	ck_assert_uint_eq(t[111], 1);				/* 2^1 pages */
	ck_assert_uint_eq(le16(t + 112), 0);
	ck_assert_uint_eq(le64(t + 114), 0xfed92000);
	check_scope_bytes(t + 122, 3, 8, 0xf0, (const uint8_t[]){ 0x1f, 0 }, 1);
	check_scope_bytes(t + 130, 4, 0, 0, (const uint8_t[]){ 0x1f, 7 }, 1);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(rmrr_bytes_follow_the_drhds)
{
	struct hvb_dmar *b = table_rmrr();
	size_t len;
	uint8_t *t = build(b, &len);

	ck_assert_uint_eq(len, 144);
	check_header(t, len, 38, 0x01);
	ck_assert_uint_eq(le16(t + 48), 0);
	ck_assert_uint_eq(le16(t + 50), 24);
	ck_assert_uint_eq(t[52], 1);
	ck_assert_uint_eq(le64(t + 56), 0xfed90000);
	check_scope_bytes(t + 64, 3, 2, 0xf0, (const uint8_t[]){ 0x1f, 0 }, 1);

	ck_assert_uint_eq(le16(t + 72), 1);			/* RMRR */
	ck_assert_uint_eq(le16(t + 74), 40);
	ck_assert_uint_eq(le16(t + 76), 0);
	ck_assert_uint_eq(le16(t + 78), 0);
	ck_assert_uint_eq(le64(t + 80), 0x7f000000);
	ck_assert_uint_eq(le64(t + 88), 0x7f0fffff);
	check_scope_bytes(t + 96, 1, 0, 0, (const uint8_t[]){ 0x1f, 2 }, 1);
	check_scope_bytes(t + 104, 1, 0, 0, (const uint8_t[]){ 0x1d, 0 }, 1);

	ck_assert_uint_eq(le16(t + 112), 1);
	ck_assert_uint_eq(le16(t + 114), 32);
	ck_assert_uint_eq(le64(t + 120), 0xe0000);
	ck_assert_uint_eq(le64(t + 128), 0xeffff);
	check_scope_bytes(t + 136, 1, 0, 0, (const uint8_t[]){ 0x14, 0 }, 1);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(ioapic_scope_bytes_match_the_spec)
{
	struct hvb_dmar *b = table_ioapic();
	size_t len;
	uint8_t *t = build(b, &len);

	ck_assert_uint_eq(len, 72);
	check_header(t, len, 45, 0x05);
	ck_assert_uint_eq(le16(t + 50), 24);
	ck_assert_uint_eq(t[52], 1);
	ck_assert_uint_eq(t[53], 2);
	ck_assert_uint_eq(le16(t + 54), 5);
	ck_assert_uint_eq(le64(t + 56), 0xfed80000);
	check_scope_bytes(t + 64, 3, 0x21, 0xf0, (const uint8_t[]){ 0x1f, 0 }, 1);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(header_ids_are_space_padded)
{
	struct hvb_dmar_config cfg = {
		.host_addr_width = 64, .oem_id = "BOCHS", .oem_table_id = "BXPC",
		.oem_revision = 0x12345678, .creator_id = "BX", .creator_revision = 0xa1b2c3d4,
	};
	static const struct hvb_dmar_path p = { 3, 0 };
	struct hvb_dmar *b = NULL;
	size_t len;
	uint8_t *t;

	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	add_scope(b, false, 0, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p, 1);
	t = build(b, &len);
	ck_assert_mem_eq(t + 10, "BOCHS ", 6);
	ck_assert_mem_eq(t + 16, "BXPC    ", 8);
	ck_assert_uint_eq(le32(t + 24), 0x12345678);
	ck_assert_mem_eq(t + 28, "BX  ", 4);
	ck_assert_uint_eq(le32(t + 32), 0xa1b2c3d4);
	ck_assert_uint_eq(t[36], 63);
	ck_assert_uint_eq(sum8(t, len), 0);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(build_reports_needed_and_writes_nothing_short)
{
	struct hvb_dmar *b = table_linux_guest();
	uint8_t buf[100];
	size_t need = 0, i;

	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(hvb_dmar_build(b, NULL, 0, &need), -ENOSPC);
	ck_assert_uint_eq(need, 72);
	need = 0;
	ck_assert_int_eq(hvb_dmar_build(b, buf, 71, &need), -ENOSPC);
	ck_assert_uint_eq(need, 72);
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xa5);
	ck_assert_int_eq(hvb_dmar_build(b, buf, sizeof(buf), NULL), 0);
	ck_assert_mem_eq(buf, "DMAR", 4);
	for (i = 72; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xa5);
	hvb_dmar_free(b);
}
END_TEST

/* Scope order is the order added; the checksum tracks every byte. */
START_TEST(checksum_follows_content)
{
	struct hvb_dmar *a = table_linux_guest(), *b = table_linux_guest();
	static const struct hvb_dmar_path p = { 4, 1 };
	size_t la, lb;
	uint8_t *ta, *tb;

	add_scope(b, false, 0, HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p, 1);
	ta = build(a, &la);
	tb = build(b, &lb);
	ck_assert_uint_eq(lb, la + 8);
	ck_assert_uint_eq(le16(tb + 50), 32);
	ck_assert_mem_eq(ta + 48 + 4, tb + 48 + 4, 24 - 4);	/* first scope unchanged */
	check_scope_bytes(tb + 72, 1, 0, 0, (const uint8_t[]){ 4, 1 }, 1);
	ck_assert_uint_eq(sum8(tb, lb), 0);
	ck_assert_uint_ne(ta[9], tb[9]);
	free(ta);
	free(tb);
	hvb_dmar_free(a);
	hvb_dmar_free(b);
}
END_TEST

/* ---- iasl ---------------------------------------------------------------- */

struct dsl_field {
	unsigned int off, len;
	char name[48];
	char value[96];
};

struct dsl {
	struct dsl_field f[256];
	size_t n;
	char *text;	/* the .dsl file */
	char *out;	/* iasl's stdout and stderr */
	int status;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

/*
 * iasl -d writes "[HexOff DecOff Len]   Field Name : Value [comment]" per
 * field.  Keep the decimal offset, the name and the value's first token
 * (a quoted string whole).
 */
static void dsl_parse(struct dsl *d)
{
	char *line, *save = NULL, *copy = strdup(d->text);

	ck_assert_ptr_nonnull(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int hex, dec, len;
		char *close, *colon, *name, *val, *end;
		struct dsl_field *f;

		if (sscanf(line, "[%xh %u %u]", &hex, &dec, &len) != 3)
			continue;
		close = strchr(line, ']');
		colon = close ? strstr(close, " : ") : NULL;
		if (!colon || d->n == sizeof(d->f) / sizeof(d->f[0]))
			continue;
		*colon = 0;
		name = close + 1;
		while (*name == ' ')
			name++;
		val = colon + 3;
		if (*val == '"')
			end = strchr(val + 1, '"') ? strchr(val + 1, '"') + 1 : val + strlen(val);
		else
			end = val + strcspn(val, " \t");
		*end = 0;
		f = &d->f[d->n++];
		f->off = dec;
		f->len = len;
		snprintf(f->name, sizeof(f->name), "%s", name);
		snprintf(f->value, sizeof(f->value), "%s", val);
		trim(f->name);
	}
	free(copy);
}

/* Disassemble @t in a fresh directory; the caller checks d->status. */
static void iasl_disassemble(const uint8_t *t, size_t len, struct dsl *d)
{
	char dir[] = "/tmp/check-hvb-dmar.XXXXXX", path[64];
	FILE *f;
	pid_t pid;

	memset(d, 0, sizeof(*d));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dmar.dat", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(t, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		if (chdir(dir))
			_exit(126);
		fd = open("iasl.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(IASL, "iasl", "-d", "dmar.dat", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &d->status, 0), pid);

	snprintf(path, sizeof(path), "%s/iasl.out", dir);
	d->out = slurp(path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dmar.dsl", dir);
	d->text = slurp(path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dmar.dat", dir);
	unlink(path);
	rmdir(dir);
	ck_assert_msg(d->out, "no iasl output");
	ck_assert_msg(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 0,
		      "iasl -d failed (status 0x%x): %s", d->status, d->out);
	ck_assert_msg(d->text, "iasl wrote no dmar.dsl: %s", d->out);
	dsl_parse(d);
}

static void dsl_free(struct dsl *d)
{
	free(d->text);
	free(d->out);
}

/*
 * @name NULL: any name.  The DRHD's size byte (offset 5) is "Reserved" to
 * iasl versions older than VT-d 3.0's size field and "Size" to newer ones.
 */
struct expect {
	unsigned int off;
	const char *name;
	const char *value;
};

/* Number of fields that differ from @e; the first difference in @why. */
static size_t dsl_compare(const struct dsl *d, const struct expect *e, size_t n, char *why,
			  size_t whylen)
{
	size_t bad = 0, i, j;

	why[0] = 0;
	for (i = 0; i < n; i++) {
		const struct dsl_field *f = NULL;

		for (j = 0; j < d->n; j++)
			if (d->f[j].off == e[i].off &&
			    (!e[i].name || !strcmp(d->f[j].name, e[i].name)))
				f = &d->f[j];
		if (f && !strcmp(f->value, e[i].value))
			continue;
		if (!bad++)
			snprintf(why, whylen, "at %u \"%s\": iasl says %s, expected %s", e[i].off,
				 e[i].name ? e[i].name : "(any name)", f ? f->value : "(no such field)", e[i].value);
	}
	return bad;
}

/* What iasl says when it does not accept a table as it is. */
static const char *dsl_complaint(const struct dsl *d)
{
	static const char *const words[] = { "Incorrect checksum", "Warning", "Error",
					     "Invalid", "****" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(d->text, words[i]) || strstr(d->out, words[i]))
			return words[i];
	return NULL;
}

/* The last field iasl decoded must end where the table ends. */
static unsigned int dsl_end(const struct dsl *d)
{
	unsigned int end = 0;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->f[i].off + d->f[i].len > end)
			end = d->f[i].off + d->f[i].len;
	return end;
}

#define E(o, n, v) { (o), (n), (v) }

static const struct expect exp_linux_guest[] = {
	E(0, "Signature", "\"DMAR\""), E(4, "Table Length", "00000048"),
	E(8, "Revision", "01"), E(10, "Oem ID", "\"HVBIND\""),
	E(16, "Oem Table ID", "\"HVBDMAR \""), E(28, "Asl Compiler ID", "\"HVB \""),
	E(36, "Host Address Width", "26"), E(37, "Flags", "01"),
	E(48, "Subtable Type", "0000"), E(50, "Length", "0018"), E(52, "Flags", "00"),
	E(53, NULL, "00"), E(54, "PCI Segment Number", "0000"),
	E(56, "Register Base Address", "00000000FED90000"),
	E(64, "Device Scope Type", "01"), E(65, "Entry Length", "08"),
	E(68, "Enumeration ID", "00"), E(69, "PCI Bus Number", "00"),
	E(70, "PCI Path", "03,00"),
};

static const struct expect exp_multi[] = {
	E(4, "Table Length", "0000008A"),
	E(36, "Host Address Width", "2F"), E(37, "Flags", "03"),
	E(48, "Subtable Type", "0000"), E(50, "Length", "0022"), E(52, "Flags", "00"),
	E(54, "PCI Segment Number", "0000"),
	E(56, "Register Base Address", "00000000FED90000"),
	E(64, "Device Scope Type", "01"), E(69, "PCI Bus Number", "00"),
	E(70, "PCI Path", "03,00"),
	E(72, "Device Scope Type", "02"), E(73, "Entry Length", "0A"),
	E(77, "PCI Bus Number", "00"), E(78, "PCI Path", "1C,00"), E(80, "PCI Path", "00,00"),
	E(82, "Subtable Type", "0000"), E(84, "Length", "0018"), E(86, "Flags", "00"),
	E(88, "PCI Segment Number", "0001"),
	E(90, "Register Base Address", "00000000FED91000"),
	E(98, "Device Scope Type", "01"), E(103, "PCI Bus Number", "80"),
	E(104, "PCI Path", "02,01"),
	E(106, "Subtable Type", "0000"), E(108, "Length", "0020"), E(110, "Flags", "01"),
	E(111, NULL, "01"), E(112, "PCI Segment Number", "0000"),
	E(114, "Register Base Address", "00000000FED92000"),
	E(122, "Device Scope Type", "03"), E(126, "Enumeration ID", "08"),
	E(127, "PCI Bus Number", "F0"), E(128, "PCI Path", "1F,00"),
	E(130, "Device Scope Type", "04"), E(134, "Enumeration ID", "00"),
	E(135, "PCI Bus Number", "00"), E(136, "PCI Path", "1F,07"),
};

static const struct expect exp_rmrr[] = {
	E(4, "Table Length", "00000090"),
	E(36, "Host Address Width", "26"), E(37, "Flags", "01"),
	E(48, "Subtable Type", "0000"), E(52, "Flags", "01"),
	E(56, "Register Base Address", "00000000FED90000"),
	E(64, "Device Scope Type", "03"), E(68, "Enumeration ID", "02"),
	E(69, "PCI Bus Number", "F0"), E(70, "PCI Path", "1F,00"),
	E(72, "Subtable Type", "0001"), E(74, "Length", "0028"),
	E(78, "PCI Segment Number", "0000"),
	E(80, "Base Address", "000000007F000000"),
	E(88, "End Address (limit)", "000000007F0FFFFF"),
	E(96, "Device Scope Type", "01"), E(101, "PCI Bus Number", "00"),
	E(102, "PCI Path", "1F,02"),
	E(104, "Device Scope Type", "01"), E(110, "PCI Path", "1D,00"),
	E(112, "Subtable Type", "0001"), E(114, "Length", "0020"),
	E(120, "Base Address", "00000000000E0000"),
	E(128, "End Address (limit)", "00000000000EFFFF"),
	E(136, "Device Scope Type", "01"), E(142, "PCI Path", "14,00"),
};

static const struct expect exp_ioapic[] = {
	E(36, "Host Address Width", "2D"), E(37, "Flags", "05"),
	E(52, "Flags", "01"), E(53, NULL, "02"), E(54, "PCI Segment Number", "0005"),
	E(56, "Register Base Address", "00000000FED80000"),
	E(64, "Device Scope Type", "03"), E(65, "Entry Length", "08"),
	E(68, "Enumeration ID", "21"), E(69, "PCI Bus Number", "F0"),
	E(70, "PCI Path", "1F,00"),
};

static const struct {
	const char *name;
	struct hvb_dmar *(*make)(void);
	const struct expect *e;
	size_t n;
} iasl_tables[] = {
	{ "linux_guest", table_linux_guest, exp_linux_guest,
	  sizeof(exp_linux_guest) / sizeof(exp_linux_guest[0]) },
	{ "multi", table_multi, exp_multi, sizeof(exp_multi) / sizeof(exp_multi[0]) },
	{ "rmrr", table_rmrr, exp_rmrr, sizeof(exp_rmrr) / sizeof(exp_rmrr[0]) },
	{ "ioapic", table_ioapic, exp_ioapic, sizeof(exp_ioapic) / sizeof(exp_ioapic[0]) },
};

START_TEST(iasl_decodes_the_fields_built)
{
	struct hvb_dmar *b = iasl_tables[_i].make();
	const char *complaint;
	char why[200], sum[8];
	struct dsl d;
	size_t len;
	uint8_t *t = build(b, &len);

	iasl_disassemble(t, len, &d);
	complaint = dsl_complaint(&d);
	ck_assert_msg(!complaint, "%s: iasl complains (\"%s\"):\n%s\n%s", iasl_tables[_i].name,
		      complaint, d.out, d.text);
	ck_assert_msg(!dsl_compare(&d, iasl_tables[_i].e, iasl_tables[_i].n, why, sizeof(why)),
		      "%s: %s", iasl_tables[_i].name, why);
	/* The checksum iasl shows is the byte written, and it said nothing. */
	snprintf(sum, sizeof(sum), "%02X", t[9]);
	ck_assert_msg(!dsl_compare(&d, &(struct expect)E(9, "Checksum", sum), 1, why,
				   sizeof(why)), "%s: %s", iasl_tables[_i].name, why);
	ck_assert_uint_eq(dsl_end(&d), len);
	dsl_free(&d);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

/* The oracle can fail: a wrong checksum and a wrong field are seen. */
START_TEST(iasl_check_sees_a_corrupt_table)
{
	struct hvb_dmar *b = table_linux_guest();
	char why[200];
	struct dsl d;
	size_t len;
	uint8_t *t = build(b, &len);

	t[9] ^= 1;
	iasl_disassemble(t, len, &d);
	ck_assert_ptr_nonnull(dsl_complaint(&d));
	ck_assert_ptr_nonnull(strstr(d.text, "Incorrect checksum"));
	dsl_free(&d);

	t[9] ^= 1;
	t[57] ^= 0x10;		/* register base 0xfed91000 */
	t[9] = (uint8_t)(t[9] - 0x10);	/* keep the sum at 0 */
	ck_assert_uint_eq(sum8(t, len), 0);
	iasl_disassemble(t, len, &d);
	ck_assert_ptr_null(dsl_complaint(&d));
	ck_assert_uint_eq(dsl_compare(&d, exp_linux_guest,
				      sizeof(exp_linux_guest) / sizeof(exp_linux_guest[0]), why,
				      sizeof(why)), 1);
	ck_assert_ptr_nonnull(strstr(why, "FED91000"));
	dsl_free(&d);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

/* ---- Rejections ---------------------------------------------------------- */

static const struct hvb_dmar_path p30 = { 3, 0 };

static struct hvb_dmar_scope scope(uint8_t type, uint8_t enum_id, uint8_t bus,
				   const struct hvb_dmar_path *path, size_t n)
{
	return (struct hvb_dmar_scope){
		.type = type, .enum_id = enum_id, .start_bus = bus, .path = path, .path_len = n,
	};
}

START_TEST(new_rejects_bad_config)
{
	struct hvb_dmar_config cfg = { .host_addr_width = 39 };
	struct hvb_dmar *b = NULL;

	ck_assert_int_eq(hvb_dmar_new(NULL, &b), -EINVAL);
	ck_assert_int_eq(hvb_dmar_new(&cfg, NULL), -EINVAL);
	cfg.flags = 0x08;
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -EINVAL);
	cfg.flags = HVB_DMAR_FLAGS_ALL;
	cfg.host_addr_width = HVB_DMAR_HAW_MIN - 1;
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -ERANGE);
	cfg.host_addr_width = HVB_DMAR_HAW_MAX + 1;
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -ERANGE);
	cfg.host_addr_width = 39;
	cfg.oem_id = "TOOLONG";
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -EINVAL);
	cfg.oem_id = "BAD\x01";
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -EINVAL);
	cfg.oem_id = "SIXCHR";
	cfg.oem_table_id = "NINECHARS";
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -EINVAL);
	cfg.oem_table_id = "EIGHTCHR";
	cfg.creator_id = "FIVEC";
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -EINVAL);
	ck_assert_ptr_null(b);
	cfg.creator_id = "FOUR";
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), 0);	/* every limit itself is fine */
	hvb_dmar_free(b);
}
END_TEST

START_TEST(drhd_rejects_reserved_flags_and_misalignment)
{
	struct hvb_dmar *b = new_builder(39, 0);

	ck_assert_int_eq(hvb_dmar_add_drhd(NULL, 0, 0, 0xfed90000, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0x02, 0, 0xfed90000, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90800, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90001, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, HVB_DMAR_DRHD_SIZE_LOG2_MAX + 1,
					   NULL), -ERANGE);
	ck_assert_uint_eq(table_len(b), 0);			/* no DRHD: build refuses */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, HVB_DMAR_DRHD_SIZE_LOG2_MAX,
					   NULL), 0);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(drhd_rejects_registers_beyond_the_address_width)
{
	struct hvb_dmar *b = new_builder(32, 0);

	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0x100000000ull, 0, NULL), -ERANGE);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfffff000, 1, NULL), -ERANGE);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfffff000, 0, NULL), 0);	/* last page */
	hvb_dmar_free(b);
	b = new_builder(64, 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfffffffffffff000ull, 1, NULL), -ERANGE);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfffffffffffff000ull, 0, NULL), 0);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(drhd_rejects_overlapping_registers)
{
	struct hvb_dmar *b = new_builder(39, 0);

	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 1, NULL), 0);	/* 2 pages */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 1, 0xfed91000, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 1, 0xfed90000, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 1, 0xfed8f000, 1, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 1, 0xfed8f000, 0, NULL), 0);	/* just below */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 1, 0xfed92000, 0, NULL), 0);	/* just above */
	hvb_dmar_free(b);
}
END_TEST

START_TEST(include_pci_all_is_last_and_once_per_segment)
{
	struct hvb_dmar *b = new_builder(39, 0);
	unsigned int idx = 77;

	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed91000, 0,
					   NULL), 0);
	/* A second INCLUDE_PCI_ALL, or any unit after it, on segment 0. */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed92000, 0,
					   &idx), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed92000, 0, &idx), -EINVAL);
	ck_assert_uint_eq(idx, 77);
	/* The rule is per segment. */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 1, 0xfed92000, 0,
					   &idx), 0);
	ck_assert_uint_eq(idx, 2);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(scope_rejects_bad_entries)
{
	struct hvb_dmar *b = new_builder(39, 0);
	struct hvb_dmar_path bad_dev = { 32, 0 }, bad_fn = { 0, 8 }, path[HVB_DMAR_PATH_MAX + 1];
	struct hvb_dmar_scope s;
	size_t before;

	memset(path, 0, sizeof(path));
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(NULL, 0, &s), -EINVAL);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 1, &s), -EINVAL);	/* no DRHD 1 */
	s.type = 0;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);
	s.type = 5;	/* ACPI namespace device: not supported */
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 1, 0, &p30, 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);	/* enum on PCI */
	s = scope(HVB_DMAR_SCOPE_PCI_SUBHIERARCHY, 1, 0, &p30, 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, NULL, 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 0);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);
	s = scope(HVB_DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, path, HVB_DMAR_PATH_MAX + 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -ERANGE);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &bad_dev, 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -ERANGE);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &bad_fn, 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -ERANGE);
	ck_assert_uint_eq(table_len(b), 0);	/* still no scope: build refuses */
	/* The longest path is fine, and 124 elements make a 254-byte entry. */
	s = scope(HVB_DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, path, HVB_DMAR_PATH_MAX);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);
	before = table_len(b);
	ck_assert_uint_eq(before, 48 + 16 + 254);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(scope_pci_refused_on_include_pci_all)
{
	struct hvb_dmar *b = new_builder(39, 0);
	struct hvb_dmar_scope s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 1);

	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed90000, 0,
					   NULL), 0);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);
	s.type = HVB_DMAR_SCOPE_PCI_SUBHIERARCHY;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EINVAL);
	s.type = HVB_DMAR_SCOPE_HPET;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(scope_rejects_a_device_twice)
{
	struct hvb_dmar *b = new_builder(39, 0);
	struct hvb_dmar_scope s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 1);
	static const struct hvb_dmar_path two[2] = { { 3, 0 }, { 0, 0 } };

	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed91000, 0, NULL), 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 1, 0xfed92000, 0, NULL), 0);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EEXIST);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 1, &s), -EEXIST);	/* other unit */
	s.type = HVB_DMAR_SCOPE_PCI_SUBHIERARCHY;	/* same device, as a bridge */
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 1, &s), -EEXIST);
	s.type = HVB_DMAR_SCOPE_PCI_ENDPOINT;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 2, &s), 0);		/* other segment */
	s.start_bus = 1;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 1, &s), 0);		/* other bus */
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, two, 2);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 1, &s), 0);		/* longer path */

	s = scope(HVB_DMAR_SCOPE_IOAPIC, 2, 0xf0, &p30, 1);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 2, &s), -EEXIST);	/* IOAPIC ID 2 again */
	s.type = HVB_DMAR_SCOPE_HPET;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 1, &s), 0);		/* HPET 2 is not IOAPIC 2 */
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EEXIST);
	hvb_dmar_free(b);
}
END_TEST

/* A DRHD's length is 16 bits: 16 + 257 * 254 = 65294 fits, 65548 does not. */
START_TEST(scope_rejects_a_drhd_over_64k)
{
	struct hvb_dmar *b = new_builder(39, 0);
	struct hvb_dmar_path path[HVB_DMAR_PATH_MAX];
	struct hvb_dmar_scope s = scope(HVB_DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, path,
					HVB_DMAR_PATH_MAX);
	size_t len;
	unsigned int i;
	uint8_t *t;

	memset(path, 0, sizeof(path));
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	for (i = 0; i < 257; i++) {
		s.start_bus = (uint8_t)i;
		path[0].device = (uint8_t)(i >> 8);
		ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);
	}
	s.start_bus = 1;
	path[0].device = 1;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -ERANGE);
	t = build(b, &len);
	ck_assert_uint_eq(len, 48 + 65294);
	ck_assert_uint_eq(le16(t + 50), 65294);
	ck_assert_uint_eq(sum8(t, len), 0);
	free(t);
	hvb_dmar_free(b);
}
END_TEST

/*
 * The table length is 32 bits; the test lowers the limit (4 GiB of
 * scopes is out of reach) and proves every add checks it.
 */
START_TEST(adds_reject_a_table_over_the_length_limit)
{
	struct hvb_dmar *b = new_builder(39, 0);
	struct hvb_dmar_scope s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 1);
	static const struct hvb_dmar_path p40 = { 4, 0 };

	hvb__dmar_set_len_max(b, 48 + 16 + 8 + 7);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);		/* 72 */
	s.path = &p40;
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -ERANGE);	/* 80 */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed91000, 0, NULL), -ERANGE);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x1000, 0x1fff, NULL), -ERANGE);
	ck_assert_uint_eq(table_len(b), 72);
	hvb__dmar_set_len_max(b, 72 + 24);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x1000, 0x1fff, NULL), 0);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), -ERANGE);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(rmrr_rejects_misaligned_and_empty_ranges)
{
	struct hvb_dmar *b = new_builder(39, 0);
	unsigned int idx = 77;

	ck_assert_int_eq(hvb_dmar_add_rmrr(NULL, 0, 0x1000, 0x1fff, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x1800, 0x1fff, &idx), -EINVAL);	/* base */
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x1000, 0x2000, &idx), -EINVAL);	/* limit is not a last byte */
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x1000, 0x1ffe, &idx), -EINVAL);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x3000, 0x1fff, &idx), -EINVAL);	/* limit < base */
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x8000000000ull, 0x8000000fffull, &idx),
			 -ERANGE);							/* 2^39 */
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x7ffffff000ull, 0x8000000fffull, &idx),
			 -ERANGE);
	ck_assert_uint_eq(idx, 77);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x7ffffff000ull, 0x7fffffffffull, &idx), 0);
	ck_assert_uint_eq(idx, 0);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(rmrr_scope_rejects_bad_entries)
{
	struct hvb_dmar *b = new_builder(39, 0);
	struct hvb_dmar_path path[HVB_DMAR_PATH_MAX + 1];
	struct hvb_dmar_scope s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 1);

	memset(path, 0, sizeof(path));
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x1000, 0x1fff, NULL), 0);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(NULL, 0, &s), -EINVAL);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, NULL), -EINVAL);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 1, &s), -EINVAL);	/* no RMRR 1 */
	s.type = HVB_DMAR_SCOPE_IOAPIC;
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), -EINVAL);
	s.type = HVB_DMAR_SCOPE_HPET;
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), -EINVAL);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 3, 0, &p30, 1);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), -EINVAL);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, NULL, 0);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), -EINVAL);
	s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, path, HVB_DMAR_PATH_MAX + 1);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), -ERANGE);
	s = scope(HVB_DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, &p30, 1);
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), 0);
	s.type = HVB_DMAR_SCOPE_PCI_ENDPOINT;
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), -EEXIST);
	hvb_dmar_free(b);
}
END_TEST

START_TEST(build_rejects_incomplete_tables)
{
	struct hvb_dmar *b = new_builder(39, 0);
	struct hvb_dmar_scope s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 1);
	uint8_t buf[256];
	size_t need = 12345;

	ck_assert_int_eq(hvb_dmar_build(NULL, buf, sizeof(buf), &need), -EINVAL);
	ck_assert_int_eq(hvb_dmar_build(b, buf, sizeof(buf), &need), -EINVAL);	/* no DRHD */
	ck_assert_uint_eq(need, 12345);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	ck_assert_int_eq(hvb_dmar_build(b, buf, sizeof(buf), &need), -EINVAL);	/* no scope */
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);
	ck_assert_int_eq(hvb_dmar_build(b, NULL, 10, &need), -EINVAL);
	ck_assert_int_eq(hvb_dmar_build(b, buf, sizeof(buf), &need), 0);
	ck_assert_uint_eq(need, 72);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 1, 0x1000, 0x1fff, NULL), 0);
	ck_assert_int_eq(hvb_dmar_build(b, buf, sizeof(buf), &need), -EINVAL);	/* RMRR without scope */
	s.path = &(const struct hvb_dmar_path){ 0x14, 0 };
	ck_assert_int_eq(hvb_dmar_rmrr_add_scope(b, 0, &s), 0);
	ck_assert_int_eq(hvb_dmar_build(b, buf, sizeof(buf), &need), -EINVAL);	/* segment 1 */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, HVB_DMAR_DRHD_INCLUDE_PCI_ALL, 1, 0xfed91000, 0,
					   NULL), 0);
	ck_assert_int_eq(hvb_dmar_build(b, buf, sizeof(buf), &need), 0);
	ck_assert_uint_eq(need, 72 + 16 + 24 + 8);
	hvb_dmar_free(b);
}
END_TEST

struct log_rec {
	int n, level;
	char last[160];
};

static void log_cb(void *priv, int level, const char *msg)
{
	struct log_rec *r = priv;

	r->n++;
	r->level = level;
	snprintf(r->last, sizeof(r->last), "%s", msg);
}

START_TEST(refusal_leaves_the_builder_and_logs_one_line)
{
	struct log_rec rec = { 0 };
	struct hvb_dmar_config cfg = {
		.host_addr_width = 39, .flags = HVB_DMAR_FLAG_INTR_REMAP,
		.log = log_cb, .log_priv = &rec,
	};
	struct hvb_dmar *b = NULL, *ref = table_linux_guest();
	struct hvb_dmar_scope s = scope(HVB_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, &p30, 1);
	size_t la, lb;
	uint8_t *ta, *tb;

	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), 0);
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90000, 0, NULL), 0);
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), 0);
	ck_assert_int_eq(rec.n, 0);			/* silent on success */
	ck_assert_int_eq(hvb_dmar_add_drhd(b, 0, 0, 0xfed90800, 0, NULL), -EINVAL);
	ck_assert_int_eq(rec.n, 1);
	ck_assert_int_eq(rec.level, LOG_ERR);
	ck_assert_ptr_nonnull(strstr(rec.last, "4 KiB"));
	ck_assert_int_eq(hvb_dmar_drhd_add_scope(b, 0, &s), -EEXIST);
	ck_assert_int_eq(rec.n, 2);
	ck_assert_int_eq(hvb_dmar_add_rmrr(b, 0, 0x1000, 0x1000, NULL), -EINVAL);
	ck_assert_int_eq(rec.n, 3);
	/* Three refusals later the table is the one built without them. */
	ta = build(ref, &la);
	tb = build(b, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert_mem_eq(ta, tb, la);
	free(ta);
	free(tb);
	hvb_dmar_free(b);
	hvb_dmar_free(ref);
	cfg.flags = 0x80;
	cfg.log = log_cb;
	ck_assert_int_eq(hvb_dmar_new(&cfg, &b), -EINVAL);
	ck_assert_int_eq(rec.n, 4);
	hvb_dmar_free(NULL);
}
END_TEST

Suite *hvb_dmar_suite(void);

Suite *hvb_dmar_suite(void)
{
	Suite *s = suite_create("hvb-dmar");
	TCase *tc;

	tc = tcase_create("bytes_match_the_spec");
	tcase_add_test(tc, linux_guest_bytes_match_the_spec);
	tcase_add_test(tc, multi_drhd_bytes_match_the_spec);
	tcase_add_test(tc, rmrr_bytes_follow_the_drhds);
	tcase_add_test(tc, ioapic_scope_bytes_match_the_spec);
	tcase_add_test(tc, header_ids_are_space_padded);
	tcase_add_test(tc, build_reports_needed_and_writes_nothing_short);
	tcase_add_test(tc, checksum_follows_content);
	suite_add_tcase(s, tc);

	if (IASL[0]) {
		tc = tcase_create("iasl_decodes_the_table");
		tcase_add_loop_test(tc, iasl_decodes_the_fields_built, 0,
				    (int)(sizeof(iasl_tables) / sizeof(iasl_tables[0])));
		tcase_add_test(tc, iasl_check_sees_a_corrupt_table);
		tcase_set_timeout(tc, 60);
		suite_add_tcase(s, tc);
	} else {
		fprintf(stderr, "check-hvb-dmar: iasl not found at configure time "
			"(acpica-tools): the iasl cases are skipped\n");
	}

	tc = tcase_create("rejects_what_the_spec_forbids");
	tcase_add_test(tc, new_rejects_bad_config);
	tcase_add_test(tc, drhd_rejects_reserved_flags_and_misalignment);
	tcase_add_test(tc, drhd_rejects_registers_beyond_the_address_width);
	tcase_add_test(tc, drhd_rejects_overlapping_registers);
	tcase_add_test(tc, include_pci_all_is_last_and_once_per_segment);
	tcase_add_test(tc, scope_rejects_bad_entries);
	tcase_add_test(tc, scope_pci_refused_on_include_pci_all);
	tcase_add_test(tc, scope_rejects_a_device_twice);
	tcase_add_test(tc, scope_rejects_a_drhd_over_64k);
	tcase_add_test(tc, adds_reject_a_table_over_the_length_limit);
	tcase_add_test(tc, rmrr_rejects_misaligned_and_empty_ranges);
	tcase_add_test(tc, rmrr_scope_rejects_bad_entries);
	tcase_add_test(tc, build_rejects_incomplete_tables);
	tcase_add_test(tc, refusal_leaves_the_builder_and_logs_one_line);
	suite_add_tcase(s, tc);
	return s;
}
