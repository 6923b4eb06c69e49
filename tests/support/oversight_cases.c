/*
 * The oversight suites' population (see oversight_cases.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oversight_cases.h"
#include "review_auth.h"
#include "store.h"
#include "store_qa.h"
#include "store_review.h"

#define NDEALERS	OVERSIGHT_DEALERS
#define PER_DEALER	OVERSIGHT_PER_DEALER
#define TOKEN_HASH	\
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMAGE_SHA	\
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DECISION	"{\"outcome\":\"x\",\"rule\":\"test\",\"upstream\":" \
			"{\"called\":true,\"result\":\"match\"}}"

/* Dealers: channel, code, rejections and reviews out of PER_DEALER. */
static const struct {
	const char	*channel;
	const char	*code;
	int		 rejected;
	int		 reviewed;
} dealers[NDEALERS] = {
	{ "web", "web-a", 4, 2 },
	{ "web", "web-b", 4, 2 },
	{ "web", "web-c", 4, 2 },
	{ "shop", "shop-a", 4, 2 },
	{ "shop", "shop-b", 4, 2 },
	/*
	 * 20 of 50: the overall rate is (5 * 4 + 20) / 300 = 13.3 %, and
	 * 40 % is three times that.
	 */
	{ "shop", "shop-bad", 20, 2 },
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
add_reviewer(struct store *st, const char *name, enum store_role role)
{
	char	hash[STORE_PWHASH_MAX];

	if (rn_review_password_hash(OVERSIGHT_PASSWORD, hash) == -1 ||
	    store_reviewer_add(st, name, role, hash, "test",
	    store_now_ms()) == -1) {
		fprintf(stderr, "# reviewer %s: %s\n", name, store_error(st));
		return (-1);
	}
	return (0);
}

/* One case opened, submitted and decided the way the pipeline does. */
static int
decided_case(struct store *st, int d, int i, const char *hook_url,
    int64_t eligible[2])
{
	static const unsigned char blob[] = { 0x01, 0x02, 0x03 };
	struct store_case_new	 c;
	struct store_case	 cl;
	struct store_outbox_new	 ob;
	enum store_state	 to;
	char			 id[STORE_ID_LEN + 1], ref[64];
	const char		*reasons;
	int64_t			 now;
	int			 side, ret;

	now = store_now_ms();
	if (i < dealers[d].rejected) {
		to = STORE_STATE_REJECTED;
		reasons = i % 2 ? "[{\"code\":\"card_expired\"}]" :
		    "[{\"code\":\"face_mismatch\"}]";
	} else if (i < dealers[d].rejected + dealers[d].reviewed) {
		to = STORE_STATE_REVIEW;
		reasons = "[{\"code\":\"duplicate_face\"}]";
	} else {
		to = STORE_STATE_APPROVED;
		reasons = "[]";
	}
	snprintf(ref, sizeof(ref), "order-%s-%d", dealers[d].code, i);
	memset(&c, 0, sizeof(c));
	c.order_ref = ref;
	c.channel = dealers[d].channel;
	c.dealer = dealers[d].code;
	c.declared_name = "\xe6\xb5\x8b\xe8\xaf\x95";
	c.id_number = "990101200001010018";
	c.id_number_hash = IMAGE_SHA;
	c.callback_url = hook_url;
	c.token_hash = TOKEN_HASH;
	c.token_expires_at = now + 3600 * 1000;
	if (store_case_create(st, &c, now, id) == -1)
		goto fail;
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		if (store_image_put(st, id, (enum store_side)side, blob,
		    sizeof(blob), IMAGE_SHA, "k1", "{}", now) == -1)
			goto fail;
	}
	if (store_case_transition(st, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "test", now) == -1 ||
	    store_case_claim(st, "test", 60000, now, &cl) == -1)
		goto fail;
	if (strcmp(cl.id, id) != 0) {
		fprintf(stderr, "# claimed %s, not %s (the pipeline's?)\n",
		    cl.id, id);
		store_case_release(&cl);
		return (-1);
	}
	memset(&ob, 0, sizeof(ob));
	ob.event = "case.decided";
	ob.url = hook_url;
	ob.payload = "{\"event\":\"case.decided\"}";
	ret = store_case_decide(st, id, cl.lease_token, to, DECISION, reasons,
	    &ob, now, NULL);
	store_case_release(&cl);
	if (ret == -1)
		goto fail;
	if (to != STORE_STATE_REVIEW)
		eligible[strcmp(dealers[d].channel, "web") ? 1 : 0]++;
	return (0);
fail:
	fprintf(stderr, "# case: %s\n", store_error(st));
	return (-1);
}

const char *
oversight_conf(void)
{
	static char	conf[512];

	/* No pipeline thread: the cases are the population's alone. */
	snprintf(conf, sizeof(conf), "pipeline_threads = 0\n"
	    "webhook_retry_base_s = 1\nqa_sample_share = %.2f\n"
	    "qa_sample_seed = %d\nidcheck_url = http://127.0.0.1:9\n",
	    OVERSIGHT_SHARE, OVERSIGHT_SEED);
	return (conf);
}

int
oversight_populate(struct harness *kore, const char *hook_url,
    int64_t eligible[2])
{
	struct store	*st;
	FILE		*fp;
	double		 t0;
	int		 d, i, k, ret;

	eligible[0] = eligible[1] = 0;
	/* The same policy the service was given, for these decisions. */
	store_qa_policy_set(OVERSIGHT_SHARE, OVERSIGHT_SEED);
	t0 = now_s();
	if (store_open(&st, kore->store_url) == -1) {
		fprintf(stderr, "# store: %s\n", st != NULL ?
		    store_error(st) : "out of memory");
		store_close(st);
		return (-1);
	}
	ret = -1;
	for (d = 0; d < NDEALERS; d++) {
		if (store_dealer_add(st, dealers[d].code, dealers[d].channel,
		    dealers[d].code, "test", store_now_ms()) == -1 &&
		    store_errcode(st) != STORE_CONFLICT) {
			fprintf(stderr, "# dealer: %s\n", store_error(st));
			goto done;
		}
	}
	/* Interleaved: dealer by dealer within each round. */
	for (i = 0; i < PER_DEALER; i++) {
		for (k = 0; k < NDEALERS; k++) {
			d = (k + i) % NDEALERS;
			if (decided_case(st, d, (i * 7 + d) % PER_DEALER,
			    hook_url, eligible) == -1)
				goto done;
		}
	}
	if (add_reviewer(st, "sue", STORE_ROLE_SUPERVISOR) == -1 ||
	    add_reviewer(st, "rita", STORE_ROLE_REVIEWER) == -1 ||
	    add_reviewer(st, "audrey", STORE_ROLE_AUDITOR) == -1)
		goto done;
	ret = 0;
done:
	store_close(st);
	if (ret == -1)
		return (-1);
	fprintf(stderr, "# %d cases decided in %.1f s\n", NDEALERS *
	    PER_DEALER, now_s() - t0);

	/* Now a pipeline thread polling often, for the webhooks. */
	if ((fp = fopen(kore->conf, "a")) == NULL)
		return (-1);
	fputs("pipeline_threads = 1\npoll_ms = 100\n", fp);
	fclose(fp);
	/* The old workers may hold the port a moment longer. */
	for (k = 0; k < 5; k++) {
		if (harness_restart(kore) == 0)
			return (0);
		sleep(1);
	}
	fprintf(stderr, "# kore did not restart\n");
	return (-1);
}
