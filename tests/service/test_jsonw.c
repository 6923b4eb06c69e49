/*
 * JSON writer: escaping, invalid UTF-8, bounds.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jsonw.h"

static void
test_jsonw_escapes_quotes_controls_and_backslashes(void **state)
{
	struct jsonw	w;

	(void)state;
	jsonw_init(&w, 1024);
	jsonw_object_open(&w);
	jsonw_key(&w, "k\"");
	jsonw_string(&w, "a\"b\\c\n\x01\x7f");
	jsonw_key(&w, "n");
	jsonw_int(&w, -42);
	jsonw_key(&w, "l");
	jsonw_array_open(&w);
	jsonw_bool(&w, 1);
	jsonw_null(&w);
	jsonw_double(&w, 0.5);
	jsonw_array_close(&w);
	jsonw_object_close(&w);
	assert_string_equal(jsonw_text(&w), "{\"k\\\"\":\"a\\\"b\\\\c\\n"
	    "\\u0001\\u007f\",\"n\":-42,\"l\":[true,null,0.5]}");
	jsonw_free(&w);
}

static void
test_jsonw_keeps_utf8_names_byte_exact(void **state)
{
	struct jsonw	w;
	const char	*name = "\xe9\x98\xbf\xe4\xb8\x8d\xe9\x83\xbd"
	    "\xc2\xb7\xe7\x83\xad\xe5\x90\x88\xf0\xa0\x80\x80";

	(void)state;
	jsonw_init(&w, 1024);
	jsonw_string(&w, name);
	assert_int_equal(strlen(jsonw_text(&w)), strlen(name) + 2);
	assert_memory_equal(jsonw_text(&w) + 1, name, strlen(name));
	jsonw_free(&w);
}

static void
test_jsonw_replaces_invalid_utf8(void **state)
{
	struct jsonw	w;

	(void)state;
	jsonw_init(&w, 1024);
	/* Lone continuation, overlong slash, surrogate, truncated lead. */
	jsonw_string(&w, "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe4\xb8");
	assert_string_equal(jsonw_text(&w), "\"a\\ufffdb\\ufffd\\ufffdc"
	    "\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
	jsonw_free(&w);
}

static void
test_jsonw_fails_past_its_bound(void **state)
{
	struct jsonw	w;
	char		big[200];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jsonw_init(&w, 64);
	jsonw_string(&w, big);
	assert_null(jsonw_text(&w));
	jsonw_free(&w);
}

static void
test_jsonw_error_body_shape(void **state)
{
	struct jsonw	w;

	(void)state;
	jsonw_init(&w, 1024);
	jsonw_error_body(&w, "not_found", "no such \"case\"");
	assert_string_equal(jsonw_text(&w), "{\"error\":{\"code\":"
	    "\"not_found\",\"message\":\"no such \\\"case\\\"\"}}");
	jsonw_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_jsonw_escapes_quotes_controls_and_backslashes),
		cmocka_unit_test(test_jsonw_keeps_utf8_names_byte_exact),
		cmocka_unit_test(test_jsonw_replaces_invalid_utf8),
		cmocka_unit_test(test_jsonw_fails_past_its_bound),
		cmocka_unit_test(test_jsonw_error_body_shape),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
