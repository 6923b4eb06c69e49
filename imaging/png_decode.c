/*
 * PNG decoding with libpng.
 */
#include "decode_priv.h"

int
png_decode(struct imaging_decoder *dec, const uint8_t *buf, size_t len,
    const struct imaging_rect *rect, int ref_w, int ref_h, int target,
    struct imaging_image *out, struct imaging_decode_info *info)
{
	(void)buf; (void)len; (void)rect; (void)ref_w; (void)ref_h;
	(void)target; (void)out; (void)info;
	return (imaging_error_set(&dec->err, IMAGING_ERR_FORMAT,
	    "PNG decoding is not built yet"));
}
