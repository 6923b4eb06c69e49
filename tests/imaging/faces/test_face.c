/*
 * The face C layer without models: alignment, scoring, detection
 * post-processing, crops and the pixel figures.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "face.h"

static void
test_face_alignment_maps_reference_to_itself(void **state)
{
	double	m[6];

	(void)state;
	assert_int_equal(face_similarity(face_arcface_ref, face_arcface_ref,
	    5, m), 0);
	assert_true(fabs(m[0] - 1) < 1e-9 && fabs(m[4] - 1) < 1e-9);
	assert_true(fabs(m[1]) < 1e-9 && fabs(m[3]) < 1e-9);
	assert_true(fabs(m[2]) < 1e-6 && fabs(m[5]) < 1e-6);
}

static void
test_face_alignment_undoes_a_known_similarity(void **state)
{
	float	src[10];
	double	m[6], s, c, sn, x, y;
	int	i;

	(void)state;
	/* Photo points: the reference scaled 3x, turned 25 deg, moved. */
	s = 3;
	c = cos(25 * M_PI / 180);
	sn = sin(25 * M_PI / 180);
	for (i = 0; i < 5; i++) {
		x = face_arcface_ref[2 * i];
		y = face_arcface_ref[2 * i + 1];
		src[2 * i] = (float)(s * (c * x - sn * y) + 400);
		src[2 * i + 1] = (float)(s * (sn * x + c * y) + 120);
	}
	assert_int_equal(face_similarity(src, face_arcface_ref, 5, m), 0);
	for (i = 0; i < 5; i++) {
		x = m[0] * src[2 * i] + m[1] * src[2 * i + 1] + m[2];
		y = m[3] * src[2 * i] + m[4] * src[2 * i + 1] + m[5];
		assert_true(fabs(x - face_arcface_ref[2 * i]) < 1e-3);
		assert_true(fabs(y - face_arcface_ref[2 * i + 1]) < 1e-3);
	}
	assert_true(fabs(hypot(m[0], m[3]) - 1 / s) < 1e-6);
}

static void
test_face_alignment_refuses_coincident_points(void **state)
{
	float	src[10];
	double	m[6];
	int	i;

	(void)state;
	for (i = 0; i < 10; i++)
		src[i] = 7;
	assert_int_equal(face_similarity(src, face_arcface_ref, 5, m), -1);
}

static void
test_face_cosine_of_identical_embeddings_is_one(void **state)
{
	float	a[FACE_CV_EMBED_DIM], b[FACE_CV_EMBED_DIM];
	int	i;

	(void)state;
	for (i = 0; i < FACE_CV_EMBED_DIM; i++) {
		a[i] = (float)sin(i * 0.37) * 3;
		b[i] = -a[i];
	}
	assert_true(fabsf(face_cosine(a, a, FACE_CV_EMBED_DIM) - 1) < 1e-6f);
	assert_true(fabsf(face_cosine(a, b, FACE_CV_EMBED_DIM) + 1) < 1e-6f);
	face_l2_normalise(a, FACE_CV_EMBED_DIM);
	assert_true(fabsf(face_cosine(a, a, FACE_CV_EMBED_DIM) - 1) < 1e-6f);
	memset(b, 0, sizeof(b));
	assert_true(face_cosine(a, b, FACE_CV_EMBED_DIM) == 0);
}

static void
test_face_detect_post_keeps_best_of_overlaps_and_drops_weak(void **state)
{
	/* Two overlapping boxes on one face, one apart, one too weak. */
	float		 scores[4] = { 0.80f, 0.95f, 0.70f, 0.60f };
	float		 boxes[16] = {
		0.10f, 0.10f, 0.30f, 0.40f,
		0.11f, 0.11f, 0.31f, 0.41f,
		0.60f, 0.20f, 0.80f, 0.50f,
		0.40f, 0.40f, 0.50f, 0.50f,
	};
	struct face_box	 out[4];
	int		 order[4], n;

	(void)state;
	n = face_detect_post(scores, boxes, 4, 640, 480, FACE_MIN_SCORE,
	    FACE_NMS_IOU, order, out, 4);
	assert_int_equal(n, 2);
	assert_true(fabsf(out[0].score - 0.95f) < 1e-6f);
	assert_true(fabsf(out[0].x1 - 0.11f * 640) < 1e-3f);
	assert_true(fabsf(out[0].y2 - 0.41f * 480) < 1e-3f);
	assert_true(fabsf(out[1].score - 0.70f) < 1e-6f);
}

static void
test_face_detect_post_clips_to_the_image(void **state)
{
	float		 scores[1] = { 0.9f };
	float		 boxes[4] = { -0.2f, -0.1f, 1.3f, 0.5f };
	struct face_box	 out[1];
	int		 order[1];

	(void)state;
	assert_int_equal(face_detect_post(scores, boxes, 1, 100, 50, 0.65f,
	    0.4f, order, out, 1), 1);
	assert_true(out[0].x1 == 0 && out[0].y1 == 0);
	assert_true(out[0].x2 == 100 && fabsf(out[0].y2 - 25) < 1e-4f);
}

static void
test_face_crops_stay_inside_the_image(void **state)
{
	struct face_box		b = { 80, 5, 118, 60, 0.9f };
	struct face_cv_rect	r;

	(void)state;
	assert_int_equal(face_landmark_crop(&b, 120, 90, &r), 0);
	assert_int_equal(r.w, 55);
	assert_int_equal(r.h, 55);
	assert_true(r.x >= 0 && r.y >= 0 && r.x + r.w <= 120 &&
	    r.y + r.h <= 90);
	assert_int_equal(face_liveness_crop(&b, 120, 90, FACE_LIVE_SCALE,
	    &r), 0);
	assert_true(r.x >= 0 && r.y >= 0 && r.x + r.w <= 120 &&
	    r.y + r.h <= 90 && r.w == r.h);
	assert_int_equal(face_pose_crop(&b, 120, 90, &r), 0);
	assert_true(r.x >= 0 && r.y >= 0 && r.x + r.w <= 120 &&
	    r.y + r.h <= 90);
}

static void
test_face_softmax_and_pose_bins(void **state)
{
	float	l[FACE_CV_POSE_BINS];
	float	two[2] = { 0, 0 };
	int	i;

	(void)state;
	assert_true(fabsf(face_softmax_at(two, 2, 0) - 0.5f) < 1e-6f);
	/* All mass on bin 33 reads 33 * 3 - 99 = 0 degrees. */
	for (i = 0; i < FACE_CV_POSE_BINS; i++)
		l[i] = i == 33 ? 50.0f : 0.0f;
	assert_true(fabsf(face_pose_angle(l)) < 1e-3f);
}

static void
test_face_pose_from_landmarks_reads_roll(void **state)
{
	float	lm[136], yaw, pitch, roll;
	int	i;

	(void)state;
	/* A symmetric face, then the same face turned 20 degrees. */
	memset(lm, 0, sizeof(lm));
	for (i = 0; i < 68; i++) {
		lm[2 * i] = 50;
		lm[2 * i + 1] = 50;
	}
	lm[0] = 10;		/* jaw left */
	lm[32] = 90;		/* jaw right */
	lm[1] = lm[33] = 45;
	for (i = 36; i <= 41; i++) {
		lm[2 * i] = 30;
		lm[2 * i + 1] = 40;
	}
	for (i = 42; i <= 47; i++) {
		lm[2 * i] = 70;
		lm[2 * i + 1] = 40;
	}
	lm[60] = 50;		/* nose tip, point 30 */
	lm[61] = 60;
	lm[96] = lm[120] = 35;	/* mouth corners 48, 60 */
	lm[97] = lm[121] = 80;
	lm[108] = lm[128] = 65;	/* 54, 64 */
	lm[109] = lm[129] = 80;
	face_pose_from_landmarks(lm, &yaw, &pitch, &roll);
	assert_true(fabsf(yaw) < 1 && fabsf(roll) < 1 && fabsf(pitch) < 5);

	for (i = 0; i < 68; i++) {
		float x = lm[2 * i] - 50, y = lm[2 * i + 1] - 50;
		float c = cosf(20 * (float)M_PI / 180);
		float s = sinf(20 * (float)M_PI / 180);

		lm[2 * i] = 50 + c * x - s * y;
		lm[2 * i + 1] = 50 + s * x + c * y;
	}
	face_pose_from_landmarks(lm, &yaw, &pitch, &roll);
	assert_true(fabsf(roll - 20) < 0.5f);
	assert_true(fabsf(yaw) < 1);
}

static void
test_face_laplacian_and_exposure_figures(void **state)
{
	struct imaging_image	img;
	struct face_cv_rect	r = { 0, 0, 40, 40 };
	uint8_t			px[40 * 40 * 3];
	double			flat, edges, mean, dark, bright;
	int			x, y;

	(void)state;
	img.width = img.height = 40;
	img.stride = 120;
	img.pixels = px;
	memset(px, 128, sizeof(px));
	flat = face_laplacian_var(&img, &r);
	face_exposure(&img, &r, 8, 247, &mean, &dark, &bright);
	assert_true(flat == 0);
	assert_true(fabs(mean - 128) < 1.5 && dark == 0 && bright == 0);

	for (y = 0; y < 40; y++)
		for (x = 0; x < 40; x++)
			memset(px + y * 120 + 3 * x, ((x / 2 + y / 2) & 1) ?
			    255 : 0, 3);
	edges = face_laplacian_var(&img, &r);
	face_exposure(&img, &r, 8, 247, &mean, &dark, &bright);
	assert_true(edges > 1000);
	assert_true(fabs(dark - 0.5) < 0.05 && fabs(bright - 0.5) < 0.05);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_face_alignment_maps_reference_to_itself),
		cmocka_unit_test(test_face_alignment_undoes_a_known_similarity),
		cmocka_unit_test(test_face_alignment_refuses_coincident_points),
		cmocka_unit_test(
		    test_face_cosine_of_identical_embeddings_is_one),
		cmocka_unit_test(
		    test_face_detect_post_keeps_best_of_overlaps_and_drops_weak),
		cmocka_unit_test(test_face_detect_post_clips_to_the_image),
		cmocka_unit_test(test_face_crops_stay_inside_the_image),
		cmocka_unit_test(test_face_softmax_and_pose_bins),
		cmocka_unit_test(test_face_pose_from_landmarks_reads_roll),
		cmocka_unit_test(test_face_laplacian_and_exposure_figures),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
