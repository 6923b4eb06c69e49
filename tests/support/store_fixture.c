/*
 * The store suites' fixture (see store_fixture.h).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg_harness.h"
#include "store_fixture.h"

enum backend_kind	fixture_sqlite = BACKEND_SQLITE;
enum backend_kind	fixture_pg = BACKEND_PG;
const unsigned char	fixture_lookup_key[32] =
    "synthetic lookup key for tests!";

static struct pg_harness	pg;
static int			pg_started;
static int			db_seq;

int
fixture_group_setup(void **state)
{
	(void)state;
	if (pg_harness_start(&pg) == -1)
		return (-1);
	pg_started = 1;
	return (0);
}

int
fixture_group_teardown(void **state)
{
	(void)state;
	if (pg_started)
		pg_harness_stop(&pg);
	pg_started = 0;
	return (0);
}

int
fixture_pg_pause(void)
{
	return (pg_harness_pause(&pg));
}

int
fixture_pg_resume(void)
{
	return (pg_harness_resume(&pg));
}

int
fixture_setup(void **state)
{
	struct fixture	*fx;
	const char	*root;
	char		 name[32];
	int		 applied;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return (-1);
	fx->kind = *(enum backend_kind *)*state;
	root = getenv("REALNAME_SOURCE_ROOT");
	(void)snprintf(fx->sql_dir, sizeof(fx->sql_dir), "%s/deploy/sql",
	    root != NULL ? root : ".");
	if (fx->kind == BACKEND_SQLITE) {
		(void)snprintf(fx->dir, sizeof(fx->dir),
		    "/tmp/rn-store-XXXXXX");
		if (mkdtemp(fx->dir) == NULL)
			goto fail;
		(void)snprintf(fx->url, sizeof(fx->url), "sqlite:%s/rn.db",
		    fx->dir);
	} else {
		(void)snprintf(name, sizeof(name), "t%d", ++db_seq);
		if (!pg_started || pg_harness_create_db(&pg, name, fx->url,
		    sizeof(fx->url)) == -1)
			goto fail;
	}
	if (store_open(&fx->h, fx->url) == -1) {
		printf("# store_open: %s\n", store_error(fx->h));
		goto fail;
	}
	if (store_migrate(fx->h, fx->sql_dir, &applied) == -1) {
		printf("# store_migrate: %s\n", store_error(fx->h));
		goto fail;
	}
	if (applied < STORE_SCHEMA_VERSION) {
		printf("# store_migrate: %d migrations, the code needs %d\n",
		    applied, STORE_SCHEMA_VERSION);
		goto fail;
	}
	fx->now = store_now_ms();
	*state = fx;
	return (0);

fail:
	*state = fx;
	(void)fixture_teardown(state);
	return (-1);
}

int
fixture_teardown(void **state)
{
	struct fixture	*fx = *state;
	const char	*suffix[] = { "", "-wal", "-shm" };
	char		 path[128];
	size_t		 i;

	if (fx == NULL)
		return (0);
	store_close(fx->h);
	/* A directory mkdtemp did not make is simply not found. */
	if (fx->kind == BACKEND_SQLITE && fx->dir[0] != '\0') {
		for (i = 0; i < 3; i++) {
			(void)snprintf(path, sizeof(path), "%s/rn.db%s",
			    fx->dir, suffix[i]);
			(void)unlink(path);
		}
		(void)rmdir(fx->dir);
	}
	free(fx);
	*state = NULL;
	return (0);
}

enum store_state
fixture_state_of(struct fixture *fx, const char *id)
{
	struct store_case	c;
	enum store_state	s;

	assert_int_equal(store_case_get(fx->h, id, &c), 0);
	s = c.state;
	store_case_release(&c);
	return (s);
}

int64_t
fixture_outbox_rows(struct fixture *fx)
{
	struct store_counts	c;
	int64_t			n;
	int			i;

	assert_int_equal(store_counts(fx->h, fx->now, &c), 0);
	n = 0;
	for (i = 0; i < STORE_OUTBOX_STATE_COUNT; i++)
		n += c.outbox[i];
	return (n);
}
