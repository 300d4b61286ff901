# SPDX-License-Identifier: MIT
# Interrupt remapping: sources join libiommu.la (eli -> irq-remap -> core).
AM_CPPFLAGS += -I$(top_srcdir)/irq-remap/include
# table.c drives the unit through the driver's interface for the other
# layers, included by its path ("../../libiommu/driver/driver-layer.h")
# so that no other driver header is in reach.
libiommu_libiommu_la_SOURCES += \
	irq-remap/src/irq-remap-internal.h \
	irq-remap/src/irte.c \
	irq-remap/src/posted.c \
	irq-remap/src/ir-table.h \
	irq-remap/src/alloc.c \
	irq-remap/src/table.c
liommu_include_HEADERS += irq-remap/include/liommu/irte.h \
	irq-remap/include/liommu/irq-remap.h
