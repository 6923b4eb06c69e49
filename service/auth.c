/*
 * Caller authentication.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include <sodium.h>

#include "auth.h"

/* Signatures live SIGN_WINDOW_S; this many in flight at once. */
#define REPLAY_SLOTS	8192

struct shared_replay {
	pthread_mutex_t			lock;
	struct sign_replay_entry	slots[REPLAY_SLOTS];
};

static struct sign_key		 keys[RN_AUTH_KEYS_MAX];
static size_t			 nkeys;
static struct sign_key		 courier_keys[RN_AUTH_KEYS_MAX];
static size_t			 ncourier_keys;
static struct shared_replay	*shared;

static int	write_first_key(const char *, const char *, char *, size_t);
static int	keys_read(const char *, struct sign_key *, size_t *, size_t,
		    char *, size_t);
static enum sign_verdict verify_with(const struct sign_key *, size_t,
		    const struct sign_request *, int64_t, const char **);

int
rn_auth_load(const char *path, int create, char *err, size_t errlen)
{
	pthread_mutexattr_t	 attr;
	void			*p;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return (-1);
	}
	if (access(path, F_OK) == -1 && create &&
	    write_first_key(path, "shop", err, errlen) == -1)
		return (-1);
	if (keys_read(path, keys, &nkeys, SIGN_KEY_ID_MAX, err,
	    errlen) == -1)
		return (-1);

	if (shared == NULL) {
		p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			snprintf(err, errlen, "replay cache: %s",
			    strerror(errno));
			return (-1);
		}
		shared = p;
		pthread_mutexattr_init(&attr);
		pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&shared->lock, &attr);
		pthread_mutexattr_destroy(&attr);
	}
	return ((int)nkeys);
}

int
rn_auth_load_couriers(const char *path, int create, char *err,
    size_t errlen)
{
	if (shared == NULL) {
		snprintf(err, errlen, "couriers: load the clients first");
		return (-1);
	}
	if (access(path, F_OK) == -1 && create &&
	    write_first_key(path, "courier1", err, errlen) == -1)
		return (-1);
	if (keys_read(path, courier_keys, &ncourier_keys,
	    RN_AUTH_COURIER_ID_MAX, err, errlen) == -1)
		return (-1);
	return ((int)ncourier_keys);
}

enum sign_verdict
rn_auth_verify_courier(const struct sign_request *req, int64_t now,
    const char **courier)
{
	return (verify_with(courier_keys, ncourier_keys, req, now, courier));
}

/*
 * Reads "id:hexsecret" lines (ids shorter than idmax) into table.
 * Returns 0, or -1 with err set; a file without keys is an error.
 */
static int
keys_read(const char *path, struct sign_key *table, size_t *n, size_t idmax,
    char *err, size_t errlen)
{
	FILE	*fp;
	char	 line[512], *nl;
	int	 lineno;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return (-1);
	}
	*n = 0;
	lineno = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (*n == RN_AUTH_KEYS_MAX ||
		    sign_key_parse(&table[*n], line) == -1 ||
		    strlen(table[*n].id) >= idmax) {
			snprintf(err, errlen, "%s:%d: not an 'id:hexsecret' "
			    "key (16-64 bytes, id under %zu bytes) or too "
			    "many keys", path, lineno, idmax);
			sodium_memzero(line, sizeof(line));
			(void)fclose(fp);
			return (-1);
		}
		(*n)++;
	}
	sodium_memzero(line, sizeof(line));
	(void)fclose(fp);
	if (*n == 0) {
		snprintf(err, errlen, "%s: no keys", path);
		return (-1);
	}
	return (0);
}

int
rn_auth_key_file(const char *path, const char *default_id, int create,
    struct sign_key *out, char *err, size_t errlen)
{
	FILE	*fp;
	char	 line[512], *nl;
	int	 ret;

	if (access(path, F_OK) == -1 && create &&
	    write_first_key(path, default_id, err, errlen) == -1)
		return (-1);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return (-1);
	}
	ret = -1;
	snprintf(err, errlen, "%s: no 'id:hexsecret' key", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		ret = sign_key_parse(out, line);
		if (ret == -1)
			snprintf(err, errlen, "%s: not an 'id:hexsecret' "
			    "key of 16-64 bytes", path);
		break;
	}
	sodium_memzero(line, sizeof(line));
	(void)fclose(fp);
	return (ret);
}

const struct sign_key *
rn_auth_webhook_key(void)
{
	return (nkeys > 0 ? &keys[0] : NULL);
}

enum sign_verdict
rn_auth_verify(const struct sign_request *req, int64_t now,
    const char **client)
{
	return (verify_with(keys, nkeys, req, now, client));
}

/* One key table against the replay cache every worker shares. */
static enum sign_verdict
verify_with(const struct sign_key *table, size_t n,
    const struct sign_request *req, int64_t now, const char **id)
{
	struct sign_replay	 replay;
	const struct sign_key	*key;
	enum sign_verdict	 v;
	int			 rc;

	*id = NULL;
	if (shared == NULL || n == 0)
		return (SIGN_UNKNOWN_KEY);

	rc = pthread_mutex_lock(&shared->lock);
	/* A worker died holding it: the cache is still consistent enough. */
	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(&shared->lock);
	else if (rc != 0)
		return (SIGN_REPLAY_FULL);
	replay.slots = shared->slots;
	replay.nslots = REPLAY_SLOTS;
	v = sign_verify(table, n, &replay, req, now, &key);
	pthread_mutex_unlock(&shared->lock);
	if (v == SIGN_OK)
		*id = key->id;
	return (v);
}

void
rn_token_new(char token[RN_TOKEN_HEX_LEN + 1],
    char hash[RN_TOKEN_HEX_LEN + 1])
{
	unsigned char	raw[RN_TOKEN_HEX_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, RN_TOKEN_HEX_LEN + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	rn_token_hash(token, hash);
}

void
rn_token_hash(const char *token, char hash[RN_TOKEN_HEX_LEN + 1])
{
	unsigned char	digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)token,
	    strlen(token));
	sodium_bin2hex(hash, RN_TOKEN_HEX_LEN + 1, digest, sizeof(digest));
}

int
rn_token_hash_equal(const char *a, const char *b)
{
	if (strlen(a) != RN_TOKEN_HEX_LEN || strlen(b) != RN_TOKEN_HEX_LEN)
		return (0);
	return (sodium_memcmp(a, b, RN_TOKEN_HEX_LEN) == 0);
}

/* A development key, so that one command runs the whole service. */
static int
write_first_key(const char *path, const char *id, char *err, size_t errlen)
{
	unsigned char	secret[32];
	char		hex[65];
	int		fd;
	ssize_t		n;
	char		line[128];

	randombytes_buf(secret, sizeof(secret));
	sodium_bin2hex(hex, sizeof(hex), secret, sizeof(secret));
	snprintf(line, sizeof(line), "%s:%s\n", id, hex);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(hex, sizeof(hex));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: cannot create: %s", path,
		    strerror(errno));
		return (-1);
	}
	n = write(fd, line, strlen(line));
	sodium_memzero(line, sizeof(line));
	if (n <= 0 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: write failed", path);
		(void)close(fd);
		return (-1);
	}
	(void)close(fd);
	return (0);
}

void
rn_auth_refusal(enum sign_verdict v, int courier, const char **code,
    const char **message)
{
	switch (v) {
	case SIGN_MISSING:
		*code = "signature_missing";
		*message = "X-App-Id, X-Timestamp and X-Signature are required";
		break;
	case SIGN_STALE:
	case SIGN_FUTURE:
		*code = "signature_stale";
		*message = courier ? "X-Timestamp is outside the accepted "
		    "window; check the phone's clock" : "X-Timestamp is "
		    "outside the accepted window";
		break;
	case SIGN_REPLAYED:
		*code = "signature_replayed";
		*message = courier ? "this signature was already used; sign "
		    "the retry again" : "this signature was already used";
		break;
	default:
		*code = "signature_invalid";
		*message = courier ? "the signature does not verify with a "
		    "courier key" : "the signature does not verify";
		break;
	}
}
