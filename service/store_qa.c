/*
 * QA sampling and the oversight figures (see store_qa.h).  The SQL is
 * the store's: both engines, $n parameters, every change in one
 * transaction with its audit row.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store_backend.h"
#include "store_qa.h"

#define SAMPLE_COLUMNS \
	"q.case_id, c.order_ref, q.channel, q.dealer, q.auto_state, " \
	"c.state, q.seq, q.sampled_at, q.verdict, q.supervisor, q.to_state, " \
	"q.reason, q.comment, q.reviewed_at, c.reasons, c.decision"

/* Set once at start, before any thread decides. */
static uint32_t	policy_share_ppm = (uint32_t)(STORE_QA_DEFAULT_SHARE *
		    STORE_QA_PPM);
static int64_t	policy_seed;

static int	sample_from_row(struct store *, const struct sres *, size_t,
		    struct store_qa_sample *);
static void	sample_free(struct store_qa_sample *);
static int	codes_from_reasons(struct rn_oversight_row *, const char *);
static struct rn_oversight_row *row_find(struct rn_oversight_row **,
		    size_t *, size_t *, const char *, const char *);

void
store_qa_policy_set(double share, int64_t seed)
{
	if (share < 0)
		share = 0;
	if (share > 1)
		share = 1;
	policy_share_ppm = (uint32_t)(share * STORE_QA_PPM + 0.5);
	policy_seed = seed;
}

uint32_t
store_qa_share_ppm(void)
{
	return (policy_share_ppm);
}

/*
 * A keyed hash of the channel under the seed (BLAKE2b; the key is the
 * seed's eight bytes and a fixed label), reduced to [0, 10^6): the
 * modulo bias of 2^64 mod 10^6 is far below anything observable.
 */
uint32_t
store_qa_start(int64_t seed, const char *channel)
{
	unsigned char	key[crypto_generichash_KEYBYTES];
	unsigned char	out[8];
	uint64_t	v, s;
	size_t		i;

	if (seed == 0)
		return (randombytes_uniform(STORE_QA_PPM));
	memset(key, 0, sizeof(key));
	s = (uint64_t)seed;
	for (i = 0; i < 8; i++)
		key[i] = (unsigned char)(s >> (8 * i));
	memcpy(key + 8, "rn-qa-start", 11);
	(void)crypto_generichash(out, sizeof(out),
	    (const unsigned char *)channel, strlen(channel), key, sizeof(key));
	v = 0;
	for (i = 0; i < 8; i++)
		v = (v << 8) | out[i];
	return ((uint32_t)(v % STORE_QA_PPM));
}

int
store_qa_pick(uint32_t share_ppm, uint32_t start_ppm, int64_t seen,
    int64_t sampled)
{
	int64_t	due;

	if (share_ppm == 0 || seen < 1)
		return (0);
	due = (seen * (int64_t)share_ppm + (int64_t)start_ppm) / STORE_QA_PPM;
	return (due > sampled);
}

int
store_qa_sample_tx(struct store *h, const char *case_id, enum store_state to,
    int64_t now)
{
	struct sres	 res;
	struct sval	 p[6];
	char		 channel[STORE_CHANNEL_MAX];
	char		 dealer[RN_OVERSIGHT_NAME_MAX], detail[128];
	uint32_t	 share, start;
	int64_t		 seen, sampled, already;

	if (to != STORE_STATE_APPROVED && to != STORE_STATE_REJECTED)
		return (0);
	share = policy_share_ppm;
	if (share == 0)
		return (0);
	p[0] = store_sv_text(case_id);
	if (store_q(h, "SELECT channel, dealer, (SELECT count(*) FROM "
	    "qa_samples WHERE case_id = $1) FROM cases WHERE id = $1", p, 1,
	    &res, NULL) == -1)
		return (-1);
	if (res.nrows != 1) {
		store_res_free(&res);
		return (store_fail(h, STORE_NOT_FOUND, "qa: no case"));
	}
	already = store_cell_int(&res, 0, 2);
	if (store_cell_copy(h, &res, 0, 0, channel, sizeof(channel),
	    "channel") == -1 || store_cell_copy(h, &res, 0, 1, dealer,
	    sizeof(dealer), "dealer") == -1) {
		store_res_free(&res);
		return (-1);
	}
	store_res_free(&res);
	if (already > 0)
		return (0);

	/* The stratum: made on first use, with its start drawn once. */
	p[0] = store_sv_text(channel);
	p[1] = store_sv_int(share);
	p[2] = store_sv_int(store_qa_start(policy_seed, channel));
	p[3] = store_sv_int(now);
	if (store_q(h, "INSERT INTO qa_strata (channel, share_ppm, start_ppm, "
	    "seen, sampled, updated_at) VALUES ($1, $2, $3, 0, 0, $4) "
	    "ON CONFLICT (channel) DO NOTHING", p, 4, NULL, NULL) == -1)
		return (-1);
	/* Counts this decision; a new share starts the count again. */
	p[2] = store_sv_int(now);
	if (store_q(h, "UPDATE qa_strata SET seen = CASE WHEN share_ppm = $2 "
	    "THEN seen + 1 ELSE 1 END, sampled = CASE WHEN share_ppm = $2 "
	    "THEN sampled ELSE 0 END, share_ppm = $2, updated_at = $3 "
	    "WHERE channel = $1", p, 3, NULL, NULL) == -1)
		return (-1);
	if (store_q(h, "SELECT start_ppm, seen, sampled FROM qa_strata WHERE "
	    "channel = $1", p, 1, &res, NULL) == -1)
		return (-1);
	if (res.nrows != 1) {
		store_res_free(&res);
		return (store_fail(h, STORE_INTERNAL, "qa: no stratum"));
	}
	start = (uint32_t)store_cell_int(&res, 0, 0);
	seen = store_cell_int(&res, 0, 1);
	sampled = store_cell_int(&res, 0, 2);
	store_res_free(&res);
	if (!store_qa_pick(share, start, seen, sampled))
		return (0);

	if (store_q(h, "UPDATE qa_strata SET sampled = sampled + 1 WHERE "
	    "channel = $1", p, 1, NULL, NULL) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	p[1] = store_sv_text(channel);
	p[2] = store_sv_text(dealer);
	p[3] = store_sv_text(store_state_name(to));
	p[4] = store_sv_int(seen);
	p[5] = store_sv_int(now);
	if (store_q(h, "INSERT INTO qa_samples (case_id, channel, dealer, "
	    "auto_state, seq, sampled_at) VALUES ($1, $2, $3, $4, $5, $6)",
	    p, 6, NULL, NULL) == -1)
		return (-1);
	(void)snprintf(detail, sizeof(detail), "{\"auto_state\":\"%s\","
	    "\"seq\":%lld,\"share_ppm\":%u}", store_state_name(to),
	    (long long)seen, share);
	return (store_audit_append_tx(h, case_id, "store", "qa.sampled",
	    detail, now));
}

int
store_qa_list(struct store *h, enum store_qa_which which, size_t limit,
    struct store_qa_sample **out, size_t *n)
{
	struct store_qa_sample	*list;
	struct sres		 res;
	struct sval		 p[1];
	const char		*sql;
	size_t			 i;

	*out = NULL;
	*n = 0;
	switch (which) {
	case STORE_QA_LIST_PENDING:
		sql = "SELECT " SAMPLE_COLUMNS " FROM qa_samples q JOIN cases "
		    "c ON c.id = q.case_id WHERE q.verdict IS NULL ORDER BY "
		    "q.sampled_at, q.case_id LIMIT $1";
		break;
	case STORE_QA_LIST_OVERRIDES:
		sql = "SELECT " SAMPLE_COLUMNS " FROM qa_samples q JOIN cases "
		    "c ON c.id = q.case_id WHERE q.verdict = 'override' ORDER "
		    "BY q.reviewed_at DESC, q.case_id LIMIT $1";
		break;
	default:
		sql = "SELECT " SAMPLE_COLUMNS " FROM qa_samples q JOIN cases "
		    "c ON c.id = q.case_id ORDER BY q.sampled_at DESC, "
		    "q.case_id LIMIT $1";
		break;
	}
	p[0] = store_sv_int((int64_t)limit);
	if (store_q(h, sql, p, 1, &res, NULL) == -1)
		return (-1);
	if (res.nrows == 0) {
		store_res_free(&res);
		return (0);
	}
	if ((list = calloc(res.nrows, sizeof(*list))) == NULL) {
		store_res_free(&res);
		return (store_fail(h, STORE_UNAVAILABLE, "qa: out of memory"));
	}
	for (i = 0; i < res.nrows; i++) {
		if (sample_from_row(h, &res, i, &list[i]) == -1) {
			store_res_free(&res);
			store_qa_samples_free(list, i + 1);
			return (-1);
		}
	}
	*n = res.nrows;
	*out = list;
	store_res_free(&res);
	return (0);
}

int
store_qa_sample_get(struct store *h, const char *case_id,
    struct store_qa_sample *out)
{
	struct sres	res;
	struct sval	p[1];
	int		ret;

	memset(out, 0, sizeof(*out));
	if (store_check_id(h, case_id) == -1)
		return (-1);
	p[0] = store_sv_text(case_id);
	if (store_q(h, "SELECT " SAMPLE_COLUMNS " FROM qa_samples q JOIN "
	    "cases c ON c.id = q.case_id WHERE q.case_id = $1", p, 1, &res,
	    NULL) == -1)
		return (-1);
	if (res.nrows != 1) {
		store_res_free(&res);
		return (store_fail(h, STORE_NOT_FOUND, "qa: not sampled"));
	}
	ret = sample_from_row(h, &res, 0, out);
	store_res_free(&res);
	if (ret == -1)
		sample_free(out);
	return (ret);
}

void
store_qa_samples_free(struct store_qa_sample *list, size_t n)
{
	size_t	i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		sample_free(&list[i]);
	free(list);
}

int
store_qa_decide(struct store *h, const struct store_qa_decision *d,
    const struct store_outbox_new *ob, int64_t now,
    char outbox_id[STORE_ID_LEN + 1])
{
	struct sres	 res;
	struct sval	 p[8];
	char		 actor[STORE_OWNER_MAX], detail[320];
	char		 oid[STORE_ID_LEN + 1];
	enum store_state auto_state, state;
	const char	*to, *reason;
	int64_t		 changes;
	int		 match;

	if (store_check_id(h, d->case_id) == -1 ||
	    !store_reviewer_name_valid(d->supervisor))
		return (store_fail(h, STORE_INVALID, "qa: bad case or name"));
	if (d->comment == NULL || strlen(d->comment) >= STORE_REVIEW_COMMENT_MAX)
		return (store_fail(h, STORE_INVALID, "qa: bad comment"));
	if (d->verdict == STORE_QA_OVERRIDE) {
		if (d->reason == NULL || *d->reason == '\0' ||
		    strlen(d->reason) >= STORE_REVIEW_REASON_MAX ||
		    strpbrk(d->reason, "\"\\") != NULL)
			return (store_fail(h, STORE_INVALID, "qa: an override "
			    "needs a reason code"));
		if (d->to != STORE_STATE_APPROVED &&
		    d->to != STORE_STATE_REJECTED &&
		    d->to != STORE_STATE_REVIEW)
			return (store_fail(h, STORE_INVALID, "qa: %s is not an "
			    "override", store_state_name(d->to)));
		if (ob == NULL || ob->event == NULL || ob->url == NULL ||
		    ob->payload == NULL || (d->to != STORE_STATE_REVIEW &&
		    d->reasons_json == NULL))
			return (store_fail(h, STORE_INVALID, "qa: an override "
			    "needs its webhook and reasons"));
	} else if (d->verdict != STORE_QA_AGREE)
		return (store_fail(h, STORE_INVALID, "qa: no verdict"));

	p[0] = store_sv_text(d->case_id);
	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_q(h, "SELECT q.auto_state, q.verdict, c.state, c.decision "
	    "FROM qa_samples q JOIN cases c ON c.id = q.case_id WHERE "
	    "q.case_id = $1", p, 1, &res, NULL) == -1)
		return (store_tx_abort(h));
	if (res.nrows != 1) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_NOT_FOUND, "qa: not sampled"));
	}
	if (!store_res_cell(&res, 0, 1)->null) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "qa: a verdict was "
		    "recorded already"));
	}
	if (store_state_parse(store_res_cell(&res, 0, 0)->p,
	    &auto_state) == -1 || store_state_parse(store_res_cell(&res, 0,
	    2)->p, &state) == -1) {
		store_res_free(&res);
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_INTERNAL, "qa: bad stored state"));
	}
	match = store_decision_upstream_match(store_res_cell(&res, 0,
	    3)->null ? NULL : store_res_cell(&res, 0, 3)->p);
	store_res_free(&res);
	if (state != auto_state) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "qa: the case is no "
		    "longer %s", store_state_name(auto_state)));
	}
	if (d->verdict == STORE_QA_OVERRIDE) {
		/* Which way an override may go; approval fails closed. */
		if ((auto_state == STORE_STATE_APPROVED &&
		    d->to != STORE_STATE_REJECTED) ||
		    (auto_state == STORE_STATE_REJECTED &&
		    d->to == STORE_STATE_REJECTED)) {
			(void)store_tx_abort(h);
			return (store_fail(h, STORE_INVALID, "qa: %s cannot be "
			    "overridden to %s", store_state_name(auto_state),
			    store_state_name(d->to)));
		}
		if (d->to == STORE_STATE_APPROVED && !match) {
			(void)store_tx_abort(h);
			return (store_fail(h, STORE_INVALID, "approve: the "
			    "national ID check did not confirm the identity "
			    "(no upstream MATCH)"));
		}
	}

	to = d->verdict == STORE_QA_OVERRIDE ? store_state_name(d->to) : NULL;
	reason = d->verdict == STORE_QA_OVERRIDE ? d->reason : NULL;
	p[1] = store_sv_text(store_qa_verdict_name(d->verdict));
	p[2] = store_sv_text(d->supervisor);
	p[3] = store_sv_text(to);
	p[4] = store_sv_text(reason);
	p[5] = store_sv_text(d->comment);
	p[6] = store_sv_int(now);
	if (store_q(h, "UPDATE qa_samples SET verdict = $2, supervisor = $3, "
	    "to_state = $4, reason = $5, comment = $6, reviewed_at = $7 WHERE "
	    "case_id = $1 AND verdict IS NULL", p, 7, NULL, &changes) == -1)
		return (store_tx_abort(h));
	if (changes != 1) {
		(void)store_tx_abort(h);
		return (store_fail(h, STORE_CONFLICT, "qa: a verdict was "
		    "recorded already"));
	}

	oid[0] = '\0';
	if (d->verdict == STORE_QA_OVERRIDE) {
		p[1] = store_sv_text(to);
		p[2] = store_sv_int(now);
		p[3] = store_sv_text(store_state_name(auto_state));
		p[4] = store_sv_text(d->reasons_json);
		/* Back to REVIEW: it entered the queue now, reasons kept. */
		if (store_q(h, d->to == STORE_STATE_REVIEW ?
		    "UPDATE cases SET state = $2, decided_at = $3, "
		    "updated_at = $3 WHERE id = $1 AND state = $4" :
		    "UPDATE cases SET state = $2, reasons = $5, "
		    "decided_at = $3, updated_at = $3 WHERE id = $1 AND "
		    "state = $4", p, d->to == STORE_STATE_REVIEW ? 4 : 5, NULL,
		    &changes) == -1)
			return (store_tx_abort(h));
		if (changes != 1) {
			(void)store_tx_abort(h);
			return (store_fail(h, STORE_CONFLICT, "qa: the case "
			    "changed"));
		}
		if (d->to == STORE_STATE_APPROVED &&
		    store_subscriber_record_tx(h, d->case_id, now) == -1)
			return (store_tx_abort(h));
		if (store_new_id(h, oid) == -1)
			return (store_tx_abort(h));
		p[0] = store_sv_text(oid);
		p[1] = store_sv_text(d->case_id);
		p[2] = store_sv_text(ob->event);
		p[3] = store_sv_text(ob->url);
		p[4] = store_sv_text(ob->payload);
		p[5] = store_sv_int(now);
		if (store_q(h, "INSERT INTO outbox (id, case_id, event, url, "
		    "payload, state, attempts, next_attempt_at, created_at) "
		    "VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6, $6)", p, 6,
		    NULL, NULL) == -1)
			return (store_tx_abort(h));
		(void)snprintf(detail, sizeof(detail), "{\"from\":\"%s\","
		    "\"to\":\"%s\",\"reason\":\"%s\",\"outbox_id\":\"%s\"}",
		    store_state_name(auto_state), to, reason, oid);
	} else
		(void)snprintf(detail, sizeof(detail), "{\"state\":\"%s\"}",
		    store_state_name(auto_state));
	(void)snprintf(actor, sizeof(actor), "supervisor:%s", d->supervisor);
	if (store_audit_append_tx(h, d->case_id, actor,
	    d->verdict == STORE_QA_OVERRIDE ? "qa.overridden" : "qa.agreed",
	    detail, now) == -1)
		return (store_tx_abort(h));
	if (store_tx_commit(h) == -1)
		return (-1);
	if (outbox_id != NULL)
		memcpy(outbox_id, oid, sizeof(oid));
	return (0);
}

int
store_oversight_dealers(struct store *h, int64_t since,
    struct rn_oversight_row **out, size_t *n)
{
	struct rn_oversight_row	*rows, *r;
	struct sres		 res;
	struct sval		 p[1];
	size_t			 nrows, cap, i;
	const char		*ch, *de;

	*out = NULL;
	*n = 0;
	rows = NULL;
	nrows = cap = 0;
	p[0] = store_sv_int(since);
	if (store_q(h, "SELECT c.channel, c.dealer, count(*), "
	    "sum(CASE WHEN c.state IN ('APPROVED', 'REJECTED', 'REVIEW') "
	    "THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN c.state = 'APPROVED' THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN c.state = 'REJECTED' THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN c.state = 'REVIEW' OR EXISTS (SELECT 1 FROM "
	    "review_decisions r WHERE r.case_id = c.id) THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN c.reasons LIKE '%duplicate_face%' THEN 1 ELSE 0 "
	    "END) FROM cases c WHERE c.created_at >= $1 GROUP BY c.channel, "
	    "c.dealer", p, 1, &res, NULL) == -1)
		return (-1);
	for (i = 0; i < res.nrows; i++) {
		ch = store_res_cell(&res, i, 0)->p;
		de = store_res_cell(&res, i, 1)->p;
		if ((r = row_find(&rows, &nrows, &cap, ch, de)) == NULL)
			goto nomem;
		r->volume = store_cell_int(&res, i, 2);
		r->decided = store_cell_int(&res, i, 3);
		r->approved = store_cell_int(&res, i, 4);
		r->rejected = store_cell_int(&res, i, 5);
		r->reviewed = store_cell_int(&res, i, 6);
		r->dup_face = store_cell_int(&res, i, 7);
	}
	store_res_free(&res);

	if (store_q(h, "SELECT c.channel, c.dealer, count(*), "
	    "sum(CASE WHEN q.verdict IS NOT NULL THEN 1 ELSE 0 END), "
	    "sum(CASE WHEN q.verdict = 'override' THEN 1 ELSE 0 END) "
	    "FROM qa_samples q JOIN cases c ON c.id = q.case_id WHERE "
	    "c.created_at >= $1 GROUP BY c.channel, c.dealer", p, 1, &res,
	    NULL) == -1)
		goto fail;
	for (i = 0; i < res.nrows; i++) {
		if ((r = row_find(&rows, &nrows, &cap,
		    store_res_cell(&res, i, 0)->p,
		    store_res_cell(&res, i, 1)->p)) == NULL)
			goto nomem;
		r->qa_sampled = store_cell_int(&res, i, 2);
		r->qa_checked = store_cell_int(&res, i, 3);
		r->qa_overridden = store_cell_int(&res, i, 4);
	}
	store_res_free(&res);

	/*
	 * Rejection reasons: the codes of each rejected case's reasons,
	 * read here rather than with each engine's own JSON functions.
	 * XXX one row per rejected case of the period.
	 */
	if (store_q(h, "SELECT channel, dealer, reasons FROM cases WHERE "
	    "created_at >= $1 AND state = 'REJECTED' AND reasons IS NOT NULL",
	    p, 1, &res, NULL) == -1)
		goto fail;
	for (i = 0; i < res.nrows; i++) {
		if ((r = row_find(&rows, &nrows, &cap,
		    store_res_cell(&res, i, 0)->p,
		    store_res_cell(&res, i, 1)->p)) == NULL)
			goto nomem;
		(void)codes_from_reasons(r, store_res_cell(&res, i, 2)->p);
	}
	store_res_free(&res);
	*out = rows;
	*n = nrows;
	return (0);

nomem:
	store_res_free(&res);
	free(rows);
	return (store_fail(h, STORE_UNAVAILABLE, "oversight: out of memory"));
fail:
	free(rows);
	return (-1);
}

const char *
store_qa_verdict_name(enum store_qa_verdict v)
{
	switch (v) {
	case STORE_QA_AGREE:
		return ("agree");
	case STORE_QA_OVERRIDE:
		return ("override");
	default:
		return ("pending");
	}
}

static int
sample_from_row(struct store *h, const struct sres *res, size_t i,
    struct store_qa_sample *s)
{
	const struct scell	*c;

	memset(s, 0, sizeof(*s));
	if (store_cell_copy(h, res, i, 0, s->case_id, sizeof(s->case_id),
	    "case_id") == -1 || store_cell_copy(h, res, i, 1, s->order_ref,
	    sizeof(s->order_ref), "order_ref") == -1 ||
	    store_cell_copy(h, res, i, 2, s->channel, sizeof(s->channel),
	    "channel") == -1 || store_cell_copy(h, res, i, 3, s->dealer,
	    sizeof(s->dealer), "dealer") == -1)
		return (-1);
	if (store_state_parse(store_res_cell(res, i, 4)->p,
	    &s->auto_state) == -1 || store_state_parse(store_res_cell(res, i,
	    5)->p, &s->state) == -1)
		return (store_fail(h, STORE_INTERNAL, "qa: bad stored state"));
	s->seq = store_cell_int(res, i, 6);
	s->sampled_at = store_cell_int(res, i, 7);
	c = store_res_cell(res, i, 8);
	s->verdict = c->null ? STORE_QA_PENDING : !strcmp(c->p, "override") ?
	    STORE_QA_OVERRIDE : STORE_QA_AGREE;
	if (!store_res_cell(res, i, 9)->null && store_cell_copy(h, res, i, 9,
	    s->supervisor, sizeof(s->supervisor), "supervisor") == -1)
		return (-1);
	c = store_res_cell(res, i, 10);
	s->to_state = s->auto_state;
	if (!c->null && store_state_parse(c->p, &s->to_state) == -1)
		return (store_fail(h, STORE_INTERNAL, "qa: bad stored state"));
	if (!store_res_cell(res, i, 11)->null && store_cell_copy(h, res, i,
	    11, s->reason, sizeof(s->reason), "reason") == -1)
		return (-1);
	if (!store_res_cell(res, i, 12)->null &&
	    (s->comment = store_cell_dup(h, res, i, 12)) == NULL)
		return (-1);
	s->reviewed_at = store_cell_int(res, i, 13);
	if (!store_res_cell(res, i, 14)->null &&
	    (s->reasons = store_cell_dup(h, res, i, 14)) == NULL)
		return (-1);
	c = store_res_cell(res, i, 15);
	s->upstream_match = store_decision_upstream_match(c->null ? NULL :
	    c->p);
	return (0);
}

static void
sample_free(struct store_qa_sample *s)
{
	free(s->comment);
	free(s->reasons);
	s->comment = s->reasons = NULL;
}

/*
 * The "code" members of a reasons array, our own output: a scan for
 * "code":"<code>" suffices and needs no parser with a leaf limit.
 */
static int
codes_from_reasons(struct rn_oversight_row *r, const char *reasons)
{
	char		 code[RN_OVERSIGHT_CODE_MAX];
	const char	*p, *e;
	size_t		 len;

	for (p = reasons; (p = strstr(p, "\"code\":\"")) != NULL; p = e) {
		p += 8;
		if ((e = strchr(p, '"')) == NULL)
			break;
		len = (size_t)(e - p);
		if (len == 0 || len >= sizeof(code))
			continue;
		memcpy(code, p, len);
		code[len] = '\0';
		rn_oversight_count_code(r, code, 1);
	}
	return (0);
}

static struct rn_oversight_row *
row_find(struct rn_oversight_row **rows, size_t *n, size_t *cap,
    const char *channel, const char *dealer)
{
	struct rn_oversight_row	*nr;
	size_t			 i, ncap;

	if (channel == NULL)
		channel = "";
	if (dealer == NULL)
		dealer = "";
	for (i = 0; i < *n; i++) {
		if (!strcmp((*rows)[i].channel, channel) &&
		    !strcmp((*rows)[i].dealer, dealer))
			return (&(*rows)[i]);
	}
	if (*n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if ((nr = realloc(*rows, ncap * sizeof(*nr))) == NULL)
			return (NULL);
		*rows = nr;
		*cap = ncap;
	}
	nr = &(*rows)[(*n)++];
	memset(nr, 0, sizeof(*nr));
	nr->level = RN_OVERSIGHT_DEALER;
	(void)snprintf(nr->channel, sizeof(nr->channel), "%s", channel);
	(void)snprintf(nr->dealer, sizeof(nr->dealer), "%s", dealer);
	return (nr);
}
