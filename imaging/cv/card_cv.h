/*
 * Card geometry and pixel work through OpenCV, reached from C.
 *
 * A thin wrapper used by imaging/card.c, imaging/ocr.c and the synthetic
 * data generator (tools/gen/): homographies, warps, blurs, resizes, the
 * edge and contour work of the card finder, and the per-region figures
 * (sharpness, saturated blobs) that need OpenCV's speed.  Decisions
 * (which quad is the card, which threshold fails) stay in the C layer.
 *
 * No C++ exception crosses this interface: every int function returns 0
 * on success and -1 on failure.
 */
#ifndef IMAGING_CARD_CV_H
#define IMAGING_CARD_CV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An 8-bit image of 1, 3 (BGR) or 4 (BGRA) channels; rows stride apart. */
struct card_cv_mat {
	int		 width;
	int		 height;
	int		 stride;
	int		 channels;
	uint8_t		*data;
};

struct card_cv_point {
	double	x;
	double	y;
};

/* A candidate card outline: corners in image pixels, clockwise. */
struct card_cv_quad {
	struct card_cv_point	pt[4];
	double			area;	/* polygon area in pixels */
};

#define CARD_CV_INTER_LINEAR	0
#define CARD_CV_INTER_AREA	1
#define CARD_CV_INTER_CUBIC	2

/* Allocate `m` as w x h x channels, zeroed; free with card_cv_mat_free. */
int	card_cv_mat_alloc(struct card_cv_mat *m, int w, int h, int channels);
void	card_cv_mat_free(struct card_cv_mat *m);

/*
 * The 3x3 row-major homography h mapping src[i] onto dst[i].
 */
int	card_cv_homography(const struct card_cv_point src[4],
	    const struct card_cv_point dst[4], double h[9]);

/*
 * Warp `src` into the already allocated `dst` (same channel count) so
 * that dst(x) = src(h^-1 x), h mapping src coordinates to dst ones.
 * Pixels that fall outside src are left as they were in dst when
 * `keep_outside` is set (compositing), else replicated from the border.
 */
int	card_cv_warp(const struct card_cv_mat *src, const double h[9],
	    struct card_cv_mat *dst, int keep_outside);

/* Resize src into the already allocated dst (same channels). */
int	card_cv_resize(const struct card_cv_mat *src, struct card_cv_mat *dst,
	    int inter);

/* In place: Gaussian blur of std deviation sigma (pixels). */
int	card_cv_blur_gaussian(struct card_cv_mat *m, double sigma);

/* In place: linear motion blur `length` pixels long at `angle` degrees. */
int	card_cv_blur_motion(struct card_cv_mat *m, int length, double angle);

/* BGR or BGRA to a new grey image allocated into `grey`. */
int	card_cv_grey(const struct card_cv_mat *src, struct card_cv_mat *grey);

/*
 * Candidate quadrilaterals of convex, card-like outlines in a BGR image:
 * edges on every channel, closed contours, convex hulls simplified to
 * four sides (sides lying on the image border are dropped and the
 * remaining four lines intersected, so a corner may lie outside the
 * image).  Writes up to `cap` candidates, about larger first (of near
 * copies of one outline, the one more on an edge all round is kept);
 * *n their count.
 * grey: the same image in grey if the caller has it (else NULL).
 * min_area_frac: smallest hull area, as a fraction of the image.
 * work_long_side: the edge work is done on the image shrunk by a whole
 * factor to about this long side (0: 800); a smaller one finds the
 * soft edges of a blurred card.
 * flags: CARD_CV_FIND_LINES adds outlines made of straight Hough lines
 * (slower; for a card whose outline no contour closes, as against a
 * shirt or wall of its own brightness).
 */
#define CARD_CV_FIND_LINES	0x01
int	card_cv_find_quads(const struct card_cv_mat *bgr,
	    const struct card_cv_mat *grey, double min_area_frac,
	    int work_long_side, int flags, struct card_cv_quad *out, int cap,
	    int *n);

/*
 * Move each side of the quad `pt` (image pixels) onto the strongest grey
 * step within `radius` pixels along its normal, then within a few
 * pixels; corners come back clockwise.  -1 if the result is not convex.
 */
int	card_cv_refine_quad(const struct card_cv_mat *grey,
	    struct card_cv_point pt[4], double radius);

/*
 * Fraction of `count` samples along the closed polygon `pt` (4 corners)
 * that lie within 2 pixels of an edge of the grey image; samples outside
 * the image are not counted.  *inside receives the fraction of samples
 * that were inside the image.
 */
int	card_cv_edge_support(const struct card_cv_mat *grey,
	    const struct card_cv_point pt[4], int count, double *support,
	    double *inside);

/*
 * Variance of the Laplacian of a grey image (a sharpness figure; only
 * comparable between images of the same size).
 */
int	card_cv_laplacian_var(const struct card_cv_mat *grey, double *var);

/*
 * Saturated blobs in a BGR image: pixels whose every channel is at least
 * `level`, opened by a 3x3 kernel to ignore single specks.  *total is the
 * saturated fraction of the image, *largest that of the largest blob.
 */
int	card_cv_saturated_blobs(const struct card_cv_mat *bgr, int level,
	    double *total, double *largest);

/*
 * Binarise a grey image in place, ink black on white: Otsu's threshold
 * when block is 0, else an adaptive mean threshold over block x block
 * with offset c.
 */
int	card_cv_binarise(struct card_cv_mat *grey, int block, double c);

/*
 * Read an image file (PNG keeps its alpha as BGRA; JPEG is BGR, upright
 * by its EXIF orientation) into `out`, newly allocated.  Tools only.
 */
int	card_cv_read(const char *path, struct card_cv_mat *out);

/* Write `m` as PNG (tools and debugging only). */
int	card_cv_write_png(const char *path, const struct card_cv_mat *m);

#ifdef __cplusplus
}
#endif

#endif
