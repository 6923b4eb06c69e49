/*
 * A throwaway PostgreSQL cluster for tests: Debian's binaries
 * (/usr/lib/postgresql/15/bin, or REALNAME_PG_BIN), a fresh cluster in a
 * private temporary directory, listening only on a unix socket there,
 * trust authentication, fsync off.  initdb refuses to run as root, so
 * as root the cluster runs as the `postgres` user (runuser).
 *
 * A watchdog process stops the cluster and removes the directory when
 * the test process goes away by any route (crash, abort, kill), so no
 * test leaves a server behind.
 */
#ifndef RN_PG_HARNESS_H
#define RN_PG_HARNESS_H

#include <sys/types.h>

struct pg_harness {
	char	 dir[128];		/* socket directory and data/ */
	char	 conninfo[256];		/* for the postgres database */
	pid_t	 watchdog;
	int	 watch_fd;		/* closing it tells the watchdog */
	int	 running;
};

/*
 * Creates and starts the cluster.  Returns 0, or -1 with the reason
 * printed as a TAP comment (and initdb's or pg_ctl's log).
 */
int	pg_harness_start(struct pg_harness *);

/* Stops the server (fast), keeping the cluster; 0 or -1. */
int	pg_harness_pause(struct pg_harness *);
/* Starts it again after pg_harness_pause; 0 or -1. */
int	pg_harness_resume(struct pg_harness *);

/* Stops the server and removes everything. */
void	pg_harness_stop(struct pg_harness *);

/*
 * Creates a new empty database and writes its conninfo to out.
 * Returns 0 or -1.
 */
int	pg_harness_create_db(struct pg_harness *, const char *name,
	    char *out, size_t outlen);

#endif
