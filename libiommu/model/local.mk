# SPDX-License-Identifier: MIT
# The software VT-d unit (hardware side, libiommu/model) and the sim
# platform built on it.  Both live in libiommu.la; the model includes only
# public headers (vtd.h, model.h, liommu.h) and libiommu/common/ (the spin
# lock), never the driver's internal.h.
liommu_include_HEADERS += \
	libiommu/include/liommu/model.h \
	libiommu/include/liommu/sim.h

libiommu_libiommu_la_SOURCES += \
	libiommu/model/model-internal.h \
	libiommu/model/cache.c \
	libiommu/model/irq.c \
	libiommu/model/model.c \
	libiommu/model/qi.c \
	libiommu/model/regs.c \
	libiommu/model/sim.c \
	libiommu/model/translate.c
