/*
 * The engine with the real models on photos from ../shared/data/faces:
 * detection, matching, EXIF orientation, the face quality reasons and
 * the typed errors.  Needs $REALNAME_MODELS and $REALNAME_SHARED_DATA.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "craft.h"
#include "decode.h"
#include "imaging.h"

static struct imaging_engine	*engine;

static const char *
models_dir(void)
{
	const char	*m = getenv("REALNAME_MODELS");

	return (m != NULL ? m : "assets/models");
}

static int
setup(void **state)
{
	struct imaging_options	o;
	struct imaging_error	err;

	(void)state;
	/* The face part alone: the card part has its own tests. */
	imaging_options_default(&o);
	o.card = 0;
	engine = imaging_engine_new(models_dir(), &o, &err);
	if (engine == NULL) {
		fprintf(stderr, "engine: %s\n", err.msg);
		return (-1);
	}
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	imaging_engine_free(engine);
	return (0);
}

/* Decode faces/<name> upright at up to `long_side` into a new image. */
static void
load_photo(const char *name, int long_side, struct imaging_image *out)
{
	struct imaging_limits	 lim;
	struct imaging_decoder	*dec;
	struct imaging_image	 img;
	char			 rel[128], path[1024];
	uint8_t			*buf;
	size_t			 len;

	(void)snprintf(rel, sizeof(rel), "faces/%s", name);
	craft_shared_path(rel, path, sizeof(path));
	assert_int_equal(craft_read_file(path, &buf, &len), 0);
	imaging_limits_default(&lim);
	assert_non_null(dec = imaging_decoder_new(&lim));
	assert_int_equal(imaging_decode(dec, buf, len, long_side, &img, NULL),
	    0);
	assert_int_equal(craft_image_copy(&img, out), 0);
	imaging_decoder_free(dec);
	free(buf);
}

static struct imaging_analysis *
analyse_file(enum imaging_side side, const char *name)
{
	struct imaging_analysis	*a;
	char			 rel[128], path[1024];
	uint8_t			*buf;
	size_t			 len;

	(void)snprintf(rel, sizeof(rel), "faces/%s", name);
	craft_shared_path(rel, path, sizeof(path));
	assert_int_equal(craft_read_file(path, &buf, &len), 0);
	a = imaging_analyse(engine, side, buf, len);
	free(buf);
	assert_non_null(a);
	assert_int_equal(a->error, IMAGING_OK);
	return (a);
}

/*
 * Area-average `src` by `scale` (< 1) and paste it with its top-left at
 * (x0, y0) into `dst`, clipped.
 */
static void
paste_scaled(const struct imaging_image *src, double scale,
    struct imaging_image *dst, int x0, int y0)
{
	int	w, h, x, y, sx, sy, sx0, sx1, sy0, sy1, c, n;
	double	sum[3];

	w = (int)(src->width * scale);
	h = (int)(src->height * scale);
	for (y = 0; y < h; y++) {
		if (y0 + y < 0 || y0 + y >= dst->height)
			continue;
		sy0 = (int)(y / scale);
		sy1 = (int)((y + 1) / scale);
		if (sy1 > src->height)
			sy1 = src->height;
		for (x = 0; x < w; x++) {
			if (x0 + x < 0 || x0 + x >= dst->width)
				continue;
			sx0 = (int)(x / scale);
			sx1 = (int)((x + 1) / scale);
			if (sx1 > src->width)
				sx1 = src->width;
			sum[0] = sum[1] = sum[2] = 0;
			n = 0;
			for (sy = sy0; sy < sy1; sy++)
				for (sx = sx0; sx < sx1; sx++, n++)
					for (c = 0; c < 3; c++)
						sum[c] += src->pixels[(size_t)sy *
						    src->stride + 3 * sx + c];
			for (c = 0; c < 3 && n > 0; c++)
				dst->pixels[(size_t)(y0 + y) * dst->stride +
				    3 * (x0 + x) + c] = (uint8_t)(sum[c] / n);
		}
	}
}

/* Rotate `src` by `deg` (counter-clockwise on screen) about its centre
 * into a new image of the same size, nearest neighbour, grey outside. */
static void
rotate_copy(const struct imaging_image *src, double deg,
    struct imaging_image *dst)
{
	double	c, s, cx, cy, u, v;
	int	x, y, sx, sy;

	assert_int_equal(craft_image_alloc(dst, src->width, src->height), 0);
	c = cos(deg * M_PI / 180);
	s = sin(deg * M_PI / 180);
	cx = src->width / 2.0;
	cy = src->height / 2.0;
	for (y = 0; y < dst->height; y++) {
		for (x = 0; x < dst->width; x++) {
			/* Inverse map: screen CCW by deg, y pointing down. */
			u = c * (x - cx) - s * (y - cy) + cx;
			v = s * (x - cx) + c * (y - cy) + cy;
			sx = (int)u;
			sy = (int)v;
			if (sx < 0 || sy < 0 || sx >= src->width ||
			    sy >= src->height)
				memset(dst->pixels + (size_t)y * dst->stride +
				    3 * x, 128, 3);
			else
				memcpy(dst->pixels + (size_t)y * dst->stride +
				    3 * x, src->pixels + (size_t)sy *
				    src->stride + 3 * sx, 3);
		}
	}
}

/* Three passes of a (2r+1) box blur, horizontal then vertical. */
static void
blur(struct imaging_image *img, int r)
{
	uint8_t	*row;
	int	 pass, x, y, c, k, n, sum, len;

	len = img->width > img->height ? img->width : img->height;
	assert_non_null(row = malloc((size_t)len * 3));
	for (pass = 0; pass < 6; pass++) {
		int horiz = pass % 2 == 0;
		int lines = horiz ? img->height : img->width;
		int cnt = horiz ? img->width : img->height;

		for (y = 0; y < lines; y++) {
			for (x = 0; x < cnt; x++)
				for (c = 0; c < 3; c++) {
					sum = n = 0;
					for (k = x - r; k <= x + r; k++) {
						if (k < 0 || k >= cnt)
							continue;
						sum += horiz ? img->pixels[(size_t)y *
						    img->stride + 3 * k + c] :
						    img->pixels[(size_t)k *
						    img->stride + 3 * y + c];
						n++;
					}
					row[3 * x + c] = (uint8_t)(sum / n);
				}
			for (x = 0; x < cnt; x++)
				memcpy(horiz ? img->pixels + (size_t)y *
				    img->stride + 3 * x : img->pixels +
				    (size_t)x * img->stride + 3 * y,
				    row + 3 * x, 3);
		}
	}
	free(row);
}

/* Every pixel value v becomes v * num / den, clipped. */
static void
scale_levels(struct imaging_image *img, int num, int den)
{
	size_t	i, n;
	int	v;

	n = (size_t)img->stride * img->height;
	for (i = 0; i < n; i++) {
		v = img->pixels[i] * num / den;
		img->pixels[i] = (uint8_t)(v > 255 ? 255 : v);
	}
}

static int
has_reason(const struct imaging_analysis *a, const char *reason)
{
	int	i;

	for (i = 0; i < a->nreasons; i++)
		if (strcmp(a->reasons[i], reason) == 0)
			return (1);
	return (0);
}

static void
test_engine_rejects_missing_models_dir(void **state)
{
	struct imaging_error	 err;
	struct imaging_engine	*e;

	(void)state;
	e = imaging_engine_new("/nonexistent/realname-models", NULL, &err);
	assert_null(e);
	assert_int_equal(err.code, IMAGING_ERR_MODEL);
	assert_string_equal(imaging_err_code(err.code), "model_error");
	assert_non_null(strstr(err.msg, "fr_detect.onnx"));
}

static void
test_engine_detects_exactly_one_face_on_portraits(void **state)
{
	/* Photos of the set that hold one person each. */
	static const char	*names[] = { "img1.jpg", "img3.jpg",
	    "img8.jpg", "img13.jpg", "img22.jpg", "img29.jpg" };
	struct imaging_analysis	*a;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		a = analyse_file(IMAGING_SIDE_FACE, names[i]);
		assert_int_equal(a->nfaces, 1);
		assert_int_equal(a->primary, 0);
		assert_true(a->faces[0].score >= 0.65f);
		assert_true(a->faces[0].has_embedding);
		/* The box lies inside the photo's own pixels. */
		assert_true(a->faces[0].box[0] >= 0 &&
		    a->faces[0].box[2] <= a->width);
		assert_true(a->faces[0].box[1] >= 0 &&
		    a->faces[0].box[3] <= a->height);
		imaging_analysis_free(a);
	}
}

static void
test_engine_same_person_scores_well_above_different_person(void **state)
{
	struct imaging_analysis		*a, *b, *c;
	struct imaging_comparison	 same, other;

	(void)state;
	/* img1 and img2 show one person, img3 another (identities.csv). */
	a = analyse_file(IMAGING_SIDE_FACE, "img1.jpg");
	b = analyse_file(IMAGING_SIDE_FACE, "img2.jpg");
	c = analyse_file(IMAGING_SIDE_FACE, "img3.jpg");
	assert_int_equal(imaging_compare(engine, a, b, &same), 0);
	assert_int_equal(imaging_compare(engine, a, c, &other), 0);
	assert_true(same.score > other.score + 0.3f);
	assert_true(same.match);
	assert_false(other.match);
	assert_true(fabsf(imaging_face_score(&a->faces[0], &a->faces[0]) -
	    1) < 1e-5f);
	imaging_analysis_free(a);
	imaging_analysis_free(b);
	imaging_analysis_free(c);
}

static void
test_engine_finds_face_upright_in_all_exif_orientations(void **state)
{
	struct imaging_image	 up;
	struct imaging_analysis	*a, *ref;
	const struct imaging_face *f;
	uint8_t			*jpg;
	size_t			 len;
	int			 o;

	(void)state;
	load_photo("img8.jpg", 0, &up);
	ref = NULL;
	for (o = 1; o <= 8; o++) {
		assert_int_equal(craft_jpeg_oriented(&up, o, 92, &jpg, &len),
		    0);
		a = imaging_analyse(engine, IMAGING_SIDE_FACE, jpg, len);
		free(jpg);
		assert_non_null(a);
		assert_int_equal(a->error, IMAGING_OK);
		assert_int_equal(a->orientation, o);
		assert_int_equal(a->width, up.width);
		assert_int_equal(a->height, up.height);
		assert_int_equal(a->nfaces, 1);
		f = &a->faces[0];
		assert_true(f->score >= 0.65f);
		/* Upright and not mirrored: eyes above the mouth, image-left
		 * eye on the left. */
		assert_true(f->landmarks[1] < f->landmarks[7]);
		assert_true(f->landmarks[3] < f->landmarks[9]);
		assert_true(f->landmarks[0] < f->landmarks[2]);
		assert_true(fabs(f->roll.value) < 15);
		if (ref == NULL)
			ref = a;
		else {
			assert_true(imaging_face_score(&ref->faces[0], f) >
			    0.9f);
			imaging_analysis_free(a);
		}
	}
	imaging_analysis_free(ref);
	craft_image_free(&up);
}

static void
test_engine_flags_no_face_on_blank_image(void **state)
{
	struct imaging_image	 blank;
	struct imaging_analysis	*a;

	(void)state;
	assert_int_equal(craft_image_alloc(&blank, 640, 480), 0);
	memset(blank.pixels, 128, (size_t)blank.stride * blank.height);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &blank));
	assert_int_equal(a->nfaces, 0);
	assert_int_equal(a->primary, -1);
	assert_true(has_reason(a, IMAGING_REASON_NO_FACE));
	assert_false(has_reason(a, IMAGING_REASON_TOO_MANY_FACES));
	imaging_analysis_free(a);
	craft_image_free(&blank);
}

static void
test_engine_flags_face_too_small_on_shrunk_face(void **state)
{
	struct imaging_image	 src, canvas;
	struct imaging_analysis	*a;
	double			 scale;

	(void)state;
	load_photo("img1.jpg", 1600, &src);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &src));
	assert_int_equal(a->nfaces, 1);
	/* Shrink so that the face is about 30 px high. */
	scale = 30.0 / a->faces[0].size_px;
	imaging_analysis_free(a);

	assert_int_equal(craft_image_alloc(&canvas, 320, 240), 0);
	memset(canvas.pixels, 128, (size_t)canvas.stride * canvas.height);
	paste_scaled(&src, scale, &canvas, 130, 60);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &canvas));
	assert_int_equal(a->nfaces, 1);
	assert_true(a->faces[0].size_px < 40);
	assert_true(has_reason(a, IMAGING_REASON_FACE_TOO_SMALL));
	assert_false(has_reason(a, IMAGING_REASON_NO_FACE));
	assert_false(a->face_size.pass);
	imaging_analysis_free(a);
	craft_image_free(&canvas);
	craft_image_free(&src);
}

static void
test_engine_flags_too_many_faces_side_by_side(void **state)
{
	struct imaging_image	 left, right, canvas;
	struct imaging_analysis	*a;

	(void)state;
	load_photo("img1.jpg", 1600, &left);
	load_photo("img3.jpg", 1600, &right);
	assert_int_equal(craft_image_alloc(&canvas, 1200, 600), 0);
	memset(canvas.pixels, 128, (size_t)canvas.stride * canvas.height);
	paste_scaled(&left, 580.0 / left.height, &canvas, 50, 10);
	paste_scaled(&right, 580.0 / right.height, &canvas, 650, 10);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &canvas));
	assert_int_equal(a->nfaces, 2);
	assert_true(has_reason(a, IMAGING_REASON_TOO_MANY_FACES));
	assert_false(has_reason(a, IMAGING_REASON_NO_FACE));
	imaging_analysis_free(a);

	/* A holding selfie expects two faces: no reason then. */
	assert_non_null(a = imaging_analyse_image(engine,
	    IMAGING_SIDE_HOLDING, &canvas));
	assert_false(has_reason(a, IMAGING_REASON_TOO_MANY_FACES));
	/*
	 * Without a card outline the larger face is the live one and the
	 * smaller the portrait.  (With one, the card part decides; with no
	 * face left outside the card, no_face is raised for the live face.)
	 */
	if (!a->card.measured || !a->card.found)
		assert_true(a->primary >= 0 && a->card_portrait >= 0 &&
		    a->card_portrait != a->primary);
	else
		assert_true(a->primary >= 0 ||
		    has_reason(a, IMAGING_REASON_NO_FACE));
	imaging_analysis_free(a);
	craft_image_free(&canvas);
	craft_image_free(&left);
	craft_image_free(&right);
}

static void
test_engine_raises_no_reason_on_clean_photo(void **state)
{
	struct imaging_analysis	*a;
	char			*json;

	(void)state;
	a = analyse_file(IMAGING_SIDE_FACE, "img1.jpg");
	assert_int_equal(a->nreasons, 0);
	assert_true(a->face_count.pass && a->face_size.pass);
	assert_true(a->faces[0].sharpness.measured &&
	    a->faces[0].sharpness.pass);
	assert_true(a->faces[0].liveness.measured);
	/* Card figures are reported as not measured, never faked. */
	assert_int_equal(a->card.measured, 0);
	assert_non_null(json = imaging_analysis_json(a));
	assert_non_null(strstr(json, "\"reasons\":[]"));
	assert_non_null(strstr(json, "\"card\":{\"measured\":false}"));
	free(json);
	imaging_analysis_free(a);
}

static void
test_engine_reports_rejected_photo_with_typed_code(void **state)
{
	static const uint8_t	 gif[] = "GIF89a\x01\x00\x01\x00";
	struct imaging_analysis	*a;
	char			*json;

	(void)state;
	assert_non_null(a = imaging_analyse(engine, IMAGING_SIDE_FRONT, gif,
	    sizeof(gif) - 1));
	assert_int_equal(a->error, IMAGING_ERR_FORMAT);
	assert_int_equal(a->nfaces, 0);
	assert_non_null(json = imaging_analysis_json(a));
	assert_non_null(strstr(json, "\"error\":\"image_format\""));
	free(json);
	imaging_analysis_free(a);
	assert_non_null(a = imaging_analyse(engine, IMAGING_SIDE_FACE, gif,
	    0));
	assert_int_equal(a->error, IMAGING_ERR_EMPTY);
	imaging_analysis_free(a);
}

static void
test_engine_flags_head_pose_on_tilted_head(void **state)
{
	struct imaging_image	 src, rot;
	struct imaging_analysis	*a;

	(void)state;
	load_photo("img1.jpg", 800, &src);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &src));
	assert_false(has_reason(a, IMAGING_REASON_HEAD_POSE));
	imaging_analysis_free(a);

	/* 40 degrees on screen is past the 30 degree roll limit. */
	rotate_copy(&src, 40, &rot);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &rot));
	assert_int_equal(a->nfaces, 1);
	assert_true(fabs(fabs(a->faces[0].roll.value) - 40) < 10);
	assert_true(has_reason(a, IMAGING_REASON_HEAD_POSE));
	imaging_analysis_free(a);
	craft_image_free(&rot);
	craft_image_free(&src);
}

static void
test_engine_flags_blurry_face(void **state)
{
	struct imaging_image	 src;
	struct imaging_analysis	*a;
	double			 sharp;

	(void)state;
	load_photo("img8.jpg", 640, &src);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &src));
	assert_false(has_reason(a, IMAGING_REASON_FACE_BLURRY));
	sharp = a->faces[0].sharpness.value;
	imaging_analysis_free(a);

	/* Out of focus: a blur of a few pixels on a ~370 px face. */
	blur(&src, 4);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &src));
	assert_int_equal(a->nfaces, 1);
	assert_true(a->faces[0].sharpness.value < sharp / 4);
	assert_true(has_reason(a, IMAGING_REASON_FACE_BLURRY));
	imaging_analysis_free(a);
	craft_image_free(&src);
}

static void
test_engine_flags_dark_and_bright_exposure(void **state)
{
	struct imaging_image	 src, dark, bright;
	struct imaging_analysis	*a;

	(void)state;
	load_photo("img3.jpg", 800, &src);
	assert_int_equal(craft_image_copy(&src, &dark), 0);
	assert_int_equal(craft_image_copy(&src, &bright), 0);
	scale_levels(&dark, 1, 5);
	scale_levels(&bright, 3, 1);

	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &src));
	assert_false(has_reason(a, IMAGING_REASON_TOO_DARK));
	assert_false(has_reason(a, IMAGING_REASON_TOO_BRIGHT));
	imaging_analysis_free(a);

	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &dark));
	assert_true(has_reason(a, IMAGING_REASON_TOO_DARK));
	assert_false(has_reason(a, IMAGING_REASON_TOO_BRIGHT));
	imaging_analysis_free(a);

	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &bright));
	assert_true(has_reason(a, IMAGING_REASON_TOO_BRIGHT));
	assert_false(has_reason(a, IMAGING_REASON_TOO_DARK));
	imaging_analysis_free(a);
	craft_image_free(&src);
	craft_image_free(&dark);
	craft_image_free(&bright);
}

static void
test_engine_reads_eyes_only_with_the_eye_model(void **state)
{
	struct imaging_options	 o;
	struct imaging_engine	*e;
	struct imaging_image	 src;
	struct imaging_analysis	*a;

	(void)state;
	load_photo("img1.jpg", 800, &src);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &src));
	assert_false(a->faces[0].eyes_open.measured);
	assert_string_equal(a->faces[0].pose_source, "landmarks");
	imaging_analysis_free(a);

	imaging_options_default(&o);
	o.optional_models = IMAGING_MODEL_EYE | IMAGING_MODEL_POSE;
	assert_non_null(e = imaging_engine_new(models_dir(), &o, NULL));
	assert_non_null(a = imaging_analyse_image(e, IMAGING_SIDE_FACE,
	    &src));
	assert_true(a->faces[0].eyes_open.measured);
	assert_true(a->faces[0].eyes_open.pass);
	assert_string_equal(a->faces[0].pose_source, "model");
	assert_true(fabs(a->faces[0].roll.value) < 15);
	imaging_analysis_free(a);
	imaging_engine_free(e);
	craft_image_free(&src);
}

static void
test_engine_survives_tiny_and_odd_images(void **state)
{
	static const int	 sizes[][2] = { { 1, 1 }, { 2, 3 }, { 7, 1 },
	    { 1, 900 }, { 33, 17 } };
	struct imaging_image	 img;
	struct imaging_analysis	*a;
	size_t			 i;
	char			*json;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(craft_image_alloc(&img, sizes[i][0],
		    sizes[i][1]), 0);
		memset(img.pixels, (int)(i * 60), (size_t)img.stride *
		    img.height);
		assert_non_null(a = imaging_analyse_image(engine,
		    IMAGING_SIDE_FACE, &img));
		assert_int_equal(a->nfaces, 0);
		assert_true(has_reason(a, IMAGING_REASON_NO_FACE));
		assert_non_null(json = imaging_analysis_json(a));
		free(json);
		imaging_analysis_free(a);
		craft_image_free(&img);
	}
}

struct worker {
	const uint8_t	*jpg;
	size_t		 len;
	float		 emb[IMAGING_EMBED_DIM];
	int		 ok;
};

static void *
worker_run(void *arg)
{
	struct worker		*w = arg;
	struct imaging_options	 o;
	struct imaging_engine	*e;
	struct imaging_analysis	*a;
	int			 i;

	imaging_options_default(&o);
	o.card = 0;
	if ((e = imaging_engine_new(models_dir(), &o, NULL)) == NULL)
		return (NULL);
	for (i = 0; i < 3; i++) {
		a = imaging_analyse(e, IMAGING_SIDE_FACE, w->jpg, w->len);
		if (a == NULL || a->nfaces != 1 || !a->faces[0].has_embedding) {
			imaging_analysis_free(a);
			break;
		}
		memcpy(w->emb, a->faces[0].embedding, sizeof(w->emb));
		imaging_analysis_free(a);
	}
	w->ok = i == 3;
	imaging_engine_free(e);
	return (NULL);
}

static void
test_engine_one_per_thread_gives_the_same_answer(void **state)
{
	struct worker		 w[2];
	struct imaging_analysis	*a;
	struct imaging_face	 f;
	pthread_t		 t[2];
	char			 path[1024];
	uint8_t			*buf;
	size_t			 len;
	int			 i;

	(void)state;
	craft_shared_path("faces/img8.jpg", path, sizeof(path));
	assert_int_equal(craft_read_file(path, &buf, &len), 0);
	assert_non_null(a = imaging_analyse(engine, IMAGING_SIDE_FACE, buf,
	    len));
	for (i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].jpg = buf;
		w[i].len = len;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]),
		    0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(w[i].ok);
		memset(&f, 0, sizeof(f));
		f.has_embedding = 1;
		memcpy(f.embedding, w[i].emb, sizeof(f.embedding));
		assert_true(imaging_face_score(&a->faces[0], &f) > 0.9999f);
	}
	imaging_analysis_free(a);
	free(buf);
}

static void
test_engine_ignores_small_background_face(void **state)
{
	struct imaging_image	 front, back, canvas;
	struct imaging_analysis	*a;

	(void)state;
	load_photo("img1.jpg", 1600, &front);
	load_photo("img3.jpg", 1600, &back);
	assert_int_equal(craft_image_alloc(&canvas, 1200, 800), 0);
	memset(canvas.pixels, 128, (size_t)canvas.stride * canvas.height);
	/* The customer, and a passer-by a quarter of the size behind. */
	paste_scaled(&front, 780.0 / front.height, &canvas, 100, 10);
	paste_scaled(&back, 200.0 / back.height, &canvas, 900, 300);
	assert_non_null(a = imaging_analyse_image(engine, IMAGING_SIDE_FACE,
	    &canvas));
	assert_int_equal(a->nfaces, 2);
	assert_int_equal(a->face_count.value, 1);
	assert_false(has_reason(a, IMAGING_REASON_TOO_MANY_FACES));
	assert_true(a->faces[a->primary].size_px > 300);
	imaging_analysis_free(a);
	craft_image_free(&canvas);
	craft_image_free(&front);
	craft_image_free(&back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_rejects_missing_models_dir),
		cmocka_unit_test(
		    test_engine_detects_exactly_one_face_on_portraits),
		cmocka_unit_test(
		    test_engine_same_person_scores_well_above_different_person),
		cmocka_unit_test(
		    test_engine_finds_face_upright_in_all_exif_orientations),
		cmocka_unit_test(test_engine_flags_no_face_on_blank_image),
		cmocka_unit_test(
		    test_engine_flags_face_too_small_on_shrunk_face),
		cmocka_unit_test(test_engine_flags_too_many_faces_side_by_side),
		cmocka_unit_test(test_engine_ignores_small_background_face),
		cmocka_unit_test(test_engine_raises_no_reason_on_clean_photo),
		cmocka_unit_test(
		    test_engine_reports_rejected_photo_with_typed_code),
		cmocka_unit_test(test_engine_flags_head_pose_on_tilted_head),
		cmocka_unit_test(test_engine_flags_blurry_face),
		cmocka_unit_test(test_engine_flags_dark_and_bright_exposure),
		cmocka_unit_test(
		    test_engine_reads_eyes_only_with_the_eye_model),
		cmocka_unit_test(test_engine_survives_tiny_and_odd_images),
		cmocka_unit_test(
		    test_engine_one_per_thread_gives_the_same_answer),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
