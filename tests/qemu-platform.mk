# SPDX-License-Identifier: MIT
# The qemu platform against a real qemu-system-x86_64 (required: CI
# installs qemu-system-x86) and against a fake QEMU written in python3.
check_PROGRAMS += tests/check-qemu-platform
tests_check_qemu_platform_SOURCES = tests/runner.c tests/check-qemu-platform.c
tests_check_qemu_platform_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=qemu_platform_suite
tests_check_qemu_platform_CFLAGS = $(TEST_CFLAGS)
tests_check_qemu_platform_LDADD = $(TEST_LIBS)
