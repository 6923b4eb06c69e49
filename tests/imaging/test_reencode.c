/*
 * Evidence re-encoding: upright pixels, no EXIF left, size cap honoured,
 * hostile input refused with the decoder's typed error.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "craft.h"
#include "decode.h"
#include "errors.h"
#include "imaging_limits.h"
#include "reencode.h"

/* A 640x480 picture with a bright block in the top-left corner. */
static void
make_upright(struct imaging_image *img)
{
	int	x, y;

	assert_int_equal(craft_image_alloc(img, 640, 480), 0);
	for (y = 0; y < 480; y++) {
		for (x = 0; x < 640; x++) {
			uint8_t v = (x < 160 && y < 120) ? 240 : 40;
			img->pixels[y * img->stride + x * 3 + 0] = v;
			img->pixels[y * img->stride + x * 3 + 1] = v;
			img->pixels[y * img->stride + x * 3 + 2] = v;
		}
	}
}

static int
has_app1(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] == 0xff && p[i + 1] == 0xe1)
			return (1);
	}
	return (0);
}

static void
test_reencode_applies_orientation_and_drops_exif(void **state)
{
	struct imaging_decoder	*dec;
	struct imaging_image	 up, out;
	struct imaging_decode_info info;
	uint8_t			*src;
	unsigned char		*jpeg;
	size_t			 slen, jlen;
	int			 o;

	(void)state;
	make_upright(&up);
	dec = imaging_decoder_new(NULL);
	assert_non_null(dec);
	for (o = 1; o <= 8; o++) {
		assert_int_equal(craft_jpeg_oriented(&up, o, 92, &src, &slen),
		    0);
		assert_int_equal(imaging_reencode_jpeg(dec, src, slen, 0, 90,
		    &jpeg, &jlen), 0);
		assert_false(has_app1(jpeg, jlen));
		assert_int_equal(imaging_decode(dec, jpeg, jlen, 0, &out,
		    &info), 0);
		assert_int_equal(info.orientation, 1);
		assert_int_equal(out.width, 640);
		assert_int_equal(out.height, 480);
		/* The bright block is still top-left, the rest dark. */
		assert_true(out.pixels[60 * out.stride + 80 * 3] > 200);
		assert_true(out.pixels[400 * out.stride + 600 * 3] < 80);
		free(jpeg);
		free(src);
	}
	imaging_decoder_free(dec);
	craft_image_free(&up);
}

static void
test_reencode_caps_the_long_side(void **state)
{
	struct imaging_decoder	*dec, *check;
	struct imaging_limits	 small;
	struct imaging_image	 up, out;
	uint8_t			*src;
	unsigned char		*jpeg;
	size_t			 slen, jlen;

	(void)state;
	make_upright(&up);
	assert_int_equal(craft_jpeg_encode(&up, 92, 0, &src, &slen), 0);
	dec = imaging_decoder_new(NULL);
	assert_int_equal(imaging_reencode_jpeg(dec, src, slen, 320, 90, &jpeg,
	    &jlen), 0);
	/* The result is below the upload minimum: check it without one. */
	imaging_limits_default(&small);
	small.min_long_side = 1;
	small.min_short_side = 1;
	check = imaging_decoder_new(&small);
	assert_int_equal(imaging_decode(check, jpeg, jlen, 0, &out, NULL), 0);
	assert_true(out.width <= 320 && out.width >= 160);
	free(jpeg);
	free(src);
	imaging_decoder_free(check);
	imaging_decoder_free(dec);
	craft_image_free(&up);
}

static void
test_reencode_refuses_hostile_input_with_typed_error(void **state)
{
	struct imaging_decoder	*dec;
	uint8_t			*flood;
	unsigned char		*jpeg;
	size_t			 flen, jlen;

	(void)state;
	dec = imaging_decoder_new(NULL);
	assert_int_equal(craft_jpeg_sof_only(65500, 65500, &flood, &flen), 0);
	assert_int_equal(imaging_reencode_jpeg(dec, flood, flen, 0, 90, &jpeg,
	    &jlen), -1);
	assert_int_equal(imaging_decoder_errcode(dec), IMAGING_ERR_TOO_LARGE);
	assert_null(jpeg);
	assert_int_equal(imaging_reencode_jpeg(dec, "GIF89a", 6, 0, 90, &jpeg,
	    &jlen), -1);
	assert_null(jpeg);
	free(flood);
	imaging_decoder_free(dec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_reencode_applies_orientation_and_drops_exif),
		cmocka_unit_test(test_reencode_caps_the_long_side),
		cmocka_unit_test(
		    test_reencode_refuses_hostile_input_with_typed_error),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
