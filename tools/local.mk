# SPDX-License-Identifier: MIT
# iommu-policy: the policy-comparison CLI (tools/iommu-policy, one file per
# subcommand).  Needs jansson (JSON) and libsmartcols (tables); gnuplot is
# only run for --plot.
bin_PROGRAMS += tools/iommu-policy/iommu-policy

IPOL_CORE_SOURCES = \
	tools/iommu-policy/policy.h \
	tools/iommu-policy/trace.h \
	tools/iommu-policy/trace.c \
	tools/iommu-policy/plan.h \
	tools/iommu-policy/plan.c \
	tools/iommu-policy/util.c \
	tools/iommu-policy/env.c \
	tools/iommu-policy/workload.c \
	tools/iommu-policy/probe.c \
	tools/iommu-policy/nic.c \
	tools/iommu-policy/replay.c \
	tools/iommu-policy/replay-check.c \
	tools/iommu-policy/output.c \
	tools/iommu-policy/plot.c \
	tools/iommu-policy/progress.c \
	tools/iommu-policy/options.c

tools_iommu_policy_iommu_policy_SOURCES = \
	$(IPOL_CORE_SOURCES) \
	tools/iommu-policy/main.c \
	tools/iommu-policy/cmd-compare.c \
	tools/iommu-policy/cmd-sweep.c \
	tools/iommu-policy/cmd-replay.c
tools_iommu_policy_iommu_policy_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SMARTCOLS_CFLAGS)
tools_iommu_policy_iommu_policy_LDADD = libiommu/libiommu.la $(JANSSON_LIBS) \
	$(SMARTCOLS_LIBS) -lm

dist_man1_MANS += \
	tools/iommu-policy/iommu-policy.1 \
	tools/iommu-policy/iommu-policy-compare.1 \
	tools/iommu-policy/iommu-policy-sweep.1 \
	tools/iommu-policy/iommu-policy-replay.1
EXTRA_DIST += docs/iommu-policy.md
