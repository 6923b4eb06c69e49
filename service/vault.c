/*
 * Envelope encryption for evidence images.
 *
 * Blob layout (all fixed sizes, nothing parsed from the blob but them):
 *   "RNV1" | key id (8) | wrap nonce (24) | wrapped image key (32 + 16)
 *   | data nonce (24) | ciphertext (len + 16)
 * The image key is wrapped with the master key, the key id as associated
 * data; the image is sealed with the image key, the caller's associated
 * data (case and side) bound in.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "vault.h"

#define MAGIC		"RNV1"
#define MAGIC_LEN	4
#define KEY_LEN		crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_LEN	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN		crypto_aead_xchacha20poly1305_ietf_ABYTES
#define WRAPPED_LEN	(KEY_LEN + TAG_LEN)
#define HEADER_LEN	(MAGIC_LEN + VAULT_KEY_ID_LEN + NONCE_LEN + \
			    WRAPPED_LEN + NONCE_LEN)

struct master {
	uint8_t		id[VAULT_KEY_ID_LEN];
	char		hex[VAULT_KEY_ID_LEN * 2 + 1];
	uint8_t		key[KEY_LEN];
	struct timespec	mtime;
};

struct vault {
	struct master	keys[VAULT_MAX_KEYS];
	size_t		nkeys;
	size_t		active;
};

static int	load_key(struct vault *, const char *, const char *, char *,
		    size_t);
static int	new_key(struct vault *, const char *, char *, size_t);
static const struct master *find_key(const struct vault *,
		    const uint8_t *);
static int	newer(const struct master *, const struct master *);

struct vault *
vault_open(const char *dir, int create, char *err, size_t errlen)
{
	struct vault	*v;
	DIR		*d;
	struct dirent	*de;
	size_t		 i;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return (NULL);
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	(void)sodium_mlock(v, sizeof(*v));

	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", dir,
		    strerror(errno));
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "master-", 7) != 0)
			continue;
		if (load_key(v, dir, de->d_name, err, errlen) == -1) {
			(void)closedir(d);
			goto fail;
		}
	}
	(void)closedir(d);

	if (v->nkeys == 0) {
		if (!create) {
			snprintf(err, errlen, "%s: no master key", dir);
			goto fail;
		}
		if (new_key(v, dir, err, errlen) == -1)
			goto fail;
	}

	/* The newest key seals; ties broken by id for determinism. */
	v->active = 0;
	for (i = 1; i < v->nkeys; i++) {
		if (newer(&v->keys[i], &v->keys[v->active]))
			v->active = i;
	}
	return (v);

fail:
	vault_close(v);
	return (NULL);
}

void
vault_close(struct vault *v)
{
	if (v == NULL)
		return;
	sodium_memzero(v, sizeof(*v));
	(void)sodium_munlock(v, sizeof(*v));
	free(v);
}

int
vault_rotate(struct vault *v, const char *dir, char *err, size_t errlen)
{
	if (new_key(v, dir, err, errlen) == -1)
		return (-1);
	v->active = v->nkeys - 1;
	return (0);
}

const char *
vault_active_key_id(const struct vault *v)
{
	return (v->keys[v->active].hex);
}

size_t
vault_sealed_len(size_t len)
{
	return (HEADER_LEN + len + TAG_LEN);
}

size_t
vault_plain_len(size_t blob_len)
{
	if (blob_len < HEADER_LEN + TAG_LEN)
		return (0);
	return (blob_len - HEADER_LEN - TAG_LEN);
}

int
vault_seal(const struct vault *v, const void *plain, size_t len,
    const char *ad, uint8_t *out)
{
	const struct master	*m = &v->keys[v->active];
	uint8_t			 ikey[KEY_LEN];
	uint8_t			*p;

	p = out;
	memcpy(p, MAGIC, MAGIC_LEN);
	p += MAGIC_LEN;
	memcpy(p, m->id, VAULT_KEY_ID_LEN);
	p += VAULT_KEY_ID_LEN;

	crypto_aead_xchacha20poly1305_ietf_keygen(ikey);
	randombytes_buf(p, NONCE_LEN);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(p + NONCE_LEN, NULL,
	    ikey, KEY_LEN, m->id, VAULT_KEY_ID_LEN, NULL, p, m->key) != 0)
		goto fail;
	p += NONCE_LEN + WRAPPED_LEN;

	randombytes_buf(p, NONCE_LEN);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(p + NONCE_LEN, NULL,
	    plain, len, (const uint8_t *)ad, strlen(ad), NULL, p, ikey) != 0)
		goto fail;
	sodium_memzero(ikey, sizeof(ikey));
	return (0);

fail:
	sodium_memzero(ikey, sizeof(ikey));
	return (-1);
}

int
vault_open_blob(const struct vault *v, const uint8_t *blob, size_t blob_len,
    const char *ad, void *plain, char *err, size_t errlen)
{
	const struct master	*m;
	const uint8_t		*p;
	uint8_t			 ikey[KEY_LEN];
	int			 ret;

	if (blob_len < HEADER_LEN + TAG_LEN ||
	    memcmp(blob, MAGIC, MAGIC_LEN) != 0) {
		snprintf(err, errlen, "not a sealed blob");
		return (-1);
	}
	p = blob + MAGIC_LEN;
	if ((m = find_key(v, p)) == NULL) {
		snprintf(err, errlen, "blob sealed with an unknown master key");
		return (-1);
	}
	p += VAULT_KEY_ID_LEN;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(ikey, NULL, NULL,
	    p + NONCE_LEN, WRAPPED_LEN, m->id, VAULT_KEY_ID_LEN, p,
	    m->key) != 0) {
		snprintf(err, errlen, "image key does not unwrap: wrong master "
		    "key or tampered blob");
		return (-1);
	}
	p += NONCE_LEN + WRAPPED_LEN;
	ret = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL,
	    p + NONCE_LEN, blob_len - HEADER_LEN, (const uint8_t *)ad,
	    strlen(ad), p, ikey);
	sodium_memzero(ikey, sizeof(ikey));
	if (ret != 0) {
		snprintf(err, errlen, "image does not authenticate: tampered "
		    "blob or another case's blob");
		return (-1);
	}
	return (0);
}

int
vault_derive(const struct vault *v, const char *key_id, const char *context,
    uint64_t subkey_id, uint8_t *out, size_t outlen, char *err,
    size_t errlen)
{
	const struct master	*m;
	uint8_t			 id[VAULT_KEY_ID_LEN];
	size_t			 idlen;

	if (outlen < crypto_kdf_BYTES_MIN || outlen > crypto_kdf_BYTES_MAX ||
	    strlen(context) != crypto_kdf_CONTEXTBYTES) {
		snprintf(err, errlen, "vault: bad derivation arguments");
		return (-1);
	}
	if (key_id == NULL)
		m = &v->keys[v->active];
	else if (strlen(key_id) != VAULT_KEY_ID_LEN * 2 ||
	    sodium_hex2bin(id, sizeof(id), key_id, strlen(key_id), NULL,
	    &idlen, NULL) != 0 || idlen != sizeof(id) ||
	    (m = find_key(v, id)) == NULL) {
		snprintf(err, errlen, "vault: no master key with that id");
		return (-1);
	}
	return (crypto_kdf_derive_from_key(out, outlen, subkey_id, context,
	    m->key) == 0 ? 0 : -1);
}

static const struct master *
find_key(const struct vault *v, const uint8_t *id)
{
	size_t	i;

	for (i = 0; i < v->nkeys; i++) {
		if (sodium_memcmp(v->keys[i].id, id, VAULT_KEY_ID_LEN) == 0)
			return (&v->keys[i]);
	}
	return (NULL);
}

/* Reads one master-<hex>.key file; refuses anything but 32 bytes, 0600. */
static int
load_key(struct vault *v, const char *dir, const char *name, char *err,
    size_t errlen)
{
	struct master	*m;
	struct stat	 st;
	char		 path[1024];
	uint8_t		 buf[KEY_LEN + 1];
	size_t		 bin_len;
	ssize_t		 n;
	int		 fd;

	if (v->nkeys == VAULT_MAX_KEYS) {
		snprintf(err, errlen, "%s: more than %d master keys", dir,
		    VAULT_MAX_KEYS);
		return (-1);
	}
	m = &v->keys[v->nkeys];
	if (strlen(name) != 7 + VAULT_KEY_ID_LEN * 2 + 4 ||
	    strcmp(name + 7 + VAULT_KEY_ID_LEN * 2, ".key") != 0 ||
	    sodium_hex2bin(m->id, sizeof(m->id), name + 7,
	    VAULT_KEY_ID_LEN * 2, NULL, &bin_len, NULL) != 0 ||
	    bin_len != VAULT_KEY_ID_LEN) {
		snprintf(err, errlen, "%s/%s: not a master key file name",
		    dir, name);
		return (-1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: must be mode 0600", path);
		(void)close(fd);
		return (-1);
	}
	/* One byte more than a key, to tell a longer file apart. */
	n = read(fd, buf, sizeof(buf));
	(void)close(fd);
	if (n != (ssize_t)sizeof(m->key)) {
		snprintf(err, errlen, "%s: must hold exactly %zu bytes", path,
		    sizeof(m->key));
		sodium_memzero(buf, sizeof(buf));
		sodium_memzero(m, sizeof(*m));
		return (-1);
	}
	memcpy(m->key, buf, sizeof(m->key));
	sodium_memzero(buf, sizeof(buf));
	sodium_bin2hex(m->hex, sizeof(m->hex), m->id, sizeof(m->id));
	m->mtime = st.st_mtim;
	v->nkeys++;
	return (0);
}

/* Writes a fresh random key to master-<random id>.key, 0600, durably. */
static int
new_key(struct vault *v, const char *dir, char *err, size_t errlen)
{
	struct master	*m;
	struct stat	 st;
	struct timespec	 latest, times[2];
	size_t		 i;
	char		 path[1024];
	int		 fd;

	if (v->nkeys == VAULT_MAX_KEYS) {
		snprintf(err, errlen, "%s: more than %d master keys", dir,
		    VAULT_MAX_KEYS);
		return (-1);
	}
	m = &v->keys[v->nkeys];
	randombytes_buf(m->id, sizeof(m->id));
	crypto_aead_xchacha20poly1305_ietf_keygen(m->key);
	sodium_bin2hex(m->hex, sizeof(m->hex), m->id, sizeof(m->id));
	snprintf(path, sizeof(path), "%s/master-%s.key", dir, m->hex);

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: cannot create: %s", path,
		    strerror(errno));
		goto fail;
	}
	/*
	 * The newest key seals.  File times are only as fine as the kernel
	 * clock tick (and whole seconds on some file systems), so a key made
	 * right after another is dated a second past every key we hold.
	 */
	latest.tv_sec = 0;
	latest.tv_nsec = 0;
	for (i = 0; i < v->nkeys; i++) {
		if (v->keys[i].mtime.tv_sec >= latest.tv_sec)
			latest = v->keys[i].mtime;
	}
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;
	if (v->nkeys > 0) {
		times[1].tv_sec = latest.tv_sec + 1;
		times[1].tv_nsec = 0;
	} else {
		times[1].tv_sec = 0;
		times[1].tv_nsec = UTIME_NOW;
	}
	if (write(fd, m->key, sizeof(m->key)) != (ssize_t)sizeof(m->key) ||
	    fsync(fd) == -1 || (v->nkeys > 0 && futimens(fd, times) == -1) ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: write failed: %s", path,
		    strerror(errno));
		(void)close(fd);
		(void)unlink(path);
		goto fail;
	}
	(void)close(fd);
	m->mtime = st.st_mtim;
	v->nkeys++;
	return (0);

fail:
	sodium_memzero(m, sizeof(*m));
	return (-1);
}

/* Key a was written after key b (ties broken by id, deterministically). */
static int
newer(const struct master *a, const struct master *b)
{
	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return (a->mtime.tv_sec > b->mtime.tv_sec);
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return (a->mtime.tv_nsec > b->mtime.tv_nsec);
	return (strcmp(a->hex, b->hex) > 0);
}
