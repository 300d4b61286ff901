# SPDX-License-Identifier: MIT
# The qemu platform against a real qemu-system-x86_64 (required: CI
# installs qemu-system-x86) and against a fake QEMU written in python3.
check_PROGRAMS += tests/check-platform-qemu
tests_check_platform_qemu_SOURCES = tests/runner.c tests/check-platform-qemu.c
tests_check_platform_qemu_CPPFLAGS = $(TEST_CPPFLAGS) -DCHECK_SUITE=platform_qemu_suite
tests_check_platform_qemu_CFLAGS = $(TEST_CFLAGS)
tests_check_platform_qemu_LDADD = $(TEST_LIBS)
