/*
 * Every reject reason through the running service: generated people
 * (tools/gen) upload through the real routes, the pipeline measures the
 * sealed photos, and the real ID-check sandbox answers from a registry
 * that holds them.  The cap of active approved cases per number is set
 * to 2 so that a third approval of one person is refused.
 *
 *   number with a broken check digit      → 422 id_number_invalid (open)
 *   approved twice, a third time          → rejected id_cap_reached
 *   expired card                          → rejected card_expired
 *   card number ≠ declared number         → rejected ocr_number_mismatch
 *   another person's face in the selfie   → rejected face_mismatch
 *   registry: another name                → rejected identity_mismatch
 *   registry: no such number              → rejected identity_not_found
 *   registry: card cancelled              → rejected card_not_valid
 *
 * Each rejection reaches the customer with its code, both texts and
 * whether a retry is allowed, and the order system's view names the rule.
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

#include "direct_case.h"
#include "harness.h"
#include "idnumber.h"
#include "imaging.h"
#include "people.h"
#include "sandbox_harness.h"
#include "sign.h"
#include "store.h"

#define SEED		20261130ULL
#define SCAN_MAX	120

enum who {
	W_TWICE,	/* approved twice, then capped */
	W_CANCELLED,	/* registry: card cancelled */
	W_UNKNOWN,	/* not in the registry */
	W_EXPIRED,	/* expired card */
	W_OTHER_NUMBER,	/* declares a number that is not on the card */
	W_IMPOSTOR,	/* another person holds the card */
	W_NAME,		/* declares another registry person's name */
	W_COUNT,
};

static struct sandbox	sbx;
static struct harness	kore;
static struct sign_key	shop;
static struct gen	*gen;
static struct person	people[W_COUNT];

/*
 * Picks one person per role from the generated set.  The roles need
 * genuine selfies whose photos the gate takes (the impostor goes
 * straight into the store: the gate may already refuse the selfie).
 */
static int
pick_people(void)
{
	static const int	 twice[3] = { 2000, 1900, 1800 };
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	struct person		 p;
	const struct gen_truth	*t;
	int			 i, w, have, r;

	imaging_options_default(&opt);
	if ((eng = imaging_engine_new(getenv("REALNAME_MODELS"), &opt,
	    &ierr)) == NULL) {
		fprintf(stderr, "# imaging: %s\n", ierr.msg);
		return (-1);
	}
	have = 0;
	for (i = 0; i < SCAN_MAX && have != (1 << W_COUNT) - 1; i++) {
		if (person_make(gen, SEED, i, 2000, &p) == -1)
			goto fail;
		t = person_card(&p);
		w = -1;
		if (!t->number_valid)
			w = -1;
		else if (!p.photo[2].truth.genuine)
			w = W_IMPOSTOR;
		else if (person_card_expired(&p))
			w = W_EXPIRED;
		else if (!(have & (1 << W_TWICE)))
			w = W_TWICE;
		else if (!(have & (1 << W_CANCELLED)))
			w = W_CANCELLED;
		else if (!(have & (1 << W_UNKNOWN)))
			w = W_UNKNOWN;
		else if (!(have & (1 << W_NAME)))
			w = W_NAME;
		else
			w = W_OTHER_NUMBER;
		if (w == -1 || (have & (1 << w))) {
			person_free(&p);
			continue;
		}
		if (w == W_IMPOSTOR) {
			people[w] = p;
			have |= 1 << w;
			continue;
		}
		person_free(&p);
		r = person_accepted_at(gen, eng, SEED, i, twice,
		    w == W_TWICE ? 3 : 1, &people[w]);
		if (r == -1)
			goto fail;
		if (r == 1)
			have |= 1 << w;
	}
	imaging_engine_free(eng);
	fprintf(stderr, "# scanned %d generated people\n", i);
	if (have != (1 << W_COUNT) - 1) {
		fprintf(stderr, "# roles found: %#x\n", have);
		return (-1);
	}
	return (0);
fail:
	imaging_engine_free(eng);
	return (-1);
}

static int
group_setup(void **state)
{
	char	registry[4096], extra[1024];
	int	w;

	(void)state;
	if (sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1 || (gen = people_gen_open()) == NULL || pick_people() == -1)
		return (-1);

	registry[0] = '\0';
	for (w = 0; w < W_COUNT; w++) {
		if (w == W_UNKNOWN)
			continue;
		person_registry_line(registry, sizeof(registry), &people[w],
		    w == W_CANCELLED ? "cancelled" : "valid");
	}
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1)
		return (-1);
	snprintf(extra, sizeof(extra), "poll_ms = 50\nid_cap = 2\n"
	    "evidence_max_long_side = 2000\n");
	if (sandbox_service_conf(&sbx, extra, sizeof(extra)) == -1)
		return (-1);
	return (harness_start(&kore, extra));
}

static int
group_teardown(void **state)
{
	int	w;

	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	sandbox_finish(&sbx);
	for (w = 0; w < W_COUNT; w++)
		person_free(&people[w]);
	gen_close(gen);
	return (0);
}

/*
 * The customer's view of a rejection names the reason with both texts;
 * the order system's signed view names the rule that fired.
 */
static void
assert_rejected_for(const char *final, const char *view, const char *id,
    const char *code)
{
	struct http_reply	r;
	char			path[64], want[96];

	if (strcmp(final, "rejected") != 0 || strstr(view, code) == NULL)
		fprintf(stderr, "# want %s: %s %s\n", code, final, view);
	assert_string_equal(final, "rejected");
	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	assert_non_null(strstr(view, want));
	assert_non_null(strstr(view, "\"text_zh\""));
	assert_non_null(strstr(view, "\"text_en\""));
	assert_non_null(strstr(view, "\"retry_allowed\":"));

	snprintf(path, sizeof(path), "/v1/cases/%s", id);
	assert_int_equal(harness_http_signed(&kore, &shop, "GET", path, "",
	    NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"reject_reason_present\""));
	assert_non_null(strstr(r.body, want));
	http_reply_free(&r);
}

static void
test_outcomes_invalid_number_is_refused_at_open(void **state)
{
	struct http_reply	r;
	char			body[512], number[19];

	(void)state;
	memcpy(number, person_card(&people[W_TWICE])->number, 19);
	/* Any other last character breaks the MOD 11-2 check digit. */
	number[17] = number[17] == '0' ? '1' : '0';
	snprintf(body, sizeof(body), "{\"order_ref\":\"bad-number\","
	    "\"channel\":\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"%s\",\"id_number\":"
	    "\"%s\",\"callback_url\":\"http://127.0.0.1:9/hook\"}",
	    person_card(&people[W_TWICE])->name, number);
	assert_int_equal(harness_http_signed(&kore, &shop, "POST",
	    "/v1/cases", body, NULL, 0, &r), 0);
	assert_int_equal(r.status, 422);
	assert_non_null(strstr(r.body, "\"id_number_invalid\""));
	http_reply_free(&r);
}

static void
test_outcomes_third_active_case_of_a_number_is_capped(void **state)
{
	static const int	 sizes[3] = { 2000, 1900, 1800 };
	struct person		 retake;
	char			 final[32], view[8192], id[33];
	int			 k;

	(void)state;
	/* Three sessions of one person: new photos each time (retakes). */
	for (k = 0; k < 3; k++) {
		assert_int_equal(person_make(gen, SEED,
		    people[W_TWICE].index, sizes[k], &retake), 0);
		person_journey(&kore, &shop, &retake, NULL, NULL, 1, final,
		    sizeof(final), view, sizeof(view), id);
		person_free(&retake);
		if (k < 2) {
			if (strcmp(final, "approved") != 0)
				fprintf(stderr, "# %d: %s %s\n", k, final,
				    view);
			assert_string_equal(final, "approved");
		} else
			assert_rejected_for(final, view, id, "id_cap_reached");
	}
}

static void
test_outcomes_expired_card_is_rejected(void **state)
{
	char	final[32], view[8192], id[33];

	(void)state;
	person_journey(&kore, &shop, &people[W_EXPIRED], NULL, NULL, 1,
	    final, sizeof(final), view, sizeof(view), id);
	assert_rejected_for(final, view, id, "card_expired");
}

static void
test_outcomes_card_number_other_than_declared_is_rejected(void **state)
{
	char	final[32], view[8192], id[33], number[19];

	(void)state;
	/* A valid number that is not the one on the card. */
	memcpy(number, person_card(&people[W_OTHER_NUMBER])->number, 19);
	number[15] = number[15] == '1' ? '2' : '1';
	number[17] = idnumber_check_digit(number);
	person_journey(&kore, &shop, &people[W_OTHER_NUMBER], NULL, number,
	    1, final, sizeof(final), view, sizeof(view), id);
	assert_rejected_for(final, view, id, "ocr_number_mismatch");
}

static void
test_outcomes_another_face_holding_the_card_is_rejected(void **state)
{
	struct direct_photos	 ph;
	struct http_reply	 r;
	const struct person	*p = &people[W_IMPOSTOR];
	char			 keys[256], id[33], path[64];
	int			 k, i;

	(void)state;
	/*
	 * Straight into the store: the selfie gate may already refuse a
	 * held card whose portrait is not the face beside it, and this
	 * test is about the decision when such photos get through.
	 */
	memset(&ph, 0, sizeof(ph));
	ph.name = person_card(p)->name;
	for (k = 0; k < 3; k++) {
		ph.data[k] = p->photo[k].jpeg;
		ph.len[k] = p->photo[k].len;
	}
	snprintf(keys, sizeof(keys), "%s/keys", kore.dir);
	assert_int_equal(direct_case_submit_with(kore.store_url, keys,
	    person_card(p)->number, "http://127.0.0.1:9/hook", &ph, id), 0);
	/* The order system's polls are signed once each (replays fail). */
	for (i = 0; i < 600; i++) {
		struct store		*st;
		struct store_case	 c;
		enum store_state	 now;

		assert_int_equal(store_open(&st, kore.store_url), 0);
		assert_int_equal(store_case_get(st, id, &c), 0);
		now = c.state;
		store_case_release(&c);
		store_close(st);
		if (now != STORE_STATE_SUBMITTED &&
		    now != STORE_STATE_PROCESSING && now != STORE_STATE_PARKED)
			break;
		usleep(100 * 1000);
	}
	assert_true(i < 600);
	snprintf(path, sizeof(path), "/v1/cases/%s", id);
	assert_int_equal(harness_http_signed(&kore, &shop, "GET", path, "",
	    NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	if (strstr(r.body, "\"state\":\"rejected\"") == NULL ||
	    strstr(r.body, "\"face_mismatch\"") == NULL)
		fprintf(stderr, "# %s\n", r.body);
	assert_non_null(strstr(r.body, "\"state\":\"rejected\""));
	assert_non_null(strstr(r.body, "\"code\":\"face_mismatch\""));
	http_reply_free(&r);
}

static void
test_outcomes_registry_name_mismatch_is_rejected(void **state)
{
	char	final[32], view[8192], id[33];

	(void)state;
	/* Another registry person's name over this person's own card. */
	person_journey(&kore, &shop, &people[W_NAME],
	    person_card(&people[W_EXPIRED])->name, NULL, 1, final,
	    sizeof(final), view, sizeof(view), id);
	assert_rejected_for(final, view, id, "identity_mismatch");
}

static void
test_outcomes_number_unknown_to_registry_is_rejected(void **state)
{
	char	final[32], view[8192], id[33];

	(void)state;
	person_journey(&kore, &shop, &people[W_UNKNOWN], NULL, NULL, 1, final,
	    sizeof(final), view, sizeof(view), id);
	assert_rejected_for(final, view, id, "identity_not_found");
}

static void
test_outcomes_cancelled_card_is_rejected(void **state)
{
	char	final[32], view[8192], id[33];

	(void)state;
	person_journey(&kore, &shop, &people[W_CANCELLED], NULL, NULL, 1,
	    final, sizeof(final), view, sizeof(view), id);
	assert_rejected_for(final, view, id, "card_not_valid");
}

static void
test_outcomes_logs_hold_no_numbers_or_names(void **state)
{
	char	*log;
	int	 w;

	(void)state;
	log = harness_log(&kore);
	assert_non_null(log);
	for (w = 0; w < W_COUNT; w++) {
		assert_null(strstr(log, person_card(&people[w])->number));
		assert_null(strstr(log, person_card(&people[w])->name));
	}
	assert_null(strstr(log, "seccomp violation"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_outcomes_invalid_number_is_refused_at_open),
		cmocka_unit_test(
		    test_outcomes_third_active_case_of_a_number_is_capped),
		cmocka_unit_test(test_outcomes_expired_card_is_rejected),
		cmocka_unit_test(
		    test_outcomes_card_number_other_than_declared_is_rejected),
		cmocka_unit_test(
		    test_outcomes_another_face_holding_the_card_is_rejected),
		cmocka_unit_test(
		    test_outcomes_registry_name_mismatch_is_rejected),
		cmocka_unit_test(
		    test_outcomes_number_unknown_to_registry_is_rejected),
		cmocka_unit_test(test_outcomes_cancelled_card_is_rejected),
		cmocka_unit_test(test_outcomes_logs_hold_no_numbers_or_names),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
