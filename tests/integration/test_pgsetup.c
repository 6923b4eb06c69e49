/*
 * deploy/postgresql-setup on a throwaway cluster: the service then runs
 * as the least-privileged role it made (no DDL, no DROP, the audit trail
 * append-only, the migration record read-only), and a second run of the
 * script changes nothing.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "harness.h"
#include "pg_harness.h"
#include "sign.h"

static struct pg_harness	pg;
static struct harness		kore;
static char			super[256], app[256];

/* Runs the setup script; its one line of output into line. */
static int
run_setup(char *line, size_t len)
{
	char	 cmd[1024];
	FILE	*fp;
	int	 status;

	snprintf(cmd, sizeof(cmd), "REALNAME_ADMIN=%s/tools/realname-admin "
	    "%s/deploy/postgresql-setup '%s' 2>&1", harness_build_root(),
	    harness_source_root(), super);
	if ((fp = popen(cmd, "r")) == NULL)
		return (-1);
	line[0] = '\0';
	while (fgets(line, (int)len, fp) != NULL)
		fprintf(stderr, "# %s", line);
	status = pclose(fp);
	return (status == 0 ? 0 : -1);
}

static int
group_setup(void **state)
{
	char	line[512], extra[512];

	(void)state;
	unsetenv("REALNAME_TEST_STORE");
	if (pg_harness_start(&pg) == -1)
		return (-1);
	snprintf(super, sizeof(super), "host=%s port=5432 user=postgres",
	    pg.dir);
	snprintf(app, sizeof(app), "host=%s port=5432 user=realname_app "
	    "dbname=realname", pg.dir);
	if (run_setup(line, sizeof(line)) == -1 || strstr(line,
	    "postgresql-setup: realname at schema version") == NULL)
		return (-1);
	/* The service as the least-privileged role; it cannot migrate. */
	snprintf(extra, sizeof(extra), "store_url = %s\n", app);
	return (harness_start(&kore, extra));
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	pg_harness_stop(&pg);
	return (0);
}

static void
test_pgsetup_service_runs_as_the_row_only_role(void **state)
{
	struct sign_key		shop;
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&kore, "GET", "/readyz", NULL, 0, &r),
	    0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	assert_int_equal(sign_key_parse(&shop, HARNESS_CLIENT_ID ":"
	    HARNESS_CLIENT_HEX), 0);
	assert_int_equal(harness_http_signed(&kore, &shop, "POST", "/v1/cases",
	    "{\"order_ref\":\"pg-1\",\"channel\":\"web\","
	    "\"dealer\":\"web-direct\",\"declared_name\":"
	    "\"x\",\"id_number\":\"11010519491231002X\",\"callback_url\":"
	    "\"http://127.0.0.1:9/hook\"}", NULL, 0, &r), 0);
	assert_int_equal(r.status, 201);
	http_reply_free(&r);
}

/* What the service role must not do, straight through libpq. */
static void
test_pgsetup_role_cannot_change_schema_or_history(void **state)
{
	static const char *const refused[] = {
		"CREATE TABLE intruder (i integer)",
		"DROP TABLE cases",
		"ALTER TABLE cases ADD COLUMN x integer",
		"UPDATE audit SET event = 'x'",
		"DELETE FROM audit",
		"TRUNCATE audit",
		"DELETE FROM schema_migrations",
		"INSERT INTO schema_migrations VALUES (99, 'x', 'x', 0)",
	};
	PGconn		*c;
	PGresult	*res;
	size_t		 i;

	(void)state;
	c = PQconnectdb(app);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char	*why;

		res = PQexec(c, refused[i]);
		why = PQresultErrorMessage(res);
		/* Refused for want of privilege, not for a typo here. */
		if (strstr(why, "permission denied") == NULL &&
		    strstr(why, "must be owner") == NULL)
			fprintf(stderr, "# %s: %s\n", refused[i],
			    PQresStatus(PQresultStatus(res)));
		assert_int_not_equal(PQresultStatus(res), PGRES_COMMAND_OK);
		assert_true(strstr(why, "permission denied") != NULL ||
		    strstr(why, "must be owner") != NULL);
		PQclear(res);
	}
	/* And it does read and append. */
	res = PQexec(c, "SELECT count(*) FROM audit");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_true(atoi(PQgetvalue(res, 0, 0)) >= 1);
	PQclear(res);
	PQfinish(c);
}

static void
test_pgsetup_runs_again_unchanged(void **state)
{
	char	line[512];

	(void)state;
	assert_int_equal(run_setup(line, sizeof(line)), 0);
	assert_non_null(strstr(line, "postgresql-setup: realname at schema "
	    "version"));
	assert_non_null(strstr(line, "role realname_app can read and write "
	    "rows only"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_pgsetup_service_runs_as_the_row_only_role),
		cmocka_unit_test(
		    test_pgsetup_role_cannot_change_schema_or_history),
		cmocka_unit_test(test_pgsetup_runs_again_unchanged),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
