/*
 * Request signatures: the one signer and verifier for every signed HTTP
 * call we make or take (the ID check provider, the order-system API).
 *
 *   X-App-Id:    the key id
 *   X-Timestamp: seconds since the epoch, decimal, no leading zeros
 *   X-Signature: lowercase hex HMAC-SHA256, under the key, of
 *                "METHOD\nPATH\nTIMESTAMP\nhex(SHA-256(body))"
 *
 * An optional X-Nonce (1 to 64 of A-Z a-z 0-9 . _ -) is appended to the
 * signed text as a fifth line when present: a client that sends the
 * same request twice within one second (a poll, a retry with the same
 * Idempotency-Key) gives each its own signature, so the second is not
 * taken for a replay.  Calls to the ID check provider never carry one
 * (its protocol has four lines).
 *
 * PATH is the path the server routes, without a query string: signed
 * endpoints take no query parameters.  The verifier accepts timestamps
 * within SIGN_WINDOW_S of its clock, compares in constant time and
 * refuses a signature it has already accepted while that signature
 * could still pass the window (replay).
 *
 * Plain C over libsodium; no Kore.  Nothing here logs: verdicts are
 * enum values with stable names.
 */
#ifndef RN_SIGN_H
#define RN_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_WINDOW_S		300
#define SIGN_KEY_ID_MAX		64	/* bytes, with the NUL */
#define SIGN_KEY_MIN		16	/* bytes of secret */
#define SIGN_KEY_MAX		64
#define SIGN_MAC_LEN		32
#define SIGN_HEX_LEN		(SIGN_MAC_LEN * 2)
#define SIGN_TIMESTAMP_MAX	24

#define SIGN_HEADER_KEY_ID	"X-App-Id"
#define SIGN_HEADER_TIMESTAMP	"X-Timestamp"
#define SIGN_HEADER_SIGNATURE	"X-Signature"
#define SIGN_HEADER_NONCE	"X-Nonce"
#define SIGN_NONCE_MAX		64	/* characters */
#define SIGN_NONCE_BYTES	16	/* what we send: 32 hex characters */

struct sign_key {
	char		id[SIGN_KEY_ID_MAX];
	unsigned char	secret[SIGN_KEY_MAX];
	size_t		secret_len;
};

/* What a client sends, made by sign_request_headers(). */
struct sign_headers {
	char	key_id[SIGN_KEY_ID_MAX];
	char	timestamp[SIGN_TIMESTAMP_MAX];
	char	signature[SIGN_HEX_LEN + 1];
	char	nonce[SIGN_NONCE_MAX + 1];	/* empty: none */
};

/* What a server received; a missing header is NULL. */
struct sign_request {
	const char	*key_id;
	const char	*timestamp;
	const char	*signature;
	const char	*nonce;		/* NULL: the request carried none */
	const char	*method;
	const char	*path;
	const void	*body;
	size_t		 body_len;
};

/* The order of the checks; append only (names are stable). */
enum sign_verdict {
	SIGN_OK = 0,
	SIGN_MISSING,		/* a header is absent or empty */
	SIGN_MALFORMED,		/* timestamp, hex, method or path unusable */
	SIGN_UNKNOWN_KEY,	/* no key with that id */
	SIGN_STALE,		/* older than the window */
	SIGN_FUTURE,		/* newer than the window */
	SIGN_BAD,		/* the MAC does not verify */
	SIGN_REPLAYED,		/* accepted once already */
	SIGN_REPLAY_FULL,	/* replay cache full of live entries */
	SIGN_VERDICT_COUNT
};

struct sign_replay_entry {
	unsigned char	mac[SIGN_MAC_LEN];
	int64_t		expires;	/* 0: free */
};

/*
 * Signatures accepted within the window.  The slots are the caller's, so
 * that several worker processes can share them in shared memory; the
 * caller then serializes calls.  Lookups scan every slot: sized in the
 * thousands that is microseconds, and no hostile input can lengthen it.
 */
struct sign_replay {
	struct sign_replay_entry	*slots;
	size_t				 nslots;
};

/* Stable names: "ok", "missing", "stale", ... */
const char	*sign_verdict_name(enum sign_verdict);

/*
 * Sets up a key from an id and a secret of SIGN_KEY_MIN..SIGN_KEY_MAX
 * bytes.  Returns 0, or -1 if either is out of bounds.
 */
int	sign_key_init(struct sign_key *, const char *id, const void *secret,
	    size_t secret_len);

/*
 * Parses a key written as "id:hexsecret" (configuration files).
 * Returns 0 or -1.
 */
int	sign_key_parse(struct sign_key *, const char *text);

/* Wipes the secret. */
void	sign_key_clear(struct sign_key *);

/*
 * The signature of a request at a time.  out receives SIGN_HEX_LEN
 * lowercase hex characters and a NUL.  Returns 0, or -1 if method or
 * path is empty or contains a newline.
 */
int	sign_compute(const struct sign_key *, const char *method,
	    const char *path, int64_t timestamp, const void *body,
	    size_t body_len, char out[SIGN_HEX_LEN + 1]);

/* The three headers for a request sent at now.  Returns 0 or -1. */
int	sign_request_headers(const struct sign_key *, const char *method,
	    const char *path, int64_t now, const void *body, size_t body_len,
	    struct sign_headers *out);

/* The same with a fresh random nonce (four headers).  0 or -1. */
int	sign_request_headers_nonce(const struct sign_key *, const char *method,
	    const char *path, int64_t now, const void *body, size_t body_len,
	    struct sign_headers *out);

/* sign_compute with a nonce (NULL: none).  0 or -1. */
int	sign_compute_nonce(const struct sign_key *, const char *method,
	    const char *path, int64_t timestamp, const void *body,
	    size_t body_len, const char *nonce, char out[SIGN_HEX_LEN + 1]);

/* Empties a cache over caller-owned, zeroed or reused slots. */
void	sign_replay_init(struct sign_replay *, struct sign_replay_entry *,
	    size_t nslots);

/*
 * Verifies a request against the keys at time now (seconds since the
 * epoch).  On SIGN_OK the signature is remembered in replay (if not
 * NULL) until it leaves the window.  If key_out is not NULL it points
 * to the matching key on SIGN_OK.
 */
enum sign_verdict	sign_verify(const struct sign_key *keys, size_t nkeys,
			    struct sign_replay *replay,
			    const struct sign_request *req, int64_t now,
			    const struct sign_key **key_out);

#endif
