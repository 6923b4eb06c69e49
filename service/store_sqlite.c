/*
 * The SQLite backend: one file, one connection per handle.
 *
 * WAL lets readers run beside the single writer; synchronous=FULL syncs
 * the WAL on every commit, because a decision or a webhook that a
 * power cut can take back is worse here than a slower commit (the
 * pipeline spends seconds per case; a commit is milliseconds).  Writers
 * take the write lock when their transaction begins (BEGIN IMMEDIATE),
 * so a claim's read and its update can never interleave with another
 * writer's, and busy_timeout turns lock waits into bounded waits.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_backend.h"

#define SQLITE_BUSY_TIMEOUT_MS	10000

static int	sq_open(struct store *, const char *);
static void	sq_close(struct store *);
static int	sq_begin(struct store *);
static int	sq_commit(struct store *);
static void	sq_rollback(struct store *);
static int	sq_exec(struct store *, const char *, const struct sval *,
		    size_t, struct sres *, int64_t *);
static int	sq_script(struct store *, const char *);
static int	sq_lock(struct store *, int64_t);
static int	sq_fail(struct store *, int, const char *);
static int	sq_simple(struct store *, const char *, const char *);
static int	row_append(struct store *, sqlite3_stmt *, struct sres *,
		    size_t *);

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.claim_lock = "",
	/* Reads the database header, so a vanished disk shows. */
	.ping_sql = "PRAGMA schema_version",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.script = sq_script,
	.lock = sq_lock,
};

static int
sq_open(struct store *h, const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	struct stat	 sb;
	const char	*mode;
	int		 fd, rc;

	if (*path == '\0')
		return (store_fail(h, STORE_INVALID, "sqlite: empty path"));

	/*
	 * Create the file ourselves so that it is 0600 from the start:
	 * it holds names and ID numbers.  SQLite gives its -wal and -shm
	 * files the database file's mode.  Only when it does not exist:
	 * closing any descriptor of the file drops every POSIX lock this
	 * process holds on it, so an open()+close() beside a live
	 * connection (another task thread's) silently took away the
	 * SHARED lock by which SQLite tells other processes that the WAL
	 * is in use; the next process to close its last connection then
	 * checkpointed and deleted the WAL under us ("database disk image
	 * is malformed").  A file that did not exist has no connection.
	 */
	if (stat(path, &sb) == -1) {
		if (errno != ENOENT)
			return (store_fail(h, STORE_UNAVAILABLE, "sqlite: "
			    "cannot open '%s': %s", path, strerror(errno)));
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			return (store_fail(h, STORE_UNAVAILABLE, "sqlite: "
			    "cannot create '%s': %s", path, strerror(errno)));
		if (fd != -1)
			(void)close(fd);
	}

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		(void)store_fail(h, STORE_UNAVAILABLE, "sqlite: cannot open "
		    "'%s': %s", path, db != NULL ? sqlite3_errmsg(db) :
		    sqlite3_errstr(rc));
		sqlite3_close(db);
		return (-1);
	}
	h->conn = db;
	(void)sqlite3_extended_result_codes(db, 1);
	(void)sqlite3_busy_timeout(db, SQLITE_BUSY_TIMEOUT_MS);

	/* journal_mode answers with the mode it ended up in. */
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		(void)sq_fail(h, sqlite3_errcode(db), "journal_mode");
		goto fail;
	}
	rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) :
	    NULL;
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		sqlite3_finalize(st);
		(void)store_fail(h, STORE_UNAVAILABLE, "sqlite: '%s' could "
		    "not switch to WAL", path);
		goto fail;
	}
	sqlite3_finalize(st);

	if (sq_simple(h, "PRAGMA synchronous=FULL", "synchronous") == -1 ||
	    sq_simple(h, "PRAGMA foreign_keys=ON", "foreign_keys") == -1)
		goto fail;
	return (0);

fail:
	/* Never half-configured: without WAL or FULL it must not be used. */
	sq_close(h);
	return (-1);
}

static void
sq_close(struct store *h)
{
	if (h->conn != NULL)
		(void)sqlite3_close(h->conn);
	h->conn = NULL;
}

static int
sq_begin(struct store *h)
{
	if (h->conn == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "sqlite: not open"));
	if (sq_simple(h, "BEGIN IMMEDIATE", "begin") == -1)
		return (-1);
	h->in_tx = 1;
	return (0);
}

static int
sq_commit(struct store *h)
{
	if (sq_simple(h, "COMMIT", "commit") == -1) {
		sq_rollback(h);
		return (-1);
	}
	h->in_tx = 0;
	return (0);
}

static void
sq_rollback(struct store *h)
{
	if (h->conn != NULL && !sqlite3_get_autocommit(h->conn))
		(void)sqlite3_exec(h->conn, "ROLLBACK", NULL, NULL, NULL);
	h->in_tx = 0;
}

static int
sq_exec(struct store *h, const char *sql, const struct sval *params,
    size_t nparams, struct sres *res, int64_t *changes)
{
	sqlite3_stmt	*st;
	char		 name[24];
	size_t		 i, cap;
	int		 rc, idx, ret;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (h->conn == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "sqlite: not open"));
	if (sqlite3_prepare_v2(h->conn, sql, -1, &st, NULL) != SQLITE_OK)
		return (sq_fail(h, sqlite3_errcode(h->conn), "prepare"));

	ret = -1;
	for (i = 0; i < nparams; i++) {
		(void)snprintf(name, sizeof(name), "$%zu", i + 1);
		/* A parameter the statement does not use is fine. */
		if ((idx = sqlite3_bind_parameter_index(st, name)) == 0)
			continue;
		switch (params[i].type) {
		case SVAL_NULL:
			rc = sqlite3_bind_null(st, idx);
			break;
		case SVAL_TEXT:
			rc = sqlite3_bind_text(st, idx, params[i].text, -1,
			    SQLITE_STATIC);
			break;
		case SVAL_INT:
			rc = sqlite3_bind_int64(st, idx, params[i].i);
			break;
		case SVAL_BLOB:
			rc = sqlite3_bind_blob64(st, idx, params[i].blob,
			    params[i].len, SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
		if (rc != SQLITE_OK) {
			(void)sq_fail(h, rc, "bind");
			goto cleanup;
		}
	}

	cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (res != NULL && row_append(h, st, res, &cap) == -1)
			goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		(void)sq_fail(h, rc, "step");
		goto cleanup;
	}
	if (changes != NULL)
		*changes = sqlite3_changes64(h->conn);
	ret = 0;

cleanup:
	sqlite3_finalize(st);
	if (ret == -1 && res != NULL)
		store_res_free(res);
	return (ret);
}

static int
sq_script(struct store *h, const char *sql)
{
	char	*msg;
	int	 rc;

	msg = NULL;
	rc = sqlite3_exec(h->conn, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		(void)sq_fail(h, rc, msg != NULL ? msg : "script");
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

static int
sq_lock(struct store *h, int64_t key)
{
	(void)key;
	if (!h->in_tx)
		return (store_fail(h, STORE_INTERNAL, "lock outside a "
		    "transaction"));
	return (0);
}

/*
 * Busy (a lock held past busy_timeout) and I/O trouble are
 * "unavailable": the caller retries later; constraints are the
 * caller's mistake.
 */
static int
sq_fail(struct store *h, int rc, const char *what)
{
	enum store_code	 code;
	const char	*msg;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
	case SQLITE_READONLY:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_PROTOCOL:
		code = STORE_UNAVAILABLE;
		break;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		code = STORE_INVALID;
		break;
	default:
		code = STORE_INTERNAL;
		break;
	}
	msg = h->conn != NULL && sqlite3_errcode(h->conn) == rc ?
	    sqlite3_errmsg(h->conn) : sqlite3_errstr(rc);
	return (store_fail(h, code, "sqlite: %s: %s (%d)", what, msg, rc));
}

static int
sq_simple(struct store *h, const char *sql, const char *what)
{
	int	rc;

	rc = sqlite3_exec(h->conn, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return (sq_fail(h, rc, what));
	return (0);
}

static int
row_append(struct store *h, sqlite3_stmt *st, struct sres *res,
    size_t *cap)
{
	struct scell	*cells, *c;
	const void	*p;
	size_t		 ncols, i, want;
	int		 len;

	ncols = (size_t)sqlite3_column_count(st);
	if (res->nrows == 0)
		res->ncols = ncols;
	want = (res->nrows + 1) * ncols;
	if (want > *cap) {
		*cap = *cap == 0 ? want : *cap * 2;
		if (*cap < want)
			*cap = want;
		cells = reallocarray(res->cells, *cap, sizeof(*cells));
		if (cells == NULL)
			return (store_fail(h, STORE_UNAVAILABLE, "sqlite: out "
			    "of memory for %zu cells", *cap));
		res->cells = cells;
	}
	/* Cleared first: store_res_free walks whole rows. */
	memset(&res->cells[res->nrows * ncols], 0, ncols * sizeof(*cells));
	for (i = 0; i < ncols; i++) {
		c = &res->cells[res->nrows * ncols + i];
		switch (sqlite3_column_type(st, (int)i)) {
		case SQLITE_NULL:
			c->null = 1;
			p = NULL;
			len = 0;
			break;
		case SQLITE_BLOB:
			p = sqlite3_column_blob(st, (int)i);
			len = sqlite3_column_bytes(st, (int)i);
			break;
		default:
			p = sqlite3_column_text(st, (int)i);
			len = sqlite3_column_bytes(st, (int)i);
			break;
		}
		if ((c->p = malloc((size_t)len + 1)) == NULL) {
			res->nrows++;
			return (store_fail(h, STORE_UNAVAILABLE, "sqlite: out "
			    "of memory for a %d byte cell", len));
		}
		if (len > 0)
			memcpy(c->p, p, (size_t)len);
		c->p[len] = '\0';
		c->len = (size_t)len;
	}
	res->nrows++;
	return (0);
}
