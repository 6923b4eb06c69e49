/*
 * The regulator export (see export.h for the format and the route).
 *
 * The archive is built in memory under the byte limit: the console hands
 * it to Kore as one response and the CLI writes it to a file.  The tar
 * writer is ours (ustar, regular files only), and so is the reader the
 * verification uses, which refuses anything it did not write: a bad
 * header checksum, a non-regular member, non-zero padding, or bytes after
 * the end blocks.  So any single changed byte in an archive fails
 * verification: in a member's data through its SHA-256, in the manifest
 * through the HMAC, anywhere else through the tar structure.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "export.h"
#include "jsonr.h"
#include "jsonw.h"
#include "store_export.h"

#define KDF_CONTEXT	"rnexport"
#define KDF_HMAC	1
#define KDF_SIGN	2
#define BLOCK		512
#define NAME_MAX_LEN	99
#define CASE_JSON_MAX	(16 * 1024 * 1024)
#define MANIFEST_MAX	(8 * 1024 * 1024)
#define HEX_HMAC_LEN	(crypto_auth_hmacsha256_BYTES * 2)
#define HEX_SIG_LEN	(crypto_sign_BYTES * 2)
#define ENTRY_MAX	(NAME_MAX_LEN + STORE_HASH_HEX_LEN + 64)

/* The archive being written, never longer than max. */
struct tarw {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 over;		/* the limit was hit */
	int	 nomem;
	int64_t	 mtime;		/* seconds */
};

/* One file listed in the manifest. */
struct listed {
	char	name[NAME_MAX_LEN + 1];
	size_t	size;
	char	sha256[STORE_HASH_HEX_LEN + 1];
};

struct filelist {
	struct listed	*v;
	size_t		 n;
	size_t		 cap;
};

/* One member read back from an archive. */
struct member {
	char		 name[NAME_MAX_LEN + 1];
	const uint8_t	*data;
	size_t		 size;
	int		 seen;
};

static int	refuse(struct export_result *, enum export_code,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	day_parse(const char *, int64_t *);
static int64_t	days_from_civil(int, int, int);
static void	sha256_hex(const void *, size_t,
		    char[STORE_HASH_HEX_LEN + 1]);
static int	tar_add(struct tarw *, const char *, const void *, size_t);
static int	tar_end(struct tarw *);
static int	list_add(struct filelist *, const char *, const void *,
		    size_t);
static int	add_file(struct tarw *, struct filelist *, const char *,
		    const void *, size_t);
static int	export_case(struct store *, const struct vault *,
		    const char *, struct tarw *, struct filelist *,
		    struct export_result *);
static void	write_query(struct jsonw *, const struct export_query *,
		    const char *);
static int	tar_read(const uint8_t *, size_t, struct member **,
		    size_t *, struct export_report *);
static void	fail(struct export_report *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	files_parse(const char *, size_t, struct filelist *,
		    struct export_report *);
static struct member *member_find(struct member *, size_t, const char *);
static int	verify(const uint8_t *, size_t, const struct vault *,
		    const struct export_keys *, struct export_report *);

int
export_query_phone(struct export_query *q, const char *phone,
    struct export_result *r)
{
	size_t	i;

	memset(q, 0, sizeof(*q));
	q->by = EXPORT_BY_PHONE;
	if (phone == NULL || strlen(phone) != EXPORT_PHONE_LEN)
		return (refuse(r, EXPORT_INVALID, "phone_invalid", "a phone "
		    "number is %d digits", EXPORT_PHONE_LEN));
	for (i = 0; i < EXPORT_PHONE_LEN; i++) {
		if (!isdigit((unsigned char)phone[i]))
			return (refuse(r, EXPORT_INVALID, "phone_invalid",
			    "a phone number is %d digits", EXPORT_PHONE_LEN));
	}
	memcpy(q->phone, phone, EXPORT_PHONE_LEN + 1);
	return (0);
}

/* 17 digits and a check character, digit or X (x is read as X). */
int
export_query_id_number(struct export_query *q, const char *id,
    struct export_result *r)
{
	size_t	i;

	memset(q, 0, sizeof(*q));
	q->by = EXPORT_BY_ID_NUMBER;
	if (id == NULL || strlen(id) != 18)
		return (refuse(r, EXPORT_INVALID, "id_number_invalid", "an ID "
		    "number is 18 characters: 17 digits and a digit or X"));
	for (i = 0; i < 18; i++) {
		if (isdigit((unsigned char)id[i]))
			q->id_number[i] = id[i];
		else if (i == 17 && (id[i] == 'X' || id[i] == 'x'))
			q->id_number[i] = 'X';
		else {
			sodium_memzero(q->id_number, sizeof(q->id_number));
			return (refuse(r, EXPORT_INVALID, "id_number_invalid",
			    "an ID number is 18 characters: 17 digits and a "
			    "digit or X"));
		}
	}
	q->id_number[18] = '\0';
	return (0);
}

int
export_query_dates(struct export_query *q, const char *from, const char *to,
    struct export_result *r)
{
	int64_t	dfrom, dto;

	memset(q, 0, sizeof(*q));
	q->by = EXPORT_BY_DATES;
	if (from == NULL || to == NULL || day_parse(from, &dfrom) == -1 ||
	    day_parse(to, &dto) == -1)
		return (refuse(r, EXPORT_INVALID, "date_invalid", "from and to "
		    "are days, YYYY-MM-DD (China time)"));
	if (dto < dfrom)
		return (refuse(r, EXPORT_INVALID, "range_invalid", "to is "
		    "before from"));
	memcpy(q->from, from, EXPORT_DAY_LEN + 1);
	memcpy(q->to, to, EXPORT_DAY_LEN + 1);
	q->from_ms = dfrom * 86400000LL - EXPORT_DAY_OFFSET_MS;
	q->to_ms = (dto + 1) * 86400000LL - EXPORT_DAY_OFFSET_MS;
	return (0);
}

int
export_query_json(struct export_query *q, const void *body, size_t len,
    struct export_result *r)
{
	struct jsonr	jr;
	char		phone[EXPORT_PHONE_LEN + 2];
	char		id[STORE_ID_NUMBER_MAX];
	char		from[EXPORT_DAY_LEN + 2], to[EXPORT_DAY_LEN + 2];
	int		has_phone, has_id, has_dates, ret;

	memset(q, 0, sizeof(*q));
	if (body == NULL || jsonr_parse(&jr, body, len) == -1)
		return (refuse(r, EXPORT_INVALID, "body_invalid", "send a JSON "
		    "object: {\"phone\":...}, {\"id_number\":...} or "
		    "{\"from\":...,\"to\":...}"));
	has_phone = jsonr_find(&jr, "phone") != NULL;
	has_id = jsonr_find(&jr, "id_number") != NULL;
	has_dates = jsonr_find(&jr, "from") != NULL ||
	    jsonr_find(&jr, "to") != NULL;
	if (has_phone + has_id + has_dates == 0)
		return (refuse(r, EXPORT_INVALID, "query_missing", "give one "
		    "of phone, id_number, or from and to"));
	if (has_phone + has_id + has_dates > 1)
		return (refuse(r, EXPORT_INVALID, "query_ambiguous", "give "
		    "only one of phone, id_number, or from and to"));
	if (has_phone) {
		if (jsonr_string(&jr, "phone", phone, sizeof(phone)) < 0)
			phone[0] = '\0';
		return (export_query_phone(q, phone, r));
	}
	if (has_id) {
		if (jsonr_string(&jr, "id_number", id, sizeof(id)) < 0)
			id[0] = '\0';
		ret = export_query_id_number(q, id, r);
		sodium_memzero(id, sizeof(id));
		return (ret);
	}
	if (jsonr_string(&jr, "from", from, sizeof(from)) < 0)
		from[0] = '\0';
	if (jsonr_string(&jr, "to", to, sizeof(to)) < 0)
		to[0] = '\0';
	return (export_query_dates(q, from, to, r));
}

int
export_keys_derive(const struct vault *v, const char *key_id,
    struct export_keys *k, char *err, size_t errlen)
{
	uint8_t	seed[crypto_sign_SEEDBYTES];

	memset(k, 0, sizeof(*k));
	if (key_id == NULL)
		key_id = vault_active_key_id(v);
	if (strlen(key_id) >= sizeof(k->key_id)) {
		snprintf(err, errlen, "export: bad master key id");
		return (-1);
	}
	if (vault_derive(v, key_id, KDF_CONTEXT, KDF_HMAC, k->hmac,
	    sizeof(k->hmac), err, errlen) == -1 ||
	    vault_derive(v, key_id, KDF_CONTEXT, KDF_SIGN, seed,
	    sizeof(seed), err, errlen) == -1) {
		export_keys_clear(k);
		return (-1);
	}
	(void)crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, seed);
	sodium_memzero(seed, sizeof(seed));
	snprintf(k->key_id, sizeof(k->key_id), "%s", key_id);
	return (0);
}

void
export_keys_clear(struct export_keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

int
export_run(struct store *st, const struct vault *v,
    const unsigned char *lookup_key, size_t lookup_key_len,
    const struct export_query *q, const struct export_limits *lim,
    const char *actor, int64_t now, struct export_result *r)
{
	struct export_keys	 keys;
	struct filelist		 files;
	struct tarw		 tw;
	struct jsonw		 m, detail;
	char			(*ids)[STORE_ID_LEN + 1];
	char			 hash[STORE_HASH_HEX_LEN + 1];
	char			 masked[STORE_ID_NUMBER_MAX];
	char			 stamp[32], err[EXPORT_ERR_MAX];
	char			 hmac_hex[HEX_HMAC_LEN + 1];
	char			 sig_hex[HEX_SIG_LEN + 1];
	char			 pk_hex[crypto_sign_PUBLICKEYBYTES * 2 + 1];
	char			 case_detail[128];
	char			 entry[ENTRY_MAX];
	uint8_t			 mac[crypto_auth_hmacsha256_BYTES];
	uint8_t			 sig[crypto_sign_BYTES];
	const char		*mtext, *dtext;
	enum store_export_by	 by;
	struct tm		 tm;
	time_t			 secs;
	size_t			 n, i, mlen;
	int			 ret;

	memset(r, 0, sizeof(*r));
	memset(&files, 0, sizeof(files));
	memset(&tw, 0, sizeof(tw));
	jsonw_init(&m, MANIFEST_MAX);
	jsonw_init(&detail, 64 * 1024);
	ids = NULL;
	ret = -1;
	hash[0] = '\0';
	masked[0] = '\0';

	if (export_keys_derive(v, NULL, &keys, err, sizeof(err)) == -1) {
		(void)refuse(r, EXPORT_FAILED, "internal_error", "%s", err);
		goto cleanup;
	}
	if (lim->max_cases == 0 || (ids = calloc(lim->max_cases + 1,
	    sizeof(*ids))) == NULL) {
		(void)refuse(r, EXPORT_FAILED, "internal_error", "export: no "
		    "memory for the case list");
		goto cleanup;
	}
	switch (q->by) {
	case EXPORT_BY_PHONE:
		by = STORE_EXPORT_BY_MSISDN;
		break;
	case EXPORT_BY_ID_NUMBER:
		by = STORE_EXPORT_BY_ID_HASH;
		if (store_id_number_hash(lookup_key, lookup_key_len,
		    q->id_number, hash) == -1) {
			(void)refuse(r, EXPORT_FAILED, "internal_error",
			    "export: the lookup hash failed");
			goto cleanup;
		}
		export_mask_id_number(q->id_number, masked, sizeof(masked));
		break;
	default:
		by = STORE_EXPORT_BY_CREATED;
		break;
	}
	if (store_export_find(st, by, by == STORE_EXPORT_BY_MSISDN ? q->phone :
	    hash, q->from_ms, q->to_ms, lim->max_cases + 1, ids, &n) == -1) {
		(void)refuse(r, store_errcode(st) == STORE_UNAVAILABLE ?
		    EXPORT_UNAVAILABLE : EXPORT_FAILED,
		    store_errcode(st) == STORE_UNAVAILABLE ?
		    "store_unavailable" : "internal_error",
		    "export: finding cases: %s", store_error(st));
		goto cleanup;
	}
	if (n > lim->max_cases) {
		(void)refuse(r, EXPORT_TOO_MANY, "too_many_cases", "more than "
		    "%zu cases match (export_max_cases): narrow the query",
		    lim->max_cases);
		goto cleanup;
	}

	tw.max = lim->max_bytes;
	tw.mtime = now / 1000;
	for (i = 0; i < n; i++) {
		if (export_case(st, v, ids[i], &tw, &files, r) == -1)
			goto cleanup;
	}

	/* The manifest: one file per line, so that people can read it. */
	secs = (time_t)(now / 1000);
	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "unknown");
	sodium_bin2hex(pk_hex, sizeof(pk_hex), keys.sign_pk,
	    sizeof(keys.sign_pk));
	jsonw_object_open(&m);
	jsonw_key(&m, "format");
	jsonw_string(&m, EXPORT_FORMAT);
	jsonw_key(&m, "created_at");
	jsonw_int(&m, now);
	jsonw_key(&m, "created_at_utc");
	jsonw_string(&m, stamp);
	jsonw_key(&m, "exported_by");
	jsonw_string(&m, actor);
	jsonw_key(&m, "query");
	write_query(&m, q, masked);
	jsonw_key(&m, "key_id");
	jsonw_string(&m, keys.key_id);
	jsonw_key(&m, "kdf");
	jsonw_string(&m, "libsodium crypto_kdf, context " KDF_CONTEXT
	    ": subkey 1 HMAC-SHA256, subkey 2 Ed25519 seed");
	jsonw_key(&m, "signing_public_key");
	jsonw_string(&m, pk_hex);
	jsonw_key(&m, "limits");
	jsonw_object_open(&m);
	jsonw_key(&m, "max_cases");
	jsonw_int(&m, (int64_t)lim->max_cases);
	jsonw_key(&m, "max_bytes");
	jsonw_int(&m, (int64_t)lim->max_bytes);
	jsonw_object_close(&m);
	jsonw_key(&m, "cases");
	jsonw_int(&m, (int64_t)n);
	jsonw_key(&m, "case_ids");
	jsonw_array_open(&m);
	for (i = 0; i < n; i++)
		jsonw_string(&m, ids[i]);
	jsonw_array_close(&m);
	jsonw_key(&m, "files");
	jsonw_array_open(&m);
	for (i = 0; i < files.n; i++) {
		/* Names are ours: [a-z0-9/.], nothing to escape. */
		snprintf(entry, sizeof(entry), "\n{\"name\":\"%s\","
		    "\"size\":%zu,\"sha256\":\"%s\"}", files.v[i].name,
		    files.v[i].size, files.v[i].sha256);
		jsonw_raw(&m, entry, strlen(entry));
	}
	jsonw_array_close(&m);
	jsonw_object_close(&m);
	if ((mtext = jsonw_text(&m)) == NULL) {
		(void)refuse(r, EXPORT_TOO_LARGE, "export_too_large", "the "
		    "manifest is too large");
		goto cleanup;
	}
	mlen = strlen(mtext);
	(void)crypto_auth_hmacsha256(mac, (const uint8_t *)mtext, mlen,
	    keys.hmac);
	(void)crypto_sign_detached(sig, NULL, (const uint8_t *)mtext, mlen,
	    keys.sign_sk);
	sodium_bin2hex(hmac_hex, sizeof(hmac_hex), mac, sizeof(mac));
	sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
	hmac_hex[HEX_HMAC_LEN] = '\0';
	if (tar_add(&tw, "manifest.json", mtext, mlen) == -1 ||
	    tar_add(&tw, "manifest.hmac", hmac_hex, HEX_HMAC_LEN) == -1 ||
	    tar_add(&tw, "manifest.sig", sig_hex, HEX_SIG_LEN) == -1 ||
	    tar_end(&tw) == -1) {
		(void)refuse(r, tw.nomem ? EXPORT_FAILED : EXPORT_TOO_LARGE,
		    tw.nomem ? "internal_error" : "export_too_large",
		    "the archive would pass export_max_bytes (%zu)",
		    lim->max_bytes);
		goto cleanup;
	}
	sha256_hex(mtext, mlen, r->manifest_sha256);
	memcpy(r->signing_public_key, pk_hex, sizeof(r->signing_public_key));

	/* No export leaves without its audit rows. */
	jsonw_object_open(&detail);
	jsonw_key(&detail, "query");
	write_query(&detail, q, masked);
	if (q->by == EXPORT_BY_ID_NUMBER) {
		jsonw_key(&detail, "id_number_hash");
		jsonw_string(&detail, hash);
	}
	jsonw_key(&detail, "cases");
	jsonw_int(&detail, (int64_t)n);
	jsonw_key(&detail, "bytes");
	jsonw_int(&detail, (int64_t)tw.len);
	jsonw_key(&detail, "manifest_sha256");
	jsonw_string(&detail, r->manifest_sha256);
	jsonw_key(&detail, "key_id");
	jsonw_string(&detail, keys.key_id);
	jsonw_object_close(&detail);
	snprintf(case_detail, sizeof(case_detail),
	    "{\"manifest_sha256\":\"%s\"}", r->manifest_sha256);
	if ((dtext = jsonw_text(&detail)) == NULL ||
	    store_export_audit(st, actor, dtext, ids, n, case_detail,
	    now) == -1) {
		(void)refuse(r, store_errcode(st) == STORE_UNAVAILABLE ?
		    EXPORT_UNAVAILABLE : EXPORT_FAILED,
		    store_errcode(st) == STORE_UNAVAILABLE ?
		    "store_unavailable" : "internal_error",
		    "export: the audit rows could not be written: %s",
		    store_error(st));
		goto cleanup;
	}
	r->data = tw.p;
	r->len = tw.len;
	r->ncases = n;
	tw.p = NULL;
	r->code = EXPORT_OK;
	ret = 0;

cleanup:
	if (tw.p != NULL) {
		sodium_memzero(tw.p, tw.cap);
		free(tw.p);
	}
	free(files.v);
	free(ids);
	jsonw_free(&m);
	jsonw_free(&detail);
	export_keys_clear(&keys);
	sodium_memzero(masked, sizeof(masked));
	return (ret);
}

void
export_result_free(struct export_result *r)
{
	if (r->data != NULL) {
		sodium_memzero(r->data, r->len);
		free(r->data);
	}
	r->data = NULL;
	r->len = 0;
}

int
export_verify(const uint8_t *tar, size_t len, const struct vault *v,
    struct export_report *rep)
{
	return (verify(tar, len, v, NULL, rep));
}

int
export_verify_keys(const uint8_t *tar, size_t len,
    const struct export_keys *k, struct export_report *rep)
{
	return (verify(tar, len, NULL, k, rep));
}

int
export_lookup_key_read(const char *dir, unsigned char *key, size_t keylen,
    char *err, size_t errlen)
{
	char		path[4096];
	struct stat	sb;
	ssize_t		n;
	int		fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/lookup.key", dir) >=
	    sizeof(path)) {
		snprintf(err, errlen, "keys_dir: too long");
		return (-1);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || (sb.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: must be mode 0600", path);
		(void)close(fd);
		return (-1);
	}
	n = read(fd, key, keylen);
	(void)close(fd);
	if (n != (ssize_t)keylen) {
		snprintf(err, errlen, "%s: must hold %zu bytes", path, keylen);
		return (-1);
	}
	return (0);
}

void
export_mask_id_number(const char *id, char *out, size_t outlen)
{
	size_t	len, i;

	if (outlen == 0)
		return;
	len = strlen(id);
	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = (i < 6 || i + 4 >= len) && len >= 10 ? id[i] : '*';
	out[i] = '\0';
}

static int
refuse(struct export_result *r, enum export_code code, const char *api_code,
    const char *fmt, ...)
{
	va_list	ap;

	r->code = code;
	r->api_code = api_code;
	va_start(ap, fmt);
	(void)vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return (-1);
}

/* YYYY-MM-DD, a real day of years 2000-2199: its day number. */
static int
day_parse(const char *s, int64_t *day)
{
	static const int	mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	int			y, m, d, i;

	if (strlen(s) != EXPORT_DAY_LEN || s[4] != '-' || s[7] != '-')
		return (-1);
	for (i = 0; i < EXPORT_DAY_LEN; i++) {
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return (-1);
	}
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1])
		return (-1);
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return (-1);
	*day = days_from_civil(y, m, d);
	return (0);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
sha256_hex(const void *p, size_t len, char out[STORE_HASH_HEX_LEN + 1])
{
	uint8_t	h[crypto_hash_sha256_BYTES];

	(void)crypto_hash_sha256(h, p, len);
	sodium_bin2hex(out, STORE_HASH_HEX_LEN + 1, h, sizeof(h));
}

/* Room for need more bytes, within the limit. */
static int
tar_grow(struct tarw *tw, size_t need)
{
	uint8_t	*np;
	size_t	 cap;

	if (tw->len + need > tw->max) {
		tw->over = 1;
		return (-1);
	}
	if (tw->len + need <= tw->cap)
		return (0);
	cap = tw->cap ? tw->cap : 64 * 1024;
	while (cap < tw->len + need)
		cap = cap > SIZE_MAX / 2 ? tw->len + need : cap * 2;
	if (cap > tw->max)
		cap = tw->max;
	if ((np = realloc(tw->p, cap)) == NULL) {
		tw->nomem = 1;
		return (-1);
	}
	tw->p = np;
	tw->cap = cap;
	return (0);
}

static int
tar_add(struct tarw *tw, const char *name, const void *data, size_t len)
{
	uint8_t		*h;
	unsigned int	 sum;
	size_t		 pad, i;

	pad = (BLOCK - len % BLOCK) % BLOCK;
	if (strlen(name) > NAME_MAX_LEN || len > 077777777777ULL ||
	    len > SIZE_MAX - 2 * BLOCK || tar_grow(tw, BLOCK + len + pad) == -1)
		return (-1);
	h = tw->p + tw->len;
	memset(h, 0, BLOCK);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)len);
	snprintf((char *)h + 136, 12, "%011llo",
	    (unsigned long long)(tw->mtime & 077777777777LL));
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "realname", 8);
	memcpy(h + 297, "realname", 8);
	memset(h + 148, ' ', 8);
	for (sum = 0, i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	tw->len += BLOCK;
	if (len > 0)
		memcpy(tw->p + tw->len, data, len);
	memset(tw->p + tw->len + len, 0, pad);
	tw->len += len + pad;
	return (0);
}

static int
tar_end(struct tarw *tw)
{
	if (tar_grow(tw, 2 * BLOCK) == -1)
		return (-1);
	memset(tw->p + tw->len, 0, 2 * BLOCK);
	tw->len += 2 * BLOCK;
	return (0);
}

static int
list_add(struct filelist *fl, const char *name, const void *data,
    size_t len)
{
	struct listed	*nv;
	size_t		 cap;

	if (fl->n == fl->cap) {
		cap = fl->cap ? fl->cap * 2 : 64;
		if ((nv = reallocarray(fl->v, cap, sizeof(*nv))) == NULL)
			return (-1);
		fl->v = nv;
		fl->cap = cap;
	}
	snprintf(fl->v[fl->n].name, sizeof(fl->v[fl->n].name), "%s", name);
	fl->v[fl->n].size = len;
	sha256_hex(data, len, fl->v[fl->n].sha256);
	fl->n++;
	return (0);
}

static int
add_file(struct tarw *tw, struct filelist *fl, const char *name,
    const void *data, size_t len)
{
	if (tar_add(tw, name, data, len) == -1)
		return (-1);
	if (list_add(fl, name, data, len) == -1) {
		tw->nomem = 1;
		return (-1);
	}
	return (0);
}

/* case.json and the decrypted images of one case. */
static int
export_case(struct store *st, const struct vault *v, const char *id,
    struct tarw *tw, struct filelist *fl, struct export_result *r)
{
	struct store_case	 c;
	struct store_image	 img;
	struct jsonw		 w;
	char			 kind[STORE_EXPORT_KIND_MAX];
	char			 msisdn[STORE_EXPORT_MSISDN_MAX];
	char			 dealer[STORE_EXPORT_DEALER_MAX];
	char			 name[NAME_MAX_LEN + 1], ad[64], err[128];
	char			 plain_hash[STORE_HASH_HEX_LEN + 1];
	uint8_t			*plain[STORE_SIDE_COUNT];
	size_t			 plen[STORE_SIDE_COUNT];
	const char		*text;
	int			 side, ret, have;

	memset(&c, 0, sizeof(c));
	memset(plain, 0, sizeof(plain));
	memset(plen, 0, sizeof(plen));
	jsonw_init(&w, CASE_JSON_MAX);
	ret = -1;
	if (store_case_get(st, id, &c) == -1 ||
	    store_export_case_extra(st, id, kind, msisdn, dealer) == -1) {
		(void)refuse(r, store_errcode(st) == STORE_UNAVAILABLE ?
		    EXPORT_UNAVAILABLE : EXPORT_FAILED,
		    store_errcode(st) == STORE_UNAVAILABLE ?
		    "store_unavailable" : "internal_error",
		    "export: case %s: %s", id, store_error(st));
		goto cleanup;
	}

	jsonw_object_open(&w);
	jsonw_key(&w, "format");
	jsonw_string(&w, EXPORT_FORMAT);
	jsonw_key(&w, "case");
	jsonw_object_open(&w);
	jsonw_key(&w, "id");
	jsonw_string(&w, c.id);
	jsonw_key(&w, "order_ref");
	jsonw_string(&w, c.order_ref);
	jsonw_key(&w, "kind");
	jsonw_string(&w, kind);
	jsonw_key(&w, "msisdn");
	if (msisdn[0] != '\0')
		jsonw_string(&w, msisdn);
	else
		jsonw_null(&w);
	jsonw_key(&w, "channel");
	jsonw_string(&w, c.channel);
	jsonw_key(&w, "dealer");
	jsonw_string(&w, dealer);
	jsonw_key(&w, "state");
	jsonw_string(&w, store_state_name(c.state));
	jsonw_key(&w, "created_at");
	jsonw_int(&w, c.created_at);
	jsonw_key(&w, "updated_at");
	jsonw_int(&w, c.updated_at);
	jsonw_key(&w, "submitted_at");
	jsonw_int(&w, c.submitted_at);
	jsonw_key(&w, "decided_at");
	jsonw_int(&w, c.decided_at);
	jsonw_key(&w, "pipeline_claims");
	jsonw_int(&w, c.claims);
	jsonw_key(&w, "upload_attempts");
	jsonw_object_open(&w);
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		jsonw_key(&w, store_side_name((enum store_side)side));
		jsonw_int(&w, c.attempts[side]);
	}
	jsonw_object_close(&w);
	jsonw_object_close(&w);

	jsonw_key(&w, "declared");
	jsonw_object_open(&w);
	jsonw_key(&w, "name");
	jsonw_string(&w, c.declared_name);
	jsonw_key(&w, "id_number");
	jsonw_string(&w, c.id_number);
	jsonw_key(&w, "id_number_hash");
	jsonw_string(&w, c.id_number_hash);
	jsonw_object_close(&w);

	/* The decision as stored: rule, figures, upstream result. */
	jsonw_key(&w, "decision");
	if (c.decision != NULL && *c.decision == '{')
		jsonw_raw(&w, c.decision, strlen(c.decision));
	else
		jsonw_null(&w);
	jsonw_key(&w, "reasons");
	if (c.reasons != NULL && (*c.reasons == '[' || *c.reasons == '{'))
		jsonw_raw(&w, c.reasons, strlen(c.reasons));
	else
		jsonw_null(&w);

	jsonw_key(&w, "images");
	jsonw_object_open(&w);
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		jsonw_key(&w, store_side_name((enum store_side)side));
		if (store_image_get(st, c.id, (enum store_side)side,
		    &img) == -1) {
			if (store_errcode(st) != STORE_NOT_FOUND) {
				(void)refuse(r, EXPORT_FAILED,
				    "internal_error", "export: image: %s",
				    store_error(st));
				goto cleanup;
			}
			jsonw_null(&w);
			continue;
		}
		have = 0;
		err[0] = '\0';
		if (img.data != NULL) {
			plen[side] = vault_plain_len(img.len);
			snprintf(ad, sizeof(ad), "%s/%s", c.id,
			    store_side_name((enum store_side)side));
			if (plen[side] == 0 ||
			    (plain[side] = malloc(plen[side])) == NULL)
				snprintf(err, sizeof(err), "no memory");
			else if (vault_open_blob(v, img.data, img.len, ad,
			    plain[side], err, sizeof(err)) == 0)
				have = 1;
		}
		jsonw_object_open(&w);
		jsonw_key(&w, "purged");
		jsonw_bool(&w, img.data == NULL);
		jsonw_key(&w, "sha256");
		jsonw_string(&w, img.plain_sha256);
		jsonw_key(&w, "file");
		if (have) {
			snprintf(name, sizeof(name), "%s.jpg",
			    store_side_name((enum store_side)side));
			jsonw_string(&w, name);
			sha256_hex(plain[side], plen[side], plain_hash);
			jsonw_key(&w, "matches_recorded_sha256");
			jsonw_bool(&w, !strcmp(plain_hash, img.plain_sha256));
		} else
			jsonw_null(&w);
		if (img.data != NULL && !have) {
			jsonw_key(&w, "error");
			jsonw_string(&w, err);
		}
		jsonw_key(&w, "key_id");
		jsonw_string(&w, img.key_id);
		jsonw_key(&w, "created_at");
		jsonw_int(&w, img.created_at);
		jsonw_key(&w, "purged_at");
		jsonw_int(&w, img.purged_at);
		jsonw_key(&w, "figures");
		if (img.figures != NULL && *img.figures == '{')
			jsonw_raw(&w, img.figures, strlen(img.figures));
		else
			jsonw_null(&w);
		jsonw_object_close(&w);
		if (!have && plain[side] != NULL) {
			free(plain[side]);
			plain[side] = NULL;
		}
		store_image_release(&img);
	}
	jsonw_object_close(&w);

	jsonw_key(&w, "review_decisions");
	if (store_export_reviews_json(st, c.id, &w) == -1)
		goto store_failed;
	jsonw_key(&w, "qa_samples");
	if (store_export_qa_json(st, c.id, &w) == -1)
		goto store_failed;
	jsonw_key(&w, "audit");
	if (store_export_audit_json(st, c.id, &w) == -1)
		goto store_failed;
	jsonw_object_close(&w);
	if ((text = jsonw_text(&w)) == NULL) {
		(void)refuse(r, EXPORT_TOO_LARGE, "export_too_large",
		    "export: case %s: case.json is too large", c.id);
		goto cleanup;
	}

	snprintf(name, sizeof(name), "cases/%s/case.json", c.id);
	if (add_file(tw, fl, name, text, strlen(text)) == -1)
		goto tar_failed;
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		if (plain[side] == NULL)
			continue;
		snprintf(name, sizeof(name), "cases/%s/%s.jpg", c.id,
		    store_side_name((enum store_side)side));
		if (add_file(tw, fl, name, plain[side], plen[side]) == -1)
			goto tar_failed;
	}
	ret = 0;
	goto cleanup;

store_failed:
	(void)refuse(r, store_errcode(st) == STORE_UNAVAILABLE ?
	    EXPORT_UNAVAILABLE : EXPORT_FAILED, store_errcode(st) ==
	    STORE_UNAVAILABLE ? "store_unavailable" : "internal_error",
	    "export: case %s: %s", c.id, store_error(st));
	goto cleanup;
tar_failed:
	(void)refuse(r, tw->nomem ? EXPORT_FAILED : EXPORT_TOO_LARGE,
	    tw->nomem ? "internal_error" : "export_too_large",
	    "the archive would pass export_max_bytes (%zu)", tw->max);
cleanup:
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		if (plain[side] != NULL) {
			sodium_memzero(plain[side], plen[side]);
			free(plain[side]);
		}
	}
	store_case_release(&c);
	jsonw_free(&w);
	return (ret);
}

static void
write_query(struct jsonw *w, const struct export_query *q,
    const char *masked)
{
	jsonw_object_open(w);
	jsonw_key(w, "by");
	switch (q->by) {
	case EXPORT_BY_PHONE:
		jsonw_string(w, "phone");
		jsonw_key(w, "phone");
		jsonw_string(w, q->phone);
		break;
	case EXPORT_BY_ID_NUMBER:
		jsonw_string(w, "id_number");
		jsonw_key(w, "id_number_masked");
		jsonw_string(w, masked);
		break;
	default:
		jsonw_string(w, "created_at");
		jsonw_key(w, "from");
		jsonw_string(w, q->from);
		jsonw_key(w, "to");
		jsonw_string(w, q->to);
		jsonw_key(w, "days");
		jsonw_string(w, "China time (UTC+8), both days included");
		jsonw_key(w, "from_ms");
		jsonw_int(w, q->from_ms);
		jsonw_key(w, "to_ms_exclusive");
		jsonw_int(w, q->to_ms);
		break;
	}
	jsonw_object_close(w);
}

static void
fail(struct export_report *rep, const char *fmt, ...)
{
	va_list	ap;

	if (rep->nfailures < EXPORT_FAILURES_MAX) {
		va_start(ap, fmt);
		(void)vsnprintf(rep->failures[rep->nfailures],
		    EXPORT_FAILURE_LEN, fmt, ap);
		va_end(ap);
	}
	rep->nfailures++;
}

static int
octal(const uint8_t *p, size_t len, uint64_t *out)
{
	size_t		i;
	uint64_t	v;

	for (i = 0, v = 0; i < len && p[i] != '\0' && p[i] != ' '; i++) {
		if (p[i] < '0' || p[i] > '7' || v > (UINT64_MAX >> 3))
			return (-1);
		v = (v << 3) | (uint64_t)(p[i] - '0');
	}
	if (i == 0)
		return (-1);
	*out = v;
	return (0);
}

static int
zero(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] != 0)
			return (0);
	}
	return (1);
}

/*
 * Reads the members of an archive we wrote.  -1 when the structure is
 * broken (rep says where); the members read so far are returned anyway.
 */
static int
tar_read(const uint8_t *tar, size_t len, struct member **out, size_t *n,
    struct export_report *rep)
{
	struct member	*v, *nv;
	const uint8_t	*h;
	uint64_t	 size, sum;
	size_t		 off, cap, i, pad;
	unsigned int	 actual;
	char		 name[NAME_MAX_LEN + 1];

	v = NULL;
	*n = 0;
	cap = 0;
	off = 0;
	if (len % BLOCK != 0) {
		fail(rep, "archive: length %zu is not a whole number of "
		    "512-byte blocks", len);
		*out = NULL;
		return (-1);
	}
	for (;;) {
		if (off + BLOCK > len) {
			fail(rep, "archive: ends without its end blocks");
			goto broken;
		}
		h = tar + off;
		if (zero(h, BLOCK)) {
			if (off + 2 * BLOCK > len || !zero(h + BLOCK, BLOCK)) {
				fail(rep, "archive: damaged end block at "
				    "offset %zu", off);
				goto broken;
			}
			if (!zero(h, len - off)) {
				fail(rep, "archive: bytes after the end "
				    "blocks");
				goto broken;
			}
			break;
		}
		for (actual = 0, i = 0; i < BLOCK; i++)
			actual += (i >= 148 && i < 156) ? ' ' : h[i];
		memcpy(name, h, NAME_MAX_LEN);
		name[NAME_MAX_LEN] = '\0';
		/* Exactly as tar_add writes it: six digits, NUL, space. */
		if (h[NAME_MAX_LEN] != '\0' || h[154] != '\0' ||
		    h[155] != ' ' || octal(h + 148, 6, &sum) == -1 ||
		    sum != actual) {
			fail(rep, "archive: header at offset %zu: checksum "
			    "does not match", off);
			goto broken;
		}
		if (h[156] != '0' || memcmp(h + 257, "ustar", 6) != 0 ||
		    octal(h + 124, 12, &size) == -1 ||
		    size > len - off - BLOCK) {
			fail(rep, "archive: header at offset %zu: not a "
			    "regular file this tool wrote", off);
			goto broken;
		}
		pad = (BLOCK - size % BLOCK) % BLOCK;
		if (size + pad > len - off - BLOCK ||
		    !zero(h + BLOCK + size, pad)) {
			fail(rep, "%s: padding after the data changed", name);
			goto broken;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(v, cap, sizeof(*nv))) == NULL) {
				fail(rep, "archive: out of memory");
				goto broken;
			}
			v = nv;
		}
		memcpy(v[*n].name, name, sizeof(name));
		v[*n].data = h + BLOCK;
		v[*n].size = (size_t)size;
		v[*n].seen = 0;
		(*n)++;
		off += BLOCK + (size_t)size + pad;
	}
	*out = v;
	return (0);
broken:
	*out = v;
	return (-1);
}

/* Lowercase hex of exactly len characters, as sodium_bin2hex writes. */
static int
hex_strict(const uint8_t *p, size_t size, size_t len)
{
	size_t	i;

	if (size != len)
		return (-1);
	for (i = 0; i < len; i++) {
		if (!isdigit(p[i]) && (p[i] < 'a' || p[i] > 'f'))
			return (-1);
	}
	return (0);
}

static int
expect(const char **p, const char *end, const char *lit)
{
	size_t	len = strlen(lit);

	if ((size_t)(end - *p) < len || memcmp(*p, lit, len) != 0)
		return (-1);
	*p += len;
	return (0);
}

/*
 * The manifest's "files" list, in the exact shape export_run writes
 * (one object per line, names without escapes).
 */
static int
files_parse(const char *m, size_t len, struct filelist *fl,
    struct export_report *rep)
{
	const char	*p, *end, *q;
	struct listed	 f;
	struct listed	*nv;
	size_t		 i;

	end = m + len;
	p = NULL;
	for (q = m; q + 9 <= end; q++) {
		if (memcmp(q, "\"files\":[", 9) == 0) {
			p = q + 9;
			break;
		}
	}
	if (p == NULL) {
		fail(rep, "manifest.json: no files list");
		return (-1);
	}
	if (p < end && *p == ']')
		return (0);
	for (;;) {
		memset(&f, 0, sizeof(f));
		if (expect(&p, end, "\n{\"name\":\"") == -1)
			goto bad;
		for (i = 0; p < end && *p != '"' && i < NAME_MAX_LEN;
		    i++, p++) {
			if (!isalnum((unsigned char)*p) && *p != '/' &&
			    *p != '.' && *p != '_' && *p != '-')
				goto bad;
			f.name[i] = *p;
		}
		if (expect(&p, end, "\",\"size\":") == -1)
			goto bad;
		for (i = 0; p < end && isdigit((unsigned char)*p) && i < 15;
		    i++, p++)
			f.size = f.size * 10 + (size_t)(*p - '0');
		if (i == 0 || expect(&p, end, ",\"sha256\":\"") == -1)
			goto bad;
		for (i = 0; i < STORE_HASH_HEX_LEN && p < end; i++, p++) {
			if (!isxdigit((unsigned char)*p))
				goto bad;
			f.sha256[i] = *p;
		}
		if (i != STORE_HASH_HEX_LEN || expect(&p, end, "\"}") == -1)
			goto bad;
		if (fl->n == fl->cap) {
			fl->cap = fl->cap ? fl->cap * 2 : 64;
			if ((nv = reallocarray(fl->v, fl->cap,
			    sizeof(*nv))) == NULL) {
				fail(rep, "manifest.json: out of memory");
				return (-1);
			}
			fl->v = nv;
		}
		fl->v[fl->n++] = f;
		if (expect(&p, end, ",") == 0)
			continue;
		if (expect(&p, end, "]") == 0)
			return (0);
		goto bad;
	}
bad:
	fail(rep, "manifest.json: the files list cannot be read (entry %zu)",
	    fl->n + 1);
	return (-1);
}

static struct member *
member_find(struct member *v, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].name, name))
			return (&v[i]);
	}
	return (NULL);
}

static int
verify(const uint8_t *tar, size_t len, const struct vault *v,
    const struct export_keys *given, struct export_report *rep)
{
	struct export_keys	 keys;
	struct filelist		 fl;
	struct member		*mem, *man, *mac, *sig, *f;
	struct jsonr		 jr;
	char			 hash[STORE_HASH_HEX_LEN + 1];
	char			 pk_hex[crypto_sign_PUBLICKEYBYTES * 2 + 2];
	char			 err[EXPORT_ERR_MAX];
	uint8_t			 bin[crypto_sign_BYTES];
	size_t			 nmem, i, binlen;
	int64_t			 ncases;
	int			 ret, keyed;

	memset(rep, 0, sizeof(*rep));
	memset(&fl, 0, sizeof(fl));
	memset(&keys, 0, sizeof(keys));
	ret = 1;
	keyed = 0;
	(void)tar_read(tar, len, &mem, &nmem, rep);
	man = member_find(mem, nmem, "manifest.json");
	mac = member_find(mem, nmem, "manifest.hmac");
	sig = member_find(mem, nmem, "manifest.sig");
	if (man == NULL || mac == NULL) {
		fail(rep, "archive: %s missing", man == NULL ?
		    "manifest.json" : "manifest.hmac");
		goto done;
	}
	man->seen = mac->seen = 1;
	if (sig != NULL)
		sig->seen = 1;

	/* The keys of the master key the manifest names. */
	if (jsonr_parse(&jr, man->data, man->size) == -1 ||
	    jsonr_string(&jr, "key_id", rep->key_id,
	    sizeof(rep->key_id)) < 0) {
		fail(rep, "manifest.json: not the manifest JSON (%s)", jr.err);
		jr.nleaves = 0;
	}
	if (jsonr_int(&jr, "cases", &ncases) == 0 && ncases >= 0)
		rep->ncases = (size_t)ncases;
	if (given != NULL) {
		keys = *given;
		keyed = 1;
	} else if (rep->key_id[0] != '\0') {
		if (export_keys_derive(v, rep->key_id, &keys, err,
		    sizeof(err)) == -1) {
			fail(rep, "manifest.json names master key %s, which "
			    "this vault does not hold", rep->key_id);
			ret = -1;
		} else
			keyed = 1;
	}
	if (keyed) {
		if (hex_strict(mac->data, mac->size, HEX_HMAC_LEN) == -1 ||
		    sodium_hex2bin(bin,
		    sizeof(bin), (const char *)mac->data, mac->size, NULL,
		    &binlen, NULL) != 0 || binlen !=
		    crypto_auth_hmacsha256_BYTES ||
		    crypto_auth_hmacsha256_verify(bin, man->data, man->size,
		    keys.hmac) != 0)
			fail(rep, "manifest.hmac: the HMAC of manifest.json "
			    "does not verify (manifest changed, or another "
			    "key)");
		else
			rep->hmac_ok = 1;
		if (sig == NULL ||
		    hex_strict(sig->data, sig->size, HEX_SIG_LEN) == -1 ||
		    sodium_hex2bin(bin, sizeof(bin), (const char *)sig->data,
		    sig->size, NULL, &binlen, NULL) != 0 ||
		    binlen != crypto_sign_BYTES ||
		    crypto_sign_verify_detached(bin, man->data, man->size,
		    keys.sign_pk) != 0)
			fail(rep, "manifest.sig: the Ed25519 signature of "
			    "manifest.json does not verify");
		else
			rep->signature_ok = 1;
		sodium_bin2hex(pk_hex, sizeof(pk_hex), keys.sign_pk,
		    sizeof(keys.sign_pk));
		if (jr.nleaves > 0 && (jsonr_string(&jr,
		    "signing_public_key", err, sizeof(err)) < 0 ||
		    strcmp(err, pk_hex) != 0))
			fail(rep, "manifest.json: names another signing "
			    "public key");
	}

	/* Every listed file, even when the HMAC failed: say which. */
	if (files_parse((const char *)man->data, man->size, &fl, rep) == 0) {
		rep->nfiles = fl.n;
		for (i = 0; i < fl.n; i++) {
			if ((f = member_find(mem, nmem, fl.v[i].name)) ==
			    NULL) {
				fail(rep, "%s: listed but missing",
				    fl.v[i].name);
				continue;
			}
			if (f->seen) {
				fail(rep, "%s: listed twice", fl.v[i].name);
				continue;
			}
			f->seen = 1;
			if (f->size != fl.v[i].size) {
				fail(rep, "%s: size %zu, manifest says %zu",
				    f->name, f->size, fl.v[i].size);
				continue;
			}
			sha256_hex(f->data, f->size, hash);
			if (strcmp(hash, fl.v[i].sha256) != 0)
				fail(rep, "%s: SHA-256 does not match the "
				    "manifest", f->name);
		}
	}
	for (i = 0; i < nmem; i++) {
		if (!mem[i].seen)
			fail(rep, "%s: in the archive but not in the manifest",
			    mem[i].name);
	}
done:
	if (rep->nfailures == 0 && keyed && rep->hmac_ok &&
	    rep->signature_ok) {
		rep->ok = 1;
		ret = 0;
	} else if (ret != -1)
		ret = 1;
	free(mem);
	free(fl.v);
	export_keys_clear(&keys);
	return (ret);
}
