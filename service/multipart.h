/*
 * A strict multipart/form-data reader for bodies already in memory.
 * Kore's own parser finds nothing, silently, when the boundary is quoted
 * or the Content-Type carries other parameters, and never reports a
 * malformed body; this one takes both and says what is wrong.  Parts
 * point into the caller's body (nothing is copied).  Plain C, no Kore.
 */
#ifndef RN_MULTIPART_H
#define RN_MULTIPART_H

#include <stddef.h>

#define MULTIPART_PARTS_MAX	8
#define MULTIPART_NAME_MAX	64
#define MULTIPART_BOUNDARY_MAX	71	/* RFC 2046: 1 to 70 characters */
#define MULTIPART_HEADERS_MAX	1024	/* bytes of one part's headers */

struct multipart_part {
	char			 name[MULTIPART_NAME_MAX];
	int			 is_file;	/* filename= was given */
	char			 content_type[MULTIPART_NAME_MAX];
	const unsigned char	*data;
	size_t			 len;
};

struct multipart {
	size_t			nparts;
	struct multipart_part	parts[MULTIPART_PARTS_MAX];
};

/*
 * The boundary of a "multipart/form-data; boundary=..." Content-Type
 * value (quoted or not, other parameters allowed, any order).  Returns
 * 0, or -1 if the value is not multipart/form-data with a usable
 * boundary.
 */
int	multipart_boundary(const char *content_type,
	    char out[MULTIPART_BOUNDARY_MAX]);

/*
 * Splits body into its parts.  Refuses (-1, with a one-line reason in
 * err) a body without the closing delimiter (truncated), a part without
 * a form-data name, a name given twice, headers over
 * MULTIPART_HEADERS_MAX and more than MULTIPART_PARTS_MAX parts.
 */
int	multipart_parse(const unsigned char *body, size_t len,
	    const char *boundary, struct multipart *out, char *err,
	    size_t errlen);

/* The part with this name, or NULL. */
const struct multipart_part	*multipart_find(const struct multipart *,
				    const char *name);

#endif
