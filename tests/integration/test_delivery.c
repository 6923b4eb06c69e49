/*
 * Courier confirmation at delivery, against a real kore: two generated
 * people (tools/gen) are verified end to end through the upload route,
 * the pipeline and the ID-check sandbox; then a courier confirms their
 * deliveries with photos of the recipient at the door (other photos of
 * the same face identity, from ../shared/data/faces), the number the
 * card reader read and, sometimes, the chip portrait and name.
 *
 *   right person and number (and chip)       → CONFIRMED
 *   the same Idempotency-Key again           → the same answer
 *   a new attempt after CONFIRMED            → 409
 *   another person at the door               → MISMATCH (face)
 *   right person, wrong number               → MISMATCH (number)
 *   chip portrait of another person          → MISMATCH (chip portrait)
 *   the fourth attempt after three failures  → REVIEW
 *   an order not approved                    → 409
 *   a bad signature, an order-system key     → 401
 *   every result's webhook                   → arrives, signature valid
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "decode.h"
#include "gen.h"
#include "harness.h"
#include "imaging.h"
#include "receiver.h"
#include "reencode.h"
#include "sandbox_harness.h"
#include "sign.h"
#include "store.h"

#define SEED		20261129ULL
#define BOUNDARY	"----rnCourierBoundary7MA4YWxk"
#define COURIER_ID	"courier-7"
#define COURIER_HEX	"8899aabbccddeeff00112233445566778899aabbccddeeff" \
			"0011223344556677"
#define MAX_FILES	128

struct photo {
	unsigned char	*data;
	size_t		 len;
};

struct person {
	int			index;
	struct gen_case		card[3];	/* front, back, holding */
	char			order_ref[64];
	char			case_id[40];
	struct photo		door;		/* another photo, same face */
	struct photo		chip;		/* their portrait, chip-sized */
};

static struct sandbox	sbx;
static struct harness	kore;
static struct receiver	rx;
static struct sign_key	shop, courier, stranger;
static struct gen	*gen;
static struct person	people[2];
static struct photo	other_door, other_chip;	/* a third face identity */
static char		couriers_dir[64];
static int		receiver_up;

static const char *const sides[3] = { "front", "back", "holding" };

/* identities.csv: file -> identity. */
static char	files[MAX_FILES][32];
static char	idents[MAX_FILES][16];
static int	nfiles;

static int
read_identities(void)
{
	const char	*data = getenv("REALNAME_SHARED_DATA");
	char		 path[512], line[128], *comma;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/faces/identities.csv",
	    data != NULL ? data : "../shared/data");
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL && nfiles < MAX_FILES) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((comma = strchr(line, ',')) == NULL ||
		    strncmp(line, "file,", 5) == 0)
			continue;
		*comma = '\0';
		if (strlen(line) >= sizeof(files[0]) ||
		    strlen(comma + 1) >= sizeof(idents[0]))
			continue;
		memcpy(files[nfiles], line, strlen(line) + 1);
		memcpy(idents[nfiles], comma + 1, strlen(comma + 1) + 1);
		nfiles++;
	}
	fclose(fp);
	return (nfiles > 0 ? 0 : -1);
}

static const char *
identity_of(const char *file)
{
	int	i;

	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], file) == 0)
			return (idents[i]);
	}
	return (NULL);
}

static int
read_file(const char *name, struct photo *p)
{
	const char	*data = getenv("REALNAME_SHARED_DATA");
	char		 path[512];
	FILE		*fp;
	long		 n;

	snprintf(path, sizeof(path), "%s/faces/%s",
	    data != NULL ? data : "../shared/data", name);
	if ((fp = fopen(path, "rb")) == NULL)
		return (-1);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	if (n <= 0 || (p->data = malloc((size_t)n)) == NULL ||
	    fread(p->data, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		return (-1);
	}
	p->len = (size_t)n;
	fclose(fp);
	return (0);
}

/* A chip-sized portrait (the long side brought down by a DCT scale). */
static int
chip_of(const char *name, struct photo *out)
{
	struct imaging_decoder	*dec;
	struct photo		 raw;
	int			 ret;

	memset(&raw, 0, sizeof(raw));
	if (read_file(name, &raw) == -1 ||
	    (dec = imaging_decoder_new(NULL)) == NULL)
		return (-1);
	ret = imaging_reencode_jpeg(dec, raw.data, raw.len, 160, 85,
	    &out->data, &out->len);
	imaging_decoder_free(dec);
	free(raw.data);
	return (ret);
}

/* The service's own gate on a bare face: one face, quality passed. */
static int
face_ok(struct imaging_engine *eng, const struct photo *p)
{
	struct imaging_analysis	*a;
	int			 ok;

	a = imaging_analyse(eng, IMAGING_SIDE_FACE, p->data, p->len);
	ok = a != NULL && a->error == IMAGING_OK && a->nreasons == 0 &&
	    a->primary >= 0;
	imaging_analysis_free(a);
	return (ok);
}

/*
 * A door photo of identity `ident`: a file of that identity other than
 * the ones the card and the selfie were made from, that the service's
 * own face gate takes (a courier retakes until it does).
 */
static int
door_photo(struct imaging_engine *eng, const char *ident,
    const char *not1, const char *not2, struct photo *out)
{
	int	i;

	for (i = 0; i < nfiles; i++) {
		if (strcmp(idents[i], ident) != 0 ||
		    strcmp(files[i], not1) == 0 || strcmp(files[i], not2) == 0)
			continue;
		if (read_file(files[i], out) == -1)
			continue;
		if (face_ok(eng, out)) {
			fprintf(stderr, "# door photo of %s: %s\n", ident,
			    files[i]);
			return (0);
		}
		free(out->data);
		out->data = NULL;
	}
	return (-1);
}

static int
make_person(struct person *p, int index)
{
	struct gen_options	o;
	char			err[256];
	int			k;

	memset(p, 0, sizeof(*p));
	p->index = index;
	for (k = 0; k < 3; k++) {
		gen_options_default(&o);
		o.kind = k;
		o.degrade = 0;
		o.exif = 0;
		o.long_side = 2000;
		if (gen_make(gen, SEED, index, &o, &p->card[k], err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "# gen: %s\n", err);
			return (-1);
		}
	}
	return (0);
}

static void
person_free(struct person *p)
{
	int	k;

	for (k = 0; k < 3; k++)
		gen_case_free(&p->card[k]);
	free(p->door.data);
	free(p->chip.data);
	memset(p, 0, sizeof(*p));
}

static int
accepted(struct imaging_engine *eng, const struct person *p)
{
	static const enum imaging_side kinds[3] = {
		IMAGING_SIDE_FRONT, IMAGING_SIDE_BACK, IMAGING_SIDE_HOLDING,
	};
	struct imaging_analysis	*a;
	int			 k, ok;

	for (k = 0; k < 3; k++) {
		a = imaging_analyse(eng, kinds[k], p->card[k].jpeg,
		    p->card[k].len);
		ok = a != NULL && a->error == IMAGING_OK && a->nreasons == 0;
		imaging_analysis_free(a);
		if (!ok)
			return (0);
	}
	return (1);
}

/*
 * Two genuine people of different face identities whose three photos
 * the gate takes and who have a door photo, and a third identity for
 * the stranger at the door.
 */
static int
pick_people(void)
{
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	struct person		 p;
	const struct gen_truth	*t;
	const char		*id, *id0, *id1;
	int			 i, n;

	imaging_options_default(&opt);
	if ((eng = imaging_engine_new(getenv("REALNAME_MODELS"), &opt,
	    &ierr)) == NULL) {
		fprintf(stderr, "# imaging: %s\n", ierr.msg);
		return (-1);
	}
	n = 0;
	for (i = 0; i < 60 && n < 2; i++) {
		if (make_person(&p, i) == -1)
			return (-1);
		t = &p.card[2].truth;
		id = identity_of(p.card[0].truth.portrait_file);
		if (!p.card[0].truth.number_valid || !t->genuine ||
		    id == NULL || (n == 1 && strcmp(id,
		    identity_of(people[0].card[0].truth.portrait_file)) == 0) ||
		    door_photo(eng, id, p.card[0].truth.portrait_file,
		    t->live_file, &p.door) == -1 || !accepted(eng, &p) ||
		    chip_of(p.card[0].truth.portrait_file, &p.chip) == -1) {
			person_free(&p);
			continue;
		}
		people[n++] = p;
	}
	fprintf(stderr, "# people: %d tried, %d picked\n", i, n);
	if (n < 2) {
		imaging_engine_free(eng);
		return (-1);
	}
	id0 = identity_of(people[0].card[0].truth.portrait_file);
	id1 = identity_of(people[1].card[0].truth.portrait_file);
	for (i = 0; i < nfiles; i++) {
		if (strcmp(idents[i], id0) == 0 || strcmp(idents[i], id1) == 0)
			continue;
		if (read_file(files[i], &other_door) == 0 &&
		    face_ok(eng, &other_door) &&
		    chip_of(files[i], &other_chip) == 0) {
			fprintf(stderr, "# stranger: %s (%s)\n", files[i],
			    idents[i]);
			break;
		}
		free(other_door.data);
		other_door.data = NULL;
	}
	imaging_engine_free(eng);
	return (other_door.data != NULL ? 0 : -1);
}

static void
registry_line(char *buf, size_t len, const struct person *p)
{
	const struct gen_truth	*t = &p->card[0].truth;
	const char		*data = getenv("REALNAME_SHARED_DATA");
	size_t			 n = strlen(buf);

	snprintf(buf + n, len - n, "%s\t%s\tvalid\t%s/faces/%s\n", t->number,
	    t->name, data != NULL ? data : "../shared/data", t->portrait_file);
}

#define field	harness_json_field

/* Opens, uploads and submits p's case; waits for "approved". */
static int
approve(struct person *p)
{
	struct http_reply	 r;
	char			 body[1024], token[80], path[160], auth[128];
	char			 state[32];
	const char		*hdrs[3];
	int			 k, i;

	snprintf(p->order_ref, sizeof(p->order_ref), "dlv-%d-%ld", p->index,
	    (long)getpid());
	snprintf(body, sizeof(body), "{\"order_ref\":\"%s\",\"channel\":"
	    "\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"%s\",\"id_number\":\"%s\","
	    "\"callback_url\":\"http://127.0.0.1:%d/hook\"}", p->order_ref,
	    p->card[0].truth.name, p->card[0].truth.number, rx.port);
	if (harness_http_signed(&kore, &shop, "POST", "/v1/cases", body,
	    NULL, 0, &r) == -1 || r.status != 201 ||
	    field(r.body, "case_id", p->case_id, sizeof(p->case_id)) == -1 ||
	    field(r.body, "upload_token", token, sizeof(token)) == -1) {
		fprintf(stderr, "# create: %ld %s\n", r.status, r.body);
		http_reply_free(&r);
		return (-1);
	}
	http_reply_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: image/jpeg";
	hdrs[2] = NULL;
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "/v1/cases/%s/images/%s",
		    p->case_id, sides[k]);
		if (harness_http_h(&kore, "PUT", path, hdrs, p->card[k].jpeg,
		    p->card[k].len, &r) == -1 || r.status != 200) {
			fprintf(stderr, "# %s: %ld %.300s\n", sides[k],
			    r.status, r.body);
			http_reply_free(&r);
			return (-1);
		}
		http_reply_free(&r);
	}
	snprintf(path, sizeof(path), "/v1/cases/%s/submit", p->case_id);
	hdrs[1] = NULL;
	if (harness_http_h(&kore, "POST", path, hdrs, "", 0, &r) == -1 ||
	    r.status != 202) {
		http_reply_free(&r);
		return (-1);
	}
	http_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/cases/%s", p->case_id);
	for (i = 0; i < 900; i++) {
		if (harness_http_h(&kore, "GET", path, hdrs, NULL, 0,
		    &r) == 0 && field(r.body, "state", state,
		    sizeof(state)) == 0 && strcmp(state, "submitted") != 0 &&
		    strcmp(state, "processing") != 0 &&
		    strcmp(state, "parked") != 0) {
			if (strcmp(state, "approved") != 0)
				fprintf(stderr, "# case %s: %.800s\n",
				    state, r.body);
			http_reply_free(&r);
			return (strcmp(state, "approved") == 0 ? 0 : -1);
		}
		http_reply_free(&r);
		usleep(100 * 1000);
	}
	return (-1);
}

static int
group_setup(void **state)
{
	char	 registry[2048], extra[1536], keyfile[512], hex[200];
	char	 path[128], err[256];
	FILE	*fp;
	int	 i;

	(void)state;
	if (sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1 || sign_key_parse(&courier, COURIER_ID ":" COURIER_HEX) == -1
	    || sign_key_parse(&stranger, COURIER_ID ":"
	    "00000000000000000000000000000000") == -1)
		return (-1);
	if (read_identities() == -1)
		return (-1);
	if ((gen = gen_open(getenv("REALNAME_SHARED_DATA"),
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "# gen: %s\n", err);
		return (-1);
	}
	if (pick_people() == -1)
		return (-1);
	if (receiver_start(&rx) == -1)
		return (-1);
	receiver_up = 1;

	registry[0] = '\0';
	registry_line(registry, sizeof(registry), &people[0]);
	registry_line(registry, sizeof(registry), &people[1]);
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1)
		return (-1);
	snprintf(keyfile, sizeof(keyfile), "%s/service-idcheck.key",
	    sbx.h.dir);
	sodium_bin2hex(hex, sizeof(hex), sbx.key.secret, sbx.key.secret_len);
	if ((fp = fopen(keyfile, "w")) == NULL)
		return (-1);
	fprintf(fp, "%s:%s\n", sbx.key.id, hex);
	fclose(fp);
	chmod(keyfile, 0600);

	/* The courier's key, in its own file (not the order systems'). */
	snprintf(couriers_dir, sizeof(couriers_dir), "/tmp/rn-dlv-XXXXXX");
	if (mkdtemp(couriers_dir) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/couriers", couriers_dir);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(fp, "# synthetic courier key for tests\n%s:%s\n", COURIER_ID,
	    COURIER_HEX);
	fclose(fp);
	chmod(path, 0600);

	snprintf(extra, sizeof(extra), "poll_ms = 50\nidcheck_url = "
	    "http://127.0.0.1:%d\nidcheck_key_file = %s\n"
	    "evidence_max_long_side = 2000\ncouriers_file = %s\n"
	    "webhook_retry_base_s = 1\n", sbx.h.port, keyfile, path);
	if (harness_start(&kore, extra) == -1)
		return (-1);
	for (i = 0; i < 2; i++) {
		if (approve(&people[i]) == -1) {
			fprintf(stderr, "# person %d was not approved\n", i);
			return (-1);
		}
	}
	return (0);
}

static int
group_teardown(void **state)
{
	char	path[128];

	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	sandbox_finish(&sbx);
	if (receiver_up)
		receiver_stop(&rx);
	person_free(&people[0]);
	person_free(&people[1]);
	free(other_door.data);
	free(other_chip.data);
	gen_close(gen);
	if (couriers_dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/couriers", couriers_dir);
		(void)unlink(path);
		(void)rmdir(couriers_dir);
	}
	return (0);
}

/*
 * Helpers: a multipart confirmation, signed by key.
 */

struct confirm {
	const struct photo	*photo;
	const char		*number;
	const struct photo	*chip;		/* NULL: none */
	const char		*name;		/* NULL: none */
};

static void
append(unsigned char **buf, size_t *len, const void *p, size_t n)
{
	*buf = realloc(*buf, *len + n);
	assert_non_null(*buf);
	memcpy(*buf + *len, p, n);
	*len += n;
}

static void
part_text(unsigned char **b, size_t *n, const char *name, const char *v)
{
	char	h[256];

	snprintf(h, sizeof(h), "--" BOUNDARY "\r\nContent-Disposition: "
	    "form-data; name=\"%s\"\r\n\r\n", name);
	append(b, n, h, strlen(h));
	append(b, n, v, strlen(v));
	append(b, n, "\r\n", 2);
}

static void
part_file(unsigned char **b, size_t *n, const char *name,
    const struct photo *p)
{
	char	h[256];

	snprintf(h, sizeof(h), "--" BOUNDARY "\r\nContent-Disposition: "
	    "form-data; name=\"%s\"; filename=\"%s.jpg\"\r\n"
	    "Content-Type: image/jpeg\r\n\r\n", name, name);
	append(b, n, h, strlen(h));
	append(b, n, p->data, p->len);
	append(b, n, "\r\n", 2);
}

static void
post_confirm(const struct sign_key *key, const char *order_ref,
    const struct confirm *c, const char *idem, struct http_reply *r)
{
	static unsigned char	 last_digest[32];
	static time_t		 last_sent;
	crypto_generichash_state gh;
	struct sign_headers	 sh;
	unsigned char		*body, digest[32];
	size_t			 len;
	char			 path[160], h1[128], h2[128], h3[128], h4[300];
	const char		*hdrs[7];
	int			 n;

	body = NULL;
	len = 0;
	if (c->photo != NULL)
		part_file(&body, &len, "photo", c->photo);
	if (c->number != NULL)
		part_text(&body, &len, "id_number", c->number);
	if (c->chip != NULL)
		part_file(&body, &len, "chip_portrait", c->chip);
	if (c->name != NULL)
		part_text(&body, &len, "chip_name", c->name);
	append(&body, &len, "--" BOUNDARY "--\r\n",
	    strlen("--" BOUNDARY "--\r\n"));

	snprintf(path, sizeof(path), "/v1/deliveries/%s/confirm", order_ref);
	/*
	 * A retry is signed again: the same bytes in the same second would
	 * carry the same signature, which the service refuses as a replay.
	 */
	crypto_generichash_init(&gh, NULL, 0, sizeof(digest));
	crypto_generichash_update(&gh, (const unsigned char *)path,
	    strlen(path) + 1);
	crypto_generichash_update(&gh, body, len);
	crypto_generichash_final(&gh, digest, sizeof(digest));
	if (memcmp(digest, last_digest, sizeof(digest)) == 0) {
		while (time(NULL) == last_sent)
			usleep(50 * 1000);
	}
	memcpy(last_digest, digest, sizeof(digest));
	last_sent = time(NULL);
	assert_int_equal(sign_request_headers(key, "POST", path,
	    (int64_t)time(NULL), body, len, &sh), 0);
	snprintf(h1, sizeof(h1), "X-App-Id: %s", sh.key_id);
	snprintf(h2, sizeof(h2), "X-Timestamp: %s", sh.timestamp);
	snprintf(h3, sizeof(h3), "X-Signature: %s", sh.signature);
	n = 0;
	hdrs[n++] = h1;
	hdrs[n++] = h2;
	hdrs[n++] = h3;
	/* Quoted, with another parameter: Kore's parser would find nothing. */
	hdrs[n++] = "Content-Type: multipart/form-data; charset=utf-8; "
	    "boundary=\"" BOUNDARY "\"";
	if (idem != NULL) {
		snprintf(h4, sizeof(h4), "Idempotency-Key: %s", idem);
		hdrs[n++] = h4;
	}
	hdrs[n] = NULL;
	assert_int_equal(harness_http_h(&kore, "POST", path, hdrs, body, len,
	    r), 0);
	free(body);
}

static void
get_delivery(const char *order_ref, struct http_reply *r)
{
	char	path[160];

	snprintf(path, sizeof(path), "/v1/deliveries/%s", order_ref);
	assert_int_equal(harness_http_signed(&kore, &courier, "GET", path,
	    NULL, NULL, 0, r), 0);
}

/* The number of a JSON key "key":number (flat search). */
static double
number_field(const char *body, const char *key)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (body == NULL || (p = strstr(body, pat)) == NULL)
		return (-99);
	return (strtod(p + strlen(pat), NULL));
}

/* Delivery webhooks received so far (case.decided ones left out). */
static int
delivery_hooks(void)
{
	int	i, n;

	n = 0;
	pthread_mutex_lock(&rx.lock);
	for (i = 0; i < rx.nhooks; i++)
		n += strstr(rx.hooks[i].body, "\"event\":\"delivery.") != NULL;
	pthread_mutex_unlock(&rx.lock);
	return (n);
}

static int
wait_delivery_hooks(int n, int seconds)
{
	int	i, got;

	got = 0;
	for (i = 0; i < seconds * 10; i++) {
		if ((got = delivery_hooks()) >= n)
			break;
		usleep(100 * 1000);
	}
	return (got);
}

/* The last delivery webhook for order_ref, checked for its signature. */
static void
assert_hook(const char *order_ref, const char *event, const char *result,
    const char *reason, int count)
{
	struct sign_replay_entry	 slots[16];
	struct sign_replay		 replay;
	struct sign_request		 sr;
	char				 want[160];
	int				 i, found;

	assert_true(wait_delivery_hooks(count, 30) >= count);
	snprintf(want, sizeof(want), "\"order_ref\":\"%s\"", order_ref);
	found = -1;
	pthread_mutex_lock(&rx.lock);
	for (i = 0; i < rx.nhooks; i++) {
		if (strstr(rx.hooks[i].body, want) != NULL &&
		    strstr(rx.hooks[i].body, "\"event\":\"delivery.") != NULL)
			found = i;
	}
	assert_true(found >= 0);
	snprintf(want, sizeof(want), "\"event\":\"%s\"", event);
	assert_non_null(strstr(rx.hooks[found].body, want));
	snprintf(want, sizeof(want), "\"result\":\"%s\"", result);
	assert_non_null(strstr(rx.hooks[found].body, want));
	if (reason != NULL)
		assert_non_null(strstr(rx.hooks[found].body, reason));
	assert_non_null(strstr(rx.hooks[found].body, "\"courier_id\":\""
	    COURIER_ID "\""));
	assert_int_equal(strlen(rx.hooks[found].delivery), 32);
	memset(&sr, 0, sizeof(sr));
	sr.key_id = rx.hooks[found].key_id;
	sr.timestamp = rx.hooks[found].timestamp;
	sr.signature = rx.hooks[found].signature;
	sr.method = "POST";
	sr.path = "/hook";
	sr.body = rx.hooks[found].body;
	sr.body_len = strlen(rx.hooks[found].body);
	memset(slots, 0, sizeof(slots));
	sign_replay_init(&replay, slots, 16);
	assert_int_equal(sign_verify(&shop, 1, &replay, &sr, time(NULL),
	    NULL), SIGN_OK);
	pthread_mutex_unlock(&rx.lock);
}

/*
 * The tests, in order: they share the two deliveries.
 */

static void
test_delivery_bad_signatures_are_401(void **state)
{
	struct confirm		c = { &people[0].door,
				    people[0].card[0].truth.number, NULL,
				    NULL };
	struct http_reply	r;
	char			code[64], path[160];

	(void)state;
	/* A courier id with the wrong secret. */
	post_confirm(&stranger, people[0].order_ref, &c, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_int_equal(field(r.body, "code", code, sizeof(code)), 0);
	assert_string_equal(code, "signature_invalid");
	http_reply_free(&r);
	/* The order system's key does not confirm deliveries. */
	post_confirm(&shop, people[0].order_ref, &c, NULL, &r);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
	/* Unsigned. */
	snprintf(path, sizeof(path), "/v1/deliveries/%s",
	    people[0].order_ref);
	assert_int_equal(harness_http(&kore, "GET", path, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	assert_int_equal(field(r.body, "code", code, sizeof(code)), 0);
	assert_string_equal(code, "signature_missing");
	http_reply_free(&r);
	assert_int_equal(delivery_hooks(), 0);
}

static void
test_delivery_order_not_approved_is_409(void **state)
{
	struct confirm		c = { &people[0].door,
				    people[0].card[0].truth.number, NULL,
				    NULL };
	struct http_reply	r;
	char			body[512], ref[64], code[64];

	(void)state;
	/* The same person's new order, opened but never verified. */
	snprintf(ref, sizeof(ref), "dlv-open-%ld", (long)getpid());
	snprintf(body, sizeof(body), "{\"order_ref\":\"%s\",\"channel\":"
	    "\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"%s\",\"id_number\":\"%s\","
	    "\"callback_url\":\"http://127.0.0.1:%d/hook\"}", ref,
	    people[0].card[0].truth.name, people[0].card[0].truth.number,
	    rx.port);
	assert_int_equal(harness_http_signed(&kore, &shop, "POST",
	    "/v1/cases", body, NULL, 0, &r), 0);
	assert_int_equal(r.status, 201);
	http_reply_free(&r);
	post_confirm(&courier, ref, &c, NULL, &r);
	assert_int_equal(r.status, 409);
	assert_int_equal(field(r.body, "code", code, sizeof(code)), 0);
	assert_string_equal(code, "order_not_approved");
	http_reply_free(&r);
	/* The courier's view says so, without personal data. */
	get_delivery(ref, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"state\":\"not_approved\""));
	assert_null(strstr(r.body, "customer"));
	http_reply_free(&r);
	/* An order nobody opened. */
	post_confirm(&courier, "no-such-order", &c, NULL, &r);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	assert_int_equal(delivery_hooks(), 0);
}

static void
test_delivery_courier_view_is_masked(void **state)
{
	const struct gen_truth	*t = &people[0].card[0].truth;
	struct http_reply	 r;
	char			 masked[128], last4[8], first[8];
	size_t			 n;

	(void)state;
	get_delivery(people[0].order_ref, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"state\":\"pending\""));
	assert_non_null(strstr(r.body, "\"attempts_left\":3"));
	assert_int_equal(field(r.body, "id_number_last4", last4,
	    sizeof(last4)), 0);
	assert_string_equal(last4, t->number + 14);
	assert_int_equal(field(r.body, "name_masked", masked, sizeof(masked)),
	    0);
	/* The surname (one CJK character, 3 bytes) then asterisks. */
	memcpy(first, t->name, 3);
	first[3] = '\0';
	assert_true(strncmp(masked, first, 3) == 0);
	for (n = 3; masked[n] != '\0'; n++)
		assert_int_equal(masked[n], '*');
	assert_true(n > 3);
	assert_null(strstr(r.body, t->number));
	assert_null(strstr(r.body, t->name));
	http_reply_free(&r);
}

static void
test_delivery_incomplete_or_unusable_requests_are_not_counted(void **state)
{
	struct confirm		c = { &people[1].door, NULL, NULL, NULL };
	struct photo		back;
	struct http_reply	r;
	char			code[64];

	(void)state;
	/* No id_number part: 400 naming it. */
	post_confirm(&courier, people[1].order_ref, &c, NULL, &r);
	assert_int_equal(r.status, 400);
	assert_int_equal(field(r.body, "code", code, sizeof(code)), 0);
	assert_string_equal(code, "part_missing");
	assert_non_null(strstr(r.body, "id_number"));
	http_reply_free(&r);
	/* A chip portrait over delivery_chip_max_bytes: 413 naming it. */
	c.number = people[1].card[0].truth.number;
	c.chip = &other_door;
	assert_true(other_door.len > 262144);
	post_confirm(&courier, people[1].order_ref, &c, NULL, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "chip_portrait"));
	http_reply_free(&r);
	c.chip = NULL;
	/* A photo with no face (the card's back): retake, not counted. */
	back.data = people[1].card[1].jpeg;
	back.len = people[1].card[1].len;
	c.photo = &back;
	c.number = people[1].card[0].truth.number;
	post_confirm(&courier, people[1].order_ref, &c, NULL, &r);
	assert_int_equal(r.status, 422);
	assert_int_equal(field(r.body, "code", code, sizeof(code)), 0);
	assert_string_equal(code, "retake");
	http_reply_free(&r);
	get_delivery(people[1].order_ref, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"attempts_used\":0"));
	http_reply_free(&r);
	assert_int_equal(delivery_hooks(), 0);
}

static void
test_delivery_right_person_and_number_is_confirmed(void **state)
{
	struct confirm		c = { &people[0].door,
				    people[0].card[0].truth.number,
				    &people[0].chip,
				    people[0].card[0].truth.name };
	struct http_reply	r;
	char			result[32];

	(void)state;
	post_confirm(&courier, people[0].order_ref, &c, "door-A-1", &r);
	fprintf(stderr, "# %ld %.900s\n", r.status, r.body);
	assert_int_equal(r.status, 200);
	assert_int_equal(field(r.body, "result", result, sizeof(result)), 0);
	assert_string_equal(result, "CONFIRMED");
	assert_non_null(strstr(r.body, "\"courier_id\":\"" COURIER_ID "\""));
	assert_true(number_field(r.body, "face_score") >= 0.45);
	assert_true(number_field(r.body, "chip_score") >= 0.45);
	assert_non_null(strstr(r.body, "\"number_matches\":true"));
	assert_non_null(strstr(r.body, "\"name_matches\":true"));
	assert_null(strstr(r.body, people[0].card[0].truth.number));
	http_reply_free(&r);
	assert_hook(people[0].order_ref, "delivery.confirmed", "CONFIRMED",
	    NULL, 1);
}

static void
test_delivery_repeat_gets_the_same_answer_and_new_attempt_409(void **state)
{
	struct confirm		c = { &people[0].door,
				    people[0].card[0].truth.number,
				    &people[0].chip,
				    people[0].card[0].truth.name };
	struct http_reply	first, again;
	char			code[64];

	(void)state;
	/* A phone on a poor line sends it again, re-signed. */
	post_confirm(&courier, people[0].order_ref, &c, "door-A-1", &first);
	post_confirm(&courier, people[0].order_ref, &c, "door-A-1", &again);
	assert_int_equal(first.status, 200);
	assert_int_equal(again.status, 200);
	assert_string_equal(first.body, again.body);
	assert_non_null(strstr(first.body, "\"result\":\"CONFIRMED\""));
	assert_non_null(strstr(first.body, "\"attempt\":1"));
	http_reply_free(&first);
	http_reply_free(&again);
	/* The same key with another photo is refused. */
	c.chip = NULL;
	post_confirm(&courier, people[0].order_ref, &c, "door-A-1", &again);
	assert_int_equal(again.status, 422);
	http_reply_free(&again);
	/* A new attempt after CONFIRMED. */
	post_confirm(&courier, people[0].order_ref, &c, "door-A-2", &again);
	assert_int_equal(again.status, 409);
	assert_int_equal(field(again.body, "code", code, sizeof(code)), 0);
	assert_string_equal(code, "delivery_confirmed");
	http_reply_free(&again);
	get_delivery(people[0].order_ref, &again);
	assert_non_null(strstr(again.body, "\"state\":\"confirmed\""));
	assert_non_null(strstr(again.body, "\"deliverable\":true"));
	assert_non_null(strstr(again.body, "\"attempts_used\":1"));
	http_reply_free(&again);
	/* Nothing new was sent. */
	usleep(500 * 1000);
	assert_int_equal(delivery_hooks(), 1);
}

/* One attempt on person 1's order; checks result and reasons. */
static void
attempt_b(const struct confirm *c, const char *idem, const char *result,
    const char *reason, const char *not_reason, int attempt, int hooks)
{
	struct http_reply	r;
	char			want[64];

	post_confirm(&courier, people[1].order_ref, c, idem, &r);
	fprintf(stderr, "# %ld %.900s\n", r.status, r.body);
	assert_int_equal(r.status, 200);
	snprintf(want, sizeof(want), "\"result\":\"%s\"", result);
	assert_non_null(strstr(r.body, want));
	snprintf(want, sizeof(want), "\"attempt\":%d,", attempt);
	assert_non_null(strstr(r.body, want));
	assert_non_null(strstr(r.body, reason));
	if (not_reason != NULL)
		assert_null(strstr(r.body, not_reason));
	http_reply_free(&r);
	assert_hook(people[1].order_ref, "delivery.mismatch", result, reason,
	    hooks);
}

static void
test_delivery_another_person_is_a_face_mismatch(void **state)
{
	struct confirm	c = { &other_door, people[1].card[0].truth.number,
			    NULL, NULL };

	(void)state;
	attempt_b(&c, "door-B-1", "MISMATCH", "delivery_face_mismatch",
	    "delivery_number_mismatch", 1, 2);
}

static void
test_delivery_wrong_number_is_a_number_mismatch(void **state)
{
	/* Right person; the number of the other approved customer. */
	struct confirm	c = { &people[1].door, people[0].card[0].truth.number,
			    NULL, NULL };

	(void)state;
	attempt_b(&c, "door-B-2", "MISMATCH", "delivery_number_mismatch",
	    "delivery_face_mismatch", 2, 3);
}

static void
test_delivery_chip_portrait_of_another_person_is_a_mismatch(void **state)
{
	struct confirm	c = { &people[1].door, people[1].card[0].truth.number,
			    &other_chip, NULL };

	(void)state;
	attempt_b(&c, "door-B-3", "MISMATCH",
	    "delivery_chip_portrait_mismatch", "delivery_face_mismatch", 3,
	    4);
}

static void
test_delivery_fourth_attempt_after_three_failures_is_review(void **state)
{
	/* Even everything right now does not confirm: a person decides. */
	struct confirm		c = { &people[1].door,
				    people[1].card[0].truth.number,
				    &people[1].chip, NULL };
	struct http_reply	r;
	char			code[64];

	(void)state;
	attempt_b(&c, "door-B-4", "REVIEW", "delivery_attempts_exhausted",
	    NULL, 4, 5);
	post_confirm(&courier, people[1].order_ref, &c, "door-B-5", &r);
	assert_int_equal(r.status, 409);
	assert_int_equal(field(r.body, "code", code, sizeof(code)), 0);
	assert_string_equal(code, "delivery_in_review");
	http_reply_free(&r);
	get_delivery(people[1].order_ref, &r);
	assert_non_null(strstr(r.body, "\"state\":\"review\""));
	assert_non_null(strstr(r.body, "\"deliverable\":false"));
	assert_non_null(strstr(r.body, "\"attempts_used\":4"));
	assert_non_null(strstr(r.body, "\"last_result\":\"REVIEW\""));
	http_reply_free(&r);
}

static void
test_delivery_store_keeps_attempts_and_an_intact_audit_chain(void **state)
{
	struct store			*st;
	struct store_delivery		 d;
	struct store_audit_report	 rep;

	(void)state;
	assert_int_equal(store_open(&st, kore.store_url), 0);
	assert_int_equal(store_delivery_get(st, people[0].order_ref, &d), 0);
	assert_int_equal(d.state, STORE_DELIVERY_CONFIRMED);
	assert_int_equal(d.attempts, 1);
	assert_string_equal(d.case_id, people[0].case_id);
	assert_string_equal(d.last_courier, COURIER_ID);
	store_delivery_release(&d);
	assert_int_equal(store_delivery_get(st, people[1].order_ref, &d), 0);
	assert_int_equal(d.state, STORE_DELIVERY_REVIEW);
	assert_int_equal(d.attempts, 4);
	assert_int_equal(d.last_result, STORE_DELIVERY_RESULT_REVIEW);
	assert_non_null(strstr(d.last_reasons, "delivery_attempts_exhausted"));
	store_delivery_release(&d);
	assert_int_equal(store_audit_verify(st, &rep), 0);
	assert_int_equal(rep.first_bad_seq, 0);
	assert_true(rep.rows > 5);
	store_close(st);
}

static void
test_delivery_logs_hold_no_numbers_or_names(void **state)
{
	char	*log;
	int	 i;

	(void)state;
	log = harness_log(&kore);
	assert_non_null(log);
	for (i = 0; i < 2; i++) {
		assert_null(strstr(log, people[i].card[0].truth.number));
		assert_null(strstr(log, people[i].card[0].truth.name));
	}
	assert_null(strstr(log, "sandbox violation"));
	assert_null(strstr(log, "ignoring \""));
	assert_non_null(strstr(log, "delivery: case"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_bad_signatures_are_401),
		cmocka_unit_test(test_delivery_order_not_approved_is_409),
		cmocka_unit_test(test_delivery_courier_view_is_masked),
		cmocka_unit_test(
		    test_delivery_incomplete_or_unusable_requests_are_not_counted),
		cmocka_unit_test(
		    test_delivery_right_person_and_number_is_confirmed),
		cmocka_unit_test(
		    test_delivery_repeat_gets_the_same_answer_and_new_attempt_409),
		cmocka_unit_test(
		    test_delivery_another_person_is_a_face_mismatch),
		cmocka_unit_test(
		    test_delivery_wrong_number_is_a_number_mismatch),
		cmocka_unit_test(
		    test_delivery_chip_portrait_of_another_person_is_a_mismatch),
		cmocka_unit_test(
		    test_delivery_fourth_attempt_after_three_failures_is_review),
		cmocka_unit_test(
		    test_delivery_store_keeps_attempts_and_an_intact_audit_chain),
		cmocka_unit_test(test_delivery_logs_hold_no_numbers_or_names),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
