/*
 * The PostgreSQL backend: libpq, one blocking connection per handle,
 * parameterised statements only (values never enter SQL text).
 *
 * Connecting is bounded (connect_timeout, TCP keepalives and a TCP user
 * timeout) so that a server that went away costs a task thread a few
 * seconds, never a hang.  A handle whose connection broke reconnects at
 * the start of its next statement outside a transaction; until then
 * every call fails with STORE_UNAVAILABLE.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store_backend.h"

#define PG_BYTEA_OID		17
#define PG_INT8_OID		20
#define PG_TEXT_OID		25

static int	pg_open(struct store *, const char *);
static void	pg_close(struct store *);
static int	pg_begin(struct store *);
static int	pg_commit(struct store *);
static void	pg_rollback(struct store *);
static int	pg_exec(struct store *, const char *, const struct sval *,
		    size_t, struct sres *, int64_t *);
static int	pg_script(struct store *, const char *);
static int	pg_lock(struct store *, int64_t);
static int	pg_ready(struct store *);
static int	pg_fail(struct store *, PGresult *, const char *);
static int	pg_simple(struct store *, const char *, const char *);
static int	res_copy(struct store *, PGresult *, struct sres *);
static void	notice_ignore(void *, const char *);

const struct store_backend store_backend_pg = {
	.name = "postgresql",
	.claim_lock = " FOR UPDATE SKIP LOCKED",
	.ping_sql = "SELECT 1",
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.script = pg_script,
	.lock = pg_lock,
};

static int
pg_open(struct store *h, const char *target)
{
	PGconn		*conn;
	/*
	 * Our defaults come before dbname, which libpq expands from the
	 * URL or conninfo: what the operator wrote wins.  gssencmode=disable
	 * avoids a GSSAPI probe on every connect.
	 */
	const char	*keys[] = { "connect_timeout", "gssencmode",
			    "keepalives", "keepalives_idle",
			    "keepalives_interval", "keepalives_count",
			    "tcp_user_timeout", "fallback_application_name",
			    "dbname", NULL };
	const char	*values[] = { "3", "disable", "1", "10", "3", "3",
			    "15000", "realname", target, NULL };

	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "postgresql: out "
		    "of memory"));
	/* Kept even when it failed: PQreset() retries with its params. */
	h->conn = conn;
	(void)PQsetNoticeProcessor(conn, notice_ignore, NULL);
	if (PQstatus(conn) != CONNECTION_OK)
		return (pg_fail(h, NULL, "connect"));
	return (0);
}

static void
pg_close(struct store *h)
{
	if (h->conn != NULL)
		PQfinish(h->conn);
	h->conn = NULL;
}

static int
pg_begin(struct store *h)
{
	if (pg_ready(h) == -1)
		return (-1);
	if (pg_simple(h, "BEGIN", "begin") == -1)
		return (-1);
	h->in_tx = 1;
	return (0);
}

static int
pg_commit(struct store *h)
{
	PGresult	*res;
	int		 ret;

	/* A failed transaction "commits" as ROLLBACK: that is a failure. */
	res = PQexec(h->conn, "COMMIT");
	ret = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = pg_fail(h, res, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		ret = store_fail(h, STORE_CONFLICT, "postgresql: commit "
		    "answered %s", PQcmdStatus(res));
	PQclear(res);
	if (ret == -1)
		pg_rollback(h);
	h->in_tx = 0;
	return (ret);
}

static void
pg_rollback(struct store *h)
{
	PGresult	*res;

	if (h->conn != NULL && PQstatus(h->conn) == CONNECTION_OK &&
	    PQtransactionStatus(h->conn) != PQTRANS_IDLE) {
		res = PQexec(h->conn, "ROLLBACK");
		PQclear(res);
	}
	h->in_tx = 0;
}

static int
pg_exec(struct store *h, const char *sql, const struct sval *params,
    size_t nparams, struct sres *out, int64_t *changes)
{
	PGresult	*res;
	const char	*values[STORE_PARAMS_MAX];
	Oid		 types[STORE_PARAMS_MAX];
	int		 lengths[STORE_PARAMS_MAX], formats[STORE_PARAMS_MAX];
	char		 ints[STORE_PARAMS_MAX][24];
	size_t		 i;
	ExecStatusType	 st;
	int		 ret;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (nparams > STORE_PARAMS_MAX)
		return (store_fail(h, STORE_INTERNAL, "postgresql: %zu "
		    "parameters, at most %d", nparams, STORE_PARAMS_MAX));
	if (!h->in_tx && pg_ready(h) == -1)
		return (-1);

	/*
	 * Typed parameters: store.c passes one array per operation and a
	 * statement may leave some of it unused, which PostgreSQL accepts
	 * only when it is told their types.
	 */
	for (i = 0; i < nparams; i++) {
		lengths[i] = 0;
		formats[i] = 0;
		types[i] = PG_TEXT_OID;
		switch (params[i].type) {
		case SVAL_NULL:
			values[i] = NULL;
			break;
		case SVAL_TEXT:
			values[i] = params[i].text;
			break;
		case SVAL_INT:
			types[i] = PG_INT8_OID;
			(void)snprintf(ints[i], sizeof(ints[i]), "%lld",
			    (long long)params[i].i);
			values[i] = ints[i];
			break;
		case SVAL_BLOB:
			if (params[i].len > INT32_MAX)
				return (store_fail(h, STORE_INVALID,
				    "postgresql: blob of %zu bytes",
				    params[i].len));
			types[i] = PG_BYTEA_OID;
			values[i] = params[i].blob;
			lengths[i] = (int)params[i].len;
			formats[i] = 1;
			break;
		}
	}

	res = PQexecParams(h->conn, sql, (int)nparams, types, values,
	    lengths, formats, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		ret = pg_fail(h, res, "statement");
		PQclear(res);
		return (ret);
	}
	if (changes != NULL)
		*changes = strtoll(PQcmdTuples(res), NULL, 10);
	ret = 0;
	if (out != NULL)
		ret = res_copy(h, res, out);
	PQclear(res);
	return (ret);
}

static int
pg_script(struct store *h, const char *sql)
{
	PGresult	*res;
	int		 ret;

	res = PQexec(h->conn, sql);
	ret = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		ret = pg_fail(h, res, "script");
	PQclear(res);
	return (ret);
}

static int
pg_lock(struct store *h, int64_t key)
{
	struct sval	p[1];

	memset(p, 0, sizeof(p));
	p[0].type = SVAL_INT;
	p[0].i = key;
	return (pg_exec(h, "SELECT pg_advisory_xact_lock($1)", p, 1, NULL,
	    NULL));
}

/* Reconnects a broken connection; bounded by connect_timeout. */
static int
pg_ready(struct store *h)
{
	if (h->conn == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "postgresql: not "
		    "open"));
	if (PQstatus(h->conn) == CONNECTION_OK)
		return (0);
	PQreset(h->conn);
	if (PQstatus(h->conn) != CONNECTION_OK)
		return (pg_fail(h, NULL, "reconnect"));
	return (0);
}

/*
 * Only the primary message and the SQLSTATE are kept: DETAIL lines can
 * quote a failing row, with its name and ID number.
 */
static int
pg_fail(struct store *h, PGresult *res, const char *what)
{
	enum store_code	 code;
	const char	*state, *msg;
	char		 line[STORE_ERR_MAX], *nl;

	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
	    NULL;
	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	if (msg == NULL)
		msg = h->conn != NULL ? PQerrorMessage(h->conn) : "no handle";
	(void)snprintf(line, sizeof(line), "%s", msg);
	/* libpq's connection messages end in newlines. */
	while ((nl = strrchr(line, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	while ((nl = strchr(line, '\n')) != NULL)
		*nl = ' ';

	if (h->conn == NULL || PQstatus(h->conn) != CONNECTION_OK)
		code = STORE_UNAVAILABLE;
	else if (state == NULL)
		code = STORE_INTERNAL;
	else if (!strncmp(state, "08", 2) ||	/* connection exception */
	    !strncmp(state, "53", 2) ||		/* insufficient resources */
	    !strncmp(state, "57P", 3) ||	/* shutdown, cannot connect */
	    !strcmp(state, "55P03"))		/* lock not available */
		code = STORE_UNAVAILABLE;
	else if (!strncmp(state, "40", 2))	/* serialization, deadlock */
		code = STORE_CONFLICT;
	else if (!strncmp(state, "23", 2) ||	/* integrity constraint */
	    !strncmp(state, "22", 2))		/* data exception */
		code = STORE_INVALID;
	else
		code = STORE_INTERNAL;
	return (store_fail(h, code, "postgresql: %s: %s%s%s%s", what, line,
	    state != NULL ? " (" : "", state != NULL ? state : "",
	    state != NULL ? ")" : ""));
}

static int
pg_simple(struct store *h, const char *sql, const char *what)
{
	PGresult	*res;
	int		 ret;

	res = PQexec(h->conn, sql);
	ret = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = pg_fail(h, res, what);
	PQclear(res);
	return (ret);
}

static int
res_copy(struct store *h, PGresult *res, struct sres *out)
{
	struct scell	*c;
	unsigned char	*raw;
	size_t		 nrows, ncols, r, i, len;
	const char	*v;

	nrows = (size_t)PQntuples(res);
	ncols = (size_t)PQnfields(res);
	out->nrows = nrows;
	out->ncols = ncols;
	if (nrows == 0 || ncols == 0)
		return (0);
	if ((out->cells = calloc(nrows * ncols, sizeof(*c))) == NULL) {
		out->nrows = 0;
		return (store_fail(h, STORE_UNAVAILABLE, "postgresql: out of "
		    "memory for %zu cells", nrows * ncols));
	}
	for (r = 0; r < nrows; r++) {
		for (i = 0; i < ncols; i++) {
			c = &out->cells[r * ncols + i];
			if (PQgetisnull(res, (int)r, (int)i)) {
				c->null = 1;
				v = "";
				len = 0;
			} else {
				v = PQgetvalue(res, (int)r, (int)i);
				len = (size_t)PQgetlength(res, (int)r, (int)i);
			}
			if (!c->null && PQftype(res, (int)i) == PG_BYTEA_OID) {
				raw = PQunescapeBytea((const unsigned char *)v,
				    &len);
				if (raw == NULL)
					goto nomem;
				c->p = malloc(len + 1);
				if (c->p != NULL)
					memcpy(c->p, raw, len);
				PQfreemem(raw);
			} else if ((c->p = malloc(len + 1)) != NULL) {
				memcpy(c->p, v, len);
			}
			if (c->p == NULL)
				goto nomem;
			c->p[len] = '\0';
			c->len = len;
		}
	}
	return (0);

nomem:
	store_res_free(out);
	return (store_fail(h, STORE_UNAVAILABLE, "postgresql: out of memory "
	    "copying a result"));
}

/* NOTICEs ("relation already exists, skipping") are not ours to print. */
static void
notice_ignore(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}
