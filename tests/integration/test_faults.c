/*
 * The pipeline against every fault the ID-check sandbox can inject: while
 * the fault lasts, a genuine case is parked and never approved; once the
 * fault clears, the parked case is checked again and approved.  A fault
 * that outlasts the deadline sends the case to review.
 *
 * One generated person (tools/gen) applies again and again with fresh
 * photos (retakes at another size: no two images share bytes or pixels),
 * so every case would be approved but for the fault.  Cases go straight
 * into the store: this test is about the pipeline, not the upload gate.
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
#include "people.h"
#include "sandbox_harness.h"
#include "store.h"

#define SEED		20261201ULL
#define DEADLINE_S	20

static struct sandbox	sbx;
static struct harness	kore;
static struct gen	*gen;
static int		person_index = -1;
static int		retakes;

static int
group_setup(void **state)
{
	struct person	p;
	char		registry[1024], extra[1024];
	int		i;

	(void)state;
	if ((gen = people_gen_open()) == NULL)
		return (-1);
	/* A genuine selfie, a valid number, a card still valid. */
	for (i = 0; i < 60 && person_index == -1; i++) {
		if (person_make(gen, SEED, i, 1000, &p) == -1)
			return (-1);
		if (person_card(&p)->number_valid && p.photo[2].truth.genuine &&
		    !person_card_expired(&p)) {
			person_index = i;
			registry[0] = '\0';
			person_registry_line(registry, sizeof(registry), &p,
			    "valid");
		}
		person_free(&p);
	}
	if (person_index == -1)
		return (-1);

	/* One person checked many times today: lift the sandbox's cap. */
	setenv("IDCHECK_SANDBOX_CAP_FACE", "100000", 1);
	setenv("IDCHECK_SANDBOX_CAP_NAME", "100000", 1);
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1)
		return (-1);
	/*
	 * Short timeouts so hangs and slow answers fail fast, a quick
	 * breaker, park retries every second, the deadline well past one
	 * fault's recovery, and room for this person's many cases.
	 */
	snprintf(extra, sizeof(extra), "poll_ms = 50\npark_retry_s = 1\n"
	    "upstream_deadline_s = %d\nidcheck_timeout_ms = 1000\n"
	    "idcheck_connect_timeout_ms = 500\nidcheck_max_attempts = 2\n"
	    "breaker_cooldown_s = 1\nid_cap = 100\nidcheck_daily_cap = 0\n"
	    "evidence_max_long_side = 2000\n", DEADLINE_S);
	if (sandbox_service_conf(&sbx, extra, sizeof(extra)) == -1)
		return (-1);
	return (harness_start(&kore, extra));
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	sandbox_finish(&sbx);
	gen_close(gen);
	return (0);
}

/* A fresh application of the person, submitted; its case id. */
static void
submit_retake(char id[33])
{
	struct direct_photos	ph;
	struct person		p;
	char			keys[256];
	int			k;

	/* Every retake a little smaller: new pixels, same person and card. */
	assert_int_equal(person_make(gen, SEED, person_index,
	    1600 - 16 * retakes++, &p), 0);
	memset(&ph, 0, sizeof(ph));
	ph.name = person_card(&p)->name;
	for (k = 0; k < 3; k++) {
		ph.data[k] = p.photo[k].jpeg;
		ph.len[k] = p.photo[k].len;
	}
	snprintf(keys, sizeof(keys), "%s/keys", kore.dir);
	assert_int_equal(direct_case_submit_with(kore.store_url, keys,
	    person_card(&p)->number, "http://127.0.0.1:9/hook", &ph, id), 0);
	person_free(&p);
}

static char	last_decision[16384];	/* of the last state_of() */

static enum store_state
state_of(const char *id, char *reasons, size_t len)
{
	struct store		*st;
	struct store_case	 c;
	enum store_state	 s;

	assert_int_equal(store_open(&st, kore.store_url), 0);
	assert_int_equal(store_case_get(st, id, &c), 0);
	s = c.state;
	snprintf(last_decision, sizeof(last_decision), "%s",
	    c.decision != NULL ? c.decision : "");
	if (reasons != NULL)
		snprintf(reasons, len, "%s", c.reasons != NULL ? c.reasons :
		    "");
	store_case_release(&c);
	store_close(st);
	return (s);
}

/*
 * Waits until the case is in `want` or final, failing on an approval
 * that was not asked for.  Returns the state reached.
 */
static enum store_state
wait_for(const char *id, enum store_state want, int seconds)
{
	enum store_state	s;
	int			i;

	s = STORE_STATE_SUBMITTED;
	for (i = 0; i < seconds * 10; i++) {
		s = state_of(id, NULL, 0);
		if (want != STORE_STATE_APPROVED)
			assert_int_not_equal(s, STORE_STATE_APPROVED);
		if (s == want || s == STORE_STATE_APPROVED ||
		    s == STORE_STATE_REJECTED || s == STORE_STATE_REVIEW)
			break;
		usleep(100 * 1000);
	}
	return (s);
}

/*
 * Under the fault the case parks (the sandbox counted the fault, so the
 * test cannot pass on a healthy upstream), and nothing is approved;
 * after the fault clears, the same case is approved.
 */
static void
parks_then_recovers(const char *spec)
{
	char	id[33], reasons[1024];
	long	faulted;

	faulted = sandbox_faulted(&sbx);
	assert_true(faulted >= 0);
	assert_int_equal(sandbox_schedule(&sbx, spec), 0);
	submit_retake(id);
	if (wait_for(id, STORE_STATE_PARKED, 30) != STORE_STATE_PARKED) {
		(void)state_of(id, reasons, sizeof(reasons));
		fprintf(stderr, "# %s: %s\n", spec, reasons);
	}
	assert_int_equal(state_of(id, reasons, sizeof(reasons)),
	    STORE_STATE_PARKED);
	assert_non_null(strstr(reasons, "registry_unavailable"));
	assert_true(sandbox_faulted(&sbx) > faulted);

	assert_int_equal(sandbox_schedule(&sbx, "none"), 0);
	if (wait_for(id, STORE_STATE_APPROVED, 30) != STORE_STATE_APPROVED) {
		(void)state_of(id, reasons, sizeof(reasons));
		fprintf(stderr, "# %s, after: %s\n", spec, reasons);
	}
	assert_int_equal(state_of(id, NULL, 0), STORE_STATE_APPROVED);
	/* Decided on the figures it was parked with, not imaged again. */
	assert_non_null(strstr(last_decision,
	    "\"measured\":\"when_parked\""));
}

static void
test_faults_baseline_is_approved(void **state)
{
	char	id[33];

	(void)state;
	/* Without this, a recovery below would prove nothing. */
	assert_int_equal(sandbox_schedule(&sbx, "none"), 0);
	submit_retake(id);
	assert_int_equal(wait_for(id, STORE_STATE_APPROVED, 30),
	    STORE_STATE_APPROVED);
	(void)state_of(id, NULL, 0);
	assert_non_null(strstr(last_decision, "\"measured\":\"now\""));
}

static void
test_faults_status_500(void **state)
{
	(void)state;
	parks_then_recovers("status=500");
}

static void
test_faults_status_502(void **state)
{
	(void)state;
	parks_then_recovers("status=502");
}

static void
test_faults_status_503(void **state)
{
	(void)state;
	parks_then_recovers("status=503");
}

static void
test_faults_connection_reset(void **state)
{
	(void)state;
	parks_then_recovers("reset");
}

static void
test_faults_malformed_answer(void **state)
{
	(void)state;
	parks_then_recovers("malformed");
}

static void
test_faults_rate_limited(void **state)
{
	(void)state;
	parks_then_recovers("rate_limit");
}

static void
test_faults_unknown_result_code(void **state)
{
	(void)state;
	parks_then_recovers("unknown_code");
}

static void
test_faults_provider_service_error(void **state)
{
	(void)state;
	parks_then_recovers("service_error");
}

static void
test_faults_answer_slower_than_the_timeout(void **state)
{
	(void)state;
	parks_then_recovers("latency=2500");
}

static void
test_faults_hang(void **state)
{
	(void)state;
	parks_then_recovers("hang");
}

/*
 * Flaky rather than down: every other call fails.  Cases park and come
 * back until a real MATCH, all within the deadline, with no fault
 * clearing needed.
 */
static void
test_faults_flaky_upstream_still_approves_through_retries(void **state)
{
	char	id[4][33];
	long	faulted;
	int	i;

	(void)state;
	faulted = sandbox_faulted(&sbx);
	assert_int_equal(sandbox_schedule(&sbx, "50%:status=503"), 0);
	for (i = 0; i < 4; i++)
		submit_retake(id[i]);
	for (i = 0; i < 4; i++)
		assert_int_equal(wait_for(id[i], STORE_STATE_APPROVED,
		    DEADLINE_S), STORE_STATE_APPROVED);
	/*
	 * The sandbox rolls its dice: which calls failed differs per run
	 * (none at all about one run in sixteen), so this is reported, not
	 * asserted; the other tests prove each fault parks.
	 */
	fprintf(stderr, "# flaky upstream: %ld calls faulted\n",
	    sandbox_faulted(&sbx) - faulted);
	assert_int_equal(sandbox_schedule(&sbx, "none"), 0);
}

static void
test_faults_outlasting_the_deadline_goes_to_review(void **state)
{
	char	id[33], reasons[1024];

	(void)state;
	assert_int_equal(sandbox_schedule(&sbx, "status=503"), 0);
	submit_retake(id);
	assert_int_equal(wait_for(id, STORE_STATE_REVIEW, DEADLINE_S + 30),
	    STORE_STATE_REVIEW);
	(void)state_of(id, reasons, sizeof(reasons));
	assert_non_null(strstr(reasons, "registry_unavailable"));
	assert_int_equal(sandbox_schedule(&sbx, "none"), 0);
}

static void
test_faults_logs_hold_no_numbers_or_names(void **state)
{
	struct person	 p;
	char		*log;

	(void)state;
	assert_int_equal(person_make(gen, SEED, person_index, 800, &p), 0);
	log = harness_log(&kore);
	assert_non_null(log);
	assert_null(strstr(log, person_card(&p)->number));
	assert_null(strstr(log, person_card(&p)->name));
	assert_null(strstr(log, "seccomp violation"));
	free(log);
	person_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_baseline_is_approved),
		cmocka_unit_test(test_faults_status_500),
		cmocka_unit_test(test_faults_status_502),
		cmocka_unit_test(test_faults_status_503),
		cmocka_unit_test(test_faults_connection_reset),
		cmocka_unit_test(test_faults_malformed_answer),
		cmocka_unit_test(test_faults_rate_limited),
		cmocka_unit_test(test_faults_unknown_result_code),
		cmocka_unit_test(test_faults_provider_service_error),
		cmocka_unit_test(test_faults_answer_slower_than_the_timeout),
		cmocka_unit_test(test_faults_hang),
		cmocka_unit_test(
		    test_faults_flaky_upstream_still_approves_through_retries),
		cmocka_unit_test(
		    test_faults_outlasting_the_deadline_goes_to_review),
		cmocka_unit_test(test_faults_logs_hold_no_numbers_or_names),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
