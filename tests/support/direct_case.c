/*
 * Submitted cases straight into the store.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "direct_case.h"
#include "store.h"
#include "vault.h"

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE		*fp;
	unsigned char	*buf;
	long		 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return (NULL);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return (buf);
}

int
direct_case_submit(const char *store_url, const char *keys_dir,
    const char *number, const char *callback_url, char id[33])
{
	static const char *const files[] = { "img1.jpg", "img2.jpg",
	    "img4.jpg" };
	struct direct_photos	 ph;
	unsigned char		*data[3] = { NULL, NULL, NULL };
	const char		*dir;
	char			 path[512];
	int			 i, ret;

	ret = -1;
	if ((dir = getenv("REALNAME_SHARED_DATA")) == NULL)
		dir = "../shared/data";
	memset(&ph, 0, sizeof(ph));
	ph.name = "\xe6\xb5\x8b\xe8\xaf\x95";
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/faces/%s", dir, files[i]);
		if ((data[i] = read_file(path, &ph.len[i])) == NULL) {
			fprintf(stderr, "# cannot read %s\n", path);
			goto done;
		}
		ph.data[i] = data[i];
	}
	ret = direct_case_submit_with(store_url, keys_dir, number,
	    callback_url, &ph, id);
done:
	for (i = 0; i < 3; i++)
		free(data[i]);
	return (ret);
}

/* The service's own lookup key when it has made one, else a fixed one. */
static void
lookup_key(const char *keys_dir, unsigned char key[32])
{
	char		 path[512];
	unsigned char	*k;
	size_t		 len;

	snprintf(path, sizeof(path), "%s/lookup.key", keys_dir);
	if ((k = read_file(path, &len)) != NULL && len == 32) {
		memcpy(key, k, 32);
	} else
		memset(key, 7, 32);
	free(k);
}

int
direct_case_submit_with(const char *store_url, const char *keys_dir,
    const char *number, const char *callback_url,
    const struct direct_photos *ph, char id[33])
{
	struct store		*st;
	struct store_case_new	 cn;
	struct vault		*v;
	char			 err[256], ad[64], sha[65];
	char			 hash[STORE_HASH_HEX_LEN + 1];
	unsigned char		 lookup[32], digest[32];
	const unsigned char	*photo;
	unsigned char		*sealed;
	size_t			 len, slen;
	int			 i, ret;

	ret = -1;
	v = NULL;
	if (store_open(&st, store_url) == -1) {
		fprintf(stderr, "# store: %s\n", st ? store_error(st) : "nomem");
		goto done;
	}
	if ((v = vault_open(keys_dir, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "# vault: %s\n", err);
		goto done;
	}
	lookup_key(keys_dir, lookup);
	if (store_id_number_hash(lookup, sizeof(lookup), number, hash) == -1)
		goto done;
	memset(&cn, 0, sizeof(cn));
	cn.order_ref = "order-direct";
	cn.channel = "web";
	cn.declared_name = ph->name;
	cn.id_number = number;
	cn.id_number_hash = hash;
	cn.callback_url = callback_url;
	cn.dealer = "web-direct";	/* registered by the harness */
	cn.token_hash = "00000000000000000000000000000000"
	    "00000000000000000000000000000000";
	cn.token_expires_at = store_now_ms() + 3600 * 1000;
	if (store_case_create(st, &cn, store_now_ms(), id) == -1) {
		fprintf(stderr, "# create: %s\n", store_error(st));
		goto done;
	}
	for (i = 0; i < 3; i++) {
		photo = ph->data[i];
		len = ph->len[i];
		slen = vault_sealed_len(len);
		sealed = malloc(slen);
		snprintf(ad, sizeof(ad), "%s/%s", id,
		    store_side_name((enum store_side)i));
		crypto_hash_sha256(digest, photo, len);
		sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
		if (sealed == NULL || vault_seal(v, photo, len, ad, sealed) ==
		    -1 || store_image_put(st, id, (enum store_side)i, sealed,
		    slen, sha, vault_active_key_id(v), "{}",
		    store_now_ms()) == -1) {
			fprintf(stderr, "# image: %s\n", store_error(st));
			free(sealed);
			goto done;
		}
		free(sealed);
	}
	if (store_case_transition(st, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "test", store_now_ms()) == -1) {
		fprintf(stderr, "# submit: %s\n", store_error(st));
		goto done;
	}
	ret = 0;
done:
	vault_close(v);
	store_close(st);
	return (ret);
}
