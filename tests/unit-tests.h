/* SPDX-License-Identifier: MIT */
/*
 * unit-tests.h - how check-unit.c and check-fault.c pick up their QEMU
 * test cases, which are built only when configure found
 * qemu-system-x86_64 (HAVE_QEMU in tests/unit.mk).
 */
#ifndef UNIT_TESTS_H
#define UNIT_TESTS_H

#include <check.h>

Suite *unit_suite(void);
Suite *fault_suite(void);

#ifdef LIOMMU_QEMU_TESTS
void unit_qemu_tcases(Suite *s);
void fault_qemu_tcases(Suite *s);
#else
static inline void unit_qemu_tcases(Suite *s) { (void)s; }
static inline void fault_qemu_tcases(Suite *s) { (void)s; }
#endif

#endif /* UNIT_TESTS_H */
