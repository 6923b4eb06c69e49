/*
 * Reviewer credentials, shared by the console (service/review.c) and
 * realname-admin: Argon2id password hashes (libsodium's
 * crypto_pwhash_str at the interactive limits), session cookies and
 * CSRF tokens.  Plain C, no Kore.
 *
 * A session cookie is 32 random bytes in hex; only its SHA-256 is
 * stored, so a copy of the store opens no session.  A CSRF token is 32
 * random bytes in hex, compared in constant time.
 */
#ifndef RN_REVIEW_AUTH_H
#define RN_REVIEW_AUTH_H

#include <stddef.h>

#include "store_review.h"

#define RN_REVIEW_PASSWORD_MIN	10
#define RN_REVIEW_PASSWORD_MAX	256
#define RN_REVIEW_TOKEN_LEN	64	/* hex characters */

/* Hashes password into out.  0, or -1 (too short/long, out of memory). */
int	rn_review_password_hash(const char *password,
	    char out[STORE_PWHASH_MAX]);

/*
 * 1 if password matches hash, else 0.  With hash NULL (an unknown
 * reviewer) a fixed hash is checked instead, so both answers take the
 * same time.
 */
int	rn_review_password_check(const char *hash, const char *password);

/* A new random token (cookie or CSRF): RN_REVIEW_TOKEN_LEN hex. */
void	rn_review_token_new(char out[RN_REVIEW_TOKEN_LEN + 1]);

/* The stored form of a session cookie: hex SHA-256. */
void	rn_review_session_hash(const char *cookie,
	    char out[STORE_HASH_HEX_LEN + 1]);

/* Constant-time equality of two tokens (0 unless both are the length). */
int	rn_review_token_equal(const char *a, const char *b);

#endif
