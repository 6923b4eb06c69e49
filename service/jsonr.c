/*
 * Strict JSON reader.  Everything an upstream or a client sends is
 * hostile until proven otherwise: the grammar is checked in full, every
 * string is validated as UTF-8 before anyone reads it, and every bound
 * (depth, fields, key paths, number length) is explicit, so a body is
 * either understood completely or refused.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"

struct parser {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
	int			 depth;
	struct jsonr		*r;
};

static int	parse_value(struct parser *, const char *, int);
static int	parse_object(struct parser *, const char *, int);
static int	parse_array(struct parser *);
static int	parse_string(struct parser *, char *, size_t, size_t *);
static int	parse_number(struct parser *);
static int	parse_literal(struct parser *, const char *);
static int	add_leaf(struct parser *, const char *, enum jsonr_type,
		    size_t, size_t, size_t);
static void	skip_ws(struct parser *);
static int	fail(struct parser *, const char *);
static int	decode(const unsigned char *, size_t, size_t *, char *,
		    size_t, size_t *, const char **);
static size_t	utf8_len(const unsigned char *, size_t);
static int	hex4(const unsigned char *, unsigned int *);
static size_t	utf8_put(unsigned int, unsigned char *);

int
jsonr_parse(struct jsonr *r, const void *input, size_t len)
{
	struct parser	ps;

	memset(r, 0, sizeof(*r));
	memset(&ps, 0, sizeof(ps));
	ps.p = input;
	ps.len = len;
	ps.r = r;

	if (input == NULL || len == 0)
		return (fail(&ps, "empty body"));
	skip_ws(&ps);
	if (ps.pos >= ps.len || ps.p[ps.pos] != '{')
		return (fail(&ps, "not a JSON object"));
	if (parse_object(&ps, "", 1) == -1)
		return (-1);
	skip_ws(&ps);
	if (ps.pos != ps.len)
		return (fail(&ps, "trailing bytes after the object"));
	return (0);
}

const struct jsonr_leaf *
jsonr_find(const struct jsonr *r, const char *path)
{
	size_t	i;

	for (i = 0; i < r->nleaves; i++) {
		if (strcmp(r->leaves[i].path, path) == 0)
			return (&r->leaves[i]);
	}
	return (NULL);
}

int64_t
jsonr_string(const struct jsonr *r, const char *path, char *out,
    size_t outlen)
{
	const struct jsonr_leaf	*leaf;
	const char		*why;
	size_t			 used, declen;

	if (outlen > 0)
		out[0] = '\0';
	if ((leaf = jsonr_find(r, path)) == NULL || leaf->type != JSONR_STRING)
		return (-1);
	/* The closing quote follows the text: it was validated in parse. */
	if (decode((const unsigned char *)leaf->text, leaf->len + 1, &used,
	    out, outlen, &declen, &why) == -1)
		return (-1);
	return ((int64_t)declen);
}

int
jsonr_int(const struct jsonr *r, const char *path, int64_t *out)
{
	const struct jsonr_leaf	*leaf;
	uint64_t		 v, limit;
	size_t			 i;
	int			 neg;

	if ((leaf = jsonr_find(r, path)) == NULL || leaf->type != JSONR_NUMBER)
		return (-1);
	i = 0;
	neg = 0;
	if (leaf->text[0] == '-') {
		neg = 1;
		i++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	v = 0;
	for (; i < leaf->len; i++) {
		if (leaf->text[i] < '0' || leaf->text[i] > '9')
			return (-1);
		if (v > (limit - (uint64_t)(leaf->text[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(leaf->text[i] - '0');
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return (0);
}

int
jsonr_double(const struct jsonr *r, const char *path, double *out)
{
	const struct jsonr_leaf	*leaf;
	char			 buf[JSONR_NUMBER_MAX + 1];
	char			*end;

	if ((leaf = jsonr_find(r, path)) == NULL || leaf->type != JSONR_NUMBER)
		return (-1);
	/* parse_number bounds the length. */
	memcpy(buf, leaf->text, leaf->len);
	buf[leaf->len] = '\0';
	*out = strtod(buf, &end);
	if (*end != '\0')
		return (-1);
	return (0);
}

int
jsonr_bool(const struct jsonr *r, const char *path, int *out)
{
	const struct jsonr_leaf	*leaf;

	if ((leaf = jsonr_find(r, path)) == NULL)
		return (-1);
	if (leaf->type == JSONR_TRUE)
		*out = 1;
	else if (leaf->type == JSONR_FALSE)
		*out = 0;
	else
		return (-1);
	return (0);
}

/*
 * path is the key path of this value, addressable says whether it may be
 * recorded (values inside arrays are not).
 */
static int
parse_value(struct parser *ps, const char *path, int addressable)
{
	size_t	start, declen;
	int	c;

	skip_ws(ps);
	if (ps->pos >= ps->len)
		return (fail(ps, "truncated value"));
	start = ps->pos;
	c = ps->p[ps->pos];
	switch (c) {
	case '{':
		return (parse_object(ps, path, addressable));
	case '[':
		if (addressable && add_leaf(ps, path, JSONR_ARRAY, start, 0,
		    0) == -1)
			return (-1);
		return (parse_array(ps));
	case '"':
		if (parse_string(ps, NULL, 0, &declen) == -1)
			return (-1);
		if (!addressable)
			return (0);
		return (add_leaf(ps, path, JSONR_STRING, start + 1,
		    ps->pos - start - 2, declen));
	case 't':
		if (parse_literal(ps, "true") == -1)
			return (-1);
		return (addressable ? add_leaf(ps, path, JSONR_TRUE, start,
		    4, 0) : 0);
	case 'f':
		if (parse_literal(ps, "false") == -1)
			return (-1);
		return (addressable ? add_leaf(ps, path, JSONR_FALSE, start,
		    5, 0) : 0);
	case 'n':
		if (parse_literal(ps, "null") == -1)
			return (-1);
		return (addressable ? add_leaf(ps, path, JSONR_NULL, start,
		    4, 0) : 0);
	default:
		if (c != '-' && (c < '0' || c > '9'))
			return (fail(ps, "unexpected character"));
		if (parse_number(ps) == -1)
			return (-1);
		return (addressable ? add_leaf(ps, path, JSONR_NUMBER, start,
		    ps->pos - start, 0) : 0);
	}
}

static int
parse_object(struct parser *ps, const char *path, int addressable)
{
	char	key[JSONR_PATH_MAX], child[JSONR_PATH_MAX];
	size_t	keylen;
	int	n;

	if (++ps->depth > JSONR_DEPTH_MAX)
		return (fail(ps, "nested too deeply"));
	/* The top-level object has no path and is not a leaf. */
	if (addressable && *path != '\0' &&
	    add_leaf(ps, path, JSONR_OBJECT, ps->pos, 0, 0) == -1)
		return (-1);
	ps->pos++;
	skip_ws(ps);
	if (ps->pos < ps->len && ps->p[ps->pos] == '}') {
		ps->pos++;
		ps->depth--;
		return (0);
	}
	for (;;) {
		skip_ws(ps);
		if (ps->pos >= ps->len)
			return (fail(ps, "truncated object"));
		if (ps->p[ps->pos] != '"')
			return (fail(ps, "object key is not a string"));
		if (parse_string(ps, key, sizeof(key), &keylen) == -1)
			return (-1);
		if (keylen >= sizeof(key))
			return (fail(ps, "object key too long"));
		if (addressable) {
			n = snprintf(child, sizeof(child), "%s%s%s", path,
			    *path != '\0' ? "." : "", key);
			if (n < 0 || (size_t)n >= sizeof(child))
				return (fail(ps, "key path too long"));
		} else {
			child[0] = '\0';
		}
		skip_ws(ps);
		if (ps->pos >= ps->len)
			return (fail(ps, "truncated object"));
		if (ps->p[ps->pos] != ':')
			return (fail(ps, "expected ':' after key"));
		ps->pos++;
		if (parse_value(ps, child, addressable) == -1)
			return (-1);
		skip_ws(ps);
		if (ps->pos >= ps->len)
			return (fail(ps, "truncated object"));
		if (ps->p[ps->pos] == ',') {
			ps->pos++;
			continue;
		}
		if (ps->p[ps->pos] == '}') {
			ps->pos++;
			ps->depth--;
			return (0);
		}
		return (fail(ps, "expected ',' or '}' in object"));
	}
}

static int
parse_array(struct parser *ps)
{
	if (++ps->depth > JSONR_DEPTH_MAX)
		return (fail(ps, "nested too deeply"));
	ps->pos++;
	skip_ws(ps);
	if (ps->pos < ps->len && ps->p[ps->pos] == ']') {
		ps->pos++;
		ps->depth--;
		return (0);
	}
	for (;;) {
		if (parse_value(ps, "", 0) == -1)
			return (-1);
		skip_ws(ps);
		if (ps->pos >= ps->len)
			return (fail(ps, "truncated array"));
		if (ps->p[ps->pos] == ',') {
			ps->pos++;
			continue;
		}
		if (ps->p[ps->pos] == ']') {
			ps->pos++;
			ps->depth--;
			return (0);
		}
		return (fail(ps, "expected ',' or ']' in array"));
	}
}

/* At the opening quote; leaves pos after the closing one. */
static int
parse_string(struct parser *ps, char *out, size_t outlen, size_t *declen)
{
	const char	*why;
	size_t		 used;

	ps->pos++;
	if (decode(ps->p + ps->pos, ps->len - ps->pos, &used, out, outlen,
	    declen, &why) == -1)
		return (fail(ps, why));
	ps->pos += used;
	return (0);
}

static int
parse_number(struct parser *ps)
{
	size_t	start;

	start = ps->pos;
	if (ps->p[ps->pos] == '-')
		ps->pos++;
	if (ps->pos >= ps->len)
		return (fail(ps, "truncated number"));
	if (ps->p[ps->pos] == '0') {
		ps->pos++;
	} else if (ps->p[ps->pos] >= '1' && ps->p[ps->pos] <= '9') {
		while (ps->pos < ps->len && ps->p[ps->pos] >= '0' &&
		    ps->p[ps->pos] <= '9')
			ps->pos++;
	} else {
		return (fail(ps, "bad number"));
	}
	if (ps->pos < ps->len && ps->p[ps->pos] == '.') {
		ps->pos++;
		if (ps->pos >= ps->len || ps->p[ps->pos] < '0' ||
		    ps->p[ps->pos] > '9')
			return (fail(ps, "bad number fraction"));
		while (ps->pos < ps->len && ps->p[ps->pos] >= '0' &&
		    ps->p[ps->pos] <= '9')
			ps->pos++;
	}
	if (ps->pos < ps->len && (ps->p[ps->pos] == 'e' ||
	    ps->p[ps->pos] == 'E')) {
		ps->pos++;
		if (ps->pos < ps->len && (ps->p[ps->pos] == '+' ||
		    ps->p[ps->pos] == '-'))
			ps->pos++;
		if (ps->pos >= ps->len || ps->p[ps->pos] < '0' ||
		    ps->p[ps->pos] > '9')
			return (fail(ps, "bad number exponent"));
		while (ps->pos < ps->len && ps->p[ps->pos] >= '0' &&
		    ps->p[ps->pos] <= '9')
			ps->pos++;
	}
	if (ps->pos - start > JSONR_NUMBER_MAX)
		return (fail(ps, "number too long"));
	return (0);
}

static int
parse_literal(struct parser *ps, const char *word)
{
	size_t	n;

	n = strlen(word);
	if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
		return (fail(ps, "bad literal"));
	ps->pos += n;
	return (0);
}

static int
add_leaf(struct parser *ps, const char *path, enum jsonr_type type,
    size_t start, size_t len, size_t declen)
{
	struct jsonr_leaf	*leaf;

	/* Two values for one key: which one would a reader believe? */
	if (jsonr_find(ps->r, path) != NULL)
		return (fail(ps, "duplicate key"));
	if (ps->r->nleaves >= JSONR_LEAVES_MAX)
		return (fail(ps, "too many fields"));
	leaf = &ps->r->leaves[ps->r->nleaves++];
	(void)snprintf(leaf->path, sizeof(leaf->path), "%s", path);
	leaf->type = type;
	leaf->text = (const char *)ps->p + start;
	leaf->len = len;
	leaf->decoded_len = declen;
	return (0);
}

static void
skip_ws(struct parser *ps)
{
	while (ps->pos < ps->len && (ps->p[ps->pos] == ' ' ||
	    ps->p[ps->pos] == '\t' || ps->p[ps->pos] == '\n' ||
	    ps->p[ps->pos] == '\r'))
		ps->pos++;
}

static int
fail(struct parser *ps, const char *why)
{
	/* The offset helps debugging; the bytes themselves may be personal. */
	(void)snprintf(ps->r->err, sizeof(ps->r->err), "%s at byte %zu", why,
	    ps->pos);
	ps->r->nleaves = 0;
	return (-1);
}

/*
 * Decodes a string body that starts just after its opening quote: sets
 * *used to the bytes consumed including the closing quote and *declen to
 * the decoded length.  Writes at most outlen - 1 bytes to out (if not
 * NULL), never splitting a character, and NUL-terminates.
 */
static int
decode(const unsigned char *s, size_t len, size_t *used, char *out,
    size_t outlen, size_t *declen, const char **why)
{
	unsigned char	 enc[4];
	unsigned int	 cp, lo;
	size_t		 i, n, w, total;
	int		 full;

	i = 0;
	w = 0;
	total = 0;
	full = (out == NULL || outlen == 0);
	for (;;) {
		if (i >= len) {
			*why = "truncated string";
			return (-1);
		}
		if (s[i] == '"')
			break;
		if (s[i] < 0x20) {
			*why = "control character in string";
			return (-1);
		}
		if (s[i] == '\\') {
			if (i + 1 >= len) {
				*why = "truncated escape";
				return (-1);
			}
			switch (s[i + 1]) {
			case '"':
			case '\\':
			case '/':
				enc[0] = s[i + 1];
				break;
			case 'b':
				enc[0] = '\b';
				break;
			case 'f':
				enc[0] = '\f';
				break;
			case 'n':
				enc[0] = '\n';
				break;
			case 'r':
				enc[0] = '\r';
				break;
			case 't':
				enc[0] = '\t';
				break;
			case 'u':
				break;
			default:
				*why = "bad escape";
				return (-1);
			}
			if (s[i + 1] != 'u') {
				n = 1;
				i += 2;
			} else {
				if (i + 6 > len || hex4(s + i + 2, &cp) == -1) {
					*why = "bad \\u escape";
					return (-1);
				}
				i += 6;
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					*why = "lone low surrogate";
					return (-1);
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (i + 6 > len || s[i] != '\\' ||
					    s[i + 1] != 'u' ||
					    hex4(s + i + 2, &lo) == -1 ||
					    lo < 0xdc00 || lo > 0xdfff) {
						*why = "lone high surrogate";
						return (-1);
					}
					i += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				}
				/* A NUL would cut every C string after us. */
				if (cp == 0) {
					*why = "NUL in string";
					return (-1);
				}
				n = utf8_put(cp, enc);
			}
		} else if (s[i] < 0x80) {
			enc[0] = s[i];
			n = 1;
			i++;
		} else {
			if ((n = utf8_len(s + i, len - i)) == 0) {
				*why = "invalid UTF-8 in string";
				return (-1);
			}
			memcpy(enc, s + i, n);
			i += n;
		}
		if (!full && w + n < outlen) {
			memcpy(out + w, enc, n);
			w += n;
		} else {
			full = 1;
		}
		total += n;
	}
	if (out != NULL && outlen > 0)
		out[w] = '\0';
	*used = i + 1;
	*declen = total;
	return (0);
}

/* Length of the valid UTF-8 sequence at s (2..4 bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	size_t	n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return (0);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if (s[0] == 0xe0 && s[1] < 0xa0)
		return (0);
	if (s[0] == 0xed && s[1] > 0x9f)
		return (0);
	if (s[0] == 0xf0 && s[1] < 0x90)
		return (0);
	if (s[0] == 0xf4 && s[1] > 0x8f)
		return (0);
	return (n);
}

static int
hex4(const unsigned char *s, unsigned int *out)
{
	unsigned int	v;
	int		i;

	v = 0;
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= (unsigned int)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= (unsigned int)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= (unsigned int)(s[i] - 'A' + 10);
		else
			return (-1);
	}
	*out = v;
	return (0);
}

static size_t
utf8_put(unsigned int cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return (1);
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return (3);
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return (4);
}
