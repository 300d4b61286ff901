# SPDX-License-Identifier: MIT
# The VT-d driver: unit bring-up and GCMD/GSTS, invalidation (register and
# queued), fault records, domains and context entries, the second-level
# page-table format.
libiommu_libiommu_la_SOURCES += \
	libiommu/driver/internal.h \
	libiommu/driver/domain.c \
	libiommu/driver/fault.c \
	libiommu/driver/inval.c \
	libiommu/driver/log.c \
	libiommu/driver/pgtable.c \
	libiommu/driver/unit.c
