/*
 * Request signatures: the canonical string against an independent
 * HMAC (Python's hmac module), and every way a verifier must say no.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"

#define NOW		INT64_C(1700000000)
#define SECRET		"0123456789abcdef0123456789abcdef"
#define PATH		"/v1/id/verify"
#define BODY		"{\"request_id\":\"r1\"}"

struct fixture {
	struct sign_key			 keys[2];
	struct sign_replay_entry	 slots[8];
	struct sign_replay		 replay;
	struct sign_headers		 h;
	struct sign_request		 req;
};

static struct fixture	fx;

static int
setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(sign_key_init(&fx.keys[0], "app-a", SECRET,
	    strlen(SECRET)), 0);
	assert_int_equal(sign_key_parse(&fx.keys[1],
	    "app-b:00112233445566778899aabbccddeeff"), 0);
	sign_replay_init(&fx.replay, fx.slots, 8);
	assert_int_equal(sign_request_headers(&fx.keys[0], "POST", PATH, NOW,
	    BODY, strlen(BODY), &fx.h), 0);
	fx.req.key_id = fx.h.key_id;
	fx.req.timestamp = fx.h.timestamp;
	fx.req.signature = fx.h.signature;
	fx.req.method = "POST";
	fx.req.path = PATH;
	fx.req.body = BODY;
	fx.req.body_len = strlen(BODY);
	return (0);
}

static enum sign_verdict
verify_at(int64_t now)
{
	return (sign_verify(fx.keys, 2, &fx.replay, &fx.req, now, NULL));
}

static void
test_sign_matches_an_independent_hmac(void **state)
{
	char	hex[SIGN_HEX_LEN + 1];

	(void)state;
	assert_string_equal(fx.h.signature, "71164a87456d7aa3398469e823bf70"
	    "9b4ac4d28ff30af661a3c82afe0ddafa22");
	assert_string_equal(fx.h.timestamp, "1700000000");
	assert_string_equal(fx.h.key_id, "app-a");
	/* An empty body hashes as zero bytes. */
	assert_int_equal(sign_compute(&fx.keys[0], "GET", "/x", 0, NULL, 0,
	    hex), 0);
	assert_string_equal(hex, "eb84f9939c9c608c6cf15881f8def78fee74b666dd"
	    "d7820f3cbdc3097e6e13d4");
}

static void
test_sign_accepts_a_valid_request(void **state)
{
	const struct sign_key	*key;

	(void)state;
	assert_int_equal(sign_verify(fx.keys, 2, &fx.replay, &fx.req, NOW,
	    &key), SIGN_OK);
	assert_ptr_equal(key, &fx.keys[0]);
}

static void
test_sign_refuses_missing_headers(void **state)
{
	(void)state;
	fx.req.signature = NULL;
	assert_int_equal(verify_at(NOW), SIGN_MISSING);
	fx.req.signature = "";
	assert_int_equal(verify_at(NOW), SIGN_MISSING);
	fx.req.signature = fx.h.signature;
	fx.req.timestamp = NULL;
	assert_int_equal(verify_at(NOW), SIGN_MISSING);
	fx.req.timestamp = fx.h.timestamp;
	fx.req.key_id = NULL;
	assert_int_equal(verify_at(NOW), SIGN_MISSING);
	fx.req.key_id = fx.h.key_id;
	assert_int_equal(verify_at(NOW), SIGN_OK);
}

static void
test_sign_refuses_a_wrong_signature(void **state)
{
	char	wrong[SIGN_HEX_LEN + 1];

	(void)state;
	/* One flipped nibble. */
	memcpy(wrong, fx.h.signature, sizeof(wrong));
	wrong[10] = wrong[10] == '0' ? '1' : '0';
	fx.req.signature = wrong;
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	/* Signed with the other app's key. */
	fx.req.key_id = "app-b";
	fx.req.signature = fx.h.signature;
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	fx.req.key_id = "app-c";
	assert_int_equal(verify_at(NOW), SIGN_UNKNOWN_KEY);
}

static void
test_sign_refuses_malformed_headers(void **state)
{
	char		 upper[SIGN_HEX_LEN + 1];
	const char	*stamps[] = { "01700000000", "+1700000000",
	    "1700000000 ", "17e8", "-1", "1700000000000" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++) {
		fx.req.timestamp = stamps[i];
		assert_int_equal(verify_at(NOW), SIGN_MALFORMED);
	}
	fx.req.timestamp = fx.h.timestamp;
	for (i = 0; i < SIGN_HEX_LEN; i++)
		upper[i] = (char)(fx.h.signature[i] >= 'a' ?
		    fx.h.signature[i] - 32 : fx.h.signature[i]);
	upper[SIGN_HEX_LEN] = '\0';
	fx.req.signature = upper;
	assert_int_equal(verify_at(NOW), SIGN_MALFORMED);
	upper[SIGN_HEX_LEN - 1] = '\0';
	assert_int_equal(verify_at(NOW), SIGN_MALFORMED);
	fx.req.signature = fx.h.signature;
	fx.req.path = "/v1/id/verify\nX";
	assert_int_equal(verify_at(NOW), SIGN_MALFORMED);
}

static void
test_sign_refuses_stale_requests(void **state)
{
	(void)state;
	assert_int_equal(verify_at(NOW + SIGN_WINDOW_S + 1), SIGN_STALE);
	assert_int_equal(verify_at(NOW + 3600), SIGN_STALE);
	/* The edge of the window still passes. */
	assert_int_equal(verify_at(NOW + SIGN_WINDOW_S), SIGN_OK);
}

static void
test_sign_refuses_future_dated_requests(void **state)
{
	(void)state;
	assert_int_equal(verify_at(NOW - SIGN_WINDOW_S - 1), SIGN_FUTURE);
	assert_int_equal(verify_at(NOW - SIGN_WINDOW_S), SIGN_OK);
}

static void
test_sign_refuses_a_replay_within_the_window(void **state)
{
	struct sign_headers	h2;

	(void)state;
	assert_int_equal(verify_at(NOW), SIGN_OK);
	assert_int_equal(verify_at(NOW), SIGN_REPLAYED);
	assert_int_equal(verify_at(NOW + SIGN_WINDOW_S), SIGN_REPLAYED);
	/* Once out of the window it is stale, not replayed. */
	assert_int_equal(verify_at(NOW + SIGN_WINDOW_S + 1), SIGN_STALE);
	/* The same request signed a second later is a new request. */
	assert_int_equal(sign_request_headers(&fx.keys[0], "POST", PATH,
	    NOW + 1, BODY, strlen(BODY), &h2), 0);
	fx.req.timestamp = h2.timestamp;
	fx.req.signature = h2.signature;
	assert_int_equal(verify_at(NOW + 1), SIGN_OK);
}

static void
test_sign_refuses_a_changed_body(void **state)
{
	(void)state;
	fx.req.body = "{\"request_id\":\"r2\"}";
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	fx.req.body = BODY;
	fx.req.body_len = strlen(BODY) - 1;
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	fx.req.body_len = 0;
	assert_int_equal(verify_at(NOW), SIGN_BAD);
}

static void
test_sign_refuses_a_changed_path_or_method(void **state)
{
	(void)state;
	fx.req.path = "/v1/id/verify2";
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	fx.req.path = "/v1/id/Verify";
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	fx.req.path = PATH;
	fx.req.method = "PUT";
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	fx.req.method = "POST";
	assert_int_equal(verify_at(NOW), SIGN_OK);
}

static void
test_sign_forgeries_never_fill_the_replay_cache(void **state)
{
	struct sign_headers	h;
	char			wrong[SIGN_HEX_LEN + 1];
	int64_t			t;
	size_t			i;

	(void)state;
	memcpy(wrong, fx.h.signature, sizeof(wrong));
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	fx.req.signature = wrong;
	for (i = 0; i < 100; i++)
		assert_int_equal(verify_at(NOW), SIGN_BAD);
	/* Eight genuine requests fill eight slots; the ninth is refused. */
	for (t = NOW; t < NOW + 9; t++) {
		assert_int_equal(sign_request_headers(&fx.keys[0], "POST",
		    PATH, t, BODY, strlen(BODY), &h), 0);
		fx.req.timestamp = h.timestamp;
		fx.req.signature = h.signature;
		assert_int_equal(verify_at(NOW + 8), t < NOW + 8 ? SIGN_OK :
		    SIGN_REPLAY_FULL);
	}
	/* Once the first entries leave the window their slots are reused. */
	assert_int_equal(verify_at(NOW + SIGN_WINDOW_S + 1), SIGN_OK);
}

static void
test_sign_keys_are_bounded(void **state)
{
	struct sign_key	k;
	char		long_id[SIGN_KEY_ID_MAX + 1];

	(void)state;
	assert_int_equal(sign_key_init(&k, "a", "short", 5), -1);
	assert_int_equal(sign_key_init(&k, "", SECRET, strlen(SECRET)), -1);
	assert_int_equal(sign_key_init(&k, "has space", SECRET,
	    strlen(SECRET)), -1);
	memset(long_id, 'i', SIGN_KEY_ID_MAX);
	long_id[SIGN_KEY_ID_MAX] = '\0';
	assert_int_equal(sign_key_init(&k, long_id, SECRET, strlen(SECRET)),
	    -1);
	assert_int_equal(sign_key_parse(&k, "nocolon"), -1);
	assert_int_equal(sign_key_parse(&k, "a:0011"), -1);
	assert_int_equal(sign_key_parse(&k,
	    "a:zz112233445566778899aabbccddeeff"), -1);
	assert_int_equal(sign_key_parse(&k,
	    ":00112233445566778899aabbccddeeff"), -1);
	assert_int_equal(sign_key_parse(&k,
	    "a:00112233445566778899aabbccddeeff"), 0);
	assert_int_equal(k.secret_len, 16);
	sign_key_clear(&k);
	assert_int_equal(k.secret_len, 0);
	assert_string_equal(sign_verdict_name(SIGN_REPLAYED), "replayed");
	assert_string_equal(sign_verdict_name(SIGN_VERDICT_COUNT), "unknown");
}

/* The nonce is a fifth signed line, checked against an independent HMAC. */
static void
test_sign_nonce_is_signed_as_a_fifth_line(void **state)
{
	char	hex[SIGN_HEX_LEN + 1];

	(void)state;
	assert_int_equal(sign_compute_nonce(&fx.keys[0], "POST", PATH, NOW,
	    BODY, strlen(BODY), "n-1", hex), 0);
	assert_string_equal(hex, "504761fca94dbd7c31bcbe0e31cc38cd06dc11c75b"
	    "c3e3753654851f0236a6c6");
	/* A nonce the signer never signed, or one dropped, fails. */
	fx.req.nonce = "n-1";
	assert_int_equal(verify_at(NOW), SIGN_BAD);
	fx.req.signature = hex;
	assert_int_equal(verify_at(NOW), SIGN_OK);
	fx.req.nonce = NULL;
	assert_int_equal(verify_at(NOW), SIGN_BAD);
}

/* Two equal requests in one second: distinct nonces, both accepted. */
static void
test_sign_nonces_let_equal_requests_pass_and_still_stop_replays(void **state)
{
	struct sign_headers	a, b;

	(void)state;
	assert_int_equal(sign_request_headers_nonce(&fx.keys[0], "POST", PATH,
	    NOW, BODY, strlen(BODY), &a), 0);
	assert_int_equal(sign_request_headers_nonce(&fx.keys[0], "POST", PATH,
	    NOW, BODY, strlen(BODY), &b), 0);
	assert_int_equal(strlen(a.nonce), SIGN_NONCE_BYTES * 2);
	assert_string_not_equal(a.nonce, b.nonce);
	assert_string_not_equal(a.signature, b.signature);
	fx.req.signature = a.signature;
	fx.req.nonce = a.nonce;
	assert_int_equal(verify_at(NOW), SIGN_OK);
	fx.req.signature = b.signature;
	fx.req.nonce = b.nonce;
	assert_int_equal(verify_at(NOW), SIGN_OK);
	/* Either one again is a replay. */
	assert_int_equal(verify_at(NOW), SIGN_REPLAYED);
}

static void
test_sign_malformed_nonces_are_refused(void **state)
{
	static const char *const bad[] = {
		"", "has space", "semi;colon", "\xe6\xb5\x8b",
		"0123456789012345678901234567890123456789012345678901234567890123"
		"4",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx.req.nonce = bad[i];
		assert_int_equal(verify_at(NOW), SIGN_MALFORMED);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sign_matches_an_independent_hmac,
		    setup),
		cmocka_unit_test_setup(test_sign_accepts_a_valid_request,
		    setup),
		cmocka_unit_test_setup(test_sign_refuses_missing_headers,
		    setup),
		cmocka_unit_test_setup(test_sign_refuses_a_wrong_signature,
		    setup),
		cmocka_unit_test_setup(test_sign_refuses_malformed_headers,
		    setup),
		cmocka_unit_test_setup(test_sign_refuses_stale_requests,
		    setup),
		cmocka_unit_test_setup(test_sign_refuses_future_dated_requests,
		    setup),
		cmocka_unit_test_setup(
		    test_sign_refuses_a_replay_within_the_window, setup),
		cmocka_unit_test_setup(test_sign_refuses_a_changed_body,
		    setup),
		cmocka_unit_test_setup(
		    test_sign_refuses_a_changed_path_or_method, setup),
		cmocka_unit_test_setup(
		    test_sign_forgeries_never_fill_the_replay_cache, setup),
		cmocka_unit_test_setup(test_sign_keys_are_bounded, setup),
		cmocka_unit_test_setup(test_sign_nonce_is_signed_as_a_fifth_line,
		    setup),
		cmocka_unit_test_setup(
		    test_sign_nonces_let_equal_requests_pass_and_still_stop_replays,
		    setup),
		cmocka_unit_test_setup(test_sign_malformed_nonces_are_refused,
		    setup),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
