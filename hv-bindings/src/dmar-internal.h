/* SPDX-License-Identifier: MIT */
/*
 * dmar-internal.h - what tests may reach in dmar-build.c and users may not.
 *
 * The table length is a 32-bit field; a test cannot allocate 4 GiB of
 * scopes to prove that the limit is enforced, so it lowers the limit.
 * Not exported from libhvbind.so (hidden, not in libhvbind.sym); the
 * tests link the static archive.
 */
#ifndef HVBIND_DMAR_INTERNAL_H
#define HVBIND_DMAR_INTERNAL_H

#include <stdint.h>

#include <hvbind/dmar.h>

/* Replace the table-length limit (UINT32_MAX) of a builder; for tests. */
void hvb__dmar_set_len_max(struct hvb_dmar *b, uint64_t len_max);

#endif /* HVBIND_DMAR_INTERNAL_H */
