/*
 * A small JSON writer with proper string escaping (Kore 4.1's builder
 * does not escape strings).  Plain C: bounded growable buffer; once an
 * allocation fails or the bound is hit, the writer is marked failed and
 * every later call is a no-op, so callers check once at the end.
 */
#ifndef RN_JSONW_H
#define RN_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char		*data;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
	int		 failed;
	int		 need_comma;
};

/* Starts an empty writer that never grows past max bytes. */
void	jsonw_init(struct jsonw *, size_t max);
void	jsonw_free(struct jsonw *);

void	jsonw_object_open(struct jsonw *);
void	jsonw_object_close(struct jsonw *);
void	jsonw_array_open(struct jsonw *);
void	jsonw_array_close(struct jsonw *);
/* Writes a key (escaped); the next value call writes its value. */
void	jsonw_key(struct jsonw *, const char *);
void	jsonw_string(struct jsonw *, const char *);
void	jsonw_string_len(struct jsonw *, const char *, size_t);
void	jsonw_int(struct jsonw *, int64_t);
void	jsonw_double(struct jsonw *, double);
/* Every digit (%.17g): the value reads back bit for bit. */
void	jsonw_double_exact(struct jsonw *, double);
void	jsonw_bool(struct jsonw *, int);
void	jsonw_null(struct jsonw *);

/* Appends raw text, not validated: only for fragments made by jsonw. */
void	jsonw_raw(struct jsonw *, const char *, size_t);

/* Returns the NUL-terminated text, or NULL if the writer failed. */
const char	*jsonw_text(struct jsonw *);

/* {"error":{"code":code,"message":message}} in one call. */
void	jsonw_error_body(struct jsonw *, const char *code,
	    const char *message);

#endif
