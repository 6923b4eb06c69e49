/*
 * Image decoding: JPEG (TurboJPEG) and PNG (libpng) bytes to an upright
 * 8-bit BGR struct imaging_image, within struct imaging_limits.
 *
 * One decoder per thread: it holds the TurboJPEG handles, scratch buffers
 * reused from call to call, and the last error.  Nothing here aborts; every
 * function reports failure by its return value and leaves a typed code
 * (enum imaging_err) and a precise message in the decoder.
 *
 * Order of checks: size of the input, magic bytes, header dimensions
 * against the pixel cap and the minimum size, progressive scan count, EXIF
 * orientation; only then is pixel memory allocated.
 */
#ifndef IMAGING_DECODE_H
#define IMAGING_DECODE_H

#include <stddef.h>

#include "errors.h"
#include "image.h"
#include "imaging_limits.h"

struct imaging_decoder;

/* Formats recognised by magic bytes. */
#define IMAGING_FORMAT_JPEG	1
#define IMAGING_FORMAT_PNG	2

/* A rectangle in pixels: x, y of the top-left corner, width, height. */
struct imaging_rect {
	int	x;
	int	y;
	int	width;
	int	height;
};

/* What a decode found and did; filled on success (and partly on error). */
struct imaging_decode_info {
	/* IMAGING_FORMAT_JPEG or IMAGING_FORMAT_PNG (0 if unknown). */
	int			format;
	/* Dimensions as encoded in the file, before orientation. */
	int			encoded_width;
	int			encoded_height;
	/* EXIF orientation applied, 1..8 (1 when absent, and for PNG). */
	int			orientation;
	/* Full-resolution dimensions once upright. */
	int			upright_width;
	int			upright_height;
	/*
	 * Scale used: output pixels = full-resolution pixels * num / denom
	 * (rounded up per side, as TJSCALED does).
	 */
	int			scale_num;
	int			scale_denom;
	/* JPEG: number of scans (SOS markers); 0 for PNG. */
	int			scans;
	/* JPEG: 1 if progressive (SOF2/SOF6/SOF10/SOF14). */
	int			progressive;
	/*
	 * The part of the upright full-resolution image that the output
	 * covers: the whole image for imaging_decode(), the region rounded
	 * outwards to whole pixels for imaging_decode_region().  Output pixel
	 * (i, j) is about full-resolution pixel
	 * (region.x + i * denom / num, region.y + j * denom / num).
	 */
	struct imaging_rect	region;
};

/*
 * Create a decoder.
 *
 * @param limits the limits to enforce; copied.  NULL means
 * imaging_limits_default().
 *
 * @return a decoder, or NULL if memory or a TurboJPEG handle could not be
 * allocated.  Use it from one thread at a time.
 */
struct imaging_decoder	*imaging_decoder_new(
			    const struct imaging_limits *limits);

/*
 * Free a decoder and its buffers (invalidating pixels it returned).
 * NULL is ignored.
 */
void			 imaging_decoder_free(struct imaging_decoder *dec);

/*
 * Decode a JPEG or PNG image, upright, scaled down so that its long side is
 * the smallest available that is not below `target_long_side`.
 *
 * @param dec the decoder.
 * @param buf the file's bytes; not kept.
 * @param len number of bytes at `buf`.
 * @param target_long_side wanted long side of the output in pixels.  JPEG
 * picks among TurboJPEG's DCT scales (1/8 .. 1) the one giving the smallest
 * long side >= target; PNG uses an integer box filter the same way.  An
 * image already smaller than the target is returned at full size; there is
 * no upscaling.  <= 0 means full size.
 * @param out receives width, height, stride and pixels (8-bit BGR).  The
 * pixels belong to the decoder and stay valid until the next call on
 * `dec` or imaging_decoder_free().  Copy them to keep them.
 * @param info if not NULL, receives what was found (see above).
 *
 * @return 0 on success, -1 on error (see imaging_decoder_errcode() and
 * imaging_decoder_error()); `out` is zeroed on error.
 */
int	imaging_decode(struct imaging_decoder *dec, const void *buf, size_t len,
	    int target_long_side, struct imaging_image *out,
	    struct imaging_decode_info *info);

/*
 * Decode one region of an image at a finer scale than a previous decode,
 * e.g. the card portrait found in a selfie decoded at working size.
 *
 * @param dec the decoder.
 * @param buf, len the same bytes as the earlier imaging_decode().
 * @param ref_width, ref_height the dimensions of the upright image in which
 * `rect` was measured (the `out` of the earlier decode).
 * @param rect the region, in that image's pixels; clipped to the image.
 * @param target_long_side wanted long side of the region's output; the
 * smallest DCT scale giving a long side >= target is used (full size at
 * most).  <= 0 means full size.
 * @param out receives the region, upright, 8-bit BGR; owned by the decoder
 * as for imaging_decode().
 * @param info if not NULL, receives what was done; info->region is the
 * region in upright full-resolution pixels.
 *
 * JPEG regions are cut out with a lossless TurboJPEG crop aligned to the
 * MCU before decompressing, so only the region is decompressed (images
 * over max_coef_pixels are decompressed whole at the chosen scale and cut).
 * PNG regions are decoded whole and cut out.
 *
 * @return 0 on success, -1 on error (IMAGING_ERR_REGION if the clipped
 * region is empty).
 */
int	imaging_decode_region(struct imaging_decoder *dec, const void *buf,
	    size_t len, int ref_width, int ref_height,
	    const struct imaging_rect *rect, int target_long_side,
	    struct imaging_image *out, struct imaging_decode_info *info);

/* The limits the decoder enforces (its copy; may be changed between calls). */
struct imaging_limits	*imaging_decoder_limits(struct imaging_decoder *dec);

/* The code (enum imaging_err) of the last error, IMAGING_OK after success. */
int			 imaging_decoder_errcode(
			    const struct imaging_decoder *dec);

/* The precise message of the last error ("" after success); never NULL. */
const char		*imaging_decoder_error(
			    const struct imaging_decoder *dec);

/*
 * Identify a buffer by its magic bytes: IMAGING_FORMAT_JPEG,
 * IMAGING_FORMAT_PNG, or 0.
 */
int			 imaging_format_detect(const void *buf, size_t len);

#endif
