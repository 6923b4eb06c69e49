/*
 * The space reserve over real HTTP against a real kore: with a reserve
 * no disk can keep (disk_reserve_mb past the free space of any test
 * machine), /readyz says not ready and names the reserve, a photo upload
 * is refused with 503 storage_low and Retry-After before any photo work,
 * and the case stays open with its attempt not spent; the small writes
 * (opening a case) still go through.  Synthetic identities only.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "idnumber.h"
#include "sign.h"

static struct harness	kore;
static struct sign_key	key;

static int
setup(void **state)
{
	(void)state;
	if (sign_key_parse(&key, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1)
		return (-1);
	/* 1 TiB: more than any test machine has free. */
	return (harness_start(&kore, "disk_reserve_mb = 1048576\n"));
}

static int
teardown(void **state)
{
	(void)state;
	harness_cleanup(&kore);
	return (0);
}

static void
test_readyz_says_not_ready_below_the_reserve(void **state)
{
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&kore, "GET", "/readyz", NULL, 0, &r),
	    0);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "\"code\":\"not_ready\""));
	assert_non_null(strstr(r.body, "below the reserve of 1048576 MB"));
	assert_non_null(strstr(r.body, "\"disk_reserve\":{\"ok\":false}"));
	http_reply_free(&r);
}

static void
test_upload_is_refused_below_the_reserve(void **state)
{
	struct http_reply	r;
	char			number[19], body[512], id[40], token[80];
	char			path[128], auth[128], view[160];
	const char		*hdrs[3];
	static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16 };

	(void)state;
	/* A synthetic number: 110101 + 1990-03-07 + 123 + check digit. */
	memcpy(number, "11010119900307123", 17);
	number[17] = idnumber_check_digit(number);
	number[18] = '\0';
	snprintf(body, sizeof(body), "{\"order_ref\":\"disk-1\","
	    "\"channel\":\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"\xe6\xb5\x8b\xe8\xaf\x95\",\"id_number\":"
	    "\"%s\",\"callback_url\":\"http://127.0.0.1:9/hook\"}", number);
	assert_int_equal(harness_http_signed(&kore, &key, "POST", "/v1/cases",
	    body, NULL, 0, &r), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(harness_json_field(r.body, "case_id", id,
	    sizeof(id)), 0);
	assert_int_equal(harness_json_field(r.body, "upload_token", token,
	    sizeof(token)), 0);
	http_reply_free(&r);

	snprintf(path, sizeof(path), "/v1/cases/%s/images/front", id);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: image/jpeg";
	hdrs[2] = NULL;
	assert_int_equal(harness_http_h(&kore, "PUT", path, hdrs, jpeg,
	    sizeof(jpeg), &r), 0);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "{\"error\":{\"code\":\"storage_low\""));
	assert_non_null(r.headers);
	assert_non_null(strcasestr(r.headers, "retry-after: 2"));
	http_reply_free(&r);

	/* Nothing spent: the case is open and the front keeps its tries. */
	snprintf(view, sizeof(view), "/v1/cases/%s", id);
	hdrs[1] = NULL;
	assert_int_equal(harness_http_h(&kore, "GET", view, hdrs, NULL, 0,
	    &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"state\":\"open\""));
	assert_null(strstr(r.body, "\"accepted\":true"));
	http_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readyz_says_not_ready_below_the_reserve),
		cmocka_unit_test(test_upload_is_refused_below_the_reserve),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
