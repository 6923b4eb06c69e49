/*
 * Hostile and broken input: every case returns its typed error, never
 * aborts, and all of them together grow peak RSS by at most 64 MB.
 *
 * This executable runs only malformed input, so its peak RSS is not
 * masked by an earlier large decode: inputs are crafted small in the group
 * setup, the baseline is taken, and the last test compares.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include <cmocka.h>
#include <png.h>

#include "craft.h"
#include "decode.h"
#include "exif.h"

#define RSS_GROWTH_MAX_KB	(64 * 1024)
#define REPEAT			3

struct input {
	uint8_t	*p;
	size_t	 len;
};

static struct imaging_decoder	*dec;
static long			 rss_base_kb;
static struct input		 photo;		/* a real JPEG */
static struct input		 progressive;	/* small, real, progressive */
static struct input		 small_png;	/* 640x480 PNG */
static struct input		 scans5000;	/* progressive, 5000 scans */
static struct input		 scans65;	/* one over the default cap */
static struct input		 bomb;		/* 7000x7000 RGBA16 PNG */
static struct input		 excess;	/* 640x480, 256 MB of zlib */

/*
 * Peak RSS of this process in kB.  VmHWM is used rather than ru_maxrss:
 * Linux carries ru_maxrss over from the parent across fork and exec, so
 * under meson (a Python parent of ~30 MB) ru_maxrss would hide any
 * growth below the parent's size.  VmHWM belongs to this address space.
 */
static long
peak_rss_kb(void)
{
	struct rusage	 ru;
	FILE		*fp;
	char		 line[128];
	long		 kb = -1;

	if ((fp = fopen("/proc/self/status", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
				break;
		fclose(fp);
	}
	if (kb > 0)
		return (kb);
	(void)getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_maxrss);
}

/*
 * Decode `p` REPEAT times at working size and at full size; each must
 * fail with `code`, a message, and a zeroed output.
 */
static void
expect_error(const uint8_t *p, size_t len, int code)
{
	struct imaging_image		out;
	struct imaging_decode_info	info;
	struct imaging_rect		r = { 0, 0, 100, 100 };
	int				i;

	for (i = 0; i < REPEAT; i++) {
		out.pixels = (uint8_t *)1;
		assert_int_equal(imaging_decode(dec, p, len, i ? 0 : 1600,
		    &out, &info), -1);
		if (imaging_decoder_errcode(dec) != code)
			print_message("# got %s: %s\n",
			    imaging_err_code(imaging_decoder_errcode(dec)),
			    imaging_decoder_error(dec));
		assert_string_equal(imaging_err_code(
		    imaging_decoder_errcode(dec)), imaging_err_code(code));
		assert_true(strlen(imaging_decoder_error(dec)) > 0);
		assert_null(out.pixels);
		assert_int_equal(out.width, 0);
		/* The region entry point refuses it the same way. */
		assert_int_equal(imaging_decode_region(dec, p, len, 1000,
		    1000, &r, 0, &out, &info), -1);
		assert_int_equal(imaging_decoder_errcode(dec), code);
	}
}

static int
setup(void **state)
{
	struct imaging_image	img;
	char			path[512];
	uint8_t			*q;
	int			x, y;

	(void)state;
	if (craft_read_file(craft_shared_path("faces/img2.jpg", path,
	    sizeof(path)), &photo.p, &photo.len) == -1) {
		fprintf(stderr, "# cannot read %s\n", path);
		return (-1);
	}
	/* A 640x480 gradient, encoded progressive and as PNG. */
	if (craft_image_alloc(&img, 640, 480) == -1)
		return (-1);
	for (y = 0; y < img.height; y++)
		for (x = 0; x < img.width; x++) {
			q = img.pixels + (size_t)y * img.stride + x * 3;
			q[0] = (uint8_t)x;
			q[1] = (uint8_t)y;
			q[2] = (uint8_t)(x ^ y);
		}
	if (craft_jpeg_encode(&img, 80, 1, &progressive.p,
	    &progressive.len) == -1 || craft_png_encode(&img,
	    PNG_COLOR_TYPE_RGB, 8, 0, 255, &small_png.p,
	    &small_png.len) == -1)
		return (-1);
	craft_image_free(&img);
	/* Larger hostile inputs are made here, before the RSS baseline. */
	if (craft_jpeg_many_scans(progressive.p, progressive.len, 5000,
	    &scans5000.p, &scans5000.len) == -1 ||
	    craft_jpeg_many_scans(progressive.p, progressive.len,
	    IMAGING_DEF_MAX_SCANS + 1, &scans65.p, &scans65.len) == -1 ||
	    craft_png_raw(7000, 7000, 16, 6, 8 << 20, &bomb.p,
	    &bomb.len) == -1 ||
	    craft_png_raw(640, 480, 8, 2, 256u << 20, &excess.p,
	    &excess.len) == -1)
		return (-1);
	if ((dec = imaging_decoder_new(NULL)) == NULL)
		return (-1);
	rss_base_kb = peak_rss_kb();
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	imaging_decoder_free(dec);
	free(photo.p);
	free(progressive.p);
	free(small_png.p);
	free(scans5000.p);
	free(scans65.p);
	free(bomb.p);
	free(excess.p);
	return (0);
}

static void
test_decode_rejects_zero_bytes(void **state)
{
	uint8_t	one = 0xff;

	(void)state;
	expect_error(&one, 0, IMAGING_ERR_EMPTY);
	expect_error(NULL, 0, IMAGING_ERR_EMPTY);
}

#define MAGIC(s)	{ (const uint8_t *)(s), sizeof(s) - 1 }

static void
test_decode_rejects_wrong_magic(void **state)
{
	static const struct {
		const uint8_t	*p;
		size_t		 len;
	} bad[] = {
		MAGIC("GIF89a\x01\x00\x01\x00\x00\x00"),
		MAGIC("BM6\x00\x00\x00\x00\x00\x00\x00"),
		MAGIC("RIFF\x10\x00\x00\x00WEBPVP8 "),
		MAGIC("\x00\x00\x00\x18" "ftypheic\x00\x00"),
		MAGIC("%PDF-1.4\n"),
		MAGIC("hello, world"),
		MAGIC("\xff\xd8"),
		MAGIC("\xff\xd9\xff\xe0\x00\x10JFIF"),
		MAGIC("\x89PNG\r\n\x1a"),
		MAGIC("\x89PNG\r\n\x1b\n\x00\x00\x00\x0dIHDR"),
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].p, bad[i].len, IMAGING_ERR_FORMAT);
}

static void
test_decode_rejects_truncated_jpeg(void **state)
{
	size_t	cuts[] = { 3, 20, 200, 0, 0, 0 };
	size_t	i;

	(void)state;
	cuts[3] = photo.len / 2;
	cuts[4] = photo.len - 2;	/* only the EOI is missing */
	cuts[5] = progressive.len / 3;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		expect_error(i == 5 ? progressive.p : photo.p, cuts[i],
		    IMAGING_ERR_TRUNCATED);
}

static void
test_decode_rejects_pixel_flood(void **state)
{
	uint8_t	*p;
	size_t	 len;

	(void)state;
	assert_int_equal(craft_jpeg_sof_only(65500, 65500, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_TOO_LARGE);
	free(p);
	/* Just over 50 MP. */
	assert_int_equal(craft_jpeg_sof_only(10000, 5001, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_TOO_LARGE);
	free(p);
	assert_int_equal(craft_png_raw(65500, 65500, 8, 2, 100, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_TOO_LARGE);
	free(p);
	/*
	 * Progressive at 30 MP: under the pixel cap, but its coefficients
	 * (90 MB) would be held whole.
	 */
	assert_int_equal(craft_jpeg_sof_marker(0xc2, 6000, 5000, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_TOO_LARGE);
	assert_non_null(strstr(imaging_decoder_error(dec), "max_coef_pixels"));
	free(p);
}

static void
test_decode_rejects_too_small(void **state)
{
	uint8_t	*p;
	size_t	 len;

	(void)state;
	assert_int_equal(craft_jpeg_sof_only(320, 240, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_TOO_SMALL);
	free(p);
	assert_int_equal(craft_png_raw(479, 400, 8, 2, 100, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_TOO_SMALL);
	free(p);
	assert_int_equal(craft_jpeg_sof_only(0, 480, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_CORRUPT);
	free(p);
}

static void
test_decode_rejects_thousands_of_scans(void **state)
{
	(void)state;
	print_message("# 5000-scan JPEG: %zu bytes\n", scans5000.len);
	expect_error(scans5000.p, scans5000.len, IMAGING_ERR_TOO_MANY_SCANS);
	/* Just over the cap is refused too; the cap is counted, not guessed. */
	expect_error(scans65.p, scans65.len, IMAGING_ERR_TOO_MANY_SCANS);
}

static void
test_decode_rejects_png_bomb(void **state)
{
	uint8_t	*p;
	size_t	 len;

	(void)state;
	/* 49 MP RGBA 16-bit: under the pixel cap, 392 MB inflated. */
	assert_true(bomb.len < 64 * 1024);
	expect_error(bomb.p, bomb.len, IMAGING_ERR_PNG_BOMB);
	/* 12 MP 16-bit RGB fits (72 MB); 16-bit RGBA 20 MP does not. */
	assert_int_equal(craft_png_raw(5000, 4000, 16, 6, 1 << 16, &p, &len),
	    0);
	expect_error(p, len, IMAGING_ERR_PNG_BOMB);
	free(p);
}

static void
test_decode_rejects_png_with_excess_zlib_data(void **state)
{
	(void)state;
	/* Declares 640x480 RGB (922 KB) but inflates to 256 MB. */
	print_message("# 256 MB zlib bomb: %zu bytes\n", excess.len);
	expect_error(excess.p, excess.len, IMAGING_ERR_PNG_BOMB);
}

static void
test_decode_rejects_truncated_png(void **state)
{
	(void)state;
	expect_error(small_png.p, 20, IMAGING_ERR_TRUNCATED);
	expect_error(small_png.p, small_png.len / 2, IMAGING_ERR_TRUNCATED);
}

static void
test_decode_rejects_corrupt_png(void **state)
{
	uint8_t	*p;

	(void)state;
	p = malloc(small_png.len);
	assert_non_null(p);
	memcpy(p, small_png.p, small_png.len);
	p[small_png.len / 2] ^= 0x55;	/* breaks an IDAT CRC */
	expect_error(p, small_png.len, IMAGING_ERR_CORRUPT);
	memcpy(p, small_png.p, small_png.len);
	p[25] = 5;			/* colour type 5 does not exist */
	expect_error(p, small_png.len, IMAGING_ERR_CORRUPT);
	free(p);
}

/* Insert `tiff` as EXIF into the real photo and expect IMAGING_ERR_EXIF. */
static void
expect_exif_error(const uint8_t *tiff, size_t tifflen)
{
	struct imaging_limits	*lim;
	struct imaging_image	 out;
	struct imaging_decode_info info;
	uint8_t			*p;
	size_t			 len;

	assert_int_equal(craft_jpeg_insert_exif(progressive.p,
	    progressive.len, tiff, tifflen, &p, &len), 0);
	expect_error(p, len, IMAGING_ERR_EXIF);
	/* Not strict: the photo decodes, orientation assumed 1. */
	lim = imaging_decoder_limits(dec);
	lim->exif_strict = 0;
	assert_int_equal(imaging_decode(dec, p, len, 0, &out, &info), 0);
	assert_int_equal(info.orientation, 1);
	assert_int_equal(out.width, 640);
	lim->exif_strict = 1;
	free(p);
}

static void
test_decode_rejects_exif_with_bad_offsets(void **state)
{
	uint8_t	t[64];
	size_t	n;

	(void)state;
	/* IFD0 offset past the end. */
	n = craft_tiff_orientation(t, 6, 1);
	t[4] = 0xff; t[5] = 0xff; t[6] = 0xff; t[7] = 0x7f;
	expect_exif_error(t, n);
	/* IFD0 offset pointing at the last byte (count would overrun). */
	n = craft_tiff_orientation(t, 6, 0);
	t[7] = (uint8_t)(n - 1);
	expect_exif_error(t, n);
	/* IFD0 offset inside the header. */
	n = craft_tiff_orientation(t, 6, 1);
	t[4] = 2;
	expect_exif_error(t, n);
	/* Entry count far beyond the block. */
	n = craft_tiff_orientation(t, 6, 1);
	t[8] = 0xff; t[9] = 0xff;
	expect_exif_error(t, n);
	/* Block shorter than a TIFF header. */
	expect_exif_error(t, 5);
	/* Bad byte order and bad magic. */
	n = craft_tiff_orientation(t, 6, 1);
	t[0] = 'X';
	expect_exif_error(t, n);
	n = craft_tiff_orientation(t, 6, 1);
	t[2] = 43;
	expect_exif_error(t, n);
	/* Orientation out of range, and of the wrong type. */
	n = craft_tiff_orientation(t, 9, 1);
	expect_exif_error(t, n);
	n = craft_tiff_orientation(t, 0xffff, 0);
	expect_exif_error(t, n);
	n = craft_tiff_orientation(t, 6, 1);
	t[12] = 2;			/* type ASCII */
	expect_exif_error(t, n);
	n = craft_tiff_orientation(t, 6, 1);
	t[14] = 200;			/* count 200 */
	expect_exif_error(t, n);
}

static void
test_exif_parser_never_reads_past_block(void **state)
{
	struct imaging_error	err;
	uint8_t			t[64], *copy;
	size_t			n, cut;
	int			o;

	(void)state;
	n = craft_tiff_orientation(t, 8, 1);
	/*
	 * Every prefix of a good block, copied to an exact-size heap
	 * buffer, so that ASan sees any read past the end.
	 */
	for (cut = 0; cut <= n; cut++) {
		copy = malloc(cut ? cut : 1);
		assert_non_null(copy);
		memcpy(copy, t, cut);
		if (imaging_exif_orientation(copy, cut, &o, &err) == 0)
			assert_true(cut >= 22);
		free(copy);
	}
	assert_int_equal(imaging_exif_orientation(t, n, &o, &err), 0);
	assert_int_equal(o, 8);
}

static void
test_decode_rejects_input_over_byte_limit(void **state)
{
	struct imaging_limits	*lim;
	size_t			 saved;

	(void)state;
	lim = imaging_decoder_limits(dec);
	saved = lim->max_input_bytes;
	lim->max_input_bytes = photo.len - 1;
	expect_error(photo.p, photo.len, IMAGING_ERR_INPUT_TOO_LARGE);
	lim->max_input_bytes = saved;
}

static void
test_decode_rejects_bad_region(void **state)
{
	struct imaging_image		out;
	struct imaging_decode_info	info;
	struct imaging_rect		r = { 2000, 2000, 10, 10 };

	(void)state;
	assert_int_equal(imaging_decode_region(dec, photo.p, photo.len, 1536,
	    1152, &r, 0, &out, &info), -1);
	assert_int_equal(imaging_decoder_errcode(dec), IMAGING_ERR_REGION);
	r.x = 10;
	r.y = 10;
	r.width = 0;
	assert_int_equal(imaging_decode_region(dec, photo.p, photo.len, 1536,
	    1152, &r, 0, &out, &info), -1);
	assert_int_equal(imaging_decoder_errcode(dec), IMAGING_ERR_REGION);
	assert_int_equal(imaging_decode_region(dec, photo.p, photo.len, 0,
	    1152, &r, 0, &out, &info), -1);
	assert_int_equal(imaging_decoder_errcode(dec), IMAGING_ERR_ARG);
}

static void
test_decode_error_codes_have_stable_strings(void **state)
{
	int	i, j;

	(void)state;
	assert_string_equal(imaging_err_code(IMAGING_ERR_TOO_LARGE),
	    "image_too_large");
	assert_string_equal(imaging_err_code(IMAGING_ERR_PNG_BOMB),
	    "png_bomb");
	assert_string_equal(imaging_err_code(-3), "unknown_error");
	for (i = 0; i < IMAGING_ERR_COUNT; i++) {
		assert_true(strlen(imaging_err_message(i)) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(imaging_err_code(i),
			    imaging_err_code(j));
	}
}

/* Last: everything above together stayed within the RSS budget. */
static void
test_decode_malformed_peak_rss_growth_bounded(void **state)
{
	long	now;

	(void)state;
	now = peak_rss_kb();
	print_message("# peak RSS %ld kB before malformed cases, %ld kB "
	    "after, growth %ld kB (limit %d kB)\n", rss_base_kb, now,
	    now - rss_base_kb, RSS_GROWTH_MAX_KB);
	assert_true(now - rss_base_kb <= RSS_GROWTH_MAX_KB);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_rejects_zero_bytes),
		cmocka_unit_test(test_decode_rejects_wrong_magic),
		cmocka_unit_test(test_decode_rejects_truncated_jpeg),
		cmocka_unit_test(test_decode_rejects_pixel_flood),
		cmocka_unit_test(test_decode_rejects_too_small),
		cmocka_unit_test(test_decode_rejects_thousands_of_scans),
		cmocka_unit_test(test_decode_rejects_png_bomb),
		cmocka_unit_test(test_decode_rejects_png_with_excess_zlib_data),
		cmocka_unit_test(test_decode_rejects_truncated_png),
		cmocka_unit_test(test_decode_rejects_corrupt_png),
		cmocka_unit_test(test_decode_rejects_exif_with_bad_offsets),
		cmocka_unit_test(test_exif_parser_never_reads_past_block),
		cmocka_unit_test(test_decode_rejects_input_over_byte_limit),
		cmocka_unit_test(test_decode_rejects_bad_region),
		cmocka_unit_test(test_decode_error_codes_have_stable_strings),
		cmocka_unit_test(test_decode_malformed_peak_rss_growth_bounded),
	};

	return (cmocka_run_group_tests_name("imaging_decode_malformed", tests,
	    setup, teardown));
}
