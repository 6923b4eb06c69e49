/*
 * SQLite connections of one process side by side: opening a second
 * connection must not take away the POSIX lock the first one holds on
 * the database file (closing any descriptor of a file drops all of a
 * process's locks on it), or another process closing its last
 * connection believes it is the last, checkpoints and deletes the WAL
 * under the first.  Read from /proc/locks, and then shown end to end
 * with a second process.
 */

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"

static char	dir[64], url[160], path[128];

static int
setup(void **state)
{
	struct store	*h;
	int		 applied;
	char		 migrations[512];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rn-sqlite-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/realname.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	snprintf(migrations, sizeof(migrations), "%s/deploy/sql",
	    getenv("REALNAME_SOURCE_ROOT"));
	if (store_open(&h, url) == -1 ||
	    store_migrate(h, migrations, &applied) == -1) {
		store_close(h);
		return (-1);
	}
	store_close(h);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* How many POSIX locks this process holds on the database file. */
static int
locks_held(void)
{
	struct stat	 sb;
	FILE		*fp;
	char		 line[256], want[64];
	int		 n;

	assert_int_equal(stat(path, &sb), 0);
	snprintf(want, sizeof(want), " %d %02x:%02x:%lu ", (int)getpid(),
	    major(sb.st_dev), minor(sb.st_dev), (unsigned long)sb.st_ino);
	assert_non_null(fp = fopen("/proc/locks", "r"));
	n = 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, "POSIX") != NULL && strstr(line, want) != NULL)
			n++;
	fclose(fp);
	return (n);
}

/* One read through the connection (a case that does not exist). */
static void
read_once(struct store *h)
{
	struct store_case	c;

	assert_int_equal(store_case_get(h, "00000000000000000000000000000000",
	    &c), -1);
	assert_int_equal(store_errcode(h), STORE_NOT_FOUND);
}

static void
test_second_connection_keeps_the_first_ones_lock(void **state)
{
	struct store	*a, *b;

	(void)state;
	assert_int_equal(store_open(&a, url), 0);
	read_once(a);
	assert_true(locks_held() > 0);
	assert_int_equal(store_open(&b, url), 0);
	read_once(b);
	/* The lock that says "a connection here uses the WAL" is kept. */
	assert_true(locks_held() > 0);
	store_close(b);
	assert_true(locks_held() > 0);
	store_close(a);
}

static void
test_other_process_closing_keeps_our_wal(void **state)
{
	struct store	*a, *b;
	struct stat	 sb;
	char		 wal[160];
	pid_t		 pid;
	int		 status;

	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(store_open(&a, url), 0);
	read_once(a);
	assert_int_equal(store_open(&b, url), 0);
	read_once(b);

	/*
	 * Another process opens and closes its only connection: a new
	 * program, not a fork, which would inherit SQLite's own record of
	 * our connections.
	 */
	if ((pid = fork()) == 0) {
		execl("/proc/self/exe", "test_service_store_sqlite",
		    "--open-read-close", url, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* It was not the last: the WAL our connections use is still there. */
	assert_int_equal(stat(wal, &sb), 0);
	read_once(a);
	read_once(b);
	store_close(b);
	store_close(a);
}

/* The other process of the second test. */
static int
open_read_close(const char *u)
{
	struct store		*c;
	struct store_case	 cs;

	if (store_open(&c, u) == -1)
		return (1);
	if (store_case_get(c, "00000000000000000000000000000000", &cs) !=
	    -1 || store_errcode(c) != STORE_NOT_FOUND) {
		store_close(c);
		return (1);
	}
	store_close(c);
	return (0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_second_connection_keeps_the_first_ones_lock),
		cmocka_unit_test(test_other_process_closing_keeps_our_wal),
	};

	if (argc == 3 && !strcmp(argv[1], "--open-read-close"))
		return (open_read_close(argv[2]));

	return (cmocka_run_group_tests(tests, setup, teardown));
}
