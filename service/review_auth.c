/*
 * Reviewer credentials.
 */

#include <string.h>

#include <sodium.h>

#include "review_auth.h"

/*
 * The hash checked for an unknown name: a fixed Argon2id string made with
 * the same limits as real ones (the interactive limits, of a random
 * password nobody kept), so "no such reviewer" costs exactly as much as
 * "wrong password", from the first attempt on.
 */
#define DUMMY_HASH	"$argon2id$v=19$m=65536,t=2,p=1$" \
			"tQeydo+qHgNWVOrif88ZWg$" \
			"JVvOcxIJb+oUwlBAZq+66rsdzqXdT3KwEhTvjytSTfg"

int
rn_review_password_hash(const char *password, char out[STORE_PWHASH_MAX])
{
	size_t	len;

	len = password != NULL ? strlen(password) : 0;
	if (len < RN_REVIEW_PASSWORD_MIN || len > RN_REVIEW_PASSWORD_MAX)
		return (-1);
	if (sodium_init() == -1)
		return (-1);
	if (crypto_pwhash_str(out, password, len,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return (-1);
	return (0);
}

int
rn_review_password_check(const char *hash, const char *password)
{
	size_t	len;
	int	ok;

	if (sodium_init() == -1 || password == NULL)
		return (0);
	len = strlen(password);
	if (len > RN_REVIEW_PASSWORD_MAX)
		len = RN_REVIEW_PASSWORD_MAX;
	ok = crypto_pwhash_str_verify(hash != NULL ? hash : DUMMY_HASH,
	    password, len) == 0;
	return (hash != NULL && ok);
}

void
rn_review_token_new(char out[RN_REVIEW_TOKEN_LEN + 1])
{
	unsigned char	raw[RN_REVIEW_TOKEN_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	(void)sodium_bin2hex(out, RN_REVIEW_TOKEN_LEN + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

void
rn_review_session_hash(const char *cookie, char out[STORE_HASH_HEX_LEN + 1])
{
	unsigned char	md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, (const unsigned char *)cookie, strlen(cookie));
	(void)sodium_bin2hex(out, STORE_HASH_HEX_LEN + 1, md, sizeof(md));
}

int
rn_review_token_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL || strlen(a) != RN_REVIEW_TOKEN_LEN ||
	    strlen(b) != RN_REVIEW_TOKEN_LEN)
		return (0);
	return (sodium_memcmp(a, b, RN_REVIEW_TOKEN_LEN) == 0);
}

