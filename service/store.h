/*
 * The store: cases, images, the work queue, the webhook outbox,
 * idempotency keys and the audit chain, behind one small interface with
 * two backends chosen by URL:
 *
 *   sqlite:PATH                  one file, WAL (the default,
 *                                sqlite:var/realname.db)
 *   postgresql://... postgres://... or a libpq conninfo ("host=... ")
 *
 * Plain C, no Kore: it is called from Kore task threads and from tests.
 * A handle is one connection and belongs to one thread at a time.  Every
 * function returns 0 or -1; after -1, store_errcode() says what kind of
 * failure it was and store_error() says precisely what failed.  Messages
 * never carry stored values (names, ID numbers): PostgreSQL's DETAIL
 * lines, which can, are not copied.
 *
 * Every time is UTC milliseconds since the epoch and is passed in by the
 * caller (store_now_ms() gives the clock), so that leases, retries and
 * expiry are decided against one clock per call and tests can move it.
 * Across nodes, clocks must be synchronised well within the lease times.
 *
 * "The store is the queue": a case advances only by a state transition
 * in one transaction, guarded by the state it is expected to be in (or
 * by the lease it is expected to hold), and every state change appends
 * a row to the audit chain inside that same transaction.
 */
#ifndef RN_STORE_H
#define RN_STORE_H

#include <stddef.h>
#include <stdint.h>

/* The newest migration this code needs (deploy/sql/<backend>/). */
#define STORE_SCHEMA_VERSION	7

#define STORE_ERR_MAX		512
#define STORE_ID_LEN		32	/* hex of 128 random bits */
#define STORE_HASH_HEX_LEN	64	/* hex of 32 bytes */
#define STORE_ORDER_REF_MAX	128	/* bytes, with the NUL */
#define STORE_CHANNEL_MAX	64
#define STORE_NAME_MAX		256	/* UTF-8 bytes */
#define STORE_ID_NUMBER_MAX	32
#define STORE_URL_MAX		1024
#define STORE_OWNER_MAX		128
#define STORE_KEY_ID_MAX	64
#define STORE_EVENT_MAX		64
#define STORE_CLIENT_MAX	64
#define STORE_IDEM_KEY_MAX	256
/* store_outbox_retry()'s next_attempt_at for "give up". */
#define STORE_OUTBOX_RETRY_NEVER	0
#define STORE_FACE_DIMS_MAX	4096
#define STORE_MSISDN_MAX	16	/* 11 digits, with the NUL */
#define STORE_DEALER_MAX	64
#define STORE_DEALER_NAME_MAX	256

enum store_code {
	STORE_OK = 0,
	STORE_NOT_FOUND,	/* no such row, or nothing due in a queue */
	STORE_CONFLICT,		/* state or lease changed underneath */
	STORE_UNAVAILABLE,	/* connection, lock timeout, disk: retry */
	STORE_INVALID,		/* argument or constraint refused */
	STORE_INTERNAL,		/* anything else: a bug or a bad schema */
	STORE_CODE_COUNT
};

/* Stored as these exact strings; append only. */
enum store_state {
	STORE_STATE_OPEN = 0,	/* waiting for three accepted images */
	STORE_STATE_SUBMITTED,	/* queued for the pipeline */
	STORE_STATE_PROCESSING,	/* claimed under a lease */
	STORE_STATE_PARKED,	/* upstream failed; due again at retry_at */
	STORE_STATE_APPROVED,
	STORE_STATE_REJECTED,
	STORE_STATE_REVIEW,
	STORE_STATE_EXPIRED,	/* never submitted in time */
	STORE_STATE_COUNT
};

enum store_side {
	STORE_SIDE_FRONT = 0,
	STORE_SIDE_BACK,
	STORE_SIDE_HOLDING,
	STORE_SIDE_COUNT
};

/* Stored as "new" and "reregistration"; append only. */
enum store_case_kind {
	STORE_KIND_NEW = 0,		/* a new order */
	STORE_KIND_REREGISTRATION,	/* an existing number, 补登记 */
	STORE_KIND_COUNT
};

struct store;

/*
 * What the order system declared when it opened a case.  A zeroed
 * struct is a new order (kind 0) naming no number; dealer is required.
 */
struct store_case_new {
	const char	*order_ref;
	const char	*channel;
	const char	*declared_name;	/* UTF-8, stored byte-exact */
	const char	*id_number;
	const char	*id_number_hash; /* store_id_number_hash() */
	const char	*callback_url;
	const char	*token_hash;	/* hex SHA-256 of the upload token */
	int64_t		 token_expires_at;
	enum store_case_kind kind;
	const char	*msisdn;	/* 11 digits; NULL or "": none */
	const char	*dealer;	/* a dealer code; NULL: '' */
};

struct store_case {
	char		 id[STORE_ID_LEN + 1];
	char		 order_ref[STORE_ORDER_REF_MAX];
	char		 channel[STORE_CHANNEL_MAX];
	char		 declared_name[STORE_NAME_MAX];
	char		 id_number[STORE_ID_NUMBER_MAX];
	char		 id_number_hash[STORE_HASH_HEX_LEN + 1];
	char		 callback_url[STORE_URL_MAX];
	char		 token_hash[STORE_HASH_HEX_LEN + 1];
	int64_t		 token_expires_at;
	enum store_state state;
	int64_t		 created_at;
	int64_t		 updated_at;
	int64_t		 submitted_at;	/* 0: never */
	int64_t		 retry_at;	/* PARKED: due again at */
	int		 attempts[STORE_SIDE_COUNT];
	int		 accepted[STORE_SIDE_COUNT];
	char		 lease_owner[STORE_OWNER_MAX];
	char		 lease_token[STORE_ID_LEN + 1];	/* "" when free */
	int64_t		 lease_expires_at;
	int		 claims;	/* times claimed so far */
	int64_t		 decided_at;	/* 0: not decided */
	char		*decision;	/* JSON or NULL; store_case_release */
	char		*reasons;	/* JSON or NULL */
	enum store_case_kind kind;
	char		 msisdn[STORE_MSISDN_MAX];	/* "" when none */
	char		 dealer[STORE_DEALER_MAX];	/* "" on old rows */
};

/* A dealer: who may sell cards for one channel. */
struct store_dealer {
	char		 code[STORE_DEALER_MAX];
	char		 channel[STORE_CHANNEL_MAX];
	char		 name[STORE_DEALER_NAME_MAX];
	int		 active;
	int64_t		 created_at;
	int64_t		 updated_at;
};

/* One row of a subscriber import: a number and its holder's ID hash. */
struct store_subscriber {
	const char	*msisdn;	/* 11 digits */
	const char	*id_number_hash; /* store_id_number_hash() */
};

struct store_image {
	enum store_side	 side;
	unsigned char	*data;		/* ciphertext; NULL once purged */
	size_t		 len;
	char		 plain_sha256[STORE_HASH_HEX_LEN + 1];
	char		 key_id[STORE_KEY_ID_MAX];
	char		*figures;	/* JSON */
	int64_t		 created_at;
	int64_t		 purged_at;	/* 0: bytes still held */
};

/* The webhook a decision leaves behind, in the same transaction. */
struct store_outbox_new {
	const char	*event;		/* "case.decided" */
	const char	*url;
	const char	*payload;	/* JSON body to POST */
};

enum store_outbox_state {
	STORE_OUTBOX_PENDING = 0,
	STORE_OUTBOX_DELIVERED,
	STORE_OUTBOX_FAILED,	/* gave up */
	STORE_OUTBOX_STATE_COUNT
};

struct store_outbox {
	char			 id[STORE_ID_LEN + 1];	/* the delivery id */
	char			 case_id[STORE_ID_LEN + 1];
	char			 event[STORE_EVENT_MAX];
	char			 url[STORE_URL_MAX];
	enum store_outbox_state	 state;
	int			 attempts;	/* deliveries tried */
	int64_t			 next_attempt_at;
	char			 lease_token[STORE_ID_LEN + 1];
	int64_t			 lease_expires_at;
	int64_t			 created_at;
	int64_t			 delivered_at;
	char			*payload;	/* store_outbox_release */
};

/* What an Idempotency-Key maps to. */
struct store_idem {
	int	 fresh;		/* 1: this call inserted it: go ahead */
	char	 request_hash[STORE_HASH_HEX_LEN + 1];
	int	 status;	/* 0: the first request is still running */
	char	*response;	/* stored answer or NULL; store_idem_release */
};

struct store_audit_report {
	int64_t	rows;		/* rows that verified */
	int64_t	first_bad_seq;	/* 0: the whole chain verifies */
	char	reason[128];	/* why first_bad_seq is bad */
};

struct store_counts {
	int64_t	cases[STORE_STATE_COUNT];
	int64_t	outbox[STORE_OUTBOX_STATE_COUNT];
	int64_t	outbox_due;	/* pending and due now */
};

/*
 * Opens a handle on url (NULL: the default).  On success *out is the
 * handle.  On failure *out is still a handle (unless allocation failed:
 * then NULL) holding the error, so that callers can report it; a
 * PostgreSQL handle opened while the server is down reconnects by
 * itself on a later call.  Connecting is bounded (connect_timeout 3 s
 * unless the URL says otherwise).
 */
int	store_open(struct store **out, const char *url);
void	store_close(struct store *);

/* The last failure on this handle. */
enum store_code	 store_errcode(const struct store *);
const char	*store_error(const struct store *);
const char	*store_code_name(enum store_code);
/* "sqlite" or "postgresql". */
const char	*store_backend(const struct store *);

/* A cheap round trip: 0, or -1 (STORE_UNAVAILABLE) for /readyz. */
int	store_ping(struct store *);

/*
 * Applies, in order, every migration in dir/<backend>/NNNN_name.sql not
 * yet recorded in schema_migrations, each in its own transaction with
 * its record.  Concurrent callers are serialised.  Refuses an applied
 * migration whose file changed (its SHA-256 is recorded) and a
 * directory that stops short of STORE_SCHEMA_VERSION.  applied (may be
 * NULL) counts the migrations this call applied.
 */
int	store_migrate(struct store *, const char *dir, int *applied);

/* Current wall clock in UTC milliseconds. */
int64_t	store_now_ms(void);

/* Hex keyed BLAKE2b-256 of an ID number, for lookups without it. */
int	store_id_number_hash(const unsigned char *key, size_t keylen,
	    const char *id_number, char out[STORE_HASH_HEX_LEN + 1]);

const char	*store_state_name(enum store_state);
int		 store_state_parse(const char *, enum store_state *);
const char	*store_side_name(enum store_side);
int		 store_side_parse(const char *, enum store_side *);
const char	*store_case_kind_name(enum store_case_kind);
int		 store_case_kind_parse(const char *, enum store_case_kind *);
/* 1 when s is a mainland mobile number: 11 digits, the first 1. */
int		 store_msisdn_valid(const char *s);

/*
 * Creates an OPEN case; id_out receives its new random id.  A
 * re-registration must name its number (STORE_INVALID otherwise).  The
 * dealer is checked by the service (store_dealer_get), not here: NULL
 * is stored as '', what rows older than dealers hold.
 */
int	store_case_create(struct store *, const struct store_case_new *,
	    int64_t now, char id_out[STORE_ID_LEN + 1]);

/* Fills out; release it with store_case_release.  STORE_NOT_FOUND. */
int	store_case_get(struct store *, const char *id, struct store_case *out);
void	store_case_release(struct store_case *);

/*
 * Counts one upload attempt on side, refused (STORE_CONFLICT) once
 * limit attempts were counted or when the case is no longer OPEN.
 * attempts (may be NULL) receives the new count.
 */
int	store_case_count_attempt(struct store *, const char *id,
	    enum store_side, int limit, int64_t now, int *attempts);

/*
 * Compare-and-set: moves the case from `from` to `to` only if it is
 * still in `from` (else STORE_CONFLICT).  Moving to SUBMITTED also
 * requires all three sides accepted and queues the case.  actor names
 * who asked, for the audit row.
 */
int	store_case_transition(struct store *, const char *id,
	    enum store_state from, enum store_state to, const char *actor,
	    int64_t now);

/*
 * Stores an already encrypted image for side (replacing a retake) and
 * marks the side accepted, in one transaction, only while the case is
 * OPEN.  figures is JSON.
 */
int	store_image_put(struct store *, const char *case_id,
	    enum store_side, const void *data, size_t len,
	    const char *plain_sha256, const char *key_id, const char *figures,
	    int64_t now);
int	store_image_get(struct store *, const char *case_id,
	    enum store_side, struct store_image *out);
void	store_image_release(struct store_image *);
/* Drops the bytes of images created before `before`; keeps the rest. */
int	store_image_purge(struct store *, int64_t before, int64_t now,
	    int64_t *purged);
/*
 * Another case holding an image with this plaintext hash: its id in
 * other_id, or STORE_NOT_FOUND.
 */
int	store_image_find_reused(struct store *, const char *case_id,
	    const char *plain_sha256, char other_id[STORE_ID_LEN + 1]);
/* Cases in state with this ID number hash, other than case_id. */
/*
 * Moves up to limit OPEN cases whose upload token expired by now to
 * EXPIRED (each audited); expired (may be NULL) counts them.
 */
int	store_case_expire(struct store *, int64_t now, int limit,
	    int64_t *expired);
int	store_case_count_by_number(struct store *, const char *id_number_hash,
	    enum store_state, const char *case_id, int64_t *count);

/*
 * The distinct numbers the identity holds for the per-ID cap: numbers
 * of its APPROVED cases, numbered or not (a case that names no number
 * counts once by itself), plus its subscriber_numbers, never counting
 * except_msisdn (the number being re-registered; NULL or "": none) nor
 * the case except_case_id (NULL: none).
 */
int	store_numbers_held(struct store *, const char *id_number_hash,
	    const char *except_msisdn, const char *except_case_id,
	    int64_t *count);

/*
 * Dealers.  store_dealer_add refuses a code already there
 * (STORE_CONFLICT); store_dealer_get gives STORE_NOT_FOUND for an
 * unknown code; store_dealer_set_active STORE_NOT_FOUND likewise.
 * store_dealer_list fills *out (free() it) with every dealer by code.
 * Each change is audited with actor (e.g. "admin:alice").
 */
int	store_dealer_add(struct store *, const char *code,
	    const char *channel, const char *name, const char *actor,
	    int64_t now);
int	store_dealer_get(struct store *, const char *code,
	    struct store_dealer *out);
int	store_dealer_list(struct store *, struct store_dealer **out,
	    size_t *n);
int	store_dealer_set_active(struct store *, const char *code, int active,
	    const char *actor, int64_t now);

/*
 * Imports n subscriber numbers (source 'import') in one transaction,
 * with one audit row counting them (no number, no ID hash in it).  A
 * number already held by the same identity is kept as it is (counted
 * in kept); a number held by another identity is moved to this one (the
 * import is the operator's truth; counted in moved).  Any bad row
 * refuses the whole import (STORE_INVALID, naming the row's index).
 */
int	store_subscribers_import(struct store *,
	    const struct store_subscriber *, size_t n, const char *actor,
	    int64_t now, int64_t *added, int64_t *kept, int64_t *moved);
/* subscriber_numbers rows of this identity (import and case). */
int	store_subscribers_count(struct store *, const char *id_number_hash,
	    int64_t *count);

/*
 * Stores (or replaces) the live face embedding of a case: dims floats,
 * kept as little-endian float32.
 */
int	store_face_put(struct store *, const char *case_id, const float *emb,
	    size_t dims, int64_t now);
/*
 * The most similar stored face (cosine) of another case that declared
 * another ID number and is neither REJECTED nor EXPIRED: its case id in
 * other_id and its cosine in score, or STORE_NOT_FOUND when none
 * reaches min_score.  A linear scan, fine for thousands of cases; an
 * index (pgvector) replaces it at scale.
 */
int	store_face_find_similar(struct store *, const char *case_id,
	    const float *emb, size_t dims, double min_score,
	    char other_id[STORE_ID_LEN + 1], double *score);

/*
 * The queue.  Claims the next due case - SUBMITTED, PARKED whose
 * retry_at has come, or PROCESSING whose lease expired - moving it to
 * PROCESSING under a fresh lease (owner, a new random lease token,
 * now + lease_ms).  STORE_NOT_FOUND when nothing is due.  Concurrent
 * claimers never get the same case: PostgreSQL skips rows locked by
 * others (FOR UPDATE SKIP LOCKED), SQLite serialises writers.
 */
int	store_case_claim(struct store *, const char *owner, int64_t lease_ms,
	    int64_t now, struct store_case *out);
/* Extends a lease still ours (lease token) to now + lease_ms. */
int	store_case_renew(struct store *, const char *id,
	    const char *lease_token, int64_t lease_ms, int64_t now);
/*
 * Writes the decision (APPROVED, REJECTED or REVIEW), its JSON and its
 * reasons JSON, and the webhook outbox row, in one transaction, only if
 * the lease is still ours; else STORE_CONFLICT and nothing is written.
 * An APPROVED case that names a number records it in
 * subscriber_numbers (source 'case') in the same transaction.
 * outbox_id (may be NULL) receives the delivery id.
 */
int	store_case_decide(struct store *, const char *id,
	    const char *lease_token, enum store_state decision_state,
	    const char *decision, const char *reasons,
	    const struct store_outbox_new *, int64_t now,
	    char outbox_id[STORE_ID_LEN + 1]);
/*
 * Parks a case we hold until retry_at (upstream failures), with the
 * reasons and the decision JSON of the parking verification (its
 * figures are reused when the case is tried again).
 */
int	store_case_park(struct store *, const char *id,
	    const char *lease_token, int64_t retry_at, const char *reasons,
	    const char *decision, int64_t now);

/*
 * The outbox.  Claims the next PENDING row due at now under a lease;
 * STORE_NOT_FOUND when none is due.
 */
int	store_outbox_claim(struct store *, const char *owner,
	    int64_t lease_ms, int64_t now, struct store_outbox *out);
int	store_outbox_get(struct store *, const char *id,
	    struct store_outbox *out);
void	store_outbox_release(struct store_outbox *);
/*
 * Records one delivery attempt (HTTP status, 0 if none; error text or
 * NULL; duration) in the delivery log and either marks the row
 * delivered or schedules it for next_attempt_at
 * (STORE_OUTBOX_RETRY_NEVER: give up, FAILED).  Only with our lease.
 */
int	store_outbox_delivered(struct store *, const char *id,
	    const char *lease_token, int http_status, int64_t duration_ms,
	    int64_t now);
int	store_outbox_retry(struct store *, const char *id,
	    const char *lease_token, int http_status, const char *error,
	    int64_t duration_ms, int64_t next_attempt_at, int64_t now);
/* Delivers the case's webhooks again (same delivery ids), due now. */
int	store_outbox_resend(struct store *, const char *case_id, int64_t now,
	    int64_t *requeued);
/* Number of delivery log rows of an outbox row. */
int	store_outbox_log_count(struct store *, const char *id,
	    int64_t *count);

/*
 * Idempotency keys.  Inserts (client, key) -> request_hash if absent:
 * out->fresh = 1 and the caller goes ahead.  Otherwise out holds what
 * the first request stored: a different request_hash (422), status 0
 * while it still runs (409), or its answer to replay.
 */
int	store_idem_begin(struct store *, const char *client, const char *key,
	    const char *request_hash, int64_t now, struct store_idem *out);
/* Stores the answer of a fresh key. */
int	store_idem_finish(struct store *, const char *client,
	    const char *key, int status, const char *response, int64_t now);
/* Forgets a fresh key whose request failed before answering. */
int	store_idem_abandon(struct store *, const char *client,
	    const char *key);
void	store_idem_release(struct store_idem *);
/* Forgets keys created before `before`; purged (may be NULL) counts. */
int	store_idem_purge(struct store *, int64_t before, int64_t *purged);

/*
 * Appends an audit row (case_id may be NULL; detail is JSON) chained to
 * the previous row: hash = SHA-256(prev_hash || canonical row text).
 */
int	store_audit_append(struct store *, const char *case_id,
	    const char *actor, const char *event, const char *detail,
	    int64_t now);
/* Walks the whole chain; the first row that does not verify. */
int	store_audit_verify(struct store *, struct store_audit_report *);

/*
 * Adds amount to the counter (key, day) and returns its new value in
 * value, atomically (one statement): daily caps shared by every node.
 * key and day are short plain strings (no personal data).
 */
int	store_counter_add(struct store *, const char *key, const char *day,
	    int64_t amount, int64_t *value);

/* Cases by state and outbox rows by state, for /readyz and /metrics. */
int	store_counts(struct store *, int64_t now, struct store_counts *);

/*
 * Courier confirmation at delivery (service/delivery.c), kept apart from
 * the case lifecycle above.  One delivery per order reference, tied to
 * the approved case it confirms; it advances only by
 * store_delivery_record(), a compare-and-set on its attempt count.
 */
enum store_delivery_state {
	STORE_DELIVERY_OPEN = 0,	/* no attempt yet, or only mismatches */
	STORE_DELIVERY_CONFIRMED,	/* final */
	STORE_DELIVERY_REVIEW,		/* final: a person decides */
	STORE_DELIVERY_STATE_COUNT
};

enum store_delivery_result {
	STORE_DELIVERY_RESULT_CONFIRMED = 0,
	STORE_DELIVERY_RESULT_MISMATCH,
	STORE_DELIVERY_RESULT_REVIEW,
	STORE_DELIVERY_RESULT_COUNT
};

struct store_delivery {
	char				 order_ref[STORE_ORDER_REF_MAX];
	char				 case_id[STORE_ID_LEN + 1];
	enum store_delivery_state	 state;
	int				 attempts;
	int				 has_result;	/* 0: no attempt yet */
	enum store_delivery_result	 last_result;
	char				 last_courier[STORE_CLIENT_MAX];
	int64_t				 created_at;
	int64_t				 updated_at;
	int64_t				 confirmed_at;	/* 0: not confirmed */
	char				*last_reasons;	/* JSON or NULL */
};

/* One courier attempt, as store_delivery_record() writes it. */
struct store_delivery_attempt {
	const char			*order_ref;
	const char			*case_id;	/* the approved case */
	const char			*courier_id;
	enum store_delivery_result	 result;
	const char			*figures;	/* JSON */
	const char			*reasons;	/* JSON */
};

const char	*store_delivery_state_name(enum store_delivery_state);
const char	*store_delivery_result_name(enum store_delivery_result);

/*
 * The case an order's delivery confirms: the newest APPROVED case with
 * this order reference, or else the newest case of any state (the
 * caller tells the courier it is not approved).  STORE_NOT_FOUND when
 * the order has no case.  Release with store_case_release.
 */
int	store_case_find_by_order(struct store *, const char *order_ref,
	    struct store_case *out);

/* The delivery of an order; STORE_NOT_FOUND before its first attempt. */
int	store_delivery_get(struct store *, const char *order_ref,
	    struct store_delivery *out);
void	store_delivery_release(struct store_delivery *);

/*
 * Records one attempt in one transaction: the delivery row (made at the
 * first attempt), the attempt row, the webhook outbox row and the audit
 * row.  Only while the delivery is OPEN with exactly expected_attempts
 * attempts (else STORE_CONFLICT and nothing is written): two couriers, or
 * two retries racing, never both count.  CONFIRMED and REVIEW results are
 * final.  attempt_no (may be NULL) receives the attempt's number.
 */
int	store_delivery_record(struct store *,
	    const struct store_delivery_attempt *, int expected_attempts,
	    const struct store_outbox_new *, int64_t now, int *attempt_no);

/*
 * The live face embedding stored for a case (store_face_put): dims
 * floats into emb.  STORE_NOT_FOUND when none was stored;
 * STORE_INTERNAL when it has another size.
 */
int	store_face_get(struct store *, const char *case_id, float *emb,
	    size_t dims);

#endif
