// SPDX-License-Identifier: MIT
/*
 * util.c - error lines, number/size/duration parsing and clocks shared by
 * the subcommands.  Every parse error becomes one line on stderr; the
 * callers turn it into exit code 2.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

void ipol_err(const char *fmt, ...)
{
	va_list ap;

	fputs(IPOL_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ipol_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs(IPOL_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '" IPOL_PROG "%s%s --help')\n", cmd ? " " : "",
		cmd ? cmd : "");
	return IPOL_EXIT_USAGE;
}

/* Digits only (no sign, no blanks), decimal or 0x hexadecimal. */
static int parse_digits(const char *s, char **end, uint64_t *out)
{
	unsigned long long v;

	if (!s || !*s || !((*s >= '0' && *s <= '9')))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 0);
	if (errno)
		return -ERANGE;
	*out = v;
	return 0;
}

int ipol_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;
	int ret = parse_digits(s, &end, &v);

	if (ret)
		return ret;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ipol_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v, mul = 1;
	int ret = parse_digits(s, &end, &v);

	if (ret)
		return ret;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1ull << 10;
		break;
	case 'm': case 'M':
		mul = 1ull << 20;
		break;
	case 'g': case 'G':
		mul = 1ull << 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	v *= mul;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ipol_parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	uint64_t v, mul;
	int ret = parse_digits(s, &end, &v);

	if (ret)
		return ret;
	if (!*end || !strcmp(end, "ns"))
		mul = 1;
	else if (!strcmp(end, "us"))
		mul = 1000;
	else if (!strcmp(end, "ms"))
		mul = 1000000;
	else if (!strcmp(end, "s"))
		mul = 1000000000;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ns = v * mul;
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ipol_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t ipol_thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

uint64_t ipol_process_cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}
