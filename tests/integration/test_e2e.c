/*
 * End to end: generated ID-card photos (tools/gen) of synthetic people
 * go through the real upload route (quality gate, sealing), submit, the
 * pipeline (imaging, local rules, duplicates) and the real ID-check
 * sandbox, which holds these people in its registry.
 *
 *   the right person with the right name        → approved
 *   the right person, another declared name     → rejected (identity_mismatch)
 *   another person's face in the selfie         → never approved
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

#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "gen.h"
#include "harness.h"
#include "imaging.h"
#include "people.h"
#include "sandbox_harness.h"
#include "sign.h"

#define SEED		20261129ULL

static struct sandbox	sbx;
static struct harness	kore;
static struct sign_key	shop;
static struct gen	*gen;
static struct person	genuine[2], impostor;

/* Picks people: two whose selfie is genuine, one whose is not. */
static int
pick_people(void)
{
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	struct person		 p;
	int			 i, ngenuine, nimpostor;

	imaging_options_default(&opt);
	if ((eng = imaging_engine_new(getenv("REALNAME_MODELS"), &opt,
	    &ierr)) == NULL) {
		fprintf(stderr, "# imaging: %s\n", ierr.msg);
		return (-1);
	}
	ngenuine = nimpostor = 0;
	for (i = 0; i < 60 && (ngenuine < 2 || nimpostor < 1); i++) {
		if (person_make(gen, SEED, i, 2000, &p) == -1)
			return (-1);
		/* Some generated cards carry a broken check digit on purpose. */
		if (!person_card(&p)->number_valid) {
			person_free(&p);
			continue;
		}
		if (p.photo[2].truth.genuine && ngenuine < 2 &&
		    person_accepted(eng, &p)) {
			genuine[ngenuine++] = p;
			continue;
		}
		if (!p.photo[2].truth.genuine && nimpostor < 1) {
			impostor = p;
			nimpostor++;
			continue;
		}
		person_free(&p);
	}
	imaging_engine_free(eng);
	fprintf(stderr, "# people: %d, %d genuine, %d impostor\n", i,
	    ngenuine, nimpostor);
	return (ngenuine == 2 && nimpostor == 1 ? 0 : -1);
}

static int
group_setup(void **state)
{
	char	registry[2048], extra[1024];

	(void)state;
	if (sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1)
		return (-1);
	if ((gen = people_gen_open()) == NULL)
		return (-1);
	if (pick_people() == -1)
		return (-1);

	registry[0] = '\0';
	person_registry_line(registry, sizeof(registry), &genuine[0], "valid");
	person_registry_line(registry, sizeof(registry), &genuine[1], "valid");
	person_registry_line(registry, sizeof(registry), &impostor, "valid");
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1)
		return (-1);

	/* The service signs its ID checks with the sandbox's key. */
	snprintf(extra, sizeof(extra), "poll_ms = 50\n"
	    "evidence_max_long_side = 2000\n");
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
	person_free(&genuine[0]);
	person_free(&genuine[1]);
	person_free(&impostor);
	gen_close(gen);
	return (0);
}

static void
test_e2e_right_person_right_name_is_approved(void **state)
{
	char	final[32], view[8192];

	(void)state;
	person_journey(&kore, &shop, &genuine[0], NULL, NULL, 1, final,
	    sizeof(final), view, sizeof(view), NULL);
	if (strcmp(final, "approved") != 0)
		fprintf(stderr, "# %s: %s\n", final, view);
	assert_string_equal(final, "approved");
}

static void
test_e2e_declared_name_mismatch_is_rejected(void **state)
{
	char	final[32], view[8192];

	(void)state;
	/* Another registry person's name over this person's number. */
	person_journey(&kore, &shop, &genuine[1],
	    person_card(&genuine[0])->name, NULL, 1, final, sizeof(final),
	    view, sizeof(view), NULL);
	if (strcmp(final, "rejected") != 0)
		fprintf(stderr, "# %s: %s\n", final, view);
	assert_string_equal(final, "rejected");
	assert_non_null(strstr(view, "\"identity_mismatch\""));
	assert_non_null(strstr(view, "\"retry_allowed\":true"));
}

static void
test_e2e_another_face_in_the_selfie_is_not_approved(void **state)
{
	char			final[32], view[8192];

	(void)state;
	/*
	 * The selfie may already fail its quality gate (the held card's
	 * portrait does not match the face): then the case cannot even be
	 * submitted, which is also "not approved".
	 */
	person_journey(&kore, &shop, &impostor, NULL, NULL, 0, final,
	    sizeof(final), view, sizeof(view), NULL);
	if (!strcmp(final, "approved"))
		fprintf(stderr, "# %s\n", view);
	assert_string_not_equal(final, "approved");
}

static void
test_e2e_logs_hold_no_numbers_or_names(void **state)
{
	const struct person	*all[3] = { &genuine[0], &genuine[1],
				    &impostor };
	char			*log;
	int			 i;

	(void)state;
	log = harness_log(&kore);
	for (i = 0; i < 3; i++) {
		assert_null(strstr(log, all[i]->photo[0].truth.number));
		assert_null(strstr(log, all[i]->photo[0].truth.name));
	}
	assert_null(strstr(log, "seccomp violation"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e2e_right_person_right_name_is_approved),
		cmocka_unit_test(test_e2e_declared_name_mismatch_is_rejected),
		cmocka_unit_test(
		    test_e2e_another_face_in_the_selfie_is_not_approved),
		cmocka_unit_test(test_e2e_logs_hold_no_numbers_or_names),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
