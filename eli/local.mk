# SPDX-License-Identifier: MIT
# ExitLess Interrupts helpers: sources join libiommu.la.
AM_CPPFLAGS += -I$(top_srcdir)/eli/include
libiommu_libiommu_la_SOURCES += \
	eli/src/idt.c \
	eli/src/msr.c \
	eli/src/plan.c \
	eli/src/protect.c
liommu_include_HEADERS += eli/include/liommu/eli.h
