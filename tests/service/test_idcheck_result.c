/*
 * ID check results and the provider normalizer: every code the sandbox
 * can send, unknown codes, broken bodies and HTTP failures each map to
 * exactly one normalized result, and only MATCH approves.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "idcheck_provider.h"
#include "idcheck_result.h"
#include "jsonr.h"
#include "jsonw.h"

/*
 * The map as issue 4 states it, written out independently of the
 * adapter table, so that a wrong edit of the table fails here.
 */
static const struct {
	const char		*code;
	enum idcheck_result	 result;
	int			 billable;
} expected_codes[] = {
	{ "1100", IDCHECK_MATCH, 1 },
	{ "1101", IDCHECK_MISMATCH, 1 },
	{ "1103", IDCHECK_NOT_FOUND, 0 },
	{ "1104", IDCHECK_CARD_STATE, 0 },
	{ "1105", IDCHECK_INVALID_INPUT, 0 },
	{ "1201", IDCHECK_NO_PHOTO, 0 },
	{ "1202", IDCHECK_FACE_MISMATCH, 1 },
	{ "1203", IDCHECK_INVALID_INPUT, 0 },
	{ "1901", IDCHECK_RATE_LIMITED, 0 },
	{ "1999", IDCHECK_UPSTREAM_ERROR, 0 },
};

#define NEXPECTED (sizeof(expected_codes) / sizeof(expected_codes[0]))

/* Bodies and statuses that are not a usable answer. */
static const struct {
	const char	*label;
	long		 status;
	const char	*body;
} broken[] = {
	{ "unknown code 1102", 200, "{\"code\":1102,\"message\":\"x\"}" },
	{ "unknown code 9999", 200, "{\"code\":\"9999\",\"message\":\"x\"}" },
	{ "unknown code 0", 200, "{\"code\":0,\"message\":\"x\"}" },
	{ "leading zero", 200, "{\"code\":\"01100\",\"message\":\"x\"}" },
	{ "padded code", 200, "{\"code\":\" 1100\",\"message\":\"x\"}" },
	{ "negative code", 200, "{\"code\":-1100,\"message\":\"x\"}" },
	{ "fraction code", 200, "{\"code\":1100.0,\"message\":\"x\"}" },
	{ "exponent code", 200, "{\"code\":1.1e3,\"message\":\"x\"}" },
	{ "huge code", 200,
	    "{\"code\":110011001100110011001100,\"message\":\"x\"}" },
	{ "empty code", 200, "{\"code\":\"\",\"message\":\"x\"}" },
	{ "bool code", 200, "{\"code\":true,\"message\":\"x\"}" },
	{ "null code", 200, "{\"code\":null,\"message\":\"x\"}" },
	{ "object code", 200, "{\"code\":{\"v\":1100},\"message\":\"x\"}" },
	{ "missing code", 200, "{\"message\":\"一致\"}" },
	{ "missing message", 200, "{\"code\":1100}" },
	{ "number message", 200, "{\"code\":1100,\"message\":1}" },
	{ "empty body", 200, "" },
	{ "html", 200, "<html><body>Bad Gateway</body></html>" },
	{ "plain text", 200, "1100" },
	{ "json null", 200, "null" },
	{ "json array", 200, "[{\"code\":1100,\"message\":\"x\"}]" },
	{ "truncated", 200, "{\"code\":1100,\"message\":\"\xe4\xb8\x80" },
	{ "cut utf-8", 200, "{\"code\":1100,\"message\":\"\xe4\xb8\"}" },
	{ "trailing garbage", 200, "{\"code\":1100,\"message\":\"x\"}x" },
	{ "two objects", 200,
	    "{\"code\":1100,\"message\":\"x\"}{\"code\":1100}" },
	{ "duplicate code", 200,
	    "{\"code\":1101,\"message\":\"x\",\"code\":1100}" },
	{ "similarity > 100", 200,
	    "{\"code\":1100,\"message\":\"x\",\"similarity\":100.5}" },
	{ "similarity < 0", 200,
	    "{\"code\":1100,\"message\":\"x\",\"similarity\":-1}" },
	{ "similarity string", 200,
	    "{\"code\":1100,\"message\":\"x\",\"similarity\":\"99\"}" },
	{ "billable string", 200,
	    "{\"code\":1100,\"message\":\"x\",\"billable\":\"yes\"}" },
	{ "http 500", 500, "{\"code\":1100,\"message\":\"x\"}" },
	{ "http 502", 502, "<html>502</html>" },
	{ "http 503", 503, "" },
	{ "http 504", 504, "{\"code\":1100,\"message\":\"x\"}" },
	{ "http 401", 401, "{\"code\":1100,\"message\":\"x\"}" },
	{ "http 429", 429, "{\"code\":1901,\"message\":\"x\"}" },
	{ "http 201", 201, "{\"code\":1100,\"message\":\"x\"}" },
	{ "transport error", 0, "" },
};

#define NBROKEN (sizeof(broken) / sizeof(broken[0]))

static const struct idcheck_provider *
sandbox(void)
{
	const struct idcheck_provider	*p;

	p = idcheck_provider_find("sandbox");
	assert_non_null(p);
	return (p);
}

static enum idcheck_result
parse_text(long status, const char *body, struct idcheck_response *r)
{
	return (idcheck_provider_parse(sandbox(), status, body, strlen(body),
	    NULL, r));
}

static void
test_result_only_match_allows_approval(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < IDCHECK_RESULT_COUNT; i++) {
		assert_int_equal(idcheck_result_allows_approval(
		    (enum idcheck_result)i), i == IDCHECK_MATCH);
	}
	assert_false(idcheck_result_allows_approval(IDCHECK_RESULT_COUNT));
	assert_false(idcheck_result_allows_approval((enum idcheck_result)-1));
}

static void
test_result_only_upstream_error_is_retryable(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < IDCHECK_RESULT_COUNT; i++) {
		assert_int_equal(idcheck_result_is_retryable(
		    (enum idcheck_result)i), i == IDCHECK_UPSTREAM_ERROR);
	}
}

static void
test_result_names_are_unique_and_round_trip(void **state)
{
	enum idcheck_result	 back;
	size_t			 i, j;

	(void)state;
	for (i = 0; i < IDCHECK_RESULT_COUNT; i++) {
		assert_string_not_equal(idcheck_result_name(
		    (enum idcheck_result)i), "unknown");
		assert_int_equal(idcheck_result_from_name(
		    idcheck_result_name((enum idcheck_result)i), &back), 0);
		assert_int_equal(back, i);
		for (j = i + 1; j < IDCHECK_RESULT_COUNT; j++)
			assert_string_not_equal(idcheck_result_name(
			    (enum idcheck_result)i), idcheck_result_name(
			    (enum idcheck_result)j));
	}
	assert_string_equal(idcheck_result_name(IDCHECK_UPSTREAM_ERROR),
	    "upstream_error");
	assert_string_equal(idcheck_result_name(IDCHECK_RESULT_COUNT),
	    "unknown");
	assert_int_equal(idcheck_result_from_name("MATCH", &back), -1);
}

static void
test_table_holds_exactly_the_issue_codes(void **state)
{
	const struct idcheck_provider	*p;
	const struct idcheck_code	*c;
	size_t				 i;

	(void)state;
	p = sandbox();
	assert_int_equal(p->ncodes, NEXPECTED);
	for (i = 0; i < NEXPECTED; i++) {
		c = idcheck_provider_code(p, expected_codes[i].code);
		assert_non_null(c);
		assert_int_equal(c->result, expected_codes[i].result);
		assert_int_equal(c->billable, expected_codes[i].billable);
	}
	/* Only match and mismatch (of name or face) are billed. */
	for (i = 0; i < p->ncodes; i++) {
		assert_int_equal(p->codes[i].billable,
		    p->codes[i].result == IDCHECK_MATCH ||
		    p->codes[i].result == IDCHECK_MISMATCH ||
		    p->codes[i].result == IDCHECK_FACE_MISMATCH);
	}
}

static void
test_parse_maps_every_sandbox_code_as_number_and_string(void **state)
{
	struct idcheck_response	r;
	char			body[256];
	size_t			i;
	int			form;

	(void)state;
	for (i = 0; i < NEXPECTED; i++) {
		for (form = 0; form < 2; form++) {
			(void)snprintf(body, sizeof(body), form == 0 ?
			    "{\"code\":%s,\"message\":\"m\",\"billable\":true,"
			    "\"sandbox_request_id\":\"sbx-1\"}" :
			    "{\"code\":\"%s\",\"message\":\"m\"}",
			    expected_codes[i].code);
			assert_int_equal(parse_text(200, body, &r),
			    expected_codes[i].result);
			assert_int_equal(r.result, expected_codes[i].result);
			assert_string_equal(r.code, expected_codes[i].code);
			assert_string_equal(r.message, "m");
			assert_int_equal(r.http_status, 200);
			assert_int_equal(r.billable,
			    expected_codes[i].billable);
			assert_string_equal(r.upstream_id,
			    form == 0 ? "sbx-1" : "");
		}
	}
}

static void
test_parse_refuses_unknown_codes_and_broken_bodies(void **state)
{
	struct idcheck_response	r;
	size_t			i;

	(void)state;
	for (i = 0; i < NBROKEN; i++) {
		print_message("# %s\n", broken[i].label);
		assert_int_equal(parse_text(broken[i].status, broken[i].body,
		    &r), IDCHECK_UPSTREAM_ERROR);
		assert_int_equal(r.result, IDCHECK_UPSTREAM_ERROR);
		assert_int_equal(r.http_status, broken[i].status);
		assert_false(r.billable);
		assert_false(idcheck_result_allows_approval(r.result));
		assert_true(r.detail[0] != '\0');
	}
}

static void
test_parse_keeps_raw_code_and_message_of_unknown_code(void **state)
{
	struct idcheck_response	r;

	(void)state;
	assert_int_equal(parse_text(200,
	    "{\"code\":4242,\"message\":\"\xe6\x96\xb0\xe9\x94\x99\"}", &r),
	    IDCHECK_UPSTREAM_ERROR);
	assert_string_equal(r.code, "4242");
	assert_string_equal(r.message, "\xe6\x96\xb0\xe9\x94\x99");
	assert_non_null(strstr(r.detail, "unknown provider code 4242"));

	/* A 503 that says "match" is still no answer. */
	assert_int_equal(parse_text(503,
	    "{\"code\":1100,\"message\":\"busy\"}", &r),
	    IDCHECK_UPSTREAM_ERROR);
	assert_string_equal(r.code, "1100");
	assert_string_equal(r.message, "busy");
	assert_string_equal(r.detail, "HTTP status 503");
}

static void
test_parse_refuses_every_truncation_of_a_match(void **state)
{
	struct idcheck_response	 r;
	const char		*full = "{\"code\":1100,\"message\":"
	    "\"\xe4\xb8\x80\xe8\x87\xb4\",\"similarity\":87.5}";
	size_t			 len;

	(void)state;
	assert_int_equal(idcheck_provider_parse(sandbox(), 200, full,
	    strlen(full), NULL, &r), IDCHECK_MATCH);
	assert_true(r.has_similarity);
	assert_true(r.similarity > 87.49 && r.similarity < 87.51);
	for (len = 0; len < strlen(full); len++) {
		assert_int_equal(idcheck_provider_parse(sandbox(), 200, full,
		    len, NULL, &r), IDCHECK_UPSTREAM_ERROR);
	}
}

static void
test_parse_refuses_a_match_for_another_request(void **state)
{
	struct idcheck_response	 r;
	const char		*body = "{\"code\":1100,\"message\":\"ok\","
	    "\"request_id\":\"case-7-a1\"}";
	const char		*bare = "{\"code\":1100,\"message\":\"ok\"}";

	(void)state;
	assert_int_equal(idcheck_provider_parse(sandbox(), 200, body,
	    strlen(body), "case-7-a1", &r), IDCHECK_MATCH);
	assert_int_equal(idcheck_provider_parse(sandbox(), 200, body,
	    strlen(body), "case-7-a2", &r), IDCHECK_UPSTREAM_ERROR);
	assert_int_equal(idcheck_provider_parse(sandbox(), 200, bare,
	    strlen(bare), "case-7-a1", &r), IDCHECK_UPSTREAM_ERROR);
}

static void
test_parse_demotes_a_match_below_the_face_floor(void **state)
{
	struct idcheck_response	r;
	char			body[128];

	(void)state;
	(void)snprintf(body, sizeof(body), "{\"code\":1100,\"message\":\"m\","
	    "\"similarity\":%.1f}", sandbox()->face_min_similarity - 0.5);
	assert_int_equal(parse_text(200, body, &r), IDCHECK_FACE_MISMATCH);
	assert_true(r.billable);
	(void)snprintf(body, sizeof(body), "{\"code\":1100,\"message\":\"m\","
	    "\"similarity\":%.1f}", sandbox()->face_min_similarity);
	assert_int_equal(parse_text(200, body, &r), IDCHECK_MATCH);
	/* No similarity (name and number only) and null are both absent. */
	assert_int_equal(parse_text(200, "{\"code\":1100,\"message\":\"m\","
	    "\"similarity\":null}", &r), IDCHECK_MATCH);
	assert_false(r.has_similarity);
	/* Similarity on other results is kept, not judged. */
	assert_int_equal(parse_text(200, "{\"code\":1101,\"message\":\"m\","
	    "\"similarity\":12}", &r), IDCHECK_MISMATCH);
	assert_true(r.has_similarity);
}

static void
test_parse_keeps_messages_byte_exact(void **state)
{
	struct idcheck_response	 r;
	/* 阿不都·热合曼𠀀, once raw and once as \u escapes. */
	const char		*name = "\xe9\x98\xbf\xe4\xb8\x8d\xe9\x83\xbd"
	    "\xc2\xb7\xe7\x83\xad\xe5\x90\x88\xe6\x9b\xbc\xf0\xa0\x80\x80";
	char			 body[512];

	(void)state;
	(void)snprintf(body, sizeof(body),
	    "{\"code\":1101,\"message\":\"%s\"}", name);
	assert_int_equal(parse_text(200, body, &r), IDCHECK_MISMATCH);
	assert_string_equal(r.message, name);
	assert_int_equal(parse_text(200, "{\"code\":1101,\"message\":"
	    "\"\\u963f\\u4e0d\\u90fd\\u00b7\\u70ed\\u5408\\u66fc"
	    "\\ud840\\udc00\"}", &r), IDCHECK_MISMATCH);
	assert_string_equal(r.message, name);
	assert_false(r.message_cut);
}

static void
test_parse_cuts_long_messages_at_a_character(void **state)
{
	struct idcheck_response	r;
	char			body[IDCHECK_MESSAGE_MAX * 4];
	size_t			i, len;

	(void)state;
	len = (size_t)snprintf(body, sizeof(body),
	    "{\"code\":1101,\"message\":\"");
	/* 200 three-byte characters: 600 bytes, cut to 255 = 85 chars. */
	for (i = 0; i < 200; i++) {
		memcpy(body + len, "\xe4\xb8\x80", 3);
		len += 3;
	}
	memcpy(body + len, "\"}", 3);
	assert_int_equal(parse_text(200, body, &r), IDCHECK_MISMATCH);
	assert_true(r.message_cut);
	assert_int_equal(strlen(r.message), 85 * 3);
}

static void
test_parse_refuses_bodies_over_the_bound(void **state)
{
	struct idcheck_response	 r;
	static char		 body[IDCHECK_BODY_MAX + 64];
	size_t			 len;

	(void)state;
	len = (size_t)snprintf(body, sizeof(body),
	    "{\"code\":1100,\"message\":\"");
	memset(body + len, 'a', IDCHECK_BODY_MAX);
	len += IDCHECK_BODY_MAX;
	memcpy(body + len, "\"}", 2);
	len += 2;
	assert_int_equal(idcheck_provider_parse(sandbox(), 200, body, len,
	    NULL, &r), IDCHECK_UPSTREAM_ERROR);
	assert_string_equal(r.detail, "body too large");
}

/*
 * A second provider is only a table: nested field names, its own codes,
 * no echo.  The same normalizer reads it.
 */
static void
test_parse_is_driven_by_the_adapter_table(void **state)
{
	static const struct idcheck_code	codes[] = {
		{ "OK", IDCHECK_MATCH, 1, "match" },
		{ "DIFF", IDCHECK_MISMATCH, 1, "mismatch" },
	};
	const struct idcheck_provider		other = {
		.name = "other",
		.path = "/check",
		.sign = IDCHECK_SIGN_HMAC_SHA256_V1,
		.req_request_id = "rid",
		.req_name = "full_name",
		.req_id_number = "cert_no",
		.req_portrait = "photo",
		.resp_code = "data.result",
		.resp_message = "data.desc",
		.resp_similarity = "data.score",
		.face_min_similarity = 70.0,
		.codes = codes,
		.ncodes = 2,
	};
	struct idcheck_response			r;
	const char				*body;

	(void)state;
	body = "{\"data\":{\"result\":\"OK\",\"desc\":\"d\",\"score\":71}}";
	assert_int_equal(idcheck_provider_parse(&other, 200, body,
	    strlen(body), "ignored", &r), IDCHECK_MATCH);
	body = "{\"data\":{\"result\":\"OK\",\"desc\":\"d\",\"score\":69}}";
	assert_int_equal(idcheck_provider_parse(&other, 200, body,
	    strlen(body), NULL, &r), IDCHECK_FACE_MISMATCH);
	/* The sandbox's codes mean nothing to this provider. */
	body = "{\"data\":{\"result\":1100,\"desc\":\"d\"}}";
	assert_int_equal(idcheck_provider_parse(&other, 200, body,
	    strlen(body), NULL, &r), IDCHECK_UPSTREAM_ERROR);
	body = "{\"result\":\"OK\",\"desc\":\"d\"}";
	assert_int_equal(idcheck_provider_parse(&other, 200, body,
	    strlen(body), NULL, &r), IDCHECK_UPSTREAM_ERROR);
}

static void
test_request_body_round_trips_names_byte_exact(void **state)
{
	const struct idcheck_provider	*p;
	struct jsonw			 w;
	struct jsonr			 doc;
	const char			*text;
	const char			*names[] = {
		"\xe9\x98\xbf\xe4\xb8\x8d\xe9\x83\xbd\xc2\xb7\xe7\x83\xad"
		    "\xe5\x90\x88\xe6\x9b\xbc",		/* 阿不都·热合曼 */
		"\xe7\x8e\x8b\xf0\xaa\x9a\xa5",		/* 王 + U+2A6A5 */
		"O'Neil \"Jr\" \\",
	};
	char				 back[128];
	size_t				 i;

	(void)state;
	p = sandbox();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		jsonw_init(&w, 4096);
		idcheck_provider_request_body(p, &w, "case-1-a1", names[i],
		    "11010519491231002X", i == 0 ? "/9j/AAAA" : NULL);
		assert_non_null(text = jsonw_text(&w));
		assert_int_equal(jsonr_parse(&doc, text, strlen(text)), 0);
		assert_int_equal(jsonr_string(&doc, p->req_name, back,
		    sizeof(back)), (int64_t)strlen(names[i]));
		assert_string_equal(back, names[i]);
		assert_int_equal(jsonr_string(&doc, p->req_portrait, back,
		    sizeof(back)), i == 0 ? 8 : -1);
		jsonw_free(&w);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_only_match_allows_approval),
		cmocka_unit_test(
		    test_result_only_upstream_error_is_retryable),
		cmocka_unit_test(test_result_names_are_unique_and_round_trip),
		cmocka_unit_test(test_table_holds_exactly_the_issue_codes),
		cmocka_unit_test(
		    test_parse_maps_every_sandbox_code_as_number_and_string),
		cmocka_unit_test(
		    test_parse_refuses_unknown_codes_and_broken_bodies),
		cmocka_unit_test(
		    test_parse_keeps_raw_code_and_message_of_unknown_code),
		cmocka_unit_test(
		    test_parse_refuses_every_truncation_of_a_match),
		cmocka_unit_test(
		    test_parse_refuses_a_match_for_another_request),
		cmocka_unit_test(
		    test_parse_demotes_a_match_below_the_face_floor),
		cmocka_unit_test(test_parse_keeps_messages_byte_exact),
		cmocka_unit_test(
		    test_parse_cuts_long_messages_at_a_character),
		cmocka_unit_test(test_parse_refuses_bodies_over_the_bound),
		cmocka_unit_test(test_parse_is_driven_by_the_adapter_table),
		cmocka_unit_test(
		    test_request_body_round_trips_names_byte_exact),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
