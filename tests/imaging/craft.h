/*
 * Test-input crafting for imaging/ tests: read shared photos, encode
 * JPEG/PNG, insert EXIF orientation, and build hostile files byte by byte.
 * Built as imaging_craft_dep (tests/imaging/meson.build) so other imaging
 * tests (faces, card) can make the same inputs.
 *
 * Every function returns 0 / -1 or a pointer / NULL; buffers returned
 * through uint8_t ** are malloc'ed and the caller frees them.
 */
#ifndef TESTS_CRAFT_H
#define TESTS_CRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/*
 * Path of `rel` under $REALNAME_SHARED_DATA (default ../shared/data)
 * into `buf`.  Returns `buf`.
 */
char	*craft_shared_path(const char *rel, char *buf, size_t bufsz);

/* Read a whole file.  Returns 0 or -1. */
int	 craft_read_file(const char *path, uint8_t **buf, size_t *len);

/* Allocate a w x h BGR image (stride w*3); pixels zeroed.  -1 on failure. */
int	 craft_image_alloc(struct imaging_image *img, int w, int h);
void	 craft_image_free(struct imaging_image *img);

/* Copy `src` into a newly allocated image. */
int	 craft_image_copy(const struct imaging_image *src,
	    struct imaging_image *dst);

/*
 * Encode `img` (BGR) as a JFIF JPEG, 4:2:0, `quality` 1..100, progressive
 * if `progressive` is set.
 */
int	 craft_jpeg_encode(const struct imaging_image *img, int quality,
	    int progressive, uint8_t **out, size_t *outlen);

/*
 * A minimal TIFF block holding IFD0 with one Orientation entry of
 * `value`, little-endian if `le`.  Writes at most 64 bytes to `buf`;
 * returns the length.
 */
size_t	 craft_tiff_orientation(uint8_t *buf, int value, int le);

/*
 * Insert an APP1 "Exif\0\0" segment carrying `tiff` right after SOI.
 */
int	 craft_jpeg_insert_exif(const uint8_t *jpeg, size_t len,
	    const uint8_t *tiff, size_t tifflen, uint8_t **out,
	    size_t *outlen);

/*
 * Encode `upright` so that a viewer honouring EXIF `orientation` shows
 * `upright`: the pixels are stored transformed by the inverse orientation
 * and the EXIF tag says `orientation`.
 */
int	 craft_jpeg_oriented(const struct imaging_image *upright,
	    int orientation, int quality, uint8_t **out, size_t *outlen);

/*
 * Header-only baseline JPEG: SOI, SOF0 declaring `w` x `h` x 3 components,
 * one SOS with a few bytes of entropy data, EOI.
 */
int	 craft_jpeg_sof_only(int w, int h, uint8_t **out, size_t *outlen);

/* The same with SOF marker `marker` (0xc0 baseline, 0xc2 progressive...). */
int	 craft_jpeg_sof_marker(int marker, int w, int h, uint8_t **out,
	    size_t *outlen);

/*
 * Take a real progressive JPEG and repeat its shortest scan until it has
 * `scans` scans, before EOI (the "thousands of scans" CPU attack).
 */
int	 craft_jpeg_many_scans(const uint8_t *prog, size_t len, int scans,
	    uint8_t **out, size_t *outlen);

/*
 * Encode `img` with libpng.  `color_type` is a PNG_COLOR_TYPE_*
 * (GRAY, RGB, RGB_ALPHA, GRAY_ALPHA, PALETTE); `depth` 8 or 16 (8 for
 * palette); alpha channels get `alpha`; `interlace` selects Adam7.
 * Palette images quantise to 3-3-2 bits.
 */
int	 craft_png_encode(const struct imaging_image *img, int color_type,
	    int depth, int interlace, int alpha, uint8_t **out,
	    size_t *outlen);

/*
 * A PNG built by hand: IHDR declaring `w` x `h` (`depth`, `color_type`),
 * one IDAT holding zlib-compressed zeros of `inflated` bytes, IEND, with
 * correct CRCs.  A large `inflated` makes a decompression bomb.
 */
int	 craft_png_raw(uint32_t w, uint32_t h, int depth, int color_type,
	    size_t inflated, uint8_t **out, size_t *outlen);

/*
 * Mean absolute difference per channel value of two equal-size images;
 * -1 if the sizes differ.
 */
double	 craft_mean_abs_diff(const struct imaging_image *a,
	    const struct imaging_image *b);

/*
 * Mean absolute difference between `a` and the box-filtered region of
 * `full` whose top-left is (x0, y0) and which `a` samples at a step of
 * `step_num`/`step_den` full pixels per `a` pixel.
 */
double	 craft_mean_abs_diff_scaled(const struct imaging_image *a,
	    const struct imaging_image *full, int x0, int y0, int step_num,
	    int step_den);

#endif
