/*
 * The multipart/form-data reader of the delivery route: what Kore's own
 * parser silently gets wrong (quoted boundaries, extra parameters) is
 * read, and every malformed body is refused with a reason.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "multipart.h"

#define BODY							\
	"--XyZ\r\n"						\
	"Content-Disposition: form-data; name=\"photo\"; "	\
	    "filename=\"door.jpg\"\r\n"				\
	"Content-Type: image/jpeg\r\n"				\
	"\r\n"							\
	"\xff\xd8\r\n--X\r\n\xff\xd9\r\n"			\
	"--XyZ\r\n"						\
	"Content-Disposition: form-data; name=id_number\r\n"	\
	"\r\n"							\
	"11010519491231002X\r\n"				\
	"--XyZ--\r\n"

static int
parse(const char *body, size_t len, struct multipart *m)
{
	char	err[160];
	int	ret;

	ret = multipart_parse((const unsigned char *)body, len, "XyZ", m,
	    err, sizeof(err));
	if (ret == -1)
		printf("# %s\n", err);
	return (ret);
}

static void
test_multipart_boundary_quoted_unquoted_and_extra_params(void **state)
{
	char	b[MULTIPART_BOUNDARY_MAX];

	(void)state;
	assert_int_equal(multipart_boundary("multipart/form-data; "
	    "boundary=abc", b), 0);
	assert_string_equal(b, "abc");
	assert_int_equal(multipart_boundary("Multipart/Form-Data; "
	    "charset=utf-8; boundary=\"a b:c\"", b), 0);
	assert_string_equal(b, "a b:c");
	assert_int_equal(multipart_boundary("multipart/form-data;"
	    "boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", b), 0);
	assert_string_equal(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
}

static void
test_multipart_boundary_refuses_other_types_and_bad_values(void **state)
{
	char	b[MULTIPART_BOUNDARY_MAX];
	char	longb[200];

	(void)state;
	assert_int_equal(multipart_boundary("application/json", b), -1);
	assert_int_equal(multipart_boundary("multipart/form-data", b), -1);
	assert_int_equal(multipart_boundary("multipart/form-data; "
	    "boundary=", b), -1);
	assert_int_equal(multipart_boundary("multipart/form-data; "
	    "boundary=\"unterminated", b), -1);
	assert_int_equal(multipart_boundary("multipart/form-data; "
	    "boundary=a<b", b), -1);
	memset(longb, 'a', sizeof(longb));
	memcpy(longb, "multipart/form-data; boundary=", 30);
	longb[30 + 71] = '\0';
	assert_int_equal(multipart_boundary(longb, b), -1);
	longb[30 + 70] = '\0';
	assert_int_equal(multipart_boundary(longb, b), 0);
}

static void
test_multipart_reads_file_and_text_parts_with_binary_data(void **state)
{
	struct multipart		 m;
	const struct multipart_part	*p;

	(void)state;
	assert_int_equal(parse(BODY, sizeof(BODY) - 1, &m), 0);
	assert_int_equal(m.nparts, 2);
	assert_non_null(p = multipart_find(&m, "photo"));
	assert_true(p->is_file);
	assert_string_equal(p->content_type, "image/jpeg");
	/* A CRLF and "--X" inside the data do not end the part. */
	assert_int_equal(p->len, 11);
	assert_memory_equal(p->data, "\xff\xd8\r\n--X\r\n\xff\xd9", 11);
	assert_non_null(p = multipart_find(&m, "id_number"));
	assert_false(p->is_file);
	assert_int_equal(p->len, 18);
	assert_memory_equal(p->data, "11010519491231002X", 18);
	assert_null(multipart_find(&m, "chip_portrait"));
}

static void
test_multipart_takes_a_preamble(void **state)
{
	struct multipart	m;
	const char		body[] = "ignored preamble\r\n" BODY;

	(void)state;
	assert_int_equal(parse(body, sizeof(body) - 1, &m), 0);
	assert_int_equal(m.nparts, 2);
}

static void
test_multipart_refuses_a_truncated_body(void **state)
{
	struct multipart	m;
	size_t			cut;

	(void)state;
	/* Cut anywhere before the closing "--": always refused. */
	for (cut = 1; cut < sizeof(BODY) - 1 - 4; cut++)
		assert_int_equal(parse(BODY, cut, &m), -1);
}

static void
test_multipart_refuses_duplicates_and_nameless_parts(void **state)
{
	struct multipart	m;
	const char		dup[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n"
	    "--XyZ--\r\n";
	const char		noname[] =
	    "--XyZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n"
	    "--XyZ--\r\n";
	const char		nodisp[] =
	    "--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--\r\n";
	const char		other[] = "--other\r\nContent-Disposition: "
	    "form-data; name=\"a\"\r\n\r\n1\r\n--other--\r\n";

	(void)state;
	assert_int_equal(parse(dup, sizeof(dup) - 1, &m), -1);
	assert_int_equal(parse(noname, sizeof(noname) - 1, &m), -1);
	assert_int_equal(parse(nodisp, sizeof(nodisp) - 1, &m), -1);
	assert_int_equal(parse(other, sizeof(other) - 1, &m), -1);
	assert_int_equal(parse("", 0, &m), -1);
}

static void
test_multipart_refuses_too_many_parts(void **state)
{
	struct multipart	m;
	char			body[4096];
	size_t			n;
	int			i;

	(void)state;
	n = 0;
	for (i = 0; i < MULTIPART_PARTS_MAX + 1; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "--XyZ\r\n"
		    "Content-Disposition: form-data; name=\"p%d\"\r\n\r\nx\r\n",
		    i);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "--XyZ--\r\n");
	assert_int_equal(parse(body, n, &m), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_multipart_boundary_quoted_unquoted_and_extra_params),
		cmocka_unit_test(
		    test_multipart_boundary_refuses_other_types_and_bad_values),
		cmocka_unit_test(
		    test_multipart_reads_file_and_text_parts_with_binary_data),
		cmocka_unit_test(test_multipart_takes_a_preamble),
		cmocka_unit_test(test_multipart_refuses_a_truncated_body),
		cmocka_unit_test(
		    test_multipart_refuses_duplicates_and_nameless_parts),
		cmocka_unit_test(test_multipart_refuses_too_many_parts),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
