/*
 * Decoding well-formed input: header facts, EXIF orientation 1..8, the
 * DCT scale choice, region decoding, and every PNG flavour.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <png.h>

#include "craft.h"
#include "decode.h"
#include "orient.h"

/* JPEG re-encoding at quality 95 moves pixels by ~1; a wrong
 * orientation moves them by tens. */
#define SAME_IMAGE_MAD		3.0

static struct imaging_decoder	*dec;
static uint8_t			*img1, *img2;	/* shared photos */
static size_t			 img1_len, img2_len;
static struct imaging_image	 upright;	/* img1 at 1/2 scale */
static uint8_t			*oriented[9];	/* upright encoded as 1..8 */
static size_t			 oriented_len[9];

static int
setup(void **state)
{
	struct imaging_image	out;
	char			path[512];
	int			v;

	(void)state;
	if ((dec = imaging_decoder_new(NULL)) == NULL)
		return (-1);
	if (craft_read_file(craft_shared_path("faces/img1.jpg", path,
	    sizeof(path)), &img1, &img1_len) == -1 ||
	    craft_read_file(craft_shared_path("faces/img2.jpg", path,
	    sizeof(path)), &img2, &img2_len) == -1) {
		fprintf(stderr, "# cannot read shared photos under %s\n", path);
		return (-1);
	}
	/* 1382x1868 at 1/2: 691x934, a width that is not a whole MCU. */
	if (imaging_decode(dec, img1, img1_len, 800, &out, NULL) == -1 ||
	    craft_image_copy(&out, &upright) == -1)
		return (-1);
	for (v = 1; v <= 8; v++)
		if (craft_jpeg_oriented(&upright, v, 95, &oriented[v],
		    &oriented_len[v]) == -1)
			return (-1);
	return (0);
}

static int
teardown(void **state)
{
	int	v;

	(void)state;
	for (v = 1; v <= 8; v++)
		free(oriented[v]);
	craft_image_free(&upright);
	free(img1);
	free(img2);
	imaging_decoder_free(dec);
	return (0);
}

static void
test_decode_jpeg_reports_header_facts(void **state)
{
	struct imaging_image		out;
	struct imaging_decode_info	info;

	(void)state;
	assert_int_equal(imaging_decode(dec, img1, img1_len, 0, &out, &info),
	    0);
	assert_int_equal(info.format, IMAGING_FORMAT_JPEG);
	assert_int_equal(info.encoded_width, 1382);
	assert_int_equal(info.encoded_height, 1868);
	assert_int_equal(info.orientation, 1);
	assert_int_equal(info.scans, 1);
	assert_int_equal(info.progressive, 0);
	assert_int_equal(out.width, 1382);
	assert_int_equal(out.height, 1868);
	assert_int_equal(out.stride, 1382 * 3);
	assert_int_equal(info.region.width, 1382);

	assert_int_equal(imaging_decode(dec, img2, img2_len, 0, &out, &info),
	    0);
	assert_int_equal(info.progressive, 1);
	assert_true(info.scans > 1 && info.scans <= IMAGING_DEF_MAX_SCANS);
	assert_int_equal(imaging_decoder_errcode(dec), IMAGING_OK);
	assert_string_equal(imaging_decoder_error(dec), "");
}

static void
test_decode_applies_all_eight_orientations(void **state)
{
	struct imaging_image		 out, d1, rot;
	struct imaging_decode_info	 info;
	double				 mad;
	int				 v;

	(void)state;
	assert_int_equal(imaging_decode(dec, oriented[1], oriented_len[1], 0,
	    &out, &info), 0);
	assert_int_equal(craft_image_copy(&out, &d1), 0);
	for (v = 1; v <= 8; v++) {
		assert_int_equal(imaging_decode(dec, oriented[v],
		    oriented_len[v], 0, &out, &info), 0);
		assert_int_equal(info.orientation, v);
		/* The file stores the transposed shape for 5..8. */
		assert_int_equal(info.encoded_width,
		    v >= 5 ? upright.height : upright.width);
		assert_int_equal(out.width, upright.width);
		assert_int_equal(out.height, upright.height);
		assert_int_equal(info.upright_width, upright.width);
		mad = craft_mean_abs_diff(&out, &d1);
		print_message("# orientation %d: mean abs diff %.3f\n", v, mad);
		assert_true(mad >= 0 && mad < SAME_IMAGE_MAD);
		mad = craft_mean_abs_diff(&out, &upright);
		assert_true(mad >= 0 && mad < SAME_IMAGE_MAD);
	}
	/* The measure does tell a turned image apart. */
	assert_int_equal(craft_image_alloc(&rot, d1.width, d1.height), 0);
	assert_int_equal(imaging_orient_apply(&d1, 3, &rot), 0);
	mad = craft_mean_abs_diff(&rot, &d1);
	print_message("# upside-down vs upright: mean abs diff %.3f\n", mad);
	assert_true(mad > 5 * SAME_IMAGE_MAD);
	craft_image_free(&rot);
	craft_image_free(&d1);
}

static void
test_decode_orientation_holds_at_dct_scale(void **state)
{
	struct imaging_image		 out, d1;
	struct imaging_decode_info	 info;
	double				 mad;
	int				 v;

	(void)state;
	assert_int_equal(imaging_decode(dec, oriented[1], oriented_len[1], 400,
	    &out, &info), 0);
	assert_int_equal(craft_image_copy(&out, &d1), 0);
	for (v = 2; v <= 8; v++) {
		assert_int_equal(imaging_decode(dec, oriented[v],
		    oriented_len[v], 400, &out, &info), 0);
		assert_int_equal(info.scale_num * 2, info.scale_denom);
		assert_int_equal(out.width, d1.width);
		assert_int_equal(out.height, d1.height);
		mad = craft_mean_abs_diff(&out, &d1);
		assert_true(mad >= 0 && mad < SAME_IMAGE_MAD);
	}
	craft_image_free(&d1);
}

static void
test_decode_picks_dct_scale_nearest_above_target(void **state)
{
	/* img2 is 1536x1152; TurboJPEG scales by n/8. */
	static const struct {
		int	target, num, denom, width;
	} c[] = {
		{ 0, 1, 1, 1536 }, { 4000, 1, 1, 1536 }, { 1536, 1, 1, 1536 },
		{ 1535, 1, 1, 1536 }, { 1344, 7, 8, 1344 },
		{ 1000, 3, 4, 1152 }, { 961, 3, 4, 1152 }, { 960, 5, 8, 960 },
		{ 768, 1, 2, 768 }, { 500, 3, 8, 576 }, { 384, 1, 4, 384 },
		{ 100, 1, 8, 192 }, { 1, 1, 8, 192 },
	};
	struct imaging_image		out;
	struct imaging_decode_info	info;
	size_t				i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(imaging_decode(dec, img2, img2_len,
		    c[i].target, &out, &info), 0);
		assert_int_equal(info.scale_num * c[i].denom,
		    c[i].num * info.scale_denom);
		assert_int_equal(out.width, c[i].width);
		assert_int_equal(out.height, (1152 * c[i].num + c[i].denom -
		    1) / c[i].denom);
	}
	/* Portrait: the long side is the height. */
	assert_int_equal(imaging_decode(dec, img1, img1_len, 1600, &out,
	    &info), 0);
	assert_int_equal(out.height, 1635);
	assert_int_equal(out.width, 1210);
}

static void
crop(const struct imaging_image *src, const struct imaging_rect *r,
    struct imaging_image *dst)
{
	dst->width = r->width;
	dst->height = r->height;
	dst->stride = src->stride;
	dst->pixels = src->pixels + (size_t)r->y * src->stride +
	    (size_t)r->x * 3;
}

/* Region decodes of oriented[first..last] against full decodes. */
static void
check_regions(int first, int last)
{
	struct imaging_image		 out, full, ref, want;
	struct imaging_decode_info	 info, rinfo;
	struct imaging_rect		 r;
	double				 mad;
	int				 v, rw, rh;

	for (v = first; v <= last; v++) {
		assert_int_equal(imaging_decode(dec, oriented[v],
		    oriented_len[v], 0, &out, NULL), 0);
		assert_int_equal(craft_image_copy(&out, &full), 0);
		/* The caller's view: a working-size decode. */
		assert_int_equal(imaging_decode(dec, oriented[v],
		    oriented_len[v], 300, &ref, &info), 0);
		rw = ref.width;
		rh = ref.height;
		r.x = rw * 3 / 10 + 1;
		r.y = rh / 4 + 3;
		r.width = rw / 5;
		r.height = rh * 3 / 10;

		/* At full scale: the same pixels as the full decode. */
		assert_int_equal(imaging_decode_region(dec, oriented[v],
		    oriented_len[v], rw, rh, &r, 0, &out, &rinfo), 0);
		assert_int_equal(rinfo.orientation, v);
		assert_int_equal(rinfo.scale_num, rinfo.scale_denom);
		assert_int_equal(out.width, rinfo.region.width);
		assert_int_equal(out.height, rinfo.region.height);
		/* The region covers the asked rectangle, rounded outwards. */
		assert_true(rinfo.region.x <= r.x * full.width / rw);
		assert_true(rinfo.region.x + rinfo.region.width >=
		    (r.x + r.width) * full.width / rw);
		assert_true(rinfo.region.width <= r.width * full.width / rw +
		    full.width / rw + 2);
		crop(&full, &rinfo.region, &want);
		mad = craft_mean_abs_diff(&out, &want);
		print_message("# orientation %d region %d,%d %dx%d: mean abs "
		    "diff %.3f\n", v, rinfo.region.x, rinfo.region.y,
		    rinfo.region.width, rinfo.region.height, mad);
		assert_true(mad >= 0 && mad < 1.5);

		/* At a finer scale than the reference, coarser than full. */
		assert_int_equal(imaging_decode_region(dec, oriented[v],
		    oriented_len[v], rw, rh, &r, 2 * r.height, &out, &rinfo),
		    0);
		assert_true(rinfo.scale_num * info.scale_denom >
		    info.scale_num * rinfo.scale_denom);
		assert_true(rinfo.scale_num < rinfo.scale_denom);
		assert_true((out.width > out.height ? out.width :
		    out.height) >= 2 * r.height);
		mad = craft_mean_abs_diff_scaled(&out, &full, rinfo.region.x,
		    rinfo.region.y, rinfo.scale_denom, rinfo.scale_num);
		assert_true(mad >= 0 && mad < 6.0);
		craft_image_free(&full);
	}
}

static void
test_decode_region_matches_full_decode(void **state)
{
	(void)state;
	check_regions(1, 8);
}

static void
test_decode_region_streams_when_over_coef_limit(void **state)
{
	struct imaging_limits	*lim;
	uint64_t		 saved;

	(void)state;
	/* No lossless crop: decompress whole at the scale, then cut. */
	lim = imaging_decoder_limits(dec);
	saved = lim->max_coef_pixels;
	lim->max_coef_pixels = 1;
	check_regions(5, 8);
	lim->max_coef_pixels = saved;
}

static void
test_decode_region_of_real_photo_crops_losslessly(void **state)
{
	struct imaging_image		 out, full, want;
	struct imaging_decode_info	 info;
	struct imaging_rect		 r = { 517, 203, 301, 187 };
	double				 mad;

	(void)state;
	assert_int_equal(imaging_decode(dec, img2, img2_len, 0, &out, NULL),
	    0);
	assert_int_equal(craft_image_copy(&out, &full), 0);
	/* Rectangle given in full-resolution coordinates (ref = full). */
	assert_int_equal(imaging_decode_region(dec, img2, img2_len, 1536,
	    1152, &r, 0, &out, &info), 0);
	assert_int_equal(info.region.x, r.x);
	assert_int_equal(info.region.y, r.y);
	assert_int_equal(out.width, r.width);
	assert_int_equal(out.height, r.height);
	crop(&full, &r, &want);
	mad = craft_mean_abs_diff(&out, &want);
	print_message("# progressive region: mean abs diff %.3f\n", mad);
	assert_true(mad >= 0 && mad < 1.0);
	craft_image_free(&full);
}

static void
make_gradient(struct imaging_image *img, int w, int h)
{
	uint8_t	*q;
	int	 x, y;

	assert_int_equal(craft_image_alloc(img, w, h), 0);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			q = img->pixels + (size_t)y * img->stride + x * 3;
			q[0] = (uint8_t)(x * 255 / w);
			q[1] = (uint8_t)(y * 255 / h);
			q[2] = (uint8_t)((x * 7 + y * 3) & 0xff);
		}
}

static void
png_roundtrip(const struct imaging_image *src, int ctype, int depth,
    int interlace, int alpha, struct imaging_image *out)
{
	struct imaging_decode_info	 info;
	uint8_t				*p;
	size_t				 len;

	assert_int_equal(craft_png_encode(src, ctype, depth, interlace, alpha,
	    &p, &len), 0);
	assert_int_equal(imaging_decode(dec, p, len, 0, out, &info), 0);
	assert_int_equal(info.format, IMAGING_FORMAT_PNG);
	assert_int_equal(info.orientation, 1);
	assert_int_equal(out->width, src->width);
	assert_int_equal(out->height, src->height);
	free(p);
}

static void
test_decode_png_colour_types(void **state)
{
	struct imaging_image	 src, out;
	const uint8_t		*s, *o;
	int			 x, y, g, il;

	(void)state;
	make_gradient(&src, 640, 480);
	for (il = 0; il <= 1; il++) {
		png_roundtrip(&src, PNG_COLOR_TYPE_RGB, 8, il, 255, &out);
		assert_true(craft_mean_abs_diff(&out, &src) == 0.0);
		png_roundtrip(&src, PNG_COLOR_TYPE_RGB, 16, il, 255, &out);
		assert_true(craft_mean_abs_diff(&out, &src) == 0.0);
		png_roundtrip(&src, PNG_COLOR_TYPE_RGB_ALPHA, 8, il, 255,
		    &out);
		assert_true(craft_mean_abs_diff(&out, &src) == 0.0);
		png_roundtrip(&src, PNG_COLOR_TYPE_RGB_ALPHA, 16, il, 255,
		    &out);
		assert_true(craft_mean_abs_diff(&out, &src) == 0.0);
	}
	craft_image_free(&src);
	/* Odd widths, interlaced (row pointers after odd-sized sums). */
	make_gradient(&src, 641, 481);
	png_roundtrip(&src, PNG_COLOR_TYPE_RGB, 8, 1, 255, &out);
	assert_true(craft_mean_abs_diff(&out, &src) == 0.0);
	craft_image_free(&src);
	make_gradient(&src, 640, 480);
	/* Fully transparent: composited over white. */
	png_roundtrip(&src, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0, &out);
	for (y = 0; y < out.height; y += 37)
		for (x = 0; x < out.width; x += 41) {
			o = out.pixels + (size_t)y * out.stride + x * 3;
			assert_true(o[0] == 255 && o[1] == 255 && o[2] == 255);
		}
	/* Half transparent: half way to white. */
	png_roundtrip(&src, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 128, &out);
	o = out.pixels + 100 * out.stride + 10 * 3;
	s = src.pixels + 100 * src.stride + 10 * 3;
	assert_true(abs(o[0] - (s[0] * 128 + 255 * 127) / 255) <= 1);
	/* Grey and grey+alpha: B = G = R = the grey value. */
	png_roundtrip(&src, PNG_COLOR_TYPE_GRAY, 8, 0, 255, &out);
	for (y = 0; y < out.height; y += 29) {
		o = out.pixels + (size_t)y * out.stride + 33 * 3;
		s = src.pixels + (size_t)y * src.stride + 33 * 3;
		g = (s[0] + s[1] + s[2]) / 3;
		assert_true(o[0] == g && o[1] == g && o[2] == g);
	}
	png_roundtrip(&src, PNG_COLOR_TYPE_GRAY_ALPHA, 16, 1, 255, &out);
	o = out.pixels + 50 * out.stride + 60 * 3;
	s = src.pixels + 50 * src.stride + 60 * 3;
	assert_int_equal(o[1], (s[0] + s[1] + s[2]) / 3);
	/* Palette: the 3-3-2 colour the encoder chose. */
	png_roundtrip(&src, PNG_COLOR_TYPE_PALETTE, 8, 0, 255, &out);
	o = out.pixels + 200 * out.stride + 300 * 3;
	s = src.pixels + 200 * src.stride + 300 * 3;
	assert_int_equal(o[2], (s[2] >> 5) * 255 / 7);
	assert_int_equal(o[0], (s[0] >> 6) * 255 / 3);
	craft_image_free(&src);
}

static void
test_decode_png_scales_by_box_filter(void **state)
{
	struct imaging_image		 src, out;
	struct imaging_decode_info	 info;
	struct imaging_rect		 r = { 100, 50, 200, 120 };
	uint8_t				*p;
	size_t				 len;
	double				 mad;

	(void)state;
	make_gradient(&src, 1283, 961);
	assert_int_equal(craft_png_encode(&src, PNG_COLOR_TYPE_RGB, 8, 0, 255,
	    &p, &len), 0);
	/* Long side 1283 to >= 400: steps of 3 give 428. */
	assert_int_equal(imaging_decode(dec, p, len, 400, &out, &info), 0);
	assert_int_equal(info.scale_denom, 3);
	assert_int_equal(out.width, 428);
	assert_int_equal(out.height, 321);
	mad = craft_mean_abs_diff_scaled(&out, &src, 0, 0, 3, 1);
	assert_true(mad >= 0 && mad < 0.5);
	/*
	 * A region, in the coordinates of that scaled decode, at full size:
	 * x from floor(100 * 1283 / 428) = 299 to ceil(300 * 1283 / 428) =
	 * 900, y from floor(50 * 961 / 321) = 149 to ceil(170 * 961 / 321) =
	 * 509.
	 */
	assert_int_equal(imaging_decode_region(dec, p, len, out.width,
	    out.height, &r, 0, &out, &info), 0);
	assert_int_equal(info.region.x, 299);
	assert_int_equal(info.region.y, 149);
	assert_int_equal(out.width, 601);
	assert_int_equal(out.height, 360);
	mad = craft_mean_abs_diff_scaled(&out, &src, 299, 149, 1, 1);
	assert_true(mad == 0.0);
	/* The same region at 1/2: 2x2 boxes from (298, 148). */
	assert_int_equal(imaging_decode_region(dec, p, len, 428, 321, &r, 300,
	    &out, &info), 0);
	assert_int_equal(info.scale_denom, 2);
	assert_int_equal(info.region.x, 298);
	assert_int_equal(info.region.y, 148);
	assert_int_equal(out.width, 301);
	assert_int_equal(out.height, 181);
	mad = craft_mean_abs_diff_scaled(&out, &src, info.region.x,
	    info.region.y, 2, 1);
	assert_true(mad >= 0 && mad < 0.5);
	free(p);
	craft_image_free(&src);
}

static void
test_decode_reuses_buffers(void **state)
{
	struct imaging_image	 out;
	uint8_t			*first;

	(void)state;
	assert_int_equal(imaging_decode(dec, img2, img2_len, 0, &out, NULL),
	    0);
	assert_int_equal(imaging_decode(dec, img1, img1_len, 0, &out, NULL),
	    0);
	first = out.pixels;
	assert_int_equal(imaging_decode(dec, img2, img2_len, 800, &out, NULL),
	    0);
	assert_ptr_equal(out.pixels, first);
	assert_int_equal(imaging_decode(dec, img1, img1_len, 0, &out, NULL),
	    0);
	assert_ptr_equal(out.pixels, first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_jpeg_reports_header_facts),
		cmocka_unit_test(test_decode_applies_all_eight_orientations),
		cmocka_unit_test(test_decode_orientation_holds_at_dct_scale),
		cmocka_unit_test(
		    test_decode_picks_dct_scale_nearest_above_target),
		cmocka_unit_test(test_decode_region_matches_full_decode),
		cmocka_unit_test(
		    test_decode_region_streams_when_over_coef_limit),
		cmocka_unit_test(
		    test_decode_region_of_real_photo_crops_losslessly),
		cmocka_unit_test(test_decode_png_colour_types),
		cmocka_unit_test(test_decode_png_scales_by_box_filter),
		cmocka_unit_test(test_decode_reuses_buffers),
	};

	return (cmocka_run_group_tests_name("imaging_decode", tests, setup,
	    teardown));
}
