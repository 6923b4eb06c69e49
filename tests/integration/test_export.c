/*
 * The regulator export inside a real kore (SQLite, the service's own
 * vault and lookup key): cases put into the store with their photos
 * sealed by the service's master key, exported for a date range through
 * the console as a supervisor and through realname-admin; both archives
 * verify with realname-admin export-verify, and fail after one changed
 * byte; every export is in the audit chain; reviewers and auditors get
 * 403; cases are found by phone number and by ID number, and a wrong
 * number finds nothing.
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

#include <sys/wait.h>

#include <cmocka.h>

#include "direct_case.h"
#include "console.h"
#include "harness.h"
#include "idnumber.h"
#include "review_auth.h"
#include "store.h"
#include "store_backend.h"
#include "store_review.h"

#define PASSWORD	"correct horse battery"
#define TOKEN_MAX	(RN_REVIEW_TOKEN_LEN + 1)
#define PHONE		"13912345678"
#define DECISION	"{\"outcome\":\"approved\",\"rule\":\"all_clear\"," \
			"\"upstream\":{\"called\":true,\"result\":\"match\"," \
			"\"code\":\"0\",\"similarity\":0.91}}"

static struct harness	kore;
static char		number_a[19], number_b[19], number_wrong[19];
static char		case_a1[STORE_ID_LEN + 1];
static char		case_a2[STORE_ID_LEN + 1];
static char		case_b[STORE_ID_LEN + 1];
static char		from_day[16], to_day[16];

static void
make_number(char out[19], const char *first17)
{
	memcpy(out, first17, 17);
	out[17] = idnumber_check_digit(out);
	out[18] = '\0';
}

/* China day of now + shift days. */
static void
china_day(int shift, char *out, size_t len)
{
	time_t		t;
	struct tm	tm;

	t = time(NULL) + 8 * 3600 + (time_t)shift * 86400;
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d", &tm);
}

/* The console as this suite's kore sees it (tests/support/console.h). */
#define add_reviewer(n, role)	console_add(&kore, n, role, PASSWORD)
#define call(c, csrf, m, p, b, r)					\
	console_call(&kore, c, csrf, m, p, b, r)
#define login(n, c)		console_login_ok(&kore, n, PASSWORD, c)

static int
group_setup(void **state)
{
	struct store	*st;
	struct sval	 p[2];
	char		 keys[256];

	(void)state;
	make_number(number_a, "11010119900307123");
	make_number(number_b, "11010119851112456");
	make_number(number_wrong, "11010119700101789");
	china_day(-1, from_day, sizeof(from_day));
	china_day(1, to_day, sizeof(to_day));
	/*
	 * No pipeline: the cases stay as this test writes them.  Two task
	 * threads (the default), so two SQLite connections in each worker
	 * while realname-admin opens and closes its own (23c616a).
	 */
	if (harness_start(&kore, "pipeline_threads = 0\n") == -1)
		return (-1);
	snprintf(keys, sizeof(keys), "%s/keys", kore.dir);
	if (direct_case_submit(kore.store_url, keys, number_a,
	    "http://127.0.0.1:9/hook", case_a1) == -1 ||
	    direct_case_submit(kore.store_url, keys, number_a,
	    "http://127.0.0.1:9/hook", case_a2) == -1 ||
	    direct_case_submit(kore.store_url, keys, number_b,
	    "http://127.0.0.1:9/hook", case_b) == -1)
		return (-1);
	/* Case B re-registers PHONE and was approved. */
	if (store_open(&st, kore.store_url) == -1)
		return (-1);
	p[0] = store_sv_text(case_b);
	p[1] = store_sv_text(DECISION);
	if (store_q(st, "UPDATE cases SET kind = 'reregistration', msisdn = '"
	    PHONE "', state = 'APPROVED', decision = $2, reasons = '[]' "
	    "WHERE id = $1", p, 2, NULL, NULL) == -1) {
		fprintf(stderr, "# %s\n", store_error(st));
		store_close(st);
		return (-1);
	}
	store_close(st);
	add_reviewer("sue", STORE_ROLE_SUPERVISOR);
	add_reviewer("rey", STORE_ROLE_REVIEWER);
	add_reviewer("aud", STORE_ROLE_AUDITOR);
	return (0);
}

static int
group_teardown(void **state)
{
	char	*log;
	int	 bad;

	(void)state;
	harness_stop(&kore);
	bad = 0;
	if ((log = harness_log(&kore)) != NULL) {
		/* No ID number, secret or violation reaches the log. */
		if (strstr(log, number_a) != NULL ||
		    strstr(log, number_b) != NULL ||
		    strstr(log, PASSWORD) != NULL ||
		    strstr(log, "sandbox violation") != NULL ||
		    strstr(log, "ignoring \"") != NULL) {
			fprintf(stderr, "# the kore log holds an ID number, "
			    "a secret or a violation\n");
			bad = 1;
		}
		free(log);
	}
	harness_cleanup(&kore);
	return (bad ? -1 : 0);
}

static void
save(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/*
 * realname-admin with args, stdin_line (may be NULL) on its standard
 * input; its standard output into out.  Returns its exit status.
 */
static int
admin(const char *args, const char *stdin_line, char *out, size_t outlen)
{
	char	cmd[2048], outfile[300];
	FILE	*p, *fp;
	size_t	n;
	int	status;

	snprintf(outfile, sizeof(outfile), "%s/admin.out", kore.dir);
	snprintf(cmd, sizeof(cmd), "REALNAME_CONFIG=%s %s/tools/realname-admin"
	    " %s >%s 2>&1", kore.conf, harness_build_root(), args, outfile);
	assert_non_null(p = popen(cmd, "w"));
	if (stdin_line != NULL)
		fprintf(p, "%s\n", stdin_line);
	status = pclose(p);
	out[0] = '\0';
	if ((fp = fopen(outfile, "r")) != NULL) {
		n = fread(out, 1, outlen - 1, fp);
		out[n] = '\0';
		fclose(fp);
	}
	printf("# realname-admin %s: %s", args, out);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Audit rows of event whose detail or actor holds needle. */
static size_t
audit_count(const char *event, const char *needle)
{
	struct store	*st;
	struct sres	 res;
	struct sval	 p[2];
	char		 like[128];
	size_t		 n;

	snprintf(like, sizeof(like), "%%%s%%", needle);
	p[0] = store_sv_text(event);
	p[1] = store_sv_text(like);
	memset(&res, 0, sizeof(res));
	assert_int_equal(store_open(&st, kore.store_url), 0);
	assert_int_equal(store_q(st, "SELECT seq FROM audit WHERE event = $1 "
	    "AND (detail LIKE $2 OR actor LIKE $2)", p, 2, &res, NULL), 0);
	n = res.nrows;
	store_res_free(&res);
	store_close(st);
	return (n);
}

static void
test_export_console_date_range_verifies(void **state)
{
	struct console		 sue;
	struct http_reply	 r;
	char			 body[128], v[256], path[300], args[400];
	char			 sha[80], out[8192];
	unsigned char		*copy;

	(void)state;
	login("sue", &sue);
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\"}",
	    from_day, to_day);
	assert_int_equal(call(&sue, 1, "POST", "/review/api/export", body,
	    &r), 200);
	assert_non_null(http_header(&r, "content-type", v, sizeof(v)));
	assert_string_equal(v, "application/x-tar");
	assert_non_null(http_header(&r, "content-disposition", v, sizeof(v)));
	assert_non_null(strstr(v, "attachment; filename=\"realname-export-"));
	assert_non_null(http_header(&r, "x-export-cases", v, sizeof(v)));
	assert_string_equal(v, "3");
	assert_non_null(http_header(&r, "x-export-manifest-sha256", sha,
	    sizeof(sha)));
	assert_int_equal(strlen(sha), 64);
	assert_true(r.len > 3 * 100000);
	/* The decision and the upstream result as stored, in case B. */
	assert_non_null(memmem(r.body, r.len, "\"similarity\":0.91", 17));
	assert_non_null(memmem(r.body, r.len, "\"msisdn\":\"" PHONE "\"",
	    strlen("\"msisdn\":\"" PHONE "\"")));

	snprintf(path, sizeof(path), "%s/console.tar", kore.dir);
	save(path, r.body, r.len);
	snprintf(args, sizeof(args), "export-verify %s", path);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "verifies: 3 cases"));

	/* One changed byte in the middle of a photo: exit 3, named. */
	assert_non_null(copy = malloc(r.len));
	memcpy(copy, r.body, r.len);
	copy[r.len / 2] ^= 0x01;
	snprintf(path, sizeof(path), "%s/console-changed.tar", kore.dir);
	save(path, copy, r.len);
	free(copy);
	snprintf(args, sizeof(args), "export-verify %s", path);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 3);
	assert_non_null(strstr(out, "FAILED cases/"));

	/* The export is in the audit chain, with the supervisor's name. */
	assert_int_equal(audit_count("export.created", sha), 1);
	assert_int_equal(audit_count("export.case", sha), 3);
	assert_true(audit_count("export.created", "reviewer:sue") >= 1);
	assert_int_equal(admin("audit-verify", NULL, out, sizeof(out)), 0);
	http_reply_free(&r);
}

static void
test_export_cli_date_range_and_numbers(void **state)
{
	char	path[300], args[600], out[8192];

	(void)state;
	snprintf(path, sizeof(path), "%s/cli-range.tar", kore.dir);
	snprintf(args, sizeof(args), "export --from %s --to %s --out %s",
	    from_day, to_day, path);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "export: 3 cases"));
	assert_non_null(strstr(out, "export: Ed25519 public key "));
	snprintf(args, sizeof(args), "export-verify %s", path);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 0);
	/* Never over an existing file. */
	snprintf(args, sizeof(args), "export --from %s --to %s --out %s",
	    from_day, to_day, path);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 2);

	/* By ID number, read from stdin; printed only masked. */
	snprintf(path, sizeof(path), "%s/cli-id.tar", kore.dir);
	snprintf(args, sizeof(args), "export --id-number - --out %s", path);
	assert_int_equal(admin(args, number_a, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "export: 2 cases for ID number 110101"));
	assert_null(strstr(out, number_a));
	snprintf(args, sizeof(args), "export-verify %s", path);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 0);

	snprintf(path, sizeof(path), "%s/cli-wrong.tar", kore.dir);
	/* From stdin too: a number on a command line lands in logs. */
	snprintf(args, sizeof(args), "export --id-number - --out %s", path);
	assert_int_equal(admin(args, number_wrong, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "export: 0 cases"));
	assert_null(strstr(out, number_wrong));

	snprintf(path, sizeof(path), "%s/cli-phone.tar", kore.dir);
	snprintf(args, sizeof(args), "export --phone " PHONE " --out %s",
	    path);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "export: 1 cases"));

	/* Bad input: usage (1); the limits refuse (5). */
	snprintf(args, sizeof(args), "export --phone 123 --out %s/x.tar",
	    kore.dir);
	assert_int_equal(admin(args, NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "phone_invalid"));
}

static void
test_export_console_finds_by_number(void **state)
{
	struct console		sue;
	struct http_reply	r;
	char			body[128], v[64];

	(void)state;
	login("sue", &sue);
	assert_int_equal(call(&sue, 1, "POST", "/review/api/export",
	    "{\"phone\":\"" PHONE "\"}", &r), 200);
	assert_non_null(http_header(&r, "x-export-cases", v, sizeof(v)));
	assert_string_equal(v, "1");
	assert_non_null(memmem(r.body, r.len, case_b, STORE_ID_LEN));
	http_reply_free(&r);

	snprintf(body, sizeof(body), "{\"id_number\":\"%s\"}", number_a);
	assert_int_equal(call(&sue, 1, "POST", "/review/api/export", body,
	    &r), 200);
	assert_non_null(http_header(&r, "x-export-cases", v, sizeof(v)));
	assert_string_equal(v, "2");
	assert_non_null(memmem(r.body, r.len, case_a1, STORE_ID_LEN));
	assert_non_null(memmem(r.body, r.len, case_a2, STORE_ID_LEN));
	assert_null(memmem(r.body, r.len, case_b, STORE_ID_LEN));
	http_reply_free(&r);

	snprintf(body, sizeof(body), "{\"id_number\":\"%s\"}", number_wrong);
	assert_int_equal(call(&sue, 1, "POST", "/review/api/export", body,
	    &r), 200);
	assert_non_null(http_header(&r, "x-export-cases", v, sizeof(v)));
	assert_string_equal(v, "0");
	http_reply_free(&r);

	/* Bad queries: 400 with their code. */
	assert_int_equal(call(&sue, 1, "POST", "/review/api/export",
	    "{\"phone\":\"" PHONE "\",\"from\":\"2026-01-01\"}", &r), 400);
	assert_non_null(strstr(r.body, "\"query_ambiguous\""));
	http_reply_free(&r);
	assert_int_equal(call(&sue, 1, "POST", "/review/api/export",
	    "{\"from\":\"2026-01-02\",\"to\":\"2026-01-01\"}", &r), 400);
	assert_non_null(strstr(r.body, "\"range_invalid\""));
	http_reply_free(&r);
	/* Without the CSRF token, even a supervisor is refused. */
	assert_int_equal(call(&sue, 0, "POST", "/review/api/export",
	    "{\"phone\":\"" PHONE "\"}", &r), 403);
	assert_non_null(strstr(r.body, "\"csrf_invalid\""));
	http_reply_free(&r);
}

static void
test_export_forbidden_to_reviewer_and_auditor(void **state)
{
	struct console		c;
	struct http_reply	r;
	static const char	*names[] = { "rey", "aud" };
	char			body[128];
	size_t			i, before;

	(void)state;
	before = audit_count("export.created", "");
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\"}",
	    from_day, to_day);
	for (i = 0; i < 2; i++) {
		login(names[i], &c);
		assert_int_equal(call(&c, 1, "POST", "/review/api/export",
		    body, &r), 403);
		assert_non_null(strstr(r.body, "\"error\""));
		assert_non_null(strstr(r.body, "\"forbidden\""));
		assert_null(strstr(r.body, number_a));
		http_reply_free(&r);
	}
	/* No session: 401. */
	assert_int_equal(call(NULL, 0, "POST", "/review/api/export", body,
	    &r), 401);
	http_reply_free(&r);
	assert_int_equal(audit_count("export.created", ""), before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_console_date_range_verifies),
		cmocka_unit_test(test_export_cli_date_range_and_numbers),
		cmocka_unit_test(test_export_console_finds_by_number),
		cmocka_unit_test(test_export_forbidden_to_reviewer_and_auditor),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
