/*
 * The ID check client against a scripted HTTP peer on loopback (the seam
 * under test is the client's own: timeouts, retries, breaker, mapping).
 * The real sandbox is exercised by the integration tests.
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
#include <sys/time.h>

#include <cmocka.h>

#include "idcheck_client.h"

enum peer_mode {
	PEER_MATCH,
	PEER_500,
	PEER_HANG,
	PEER_RESET,
	PEER_GARBAGE,
	PEER_MISMATCH,
};

struct peer {
	int		 fd;
	int		 port;
	enum peer_mode	 mode;
	int		 calls;
	int		 stop;
	char		 last_body[4096];
	pthread_t	 th;
};

static struct peer		peer;
static struct sign_key		key;
static struct idcheck_breaker	breaker;

static void
answer(int c, int status, const char *body)
{
	char	buf[1024];
	int	n;

	n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close"
	    "\r\n\r\n%s", status, strlen(body), body);
	if (write(c, buf, (size_t)n) != n)
		return;
}

/* The request id we were sent, echoed like a provider does. */
static void
echo_id(char *out, size_t len)
{
	const char	*p, *e;

	out[0] = '\0';
	if ((p = strstr(peer.last_body, "\"request_id\":\"")) == NULL)
		return;
	p += 14;
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= len)
		return;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

/* Says nothing until the client gives up (or 3 s pass). */
static void
hang_until_closed(int c)
{
	struct timeval	tv = { 0, 100000 };
	char		buf[256];
	int		i;

	(void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 30; i++) {
		if (read(c, buf, sizeof(buf)) == 0)
			return;
	}
}

static void *
serve(void *arg)
{
	char	req[8192], body[512], rid[128];
	ssize_t	n;
	size_t	got;
	int	c;

	(void)arg;
	while (!peer.stop) {
		if ((c = accept(peer.fd, NULL, NULL)) == -1)
			continue;
		if (peer.stop) {
			close(c);
			break;
		}
		got = 0;
		/* Headers and a small body arrive together on loopback. */
		usleep(20000);
		n = read(c, req, sizeof(req) - 1);
		if (n > 0) {
			req[n] = '\0';
			got = (size_t)n;
			char *b = strstr(req, "\r\n\r\n");
			snprintf(peer.last_body, sizeof(peer.last_body), "%s",
			    b ? b + 4 : "");
		}
		(void)got;
		peer.calls++;
		echo_id(rid, sizeof(rid));
		switch (peer.mode) {
		case PEER_MATCH:
			snprintf(body, sizeof(body), "{\"code\":\"1100\","
			    "\"message\":\"一致\",\"request_id\":\"%s\","
			    "\"upstream_id\":\"u1\",\"billable\":true}", rid);
			answer(c, 200, body);
			break;
		case PEER_MISMATCH:
			snprintf(body, sizeof(body), "{\"code\":\"1101\","
			    "\"message\":\"不一致\",\"request_id\":\"%s\","
			    "\"upstream_id\":\"u1\",\"billable\":true}", rid);
			answer(c, 200, body);
			break;
		case PEER_500:
			answer(c, 500, "{\"error\":\"boom\"}");
			break;
		case PEER_HANG:
			hang_until_closed(c);
			break;
		case PEER_RESET:
			break;
		case PEER_GARBAGE:
			answer(c, 200, "{\"code\":");
			break;
		}
		close(c);
	}
	return (NULL);
}

static int
group_setup(void **state)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			one = 1;

	(void)state;
	memset(&peer, 0, sizeof(peer));
	peer.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(peer.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	if (bind(peer.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(peer.fd, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(peer.fd, 16) == -1)
		return (-1);
	peer.port = ntohs(sin.sin_port);
	if (sign_key_parse(&key, "realname:00112233445566778899aabbccddeeff")
	    == -1)
		return (-1);
	return (pthread_create(&peer.th, NULL, serve, NULL));
}

static int
group_teardown(void **state)
{
	int			fd;
	struct sockaddr_in	sin;

	(void)state;
	peer.stop = 1;
	/* Wake accept() with one last connection. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)peer.port);
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	pthread_join(peer.th, NULL);
	close(peer.fd);
	return (0);
}

static void
config(struct idcheck_client_config *c, char *url, size_t len)
{
	idcheck_client_config_default(c);
	snprintf(url, len, "http://127.0.0.1:%d", peer.port);
	c->base_url = url;
	c->key = &key;
	c->total_timeout_ms = 600;
	c->connect_timeout_ms = 300;
	c->backoff_base_ms = 10;
	c->backoff_max_ms = 40;
	c->breaker_threshold = 4;
	c->breaker_cooldown_ms = 400;
}

static struct idcheck_call
call(void)
{
	struct idcheck_call	k;

	memset(&k, 0, sizeof(k));
	k.case_id = "00112233445566778899aabbccddeeff";
	k.first_attempt = 1;
	k.name = "阿不都·热合曼𠀀";
	k.id_number = "11010519491231002X";
	return (k);
}

static int
reset(void **state)
{
	(void)state;
	peer.calls = 0;
	return (idcheck_breaker_init(&breaker, 0));
}

static void
test_client_maps_match_and_keeps_raw_code(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_call		k = call();
	struct idcheck_outcome		o;
	char				url[64];

	(void)state;
	config(&c, url, sizeof(url));
	peer.mode = PEER_MATCH;
	assert_int_equal(idcheck_verify(&c, &breaker, &k, &o), IDCHECK_MATCH);
	assert_int_equal(o.attempts, 1);
	assert_string_equal(o.response.code, "1100");
	/* The name went out byte-exact, the request id from the case. */
	assert_non_null(strstr(peer.last_body, "阿不都·热合曼𠀀"));
	assert_non_null(strstr(peer.last_body,
	    "00112233445566778899aabbccddeeff-1"));
}

static void
test_client_does_not_retry_a_real_answer(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_call		k = call();
	struct idcheck_outcome		o;
	char				url[64];

	(void)state;
	config(&c, url, sizeof(url));
	peer.mode = PEER_MISMATCH;
	assert_int_equal(idcheck_verify(&c, &breaker, &k, &o),
	    IDCHECK_MISMATCH);
	assert_int_equal(o.attempts, 1);
	assert_int_equal(peer.calls, 1);
}

static void
test_client_retries_errors_at_most_three_times(void **state)
{
	static const enum peer_mode modes[] = {
		PEER_500, PEER_RESET, PEER_GARBAGE,
	};
	struct idcheck_client_config	c;
	struct idcheck_call		k = call();
	struct idcheck_outcome		o;
	char				url[64];
	size_t				i;

	(void)state;
	config(&c, url, sizeof(url));
	c.breaker_threshold = 100;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		peer.calls = 0;
		peer.mode = modes[i];
		assert_int_equal(idcheck_verify(&c, &breaker, &k, &o),
		    IDCHECK_UPSTREAM_ERROR);
		assert_int_equal(o.attempts, 3);
		assert_int_equal(peer.calls, 3);
	}
}

/* A hung upstream costs the total timeout per attempt, not more. */
static void
test_client_hang_is_cut_at_the_total_timeout(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_call		k = call();
	struct idcheck_outcome		o;
	char				url[64];

	(void)state;
	config(&c, url, sizeof(url));
	c.max_attempts = 1;
	peer.mode = PEER_HANG;
	assert_int_equal(idcheck_verify(&c, &breaker, &k, &o),
	    IDCHECK_UPSTREAM_ERROR);
	assert_int_equal(o.attempts, 1);
	/* Bounded, not a timing claim: far under the peer's 3 s hang. */
	assert_true(o.elapsed_ms < 2000);
}

static void
test_client_breaker_opens_refuses_then_probes(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_call		k = call();
	struct idcheck_outcome		o;
	char				url[64];
	int				before;

	(void)state;
	config(&c, url, sizeof(url));
	c.max_attempts = 1;
	peer.mode = PEER_500;
	for (int i = 0; i < 4; i++)
		(void)idcheck_verify(&c, &breaker, &k, &o);
	assert_int_equal(idcheck_breaker_state(&breaker, 0, 1 << 30),
	    IDCHECK_BREAKER_OPEN);

	/* Open: no call reaches the peer. */
	before = peer.calls;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(idcheck_verify(&c, &breaker, &k, &o),
		    IDCHECK_UPSTREAM_ERROR);
		assert_true(o.breaker_refused);
		assert_int_equal(o.attempts, 0);
	}
	assert_int_equal(peer.calls, before);

	/* After the cool-down, one probe; its success closes it. */
	usleep(500 * 1000);
	peer.mode = PEER_MATCH;
	assert_int_equal(idcheck_verify(&c, &breaker, &k, &o), IDCHECK_MATCH);
	assert_int_equal(peer.calls, before + 1);
	assert_int_equal(idcheck_breaker_state(&breaker, 0, 1 << 30),
	    IDCHECK_BREAKER_CLOSED);
}

static void
test_client_unreachable_upstream_is_upstream_error(void **state)
{
	struct idcheck_client_config	c;
	struct idcheck_call		k = call();
	struct idcheck_outcome		o;
	char				url[64];

	(void)state;
	config(&c, url, sizeof(url));
	/* Port 9 (discard) is closed on loopback here. */
	c.base_url = "http://127.0.0.1:9";
	c.max_attempts = 2;
	assert_int_equal(idcheck_verify(&c, &breaker, &k, &o),
	    IDCHECK_UPSTREAM_ERROR);
	assert_int_equal(o.attempts, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
		    test_client_maps_match_and_keeps_raw_code, reset),
		cmocka_unit_test_setup(
		    test_client_does_not_retry_a_real_answer, reset),
		cmocka_unit_test_setup(
		    test_client_retries_errors_at_most_three_times, reset),
		cmocka_unit_test_setup(
		    test_client_hang_is_cut_at_the_total_timeout, reset),
		cmocka_unit_test_setup(
		    test_client_breaker_opens_refuses_then_probes, reset),
		cmocka_unit_test_setup(
		    test_client_unreachable_upstream_is_upstream_error, reset),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
