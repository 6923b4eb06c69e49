/*
 * The web files: only well-formed names are loaded or found, whatever
 * lies in the directory; pages get the assets' version; the version and
 * the ETags follow the content.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "webfiles.h"

static char	dir[64];

static void
put(const char *rel, const char *text)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	char	path[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rn-web-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/customer", dir);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/Upper", dir);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.hidden", dir);
	(void)mkdir(path, 0700);
	put("customer/index.html", "<script src=\"/static/customer/app.js"
	    "?v=@v@\"></script><link href=\"x.css?v=@v@\">");
	put("customer/app.js", "'use strict';\n");
	put("customer/app.css", "body{}\n");
	put("customer/notes.txt", "not served\n");
	put("customer/app.js~", "editor backup\n");
	put("Upper/a.js", "upper-case directory\n");
	put(".hidden/a.js", "hidden directory\n");
	put("secret.key", "no\n");
	snprintf(path, sizeof(path), "%s/customer/link.js", dir);
	if (symlink("/etc/passwd", path) == -1)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

static void
test_webfiles_names_are_validated(void **state)
{
	(void)state;
	assert_non_null(rn_webfiles_ctype("customer/app.js"));
	assert_non_null(rn_webfiles_ctype("review/chart-1_b.svg"));
	assert_string_equal(rn_webfiles_ctype("a.css"),
	    "text/css; charset=utf-8");
	assert_null(rn_webfiles_ctype(""));
	assert_null(rn_webfiles_ctype("../customer/app.js"));
	assert_null(rn_webfiles_ctype("customer/../app.js"));
	assert_null(rn_webfiles_ctype("customer/./app.js"));
	assert_null(rn_webfiles_ctype("/customer/app.js"));
	assert_null(rn_webfiles_ctype("customer//app.js"));
	assert_null(rn_webfiles_ctype("customer/"));
	assert_null(rn_webfiles_ctype("customer/.app.js"));
	assert_null(rn_webfiles_ctype("customer/app..js"));
	assert_null(rn_webfiles_ctype("customer/app.min.js"));
	assert_null(rn_webfiles_ctype("customer/App.js"));
	assert_null(rn_webfiles_ctype("customer/-app.js"));
	assert_null(rn_webfiles_ctype("customer/app.js%00"));
	assert_null(rn_webfiles_ctype("customer/app"));
	assert_null(rn_webfiles_ctype("customer/app.txt"));
	assert_null(rn_webfiles_ctype("customer/app.JS"));
	assert_null(rn_webfiles_ctype("customer\\app.js"));
}

static void
test_webfiles_loads_only_acceptable_files(void **state)
{
	struct rn_webfiles	 wf;
	char			 err[256];

	(void)state;
	assert_int_equal(rn_webfiles_load(&wf, dir, err, sizeof(err)), 3);
	assert_non_null(rn_webfiles_find(&wf, "customer/app.js"));
	assert_non_null(rn_webfiles_find(&wf, "customer/app.css"));
	assert_non_null(rn_webfiles_find(&wf, "customer/index.html"));
	assert_true(rn_webfiles_find(&wf, "customer/index.html")->is_page);
	assert_false(rn_webfiles_find(&wf, "customer/app.js")->is_page);
	assert_null(rn_webfiles_find(&wf, "customer/link.js"));
	assert_null(rn_webfiles_find(&wf, "Upper/a.js"));
	assert_null(rn_webfiles_find(&wf, ".hidden/a.js"));
	assert_null(rn_webfiles_find(&wf, "customer/notes.txt"));
	assert_null(rn_webfiles_find(&wf, "customer/../customer/app.js"));
	rn_webfiles_free(&wf);
}

static void
test_webfiles_pages_name_the_assets_version(void **state)
{
	struct rn_webfiles	 wf;
	const struct rn_webfile	*page;
	char			 err[256], want[256];

	(void)state;
	assert_int_equal(rn_webfiles_load(&wf, dir, err, sizeof(err)), 3);
	assert_int_equal(strlen(wf.version), 16);
	page = rn_webfiles_find(&wf, "customer/index.html");
	snprintf(want, sizeof(want), "<script src=\"/static/customer/app.js"
	    "?v=%s\"></script><link href=\"x.css?v=%s\">", wf.version,
	    wf.version);
	assert_int_equal(page->len, strlen(want));
	assert_memory_equal(page->data, want, page->len);
	rn_webfiles_free(&wf);
}

static void
test_webfiles_version_and_etag_follow_the_content(void **state)
{
	struct rn_webfiles	 wf;
	char			 err[256], v1[17], etag1[24], etag_css[24];

	(void)state;
	assert_int_equal(rn_webfiles_load(&wf, dir, err, sizeof(err)), 3);
	snprintf(v1, sizeof(v1), "%s", wf.version);
	snprintf(etag1, sizeof(etag1), "%s",
	    rn_webfiles_find(&wf, "customer/app.js")->etag);
	snprintf(etag_css, sizeof(etag_css), "%s",
	    rn_webfiles_find(&wf, "customer/app.css")->etag);
	assert_string_not_equal(etag1, etag_css);
	rn_webfiles_free(&wf);

	put("customer/app.js", "'use strict';\nchanged();\n");
	assert_int_equal(rn_webfiles_load(&wf, dir, err, sizeof(err)), 3);
	assert_string_not_equal(wf.version, v1);
	assert_string_not_equal(rn_webfiles_find(&wf, "customer/app.js")->etag,
	    etag1);
	assert_string_equal(rn_webfiles_find(&wf, "customer/app.css")->etag,
	    etag_css);
	rn_webfiles_free(&wf);
}

static void
test_webfiles_missing_directory_is_an_error(void **state)
{
	struct rn_webfiles	wf;
	char			err[256];

	(void)state;
	assert_int_equal(rn_webfiles_load(&wf, "/nonexistent/web", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/web"));
	assert_null(rn_webfiles_find(&wf, "customer/app.js"));
}

static void
test_webfiles_oversized_file_is_an_error(void **state)
{
	struct rn_webfiles	 wf;
	char			 err[256], path[256];
	FILE			*fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/customer/big.js", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, RN_WEB_FILE_MAX, SEEK_SET), 0);
	fputc('x', fp);
	fclose(fp);
	assert_int_equal(rn_webfiles_load(&wf, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "big.js"));
	assert_int_equal(wf.count, 0);
	assert_int_equal(unlink(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webfiles_names_are_validated),
		cmocka_unit_test(test_webfiles_loads_only_acceptable_files),
		cmocka_unit_test(test_webfiles_pages_name_the_assets_version),
		cmocka_unit_test(
		    test_webfiles_version_and_etag_follow_the_content),
		cmocka_unit_test(test_webfiles_missing_directory_is_an_error),
		cmocka_unit_test(test_webfiles_oversized_file_is_an_error),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
