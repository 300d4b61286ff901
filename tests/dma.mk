# SPDX-License-Identifier: MIT
# DMA mapping strategies: check-dma on the sim platform (and QEMU once).
