/*
 * Re-registration (补登记) and dealers through the running service:
 * generated people upload through the real routes, the pipeline decides
 * with the real ID-check sandbox, and the webhook reaches a real
 * receiver.  The per-ID cap is 2.
 *
 *   re-registration of 13800138000       → approved, webhook names it
 *   unknown, disabled, other-channel dealer → 422 dealer_unknown, no case
 *   kind / msisdn / dealer malformed      → 400, no case
 *   2 numbers imported (realname-admin)   → a new number: id_cap_reached
 *   re-registering one of those 2         → approved (not counted)
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cmocka.h>

#include "harness.h"
#include "imaging.h"
#include "people.h"
#include "receiver.h"
#include "sandbox_harness.h"
#include "sign.h"
#include "store.h"

#define SEED		20261209ULL
#define SCAN_MAX	80
#define REREG_NUMBER	"13800138000"
#define HELD_1		"13900000001"
#define HELD_2		"13900000002"

static struct sandbox	sbx;
static struct harness	kore;
static struct receiver	rx;
static struct sign_key	shop;
static struct gen	*gen;
static struct person	 alice;		/* re-registers a number */
static struct person	 bob;		/* holds two imported numbers */
static char		 hook_url[64];

/* Two genuine, valid, unexpired people; bob's photos at two sizes. */
static int
pick_people(void)
{
	static const int	 sizes[2] = { 2000, 1900 };
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	struct person		 p;
	int			 i, have, r;

	imaging_options_default(&opt);
	if ((eng = imaging_engine_new(getenv("REALNAME_MODELS"), &opt,
	    &ierr)) == NULL) {
		fprintf(stderr, "# imaging: %s\n", ierr.msg);
		return (-1);
	}
	have = 0;
	for (i = 0; i < SCAN_MAX && have != 3; i++) {
		if (person_make(gen, SEED, i, 2000, &p) == -1)
			goto fail;
		r = person_card(&p)->number_valid && p.photo[2].truth.genuine &&
		    !person_card_expired(&p);
		person_free(&p);
		if (!r)
			continue;
		if (!(have & 1))
			r = person_accepted_at(gen, eng, SEED, i, sizes, 1,
			    &alice);
		else
			r = person_accepted_at(gen, eng, SEED, i, sizes, 2, &bob);
		if (r == -1)
			goto fail;
		if (r == 1)
			have |= (have & 1) ? 2 : 1;
	}
	imaging_engine_free(eng);
	fprintf(stderr, "# scanned %d generated people\n", i);
	return (have == 3 ? 0 : -1);
fail:
	imaging_engine_free(eng);
	return (-1);
}

static int
group_setup(void **state)
{
	char	registry[4096], extra[1024];

	(void)state;
	if (sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1 || (gen = people_gen_open()) == NULL || pick_people() == -1)
		return (-1);
	registry[0] = '\0';
	person_registry_line(registry, sizeof(registry), &alice, "valid");
	person_registry_line(registry, sizeof(registry), &bob, "valid");
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1 ||
	    receiver_start(&rx) == -1)
		return (-1);
	snprintf(hook_url, sizeof(hook_url), "http://127.0.0.1:%d/hook",
	    rx.port);
	snprintf(extra, sizeof(extra), "poll_ms = 50\nid_cap = 2\n"
	    "evidence_max_long_side = 2000\n");
	if (sandbox_service_conf(&sbx, extra, sizeof(extra)) == -1)
		return (-1);
	if (harness_start(&kore, extra) == -1)
		return (-1);
	/* A dealer of another channel, and a disabled one of ours. */
	if (harness_dealer_add(&kore, "app-shop", "app", 1) == -1 ||
	    harness_dealer_add(&kore, "web-closed", "web", 0) == -1)
		return (-1);
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	sandbox_finish(&sbx);
	receiver_stop(&rx);
	person_free(&alice);
	person_free(&bob);
	gen_close(gen);
	return (0);
}

/* Every case in the store, whatever its state. */
static int64_t
cases_total(void)
{
	struct store		*st;
	struct store_counts	 c;
	int64_t			 n;
	int			 i;

	assert_int_equal(store_open(&st, kore.store_url), 0);
	assert_int_equal(store_counts(st, store_now_ms(), &c), 0);
	store_close(st);
	for (n = 0, i = 0; i < STORE_STATE_COUNT; i++)
		n += c.cases[i];
	return (n);
}

/* POST /v1/cases with body; the status, and the body in out. */
static long
open_case(const char *body, char *out, size_t len)
{
	struct http_reply	r;
	long			status;

	assert_int_equal(harness_http_signed(&kore, &shop, "POST",
	    "/v1/cases", body, NULL, 0, &r), 0);
	status = r.status;
	snprintf(out, len, "%s", r.body != NULL ? r.body : "");
	http_reply_free(&r);
	return (status);
}

static void
test_rereg_case_is_approved_and_its_webhook_names_the_number(void **state)
{
	struct journey_opts	 o;
	struct http_reply	 r;
	struct store		*st;
	unsigned char		 key[32];
	char			 final[32], view[8192], id[33], path[64];
	char			 hash[STORE_HASH_HEX_LEN + 1], kpath[256];
	const char		*body;
	int64_t			 held;
	FILE			*fp;
	int			 i, n;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.must_accept = 1;
	o.callback_url = hook_url;
	o.extra_json = "\"kind\":\"reregistration\",\"msisdn\":\""
	    REREG_NUMBER "\",";
	person_journey_opts(&kore, &shop, &alice, &o, final, sizeof(final),
	    view, sizeof(view), id);
	if (strcmp(final, "approved"))
		fprintf(stderr, "# %s %s\n", final, view);
	assert_string_equal(final, "approved");
	/* The customer sees which number, masked, never all of it. */
	assert_non_null(strstr(view, "\"kind\":\"reregistration\""));
	assert_non_null(strstr(view, "\"msisdn_masked\":\"138****8000\""));
	assert_null(strstr(view, REREG_NUMBER));

	/* The webhook says which number was re-registered. */
	body = NULL;
	for (n = 1; n <= 5 && body == NULL; n++) {
		assert_true(receiver_wait(&rx, n, 20) >= n);
		pthread_mutex_lock(&rx.lock);
		for (i = 0; i < rx.nhooks; i++) {
			if (strstr(rx.hooks[i].body, id) != NULL)
				body = rx.hooks[i].body;
		}
		pthread_mutex_unlock(&rx.lock);
	}
	assert_non_null(body);
	fprintf(stderr, "# webhook: %s\n", body);
	assert_non_null(strstr(body, "\"outcome\":\"approved\""));
	assert_non_null(strstr(body, "\"kind\":\"reregistration\""));
	assert_non_null(strstr(body, "\"msisdn\":\"" REREG_NUMBER "\""));
	assert_non_null(strstr(body, "\"dealer\":\"web-direct\""));

	/* The order system's view names it too. */
	snprintf(path, sizeof(path), "/v1/cases/%s", id);
	assert_int_equal(harness_http_signed(&kore, &shop, "GET", path, "",
	    NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"msisdn\":\"" REREG_NUMBER "\""));
	assert_non_null(strstr(r.body, "\"dealer\":\"web-direct\""));
	assert_non_null(strstr(r.body, "\"channel\":\"web\""));
	http_reply_free(&r);

	/* The approval recorded the number as alice's, once. */
	snprintf(kpath, sizeof(kpath), "%s/keys/lookup.key", kore.dir);
	assert_non_null(fp = fopen(kpath, "rb"));
	assert_int_equal(fread(key, 1, sizeof(key), fp), sizeof(key));
	fclose(fp);
	assert_int_equal(store_id_number_hash(key, sizeof(key),
	    person_card(&alice)->number, hash), 0);
	assert_int_equal(store_open(&st, kore.store_url), 0);
	assert_int_equal(store_subscribers_count(st, hash, &held), 0);
	store_close(st);
	assert_int_equal(held, 1);
}

static void
test_rereg_dealer_unknown_disabled_or_elsewhere_opens_nothing(void **state)
{
	static const struct {
		const char	*fields;	/* after "order_ref" */
		long		 status;
		const char	*code;
		const char	*says;
	} bad[] = {
		{ "\"channel\":\"web\",\"dealer\":\"nobody\"", 422,
		    "dealer_unknown", "not registered" },
		{ "\"channel\":\"web\",\"dealer\":\"app-shop\"", 422,
		    "dealer_unknown", "another channel" },
		{ "\"channel\":\"web\",\"dealer\":\"web-closed\"", 422,
		    "dealer_unknown", "disabled" },
		{ "\"channel\":\"web\"", 400, "field_missing", "dealer" },
		{ "\"channel\":\"web\",\"dealer\":\"web-direct\","
		    "\"kind\":\"reregistration\"", 400, "field_missing",
		    "msisdn" },
		{ "\"channel\":\"web\",\"dealer\":\"web-direct\","
		    "\"kind\":\"renewal\",\"msisdn\":\"13800138000\"", 400,
		    "field_invalid", "kind" },
		{ "\"channel\":\"web\",\"dealer\":\"web-direct\","
		    "\"kind\":\"reregistration\",\"msisdn\":\"1380013800\"",
		    400, "field_invalid", "msisdn" },
		{ "\"channel\":\"web\",\"dealer\":\"web-direct\","
		    "\"msisdn\":\"23800138000\"", 400, "field_invalid",
		    "msisdn" },
	};
	char		body[1024], out[1024], want[64];
	int64_t		before;
	size_t		i;
	long		status;

	(void)state;
	before = cases_total();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"order_ref\":\"bad-%zu\",%s,"
		    "\"declared_name\":\"%s\",\"id_number\":\"%s\","
		    "\"callback_url\":\"http://127.0.0.1:9/hook\"}", i,
		    bad[i].fields, person_card(&alice)->name,
		    person_card(&alice)->number);
		status = open_case(body, out, sizeof(out));
		if (status != bad[i].status || strstr(out, bad[i].says) ==
		    NULL)
			fprintf(stderr, "# %zu: %ld %s\n", i, status, out);
		assert_int_equal(status, bad[i].status);
		snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\"",
		    bad[i].code);
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, bad[i].says));
	}
	assert_int_equal(cases_total(), before);

	/* The other channel's dealer opens cases in its own channel. */
	snprintf(body, sizeof(body), "{\"order_ref\":\"app-1\",\"channel\":"
	    "\"app\",\"dealer\":\"app-shop\",\"declared_name\":\"%s\","
	    "\"id_number\":\"%s\",\"callback_url\":"
	    "\"http://127.0.0.1:9/hook\"}", person_card(&alice)->name,
	    person_card(&alice)->number);
	assert_int_equal(open_case(body, out, sizeof(out)), 201);
	assert_non_null(strstr(out, "\"kind\":\"new\""));
	assert_int_equal(cases_total(), before + 1);
}

/* realname-admin subscribers import of csv; its exit status. */
static int
import(const char *csv, char *out, size_t len)
{
	char	path[256], cmd[1024];
	FILE	*fp;
	size_t	n;
	int	status;

	snprintf(path, sizeof(path), "%s/subscribers.csv", kore.dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(csv, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "REALNAME_CONFIG=%s %s/tools/realname-admin"
	    " subscribers import %s 2>&1", kore.conf, harness_build_root(),
	    path);
	assert_non_null(fp = popen(cmd, "r"));
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	status = pclose(fp);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void
test_rereg_cap_counts_imported_numbers_but_not_the_one_reregistered(
    void **state)
{
	struct journey_opts	 o;
	struct person		 retake;
	char			 csv[512], out[2048], bad[32];
	char			 final[32], view[8192], id[33];

	(void)state;
	/* A bad line refuses the file, naming the line, number masked. */
	snprintf(bad, sizeof(bad), "%s", person_card(&bob)->number);
	bad[17] = bad[17] == '0' ? '1' : '0';	/* breaks the check digit */
	snprintf(csv, sizeof(csv), "msisdn,id_number\n%s,%s\n%s,%s\n",
	    HELD_1, person_card(&bob)->number, HELD_2, bad);
	assert_int_not_equal(import(csv, out, sizeof(out)), 0);
	fprintf(stderr, "# %s", out);
	assert_non_null(strstr(out, "line 3"));
	assert_null(strstr(out, bad));
	assert_null(strstr(out, person_card(&bob)->number));

	snprintf(csv, sizeof(csv), "msisdn,id_number\n%s,%s\n%s,%s\n",
	    HELD_1, person_card(&bob)->number, HELD_2,
	    person_card(&bob)->number);
	assert_int_equal(import(csv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "2 added"));
	assert_null(strstr(out, person_card(&bob)->number));

	/* Two numbers held, cap 2: no new number. */
	person_journey(&kore, &shop, &bob, NULL, NULL, 1, final,
	    sizeof(final), view, sizeof(view), id);
	if (strcmp(final, "rejected") || !strstr(view, "id_cap_reached"))
		fprintf(stderr, "# %s %s\n", final, view);
	assert_string_equal(final, "rejected");
	assert_non_null(strstr(view, "\"code\":\"id_cap_reached\""));

	/* Re-registering one of them does not count it: approved. */
	assert_int_equal(person_make(gen, SEED, bob.index, 1900, &retake), 0);
	memset(&o, 0, sizeof(o));
	o.must_accept = 1;
	o.extra_json = "\"kind\":\"reregistration\",\"msisdn\":\"" HELD_1
	    "\",";
	person_journey_opts(&kore, &shop, &retake, &o, final, sizeof(final),
	    view, sizeof(view), id);
	person_free(&retake);
	if (strcmp(final, "approved"))
		fprintf(stderr, "# %s %s\n", final, view);
	assert_string_equal(final, "approved");
}

static void
test_rereg_logs_hold_no_numbers_or_names(void **state)
{
	char	*log;

	(void)state;
	log = harness_log(&kore);
	assert_non_null(log);
	assert_null(strstr(log, person_card(&alice)->number));
	assert_null(strstr(log, person_card(&alice)->name));
	assert_null(strstr(log, person_card(&bob)->number));
	assert_null(strstr(log, person_card(&bob)->name));
	assert_null(strstr(log, "seccomp violation"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		  test_rereg_case_is_approved_and_its_webhook_names_the_number),
		cmocka_unit_test(
		  test_rereg_dealer_unknown_disabled_or_elsewhere_opens_nothing),
		cmocka_unit_test(
		  test_rereg_cap_counts_imported_numbers_but_not_the_one_reregistered),
		cmocka_unit_test(test_rereg_logs_hold_no_numbers_or_names),
	};

	return (cmocka_run_group_tests_name("reregistration", tests,
	    group_setup, group_teardown));
}
