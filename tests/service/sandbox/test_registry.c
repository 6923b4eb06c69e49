/*
 * The sandbox registry: the generated file holds what the integration
 * tests rely on, bad files are refused without quoting their content,
 * and each decision comes out as a provider would answer.  Nothing here
 * prints a name or a number.
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

#include "idcheck_provider.h"
#include "idnumber.h"
#include "registry.h"

static char	path[64];

static int
make_registry(void **state)
{
	const char	*data;
	char		 faces[512];
	FILE		*fp;
	int		 fd, n;

	(void)state;
	if ((data = getenv("REALNAME_SHARED_DATA")) == NULL)
		data = "../shared/data";
	(void)snprintf(faces, sizeof(faces), "%s/faces", data);
	(void)snprintf(path, sizeof(path), "/tmp/sbx-registry-XXXXXX");
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return (-1);
	n = sbx_registry_generate(faces, fp);
	if (fclose(fp) != 0 || n <= 0)
		return (-1);
	return (0);
}

static int
remove_registry(void **state)
{
	(void)state;
	(void)unlink(path);
	return (0);
}

static int
load_text(struct sbx_registry *reg, const char *text, char *err,
    size_t errlen)
{
	char	tmp[64];
	FILE	*fp;
	int	fd, ret;

	(void)snprintf(tmp, sizeof(tmp), "/tmp/sbx-bad-XXXXXX");
	assert_true((fd = mkstemp(tmp)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	ret = sbx_registry_load(reg, tmp, err, errlen);
	(void)unlink(tmp);
	return (ret);
}

static void
test_registry_generated_holds_every_case(void **state)
{
	struct sbx_registry	 reg;
	char			 err[SBX_ERR_MAX];
	size_t			 i, j, cancelled, nophoto;
	int			 dot, rare;

	(void)state;
	assert_int_equal(sbx_registry_load(&reg, path, err, sizeof(err)), 0);
	/* 13 identities in the faces set, 2 more without a photo. */
	assert_int_equal(reg.count, 15);
	cancelled = nophoto = 0;
	dot = rare = 0;
	for (i = 0; i < reg.count; i++) {
		assert_int_equal(idnumber_validate(reg.people[i].number, NULL,
		    NULL), IDNUMBER_OK);
		cancelled += reg.people[i].cancelled;
		if (reg.people[i].portrait[0] == '\0')
			nophoto++;
		else
			assert_int_equal(access(reg.people[i].portrait, R_OK),
			    0);
		if (strstr(reg.people[i].name, "\xc2\xb7") != NULL)
			dot = 1;
		if (strstr(reg.people[i].name, "\xf0\xaa\x9a\xa5") != NULL)
			rare = 1;
		for (j = i + 1; j < reg.count; j++)
			assert_true(strcmp(reg.people[i].name,
			    reg.people[j].name) != 0);
	}
	assert_int_equal(cancelled, 1);
	assert_int_equal(nophoto, 2);
	assert_true(dot);
	assert_true(rare);
	sbx_registry_free(&reg);
}

static void
test_registry_decides_like_a_provider(void **state)
{
	struct sbx_registry		 reg;
	struct sbx_decision		 d;
	const struct sbx_person		*valid = NULL, *gone = NULL;
	const struct sbx_person		*nophoto = NULL;
	char				 err[SBX_ERR_MAX], num[SBX_NUMBER_MAX];
	size_t				 i;

	(void)state;
	assert_int_equal(sbx_registry_load(&reg, path, err, sizeof(err)), 0);
	for (i = 0; i < reg.count; i++) {
		if (reg.people[i].cancelled)
			gone = &reg.people[i];
		else if (reg.people[i].portrait[0] == '\0')
			nophoto = &reg.people[i];
		else if (valid == NULL)
			valid = &reg.people[i];
	}
	assert_non_null(valid);
	assert_non_null(gone);
	assert_non_null(nophoto);

	sbx_decide(&reg, valid->name, valid->number, 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_MATCH);
	sbx_decide(&reg, valid->name, valid->number, 1, &d);
	assert_string_equal(d.code, IDCHECK_CODE_MATCH);
	assert_false(d.portrait_compared);
	sbx_decide(&reg, "\xe6\x9f\x90", valid->number, 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_MISMATCH);
	sbx_decide(&reg, gone->name, gone->number, 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_CARD_STATE);
	sbx_decide(&reg, nophoto->name, nophoto->number, 1, &d);
	assert_string_equal(d.code, IDCHECK_CODE_NO_PHOTO);
	sbx_decide(&reg, nophoto->name, nophoto->number, 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_MATCH);
	sbx_decide(&reg, "x", "11010519491231002X", 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_NOT_FOUND);
	/* A lower-case check character is the same number. */
	sbx_decide(&reg, "x", "11010519491231002x", 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_NOT_FOUND);

	memcpy(num, valid->number, sizeof(num));
	num[17] = num[17] == '0' ? '1' : '0';
	sbx_decide(&reg, valid->name, num, 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_INVALID_INPUT);
	sbx_decide(&reg, "", valid->number, 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_INVALID_INPUT);
	sbx_decide(&reg, valid->name, "", 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_INVALID_INPUT);
	sbx_decide(&reg, NULL, NULL, 0, &d);
	assert_string_equal(d.code, IDCHECK_CODE_INVALID_INPUT);
	/* Every code the sandbox decides is one the adapter knows. */
	assert_non_null(idcheck_provider_code(idcheck_provider_find(
	    "sandbox"), d.code));
	sbx_registry_free(&reg);
}

static void
test_registry_refuses_bad_files_without_quoting_them(void **state)
{
	const char		*bad[] = {
		"110101198001010011\tA\tvalid\t-\n",	/* check digit */
		"110101198001010010\tA\tvalid\n",	/* 3 fields */
		"110101198001010010\tA\tvalid\t-\tx\n",	/* 5 fields */
		"110101198001010010\tA\tlost\t-\n",	/* status */
		"110101198001010010\t\tvalid\t-\n",	/* empty name */
		"110101198001010010\tA\tvalid\t-\n"
		    "110101198001010010\tB\tvalid\t-\n",	/* twice */
	};
	struct sbx_registry	 reg;
	char			 err[SBX_ERR_MAX];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# case %zu\n", i);
		assert_int_equal(load_text(&reg, bad[i], err, sizeof(err)),
		    -1);
		assert_null(strstr(err, "1101011980"));
		assert_non_null(strstr(err, "line"));
		assert_null(reg.people);
	}
	assert_int_equal(load_text(&reg, "# comment\n\n"
	    "110101198001010010\tA\tvalid\t-\n", err, sizeof(err)), 0);
	assert_int_equal(reg.count, 1);
	sbx_registry_free(&reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_generated_holds_every_case),
		cmocka_unit_test(test_registry_decides_like_a_provider),
		cmocka_unit_test(
		    test_registry_refuses_bad_files_without_quoting_them),
	};

	return (cmocka_run_group_tests(tests, make_registry,
	    remove_registry));
}
