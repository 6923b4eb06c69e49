/*
 * The case API over real HTTP against a real kore and a real SQLite
 * store: opening cases (signatures, idempotency, validation), uploads
 * (token, media type, hostile images, retakes, attempts), submit and
 * reading a case.  Synthetic identities only.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>

#include "craft.h"
#include "harness.h"
#include "idnumber.h"
#include "sign.h"

static struct harness	kore;
static struct sign_key	key;

/* A synthetic, valid number: 110101 + 1990-03-07 + 123 + check. */
static char	number[19];

struct opened {
	char	id[33];
	char	token[65];
};

static int
group_setup(void **state)
{
	(void)state;
	memcpy(number, "11010119900307123", 17);
	number[17] = idnumber_check_digit(number);
	number[18] = '\0';
	if (sign_key_parse(&key, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1)
		return (-1);
	return (harness_start(&kore, NULL));
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	return (0);
}

/* Signs and sends; extra may add one header (Idempotency-Key). */
static int
signed_call(const char *method, const char *path, const char *body,
    const char *extra, int64_t ts_shift, struct http_reply *r)
{
	return (harness_http_signed(&kore, &key, method, path, body, extra,
	    (long)ts_shift, r));
}

static void
case_body(char *buf, size_t len, const char *order, const char *name,
    const char *num)
{
	snprintf(buf, len, "{\"order_ref\":\"%s\",\"channel\":\"web\","
	    "\"dealer\":\"web-direct\",\"declared_name\":\"%s\","
	    "\"id_number\":\"%s\","
	    "\"callback_url\":\"http://127.0.0.1:9/hook\"}", order, name, num);
}

#define json_field	harness_json_field

static void
assert_error_code(const struct http_reply *r, long status, const char *code)
{
	char	want[96];

	if (r->status != status)
		fprintf(stderr, "# got %ld: %s\n", r->status,
		    r->body ? r->body : "");
	assert_int_equal(r->status, status);
	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	assert_non_null(r->body);
	assert_non_null(strstr(r->body, want));
	assert_non_null(strstr(r->body, "{\"error\":{"));
}

static void
open_case(const char *order, struct opened *o)
{
	struct http_reply	r;
	char			body[512];

	case_body(body, sizeof(body), order, "\xe6\xb5\x8b\xe8\xaf\x95",
	    number);
	assert_int_equal(signed_call("POST", "/v1/cases", body, NULL, 0, &r),
	    0);
	if (r.status != 201)
		fprintf(stderr, "# open: %ld %s\n", r.status, r.body);
	assert_int_equal(r.status, 201);
	assert_int_equal(json_field(r.body, "case_id", o->id, sizeof(o->id)),
	    0);
	assert_int_equal(json_field(r.body, "upload_token", o->token,
	    sizeof(o->token)), 0);
	assert_int_equal(strlen(o->id), 32);
	assert_int_equal(strlen(o->token), 64);
	assert_non_null(strstr(r.body, "\"hosted_url\":\"http://127.0.0.1:"));
	http_reply_free(&r);
}

static int
upload(const struct opened *o, const char *side, const char *token,
    const char *ctype, const void *data, size_t len, struct http_reply *r)
{
	char		path[128], auth[128], ct[64];
	const char	*hdrs[3];

	snprintf(path, sizeof(path), "/v1/cases/%s/images/%s", o->id, side);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
	hdrs[0] = auth;
	hdrs[1] = ct;
	hdrs[2] = NULL;
	return (harness_http_h(&kore, "PUT", path, hdrs, data, len, r));
}

static int
with_token(const char *method, const char *path, const char *token,
    struct http_reply *r)
{
	char		auth[128];
	const char	*hdrs[2];

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = NULL;
	return (harness_http_h(&kore, method, path, hdrs,
	    !strcmp(method, "POST") ? "" : NULL, 0, r));
}

static void
test_open_case_returns_id_token_and_hosted_url(void **state)
{
	struct opened	o;

	(void)state;
	open_case("order-1", &o);
}

static void
test_open_case_refuses_bad_signatures(void **state)
{
	struct http_reply	r;
	char			body[512];
	const char		*hdrs[4];
	struct sign_headers	sh;
	char			h1[128], h2[128], h3[128];

	(void)state;
	case_body(body, sizeof(body), "order-sig", "x", number);

	/* Missing. */
	assert_int_equal(harness_http(&kore, "POST", "/v1/cases", body,
	    strlen(body), &r), 0);
	assert_error_code(&r, 401, "signature_missing");
	http_reply_free(&r);

	/* Stale: ten minutes old. */
	assert_int_equal(signed_call("POST", "/v1/cases", body, NULL, -600,
	    &r), 0);
	assert_error_code(&r, 401, "signature_stale");
	http_reply_free(&r);

	/* Wrong: signed for another body. */
	assert_int_equal(sign_request_headers(&key, "POST", "/v1/cases",
	    (int64_t)time(NULL), "{}", 2, &sh), 0);
	snprintf(h1, sizeof(h1), "X-App-Id: %s", sh.key_id);
	snprintf(h2, sizeof(h2), "X-Timestamp: %s", sh.timestamp);
	snprintf(h3, sizeof(h3), "X-Signature: %s", sh.signature);
	hdrs[0] = h1;
	hdrs[1] = h2;
	hdrs[2] = h3;
	hdrs[3] = NULL;
	assert_int_equal(harness_http_h(&kore, "POST", "/v1/cases", hdrs,
	    body, strlen(body), &r), 0);
	assert_error_code(&r, 401, "signature_invalid");
	http_reply_free(&r);

	/* Replayed: the same signed request twice (two workers share it). */
	assert_int_equal(sign_request_headers(&key, "POST", "/v1/cases",
	    (int64_t)time(NULL), body, strlen(body), &sh), 0);
	snprintf(h1, sizeof(h1), "X-App-Id: %s", sh.key_id);
	snprintf(h2, sizeof(h2), "X-Timestamp: %s", sh.timestamp);
	snprintf(h3, sizeof(h3), "X-Signature: %s", sh.signature);
	assert_int_equal(harness_http_h(&kore, "POST", "/v1/cases", hdrs,
	    body, strlen(body), &r), 0);
	assert_int_equal(r.status, 201);
	http_reply_free(&r);
	assert_int_equal(harness_http_h(&kore, "POST", "/v1/cases", hdrs,
	    body, strlen(body), &r), 0);
	assert_error_code(&r, 401, "signature_replayed");
	http_reply_free(&r);
}

static void
test_open_case_validates_fields(void **state)
{
	struct http_reply	r;
	char			body[512], bad[19];

	(void)state;
	assert_int_equal(signed_call("POST", "/v1/cases",
	    "{\"order_ref\":\"x\"}", NULL, 0, &r), 0);
	assert_error_code(&r, 400, "field_missing");
	http_reply_free(&r);

	assert_int_equal(signed_call("POST", "/v1/cases", "{\"order_ref\":",
	    NULL, 0, &r), 0);
	assert_error_code(&r, 400, "body_invalid");
	http_reply_free(&r);

	/* A check digit off by one: refused before any photo is taken. */
	memcpy(bad, number, sizeof(bad));
	bad[17] = bad[17] == '0' ? '1' : '0';
	case_body(body, sizeof(body), "order-bad", "x", bad);
	assert_int_equal(signed_call("POST", "/v1/cases", body, NULL, 0, &r),
	    0);
	assert_error_code(&r, 422, "id_number_invalid");
	http_reply_free(&r);
}

static void
test_open_case_body_over_json_limit_is_413(void **state)
{
	struct http_reply	r;
	char			*big;

	(void)state;
	big = malloc(200 * 1024);
	assert_non_null(big);
	memset(big, ' ', 200 * 1024 - 1);
	big[200 * 1024 - 1] = '\0';
	assert_int_equal(signed_call("POST", "/v1/cases", big, NULL, 0, &r),
	    0);
	assert_error_code(&r, 413, "body_too_large");
	http_reply_free(&r);
	free(big);
}

static void
test_open_case_idempotency(void **state)
{
	struct http_reply	r1, r2;
	char			body[512], other[512], id1[33], id2[33];

	(void)state;
	case_body(body, sizeof(body), "order-idem", "x", number);
	case_body(other, sizeof(other), "order-idem-2", "x", number);
	assert_int_equal(signed_call("POST", "/v1/cases", body,
	    "Idempotency-Key: k-1", 0, &r1), 0);
	assert_int_equal(r1.status, 201);
	/*
	 * A retry is signed again: a byte-identical signed request would
	 * be a replay (same second), and replays are refused.
	 */
	assert_int_equal(signed_call("POST", "/v1/cases", body,
	    "Idempotency-Key: k-1", -1, &r2), 0);
	assert_int_equal(r2.status, 201);
	assert_int_equal(json_field(r1.body, "case_id", id1, sizeof(id1)), 0);
	assert_int_equal(json_field(r2.body, "case_id", id2, sizeof(id2)), 0);
	assert_string_equal(id1, id2);
	http_reply_free(&r1);
	http_reply_free(&r2);

	assert_int_equal(signed_call("POST", "/v1/cases", other,
	    "Idempotency-Key: k-1", -2, &r1), 0);
	assert_error_code(&r1, 422, "idempotency_key_reused");
	http_reply_free(&r1);
}

struct racer {
	int		 shift;
	const char	*body;
	long		 status;
	char		 id[33];
};

static void *
race(void *arg)
{
	struct racer		*rc = arg;
	struct http_reply	 r;

	if (signed_call("POST", "/v1/cases", rc->body,
	    "Idempotency-Key: k-race", rc->shift, &r) == 0) {
		rc->status = r.status;
		if (r.status == 201)
			(void)json_field(r.body, "case_id", rc->id,
			    sizeof(rc->id));
		http_reply_free(&r);
	}
	return (NULL);
}

/* Concurrent duplicates: one case; the others replay it or get 409. */
static void
test_open_case_concurrent_duplicates_make_one_case(void **state)
{
	struct racer	rc[6];
	pthread_t	th[6];
	char		body[512];
	const char	*first;
	int		i, created;

	(void)state;
	case_body(body, sizeof(body), "order-race", "x", number);
	memset(rc, 0, sizeof(rc));
	for (i = 0; i < 6; i++) {
		rc[i].body = body;
		rc[i].shift = -i;
		assert_int_equal(pthread_create(&th[i], NULL, race, &rc[i]),
		    0);
	}
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	first = NULL;
	created = 0;
	for (i = 0; i < 6; i++) {
		assert_true(rc[i].status == 201 || rc[i].status == 409);
		if (rc[i].status != 201)
			continue;
		created++;
		if (first == NULL)
			first = rc[i].id;
		assert_string_equal(first, rc[i].id);
	}
	assert_true(created >= 1);
}

static void
test_upload_needs_the_case_token(void **state)
{
	struct opened		a, b;
	struct http_reply	r;
	static const char	jpeg[] = "\xff\xd8\xff\xe0";

	(void)state;
	open_case("order-tok-a", &a);
	open_case("order-tok-b", &b);
	/* b's token on a's case: the same 404 as no case at all. */
	assert_int_equal(upload(&a, "front", b.token, "image/jpeg", jpeg, 4,
	    &r), 0);
	assert_error_code(&r, 404, "not_found");
	http_reply_free(&r);
	assert_int_equal(upload(&a, "front", "nope", "image/jpeg", jpeg, 4,
	    &r), 0);
	assert_error_code(&r, 404, "not_found");
	http_reply_free(&r);
	/* An unknown side is no resource. */
	assert_int_equal(upload(&a, "left", a.token, "image/jpeg", jpeg, 4,
	    &r), 0);
	assert_error_code(&r, 404, "not_found");
	http_reply_free(&r);
}

static void
test_upload_refuses_gif_and_text_with_415(void **state)
{
	struct opened		o;
	struct http_reply	r;
	static const char	gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";

	(void)state;
	open_case("order-415", &o);
	assert_int_equal(upload(&o, "front", o.token, "image/gif", gif,
	    sizeof(gif), &r), 0);
	assert_error_code(&r, 415, "unsupported_media_type");
	http_reply_free(&r);
	/* Lying about the type does not help: the bytes decide. */
	assert_int_equal(upload(&o, "front", o.token, "image/jpeg", gif,
	    sizeof(gif), &r), 0);
	assert_error_code(&r, 415, "unsupported_media_type");
	http_reply_free(&r);
	assert_int_equal(upload(&o, "front", o.token, "text/plain", "hello",
	    5, &r), 0);
	assert_error_code(&r, 415, "unsupported_media_type");
	http_reply_free(&r);
}

static void
test_upload_pixel_flood_is_422_with_its_code(void **state)
{
	struct opened		o;
	struct http_reply	r;
	uint8_t			*flood;
	size_t			 len;

	(void)state;
	open_case("order-flood", &o);
	assert_int_equal(craft_jpeg_sof_only(65500, 65500, &flood, &len), 0);
	assert_int_equal(upload(&o, "front", o.token, "image/jpeg", flood,
	    len, &r), 0);
	assert_error_code(&r, 422, "image_too_large");
	http_reply_free(&r);
	free(flood);
}

/* A selfie sent as the card front: retake with reasons, then no more. */
static void
test_upload_retake_reasons_and_attempt_limit(void **state)
{
	struct opened		o;
	struct http_reply	r;
	uint8_t			*photo;
	size_t			 len;
	char			 path[512];
	int			 i;

	(void)state;
	open_case("order-retake", &o);
	assert_int_equal(craft_read_file(craft_shared_path("faces/img1.jpg",
	    path, sizeof(path)), &photo, &len), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(upload(&o, "front", o.token, "image/jpeg",
		    photo, len, &r), 0);
		assert_error_code(&r, 422, "retake");
		assert_non_null(strstr(r.body, "\"reasons\":[{\"code\":\""));
		assert_non_null(strstr(r.body, "\"text_zh\":"));
		snprintf(path, sizeof(path), "\"attempts_left\":%d", 4 - i);
		assert_non_null(strstr(r.body, path));
		http_reply_free(&r);
	}
	assert_int_equal(upload(&o, "front", o.token, "image/jpeg", photo,
	    len, &r), 0);
	assert_error_code(&r, 429, "attempts_exhausted");
	http_reply_free(&r);
	free(photo);
}

static void
test_submit_before_three_sides_is_409(void **state)
{
	struct opened		o;
	struct http_reply	r;
	char			path[128];

	(void)state;
	open_case("order-409", &o);
	snprintf(path, sizeof(path), "/v1/cases/%s/submit", o.id);
	assert_int_equal(with_token("POST", path, o.token, &r), 0);
	assert_error_code(&r, 409, "sides_missing");
	assert_non_null(strstr(r.body, "\"missing\":[\"front\",\"back\","
	    "\"holding\"]"));
	http_reply_free(&r);
}

static void
test_get_case_customer_and_order_system_views(void **state)
{
	struct opened		o;
	struct http_reply	r;
	char			path[128];

	(void)state;
	open_case("order-view", &o);
	snprintf(path, sizeof(path), "/v1/cases/%s", o.id);
	assert_int_equal(with_token("GET", path, o.token, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"state\":\"open\""));
	assert_non_null(strstr(r.body, "\"attempts_left\":5"));
	/* The customer view carries neither the name nor the number. */
	assert_null(strstr(r.body, number));
	assert_null(strstr(r.body, "order_ref"));
	http_reply_free(&r);

	assert_int_equal(signed_call("GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"order_ref\":\"order-view\""));
	assert_null(strstr(r.body, number));
	http_reply_free(&r);
}

static void
test_logs_hold_no_number_or_name(void **state)
{
	char	*log;

	(void)state;
	log = harness_log(&kore);
	assert_null(strstr(log, number));
	assert_null(strstr(log, "\xe6\xb5\x8b\xe8\xaf\x95"));
	assert_null(strstr(log, "seccomp violation"));
	assert_null(strstr(log, "ignoring \""));
	/* The suite ran on the store it was meant to. */
	if (getenv("REALNAME_TEST_STORE") != NULL &&
	    !strcmp(getenv("REALNAME_TEST_STORE"), "postgresql"))
		assert_non_null(strstr(log, "store: postgresql ready"));
	else
		assert_non_null(strstr(log, "store: sqlite ready"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_open_case_returns_id_token_and_hosted_url),
		cmocka_unit_test(test_open_case_refuses_bad_signatures),
		cmocka_unit_test(test_open_case_validates_fields),
		cmocka_unit_test(test_open_case_body_over_json_limit_is_413),
		cmocka_unit_test(test_open_case_idempotency),
		cmocka_unit_test(
		    test_open_case_concurrent_duplicates_make_one_case),
		cmocka_unit_test(test_upload_needs_the_case_token),
		cmocka_unit_test(test_upload_refuses_gif_and_text_with_415),
		cmocka_unit_test(test_upload_pixel_flood_is_422_with_its_code),
		cmocka_unit_test(test_upload_retake_reasons_and_attempt_limit),
		cmocka_unit_test(test_submit_before_three_sides_is_409),
		cmocka_unit_test(test_get_case_customer_and_order_system_views),
		cmocka_unit_test(test_logs_hold_no_number_or_name),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
