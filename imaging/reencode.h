/*
 * Evidence copies: a photo decoded upright (EXIF orientation applied) and
 * encoded again as a plain baseline JPEG, so that what is stored carries
 * no metadata (EXIF, GPS, maker notes, thumbnails) and no orientation
 * flag a viewer could misread.
 */
#ifndef IMAGING_REENCODE_H
#define IMAGING_REENCODE_H

#include <stddef.h>

#include "decode.h"

/*
 * Decodes buf with dec (its limits apply), scaled so that the long side
 * is at most max_long_side where a DCT scale allows (<= 0: full size),
 * and encodes it as JPEG at quality (1..100).
 *
 * @param out receives a malloc'ed JPEG the caller frees; *out_len its size.
 * @return 0, or -1 with the decoder's error (or IMAGING_ERR_NOMEM).
 */
int	imaging_reencode_jpeg(struct imaging_decoder *dec, const void *buf,
	    size_t len, int max_long_side, int quality, unsigned char **out,
	    size_t *out_len);

#endif
