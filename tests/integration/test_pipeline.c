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

#include "craft.h"
#include "harness.h"
#include "idnumber.h"
#include "sign.h"
#include "store.h"
#include "vault.h"

#define HOOKS_MAX	16

struct hook {
	char	delivery[64];
	char	key_id[64];
	char	timestamp[32];
	char	signature[80];
	char	body[4096];
};

struct receiver {
	int		fd;
	int		port;
	int		stop;
	int		fail_first;	/* answer 500 this many times */
	int		calls;
	int		nhooks;		/* accepted (2xx) deliveries */
	struct hook	hooks[HOOKS_MAX];
	pthread_mutex_t	lock;
	pthread_t	th;
};

static struct harness	kore;
static struct receiver	rx;
static struct sign_key	key;
static char		number[19];

static void
header(const char *req, const char *name, char *out, size_t len)
{
	const char	*p, *e;

	out[0] = '\0';
	if ((p = strcasestr(req, name)) == NULL)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	if ((e = strstr(p, "\r\n")) == NULL || (size_t)(e - p) >= len)
		return;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

static void *
receive(void *arg)
{
	char		 req[16384], reply[128];
	const char	*body;
	ssize_t		 n;
	size_t		 got;
	int		 c, status;
	struct hook	 h;

	(void)arg;
	while (!rx.stop) {
		if ((c = accept(rx.fd, NULL, NULL)) == -1)
			continue;
		got = 0;
		/* Read until the body (Content-Length) is complete. */
		for (;;) {
			n = read(c, req + got, sizeof(req) - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			if ((body = strstr(req, "\r\n\r\n")) != NULL) {
				char	cl[16];

				header(req, "Content-Length:", cl, sizeof(cl));
				if (strlen(body + 4) >= (size_t)atoi(cl))
					break;
			}
		}
		req[got] = '\0';
		pthread_mutex_lock(&rx.lock);
		rx.calls++;
		status = rx.calls <= rx.fail_first ? 500 : 200;
		if (status == 200 && rx.nhooks < HOOKS_MAX &&
		    (body = strstr(req, "\r\n\r\n")) != NULL) {
			memset(&h, 0, sizeof(h));
			header(req, "X-Delivery-Id:", h.delivery,
			    sizeof(h.delivery));
			header(req, "X-App-Id:", h.key_id, sizeof(h.key_id));
			header(req, "X-Timestamp:", h.timestamp,
			    sizeof(h.timestamp));
			header(req, "X-Signature:", h.signature,
			    sizeof(h.signature));
			snprintf(h.body, sizeof(h.body), "%s", body + 4);
			rx.hooks[rx.nhooks++] = h;
		}
		pthread_mutex_unlock(&rx.lock);
		n = snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n", status);
		if (write(c, reply, (size_t)n) != n)
			fprintf(stderr, "# receiver: short write\n");
		close(c);
	}
	return (NULL);
}

static int
receiver_start(void)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			one = 1;

	memset(&rx, 0, sizeof(rx));
	pthread_mutex_init(&rx.lock, NULL);
	rx.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(rx.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	if (bind(rx.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(rx.fd, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(rx.fd, 16) == -1)
		return (-1);
	rx.port = ntohs(sin.sin_port);
	return (pthread_create(&rx.th, NULL, receive, NULL));
}

static void
receiver_stop(void)
{
	struct sockaddr_in	sin;
	int			fd;

	rx.stop = 1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)rx.port);
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	pthread_join(rx.th, NULL);
	close(rx.fd);
}

static int
group_setup(void **state)
{
	char	extra[512];

	(void)state;
	memcpy(number, "11010119900307123", 17);
	number[17] = idnumber_check_digit(number);
	number[18] = '\0';
	if (sign_key_parse(&key, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1 || receiver_start() == -1)
		return (-1);
	/* Fast polling, a closed ID check port, short park and deadline. */
	snprintf(extra, sizeof(extra), "poll_ms = 50\npark_retry_s = 1\n"
	    "upstream_deadline_s = 3\nidcheck_url = http://127.0.0.1:9\n"
	    "idcheck_max_attempts = 2\nidcheck_connect_timeout_ms = 200\n"
	    "webhook_retry_base_s = 1\nlease_s = 30\n");
	return (harness_start(&kore, extra));
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	receiver_stop();
	return (0);
}

/* Opens a case in the service's own store with three sealed photos. */
static void
submitted_case(char id[STORE_ID_LEN + 1])
{
	struct store		*st;
	struct store_case_new	 cn;
	struct vault		*v;
	char			 url[512], path[512], err[256], ad[64];
	char			 hash[STORE_HASH_HEX_LEN + 1];
	unsigned char		 lookup[32];
	uint8_t			*photo, *sealed;
	unsigned char		 digest[32];
	char			 sha[65];
	size_t			 len, slen;
	int			 i;
	static const char *const files[] = {
		"faces/img1.jpg", "faces/img2.jpg", "faces/img4.jpg",
	};

	assert_int_equal(store_open(&st, kore.store_url), 0);
	snprintf(path, sizeof(path), "%s/keys", kore.dir);
	v = vault_open(path, 0, err, sizeof(err));
	assert_non_null(v);

	memset(lookup, 7, sizeof(lookup));
	assert_int_equal(store_id_number_hash(lookup, sizeof(lookup), number,
	    hash), 0);
	memset(&cn, 0, sizeof(cn));
	cn.order_ref = "order-pipeline";
	cn.channel = "web";
	cn.declared_name = "\xe6\xb5\x8b\xe8\xaf\x95";
	cn.id_number = number;
	cn.id_number_hash = hash;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	cn.callback_url = url;
	cn.token_hash = "00000000000000000000000000000000"
	    "00000000000000000000000000000000";
	cn.token_expires_at = store_now_ms() + 3600 * 1000;
	assert_int_equal(store_case_create(st, &cn, store_now_ms(), id), 0);

	for (i = 0; i < 3; i++) {
		assert_int_equal(craft_read_file(craft_shared_path(files[i],
		    path, sizeof(path)), &photo, &len), 0);
		slen = vault_sealed_len(len);
		sealed = malloc(slen);
		assert_non_null(sealed);
		snprintf(ad, sizeof(ad), "%s/%s", id,
		    store_side_name((enum store_side)i));
		assert_int_equal(vault_seal(v, photo, len, ad, sealed), 0);
		crypto_hash_sha256(digest, photo, len);
		sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
		assert_int_equal(store_image_put(st, id, (enum store_side)i,
		    sealed, slen, sha, vault_active_key_id(v), "{}",
		    store_now_ms()), 0);
		free(sealed);
		free(photo);
	}
	assert_int_equal(store_case_transition(st, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "test", store_now_ms()), 0);
	vault_close(v);
	store_close(st);
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

static int
wait_hooks(int n, int seconds)
{
	int	i, got;

	for (i = 0; i < seconds * 10; i++) {
		pthread_mutex_lock(&rx.lock);
		got = rx.nhooks;
		pthread_mutex_unlock(&rx.lock);
		if (got >= n)
			return (got);
		usleep(100 * 1000);
	}
	return (got);
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

	(void)state;
	rx.fail_first = 1;
	submitted_case(id);

	parked = 0;
	s = STORE_STATE_SUBMITTED;
	for (i = 0; i < 200; i++) {
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
	assert_true(wait_hooks(1, 10) >= 1);
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
}

/* Many cases, two workers: each decided exactly once. */
static void
test_pipeline_decides_each_case_once(void **state)
{
	char	ids[8][STORE_ID_LEN + 1];
	int	i, j, done, before;

	(void)state;
	rx.fail_first = 0;
	pthread_mutex_lock(&rx.lock);
	before = rx.nhooks;
	pthread_mutex_unlock(&rx.lock);
	for (i = 0; i < 8; i++)
		submitted_case(ids[i]);
	for (j = 0; j < 300; j++) {
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
	assert_true(wait_hooks(before + 8, 15) >= before + 8);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
	    test_pipeline_unreachable_upstream_parks_then_reviews_with_webhook),
		cmocka_unit_test(test_pipeline_decides_each_case_once),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
