# SPDX-License-Identifier: MIT
# The vIOMMU engine: a VT-d unit emulated for guests (the model, served
# from a register page) and shadowed into a host domain.  Its sources
# join libiommu.la; it includes only libiommu's public headers (the
# "viommu" layer of docs/design.md, checked by tests/check-layers.sh).
AM_CPPFLAGS += -I$(top_srcdir)/viommu-sidecore/include $(URCU_BP_CFLAGS)
liommu_include_HEADERS += viommu-sidecore/include/liommu/viommu.h

libiommu_libiommu_la_SOURCES += \
	viommu-sidecore/src/config.c \
	viommu-sidecore/src/regpage.h \
	viommu-sidecore/src/regpage.c \
	viommu-sidecore/src/gmem.h viommu-sidecore/src/gmem.c \
	viommu-sidecore/src/shadow.h viommu-sidecore/src/shadow.c \
	viommu-sidecore/src/instance.h viommu-sidecore/src/instance.c \
	viommu-sidecore/src/events.c \
	viommu-sidecore/src/mmio.c \
	viommu-sidecore/src/sidecore.c \
	viommu-sidecore/src/guest-platform.c
# The guest memory table (src/gmem.c) reads under urcu-bp.
libiommu_libiommu_la_LIBADD += $(URCU_BP_LIBS)

include viommu-sidecore/daemon/local.mk
