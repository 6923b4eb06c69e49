/*
 * A walk over a JPEG's marker segments before any decoding: dimensions,
 * scan count, where the EXIF block is, and whether the data is complete.
 * Internal to imaging/.
 */
#ifndef IMAGING_JPEG_PROBE_H
#define IMAGING_JPEG_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "imaging_limits.h"

struct jpeg_probe {
	int		 width;
	int		 height;
	int		 components;
	int		 progressive;
	int		 sof_marker;	/* 0xc0..0xcf */
	int		 scans;		/* SOS markers seen */
	const uint8_t	*exif;		/* TIFF header of the first Exif APP1 */
	size_t		 exif_len;
};

/*
 * Walk `buf` (starting with SOI) up to EOI, enforcing `lim`: pixel cap and
 * minimum size as soon as the SOF is read, and the scan cap as soon as it
 * is passed, so hostile files are rejected without reading them whole.
 * Returns 0, or -1 with `err` set (TRUNCATED, CORRUPT, FORMAT, TOO_LARGE,
 * TOO_SMALL, TOO_MANY_SCANS).
 */
int	jpeg_probe(const uint8_t *buf, size_t len,
	    const struct imaging_limits *lim, struct jpeg_probe *p,
	    struct imaging_error *err);

/*
 * Check `w` x `h` against the pixel cap and the minimum size of `lim`.
 * `what` names the format in the message.  Returns 0 or -1 with `err` set.
 */
int	imaging_check_dims(const struct imaging_limits *lim, const char *what,
	    uint64_t w, uint64_t h, struct imaging_error *err);

#endif
