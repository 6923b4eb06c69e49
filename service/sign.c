/*
 * HMAC-SHA256 request signatures (libsodium).  The verifier reads every
 * header as hostile: strict formats first, then the clock, then the MAC
 * in constant time, and only an authentic signature may enter the
 * replay cache, so forgeries cannot fill it.
 */

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sign.h"

static int	nonce_ok(const char *);
static int	canonical_mac(const struct sign_key *, const char *,
		    const char *, int64_t, const void *, size_t, const char *,
		    unsigned char [SIGN_MAC_LEN]);
static int	parse_timestamp(const char *, int64_t *);
static int	parse_mac(const char *, unsigned char [SIGN_MAC_LEN]);
static int	token_ok(const char *);
static enum sign_verdict	replay_admit(struct sign_replay *,
				    const unsigned char [SIGN_MAC_LEN],
				    int64_t, int64_t);

static const char *const verdict_names[SIGN_VERDICT_COUNT] = {
	[SIGN_OK] = "ok",
	[SIGN_MISSING] = "missing",
	[SIGN_MALFORMED] = "malformed",
	[SIGN_UNKNOWN_KEY] = "unknown_key",
	[SIGN_STALE] = "stale",
	[SIGN_FUTURE] = "future",
	[SIGN_BAD] = "bad_signature",
	[SIGN_REPLAYED] = "replayed",
	[SIGN_REPLAY_FULL] = "replay_cache_full",
};

const char *
sign_verdict_name(enum sign_verdict v)
{
	if ((unsigned int)v >= SIGN_VERDICT_COUNT)
		return ("unknown");
	return (verdict_names[v]);
}

int
sign_key_init(struct sign_key *k, const char *id, const void *secret,
    size_t secret_len)
{
	size_t	idlen;

	memset(k, 0, sizeof(*k));
	idlen = strlen(id);
	if (idlen == 0 || idlen >= sizeof(k->id) || !token_ok(id))
		return (-1);
	if (secret_len < SIGN_KEY_MIN || secret_len > SIGN_KEY_MAX)
		return (-1);
	memcpy(k->id, id, idlen + 1);
	memcpy(k->secret, secret, secret_len);
	k->secret_len = secret_len;
	return (0);
}

int
sign_key_parse(struct sign_key *k, const char *text)
{
	const char	*colon;
	char		 id[SIGN_KEY_ID_MAX];
	unsigned char	 secret[SIGN_KEY_MAX];
	size_t		 idlen, len;
	const char	*end;
	int		 ret;

	memset(k, 0, sizeof(*k));
	if ((colon = strchr(text, ':')) == NULL)
		return (-1);
	idlen = (size_t)(colon - text);
	if (idlen == 0 || idlen >= sizeof(id))
		return (-1);
	memcpy(id, text, idlen);
	id[idlen] = '\0';
	if (sodium_hex2bin(secret, sizeof(secret), colon + 1,
	    strlen(colon + 1), NULL, &len, &end) != 0 || *end != '\0')
		ret = -1;
	else
		ret = sign_key_init(k, id, secret, len);
	sodium_memzero(secret, sizeof(secret));
	return (ret);
}

void
sign_key_clear(struct sign_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

int
sign_compute(const struct sign_key *k, const char *method, const char *path,
    int64_t timestamp, const void *body, size_t body_len,
    char out[SIGN_HEX_LEN + 1])
{
	return (sign_compute_nonce(k, method, path, timestamp, body, body_len,
	    NULL, out));
}

int
sign_compute_nonce(const struct sign_key *k, const char *method,
    const char *path, int64_t timestamp, const void *body, size_t body_len,
    const char *nonce, char out[SIGN_HEX_LEN + 1])
{
	unsigned char	mac[SIGN_MAC_LEN];

	out[0] = '\0';
	if (canonical_mac(k, method, path, timestamp, body, body_len, nonce,
	    mac) == -1)
		return (-1);
	(void)sodium_bin2hex(out, SIGN_HEX_LEN + 1, mac, sizeof(mac));
	return (0);
}

int
sign_request_headers(const struct sign_key *k, const char *method,
    const char *path, int64_t now, const void *body, size_t body_len,
    struct sign_headers *out)
{
	memset(out, 0, sizeof(*out));
	if (now < 0)
		return (-1);
	(void)snprintf(out->key_id, sizeof(out->key_id), "%s", k->id);
	(void)snprintf(out->timestamp, sizeof(out->timestamp), "%lld",
	    (long long)now);
	return (sign_compute(k, method, path, now, body, body_len,
	    out->signature));
}

int
sign_request_headers_nonce(const struct sign_key *k, const char *method,
    const char *path, int64_t now, const void *body, size_t body_len,
    struct sign_headers *out)
{
	unsigned char	raw[SIGN_NONCE_BYTES];

	memset(out, 0, sizeof(*out));
	if (now < 0 || sodium_init() == -1)
		return (-1);
	randombytes_buf(raw, sizeof(raw));
	(void)sodium_bin2hex(out->nonce, sizeof(out->nonce), raw,
	    sizeof(raw));
	(void)snprintf(out->key_id, sizeof(out->key_id), "%s", k->id);
	(void)snprintf(out->timestamp, sizeof(out->timestamp), "%lld",
	    (long long)now);
	return (sign_compute_nonce(k, method, path, now, body, body_len,
	    out->nonce, out->signature));
}

void
sign_replay_init(struct sign_replay *r, struct sign_replay_entry *slots,
    size_t nslots)
{
	memset(slots, 0, nslots * sizeof(*slots));
	r->slots = slots;
	r->nslots = nslots;
}

enum sign_verdict
sign_verify(const struct sign_key *keys, size_t nkeys,
    struct sign_replay *replay, const struct sign_request *req, int64_t now,
    const struct sign_key **key_out)
{
	const struct sign_key	*key;
	unsigned char		 got[SIGN_MAC_LEN], want[SIGN_MAC_LEN];
	enum sign_verdict	 v;
	int64_t			 ts;
	size_t			 i;

	if (key_out != NULL)
		*key_out = NULL;
	if (req->key_id == NULL || *req->key_id == '\0' ||
	    req->timestamp == NULL || *req->timestamp == '\0' ||
	    req->signature == NULL || *req->signature == '\0')
		return (SIGN_MISSING);
	if (parse_timestamp(req->timestamp, &ts) == -1 ||
	    parse_mac(req->signature, got) == -1 ||
	    !token_ok(req->method) || !token_ok(req->path) ||
	    (req->nonce != NULL && !nonce_ok(req->nonce)))
		return (SIGN_MALFORMED);

	key = NULL;
	for (i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].id, req->key_id) == 0) {
			key = &keys[i];
			break;
		}
	}
	if (key == NULL)
		return (SIGN_UNKNOWN_KEY);

	if (ts < now - SIGN_WINDOW_S)
		return (SIGN_STALE);
	if (ts > now + SIGN_WINDOW_S)
		return (SIGN_FUTURE);

	if (canonical_mac(key, req->method, req->path, ts, req->body,
	    req->body_len, req->nonce, want) == -1)
		return (SIGN_MALFORMED);
	if (sodium_memcmp(got, want, sizeof(want)) != 0)
		return (SIGN_BAD);

	if (replay != NULL) {
		/* Past ts + window the clock check refuses it anyway. */
		v = replay_admit(replay, got, now, ts + SIGN_WINDOW_S);
		if (v != SIGN_OK)
			return (v);
	}
	if (key_out != NULL)
		*key_out = key;
	return (SIGN_OK);
}

static int
canonical_mac(const struct sign_key *k, const char *method, const char *path,
    int64_t timestamp, const void *body, size_t body_len, const char *nonce,
    unsigned char mac[SIGN_MAC_LEN])
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 hash[crypto_hash_sha256_BYTES];
	char				 hash_hex[sizeof(hash) * 2 + 1];
	char				 ts[SIGN_TIMESTAMP_MAX];

	if (!token_ok(method) || !token_ok(path) || timestamp < 0 ||
	    (nonce != NULL && !nonce_ok(nonce)))
		return (-1);
	if (sodium_init() == -1)
		return (-1);
	if (body == NULL)
		body = "";
	(void)crypto_hash_sha256(hash, body, body_len);
	(void)sodium_bin2hex(hash_hex, sizeof(hash_hex), hash, sizeof(hash));
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)timestamp);

	(void)crypto_auth_hmacsha256_init(&st, k->secret, k->secret_len);
	(void)crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)method, strlen(method));
	(void)crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)"\n", 1);
	(void)crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)path, strlen(path));
	(void)crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)"\n", 1);
	(void)crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts,
	    strlen(ts));
	(void)crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)"\n", 1);
	(void)crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)hash_hex, strlen(hash_hex));
	if (nonce != NULL) {
		(void)crypto_auth_hmacsha256_update(&st,
		    (const unsigned char *)"\n", 1);
		(void)crypto_auth_hmacsha256_update(&st,
		    (const unsigned char *)nonce, strlen(nonce));
	}
	(void)crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	return (0);
}

/*
 * Decimal seconds, no sign, no leading zeros, at most 12 digits: one
 * request has one spelling, so one signature.
 */
static int
parse_timestamp(const char *s, int64_t *out)
{
	int64_t	v;
	size_t	i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return (-1);
	v = 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 12 || s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return (0);
}

/* Exactly SIGN_HEX_LEN lowercase hex characters. */
static int
parse_mac(const char *s, unsigned char mac[SIGN_MAC_LEN])
{
	size_t	i, len;

	len = strlen(s);
	if (len != SIGN_HEX_LEN)
		return (-1);
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (-1);
	}
	if (sodium_hex2bin(mac, SIGN_MAC_LEN, s, len, NULL, NULL, NULL) != 0)
		return (-1);
	return (0);
}

/*
 * Printable ASCII without spaces: a newline in a method or path would
 * let two different requests share one canonical string.
 */
static int
token_ok(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] == '\0')
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return (0);
	}
	return (1);
}

/* 1 to SIGN_NONCE_MAX of A-Z a-z 0-9 . _ - */
static int
nonce_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= SIGN_NONCE_MAX || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return (0);
	}
	return (i > 0);
}

static enum sign_verdict
replay_admit(struct sign_replay *r, const unsigned char mac[SIGN_MAC_LEN],
    int64_t now, int64_t expires)
{
	struct sign_replay_entry	*free_slot;
	size_t				 i;

	free_slot = NULL;
	for (i = 0; i < r->nslots; i++) {
		if (r->slots[i].expires < now) {
			if (free_slot == NULL)
				free_slot = &r->slots[i];
			continue;
		}
		if (memcmp(r->slots[i].mac, mac, SIGN_MAC_LEN) == 0)
			return (SIGN_REPLAYED);
	}
	/* Evicting a live entry would let its replay through. */
	if (free_slot == NULL)
		return (SIGN_REPLAY_FULL);
	memcpy(free_slot->mac, mac, SIGN_MAC_LEN);
	free_slot->expires = expires;
	return (SIGN_OK);
}
