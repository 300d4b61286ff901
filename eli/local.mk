# SPDX-License-Identifier: MIT
# ExitLess Interrupts helpers: sources join libiommu.la.
AM_CPPFLAGS += -I$(top_srcdir)/eli/include
