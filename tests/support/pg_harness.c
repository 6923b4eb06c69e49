/*
 * Throwaway PostgreSQL cluster.  Every child we start gets /dev/null as
 * stdin and a log file as stdout and stderr: the server outlives pg_ctl,
 * and a server holding the test's stdout would keep meson waiting for
 * the end of the TAP stream.
 */

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <libpq-fe.h>

#include "pg_harness.h"

#define PG_BIN_DEFAULT	"/usr/lib/postgresql/15/bin"

static const char	*pg_bin(void);
static int		 run(const struct pg_harness *, const char *tool,
			    const char *const args[]);
static int		 server_start(struct pg_harness *);
static int		 server_stop(struct pg_harness *, const char *);
static void		 print_log(const struct pg_harness *, const char *);
static void		 watchdog(struct pg_harness *, int);
static void		 keep_log(const struct pg_harness *);

int
pg_harness_start(struct pg_harness *pg)
{
	struct passwd	*pw;
	char		 data[192];
	int		 fds[2];
	const char	*initdb[] = { "-D", data, "-A", "trust", "-U",
			    "postgres", "-E", "UTF8", "--locale=C", "-N",
			    NULL };

	memset(pg, 0, sizeof(*pg));
	pg->watch_fd = -1;
	(void)snprintf(pg->dir, sizeof(pg->dir), "/tmp/rn-pg-XXXXXX");
	if (mkdtemp(pg->dir) == NULL) {
		printf("# pg_harness: mkdtemp: %s\n", strerror(errno));
		return (-1);
	}
	/* initdb refuses root: the cluster belongs to postgres. */
	if (geteuid() == 0) {
		if ((pw = getpwnam("postgres")) == NULL) {
			printf("# pg_harness: no postgres user (install the "
			    "postgresql package)\n");
			(void)rmdir(pg->dir);
			return (-1);
		}
		if (chown(pg->dir, pw->pw_uid, pw->pw_gid) == -1) {
			printf("# pg_harness: chown: %s\n", strerror(errno));
			(void)rmdir(pg->dir);
			return (-1);
		}
	}
	(void)snprintf(data, sizeof(data), "%s/data", pg->dir);
	(void)snprintf(pg->conninfo, sizeof(pg->conninfo), "host=%s "
	    "port=5432 user=postgres dbname=postgres", pg->dir);

	/* From here on the watchdog cleans up whatever happens to us. */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return (-1);
	if ((pg->watchdog = fork()) == -1) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		return (-1);
	}
	if (pg->watchdog == 0) {
		(void)close(fds[1]);
		watchdog(pg, fds[0]);
		_exit(0);
	}
	(void)close(fds[0]);
	pg->watch_fd = fds[1];

	if (run(pg, "initdb", initdb) != 0) {
		print_log(pg, "setup.log");
		printf("# pg_harness: initdb failed\n");
		pg_harness_stop(pg);
		return (-1);
	}
	if (server_start(pg) == -1) {
		pg_harness_stop(pg);
		return (-1);
	}
	return (0);
}

int
pg_harness_pause(struct pg_harness *pg)
{
	return (server_stop(pg, "fast"));
}

int
pg_harness_resume(struct pg_harness *pg)
{
	return (server_start(pg));
}

void
pg_harness_stop(struct pg_harness *pg)
{
	int	status;

	if (pg->watch_fd == -1)
		return;
	/* The watchdog stops the server and removes the directory. */
	(void)close(pg->watch_fd);
	pg->watch_fd = -1;
	(void)waitpid(pg->watchdog, &status, 0);
	pg->running = 0;
}

int
pg_harness_create_db(struct pg_harness *pg, const char *name, char *out,
    size_t outlen)
{
	PGconn		*conn;
	PGresult	*res;
	char		*ident, sql[256];
	int		 ret;

	conn = PQconnectdb(pg->conninfo);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		printf("# pg_harness: connect: %s", conn != NULL ?
		    PQerrorMessage(conn) : "out of memory\n");
		PQfinish(conn);
		return (-1);
	}
	ret = -1;
	if ((ident = PQescapeIdentifier(conn, name, strlen(name))) == NULL)
		goto cleanup;
	(void)snprintf(sql, sizeof(sql), "CREATE DATABASE %s", ident);
	PQfreemem(ident);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		ret = 0;
	else
		printf("# pg_harness: %s", PQerrorMessage(conn));
	PQclear(res);
	(void)snprintf(out, outlen, "host=%s port=5432 user=postgres "
	    "dbname=%s", pg->dir, name);

cleanup:
	PQfinish(conn);
	return (ret);
}

static const char *
pg_bin(void)
{
	const char	*p = getenv("REALNAME_PG_BIN");

	return (p != NULL && *p != '\0' ? p : PG_BIN_DEFAULT);
}

/* Runs one PostgreSQL tool (as postgres when we are root); its status. */
static int
run(const struct pg_harness *pg, const char *tool, const char *const args[])
{
	char		 path[256], log[192];
	const char	*argv[32];
	pid_t		 pid;
	int		 fd, status, n, i;

	(void)snprintf(path, sizeof(path), "%s/%s", pg_bin(), tool);
	(void)snprintf(log, sizeof(log), "%s/setup.log", pg->dir);
	n = 0;
	if (geteuid() == 0) {
		argv[n++] = "runuser";
		argv[n++] = "-u";
		argv[n++] = "postgres";
		argv[n++] = "--";
	}
	argv[n++] = path;
	for (i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			(void)dup2(fd, 0);
			(void)close(fd);
		}
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			(void)close(fd);
			/* The server appends here too, as postgres. */
			(void)chmod(log, 0666);
		}
		/* The test's own directory may be closed to postgres. */
		if (chdir(pg->dir) == -1)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return (-1);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int
server_start(struct pg_harness *pg)
{
	char		 data[192], slog[192], opts[384];
	const char	*args[] = { "-D", data, "-l", slog, "-w", "-t", "30",
			    "-s", "-o", opts, "start", NULL };

	(void)snprintf(data, sizeof(data), "%s/data", pg->dir);
	(void)snprintf(slog, sizeof(slog), "%s/server.log", pg->dir);
	/* Only a unix socket in our directory; speed over durability. */
	(void)snprintf(opts, sizeof(opts), "-c listen_addresses='' -k %s "
	    "-p 5432 -c fsync=off -c full_page_writes=off "
	    "-c synchronous_commit=off -c max_connections=60", pg->dir);
	if (run(pg, "pg_ctl", args) != 0) {
		print_log(pg, "setup.log");
		print_log(pg, "server.log");
		printf("# pg_harness: pg_ctl start failed\n");
		return (-1);
	}
	pg->running = 1;
	return (0);
}

static int
server_stop(struct pg_harness *pg, const char *mode)
{
	char		 data[192];
	const char	*args[] = { "-D", data, "-m", mode, "-w", "-t", "30",
			    "-s", "stop", NULL };

	(void)snprintf(data, sizeof(data), "%s/data", pg->dir);
	if (run(pg, "pg_ctl", args) != 0) {
		print_log(pg, "setup.log");
		return (-1);
	}
	pg->running = 0;
	return (0);
}

static void
print_log(const struct pg_harness *pg, const char *name)
{
	FILE	*fp;
	char	 path[192], line[512];

	(void)snprintf(path, sizeof(path), "%s/%s", pg->dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		printf("# %s: %s", name, line);
	fclose(fp);
}

/*
 * Keeps the server's log for the privacy scan over the whole run
 * (deploy/scan-logs) when the suite names a directory for logs.
 */
static void
keep_log(const struct pg_harness *pg)
{
	const char	*dir = getenv("REALNAME_TEST_LOGS");
	char		 from[256], to[512], buf[8192];
	FILE		*in, *out;
	size_t		 n;

	if (dir == NULL || dir[0] == '\0')
		return;
	(void)mkdir(dir, 0755);
	(void)snprintf(from, sizeof(from), "%s/server.log", pg->dir);
	(void)snprintf(to, sizeof(to), "%s/postgresql-%d.log", dir,
	    (int)getpid());
	if ((in = fopen(from, "r")) == NULL)
		return;
	if ((out = fopen(to, "w")) != NULL) {
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			(void)fwrite(buf, 1, n, out);
		(void)fclose(out);
	}
	(void)fclose(in);
}

/*
 * Waits for the test to close its end of the pipe (or die), then
 * stops the server, whatever state it is in, and removes the directory.
 * In its own session, so a signal to the test's group does not take it
 * down before it has cleaned up.
 */
static void
watchdog(struct pg_harness *pg, int fd)
{
	char		 c, data[192];
	const char	*args[] = { "-D", data, "-m", "immediate", "-w", "-t",
			    "30", "-s", "stop", NULL };
	const char	*rm[] = { "rm", "-rf", pg->dir, NULL };
	pid_t		 pid;
	int		 null, status;

	(void)setsid();
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		(void)close(null);
	}
	while (read(fd, &c, 1) == -1 && errno == EINTR)
		;
	(void)snprintf(data, sizeof(data), "%s/data", pg->dir);
	/* Not running is fine: pg_ctl says so and we go on. */
	(void)run(pg, "pg_ctl", args);
	keep_log(pg);
	if (strncmp(pg->dir, "/tmp/rn-pg-", 11) != 0)
		return;
	if ((pid = fork()) == 0) {
		execvp(rm[0], (char *const *)rm);
		_exit(127);
	}
	if (pid > 0)
		(void)waitpid(pid, &status, 0);
}
