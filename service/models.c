/*
 * SHA-256 verification of the model files with libsodium.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "models.h"

#define SUMS_LINE_MAX	512

static int	file_sha256(const char *, unsigned char *, char *, size_t);

int
rn_models_verify(const char *dir, char *err, size_t errlen)
{
	FILE		*fp;
	char		 path[1024], line[SUMS_LINE_MAX], name[256];
	char		 want[65], got[65], msg[256];
	unsigned char	 digest[crypto_hash_sha256_BYTES];
	int		 n, count;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return (-1);
	}
	snprintf(path, sizeof(path), "%s/SHA256SUMS", dir);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return (-1);
	}

	count = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = sscanf(line, "%64s %255s", want, name);
		if (n != 2 || strlen(want) != 64 || strchr(name, '/')) {
			snprintf(err, errlen, "%s: malformed line %d", path,
			    count + 1);
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (file_sha256(path, digest, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "model %s: %s", name, msg);
			goto fail;
		}
		sodium_bin2hex(got, sizeof(got), digest, sizeof(digest));
		if (strcmp(got, want) != 0) {
			snprintf(err, errlen, "model %s: SHA-256 mismatch "
			    "(got %.12s…, want %.12s…)", name, got, want);
			goto fail;
		}
		count++;
	}
	(void)fclose(fp);
	if (count == 0) {
		snprintf(err, errlen, "%s/SHA256SUMS lists no files", dir);
		return (-1);
	}
	return (count);

fail:
	(void)fclose(fp);
	return (-1);
}

static int
file_sha256(const char *path, unsigned char *digest, char *err,
    size_t errlen)
{
	crypto_hash_sha256_state	 st;
	FILE				*fp;
	unsigned char			 buf[65536];
	size_t				 n;
	int				 ret;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		return (-1);
	}
	crypto_hash_sha256_init(&st);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		crypto_hash_sha256_update(&st, buf, n);
	ret = ferror(fp) ? -1 : 0;
	if (ret == -1)
		snprintf(err, errlen, "read error");
	(void)fclose(fp);
	crypto_hash_sha256_final(&st, digest);
	return (ret);
}
