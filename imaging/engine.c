/*
 * The imaging engine: decode, faces, quality figures and the hook into
 * the card part.  See imaging.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "cv/face_config.h"
#include "decode.h"
#include "face.h"
#include "imaging.h"

struct imaging_engine {
	struct imaging_options	 opt;
	struct imaging_decoder	*dec;
	/* Regions at a finer scale; dec's working image stays valid. */
	struct imaging_decoder	*rdec;
	struct face_cv		*fc;
#if IMAGING_HAVE_CARD
	struct imaging_card_ctx	*card;
#endif
	struct imaging_error	 err;
	/* Detector scratch, reused from call to call. */
	float			*scores;
	float			*boxes;
	int			*order;
};

/* Faces under this fraction of the chosen face's height are background. */
#define BACKGROUND_FACE_RATIO	0.5f

/* What embed_face() measures of a chosen face; see embed_what(). */
#define EMBED_VECTOR	0x01
#define EMBED_LIVENESS	0x02
#define EMBED_SHARPNESS	0x04

/* fr_eye's class for an open eye; see imaging.h on IMAGING_MODEL_EYE. */
#define EYE_OPEN_CLASS	1

struct jbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

static double	now_ms(void);
static double	cpu_ms(void);
static void	figure_set(struct imaging_figure *, double, double, int,
		    const char *);
static void	reason_add(struct imaging_analysis *, const char *);
static int	analyse_faces(struct imaging_engine *,
		    struct imaging_analysis *, const struct imaging_image *,
		    int);
static int	describe_face(struct imaging_engine *,
		    const struct imaging_image *, const struct face_box *,
		    struct imaging_face *, float *lm68);
static int	embed_face(struct imaging_engine *,
		    const struct imaging_image *, struct imaging_face *, int);
static void	face_sharpness(struct imaging_engine *,
		    const struct imaging_image *, struct imaging_face *,
		    unsigned char *);
static int	embed_what(const struct imaging_analysis *, int, int);
static int	refine_target(const struct imaging_analysis *, int);
static void	choose_faces(const struct imaging_engine *,
		    struct imaging_analysis *);
static void	judge_quality(const struct imaging_engine *,
		    struct imaging_analysis *, const struct imaging_image *);
static void	scale_faces(struct imaging_analysis *, double, double);
static int	card_hook(struct imaging_engine *, struct imaging_analysis *,
		    const struct imaging_image *);
static int	inside_quad(const float *, float, float);
static float	quad_height(const float *);
static int	refine_small_face(struct imaging_engine *,
		    struct imaging_analysis *, int, const void *, size_t);
static void	reason_remove(struct imaging_analysis *, const char *);
static int	find_card_portrait(struct imaging_engine *,
		    struct imaging_analysis *, const struct imaging_image *,
		    float (*)[136]);
static void	jprintf(struct jbuf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	jstr(struct jbuf *, const char *);
static void	jfigure(struct jbuf *, const char *,
		    const struct imaging_figure *, int);
static void	jface(struct jbuf *, const struct imaging_face *);
static void	janalysis(struct jbuf *, const struct imaging_analysis *);

static const char *side_names[] = { "front", "back", "holding", "face" };

void
imaging_options_default(struct imaging_options *o)
{
	memset(o, 0, sizeof(*o));
	imaging_limits_default(&o->limits);
	o->threads = 1;
	o->optional_models = 0;
	/* MODELS.md and bench/accuracy: BGR scored at least as well. */
	o->embed_rgb = 0;
	o->liveness_rgb = 0;
	o->min_face_score = FACE_MIN_SCORE;
	o->nms_iou = FACE_NMS_IOU;
	/* MODELS.md: below about 40 px accuracy falls fast. */
	o->min_face_px = 40;
	/*
	 * Variance of Laplacian on the aligned 112x112 face.  On the faces
	 * set (bench/accuracy) clean photos measure 454 and up (median
	 * 1508); copies blurred with sigma ~2 px at that scale measure 29
	 * at most (median 11.5).
	 */
	o->min_sharpness = 40;
	/* Mean grey level of the face region, and clipped fractions. */
	o->min_mean = 40;
	o->max_mean = 220;
	o->max_clipped = 0.25;
	/* Head pose limits, degrees. */
	o->max_yaw = 35;
	o->max_pitch = 35;
	o->max_roll = 30;
	o->min_eyes_open = 0.5;
	/*
	 * MODELS.md: 0.40-0.45 is a starting point on the faces set, to be
	 * re-tuned on ID-portrait-vs-selfie pairs.
	 */
	o->match_threshold = 0.42f;
	o->card = 1;
	o->card_ocr = 1;
}

struct imaging_engine *
imaging_engine_new(const char *models_dir, const struct imaging_options *o,
    struct imaging_error *err)
{
	struct imaging_engine	*e;
	char			 msg[IMAGING_ERRMSG_MAX];
	int			 why, flags;

	if (err != NULL)
		imaging_error_clear(err);
	if (models_dir == NULL) {
		if (err != NULL)
			(void)imaging_error_set(err, IMAGING_ERR_ARG,
			    "no models directory given");
		return (NULL);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto nomem;
	if (o != NULL)
		e->opt = *o;
	else
		imaging_options_default(&e->opt);

	e->scores = calloc(FACE_MAX_PRIORS, sizeof(float));
	e->boxes = calloc(FACE_MAX_PRIORS, 4 * sizeof(float));
	e->order = calloc(FACE_MAX_PRIORS, sizeof(int));
	if (e->scores == NULL || e->boxes == NULL || e->order == NULL)
		goto nomem;
	if ((e->dec = imaging_decoder_new(&e->opt.limits)) == NULL ||
	    (e->rdec = imaging_decoder_new(&e->opt.limits)) == NULL)
		goto nomem;

	flags = 0;
	if (e->opt.optional_models & IMAGING_MODEL_POSE)
		flags |= FACE_CV_LOAD_POSE;
	if (e->opt.optional_models & IMAGING_MODEL_EYE)
		flags |= FACE_CV_LOAD_EYE;
	e->fc = face_cv_open(models_dir, flags, e->opt.threads, &why, msg,
	    sizeof(msg));
	if (e->fc == NULL) {
		if (err != NULL)
			(void)imaging_error_set(err, why == FACE_CV_ENOMEM ?
			    IMAGING_ERR_NOMEM : IMAGING_ERR_MODEL, "%s", msg);
		imaging_engine_free(e);
		return (NULL);
	}
#if IMAGING_HAVE_CARD
	if (e->opt.card) {
		struct imaging_card_options	co;

		imaging_card_options_default(&co);
		co.ocr = e->opt.card_ocr;
		co.threads = e->opt.threads;
		if ((e->card = imaging_card_new(NULL, &co, err)) == NULL) {
			imaging_engine_free(e);
			return (NULL);
		}
	}
#endif
	return (e);

nomem:
	if (err != NULL)
		(void)imaging_error_set(err, IMAGING_ERR_NOMEM,
		    "engine allocation failed");
	imaging_engine_free(e);
	return (NULL);
}

void
imaging_engine_free(struct imaging_engine *e)
{
	if (e == NULL)
		return;
	if (e->fc != NULL)
		face_cv_close(e->fc);
#if IMAGING_HAVE_CARD
	imaging_card_free(e->card);
#endif
	imaging_decoder_free(e->dec);
	imaging_decoder_free(e->rdec);
	free(e->scores);
	free(e->boxes);
	free(e->order);
	free(e);
}

const struct imaging_options *
imaging_engine_options(const struct imaging_engine *e)
{
	return (&e->opt);
}

int
imaging_engine_errcode(const struct imaging_engine *e)
{
	return (e->err.code);
}

const char *
imaging_engine_error(const struct imaging_engine *e)
{
	return (e->err.msg);
}

struct imaging_analysis *
imaging_analyse(struct imaging_engine *e, enum imaging_side side,
    const void *buf, size_t len)
{
	struct imaging_analysis		*a;
	struct imaging_decode_info	 info;
	struct imaging_image		 img;
	double				 t0, c0;
	int				 i;

	imaging_error_clear(&e->err);
	if ((unsigned)side > IMAGING_SIDE_FACE) {
		(void)imaging_error_set(&e->err, IMAGING_ERR_ARG,
		    "unknown side %d", (int)side);
		return (NULL);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		(void)imaging_error_set(&e->err, IMAGING_ERR_NOMEM, NULL);
		return (NULL);
	}
	a->side = side;
	a->primary = a->card_portrait = -1;

	t0 = now_ms();
	c0 = cpu_ms();
	memset(&info, 0, sizeof(info));
	if (imaging_decode(e->dec, buf, len, e->opt.limits.working_long_side,
	    &img, &info) == -1) {
		/* A rejected photo is a result, not an engine failure. */
		a->error = imaging_decoder_errcode(e->dec);
		(void)snprintf(a->error_msg, sizeof(a->error_msg), "%s",
		    imaging_decoder_error(e->dec));
		if (a->error == IMAGING_ERR_NOMEM) {
			(void)imaging_error_set(&e->err, a->error, "%s",
			    a->error_msg);
			free(a);
			return (NULL);
		}
		a->decode_ms = now_ms() - t0;
		a->decode_cpu_ms = cpu_ms() - c0;
		return (a);
	}
	a->decode_ms = now_ms() - t0;
	a->decode_cpu_ms = cpu_ms() - c0;
	a->orientation = info.orientation;
	a->width = info.upright_width;
	a->height = info.upright_height;
	a->work_width = img.width;
	a->work_height = img.height;

	if (analyse_faces(e, a, &img, 1) == -1) {
		free(a);
		return (NULL);
	}
	/*
	 * A small card portrait is measured again from finer pixels (its
	 * own decoder: the working image stays valid); only if that fails
	 * is it embedded from the working image.  Face work: its time is
	 * counted in faces_ms.
	 */
	t0 = now_ms();
	c0 = cpu_ms();
	if ((i = refine_target(a, 1)) >= 0 &&
	    refine_small_face(e, a, i, buf, len) == -1 &&
	    embed_face(e, &img, &a->faces[i], embed_what(a, i, -1) &
	    ~EMBED_SHARPNESS) == -1) {
		free(a);
		return (NULL);
	}
	a->faces_ms += now_ms() - t0;
	a->faces_cpu_ms += cpu_ms() - c0;

	if (a->primary >= 0 && a->card_portrait >= 0 &&
	    a->faces[a->primary].has_embedding &&
	    a->faces[a->card_portrait].has_embedding)
		figure_set(&a->live_vs_portrait, imaging_face_score(
		    &a->faces[a->primary], &a->faces[a->card_portrait]), 0, 1,
		    NULL);

	/* Report geometry in the photo's own upright pixels. */
	scale_faces(a, (double)a->width / img.width,
	    (double)a->height / img.height);
	return (a);
}

struct imaging_analysis *
imaging_analyse_image(struct imaging_engine *e, enum imaging_side side,
    const struct imaging_image *img)
{
	struct imaging_analysis	*a;

	imaging_error_clear(&e->err);
	if ((unsigned)side > IMAGING_SIDE_FACE || img == NULL ||
	    img->pixels == NULL || img->width < 1 || img->height < 1 ||
	    img->stride < 3 * img->width) {
		(void)imaging_error_set(&e->err, IMAGING_ERR_ARG,
		    "bad side or image");
		return (NULL);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		(void)imaging_error_set(&e->err, IMAGING_ERR_NOMEM, NULL);
		return (NULL);
	}
	a->side = side;
	a->primary = a->card_portrait = -1;
	a->orientation = 1;
	a->width = a->work_width = img->width;
	a->height = a->work_height = img->height;
	if (analyse_faces(e, a, img, 0) == -1) {
		free(a);
		return (NULL);
	}
	return (a);
}

void
imaging_analysis_free(struct imaging_analysis *a)
{
	free(a);
}

int
imaging_compare(struct imaging_engine *e, const struct imaging_analysis *a,
    const struct imaging_analysis *b, struct imaging_comparison *out)
{
	const struct imaging_face	*fa, *fb;

	imaging_error_clear(&e->err);
	memset(out, 0, sizeof(*out));
	out->threshold = e->opt.match_threshold;
	if (a == NULL || b == NULL || a->primary < 0 || b->primary < 0) {
		return (imaging_error_set(&e->err, IMAGING_ERR_ARG,
		    "both photos need a face"));
	}
	fa = &a->faces[a->primary];
	fb = &b->faces[b->primary];
	return (imaging_compare_faces(e, fa, fb, out));
}

int
imaging_compare_faces(struct imaging_engine *e, const struct imaging_face *a,
    const struct imaging_face *b, struct imaging_comparison *out)
{
	imaging_error_clear(&e->err);
	memset(out, 0, sizeof(*out));
	out->threshold = e->opt.match_threshold;
	if (a == NULL || b == NULL || !a->has_embedding || !b->has_embedding)
		return (imaging_error_set(&e->err, IMAGING_ERR_ARG,
		    "a face has no embedding"));
	out->score = imaging_face_score(a, b);
	out->match = out->score >= out->threshold;
	return (0);
}

int
imaging_detect_boxes(void *engine, const struct imaging_image *img,
    struct imaging_card_rect *out, int cap)
{
	struct imaging_engine	*e = engine;
	struct face_box		 boxes[IMAGING_MAX_FACES];
	int			 n, kept, i;

	if (e == NULL || img == NULL || img->pixels == NULL ||
	    img->width < 16 || img->height < 16 ||
	    img->stride < 3 * img->width || out == NULL || cap < 0)
		return (-1);
	if (face_cv_detect(e->fc, img, 1, e->scores, e->boxes,
	    FACE_MAX_PRIORS, &n) == -1)
		return (imaging_error_set(&e->err, IMAGING_ERR_CV, "%s",
		    face_cv_error(e->fc)));
	kept = face_detect_post(e->scores, e->boxes, n, img->width,
	    img->height, e->opt.min_face_score, e->opt.nms_iou, e->order,
	    boxes, IMAGING_MAX_FACES);
	for (i = 0; i < kept && i < cap; i++) {
		out[i].x = boxes[i].x1;
		out[i].y = boxes[i].y1;
		out[i].w = boxes[i].x2 - boxes[i].x1;
		out[i].h = boxes[i].y2 - boxes[i].y1;
	}
	return (i);
}

float
imaging_face_score(const struct imaging_face *a, const struct imaging_face *b)
{
	if (!a->has_embedding || !b->has_embedding)
		return (0);
	return (face_cosine(a->embedding, b->embedding, IMAGING_EMBED_DIM));
}

const char *
imaging_side_name(enum imaging_side s)
{
	if ((unsigned)s > IMAGING_SIDE_FACE)
		return ("unknown");
	return (side_names[s]);
}

int
imaging_side_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(side_names) / sizeof(side_names[0]); i++)
		if (strcmp(s, side_names[i]) == 0)
			return ((int)i);
	return (-1);
}

char *
imaging_analysis_json(const struct imaging_analysis *a)
{
	struct jbuf	j;

	memset(&j, 0, sizeof(j));
	janalysis(&j, a);
	if (j.failed) {
		free(j.p);
		return (NULL);
	}
	return (j.p);
}

char *
imaging_comparison_json(const struct imaging_comparison *c,
    const struct imaging_analysis *a, const struct imaging_analysis *b)
{
	struct jbuf	j;

	memset(&j, 0, sizeof(j));
	jprintf(&j, "{\"score\":%.4f,\"threshold\":%.4f,\"match\":%s,"
	    "\"a\":", c->score, c->threshold, c->match ? "true" : "false");
	janalysis(&j, a);
	jprintf(&j, ",\"b\":");
	janalysis(&j, b);
	jprintf(&j, "}");
	if (j.failed) {
		free(j.p);
		return (NULL);
	}
	return (j.p);
}

/*
 * Detect, describe every kept face (landmarks, pose), run the card part,
 * choose the faces the photo is about (using the card's outline when
 * there is one), embed those, and judge quality.
 */
static int
analyse_faces(struct imaging_engine *e, struct imaging_analysis *a,
    const struct imaging_image *img, int can_refine)
{
	struct face_box	 boxes[IMAGING_MAX_FACES];
	float		 lm[IMAGING_MAX_FACES][136];
	double		 t0, t1, t2, c0, c1, c2;
	int		 n, kept, i;

	t0 = now_ms();
	c0 = cpu_ms();
	/*
	 * The emblem side shows no face and nothing reads faces from it:
	 * its photo is not searched for any.
	 */
	n = kept = 0;
	if (a->side != IMAGING_SIDE_BACK) {
		if (face_cv_detect(e->fc, img, 1, e->scores, e->boxes,
		    FACE_MAX_PRIORS, &n) == -1)
			return (imaging_error_set(&e->err, IMAGING_ERR_CV,
			    "%s", face_cv_error(e->fc)));
		kept = face_detect_post(e->scores, e->boxes, n, img->width,
		    img->height, e->opt.min_face_score, e->opt.nms_iou,
		    e->order, boxes, IMAGING_MAX_FACES);
	}

	a->nfaces = 0;
	for (i = 0; i < kept; i++) {
		if (describe_face(e, img, &boxes[i], &a->faces[a->nfaces],
		    lm[a->nfaces]) == -1)
			return (-1);
		a->nfaces++;
	}

	t1 = now_ms();
	c1 = cpu_ms();
	if (card_hook(e, a, img) == -1)
		return (-1);
	t2 = now_ms();
	c2 = cpu_ms();
	if (find_card_portrait(e, a, img, lm) == -1)
		return (-1);

	choose_faces(e, a);
	i = refine_target(a, can_refine);
	if (a->primary >= 0 && embed_face(e, img, &a->faces[a->primary],
	    embed_what(a, a->primary, i)) == -1)
		return (-1);
	if (a->card_portrait >= 0 && embed_face(e, img,
	    &a->faces[a->card_portrait], embed_what(a, a->card_portrait,
	    i)) == -1)
		return (-1);

	judge_quality(e, a, img);
	a->faces_ms = (t1 - t0) + (now_ms() - t2);
	a->card_ms = t2 - t1;
	a->faces_cpu_ms = (c1 - c0) + (cpu_ms() - c2);
	a->card_cpu_ms = c2 - c1;
	return (0);
}

static int
describe_face(struct imaging_engine *e, const struct imaging_image *img,
    const struct face_box *b, struct imaging_face *f, float *lm68)
{
	struct face_cv_rect	r;
	float			cu[136], pose[3][FACE_CV_POSE_BINS];
	float			yaw, pitch, roll;

	memset(f, 0, sizeof(*f));
	f->box[0] = b->x1;
	f->box[1] = b->y1;
	f->box[2] = b->x2;
	f->box[3] = b->y2;
	f->score = b->score;
	f->size_px = b->y2 - b->y1;

	if (face_landmark_crop(b, img->width, img->height, &r) == -1)
		return (imaging_error_set(&e->err, IMAGING_ERR_CV,
		    "empty landmark crop"));
	if (face_cv_landmarks(e->fc, img, &r, cu) == -1)
		return (imaging_error_set(&e->err, IMAGING_ERR_CV, "%s",
		    face_cv_error(e->fc)));
	face_landmarks_to_image(cu, &r, lm68);
	face_five_points(lm68, f->landmarks);

	if ((face_cv_loaded(e->fc) & FACE_CV_LOAD_POSE) &&
	    face_pose_crop(b, img->width, img->height, &r) == 0) {
		if (face_cv_pose(e->fc, img, &r, 1, pose) == -1)
			return (imaging_error_set(&e->err, IMAGING_ERR_CV,
			    "%s", face_cv_error(e->fc)));
		yaw = face_pose_angle(pose[0]);
		pitch = face_pose_angle(pose[1]);
		roll = face_pose_angle(pose[2]);
		f->pose_source = "model";
	} else {
		face_pose_from_landmarks(lm68, &yaw, &pitch, &roll);
		f->pose_source = "landmarks";
	}
	figure_set(&f->yaw, yaw, e->opt.max_yaw, fabs(yaw) <= e->opt.max_yaw,
	    IMAGING_REASON_HEAD_POSE);
	figure_set(&f->pitch, pitch, e->opt.max_pitch,
	    fabs(pitch) <= e->opt.max_pitch, IMAGING_REASON_HEAD_POSE);
	figure_set(&f->roll, roll, e->opt.max_roll,
	    fabs(roll) <= e->opt.max_roll, IMAGING_REASON_HEAD_POSE);

	if (face_cv_loaded(e->fc) & FACE_CV_LOAD_EYE) {
		float	logits[2], p, worst;
		int	k;

		worst = 1;
		for (k = 0; k < 2; k++) {
			if (face_eye_crop(lm68, k, img->width, img->height,
			    &r) == -1)
				break;
			if (face_cv_eye(e->fc, img, &r, logits) == -1)
				return (imaging_error_set(&e->err,
				    IMAGING_ERR_CV, "%s", face_cv_error(e->fc)));
			p = face_softmax_at(logits, 2, EYE_OPEN_CLASS);
			worst = fminf(worst, p);
		}
		if (k == 2)
			figure_set(&f->eyes_open, worst, e->opt.min_eyes_open,
			    worst >= e->opt.min_eyes_open,
			    IMAGING_REASON_EYES_CLOSED);
	}
	return (0);
}

/*
 * What to measure of chosen face `idx`.  Every chosen face gets its
 * sharpness judged.  The one to be measured again from finer pixels
 * (`refine`) needs no embedding from the coarse ones.  Liveness is asked
 * of a live face only: a card portrait is a print by definition, and
 * nothing reads the figure (the front's face is the card's portrait).
 */
static int
embed_what(const struct imaging_analysis *a, int idx, int refine)
{
	int	what = EMBED_SHARPNESS;

	if (idx != refine)
		what |= EMBED_VECTOR;
	if (idx != a->card_portrait && a->side != IMAGING_SIDE_FRONT)
		what |= EMBED_LIVENESS;
	return (what);
}

/*
 * Align, embed, and measure liveness and sharpness of one chosen face
 * (what: EMBED_* bits).
 */
static int
embed_face(struct imaging_engine *e, const struct imaging_image *img,
    struct imaging_face *f, int what)
{
	struct face_box		b;
	struct face_cv_rect	r;
	unsigned char		px[FACE_CV_ALIGN_SIZE * FACE_CV_ALIGN_SIZE * 3];
	float			logits[FACE_CV_LIVE_CLASSES];
	double			m[6];

	if (face_similarity(f->landmarks, face_arcface_ref, 5, m) == -1)
		return (0);	/* degenerate landmarks: no embedding */
	/* A face of 112 px or more is judged on the aligned pixels. */
	if ((what & EMBED_SHARPNESS) && f->size_px >= FACE_CV_ALIGN_SIZE)
		what |= EMBED_VECTOR;
	if (what & EMBED_VECTOR) {
		if (face_cv_embed(e->fc, img, m, e->opt.embed_rgb,
		    f->embedding, px) == -1)
			return (imaging_error_set(&e->err, IMAGING_ERR_CV,
			    "%s", face_cv_error(e->fc)));
		face_l2_normalise(f->embedding, IMAGING_EMBED_DIM);
		f->has_embedding = 1;
	}
	if (what & EMBED_SHARPNESS)
		face_sharpness(e, img, f, (what & EMBED_VECTOR) ? px : NULL);
	if (!(what & EMBED_LIVENESS))
		return (0);

	b.x1 = f->box[0];
	b.y1 = f->box[1];
	b.x2 = f->box[2];
	b.y2 = f->box[3];
	b.score = f->score;
	if (face_liveness_crop(&b, img->width, img->height, FACE_LIVE_SCALE,
	    &r) == 0) {
		if (face_cv_liveness(e->fc, img, &r, e->opt.liveness_rgb,
		    logits) == -1)
			return (imaging_error_set(&e->err, IMAGING_ERR_CV,
			    "%s", face_cv_error(e->fc)));
		/*
		 * No threshold: liveness was only ever measured on genuine
		 * photos (MODELS.md), so it is a figure, not a gate.
		 */
		figure_set(&f->liveness, face_softmax_at(logits,
		    FACE_CV_LIVE_CLASSES, 0), 0, 1, NULL);
	}
	return (0);
}

/*
 * Sharpness on the aligned face (`px`, what face_cv_embed saw): the same
 * 112 px scale whatever the photo's size.  A face smaller than that
 * would be measured upsampled, which reads as blur whatever the focus;
 * measure it at its own pixels instead.
 */
static void
face_sharpness(struct imaging_engine *e, const struct imaging_image *img,
    struct imaging_face *f, unsigned char *px)
{
	struct face_cv_rect	r;
	struct imaging_image	aligned;
	double			sharp;

	/* px is NULL when the face was not aligned (it is not embedded). */
	aligned.width = aligned.height = FACE_CV_ALIGN_SIZE;
	aligned.stride = 3 * FACE_CV_ALIGN_SIZE;
	aligned.pixels = px;
	r.x = r.y = 8;
	r.w = r.h = FACE_CV_ALIGN_SIZE - 16;
	if (f->size_px < FACE_CV_ALIGN_SIZE) {
		r.x = (int)(f->box[0] + (f->box[2] - f->box[0]) / 8);
		r.y = (int)(f->box[1] + (f->box[3] - f->box[1]) / 8);
		r.w = (int)((f->box[2] - f->box[0]) * 3 / 4);
		r.h = (int)((f->box[3] - f->box[1]) * 3 / 4);
		if (r.w >= 3 && r.h >= 3 && r.x >= 0 && r.y >= 0 &&
		    r.x + r.w <= img->width && r.y + r.h <= img->height)
			aligned = *img;
		else {
			r.x = r.y = 8;
			r.w = r.h = FACE_CV_ALIGN_SIZE - 16;
		}
	}
	if (aligned.pixels == NULL)
		return;
	sharp = face_laplacian_var(&aligned, &r);
	figure_set(&f->sharpness, sharp, e->opt.min_sharpness,
	    sharp >= e->opt.min_sharpness, IMAGING_REASON_FACE_BLURRY);
}

/*
 * Which face is the photo about.  Faces are ranked by detector score
 * (MODELS.md: a 0.986 false detection was once larger than the real
 * face).  A holding selfie shows two real faces, the live one and the
 * card portrait; among the two best-scored the larger is the live one,
 * as a card portrait is a fraction of a head's size at arm's length.
 * When the card part finds the card, faces inside its quad are taken as
 * the portrait instead (see card_hook).
 */
static void
choose_faces(const struct imaging_engine *e, struct imaging_analysis *a)
{
	const struct imaging_face	*f;
	int				 i, in;

	(void)e;
	a->primary = a->card_portrait = -1;
	if (a->card.measured && a->card.found &&
	    a->side != IMAGING_SIDE_FACE) {
		/* Faces are in score order: the first of each kind wins. */
		for (i = 0; i < a->nfaces; i++) {
			f = &a->faces[i];
			/*
			 * A face taller than the card cannot be printed on
			 * it: that is the live face in front of the card.
			 */
			in = inside_quad(a->card.quad, (f->box[0] + f->box[2]) / 2,
			    (f->box[1] + f->box[3]) / 2) &&
			    f->box[3] - f->box[1] < quad_height(a->card.quad);
			if (a->side == IMAGING_SIDE_FRONT) {
				if (in && a->primary < 0)
					a->primary = i;
			} else if (a->side == IMAGING_SIDE_HOLDING) {
				if (in && a->card_portrait < 0)
					a->card_portrait = i;
				else if (!in && a->primary < 0)
					a->primary = i;
			}
		}
		if (a->side == IMAGING_SIDE_FRONT && a->primary < 0 &&
		    a->nfaces > 0)
			a->primary = 0;
		return;
	}
	switch (a->side) {
	case IMAGING_SIDE_FACE:
	case IMAGING_SIDE_FRONT:
		if (a->nfaces > 0)
			a->primary = 0;
		break;
	case IMAGING_SIDE_HOLDING:
		if (a->nfaces == 1)
			a->primary = 0;
		else if (a->nfaces >= 2) {
			if (a->faces[1].size_px > a->faces[0].size_px) {
				a->primary = 1;
				a->card_portrait = 0;
			} else {
				a->primary = 0;
				a->card_portrait = 1;
			}
		}
		break;
	case IMAGING_SIDE_BACK:
		break;
	}
}

static void
judge_quality(const struct imaging_engine *e, struct imaging_analysis *a,
    const struct imaging_image *img)
{
	const struct imaging_options	*o = &e->opt;
	const struct imaging_face	*f;
	struct face_cv_rect		 r;
	double				 mean, dark, bright;
	int				 want, count, i;

	want = a->side == IMAGING_SIDE_HOLDING ? 2 :
	    a->side == IMAGING_SIDE_BACK ? 0 : 1;
	if (a->side == IMAGING_SIDE_HOLDING && a->card.measured &&
	    a->card.found && a->card_portrait < 0)
		reason_add(a, IMAGING_REASON_NO_CARD_PORTRAIT);
	/* Every face lies on the card: the live face is missing. */
	if (a->side == IMAGING_SIDE_HOLDING && a->nfaces > 0 &&
	    a->primary < 0)
		reason_add(a, IMAGING_REASON_NO_FACE);
	/*
	 * Faces that count: the chosen ones, and any other at least half
	 * the chosen face's height.  A passer-by far behind the customer
	 * is not a second person presenting (one photo of the faces set,
	 * img54, has one a third the size).
	 */
	count = 0;
	for (i = 0; i < a->nfaces; i++) {
		if (i != a->primary && i != a->card_portrait &&
		    a->primary >= 0 && a->faces[i].size_px <
		    a->faces[a->primary].size_px * BACKGROUND_FACE_RATIO)
			continue;
		count++;
	}
	if (a->side != IMAGING_SIDE_BACK) {
		figure_set(&a->face_count, count, want,
		    count > 0 && count <= want, count == 0 ?
		    IMAGING_REASON_NO_FACE : IMAGING_REASON_TOO_MANY_FACES);
		if (!a->face_count.pass)
			reason_add(a, a->face_count.reason);
	}
	/* The emblem side is not searched for faces: no count. */

	r.x = r.y = 0;
	r.w = img->width;
	r.h = img->height;
	if (a->primary >= 0) {
		f = &a->faces[a->primary];
		figure_set(&a->face_size, f->size_px, o->min_face_px,
		    f->size_px >= o->min_face_px,
		    IMAGING_REASON_FACE_TOO_SMALL);
		if (!a->face_size.pass)
			reason_add(a, a->face_size.reason);
		if (a->card_portrait >= 0 && a->faces[a->card_portrait].size_px
		    < o->min_face_px)
			reason_add(a, IMAGING_REASON_FACE_TOO_SMALL);
		if (f->sharpness.measured && !f->sharpness.pass)
			reason_add(a, f->sharpness.reason);
		if (!f->yaw.pass || !f->pitch.pass || !f->roll.pass)
			reason_add(a, IMAGING_REASON_HEAD_POSE);
		if (f->eyes_open.measured && !f->eyes_open.pass)
			reason_add(a, f->eyes_open.reason);
		r.x = (int)f->box[0];
		r.y = (int)f->box[1];
		r.w = (int)f->box[2] - r.x;
		r.h = (int)f->box[3] - r.y;
		if (r.w < 1 || r.h < 1 || r.x + r.w > img->width ||
		    r.y + r.h > img->height) {
			r.x = r.y = 0;
			r.w = img->width;
			r.h = img->height;
		}
	}

	/* Exposure on the face when there is one, else the whole frame. */
	face_exposure(img, &r, 8, 247, &mean, &dark, &bright);
	figure_set(&a->exposure_mean, mean, mean < o->min_mean ? o->min_mean :
	    o->max_mean, mean >= o->min_mean && mean <= o->max_mean,
	    mean < o->min_mean ? IMAGING_REASON_TOO_DARK :
	    IMAGING_REASON_TOO_BRIGHT);
	figure_set(&a->exposure_dark, dark, o->max_clipped,
	    dark <= o->max_clipped, IMAGING_REASON_TOO_DARK);
	figure_set(&a->exposure_bright, bright, o->max_clipped,
	    bright <= o->max_clipped, IMAGING_REASON_TOO_BRIGHT);
	if (!a->exposure_mean.pass)
		reason_add(a, a->exposure_mean.reason);
	else if (!a->exposure_dark.pass)
		reason_add(a, a->exposure_dark.reason);
	else if (!a->exposure_bright.pass)
		reason_add(a, a->exposure_bright.reason);
}

/* Working-image coordinates to the photo's upright full resolution. */
static void
scale_faces(struct imaging_analysis *a, double sx, double sy)
{
	struct imaging_face	*f;
	int			 i, k;

	for (i = 0; i < a->nfaces; i++) {
		f = &a->faces[i];
		for (k = 0; k < 4; k += 2) {
			f->box[k] = (float)(f->box[k] * sx);
			f->box[k + 1] = (float)(f->box[k + 1] * sy);
		}
		for (k = 0; k < 10; k += 2) {
			f->landmarks[k] = (float)(f->landmarks[k] * sx);
			f->landmarks[k + 1] = (float)(f->landmarks[k + 1] * sy);
		}
	}
	if (a->card.measured) {
		for (k = 0; k < 8; k += 2) {
			a->card.quad[k] = (float)(a->card.quad[k] * sx);
			a->card.quad[k + 1] = (float)(a->card.quad[k + 1] * sy);
		}
	}
}

/*
 * The card part (imaging/card*.c, another module) runs only when it is
 * built in (cv/meson.build's imaging_card_sources is not empty) and
 * the photo should show a card; otherwise the card figures stay "not
 * measured".  Its quad, in working-image pixels until scale_faces(),
 * decides which face is the card portrait.
 */
#if IMAGING_HAVE_CARD
static void
card_figure(struct imaging_figure *dst, const struct imaging_card_figure *src)
{
	dst->measured = src->measured;
	dst->value = src->value;
	dst->limit = src->limit;
	dst->pass = src->pass;
	dst->reason = src->pass ? NULL : src->reason;
}
#endif

static int
card_hook(struct imaging_engine *e, struct imaging_analysis *a,
    const struct imaging_image *img)
{
#if IMAGING_HAVE_CARD
	struct imaging_card_summary	*c = &a->card;
	struct imaging_card_result	 r;
	struct imaging_card_hint	 hint;
	int				 i;

	memset(c, 0, sizeof(*c));
	if (e->card == NULL || a->side == IMAGING_SIDE_FACE)
		return (0);
	memset(&r, 0, sizeof(r));
	/* The faces found so far tell the card part where to look. */
	memset(&hint, 0, sizeof(hint));
	hint.detect = imaging_detect_boxes;
	hint.detect_arg = e;
	for (i = 0; i < a->nfaces && i < IMAGING_CARD_MAX_HINT_FACES; i++) {
		hint.faces[i].x = a->faces[i].box[0];
		hint.faces[i].y = a->faces[i].box[1];
		hint.faces[i].w = a->faces[i].box[2] - a->faces[i].box[0];
		hint.faces[i].h = a->faces[i].box[3] - a->faces[i].box[1];
		hint.nfaces++;
	}
	if (imaging_card_analyse_hint(e->card, img, a->side ==
	    IMAGING_SIDE_FRONT ? IMAGING_CARD_EXPECT_FRONT : a->side ==
	    IMAGING_SIDE_BACK ? IMAGING_CARD_EXPECT_BACK :
	    IMAGING_CARD_EXPECT_HOLDING, &hint, &r) == -1)
		return (imaging_error_set(&e->err,
		    imaging_card_errcode(e->card), "card: %s",
		    imaging_card_error(e->card)));
	c->measured = 1;
	c->found = r.found;
	a->ocr_ms = r.ocr_ms;
	a->ocr_cpu_ms = r.ocr_cpu_ms;
	for (i = 0; i < 4; i++) {
		c->quad[2 * i] = (float)r.quad[i].x;
		c->quad[2 * i + 1] = (float)r.quad[i].y;
	}
	c->side = imaging_card_side_name(r.side);
	c->side_confidence = r.side_confidence;
	card_figure(&c->area, &r.area);
	card_figure(&c->margin, &r.margin);
	card_figure(&c->glare, &r.glare);
	card_figure(&c->sharpness, &r.sharpness);
	card_figure(&c->cards, &r.cards);
	card_figure(&c->side_check, &r.side_check);
	c->number_read = r.number_read;
	if (r.number_read) {
		(void)snprintf(c->number, sizeof(c->number), "%s", r.number);
		/* 110101********1234: region and the last four only. */
		(void)snprintf(c->number_masked, sizeof(c->number_masked),
		    "%.6s********%.4s", r.number, strlen(r.number) >= 18 ?
		    r.number + 14 : "");
	}
	c->number_check_ok = r.number_check_ok;
	c->validity_read = r.validity_read;
	(void)snprintf(c->valid_from, sizeof(c->valid_from), "%s",
	    r.valid_from);
	(void)snprintf(c->valid_to, sizeof(c->valid_to), "%s", r.valid_to);
	c->valid_long_term = r.valid_long_term;
	for (i = 0; i < r.nreasons; i++)
		reason_add(a, r.reasons[i]);
	return (0);
#else
	(void)e;
	(void)img;
	a->card.measured = 0;
	return (0);
#endif
}

/*
 * The portrait printed on a card is small in a whole photo: at the
 * detector's 320x240 it can shrink under the smallest face the model
 * finds.  When the card part found a card but no detected face lies in
 * it, run the detector again on the card's bounding box alone (a view,
 * no copy) and keep what lies inside the quad.
 */
static int
find_card_portrait(struct imaging_engine *e, struct imaging_analysis *a,
    const struct imaging_image *img, float (*lm)[136])
{
	const float		*q = a->card.quad;
	struct imaging_image	 view;
	struct face_box		 boxes[IMAGING_MAX_FACES], b;
	float			 x1, y1, x2, y2, mw, mh;
	int			 i, k, n, kept, x0, y0, w, h, dup;

	if (!a->card.measured || !a->card.found ||
	    (a->side != IMAGING_SIDE_FRONT && a->side != IMAGING_SIDE_HOLDING))
		return (0);
	for (i = 0; i < a->nfaces; i++)
		if (inside_quad(q, (a->faces[i].box[0] + a->faces[i].box[2]) / 2,
		    (a->faces[i].box[1] + a->faces[i].box[3]) / 2) &&
		    a->faces[i].box[3] - a->faces[i].box[1] < quad_height(q))
			return (0);

	x1 = x2 = q[0];
	y1 = y2 = q[1];
	for (i = 1; i < 4; i++) {
		x1 = fminf(x1, q[2 * i]);
		x2 = fmaxf(x2, q[2 * i]);
		y1 = fminf(y1, q[2 * i + 1]);
		y2 = fmaxf(y2, q[2 * i + 1]);
	}
	mw = (x2 - x1) / 10;
	mh = (y2 - y1) / 10;
	x0 = (int)fmaxf(0, x1 - mw);
	y0 = (int)fmaxf(0, y1 - mh);
	w = (int)fminf((float)img->width, x2 + mw) - x0;
	h = (int)fminf((float)img->height, y2 + mh) - y0;
	if (w < 32 || h < 32)
		return (0);
	view.width = w;
	view.height = h;
	view.stride = img->stride;
	view.pixels = img->pixels + (size_t)y0 * img->stride + 3 * (size_t)x0;

	if (face_cv_detect(e->fc, &view, 1, e->scores, e->boxes,
	    FACE_MAX_PRIORS, &n) == -1)
		return (imaging_error_set(&e->err, IMAGING_ERR_CV, "%s",
		    face_cv_error(e->fc)));
	kept = face_detect_post(e->scores, e->boxes, n, w, h,
	    e->opt.min_face_score, e->opt.nms_iou, e->order, boxes,
	    IMAGING_MAX_FACES);
	for (i = 0; i < kept && a->nfaces < IMAGING_MAX_FACES; i++) {
		b = boxes[i];
		b.x1 += (float)x0;
		b.x2 += (float)x0;
		b.y1 += (float)y0;
		b.y2 += (float)y0;
		if (!inside_quad(q, (b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2))
			continue;
		dup = 0;
		for (k = 0; k < a->nfaces; k++) {
			struct face_box o = { a->faces[k].box[0],
			    a->faces[k].box[1], a->faces[k].box[2],
			    a->faces[k].box[3], a->faces[k].score };
			if (face_iou(&b, &o) > e->opt.nms_iou)
				dup = 1;
		}
		if (dup)
			continue;
		if (describe_face(e, img, &b, &a->faces[a->nfaces],
		    lm[a->nfaces]) == -1)
			return (-1);
		a->nfaces++;
	}
	return (0);
}

/*
 * A card portrait can be a few dozen pixels high at the working size
 * while the photo itself holds several times more.  Decode just the
 * region around it at a finer scale (imaging_decode_region), find it
 * again there and replace its landmarks, embedding, liveness and size
 * with the finer measurement.  Any failure keeps the coarse one.
 * Coordinates stay in working-image pixels.
 */
#define REFINE_BELOW_PX		100
#define REFINE_TARGET_PX	160

/*
 * The face of a photo that is measured again from finer pixels: a small
 * card portrait (the front's face, or the one held in a selfie), when
 * the photo has more pixels than the working image.  -1: none.
 */
static int
refine_target(const struct imaging_analysis *a, int can)
{
	int	idx;

	idx = a->card_portrait >= 0 ? a->card_portrait :
	    a->side == IMAGING_SIDE_FRONT ? a->primary : -1;
	if (!can || idx < 0 || a->faces[idx].size_px >= REFINE_BELOW_PX ||
	    a->width <= a->work_width)
		return (-1);
	return (idx);
}

static int
refine_small_face(struct imaging_engine *e, struct imaging_analysis *a,
    int idx, const void *buf, size_t len)
{
	struct imaging_face		*f = &a->faces[idx];
	struct imaging_face		 nf;
	struct imaging_decode_info	 info;
	struct imaging_image		 rimg;
	struct imaging_rect		 rect;
	struct face_box			 boxes[IMAGING_MAX_FACES], b;
	float				 lm[136], cx, cy, side, sx, sy, px, py;
	double				 wx, wy;
	int				 n, kept, i, best, target, k;

	if (f->size_px >= REFINE_BELOW_PX || a->width <= a->work_width ||
	    buf == NULL)
		return (-1);
	cx = (f->box[0] + f->box[2]) / 2;
	cy = (f->box[1] + f->box[3]) / 2;
	side = 3 * fmaxf(f->box[2] - f->box[0], f->box[3] - f->box[1]);
	rect.x = (int)(cx - side / 2);
	rect.y = (int)(cy - side / 2);
	rect.width = rect.height = (int)side;
	target = (int)(side * REFINE_TARGET_PX / f->size_px);
	if (imaging_decode_region(e->rdec, buf, len, a->work_width,
	    a->work_height, &rect, target, &rimg, &info) == -1)
		return (-1);
	/* Region pixel -> working pixel. */
	wx = (double)a->work_width / a->width;
	wy = (double)a->work_height / a->height;
	sx = (float)((double)info.region.width / rimg.width);
	sy = (float)((double)info.region.height / rimg.height);
#define TO_WX(v)	((float)((info.region.x + (v) * sx) * wx))
#define TO_WY(v)	((float)((info.region.y + (v) * sy) * wy))
	if (face_cv_detect(e->fc, &rimg, 1, e->scores, e->boxes,
	    FACE_MAX_PRIORS, &n) == -1)
		return (-1);
	kept = face_detect_post(e->scores, e->boxes, n, rimg.width,
	    rimg.height, e->opt.min_face_score, e->opt.nms_iou, e->order,
	    boxes, IMAGING_MAX_FACES);
	/* The best-scored face whose centre falls in the coarse box. */
	best = -1;
	for (i = 0; i < kept && best < 0; i++) {
		px = TO_WX((boxes[i].x1 + boxes[i].x2) / 2);
		py = TO_WY((boxes[i].y1 + boxes[i].y2) / 2);
		if (px >= f->box[0] && px <= f->box[2] && py >= f->box[1] &&
		    py <= f->box[3])
			best = i;
	}
	if (best < 0)
		return (-1);
	b = boxes[best];
	if (describe_face(e, &rimg, &b, &nf, lm) == -1 ||
	    embed_face(e, &rimg, &nf, embed_what(a, idx, -1)) == -1 ||
	    !nf.has_embedding) {
		imaging_error_clear(&e->err);
		return (-1);
	}
	nf.box[0] = TO_WX(b.x1);
	nf.box[1] = TO_WY(b.y1);
	nf.box[2] = TO_WX(b.x2);
	nf.box[3] = TO_WY(b.y2);
	for (k = 0; k < 10; k += 2) {
		nf.landmarks[k] = TO_WX(nf.landmarks[k]);
		nf.landmarks[k + 1] = TO_WY(nf.landmarks[k + 1]);
	}
#undef TO_WX
#undef TO_WY
	*f = nf;
	/* size_px stays in the pixels analysed: the finer ones. */
	if (f->size_px >= e->opt.min_face_px) {
		if (idx == a->primary)
			figure_set(&a->face_size, f->size_px,
			    e->opt.min_face_px, 1, NULL);
		if (idx == a->primary || a->card_portrait < 0 ||
		    a->faces[a->primary].size_px >= e->opt.min_face_px)
			reason_remove(a, IMAGING_REASON_FACE_TOO_SMALL);
	}
	return (0);
}

static void
reason_remove(struct imaging_analysis *a, const char *reason)
{
	int	i, j;

	for (i = 0; i < a->nreasons; i++) {
		if (strcmp(a->reasons[i], reason) != 0)
			continue;
		for (j = i + 1; j < a->nreasons; j++)
			a->reasons[j - 1] = a->reasons[j];
		a->nreasons--;
		return;
	}
}

/* Height of the quad's bounding box. */
static float
quad_height(const float *q)
{
	float	lo, hi;
	int	i;

	lo = hi = q[1];
	for (i = 1; i < 4; i++) {
		lo = fminf(lo, q[2 * i + 1]);
		hi = fmaxf(hi, q[2 * i + 1]);
	}
	return (hi - lo);
}

/* Is (x, y) inside the convex quad q (4 corners, either winding)? */
static int
inside_quad(const float *q, float x, float y)
{
	float	cr;
	int	i, j, pos, neg;

	pos = neg = 0;
	for (i = 0; i < 4; i++) {
		j = (i + 1) % 4;
		cr = (q[2 * j] - q[2 * i]) * (y - q[2 * i + 1]) -
		    (q[2 * j + 1] - q[2 * i + 1]) * (x - q[2 * i]);
		if (cr > 0)
			pos++;
		else if (cr < 0)
			neg++;
	}
	return (pos == 0 || neg == 0);
}

static double
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/* This thread's CPU time, in milliseconds. */
static double
cpu_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static void
figure_set(struct imaging_figure *fg, double value, double limit, int pass,
    const char *reason)
{
	fg->measured = 1;
	fg->value = value;
	fg->limit = limit;
	fg->pass = pass != 0;
	fg->reason = pass ? NULL : reason;
}

static void
reason_add(struct imaging_analysis *a, const char *reason)
{
	int	i;

	if (reason == NULL)
		return;
	for (i = 0; i < a->nreasons; i++)
		if (strcmp(a->reasons[i], reason) == 0)
			return;
	if (a->nreasons < IMAGING_MAX_REASONS)
		a->reasons[a->nreasons++] = reason;
}

/* Append to a growing JSON buffer; on failure remember it and stop. */
static void
jprintf(struct jbuf *j, const char *fmt, ...)
{
	va_list	 ap;
	char	*np;
	size_t	 ncap;
	int	 n;

	if (j->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(j->p == NULL ? NULL : j->p + j->len,
		    j->p == NULL ? 0 : j->cap - j->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			j->failed = 1;
			return;
		}
		if (j->p != NULL && (size_t)n < j->cap - j->len) {
			j->len += (size_t)n;
			return;
		}
		ncap = j->cap == 0 ? 4096 : j->cap * 2;
		while (ncap - j->len <= (size_t)n)
			ncap *= 2;
		/* An analysis renders to a few KB; 1 MB means a bug. */
		if (ncap > (1u << 20) || (np = realloc(j->p, ncap)) == NULL) {
			j->failed = 1;
			return;
		}
		j->p = np;
		j->cap = ncap;
	}
}

/* A JSON string: our strings are codes and messages, escape the rest. */
static void
jstr(struct jbuf *j, const char *s)
{
	const unsigned char	*p;

	if (s == NULL) {
		jprintf(j, "null");
		return;
	}
	jprintf(j, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			jprintf(j, "\\%c", *p);
		else if (*p < 0x20)
			jprintf(j, "\\u%04x", *p);
		else
			jprintf(j, "%c", *p);
	}
	jprintf(j, "\"");
}

static void
jfigure(struct jbuf *j, const char *name, const struct imaging_figure *f,
    int with_limit)
{
	jprintf(j, "\"%s\":", name);
	if (!f->measured) {
		jprintf(j, "{\"measured\":false}");
		return;
	}
	/* JSON has no NaN or infinity: a non-finite figure is null. */
	if (isfinite(f->value))
		jprintf(j, "{\"measured\":true,\"value\":%.4g", f->value);
	else
		jprintf(j, "{\"measured\":true,\"value\":null");
	if (with_limit)
		jprintf(j, ",\"limit\":%.4g,\"pass\":%s,\"reason\":",
		    f->limit, f->pass ? "true" : "false");
	if (with_limit)
		jstr(j, f->reason);
	jprintf(j, "}");
}

static void
jface(struct jbuf *j, const struct imaging_face *f)
{
	int	k;

	jprintf(j, "{\"box\":[%.1f,%.1f,%.1f,%.1f],\"score\":%.4f,"
	    "\"size_px\":%.1f,\"landmarks\":[", f->box[0], f->box[1],
	    f->box[2], f->box[3], f->score, f->size_px);
	for (k = 0; k < 10; k++)
		jprintf(j, "%s%.1f", k ? "," : "", f->landmarks[k]);
	jprintf(j, "],\"embedded\":%s,", f->has_embedding ? "true" : "false");
	jfigure(j, "liveness", &f->liveness, 0);
	jprintf(j, ",\"pose_source\":");
	jstr(j, f->pose_source);
	jprintf(j, ",");
	jfigure(j, "yaw", &f->yaw, 1);
	jprintf(j, ",");
	jfigure(j, "pitch", &f->pitch, 1);
	jprintf(j, ",");
	jfigure(j, "roll", &f->roll, 1);
	jprintf(j, ",");
	jfigure(j, "eyes_open", &f->eyes_open, 1);
	jprintf(j, ",");
	jfigure(j, "sharpness", &f->sharpness, 1);
	jprintf(j, "}");
}

static void
janalysis(struct jbuf *j, const struct imaging_analysis *a)
{
	const struct imaging_card_summary	*c = &a->card;
	int					 i;

	jprintf(j, "{\"side\":\"%s\",\"error\":", imaging_side_name(a->side));
	if (a->error != IMAGING_OK) {
		jstr(j, imaging_err_code(a->error));
		jprintf(j, ",\"error_message\":");
		jstr(j, a->error_msg);
		jprintf(j, "}");
		return;
	}
	jprintf(j, "null,\"width\":%d,\"height\":%d,\"work_width\":%d,"
	    "\"work_height\":%d,\"orientation\":%d,\"faces\":[", a->width,
	    a->height, a->work_width, a->work_height, a->orientation);
	for (i = 0; i < a->nfaces; i++) {
		if (i > 0)
			jprintf(j, ",");
		jface(j, &a->faces[i]);
	}
	jprintf(j, "],\"primary\":%d,\"card_portrait\":%d,",
	    a->primary, a->card_portrait);
	jfigure(j, "live_vs_portrait", &a->live_vs_portrait, 0);
	jprintf(j, ",\"quality\":{");
	jfigure(j, "face_count", &a->face_count, 1);
	jprintf(j, ",");
	jfigure(j, "face_size", &a->face_size, 1);
	jprintf(j, ",");
	jfigure(j, "exposure_mean", &a->exposure_mean, 1);
	jprintf(j, ",");
	jfigure(j, "exposure_dark", &a->exposure_dark, 1);
	jprintf(j, ",");
	jfigure(j, "exposure_bright", &a->exposure_bright, 1);
	jprintf(j, "},\"card\":");
	if (!c->measured)
		jprintf(j, "{\"measured\":false}");
	else {
		jprintf(j, "{\"measured\":true,\"found\":%s,\"side\":",
		    c->found ? "true" : "false");
		jstr(j, c->side);
		jprintf(j, ",\"side_confidence\":%.3f,\"quad\":[",
		    c->side_confidence);
		for (i = 0; i < 8; i++)
			jprintf(j, "%s%.1f", i ? "," : "", c->quad[i]);
		jprintf(j, "],");
		jfigure(j, "area", &c->area, 1);
		jprintf(j, ",");
		jfigure(j, "margin", &c->margin, 1);
		jprintf(j, ",");
		jfigure(j, "glare", &c->glare, 1);
		jprintf(j, ",");
		jfigure(j, "sharpness", &c->sharpness, 1);
		jprintf(j, ",");
		jfigure(j, "cards", &c->cards, 1);
		jprintf(j, ",");
		jfigure(j, "side_check", &c->side_check, 1);
		/* Never the number itself: logs and JSON see it masked. */
		jprintf(j, ",\"number\":");
		jstr(j, c->number_read ? c->number_masked : NULL);
		jprintf(j, ",\"number_check_ok\":%s,\"validity\":",
		    c->number_check_ok ? "true" : "false");
		if (c->validity_read) {
			jprintf(j, "{\"from\":");
			jstr(j, c->valid_from);
			jprintf(j, ",\"to\":");
			jstr(j, c->valid_to);
			jprintf(j, ",\"long_term\":%s}",
			    c->valid_long_term ? "true" : "false");
		} else
			jprintf(j, "null");
		jprintf(j, "}");
	}
	jprintf(j, ",\"reasons\":[");
	for (i = 0; i < a->nreasons; i++) {
		if (i > 0)
			jprintf(j, ",");
		jstr(j, a->reasons[i]);
	}
	jprintf(j, "],\"timing_ms\":{\"decode\":%.2f,\"faces\":%.2f,"
	    "\"card\":%.2f}}", a->decode_ms, a->faces_ms, a->card_ms);
}
