/*
 * A small strict JSON reader for flat request and response objects: the
 * counterpart of jsonw.  Plain C, no allocation, no Kore, so that unit
 * tests and fuzzers call it directly.
 *
 * jsonr_parse() validates the whole document (RFC 8259 grammar, strict
 * UTF-8, no lone surrogates, no NUL in strings, no duplicate keys) and
 * records every scalar value of an object as a leaf named by its key
 * path ("code", "data.similarity").  Array contents are validated but
 * not addressable.  Leaves point into the caller's input, which must
 * outlive the reader; strings are decoded on demand into caller buffers,
 * byte-exact (escapes resolved, raw UTF-8 copied as is).
 */
#ifndef RN_JSONR_H
#define RN_JSONR_H

#include <stddef.h>
#include <stdint.h>

#define JSONR_DEPTH_MAX		8
#define JSONR_LEAVES_MAX	64
#define JSONR_PATH_MAX		64
#define JSONR_NUMBER_MAX	32
#define JSONR_ERR_MAX		96

enum jsonr_type {
	JSONR_STRING,
	JSONR_NUMBER,
	JSONR_TRUE,
	JSONR_FALSE,
	JSONR_NULL,
	JSONR_OBJECT,		/* recorded so duplicate keys are caught */
	JSONR_ARRAY,
};

struct jsonr_leaf {
	char		 path[JSONR_PATH_MAX];
	enum jsonr_type	 type;
	const char	*text;		/* strings: between the quotes */
	size_t		 len;		/* bytes of text, still escaped */
	size_t		 decoded_len;	/* strings: bytes once decoded */
};

struct jsonr {
	struct jsonr_leaf	leaves[JSONR_LEAVES_MAX];
	size_t			nleaves;
	char			err[JSONR_ERR_MAX];
};

/*
 * Parses len bytes of input, which must be one JSON object (surrounding
 * whitespace allowed).  Returns 0, or -1 with a one-line reason in
 * r->err that never quotes the input.
 */
int	jsonr_parse(struct jsonr *r, const void *input, size_t len);

/* The leaf at path, or NULL. */
const struct jsonr_leaf	*jsonr_find(const struct jsonr *r,
			    const char *path);

/*
 * Copies the decoded string at path into out (always NUL-terminated
 * when outlen > 0), cut at a character boundary if it does not fit.
 * Returns the full decoded length, or -1 if the leaf is missing or is
 * not a string.  A result >= outlen means the copy was cut.
 */
int64_t	jsonr_string(const struct jsonr *r, const char *path, char *out,
	    size_t outlen);

/*
 * An integer (no fraction, no exponent) that fits int64_t.  Returns 0,
 * or -1 if missing, not a number or not such an integer.
 */
int	jsonr_int(const struct jsonr *r, const char *path, int64_t *out);

/* Any number.  Returns 0 or -1. */
int	jsonr_double(const struct jsonr *r, const char *path, double *out);

/* true or false.  Returns 0 or -1. */
int	jsonr_bool(const struct jsonr *r, const char *path, int *out);

#endif
