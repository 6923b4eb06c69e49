/*
 * realname imaging: the public API.
 *
 * One engine per thread, opened once with the models directory and the
 * limits; it holds the decoder, the loaded networks and the last error.
 * A photo is analysed as one of four kinds (card front, card back,
 * holding-card selfie, bare face) into a plain struct of measured
 * figures; two analysed faces are compared by cosine score.  Nothing
 * here aborts: functions return 0 / -1 (or a pointer / NULL) and leave
 * a typed code (enum imaging_err) and a precise message in the engine.
 *
 * Every figure says whether it was measured.  A figure that was not
 * measured (a model not loaded, a part not built yet) is reported as
 * such, never as a default value.
 */
#ifndef IMAGING_IMAGING_H
#define IMAGING_IMAGING_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "image.h"
#include "imaging_limits.h"

#define IMAGING_EMBED_DIM	512
/* Faces kept per photo after NMS, best detector score first. */
#define IMAGING_MAX_FACES	8

enum imaging_side {
	IMAGING_SIDE_FRONT = 0,		/* card, portrait side */
	IMAGING_SIDE_BACK,		/* card, emblem side */
	IMAGING_SIDE_HOLDING,		/* selfie holding the card */
	IMAGING_SIDE_FACE		/* a bare face (courier, tests) */
};

/*
 * Optional models (bits of imaging_options.optional_models).
 * POSE: fr_pose (Hopenet-style, 224x224 RGB ImageNet-normalised crop of
 * the box grown by a quarter each side).  bench/accuracy checks it: a
 * mirrored photo negates its yaw, a 20 degree rotation shifts its roll
 * by about 19, and it agrees with the landmark estimate (correlation
 * 0.95 yaw, 0.72 pitch, 0.89 roll).  It costs about 20 ms a face, so
 * the default is the landmark estimate.
 * EYE: fr_eye (24x24 grey crop, px/255, class 1 = open) on each eye;
 * eyes_open is the lower p(open) of the two, failing under
 * min_eyes_open.  bench/accuracy measured it on the faces set (open
 * eyes only): 3 of 61 open-eyed photos read as closed, and 58 of 61
 * copies with the eyes painted shut were caught.  Too many false
 * alarms for a default gate; without it eyes_open is "not measured".
 */
#define IMAGING_MODEL_POSE	0x01
#define IMAGING_MODEL_EYE	0x02

struct imaging_options {
	/* Decoder limits, including the working long side. */
	struct imaging_limits	limits;
	/* OpenCV threads (process-wide in OpenCV); 0 leaves it alone. */
	int			threads;
	/* IMAGING_MODEL_* to load in addition to the four required ones. */
	int			optional_models;
	/* Feed R,G,B rather than B,G,R to the embedding / liveness nets. */
	int			embed_rgb;
	int			liveness_rgb;
	/* Detection: minimum score and NMS IoU (MODELS.md: 0.65, 0.4). */
	float			min_face_score;
	float			nms_iou;
	/* Quality gates; each is explained in imaging_options_default(). */
	int			min_face_px;
	double			min_sharpness;
	double			min_mean;
	double			max_mean;
	double			max_clipped;
	double			max_yaw;
	double			max_pitch;
	double			max_roll;
	double			min_eyes_open;	/* with IMAGING_MODEL_EYE */
	/* Cosine score at or above which two faces are the same person. */
	float			match_threshold;
	/*
	 * Run the card part (when built in) on front, back and holding
	 * photos; 0 skips it.  Its OCR reads the number and the period.
	 */
	int			card;
	int			card_ocr;
};

/* A figure: what was measured, the limit it was held to, the verdict. */
struct imaging_figure {
	int		 measured;	/* 0: not measured, ignore the rest */
	double		 value;
	double		 limit;		/* the threshold applied (if any) */
	int		 pass;		/* 1 pass, 0 fail */
	const char	*reason;	/* stable reason code when failing */
};

struct imaging_face {
	/* Box in upright full-resolution pixels of the original photo. */
	float		box[4];		/* x1, y1, x2, y2 */
	float		score;		/* detector probability */
	/* Five points (eyes, nose, mouth corners), same coordinates. */
	float		landmarks[10];
	/* Face height in the pixels actually analysed. */
	float		size_px;
	/* L2-normalised; valid when has_embedding. */
	int		has_embedding;
	float		embedding[IMAGING_EMBED_DIM];
	/* p(live) from the liveness model, 0..1. */
	struct imaging_figure	liveness;
	/* Head pose, degrees; pose_source says where it came from. */
	struct imaging_figure	yaw;
	struct imaging_figure	pitch;
	struct imaging_figure	roll;
	const char	*pose_source;	/* "model" or "landmarks" */
	/* p(eyes open), the lower of the two eyes. */
	struct imaging_figure	eyes_open;
	/* Variance of Laplacian over the face box. */
	struct imaging_figure	sharpness;
};

/*
 * Card figures, filled by the card part (imaging/card.h) when it is
 * built in and the side is front, back or holding; otherwise measured
 * is 0 and nothing else is meaningful.
 */
struct imaging_card_summary {
	int			measured;
	int			found;
	/* Corners (top-left, top-right, bottom-right, bottom-left of the
	 * upright card) in upright full-resolution pixels. */
	float			quad[8];
	const char		*side;		/* "front", "back", "unknown" */
	double			side_confidence;
	struct imaging_figure	area;		/* card area / image area */
	struct imaging_figure	margin;		/* gap to the frame */
	struct imaging_figure	glare;		/* largest saturated blob */
	struct imaging_figure	sharpness;
	struct imaging_figure	cards;		/* outlines found */
	struct imaging_figure	side_check;
	/*
	 * The number as read, for the caller to check against the declared
	 * one; never logged or rendered (the JSON carries number_masked).
	 */
	int			number_read;
	char			number[20];
	char			number_masked[20];
	int			number_check_ok;
	int			validity_read;
	char			valid_from[16];
	char			valid_to[24];
	int			valid_long_term;
};

/* Stable quality reason codes raised by the face part. */
#define IMAGING_REASON_NO_FACE		"no_face"
#define IMAGING_REASON_TOO_MANY_FACES	"too_many_faces"
#define IMAGING_REASON_FACE_TOO_SMALL	"face_too_small"
#define IMAGING_REASON_FACE_BLURRY	"face_blurry"
#define IMAGING_REASON_TOO_DARK		"too_dark"
#define IMAGING_REASON_TOO_BRIGHT	"too_bright"
#define IMAGING_REASON_HEAD_POSE	"head_pose"
#define IMAGING_REASON_EYES_CLOSED	"eyes_closed"
/* Holding selfie: a card was found but no face inside it. */
#define IMAGING_REASON_NO_CARD_PORTRAIT	"card_portrait_not_found"

#define IMAGING_MAX_REASONS	16

struct imaging_analysis {
	enum imaging_side	 side;
	/* IMAGING_OK, or why the photo was rejected before analysis. */
	int			 error;
	char			 error_msg[IMAGING_ERRMSG_MAX];
	/* Upright full-resolution size, and the size analysed. */
	int			 width;
	int			 height;
	int			 work_width;
	int			 work_height;
	int			 orientation;	/* EXIF value applied */

	int			 nfaces;
	struct imaging_face	 faces[IMAGING_MAX_FACES];
	/*
	 * Index into faces[] of the face this photo is about (the live
	 * face of a selfie, the portrait of a front), or -1.
	 */
	int			 primary;
	/* Holding selfie: index of the portrait printed on the card, or -1. */
	int			 card_portrait;
	/*
	 * Holding selfie: cosine of the live face and the portrait on the
	 * card it holds (value only; the decision is the caller's).
	 */
	struct imaging_figure	 live_vs_portrait;

	/*
	 * Whole-photo quality figures.  The back (emblem side) is not
	 * searched for faces: no faces and face_count not measured.
	 */
	struct imaging_figure	 face_count;
	struct imaging_figure	 face_size;
	struct imaging_figure	 exposure_mean;
	struct imaging_figure	 exposure_dark;		/* clipped dark fraction */
	struct imaging_figure	 exposure_bright;	/* clipped bright fraction */

	struct imaging_card_summary card;

	/* Failed reason codes (faces and card), in the order raised. */
	int			 nreasons;
	const char		*reasons[IMAGING_MAX_REASONS];

	/*
	 * Wall-clock cost of each stage, milliseconds; faces_ms includes
	 * measuring a small card portrait again from a finer region decode.
	 */
	double			 decode_ms;
	double			 faces_ms;
	double			 card_ms;
	double			 ocr_ms;	/* the part of card_ms in OCR */
	/*
	 * The same stages in the calling thread's CPU time: the engine's
	 * work runs on that thread when opened with one thread, so this is
	 * its single-thread cost whatever else the machine is doing.
	 */
	double			 decode_cpu_ms;
	double			 faces_cpu_ms;
	double			 card_cpu_ms;
	double			 ocr_cpu_ms;
};

struct imaging_comparison {
	float	score;		/* cosine of the two embeddings */
	float	threshold;
	int	match;		/* score >= threshold */
};

struct imaging_engine;

/*
 * Fill `o` with the defaults: imaging_limits_default(), one thread, no
 * optional model, BGR feed, detection 0.65 / 0.4, face at least 40 px
 * high (MODELS.md: accuracy falls fast below that), and the quality and
 * match thresholds documented beside each in engine.c.
 */
void	imaging_options_default(struct imaging_options *o);

/*
 * Open an engine.
 *
 * @param models_dir the directory holding fr_*.onnx.
 * @param o options; NULL means imaging_options_default().  Copied.
 * @param err if not NULL, receives the typed error when NULL is returned
 * (IMAGING_ERR_MODEL for a missing or unloadable model).
 * @return the engine, or NULL.  Use it from one thread at a time.
 */
struct imaging_engine	*imaging_engine_new(const char *models_dir,
			    const struct imaging_options *o,
			    struct imaging_error *err);
void			 imaging_engine_free(struct imaging_engine *);

/* The options in force (the engine's copy). */
const struct imaging_options *imaging_engine_options(
			    const struct imaging_engine *);

/* The last error code (enum imaging_err) and its message; never NULL. */
int		 imaging_engine_errcode(const struct imaging_engine *);
const char	*imaging_engine_error(const struct imaging_engine *);

/*
 * Analyse the photo in buf (JPEG or PNG bytes) as `side`.
 *
 * @return a new analysis (free with imaging_analysis_free()), or NULL
 * when the engine itself failed (memory, the vision layer).  A photo
 * the decoder rejects is not an engine failure: the analysis comes back
 * with `error` set to the typed code and nothing else measured.
 */
struct imaging_analysis	*imaging_analyse(struct imaging_engine *,
			    enum imaging_side side, const void *buf,
			    size_t len);

/* The same on an already decoded upright BGR image (tests, benchmarks). */
struct imaging_analysis	*imaging_analyse_image(struct imaging_engine *,
			    enum imaging_side side,
			    const struct imaging_image *img);

void	imaging_analysis_free(struct imaging_analysis *);

/*
 * Compare the primary faces of two analyses.
 * @return 0, or -1 with IMAGING_ERR_ARG if either has no embedded face.
 */
int	imaging_compare(struct imaging_engine *,
	    const struct imaging_analysis *a, const struct imaging_analysis *b,
	    struct imaging_comparison *out);

/*
 * Compare two particular faces (e.g. a holding selfie's card portrait
 * with the front's portrait).  -1 with IMAGING_ERR_ARG if either has no
 * embedding.
 */
int	imaging_compare_faces(struct imaging_engine *,
	    const struct imaging_face *a, const struct imaging_face *b,
	    struct imaging_comparison *out);

/* Cosine score of two faces (0 if either has no embedding). */
/*
 * Face boxes only (no landmarks, no embedding) in `img`, best first, as
 * x, y, w, h in img's pixels; at most `cap`.  Returns the count, or -1
 * (the engine's error says why).  `engine` is a struct imaging_engine:
 * the function has the shape of the card part's detector callback
 * (card.h, imaging_card_hint.detect).
 */
struct imaging_card_rect;
int	imaging_detect_boxes(void *engine, const struct imaging_image *img,
	    struct imaging_card_rect *out, int cap);

float	imaging_face_score(const struct imaging_face *,
	    const struct imaging_face *);

/*
 * Render as JSON (UTF-8, no trailing newline) into a new malloc'd,
 * NUL-terminated string; embeddings are left out.  NULL if out of memory.
 */
char	*imaging_analysis_json(const struct imaging_analysis *);
char	*imaging_comparison_json(const struct imaging_comparison *,
	    const struct imaging_analysis *a, const struct imaging_analysis *b);

/* "front", "back", "holding", "face"; and the reverse (-1 if unknown). */
const char	*imaging_side_name(enum imaging_side);
int		 imaging_side_parse(const char *);

#endif
