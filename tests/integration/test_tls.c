/*
 * The TLS front: Debian's nginx with deploy/nginx.conf.in rendered from
 * the service's own configuration, a self-signed certificate for
 * localhost, and a real kore behind it.  Everything a customer does goes
 * through TLS 1.2 or 1.3 with the security headers on every answer, the
 * body limit is the service's, and nginx's own errors are JSON.
 */

#include <stdarg.h>
#include <stddef.h>
#include <ctype.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "people.h"
#include "sign.h"

#define SEED		20261202ULL
#define BODY_MAX	(3 * 1024 * 1024)
#define HEADER_TIMEOUT_S 20
#define SLOW_CLIENTS	2000
#define UPLOADS		30

static struct harness	kore, front;	/* front: the same, through nginx */
static struct sign_key	shop;
static struct person	person;
static char		dir[64] = "/tmp/rn-tls-XXXXXX";
static pid_t		nginx = -1;

static double
mono_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	port = -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

static int
sh(const char *cmd)
{
	int	status = system(cmd);

	if (status != 0)
		fprintf(stderr, "# failed (%d): %s\n", status, cmd);
	return (status == 0 ? 0 : -1);
}

/* nginx's main file: the rendered site inside a minimal http{}. */
static int
write_main_conf(void)
{
	char	 path[128];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/nginx.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(fp, "daemon off;\nmaster_process on;\nworker_processes 1;\n"
	    "pid %s/nginx.pid;\nerror_log %s/error.log notice;\n"
	    "worker_rlimit_nofile 16384;\n"
	    "events { worker_connections 8192; }\nhttp {\n"
	    "\taccess_log %s/access.log;\n"
	    "\tclient_body_temp_path %s/tmp/body;\n"
	    "\tproxy_temp_path %s/tmp/proxy;\n"
	    "\tfastcgi_temp_path %s/tmp/fastcgi;\n"
	    "\tuwsgi_temp_path %s/tmp/uwsgi;\n"
	    "\tscgi_temp_path %s/tmp/scgi;\n"
	    "\tinclude %s/site.conf;\n}\n", dir, dir, dir, dir, dir, dir,
	    dir, dir, dir);
	return (fclose(fp) == 0 ? 0 : -1);
}

static int
start_nginx(void)
{
	char	conf[128], prefix[128];
	int	i;

	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	if ((nginx = fork()) == -1)
		return (-1);
	if (nginx == 0) {
		(void)setpgid(0, 0);
		execl("/usr/sbin/nginx", "nginx", "-p", prefix, "-c", conf,
		    (char *)NULL);
		_exit(127);
	}
	/* Up when the front answers /healthz. */
	for (i = 0; i < 100; i++) {
		struct http_reply	r;

		if (harness_http(&front, "GET", "/healthz", NULL, 0, &r) == 0) {
			http_reply_free(&r);
			return (0);
		}
		usleep(100 * 1000);
	}
	return (-1);
}

static int
group_setup(void **state)
{
	struct gen	*gen;
	char		 cmd[1024], extra[1024];
	int		 port;

	(void)state;
	if (sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1 || mkdtemp(dir) == NULL || chmod(dir, 0755) == -1)
		return (-1);
	if ((gen = people_gen_open()) == NULL)
		return (-1);
	if (person_make(gen, SEED, 0, 1600, &person) == -1)
		return (-1);
	gen_close(gen);

	/* A certificate for localhost, valid for a day. */
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
	    "-subj /CN=localhost -addext subjectAltName=DNS:localhost "
	    "-keyout %s/key.pem -out %s/cert.pem 2>/dev/null && "
	    "mkdir -p %s/tmp && chmod 777 %s/tmp", dir, dir, dir, dir);
	if (sh(cmd) == -1 || (port = free_port()) == -1)
		return (-1);
	snprintf(extra, sizeof(extra), "body_max_bytes = %d\n"
	    "header_timeout_s = %d\nimage_attempts_max = 100\n"
	    "tls_listen_port = %d\ntls_server_name = localhost\n"
	    "tls_cert_file = %s/cert.pem\ntls_key_file = %s/key.pem\n",
	    BODY_MAX, HEADER_TIMEOUT_S, port, dir, dir);
	if (harness_start(&kore, extra) == -1)
		return (-1);

	/* The site, rendered from the same configuration kore runs on. */
	snprintf(cmd, sizeof(cmd), "%s/service/realname-conf render "
	    "%s/deploy/nginx.conf.in %s > %s/site.conf", harness_build_root(),
	    harness_source_root(), kore.conf, dir);
	if (sh(cmd) == -1 || write_main_conf() == -1)
		return (-1);
	front = kore;
	front.port = port;
	snprintf(front.ca_file, sizeof(front.ca_file), "%s/cert.pem", dir);
	front.tls_version = CURL_SSLVERSION_TLSv1_2;
	return (start_nginx());
}

static int
group_teardown(void **state)
{
	char	cmd[128];
	int	status;

	(void)state;
	if (nginx > 0) {
		(void)kill(-nginx, SIGQUIT);
		(void)waitpid(nginx, &status, 0);
	}
	harness_stop(&kore);
	harness_cleanup(&kore);
	person_free(&person);
	if (strncmp(dir, "/tmp/rn-tls-", 12) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)sh(cmd);
	}
	return (0);
}

/*
 * How many times a header line starting with want (lowercase) appears:
 * HTTP/2 sends names in lowercase, HTTP/1.1 as written.
 */
static int
header_count(const char *headers, const char *want)
{
	const char	*line;
	size_t		 i, n = strlen(want);
	int		 count = 0;

	for (line = headers; line != NULL && *line != '\0';
	    line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 :
	    NULL) {
		for (i = 0; i < n; i++) {
			if (line[i] == '\0' || tolower((unsigned char)line[i]) !=
			    want[i])
				break;
		}
		count += i == n;
	}
	return (count);
}

/* The headers every answer through the front carries. */
static void
assert_security_headers(const char *headers)
{
	assert_int_equal(header_count(headers, "strict-transport-security: "
	    "max-age=63072000; includesubdomains"), 1);
	assert_int_equal(header_count(headers,
	    "x-content-type-options: nosniff"), 1);
	assert_non_null(strstr(headers, "frame-ancestors 'none'"));
	/* One policy, never two that intersect. */
	assert_int_equal(header_count(headers, "content-security-policy: "),
	    1);
}

static void
test_tls_health_over_tls12_and_tls13_with_headers(void **state)
{
	struct harness		h = front;
	struct http_reply	r;
	int			i;
	static const long	versions[2] = {
		CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2,
		CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3,
	};

	(void)state;
	for (i = 0; i < 2; i++) {
		h.tls_version = versions[i];
		assert_int_equal(harness_http(&h, "GET", "/healthz", NULL, 0,
		    &r), 0);
		assert_int_equal(r.status, 200);
		assert_security_headers(r.headers);
		http_reply_free(&r);
	}
}

static void
test_tls_customer_opens_uploads_and_reads_through_the_front(void **state)
{
	struct http_reply	 r;
	char			 body[512], id[40], token[80], auth[128];
	char			 path[128];
	const char		*hdrs[3];

	(void)state;
	/* The order system's signature covers the path nginx passes on. */
	snprintf(body, sizeof(body), "{\"order_ref\":\"tls-1\",\"channel\":"
	    "\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"%s\",\"id_number\":\"%s\","
	    "\"callback_url\":\"http://127.0.0.1:9/hook\"}",
	    person_card(&person)->name, person_card(&person)->number);
	assert_int_equal(harness_http_signed(&front, &shop, "POST",
	    "/v1/cases", body, NULL, 0, &r), 0);
	assert_int_equal(r.status, 201);
	assert_security_headers(r.headers);
	assert_int_equal(harness_json_field(r.body, "case_id", id,
	    sizeof(id)), 0);
	assert_int_equal(harness_json_field(r.body, "upload_token", token,
	    sizeof(token)), 0);
	http_reply_free(&r);

	/* A whole photo, buffered by nginx, measured by the service. */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: image/jpeg";
	hdrs[2] = NULL;
	snprintf(path, sizeof(path), "/v1/cases/%s/images/front", id);
	assert_int_equal(harness_http_h(&front, "PUT", path, hdrs,
	    person.photo[0].jpeg, person.photo[0].len, &r), 0);
	if (r.status != 200)
		fprintf(stderr, "# %ld %.300s\n", r.status, r.body);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"figures\""));
	http_reply_free(&r);

	/* The page keeps its own policy (scripts from self), not ours. */
	snprintf(path, sizeof(path), "/c/%s", id);
	assert_int_equal(harness_http(&front, "GET", path, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_security_headers(r.headers);
	assert_non_null(strstr(r.headers, "script-src 'self'"));
	http_reply_free(&r);
}

static void
test_tls_body_over_the_service_limit_is_413_json(void **state)
{
	struct http_reply	 r;
	char			*big;

	(void)state;
	assert_non_null(big = calloc(1, BODY_MAX + 4096));
	assert_int_equal(harness_http(&front, "PUT",
	    "/v1/cases/00000000000000000000000000000000/images/front", big,
	    BODY_MAX + 4096, &r), 0);
	free(big);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "\"code\":\"body_too_large\""));
	assert_security_headers(r.headers);
	http_reply_free(&r);
}

static void
test_tls_metrics_stay_on_loopback(void **state)
{
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&front, "GET", "/metrics", NULL, 0, &r),
	    0);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "\"not_found\""));
	http_reply_free(&r);
	assert_int_equal(harness_http(&kore, "GET", "/metrics", NULL, 0, &r),
	    0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
}

/*
 * 2,000 connections that open and then send nothing (a slowloris on the
 * TLS handshake and headers) while customers upload: nginx holds the
 * idle ones, the uploads go through, and every idle connection is cut
 * at header_timeout_s (the service's own limit, rendered into nginx).
 */
static void
test_tls_slow_clients_are_cut_and_uploads_go_through(void **state)
{
	struct sockaddr_in	 sin;
	struct http_reply	 r;
	struct pollfd		*pfd;
	char			 body[512], id[40], token[80], auth[128];
	char			 path[128], byte;
	const char		*hdrs[3];
	double			 start, end;
	int			 i, opened, ok, cut, alive, early, uploads;

	(void)state;
	assert_non_null(pfd = calloc(SLOW_CLIENTS, sizeof(*pfd)));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)front.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	opened = 0;
	for (i = 0; i < SLOW_CLIENTS; i++) {
		pfd[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		pfd[i].events = POLLIN;
		if (pfd[i].fd != -1 && connect(pfd[i].fd,
		    (struct sockaddr *)&sin, sizeof(sin)) == 0)
			opened++;
	}
	start = mono_s();

	/* Meanwhile, customers upload through the same front. */
	snprintf(body, sizeof(body), "{\"order_ref\":\"tls-slow\","
	    "\"channel\":\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"%s\",\"id_number\":"
	    "\"%s\",\"callback_url\":\"http://127.0.0.1:9/hook\"}",
	    person_card(&person)->name, person_card(&person)->number);
	assert_int_equal(harness_http_signed(&front, &shop, "POST",
	    "/v1/cases", body, NULL, 0, &r), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(harness_json_field(r.body, "case_id", id,
	    sizeof(id)), 0);
	assert_int_equal(harness_json_field(r.body, "upload_token", token,
	    sizeof(token)), 0);
	http_reply_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: image/jpeg";
	hdrs[2] = NULL;
	snprintf(path, sizeof(path), "/v1/cases/%s/images/back", id);
	/* As many as fit well inside the idle connections' lifetime. */
	ok = 0;
	for (i = 0; i < UPLOADS && mono_s() < start + HEADER_TIMEOUT_S - 5;
	    i++) {
		if (harness_http_h(&front, "PUT", path, hdrs,
		    person.photo[1].jpeg, person.photo[1].len, &r) == 0 &&
		    r.status == 200)
			ok++;
		http_reply_free(&r);
	}
	end = mono_s();
	uploads = i;

	/* Before the timeout none was cut; after it, every one. */
	early = 0;
	for (i = 0; i < SLOW_CLIENTS; i++) {
		if (pfd[i].fd != -1 && poll(&pfd[i], 1, 0) == 0)
			early++;
	}
	cut = alive = 0;
	while (mono_s() < start + HEADER_TIMEOUT_S + 10) {
		cut = alive = 0;
		for (i = 0; i < SLOW_CLIENTS; i++) {
			if (pfd[i].fd == -1)
				continue;
			if (poll(&pfd[i], 1, 0) == 1 &&
			    recv(pfd[i].fd, &byte, 1, MSG_DONTWAIT) <= 0)
				cut++;
			else
				alive++;
		}
		if (alive == 0)
			break;
		usleep(250 * 1000);
	}
	fprintf(stderr, "# %d idle connections held over %.1f s of uploads "
	    "(%d still open at the end of them): %d of %d uploads answered "
	    "200; %d cut, %d still open %.1f s after they opened "
	    "(header_timeout_s %d)\n", opened, end - start, early, ok,
	    uploads, cut, alive, mono_s() - start, HEADER_TIMEOUT_S);
	for (i = 0; i < SLOW_CLIENTS; i++) {
		if (pfd[i].fd != -1)
			close(pfd[i].fd);
	}
	free(pfd);
	assert_int_equal(opened, SLOW_CLIENTS);
	/* The uploads overlapped the idle connections' lifetime. */
	assert_true(end - start < HEADER_TIMEOUT_S);
	assert_int_equal(early, SLOW_CLIENTS);
	assert_true(uploads >= 5);
	assert_true(ok * 100 >= uploads * 99);
	assert_int_equal(alive, 0);
	assert_int_equal(cut, SLOW_CLIENTS);
}

static void
test_tls_service_down_is_503_json_with_retry_after(void **state)
{
	struct http_reply	r;

	(void)state;
	(void)harness_stop(&kore);
	assert_int_equal(harness_http(&front, "GET", "/healthz", NULL, 0, &r),
	    0);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "\"code\":\"unavailable\""));
	assert_int_equal(header_count(r.headers, "retry-after: 5"), 1);
	http_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_tls_health_over_tls12_and_tls13_with_headers),
		cmocka_unit_test(
		    test_tls_customer_opens_uploads_and_reads_through_the_front),
		cmocka_unit_test(test_tls_body_over_the_service_limit_is_413_json),
		cmocka_unit_test(test_tls_metrics_stay_on_loopback),
		cmocka_unit_test(
		    test_tls_slow_clients_are_cut_and_uploads_go_through),
		cmocka_unit_test(
		    test_tls_service_down_is_503_json_with_retry_after),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
