/*
 * The decoder handle and the format dispatch.  Format-specific work is in
 * decode_jpeg.c and png_decode.c.
 */
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "decode_priv.h"

/* Scratch buffers up to this size are kept whatever the next call needs. */
#define SCRATCH_KEEP	(32u * 1024 * 1024)

static int	check_input(struct imaging_decoder *, const void *, size_t);

struct imaging_decoder *
imaging_decoder_new(const struct imaging_limits *limits)
{
	struct imaging_decoder	*dec;

	dec = calloc(1, sizeof(*dec));
	if (dec == NULL)
		return (NULL);
	if (limits != NULL)
		dec->lim = *limits;
	else
		imaging_limits_default(&dec->lim);
	dec->tj_dec = tjInitDecompress();
	if (dec->tj_dec == NULL) {
		free(dec);
		return (NULL);
	}
	imaging_error_clear(&dec->err);
	return (dec);
}

void
imaging_decoder_free(struct imaging_decoder *dec)
{
	if (dec == NULL)
		return;
	if (dec->tj_dec != NULL)
		(void)tjDestroy(dec->tj_dec);
	if (dec->tj_xform != NULL)
		(void)tjDestroy(dec->tj_xform);
	free(dec->out.p);
	free(dec->tmp.p);
	free(dec->jpeg.p);
	free(dec->aux.p);
	free(dec);
}

struct imaging_limits *
imaging_decoder_limits(struct imaging_decoder *dec)
{
	return (&dec->lim);
}

int
imaging_decoder_errcode(const struct imaging_decoder *dec)
{
	return (dec->err.code);
}

const char *
imaging_decoder_error(const struct imaging_decoder *dec)
{
	return (dec->err.msg);
}

int
imaging_format_detect(const void *buf, size_t len)
{
	static const uint8_t	 png_magic[8] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	const uint8_t		*b = buf;

	if (b == NULL)
		return (0);
	if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return (IMAGING_FORMAT_JPEG);
	if (len >= sizeof(png_magic) && memcmp(b, png_magic,
	    sizeof(png_magic)) == 0)
		return (IMAGING_FORMAT_PNG);
	return (0);
}

int
imaging_decode(struct imaging_decoder *dec, const void *buf, size_t len,
    int target_long_side, struct imaging_image *out,
    struct imaging_decode_info *info)
{
	struct imaging_decode_info	 dummy;
	int				 fmt, rc;

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (out == NULL)
		return (imaging_error_set(&dec->err, IMAGING_ERR_ARG,
		    "imaging_decode: out is NULL"));
	memset(out, 0, sizeof(*out));
	if (check_input(dec, buf, len) == -1)
		return (-1);
	fmt = imaging_format_detect(buf, len);
	info->format = fmt;
	if (fmt == IMAGING_FORMAT_JPEG)
		rc = jpeg_decode(dec, buf, len, NULL, 0, 0, target_long_side,
		    out, info);
	else
		rc = png_decode(dec, buf, len, NULL, 0, 0, target_long_side,
		    out, info);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return (rc);
}

int
imaging_decode_region(struct imaging_decoder *dec, const void *buf,
    size_t len, int ref_width, int ref_height,
    const struct imaging_rect *rect, int target_long_side,
    struct imaging_image *out, struct imaging_decode_info *info)
{
	struct imaging_decode_info	 dummy;
	int				 fmt, rc;

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (out == NULL || rect == NULL || ref_width <= 0 || ref_height <= 0)
		return (imaging_error_set(&dec->err, IMAGING_ERR_ARG,
		    "imaging_decode_region: NULL out or rect, or reference "
		    "size %dx%d", ref_width, ref_height));
	memset(out, 0, sizeof(*out));
	if (check_input(dec, buf, len) == -1)
		return (-1);
	fmt = imaging_format_detect(buf, len);
	info->format = fmt;
	if (fmt == IMAGING_FORMAT_JPEG)
		rc = jpeg_decode(dec, buf, len, rect, ref_width, ref_height,
		    target_long_side, out, info);
	else
		rc = png_decode(dec, buf, len, rect, ref_width, ref_height,
		    target_long_side, out, info);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return (rc);
}

int
scratch_reserve(struct imaging_decoder *dec, struct scratch *s, size_t need)
{
	uint8_t	*p;

	/*
	 * Grow to fit; shrink only when a big buffer (left by one huge
	 * image) is far larger than needed, so a thread does not keep
	 * hundreds of megabytes after a single full-size decode.
	 */
	if (need <= s->cap && (s->cap <= SCRATCH_KEEP || s->cap / 4 <= need))
		return (0);
	/* Free first: the old contents are never needed, and peaks halve. */
	free(s->p);
	s->p = NULL;
	s->cap = 0;
	p = malloc(need);
	if (p == NULL)
		return (imaging_error_set(&dec->err, IMAGING_ERR_NOMEM,
		    "cannot allocate %zu bytes of scratch", need));
	s->p = p;
	s->cap = need;
	return (0);
}

int
region_to_full(struct imaging_decoder *dec, const struct imaging_rect *r,
    int ref_w, int ref_h, int uw, int uh, struct imaging_rect *full)
{
	int64_t	x0, y0, x1, y1;

	/* Round outwards so that the region is never cut short. */
	x0 = (int64_t)r->x * uw / ref_w;
	y0 = (int64_t)r->y * uh / ref_h;
	x1 = ((int64_t)r->x + r->width) * uw;
	x1 = (x1 + ref_w - 1) / ref_w;
	y1 = ((int64_t)r->y + r->height) * uh;
	y1 = (y1 + ref_h - 1) / ref_h;
	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > uw)
		x1 = uw;
	if (y1 > uh)
		y1 = uh;
	if (r->width <= 0 || r->height <= 0 || x1 <= x0 || y1 <= y0)
		return (imaging_error_set(&dec->err, IMAGING_ERR_REGION,
		    "region %d,%d %dx%d of %dx%d is empty once clipped",
		    r->x, r->y, r->width, r->height, ref_w, ref_h));
	full->x = (int)x0;
	full->y = (int)y0;
	full->width = (int)(x1 - x0);
	full->height = (int)(y1 - y0);
	return (0);
}

static int
check_input(struct imaging_decoder *dec, const void *buf, size_t len)
{
	const uint8_t	*b = buf;

	imaging_error_clear(&dec->err);
	if (buf == NULL || len == 0)
		return (imaging_error_set(&dec->err, IMAGING_ERR_EMPTY,
		    "the image has zero bytes"));
	if (len > dec->lim.max_input_bytes)
		return (imaging_error_set(&dec->err,
		    IMAGING_ERR_INPUT_TOO_LARGE,
		    "the image is %zu bytes, limit max_input_bytes=%zu", len,
		    dec->lim.max_input_bytes));
	if (imaging_format_detect(buf, len) == 0) {
		if (len < 8)
			return (imaging_error_set(&dec->err,
			    IMAGING_ERR_FORMAT, "%zu bytes are too few to "
			    "be a JPEG or PNG", len));
		return (imaging_error_set(&dec->err, IMAGING_ERR_FORMAT,
		    "magic bytes %02x %02x %02x %02x are neither JPEG "
		    "(ff d8 ff) nor PNG (89 50 4e 47)", b[0], b[1], b[2],
		    b[3]));
	}
	return (0);
}
