/*
 * The eight EXIF orientations as pixel transforms.
 *
 * EXIF value v says how the stored (encoded) pixels must be transformed to
 * be upright: 1 none, 2 mirror left-right, 3 rotate 180, 4 mirror
 * top-bottom, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate
 * 90 counter-clockwise.  5..8 swap width and height.
 */
#ifndef IMAGING_ORIENT_H
#define IMAGING_ORIENT_H

#include "image.h"

/*
 * Upright dimensions of a `w` x `h` encoded image under `orientation`
 * (1..8; anything else is treated as 1).
 */
void	imaging_orient_dims(int orientation, int w, int h, int *uw, int *uh);

/*
 * Map upright pixel (ux, uy) to the encoded pixel (*x, *y) it comes from,
 * for an encoded image of `w` x `h`.
 */
void	imaging_orient_point(int orientation, int w, int h, int ux, int uy,
	    int *x, int *y);

/*
 * The orientation that undoes `orientation`: 6 and 8 swap, the others
 * are their own inverse.  Encoding pixels transformed by
 * imaging_orient_apply(inverse(v)) with EXIF value v round-trips.
 */
int	imaging_orient_inverse(int orientation);

/*
 * Write `src` transformed by `orientation` into `dst`, whose width, height,
 * stride and pixels the caller sets (width x height must equal
 * imaging_orient_dims() of src).  The buffers must not overlap.
 * Returns 0, or -1 if the dimensions do not match.
 */
int	imaging_orient_apply(const struct imaging_image *src, int orientation,
	    struct imaging_image *dst);

#endif
