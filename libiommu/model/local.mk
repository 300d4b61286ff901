# SPDX-License-Identifier: MIT
# The software VT-d unit (hardware side, libiommu/model) and the sim
# platform built on it.  Both live in libiommu.la.
liommu_include_HEADERS += \
	libiommu/include/liommu/model.h \
	libiommu/include/liommu/sim.h
