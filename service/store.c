/*
 * The store's logic, once for both backends: every statement is written
 * in the SQL that SQLite and PostgreSQL both accept, with $n parameters,
 * and every multi-statement change runs in one transaction that also
 * appends its audit row.  Column names are the only text ever pasted
 * into SQL, and only from the constant tables below.
 *
 * Migrations are read at run time from a directory (deploy/sql/), not
 * embedded: the reviewed .sql files are the one source of truth (an
 * operator can read or apply them with sqlite3 or psql), the build needs
 * no generator, and a binary never silently carries a schema other than
 * the files beside it.  The code states the version it needs
 * (STORE_SCHEMA_VERSION) and store_migrate() refuses a directory that
 * stops short of it, and a recorded migration whose file changed.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "store_backend.h"
#include "store_qa.h"

#define STORE_DEFAULT_URL	"sqlite:var/realname.db"
#define MIGRATION_MAX_BYTES	(1024 * 1024)
#define MIGRATIONS_MAX		256
/* Advisory lock keys (PostgreSQL): "rnaudit", "rnmigra". */
#define LOCK_AUDIT		INT64_C(0x726e6175646974)
#define LOCK_MIGRATE		INT64_C(0x726e6d69677261)
#define ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

static const char *const state_names[STORE_STATE_COUNT] = {
	"OPEN", "SUBMITTED", "PROCESSING", "PARKED", "APPROVED", "REJECTED",
	"REVIEW", "EXPIRED",
};

static const char *const kind_names[STORE_KIND_COUNT] = {
	"new", "reregistration",
};

static const char *const side_names[STORE_SIDE_COUNT] = {
	"front", "back", "holding",
};

static const char *const side_attempts[STORE_SIDE_COUNT] = {
	"attempts_front", "attempts_back", "attempts_holding",
};

static const char *const side_accepted[STORE_SIDE_COUNT] = {
	"accepted_front", "accepted_back", "accepted_holding",
};

static const char *const outbox_state_names[STORE_OUTBOX_STATE_COUNT] = {
	"PENDING", "DELIVERED", "FAILED",
};

static const char *const code_names[STORE_CODE_COUNT] = {
	"ok", "not_found", "conflict", "unavailable", "invalid", "internal",
};

#define CASE_COLS							\
	"id, order_ref, channel, declared_name, id_number, id_number_hash, " \
	"callback_url, token_hash, token_expires_at, state, created_at, " \
	"updated_at, submitted_at, retry_at, attempts_front, attempts_back, " \
	"attempts_holding, accepted_front, accepted_back, accepted_holding, " \
	"lease_owner, lease_token, lease_expires_at, claims, decided_at, "  \
	"decision, reasons, kind, msisdn, dealer"

#define OUTBOX_COLS							\
	"id, case_id, event, url, state, attempts, next_attempt_at, "	\
	"lease_token, lease_expires_at, created_at, delivered_at, payload"

/* Due work: submitted, parked and due, or held under a lease that ran out. */
#define CASE_DUE							\
	"(state = 'SUBMITTED' OR (state = 'PARKED' AND retry_at <= $1) OR " \
	"(state = 'PROCESSING' AND lease_expires_at <= $1))"

struct migration {
	int	version;
	char	name[128];
};

static int	audit_append_tx(struct store *, const char *, const char *,
		    const char *, const char *, int64_t);
static void	audit_hash(const char *, int64_t, int64_t, const char *,
		    const char *, const char *, const char *, char *);
static void	hash_field(crypto_hash_sha256_state *, const char *);
static int	case_from_row(struct store *, const struct sres *, size_t,
		    struct store_case *);
static int	outbox_from_row(struct store *, const struct sres *, size_t,
		    struct store_outbox *);
static int	name_index(const char *const *, int, const char *);
static int	check_hex64(struct store *, const char *, const char *);
static int	lease_lost(struct store *, const char *, const char *,
		    const char *);
static int	migration_list(struct store *, const char *,
		    struct migration *, size_t *);
static int	migration_cmp(const void *, const void *);
static int	migration_apply(struct store *, const char *,
		    const struct migration *, int *);
static char	*file_read(struct store *, const char *, size_t *);
static void	floats_pack(const float *, size_t, unsigned char *);
static double	cosine_packed(const float *, const unsigned char *, size_t);

/*
 * Handles, errors, helpers.
 */

int
store_open(struct store **out, const char *url)
{
	struct store	*h;

	*out = NULL;
	if (url == NULL || *url == '\0')
		url = STORE_DEFAULT_URL;
	if (sodium_init() == -1)
		return (-1);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (-1);
	*out = h;

	/* Never echo the URL: it may hold a password. */
	if (!strncmp(url, "sqlite:", 7)) {
		h->be = &store_backend_sqlite;
		return (h->be->open(h, url + 7));
	}
	if (!strncmp(url, "postgresql://", 13) ||
	    !strncmp(url, "postgres://", 11) || strchr(url, '=') != NULL) {
		h->be = &store_backend_pg;
		return (h->be->open(h, url));
	}
	return (store_fail(h, STORE_INVALID, "store URL: expected sqlite:PATH, "
	    "postgresql://... or a libpq conninfo"));
}

void
store_close(struct store *h)
{
	if (h == NULL)
		return;
	if (h->be != NULL) {
		if (h->in_tx)
			h->be->rollback(h);
		h->be->close(h);
	}
	free(h);
}

enum store_code
store_errcode(const struct store *h)
{
	return (h != NULL ? h->code : STORE_UNAVAILABLE);
}

const char *
store_error(const struct store *h)
{
	return (h != NULL ? h->err : "store: no handle (out of memory)");
}

const char *
store_code_name(enum store_code code)
{
	if ((unsigned)code >= STORE_CODE_COUNT)
		return ("unknown");
	return (code_names[code]);
}

const char *
store_backend(const struct store *h)
{
	return (h != NULL && h->be != NULL ? h->be->name : "none");
}

int
store_fail(struct store *h, enum store_code code, const char *fmt, ...)
{
	va_list	ap;

	h->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return (-1);
}

void
store_res_free(struct sres *res)
{
	size_t	i;

	if (res->cells != NULL) {
		for (i = 0; i < res->nrows * res->ncols; i++)
			free(res->cells[i].p);
	}
	free(res->cells);
	memset(res, 0, sizeof(*res));
}

const struct scell *
store_res_cell(const struct sres *res, size_t row, size_t col)
{
	return (&res->cells[row * res->ncols + col]);
}

int
store_ping(struct store *h)
{
	if (h->be == NULL)
		return (store_fail(h, STORE_INVALID, "store: no backend"));
	if (store_q(h, h->be->ping_sql, NULL, 0, NULL, NULL) == -1) {
		/* Whatever the cause, a failed ping means not ready. */
		h->code = STORE_UNAVAILABLE;
		return (-1);
	}
	return (0);
}

int64_t
store_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
store_id_number_hash(const unsigned char *key, size_t keylen,
    const char *id_number, char out[STORE_HASH_HEX_LEN + 1])
{
	unsigned char	mac[32];

	if (key == NULL || keylen < crypto_generichash_KEYBYTES_MIN ||
	    keylen > crypto_generichash_KEYBYTES_MAX || id_number == NULL)
		return (-1);
	if (crypto_generichash(mac, sizeof(mac),
	    (const unsigned char *)id_number, strlen(id_number), key,
	    keylen) != 0)
		return (-1);
	(void)sodium_bin2hex(out, STORE_HASH_HEX_LEN + 1, mac, sizeof(mac));
	return (0);
}

const char *
store_state_name(enum store_state s)
{
	if ((unsigned)s >= STORE_STATE_COUNT)
		return ("UNKNOWN");
	return (state_names[s]);
}

int
store_state_parse(const char *text, enum store_state *out)
{
	int	i;

	if ((i = name_index(state_names, STORE_STATE_COUNT, text)) == -1)
		return (-1);
	*out = (enum store_state)i;
	return (0);
}

const char *
store_side_name(enum store_side s)
{
	if ((unsigned)s >= STORE_SIDE_COUNT)
		return ("unknown");
	return (side_names[s]);
}

int
store_side_parse(const char *text, enum store_side *out)
{
	int	i;

	if ((i = name_index(side_names, STORE_SIDE_COUNT, text)) == -1)
		return (-1);
	*out = (enum store_side)i;
	return (0);
}

const char *
store_case_kind_name(enum store_case_kind k)
{
	if ((unsigned)k >= STORE_KIND_COUNT)
		return ("unknown");
	return (kind_names[k]);
}

int
store_case_kind_parse(const char *text, enum store_case_kind *out)
{
	int	i;

	if ((i = name_index(kind_names, STORE_KIND_COUNT, text)) == -1)
		return (-1);
	*out = (enum store_case_kind)i;
	return (0);
}

int
store_msisdn_valid(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != 11 || s[0] != '1')
		return (0);
	for (i = 0; i < 11; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (1);
}

/* The index of text in a table of names, or -1. */
static int
name_index(const char *const *names, int n, const char *text)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (!strcmp(text, names[i]))
			return (i);
	}
	return (-1);
}

/*
 * Migrations.
 */

int
store_migrate(struct store *h, const char *dir, int *applied)
{
	struct migration	*list;
	size_t			 n, i;
	int			 count, ret;
	struct sres		 res;

	if (applied != NULL)
		*applied = 0;
	if (dir == NULL)
		return (store_fail(h, STORE_INVALID, "migrate: no directory"));
	if ((list = calloc(MIGRATIONS_MAX, sizeof(*list))) == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "migrate: out of "
		    "memory"));
	ret = -1;
	if (migration_list(h, dir, list, &n) == -1)
		goto cleanup;
	if (n == 0 || list[n - 1].version < STORE_SCHEMA_VERSION) {
		(void)store_fail(h, STORE_INVALID, "migrate: %s/%s stops at "
		    "version %d, this code needs %d", dir, h->be->name,
		    n == 0 ? 0 : list[n - 1].version, STORE_SCHEMA_VERSION);
		goto cleanup;
	}

	/*
	 * Usually the table is there: then no DDL at all, so that a role
	 * without CREATE (deploy/postgresql-setup's service role) starts
	 * the service on a schema its owner migrated.  Two nodes starting
	 * at once must not both create the table.
	 */
	if (store_q(h, "SELECT count(*) FROM schema_migrations", NULL, 0, &res,
	    NULL) == 0)
		store_res_free(&res);
	else if (store_tx_begin(h) == -1)
		goto cleanup;
	else if (h->be->lock(h, LOCK_MIGRATE) == -1 ||
	    h->be->script(h, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "sha256 TEXT NOT NULL, applied_at BIGINT NOT NULL)") == -1) {
		(void)store_tx_abort(h);
		goto cleanup;
	} else if (store_tx_commit(h) == -1)
		goto cleanup;

	count = 0;
	for (i = 0; i < n; i++) {
		if (migration_apply(h, dir, &list[i], &count) == -1)
			goto cleanup;
	}
	if (store_q(h, "SELECT max(version) FROM schema_migrations", NULL, 0,
	    &res, NULL) == -1)
		goto cleanup;
	if (res.nrows != 1 || store_cell_int(&res, 0,
	    0) < STORE_SCHEMA_VERSION) {
		store_res_free(&res);
		(void)store_fail(h, STORE_INTERNAL, "migrate: schema still "
		    "short of version %d", STORE_SCHEMA_VERSION);
		goto cleanup;
	}
	store_res_free(&res);
	if (applied != NULL)
		*applied = count;
	ret = 0;

cleanup:
	free(list);
	return (ret);
}

/*
 * Cases.
 */

int
store_case_create(struct store *h, const struct store_case_new *c,
    int64_t now, char id_out[STORE_ID_LEN + 1])
{
	struct sval	p[13];
	char		id[STORE_ID_LEN + 1];
	const char	*msisdn, *dealer;

	msisdn = c->msisdn != NULL && *c->msisdn != '\0' ? c->msisdn : NULL;
	if ((unsigned)c->kind >= STORE_KIND_COUNT)
		return (store_fail(h, STORE_INVALID, "case: unknown kind"));
	if (msisdn != NULL && !store_msisdn_valid(msisdn))
		return (store_fail(h, STORE_INVALID, "msisdn: not 11 digits "
		    "starting with 1"));
	if (c->kind == STORE_KIND_REREGISTRATION && msisdn == NULL)
		return (store_fail(h, STORE_INVALID, "msisdn: missing (a "
		    "re-registration names its number)"));
	/* The service requires a registered dealer; '' is an old row. */
	dealer = c->dealer != NULL ? c->dealer : "";
	if (strlen(dealer) >= STORE_DEALER_MAX)
		return (store_fail(h, STORE_INVALID, "dealer: too long"));
	if (store_check_text(h, c->order_ref, STORE_ORDER_REF_MAX, "order_ref")
	    || store_check_text(h, c->channel, STORE_CHANNEL_MAX, "channel")
	    || store_check_text(h, c->declared_name, STORE_NAME_MAX,
	    "declared_name") || store_check_text(h, c->id_number,
	    STORE_ID_NUMBER_MAX, "id_number") || check_hex64(h,
	    c->id_number_hash, "id_number_hash") || store_check_text(h,
	    c->callback_url, STORE_URL_MAX, "callback_url") || check_hex64(h,
	    c->token_hash, "token_hash"))
		return (-1);
	if (c->token_expires_at <= now)
		return (store_fail(h, STORE_INVALID, "case: token expires "
		    "before it is issued"));
	if (store_new_id(h, id) == -1)
		return (-1);

	p[0] = store_sv_text(id);
	p[1] = store_sv_text(c->order_ref);
	p[2] = store_sv_text(c->channel);
	p[3] = store_sv_text(c->declared_name);
	p[4] = store_sv_text(c->id_number);
	p[5] = store_sv_text(c->id_number_hash);
	p[6] = store_sv_text(c->callback_url);
	p[7] = store_sv_text(c->token_hash);
	p[8] = store_sv_int(c->token_expires_at);
	p[9] = store_sv_int(now);
	p[10] = store_sv_text(kind_names[c->kind]);
	p[11] = store_sv_text(msisdn);
	p[12] = store_sv_text(dealer);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h,
	    "INSERT INTO cases (id, order_ref, channel, declared_name, "
	    "id_number, id_number_hash, callback_url, token_hash, "
	    "token_expires_at, state, created_at, updated_at, kind, msisdn, "
	    "dealer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'OPEN', $10, "
	    "$10, $11, $12, $13)", p, 13, NULL, NULL) == -1 ||
	    audit_append_tx(h, id, "store", "case.created",
	    "{\"to\":\"OPEN\"}", now) == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1)
		return (-1);
	memcpy(id_out, id, sizeof(id));
	return (0);
}

int
store_case_get(struct store *h, const char *id, struct store_case *out)
{
	struct sres	res;
	struct sval	p[1];
	int		ret;

	memset(out, 0, sizeof(*out));
	if (store_check_id(h, id) == -1)
		return (-1);
	p[0] = store_sv_text(id);
	if (store_q(h, "SELECT " CASE_COLS " FROM cases WHERE id = $1", p, 1,
	    &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0)
		ret = store_fail(h, STORE_NOT_FOUND, "case not found");
	else
		ret = case_from_row(h, &res, 0, out);
	store_res_free(&res);
	return (ret);
}

void
store_case_release(struct store_case *c)
{
	free(c->decision);
	free(c->reasons);
	c->decision = NULL;
	c->reasons = NULL;
}

int
store_case_count_attempt(struct store *h, const char *id,
    enum store_side side, int limit, int64_t now, int *attempts)
{
	struct sres	 res;
	struct sval	 p[2];
	char		 sql[256];
	enum store_state st;
	int64_t		 n;

	if ((unsigned)side >= STORE_SIDE_COUNT || limit < 1)
		return (store_fail(h, STORE_INVALID, "attempt: bad side or "
		    "limit"));
	if (store_check_id(h, id) == -1)
		return (-1);
	p[0] = store_sv_text(id);
	p[1] = store_sv_int(now);
	if (store_tx_begin(h) == -1)
		return (-1);
	(void)snprintf(sql, sizeof(sql), "SELECT state, %s FROM cases "
	    "WHERE id = $1", side_attempts[side]);
	if (store_q(h, sql, p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "case not found"));
	}
	if (store_state_parse(store_res_cell(&res, 0, 0)->p, &st) == -1)
		st = STORE_STATE_COUNT;
	n = store_cell_int(&res, 0, 1);
	store_res_free(&res);
	if (st != STORE_STATE_OPEN) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "case is %s, not OPEN",
		    store_state_name(st)));
	}
	if (n >= limit) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "attempt limit %d "
		    "reached on side %s", limit, side_names[side]));
	}
	(void)snprintf(sql, sizeof(sql), "UPDATE cases SET %s = %s + 1, "
	    "updated_at = $2 WHERE id = $1", side_attempts[side],
	    side_attempts[side]);
	if (store_q(h, sql, p, 2, NULL, NULL) == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1)
		return (-1);
	if (attempts != NULL)
		*attempts = (int)n + 1;
	return (0);
}

int
store_case_transition(struct store *h, const char *id, enum store_state from,
    enum store_state to, const char *actor, int64_t now)
{
	struct sres	 res;
	struct sval	 p[4];
	char		 detail[96];
	enum store_state st;
	int64_t		 changes;
	int		 complete, i;

	if ((unsigned)from >= STORE_STATE_COUNT ||
	    (unsigned)to >= STORE_STATE_COUNT || from == to)
		return (store_fail(h, STORE_INVALID, "transition: bad states"));
	/* Leased states move only through claim, decide and park. */
	if (from == STORE_STATE_PROCESSING || to == STORE_STATE_PROCESSING ||
	    to == STORE_STATE_PARKED)
		return (store_fail(h, STORE_INVALID, "transition: %s -> %s "
		    "needs a lease", state_names[from], state_names[to]));
	if (store_check_id(h, id) == -1 ||
	    store_check_text(h, actor, STORE_OWNER_MAX, "actor") == -1)
		return (-1);

	p[0] = store_sv_text(id);
	p[1] = store_sv_text(state_names[to]);
	p[2] = store_sv_int(now);
	p[3] = store_sv_text(state_names[from]);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "SELECT state, accepted_front, accepted_back, "
	    "accepted_holding FROM cases WHERE id = $1", p, 1, &res,
	    NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "case not found"));
	}
	if (store_state_parse(store_res_cell(&res, 0, 0)->p, &st) == -1)
		st = STORE_STATE_COUNT;
	complete = 1;
	for (i = 0; i < STORE_SIDE_COUNT; i++)
		complete &= store_cell_int(&res, 0, 1 + (size_t)i) == 1;
	store_res_free(&res);
	if (st != from) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "case is %s, not %s",
		    store_state_name(st), state_names[from]));
	}
	if (to == STORE_STATE_SUBMITTED && !complete) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "not all three sides "
		    "are accepted"));
	}
	if (store_q(h, to == STORE_STATE_SUBMITTED ?
	    "UPDATE cases SET state = $2, updated_at = $3, submitted_at = $3, "
	    "queued_at = $3 WHERE id = $1 AND state = $4" :
	    "UPDATE cases SET state = $2, updated_at = $3 "
	    "WHERE id = $1 AND state = $4", p, 4, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "case left %s",
		    state_names[from]));
	}
	(void)snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":"
	    "\"%s\"}", state_names[from], state_names[to]);
	if (audit_append_tx(h, id, actor, "case.state", detail, now) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

int
store_case_expire(struct store *h, int64_t now, int limit, int64_t *expired)
{
	struct sres	res;
	struct sval	p[3];
	char		sql[256], id[STORE_ID_LEN + 1];
	int64_t		changes, n;
	size_t		i;

	if (expired != NULL)
		*expired = 0;
	if (limit < 1)
		return (store_fail(h, STORE_INVALID, "expire: limit < 1"));
	(void)snprintf(sql, sizeof(sql), "SELECT id FROM cases WHERE "
	    "state = 'OPEN' AND token_expires_at <= $1 ORDER BY "
	    "token_expires_at, id LIMIT $2%s", h->be->claim_lock);
	p[0] = store_sv_int(now);
	p[1] = store_sv_int(limit);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, sql, p, 2, &res, NULL) == -1)
		return (store_tx_abort(h));
	n = 0;
	for (i = 0; i < res.nrows; i++) {
		if (store_cell_copy(h, &res, i, 0, id, sizeof(id), "id") == -1)
			goto fail;
		p[2] = store_sv_text(id);
		if (store_q(h,
		    "UPDATE cases SET state = 'EXPIRED', updated_at = $1 "
		    "WHERE id = $3 AND state = 'OPEN'", p, 3, NULL,
		    &changes) == -1)
			goto fail;
		if (changes != 1)
			continue;
		if (audit_append_tx(h, id, "store", "case.state",
		    "{\"from\":\"OPEN\",\"to\":\"EXPIRED\"}", now) == -1)
			goto fail;
		n++;
	}
	store_res_free(&res);
	if (store_tx_commit(h) == -1)
		return (-1);
	if (expired != NULL)
		*expired = n;
	return (0);

fail:
	store_res_free(&res);
	return (store_tx_abort(h));
}

int
store_case_count_by_number(struct store *h, const char *id_number_hash,
    enum store_state state, const char *case_id, int64_t *count)
{
	struct sres	res;
	struct sval	p[3];

	if (check_hex64(h, id_number_hash, "id_number_hash") == -1 ||
	    (unsigned)state >= STORE_STATE_COUNT)
		return (-1);
	p[0] = store_sv_text(id_number_hash);
	p[1] = store_sv_text(state_names[state]);
	p[2] = store_sv_text(case_id != NULL ? case_id : "");
	if (store_q(h,
	    "SELECT count(*) FROM cases WHERE id_number_hash = $1 AND "
	    "state = $2 AND id <> $3", p, 3, &res, NULL) == -1)
		return (-1);
	*count = res.nrows == 1 ? store_cell_int(&res, 0, 0) : 0;
	store_res_free(&res);
	return (0);
}

/*
 * Numbers an identity holds (the per-ID cap), dealers, subscriber
 * imports.
 */

/*
 * A number held is a subscriber_numbers row (imported, or recorded by
 * an approved case); an approved case that names no number (old rows,
 * new orders without a number) is a line the identity holds by itself.
 * An approved case naming a number counts through its row only, so a
 * number re-registered later by its real holder leaves this identity.
 */
int
store_numbers_held(struct store *h, const char *id_number_hash,
    const char *except_msisdn, const char *except_case_id, int64_t *count)
{
	struct sres	res;
	struct sval	p[3];

	*count = 0;
	if (check_hex64(h, id_number_hash, "id_number_hash") == -1)
		return (-1);
	p[0] = store_sv_text(id_number_hash);
	p[1] = store_sv_text(except_msisdn != NULL ? except_msisdn : "");
	p[2] = store_sv_text(except_case_id != NULL ? except_case_id : "");
	if (store_q(h,
	    "SELECT (SELECT count(*) FROM cases WHERE id_number_hash = $1 AND "
	    "state = 'APPROVED' AND id <> $3 AND (msisdn IS NULL OR "
	    "msisdn = '')) + (SELECT count(*) FROM subscriber_numbers WHERE "
	    "id_number_hash = $1 AND msisdn <> $2 AND (case_id IS NULL OR "
	    "case_id <> $3))", p, 3, &res, NULL) == -1)
		return (-1);
	*count = res.nrows == 1 ? store_cell_int(&res, 0, 0) : 0;
	store_res_free(&res);
	return (0);
}

/* Inside the decision's transaction: the approved case's number. */
int
store_subscriber_record_tx(struct store *h, const char *case_id,
    int64_t now)
{
	struct sval	p[2];

	p[0] = store_sv_text(case_id);
	p[1] = store_sv_int(now);
	return (store_q(h,
	    "INSERT INTO subscriber_numbers (msisdn, id_number_hash, source, "
	    "case_id, created_at) SELECT msisdn, id_number_hash, 'case', id, "
	    "$2 FROM cases WHERE id = $1 AND msisdn IS NOT NULL AND "
	    "msisdn <> '' ON CONFLICT (msisdn) DO UPDATE SET "
	    "id_number_hash = excluded.id_number_hash, source = 'case', "
	    "case_id = excluded.case_id, created_at = excluded.created_at",
	    p, 2, NULL, NULL));
}

/* Codes and channels are printed, audited and put in URLs: plain. */
static int
check_code(struct store *h, const char *s, size_t max, const char *what)
{
	size_t	i;

	if (store_check_text(h, s, max, what) == -1)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return (store_fail(h, STORE_INVALID, "%s: only "
			    "letters, digits, '-', '_' and '.'", what));
	}
	return (0);
}

static int
dealer_from_row(struct store *h, const struct sres *res, size_t r,
    struct store_dealer *d)
{
	memset(d, 0, sizeof(*d));
	if (store_cell_copy(h, res, r, 0, d->code, sizeof(d->code),
	    "code") == -1 || store_cell_copy(h, res, r, 1, d->channel,
	    sizeof(d->channel), "channel") == -1 || store_cell_copy(h, res, r,
	    2, d->name, sizeof(d->name), "name") == -1)
		return (-1);
	d->active = store_cell_int(res, r, 3) != 0;
	d->created_at = store_cell_int(res, r, 4);
	d->updated_at = store_cell_int(res, r, 5);
	return (0);
}

int
store_dealer_add(struct store *h, const char *code, const char *channel,
    const char *name, const char *actor, int64_t now)
{
	struct sval	p[4];
	char		detail[256];
	int64_t		changes;

	if (check_code(h, code, STORE_DEALER_MAX, "dealer code") == -1 ||
	    check_code(h, channel, STORE_CHANNEL_MAX, "channel") == -1 ||
	    store_check_text(h, name, STORE_DEALER_NAME_MAX, "dealer name") ==
	    -1 || store_check_text(h, actor, STORE_OWNER_MAX, "actor") == -1)
		return (-1);
	p[0] = store_sv_text(code);
	p[1] = store_sv_text(channel);
	p[2] = store_sv_text(name);
	p[3] = store_sv_int(now);
	(void)snprintf(detail, sizeof(detail), "{\"code\":\"%s\","
	    "\"channel\":\"%s\"}", code, channel);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "INSERT INTO dealers (code, channel, name, active, "
	    "created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4) "
	    "ON CONFLICT (code) DO NOTHING", p, 4, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "dealer %s already "
		    "exists", code));
	}
	if (audit_append_tx(h, NULL, actor, "dealer.added", detail, now) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

int
store_dealer_get(struct store *h, const char *code, struct store_dealer *out)
{
	struct sres	res;
	struct sval	p[1];
	int		ret;

	memset(out, 0, sizeof(*out));
	if (store_check_text(h, code, STORE_DEALER_MAX, "dealer code") == -1)
		return (store_fail(h, STORE_NOT_FOUND, "dealer not found"));
	p[0] = store_sv_text(code);
	if (store_q(h, "SELECT code, channel, name, active, created_at, "
	    "updated_at FROM dealers WHERE code = $1", p, 1, &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0)
		ret = store_fail(h, STORE_NOT_FOUND, "dealer not found");
	else
		ret = dealer_from_row(h, &res, 0, out);
	store_res_free(&res);
	return (ret);
}

int
store_dealer_list(struct store *h, struct store_dealer **out, size_t *n)
{
	struct sres	res;
	size_t		i;

	*out = NULL;
	*n = 0;
	if (store_q(h, "SELECT code, channel, name, active, created_at, "
	    "updated_at FROM dealers ORDER BY code", NULL, 0, &res,
	    NULL) == -1)
		return (-1);
	if (res.nrows > 0 && (*out = calloc(res.nrows,
	    sizeof(**out))) == NULL) {
		store_res_free(&res);
		return (store_fail(h, STORE_INTERNAL, "out of memory"));
	}
	for (i = 0; i < res.nrows; i++) {
		if (dealer_from_row(h, &res, i, &(*out)[i]) == -1) {
			store_res_free(&res);
			free(*out);
			*out = NULL;
			return (-1);
		}
	}
	*n = res.nrows;
	store_res_free(&res);
	return (0);
}

int
store_dealer_set_active(struct store *h, const char *code, int active,
    const char *actor, int64_t now)
{
	struct sval	p[3];
	char		detail[160];
	int64_t		changes;

	if (check_code(h, code, STORE_DEALER_MAX, "dealer code") == -1)
		return (store_fail(h, STORE_NOT_FOUND, "dealer not found"));
	if (store_check_text(h, actor, STORE_OWNER_MAX, "actor") == -1)
		return (-1);
	p[0] = store_sv_text(code);
	p[1] = store_sv_int(active ? 1 : 0);
	p[2] = store_sv_int(now);
	(void)snprintf(detail, sizeof(detail), "{\"code\":\"%s\"}", code);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "UPDATE dealers SET active = $2, updated_at = $3 "
	    "WHERE code = $1", p, 3, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "dealer not found"));
	}
	if (audit_append_tx(h, NULL, actor, active ? "dealer.enabled" :
	    "dealer.disabled", detail, now) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

int
store_subscribers_import(struct store *h, const struct store_subscriber *rows,
    size_t n, const char *actor, int64_t now, int64_t *added, int64_t *kept,
    int64_t *moved)
{
	struct sres	res;
	struct sval	p[3];
	char		detail[160];
	int64_t		a = 0, k = 0, m = 0;
	size_t		i;

	if (store_check_text(h, actor, STORE_OWNER_MAX, "actor") == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (!store_msisdn_valid(rows[i].msisdn))
			return (store_fail(h, STORE_INVALID, "row %zu: msisdn "
			    "is not 11 digits starting with 1", i + 1));
		if (check_hex64(h, rows[i].id_number_hash,
		    "id_number_hash") == -1)
			return (store_fail(h, STORE_INVALID, "row %zu: bad ID "
			    "number hash", i + 1));
	}
	if (store_tx_begin(h) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		p[0] = store_sv_text(rows[i].msisdn);
		p[1] = store_sv_text(rows[i].id_number_hash);
		p[2] = store_sv_int(now);
		if (store_q(h, "SELECT id_number_hash FROM subscriber_numbers "
		    "WHERE msisdn = $1", p, 1, &res, NULL) == -1)
			return (store_tx_abort(h));
		if (res.nrows == 1 && !strcmp(store_res_cell(&res, 0, 0)->p,
		    rows[i].id_number_hash)) {
			store_res_free(&res);
			k++;
			continue;
		}
		if (res.nrows == 1)
			m++;
		else
			a++;
		store_res_free(&res);
		if (store_q(h, "INSERT INTO subscriber_numbers (msisdn, "
		    "id_number_hash, source, case_id, created_at) VALUES ($1, "
		    "$2, 'import', NULL, $3) ON CONFLICT (msisdn) DO UPDATE SET "
		    "id_number_hash = excluded.id_number_hash, source = "
		    "'import', case_id = NULL, created_at = excluded.created_at",
		    p, 3, NULL, NULL) == -1)
			return (store_tx_abort(h));
	}
	(void)snprintf(detail, sizeof(detail), "{\"rows\":%zu,\"added\":%lld,"
	    "\"kept\":%lld,\"moved\":%lld}", n, (long long)a, (long long)k,
	    (long long)m);
	if (audit_append_tx(h, NULL, actor, "subscribers.imported", detail,
	    now) == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1)
		return (-1);
	if (added != NULL)
		*added = a;
	if (kept != NULL)
		*kept = k;
	if (moved != NULL)
		*moved = m;
	return (0);
}

int
store_subscribers_count(struct store *h, const char *id_number_hash,
    int64_t *count)
{
	struct sres	res;
	struct sval	p[1];

	*count = 0;
	if (check_hex64(h, id_number_hash, "id_number_hash") == -1)
		return (-1);
	p[0] = store_sv_text(id_number_hash);
	if (store_q(h, "SELECT count(*) FROM subscriber_numbers WHERE "
	    "id_number_hash = $1", p, 1, &res, NULL) == -1)
		return (-1);
	*count = res.nrows == 1 ? store_cell_int(&res, 0, 0) : 0;
	store_res_free(&res);
	return (0);
}

/*
 * Images.
 */

int
store_image_put(struct store *h, const char *case_id, enum store_side side,
    const void *data, size_t len, const char *plain_sha256,
    const char *key_id, const char *figures, int64_t now)
{
	struct sres	 res;
	struct sval	 p[8];
	char		 sql[128], detail[160];
	enum store_state st;

	if ((unsigned)side >= STORE_SIDE_COUNT || data == NULL || len == 0)
		return (store_fail(h, STORE_INVALID, "image: bad side or "
		    "empty data"));
	if (store_check_id(h, case_id) == -1 ||
	    check_hex64(h, plain_sha256, "plain_sha256") == -1 ||
	    store_check_text(h, key_id, STORE_KEY_ID_MAX, "key_id") == -1 ||
	    store_check_text(h, figures, SIZE_MAX, "figures") == -1)
		return (-1);

	p[0] = store_sv_text(case_id);
	p[1] = store_sv_text(side_names[side]);
	p[2] = store_sv_blob(data, len);
	p[3] = store_sv_text(plain_sha256);
	p[4] = store_sv_text(key_id);
	p[5] = store_sv_text(figures);
	p[6] = store_sv_int((int64_t)len);
	p[7] = store_sv_int(now);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "SELECT state FROM cases WHERE id = $1", p, 1, &res,
	    NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "case not found"));
	}
	if (store_state_parse(store_res_cell(&res, 0, 0)->p, &st) == -1)
		st = STORE_STATE_COUNT;
	store_res_free(&res);
	if (st != STORE_STATE_OPEN) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "case is %s, not OPEN",
		    store_state_name(st)));
	}
	(void)snprintf(sql, sizeof(sql), "UPDATE cases SET %s = 1, "
	    "updated_at = $8 WHERE id = $1", side_accepted[side]);
	(void)snprintf(detail, sizeof(detail), "{\"side\":\"%s\","
	    "\"sha256\":\"%s\"}", side_names[side], plain_sha256);
	if (store_q(h, "INSERT INTO images (case_id, side, data, plain_sha256, "
	    "key_id, figures, byte_len, created_at) VALUES ($1, $2, $3, $4, "
	    "$5, $6, $7, $8) ON CONFLICT (case_id, side) DO UPDATE SET "
	    "data = excluded.data, plain_sha256 = excluded.plain_sha256, "
	    "key_id = excluded.key_id, figures = excluded.figures, "
	    "byte_len = excluded.byte_len, created_at = excluded.created_at, "
	    "purged_at = NULL", p, 8, NULL, NULL) == -1 ||
	    store_q(h, sql, p, 8, NULL, NULL) == -1 ||
	    audit_append_tx(h, case_id, "store", "image.stored", detail,
	    now) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

int
store_image_get(struct store *h, const char *case_id, enum store_side side,
    struct store_image *out)
{
	struct sres		 res;
	struct sval		 p[2];
	const struct scell	*c;
	int			 ret;

	memset(out, 0, sizeof(*out));
	if ((unsigned)side >= STORE_SIDE_COUNT)
		return (store_fail(h, STORE_INVALID, "image: bad side"));
	if (store_check_id(h, case_id) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_text(side_names[side]);
	if (store_q(h,
	    "SELECT data, plain_sha256, key_id, figures, created_at, "
	    "purged_at FROM images WHERE case_id = $1 AND side = $2", p, 2,
	    &res, NULL) == -1)
		return (-1);
	ret = -1;
	if (res.nrows == 0) {
		(void)store_fail(h, STORE_NOT_FOUND, "image not found");
		goto cleanup;
	}
	out->side = side;
	c = store_res_cell(&res, 0, 0);
	if (!c->null) {
		/* Taken over from the result: no second copy of a photo. */
		out->data = (unsigned char *)c->p;
		out->len = c->len;
		res.cells[0].p = NULL;
	}
	if (store_cell_copy(h, &res, 0, 1, out->plain_sha256,
	    sizeof(out->plain_sha256), "plain_sha256") == -1 ||
	    store_cell_copy(h, &res, 0, 2, out->key_id, sizeof(out->key_id),
	    "key_id") == -1 ||
	    (out->figures = store_cell_dup(h, &res, 0, 3)) == NULL) {
		store_image_release(out);
		goto cleanup;
	}
	out->created_at = store_cell_int(&res, 0, 4);
	out->purged_at = store_cell_int(&res, 0, 5);
	ret = 0;

cleanup:
	store_res_free(&res);
	return (ret);
}

void
store_image_release(struct store_image *img)
{
	if (img->data != NULL)
		sodium_memzero(img->data, img->len);
	free(img->data);
	free(img->figures);
	img->data = NULL;
	img->figures = NULL;
}

int
store_image_purge(struct store *h, int64_t before, int64_t now,
    int64_t *purged)
{
	struct sval	p[2];

	p[0] = store_sv_int(before);
	p[1] = store_sv_int(now);
	return (store_q(h, "UPDATE images SET data = NULL, purged_at = $2 "
	    "WHERE created_at < $1 AND data IS NOT NULL", p, 2, NULL, purged));
}

int
store_image_find_reused(struct store *h, const char *case_id,
    const char *plain_sha256, char other_id[STORE_ID_LEN + 1])
{
	struct sres	res;
	struct sval	p[2];
	int		ret;

	if (store_check_id(h, case_id) == -1 ||
	    check_hex64(h, plain_sha256, "plain_sha256") == -1)
		return (-1);
	p[0] = store_sv_text(plain_sha256);
	p[1] = store_sv_text(case_id);
	if (store_q(h, "SELECT case_id FROM images WHERE plain_sha256 = $1 AND "
	    "case_id <> $2 ORDER BY created_at LIMIT 1", p, 2, &res,
	    NULL) == -1)
		return (-1);
	if (res.nrows == 0)
		ret = store_fail(h, STORE_NOT_FOUND, "no other case holds "
		    "this image");
	else
		ret = store_cell_copy(h, &res, 0, 0, other_id, STORE_ID_LEN + 1,
		    "case_id");
	store_res_free(&res);
	return (ret);
}

/*
 * Face embeddings.
 */

int
store_face_put(struct store *h, const char *case_id, const float *emb,
    size_t dims, int64_t now)
{
	struct sval	 p[4];
	unsigned char	*raw;
	int		 ret;

	if (emb == NULL || dims == 0 || dims > STORE_FACE_DIMS_MAX)
		return (store_fail(h, STORE_INVALID, "face: %zu dimensions",
		    dims));
	if (store_check_id(h, case_id) == -1)
		return (-1);
	if ((raw = malloc(dims * 4)) == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "face: out of "
		    "memory"));
	floats_pack(emb, dims, raw);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_int((int64_t)dims);
	p[2] = store_sv_blob(raw, dims * 4);
	p[3] = store_sv_int(now);
	ret = store_q(h, "INSERT INTO case_faces (case_id, dims, embedding, "
	    "created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO "
	    "UPDATE SET dims = excluded.dims, embedding = excluded.embedding, "
	    "created_at = excluded.created_at", p, 4, NULL, NULL);
	free(raw);
	return (ret);
}

int
store_face_find_similar(struct store *h, const char *case_id,
    const float *emb, size_t dims, double min_score,
    char other_id[STORE_ID_LEN + 1], double *score)
{
	struct sres		 res;
	struct sval		 p[2];
	const struct scell	*c;
	char			 after[STORE_ID_LEN + 1];
	double			 s, best;
	size_t			 i;

	if (emb == NULL || dims == 0 || dims > STORE_FACE_DIMS_MAX)
		return (store_fail(h, STORE_INVALID, "face: %zu dimensions",
		    dims));
	if (store_check_id(h, case_id) == -1)
		return (-1);
	best = -2.0;
	other_id[0] = '\0';
	after[0] = '\0';
	p[0] = store_sv_text(case_id);
	for (;;) {
		p[1] = store_sv_text(after);
		if (store_q(h, "SELECT f.case_id, f.dims, f.embedding FROM "
		    "case_faces f JOIN cases c ON c.id = f.case_id WHERE "
		    "f.case_id > $2 AND f.case_id <> $1 AND c.state NOT IN "
		    "('REJECTED', 'EXPIRED') AND c.id_number_hash <> (SELECT "
		    "id_number_hash FROM cases WHERE id = $1) ORDER BY "
		    "f.case_id LIMIT 256", p, 2, &res, NULL) == -1)
			return (-1);
		if (res.nrows == 0) {
			store_res_free(&res);
			break;
		}
		for (i = 0; i < res.nrows; i++) {
			c = store_res_cell(&res, i, 2);
			if ((size_t)store_cell_int(&res, i, 1) != dims ||
			    c->len != dims * 4)
				continue;
			s = cosine_packed(emb, (const unsigned char *)c->p,
			    dims);
			if (s > best) {
				best = s;
				(void)store_cell_copy(h, &res, i, 0, other_id,
				    STORE_ID_LEN + 1, "case_id");
			}
		}
		(void)store_cell_copy(h, &res, res.nrows - 1, 0, after,
		    sizeof(after), "case_id");
		store_res_free(&res);
	}
	if (other_id[0] == '\0' || best < min_score) {
		other_id[0] = '\0';
		return (store_fail(h, STORE_NOT_FOUND, "no similar face"));
	}
	*score = best;
	return (0);
}

/*
 * The case queue.
 */

int
store_case_claim(struct store *h, const char *owner, int64_t lease_ms,
    int64_t now, struct store_case *out)
{
	struct sres	res;
	struct sval	p[5];
	char		sql[512], token[STORE_ID_LEN + 1], id[STORE_ID_LEN + 1];
	char		detail[96];
	enum store_state from;
	int64_t		changes;
	int		ret;

	memset(out, 0, sizeof(*out));
	if (store_check_text(h, owner, STORE_OWNER_MAX, "owner") == -1)
		return (-1);
	if (lease_ms < 1)
		return (store_fail(h, STORE_INVALID, "claim: lease_ms < 1"));
	if (store_new_id(h, token) == -1)
		return (-1);

	(void)snprintf(sql, sizeof(sql), "SELECT id, state FROM cases WHERE "
	    CASE_DUE " ORDER BY queued_at, id LIMIT 1%s", h->be->claim_lock);
	p[0] = store_sv_int(now);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, sql, p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		if (store_tx_commit(h) == -1)
			return (-1);
		return (store_fail(h, STORE_NOT_FOUND, "no case is due"));
	}
	ret = store_cell_copy(h, &res, 0, 0, id, sizeof(id), "id");
	if (store_state_parse(store_res_cell(&res, 0, 1)->p, &from) == -1)
		from = STORE_STATE_COUNT;
	store_res_free(&res);
	if (ret == -1)
		return (store_tx_abort(h));

	p[1] = store_sv_text(owner);
	p[2] = store_sv_text(token);
	p[3] = store_sv_int(now + lease_ms);
	p[4] = store_sv_text(id);
	(void)snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":"
	    "\"PROCESSING\"}", store_state_name(from));
	/* Still due, re-checked: the row lock is what makes this hold. */
	if (store_q(h,
	    "UPDATE cases SET state = 'PROCESSING', lease_owner = $2, "
	    "lease_token = $3, lease_expires_at = $4, claims = claims + 1, "
	    "updated_at = $1 WHERE id = $5 AND " CASE_DUE, p, 5, NULL,
	    &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "claim: the case was "
		    "taken underneath"));
	}
	if (audit_append_tx(h, id, owner, "case.claimed", detail, now) == -1)
		return (store_tx_abort(h));
	p[0] = store_sv_text(id);
	if (store_q(h, "SELECT " CASE_COLS " FROM cases WHERE id = $1", p, 1,
	    &res, NULL) == -1)
		return (store_tx_abort(h));
	ret = res.nrows == 1 ? case_from_row(h, &res, 0, out) :
	    store_fail(h, STORE_INTERNAL, "claimed case vanished");
	store_res_free(&res);
	if (ret == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1) {
		store_case_release(out);
		return (-1);
	}
	return (0);
}

int
store_case_renew(struct store *h, const char *id, const char *lease_token,
    int64_t lease_ms, int64_t now)
{
	struct sval	p[4];
	int64_t		changes;

	if (store_check_id(h, id) == -1 || store_check_id(h, lease_token) == -1)
		return (-1);
	p[0] = store_sv_text(id);
	p[1] = store_sv_text(lease_token);
	p[2] = store_sv_int(now + lease_ms);
	p[3] = store_sv_int(now);
	if (store_q(h,
	    "UPDATE cases SET lease_expires_at = $3, updated_at = $4 "
	    "WHERE id = $1 AND state = 'PROCESSING' AND lease_token = $2",
	    p, 4, NULL, &changes) == -1)
		return (-1);
	if (changes != 1)
		return (lease_lost(h, "cases", id, "renew"));
	return (0);
}

int
store_case_decide(struct store *h, const char *id, const char *lease_token,
    enum store_state decision_state, const char *decision,
    const char *reasons, const struct store_outbox_new *ob, int64_t now,
    char outbox_id[STORE_ID_LEN + 1])
{
	struct sval	p[7];
	char		oid[STORE_ID_LEN + 1], detail[96];
	int64_t		changes;

	if (decision_state != STORE_STATE_APPROVED &&
	    decision_state != STORE_STATE_REJECTED &&
	    decision_state != STORE_STATE_REVIEW)
		return (store_fail(h, STORE_INVALID, "decide: %s is not a "
		    "decision", store_state_name(decision_state)));
	if (store_check_id(h, id) == -1 || store_check_id(h, lease_token) == -1
	    || store_check_text(h, decision, SIZE_MAX, "decision") == -1
	    || store_check_text(h, reasons, SIZE_MAX, "reasons") == -1 || ob ==
	    NULL || store_check_text(h, ob->event, STORE_EVENT_MAX, "event") ==
	    -1 || store_check_text(h, ob->url, STORE_URL_MAX, "url") == -1
	    || store_check_text(h, ob->payload, SIZE_MAX, "payload") == -1)
		return (-1);
	if (store_new_id(h, oid) == -1)
		return (-1);

	p[0] = store_sv_text(id);
	p[1] = store_sv_text(lease_token);
	p[2] = store_sv_text(state_names[decision_state]);
	p[3] = store_sv_text(decision);
	p[4] = store_sv_text(reasons);
	p[5] = store_sv_int(now);
	if (store_tx_begin(h) == -1)
		return (-1);
	/* The case first, so a failing outbox row proves the rollback. */
	if (store_q(h,
	    "UPDATE cases SET state = $3, decision = $4, reasons = $5, "
	    "decided_at = $6, updated_at = $6, lease_owner = NULL, "
	    "lease_token = NULL, lease_expires_at = NULL WHERE id = $1 AND "
	    "state = 'PROCESSING' AND lease_token = $2", p, 6, NULL,
	    &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (lease_lost(h, "cases", id, "decide"));
	}
	p[1] = store_sv_text(oid);
	p[2] = store_sv_text(ob->event);
	p[3] = store_sv_text(ob->url);
	p[4] = store_sv_text(ob->payload);
	(void)snprintf(detail, sizeof(detail), "{\"from\":\"PROCESSING\","
	    "\"to\":\"%s\"}", state_names[decision_state]);
	if (store_q(h, "INSERT INTO outbox (id, case_id, event, url, payload, "
	    "state, attempts, next_attempt_at, created_at) VALUES ($2, $1, "
	    "$3, $4, $5, 'PENDING', 0, $6, $6)", p, 6, NULL, NULL) == -1 ||
	    (decision_state == STORE_STATE_APPROVED &&
	    store_subscriber_record_tx(h, id, now) == -1) ||
	    audit_append_tx(h, id, "store", "case.decided", detail,
	    now) == -1 ||
	    /* QA sampling: decided with the decision (store_qa.h). */
	    store_qa_sample_tx(h, id, decision_state, now) == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1)
		return (-1);
	if (outbox_id != NULL)
		memcpy(outbox_id, oid, sizeof(oid));
	return (0);
}

int
store_case_park(struct store *h, const char *id, const char *lease_token,
    int64_t retry_at, const char *reasons, const char *decision, int64_t now)
{
	struct sval	p[6];
	int64_t		changes;

	if (store_check_id(h, id) == -1 || store_check_id(h, lease_token) == -1
	    || store_check_text(h, reasons, SIZE_MAX, "reasons") == -1
	    || store_check_text(h, decision, SIZE_MAX, "decision") == -1)
		return (-1);
	p[0] = store_sv_text(id);
	p[1] = store_sv_text(lease_token);
	p[2] = store_sv_int(retry_at);
	p[3] = store_sv_text(reasons);
	p[4] = store_sv_int(now);
	p[5] = store_sv_text(decision);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "UPDATE cases SET state = 'PARKED', retry_at = $3, "
	    "queued_at = $3, reasons = $4, updated_at = $5, decision = $6, "
	    "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL "
	    "WHERE id = $1 AND state = 'PROCESSING' AND lease_token = $2",
	    p, 6, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (lease_lost(h, "cases", id, "park"));
	}
	if (audit_append_tx(h, id, "store", "case.parked",
	    "{\"from\":\"PROCESSING\",\"to\":\"PARKED\"}", now) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

/*
 * The outbox.
 */

int
store_outbox_claim(struct store *h, const char *owner, int64_t lease_ms,
    int64_t now, struct store_outbox *out)
{
	struct sres	res;
	struct sval	p[5];
	char		sql[512], token[STORE_ID_LEN + 1], id[STORE_ID_LEN + 1];
	int64_t		changes;
	int		ret;

	memset(out, 0, sizeof(*out));
	if (store_check_text(h, owner, STORE_OWNER_MAX, "owner") == -1)
		return (-1);
	if (lease_ms < 1)
		return (store_fail(h, STORE_INVALID, "claim: lease_ms < 1"));
	if (store_new_id(h, token) == -1)
		return (-1);
	(void)snprintf(sql, sizeof(sql), "SELECT id FROM outbox WHERE "
	    "state = 'PENDING' AND next_attempt_at <= $1 AND "
	    "(lease_expires_at IS NULL OR lease_expires_at <= $1) "
	    "ORDER BY next_attempt_at, id LIMIT 1%s", h->be->claim_lock);
	p[0] = store_sv_int(now);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, sql, p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		if (store_tx_commit(h) == -1)
			return (-1);
		return (store_fail(h, STORE_NOT_FOUND, "no webhook is due"));
	}
	ret = store_cell_copy(h, &res, 0, 0, id, sizeof(id), "id");
	store_res_free(&res);
	if (ret == -1)
		return (store_tx_abort(h));
	p[1] = store_sv_text(owner);
	p[2] = store_sv_text(token);
	p[3] = store_sv_int(now + lease_ms);
	p[4] = store_sv_text(id);
	if (store_q(h, "UPDATE outbox SET lease_owner = $2, lease_token = $3, "
	    "lease_expires_at = $4 WHERE id = $5 AND state = 'PENDING' AND "
	    "(lease_expires_at IS NULL OR lease_expires_at <= $1)", p, 5,
	    NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "claim: the webhook was "
		    "taken underneath"));
	}
	p[0] = store_sv_text(id);
	if (store_q(h, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = $1", p, 1,
	    &res, NULL) == -1)
		return (store_tx_abort(h));
	ret = res.nrows == 1 ? outbox_from_row(h, &res, 0, out) :
	    store_fail(h, STORE_INTERNAL, "claimed webhook vanished");
	store_res_free(&res);
	if (ret == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1) {
		store_outbox_release(out);
		return (-1);
	}
	return (0);
}

int
store_outbox_get(struct store *h, const char *id, struct store_outbox *out)
{
	struct sres	res;
	struct sval	p[1];
	int		ret;

	memset(out, 0, sizeof(*out));
	if (store_check_id(h, id) == -1)
		return (-1);
	p[0] = store_sv_text(id);
	if (store_q(h, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = $1", p, 1,
	    &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0)
		ret = store_fail(h, STORE_NOT_FOUND, "webhook not found");
	else
		ret = outbox_from_row(h, &res, 0, out);
	store_res_free(&res);
	return (ret);
}

void
store_outbox_release(struct store_outbox *ob)
{
	free(ob->payload);
	ob->payload = NULL;
}

int
store_outbox_delivered(struct store *h, const char *id,
    const char *lease_token, int http_status, int64_t duration_ms,
    int64_t now)
{
	struct sval	p[6];
	int64_t		changes;

	if (store_check_id(h, id) == -1 || store_check_id(h, lease_token) == -1)
		return (-1);
	p[0] = store_sv_text(id);
	p[1] = store_sv_text(lease_token);
	p[2] = store_sv_int(now);
	p[3] = store_sv_int(http_status);
	p[4] = store_sv_int(duration_ms);
	p[5] = store_sv_text(NULL);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "UPDATE outbox SET state = 'DELIVERED', attempts = "
	    "attempts + 1, delivered_at = $3, last_status = $4, "
	    "last_error = NULL, lease_owner = NULL, lease_token = NULL, "
	    "lease_expires_at = NULL WHERE id = $1 AND state = 'PENDING' AND "
	    "lease_token = $2", p, 4, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (lease_lost(h, "outbox", id, "delivered"));
	}
	if (store_q(h, "INSERT INTO deliveries (outbox_id, attempt, at, "
	    "http_status, error, duration_ms) SELECT id, attempts, $3, $4, "
	    "$6, $5 FROM outbox WHERE id = $1", p, 6, NULL, NULL) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

int
store_outbox_retry(struct store *h, const char *id, const char *lease_token,
    int http_status, const char *error, int64_t duration_ms,
    int64_t next_attempt_at, int64_t now)
{
	struct sval	p[7];
	int64_t		changes;

	if (store_check_id(h, id) == -1 || store_check_id(h, lease_token) == -1)
		return (-1);
	p[0] = store_sv_text(id);
	p[1] = store_sv_text(lease_token);
	p[2] = store_sv_int(now);
	p[3] = store_sv_int(http_status);
	p[4] = store_sv_int(duration_ms);
	p[5] = store_sv_text(error);
	p[6] = store_sv_int(next_attempt_at);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, next_attempt_at == STORE_OUTBOX_RETRY_NEVER ?
	    "UPDATE outbox SET state = 'FAILED', attempts = attempts + 1, "
	    "last_status = $4, last_error = $6, lease_owner = NULL, "
	    "lease_token = NULL, lease_expires_at = NULL WHERE id = $1 AND "
	    "state = 'PENDING' AND lease_token = $2" :
	    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $7, "
	    "last_status = $4, last_error = $6, lease_owner = NULL, "
	    "lease_token = NULL, lease_expires_at = NULL WHERE id = $1 AND "
	    "state = 'PENDING' AND lease_token = $2", p, 7, NULL,
	    &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (lease_lost(h, "outbox", id, "retry"));
	}
	if (store_q(h, "INSERT INTO deliveries (outbox_id, attempt, at, "
	    "http_status, error, duration_ms) SELECT id, attempts, $3, $4, "
	    "$6, $5 FROM outbox WHERE id = $1", p, 6, NULL, NULL) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

int
store_outbox_resend(struct store *h, const char *case_id, int64_t now,
    int64_t *requeued)
{
	struct sval	p[2];
	int64_t		n;

	if (store_check_id(h, case_id) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_int(now);
	/* A row out for delivery right now keeps its lease. */
	if (store_q(h,
	    "UPDATE outbox SET state = 'PENDING', next_attempt_at = $2, "
	    "delivered_at = NULL WHERE case_id = $1 AND (state <> 'PENDING' "
	    "OR lease_token IS NULL)", p, 2, NULL, &n) == -1)
		return (-1);
	if (requeued != NULL)
		*requeued = n;
	return (0);
}

int
store_outbox_log_count(struct store *h, const char *id, int64_t *count)
{
	struct sres	res;
	struct sval	p[1];

	if (store_check_id(h, id) == -1)
		return (-1);
	p[0] = store_sv_text(id);
	if (store_q(h, "SELECT count(*) FROM deliveries WHERE outbox_id = $1",
	    p, 1, &res, NULL) == -1)
		return (-1);
	*count = res.nrows == 1 ? store_cell_int(&res, 0, 0) : 0;
	store_res_free(&res);
	return (0);
}

/*
 * Idempotency keys.
 */

int
store_idem_begin(struct store *h, const char *client, const char *key,
    const char *request_hash, int64_t now, struct store_idem *out)
{
	struct sres	res;
	struct sval	p[4];
	int64_t		changes;
	int		tries, ret;

	memset(out, 0, sizeof(*out));
	if (store_check_text(h, client, STORE_CLIENT_MAX, "client") == -1 ||
	    store_check_text(h, key, STORE_IDEM_KEY_MAX, "key") == -1 ||
	    check_hex64(h, request_hash, "request_hash") == -1)
		return (-1);
	p[0] = store_sv_text(client);
	p[1] = store_sv_text(key);
	p[2] = store_sv_text(request_hash);
	p[3] = store_sv_int(now);
	/*
	 * The unique key decides between concurrent first requests; a
	 * loser reads what the winner stored.  If the winner abandons in
	 * between, the loser tries again.
	 */
	for (tries = 0; tries < 3; tries++) {
		if (store_q(h, "INSERT INTO idempotency (client, idem_key, "
		    "request_hash, status, created_at) VALUES ($1, $2, $3, 0, "
		    "$4) ON CONFLICT (client, idem_key) DO NOTHING", p, 4,
		    NULL, &changes) == -1)
			return (-1);
		if (changes == 1) {
			out->fresh = 1;
			memcpy(out->request_hash, request_hash,
			    STORE_HASH_HEX_LEN + 1);
			return (0);
		}
		if (store_q(h, "SELECT request_hash, status, response FROM "
		    "idempotency WHERE client = $1 AND idem_key = $2", p, 2,
		    &res, NULL) == -1)
			return (-1);
		if (res.nrows == 0) {
			store_res_free(&res);
			continue;
		}
		ret = store_cell_copy(h, &res, 0, 0, out->request_hash,
		    sizeof(out->request_hash), "request_hash");
		out->status = (int)store_cell_int(&res, 0, 1);
		if (ret == 0 && !store_res_cell(&res, 0, 2)->null &&
		    (out->response = store_cell_dup(h, &res, 0, 2)) == NULL)
			ret = -1;
		store_res_free(&res);
		return (ret);
	}
	return (store_fail(h, STORE_CONFLICT, "idempotency key keeps "
	    "changing hands"));
}

int
store_idem_finish(struct store *h, const char *client, const char *key,
    int status, const char *response, int64_t now)
{
	struct sval	p[5];
	int64_t		changes;

	if (store_check_text(h, client, STORE_CLIENT_MAX, "client") == -1 ||
	    store_check_text(h, key, STORE_IDEM_KEY_MAX, "key") == -1 ||
	    store_check_text(h, response, SIZE_MAX, "response") == -1)
		return (-1);
	if (status < 100 || status > 599)
		return (store_fail(h, STORE_INVALID, "idempotency: status %d "
		    "is not HTTP", status));
	p[0] = store_sv_text(client);
	p[1] = store_sv_text(key);
	p[2] = store_sv_int(status);
	p[3] = store_sv_text(response);
	p[4] = store_sv_int(now);
	if (store_q(h, "UPDATE idempotency SET status = $3, response = $4, "
	    "completed_at = $5 WHERE client = $1 AND idem_key = $2 AND "
	    "status = 0", p, 5, NULL, &changes) == -1)
		return (-1);
	if (changes != 1)
		return (store_fail(h, STORE_CONFLICT, "idempotency key is not "
		    "running"));
	return (0);
}

int
store_idem_abandon(struct store *h, const char *client, const char *key)
{
	struct sval	p[2];

	if (store_check_text(h, client, STORE_CLIENT_MAX, "client") == -1 ||
	    store_check_text(h, key, STORE_IDEM_KEY_MAX, "key") == -1)
		return (-1);
	p[0] = store_sv_text(client);
	p[1] = store_sv_text(key);
	return (store_q(h, "DELETE FROM idempotency WHERE client = $1 AND "
	    "idem_key = $2 AND status = 0", p, 2, NULL, NULL));
}

int
store_idem_purge(struct store *h, int64_t before, int64_t *purged)
{
	struct sval	p[1];

	p[0] = store_sv_int(before);
	return (store_q(h, "DELETE FROM idempotency WHERE created_at < $1", p,
	    1, NULL, purged));
}

int
store_counter_add(struct store *h, const char *key, const char *day,
    int64_t amount, int64_t *value)
{
	struct sres	res;
	struct sval	p[3];

	if (strlen(key) == 0 || strlen(key) > 128 || strlen(day) == 0 ||
	    strlen(day) > 16)
		return (store_fail(h, STORE_INVALID,
		    "counter: bad key or day"));
	p[0] = store_sv_text(key);
	p[1] = store_sv_text(day);
	p[2] = store_sv_int(amount);
	if (store_q(h,
	    "INSERT INTO daily_counters (key, day, n) VALUES ($1, $2, $3) "
	    "ON CONFLICT (key, day) DO UPDATE SET n = daily_counters.n + $3 "
	    "RETURNING n", p, 3, &res, NULL) == -1)
		return (-1);
	*value = res.nrows == 1 ? store_cell_int(&res, 0, 0) : 0;
	store_res_free(&res);
	if (*value == 0)
		return (store_fail(h, STORE_INTERNAL, "counter: no row"));
	return (0);
}

void
store_idem_release(struct store_idem *idem)
{
	free(idem->response);
	idem->response = NULL;
}

/*
 * The audit chain.
 */

int
store_audit_append(struct store *h, const char *case_id, const char *actor,
    const char *event, const char *detail, int64_t now)
{
	if (store_tx_begin(h) == -1)
		return (-1);
	if (audit_append_tx(h, case_id, actor, event, detail, now) == -1)
		return (store_tx_abort(h));
	return (store_tx_commit(h));
}

int
store_audit_verify(struct store *h, struct store_audit_report *r)
{
	struct sres		 res;
	struct sval		 p[1];
	const struct scell	*c;
	char			 prev[STORE_HASH_HEX_LEN + 1];
	char			 hash[STORE_HASH_HEX_LEN + 1];
	int64_t			 last, seq;
	size_t			 i;

	memset(r, 0, sizeof(*r));
	memcpy(prev, ZERO_HASH, sizeof(prev));
	last = 0;
	for (;;) {
		p[0] = store_sv_int(last);
		if (store_q(h, "SELECT seq, created_at, case_id, actor, event, "
		    "detail, prev_hash, hash FROM audit WHERE seq > $1 "
		    "ORDER BY seq LIMIT 256", p, 1, &res, NULL) == -1)
			return (-1);
		if (res.nrows == 0) {
			store_res_free(&res);
			return (0);
		}
		for (i = 0; i < res.nrows; i++) {
			seq = store_cell_int(&res, i, 0);
			c = store_res_cell(&res, i, 2);
			audit_hash(prev, seq, store_cell_int(&res, i, 1),
			    c->null ? NULL : c->p,
			    store_res_cell(&res, i, 3)->p,
			    store_res_cell(&res, i, 4)->p,
			    store_res_cell(&res, i, 5)->p, hash);
			if (seq != last + 1)
				(void)snprintf(r->reason, sizeof(r->reason),
				    "row %lld is missing", (long long)last + 1);
			else if (strcmp(store_res_cell(&res, i, 6)->p, prev))
				(void)snprintf(r->reason, sizeof(r->reason),
				    "prev_hash does not match row %lld",
				    (long long)last);
			else if (strcmp(store_res_cell(&res, i, 7)->p, hash))
				(void)snprintf(r->reason, sizeof(r->reason),
				    "hash does not match the row's content");
			if (r->reason[0] != '\0') {
				r->first_bad_seq = seq;
				store_res_free(&res);
				return (0);
			}
			/* Chain on from what is stored, now proven. */
			memcpy(prev, hash, sizeof(prev));
			last = seq;
			r->rows++;
		}
		store_res_free(&res);
	}
}

/*
 * Counts.
 */

int
store_counts(struct store *h, int64_t now, struct store_counts *out)
{
	struct sres	 res;
	struct sval	 p[1];
	enum store_state st;
	size_t		 i;
	int		 j;

	memset(out, 0, sizeof(*out));
	if (store_q(h, "SELECT state, count(*) FROM cases GROUP BY state", NULL,
	    0, &res, NULL) == -1)
		return (-1);
	for (i = 0; i < res.nrows; i++) {
		if (store_state_parse(store_res_cell(&res, i, 0)->p, &st) == 0)
			out->cases[st] = store_cell_int(&res, i, 1);
	}
	store_res_free(&res);
	if (store_q(h, "SELECT state, count(*) FROM outbox GROUP BY state",
	    NULL, 0, &res, NULL) == -1)
		return (-1);
	for (i = 0; i < res.nrows; i++) {
		for (j = 0; j < STORE_OUTBOX_STATE_COUNT; j++) {
			if (!strcmp(store_res_cell(&res, i, 0)->p,
			    outbox_state_names[j]))
				out->outbox[j] = store_cell_int(&res, i, 1);
		}
	}
	store_res_free(&res);
	p[0] = store_sv_int(now);
	if (store_q(h,
	    "SELECT count(*) FROM outbox WHERE state = 'PENDING' AND "
	    "next_attempt_at <= $1", p, 1, &res, NULL) == -1)
		return (-1);
	out->outbox_due = res.nrows == 1 ? store_cell_int(&res, 0, 0) : 0;
	store_res_free(&res);
	return (0);
}

/*
 * Static helpers.
 */

struct sval
store_sv_text(const char *s)
{
	struct sval	v;

	memset(&v, 0, sizeof(v));
	v.type = s != NULL ? SVAL_TEXT : SVAL_NULL;
	v.text = s;
	return (v);
}

struct sval
store_sv_int(int64_t i)
{
	struct sval	v;

	memset(&v, 0, sizeof(v));
	v.type = SVAL_INT;
	v.i = i;
	return (v);
}

struct sval
store_sv_blob(const void *p, size_t len)
{
	struct sval	v;

	memset(&v, 0, sizeof(v));
	v.type = SVAL_BLOB;
	v.blob = p;
	v.len = len;
	return (v);
}

int
store_q(struct store *h, const char *sql, const struct sval *p, size_t n,
    struct sres *res, int64_t *changes)
{
	if (h->be == NULL || h->conn == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "store: not "
		    "connected"));
	return (h->be->exec(h, sql, p, n, res, changes));
}

int
store_tx_begin(struct store *h)
{
	if (h->be == NULL || h->conn == NULL)
		return (store_fail(h, STORE_UNAVAILABLE, "store: not "
		    "connected"));
	if (h->in_tx)
		return (store_fail(h, STORE_INTERNAL, "store: transaction "
		    "already open"));
	return (h->be->begin(h));
}

int
store_tx_commit(struct store *h)
{
	return (h->be->commit(h));
}

/* Rolls back, keeping the error that caused it. */
int
store_tx_abort(struct store *h)
{
	h->be->rollback(h);
	return (-1);
}

/*
 * Appends one chained row inside the caller's transaction.  The lock
 * makes appenders take turns on the chain's tail (SQLite's write lock
 * already does); seq being the primary key would refuse a fork anyway.
 */
static int
audit_append_tx(struct store *h, const char *case_id, const char *actor,
    const char *event, const char *detail, int64_t now)
{
	struct sres	res;
	struct sval	p[8];
	char		prev[STORE_HASH_HEX_LEN + 1];
	char		hash[STORE_HASH_HEX_LEN + 1];
	int64_t		seq;
	int		ret;

	if ((case_id != NULL && store_check_id(h, case_id) == -1) ||
	    store_check_text(h, actor, STORE_OWNER_MAX, "actor") == -1 ||
	    store_check_text(h, event, STORE_EVENT_MAX, "event") == -1 ||
	    store_check_text(h, detail, SIZE_MAX, "detail") == -1)
		return (-1);
	if (h->be->lock(h, LOCK_AUDIT) == -1)
		return (-1);
	if (store_q(h, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
	    NULL, 0, &res, NULL) == -1)
		return (-1);
	seq = 1;
	memcpy(prev, ZERO_HASH, sizeof(prev));
	ret = 0;
	if (res.nrows == 1) {
		seq = store_cell_int(&res, 0, 0) + 1;
		ret = store_cell_copy(h, &res, 0, 1, prev, sizeof(prev),
		    "hash");
	}
	store_res_free(&res);
	if (ret == -1)
		return (-1);

	audit_hash(prev, seq, now, case_id, actor, event, detail, hash);
	p[0] = store_sv_int(seq);
	p[1] = store_sv_int(now);
	p[2] = store_sv_text(case_id);
	p[3] = store_sv_text(actor);
	p[4] = store_sv_text(event);
	p[5] = store_sv_text(detail);
	p[6] = store_sv_text(prev);
	p[7] = store_sv_text(hash);
	return (store_q(h,
	    "INSERT INTO audit (seq, created_at, case_id, actor, "
	    "event, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7, $8)", p, 8, NULL, NULL));
}

/*
 * hash = hex SHA-256 of prev_hash (64 hex characters) followed by the
 * canonical row text: each field as "<byte length>:<bytes>\n" in the
 * order seq, created_at, case_id, actor, event, detail, with numbers in
 * decimal and a missing case_id as "-\n".  Lengths make it unambiguous
 * whatever bytes the fields hold.
 */
static void
audit_hash(const char *prev, int64_t seq, int64_t created_at,
    const char *case_id, const char *actor, const char *event,
    const char *detail, char *out)
{
	crypto_hash_sha256_state	st;
	unsigned char			md[crypto_hash_sha256_BYTES];
	char				num[32];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)prev,
	    strlen(prev));
	(void)snprintf(num, sizeof(num), "%lld", (long long)seq);
	hash_field(&st, num);
	(void)snprintf(num, sizeof(num), "%lld", (long long)created_at);
	hash_field(&st, num);
	if (case_id == NULL)
		crypto_hash_sha256_update(&st, (const unsigned char *)"-\n", 2);
	else
		hash_field(&st, case_id);
	hash_field(&st, actor);
	hash_field(&st, event);
	hash_field(&st, detail);
	crypto_hash_sha256_final(&st, md);
	(void)sodium_bin2hex(out, STORE_HASH_HEX_LEN + 1, md, sizeof(md));
}

static void
hash_field(crypto_hash_sha256_state *st, const char *s)
{
	char	len[24];
	size_t	n;

	n = strlen(s);
	(void)snprintf(len, sizeof(len), "%zu:", n);
	crypto_hash_sha256_update(st, (const unsigned char *)len, strlen(len));
	crypto_hash_sha256_update(st, (const unsigned char *)s, n);
	crypto_hash_sha256_update(st, (const unsigned char *)"\n", 1);
}

static int
case_from_row(struct store *h, const struct sres *res, size_t r,
    struct store_case *c)
{
	int	i;

	memset(c, 0, sizeof(*c));
	if (store_cell_copy(h, res, r, 0, c->id, sizeof(c->id), "id") == -1 ||
	    store_cell_copy(h, res, r, 1, c->order_ref, sizeof(c->order_ref),
	    "order_ref") == -1 ||
	    store_cell_copy(h, res, r, 2, c->channel, sizeof(c->channel),
	    "channel") == -1 ||
	    store_cell_copy(h, res, r, 3, c->declared_name,
	    sizeof(c->declared_name), "declared_name") == -1 ||
	    store_cell_copy(h, res, r, 4, c->id_number, sizeof(c->id_number),
	    "id_number") == -1 ||
	    store_cell_copy(h, res, r, 5, c->id_number_hash,
	    sizeof(c->id_number_hash), "id_number_hash") == -1 ||
	    store_cell_copy(h, res, r, 6, c->callback_url,
	    sizeof(c->callback_url), "callback_url") == -1 || store_cell_copy(h,
	    res, r, 7, c->token_hash, sizeof(c->token_hash), "token_hash") == -1
	    || store_cell_copy(h, res, r, 20, c->lease_owner,
	    sizeof(c->lease_owner), "lease_owner") == -1 || store_cell_copy(h,
	    res, r, 21, c->lease_token, sizeof(c->lease_token),
	    "lease_token") == -1 || store_cell_copy(h, res, r, 28, c->msisdn,
	    sizeof(c->msisdn), "msisdn") == -1 || store_cell_copy(h, res, r,
	    29, c->dealer, sizeof(c->dealer), "dealer") == -1)
		return (-1);
	if (store_case_kind_parse(store_res_cell(res, r, 27)->p, &c->kind) ==
	    -1)
		return (store_fail(h, STORE_INTERNAL, "case %s has an unknown "
		    "kind", c->id));
	c->token_expires_at = store_cell_int(res, r, 8);
	if (store_state_parse(store_res_cell(res, r, 9)->p, &c->state) == -1)
		return (store_fail(h, STORE_INTERNAL, "case %s has an unknown "
		    "state", c->id));
	c->created_at = store_cell_int(res, r, 10);
	c->updated_at = store_cell_int(res, r, 11);
	c->submitted_at = store_cell_int(res, r, 12);
	c->retry_at = store_cell_int(res, r, 13);
	for (i = 0; i < STORE_SIDE_COUNT; i++) {
		c->attempts[i] = (int)store_cell_int(res, r, 14 + (size_t)i);
		c->accepted[i] = (int)store_cell_int(res, r, 17 + (size_t)i);
	}
	c->lease_expires_at = store_cell_int(res, r, 22);
	c->claims = (int)store_cell_int(res, r, 23);
	c->decided_at = store_cell_int(res, r, 24);
	if (!store_res_cell(res, r, 25)->null &&
	    (c->decision = store_cell_dup(h, res, r, 25)) == NULL)
		return (-1);
	if (!store_res_cell(res, r, 26)->null &&
	    (c->reasons = store_cell_dup(h, res, r, 26)) == NULL) {
		store_case_release(c);
		return (-1);
	}
	return (0);
}

static int
outbox_from_row(struct store *h, const struct sres *res, size_t r,
    struct store_outbox *ob)
{
	int	i;

	memset(ob, 0, sizeof(*ob));
	if (store_cell_copy(h, res, r, 0, ob->id, sizeof(ob->id), "id") == -1 ||
	    store_cell_copy(h, res, r, 1, ob->case_id, sizeof(ob->case_id),
	    "case_id") == -1 ||
	    store_cell_copy(h, res, r, 2, ob->event, sizeof(ob->event),
	    "event") == -1 ||
	    store_cell_copy(h, res, r, 3, ob->url, sizeof(ob->url), "url") == -1
	    || store_cell_copy(h, res, r, 7, ob->lease_token,
	    sizeof(ob->lease_token), "lease_token") == -1)
		return (-1);
	ob->state = STORE_OUTBOX_STATE_COUNT;
	for (i = 0; i < STORE_OUTBOX_STATE_COUNT; i++) {
		if (!strcmp(store_res_cell(res, r, 4)->p,
		    outbox_state_names[i]))
			ob->state = (enum store_outbox_state)i;
	}
	if (ob->state == STORE_OUTBOX_STATE_COUNT)
		return (store_fail(h, STORE_INTERNAL, "webhook %s has an "
		    "unknown state", ob->id));
	ob->attempts = (int)store_cell_int(res, r, 5);
	ob->next_attempt_at = store_cell_int(res, r, 6);
	ob->lease_expires_at = store_cell_int(res, r, 8);
	ob->created_at = store_cell_int(res, r, 9);
	ob->delivered_at = store_cell_int(res, r, 10);
	if ((ob->payload = store_cell_dup(h, res, r, 11)) == NULL)
		return (-1);
	return (0);
}

/* Copies a text cell; NULL reads as "".  Too long is a schema problem. */
int
store_cell_copy(struct store *h, const struct sres *res, size_t r, size_t col,
    char *dst, size_t dstlen, const char *what)
{
	const struct scell	*c;

	c = store_res_cell(res, r, col);
	if (c->null) {
		dst[0] = '\0';
		return (0);
	}
	if (c->len >= dstlen)
		return (store_fail(h, STORE_INTERNAL, "stored %s holds %zu "
		    "bytes, more than %zu", what, c->len, dstlen - 1));
	memcpy(dst, c->p, c->len + 1);
	return (0);
}

int64_t
store_cell_int(const struct sres *res, size_t r, size_t col)
{
	const struct scell	*c;

	c = store_res_cell(res, r, col);
	if (c->null)
		return (0);
	return (strtoll(c->p, NULL, 10));
}

char *
store_cell_dup(struct store *h, const struct sres *res, size_t r, size_t col)
{
	const struct scell	*c;
	char			*p;

	c = store_res_cell(res, r, col);
	if ((p = malloc(c->len + 1)) == NULL) {
		(void)store_fail(h, STORE_UNAVAILABLE, "out of memory for "
		    "%zu bytes", c->len);
		return (NULL);
	}
	memcpy(p, c->p, c->len + 1);
	return (p);
}

/* A malformed id cannot exist: it is simply not found. */
int
store_check_id(struct store *h, const char *id)
{
	size_t	i;

	if (id == NULL || strlen(id) != STORE_ID_LEN)
		return (store_fail(h, STORE_NOT_FOUND, "malformed id"));
	for (i = 0; i < STORE_ID_LEN; i++) {
		if (!isdigit((unsigned char)id[i]) &&
		    (id[i] < 'a' || id[i] > 'f'))
			return (store_fail(h, STORE_NOT_FOUND,
			    "malformed id"));
	}
	return (0);
}

static int
check_hex64(struct store *h, const char *s, const char *what)
{
	size_t	i;

	if (s == NULL || strlen(s) != STORE_HASH_HEX_LEN)
		return (store_fail(h, STORE_INVALID, "%s: not 64 hex "
		    "characters", what));
	for (i = 0; i < STORE_HASH_HEX_LEN; i++) {
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return (store_fail(h, STORE_INVALID, "%s: not "
			    "lowercase hex", what));
	}
	return (0);
}

int
store_check_text(struct store *h, const char *s, size_t max, const char *what)
{
	size_t	len;

	if (s == NULL || *s == '\0')
		return (store_fail(h, STORE_INVALID, "%s: missing", what));
	len = strlen(s);
	if (max != SIZE_MAX && len >= max)
		return (store_fail(h, STORE_INVALID, "%s: %zu bytes, at most "
		    "%zu", what, len, max - 1));
	return (0);
}

int
store_new_id(struct store *h, char *out)
{
	unsigned char	raw[STORE_ID_LEN / 2];

	(void)h;
	randombytes_buf(raw, sizeof(raw));
	(void)sodium_bin2hex(out, STORE_ID_LEN + 1, raw, sizeof(raw));
	return (0);
}

/* After a guarded update touched nothing: gone, or not ours any more. */
static int
lease_lost(struct store *h, const char *table, const char *id,
    const char *what)
{
	struct sres	res;
	struct sval	p[1];
	char		sql[64];
	size_t		n;

	p[0] = store_sv_text(id);
	(void)snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE id = $1",
	    table);
	if (store_q(h, sql, p, 1, &res, NULL) == -1)
		return (-1);
	n = res.nrows;
	store_res_free(&res);
	if (n == 0)
		return (store_fail(h, STORE_NOT_FOUND, "%s: %s row not found",
		    what, table));
	return (store_fail(h, STORE_CONFLICT, "%s: the lease is no longer "
	    "ours", what));
}

/* Little-endian float32, whatever the host's byte order. */
static void
floats_pack(const float *v, size_t n, unsigned char *out)
{
	uint32_t	u;
	size_t		i;

	for (i = 0; i < n; i++) {
		memcpy(&u, &v[i], sizeof(u));
		out[i * 4] = u & 0xff;
		out[i * 4 + 1] = (u >> 8) & 0xff;
		out[i * 4 + 2] = (u >> 16) & 0xff;
		out[i * 4 + 3] = (u >> 24) & 0xff;
	}
}

static double
cosine_packed(const float *a, const unsigned char *b, size_t n)
{
	uint32_t	u;
	float		f;
	double		dot, na, nb;
	size_t		i;

	dot = na = nb = 0.0;
	for (i = 0; i < n; i++) {
		u = (uint32_t)b[i * 4] | (uint32_t)b[i * 4 + 1] << 8 |
		    (uint32_t)b[i * 4 + 2] << 16 | (uint32_t)b[i * 4 + 3] << 24;
		memcpy(&f, &u, sizeof(f));
		dot += (double)a[i] * f;
		na += (double)a[i] * a[i];
		nb += (double)f * f;
	}
	if (na == 0.0 || nb == 0.0)
		return (-1.0);
	return (dot / (sqrt(na) * sqrt(nb)));
}

static int
migration_list(struct store *h, const char *dir, struct migration *list,
    size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[1024];
	const char	*name;
	size_t		 len, i;
	int		 ok;

	*n = 0;
	(void)snprintf(path, sizeof(path), "%s/%s", dir, h->be->name);
	if ((d = opendir(path)) == NULL)
		return (store_fail(h, STORE_INVALID, "migrate: cannot read "
		    "%s: %s", path, strerror(errno)));
	while ((de = readdir(d)) != NULL) {
		name = de->d_name;
		len = strlen(name);
		/* NNNN_name.sql; anything else is not a migration. */
		if (len < 10 || len >= sizeof(list->name) ||
		    strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
			continue;
		ok = 1;
		for (i = 0; i < 4; i++)
			ok &= isdigit((unsigned char)name[i]) != 0;
		if (!ok)
			continue;
		if (*n == MIGRATIONS_MAX) {
			(void)closedir(d);
			return (store_fail(h, STORE_INVALID, "migrate: more "
			    "than %d migrations", MIGRATIONS_MAX));
		}
		list[*n].version = atoi(name);
		memcpy(list[*n].name, name, len + 1);
		(*n)++;
	}
	(void)closedir(d);
	qsort(list, *n, sizeof(*list), migration_cmp);
	for (i = 0; i < *n; i++) {
		if (list[i].version == 0 || (i > 0 &&
		    list[i].version == list[i - 1].version))
			return (store_fail(h, STORE_INVALID, "migrate: version "
			    "%d is zero or used twice", list[i].version));
	}
	return (0);
}

static int
migration_cmp(const void *a, const void *b)
{
	const struct migration	*x = a, *y = b;

	return ((x->version > y->version) - (x->version < y->version));
}

/* One migration and its record, in one transaction, under the lock. */
static int
migration_apply(struct store *h, const char *dir, const struct migration *m,
    int *count)
{
	struct sres	 res;
	struct sval	 p[4];
	unsigned char	 md[crypto_hash_sha256_BYTES];
	char		 path[1280], sum[STORE_HASH_HEX_LEN + 1];
	char		 msg[STORE_ERR_MAX];
	char		*text;
	size_t		 len;
	int		 ret;

	(void)snprintf(path, sizeof(path), "%s/%s/%s", dir, h->be->name,
	    m->name);
	if ((text = file_read(h, path, &len)) == NULL)
		return (-1);
	crypto_hash_sha256(md, (unsigned char *)text, len);
	(void)sodium_bin2hex(sum, sizeof(sum), md, sizeof(md));

	ret = -1;
	p[0] = store_sv_int(m->version);
	p[1] = store_sv_text(m->name);
	p[2] = store_sv_text(sum);
	p[3] = store_sv_int(store_now_ms());
	if (store_tx_begin(h) == -1)
		goto cleanup;
	if (h->be->lock(h, LOCK_MIGRATE) == -1 ||
	    store_q(h,
	    "SELECT sha256 FROM schema_migrations WHERE version = $1", p, 1,
	    &res, NULL) == -1) {
		(void)store_tx_abort(h);
		goto cleanup;
	}
	if (res.nrows == 1) {
		if (strcmp(store_res_cell(&res, 0, 0)->p, sum) != 0) {
			(void)store_fail(h, STORE_INVALID, "migrate: %s was "
			    "changed after it was applied", m->name);
			store_res_free(&res);
			(void)store_tx_abort(h);
			goto cleanup;
		}
		store_res_free(&res);
		ret = store_tx_commit(h);
		goto cleanup;
	}
	store_res_free(&res);
	if (h->be->script(h, text) == -1 ||
	    store_q(h, "INSERT INTO schema_migrations (version, name, sha256, "
	    "applied_at) VALUES ($1, $2, $3, $4)", p, 4, NULL, NULL) == -1) {
		(void)store_tx_abort(h);
		/* Name the file; keep the engine's message after it. */
		memcpy(msg, h->err, sizeof(msg));
		(void)store_fail(h, h->code, "migrate: %s: %s", m->name, msg);
		goto cleanup;
	}
	if (store_tx_commit(h) == -1)
		goto cleanup;
	(*count)++;
	ret = 0;

cleanup:
	free(text);
	return (ret);
}

static char *
file_read(struct store *h, const char *path, size_t *len)
{
	FILE	*fp;
	char	*text;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		(void)store_fail(h, STORE_INVALID, "migrate: cannot read %s: "
		    "%s", path, strerror(errno));
		return (NULL);
	}
	if ((text = malloc(MIGRATION_MAX_BYTES + 1)) == NULL) {
		fclose(fp);
		(void)store_fail(h, STORE_UNAVAILABLE, "migrate: out of "
		    "memory");
		return (NULL);
	}
	n = fread(text, 1, MIGRATION_MAX_BYTES + 1, fp);
	if (ferror(fp) || n > MIGRATION_MAX_BYTES) {
		fclose(fp);
		free(text);
		(void)store_fail(h, STORE_INVALID, "migrate: %s is unreadable "
		    "or over %d bytes", path, MIGRATION_MAX_BYTES);
		return (NULL);
	}
	fclose(fp);
	text[n] = '\0';
	*len = n;
	return (text);
}

/*
 * Courier confirmation at delivery (service/delivery.c).  Kept in one
 * block: everything below belongs to the delivery feature.
 */

static const char *const delivery_state_names[STORE_DELIVERY_STATE_COUNT] = {
	"OPEN", "CONFIRMED", "REVIEW",
};

static const char *const delivery_result_names[STORE_DELIVERY_RESULT_COUNT] = {
	"CONFIRMED", "MISMATCH", "REVIEW",
};

/* The state a delivery is left in by an attempt with this result. */
static const enum store_delivery_state
    delivery_state_after[STORE_DELIVERY_RESULT_COUNT] = {
	[STORE_DELIVERY_RESULT_CONFIRMED] = STORE_DELIVERY_CONFIRMED,
	[STORE_DELIVERY_RESULT_MISMATCH] = STORE_DELIVERY_OPEN,
	[STORE_DELIVERY_RESULT_REVIEW] = STORE_DELIVERY_REVIEW,
};

/* Audit events; the webhook's event is the caller's (ob->event). */
static const char *const delivery_events[STORE_DELIVERY_RESULT_COUNT] = {
	"delivery.confirmed", "delivery.mismatch", "delivery.review",
};

const char *
store_delivery_state_name(enum store_delivery_state s)
{
	if ((unsigned)s >= STORE_DELIVERY_STATE_COUNT)
		return ("UNKNOWN");
	return (delivery_state_names[s]);
}

const char *
store_delivery_result_name(enum store_delivery_result r)
{
	if ((unsigned)r >= STORE_DELIVERY_RESULT_COUNT)
		return ("UNKNOWN");
	return (delivery_result_names[r]);
}

int
store_case_find_by_order(struct store *h, const char *order_ref,
    struct store_case *out)
{
	struct sres	res;
	struct sval	p[1];
	int		ret;

	memset(out, 0, sizeof(*out));
	if (store_check_text(h, order_ref, STORE_ORDER_REF_MAX, "order_ref") ==
	    -1)
		return (-1);
	p[0] = store_sv_text(order_ref);
	if (store_q(h, "SELECT " CASE_COLS " FROM cases WHERE order_ref = $1 "
	    "ORDER BY CASE WHEN state = 'APPROVED' THEN 0 ELSE 1 END, "
	    "created_at DESC, id LIMIT 1", p, 1, &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0)
		ret = store_fail(h, STORE_NOT_FOUND, "no case for this order");
	else
		ret = case_from_row(h, &res, 0, out);
	store_res_free(&res);
	return (ret);
}

int
store_delivery_get(struct store *h, const char *order_ref,
    struct store_delivery *out)
{
	struct sres		 res;
	struct sval		 p[1];
	const struct scell	*c;
	int			 ret, i;

	memset(out, 0, sizeof(*out));
	if (store_check_text(h, order_ref, STORE_ORDER_REF_MAX, "order_ref") ==
	    -1)
		return (-1);
	p[0] = store_sv_text(order_ref);
	if (store_q(h,
	    "SELECT order_ref, case_id, state, attempts, last_result, "
	    "last_courier, created_at, updated_at, confirmed_at, "
	    "last_reasons FROM delivery_confirmations WHERE order_ref = $1",
	    p, 1, &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0) {
		store_res_free(&res);
		return (store_fail(h, STORE_NOT_FOUND, "no delivery attempt "
		    "for this order"));
	}
	ret = -1;
	if (store_cell_copy(h, &res, 0, 0, out->order_ref,
	    sizeof(out->order_ref), "order_ref") == -1 || store_cell_copy(h,
	    &res, 0, 1, out->case_id, sizeof(out->case_id), "case_id") == -1
	    || store_cell_copy(h, &res, 0, 5, out->last_courier,
	    sizeof(out->last_courier), "last_courier") == -1)
		goto cleanup;
	if ((i = name_index(delivery_state_names, STORE_DELIVERY_STATE_COUNT,
	    store_res_cell(&res, 0, 2)->p)) == -1) {
		(void)store_fail(h, STORE_INTERNAL, "delivery has an unknown "
		    "state");
		goto cleanup;
	}
	out->state = (enum store_delivery_state)i;
	out->attempts = (int)store_cell_int(&res, 0, 3);
	c = store_res_cell(&res, 0, 4);
	if (!c->null) {
		if ((i = name_index(delivery_result_names,
		    STORE_DELIVERY_RESULT_COUNT, c->p)) == -1) {
			(void)store_fail(h, STORE_INTERNAL, "delivery has an "
			    "unknown result");
			goto cleanup;
		}
		out->has_result = 1;
		out->last_result = (enum store_delivery_result)i;
	}
	out->created_at = store_cell_int(&res, 0, 6);
	out->updated_at = store_cell_int(&res, 0, 7);
	out->confirmed_at = store_cell_int(&res, 0, 8);
	if (!store_res_cell(&res, 0, 9)->null &&
	    (out->last_reasons = store_cell_dup(h, &res, 0, 9)) == NULL)
		goto cleanup;
	ret = 0;

cleanup:
	store_res_free(&res);
	return (ret);
}

void
store_delivery_release(struct store_delivery *d)
{
	free(d->last_reasons);
	d->last_reasons = NULL;
}

int
store_delivery_record(struct store *h, const struct store_delivery_attempt *a,
    int expected_attempts, const struct store_outbox_new *ob, int64_t now,
    int *attempt_no)
{
	struct sval			p[10];
	char				aid[STORE_ID_LEN + 1];
	char				oid[STORE_ID_LEN + 1];
	char				detail[160], actor[STORE_OWNER_MAX];
	enum store_delivery_state	to;
	int64_t				changes;

	if (a == NULL || (unsigned)a->result >= STORE_DELIVERY_RESULT_COUNT ||
	    expected_attempts < 0)
		return (store_fail(h, STORE_INVALID, "delivery: bad attempt"));
	if (store_check_text(h, a->order_ref, STORE_ORDER_REF_MAX,
	    "order_ref") == -1 || store_check_id(h, a->case_id) == -1 ||
	    store_check_text(h, a->courier_id, STORE_CLIENT_MAX,
	    "courier_id") == -1 ||
	    store_check_text(h, a->figures, SIZE_MAX, "figures") == -1 ||
	    store_check_text(h, a->reasons, SIZE_MAX, "reasons") == -1 ||
	    ob == NULL ||
	    store_check_text(h, ob->event, STORE_EVENT_MAX, "event") == -1 ||
	    store_check_text(h, ob->url, STORE_URL_MAX, "url") == -1 ||
	    store_check_text(h, ob->payload, SIZE_MAX, "payload") == -1)
		return (-1);
	if (store_new_id(h, aid) == -1 || store_new_id(h, oid) == -1)
		return (-1);
	to = delivery_state_after[a->result];

	p[0] = store_sv_text(a->order_ref);
	p[1] = store_sv_text(a->case_id);
	p[2] = store_sv_int(now);
	p[3] = store_sv_int(expected_attempts);
	p[4] = store_sv_text(delivery_state_names[to]);
	p[5] = store_sv_text(delivery_result_names[a->result]);
	p[6] = store_sv_text(a->reasons);
	p[7] = store_sv_text(a->courier_id);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h,
	    "INSERT INTO delivery_confirmations (order_ref, case_id, "
	    "state, attempts, created_at, updated_at) VALUES ($1, $2, 'OPEN', "
	    "0, $3, $3) ON CONFLICT (order_ref) DO NOTHING", p, 3, NULL,
	    NULL) == -1)
		return (store_tx_abort(h));
	/* The compare-and-set: still open, nobody counted in between. */
	if (store_q(h, to == STORE_DELIVERY_CONFIRMED ?
	    "UPDATE delivery_confirmations SET attempts = attempts + 1, "
	    "state = $5, last_result = $6, last_reasons = $7, "
	    "last_courier = $8, updated_at = $3, case_id = $2, "
	    "confirmed_at = $3 "
	    "WHERE order_ref = $1 AND state = 'OPEN' AND attempts = $4" :
	    "UPDATE delivery_confirmations SET attempts = attempts + 1, "
	    "state = $5, last_result = $6, last_reasons = $7, "
	    "last_courier = $8, updated_at = $3, case_id = $2 "
	    "WHERE order_ref = $1 AND state = 'OPEN' AND attempts = $4",
	    p, 8, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "delivery: no longer "
		    "open, or another attempt was counted"));
	}

	p[0] = store_sv_text(oid);
	p[1] = store_sv_text(a->case_id);
	p[2] = store_sv_text(ob->event);
	p[3] = store_sv_text(ob->url);
	p[4] = store_sv_text(ob->payload);
	p[5] = store_sv_int(now);
	if (store_q(h, "INSERT INTO outbox (id, case_id, event, url, payload, "
	    "state, attempts, next_attempt_at, created_at) VALUES ($1, $2, "
	    "$3, $4, $5, 'PENDING', 0, $6, $6)", p, 6, NULL, NULL) == -1)
		return (store_tx_abort(h));

	p[0] = store_sv_text(aid);
	p[1] = store_sv_text(a->order_ref);
	p[2] = store_sv_int(expected_attempts + 1);
	p[3] = store_sv_text(a->case_id);
	p[4] = store_sv_text(a->courier_id);
	p[5] = store_sv_text(delivery_result_names[a->result]);
	p[6] = store_sv_text(a->figures);
	p[7] = store_sv_text(a->reasons);
	p[8] = store_sv_text(oid);
	p[9] = store_sv_int(now);
	if (store_q(h, "INSERT INTO delivery_attempts (id, order_ref, attempt, "
	    "case_id, courier_id, result, figures, reasons, outbox_id, "
	    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
	    p, 10, NULL, NULL) == -1)
		return (store_tx_abort(h));

	(void)snprintf(actor, sizeof(actor), "courier:%s", a->courier_id);
	(void)snprintf(detail, sizeof(detail), "{\"attempt_id\":\"%s\","
	    "\"attempt\":%d,\"result\":\"%s\",\"to\":\"%s\"}", aid,
	    expected_attempts + 1, delivery_result_names[a->result],
	    delivery_state_names[to]);
	if (audit_append_tx(h, a->case_id, actor, delivery_events[a->result],
	    detail, now) == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1)
		return (-1);
	if (attempt_no != NULL)
		*attempt_no = expected_attempts + 1;
	return (0);
}

int
store_face_get(struct store *h, const char *case_id, float *emb,
    size_t dims)
{
	struct sres		 res;
	struct sval		 p[1];
	const struct scell	*c;
	const unsigned char	*b;
	uint32_t		 u;
	size_t			 i;
	int			 ret;

	if (emb == NULL || dims == 0 || dims > STORE_FACE_DIMS_MAX)
		return (store_fail(h, STORE_INVALID, "face: %zu dimensions",
		    dims));
	if (store_check_id(h, case_id) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	if (store_q(h,
	    "SELECT dims, embedding FROM case_faces WHERE case_id = $1", p, 1,
	    &res, NULL) == -1)
		return (-1);
	ret = 0;
	if (res.nrows == 0) {
		ret = store_fail(h, STORE_NOT_FOUND, "no face stored for this "
		    "case");
		goto cleanup;
	}
	c = store_res_cell(&res, 0, 1);
	if ((size_t)store_cell_int(&res, 0, 0) != dims || c->null ||
	    c->len != dims * 4) {
		ret = store_fail(h, STORE_INTERNAL, "stored face has another "
		    "size");
		goto cleanup;
	}
	b = (const unsigned char *)c->p;
	for (i = 0; i < dims; i++) {
		u = (uint32_t)b[i * 4] | (uint32_t)b[i * 4 + 1] << 8 |
		    (uint32_t)b[i * 4 + 2] << 16 | (uint32_t)b[i * 4 + 3] << 24;
		memcpy(&emb[i], &u, sizeof(u));
	}

cleanup:
	store_res_free(&res);
	return (ret);
}

/*
 * For the store's other files (store_review.c): the audit row of a
 * change they make inside their own transaction.
 */
int
store_audit_append_tx(struct store *h, const char *case_id,
    const char *actor, const char *event, const char *detail, int64_t now)
{
	return (audit_append_tx(h, case_id, actor, event, detail, now));
}
