/* SPDX-License-Identifier: MIT */
/*
 * liommu/export.h - symbol visibility for libiommu's public API.
 *
 * The library is built with -fvisibility=hidden and a version script;
 * LIOMMU_EXPORT marks the functions that form the ABI.
 */
#ifndef LIOMMU_EXPORT_H
#define LIOMMU_EXPORT_H

#if defined(LIOMMU_BUILDING) && defined(__GNUC__)
#define LIOMMU_EXPORT __attribute__((visibility("default")))
#else
#define LIOMMU_EXPORT
#endif

#endif /* LIOMMU_EXPORT_H */
