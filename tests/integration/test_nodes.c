/*
 * Two service nodes on one PostgreSQL: both claim from the same queue,
 * both decide some cases, none decides a case twice.  Runs only with
 * REALNAME_TEST_STORE=postgresql (SQLite is one node by design).
 * REALNAME_NODES_CASES sets the count (default 200).
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
#include "receiver.h"
#include "store.h"

static struct harness	node[2];
static struct receiver	rx;
static char		number[19];

/* face_reject_max -1: the fixture's photos are not ID cards. */
#define NODE_CONF	"poll_ms = 20\nupstream_deadline_s = 1\n" \
			"face_reject_max = -1\n" \
			"park_retry_s = 1\nidcheck_url = http://127.0.0.1:9\n" \
			"idcheck_max_attempts = 1\n" \
			"idcheck_connect_timeout_ms = 100\n" \
			"webhook_retry_base_s = 1\nworkers = 1\n" \
			"pipeline_threads = 2\n"

static int
group_setup(void **state)
{
	char	extra[2048];

	(void)state;
	memcpy(number, "11010119900307123", 17);
	number[17] = idnumber_check_digit(number);
	number[18] = '\0';
	if (receiver_start(&rx) == -1 ||
	    harness_start(&node[0], NODE_CONF) == -1)
		return (-1);
	/* The second node: the first one's database and keys. */
	snprintf(extra, sizeof(extra), NODE_CONF "store_url = %s\n"
	    "keys_dir = %s/keys\n", node[0].store_url, node[0].dir);
	return (harness_start(&node[1], extra));
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&node[1]);
	harness_stop(&node[0]);
	harness_cleanup(&node[1]);
	harness_cleanup(&node[0]);
	receiver_stop(&rx);
	return (0);
}

/* How many "pipeline: case ... (rule" lines a node's log holds. */
static int
decisions_in_log(const struct harness *h)
{
	char	*log, *p;
	int	 n;

	log = harness_log(h);
	n = 0;
	for (p = log; (p = strstr(p, "pipeline: case ")) != NULL; p++) {
		if (strstr(p, "(rule") != NULL &&
		    strstr(p, "(rule") < strchr(p, '\n'))
			n++;
	}
	free(log);
	return (n);
}

static void
test_nodes_share_the_queue_and_decide_each_case_once(void **state)
{
	const char		*env = getenv("REALNAME_NODES_CASES");
	char			(*ids)[STORE_ID_LEN + 1];
	char			 keys[256], url[128];
	struct store		*st;
	struct store_case	 c;
	int			 n, i, k, final, d0, d1;

	(void)state;
	n = env != NULL ? atoi(env) : 200;
	ids = calloc((size_t)n, sizeof(*ids));
	assert_non_null(ids);
	snprintf(keys, sizeof(keys), "%s/keys", node[0].dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	for (i = 0; i < n; i++)
		assert_int_equal(direct_case_submit(node[0].store_url, keys,
		    number, url, ids[i]), 0);

	assert_int_equal(store_open(&st, node[0].store_url), 0);
	final = 0;
	for (k = 0; k < 3000 && final < n; k++) {
		final = 0;
		for (i = 0; i < n; i++) {
			if (store_case_get(st, ids[i], &c) == -1)
				continue;
			assert_int_not_equal(c.state, STORE_STATE_APPROVED);
			final += c.state == STORE_STATE_REVIEW;
			store_case_release(&c);
		}
		if (final < n)
			usleep(200 * 1000);
	}
	store_close(st);
	assert_int_equal(final, n);

	/* Both nodes worked; their decisions add up to one per case. */
	usleep(500 * 1000);
	d0 = decisions_in_log(&node[0]);
	d1 = decisions_in_log(&node[1]);
	fprintf(stderr, "# %d cases: node 1 decided %d, node 2 decided %d\n",
	    n, d0, d1);
	assert_true(d0 > 0);
	assert_true(d1 > 0);
	assert_int_equal(d0 + d1, n);

	/* One delivery id per case. */
	assert_true(receiver_wait(&rx, n, 60) >= n);
	pthread_mutex_lock(&rx.lock);
	for (i = 0; i < n; i++) {
		const char	*first = NULL;

		for (k = 0; k < rx.nhooks; k++) {
			if (strstr(rx.hooks[k].body, ids[i]) == NULL)
				continue;
			if (first == NULL)
				first = rx.hooks[k].delivery;
			assert_string_equal(first, rx.hooks[k].delivery);
		}
		assert_non_null(first);
	}
	pthread_mutex_unlock(&rx.lock);
	free(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_nodes_share_the_queue_and_decide_each_case_once),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
