/*
 * Model checksums: the fetched models pass; a missing or altered file is
 * named in the error.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "models.h"

static char	dir[64];

static void
copy_file(const char *from, const char *to)
{
	FILE	*in, *out;
	char	 buf[65536];
	size_t	 n;

	in = fopen(from, "rb");
	assert_non_null(in);
	out = fopen(to, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/* A private copy of SHA256SUMS and one small model. */
static int
setup_copy(void **state)
{
	const char	*src = getenv("REALNAME_MODELS");
	char		 from[512], to[512];
	FILE		*fp, *out;
	char		 line[512];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rn-models-XXXXXX");
	if (mkdtemp(dir) == NULL || src == NULL)
		return (-1);
	snprintf(from, sizeof(from), "%s/SHA256SUMS", src);
	fp = fopen(from, "r");
	if (fp == NULL)
		return (-1);
	snprintf(to, sizeof(to), "%s/SHA256SUMS", dir);
	if ((out = fopen(to, "w")) == NULL) {
		fclose(fp);
		return (-1);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strstr(line, "fr_landmark.onnx") != NULL)
			fputs(line, out);
	}
	fclose(fp);
	fclose(out);
	snprintf(from, sizeof(from), "%s/fr_landmark.onnx", src);
	snprintf(to, sizeof(to), "%s/fr_landmark.onnx", dir);
	copy_file(from, to);
	return (0);
}

static int
teardown_copy(void **state)
{
	char	path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/fr_landmark.onnx", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/SHA256SUMS", dir);
	unlink(path);
	rmdir(dir);
	return (0);
}

static void
test_models_fetched_set_verifies(void **state)
{
	char	err[512];

	(void)state;
	assert_true(rn_models_verify(getenv("REALNAME_MODELS"), err,
	    sizeof(err)) >= 4);
}

static void
test_models_missing_file_is_named(void **state)
{
	char	err[512], path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/fr_landmark.onnx", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rn_models_verify(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fr_landmark.onnx"));
}

static void
test_models_corrupted_byte_is_named(void **state)
{
	char	 err[512], path[512];
	FILE	*fp;
	int	 c;

	(void)state;
	assert_int_equal(rn_models_verify(dir, err, sizeof(err)), 1);
	snprintf(path, sizeof(path), "%s/fr_landmark.onnx", dir);
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	fseek(fp, 1000, SEEK_SET);
	c = fgetc(fp);
	fseek(fp, 1000, SEEK_SET);
	fputc(c ^ 1, fp);
	fclose(fp);
	assert_int_equal(rn_models_verify(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fr_landmark.onnx"));
	assert_non_null(strstr(err, "mismatch"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models_fetched_set_verifies),
		cmocka_unit_test_setup_teardown(
		    test_models_missing_file_is_named, setup_copy,
		    teardown_copy),
		cmocka_unit_test_setup_teardown(
		    test_models_corrupted_byte_is_named, setup_copy,
		    teardown_copy),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
