/*
 * Strict JSON reader: grammar, UTF-8, bounds, typed access.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jsonr.h"

static int
parse(struct jsonr *r, const char *text)
{
	return (jsonr_parse(r, text, strlen(text)));
}

static void
test_jsonr_reads_typed_fields_and_nested_paths(void **state)
{
	struct jsonr	r;
	char		s[32];
	int64_t		i;
	double		d;
	int		b;

	(void)state;
	assert_int_equal(parse(&r, " {\"a\":\"x\\ty\", \"n\":-42, "
	    "\"big\":9223372036854775807, \"f\":2.5e1, \"t\":true, "
	    "\"z\":null, \"o\":{\"k\":{\"v\":7}}, \"l\":[1,{\"k\":2},[]]}\n"),
	    0);
	assert_int_equal(jsonr_string(&r, "a", s, sizeof(s)), 3);
	assert_string_equal(s, "x\ty");
	assert_int_equal(jsonr_int(&r, "n", &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(jsonr_int(&r, "big", &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(jsonr_int(&r, "f", &i), -1);
	assert_int_equal(jsonr_double(&r, "f", &d), 0);
	assert_true(d > 24.99 && d < 25.01);
	assert_int_equal(jsonr_bool(&r, "t", &b), 0);
	assert_true(b);
	assert_int_equal(jsonr_find(&r, "z")->type, JSONR_NULL);
	assert_int_equal(jsonr_int(&r, "o.k.v", &i), 0);
	assert_int_equal(i, 7);
	assert_int_equal(jsonr_find(&r, "o")->type, JSONR_OBJECT);
	assert_int_equal(jsonr_find(&r, "l")->type, JSONR_ARRAY);
	/* Array members are validated, not addressable. */
	assert_null(jsonr_find(&r, "l.k"));
	assert_null(jsonr_find(&r, "k"));
	assert_int_equal(jsonr_string(&r, "n", s, sizeof(s)), -1);
	assert_int_equal(jsonr_string(&r, "missing", s, sizeof(s)), -1);
}

static void
test_jsonr_refuses_bad_grammar(void **state)
{
	const char	*bad[] = {
		"", " ", "[]", "\"s\"", "1", "{", "{\"a\"}", "{\"a\":}",
		"{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}", "{a:1}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
		"{\"a\":-}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":nul}",
		"{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":1}}", "{\"a\":'x'}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\t\"}",
		"{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1},\"a\":{\"c\":1}}",
		"{\"a\":NaN}", "{\"a\":Infinity}",
		"{\"a\":123456789012345678901234567890123}",
	};
	struct jsonr	r;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# %s\n", bad[i]);
		assert_int_equal(parse(&r, bad[i]), -1);
		assert_true(r.err[0] != '\0');
		assert_int_equal(r.nleaves, 0);
	}
}

static void
test_jsonr_refuses_invalid_utf8_and_surrogates(void **state)
{
	const char	*bad[] = {
		"{\"a\":\"\x80\"}",			/* lone continuation */
		"{\"a\":\"\xc0\xaf\"}",			/* overlong '/' */
		"{\"a\":\"\xe0\x80\xaf\"}",		/* overlong */
		"{\"a\":\"\xed\xa0\x80\"}",		/* raw surrogate */
		"{\"a\":\"\xf4\x90\x80\x80\"}",		/* past U+10FFFF */
		"{\"a\":\"\xe4\xb8\"}",			/* cut character */
		"{\"a\":\"\\ud800\"}",			/* lone high */
		"{\"a\":\"\\udc00\"}",			/* lone low */
		"{\"a\":\"\\ud800\\u0041\"}",		/* high + not low */
		"{\"a\":\"\\u0000\"}",			/* NUL */
		"{\"\xff\":1}",				/* bad key */
	};
	struct jsonr	r;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# case %zu\n", i);
		assert_int_equal(parse(&r, bad[i]), -1);
	}
}

static void
test_jsonr_decodes_escapes_to_exact_utf8(void **state)
{
	struct jsonr	r;
	char		s[64];

	(void)state;
	assert_int_equal(parse(&r, "{\"\\u006b\":\"\\u00b7\\u4e00\\ud83d"
	    "\\ude00\\\"\\\\\\/\\b\\f\\n\\r\"}"), 0);
	/* The key was decoded too: "k". */
	assert_int_equal(jsonr_string(&r, "k", s, sizeof(s)), 16);
	assert_string_equal(s, "\xc2\xb7\xe4\xb8\x80\xf0\x9f\x98\x80"
	    "\"\\/\b\f\n\r");
	assert_int_equal(jsonr_find(&r, "k")->decoded_len, 16);
}

static void
test_jsonr_cuts_copies_at_a_character(void **state)
{
	struct jsonr	r;
	char		s[6];

	(void)state;
	assert_int_equal(parse(&r, "{\"a\":\"\xe4\xb8\x80\xe4\xb8\x80"
	    "\xe4\xb8\x80\"}"), 0);
	/* 9 bytes do not fit 5: one whole character (3 bytes) is copied. */
	assert_int_equal(jsonr_string(&r, "a", s, sizeof(s)), 9);
	assert_string_equal(s, "\xe4\xb8\x80");
}

static void
test_jsonr_bounds_depth_fields_and_paths(void **state)
{
	struct jsonr	r;
	char		text[4096];
	size_t		i, len;

	(void)state;
	/* JSONR_DEPTH_MAX objects deep is fine, one more is not. */
	len = 0;
	for (i = 0; i <= JSONR_DEPTH_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "{\"a\":");
	len += (size_t)snprintf(text + len, sizeof(text) - len, "1");
	for (i = 0; i <= JSONR_DEPTH_MAX; i++)
		text[len++] = '}';
	text[len] = '\0';
	assert_int_equal(parse(&r, text), -1);
	assert_int_equal(jsonr_parse(&r, text + 5, len - 6), 0);

	len = (size_t)snprintf(text, sizeof(text), "{");
	for (i = 0; i <= JSONR_LEAVES_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%s\"k%zu\":%zu", i ? "," : "", i, i);
	(void)snprintf(text + len, sizeof(text) - len, "}");
	assert_int_equal(parse(&r, text), -1);

	memset(text, 0, sizeof(text));
	text[0] = '{';
	text[1] = '"';
	memset(text + 2, 'k', JSONR_PATH_MAX);
	memcpy(text + 2 + JSONR_PATH_MAX, "\":1}", 4);
	assert_int_equal(parse(&r, text), -1);
}

static void
test_jsonr_int_refuses_overflow(void **state)
{
	struct jsonr	r;
	int64_t		i;

	(void)state;
	assert_int_equal(parse(&r, "{\"a\":9223372036854775808,"
	    "\"b\":-9223372036854775808}"), 0);
	assert_int_equal(jsonr_int(&r, "a", &i), -1);
	assert_int_equal(jsonr_int(&r, "b", &i), 0);
	assert_true(i == INT64_MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_jsonr_reads_typed_fields_and_nested_paths),
		cmocka_unit_test(test_jsonr_refuses_bad_grammar),
		cmocka_unit_test(
		    test_jsonr_refuses_invalid_utf8_and_surrogates),
		cmocka_unit_test(test_jsonr_decodes_escapes_to_exact_utf8),
		cmocka_unit_test(test_jsonr_cuts_copies_at_a_character),
		cmocka_unit_test(test_jsonr_bounds_depth_fields_and_paths),
		cmocka_unit_test(test_jsonr_int_refuses_overflow),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
