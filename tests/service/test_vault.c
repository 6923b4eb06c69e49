/*
 * Evidence vault: sealed blobs are unreadable as images, authenticate
 * their bytes, their case and their master key, and survive rotation.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "vault.h"

static char	dir[64];

static const uint8_t jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00,
	0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
};

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rn-vault-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (-1);
	/* vault_open creates keys/ itself, 0700. */
	strcat(dir, "/keys");
	return (0);
}

static int
teardown_dir(void **state)
{
	char	cmd[128];

	(void)state;
	dir[strlen(dir) - 5] = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

static uint8_t *
seal(const struct vault *v, const void *plain, size_t len, const char *ad,
    size_t *blen)
{
	uint8_t	*blob;

	*blen = vault_sealed_len(len);
	blob = malloc(*blen);
	assert_non_null(blob);
	assert_int_equal(vault_seal(v, plain, len, ad, blob), 0);
	return (blob);
}

static void
test_vault_first_run_creates_one_private_key(void **state)
{
	struct vault	*v;
	struct stat	 st;
	char		 err[VAULT_ERR_MAX], path[512];
	DIR		*d;
	struct dirent	*de;
	int		 keys;

	(void)state;
	assert_null(vault_open(dir, 0, err, sizeof(err)));
	v = vault_open(dir, 1, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	d = opendir(dir);
	keys = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		keys++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(st.st_size, 32);
		assert_non_null(strstr(de->d_name, vault_active_key_id(v)));
	}
	closedir(d);
	assert_int_equal(keys, 1);
	vault_close(v);
}

static void
test_vault_round_trip_and_blob_is_not_an_image(void **state)
{
	struct vault	*v;
	char		 err[VAULT_ERR_MAX];
	uint8_t		*blob, out[sizeof(jpeg)];
	size_t		 blen;

	(void)state;
	v = vault_open(dir, 1, err, sizeof(err));
	assert_non_null(v);
	blob = seal(v, jpeg, sizeof(jpeg), "case-1/front", &blen);
	assert_int_equal(vault_plain_len(blen), sizeof(jpeg));
	/* Neither JPEG nor PNG magic, and no plaintext run inside. */
	assert_memory_not_equal(blob, "\xff\xd8\xff", 3);
	assert_memory_not_equal(blob, "\x89PNG", 4);
	assert_null(memmem(blob, blen, "JFIF", 4));
	assert_int_equal(vault_open_blob(v, blob, blen, "case-1/front", out,
	    err, sizeof(err)), 0);
	assert_memory_equal(out, jpeg, sizeof(jpeg));
	free(blob);
	vault_close(v);
}

static void
test_vault_detects_every_flipped_byte(void **state)
{
	struct vault	*v;
	char		 err[VAULT_ERR_MAX];
	uint8_t		*blob, out[sizeof(jpeg)];
	size_t		 blen, i;

	(void)state;
	v = vault_open(dir, 1, err, sizeof(err));
	blob = seal(v, jpeg, sizeof(jpeg), "case-1/front", &blen);
	for (i = 0; i < blen; i++) {
		blob[i] ^= 0x01;
		assert_int_equal(vault_open_blob(v, blob, blen,
		    "case-1/front", out, err, sizeof(err)), -1);
		blob[i] ^= 0x01;
	}
	/* Truncated by one byte. */
	assert_int_equal(vault_open_blob(v, blob, blen - 1, "case-1/front",
	    out, err, sizeof(err)), -1);
	free(blob);
	vault_close(v);
}

static void
test_vault_blob_is_bound_to_its_case_and_side(void **state)
{
	struct vault	*v;
	char		 err[VAULT_ERR_MAX];
	uint8_t		*blob, out[sizeof(jpeg)];
	size_t		 blen;

	(void)state;
	v = vault_open(dir, 1, err, sizeof(err));
	blob = seal(v, jpeg, sizeof(jpeg), "case-1/front", &blen);
	assert_int_equal(vault_open_blob(v, blob, blen, "case-2/front", out,
	    err, sizeof(err)), -1);
	assert_int_equal(vault_open_blob(v, blob, blen, "case-1/back", out,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "authenticate"));
	free(blob);
	vault_close(v);
}

static void
test_vault_wrong_master_key_fails_to_decrypt(void **state)
{
	struct vault	*v;
	char		 err[VAULT_ERR_MAX], path[256];
	uint8_t		*blob, out[sizeof(jpeg)], other[32];
	size_t		 blen;
	FILE		*fp;

	(void)state;
	v = vault_open(dir, 1, err, sizeof(err));
	blob = seal(v, jpeg, sizeof(jpeg), "case-1/front", &blen);
	snprintf(path, sizeof(path), "%s/master-%s.key", dir,
	    vault_active_key_id(v));
	vault_close(v);

	/* Same key id, other key bytes. */
	memset(other, 0x5a, sizeof(other));
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(other, 1, sizeof(other), fp), sizeof(other));
	fclose(fp);
	v = vault_open(dir, 0, err, sizeof(err));
	assert_non_null(v);
	assert_int_equal(vault_open_blob(v, blob, blen, "case-1/front", out,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong master key"));
	free(blob);
	vault_close(v);
}

static void
test_vault_rotation_keeps_old_blobs_readable(void **state)
{
	struct vault	*v;
	char		 err[VAULT_ERR_MAX], first[32];
	uint8_t		*old, *young, out[sizeof(jpeg)];
	size_t		 olen, ylen;

	(void)state;
	v = vault_open(dir, 1, err, sizeof(err));
	old = seal(v, jpeg, sizeof(jpeg), "c/front", &olen);
	snprintf(first, sizeof(first), "%s", vault_active_key_id(v));
	assert_int_equal(vault_rotate(v, dir, err, sizeof(err)), 0);
	assert_string_not_equal(vault_active_key_id(v), first);
	young = seal(v, jpeg, sizeof(jpeg), "c/front", &ylen);
	vault_close(v);

	/* A fresh process sees both keys and seals with the newest. */
	v = vault_open(dir, 0, err, sizeof(err));
	assert_non_null(v);
	assert_string_not_equal(vault_active_key_id(v), first);
	assert_int_equal(vault_open_blob(v, old, olen, "c/front", out, err,
	    sizeof(err)), 0);
	assert_int_equal(vault_open_blob(v, young, ylen, "c/front", out, err,
	    sizeof(err)), 0);
	free(old);
	free(young);
	vault_close(v);
}

static void
test_vault_refuses_key_file_readable_by_others(void **state)
{
	struct vault	*v;
	char		 err[VAULT_ERR_MAX], path[256];

	(void)state;
	v = vault_open(dir, 1, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/master-%s.key", dir,
	    vault_active_key_id(v));
	vault_close(v);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(vault_open(dir, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "0600"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_vault_first_run_creates_one_private_key, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_vault_round_trip_and_blob_is_not_an_image, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_vault_detects_every_flipped_byte, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_vault_blob_is_bound_to_its_case_and_side, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_vault_wrong_master_key_fails_to_decrypt, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_vault_rotation_keeps_old_blobs_readable, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_vault_refuses_key_file_readable_by_others, setup_dir,
		    teardown_dir),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
