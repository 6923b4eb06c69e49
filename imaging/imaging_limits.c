/*
 * Default input limits.
 */
#include "imaging_limits.h"

void
imaging_limits_default(struct imaging_limits *l)
{
	/* A 12 MP phone JPEG at top quality is under 10 MiB. */
	l->max_input_bytes = IMAGING_DEF_MAX_INPUT_BYTES;
	/* 50 MP: above any phone's main camera, far below a pixel flood. */
	l->max_pixels = IMAGING_DEF_MAX_PIXELS;
	/* Below 480x360 a card number is not legible. */
	l->min_long_side = IMAGING_DEF_MIN_LONG_SIDE;
	l->min_short_side = IMAGING_DEF_MIN_SHORT_SIDE;
	/* Encoders write at most a dozen scans; thousands is an attack. */
	l->max_scans = IMAGING_DEF_MAX_SCANS;
	/* Twice a 12 MP phone photo; 72 MB of coefficients at 4:2:0. */
	l->max_coef_pixels = IMAGING_DEF_MAX_COEF_PIXELS;
	/* 12 MP 16-bit RGB inflates to 72 MiB; a bomb to gigabytes. */
	l->max_png_bytes = IMAGING_DEF_MAX_PNG_BYTES;
	l->working_long_side = IMAGING_DEF_WORKING_LONG_SIDE;
	l->exif_strict = 1;
}
