/*
 * The reviewer console's store calls, in the SQL both engines accept
 * (see store.c).  Every change that matters runs in one transaction with
 * its audit row, whose actor is "reviewer:<name>" (or the CLI's actor).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jsonr.h"
#include "store_backend.h"
#include "store_review.h"

#define DAY_MS		(INT64_C(86400) * 1000)
#define HOUR_MS		(INT64_C(3600) * 1000)
#define STATS_ROWS_MAX	100000

static const char *const role_names[STORE_ROLE_COUNT] = {
	"reviewer", "supervisor", "auditor",
};

static void	cell_copy(const struct sres *, size_t, size_t, char *,
		    size_t);
static int	check_name(struct store *, const char *);
static void	actor_of(const char *, char *, size_t);
static int	reviewer_from_row(const struct sres *, size_t,
		    struct store_reviewer *);
static int	cmp_i64(const void *, const void *);

const char *
store_role_name(enum store_role r)
{
	if ((unsigned)r >= STORE_ROLE_COUNT)
		return ("unknown");
	return (role_names[r]);
}

int
store_role_parse(const char *text, enum store_role *out)
{
	int	i;

	for (i = 0; i < STORE_ROLE_COUNT; i++) {
		if (text != NULL && !strcmp(text, role_names[i])) {
			*out = (enum store_role)i;
			return (0);
		}
	}
	return (-1);
}

int
store_reviewer_name_valid(const char *s)
{
	size_t	i, len;

	if (s == NULL || (len = strlen(s)) == 0 ||
	    len >= STORE_REVIEWER_NAME_MAX)
		return (0);
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return (0);
	for (i = 0; i < len; i++) {
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return (0);
	}
	return (1);
}

/*
 * Reviewers.
 */

int
store_reviewer_add(struct store *h, const char *name, enum store_role role,
    const char *pwhash, const char *actor, int64_t now)
{
	struct sval	p[4];
	struct sres	res;
	char		detail[128];
	size_t		n;

	if (check_name(h, name) == -1)
		return (-1);
	if ((unsigned)role >= STORE_ROLE_COUNT || pwhash == NULL ||
	    *pwhash == '\0' || strlen(pwhash) >= STORE_PWHASH_MAX)
		return (store_fail(h, STORE_INVALID, "reviewer: bad role or "
		    "password hash"));
	p[0] = store_sv_text(name);
	p[1] = store_sv_text(role_names[role]);
	p[2] = store_sv_text(pwhash);
	p[3] = store_sv_int(now);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "SELECT 1 FROM reviewers WHERE name = $1", p, 1, &res,
	    NULL) == -1)
		return (store_tx_abort(h));
	n = res.nrows;
	store_res_free(&res);
	if (n != 0) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "reviewer already "
		    "exists"));
	}
	(void)snprintf(detail, sizeof(detail), "{\"reviewer\":\"%s\","
	    "\"role\":\"%s\"}", name, role_names[role]);
	if (store_q(h, "INSERT INTO reviewers (name, role, pwhash, disabled, "
	    "failed_logins, locked_until, created_at, updated_at) VALUES "
	    "($1, $2, $3, 0, 0, 0, $4, $4)", p, 4, NULL, NULL) == -1 ||
	    store_audit_append_tx(h, NULL, actor, "reviewer.added", detail,
	    now) == -1)
		return (store_tx_abort(h));
	return (h->be->commit(h));
}

#define REVIEWER_COLS	"name, role, pwhash, disabled, failed_logins, " \
			"locked_until, created_at, updated_at"

int
store_reviewer_get(struct store *h, const char *name,
    struct store_reviewer *out)
{
	struct sval	p[1];
	struct sres	res;
	int		ret;

	memset(out, 0, sizeof(*out));
	if (check_name(h, name) == -1)
		return (-1);
	p[0] = store_sv_text(name);
	if (store_q(h,
	    "SELECT " REVIEWER_COLS " FROM reviewers WHERE name = $1", p, 1,
	    &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0) {
		store_res_free(&res);
		return (store_fail(h, STORE_NOT_FOUND, "no such reviewer"));
	}
	ret = reviewer_from_row(&res, 0, out);
	store_res_free(&res);
	if (ret == -1)
		return (store_fail(h, STORE_INTERNAL, "reviewer: bad role"));
	return (0);
}

int
store_reviewer_list(struct store *h, struct store_reviewer *out,
    size_t max, size_t *n)
{
	struct sres	res;
	size_t		i;

	*n = 0;
	if (store_q(h, "SELECT " REVIEWER_COLS " FROM reviewers ORDER BY name",
	    NULL, 0, &res, NULL) == -1)
		return (-1);
	for (i = 0; i < res.nrows && i < max; i++) {
		if (reviewer_from_row(&res, i, &out[i]) == -1) {
			store_res_free(&res);
			return (store_fail(h, STORE_INTERNAL, "reviewer: bad "
			    "role"));
		}
	}
	*n = i;
	store_res_free(&res);
	return (0);
}

int
store_reviewer_disable(struct store *h, const char *name, int disabled,
    const char *actor, int64_t now)
{
	struct sval	p[3];
	char		detail[128];
	int64_t		changes;

	if (check_name(h, name) == -1)
		return (-1);
	p[0] = store_sv_text(name);
	p[1] = store_sv_int(disabled ? 1 : 0);
	p[2] = store_sv_int(now);
	(void)snprintf(detail, sizeof(detail), "{\"reviewer\":\"%s\"}", name);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h,
	    "UPDATE reviewers SET disabled = $2, updated_at = $3 WHERE "
	    "name = $1", p, 3, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "no such reviewer"));
	}
	if ((disabled && store_q(h, "DELETE FROM review_sessions WHERE "
	    "reviewer = $1", p, 1, NULL, NULL) == -1) ||
	    (disabled && store_q(h, "DELETE FROM review_claims WHERE "
	    "reviewer = $1", p, 1, NULL, NULL) == -1) ||
	    store_audit_append_tx(h, NULL, actor, disabled ?
	    "reviewer.disabled" : "reviewer.enabled", detail, now) == -1)
		return (store_tx_abort(h));
	return (h->be->commit(h));
}

int
store_reviewer_reset(struct store *h, const char *name, const char *pwhash,
    const char *actor, int64_t now)
{
	struct sval	p[3];
	char		detail[128];
	int64_t		changes;

	if (check_name(h, name) == -1)
		return (-1);
	if (pwhash == NULL || *pwhash == '\0' ||
	    strlen(pwhash) >= STORE_PWHASH_MAX)
		return (store_fail(h, STORE_INVALID, "reviewer: bad password "
		    "hash"));
	p[0] = store_sv_text(name);
	p[1] = store_sv_text(pwhash);
	p[2] = store_sv_int(now);
	(void)snprintf(detail, sizeof(detail), "{\"reviewer\":\"%s\"}", name);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "UPDATE reviewers SET pwhash = $2, failed_logins = 0, "
	    "locked_until = 0, updated_at = $3 WHERE name = $1", p, 3, NULL,
	    &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "no such reviewer"));
	}
	if (store_q(h, "DELETE FROM review_sessions WHERE reviewer = $1", p, 1,
	    NULL, NULL) == -1 ||
	    store_audit_append_tx(h, NULL, actor, "reviewer.reset", detail,
	    now) == -1)
		return (store_tx_abort(h));
	return (h->be->commit(h));
}

int
store_reviewer_login_failed(struct store *h, const char *name,
    int max_failures, int64_t lock_ms, int64_t now, int *locked)
{
	struct sval	p[4];
	struct sres	res;
	char		detail[160], actor[STORE_OWNER_MAX];
	int64_t		failed;

	if (locked != NULL)
		*locked = 0;
	if (check_name(h, name) == -1)
		return (-1);
	p[0] = store_sv_text(name);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "SELECT failed_logins FROM reviewers WHERE name = $1", p,
	    1, &res, NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "no such reviewer"));
	}
	failed = store_cell_int(&res, 0, 0) + 1;
	store_res_free(&res);
	actor_of(name, actor, sizeof(actor));
	p[1] = store_sv_int(now);
	if (max_failures > 0 && failed >= max_failures) {
		p[2] = store_sv_int(now + lock_ms);
		(void)snprintf(detail, sizeof(detail), "{\"reviewer\":\"%s\","
		    "\"failures\":%lld,\"locked_until\":%lld}", name,
		    (long long)failed, (long long)(now + lock_ms));
		if (store_q(h, "UPDATE reviewers SET failed_logins = 0, "
		    "locked_until = $3, updated_at = $2 WHERE name = $1", p, 3,
		    NULL, NULL) == -1 ||
		    store_audit_append_tx(h, NULL, actor, "review.locked",
		    detail, now) == -1)
			return (store_tx_abort(h));
		if (locked != NULL)
			*locked = 1;
	} else {
		p[2] = store_sv_int(failed);
		(void)snprintf(detail, sizeof(detail), "{\"reviewer\":\"%s\","
		    "\"failures\":%lld}", name, (long long)failed);
		if (store_q(h, "UPDATE reviewers SET failed_logins = $3, "
		    "updated_at = $2 WHERE name = $1", p, 3, NULL,
		    NULL) == -1 ||
		    store_audit_append_tx(h, NULL, actor,
		    "review.login_failed", detail, now) == -1)
			return (store_tx_abort(h));
	}
	return (h->be->commit(h));
}

int
store_reviewer_login_ok(struct store *h, const char *name,
    const char *session_hash, const char *csrf, int64_t now)
{
	struct sval	p[4];
	char		detail[128], actor[STORE_OWNER_MAX];
	int64_t		changes;

	if (check_name(h, name) == -1)
		return (-1);
	if (session_hash == NULL || strlen(session_hash) !=
	    STORE_HASH_HEX_LEN || csrf == NULL ||
	    strlen(csrf) != STORE_CSRF_HEX_LEN)
		return (store_fail(h, STORE_INVALID, "session: bad hash or "
		    "token"));
	p[0] = store_sv_text(name);
	p[1] = store_sv_int(now);
	p[2] = store_sv_text(session_hash);
	p[3] = store_sv_text(csrf);
	actor_of(name, actor, sizeof(actor));
	(void)snprintf(detail, sizeof(detail), "{\"reviewer\":\"%s\"}", name);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h,
	    "UPDATE reviewers SET failed_logins = 0, updated_at = $2 "
	    "WHERE name = $1 AND disabled = 0", p, 2, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "no such reviewer"));
	}
	if (store_q(h, "INSERT INTO review_sessions (id_hash, reviewer, csrf, "
	    "created_at, last_seen) VALUES ($3, $1, $4, $2, $2)", p, 4, NULL,
	    NULL) == -1 ||
	    store_audit_append_tx(h, NULL, actor, "review.login", detail,
	    now) == -1)
		return (store_tx_abort(h));
	return (h->be->commit(h));
}

/*
 * Sessions.
 */

int
store_session_get(struct store *h, const char *session_hash, int64_t idle_ms,
    int64_t absolute_ms, int64_t now, struct store_session *out)
{
	struct sval	p[3];
	struct sres	res;
	int64_t		created, seen;
	int		disabled, live;

	memset(out, 0, sizeof(*out));
	if (session_hash == NULL || strlen(session_hash) !=
	    STORE_HASH_HEX_LEN)
		return (store_fail(h, STORE_NOT_FOUND, "no such session"));
	p[0] = store_sv_text(session_hash);
	if (store_q(h, "SELECT s.reviewer, r.role, s.csrf, s.created_at, "
	    "s.last_seen, r.disabled FROM review_sessions s JOIN reviewers r "
	    "ON r.name = s.reviewer WHERE s.id_hash = $1", p, 1, &res,
	    NULL) == -1)
		return (-1);
	if (res.nrows == 0) {
		store_res_free(&res);
		return (store_fail(h, STORE_NOT_FOUND, "no such session"));
	}
	cell_copy(&res, 0, 0, out->reviewer, sizeof(out->reviewer));
	live = store_role_parse(store_res_cell(&res, 0, 1)->p,
	    &out->role) == 0;
	cell_copy(&res, 0, 2, out->csrf, sizeof(out->csrf));
	created = store_cell_int(&res, 0, 3);
	seen = store_cell_int(&res, 0, 4);
	disabled = store_cell_int(&res, 0, 5) != 0;
	store_res_free(&res);
	out->created_at = created;
	out->last_seen = now;
	if (!live || disabled || now - seen >= idle_ms ||
	    now - created >= absolute_ms) {
		(void)store_q(h,
		    "DELETE FROM review_sessions WHERE id_hash = $1", p, 1,
		    NULL, NULL);
		memset(out, 0, sizeof(*out));
		return (store_fail(h, STORE_NOT_FOUND, "session expired"));
	}
	p[1] = store_sv_int(now);
	if (store_q(h, "UPDATE review_sessions SET last_seen = $2 WHERE "
	    "id_hash = $1", p, 2, NULL, NULL) == -1)
		return (-1);
	return (0);
}

int
store_session_delete(struct store *h, const char *session_hash, int64_t now)
{
	struct sval	p[1];
	struct sres	res;
	char		name[STORE_REVIEWER_NAME_MAX], actor[STORE_OWNER_MAX];
	char		detail[128];

	if (session_hash == NULL || strlen(session_hash) !=
	    STORE_HASH_HEX_LEN)
		return (store_fail(h, STORE_NOT_FOUND, "no such session"));
	p[0] = store_sv_text(session_hash);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h,
	    "SELECT reviewer FROM review_sessions WHERE id_hash = $1", p, 1,
	    &res, NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "no such session"));
	}
	cell_copy(&res, 0, 0, name, sizeof(name));
	store_res_free(&res);
	actor_of(name, actor, sizeof(actor));
	(void)snprintf(detail, sizeof(detail), "{\"reviewer\":\"%s\"}", name);
	if (store_q(h, "DELETE FROM review_sessions WHERE id_hash = $1", p, 1,
	    NULL, NULL) == -1 ||
	    store_audit_append_tx(h, NULL, actor, "review.logout", detail,
	    now) == -1)
		return (store_tx_abort(h));
	return (h->be->commit(h));
}

/*
 * The queue and claims.
 */

int
store_review_queue(struct store *h, const char *reason, const char *channel,
    size_t limit, int64_t now, struct store_review_item **out, size_t *n)
{
	struct sval		 p[4];
	struct sres		 res;
	struct store_review_item *items;
	const struct scell	*c;
	char			 like[STORE_REVIEW_REASON_MAX + 16];
	size_t			 i;

	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > 1000)
		limit = 1000;
	like[0] = '\0';
	if (reason != NULL && *reason != '\0') {
		/* Reason codes are [a-z0-9_]; LIKE's "_" may match any. */
		if (strlen(reason) >= STORE_REVIEW_REASON_MAX ||
		    strspn(reason, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(reason))
			return (store_fail(h, STORE_INVALID, "queue: bad "
			    "reason filter"));
		(void)snprintf(like, sizeof(like), "%%\"code\":\"%s\"%%",
		    reason);
	}
	p[0] = store_sv_int(now);
	p[1] = store_sv_text(like[0] != '\0' ? like : NULL);
	p[2] = store_sv_text(channel != NULL && *channel !=
	    '\0' ? channel : NULL);
	p[3] = store_sv_int((int64_t)limit);
	/* The reasons JSON is written by verify.c without spaces. */
	if (store_q(h, "SELECT c.id, c.order_ref, c.channel, c.decided_at, "
	    "c.reasons, k.reviewer, k.expires_at FROM cases c LEFT JOIN "
	    "review_claims k ON k.case_id = c.id AND k.expires_at > $1 "
	    "WHERE c.state = 'REVIEW' AND ($2 IS NULL OR c.reasons LIKE $2) "
	    "AND ($3 IS NULL OR c.channel = $3) "
	    "ORDER BY c.decided_at, c.id LIMIT $4", p, 4, &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0) {
		store_res_free(&res);
		return (0);
	}
	if ((items = calloc(res.nrows, sizeof(*items))) == NULL) {
		store_res_free(&res);
		return (store_fail(h, STORE_UNAVAILABLE, "out of memory"));
	}
	for (i = 0; i < res.nrows; i++) {
		cell_copy(&res, i, 0, items[i].id, sizeof(items[i].id));
		cell_copy(&res, i, 1, items[i].order_ref,
		    sizeof(items[i].order_ref));
		cell_copy(&res, i, 2, items[i].channel,
		    sizeof(items[i].channel));
		items[i].since = store_cell_int(&res, i, 3);
		c = store_res_cell(&res, i, 4);
		if (!c->null && (items[i].reasons = strdup(c->p)) == NULL) {
			store_review_items_free(items, i);
			store_res_free(&res);
			return (store_fail(h, STORE_UNAVAILABLE, "out of "
			    "memory"));
		}
		cell_copy(&res, i, 5, items[i].claimed_by,
		    sizeof(items[i].claimed_by));
		items[i].claim_expires_at = store_cell_int(&res, i, 6);
	}
	*out = items;
	*n = res.nrows;
	store_res_free(&res);
	return (0);
}

void
store_review_items_free(struct store_review_item *items, size_t n)
{
	size_t	i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		free(items[i].reasons);
	free(items);
}

int
store_review_claim(struct store *h, const char *case_id, const char *reviewer,
    int64_t claim_ms, int take_over, int64_t now, int64_t *expires_at)
{
	struct sval	p[4];
	struct sres	res;
	char		holder[STORE_REVIEWER_NAME_MAX], actor[STORE_OWNER_MAX];
	char		detail[160];
	int64_t		until;
	size_t		n;

	if (store_check_id(h, case_id) == -1 || check_name(h, reviewer) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_text(reviewer);
	p[2] = store_sv_int(now);
	p[3] = store_sv_int(now + claim_ms);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "SELECT 1 FROM cases WHERE id = $1 AND state = 'REVIEW'",
	    p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	n = res.nrows;
	store_res_free(&res);
	if (n == 0) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "the case is not in "
		    "review"));
	}
	if (store_q(h, "SELECT reviewer, expires_at FROM review_claims WHERE "
	    "case_id = $1", p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	holder[0] = '\0';
	until = 0;
	if (res.nrows == 1) {
		cell_copy(&res, 0, 0, holder, sizeof(holder));
		until = store_cell_int(&res, 0, 1);
	}
	store_res_free(&res);
	if (holder[0] != '\0' && until > now && strcmp(holder, reviewer) &&
	    !take_over) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "claimed by another "
		    "reviewer"));
	}
	if (store_q(h, "DELETE FROM review_claims WHERE case_id = $1", p, 1,
	    NULL, NULL) == -1 || store_q(h,
	    "INSERT INTO review_claims (case_id, reviewer, claimed_at, "
	    "expires_at) VALUES ($1, $2, $3, $4)", p, 4, NULL, NULL) == -1)
		return (store_tx_abort(h));
	actor_of(reviewer, actor, sizeof(actor));
	(void)snprintf(detail, sizeof(detail), "{\"expires_at\":%lld%s%s%s}",
	    (long long)(now + claim_ms), holder[0] != '\0' &&
	    until > now && strcmp(holder, reviewer) ? ",\"taken_from\":\"" :
	    "", holder[0] != '\0' && until > now && strcmp(holder, reviewer) ?
	    holder : "", holder[0] != '\0' && until > now &&
	    strcmp(holder, reviewer) ? "\"" : "");
	if (store_audit_append_tx(h, case_id, actor, "review.claimed", detail,
	    now) == -1)
		return (store_tx_abort(h));
	if (h->be->commit(h) == -1)
		return (-1);
	if (expires_at != NULL)
		*expires_at = now + claim_ms;
	return (0);
}

int
store_review_release(struct store *h, const char *case_id,
    const char *reviewer, int64_t now)
{
	struct sval	p[2];
	char		actor[STORE_OWNER_MAX];
	int64_t		changes;

	if (store_check_id(h, case_id) == -1 || check_name(h, reviewer) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_text(reviewer);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "DELETE FROM review_claims WHERE case_id = $1 AND "
	    "reviewer = $2", p, 2, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "no claim of this "
		    "reviewer on the case"));
	}
	actor_of(reviewer, actor, sizeof(actor));
	if (store_audit_append_tx(h, case_id, actor, "review.released", "{}",
	    now) == -1)
		return (store_tx_abort(h));
	return (h->be->commit(h));
}

int
store_review_claim_get(struct store *h, const char *case_id, int64_t now,
    char reviewer[STORE_REVIEWER_NAME_MAX], int64_t *expires_at)
{
	struct sval	p[2];
	struct sres	res;

	reviewer[0] = '\0';
	*expires_at = 0;
	if (store_check_id(h, case_id) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_int(now);
	if (store_q(h, "SELECT reviewer, expires_at FROM review_claims WHERE "
	    "case_id = $1 AND expires_at > $2", p, 2, &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0) {
		store_res_free(&res);
		return (store_fail(h, STORE_NOT_FOUND, "no live claim"));
	}
	cell_copy(&res, 0, 0, reviewer, STORE_REVIEWER_NAME_MAX);
	*expires_at = store_cell_int(&res, 0, 1);
	store_res_free(&res);
	return (0);
}

/*
 * Decisions.
 */

int
store_decision_upstream_match(const char *decision)
{
	struct jsonr	jr;
	char		result[32];

	if (decision == NULL || jsonr_parse(&jr, decision,
	    strlen(decision)) == -1)
		return (0);
	if (jsonr_string(&jr, "upstream.result", result,
	    sizeof(result)) < 0)
		return (0);
	return (!strcmp(result, "match"));
}

int
store_review_decide(struct store *h, const struct store_review_decision *d,
    const struct store_outbox_new *ob, int64_t now,
    char outbox_id[STORE_ID_LEN + 1])
{
	struct sval	 p[8];
	struct sres	 res;
	char		 holder[STORE_REVIEWER_NAME_MAX];
	char		 actor[STORE_OWNER_MAX];
	char		 did[STORE_ID_LEN + 1], oid[STORE_ID_LEN + 1];
	char		 detail[256];
	unsigned char	 raw[STORE_ID_LEN / 2];
	const char	*to;
	char		*decision;
	int64_t		 since, until, changes;
	int		 match;

	if (store_check_id(h, d->case_id) == -1 || check_name(h, d->reviewer) ==
	    -1)
		return (-1);
	if (d->to != STORE_STATE_APPROVED && d->to != STORE_STATE_REJECTED &&
	    d->to != STORE_STATE_SUBMITTED)
		return (store_fail(h, STORE_INVALID, "review: %s is not a "
		    "console decision", store_state_name(d->to)));
	if (d->reason == NULL || *d->reason == '\0' ||
	    strlen(d->reason) >= STORE_REVIEW_REASON_MAX ||
	    strpbrk(d->reason, "\"\\") != NULL ||
	    d->comment == NULL ||
	    strlen(d->comment) >= STORE_REVIEW_COMMENT_MAX)
		return (store_fail(h, STORE_INVALID, "review: bad reason or "
		    "comment"));
	if (d->to != STORE_STATE_SUBMITTED && (ob == NULL ||
	    ob->event == NULL || ob->url == NULL || ob->payload == NULL ||
	    d->reasons_json == NULL))
		return (store_fail(h, STORE_INVALID, "review: a decision "
		    "needs its webhook and reasons"));
	to = store_state_name(d->to);

	p[0] = store_sv_text(d->case_id);
	p[1] = store_sv_text(d->reviewer);
	p[2] = store_sv_int(now);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "SELECT state, decision, decided_at FROM cases WHERE "
	    "id = $1", p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows == 0) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "case not found"));
	}
	if (strcmp(store_res_cell(&res, 0, 0)->p, "REVIEW")) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "the case is not in "
		    "review (decided once)"));
	}
	decision = store_res_cell(&res, 0, 1)->null ? NULL :
	    store_res_cell(&res, 0, 1)->p;
	match = store_decision_upstream_match(decision);
	since = store_cell_int(&res, 0, 2);
	store_res_free(&res);
	/* Fail closed, here too: the console checks first to explain. */
	if (d->to == STORE_STATE_APPROVED && !match) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_INVALID, "approve: the national ID "
		    "check did not confirm the identity (no upstream MATCH)"));
	}
	if (store_q(h, "SELECT reviewer, expires_at FROM review_claims WHERE "
	    "case_id = $1", p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	holder[0] = '\0';
	until = 0;
	if (res.nrows == 1) {
		cell_copy(&res, 0, 0, holder, sizeof(holder));
		until = store_cell_int(&res, 0, 1);
	}
	store_res_free(&res);
	if (strcmp(holder, d->reviewer) || until <= now) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "the case is not "
		    "claimed by this reviewer (or the claim expired)"));
	}

	p[3] = store_sv_text(to);
	if (d->to == STORE_STATE_SUBMITTED) {
		/* Back to the pipeline, with a fresh upstream deadline. */
		if (store_q(h, "UPDATE cases SET state = 'SUBMITTED', "
		    "submitted_at = $3, queued_at = $3, updated_at = $3 "
		    "WHERE id = $1 AND state = 'REVIEW'", p, 3, NULL,
		    &changes) == -1)
			return (store_tx_abort(h));
	} else {
		p[4] = store_sv_text(d->reasons_json);
		if (store_q(h, "UPDATE cases SET state = $4, reasons = $5, "
		    "decided_at = $3, updated_at = $3 WHERE id = $1 AND "
		    "state = 'REVIEW'", p, 5, NULL, &changes) == -1)
			return (store_tx_abort(h));
		/* An approved number is held from now on (per-ID cap). */
		if (changes == 1 && d->to == STORE_STATE_APPROVED &&
		    store_subscriber_record_tx(h, d->case_id, now) == -1)
			return (store_tx_abort(h));
	}
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "the case left review"));
	}
	randombytes_buf(raw, sizeof(raw));
	(void)sodium_bin2hex(did, sizeof(did), raw, sizeof(raw));
	p[0] = store_sv_text(did);
	p[1] = store_sv_text(d->case_id);
	p[2] = store_sv_text(d->reviewer);
	p[3] = store_sv_text(to);
	p[4] = store_sv_text(d->reason);
	p[5] = store_sv_text(d->comment);
	p[6] = store_sv_int(since);
	p[7] = store_sv_int(now);
	if (store_q(h, "INSERT INTO review_decisions (id, case_id, reviewer, "
	    "outcome, reason, comment, review_since, decided_at) VALUES ($1, "
	    "$2, $3, $4, $5, $6, $7, $8)", p, 8, NULL, NULL) == -1)
		return (store_tx_abort(h));
	oid[0] = '\0';
	if (d->to != STORE_STATE_SUBMITTED) {
		randombytes_buf(raw, sizeof(raw));
		(void)sodium_bin2hex(oid, sizeof(oid), raw, sizeof(raw));
		p[0] = store_sv_text(oid);
		p[2] = store_sv_text(ob->event);
		p[3] = store_sv_text(ob->url);
		p[4] = store_sv_text(ob->payload);
		p[5] = store_sv_int(now);
		if (store_q(h, "INSERT INTO outbox (id, case_id, event, url, "
		    "payload, state, attempts, next_attempt_at, created_at) "
		    "VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6, $6)", p, 6,
		    NULL, NULL) == -1)
			return (store_tx_abort(h));
	}
	p[0] = store_sv_text(d->case_id);
	actor_of(d->reviewer, actor, sizeof(actor));
	(void)snprintf(detail, sizeof(detail), "{\"from\":\"REVIEW\","
	    "\"to\":\"%s\",\"reason\":\"%s\",\"decision_id\":\"%s\"}", to,
	    d->reason, did);
	if (store_q(h, "DELETE FROM review_claims WHERE case_id = $1", p, 1,
	    NULL, NULL) == -1 || store_audit_append_tx(h, d->case_id, actor,
	    "review.decided", detail, now) == -1)
		return (store_tx_abort(h));
	if (h->be->commit(h) == -1)
		return (-1);
	if (outbox_id != NULL)
		memcpy(outbox_id, oid, sizeof(oid));
	return (0);
}

/*
 * Reads for the case view.
 */

int
store_audit_case(struct store *h, const char *case_id,
    struct store_audit_row *out, size_t max, size_t *n)
{
	struct sval	p[2];
	struct sres	res;
	size_t		i;

	*n = 0;
	if (store_check_id(h, case_id) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_int((int64_t)max);
	if (store_q(h,
	    "SELECT seq, created_at, actor, event, detail FROM audit "
	    "WHERE case_id = $1 ORDER BY seq LIMIT $2", p, 2, &res,
	    NULL) == -1)
		return (-1);
	for (i = 0; i < res.nrows && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].seq = store_cell_int(&res, i, 0);
		out[i].created_at = store_cell_int(&res, i, 1);
		cell_copy(&res, i, 2, out[i].actor, sizeof(out[i].actor));
		cell_copy(&res, i, 3, out[i].event, sizeof(out[i].event));
		if ((out[i].detail = strdup(store_res_cell(&res, i,
		    4)->p)) == NULL) {
			store_audit_rows_free(out, i);
			store_res_free(&res);
			return (store_fail(h, STORE_UNAVAILABLE, "out of "
			    "memory"));
		}
	}
	*n = i;
	store_res_free(&res);
	return (0);
}

void
store_audit_rows_free(struct store_audit_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(rows[i].detail);
		rows[i].detail = NULL;
	}
}

int
store_cases_same_number(struct store *h, const char *case_id,
    const char *id_number_hash, char (*ids)[STORE_ID_LEN + 1],
    enum store_state *states, size_t max, size_t *n)
{
	struct sval	p[3];
	struct sres	res;
	size_t		i;

	*n = 0;
	if (store_check_id(h, case_id) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_text(id_number_hash);
	p[2] = store_sv_int((int64_t)max);
	if (store_q(h,
	    "SELECT id, state FROM cases WHERE id_number_hash = $2 AND "
	    "id <> $1 ORDER BY created_at DESC LIMIT $3", p, 3, &res,
	    NULL) == -1)
		return (-1);
	for (i = 0; i < res.nrows && i < max; i++) {
		cell_copy(&res, i, 0, ids[i], STORE_ID_LEN + 1);
		if (store_state_parse(store_res_cell(&res, i, 1)->p,
		    &states[i]) == -1)
			states[i] = STORE_STATE_COUNT;
	}
	*n = i;
	store_res_free(&res);
	return (0);
}

/*
 * Statistics: computed here from the decision rows since `since` (the
 * console shows a few weeks; STATS_ROWS_MAX bounds the work).
 */
int
store_review_stats(struct store *h, int64_t since, int64_t now,
    struct store_review_stats *out)
{
	struct sval	 p[2];
	struct sres	 res;
	int64_t		*times, age, t, day;
	const char	*outcome, *reason;
	size_t		 i, j, nt;

	memset(out, 0, sizeof(*out));
	out->since = since;
	out->day0 = (now / DAY_MS - (STORE_REVIEW_STATS_DAYS - 1)) * DAY_MS;
	p[0] = store_sv_int(since);
	p[1] = store_sv_int(STATS_ROWS_MAX);
	if (store_q(h, "SELECT outcome, reason, review_since, decided_at FROM "
	    "review_decisions WHERE decided_at >= $1 ORDER BY decided_at "
	    "DESC LIMIT $2", p, 2, &res, NULL) == -1)
		return (-1);
	if ((times = calloc(res.nrows + 1, sizeof(*times))) == NULL) {
		store_res_free(&res);
		return (store_fail(h, STORE_UNAVAILABLE, "out of memory"));
	}
	nt = 0;
	for (i = 0; i < res.nrows; i++) {
		outcome = store_res_cell(&res, i, 0)->p;
		reason = store_res_cell(&res, i, 1)->p;
		t = store_cell_int(&res, i, 3);
		out->decided++;
		if (!strcmp(outcome, "APPROVED"))
			out->approved++;
		else if (!strcmp(outcome, "REJECTED"))
			out->rejected++;
		else
			out->sent_back++;
		if (t - store_cell_int(&res, i, 2) >= 0)
			times[nt++] = t - store_cell_int(&res, i, 2);
		if (t >= out->day0) {
			day = (t - out->day0) / DAY_MS;
			if (day >= 0 && day < STORE_REVIEW_STATS_DAYS)
				out->per_day[day]++;
		}
		if (!strcmp(outcome, "APPROVED"))
			continue;
		for (j = 0; j < out->nreasons; j++) {
			if (!strcmp(out->reason[j], reason))
				break;
		}
		if (j == out->nreasons) {
			if (j == STORE_REVIEW_STATS_REASONS)
				continue;
			(void)snprintf(out->reason[j], sizeof(out->reason[j]),
			    "%s", reason);
			out->nreasons++;
		}
		out->reason_count[j]++;
	}
	store_res_free(&res);
	if (nt > 0) {
		qsort(times, nt, sizeof(*times), cmp_i64);
		out->time_p50 = times[(nt - 1) * 50 / 100];
		out->time_p90 = times[(nt - 1) * 90 / 100];
		out->time_p99 = times[(nt - 1) * 99 / 100];
		out->time_max = times[nt - 1];
	}
	free(times);
	/* Most frequent first (a handful: insertion sort). */
	for (i = 1; i < out->nreasons; i++) {
		for (j = i; j > 0 && out->reason_count[j] >
		    out->reason_count[j - 1]; j--) {
			char	tmp[STORE_REVIEW_REASON_MAX];

			memcpy(tmp, out->reason[j], sizeof(tmp));
			memcpy(out->reason[j], out->reason[j - 1],
			    sizeof(tmp));
			memcpy(out->reason[j - 1], tmp, sizeof(tmp));
			t = out->reason_count[j];
			out->reason_count[j] = out->reason_count[j - 1];
			out->reason_count[j - 1] = t;
		}
	}

	if (store_q(h, "SELECT decided_at FROM cases WHERE state = 'REVIEW'",
	    NULL, 0, &res, NULL) == -1)
		return (-1);
	for (i = 0; i < res.nrows; i++) {
		age = now - store_cell_int(&res, i, 0);
		if (age < 0)
			age = 0;
		out->queued++;
		if (age > out->oldest_age)
			out->oldest_age = age;
		out->age_buckets[age < HOUR_MS ? 0 : age < 4 * HOUR_MS ? 1 :
		    age < 24 * HOUR_MS ? 2 : 3]++;
	}
	store_res_free(&res);
	return (0);
}

/*
 * Static helpers (the store's own are private to store.c).
 */







/* Copies a text cell, cut to fit; NULL reads as "". */
static void
cell_copy(const struct sres *res, size_t r, size_t col, char *dst,
    size_t dstlen)
{
	const struct scell	*c;

	c = store_res_cell(res, r, col);
	(void)snprintf(dst, dstlen, "%s", c->null ? "" : c->p);
}


static int
check_name(struct store *h, const char *name)
{
	if (!store_reviewer_name_valid(name))
		return (store_fail(h, STORE_INVALID, "reviewer name: 1 to %d "
		    "of a-z 0-9 . _ -", STORE_REVIEWER_NAME_MAX - 1));
	return (0);
}

static void
actor_of(const char *name, char *out, size_t len)
{
	(void)snprintf(out, len, "reviewer:%s", name);
}

static int
reviewer_from_row(const struct sres *res, size_t r, struct store_reviewer *out)
{
	memset(out, 0, sizeof(*out));
	cell_copy(res, r, 0, out->name, sizeof(out->name));
	if (store_role_parse(store_res_cell(res, r, 1)->p, &out->role) == -1)
		return (-1);
	cell_copy(res, r, 2, out->pwhash, sizeof(out->pwhash));
	out->disabled = store_cell_int(res, r, 3) != 0;
	out->failed_logins = (int)store_cell_int(res, r, 4);
	out->locked_until = store_cell_int(res, r, 5);
	out->created_at = store_cell_int(res, r, 6);
	out->updated_at = store_cell_int(res, r, 7);
	return (0);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}
