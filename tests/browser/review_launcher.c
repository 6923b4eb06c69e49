/*
 * The reviewer console's browser test service: the real kore with our
 * module, the real ID-check sandbox holding one generated person, a
 * webhook receiver standing in for the order system, and three console
 * accounts (rev1 reviewer, sup1 supervisor, aud1 auditor; rev2 reviewer
 * for the lockout), all with the password printed on the first line.
 *
 *   review-launcher
 *
 * Cases reach review through the real API and pipeline: min_age = 120
 * sends the genuine person to review with the ID check's MATCH (so the
 * console may approve), and identity_mismatch is moved to the review
 * tier so a case declaring another name arrives there with a MISMATCH
 * (approval refused).  Prints one JSON line when everything answers:
 *   {"base":..., "log":..., "password":...}
 * then reads commands on stdin, one a line, each answered by one line:
 *   review-match     opens, uploads, submits a case for the person and
 *                    waits for REVIEW: {"case_id":...,"state":...}
 *   review-mismatch  the same declaring another name
 *   state ID         {"state":...} from the store
 *   hooks            {"hooks":[<every webhook body received>]}
 * and stops everything at end of input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "gen.h"
#include "harness.h"
#include "imaging.h"
#include "receiver.h"
#include "review_auth.h"
#include "sandbox_harness.h"
#include "sign.h"
#include "store.h"
#include "store_review.h"

#define SEED		20261130ULL
#define TRIES		80
#define PASSWORD	"browser-test-pass"

static const char *const sides[3] = { "front", "back", "holding" };

static struct gen_case	photo[3];
static int		person = -1;
static int		ncases;

static void
free_photos(void)
{
	int	k;

	for (k = 0; k < 3; k++)
		gen_case_free(&photo[k]);
}

/* The card's end date is after today ("长期" never ends). */
static int
card_valid(const struct gen_truth *t)
{
	const char	*dash;
	int		 y, m, d;
	time_t		 now;
	struct tm	 tm;

	if ((dash = strchr(t->validity, '-')) == NULL)
		return (0);
	if (sscanf(dash + 1, "%4d.%2d.%2d", &y, &m, &d) != 3)
		return (1);
	now = time(NULL);
	gmtime_r(&now, &tm);
	return (y * 10000 + m * 100 + d > (tm.tm_year + 1900) * 10000 +
	    (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

/* Three photos the gate takes as they are, a genuine selfie, a valid card. */
static int
pick_person(struct gen *gen, struct imaging_engine *eng)
{
	struct imaging_analysis	*a;
	struct gen_options	 o;
	char			 err[256];
	int			 i, k, ok;

	for (i = 0; i < TRIES; i++) {
		ok = 1;
		for (k = 0; k < 3 && ok; k++) {
			gen_options_default(&o);
			o.kind = k;
			o.degrade = 0;
			o.long_side = 2000;
			if (gen_make(gen, SEED, i, &o, &photo[k], err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "# gen: %s\n", err);
				return (-1);
			}
			if (k == 0 && (!photo[0].truth.number_valid))
				ok = 0;
			if (k == 1 && !card_valid(&photo[1].truth))
				ok = 0;
			if (k == 2 && !photo[2].truth.genuine)
				ok = 0;
			if (!ok)
				break;
			a = imaging_analyse(eng, (enum imaging_side)k,
			    photo[k].jpeg, photo[k].len);
			ok = a != NULL && a->error == IMAGING_OK &&
			    a->nreasons == 0;
			imaging_analysis_free(a);
		}
		if (ok) {
			person = i;
			return (0);
		}
		free_photos();
	}
	fprintf(stderr, "# no suitable person in %d tries\n", TRIES);
	return (-1);
}

static enum store_state
state_of(const struct harness *kore, const char *id)
{
	struct store		*st;
	struct store_case	 c;
	enum store_state	 s;

	s = STORE_STATE_COUNT;
	if (store_open(&st, kore->store_url) == 0 &&
	    store_case_get(st, id, &c) == 0) {
		s = c.state;
		store_case_release(&c);
	}
	store_close(st);
	return (s);
}

/* Opens, uploads and submits; waits for a decision.  0 or -1. */
static int
review_case(const struct harness *kore, const struct sign_key *shop,
    int port, int other_name)
{
	struct http_reply	 r;
	const struct gen_truth	*t = &photo[0].truth;
	const char		*h[3], *name;
	char			 body[1024], id[40], token[128], auth[160];
	char			 path[128];
	enum store_state	 s;
	int			 k, i;

	name = other_name ? (strcmp(t->name, "欧阳测试") ? "欧阳测试" :
	    "司马测试") : t->name;
	snprintf(body, sizeof(body), "{\"order_ref\":\"review-%d-%d\","
	    "\"channel\":\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"%s\",\"id_number\":"
	    "\"%s\",\"callback_url\":\"http://127.0.0.1:%d/hook\"}", person,
	    ++ncases, name, t->number, port);
	if (harness_http_signed(kore, shop, "POST", "/v1/cases", body, NULL,
	    0, &r) == -1)
		return (-1);
	if (r.status != 201 || harness_json_field(r.body, "case_id", id,
	    sizeof(id)) == -1 || harness_json_field(r.body, "upload_token",
	    token, sizeof(token)) == -1) {
		fprintf(stderr, "# open: %ld\n", r.status);
		http_reply_free(&r);
		return (-1);
	}
	http_reply_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h[0] = auth;
	h[1] = "Content-Type: image/jpeg";
	h[2] = NULL;
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "/v1/cases/%s/images/%s", id,
		    sides[k]);
		if (harness_http_h(kore, "PUT", path, h, photo[k].jpeg,
		    photo[k].len, &r) == -1 || r.status != 200) {
			fprintf(stderr, "# upload %s: %ld\n", sides[k],
			    r.status);
			http_reply_free(&r);
			return (-1);
		}
		http_reply_free(&r);
	}
	h[1] = "Content-Type: application/json";
	snprintf(path, sizeof(path), "/v1/cases/%s/submit", id);
	if (harness_http_h(kore, "POST", path, h, "{}", 2, &r) == -1 ||
	    r.status != 202) {
		fprintf(stderr, "# submit: %ld\n", r.status);
		http_reply_free(&r);
		return (-1);
	}
	http_reply_free(&r);
	s = STORE_STATE_SUBMITTED;
	for (i = 0; i < 600; i++) {
		s = state_of(kore, id);
		if (s == STORE_STATE_REVIEW || s == STORE_STATE_APPROVED ||
		    s == STORE_STATE_REJECTED)
			break;
		usleep(100 * 1000);
	}
	printf("{\"case_id\":\"%s\",\"state\":\"%s\"}\n", id,
	    store_state_name(s));
	fflush(stdout);
	return (0);
}

static int
add_reviewers(const struct harness *kore)
{
	static const struct {
		const char	*name;
		enum store_role	 role;
	} who[] = {
		{ "rev1", STORE_ROLE_REVIEWER },
		{ "rev2", STORE_ROLE_REVIEWER },
		{ "sup1", STORE_ROLE_SUPERVISOR },
		{ "aud1", STORE_ROLE_AUDITOR },
	};
	struct store	*st;
	char		 hash[STORE_PWHASH_MAX];
	size_t		 i;
	int		 ret;

	if (rn_review_password_hash(PASSWORD, hash) == -1 ||
	    store_open(&st, kore->store_url) == -1) {
		store_close(st);
		return (-1);
	}
	ret = 0;
	for (i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		if (store_reviewer_add(st, who[i].name, who[i].role, hash,
		    "test", store_now_ms()) == -1)
			ret = -1;
	}
	store_close(st);
	return (ret);
}

static void
print_hooks(struct receiver *rx)
{
	int	i;

	pthread_mutex_lock(&rx->lock);
	printf("{\"hooks\":[");
	for (i = 0; i < rx->nhooks; i++)
		printf("%s%s", i ? "," : "", rx->hooks[i].body[0] == '{' ?
		    rx->hooks[i].body : "null");
	printf("]}\n");
	pthread_mutex_unlock(&rx->lock);
	fflush(stdout);
}

int
main(void)
{
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	struct sandbox		 sbx;
	struct harness		 kore;
	struct receiver		 rx;
	struct sign_key		 shop;
	struct gen		*gen;
	const char		*data;
	char			 err[256], registry[1024], extra[4096];
	char			 line[128];
	enum store_state	 s;
	int			 ret = 1;

	if (sodium_init() == -1 || sign_key_parse(&shop, HARNESS_CLIENT_ID
	    ":" HARNESS_CLIENT_HEX) == -1)
		return (1);
	data = getenv("REALNAME_SHARED_DATA");
	if ((gen = gen_open(data,
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "# gen: %s\n", err);
		return (1);
	}
	imaging_options_default(&opt);
	if ((eng = imaging_engine_new(getenv("REALNAME_MODELS"), &opt,
	    &ierr)) == NULL) {
		fprintf(stderr, "# imaging: %s\n", ierr.msg);
		gen_close(gen);
		return (1);
	}
	if (pick_person(gen, eng) == -1) {
		imaging_engine_free(eng);
		gen_close(gen);
		return (1);
	}
	imaging_engine_free(eng);
	gen_close(gen);

	snprintf(registry, sizeof(registry), "%s\t%s\tvalid\t%s/faces/%s\n",
	    photo[0].truth.number, photo[0].truth.name,
	    data != NULL ? data : "../shared/data",
	    photo[0].truth.portrait_file);
	if (receiver_start(&rx) == -1) {
		free_photos();
		return (1);
	}
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1) {
		fprintf(stderr, "# sandbox did not start\n");
		receiver_stop(&rx);
		free_photos();
		return (1);
	}
	snprintf(extra, sizeof(extra), "poll_ms = 50\n"
	    "webhook_retry_base_s = 1\nweb_dir = %s/assets/web\n"
	    "min_age = 120\nreason_tiers = identity_mismatch=review\n"
	    "review_login_max_failures = 5\nreview_lockout_s = 60\n"
	    "review_session_idle_s = 10\nreview_session_max_s = 3600\n"
	    "review_claim_s = 300\n", harness_source_root());
	if (sandbox_service_conf(&sbx, extra, sizeof(extra)) == -1 ||
	    harness_start(&kore, extra) == -1) {
		fprintf(stderr, "# kore did not start\n");
		goto done;
	}
	if (add_reviewers(&kore) == -1) {
		fprintf(stderr, "# reviewers not added\n");
		goto stop;
	}
	printf("{\"base\":\"http://127.0.0.1:%d\",\"log\":\"%s\","
	    "\"person\":%d,\"password\":\"%s\",\"idle_s\":10,"
	    "\"lockout_s\":60}\n", kore.port, kore.log, person, PASSWORD);
	fflush(stdout);

	ret = 0;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "review-match") ||
		    !strcmp(line, "review-mismatch")) {
			if (review_case(&kore, &shop, rx.port,
			    !strcmp(line, "review-mismatch")) == -1) {
				printf("{\"error\":\"case failed\"}\n");
				fflush(stdout);
			}
		} else if (!strncmp(line, "state ", 6)) {
			s = state_of(&kore, line + 6);
			printf("{\"state\":\"%s\"}\n", store_state_name(s));
			fflush(stdout);
		} else if (!strcmp(line, "hooks")) {
			print_hooks(&rx);
		} else {
			printf("{\"error\":\"unknown command\"}\n");
			fflush(stdout);
		}
	}
stop:
	harness_stop(&kore);
	harness_cleanup(&kore);
done:
	sandbox_finish(&sbx);
	receiver_stop(&rx);
	free_photos();
	return (ret);
}
