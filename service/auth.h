/*
 * Who may call: order systems (and later couriers) by key id + HMAC
 * signature (service/sign.h), customers by their case's upload token.
 * Keys are loaded by the parent; the replay cache lives in shared memory
 * behind a process-shared mutex so that a signature accepted by one Kore
 * worker is refused by every other.  Plain C.
 */
#ifndef RN_AUTH_H
#define RN_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "sign.h"

#define RN_AUTH_KEYS_MAX	64
#define RN_TOKEN_HEX_LEN	64	/* 256 random bits */

/*
 * Loads "id:hexsecret" lines from path; with create set and no file,
 * writes one random key "shop" (0600) first.  Maps the shared replay
 * cache.  Returns the number of keys, or -1 with err set.
 */
int	rn_auth_load(const char *path, int create, char *err, size_t errlen);

/*
 * Reads the first "id:hexsecret" key of a file (ours to sign with: the
 * ID check, webhooks); with create set and no file, writes a random key
 * named default_id first.  Returns 0, or -1 with err set.
 */
int	rn_auth_key_file(const char *path, const char *default_id, int create,
	    struct sign_key *out, char *err, size_t errlen);

/*
 * Couriers sign like order systems, with keys of their own in a separate
 * file (couriers_file): a courier key never opens an order-system route
 * and an order-system key never confirms a delivery.  Courier ids are
 * shorter than RN_AUTH_COURIER_ID_MAX bytes so that "courier/<id>" fits
 * the store's client column.  Load after rn_auth_load (it maps the
 * replay cache both share); with create set and no file, writes one
 * random key "courier1" (0600).  Returns the number of keys, or -1.
 */
#define RN_AUTH_COURIER_ID_MAX	48
int	rn_auth_load_couriers(const char *path, int create, char *err,
	    size_t errlen);

/* Checks a courier's signed request; courier id in *courier on OK. */
enum sign_verdict	rn_auth_verify_courier(const struct sign_request *,
			    int64_t now, const char **courier);

/* The key webhooks are signed with: the first order-system key. */
const struct sign_key	*rn_auth_webhook_key(void);

/* Checks a signed request at now (seconds); key id in *client on OK. */
enum sign_verdict	rn_auth_verify(const struct sign_request *,
			    int64_t now, const char **client);

/* A new upload token and its hex SHA-256 (what the store keeps). */
void	rn_token_new(char token[RN_TOKEN_HEX_LEN + 1],
	    char hash[RN_TOKEN_HEX_LEN + 1]);

/* Hex SHA-256 of a presented token (any length, bounded by the caller). */
void	rn_token_hash(const char *token, char hash[RN_TOKEN_HEX_LEN + 1]);

/* Constant-time comparison of two hex hashes. */
int	rn_token_hash_equal(const char *a, const char *b);

/*
 * The 401 a refused signature gets: its stable code and message.  For
 * couriers (on a phone, often retrying) the message adds what to do.
 */
void	rn_auth_refusal(enum sign_verdict, int courier, const char **code,
	    const char **message);

#endif
