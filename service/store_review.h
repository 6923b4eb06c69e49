/*
 * The reviewer console's part of the store (migration 0005): reviewers,
 * their sessions, claims on REVIEW cases, the console's decisions, and
 * the reads the console needs (queue, history, statistics).  Same rules
 * as store.h: plain C, one handle per thread, 0 or -1 with
 * store_errcode()/store_error(), times in UTC milliseconds passed in.
 *
 * A reviewer's decision is written like the pipeline's: the case's new
 * state, the decision row, the webhook outbox row, the end of the claim
 * and the audit row (actor "reviewer:<name>") in one transaction, only
 * while the case is still in REVIEW and claimed by that reviewer under a
 * claim that has not expired.  Fail closed: APPROVED is refused unless
 * the pipeline's stored decision records an upstream MATCH.
 */
#ifndef RN_STORE_REVIEW_H
#define RN_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_REVIEWER_NAME_MAX		64	/* bytes, with the NUL */
#define STORE_PWHASH_MAX		128	/* crypto_pwhash_STRBYTES */
#define STORE_REVIEW_REASON_MAX		64
#define STORE_REVIEW_COMMENT_MAX	1024
#define STORE_CSRF_HEX_LEN		64
#define STORE_REVIEW_STATS_REASONS	8
#define STORE_REVIEW_STATS_DAYS		14

enum store_role {
	STORE_ROLE_REVIEWER = 0,	/* claims and decides */
	STORE_ROLE_SUPERVISOR,		/* also statistics, any claim */
	STORE_ROLE_AUDITOR,		/* reads everything, changes nothing */
	STORE_ROLE_COUNT
};

struct store_reviewer {
	char		name[STORE_REVIEWER_NAME_MAX];
	enum store_role	role;
	char		pwhash[STORE_PWHASH_MAX];
	int		disabled;
	int		failed_logins;
	int64_t		locked_until;	/* 0 or before now: not locked */
	int64_t		created_at;
	int64_t		updated_at;
};

struct store_session {
	char		reviewer[STORE_REVIEWER_NAME_MAX];
	enum store_role	role;
	char		csrf[STORE_CSRF_HEX_LEN + 1];
	int64_t		created_at;
	int64_t		last_seen;
};

/* One case of the review queue. */
struct store_review_item {
	char	 id[STORE_ID_LEN + 1];
	char	 order_ref[STORE_ORDER_REF_MAX];
	char	 channel[STORE_CHANNEL_MAX];
	int64_t	 since;		/* entered REVIEW */
	char	 claimed_by[STORE_REVIEWER_NAME_MAX];	/* "" if free */
	int64_t	 claim_expires_at;
	char	*reasons;	/* JSON, or NULL */
};

/* A decision from the console. */
struct store_review_decision {
	const char	*case_id;
	const char	*reviewer;
	/* APPROVED, REJECTED, or SUBMITTED: back for a new ID check. */
	enum store_state to;
	const char	*reason;	/* code; "approved" for APPROVED */
	const char	*comment;	/* may be "" */
	const char	*reasons_json;	/* customer-facing reasons */
};

struct store_audit_row {
	int64_t	 seq;
	int64_t	 created_at;
	char	 actor[STORE_OWNER_MAX];
	char	 event[STORE_EVENT_MAX];
	char	*detail;	/* JSON */
};

struct store_review_stats {
	int64_t	since;
	int64_t	decided;		/* decisions since `since` */
	int64_t	approved;
	int64_t	rejected;
	int64_t	sent_back;
	/* Reasons of decisions since `since`, most frequent first. */
	size_t	nreasons;
	char	reason[STORE_REVIEW_STATS_REASONS][STORE_REVIEW_REASON_MAX];
	int64_t	reason_count[STORE_REVIEW_STATS_REASONS];
	/* Decisions per UTC day, the last entry being today. */
	int64_t	per_day[STORE_REVIEW_STATS_DAYS];
	int64_t	day0;			/* ms of the first day's start */
	/* Time from entering REVIEW to the decision, milliseconds. */
	int64_t	time_p50, time_p90, time_p99, time_max;
	/* The queue now. */
	int64_t	queued;
	int64_t	oldest_age;		/* ms; 0 when empty */
	int64_t	age_buckets[4];		/* < 1 h, < 4 h, < 24 h, older */
};

const char	*store_role_name(enum store_role);
int		 store_role_parse(const char *, enum store_role *);
/* 1 to 63 bytes of [a-z0-9._-], starting with a letter or digit. */
int		 store_reviewer_name_valid(const char *);

/* Reviewers.  actor names who asked, for the audit row. */
int	store_reviewer_add(struct store *, const char *name, enum store_role,
	    const char *pwhash, const char *actor, int64_t now);
int	store_reviewer_get(struct store *, const char *name,
	    struct store_reviewer *out);
/* Up to max reviewers by name; *n receives the count. */
int	store_reviewer_list(struct store *, struct store_reviewer *out,
	    size_t max, size_t *n);
/* Disabling also ends every session of the reviewer. */
int	store_reviewer_disable(struct store *, const char *name, int disabled,
	    const char *actor, int64_t now);
/* A new password: unlocks, clears failures, ends every session. */
int	store_reviewer_reset(struct store *, const char *name,
	    const char *pwhash, const char *actor, int64_t now);

/*
 * Counts one failed login; at max_failures the account is locked until
 * now + lock_ms and the count starts again (audited).  *locked (may be
 * NULL) is 1 when this failure locked it.  STORE_NOT_FOUND for an
 * unknown name (nothing is written).
 */
int	store_reviewer_login_failed(struct store *, const char *name,
	    int max_failures, int64_t lock_ms, int64_t now, int *locked);
/*
 * A successful login: clears the failures and creates the session (its
 * cookie's hash and CSRF token), audited, in one transaction.
 */
int	store_reviewer_login_ok(struct store *, const char *name,
	    const char *session_hash, const char *csrf, int64_t now);

/*
 * The live session with this cookie hash: not idle for idle_ms, not
 * older than absolute_ms, of a reviewer not disabled.  Touches its
 * last_seen.  STORE_NOT_FOUND otherwise (an expired one is deleted).
 */
int	store_session_get(struct store *, const char *session_hash,
	    int64_t idle_ms, int64_t absolute_ms, int64_t now,
	    struct store_session *out);
/* Ends a session (logout), audited with the reviewer's name. */
int	store_session_delete(struct store *, const char *session_hash,
	    int64_t now);

/*
 * REVIEW cases, oldest first, with their claims; reason and channel (may
 * be NULL) filter.  Release with store_review_items_free.
 */
int	store_review_queue(struct store *, const char *reason,
	    const char *channel, size_t limit, int64_t now,
	    struct store_review_item **out, size_t *n);
void	store_review_items_free(struct store_review_item *, size_t n);

/*
 * Claims a REVIEW case for reviewer until now + claim_ms: free, expired,
 * or already the reviewer's (renewed); with take_over (a supervisor)
 * also someone else's.  STORE_CONFLICT when another holds it or the case
 * left REVIEW.  Audited.
 */
int	store_review_claim(struct store *, const char *case_id,
	    const char *reviewer, int64_t claim_ms, int take_over,
	    int64_t now, int64_t *expires_at);
/* Gives a claim back (only the holder's).  Audited. */
int	store_review_release(struct store *, const char *case_id,
	    const char *reviewer, int64_t now);
/* The live claim on a case: holder and expiry, or STORE_NOT_FOUND. */
int	store_review_claim_get(struct store *, const char *case_id,
	    int64_t now, char reviewer[STORE_REVIEWER_NAME_MAX],
	    int64_t *expires_at);

/* Whether a stored decision JSON records an upstream MATCH. */
int	store_decision_upstream_match(const char *decision);

/*
 * Writes a console decision (see above).  ob is the webhook for
 * APPROVED and REJECTED, NULL for SUBMITTED.  STORE_CONFLICT: not in
 * REVIEW, or not claimed by this reviewer (or the claim expired);
 * STORE_INVALID: APPROVED without an upstream MATCH, or bad arguments.
 */
int	store_review_decide(struct store *,
	    const struct store_review_decision *,
	    const struct store_outbox_new *ob, int64_t now,
	    char outbox_id[STORE_ID_LEN + 1]);

/* The audit rows of one case, oldest first, at most max. */
int	store_audit_case(struct store *, const char *case_id,
	    struct store_audit_row *out, size_t max, size_t *n);
void	store_audit_rows_free(struct store_audit_row *, size_t n);

/* Other cases declaring the same ID number (by its hash), newest first. */
int	store_cases_same_number(struct store *, const char *case_id,
	    const char *id_number_hash, char (*ids)[STORE_ID_LEN + 1],
	    enum store_state *states, size_t max, size_t *n);

int	store_review_stats(struct store *, int64_t since, int64_t now,
	    struct store_review_stats *out);

#endif
