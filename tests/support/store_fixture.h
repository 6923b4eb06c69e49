/*
 * The store suites' fixture (tests/service/test_store*.c): each test
 * runs once on SQLite in a fresh temporary directory and once on a fresh
 * database of one throwaway PostgreSQL cluster per process, migrated to
 * STORE_SCHEMA_VERSION.
 *
 *   cmocka_unit_test_prestate_setup_teardown(t, fixture_setup,
 *       fixture_teardown, &fixture_sqlite)      (or &fixture_pg)
 *   cmocka_run_group_tests(tests, fixture_group_setup,
 *       fixture_group_teardown)
 */
#ifndef RN_TEST_STORE_FIXTURE_H
#define RN_TEST_STORE_FIXTURE_H

#include <stdint.h>

#include "store.h"

enum backend_kind {
	BACKEND_SQLITE,
	BACKEND_PG,
};

struct fixture {
	enum backend_kind	 kind;
	char			 url[512];
	char			 dir[64];	/* SQLite: the temp dir */
	char			 sql_dir[512];	/* deploy/sql */
	struct store		*h;
	int64_t			 now;
};

/* The prestates: which backend a test runs on. */
extern enum backend_kind	fixture_sqlite;
extern enum backend_kind	fixture_pg;

/* The ID number lookup key of every fixture store (synthetic). */
extern const unsigned char	fixture_lookup_key[32];

/* Starts (and stops) the PostgreSQL cluster of the group. */
int	fixture_group_setup(void **state);
int	fixture_group_teardown(void **state);
/* *state: a backend_kind in, a struct fixture out. */
int	fixture_setup(void **state);
int	fixture_teardown(void **state);
/* A case's state, and the outbox's rows in every state (asserted). */
enum store_state	fixture_state_of(struct fixture *, const char *id);
int64_t			fixture_outbox_rows(struct fixture *);

/* Stops the cluster's server (kept on disk) and starts it again. */
int	fixture_pg_pause(void);
int	fixture_pg_resume(void);

#endif
