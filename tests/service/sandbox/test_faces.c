/*
 * Sandbox face similarity: the calibration, and real photos of the faces
 * set (same person above the pass mark, another person below it).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faces.h"

static char *
slurp(const char *name, size_t *len)
{
	const char	*data;
	char		 path[512], *buf;
	FILE		*fp;
	long		 n;

	if ((data = getenv("REALNAME_SHARED_DATA")) == NULL)
		data = "../shared/data";
	(void)snprintf(path, sizeof(path), "%s/faces/%s", data, name);
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((n = ftell(fp)) > 0);
	assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
	assert_non_null(buf = malloc((size_t)n));
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	(void)fclose(fp);
	*len = (size_t)n;
	return (buf);
}

static void
test_faces_calibration_maps_threshold_to_the_pass_mark(void **state)
{
	(void)state;
	assert_true(sbx_similarity_from_cosine(0.42, 0.42) == SBX_FACE_PASS);
	assert_true(sbx_similarity_from_cosine(0.419, 0.42) < SBX_FACE_PASS);
	assert_true(sbx_similarity_from_cosine(0.421, 0.42) > SBX_FACE_PASS);
	assert_true(sbx_similarity_from_cosine(1.0, 0.42) == 100.0);
	assert_true(sbx_similarity_from_cosine(0.0, 0.42) == 0.0);
	assert_true(sbx_similarity_from_cosine(-0.3, 0.42) == 0.0);
	assert_true(sbx_similarity_from_cosine(0.5, 0.0) == 0.0);
	assert_true(sbx_similarity_from_cosine(0.2, 0.42) <
	    sbx_similarity_from_cosine(0.3, 0.42));
}

/* identities.csv: img1, img2 are id00; img3 is another person (id01). */
static void
test_faces_same_person_passes_another_does_not(void **state)
{
	struct sbx_faces	*f;
	const char		*models;
	char			 reg[512], err[256], *img;
	size_t			 len;
	double			 same, other;
	int			 which;

	(void)state;
	if ((models = getenv("REALNAME_MODELS")) == NULL)
		models = "assets/models";
	f = sbx_faces_new(models, 2, err, sizeof(err));
	if (f == NULL)
		fprintf(stderr, "# %s\n", err);
	assert_non_null(f);
	(void)snprintf(reg, sizeof(reg), "%s/faces/img1.jpg",
	    getenv("REALNAME_SHARED_DATA") != NULL ?
	    getenv("REALNAME_SHARED_DATA") : "../shared/data");

	img = slurp("img2.jpg", &len);
	assert_int_equal(sbx_faces_compare(f, 0, reg, img, len, &same,
	    &which, err, sizeof(err)), 0);
	free(img);
	img = slurp("img3.jpg", &len);
	assert_int_equal(sbx_faces_compare(f, 0, reg, img, len, &other,
	    &which, err, sizeof(err)), 0);
	free(img);
	print_message("# similarity same %.1f other %.1f\n", same, other);
	assert_true(same >= SBX_FACE_PASS);
	assert_true(other < SBX_FACE_PASS);

	/* Not a photo: the portrait is the unusable one. */
	assert_int_equal(sbx_faces_compare(f, 0, reg, "not a jpeg", 10,
	    &other, &which, err, sizeof(err)), -1);
	assert_int_equal(which, 0);
	/* A registry photo that does not exist. */
	assert_int_equal(sbx_faces_compare(f, 1, "/nonexistent.jpg", "x", 1,
	    &other, &which, err, sizeof(err)), -1);
	assert_int_equal(which, 1);
	sbx_faces_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_faces_calibration_maps_threshold_to_the_pass_mark),
		cmocka_unit_test(
		    test_faces_same_person_passes_another_does_not),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
