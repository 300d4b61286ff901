/* SPDX-License-Identifier: MIT */
/*
 * hvbind/export.h - symbol visibility for libhvbind's public API.
 *
 * libhvbind is built with -fvisibility=hidden and its own version script
 * (hv-bindings/libhvbind.sym); HVB_EXPORT marks the functions that form
 * its ABI.  The library includes nothing from the rest of the tree, so a
 * hypervisor can link it alone.
 */
#ifndef HVBIND_EXPORT_H
#define HVBIND_EXPORT_H

#if defined(HVB_BUILDING) && defined(__GNUC__)
#define HVB_EXPORT __attribute__((visibility("default")))
#else
#define HVB_EXPORT
#endif

#endif /* HVBIND_EXPORT_H */
