/*
 * The space reserve: measured on a real directory, refused below the
 * reserve with the figures in the message, unmeasurable paths named,
 * and the SQLite file's own directory checked.
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

#include "diskspace.h"

#define GIB	(UINT64_C(1024) * 1024 * 1024)

static char	dir[64];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rn-diskspace-XXXXXX");
	return (mkdtemp(dir) == NULL ? -1 : 0);
}

static int
teardown_dir(void **state)
{
	(void)state;
	return (rmdir(dir));
}

static void
test_diskspace_passes_above_the_reserve(void **state)
{
	char		err[256];
	uint64_t	avail;

	(void)state;
	assert_int_equal(diskspace_check(dir, 1, &avail, err, sizeof(err)),
	    1);
	assert_true(avail > 1);
}

static void
test_diskspace_refuses_below_the_reserve_with_figures(void **state)
{
	char		err[256];
	uint64_t	avail;

	(void)state;
	assert_int_equal(diskspace_check(dir, 1, &avail, err, sizeof(err)),
	    1);
	/* One GiB more than there is: refused, and the message says so. */
	assert_int_equal(diskspace_check(dir, avail + GIB, NULL, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(err, "below the reserve"));
	assert_non_null(strstr(err, dir));
}

static void
test_diskspace_unmeasurable_path_is_an_error(void **state)
{
	char	err[256];

	(void)state;
	assert_int_equal(diskspace_check("/nonexistent/rn-diskspace", 1, NULL,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot measure"));
}

static void
test_diskspace_store_checks_the_sqlite_directory(void **state)
{
	char		err[256], url[128];
	uint64_t	avail;

	(void)state;
	assert_int_equal(diskspace_check(dir, 1, &avail, err, sizeof(err)),
	    1);
	/* The state directory passes; the SQLite file's directory fails. */
	assert_int_equal(diskspace_store_ok(dir,
	    "sqlite:/nonexistent/rn/realname.db", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/rn"));
	snprintf(url, sizeof(url), "sqlite:%s/realname.db", dir);
	assert_int_equal(diskspace_store_ok(dir, url, 1, err, sizeof(err)),
	    1);
	assert_int_equal(diskspace_store_ok(dir, url, avail + GIB, err,
	    sizeof(err)), 0);
	/* A PostgreSQL store: only the state directory is ours to watch. */
	assert_int_equal(diskspace_store_ok(dir, "postgresql://x/y", 1, err,
	    sizeof(err)), 1);
	/* Reserve 0 turns the check off, even for a path that is gone. */
	assert_int_equal(diskspace_store_ok("/nonexistent/rn", url, 0, err,
	    sizeof(err)), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diskspace_passes_above_the_reserve),
		cmocka_unit_test(
		    test_diskspace_refuses_below_the_reserve_with_figures),
		cmocka_unit_test(test_diskspace_unmeasurable_path_is_an_error),
		cmocka_unit_test(
		    test_diskspace_store_checks_the_sqlite_directory),
	};

	return (cmocka_run_group_tests(tests, setup_dir, teardown_dir));
}
