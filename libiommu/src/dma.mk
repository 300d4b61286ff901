# SPDX-License-Identifier: MIT
# DMA mapping strategies (direct, strict, optimistic, deferred) over a domain.
liommu_include_HEADERS += libiommu/include/liommu/dma.h
