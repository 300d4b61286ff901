# SPDX-License-Identifier: MIT
# hv-bindings: what a hypervisor links to work with the vIOMMU.  Its
# library, libhvbind, depends on nothing else in the tree (docs/design.md,
# "Linking"): its own headers (hvbind/), its own version script and
# pkg-config file, and CPPFLAGS that do not put libiommu's headers in
# reach (AM_CPPFLAGS does, so the target replaces it).
lib_LTLIBRARIES += hv-bindings/libhvbind.la
pkgconfig_DATA += hv-bindings/hvbind.pc

hvbind_includedir = $(includedir)/hvbind
hvbind_include_HEADERS = \
	hv-bindings/include/hvbind/client.h \
	hv-bindings/include/hvbind/dmar.h \
	hv-bindings/include/hvbind/export.h \
	hv-bindings/include/hvbind/proto.h

HVB_CPPFLAGS = -I$(top_srcdir)/hv-bindings/include -I$(top_builddir)

hv_bindings_libhvbind_la_SOURCES = \
	hv-bindings/src/dmar-internal.h \
	hv-bindings/src/dmar-build.c \
	hv-bindings/src/proto.c \
	hv-bindings/src/client.c
hv_bindings_libhvbind_la_CPPFLAGS = $(HVB_CPPFLAGS) -DHVB_BUILDING
hv_bindings_libhvbind_la_CFLAGS = $(WARN_CFLAGS) $(SAN_CFLAGS) -fvisibility=hidden
hv_bindings_libhvbind_la_LDFLAGS = $(SAN_CFLAGS) -version-info $(HVBIND_LT_VERSION) \
	-Wl,--version-script=$(top_srcdir)/hv-bindings/libhvbind.sym -no-undefined
EXTRA_hv_bindings_libhvbind_la_DEPENDENCIES = hv-bindings/libhvbind.sym
EXTRA_DIST += hv-bindings/libhvbind.sym hv-bindings/hvbind.pc.in
