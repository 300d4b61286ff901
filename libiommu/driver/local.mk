# SPDX-License-Identifier: MIT
# The VT-d driver: unit bring-up and GCMD/GSTS, invalidation (register and
# queued), fault records, domains and context entries, their counters, the
# second-level page-table format.
#
# Headers, each saying at its top what it owns and who may include it:
# driver-layer.h is the one the library's other layers include (dma/,
# platform/, irq-remap/); the rest are the driver's own.  Include graph:
#   driver-layer.h <- unit.h <- inval.h, fault.h
#   driver-layer.h <- domain-stats.h
#   pgtable.h (public headers only)
#   unit.h, pgtable.h, domain-stats.h <- domain.h
libiommu_libiommu_la_SOURCES += \
	libiommu/driver/driver-layer.h \
	libiommu/driver/domain.h \
	libiommu/driver/domain-stats.h \
	libiommu/driver/fault.h \
	libiommu/driver/inval.h \
	libiommu/driver/pgtable.h \
	libiommu/driver/unit.h \
	libiommu/driver/domain.c \
	libiommu/driver/domain-stats.c \
	libiommu/driver/fault.c \
	libiommu/driver/inval.c \
	libiommu/driver/log.c \
	libiommu/driver/pgtable.c \
	libiommu/driver/unit.c
