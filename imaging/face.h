/*
 * Faces, the C layer: detection post-processing, crops, alignment,
 * scoring and the per-face figures.  The networks themselves run in
 * imaging/cv/face_cv.cpp; everything here is plain arithmetic on their
 * inputs and outputs, as measured in ../shared/MODELS.md.
 */
#ifndef IMAGING_FACE_H
#define IMAGING_FACE_H

#include <stddef.h>

#include "image.h"
#include "cv/face_cv.h"

/* MODELS.md: keep detections with face probability >= 0.65 ... */
#define FACE_MIN_SCORE		0.65f
/* ... and suppress overlaps above IoU 0.4, best score first. */
#define FACE_NMS_IOU		0.4f
/* Liveness context: the box scaled 2.7x around its centre. */
#define FACE_LIVE_SCALE		2.7f
/* Detector priors (4420 for 320x240) fit comfortably. */
#define FACE_MAX_PRIORS		8192

/* One detection in image pixels. */
struct face_box {
	float	x1;
	float	y1;
	float	x2;
	float	y2;
	float	score;
};

/* The ArcFace 112x112 five-point reference (eyes, nose, mouth corners). */
extern const float face_arcface_ref[10];

/*
 * Keep priors with score >= min_score, suppress overlaps (IoU > iou)
 * keeping the higher score, scale the 0..1 boxes to w x h pixels and
 * clip them to the image.  Writes at most `cap` boxes into out, best
 * score first; returns how many.  `order` is scratch for n ints.
 */
int	face_detect_post(const float *scores, const float *boxes, int n,
	    int w, int h, float min_score, float iou, int *order,
	    struct face_box *out, int cap);

/* Intersection over union of two boxes (0 if either is empty). */
float	face_iou(const struct face_box *, const struct face_box *);

/*
 * The landmark crop: a square of side = box height, centred on the box,
 * shifted to lie inside a w x h image (and shrunk if the image is
 * smaller than the square).  Returns -1 if nothing is left.
 */
int	face_landmark_crop(const struct face_box *, int w, int h,
	    struct face_cv_rect *);

/*
 * The liveness crop: a square of side max(box w, box h) * scale (scale
 * reduced if the square would not fit), centred on the box, shifted to
 * lie inside the image.  Returns -1 if nothing is left.
 */
int	face_liveness_crop(const struct face_box *, int w, int h, float scale,
	    struct face_cv_rect *);

/*
 * The pose crop: the box grown by a quarter of its size on each side,
 * clipped to the image.  Returns -1 if nothing is left.
 */
int	face_pose_crop(const struct face_box *, int w, int h,
	    struct face_cv_rect *);

/*
 * The eye crop for fr_eye: a square centred on the mean of the eye's
 * upper and lower lid points (37,38,40,41 or 43,44,46,47), side 1.6x
 * the corner-to-corner width (36-39 or 42-45), inside the image.
 * which: 0 the image-left eye, 1 the image-right one.
 */
int	face_eye_crop(const float lm68[136], int which, int w, int h,
	    struct face_cv_rect *);

/*
 * Map 68 landmarks from crop units (0..1) to image pixels, then reduce
 * them to the five alignment points (MODELS.md): left eye = mean of
 * 37,38,40,41; right eye = mean of 43,44,46,47; nose = 30; mouth left =
 * mean of 48,60; mouth right = mean of 54,64.
 */
void	face_landmarks_to_image(const float crop_units[136],
	    const struct face_cv_rect *, float image_px[136]);
void	face_five_points(const float lm68[136], float five[10]);

/*
 * Least-squares 4-DOF similarity (scale, rotation, translation) taking
 * the n points src onto dst; m receives the 2x3 row-major matrix.
 * Returns -1 if the source points are degenerate (all coincide).
 */
int	face_similarity(const float *src, const float *dst, int n,
	    double m[6]);

/* Scale v to unit length in place; returns its former length. */
double	face_l2_normalise(float *v, int n);
/* Cosine of two vectors (0 if either has zero length). */
float	face_cosine(const float *a, const float *b, int n);
/* softmax(logits)[k]. */
float	face_softmax_at(const float *logits, int n, int k);
/* Expected angle of one Hopenet-style head: sum(p_i * i) * 3 - 99. */
float	face_pose_angle(const float logits[FACE_CV_POSE_BINS]);

/*
 * Head pose estimated from the 68 landmarks alone, in degrees: roll
 * from the eye line, yaw from where the nose tip sits between the face
 * outline (jaw points 0 and 16), pitch from where the nose tip sits
 * between the eye line and the mouth.  Rough (a few degrees to ~10),
 * but enough to refuse a profile or a strongly tilted head.  Signs as
 * fr_pose: yaw > 0 nose towards the image's left, pitch > 0 head up,
 * roll > 0 head tilted clockwise in the image.
 */
void	face_pose_from_landmarks(const float lm68[136], float *yaw,
	    float *pitch, float *roll);

/*
 * Variance of the 4-neighbour Laplacian of the grey image over `r`
 * (the usual focus measure; higher is sharper).  r must lie inside.
 */
double	face_laplacian_var(const struct imaging_image *,
	    const struct face_cv_rect *r);

/*
 * Exposure over `r`: mean grey level (0..255) and the fractions of
 * pixels at or below `dark` and at or above `bright`.
 */
void	face_exposure(const struct imaging_image *, const struct face_cv_rect *r,
	    int dark, int bright, double *mean, double *dark_frac,
	    double *bright_frac);

#endif
