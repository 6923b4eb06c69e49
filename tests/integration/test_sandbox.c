/*
 * idcheck-sandbox over real HTTP: every registry outcome, signatures,
 * faults, byte-exact names and the call counter, each answer read back
 * through the same normalizer the client uses.  Nothing here prints a
 * name or an ID number: comparisons use assert_true(strcmp(...)).
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

#include <regex.h>

#include <cmocka.h>
#include <sodium.h>

#include "idcheck_provider.h"
#include "jsonw.h"
#include "sandbox_harness.h"

static struct sandbox	sbx;
static struct sandbox	extra;		/* a test's own sandbox */
static unsigned long	seq;

/* A request body for one person; portrait may be NULL. */
static char *
body_for(const char *name, const char *number, const char *portrait,
    char *request_id, size_t idlen, size_t *len)
{
	struct jsonw	 w;
	char		*text;

	(void)snprintf(request_id, idlen, "it-%lu", ++seq);
	jsonw_init(&w, 16 << 20);
	idcheck_provider_request_body(idcheck_provider_find("sandbox"), &w,
	    request_id, name, number, portrait);
	assert_non_null(jsonw_text(&w));
	text = strdup(jsonw_text(&w));
	assert_non_null(text);
	*len = strlen(text);
	jsonw_free(&w);
	return (text);
}

/* One signed call to sandbox s, normalized. */
static enum idcheck_result
check_on(const struct sandbox *s, const char *name, const char *number,
    const char *portrait, const char *fault, struct idcheck_response *out)
{
	struct idcheck_response	 tmp;
	struct http_reply	 r;
	char			 rid[32], *body;
	size_t			 len;
	enum idcheck_result	 res;

	if (out == NULL)
		out = &tmp;
	body = body_for(name, number, portrait, rid, sizeof(rid), &len);
	if (sandbox_verify(s, body, len, 0, fault, 5000, &r, NULL) == -1)
		res = idcheck_provider_parse(idcheck_provider_find("sandbox"),
		    0, "", 0, rid, out);
	else
		res = idcheck_provider_parse(idcheck_provider_find("sandbox"),
		    r.status, r.body, r.len, rid, out);
	http_reply_free(&r);
	free(body);
	return (res);
}

static enum idcheck_result
check(const char *name, const char *number, const char *portrait,
    const char *fault, struct idcheck_response *out)
{
	return (check_on(&sbx, name, number, portrait, fault, out));
}

static const struct sbx_person *
person(size_t i)
{
	assert_true(i < sbx.registry.count);
	return (&sbx.registry.people[i]);
}

/* The first person with a registry photo and a valid card. */
static const struct sbx_person *
valid_with_photo(void)
{
	size_t	i;

	for (i = 0; i < sbx.registry.count; i++) {
		if (!person(i)->cancelled && person(i)->portrait[0] != '\0')
			return (person(i));
	}
	fail();
	return (NULL);
}

static void
assert_log_clean(const struct harness *h)
{
	regex_t	 re;
	char	*log;
	size_t	 i;

	log = harness_log(h);
	assert_null(strstr(log, "ignoring \""));
	assert_null(strstr(log, "sandbox violation"));
	/* No 18-character ID number, no registry name, ever. */
	assert_int_equal(regcomp(&re, "[0-9]{17}[0-9Xx]", REG_EXTENDED |
	    REG_NOSUB), 0);
	assert_int_equal(regexec(&re, log, 0, NULL, 0), REG_NOMATCH);
	regfree(&re);
	for (i = 0; i < sbx.registry.count; i++)
		assert_true(strstr(log, person(i)->name) == NULL);
	free(log);
}

static int
group_setup(void **state)
{
	(void)state;
	return (sandbox_start(&sbx, "127.0.0.1"));
}

/* Runs even when the test failed: no kore is left behind. */
static int
extra_teardown(void **state)
{
	(void)state;
	sandbox_finish(&extra);
	memset(&extra, 0, sizeof(extra));
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	sandbox_finish(&sbx);
	return (0);
}

/*
 * Providers cap checks per number per day; the sandbox too, separately
 * for name checks and face checks (caps set small through its
 * environment).
 */
static void
test_sandbox_caps_checks_per_number_per_day(void **state)
{
	const struct sbx_person	*p, *q;
	size_t			 i;
	int			 k;

	(void)state;
	setenv("IDCHECK_SANDBOX_CAP_NAME", "3", 1);
	setenv("IDCHECK_SANDBOX_CAP_FACE", "2", 1);
	assert_int_equal(sandbox_start(&extra, "127.0.0.1"), 0);
	unsetenv("IDCHECK_SANDBOX_CAP_NAME");
	unsetenv("IDCHECK_SANDBOX_CAP_FACE");

	p = q = NULL;
	for (i = 0; i < extra.registry.count; i++) {
		if (extra.registry.people[i].cancelled ||
		    extra.registry.people[i].portrait[0] == '\0')
			continue;
		if (p == NULL)
			p = &extra.registry.people[i];
		else if (q == NULL)
			q = &extra.registry.people[i];
	}
	assert_non_null(p);
	assert_non_null(q);
	for (k = 0; k < 3; k++)
		assert_int_equal(check_on(&extra, p->name, p->number, NULL,
		    NULL, NULL), IDCHECK_MATCH);
	assert_int_equal(check_on(&extra, p->name, p->number, NULL, NULL,
	    NULL), IDCHECK_RATE_LIMITED);
	/* Face checks count apart, and other numbers are not affected. */
	for (k = 0; k < 2; k++)
		assert_int_equal(check_on(&extra, p->name, p->number,
		    "/9j/AA==", NULL, NULL), IDCHECK_MATCH);
	assert_int_equal(check_on(&extra, p->name, p->number, "/9j/AA==",
	    NULL, NULL), IDCHECK_RATE_LIMITED);
	assert_int_equal(check_on(&extra, q->name, q->number, NULL, NULL,
	    NULL), IDCHECK_MATCH);
	assert_log_clean(&extra.h);
}

/*
 * Another photo of the identity whose photo is at path (same != 0) or a
 * photo of someone else, base64, from the faces set's identities.csv.
 */
static char *
other_photo_b64(const char *path, int same)
{
	const char	*base, *data;
	char		 csv[512], line[256], ident[64], file[512], *comma;
	char		*buf, *b64;
	FILE		*fp;
	long		 n;
	size_t		 cap;

	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if ((data = getenv("REALNAME_SHARED_DATA")) == NULL)
		data = "../shared/data";
	(void)snprintf(csv, sizeof(csv), "%s/faces/identities.csv", data);
	ident[0] = '\0';
	file[0] = '\0';
	/* Twice: first the identity of path, then a photo to send. */
	for (n = 0; n < 2; n++) {
		assert_non_null(fp = fopen(csv, "r"));
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if ((comma = strchr(line, ',')) == NULL ||
			    strcmp(line, "file,identity") == 0)
				continue;
			*comma++ = '\0';
			if (n == 0 && strcmp(line, base) == 0)
				(void)snprintf(ident, sizeof(ident), "%s",
				    comma);
			if (n == 1 && file[0] == '\0' &&
			    strcmp(line, base) != 0 &&
			    (strcmp(comma, ident) == 0) == (same != 0))
				(void)snprintf(file, sizeof(file),
				    "%s/faces/%s", data, line);
		}
		(void)fclose(fp);
	}
	assert_true(file[0] != '\0');
	assert_non_null(fp = fopen(file, "rb"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((n = ftell(fp)) > 0);
	assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
	assert_non_null(buf = malloc((size_t)n));
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	(void)fclose(fp);
	cap = sodium_base64_ENCODED_LEN((size_t)n,
	    sodium_base64_VARIANT_ORIGINAL);
	assert_non_null(b64 = malloc(cap));
	(void)sodium_bin2base64(b64, cap, (unsigned char *)buf, (size_t)n,
	    sodium_base64_VARIANT_ORIGINAL);
	free(buf);
	return (b64);
}

/*
 * With the models, a portrait is compared with the registry photo: the
 * same person matches with a similarity, another person is a face
 * mismatch, a portrait without a face is invalid input.
 */
static void
test_sandbox_compares_portraits_with_the_registry_photo(void **state)
{
	struct idcheck_response	 r;
	const struct sbx_person	*p;
	const char		*models;
	char			*same, *other;
	size_t			 i;

	(void)state;
	if ((models = getenv("REALNAME_MODELS")) == NULL)
		models = "assets/models";
	setenv("IDCHECK_SANDBOX_MODELS", models, 1);
	assert_int_equal(sandbox_start(&extra, "127.0.0.1"), 0);
	unsetenv("IDCHECK_SANDBOX_MODELS");

	p = NULL;
	for (i = 0; i < extra.registry.count && p == NULL; i++) {
		if (!extra.registry.people[i].cancelled &&
		    extra.registry.people[i].portrait[0] != '\0')
			p = &extra.registry.people[i];
	}
	assert_non_null(p);
	same = other_photo_b64(p->portrait, 1);
	other = other_photo_b64(p->portrait, 0);

	assert_int_equal(check_on(&extra, p->name, p->number, same, NULL,
	    &r), IDCHECK_MATCH);
	assert_true(r.has_similarity);
	print_message("# same person: similarity %.1f\n", r.similarity);
	assert_true(r.similarity >= idcheck_provider_find("sandbox")->
	    face_min_similarity);
	assert_int_equal(check_on(&extra, p->name, p->number, other, NULL,
	    &r), IDCHECK_FACE_MISMATCH);
	assert_true(r.has_similarity);
	print_message("# another person: similarity %.1f\n", r.similarity);
	assert_true(r.billable);
	/* A name mismatch is answered before any face is looked at. */
	assert_int_equal(check_on(&extra, "\xe6\x9f\x90", p->number, same,
	    NULL, &r), IDCHECK_MISMATCH);
	assert_false(r.has_similarity);
	/* Base64 of something that is not a photo. */
	assert_int_equal(check_on(&extra, p->name, p->number, "AAAAAAAA",
	    NULL, &r), IDCHECK_INVALID_INPUT);
	/* Not base64 at all. */
	assert_int_equal(check_on(&extra, p->name, p->number, "%%%%", NULL,
	    &r), IDCHECK_INVALID_INPUT);
	/* Faults still shape a compared answer. */
	assert_int_equal(check_on(&extra, p->name, p->number, same,
	    "latency=50", &r), IDCHECK_MATCH);
	assert_int_equal(check_on(&extra, p->name, p->number, same,
	    "malformed", &r), IDCHECK_UPSTREAM_ERROR);
	free(same);
	free(other);
	assert_log_clean(&extra.h);
}

/* Last: the whole run's log holds no number, no name, no warning. */
static void
test_sandbox_log_has_no_personal_data(void **state)
{
	(void)state;
	assert_log_clean(&sbx.h);
}

static void
test_sandbox_answers_every_registry_outcome(void **state)
{
	const struct sbx_person	*p;
	struct idcheck_response	 r;
	size_t			 i;
	int			 seen_card = 0, seen_nophoto = 0;
	char			 other[SBX_NUMBER_MAX];

	(void)state;
	for (i = 0; i < sbx.registry.count; i++) {
		p = person(i);
		if (p->cancelled) {
			assert_int_equal(check(p->name, p->number, NULL, NULL,
			    &r), IDCHECK_CARD_STATE);
			seen_card = 1;
			continue;
		}
		assert_int_equal(check(p->name, p->number, NULL, NULL, &r),
		    IDCHECK_MATCH);
		assert_true(r.billable);
		assert_true(r.upstream_id[0] != '\0');
		assert_int_equal(check("\xe6\x9f\x90\xe4\xba\xba", p->number,
		    NULL, NULL, &r), IDCHECK_MISMATCH);
		if (p->portrait[0] == '\0') {
			assert_int_equal(check(p->name, p->number, "/9j/AA==",
			    NULL, &r), IDCHECK_NO_PHOTO);
			seen_nophoto = 1;
		} else {
			/* Faces are not compared yet: no similarity. */
			assert_int_equal(check(p->name, p->number,
			    "/9j/AA==", NULL, &r), IDCHECK_MATCH);
			assert_false(r.has_similarity);
		}
	}
	assert_true(seen_card);
	assert_true(seen_nophoto);

	/* A valid number nobody holds, and one with a wrong check digit. */
	assert_int_equal(check("x", "11010519491231002X", NULL, NULL, &r),
	    IDCHECK_NOT_FOUND);
	p = valid_with_photo();
	memcpy(other, p->number, sizeof(other));
	other[17] = other[17] == '0' ? '1' : '0';
	assert_int_equal(check(p->name, other, NULL, NULL, &r),
	    IDCHECK_INVALID_INPUT);
	assert_int_equal(check("", p->number, NULL, NULL, &r),
	    IDCHECK_INVALID_INPUT);
}

static void
test_sandbox_names_round_trip_byte_exact(void **state)
{
	const char	*dot = "\xc2\xb7", *rare = "\xf0\xaa\x9a\xa5";
	char		 altered[SBX_NAME_MAX];
	size_t		 i;
	int		 seen_dot = 0, seen_rare = 0;

	(void)state;
	for (i = 0; i < sbx.registry.count; i++) {
		if (person(i)->cancelled)
			continue;
		if (strstr(person(i)->name, dot) != NULL)
			seen_dot = 1;
		else if (strstr(person(i)->name, rare) != NULL)
			seen_rare = 1;
		else
			continue;
		assert_int_equal(check(person(i)->name, person(i)->number,
		    NULL, NULL, NULL), IDCHECK_MATCH);
		/* The same name with its last byte changed is another. */
		(void)snprintf(altered, sizeof(altered), "%s",
		    person(i)->name);
		altered[strlen(altered) - 1] ^= 0x01;
		assert_int_equal(check(altered, person(i)->number, NULL,
		    NULL, NULL), IDCHECK_MISMATCH);
	}
	assert_true(seen_dot);
	assert_true(seen_rare);
}

static void
test_sandbox_refuses_bad_signatures_with_401(void **state)
{
	const struct sbx_person	*p;
	struct sign_headers	 sh;
	struct http_reply	 r;
	char			 rid[32], *body, h[3][160];
	const char		*list[4];
	size_t			 len;
	long			 before;

	(void)state;
	p = valid_with_photo();
	body = body_for(p->name, p->number, NULL, rid, sizeof(rid), &len);
	before = sandbox_calls(&sbx);
	assert_true(before >= 0);

	/* Missing: no signature headers at all. */
	assert_int_equal(sandbox_http(&sbx, "POST", "/v1/id/verify", body,
	    len, NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);

	/* Stale and future-dated. */
	assert_int_equal(sandbox_verify(&sbx, body, len, -(SIGN_WINDOW_S + 5),
	    NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "stale"));
	http_reply_free(&r);
	assert_int_equal(sandbox_verify(&sbx, body, len, SIGN_WINDOW_S + 5,
	    NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);

	/* Wrong: signed over another body. */
	assert_int_equal(sign_request_headers(&sbx.key, "POST",
	    "/v1/id/verify", (int64_t)time(NULL), "{}", 2, &sh), 0);
	(void)snprintf(h[0], sizeof(h[0]), "X-App-Id: %s", sh.key_id);
	(void)snprintf(h[1], sizeof(h[1]), "X-Timestamp: %s", sh.timestamp);
	(void)snprintf(h[2], sizeof(h[2]), "X-Signature: %s", sh.signature);
	list[0] = h[0];
	list[1] = h[1];
	list[2] = h[2];
	list[3] = NULL;
	assert_int_equal(sandbox_http(&sbx, "POST", "/v1/id/verify", body,
	    len, list, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "bad_signature"));
	http_reply_free(&r);

	/* Replayed: the same signed request twice. */
	assert_int_equal(sign_request_headers(&sbx.key, "POST",
	    "/v1/id/verify", (int64_t)time(NULL), body, len, &sh), 0);
	(void)snprintf(h[1], sizeof(h[1]), "X-Timestamp: %s", sh.timestamp);
	(void)snprintf(h[2], sizeof(h[2]), "X-Signature: %s", sh.signature);
	assert_int_equal(sandbox_http(&sbx, "POST", "/v1/id/verify", body,
	    len, list, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	assert_int_equal(sandbox_http(&sbx, "POST", "/v1/id/verify", body,
	    len, list, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "replayed"));
	http_reply_free(&r);

	/* Every one of the six calls was counted. */
	assert_int_equal(sandbox_calls(&sbx), before + 6);
	free(body);
}

static void
test_sandbox_refuses_a_reused_request_id_with_another_body(void **state)
{
	const struct sbx_person	*p;
	struct http_reply	 r;
	char			 rid[32], *body, *other;
	size_t			 len, olen;

	(void)state;
	p = valid_with_photo();
	body = body_for(p->name, p->number, NULL, rid, sizeof(rid), &len);
	other = strdup(body);
	assert_non_null(other);
	olen = len;
	/* Same request id, one more byte of whitespace. */
	other = realloc(other, olen + 2);
	assert_non_null(other);
	memcpy(other + olen, " ", 2);
	olen++;
	assert_int_equal(sandbox_verify(&sbx, body, len, 0, NULL, 5000, &r,
	    NULL), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	/* A retry with the same body is answered again. */
	assert_int_equal(sandbox_verify(&sbx, body, len, 1, NULL, 5000, &r,
	    NULL), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	assert_int_equal(sandbox_verify(&sbx, other, olen, 0, NULL, 5000, &r,
	    NULL), 0);
	assert_int_equal(r.status, 409);
	http_reply_free(&r);
	free(body);
	free(other);
}

static void
test_sandbox_fault_modes_normalize_20_times_each(void **state)
{
	static const struct {
		const char		*fault;
		enum idcheck_result	 want;
	} modes[] = {
		{ "status=500", IDCHECK_UPSTREAM_ERROR },
		{ "status=502", IDCHECK_UPSTREAM_ERROR },
		{ "status=503", IDCHECK_UPSTREAM_ERROR },
		{ "reset", IDCHECK_UPSTREAM_ERROR },
		{ "malformed", IDCHECK_UPSTREAM_ERROR },
		{ "unknown_code", IDCHECK_UPSTREAM_ERROR },
		{ "service_error", IDCHECK_UPSTREAM_ERROR },
		{ "rate_limit", IDCHECK_RATE_LIMITED },
		{ "latency=20", IDCHECK_MATCH },
	};
	const struct sbx_person	*p;
	long			 before;
	size_t			 m;
	int			 k;

	(void)state;
	p = valid_with_photo();
	before = sandbox_calls(&sbx);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		print_message("# fault %s\n", modes[m].fault);
		for (k = 0; k < 20; k++)
			assert_int_equal(check(p->name, p->number, NULL,
			    modes[m].fault, NULL), modes[m].want);
	}
	assert_int_equal(sandbox_calls(&sbx),
	    before + 20 * (long)(sizeof(modes) / sizeof(modes[0])));
}

/*
 * A hang outlasts the client's timeout; the sandbox forgets the request
 * when the client leaves (its timer is removed) and keeps serving.
 */
static void
test_sandbox_hang_outlasts_the_client_timeout(void **state)
{
	const struct sbx_person	*p;
	struct http_reply	 r;
	char			 rid[32], *body;
	size_t			 len;
	double			 ms;
	int			 k;

	(void)state;
	p = valid_with_photo();
	for (k = 0; k < 3; k++) {
		body = body_for(p->name, p->number, NULL, rid, sizeof(rid),
		    &len);
		assert_int_equal(sandbox_verify(&sbx, body, len, 0,
		    "hang=2000", 500, &r, &ms), -1);
		assert_int_equal(r.status, 0);
		assert_true(ms >= 450 && ms < 1500);
		http_reply_free(&r);
		free(body);
	}
	/* Let the abandoned timers' deadlines pass, then a normal call. */
	usleep(2000 * 1000);
	assert_int_equal(check(p->name, p->number, NULL, NULL, NULL),
	    IDCHECK_MATCH);
	/* Latency shorter than the timeout is only slow. */
	body = body_for(p->name, p->number, NULL, rid, sizeof(rid), &len);
	assert_int_equal(sandbox_verify(&sbx, body, len, 0, "latency=300",
	    2000, &r, &ms), 0);
	assert_int_equal(r.status, 200);
	assert_true(ms >= 290);
	http_reply_free(&r);
	free(body);
}

static void
test_sandbox_schedule_applies_to_every_request(void **state)
{
	const struct sbx_person	*p;
	struct http_reply	 r;
	int			 k, errors, matches;

	(void)state;
	p = valid_with_photo();
	assert_int_equal(sandbox_http(&sbx, "PUT", "/admin/faults",
	    "status=503", 10, NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 204);
	http_reply_free(&r);
	for (k = 0; k < 5; k++)
		assert_int_equal(check(p->name, p->number, NULL, NULL, NULL),
		    IDCHECK_UPSTREAM_ERROR);

	/* A 50% mix: both outcomes show up in 60 calls. */
	assert_int_equal(sandbox_http(&sbx, "PUT", "/admin/faults",
	    "50%:status=503", 14, NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 204);
	http_reply_free(&r);
	errors = matches = 0;
	for (k = 0; k < 60; k++) {
		if (check(p->name, p->number, NULL, NULL, NULL) ==
		    IDCHECK_MATCH)
			matches++;
		else
			errors++;
	}
	print_message("# 50%% mix: %d match, %d upstream_error\n", matches,
	    errors);
	assert_true(matches > 0 && errors > 0);

	/* A bad spec is refused; "none" clears the schedule. */
	assert_int_equal(sandbox_http(&sbx, "PUT", "/admin/faults",
	    "status=404", 10, NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 400);
	http_reply_free(&r);
	assert_int_equal(sandbox_http(&sbx, "PUT", "/admin/faults", "none",
	    4, NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 204);
	http_reply_free(&r);
	assert_int_equal(check(p->name, p->number, NULL, NULL, NULL),
	    IDCHECK_MATCH);
}

static void
test_sandbox_admin_routes_absent_unless_loopback(void **state)
{
	struct http_reply	 r;

	(void)state;
	/* Bound to every address: the admin routes do not exist. */
	assert_int_equal(sandbox_start(&extra, "0.0.0.0"), 0);
	assert_int_equal(sandbox_http(&extra, "GET", "/admin/calls", NULL, 0,
	    NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	assert_int_equal(sandbox_http(&extra, "PUT", "/admin/faults", "reset",
	    5, NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	assert_log_clean(&extra.h);

	assert_true(sandbox_calls(&sbx) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_answers_every_registry_outcome),
		cmocka_unit_test(test_sandbox_names_round_trip_byte_exact),
		cmocka_unit_test(test_sandbox_refuses_bad_signatures_with_401),
		cmocka_unit_test(
		    test_sandbox_refuses_a_reused_request_id_with_another_body),
		cmocka_unit_test(
		    test_sandbox_fault_modes_normalize_20_times_each),
		cmocka_unit_test(
		    test_sandbox_hang_outlasts_the_client_timeout),
		cmocka_unit_test(
		    test_sandbox_schedule_applies_to_every_request),
		cmocka_unit_test_teardown(
		    test_sandbox_admin_routes_absent_unless_loopback,
		    extra_teardown),
		cmocka_unit_test_teardown(
		    test_sandbox_caps_checks_per_number_per_day,
		    extra_teardown),
		cmocka_unit_test_teardown(
		    test_sandbox_compares_portraits_with_the_registry_photo,
		    extra_teardown),
		cmocka_unit_test(test_sandbox_log_has_no_personal_data),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
