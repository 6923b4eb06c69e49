/*
 * The regulator export on SQLite with a real vault: an archive reads
 * back whole and verifies; any single changed byte anywhere in it fails
 * verification; another key fails the HMAC; purged images leave their
 * recorded hashes; cases are found by phone number, by ID number through
 * its lookup hash (a wrong number finds nothing) and by China days; the
 * limits refuse instead of truncating; every export is audited.  The
 * store's part runs on SQLite and on a throwaway PostgreSQL cluster.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "export.h"
#include "pg_harness.h"
#include "store.h"
#include "store_backend.h"
#include "vault.h"

#define NUMBER_A	"990101200001010018"	/* not a real region */
#define NUMBER_B	"990101199001010025"
#define NUMBER_WRONG	"990101199001010033"
#define PHONE_A		"13800000001"
#define PHONE_B		"13800000002"
#define TOKEN_HASH	\
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DECISION	"{\"outcome\":\"approved\",\"rule\":\"all_clear\"," \
			"\"signals\":{\"face_score\":0.71}," \
			"\"upstream\":{\"called\":true,\"result\":\"match\"," \
			"\"code\":\"0\",\"similarity\":0.93}}"
/* 2026-11-20 00:00 China time, in UTC ms. */
#define DAY_20_MS	(1795132800000LL - 8LL * 3600 * 1000)
#define DAY_MS		(86400LL * 1000)
#define ID_BODY		"{\"id_number\":\"99010120000101001x\"}"
#define DAY_BODY	"{\"from\":\"2026-11-20\",\"to\":\"2026-11-20\"}"

struct fixture {
	int		 pg;
	char		 dir[64];
	char		 url[512];
	char		 keys[128];
	struct store	*h;
	struct vault	*v;
	char		 case_a[STORE_ID_LEN + 1];
	char		 case_b[STORE_ID_LEN + 1];
	uint8_t		 photo[STORE_SIDE_COUNT][300];
	char		 sha_a[STORE_SIDE_COUNT][STORE_HASH_HEX_LEN + 1];
};

static const unsigned char	lookup_key[32] =
    "synthetic lookup key for tests!";
static struct pg_harness	pg;
static int			pg_started, db_seq;

static void
make_case(struct fixture *f, const char *number, const char *phone,
    int64_t created, char id[STORE_ID_LEN + 1])
{
	struct store_case_new	cn;
	struct sval		p[3];
	char			hash[STORE_HASH_HEX_LEN + 1];
	char			sha[STORE_HASH_HEX_LEN + 1], ad[64];
	uint8_t			digest[32];
	uint8_t			*blob;
	int			side;

	assert_int_equal(store_id_number_hash(lookup_key, sizeof(lookup_key),
	    number, hash), 0);
	memset(&cn, 0, sizeof(cn));
	cn.order_ref = "order-1";
	cn.channel = "web";
	cn.declared_name = "测试 Synthetic";
	cn.id_number = number;
	cn.id_number_hash = hash;
	cn.callback_url = "http://127.0.0.1:9/hook";
	cn.token_hash = TOKEN_HASH;
	cn.token_expires_at = created + DAY_MS;
	cn.kind = STORE_KIND_REREGISTRATION;
	cn.msisdn = phone;
	cn.dealer = "web-direct";
	assert_int_equal(store_case_create(f->h, &cn, created, id), 0);
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		randombytes_buf(f->photo[side], sizeof(f->photo[side]));
		crypto_hash_sha256(digest, f->photo[side],
		    sizeof(f->photo[side]));
		sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
		if (id == f->case_a)
			memcpy(f->sha_a[side], sha, sizeof(sha));
		blob = malloc(vault_sealed_len(sizeof(f->photo[side])));
		assert_non_null(blob);
		snprintf(ad, sizeof(ad), "%s/%s", id,
		    store_side_name((enum store_side)side));
		assert_int_equal(vault_seal(f->v, f->photo[side],
		    sizeof(f->photo[side]), ad, blob), 0);
		assert_int_equal(store_image_put(f->h, id,
		    (enum store_side)side, blob,
		    vault_sealed_len(sizeof(f->photo[side])), sha,
		    vault_active_key_id(f->v), "{\"quality\":\"ok\"}",
		    created), 0);
		free(blob);
	}
	p[0] = store_sv_text(DECISION);
	p[1] = store_sv_text(id);
	p[2] = store_sv_int(created + 1000);
	assert_int_equal(store_q(f->h, "UPDATE cases SET state = 'APPROVED', "
	    "decision = $1, reasons = '[]', decided_at = $3 WHERE id = $2",
	    p, 3, NULL, NULL), 0);
	assert_int_equal(store_audit_append(f->h, id, "pipeline:test",
	    "case.decided", "{\"state\":\"APPROVED\"}", created + 1000), 0);
}

static int
setup(void **state, int use_pg)
{
	struct fixture	*f;
	struct sval	 p[2];
	char		 mig[1024], err[VAULT_ERR_MAX], name[32];
	const char	*root;

	assert_int_equal(sodium_init() >= 0, 1);
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->pg = use_pg;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rn-export-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (use_pg) {
		snprintf(name, sizeof(name), "export%d", ++db_seq);
		assert_int_equal(pg_harness_create_db(&pg, name, f->url,
		    sizeof(f->url)), 0);
	} else
		snprintf(f->url, sizeof(f->url), "sqlite:%s/db", f->dir);
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	f->v = vault_open(f->keys, 1, err, sizeof(err));
	assert_non_null(f->v);
	root = getenv("REALNAME_SOURCE_ROOT");
	snprintf(mig, sizeof(mig), "%s/deploy/sql", root ? root : ".");
	assert_int_equal(store_open(&f->h, f->url), 0);
	assert_int_equal(store_migrate(f->h, mig, NULL), 0);
	assert_int_equal(store_dealer_add(f->h, "web-direct", "web", "Web",
	    "test", DAY_20_MS), 0);
	make_case(f, NUMBER_A, PHONE_A, DAY_20_MS + 3600 * 1000, f->case_a);
	make_case(f, NUMBER_B, PHONE_B, DAY_20_MS + 2 * DAY_MS, f->case_b);
	/* A supervisor's QA verdict on case B (migration 0007). */
	p[0] = store_sv_text(f->case_b);
	p[1] = store_sv_int(DAY_20_MS + 2 * DAY_MS + 5000);
	assert_int_equal(store_q(f->h, "INSERT INTO qa_samples (case_id, "
	    "channel, dealer, auto_state, seq, sampled_at, verdict, "
	    "reason, comment, reviewed_at) VALUES ($1, 'web', 'web-direct', "
	    "'APPROVED', 7, $2, 'agree', 'qa_agree', 'looks right', $2)", p,
	    2, NULL, NULL), 0);
	*state = f;
	return (0);
}

static int
setup_sqlite(void **state)
{
	return (setup(state, 0));
}

static int
setup_pg(void **state)
{
	return (setup(state, 1));
}

static int
group_setup(void **state)
{
	(void)state;
	if (pg_harness_start(&pg) == -1)
		return (-1);
	pg_started = 1;
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	if (pg_started)
		pg_harness_stop(&pg);
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	store_close(f->h);
	vault_close(f->v);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	(void)system(cmd);
	free(f);
	return (0);
}

/* The data of member name, or NULL. */
static const uint8_t *
member(const uint8_t *tar, size_t len, const char *name, size_t *size)
{
	size_t	off, sz;

	for (off = 0; off + 512 <= len && tar[off] != '\0'; ) {
		sz = strtoull((const char *)tar + off + 124, NULL, 8);
		if (!strcmp((const char *)tar + off, name)) {
			*size = sz;
			return (tar + off + 512);
		}
		off += 512 + (sz + 511) / 512 * 512;
	}
	return (NULL);
}

static void
print_report(const struct export_report *rep)
{
	size_t	i;

	for (i = 0; i < rep->nfailures && i < EXPORT_FAILURES_MAX; i++)
		print_message("# verify: %s\n", rep->failures[i]);
}

static void
run(struct fixture *f, struct export_query *q, size_t max_cases,
    size_t max_bytes, struct export_result *r)
{
	struct export_limits	lim;

	lim.max_cases = max_cases;
	lim.max_bytes = max_bytes;
	if (export_run(f->h, f->v, lookup_key, sizeof(lookup_key), q, &lim,
	    "admin:test", store_now_ms(), r) == -1)
		fail_msg("export: %s", r->err);
}

static void
test_export_round_trip_verifies(void **state)
{
	struct fixture		*f = *state;
	struct export_query	 q;
	struct export_result	 r;
	struct export_report	 rep;
	const uint8_t		*m;
	char			 name[128], *json;
	size_t			 len;
	int			 side;

	assert_int_equal(export_query_dates(&q, "2026-11-20", "2026-11-22",
	    &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 2);
	if (export_verify(r.data, r.len, f->v, &rep) != 0)
		print_report(&rep);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.hmac_ok, 1);
	assert_int_equal(rep.signature_ok, 1);
	assert_int_equal(rep.ncases, 2);
	/* Two case.json and six photos. */
	assert_int_equal(rep.nfiles, 8);

	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		snprintf(name, sizeof(name), "cases/%s/%s.jpg", f->case_b,
		    store_side_name((enum store_side)side));
		m = member(r.data, r.len, name, &len);
		assert_non_null(m);
		assert_int_equal(len, sizeof(f->photo[side]));
		assert_memory_equal(m, f->photo[side], len);
	}
	snprintf(name, sizeof(name), "cases/%s/case.json", f->case_a);
	m = member(r.data, r.len, name, &len);
	assert_non_null(m);
	json = strndup((const char *)m, len);
	assert_non_null(strstr(json, "\"id_number\":\"" NUMBER_A "\""));
	assert_non_null(strstr(json, "\"msisdn\":\"" PHONE_A "\""));
	assert_non_null(strstr(json, "\"kind\":\"reregistration\""));
	assert_non_null(strstr(json, "\"dealer\":\"web-direct\""));
	assert_non_null(strstr(json, "\"similarity\":0.93"));
	assert_non_null(strstr(json, "\"event\":\"case.decided\""));
	assert_non_null(strstr(json, "\"prev_hash\":\""));
	assert_non_null(strstr(json, "\"matches_recorded_sha256\":true"));
	assert_non_null(strstr(json, "\"qa_samples\":[]"));
	free(json);
	snprintf(name, sizeof(name), "cases/%s/case.json", f->case_b);
	m = member(r.data, r.len, name, &len);
	assert_non_null(m);
	json = strndup((const char *)m, len);
	assert_non_null(strstr(json, "\"verdict\":\"agree\""));
	assert_non_null(strstr(json, "\"comment\":\"looks right\""));
	free(json);
	/* The manifest never holds an ID number. */
	m = member(r.data, r.len, "manifest.json", &len);
	assert_non_null(m);
	json = strndup((const char *)m, len);
	assert_null(strstr(json, NUMBER_A));
	assert_non_null(strstr(json, "\"exported_by\":\"admin:test\""));
	free(json);
	export_result_free(&r);
}

static void
test_export_any_changed_byte_fails(void **state)
{
	struct fixture		*f = *state;
	struct export_query	 q;
	struct export_result	 r;
	struct export_report	 rep;
	uint8_t			*copy;
	size_t			 i, passed;

	assert_int_equal(export_query_phone(&q, PHONE_A, &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 1);
	copy = malloc(r.len);
	assert_non_null(copy);
	memcpy(copy, r.data, r.len);
	passed = 0;
	/* Every byte of the archive: members, headers, padding, manifest. */
	for (i = 0; i < r.len; i++) {
		copy[i] ^= 0x20;
		if (export_verify(copy, r.len, f->v, &rep) != 1 || rep.ok ||
		    rep.nfailures == 0) {
			passed++;
			print_message("# byte %zu (block offset %zu) passed\n",
			    i, i % 512);
		}
		copy[i] ^= 0x20;
	}
	assert_int_equal(passed, 0);
	assert_int_equal(export_verify(copy, r.len, f->v, &rep), 0);
	/* Cut short, or one block more: also refused. */
	assert_int_equal(export_verify(copy, r.len - 512, f->v, &rep), 1);
	free(copy);
	export_result_free(&r);
}

static void
test_export_failure_names_the_member(void **state)
{
	struct fixture		*f = *state;
	struct export_query	 q;
	struct export_result	 r;
	struct export_report	 rep;
	uint8_t			*m, *p;
	char			 name[128];
	size_t			 len;

	assert_int_equal(export_query_phone(&q, PHONE_B, &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	snprintf(name, sizeof(name), "cases/%s/holding.jpg", f->case_b);
	m = (uint8_t *)member(r.data, r.len, name, &len);
	assert_non_null(m);
	m[len / 2] ^= 1;
	assert_int_equal(export_verify(r.data, r.len, f->v, &rep), 1);
	assert_int_equal(rep.hmac_ok, 1);
	assert_int_equal(rep.nfailures, 1);
	assert_non_null(strstr(rep.failures[0], name));
	assert_non_null(strstr(rep.failures[0], "SHA-256"));
	m[len / 2] ^= 1;

	/* A digit of created_at: still JSON, no longer what was signed. */
	m = (uint8_t *)member(r.data, r.len, "manifest.json", &len);
	p = (uint8_t *)strstr((char *)m, "\"created_at\":");
	assert_non_null(p);
	p[14] = p[14] == '9' ? '8' : p[14] + 1;
	assert_int_equal(export_verify(r.data, r.len, f->v, &rep), 1);
	assert_int_equal(rep.hmac_ok, 0);
	assert_int_equal(rep.signature_ok, 0);
	assert_non_null(strstr(rep.failures[0], "manifest.hmac"));
	export_result_free(&r);
}

static void
test_export_wrong_key_fails_hmac(void **state)
{
	struct fixture		*f = *state;
	struct export_query	 q;
	struct export_result	 r;
	struct export_report	 rep;
	struct export_keys	 k;
	struct vault		*other;
	char			 dir[160], err[VAULT_ERR_MAX];

	assert_int_equal(export_query_phone(&q, PHONE_A, &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	snprintf(dir, sizeof(dir), "%s/other-keys", f->dir);
	other = vault_open(dir, 1, err, sizeof(err));
	assert_non_null(other);
	assert_int_equal(export_keys_derive(other, NULL, &k, err,
	    sizeof(err)), 0);
	assert_int_equal(export_verify_keys(r.data, r.len, &k, &rep), 1);
	assert_int_equal(rep.hmac_ok, 0);
	assert_int_equal(rep.signature_ok, 0);
	/* The other vault does not even hold the key the manifest names. */
	assert_int_equal(export_verify(r.data, r.len, other, &rep), -1);
	assert_int_equal(rep.ok, 0);
	/* The right key, derived the same way, verifies. */
	export_keys_clear(&k);
	assert_int_equal(export_keys_derive(f->v, NULL, &k, err,
	    sizeof(err)), 0);
	assert_int_equal(export_verify_keys(r.data, r.len, &k, &rep), 0);
	export_keys_clear(&k);
	vault_close(other);
	export_result_free(&r);
}

static void
test_export_purged_images_give_hashes(void **state)
{
	struct fixture		*f = *state;
	struct export_query	 q;
	struct export_result	 r;
	struct export_report	 rep;
	const uint8_t		*m;
	char			 name[128], want[200], *json;
	size_t			 len;
	int64_t			 purged;
	int			 side;

	/* Case A's images are older than case B's: purge only A's. */
	assert_int_equal(store_image_purge(f->h, DAY_20_MS + DAY_MS,
	    store_now_ms(), &purged), 0);
	assert_int_equal(purged, 3);
	assert_int_equal(export_query_id_number(&q, NUMBER_A, &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 1);
	assert_int_equal(export_verify(r.data, r.len, f->v, &rep), 0);
	assert_int_equal(rep.nfiles, 1);
	snprintf(name, sizeof(name), "cases/%s/front.jpg", f->case_a);
	assert_null(member(r.data, r.len, name, &len));
	snprintf(name, sizeof(name), "cases/%s/case.json", f->case_a);
	m = member(r.data, r.len, name, &len);
	assert_non_null(m);
	json = strndup((const char *)m, len);
	assert_non_null(strstr(json, "\"purged\":true"));
	assert_null(strstr(json, "\"purged\":false"));
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		snprintf(want, sizeof(want), "\"%s\":{\"purged\":true,"
		    "\"sha256\":\"%s\",\"file\":null",
		    store_side_name((enum store_side)side), f->sha_a[side]);
		assert_non_null(strstr(json, want));
	}
	free(json);
	export_result_free(&r);
}

static void
test_export_finds_by_number_exactly(void **state)
{
	struct fixture		*f = *state;
	struct export_query	 q;
	struct export_result	 r;
	const uint8_t		*m;
	char			 name[128];
	size_t			 len;

	assert_int_equal(export_query_id_number(&q, NUMBER_B, &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 1);
	snprintf(name, sizeof(name), "cases/%s/case.json", f->case_b);
	m = member(r.data, r.len, name, &len);
	assert_non_null(m);
	export_result_free(&r);

	assert_int_equal(export_query_id_number(&q, NUMBER_WRONG, &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 0);
	export_result_free(&r);

	assert_int_equal(export_query_phone(&q, "13899999999", &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 0);
	export_result_free(&r);

	/* China days: the 21st holds neither case, the 22nd holds B. */
	assert_int_equal(export_query_dates(&q, "2026-11-21", "2026-11-21",
	    &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 0);
	export_result_free(&r);
	assert_int_equal(export_query_dates(&q, "2026-11-22", "2026-11-22",
	    &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	assert_int_equal(r.ncases, 1);
	m = member(r.data, r.len, name, &len);
	assert_non_null(m);
	export_result_free(&r);
}

static void
test_export_limits_refuse(void **state)
{
	struct fixture		*f = *state;
	struct export_query	 q;
	struct export_result	 r;
	struct export_limits	 lim;

	assert_int_equal(export_query_dates(&q, "2026-11-01", "2026-11-30",
	    &r), 0);
	lim.max_cases = 1;
	lim.max_bytes = 64 * 1024 * 1024;
	assert_int_equal(export_run(f->h, f->v, lookup_key,
	    sizeof(lookup_key), &q, &lim, "admin:test", store_now_ms(), &r),
	    -1);
	assert_int_equal(r.code, EXPORT_TOO_MANY);
	assert_string_equal(r.api_code, "too_many_cases");
	assert_null(r.data);
	lim.max_cases = 10;
	lim.max_bytes = 4096;
	assert_int_equal(export_run(f->h, f->v, lookup_key,
	    sizeof(lookup_key), &q, &lim, "admin:test", store_now_ms(), &r),
	    -1);
	assert_int_equal(r.code, EXPORT_TOO_LARGE);
	assert_string_equal(r.api_code, "export_too_large");
	assert_null(r.data);
}

static void
test_export_is_audited(void **state)
{
	struct fixture			*f = *state;
	struct export_query		 q;
	struct export_result		 r;
	struct store_audit_report	 ar;
	struct sres			 res;
	struct sval			 p[1];
	char				 like[128];

	assert_int_equal(export_query_id_number(&q, NUMBER_A, &r), 0);
	run(f, &q, 10, 64 * 1024 * 1024, &r);
	snprintf(like, sizeof(like), "%%%s%%", r.manifest_sha256);
	p[0] = store_sv_text(like);
	memset(&res, 0, sizeof(res));
	assert_int_equal(store_q(f->h, "SELECT event, case_id, actor, detail "
	    "FROM audit WHERE detail LIKE $1 ORDER BY seq", p, 1, &res, NULL),
	    0);
	assert_int_equal(res.nrows, 2);
	assert_string_equal(store_res_cell(&res, 0, 0)->p, "export.created");
	assert_true(store_res_cell(&res, 0, 1)->null);
	assert_string_equal(store_res_cell(&res, 0, 2)->p, "admin:test");
	assert_non_null(strstr(store_res_cell(&res, 0, 3)->p,
	    "\"cases\":1"));
	assert_non_null(strstr(store_res_cell(&res, 0, 3)->p, "990101"));
	assert_null(strstr(store_res_cell(&res, 0, 3)->p, NUMBER_A));
	assert_string_equal(store_res_cell(&res, 1, 0)->p, "export.case");
	assert_string_equal(store_res_cell(&res, 1, 1)->p, f->case_a);
	store_res_free(&res);
	assert_int_equal(store_audit_verify(f->h, &ar), 0);
	assert_int_equal(ar.first_bad_seq, 0);
	export_result_free(&r);
}

static void
test_export_query_json_codes(void **state)
{
	static const struct {
		const char	*body;
		const char	*code;
	} cases[] = {
		{ "nope", "body_invalid" },
		{ "{}", "query_missing" },
		{ "{\"phone\":\"13800000001\",\"id_number\":\"x\"}",
		    "query_ambiguous" },
		{ "{\"phone\":\"1380000000\"}", "phone_invalid" },
		{ "{\"phone\":13800000001}", "phone_invalid" },
		{ "{\"id_number\":\"99010120000101001\"}",
		    "id_number_invalid" },
		{ "{\"id_number\":\"99010120000101001Y\"}",
		    "id_number_invalid" },
		{ "{\"from\":\"2026-11-01\"}", "date_invalid" },
		{ "{\"from\":\"2026-02-30\",\"to\":\"2026-03-01\"}",
		    "date_invalid" },
		{ "{\"from\":\"2026-11-02\",\"to\":\"2026-11-01\"}",
		    "range_invalid" },
	};
	struct export_query	q;
	struct export_result	r;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		assert_int_equal(export_query_json(&q, cases[i].body,
		    strlen(cases[i].body), &r), -1);
		assert_int_equal(r.code, EXPORT_INVALID);
		assert_string_equal(r.api_code, cases[i].code);
	}
	assert_int_equal(export_query_json(&q, ID_BODY, strlen(ID_BODY), &r),
	    0);
	assert_string_equal(q.id_number, "99010120000101001X");
	assert_int_equal(export_query_json(&q, DAY_BODY, strlen(DAY_BODY),
	    &r), 0);
	assert_int_equal(q.from_ms, DAY_20_MS);
	assert_int_equal(q.to_ms, DAY_20_MS + DAY_MS);
}

#define ON_SQLITE(t)	cmocka_unit_test_setup_teardown(t, setup_sqlite, \
			    teardown)
#define ON_PG(t)	cmocka_unit_test_setup_teardown(t, setup_pg, teardown)

int
main(void)
{
	/*
	 * The verification itself does not touch the store: the byte by
	 * byte and wrong-key tests run once, on SQLite; the rest run on
	 * PostgreSQL too (setup_pg).
	 */
	const struct CMUnitTest tests[] = {
		ON_SQLITE(test_export_round_trip_verifies),
		ON_SQLITE(test_export_any_changed_byte_fails),
		ON_SQLITE(test_export_failure_names_the_member),
		ON_SQLITE(test_export_wrong_key_fails_hmac),
		ON_SQLITE(test_export_purged_images_give_hashes),
		ON_SQLITE(test_export_finds_by_number_exactly),
		ON_SQLITE(test_export_limits_refuse),
		ON_SQLITE(test_export_is_audited),
		cmocka_unit_test(test_export_query_json_codes),
		ON_PG(test_export_round_trip_verifies),
		ON_PG(test_export_failure_names_the_member),
		ON_PG(test_export_purged_images_give_hashes),
		ON_PG(test_export_finds_by_number_exactly),
		ON_PG(test_export_limits_refuse),
		ON_PG(test_export_is_audited),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
