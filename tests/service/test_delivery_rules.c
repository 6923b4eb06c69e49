/*
 * The delivery decision: CONFIRMED only when every check was measured
 * and passed; a contradiction is a MISMATCH with its reasons; anything
 * unmeasured, not a number, or past the attempt limit goes to REVIEW.
 * And what a courier may see of the customer.
 */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "delivery_rules.h"

static const struct rn_delivery_limits lim = {
	.face_min = 0.45, .chip_min = 0.45, .liveness_min = 0.5,
	.attempts_max = 3,
};

/* Every check measured and passing, with a chip portrait and name. */
static struct rn_delivery_signals
good(void)
{
	struct rn_delivery_signals	s;

	memset(&s, 0, sizeof(s));
	s.number_matches = 1;
	s.reference_found = 1;
	s.face_score.measured = 1;
	s.face_score.value = 0.7;
	s.liveness.measured = 1;
	s.liveness.value = 0.99;
	s.chip_sent = 1;
	s.chip_face_found = 1;
	s.chip_score.measured = 1;
	s.chip_score.value = 0.6;
	s.name_sent = 1;
	s.name_matches = 1;
	return (s);
}

static int
has(const struct rn_delivery_decision *d, enum rn_delivery_reason r)
{
	size_t	i;

	for (i = 0; i < d->nreasons; i++) {
		if (d->reasons[i] == r)
			return (1);
	}
	return (0);
}

static void
test_delivery_all_checks_passing_confirms(void **state)
{
	struct rn_delivery_signals	s = good();
	struct rn_delivery_decision	d;

	(void)state;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_CONFIRMED);
	assert_int_equal(d.nreasons, 0);
	/* Without the optional chip portrait and name, too. */
	s.chip_sent = s.chip_face_found = s.chip_score.measured = 0;
	s.name_sent = s.name_matches = 0;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_CONFIRMED);
	/* At the threshold exactly. */
	s.face_score.value = lim.face_min;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_CONFIRMED);
}

static void
test_delivery_each_contradiction_is_a_mismatch_with_its_reason(void **state)
{
	struct rn_delivery_signals	s;
	struct rn_delivery_decision	d;

	(void)state;
	s = good();
	s.number_matches = 0;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_MISMATCH);
	assert_true(has(&d, RN_DLV_NUMBER_MISMATCH));
	assert_int_equal(d.nreasons, 1);

	s = good();
	s.face_score.value = 0.449;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_MISMATCH);
	assert_true(has(&d, RN_DLV_FACE_MISMATCH));

	s = good();
	s.liveness.value = 0.2;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_MISMATCH);
	assert_true(has(&d, RN_DLV_LIVENESS_LOW));

	s = good();
	s.chip_score.value = 0.01;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_MISMATCH);
	assert_true(has(&d, RN_DLV_CHIP_PORTRAIT_MISMATCH));

	s = good();
	s.chip_face_found = 0;
	s.chip_score.measured = 0;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_MISMATCH);
	assert_true(has(&d, RN_DLV_CHIP_PORTRAIT_UNUSABLE));

	s = good();
	s.name_matches = 0;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_MISMATCH);
	assert_true(has(&d, RN_DLV_NAME_MISMATCH));

	/* Several at once: all reported. */
	s = good();
	s.number_matches = 0;
	s.face_score.value = -0.1;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_MISMATCH);
	assert_int_equal(d.nreasons, 2);
}

static void
test_delivery_unmeasured_or_nan_never_confirms(void **state)
{
	struct rn_delivery_signals	s;
	struct rn_delivery_decision	d;

	(void)state;
	s = good();
	s.reference_found = 0;
	s.face_score.measured = 0;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_REVIEW);
	assert_true(has(&d, RN_DLV_REFERENCE_MISSING));

	s = good();
	s.liveness.measured = 0;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_REVIEW);
	assert_true(has(&d, RN_DLV_SIGNAL_MISSING));

	s = good();
	s.face_score.value = NAN;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_REVIEW);

	s = good();
	s.chip_score.value = NAN;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_REVIEW);

	/* Nothing measured at all (a zeroed struct): never confirmed. */
	memset(&s, 0, sizeof(s));
	rn_delivery_decide(&lim, &s, &d);
	assert_int_not_equal(d.outcome, RN_DELIVERY_CONFIRMED);
	s.number_matches = 1;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_REVIEW);
}

static void
test_delivery_past_the_attempt_limit_goes_to_review(void **state)
{
	struct rn_delivery_signals	s = good();
	struct rn_delivery_decision	d;

	(void)state;
	s.attempts_before = lim.attempts_max - 1;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_CONFIRMED);
	/* Even a perfect attempt after the limit is not confirmed. */
	s.attempts_before = lim.attempts_max;
	rn_delivery_decide(&lim, &s, &d);
	assert_int_equal(d.outcome, RN_DELIVERY_REVIEW);
	assert_true(has(&d, RN_DLV_ATTEMPTS_EXHAUSTED));
	assert_int_equal(d.nreasons, 1);
}

static void
test_delivery_every_reason_has_code_and_texts(void **state)
{
	const struct rn_delivery_reason_info	*ri;
	int					 i, j;

	(void)state;
	for (i = 0; i < RN_DLV_REASON_COUNT; i++) {
		ri = rn_delivery_reason_info((enum rn_delivery_reason)i);
		assert_non_null(ri);
		assert_non_null(ri->code);
		assert_true(strncmp(ri->code, "delivery_", 9) == 0);
		assert_true(strlen(ri->text_zh) > 0);
		assert_true(strlen(ri->text_en) > 0);
		assert_true(strlen(ri->internal) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(ri->code, rn_delivery_reason_info(
			    (enum rn_delivery_reason)j)->code);
	}
	assert_null(rn_delivery_reason_info(RN_DLV_REASON_COUNT));
}

static void
test_delivery_name_masking_keeps_only_the_first_character(void **state)
{
	char	out[64];

	(void)state;
	assert_int_equal(rn_delivery_mask_name("张三", out, sizeof(out)), 0);
	assert_string_equal(out, "张*");
	assert_int_equal(rn_delivery_mask_name("欧阳娜娜", out, sizeof(out)),
	    0);
	assert_string_equal(out, "欧***");
	assert_int_equal(rn_delivery_mask_name("阿不都·热合曼", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "阿******");
	/* A four-byte character kept whole. */
	assert_int_equal(rn_delivery_mask_name("\xf0\xa0\x80\x80\xe4\xb8\x80",
	    out, sizeof(out)), 0);
	assert_string_equal(out, "\xf0\xa0\x80\x80*");
	/* One character: nothing shown. */
	assert_int_equal(rn_delivery_mask_name("张", out, sizeof(out)), 0);
	assert_string_equal(out, "*");
	assert_int_equal(rn_delivery_mask_name("A", out, sizeof(out)), 0);
	assert_string_equal(out, "*");
	/* Broken UTF-8, empty, too small: refused. */
	assert_int_equal(rn_delivery_mask_name("\xe5\xbc", out, sizeof(out)),
	    -1);
	assert_int_equal(rn_delivery_mask_name("\xc0\x80x", out, sizeof(out)),
	    -1);
	assert_int_equal(rn_delivery_mask_name("", out, sizeof(out)), -1);
	assert_int_equal(rn_delivery_mask_name("张三", out, 4), -1);
}

static void
test_delivery_last4_and_number_comparison(void **state)
{
	char	l4[5];

	(void)state;
	assert_int_equal(rn_delivery_last4("11010519491231002X", l4), 0);
	assert_string_equal(l4, "002X");
	assert_int_equal(rn_delivery_last4("123", l4), -1);

	assert_true(rn_delivery_number_equal("11010519491231002X",
	    "11010519491231002X"));
	/* How readers and people write it. */
	assert_true(rn_delivery_number_equal("110105 19491231 002x\r\n",
	    "11010519491231002X"));
	assert_false(rn_delivery_number_equal("110105194912310021",
	    "11010519491231002X"));
	assert_false(rn_delivery_number_equal("11010519491231002",
	    "11010519491231002X"));
	assert_false(rn_delivery_number_equal("", "11010519491231002X"));
	assert_false(rn_delivery_number_equal(" ", " "));

	assert_true(rn_delivery_name_equal(" 张三 ", "张三"));
	assert_false(rn_delivery_name_equal("张三丰", "张三"));
	assert_false(rn_delivery_name_equal("", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_all_checks_passing_confirms),
		cmocka_unit_test(
		    test_delivery_each_contradiction_is_a_mismatch_with_its_reason),
		cmocka_unit_test(test_delivery_unmeasured_or_nan_never_confirms),
		cmocka_unit_test(
		    test_delivery_past_the_attempt_limit_goes_to_review),
		cmocka_unit_test(test_delivery_every_reason_has_code_and_texts),
		cmocka_unit_test(
		    test_delivery_name_masking_keeps_only_the_first_character),
		cmocka_unit_test(test_delivery_last4_and_number_comparison),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
