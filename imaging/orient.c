/*
 * EXIF orientation transforms.  Each orientation is an affine map from an
 * upright pixel to an encoded one, x = ax*ux + bx*uy + cx and likewise for
 * y, so that one loop serves all eight.
 */
#include <stddef.h>
#include <string.h>

#include "orient.h"

/* Output pixels per tile side when transforming. */
#define ORIENT_TILE	32

struct affine {
	int	ax, bx, cx;	/* x = ax*ux + bx*uy + cx */
	int	ay, by, cy;	/* y = ay*ux + by*uy + cy */
};

static void	affine_of(int, int, int, struct affine *);

void
imaging_orient_dims(int orientation, int w, int h, int *uw, int *uh)
{
	if (orientation >= 5 && orientation <= 8) {
		*uw = h;
		*uh = w;
	} else {
		*uw = w;
		*uh = h;
	}
}

void
imaging_orient_point(int orientation, int w, int h, int ux, int uy, int *x,
    int *y)
{
	struct affine	a;

	affine_of(orientation, w, h, &a);
	*x = a.ax * ux + a.bx * uy + a.cx;
	*y = a.ay * ux + a.by * uy + a.cy;
}

int
imaging_orient_inverse(int orientation)
{
	if (orientation == 6)
		return (8);
	if (orientation == 8)
		return (6);
	return (orientation);
}

int
imaging_orient_apply(const struct imaging_image *src, int orientation,
    struct imaging_image *dst)
{
	struct affine	 a;
	const uint8_t	*s;
	uint8_t		*d;
	ptrdiff_t	 step;
	int		 uw, uh, ux, uy, tx, ty, xend, yend;

	imaging_orient_dims(orientation, src->width, src->height, &uw, &uh);
	if (dst->width != uw || dst->height != uh || dst->stride < uw * 3)
		return (-1);
	if (orientation < 2 || orientation > 8) {
		for (uy = 0; uy < uh; uy++)
			memcpy(dst->pixels + (size_t)uy * dst->stride,
			    src->pixels + (size_t)uy * src->stride,
			    (size_t)uw * 3);
		return (0);
	}
	affine_of(orientation, src->width, src->height, &a);
	/* Moving one pixel right in dst moves (ax, ay) pixels in src. */
	step = (ptrdiff_t)a.ax * 3 + (ptrdiff_t)a.ay * src->stride;
	/*
	 * Tiles, so that the source rows a rotation walks down stay in cache
	 * from one output row to the next.
	 */
	for (ty = 0; ty < uh; ty += ORIENT_TILE) {
		yend = ty + ORIENT_TILE < uh ? ty + ORIENT_TILE : uh;
		for (tx = 0; tx < uw; tx += ORIENT_TILE) {
			xend = tx + ORIENT_TILE < uw ? tx + ORIENT_TILE : uw;
			for (uy = ty; uy < yend; uy++) {
				d = dst->pixels + (size_t)uy * dst->stride +
				    (size_t)tx * 3;
				s = src->pixels +
				    (ptrdiff_t)(a.ax * tx + a.bx * uy + a.cx) *
				    3 + (ptrdiff_t)(a.ay * tx + a.by * uy +
				    a.cy) * src->stride;
				for (ux = tx; ux < xend; ux++) {
					d[0] = s[0];
					d[1] = s[1];
					d[2] = s[2];
					d += 3;
					s += step;
				}
			}
		}
	}
	return (0);
}

static void
affine_of(int orientation, int w, int h, struct affine *a)
{
	memset(a, 0, sizeof(*a));
	switch (orientation) {
	case 2:		/* mirror: x = w-1-ux */
		a->ax = -1; a->cx = w - 1; a->by = 1;
		break;
	case 3:		/* 180 */
		a->ax = -1; a->cx = w - 1; a->by = -1; a->cy = h - 1;
		break;
	case 4:		/* flip: y = h-1-uy */
		a->ax = 1; a->by = -1; a->cy = h - 1;
		break;
	case 5:		/* transpose: x = uy, y = ux */
		a->bx = 1; a->ay = 1;
		break;
	case 6:		/* 90 cw: x = uy, y = h-1-ux */
		a->bx = 1; a->ay = -1; a->cy = h - 1;
		break;
	case 7:		/* transverse: x = w-1-uy, y = h-1-ux */
		a->bx = -1; a->cx = w - 1; a->ay = -1; a->cy = h - 1;
		break;
	case 8:		/* 90 ccw: x = w-1-uy, y = ux */
		a->bx = -1; a->cx = w - 1; a->ay = 1;
		break;
	default:
		a->ax = 1; a->by = 1;
		break;
	}
}
