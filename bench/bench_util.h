/*
 * Pixel helpers for the benchmarks only (OpenCV behind extern "C"):
 * reading files the product decoder refuses, degrading images, and
 * making large JPEGs.  Never linked into imaging/ or the service.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>

#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read any image OpenCV can (WebP included) into a new BGR image whose
 * long side is at most long_side (area-resampled); free with
 * bench_image_free().  Returns 0 or -1.
 */
int	bench_imread(const char *path, int long_side, struct imaging_image *out);
void	bench_image_free(struct imaging_image *);
/* A deep copy; returns 0 or -1. */
int	bench_image_copy(const struct imaging_image *, struct imaging_image *);
/* Gaussian blur in place, sigma in pixels. */
int	bench_blur(struct imaging_image *, double sigma);
/* Mirror left-right in place. */
int	bench_flip(struct imaging_image *);
/* Rotate by deg (counter-clockwise) about the centre, same size. */
int	bench_rotate(struct imaging_image *, double deg);
/*
 * Resize src to fit inside w x h (aspect kept, cubic), centre it on a
 * grey canvas of w x h, and JPEG-encode it at `quality` into a malloc'd
 * buffer.  Returns 0 or -1.
 */
int	bench_make_jpeg(const struct imaging_image *src, int w, int h,
	    int quality, unsigned char **buf, size_t *len);
/* Read a whole file into a malloc'd buffer.  Returns 0 or -1. */
int	bench_read_file(const char *path, unsigned char **buf, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
