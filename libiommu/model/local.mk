# SPDX-License-Identifier: MIT
# The software VT-d unit (hardware side).  It lives in libiommu.la; the
# model includes only public headers (vtd.h, model.h, fault-record.h) and
# libiommu/common/ (the spin lock), never the driver's.  Which file owns
# what, and which calls which: model-internal.h.  The sim platform on top
# of it is libiommu/platform/platform-sim.c.
liommu_include_HEADERS += libiommu/include/liommu/model.h

libiommu_libiommu_la_SOURCES += \
	libiommu/model/model-internal.h \
	libiommu/model/cache.h \
	libiommu/model/cache.c \
	libiommu/model/fault.h \
	libiommu/model/fault.c \
	libiommu/model/irq.c \
	libiommu/model/mem.h \
	libiommu/model/mem.c \
	libiommu/model/model.c \
	libiommu/model/qi.h \
	libiommu/model/qi.c \
	libiommu/model/regfile.h \
	libiommu/model/regs.h \
	libiommu/model/regs.c \
	libiommu/model/stats.h \
	libiommu/model/state.c \
	libiommu/model/stats.c \
	libiommu/model/translate.c
