/*
 * The service's ID check client (service/idcheck_client.c) against the
 * real sandbox process: every fault mode gives its normalized result, a
 * hung upstream costs at most the total timeout (+200 ms) per attempt, no
 * call makes more than three attempts, an open breaker makes no calls at
 * all (the sandbox's own counter does not move) and one probe after the
 * cool-down closes it.  The client's signatures are always accepted.
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

#include <cmocka.h>

#include "idcheck_client.h"
#include "sandbox_harness.h"

static struct sandbox		sbx;
static struct idcheck_breaker	breaker;
static char			url[64];
static const struct sbx_person	*who;
static int			calls_made;

static int
group_setup(void **state)
{
	size_t	i;

	(void)state;
	if (sandbox_start(&sbx, "127.0.0.1") == -1)
		return (-1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sbx.h.port);
	/* A valid card whose name carries a "·" if there is one. */
	for (i = 0; i < sbx.registry.count; i++) {
		if (sbx.registry.people[i].cancelled)
			continue;
		if (who == NULL || strstr(sbx.registry.people[i].name,
		    "\xc2\xb7") != NULL)
			who = &sbx.registry.people[i];
	}
	return (who != NULL ? 0 : -1);
}

static int
group_teardown(void **state)
{
	(void)state;
	sandbox_finish(&sbx);
	return (0);
}

static void
config(struct idcheck_client_config *c)
{
	idcheck_client_config_default(c);
	c->base_url = url;
	c->key = &sbx.key;
	c->connect_timeout_ms = 500;
	c->total_timeout_ms = 800;
	c->backoff_base_ms = 10;
	c->backoff_max_ms = 50;
	c->breaker_threshold = 1000;
}

static void
set_faults(const char *spec)
{
	struct http_reply	r;

	assert_int_equal(sandbox_http(&sbx, "PUT", "/admin/faults", spec,
	    strlen(spec), NULL, 5000, &r, NULL), 0);
	assert_int_equal(r.status, 204);
	http_reply_free(&r);
}

static enum idcheck_result
verify(const struct idcheck_client_config *c, struct idcheck_outcome *o)
{
	struct idcheck_call	call;
	char			case_id[40];

	memset(&call, 0, sizeof(call));
	snprintf(case_id, sizeof(case_id), "%032x", ++calls_made);
	call.case_id = case_id;
	call.first_attempt = 1;
	call.name = who->name;
	call.id_number = who->number;
	return (idcheck_verify(c, &breaker, &call, o));
}

static int
reset(void **state)
{
	(void)state;
	set_faults("none");
	return (idcheck_breaker_init(&breaker, 0));
}

static void
test_idcheck_each_fault_mode_twenty_calls(void **state)
{
	static const struct {
		const char		*spec;
		enum idcheck_result	 want;
		int			 attempts;
	} modes[] = {
		{ "none", IDCHECK_MATCH, 1 },
		{ "status=500", IDCHECK_UPSTREAM_ERROR, 3 },
		{ "status=502", IDCHECK_UPSTREAM_ERROR, 3 },
		{ "status=503", IDCHECK_UPSTREAM_ERROR, 3 },
		{ "reset", IDCHECK_UPSTREAM_ERROR, 3 },
		{ "malformed", IDCHECK_UPSTREAM_ERROR, 3 },
		{ "unknown_code", IDCHECK_UPSTREAM_ERROR, 3 },
		{ "service_error", IDCHECK_UPSTREAM_ERROR, 3 },
		{ "rate_limit", IDCHECK_RATE_LIMITED, 1 },
		{ "latency=50", IDCHECK_MATCH, 1 },
	};
	struct idcheck_client_config	c;
	struct idcheck_outcome		o;
	size_t				i;
	long				before;
	int				k;

	(void)state;
	config(&c);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		set_faults(modes[i].spec);
		before = sandbox_calls(&sbx);
		for (k = 0; k < 20; k++) {
			if (verify(&c, &o) != modes[i].want)
				fprintf(stderr, "# %s: got %s (%s)\n",
				    modes[i].spec,
				    idcheck_result_name(o.response.result),
				    o.response.detail);
			assert_int_equal(o.response.result, modes[i].want);
			assert_int_equal(o.attempts, modes[i].attempts);
		}
		/* The sandbox saw exactly the attempts the client made. */
		assert_int_equal(sandbox_calls(&sbx) - before,
		    20 * modes[i].attempts);
	}
}

static void
test_idcheck_hang_costs_at_most_the_timeout_per_attempt(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_outcome		o;
	int				k;

	(void)state;
	config(&c);
	set_faults("hang");
	for (k = 0; k < 3; k++) {
		assert_int_equal(verify(&c, &o), IDCHECK_UPSTREAM_ERROR);
		assert_int_equal(o.attempts, 3);
		fprintf(stderr, "# hang: %d attempts in %lld ms\n",
		    o.attempts, (long long)o.elapsed_ms);
		/* Per attempt: timeout + 200 ms; plus the jitter waits. */
		assert_true(o.elapsed_ms <= 3 * (c.total_timeout_ms + 200) +
		    2 * c.backoff_max_ms);
	}
}

static void
test_idcheck_open_breaker_makes_no_calls_then_probe_closes(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_outcome		o;
	long				before;
	int				k;

	(void)state;
	config(&c);
	c.breaker_threshold = 3;
	c.breaker_cooldown_ms = 1000;
	set_faults("status=503");
	(void)verify(&c, &o);
	assert_int_equal(idcheck_breaker_state(&breaker, 0, 1 << 30),
	    IDCHECK_BREAKER_OPEN);

	before = sandbox_calls(&sbx);
	for (k = 0; k < 10; k++) {
		assert_int_equal(verify(&c, &o), IDCHECK_UPSTREAM_ERROR);
		assert_true(o.breaker_refused);
	}
	assert_int_equal(sandbox_calls(&sbx), before);

	set_faults("none");
	usleep(1100 * 1000);
	assert_int_equal(verify(&c, &o), IDCHECK_MATCH);
	assert_int_equal(sandbox_calls(&sbx), before + 1);
	assert_int_equal(idcheck_breaker_state(&breaker, 0, 1 << 30),
	    IDCHECK_BREAKER_CLOSED);
}

/* Names with "·" and rare characters go out and come back intact. */
static void
test_idcheck_minority_name_matches_byte_exact(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_outcome		o;
	char				*log;

	(void)state;
	config(&c);
	assert_int_equal(verify(&c, &o), IDCHECK_MATCH);
	/* A name one byte off is another name. */
	{
		struct idcheck_call	call;
		char			name[128];

		snprintf(name, sizeof(name), "%s", who->name);
		name[strlen(name) - 1] ^= 0x01;
		memset(&call, 0, sizeof(call));
		call.case_id = "ffffffffffffffffffffffffffffffff";
		call.first_attempt = 1;
		call.name = name;
		call.id_number = who->number;
		assert_int_not_equal(idcheck_verify(&c, &breaker, &call, &o),
		    IDCHECK_MATCH);
	}
	log = harness_log(&sbx.h);
	assert_null(strstr(log, who->number));
	assert_null(strstr(log, who->name));
	/* Every call the client made was signed acceptably. */
	assert_null(strstr(log, "refused"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
		    test_idcheck_each_fault_mode_twenty_calls, reset),
		cmocka_unit_test_setup(
		    test_idcheck_hang_costs_at_most_the_timeout_per_attempt,
		    reset),
		cmocka_unit_test_setup(
		    test_idcheck_open_breaker_makes_no_calls_then_probe_closes,
		    reset),
		cmocka_unit_test_setup(
		    test_idcheck_minority_name_matches_byte_exact, reset),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
