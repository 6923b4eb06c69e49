/*
 * The regulator export: the evidence of how chosen subscribers were
 * verified, as one signed archive.  Plain C, no Kore: the console route
 * (service/review.c), realname-admin and the tests call it directly.
 *
 * Query: exactly one of
 *   a phone number     cases.msisdn, 11 digits, exact
 *   an ID number       exact, through its keyed lookup hash (the plain
 *                      number is never compared or searched with LIKE)
 *   a date range       cases.created_at, China days (Asia/Shanghai,
 *                      UTC+8, no daylight saving), both days included:
 *                      from 00:00 +08:00 to the end of `to`
 * More than export_max_cases matching cases, or an archive over
 * export_max_bytes, refuses the export (narrow the query); nothing is
 * truncated silently.  Zero matching cases still gives an archive that
 * says so.
 *
 * Archive: POSIX ustar, 512-byte blocks, written by export.c, members in
 * this order:
 *   cases/<case id>/case.json     declared data (name, ID number, kind,
 *                                 phone number, channel, dealer), state and
 *                                 times, the decision JSON as stored (every
 *                                 figure, the rule, the upstream result),
 *                                 the customer reasons, each image's
 *                                 figures and SHA-256, review decisions,
 *                                 QA verdicts, the case's audit rows with
 *                                 prev_hash and hash
 *   cases/<case id>/<side>.jpg    the evidence image decrypted (front,
 *                                 back, holding); a purged image has no
 *                                 member: case.json gives its recorded
 *                                 SHA-256 and "purged": true
 *   manifest.json                 format, query (an ID number appears only
 *                                 masked), exported_by, created_at, the
 *                                 master key id and KDF parameters, the
 *                                 Ed25519 public key, the case ids, and
 *                                 every file above with size and SHA-256
 *   manifest.hmac                 hex HMAC-SHA256 of manifest.json's bytes
 *   manifest.sig                  hex Ed25519 signature of the same bytes
 * Keys: from the vault master key named in the manifest with libsodium's
 * crypto_kdf (context "rnexport"): subkey 1 is the HMAC key, subkey 2 the
 * Ed25519 seed.  Neither is the image key; the public key can be given to
 * the regulator, who then checks the signature without any secret.
 *
 * Console route (service/review.c):
 *   POST /review/api/export          supervisor only, X-CSRF-Token
 *   body (application/json), exactly one of:
 *     {"phone":"13800138000"}
 *     {"id_number":"11010119900307123X"}
 *     {"from":"2026-11-01","to":"2026-11-29"}
 *   200 application/x-tar, the archive, with
 *     Content-Disposition: attachment;
 *         filename="realname-export-YYYYMMDDTHHMMSSZ.tar"
 *     X-Export-Cases: <number of cases>
 *     X-Export-Manifest-SHA256: <hex SHA-256 of manifest.json>
 *   400 body_invalid        not a JSON object
 *       query_missing       none of phone, id_number, from/to
 *       query_ambiguous     more than one of them
 *       phone_invalid       not 11 digits
 *       id_number_invalid   not 18 characters (17 digits and a digit or X)
 *       date_invalid        from or to missing or not YYYY-MM-DD
 *       range_invalid       to before from
 *   401 session_required | session_expired
 *   403 csrf_invalid        POST without the session's X-CSRF-Token
 *   403 forbidden           reviewers and auditors
 *   422 too_many_cases      more than export_max_cases match
 *   422 export_too_large    the archive would pass export_max_bytes
 *   503 store_unavailable
 *   Errors are {"error":{"code":...,"message":...}}.
 * Every export appends an audit row "export.created" (actor, query with
 * the ID number masked and its lookup hash, case count, manifest SHA-256)
 * and one "export.case" row per exported case, in one transaction.
 */
#ifndef RN_EXPORT_H
#define RN_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "vault.h"

#define EXPORT_FORMAT		"realname-export/1"
#define EXPORT_PHONE_LEN	11
#define EXPORT_DAY_LEN		10	/* YYYY-MM-DD */
#define EXPORT_ERR_MAX		256
#define EXPORT_FAILURES_MAX	32
#define EXPORT_FAILURE_LEN	192
#define EXPORT_KEY_LEN		32
/* China time, for date ranges: UTC+8 all year. */
#define EXPORT_DAY_OFFSET_MS	(8LL * 3600 * 1000)

enum export_by {
	EXPORT_BY_PHONE = 0,
	EXPORT_BY_ID_NUMBER,
	EXPORT_BY_DATES,
};

struct export_query {
	enum export_by	by;
	char		phone[EXPORT_PHONE_LEN + 1];
	char		id_number[STORE_ID_NUMBER_MAX];
	char		from[EXPORT_DAY_LEN + 1];
	char		to[EXPORT_DAY_LEN + 1];
	int64_t		from_ms;	/* created_at >= from_ms */
	int64_t		to_ms;		/* created_at < to_ms */
};

struct export_limits {
	size_t	max_cases;
	size_t	max_bytes;
};

/* Why an export was refused; the console's error code for each. */
enum export_code {
	EXPORT_OK = 0,
	EXPORT_INVALID,		/* the query: see api_code */
	EXPORT_TOO_MANY,	/* too_many_cases */
	EXPORT_TOO_LARGE,	/* export_too_large */
	EXPORT_UNAVAILABLE,	/* store_unavailable */
	EXPORT_FAILED,		/* internal_error */
};

struct export_result {
	uint8_t		*data;		/* the archive */
	size_t		 len;
	size_t		 ncases;
	char		 manifest_sha256[STORE_HASH_HEX_LEN + 1];
	char		 signing_public_key[65];	/* hex Ed25519 */
	enum export_code code;
	const char	*api_code;	/* "phone_invalid", ... */
	char		 err[EXPORT_ERR_MAX];
};

/* The keys of one master key (see above). */
struct export_keys {
	char		key_id[VAULT_KEY_ID_LEN * 2 + 1];
	uint8_t		hmac[EXPORT_KEY_LEN];
	uint8_t		sign_pk[32];
	uint8_t		sign_sk[64];
};

struct export_report {
	int		ok;		/* 1: everything verified */
	int		hmac_ok;
	int		signature_ok;
	size_t		nfiles;		/* files in the manifest */
	size_t		ncases;
	char		key_id[VAULT_KEY_ID_LEN * 2 + 1];
	size_t		nfailures;	/* may pass FAILURES_MAX */
	char		failures[EXPORT_FAILURES_MAX][EXPORT_FAILURE_LEN];
};

/*
 * Query builders: 0, or -1 with r->code EXPORT_INVALID, r->api_code and
 * r->err set (never quoting an ID number).
 */
int	export_query_phone(struct export_query *, const char *phone,
	    struct export_result *r);
int	export_query_id_number(struct export_query *, const char *id_number,
	    struct export_result *r);
int	export_query_dates(struct export_query *, const char *from,
	    const char *to, struct export_result *r);
/* The console's JSON body (see above). */
int	export_query_json(struct export_query *, const void *body,
	    size_t len, struct export_result *r);

/*
 * The HMAC and signing keys of the vault's master key key_id (hex; NULL:
 * the active key).  0, or -1 with err set.
 */
int	export_keys_derive(const struct vault *, const char *key_id,
	    struct export_keys *, char *err, size_t errlen);
void	export_keys_clear(struct export_keys *);

/*
 * Finds the cases, builds the archive in memory (decrypting each image
 * with the vault), signs it with the active master key's export keys
 * and audits it as actor.  lookup_key is the ID number lookup key
 * (keys_dir/lookup.key).  0 with r->data set, or -1 with r->code set.
 */
int	export_run(struct store *, const struct vault *,
	    const unsigned char *lookup_key, size_t lookup_key_len,
	    const struct export_query *, const struct export_limits *,
	    const char *actor, int64_t now, struct export_result *r);
void	export_result_free(struct export_result *);

/*
 * Verifies an archive: the tar structure, every member listed in the
 * manifest (present, size, SHA-256), no member unlisted, the HMAC with
 * the master key the manifest names, and the Ed25519 signature.  Returns
 * 0 when everything verified, 1 when something did not (rep names each
 * failure), -1 when the vault lacks the key (rep->failures[0] says).
 */
int	export_verify(const uint8_t *tar, size_t len, const struct vault *,
	    struct export_report *rep);
/* The same with given keys instead of a vault. */
int	export_verify_keys(const uint8_t *tar, size_t len,
	    const struct export_keys *, struct export_report *rep);

/* keys_dir/lookup.key, read only.  0, or -1 with err set. */
int	export_lookup_key_read(const char *keys_dir, unsigned char *key,
	    size_t keylen, char *err, size_t errlen);

/* "110101********123X": the first 6 and last 4 characters. */
void	export_mask_id_number(const char *id_number, char *out,
	    size_t outlen);

#endif
