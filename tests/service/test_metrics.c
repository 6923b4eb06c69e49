/*
 * Metrics: counts by route and status, histogram buckets, shared across
 * a fork like Kore's workers.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"

static char *
render(void)
{
	FILE	*fp;
	char	*text = NULL;
	size_t	 len = 0;

	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	rn_metrics_render(fp, "test", 1);
	fclose(fp);
	return (text);
}

static void
test_metrics_counts_by_route_and_status_across_fork(void **state)
{
	char	*text;
	pid_t	 pid;
	int	 status;

	(void)state;
	assert_int_equal(rn_metrics_init(), 0);
	rn_metrics_observe(RN_ROUTE_HEALTHZ, 200, 300);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		rn_metrics_observe(RN_ROUTE_HEALTHZ, 200, 2000);
		rn_metrics_observe(RN_ROUTE_UNMATCHED, 404, 100);
		rn_metrics_observe(RN_ROUTE_READYZ, 299, 100);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);

	text = render();
	assert_non_null(strstr(text, "realname_build_info{version=\"test\""));
	assert_non_null(strstr(text, "realname_http_requests_total{route="
	    "\"/healthz\",status=\"200\"} 2\n"));
	assert_non_null(strstr(text, "realname_http_requests_total{route="
	    "\"unmatched\",status=\"404\"} 1\n"));
	assert_non_null(strstr(text, "realname_http_requests_total{route="
	    "\"/readyz\",status=\"other\"} 1\n"));
	/* 0.3 ms falls in le=0.001, 2 ms only from le=0.005 on. */
	assert_non_null(strstr(text, "_bucket{route=\"/healthz\",le=\"0.001\"}"
	    " 1\n"));
	assert_non_null(strstr(text, "_bucket{route=\"/healthz\",le=\"0.005\"}"
	    " 2\n"));
	assert_non_null(strstr(text, "_count{route=\"/healthz\"} 2\n"));
	assert_non_null(strstr(text, "_sum{route=\"/healthz\"} 0.002300\n"));
	free(text);

	/* ID checks: by result, attempts, retries, breaker state. */
	rn_metrics_observe_idcheck(0, 1, 0, 120);
	rn_metrics_observe_idcheck(8, 3, 0, 2400);
	rn_metrics_observe_idcheck(8, 0, 1, 0);
	text = render();
	assert_non_null(strstr(text,
	    "realname_idcheck_calls_total{result=\"match\"} 1\n"));
	assert_non_null(strstr(text,
	    "realname_idcheck_calls_total{result=\"upstream_error\"} 2\n"));
	assert_non_null(strstr(text, "realname_idcheck_attempts_total 4\n"));
	assert_non_null(strstr(text, "realname_idcheck_retries_total 2\n"));
	assert_non_null(strstr(text,
	    "realname_idcheck_breaker_refused_total 1\n"));
	assert_non_null(strstr(text, "realname_idcheck_breaker_state 1\n"));
	assert_non_null(strstr(text, "realname_idcheck_duration_seconds_bucket"
	    "{le=\"2.5\"} 3\n"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_metrics_counts_by_route_and_status_across_fork),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
