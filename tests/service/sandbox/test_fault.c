/*
 * Sandbox fault specs: every kind parses, typos are errors, shares roll
 * as documented.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fault.h"

static void
test_fault_parses_every_kind(void **state)
{
	static const struct {
		const char		*spec;
		enum sbx_fault_kind	 kind;
		long			 arg;
		int			 percent;
	} ok[] = {
		{ "latency=0", SBX_FAULT_LATENCY, 0, 100 },
		{ "latency=250", SBX_FAULT_LATENCY, 250, 100 },
		{ "hang", SBX_FAULT_HANG, SBX_HANG_DEFAULT_MS, 100 },
		{ "hang=4000", SBX_FAULT_HANG, 4000, 100 },
		{ "status=500", SBX_FAULT_STATUS, 500, 100 },
		{ "status=502", SBX_FAULT_STATUS, 502, 100 },
		{ "status=503", SBX_FAULT_STATUS, 503, 100 },
		{ "reset", SBX_FAULT_RESET, 0, 100 },
		{ "malformed", SBX_FAULT_MALFORMED, 0, 100 },
		{ "rate_limit", SBX_FAULT_RATE_LIMIT, 0, 100 },
		{ "unknown_code", SBX_FAULT_UNKNOWN_CODE, 0, 100 },
		{ "service_error", SBX_FAULT_SERVICE_ERROR, 0, 100 },
		{ "30%:status=503", SBX_FAULT_STATUS, 503, 30 },
		{ "1%:reset", SBX_FAULT_RESET, 0, 1 },
		{ "100%:hang=10", SBX_FAULT_HANG, 10, 100 },
	};
	struct sbx_fault	f;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		print_message("# %s\n", ok[i].spec);
		assert_int_equal(sbx_fault_parse(ok[i].spec, &f), 0);
		assert_int_equal(f.kind, ok[i].kind);
		assert_int_equal(f.arg, ok[i].arg);
		assert_int_equal(f.percent, ok[i].percent);
	}
}

static void
test_fault_refuses_typos_and_out_of_range(void **state)
{
	const char		*bad[] = {
		"", "none", "latency", "latency=", "latency=abc",
		"latency=-1", "latency=60001", "hang=", "hang=1e3",
		"status=404", "status=501", "status=5000", "status",
		"reset=1", "malformed=2", "Reset", "reset ", " reset",
		"0%:reset", "101%:reset", "%:reset", "50:reset", "50%reset",
		"50%:", "50%:bogus",
		"latency=1000000000000000000000000000000000000000000000000000",
	};
	struct sbx_fault	 f;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# '%s'\n", bad[i]);
		assert_int_equal(sbx_fault_parse(bad[i], &f), -1);
		assert_int_equal(f.kind, SBX_FAULT_NONE);
	}
}

static void
test_fault_roll_applies_its_share(void **state)
{
	struct sbx_fault	f;
	unsigned int		roll, hits;

	(void)state;
	assert_int_equal(sbx_fault_parse("30%:status=502", &f), 0);
	hits = 0;
	for (roll = 0; roll < 100; roll++) {
		if (sbx_fault_roll(&f, roll) == SBX_FAULT_STATUS)
			hits++;
		else
			assert_int_equal(sbx_fault_roll(&f, roll),
			    SBX_FAULT_NONE);
	}
	assert_int_equal(hits, 30);
	assert_int_equal(sbx_fault_parse("reset", &f), 0);
	assert_int_equal(sbx_fault_roll(&f, 99), SBX_FAULT_RESET);
	memset(&f, 0, sizeof(f));
	assert_int_equal(sbx_fault_roll(&f, 0), SBX_FAULT_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_parses_every_kind),
		cmocka_unit_test(test_fault_refuses_typos_and_out_of_range),
		cmocka_unit_test(test_fault_roll_applies_its_share),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
