# SPDX-License-Identifier: MIT
# The software VT-d unit (hardware side).  It lives in libiommu.la; the
# model includes only public headers (vtd.h, model.h) and libiommu/common/
# (the spin lock), never the driver's.  The sim platform on top of it is
# libiommu/platform/platform-sim.c.
liommu_include_HEADERS += libiommu/include/liommu/model.h

libiommu_libiommu_la_SOURCES += \
	libiommu/model/model-internal.h \
	libiommu/model/cache.c \
	libiommu/model/irq.c \
	libiommu/model/model.c \
	libiommu/model/qi.c \
	libiommu/model/regs.c \
	libiommu/model/translate.c
