/*
 * libFuzzer harness over the multipart/form-data reader of the courier
 * delivery route.  The input is "content-type line \n body".  Findings:
 * any crash or sanitizer report; a part that points outside the body;
 * an unterminated or empty name; more parts than the cap; a refusal
 * without a reason; multipart_find disagreeing with the parts.
 *
 * Built and run by tests/fuzz/run; not part of the meson build.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../service/multipart.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct multipart	 mp;
	char			 ctype[256], boundary[MULTIPART_BOUNDARY_MAX];
	char			 err[128];
	const uint8_t		*nl, *body;
	size_t			 clen, blen, i;

	if ((nl = memchr(data, '\n', size < 255 ? size : 255)) == NULL)
		return (0);
	clen = (size_t)(nl - data);
	memcpy(ctype, data, clen);
	ctype[clen] = '\0';
	body = nl + 1;
	blen = size - clen - 1;

	if (multipart_boundary(ctype, boundary) == -1)
		return (0);
	if (strlen(boundary) == 0 || strlen(boundary) >= MULTIPART_BOUNDARY_MAX)
		__builtin_trap();
	err[0] = '\0';
	if (multipart_parse(body, blen, boundary, &mp, err, sizeof(err)) ==
	    -1) {
		if (err[0] == '\0')
			__builtin_trap();
		return (0);
	}
	if (mp.nparts > MULTIPART_PARTS_MAX)
		__builtin_trap();
	for (i = 0; i < mp.nparts; i++) {
		const struct multipart_part *p = &mp.parts[i];

		if (memchr(p->name, '\0', sizeof(p->name)) == NULL ||
		    p->name[0] == '\0' ||
		    memchr(p->content_type, '\0',
		    sizeof(p->content_type)) == NULL)
			__builtin_trap();
		if (p->len > 0 && (p->data < body ||
		    p->data + p->len > body + blen))
			__builtin_trap();
		if (multipart_find(&mp, p->name) != p)
			__builtin_trap();
	}
	return (0);
}
