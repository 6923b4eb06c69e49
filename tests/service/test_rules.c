/*
 * Decision rules: the good case approves; each bad signal gives its
 * outcome and reason; nothing unmeasured, unknown or non-MATCH ever
 * approves (checked exhaustively over upstream results and by a seeded
 * random search over all signals).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "reasons.h"
#include "rules.h"

static struct rn_rules	rules;

static struct rn_figure
fig(double v)
{
	struct rn_figure	f = { 1, v };

	return (f);
}

/* Every signal present and passing. */
static struct rn_signals
good(void)
{
	struct rn_signals	s;

	memset(&s, 0, sizeof(s));
	s.id_number_valid = 1;
	s.age_years = 30;
	s.face_score = fig(0.80);
	s.card_portrait_score = fig(0.70);
	s.liveness = fig(0.99);
	s.ocr_confidence = fig(0.95);
	s.ocr_read = 1;
	s.ocr_matches_declared = 1;
	s.validity_read = 1;
	s.has_upstream = 1;
	s.upstream = IDCHECK_MATCH;
	s.duplicate_face_score = fig(0.05);
	return (s);
}

static int
has_reason(const struct rn_decision *d, enum rn_reason r)
{
	size_t	i;

	for (i = 0; i < d->nreasons; i++) {
		if (d->reasons[i] == r)
			return (1);
	}
	return (0);
}

static int
setup(void **state)
{
	struct rn_config	cfg;

	(void)state;
	rn_config_defaults(&cfg);
	rules = cfg.rules;
	return (0);
}

static void
test_rules_all_signals_passing_approves(void **state)
{
	struct rn_signals	s = good();
	struct rn_decision	d;

	(void)state;
	rn_rules_decide(&rules, &s, &d);
	assert_int_equal(d.outcome, RN_OUTCOME_APPROVED);
	assert_int_equal(d.nreasons, 0);
	assert_string_equal(d.rule, "all_checks_passed");
}

struct change_case {
	const char		*name;
	void			(*change)(struct rn_signals *);
	enum rn_outcome		 outcome;
	enum rn_reason		 reason;
};

static void c_id_invalid(struct rn_signals *s) { s->id_number_valid = 0; }
static void c_cap(struct rn_signals *s) { s->active_cases_for_number = 5; }
static void c_expired(struct rn_signals *s) { s->card_expired = 1; }
static void c_validity_unread(struct rn_signals *s) { s->validity_read = 0; }
static void c_ocr_other(struct rn_signals *s) { s->ocr_matches_declared = 0; }
static void c_ocr_unsure(struct rn_signals *s)
{ s->ocr_matches_declared = 0; s->ocr_confidence = fig(0.3); }
static void c_ocr_none(struct rn_signals *s) { s->ocr_read = 0; }
static void c_face_low(struct rn_signals *s) { s->face_score = fig(0.05); }
static void c_face_mid(struct rn_signals *s) { s->face_score = fig(0.30); }
static void c_face_none(struct rn_signals *s) { s->face_score.measured = 0; }
static void c_face_nan(struct rn_signals *s) { s->face_score = fig(NAN); }
static void c_card_portrait(struct rn_signals *s)
{ s->card_portrait_score = fig(0.1); }
static void c_liveness(struct rn_signals *s) { s->liveness = fig(0.1); }
static void c_young(struct rn_signals *s) { s->age_years = 15; }
static void c_dup_face(struct rn_signals *s)
{ s->duplicate_face_score = fig(0.9); }
static void c_dup_unknown(struct rn_signals *s)
{ s->duplicate_face_score.measured = 0; }
static void c_reused(struct rn_signals *s) { s->reused_image = 1; }
static void c_no_upstream(struct rn_signals *s) { s->has_upstream = 0; }
static void c_up_mismatch(struct rn_signals *s)
{ s->upstream = IDCHECK_MISMATCH; }
static void c_up_notfound(struct rn_signals *s)
{ s->upstream = IDCHECK_NOT_FOUND; }
static void c_up_state(struct rn_signals *s)
{ s->upstream = IDCHECK_CARD_STATE; }
static void c_up_face(struct rn_signals *s)
{ s->upstream = IDCHECK_FACE_MISMATCH; }
static void c_up_photo(struct rn_signals *s) { s->upstream = IDCHECK_NO_PHOTO; }
static void c_up_input(struct rn_signals *s)
{ s->upstream = IDCHECK_INVALID_INPUT; }
static void c_up_rate(struct rn_signals *s)
{ s->upstream = IDCHECK_RATE_LIMITED; }
static void c_up_error(struct rn_signals *s)
{ s->upstream = IDCHECK_UPSTREAM_ERROR; }
static void c_up_error_late(struct rn_signals *s)
{ s->upstream = IDCHECK_UPSTREAM_ERROR; s->upstream_deadline_passed = 1; }
static void c_up_garbage(struct rn_signals *s)
{ s->upstream = (enum idcheck_result)77; }

static void
test_rules_each_bad_signal_gives_its_outcome_and_reason(void **state)
{
	static const struct change_case cases[] = {
		{ "id_invalid", c_id_invalid, RN_OUTCOME_REJECTED,
		    RN_REASON_ID_NUMBER_INVALID },
		{ "cap", c_cap, RN_OUTCOME_REJECTED, RN_REASON_ID_CAP_REACHED },
		{ "expired", c_expired, RN_OUTCOME_REJECTED,
		    RN_REASON_CARD_EXPIRED },
		{ "validity_unread", c_validity_unread, RN_OUTCOME_REVIEW,
		    RN_REASON_SIGNAL_MISSING },
		{ "ocr_other", c_ocr_other, RN_OUTCOME_REJECTED,
		    RN_REASON_OCR_NUMBER_MISMATCH },
		{ "ocr_unsure", c_ocr_unsure, RN_OUTCOME_REVIEW,
		    RN_REASON_OCR_UNREADABLE },
		{ "ocr_none", c_ocr_none, RN_OUTCOME_REVIEW,
		    RN_REASON_OCR_UNREADABLE },
		{ "face_low", c_face_low, RN_OUTCOME_REJECTED,
		    RN_REASON_FACE_MISMATCH },
		{ "face_mid", c_face_mid, RN_OUTCOME_REVIEW,
		    RN_REASON_FACE_UNCERTAIN },
		{ "face_none", c_face_none, RN_OUTCOME_REVIEW,
		    RN_REASON_FACE_UNCERTAIN },
		{ "face_nan", c_face_nan, RN_OUTCOME_REVIEW,
		    RN_REASON_FACE_UNCERTAIN },
		{ "card_portrait", c_card_portrait, RN_OUTCOME_REVIEW,
		    RN_REASON_CARD_PORTRAIT_MISMATCH },
		{ "liveness", c_liveness, RN_OUTCOME_REVIEW,
		    RN_REASON_LIVENESS_LOW },
		{ "young", c_young, RN_OUTCOME_REVIEW,
		    RN_REASON_UNDER_MIN_AGE },
		{ "dup_face", c_dup_face, RN_OUTCOME_REVIEW,
		    RN_REASON_DUPLICATE_FACE },
		{ "dup_unknown", c_dup_unknown, RN_OUTCOME_REVIEW,
		    RN_REASON_SIGNAL_MISSING },
		{ "reused", c_reused, RN_OUTCOME_REVIEW,
		    RN_REASON_REUSED_IMAGE },
		{ "no_upstream", c_no_upstream, RN_OUTCOME_REVIEW,
		    RN_REASON_SIGNAL_MISSING },
		{ "up_mismatch", c_up_mismatch, RN_OUTCOME_REJECTED,
		    RN_REASON_UPSTREAM_MISMATCH },
		{ "up_notfound", c_up_notfound, RN_OUTCOME_REJECTED,
		    RN_REASON_UPSTREAM_NOT_FOUND },
		{ "up_state", c_up_state, RN_OUTCOME_REJECTED,
		    RN_REASON_UPSTREAM_CARD_STATE },
		{ "up_face", c_up_face, RN_OUTCOME_REVIEW,
		    RN_REASON_UPSTREAM_FACE_MISMATCH },
		{ "up_photo", c_up_photo, RN_OUTCOME_REVIEW,
		    RN_REASON_UPSTREAM_NO_PHOTO },
		{ "up_input", c_up_input, RN_OUTCOME_REVIEW,
		    RN_REASON_UPSTREAM_INVALID_INPUT },
		{ "up_rate", c_up_rate, RN_OUTCOME_PARKED,
		    RN_REASON_UPSTREAM_UNAVAILABLE },
		{ "up_error", c_up_error, RN_OUTCOME_PARKED,
		    RN_REASON_UPSTREAM_UNAVAILABLE },
		{ "up_error_late", c_up_error_late, RN_OUTCOME_REVIEW,
		    RN_REASON_UPSTREAM_UNAVAILABLE },
		{ "up_garbage", c_up_garbage, RN_OUTCOME_PARKED,
		    RN_REASON_UPSTREAM_UNAVAILABLE },
	};
	struct rn_signals	s;
	struct rn_decision	d;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = good();
		cases[i].change(&s);
		rn_rules_decide(&rules, &s, &d);
		if (d.outcome != cases[i].outcome ||
		    !has_reason(&d, cases[i].reason))
			fprintf(stderr, "# case %s: outcome %s\n",
			    cases[i].name, rn_outcome_name(d.outcome));
		assert_int_equal(d.outcome, cases[i].outcome);
		assert_true(has_reason(&d, cases[i].reason));
	}
}

/* Rejects win over review and park: the customer learns what to fix. */
static void
test_rules_reject_outranks_review_and_park(void **state)
{
	struct rn_signals	s = good();
	struct rn_decision	d;

	(void)state;
	s.upstream = IDCHECK_UPSTREAM_ERROR;
	s.reused_image = 1;
	s.card_expired = 1;
	rn_rules_decide(&rules, &s, &d);
	assert_int_equal(d.outcome, RN_OUTCOME_REJECTED);
	assert_true(has_reason(&d, RN_REASON_CARD_EXPIRED));
}

static void
test_rules_only_match_can_approve(void **state)
{
	struct rn_signals	s;
	struct rn_decision	d;
	int			r;

	(void)state;
	for (r = -1; r <= IDCHECK_RESULT_COUNT + 1; r++) {
		s = good();
		s.upstream = (enum idcheck_result)r;
		rn_rules_decide(&rules, &s, &d);
		if (r == IDCHECK_MATCH)
			assert_int_equal(d.outcome, RN_OUTCOME_APPROVED);
		else
			assert_int_not_equal(d.outcome, RN_OUTCOME_APPROVED);
	}
}

/* xorshift: deterministic, so a failure reproduces. */
static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static double
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) * (1.0 / 9007199254740992.0));
}

static struct rn_figure
random_fig(void)
{
	struct rn_figure	f;
	double			p = rnd();

	f.measured = p > 0.1;
	f.value = p < 0.15 ? NAN : rnd() * 1.2 - 0.1;
	return (f);
}

static void
test_rules_random_signals_never_approve_unproven(void **state)
{
	struct rn_signals	s;
	struct rn_decision	d;
	int			i, approved;

	(void)state;
	approved = 0;
	for (i = 0; i < 200000; i++) {
		memset(&s, 0, sizeof(s));
		s.id_number_valid = rnd() < 0.9;
		s.age_years = (int)(rnd() * 40);
		s.face_score = random_fig();
		s.card_portrait_score = random_fig();
		s.liveness = random_fig();
		s.ocr_confidence = random_fig();
		s.ocr_read = rnd() < 0.9;
		s.ocr_matches_declared = rnd() < 0.9;
		s.validity_read = rnd() < 0.9;
		s.card_expired = rnd() < 0.1;
		s.has_upstream = rnd() < 0.9;
		s.upstream = (enum idcheck_result)(int)(rnd() * 10);
		s.upstream_deadline_passed = rnd() < 0.5;
		s.active_cases_for_number = (int)(rnd() * 7);
		s.duplicate_face_score = random_fig();
		s.reused_image = rnd() < 0.1;
		rn_rules_decide(&rules, &s, &d);
		if (d.outcome != RN_OUTCOME_APPROVED)
			continue;
		approved++;
		assert_true(s.has_upstream && s.upstream == IDCHECK_MATCH);
		assert_true(s.id_number_valid);
		assert_true(s.face_score.measured &&
		    s.face_score.value >= rules.face_accept_min);
		assert_true(s.card_portrait_score.measured &&
		    s.card_portrait_score.value >= rules.card_portrait_min);
		assert_true(s.liveness.measured &&
		    s.liveness.value >= rules.liveness_min);
		assert_true(s.ocr_read && s.ocr_matches_declared);
		assert_true(s.validity_read && !s.card_expired);
		assert_true(s.active_cases_for_number < rules.id_cap);
		assert_true(s.duplicate_face_score.measured &&
		    s.duplicate_face_score.value < rules.duplicate_face_min);
		assert_false(s.reused_image);
		assert_int_equal(d.nreasons, 0);
	}
	/* The search must reach approvals, or it proves nothing. */
	assert_true(approved > 0);
	fprintf(stderr, "# %d of 200000 random cases approved\n", approved);
}

static void
test_rules_local_reject_skips_paid_upstream(void **state)
{
	struct rn_signals	s;

	(void)state;
	s = good();
	assert_true(rn_rules_needs_upstream(&rules, &s));
	s.id_number_valid = 0;
	assert_false(rn_rules_needs_upstream(&rules, &s));
	s = good();
	s.active_cases_for_number = rules.id_cap;
	assert_false(rn_rules_needs_upstream(&rules, &s));
	s = good();
	s.card_expired = 1;
	assert_false(rn_rules_needs_upstream(&rules, &s));
	/* Review-level doubts still need the upstream answer. */
	s = good();
	s.liveness = fig(0.1);
	assert_true(rn_rules_needs_upstream(&rules, &s));
}

/* The operator moves reasons between tiers; the move is what decides. */
static void
test_rules_configured_tiers_move_reasons(void **state)
{
	struct rn_rules		r = rules;
	struct rn_signals	s;
	struct rn_decision	d;
	char			err[160];

	(void)state;
	assert_int_equal(rn_rules_parse_tiers(&r,
	    "face_uncertain=reject, card_expired=review", err, sizeof(err)),
	    0);
	s = good();
	s.face_score = fig(0.30);
	rn_rules_decide(&r, &s, &d);
	assert_int_equal(d.outcome, RN_OUTCOME_REJECTED);
	assert_true(has_reason(&d, RN_REASON_FACE_UNCERTAIN));

	s = good();
	s.card_expired = 1;
	rn_rules_decide(&r, &s, &d);
	assert_int_equal(d.outcome, RN_OUTCOME_REVIEW);
	assert_true(has_reason(&d, RN_REASON_CARD_EXPIRED));
	/* Now a review reason, so the paid check is asked. */
	assert_true(rn_rules_needs_upstream(&r, &s));

	/* The default table (empty spec) puts them back. */
	assert_int_equal(rn_rules_parse_tiers(&r, "", err, sizeof(err)), 0);
	rn_rules_decide(&r, &s, &d);
	assert_int_equal(d.outcome, RN_OUTCOME_REJECTED);
}

static void
test_rules_tier_spec_errors_are_refused(void **state)
{
	static const char *const bad[] = {
		"face_uncertain",		/* no tier */
		"face_uncertain=approve",	/* no such tier */
		"no_such_reason=reject",
		"signal_missing=reject",	/* our fault, never theirs */
		"registry_unavailable=reject",
		"face_uncertain=reject,=review",
	};
	struct rn_rules	r = rules;
	struct rn_config cfg;
	char		err[160];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(rn_rules_parse_tiers(&r, bad[i], err,
		    sizeof(err)), -1);
		assert_true(strlen(err) > 0);
	}
	/* Through the configuration, the key is named. */
	rn_config_defaults(&cfg);
	assert_int_equal(rn_config_set(&cfg, "reason_tiers",
	    "face_uncertain=maybe", err, sizeof(err)), 0);
	assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "reason_tiers"));
}

/* However the tiers are set, nothing unproven is approved. */
static void
test_rules_random_tiers_never_approve_unproven(void **state)
{
	struct rn_rules		r;
	struct rn_signals	s;
	struct rn_decision	d;
	int			i, k, approved;

	(void)state;
	approved = 0;
	for (i = 0; i < 50000; i++) {
		r = rules;
		for (k = 0; k < RN_REASON_COUNT; k++)
			r.tier[k] = (unsigned char)(rnd() * 3);
		s = good();
		switch ((int)(rnd() * 6)) {
		case 0: s.face_score = fig(rnd()); break;
		case 1: s.card_expired = 1; break;
		case 2: s.upstream = (enum idcheck_result)(int)(rnd() * 10);
			break;
		case 3: s.reused_image = 1; break;
		case 4: s.ocr_matches_declared = 0; break;
		default: break;
		}
		rn_rules_decide(&r, &s, &d);
		if (d.outcome != RN_OUTCOME_APPROVED)
			continue;
		approved++;
		assert_true(s.upstream == IDCHECK_MATCH &&
		    s.face_score.value >= rules.face_accept_min &&
		    !s.card_expired && !s.reused_image &&
		    s.ocr_matches_declared);
	}
	assert_true(approved > 0);
}

static void
test_reasons_catalogue_is_complete_and_unique(void **state)
{
	const struct rn_reason_info	*a, *b;
	enum rn_reason			 back;
	int				 i, j;

	(void)state;
	for (i = 0; i < RN_REASON_COUNT; i++) {
		a = rn_reason_info((enum rn_reason)i);
		assert_non_null(a);
		assert_non_null(a->code);
		assert_true(strlen(a->text_zh) > 0 && strlen(a->text_en) > 0 &&
		    strlen(a->internal) > 0);
		assert_int_equal(rn_reason_from_code(a->code, &back), 0);
		assert_int_equal(back, i);
		for (j = i + 1; j < RN_REASON_COUNT; j++) {
			b = rn_reason_info((enum rn_reason)j);
			assert_string_not_equal(a->code, b->code);
		}
	}
	assert_null(rn_reason_info(RN_REASON_COUNT));
	assert_int_equal(rn_reason_from_code("no_such_reason", &back), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_all_signals_passing_approves),
		cmocka_unit_test(
		    test_rules_each_bad_signal_gives_its_outcome_and_reason),
		cmocka_unit_test(test_rules_reject_outranks_review_and_park),
		cmocka_unit_test(test_rules_only_match_can_approve),
		cmocka_unit_test(
		    test_rules_random_signals_never_approve_unproven),
		cmocka_unit_test(test_rules_local_reject_skips_paid_upstream),
		cmocka_unit_test(test_rules_configured_tiers_move_reasons),
		cmocka_unit_test(test_rules_tier_spec_errors_are_refused),
		cmocka_unit_test(
		    test_rules_random_tiers_never_approve_unproven),
		cmocka_unit_test(test_reasons_catalogue_is_complete_and_unique),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
