/*
 * The pipeline inside a real kore: cases submitted to the store are
 * claimed, verified and decided by the workers' pipeline threads, and the
 * decision reaches a webhook receiver, signed, retried after a 500.
 *
 * Photos are put into the store directly (sealed with the service's own
 * master key, as the upload route does) so that these tests depend on the
 * pipeline, not on the quality gate, which test_cases.c covers.  The ID
 * check is unreachable here (a closed port): every case must park, then
 * go to review at the deadline — never be approved.
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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sodium.h>

#include "direct_case.h"
#include "harness.h"
#include "receiver.h"
#include "idnumber.h"
#include "sign.h"
#include "store.h"
#include "vault.h"

static struct harness	kore;
static struct receiver	rx;

static struct sign_key	key;
static char		number[19];

static int
group_setup(void **state)
{
	char	extra[512];

	(void)state;
	memcpy(number, "11010119900307123", 17);
	number[17] = idnumber_check_digit(number);
	number[18] = '\0';
	if (sign_key_parse(&key, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1 || receiver_start(&rx) == -1)
		return (-1);
	/* Fast polling, a closed ID check port, short park and deadline. */
	/*
	 * The fixture's photos are face photos, not ID cards: what the card
	 * search makes of them is not under test here, so the face rule may
	 * not reject on it (face_reject_max -1) and decisions turn on the
	 * queue and the ID check.
	 */
	snprintf(extra, sizeof(extra), "poll_ms = 50\npark_retry_s = 1\n"
	    "upstream_deadline_s = 3\nidcheck_url = http://127.0.0.1:9\n"
	    "idcheck_max_attempts = 2\nidcheck_connect_timeout_ms = 200\n"
	    "webhook_retry_base_s = 1\nlease_s = 30\nface_reject_max = -1\n");
	return (harness_start(&kore, extra));
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	receiver_stop(&rx);
	return (0);
}

/* A submitted case with three sealed photos, straight in the store. */
static void
submitted_case(char id[STORE_ID_LEN + 1])
{
	char	keys[256], url[128];

	snprintf(keys, sizeof(keys), "%s/keys", kore.dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	assert_int_equal(direct_case_submit(kore.store_url, keys, number, url,
	    id), 0);
}

static enum store_state
state_of(const char *id, struct store_case *out)
{
	struct store		*st;
	struct store_case	 c;
	enum store_state	 s;

	assert_int_equal(store_open(&st, kore.store_url), 0);
	assert_int_equal(store_case_get(st, id, &c), 0);
	s = c.state;
	if (out != NULL)
		*out = c;
	else
		store_case_release(&c);
	store_close(st);
	return (s);
}

/*
 * Upstream unreachable: parked (never approved), then review at the
 * deadline with the reason, and the decision reaches the order system
 * signed, after the receiver's first answer was a 500.
 */
static void
test_pipeline_unreachable_upstream_parks_then_reviews_with_webhook(
    void **state)
{
	struct store_case	 c;
	struct sign_request	 sr;
	struct sign_replay	 replay;
	struct sign_replay_entry slots[16];
	char			 id[STORE_ID_LEN + 1];
	int			 i, parked;
	enum store_state	 s;
	time_t			 deadline;

	(void)state;
	rx.fail_first = 1;
	submitted_case(id);

	parked = 0;
	s = STORE_STATE_SUBMITTED;
	deadline = time(NULL) + 120;
	for (i = 0; time(NULL) < deadline; i++) {
		s = state_of(id, NULL);
		if (s == STORE_STATE_PARKED)
			parked = 1;
		assert_int_not_equal(s, STORE_STATE_APPROVED);
		if (s == STORE_STATE_REVIEW || s == STORE_STATE_REJECTED)
			break;
		usleep(100 * 1000);
	}
	assert_true(parked);
	assert_int_equal(s, STORE_STATE_REVIEW);
	(void)state_of(id, &c);
	assert_non_null(c.reasons);
	assert_non_null(strstr(c.reasons, "registry_unavailable"));
	assert_non_null(c.decision);
	assert_non_null(strstr(c.decision, "\"upstream\":{\"called\":true"));
	assert_non_null(strstr(c.decision, "\"result\":\"upstream_error\""));
	store_case_release(&c);

	/* The 500 was retried: one accepted delivery, signed. */
	assert_true(receiver_wait(&rx, 1, 10) >= 1);
	pthread_mutex_lock(&rx.lock);
	assert_true(rx.calls >= 2);
	assert_non_null(strstr(rx.hooks[0].body, id));
	assert_non_null(strstr(rx.hooks[0].body, "\"outcome\":\"review\""));
	assert_null(strstr(rx.hooks[0].body, number));
	assert_int_equal(strlen(rx.hooks[0].delivery), 32);
	memset(&sr, 0, sizeof(sr));
	sr.key_id = rx.hooks[0].key_id;
	sr.timestamp = rx.hooks[0].timestamp;
	sr.signature = rx.hooks[0].signature;
	sr.method = "POST";
	sr.path = "/hook";
	sr.body = rx.hooks[0].body;
	sr.body_len = strlen(rx.hooks[0].body);
	memset(slots, 0, sizeof(slots));
	sign_replay_init(&replay, slots, 16);
	assert_int_equal(sign_verify(&key, 1, &replay, &sr, time(NULL),
	    NULL), SIGN_OK);
	pthread_mutex_unlock(&rx.lock);

	/* The failed ID checks are counted, with their attempts. */
	{
		struct http_reply	 m;
		const char		*p, *want = "realname_idcheck_calls_total"
		    "{result=\"upstream_error\"} ";

		assert_int_equal(harness_http(&kore, "GET", "/metrics", NULL,
		    0, &m), 0);
		assert_non_null(p = strstr(m.body, want));
		assert_true(atoi(p + strlen(want)) >= 1);
		assert_non_null(strstr(m.body,
		    "realname_idcheck_attempts_total "));
		http_reply_free(&m);
	}
}

/* Many cases, two workers: each decided exactly once. */
static void
test_pipeline_decides_each_case_once(void **state)
{
	char	ids[8][STORE_ID_LEN + 1];
	time_t	deadline;
	int	i, j, done, before;

	(void)state;
	rx.fail_first = 0;
	pthread_mutex_lock(&rx.lock);
	before = rx.nhooks;
	pthread_mutex_unlock(&rx.lock);
	for (i = 0; i < 8; i++)
		submitted_case(ids[i]);
	/* Bounded by time, not polls: the ASan build images slowly. */
	deadline = time(NULL) + 180;
	for (j = 0; time(NULL) < deadline; j++) {
		done = 0;
		for (i = 0; i < 8; i++) {
			enum store_state s = state_of(ids[i], NULL);

			assert_int_not_equal(s, STORE_STATE_APPROVED);
			done += s == STORE_STATE_REVIEW;
		}
		if (done == 8)
			break;
		usleep(100 * 1000);
	}
	assert_int_equal(done, 8);
	/*
	 * The same person's photos under the same number in every case:
	 * the selfie face is found again (scored), and the reused bytes too.
	 */
	for (i = 0; i < 8; i++) {
		struct store_case	c;

		(void)state_of(ids[i], &c);
		assert_non_null(strstr(c.decision,
		    "\"duplicate_face_score\":"));
		assert_null(strstr(c.decision, "\"duplicate_face_score\":null"));
		assert_non_null(strstr(c.decision, "\"reused_image\":true"));
		store_case_release(&c);
	}
	/* One webhook per case, no more. */
	assert_true(receiver_wait(&rx, before + 8, 15) >= before + 8);
	sleep(1);
	pthread_mutex_lock(&rx.lock);
	assert_int_equal(rx.nhooks, before + 8);
	for (i = 0; i < 8; i++) {
		int seen = 0;

		for (j = before; j < rx.nhooks; j++)
			seen += strstr(rx.hooks[j].body, ids[i]) != NULL;
		assert_int_equal(seen, 1);
	}
	pthread_mutex_unlock(&rx.lock);
}

/* The order system asks again: the same delivery id comes back. */
static void
test_pipeline_resend_redelivers_with_the_same_id(void **state)
{
	struct http_reply	 r;
	char			 id[STORE_ID_LEN + 1], path[128], first[64];
	int			 i, before, seen;

	(void)state;
	rx.fail_first = 0;
	submitted_case(id);
	snprintf(path, sizeof(path), "/v1/cases/%s/webhooks/resend", id);

	/* Not decided yet (or just now): wait for its first delivery. */
	for (i = 0; i < 300; i++) {
		if (state_of(id, NULL) == STORE_STATE_REVIEW)
			break;
		usleep(100 * 1000);
	}
	pthread_mutex_lock(&rx.lock);
	before = rx.nhooks;
	pthread_mutex_unlock(&rx.lock);
	first[0] = '\0';
	for (i = 0; i < 100 && first[0] == '\0'; i++) {
		pthread_mutex_lock(&rx.lock);
		for (int k = 0; k < rx.nhooks; k++) {
			if (strstr(rx.hooks[k].body, id) != NULL)
				snprintf(first, sizeof(first), "%s",
				    rx.hooks[k].delivery);
		}
		before = rx.nhooks;
		pthread_mutex_unlock(&rx.lock);
		usleep(100 * 1000);
	}
	assert_int_not_equal(first[0], '\0');

	assert_int_equal(harness_http_signed(&kore, &key, "POST", path, "",
	    NULL, 0, &r), 0);
	if (r.status != 202)
		fprintf(stderr, "# resend: %ld %s\n", r.status, r.body);
	assert_int_equal(r.status, 202);
	assert_non_null(strstr(r.body, "\"requeued\":1"));
	http_reply_free(&r);

	assert_true(receiver_wait(&rx, before + 1, 10) >= before + 1);
	pthread_mutex_lock(&rx.lock);
	seen = 0;
	for (i = before; i < rx.nhooks; i++) {
		if (strstr(rx.hooks[i].body, id) == NULL)
			continue;
		seen++;
		assert_string_equal(rx.hooks[i].delivery, first);
	}
	pthread_mutex_unlock(&rx.lock);
	assert_int_equal(seen, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
	    test_pipeline_unreachable_upstream_parks_then_reviews_with_webhook),
		cmocka_unit_test(test_pipeline_decides_each_case_once),
		cmocka_unit_test(
		    test_pipeline_resend_redelivers_with_the_same_id),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
