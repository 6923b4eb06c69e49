/*
 * Input limits for imaging/: what a hostile or broken upload may cost.
 *
 * Named imaging_limits.h (not limits.h) because imaging/ is on the include
 * path of everything that links it, and a local "limits.h" would shadow
 * the system <limits.h>.
 */
#ifndef IMAGING_LIMITS_H
#define IMAGING_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* Defaults; each is explained in imaging_limits_default(). */
#define IMAGING_DEF_MAX_INPUT_BYTES	(32u * 1024 * 1024)
#define IMAGING_DEF_MAX_PIXELS		50000000u
#define IMAGING_DEF_MIN_LONG_SIDE	480
#define IMAGING_DEF_MIN_SHORT_SIDE	360
#define IMAGING_DEF_MAX_SCANS		64
#define IMAGING_DEF_MAX_COEF_PIXELS	24000000u
#define IMAGING_DEF_MAX_PNG_BYTES	(96u * 1024 * 1024)
#define IMAGING_DEF_WORKING_LONG_SIDE	1600

struct imaging_limits {
	/* Largest accepted file, in bytes. */
	size_t		max_input_bytes;
	/* Largest accepted width * height of the encoded image. */
	uint64_t	max_pixels;
	/*
	 * Smallest accepted long and short side, in pixels.  They are
	 * compared with the long and short side rather than with width and
	 * height so that a portrait and a landscape shot of the same size are
	 * treated alike, whatever their EXIF orientation.
	 */
	int		min_long_side;
	int		min_short_side;
	/* Most SOS markers (scans) accepted in one JPEG. */
	int		max_scans;
	/*
	 * Largest JPEG whose DCT coefficients may be held in memory whole
	 * (about 3 bytes a pixel at 4:2:0): a progressive JPEG over it is
	 * refused (IMAGING_ERR_TOO_LARGE), and a region of a baseline JPEG
	 * over it is cut from a streamed decode instead of a lossless crop.
	 */
	uint64_t	max_coef_pixels;
	/* Most bytes a PNG's zlib stream may inflate to (rows + filters). */
	size_t		max_png_bytes;
	/* Long side, in pixels, that analysis works at. */
	int		working_long_side;
	/*
	 * 1: a structurally broken EXIF block is an error (IMAGING_ERR_EXIF),
	 * because we cannot tell which way up the photo is.
	 * 0: ignore it and assume orientation 1.
	 */
	int		exif_strict;
};

/*
 * Fill `l` with the defaults: 32 MiB input, 50 MP, at least 480x360,
 * 64 scans, 24 MP of held coefficients, 96 MiB inflated PNG, 1600 px
 * working long side, strict EXIF.
 */
void	imaging_limits_default(struct imaging_limits *l);

#endif
