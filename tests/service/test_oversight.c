/*
 * The oversight table: the exact binomial tail against known values and
 * its own symmetry, the Bonferroni-corrected flags (a dealer rejecting
 * at three times the overall rate is flagged, the others are not),
 * channel and overall rows that add up their dealers, and a CSV that
 * quotes per RFC 4180 and defuses spreadsheet formulas.
 */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oversight.h"

static void
assert_close(double got, double want, double tol)
{
	if (fabs(got - want) > tol)
		fail_msg("got %.12g, want %.12g (tolerance %g)", got, want,
		    tol);
}

static void
test_binom_upper_matches_known_values(void **state)
{
	(void)state;
	/* 1 - P(0) - P(1) - P(2) for n = 10, p = 0.1. */
	assert_close(rn_binom_upper(3, 10, 0.1), 0.0701908264, 1e-10);
	assert_close(rn_binom_upper(5, 5, 0.5), 1.0 / 32, 1e-15);
	assert_close(rn_binom_upper(1, 3, 0.5), 7.0 / 8, 1e-15);
	/* The classic: at least 60 heads in 100 fair tosses. */
	assert_close(rn_binom_upper(60, 100, 0.5), 0.0284439668204904, 1e-12);
	assert_close(rn_binom_upper(0, 10, 0.3), 1, 0);
	assert_close(rn_binom_upper(11, 10, 0.3), 0, 0);
	assert_close(rn_binom_upper(1, 10, 0), 0, 0);
}

/* P(X >= k | n, p) + P(X >= n - k + 1 | n, 1 - p) = 1, at any size. */
static void
test_binom_upper_tails_complement_at_large_n(void **state)
{
	const int64_t	n = 5000;
	int64_t		k;

	(void)state;
	for (k = 1; k <= n; k += 97)
		assert_close(rn_binom_upper(k, n, 0.07) +
		    rn_binom_upper(n - k + 1, n, 0.93), 1, 1e-9);
	/* Far in the tail: tiny, but positive and finite. */
	assert_true(rn_binom_upper(1000, n, 0.07) > 0);
	assert_true(rn_binom_upper(1000, n, 0.07) < 1e-100);
}

static struct rn_oversight_row
dealer(const char *channel, const char *code, int64_t decided,
    int64_t rejected, int64_t reviewed)
{
	struct rn_oversight_row	r;

	memset(&r, 0, sizeof(r));
	snprintf(r.channel, sizeof(r.channel), "%s", channel);
	snprintf(r.dealer, sizeof(r.dealer), "%s", code);
	r.volume = decided + 2;
	r.decided = decided;
	r.rejected = rejected;
	r.reviewed = reviewed;
	r.approved = decided - rejected - reviewed;
	rn_oversight_count_code(&r, "face_mismatch", rejected);
	return (r);
}

static void
test_oversight_flags_only_the_dealer_rejecting_three_times_the_rate(
    void **state)
{
	struct rn_oversight_row	d[6];
	struct rn_oversight	ov;
	size_t			i, flagged;

	(void)state;
	d[0] = dealer("web", "w1", 60, 5, 3);
	d[1] = dealer("web", "w2", 60, 6, 3);
	d[2] = dealer("web", "w3", 60, 5, 4);
	d[3] = dealer("shop", "s1", 60, 6, 3);
	d[4] = dealer("shop", "s2", 60, 4, 3);
	/* About three times the others' rate. */
	d[5] = dealer("shop", "s3", 60, 20, 3);
	assert_int_equal(rn_oversight_build(d, 6, &ov), 0);
	rn_oversight_test(&ov, 0.01);
	assert_int_equal(ov.nrows, 1 + 2 + 6);
	assert_int_equal(ov.tested_dealers, 6);
	assert_int_equal(ov.tested_channels, 2);
	assert_close(ov.threshold_dealer, 0.01 / 6, 1e-15);
	flagged = 0;
	for (i = 0; i < ov.nrows; i++) {
		if (ov.rows[i].level != RN_OVERSIGHT_DEALER)
			continue;
		if (ov.rows[i].flag_reject) {
			flagged++;
			assert_string_equal(ov.rows[i].dealer, "s3");
		}
		assert_false(ov.rows[i].flag_review);
	}
	assert_int_equal(flagged, 1);
	rn_oversight_free(&ov);
}

/* Not flagged for a rate a little high on few cases: the test's point. */
static void
test_oversight_does_not_flag_small_samples(void **state)
{
	struct rn_oversight_row	d[3];
	struct rn_oversight	ov;

	(void)state;
	d[0] = dealer("web", "big", 900, 90, 30);
	d[1] = dealer("web", "tiny", 3, 1, 0);
	d[2] = dealer("web", "mid", 100, 10, 2);
	assert_int_equal(rn_oversight_build(d, 3, &ov), 0);
	rn_oversight_test(&ov, 0.01);
	assert_false(ov.rows[2].flag_reject);	/* big */
	assert_false(ov.rows[3].flag_reject);	/* mid */
	assert_false(ov.rows[4].flag_reject);	/* tiny: 33 % of 3 */
	assert_true(ov.rows[4].p_reject > 0.2);
	rn_oversight_free(&ov);
}

static void
test_oversight_channel_and_overall_rows_add_up(void **state)
{
	struct rn_oversight_row	d[3];
	struct rn_oversight	ov;

	(void)state;
	d[0] = dealer("web", "b", 10, 2, 1);
	d[1] = dealer("shop", "a", 20, 3, 2);
	d[2] = dealer("web", "a", 30, 4, 3);
	d[1].qa_sampled = 2;
	d[1].qa_checked = 2;
	d[1].qa_overridden = 1;
	rn_oversight_count_code(&d[0], "card_expired", 5);
	assert_int_equal(rn_oversight_build(d, 3, &ov), 0);
	/* ALL, shop, shop/a, web, web/a, web/b */
	assert_int_equal(ov.nrows, 6);
	assert_int_equal(ov.rows[0].level, RN_OVERSIGHT_ALL);
	assert_int_equal(ov.rows[0].decided, 60);
	assert_int_equal(ov.rows[0].rejected, 9);
	assert_int_equal(ov.rows[0].qa_overridden, 1);
	assert_string_equal(ov.rows[1].channel, "shop");
	assert_int_equal(ov.rows[1].level, RN_OVERSIGHT_CHANNEL);
	assert_string_equal(ov.rows[2].dealer, "a");
	assert_string_equal(ov.rows[3].channel, "web");
	assert_int_equal(ov.rows[3].decided, 40);
	assert_int_equal(ov.rows[3].volume, 44);
	assert_string_equal(ov.rows[4].dealer, "a");
	assert_string_equal(ov.rows[5].dealer, "b");
	/* web: face_mismatch 6, card_expired 5, most frequent first. */
	assert_string_equal(ov.rows[3].code[0], "face_mismatch");
	assert_int_equal(ov.rows[3].code_count[0], 6);
	assert_string_equal(ov.rows[3].code[1], "card_expired");
	rn_oversight_free(&ov);
}

static char *
cell(const char *s)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;

	assert_int_equal(rn_csv_cell(&buf, &len, &cap, s), 0);
	if (buf == NULL)
		buf = strdup("");
	return (buf);
}

static void
test_csv_cell_quotes_and_defuses_formulas(void **state)
{
	static const char *const cases[][2] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\r\nlines", "\"two\r\nlines\"" },
		{ "=1+1", "'=1+1" },
		{ "+31", "'+31" },
		{ "-2", "'-2" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "  =cmd", "'  =cmd" },
		{ "=HYPERLINK(\"x\",1)", "\"'=HYPERLINK(\"\"x\"\",1)\"" },
		{ "a=b", "a=b" },
	};
	char	*got;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = cell(cases[i][0]);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
}

static void
test_csv_has_a_header_and_one_crlf_line_per_row(void **state)
{
	struct rn_oversight_row	d[2];
	struct rn_oversight	ov;
	char			*csv, *p;
	size_t			 len, lines;

	(void)state;
	d[0] = dealer("web", "=evil", 10, 2, 1);
	d[1] = dealer("web", "ok,comma", 10, 1, 1);
	assert_int_equal(rn_oversight_build(d, 2, &ov), 0);
	rn_oversight_test(&ov, 0.01);
	assert_int_equal(rn_oversight_csv(&ov, &csv, &len), 0);
	assert_int_equal(strlen(csv), len);
	assert_true(strncmp(csv, "level,channel,dealer,volume,", 28) == 0);
	lines = 0;
	for (p = csv; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	assert_int_equal(lines, 1 + ov.nrows);
	assert_non_null(strstr(csv, "\r\nall,,,24,20,"));
	assert_non_null(strstr(csv, "\r\ndealer,web,'=evil,12,10,7,0.7000,2,"
	    "0.2000,1,0.1000,face_mismatch:2,"));
	assert_non_null(strstr(csv, "\r\ndealer,web,\"ok,comma\",12,"));
	free(csv);
	rn_oversight_free(&ov);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binom_upper_matches_known_values),
		cmocka_unit_test(test_binom_upper_tails_complement_at_large_n),
		cmocka_unit_test(
		    test_oversight_flags_only_the_dealer_rejecting_three_times_the_rate),
		cmocka_unit_test(test_oversight_does_not_flag_small_samples),
		cmocka_unit_test(test_oversight_channel_and_overall_rows_add_up),
		cmocka_unit_test(test_csv_cell_quotes_and_defuses_formulas),
		cmocka_unit_test(test_csv_has_a_header_and_one_crlf_line_per_row),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
