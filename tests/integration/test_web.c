/*
 * The web routes over real HTTP: the customer page and its static files
 * with their security and cache headers, names outside the loaded set
 * (traversal included, sent byte for byte), and a service whose web
 * directory is missing.  The page's behaviour in a browser is
 * tests/browser's; this runs under the sanitizers too.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>

#include "harness.h"

#define CSP	"content-security-policy: default-src 'none'; " \
		"script-src 'self'; style-src 'self'; img-src 'self' blob: " \
		"data:; connect-src 'self'; form-action 'none'; " \
		"frame-ancestors 'none'; base-uri 'none'\r\n"
#define PAGE	"/c/0123456789abcdef0123456789abcdef"

static struct harness	kore;
static char		version[17];

static int
group_setup(void **state)
{
	char	extra[512];

	(void)state;
	snprintf(extra, sizeof(extra), "web_dir = %s/assets/web\n",
	    harness_source_root());
	return (harness_start(&kore, extra));
}

static int
group_teardown(void **state)
{
	char	*log;

	(void)state;
	log = harness_log(&kore);
	harness_stop(&kore);
	harness_cleanup(&kore);
	/* Checked here so that a kill in any test shows. */
	if (strstr(log, "sandbox violation") != NULL ||
	    strstr(log, "ignoring \"") != NULL) {
		fprintf(stderr, "# kore log:\n%s\n", log);
		free(log);
		return (-1);
	}
	free(log);
	return (0);
}

static void
get(const char *path, const char *const *hdrs, struct http_reply *r)
{
	assert_int_equal(harness_http_h(&kore, "GET", path, hdrs, NULL, 0,
	    r), 0);
}

/* The status of a request sent exactly as written (no client folding). */
static int
raw_status(int port, const char *path)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { 5, 0 };
	char			req[512], buf[64];
	ssize_t			n;
	int			fd, status;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		(void)close(fd);
		return (-1);
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", path);
	status = -1;
	if (write(fd, req, strlen(req)) == (ssize_t)strlen(req) &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 12) {
		buf[n] = '\0';
		if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
			status = -1;
	}
	(void)close(fd);
	return (status);
}

static void
test_web_customer_page_carries_strict_headers(void **state)
{
	struct http_reply	 r;
	const char		*p;

	(void)state;
	get(PAGE, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers,
	    "content-type: text/html; charset=utf-8\r\n"));
	assert_non_null(strcasestr(r.headers, CSP));
	assert_non_null(strcasestr(r.headers,
	    "x-content-type-options: nosniff\r\n"));
	assert_non_null(strcasestr(r.headers,
	    "referrer-policy: no-referrer\r\n"));
	assert_non_null(strcasestr(r.headers, "x-frame-options: DENY\r\n"));
	assert_non_null(strcasestr(r.headers, "cache-control: no-store\r\n"));
	/* One cache-control only: a second one would be a contradiction. */
	p = strcasestr(r.headers, "cache-control:");
	assert_null(strcasestr(p + 1, "cache-control:"));

	/* Assets named with the version; nothing inline for CSP to block. */
	assert_null(strstr(r.body, "@v@"));
	p = strstr(r.body, "/static/customer/app.js?v=");
	assert_non_null(p);
	p += strlen("/static/customer/app.js?v=");
	assert_int_equal(strspn(p, "0123456789abcdef"), 16);
	memcpy(version, p, 16);
	version[16] = '\0';
	assert_null(strstr(r.body, "<script>"));
	assert_null(strstr(r.body, "<style"));
	assert_null(strstr(r.body, " style="));
	assert_null(strstr(r.body, " onclick="));
	/* No external URL (the SVG namespace name is not fetched). */
	assert_null(strstr(r.body, "src=\"http"));
	assert_null(strstr(r.body, "href=\"http"));
	assert_null(strstr(r.body, "href=\"//"));
	assert_null(strstr(r.body, "https://"));
	http_reply_free(&r);
}

static void
test_web_static_files_cache_by_version_and_etag(void **state)
{
	struct http_reply	 r;
	char			 path[128], etag[64], inm[96];
	const char		*hdrs[2], *p;

	(void)state;
	assert_int_equal(strlen(version), 16);
	snprintf(path, sizeof(path), "/static/customer/app.js?v=%s",
	    version);
	get(path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers,
	    "content-type: text/javascript; charset=utf-8\r\n"));
	assert_non_null(strcasestr(r.headers,
	    "cache-control: public, max-age=31536000, immutable\r\n"));
	assert_non_null(strcasestr(r.headers, CSP));
	assert_non_null(strcasestr(r.headers,
	    "x-content-type-options: nosniff\r\n"));
	p = strcasestr(r.headers, "etag: ");
	assert_non_null(p);
	assert_int_equal(sscanf(p + 6, "%63[^\r]", etag), 1);
	assert_true(r.len > 1000);
	http_reply_free(&r);

	/* Another version, or none: the file must be checked again. */
	get("/static/customer/app.js?v=0000000000000000", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers, "cache-control: no-cache\r\n"));
	http_reply_free(&r);

	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	hdrs[0] = inm;
	hdrs[1] = NULL;
	get("/static/customer/app.js", hdrs, &r);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.len, 0);
	http_reply_free(&r);

	hdrs[0] = "If-None-Match: \"0000000000000000\"";
	get("/static/customer/app.css", hdrs, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers,
	    "content-type: text/css; charset=utf-8\r\n"));
	http_reply_free(&r);

	get("/static/customer/icon.svg", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers,
	    "content-type: image/svg+xml\r\n"));
	http_reply_free(&r);
}

static void
test_web_static_serves_nothing_outside_the_loaded_files(void **state)
{
	static const char *const paths[] = {
		"/static/customer/index.html",	/* pages only at /c/{id} */
		"/static/customer/nope.js",
		"/static/customer/app.js.bak",
		"/static/customer//app.js",
		"/static/customer/./app.js",
		"/static/customer/../customer/app.js",
		"/static/../deploy/kore.conf.in",
		"/static/../../../etc/passwd",
		"/static/customer/%2e%2e/customer/app.js",
		"/static/Customer/app.js",
		"/static/",
		"/static/customer/app.js/",
	};
	size_t	i;
	int	status;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		status = raw_status(kore.port, paths[i]);
		if (status != 404)
			fprintf(stderr, "# %s: %d\n", paths[i], status);
		assert_int_equal(status, 404);
	}
	/* The same connection code does reach a served file. */
	assert_int_equal(raw_status(kore.port, "/static/customer/app.js"),
	    200);
}

static void
test_web_page_answers_only_get_on_a_case_path(void **state)
{
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&kore, "POST", PAGE, "", 0, &r), 0);
	assert_int_equal(r.status, 405);
	assert_non_null(strcasestr(r.headers, "allow: GET, HEAD\r\n"));
	http_reply_free(&r);

	assert_int_equal(harness_http(&kore, "HEAD", PAGE, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 0);
	assert_non_null(strcasestr(r.headers, CSP));
	http_reply_free(&r);

	get("/c/0123456789ABCDEF0123456789abcdef", NULL, &r);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	get("/c/0123456789abcdef", NULL, &r);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
}

static void
test_web_missing_directory_disables_only_the_pages(void **state)
{
	struct harness		h;
	struct http_reply	r;
	char			*log;

	(void)state;
	assert_int_equal(harness_start(&h, "web_dir = /nonexistent/web\n"),
	    0);
	assert_int_equal(harness_http(&h, "GET", PAGE, NULL, 0, &r), 0);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "\"page_unavailable\""));
	http_reply_free(&r);
	assert_int_equal(harness_http(&h, "GET", "/static/customer/app.js",
	    NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	assert_int_equal(harness_http(&h, "GET", "/healthz", NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	log = harness_log(&h);
	assert_non_null(strstr(log, "web: /nonexistent/web"));
	free(log);
	harness_stop(&h);
	harness_cleanup(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_web_customer_page_carries_strict_headers),
		cmocka_unit_test(
		    test_web_static_files_cache_by_version_and_etag),
		cmocka_unit_test(
		    test_web_static_serves_nothing_outside_the_loaded_files),
		cmocka_unit_test(
		    test_web_page_answers_only_get_on_a_case_path),
		cmocka_unit_test(
		    test_web_missing_directory_disables_only_the_pages),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
