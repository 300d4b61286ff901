// SPDX-License-Identifier: MIT
/*
 * qtest.c - the two line protocols the qemu platform speaks to QEMU.
 *
 * qtest (QEMU's docs/devel/qtest.rst): one command per line, each answered
 * by one line starting with "OK" or "FAIL"; lines starting with "IRQ" are
 * asynchronous notifications and are skipped.  QMP (docs/interop/qmp-spec):
 * one JSON object per line; a greeting {"QMP": ...}, then each command is
 * answered by {"return": ...} or {"error": ...}, with {"event": ...}
 * objects interleaved at any time.
 *
 * Both run over a UNIX stream socket.  Every read and write is bounded by
 * a deadline; a timeout, EOF, overlong line or unparseable reply marks
 * the channel broken, since a late reply would otherwise be taken for the
 * answer to the next request.  A FAIL reply is an ordinary error: the
 * stream is still in step.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qtest.h"

/* ------------------------------------------------------------------ */
/* Line channel                                                        */
/* ------------------------------------------------------------------ */

uint64_t liommu__qemu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void liommu__chan_init(struct liommu__chan *c, int fd, unsigned int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->broken = fd < 0;
}

void liommu__chan_close(struct liommu__chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
	c->len = c->cap = c->consumed = 0;
	c->broken = true;
}

/* Wait for @events on the channel until @deadline_ms.  Return 0,
 * -ETIMEDOUT, -EIO (error or hang-up without data). */
static int chan_wait(struct liommu__chan *c, short events, uint64_t deadline_ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	uint64_t now;
	int r;

	for (;;) {
		now = liommu__qemu_now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline_ms - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -EIO;
		if (r == 0)
			continue;	/* re-checks the deadline */
		if (pfd.revents & (events | POLLHUP))
			return 0;	/* a hang-up shows up as EOF on read */
		return -EIO;
	}
}

static int chan_fail(struct liommu__chan *c, int err)
{
	c->broken = true;
	return err;
}

int liommu__chan_send(struct liommu__chan *c, const char *data, size_t len,
		      uint64_t deadline_ms)
{
	ssize_t n;
	int r;

	if (c->broken)
		return -EIO;
	while (len) {
		n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = chan_wait(c, POLLOUT, deadline_ms);
			if (r)
				return chan_fail(c, r);
			continue;
		}
		return chan_fail(c, -EIO);
	}
	return 0;
}

int liommu__chan_recv_line(struct liommu__chan *c, uint64_t deadline_ms,
			   char **line)
{
	char *nl, *p;
	size_t scanned = 0, ncap;
	ssize_t n;
	int r;

	if (c->broken)
		return -EIO;
	/* Drop the line handed out last time. */
	if (c->consumed) {
		memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
		c->len -= c->consumed;
		c->consumed = 0;
	}
	for (;;) {
		nl = c->len ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
		if (nl)
			break;
		scanned = c->len;
		if (c->len > LIOMMU_CHAN_MAX_LINE)
			return chan_fail(c, -EIO);
		if (c->cap - c->len < 4096) {
			ncap = c->cap ? c->cap * 2 : 8192;
			p = realloc(c->buf, ncap);
			if (!p)
				return chan_fail(c, -ENOMEM);
			c->buf = p;
			c->cap = ncap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return chan_fail(c, -EIO);	/* EOF: QEMU went away */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return chan_fail(c, -EIO);
		r = chan_wait(c, POLLIN, deadline_ms);
		if (r)
			return chan_fail(c, r);
	}
	*nl = '\0';
	c->consumed = (size_t)(nl - c->buf) + 1;
	/* A NUL inside the line would silently truncate it. */
	if (strlen(c->buf) != (size_t)(nl - c->buf))
		return chan_fail(c, -EIO);
	if (nl > c->buf && nl[-1] == '\r')
		nl[-1] = '\0';
	*line = c->buf;
	return 0;
}

/* ------------------------------------------------------------------ */
/* qtest                                                               */
/* ------------------------------------------------------------------ */

int liommu__qtest_cmd(struct liommu__chan *c, const char *cmd, char *reply,
		      size_t reply_len)
{
	uint64_t deadline = liommu__qemu_now_ms() + c->timeout_ms;
	const char *rest;
	char *line;
	int r;

	if (reply && reply_len)
		reply[0] = '\0';
	r = liommu__chan_send(c, cmd, strlen(cmd), deadline);
	if (!r)
		r = liommu__chan_send(c, "\n", 1, deadline);
	if (r)
		return r;
	for (;;) {
		r = liommu__chan_recv_line(c, deadline, &line);
		if (r)
			return r;
		if (!strncmp(line, "IRQ", 3))
			continue;	/* asynchronous interrupt notification */
		if (!strncmp(line, "OK", 2) && (line[2] == '\0' || line[2] == ' ')) {
			rest = line[2] ? line + 3 : line + 2;
			r = 0;
		} else if (!strncmp(line, "FAIL", 4) && (line[4] == '\0' || line[4] == ' ')) {
			rest = line[4] ? line + 5 : line + 4;
			r = -EIO;
		} else {
			return chan_fail(c, -EIO);	/* not a reply at all */
		}
		if (reply && reply_len)
			snprintf(reply, reply_len, "%s", rest);
		return r;
	}
}

/* Parse exactly "0x" followed by 1 to 16 hex digits. */
static int parse_hex(const char *s, uint64_t *val)
{
	uint64_t v = 0;
	unsigned int n = 0;
	int d;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EIO;
	for (s += 2; *s; s++, n++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EIO;
		if (n == 16)
			return -EIO;
		v = v << 4 | (uint64_t)d;
	}
	if (!n)
		return -EIO;
	*val = v;
	return 0;
}

static uint64_t width_max(char width)
{
	switch (width) {
	case 'b': return 0xff;
	case 'w': return 0xffff;
	case 'l': return 0xffffffffu;
	default:  return ~0ULL;
	}
}

int liommu__qtest_read(struct liommu__chan *c, char width, uint64_t addr,
		       uint64_t *val)
{
	char cmd[64], reply[64];
	uint64_t v;
	int r;

	snprintf(cmd, sizeof(cmd), "read%c 0x%llx", width, (unsigned long long)addr);
	r = liommu__qtest_cmd(c, cmd, reply, sizeof(reply));
	if (r)
		return r;
	if (parse_hex(reply, &v) || v > width_max(width))
		return -EIO;
	*val = v;
	return 0;
}

int liommu__qtest_write(struct liommu__chan *c, char width, uint64_t addr,
			uint64_t val)
{
	char cmd[80];

	snprintf(cmd, sizeof(cmd), "write%c 0x%llx 0x%llx", width,
		 (unsigned long long)addr, (unsigned long long)val);
	return liommu__qtest_cmd(c, cmd, NULL, 0);
}

int liommu__qtest_inl(struct liommu__chan *c, uint16_t port, uint32_t *val)
{
	char cmd[32], reply[64];
	uint64_t v;
	int r;

	snprintf(cmd, sizeof(cmd), "inl 0x%x", port);
	r = liommu__qtest_cmd(c, cmd, reply, sizeof(reply));
	if (r)
		return r;
	if (parse_hex(reply, &v) || v > 0xffffffffu)
		return -EIO;
	*val = (uint32_t)v;
	return 0;
}

int liommu__qtest_outl(struct liommu__chan *c, uint16_t port, uint32_t val)
{
	char cmd[48];

	snprintf(cmd, sizeof(cmd), "outl 0x%x 0x%x", port, val);
	return liommu__qtest_cmd(c, cmd, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* JSON strings (RFC 8259 section 7) and member lookup                 */
/* ------------------------------------------------------------------ */

int liommu__json_escape(const char *s, char **out)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 3;
	const unsigned char *p;
	char *o, *q;

	for (p = (const unsigned char *)s; *p; p++)
		n += (*p < 0x20) ? 6 : (*p == '"' || *p == '\\') ? 2 : 1;
	o = malloc(n);
	if (!o)
		return -ENOMEM;
	q = o;
	*q++ = '"';
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*q++ = '\\';
			*q++ = (char)*p;
		} else if (*p < 0x20) {
			*q++ = '\\';
			*q++ = 'u';
			*q++ = '0';
			*q++ = '0';
			*q++ = hex[*p >> 4];
			*q++ = hex[*p & 15];
		} else {
			*q++ = (char)*p;
		}
	}
	*q++ = '"';
	*q = '\0';
	*out = o;
	return 0;
}

static int hex4(const char *s, unsigned int *v)
{
	unsigned int i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned int)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned int)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = (unsigned int)(s[i] - 'A' + 10);
		else
			return -EPROTO;
		*v = *v << 4 | d;
	}
	return 0;
}

/*
 * Decode the string literal at *@p (opening quote included).  With @out
 * NULL only validate and count: *@n receives the decoded length.  @out,
 * when given, has room for *@n bytes plus the NUL.
 */
static int json_string_scan(const char **p, char *out, size_t *n)
{
	const char *s = *p;
	unsigned int cp, lo;
	size_t len = 0;
	unsigned char ch;
	char enc[4];
	unsigned int k, i;

	if (*s++ != '"')
		return -EPROTO;
	for (;;) {
		ch = (unsigned char)*s;
		if (ch == '\0' || ch < 0x20)
			return -EPROTO;	/* unterminated, or raw control */
		if (ch == '"')
			break;
		if (ch != '\\') {
			if (out)
				out[len] = (char)ch;
			len++;
			s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(s + 1, &cp))
				return -EPROTO;
			s += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -EPROTO;	/* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s[1] != '\\' || s[2] != 'u' || hex4(s + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -EPROTO;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			if (cp == 0)
				return -EPROTO;	/* cannot live in a C string */
			break;
		default:
			return -EPROTO;
		}
		s++;
		/* UTF-8 encode @cp (RFC 3629). */
		if (cp < 0x80) {
			enc[0] = (char)cp;
			k = 1;
		} else if (cp < 0x800) {
			enc[0] = (char)(0xc0 | cp >> 6);
			enc[1] = (char)(0x80 | (cp & 0x3f));
			k = 2;
		} else if (cp < 0x10000) {
			enc[0] = (char)(0xe0 | cp >> 12);
			enc[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			enc[2] = (char)(0x80 | (cp & 0x3f));
			k = 3;
		} else {
			enc[0] = (char)(0xf0 | cp >> 18);
			enc[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			enc[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
			enc[3] = (char)(0x80 | (cp & 0x3f));
			k = 4;
		}
		for (i = 0; i < k; i++) {
			if (out)
				out[len] = enc[i];
			len++;
		}
	}
	if (out)
		out[len] = '\0';
	*n = len;
	*p = s + 1;
	return 0;
}

int liommu__json_unescape(const char **p, char **out)
{
	const char *s = *p;
	size_t n;
	char *o;
	int r;

	r = json_string_scan(&s, NULL, &n);
	if (r)
		return r;
	o = malloc(n + 1);
	if (!o)
		return -ENOMEM;
	s = *p;
	json_string_scan(&s, o, &n);
	*p = s;
	*out = o;
	return 0;
}

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

#define JSON_MAX_DEPTH 64

/* Skip one JSON value; NULL when malformed. */
static const char *json_skip(const char *p, unsigned int depth)
{
	const char *lits[] = { "true", "false", "null" };
	size_t n, i;
	char close;

	p = json_ws(p);
	if (*p == '"')
		return json_string_scan(&p, NULL, &n) ? NULL : p;
	if (*p == '{' || *p == '[') {
		if (depth >= JSON_MAX_DEPTH)
			return NULL;
		close = *p == '{' ? '}' : ']';
		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (*p != '"' || json_string_scan(&p, NULL, &n))
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = json_skip(p, depth + 1);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p = json_ws(p + 1);
		}
	}
	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		n = strlen(lits[i]);
		if (!strncmp(p, lits[i], n))
			return p + n;
	}
	/* A number: the grammar's characters, starting with '-' or a digit
	 * (only skipped, so its finer grammar does not matter here). */
	n = strspn(p, "+-0123456789.eE");
	if (!n || (*p != '-' && (*p < '0' || *p > '9')))
		return NULL;
	return p + n;
}

const char *liommu__json_member(const char *obj, const char *key)
{
	const char *p = json_ws(obj), *val;
	char *k;
	bool match;

	if (*p++ != '{')
		return NULL;
	p = json_ws(p);
	if (*p == '}')
		return NULL;
	for (;;) {
		if (*p != '"' || liommu__json_unescape(&p, &k))
			return NULL;
		match = !strcmp(k, key);
		free(k);
		p = json_ws(p);
		if (*p++ != ':')
			return NULL;
		val = json_ws(p);
		p = json_skip(val, 1);
		if (!p)
			return NULL;
		if (match)
			return val;
		p = json_ws(p);
		if (*p != ',')
			return NULL;
		p = json_ws(p + 1);
	}
}

/* ------------------------------------------------------------------ */
/* QMP                                                                 */
/* ------------------------------------------------------------------ */

/*
 * Send @req and wait for its answer, skipping events.  On success *@ret
 * points at the "return" value inside the channel's line buffer.
 */
static int qmp_exchange(struct liommu__chan *c, const char *req, const char **ret)
{
	uint64_t deadline = liommu__qemu_now_ms() + c->timeout_ms;
	char *line;
	int r;

	r = liommu__chan_send(c, req, strlen(req), deadline);
	if (r)
		return r;
	for (;;) {
		r = liommu__chan_recv_line(c, deadline, &line);
		if (r)
			return r;
		*ret = liommu__json_member(line, "return");
		if (*ret)
			return 0;
		if (liommu__json_member(line, "error"))
			return -EIO;
		if (liommu__json_member(line, "event"))
			continue;
		return chan_fail(c, -EIO);
	}
}

int liommu__qmp_handshake(struct liommu__chan *c)
{
	uint64_t deadline = liommu__qemu_now_ms() + c->timeout_ms;
	const char *ret;
	char *line;
	int r;

	r = liommu__chan_recv_line(c, deadline, &line);
	if (r)
		return r;
	if (!liommu__json_member(line, "QMP"))
		return chan_fail(c, -EIO);
	r = qmp_exchange(c, "{\"execute\": \"qmp_capabilities\"}\n", &ret);
	if (r)
		return r;
	return *ret == '{' ? 0 : chan_fail(c, -EIO);
}

int liommu__qmp_hmp(struct liommu__chan *c, const char *cmd, char **out)
{
	static const char head[] =
		"{\"execute\": \"human-monitor-command\", "
		"\"arguments\": {\"command-line\": ";
	const char *ret;
	char *esc, *req;
	size_t n;
	int r;

	r = liommu__json_escape(cmd, &esc);
	if (r)
		return r;
	n = strlen(head) + strlen(esc) + 4;
	req = malloc(n);
	if (!req) {
		free(esc);
		return -ENOMEM;
	}
	snprintf(req, n, "%s%s}}\n", head, esc);
	free(esc);
	r = qmp_exchange(c, req, &ret);
	free(req);
	if (r)
		return r;
	if (*ret != '"')
		return -EIO;	/* human-monitor-command returns a string */
	r = liommu__json_unescape(&ret, out);
	return r == -EPROTO ? -EIO : r;
}
