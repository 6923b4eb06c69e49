/*
 * Writes the seed corpus of fuzz_decode into a folder: tiny valid and
 * broken JPEG/PNG files made with tests/imaging/craft.c.  The output is
 * committed under tests/fuzz/corpus/decode/; rebuild it only to change it:
 *
 *   cc -I imaging -I tests/imaging tests/fuzz/make_corpus.c \
 *       tests/imaging/craft.c imaging/{decode,decode_jpeg,errors,exif,\
 *       imaging_limits,jpeg_probe,orient,png_decode}.c \
 *       $(pkg-config --cflags --libs libturbojpeg libpng zlib) -o mk &&
 *       ./mk tests/fuzz/corpus/decode
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "craft.h"

static const char	*dir;

static void
put(const char *name, uint8_t *p, size_t len)
{
	char	 path[1024];
	FILE	*fp;

	if (p == NULL) {
		fprintf(stderr, "cannot make %s\n", name);
		exit(1);
	}
	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(p, 1, len, fp) != len || fclose(fp) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	printf("%s %zu\n", name, len);
	free(p);
}

int
main(int argc, char *argv[])
{
	struct imaging_image	 img;
	uint8_t			*p, *q, tiff[64];
	size_t			 len, qlen, n;
	int			 x, y;
	uint8_t			*px;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return (2);
	}
	dir = argv[1];
	if (craft_image_alloc(&img, 64, 48) == -1)
		return (1);
	for (y = 0; y < img.height; y++)
		for (x = 0; x < img.width; x++) {
			px = img.pixels + (size_t)y * img.stride + x * 3;
			px[0] = (uint8_t)(x * 4);
			px[1] = (uint8_t)(y * 5);
			px[2] = (uint8_t)((x * y) & 0xff);
		}

#define MAKE(name, expr)	do { p = NULL; len = 0; \
	if ((expr) == -1) p = NULL; put(name, p, len); } while (0)

	MAKE("jpeg_baseline.jpg", craft_jpeg_encode(&img, 75, 0, &p, &len));
	MAKE("jpeg_progressive.jpg", craft_jpeg_encode(&img, 75, 1, &p,
	    &len));
	MAKE("jpeg_exif6.jpg", craft_jpeg_oriented(&img, 6, 75, &p, &len));
	MAKE("jpeg_exif8_be.jpg", craft_jpeg_oriented(&img, 8, 75, &p, &len));
	MAKE("jpeg_exif5.jpg", craft_jpeg_oriented(&img, 5, 75, &p, &len));

	if (craft_jpeg_encode(&img, 75, 0, &q, &qlen) == -1)
		return (1);
	n = craft_tiff_orientation(tiff, 3, 1);
	tiff[4] = 0xf0;			/* IFD0 offset out of the block */
	MAKE("jpeg_exif_bad_offset.jpg", craft_jpeg_insert_exif(q, qlen, tiff,
	    n, &p, &len));
	p = malloc(qlen / 2);
	memcpy(p, q, qlen / 2);
	put("jpeg_truncated.jpg", p, qlen / 2);
	free(q);

	MAKE("jpeg_sof_65500.jpg", craft_jpeg_sof_only(65500, 65500, &p,
	    &len));
	if (craft_jpeg_encode(&img, 75, 1, &q, &qlen) == -1)
		return (1);
	MAKE("jpeg_100_scans.jpg", craft_jpeg_many_scans(q, qlen, 100, &p,
	    &len));
	free(q);

	MAKE("png_rgb.png", craft_png_encode(&img, PNG_COLOR_TYPE_RGB, 8, 0,
	    255, &p, &len));
	MAKE("png_palette_adam7.png", craft_png_encode(&img,
	    PNG_COLOR_TYPE_PALETTE, 8, 1, 255, &p, &len));
	MAKE("png_rgba16.png", craft_png_encode(&img, PNG_COLOR_TYPE_RGB_ALPHA,
	    16, 0, 100, &p, &len));
	MAKE("png_gray_alpha_adam7.png", craft_png_encode(&img,
	    PNG_COLOR_TYPE_GRAY_ALPHA, 8, 1, 200, &p, &len));
	MAKE("png_bomb_header.png", craft_png_raw(1024, 1024, 16, 6, 4096, &p,
	    &len));
	MAKE("png_excess_zlib.png", craft_png_raw(64, 48, 8, 2, 1 << 20, &p,
	    &len));
	if (craft_png_encode(&img, PNG_COLOR_TYPE_RGB, 8, 0, 255, &q,
	    &qlen) == -1)
		return (1);
	p = malloc(qlen / 2);
	memcpy(p, q, qlen / 2);
	put("png_truncated.png", p, qlen / 2);
	free(q);
	p = malloc(16);
	memcpy(p, "GIF89a\x40\x00\x30\x00\x00\x00\x00\x00\x00\x00", 16);
	put("not_an_image.gif", p, 16);
	craft_image_free(&img);
	return (0);
}
