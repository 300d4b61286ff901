# SPDX-License-Identifier: MIT
# Interrupt remapping: sources join libiommu.la (eli -> irq-remap -> core).
AM_CPPFLAGS += -I$(top_srcdir)/irq-remap/include
