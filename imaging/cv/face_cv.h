/*
 * Face models through OpenCV's dnn module, reached from C.
 *
 * This is a thin wrapper: it owns the loaded networks and does the
 * pixel work that needs OpenCV (crop, resize, warp, blob, forward).
 * Every decision (thresholds, NMS, which crop, alignment matrix,
 * softmax, scoring) is made by the C layer in imaging/face.c, so the
 * maths can be unit-tested without models.  Pre-processing follows
 * ../shared/MODELS.md.
 *
 * No C++ exception crosses this interface: every function returns 0 on
 * success and -1 on failure, with a message readable through
 * face_cv_error().
 */
#ifndef IMAGING_FACE_CV_H
#define IMAGING_FACE_CV_H

#include <stddef.h>

#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Detector input size (MODELS.md: whole frame resized, aspect not kept). */
#define FACE_CV_DETECT_W	320
#define FACE_CV_DETECT_H	240
#define FACE_CV_LANDMARKS	68
#define FACE_CV_EMBED_DIM	512
#define FACE_CV_ALIGN_SIZE	112
#define FACE_CV_LIVE_CLASSES	3
#define FACE_CV_POSE_BINS	66

/* Optional models: loaded only when asked for and present. */
#define FACE_CV_LOAD_POSE	0x01
#define FACE_CV_LOAD_EYE	0x02

/* Why face_cv_open() failed. */
#define FACE_CV_OK		0
#define FACE_CV_ENOMODEL	1	/* a required .onnx file is missing */
#define FACE_CV_ELOAD		2	/* OpenCV refused to load it */
#define FACE_CV_ENOMEM		3

struct face_cv;

/* An integer rectangle in image pixels, already inside the image. */
struct face_cv_rect {
	int	x;
	int	y;
	int	w;
	int	h;
};

/*
 * Load the models from `models_dir` (fr_detect, fr_landmark, fr_feature,
 * fr_liveness, plus the optional ones in `flags`).  `threads` is given
 * to cv::setNumThreads(); note that OpenCV's pool is process-wide, so
 * the last engine opened wins.  On failure returns NULL, sets *why to a
 * FACE_CV_E* code and writes a message into err (errlen bytes).
 */
struct face_cv	*face_cv_open(const char *models_dir, int flags, int threads,
		    int *why, char *err, size_t errlen);
void		 face_cv_close(struct face_cv *);
const char	*face_cv_error(const struct face_cv *);
/* The optional models that did load (FACE_CV_LOAD_* bits). */
int		 face_cv_loaded(const struct face_cv *);

/*
 * Run the detector on the whole image.  Writes up to `cap` priors: the
 * face probability into scores[i] and the box, corner form normalised to
 * 0..1, into boxes[4*i .. 4*i+3].  *n receives the number written.
 * rgb: feed R,G,B (the model's training order per MODELS.md) if 1.
 */
int	face_cv_detect(struct face_cv *, const struct imaging_image *,
	    int rgb, float *scores, float *boxes, int cap, int *n);

/*
 * 68 landmarks on the square grey crop `crop` (resized to 64x64, value
 * px/256).  out[2*i], out[2*i+1] are x,y in 0..1 of the crop.
 */
int	face_cv_landmarks(struct face_cv *, const struct imaging_image *,
	    const struct face_cv_rect *crop, float out[2 * FACE_CV_LANDMARKS]);

/*
 * Warp the image by the 2x3 affine `m` (row-major, image -> aligned)
 * into 112x112 and compute the raw (not normalised) 512-d embedding.
 * If aligned is not NULL it receives the 112x112 BGR crop (stride 336).
 */
int	face_cv_embed(struct face_cv *, const struct imaging_image *,
	    const double m[6], int rgb, float out[FACE_CV_EMBED_DIM],
	    unsigned char *aligned);

/* Liveness logits on `crop` resized to 128x128, raw 0..255 values. */
int	face_cv_liveness(struct face_cv *, const struct imaging_image *,
	    const struct face_cv_rect *crop, int rgb,
	    float logits[FACE_CV_LIVE_CLASSES]);

/*
 * Head pose bins (yaw, pitch, roll; 66 logits each) on `crop` resized
 * to 224x224 with ImageNet normalisation.
 */
int	face_cv_pose(struct face_cv *, const struct imaging_image *,
	    const struct face_cv_rect *crop, int rgb,
	    float logits[3][FACE_CV_POSE_BINS]);

/* Eye classifier logits on a grey 24x24 crop, value px/255. */
int	face_cv_eye(struct face_cv *, const struct imaging_image *,
	    const struct face_cv_rect *crop, float logits[2]);

#ifdef __cplusplus
}
#endif

#endif
