/*
 * libFuzzer harness over imaging_decode() and imaging_decode_region().
 * Limits are small so that each input decodes fast and hostile headers
 * hit the limit checks; the minimum size is 1x1 so that tiny corpus files
 * reach the pixel code.  Any result other than success with a sane image
 * or failure with a known error code and a message is a finding.
 *
 * Built and run by tests/fuzz/run; not part of the meson build.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"

static struct imaging_decoder	*dec;

static void
check_image(const struct imaging_image *im,
    const struct imaging_decode_info *info)
{
	volatile unsigned	 sum = 0;
	const uint8_t		*row;
	int			 x, y;

	if (im->width <= 0 || im->height <= 0 || im->pixels == NULL ||
	    im->stride < im->width * 3 || info->scale_num <= 0 ||
	    info->scale_denom <= 0 || info->orientation < 1 ||
	    info->orientation > 8)
		__builtin_trap();
	/* Touch every byte, so ASan sees a short buffer. */
	for (y = 0; y < im->height; y++) {
		row = im->pixels + (size_t)y * im->stride;
		for (x = 0; x < im->width * 3; x++)
			sum += row[x];
	}
	(void)sum;
}

static void
check_error(void)
{
	int	code = imaging_decoder_errcode(dec);

	if (code <= IMAGING_OK || code >= IMAGING_ERR_COUNT ||
	    imaging_decoder_error(dec)[0] == '\0')
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imaging_limits		lim;
	struct imaging_image		out;
	struct imaging_decode_info	info;
	struct imaging_rect		r;
	int				rw, rh, target;

	if (dec == NULL) {
		imaging_limits_default(&lim);
		lim.max_input_bytes = 1 << 20;
		lim.max_pixels = 1 << 20;
		lim.min_long_side = 1;
		lim.min_short_side = 1;
		lim.max_scans = 64;
		lim.max_png_bytes = 8 << 20;
		if ((dec = imaging_decoder_new(&lim)) == NULL)
			__builtin_trap();
	}
	/*
	 * Odd sizes take the streamed region path instead of the lossless
	 * crop; the last byte picks the working size, so scales get
	 * exercised.
	 */
	imaging_decoder_limits(dec)->max_coef_pixels = size % 2 ? 1 : 1 << 20;
	target = size > 0 ? data[size - 1] * 4 : 0;
	if (imaging_decode(dec, data, size, target, &out, &info) == -1) {
		check_error();
		return (0);
	}
	check_image(&out, &info);
	rw = out.width;
	rh = out.height;

	/* A region from the middle of that view, decoded at full size. */
	r.x = rw / 3;
	r.y = rh / 4;
	r.width = rw / 3 + 1;
	r.height = rh / 2 + 1;
	if (imaging_decode_region(dec, data, size, rw, rh, &r, 0, &out,
	    &info) == -1) {
		check_error();
		return (0);
	}
	check_image(&out, &info);
	return (0);
}
