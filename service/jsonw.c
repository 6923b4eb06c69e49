/*
 * JSON writer.  Strings are escaped per RFC 8259; bytes that are not
 * valid UTF-8 are replaced by U+FFFD so that hostile input can never make
 * the service emit invalid JSON.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static void	put(struct jsonw *, const char *, size_t);
static void	sep(struct jsonw *);
static void	double_fmt(struct jsonw *, double, int);
static size_t	utf8_valid_len(const unsigned char *, size_t);

void
jsonw_init(struct jsonw *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void
jsonw_free(struct jsonw *w)
{
	free(w->data);
	memset(w, 0, sizeof(*w));
}

void
jsonw_object_open(struct jsonw *w)
{
	sep(w);
	put(w, "{", 1);
	w->need_comma = 0;
}

void
jsonw_object_close(struct jsonw *w)
{
	put(w, "}", 1);
	w->need_comma = 1;
}

void
jsonw_array_open(struct jsonw *w)
{
	sep(w);
	put(w, "[", 1);
	w->need_comma = 0;
}

void
jsonw_array_close(struct jsonw *w)
{
	put(w, "]", 1);
	w->need_comma = 1;
}

void
jsonw_key(struct jsonw *w, const char *key)
{
	jsonw_string(w, key);
	put(w, ":", 1);
	w->need_comma = 0;
}

void
jsonw_string(struct jsonw *w, const char *s)
{
	jsonw_string_len(w, s, strlen(s));
}

void
jsonw_string_len(struct jsonw *w, const char *s, size_t len)
{
	const unsigned char	*p;
	size_t			 i, n;
	char			 esc[8];

	sep(w);
	put(w, "\"", 1);
	p = (const unsigned char *)s;
	for (i = 0; i < len; ) {
		if (p[i] >= 0x80) {
			n = utf8_valid_len(p + i, len - i);
			if (n == 0) {
				put(w, "\\ufffd", 6);
				i++;
			} else {
				put(w, (const char *)p + i, n);
				i += n;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
				put(w, esc, 6);
			} else {
				put(w, (const char *)p + i, 1);
			}
			break;
		}
		i++;
	}
	put(w, "\"", 1);
	w->need_comma = 1;
}

void
jsonw_int(struct jsonw *w, int64_t v)
{
	char	buf[32];
	int	n;

	sep(w);
	n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	put(w, buf, (size_t)n);
	w->need_comma = 1;
}

void
jsonw_double(struct jsonw *w, double v)
{
	double_fmt(w, v, 6);
}

void
jsonw_double_exact(struct jsonw *w, double v)
{
	double_fmt(w, v, 17);
}

static void
double_fmt(struct jsonw *w, double v, int digits)
{
	char	buf[64];
	int	n;

	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	sep(w);
	n = snprintf(buf, sizeof(buf), "%.*g", digits, v);
	put(w, buf, (size_t)n);
	w->need_comma = 1;
}

void
jsonw_bool(struct jsonw *w, int v)
{
	sep(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
	w->need_comma = 1;
}

void
jsonw_null(struct jsonw *w)
{
	sep(w);
	put(w, "null", 4);
	w->need_comma = 1;
}

void
jsonw_raw(struct jsonw *w, const char *s, size_t len)
{
	sep(w);
	put(w, s, len);
	w->need_comma = 1;
}

const char *
jsonw_text(struct jsonw *w)
{
	if (w->failed)
		return (NULL);
	if (w->data == NULL)
		put(w, "", 0);
	return (w->failed ? NULL : w->data);
}

void
jsonw_error_body(struct jsonw *w, const char *code, const char *message)
{
	jsonw_object_open(w);
	jsonw_key(w, "error");
	jsonw_object_open(w);
	jsonw_key(w, "code");
	jsonw_string(w, code);
	jsonw_key(w, "message");
	jsonw_string(w, message);
	jsonw_object_close(w);
	jsonw_object_close(w);
}

static void
sep(struct jsonw *w)
{
	if (w->need_comma)
		put(w, ",", 1);
	w->need_comma = 0;
}

/* Appends len bytes and keeps the buffer NUL-terminated. */
static void
put(struct jsonw *w, const char *s, size_t len)
{
	size_t	 want, ncap;
	char	*p;

	if (w->failed)
		return;
	want = w->len + len + 1;
	if (want > w->max) {
		w->failed = 1;
		return;
	}
	if (want > w->cap) {
		ncap = w->cap ? w->cap : 256;
		while (ncap < want)
			ncap *= 2;
		if (ncap > w->max)
			ncap = w->max;
		if ((p = realloc(w->data, ncap)) == NULL) {
			w->failed = 1;
			return;
		}
		w->data = p;
		w->cap = ncap;
	}
	memcpy(w->data + w->len, s, len);
	w->len += len;
	w->data[w->len] = '\0';
}

/* Length of the valid UTF-8 sequence at p, or 0 if it is not valid. */
static size_t
utf8_valid_len(const unsigned char *p, size_t left)
{
	size_t		n, i;
	unsigned int	cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return (0);
	}
	if (left < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (n);
}
