# SPDX-License-Identifier: MIT
# Interrupt remapping: sources join libiommu.la (eli -> irq-remap -> core).
AM_CPPFLAGS += -I$(top_srcdir)/irq-remap/include
libiommu_libiommu_la_SOURCES += \
	irq-remap/src/irq-remap-internal.h \
	irq-remap/src/irte.c \
	irq-remap/src/posted.c
liommu_include_HEADERS += irq-remap/include/liommu/irte.h
