/* SCIF_FABRIC: the Java shm: URI, shm:NAME?node=N&dir=PATH&ring=BYTES&timeout=MS&wait=MODE
   &dma=K&privileged=BOOL, with the same defaults and ranges as the Java side. */
#include "internal.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int bad(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Percent-decodes src[0..len) into dst (size n); '+' is a space as in form encoding. */
static int decode(char *dst, size_t n, const char *src, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)src[i];
		if (c == '%' && i + 2 < len + 0 && isxdigit((unsigned char)src[i + 1]) &&
		    isxdigit((unsigned char)src[i + 2])) {
			char hex[3] = {src[i + 1], src[i + 2], 0};
			c = (int)strtol(hex, NULL, 16);
			i += 2;
		} else if (c == '%') {
			return -1;
		} else if (c == '+') {
			c = ' ';
		}
		if (o + 1 >= n)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = 0;
	return 0;
}

/* A number with an optional k/m/g suffix (powers of 1024), as the Java side reads sizes. */
static int number(const char *name, const char *v, long long min, long long max, long long *out,
		  char *err, size_t n)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	long long mult = 1;
	if (*end == 'k' || *end == 'K')
		mult = 1LL << 10, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1LL << 20, end++;
	else if (*end == 'g' || *end == 'G')
		mult = 1LL << 30, end++;
	if (errno || end == v || *end || !isdigit((unsigned char)v[v[0] == '-' || v[0] == '+']))
		return bad(err, n, "option %s=%s is not a number; expected an integer in [%lld, %lld]",
			   name, v, min, max);
	if (__builtin_mul_overflow(x, mult, &x) || x < min || x > max)
		return bad(err, n, "option %s=%s is out of range; expected [%lld, %lld]", name, v, min,
			   max);
	*out = x;
	return 0;
}

int cfg_parse(const char *uri, struct cfg *c, char *err, size_t n)
{
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "default");
	snprintf(c->dir, sizeof c->dir, "%s", CFG_DEFAULT_DIR);
	c->ring = CFG_DEFAULT_RING;
	c->timeout_ms = CFG_DEFAULT_TIMEOUT_MS;
	c->dma = 1;
	c->wait = WAIT_ADAPTIVE;
	if (!uri)
		return 0;
	while (isspace((unsigned char)*uri))
		uri++;
	if (strncasecmp(uri, "shm:", 4))
		return bad(err, n, "SCIF_FABRIC=%s is not an shm: fabric; expected e.g. "
				   "shm:default?node=0", uri);
	const char *p = uri + 4, *q = strchr(p, '?');
	size_t tlen = q ? (size_t)(q - p) : strlen(p);
	while (tlen && isspace((unsigned char)p[tlen - 1]))
		tlen--;
	if (tlen) {
		if (decode(c->name, sizeof c->name, p, tlen))
			return bad(err, n, "fabric name in %s is not usable; expected 1-100 of "
					   "A-Z a-z 0-9 . _ -", uri);
		size_t l = strlen(c->name);
		if (l == 0 || l > 100 || strspn(c->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
							 "nopqrstuvwxyz0123456789._-") != l ||
		    !strcmp(c->name, ".") || !strcmp(c->name, ".."))
			return bad(err, n, "fabric name '%s' is not usable as a directory name; expected "
					   "1-100 of A-Z a-z 0-9 . _ -", c->name);
	}
	unsigned seen = 0;
	for (p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		char key[32], val[CFG_PATH_MAX];
		if (len == 0) {
			p = amp ? amp + 1 : NULL;
			continue;
		}
		if (!eq || eq == p)
			return bad(err, n, "option '%.*s' has no value; expected name=value", (int)len, p);
		if (decode(key, sizeof key, p, (size_t)(eq - p)) ||
		    decode(val, sizeof val, eq + 1, len - (size_t)(eq - p) - 1))
			return bad(err, n, "option '%.*s' is malformed or too long", (int)len, p);
		static const char *const known[] = {"node", "wait", "dma", "dir", "ring", "privileged",
						    "timeout"};
		unsigned k = 0;
		while (k < 7 && strcmp(key, known[k]))
			k++;
		if (k == 7)
			return bad(err, n, "unknown option '%s'; known options of shm: are [dir, dma, node, "
					   "privileged, ring, timeout, wait]", key);
		if (seen & (1u << k))
			return bad(err, n, "option '%s' is given twice; expected it at most once", key);
		seen |= 1u << k;
		long long x;
		switch (k) {
		case 0:
			if (number(key, val, 0, CFG_MAX_NODES - 1, &x, err, n))
				return -1;
			c->node = (int)x;
			break;
		case 1:
			if (!strcasecmp(val, "spin"))
				c->wait = WAIT_SPIN;
			else if (!strcasecmp(val, "yield"))
				c->wait = WAIT_YIELD;
			else if (!strcasecmp(val, "block"))
				c->wait = WAIT_BLOCK;
			else if (!strcasecmp(val, "adaptive"))
				c->wait = WAIT_ADAPTIVE;
			else
				return bad(err, n, "option wait=%s is not one of [adaptive, block, spin, yield]",
					   val);
			break;
		case 2:
			if (number(key, val, 1, 64, &x, err, n))
				return -1;
			c->dma = (int)x;
			break;
		case 3:
			if (val[0] != '/')
				return bad(err, n, "option dir=%s is not an absolute path", val);
			snprintf(c->dir, sizeof c->dir, "%s", val);
			break;
		case 4:
			if (number(key, val, CFG_MIN_RING, CFG_MAX_RING, &x, err, n))
				return -1;
			if (x & (x - 1))
				return bad(err, n, "option ring=%s is not a power of two; expected e.g. 4096 or "
						   "4194304", val);
			c->ring = (uint32_t)x;
			break;
		case 5:
			if (!strcasecmp(val, "true"))
				c->privileged = 1;
			else if (strcasecmp(val, "false"))
				return bad(err, n, "option privileged=%s is not true or false", val);
			break;
		case 6:
			if (number(key, val, 1, 3600000, &x, err, n))
				return -1;
			c->timeout_ms = x;
			break;
		}
		p = amp ? amp + 1 : NULL;
	}
	if (c->privileged && geteuid() != 0) {
		bad(err, n, "option privileged=true needs root (the process runs as uid %d)", (int)geteuid());
		return CFG_NOT_PERMITTED; /* as the Java side refuses it: EPERM, a right missing, not a bad option */
	}
	/* the fabric directory: DIR/NAME, without a trailing slash of DIR */
	size_t dl = strlen(c->dir);
	while (dl > 1 && c->dir[dl - 1] == '/')
		c->dir[--dl] = 0;
	if (snprintf(c->fabric_dir, sizeof c->fabric_dir, "%s/%s", dl == 1 ? "" : c->dir, c->name) >=
	    (int)sizeof c->fabric_dir)
		return bad(err, n, "option dir=%s is too long", c->dir);
	return 0;
}
