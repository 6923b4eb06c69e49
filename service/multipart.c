/*
 * multipart/form-data, strictly (RFC 7578 over RFC 2046).
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

static const unsigned char	*find(const unsigned char *, size_t,
				    const void *, size_t);
static int	parse_headers(const char *, size_t, struct multipart_part *,
		    char *, size_t);
static int	param(const char *, const char *, char *, size_t);

int
multipart_boundary(const char *ctype, char out[MULTIPART_BOUNDARY_MAX])
{
	const char	*p;
	char		 val[MULTIPART_BOUNDARY_MAX + 2];
	size_t		 i, n;

	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	if (strncasecmp(ctype, "multipart/form-data", 19) != 0)
		return (-1);
	p = ctype + 19;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != ';')
		return (-1);
	if (param(p, "boundary", val, sizeof(val)) == -1)
		return (-1);
	n = strlen(val);
	if (n == 0 || n >= MULTIPART_BOUNDARY_MAX)
		return (-1);
	for (i = 0; i < n; i++) {
		/* RFC 2046 bchars; a space may not end it. */
		if (!isalnum((unsigned char)val[i]) &&
		    strchr("'()+_,-./:=? ", val[i]) == NULL)
			return (-1);
	}
	if (val[n - 1] == ' ')
		return (-1);
	memcpy(out, val, n + 1);
	return (0);
}

int
multipart_parse(const unsigned char *body, size_t len, const char *boundary,
    struct multipart *out, char *err, size_t errlen)
{
	struct multipart_part	*part;
	const unsigned char	*p, *end, *hend, *next;
	char			 delim[MULTIPART_BOUNDARY_MAX + 8];
	char			 hdrs[MULTIPART_HEADERS_MAX + 1];
	size_t			 dlen, i;

	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0) {
		snprintf(err, errlen, "the body is empty");
		return (-1);
	}
	end = body + len;
	/* The first delimiter may follow a preamble. */
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	if ((p = find(body, len, delim, dlen)) == NULL ||
	    (p != body && (p < body + 2 || p[-2] != '\r' || p[-1] != '\n'))) {
		snprintf(err, errlen, "the body does not start with the "
		    "boundary of its Content-Type");
		return (-1);
	}
	p += dlen;
	/* From here every delimiter is CRLF "--" boundary. */
	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;		/* the closing delimiter */
		/* Transport padding, then CRLF. */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			snprintf(err, errlen, "the body is cut short or has "
			    "no closing boundary");
			return (-1);
		}
		p += 2;
		if (out->nparts == MULTIPART_PARTS_MAX) {
			snprintf(err, errlen, "more than %d parts",
			    MULTIPART_PARTS_MAX);
			return (-1);
		}
		if ((hend = find(p, (size_t)(end - p), "\r\n\r\n", 4)) ==
		    NULL || (size_t)(hend - p) > MULTIPART_HEADERS_MAX) {
			snprintf(err, errlen, "part %zu: headers missing, "
			    "cut short or over %d bytes", out->nparts + 1,
			    MULTIPART_HEADERS_MAX);
			return (-1);
		}
		memcpy(hdrs, p, (size_t)(hend - p));
		hdrs[hend - p] = '\0';
		part = &out->parts[out->nparts];
		if (parse_headers(hdrs, (size_t)(hend - p), part, err,
		    errlen) == -1)
			return (-1);
		for (i = 0; i < out->nparts; i++) {
			if (strcmp(out->parts[i].name, part->name) == 0) {
				snprintf(err, errlen, "part '%s' is given "
				    "twice", part->name);
				return (-1);
			}
		}
		p = hend + 4;
		if ((next = find(p, (size_t)(end - p), delim, dlen)) == NULL) {
			snprintf(err, errlen, "part '%s' is cut short (no "
			    "boundary after it)", part->name);
			return (-1);
		}
		part->data = p;
		part->len = (size_t)(next - p);
		out->nparts++;
		p = next + dlen;
	}
	return (0);
}

const struct multipart_part *
multipart_find(const struct multipart *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nparts; i++) {
		if (strcmp(m->parts[i].name, name) == 0)
			return (&m->parts[i]);
	}
	return (NULL);
}

/* memmem without _GNU_SOURCE. */
static const unsigned char *
find(const unsigned char *hay, size_t n, const void *needle, size_t m)
{
	const unsigned char	*p, *last;

	if (m == 0 || n < m)
		return (NULL);
	last = hay + (n - m);
	for (p = hay; p <= last; p++) {
		if ((p = memchr(p, *(const unsigned char *)needle,
		    (size_t)(last - p) + 1)) == NULL)
			return (NULL);
		if (memcmp(p, needle, m) == 0)
			return (p);
	}
	return (NULL);
}

/* Content-Disposition (name, filename) and Content-Type of one part. */
static int
parse_headers(const char *hdrs, size_t len, struct multipart_part *part,
    char *err, size_t errlen)
{
	const char	*line, *eol, *v;
	char		 one[MULTIPART_HEADERS_MAX + 1], fname[256];
	size_t		 n;
	int		 disposition;

	memset(part, 0, sizeof(*part));
	disposition = 0;
	for (line = hdrs; line < hdrs + len; line = eol + 2) {
		if ((eol = strstr(line, "\r\n")) == NULL)
			eol = hdrs + len;
		n = (size_t)(eol - line);
		memcpy(one, line, n);
		one[n] = '\0';
		if (strncasecmp(one, "content-disposition:", 20) == 0) {
			v = one + 20;
			while (*v == ' ' || *v == '\t')
				v++;
			if (strncasecmp(v, "form-data", 9) != 0 ||
			    param(v, "name", part->name,
			    sizeof(part->name)) == -1 ||
			    part->name[0] == '\0') {
				snprintf(err, errlen, "a part has no "
				    "form-data name");
				return (-1);
			}
			part->is_file = param(v, "filename", fname,
			    sizeof(fname)) == 0;
			disposition = 1;
		} else if (strncasecmp(one, "content-type:", 13) == 0) {
			v = one + 13;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(part->content_type,
			    sizeof(part->content_type), "%.*s",
			    (int)strcspn(v, "; \t"), v);
		}
		if (eol >= hdrs + len)
			break;
	}
	if (!disposition) {
		snprintf(err, errlen, "a part has no Content-Disposition");
		return (-1);
	}
	return (0);
}

/*
 * The value of parameter key in "...; key=value; key2="value"" (case
 * insensitive key, quoted or token value).  0, or -1 if absent or too
 * long for out.
 */
static int
param(const char *s, const char *key, char *out, size_t outlen)
{
	const char	*p, *v;
	size_t		 klen, n;

	klen = strlen(key);
	for (p = strchr(s, ';'); p != NULL; p = strchr(p + 1, ';')) {
		v = p + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncasecmp(v, key, klen) != 0 || v[klen] != '=')
			continue;
		v += klen + 1;
		if (*v == '"') {
			v++;
			n = strcspn(v, "\"");
			if (v[n] != '"')
				return (-1);
		} else {
			n = strcspn(v, "; \t");
		}
		if (n >= outlen)
			return (-1);
		memcpy(out, v, n);
		out[n] = '\0';
		return (0);
	}
	return (-1);
}
