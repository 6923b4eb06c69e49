/*
 * Evidence at rest: every image is sealed with its own random key
 * (XChaCha20-Poly1305), and that key is wrapped by a master key read
 * from a 0600 key file.  The blob names the master key by id, so master
 * keys rotate: new blobs use the newest key, old blobs still open.
 * Plain C over libsodium, no Kore.
 */
#ifndef RN_VAULT_H
#define RN_VAULT_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_KEY_ID_LEN	8
#define VAULT_MAX_KEYS		16
#define VAULT_ERR_MAX		256

struct vault;

/*
 * Loads every master key in dir (files named master-<16 hex>.key, 32
 * bytes, mode 0600).  With create set and no key present, makes the
 * directory (0700) and a first key.  Returns NULL with err set.
 */
struct vault	*vault_open(const char *dir, int create, char *err,
		    size_t errlen);
void		 vault_close(struct vault *);

/* Adds a new master key file and makes it the one new blobs use. */
int	vault_rotate(struct vault *, const char *dir, char *err,
	    size_t errlen);

/* Id (hex) of the key new blobs use. */
const char	*vault_active_key_id(const struct vault *);

/* Bytes a sealed blob of len plaintext bytes takes. */
size_t	vault_sealed_len(size_t len);

/*
 * Seals len bytes of plaintext bound to the associated data ad (the case
 * id and side, so a blob cannot be moved to another case) into out, which
 * holds vault_sealed_len(len) bytes.  Returns 0 or -1.
 */
int	vault_seal(const struct vault *, const void *plain, size_t len,
	    const char *ad, uint8_t *out);

/*
 * Opens a blob into plain (blob_len - overhead bytes, see
 * vault_plain_len).  Returns 0, or -1 with err set when the blob is not
 * ours, the key is unknown, or authentication fails (tampered blob, wrong
 * master key, wrong associated data).
 */
int	vault_open_blob(const struct vault *, const uint8_t *blob,
	    size_t blob_len, const char *ad, void *plain, char *err,
	    size_t errlen);

/* Plaintext length of a blob, or 0 if it is too short to be one. */
size_t	vault_plain_len(size_t blob_len);

/*
 * A key for another purpose than images (the regulator export's HMAC and
 * signature), derived from master key key_id (hex; NULL: the active key)
 * with libsodium's crypto_kdf: context (8 characters) names the purpose,
 * subkey_id the key within it; outlen is 16..64 bytes.  Returns 0, or -1
 * with err set when no master key has that id.
 */
int	vault_derive(const struct vault *, const char *key_id,
	    const char *context, uint64_t subkey_id, uint8_t *out,
	    size_t outlen, char *err, size_t errlen);

#endif
