/*
 * QA sampling in the store: the pipeline's decisions taken through
 * store_case_decide on synthetic cases in two channels give each channel
 * exactly floor((n * s + u) / 10^6) samples (n * s within one) at the
 * positions the seeded start fixes, REVIEW decisions are never sampled;
 * a supervisor's agreement leaves the case alone, an override changes
 * it with its webhook and audit row, once, and approval fails closed
 * without an upstream MATCH; the per-dealer figures count what was
 * decided.  Run against SQLite and a throwaway PostgreSQL cluster.
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

#include "store.h"
#include "store_fixture.h"
#include "store_qa.h"
#include "store_review.h"

#define NUMBER		"990101200001010018"	/* not a real region */
#define TOKEN_HASH	\
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMAGE_SHA	\
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define PWHASH		"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"
#define DECISION_MATCH	"{\"outcome\":\"approved\",\"rule\":\"all_pass\"," \
			"\"upstream\":{\"called\":true,\"result\":\"match\"}}"
#define DECISION_NOMATCH "{\"outcome\":\"rejected\",\"rule\":\"upstream\"," \
			"\"upstream\":{\"called\":true,\"result\":\"no_match\"}}"
#define REASONS_REJ	"[{\"code\":\"face_mismatch\"}]"
#define SEED		INT64_C(424242)

/* The fixture, with the QA policy every test here samples by. */
static int
qa_setup(void **state)
{
	if (fixture_setup(state) == -1)
		return (-1);
	store_qa_policy_set(0.02, SEED);
	return (0);
}


/* A case opened, submitted, claimed and decided by "the pipeline". */
static void
decided_case(struct fixture *fx, const char *channel, const char *dealer,
    enum store_state to, const char *decision, char id[STORE_ID_LEN + 1])
{
	struct store_case_new	 c;
	struct store_case	 cl;
	struct store_outbox_new	 ob;
	char			 hash[STORE_HASH_HEX_LEN + 1];
	const unsigned char	 blob[] = { 0x01, 0x00, 0xfe };
	int			 side;

	assert_int_equal(store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
	    NUMBER, hash), 0);
	memset(&c, 0, sizeof(c));
	c.order_ref = "order-qa";
	c.channel = channel;
	c.dealer = dealer;
	c.declared_name = "测试";
	c.id_number = NUMBER;
	c.id_number_hash = hash;
	c.callback_url = "http://127.0.0.1:9/hook";
	c.token_hash = TOKEN_HASH;
	c.token_expires_at = fx->now + 86400000;
	if (store_case_create(fx->h, &c, fx->now, id) == -1)
		fail_msg("create: %s", store_error(fx->h));
	for (side = 0; side < STORE_SIDE_COUNT; side++)
		assert_int_equal(store_image_put(fx->h, id,
		    (enum store_side)side, blob, sizeof(blob), IMAGE_SHA,
		    "k1", "{}", fx->now), 0);
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "test", fx->now), 0);
	assert_int_equal(store_case_claim(fx->h, "test", 60000, fx->now, &cl),
	    0);
	assert_string_equal(cl.id, id);
	memset(&ob, 0, sizeof(ob));
	ob.event = "case.decided";
	ob.url = c.callback_url;
	ob.payload = "{}";
	assert_int_equal(store_case_decide(fx->h, id, cl.lease_token, to,
	    decision, to == STORE_STATE_REJECTED ? REASONS_REJ : "[]", &ob,
	    fx->now, NULL), 0);
	store_case_release(&cl);
}

/* The positions 1..n that systematic sampling picks, by the formula. */
static size_t
expected_positions(uint32_t share, uint32_t start, int64_t n, int64_t *pos)
{
	int64_t	i;
	size_t	k;

	k = 0;
	for (i = 1; i <= n; i++) {
		if ((i * share + start) / STORE_QA_PPM >
		    ((i - 1) * share + start) / STORE_QA_PPM)
			pos[k++] = i;
	}
	return (k);
}

/* Every n and start: the count is floor((n s + u) / 10^6), n s within 1. */
static void
test_qa_pick_gives_each_stratum_its_share_within_one(void **state)
{
	static const uint32_t	shares[] = { 20000, 1000, 333333, 1000000 };
	uint32_t		start;
	int64_t			n, sampled;
	double			want;
	size_t			s;

	(void)state;
	for (s = 0; s < sizeof(shares) / sizeof(shares[0]); s++) {
		for (start = 0; start < STORE_QA_PPM; start += 99991) {
			sampled = 0;
			for (n = 1; n <= 3000; n++) {
				if (store_qa_pick(shares[s], start, n, sampled))
					sampled++;
				want = (double)n * shares[s] / STORE_QA_PPM;
				assert_true(sampled > want - 1 &&
				    sampled < want + 1);
				assert_int_equal(sampled, (n * (int64_t)shares[s]
				    + start) / STORE_QA_PPM);
			}
		}
	}
	assert_false(store_qa_pick(0, 5, 10, 0));
}

static void
test_qa_start_is_reproducible_per_seed_and_channel(void **state)
{
	(void)state;
	assert_int_equal(store_qa_start(SEED, "web"),
	    store_qa_start(SEED, "web"));
	assert_true(store_qa_start(SEED, "web") < STORE_QA_PPM);
	/* Different strata, different seeds: different starts here. */
	assert_int_not_equal(store_qa_start(SEED, "web"),
	    store_qa_start(SEED, "shop"));
	assert_int_not_equal(store_qa_start(SEED, "web"),
	    store_qa_start(SEED + 1, "web"));
}

static void
test_qa_samples_each_channel_exactly_at_the_seeded_positions(void **state)
{
	struct fixture		*fx = *state;
	struct store_qa_sample	*list;
	static const char *const channels[] = { "web", "shop" };
	const int64_t		 count[] = { 230, 170 };
	char			 id[STORE_ID_LEN + 1];
	int64_t			 pos[64], seen;
	size_t			 n, i, c, k, want, got;
	int64_t			 j;

	store_qa_policy_set(0.02, SEED);
	/* Interleaved, with REVIEW decisions that are never eligible. */
	for (j = 0; j < 230; j++) {
		for (c = 0; c < 2; c++) {
			if (j >= count[c])
				continue;
			decided_case(fx, channels[c], "d1", j % 3 == 0 ?
			    STORE_STATE_REJECTED : STORE_STATE_APPROVED,
			    DECISION_MATCH, id);
			if (j % 10 == 0)
				decided_case(fx, channels[c], "d2",
				    STORE_STATE_REVIEW, DECISION_MATCH, id);
		}
	}
	assert_int_equal(store_qa_list(fx->h, STORE_QA_LIST_ALL, 1000, &list,
	    &n), 0);
	for (c = 0; c < 2; c++) {
		want = expected_positions(store_qa_share_ppm(),
		    store_qa_start(SEED, channels[c]), count[c], pos);
		/* 2 % of 230 is 4.6, of 170 3.4: within one. */
		assert_true((double)want > count[c] * 0.02 - 1 &&
		    (double)want < count[c] * 0.02 + 1);
		got = 0;
		for (i = 0; i < n; i++) {
			if (strcmp(list[i].channel, channels[c]))
				continue;
			seen = list[i].seq;
			for (k = 0; k < want && pos[k] != seen; k++)
				;
			if (k == want)
				fail_msg("%s sampled decision %lld, not a "
				    "seeded position", channels[c],
				    (long long)seen);
			assert_int_equal(list[i].verdict, STORE_QA_PENDING);
			assert_string_equal(list[i].dealer, "d1");
			assert_int_equal(list[i].auto_state, list[i].state);
			got++;
		}
		assert_int_equal(got, want);
	}
	store_qa_samples_free(list, n);
}

static void
test_qa_share_zero_samples_nothing(void **state)
{
	struct fixture		*fx = *state;
	struct store_qa_sample	*list;
	char			 id[STORE_ID_LEN + 1];
	size_t			 n;
	int			 i;

	store_qa_policy_set(0, SEED);
	for (i = 0; i < 5; i++)
		decided_case(fx, "web", "d1", STORE_STATE_APPROVED,
		    DECISION_MATCH, id);
	assert_int_equal(store_qa_list(fx->h, STORE_QA_LIST_ALL, 10, &list,
	    &n), 0);
	assert_int_equal(n, 0);
	store_qa_policy_set(0.02, SEED);
}

static void
supervisor(struct fixture *fx, const char *name)
{
	assert_int_equal(store_reviewer_add(fx->h, name,
	    STORE_ROLE_SUPERVISOR, PWHASH, "test", fx->now), 0);
}

static int
verdict(struct fixture *fx, const char *id, enum store_qa_verdict v,
    enum store_state to, const char *reason, char *oid)
{
	struct store_qa_decision	d;
	struct store_outbox_new		ob;

	memset(&d, 0, sizeof(d));
	d.case_id = id;
	d.supervisor = "sue";
	d.verdict = v;
	d.to = to;
	d.reason = reason;
	d.comment = "second look";
	d.reasons_json = to == STORE_STATE_REJECTED ? REASONS_REJ : "[]";
	memset(&ob, 0, sizeof(ob));
	ob.event = "case.decided";
	ob.url = "http://127.0.0.1:9/hook";
	ob.payload = "{\"qa_override\":true}";
	return (store_qa_decide(fx->h, &d, v == STORE_QA_OVERRIDE ? &ob :
	    NULL, fx->now, oid));
}

static int
audit_has(struct fixture *fx, const char *id, const char *event,
    const char *actor)
{
	struct store_audit_row	rows[32];
	size_t			n, i;
	int			found;

	assert_int_equal(store_audit_case(fx->h, id, rows, 32, &n), 0);
	found = 0;
	for (i = 0; i < n; i++)
		found |= !strcmp(rows[i].event, event) &&
		    !strcmp(rows[i].actor, actor);
	store_audit_rows_free(rows, n);
	return (found);
}

static void
test_qa_override_changes_case_once_with_webhook_and_audit(void **state)
{
	struct fixture		*fx = *state;
	struct store_qa_sample	 s, *list;
	char			 a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
	char			 oid[STORE_ID_LEN + 1];
	int64_t			 before;
	size_t			 n;

	store_qa_policy_set(1, SEED);	/* every decision */
	supervisor(fx, "sue");
	decided_case(fx, "web", "d1", STORE_STATE_APPROVED, DECISION_MATCH, a);
	decided_case(fx, "web", "d1", STORE_STATE_APPROVED, DECISION_MATCH, b);
	assert_true(audit_has(fx, a, "qa.sampled", "store"));

	before = fixture_outbox_rows(fx);
	/* An auto-approval can only be overridden to REJECTED. */
	assert_int_equal(verdict(fx, a, STORE_QA_OVERRIDE, STORE_STATE_REVIEW,
	    "face_mismatch", oid), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_int_equal(verdict(fx, a, STORE_QA_OVERRIDE,
	    STORE_STATE_REJECTED, "face_mismatch", oid), 0);
	assert_int_equal(fixture_state_of(fx, a), STORE_STATE_REJECTED);
	assert_int_equal(fixture_outbox_rows(fx), before + 1);
	assert_int_equal(strlen(oid), STORE_ID_LEN);
	assert_true(audit_has(fx, a, "qa.overridden", "supervisor:sue"));

	/* Once. */
	assert_int_equal(verdict(fx, a, STORE_QA_OVERRIDE,
	    STORE_STATE_REJECTED, "face_mismatch", oid), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	/* Agreement: the case stays, no webhook. */
	assert_int_equal(verdict(fx, b, STORE_QA_AGREE, STORE_STATE_APPROVED,
	    NULL, oid), 0);
	assert_int_equal(fixture_state_of(fx, b), STORE_STATE_APPROVED);
	assert_int_equal(fixture_outbox_rows(fx), before + 1);
	assert_true(audit_has(fx, b, "qa.agreed", "supervisor:sue"));

	assert_int_equal(verdict(fx, b, STORE_QA_AGREE, STORE_STATE_APPROVED,
	    NULL, oid), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);

	assert_int_equal(store_qa_sample_get(fx->h, a, &s), 0);
	assert_int_equal(s.verdict, STORE_QA_OVERRIDE);
	assert_int_equal(s.auto_state, STORE_STATE_APPROVED);
	assert_int_equal(s.to_state, STORE_STATE_REJECTED);
	assert_string_equal(s.supervisor, "sue");
	assert_string_equal(s.reason, "face_mismatch");
	assert_string_equal(s.comment, "second look");
	assert_int_equal(s.reviewed_at, fx->now);
	store_qa_samples_free(NULL, 0);
	free(s.comment);
	free(s.reasons);

	assert_int_equal(store_qa_list(fx->h, STORE_QA_LIST_OVERRIDES, 10,
	    &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].case_id, a);
	store_qa_samples_free(list, n);
	assert_int_equal(store_qa_list(fx->h, STORE_QA_LIST_PENDING, 10,
	    &list, &n), 0);
	assert_int_equal(n, 0);
	store_qa_samples_free(list, n);
	store_qa_policy_set(0.02, SEED);
}

static void
test_qa_override_to_approved_fails_closed_without_match(void **state)
{
	struct fixture	*fx = *state;
	char		 a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
	char		 oid[STORE_ID_LEN + 1];

	store_qa_policy_set(1, SEED);
	supervisor(fx, "sue");
	decided_case(fx, "web", "d1", STORE_STATE_REJECTED, DECISION_NOMATCH,
	    a);
	decided_case(fx, "web", "d1", STORE_STATE_REJECTED, DECISION_MATCH, b);
	assert_int_equal(verdict(fx, a, STORE_QA_OVERRIDE,
	    STORE_STATE_APPROVED, "approved", oid), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_int_equal(fixture_state_of(fx, a), STORE_STATE_REJECTED);
	/* Back to a human review is always allowed. */
	assert_int_equal(verdict(fx, a, STORE_QA_OVERRIDE, STORE_STATE_REVIEW,
	    "needs_review", oid), 0);
	assert_int_equal(fixture_state_of(fx, a), STORE_STATE_REVIEW);
	/* With the upstream MATCH, approval is allowed. */
	assert_int_equal(verdict(fx, b, STORE_QA_OVERRIDE,
	    STORE_STATE_APPROVED, "approved", oid), 0);
	assert_int_equal(fixture_state_of(fx, b), STORE_STATE_APPROVED);
	store_qa_policy_set(0.02, SEED);
}

static void
test_oversight_dealers_count_decisions_reasons_and_samples(void **state)
{
	struct fixture		*fx = *state;
	struct rn_oversight_row	*rows, *r;
	char			 id[STORE_ID_LEN + 1], oid[STORE_ID_LEN + 1];
	size_t			 n, i;

	store_qa_policy_set(1, SEED);
	supervisor(fx, "sue");
	decided_case(fx, "web", "d1", STORE_STATE_APPROVED, DECISION_MATCH, id);
	assert_int_equal(verdict(fx, id, STORE_QA_OVERRIDE,
	    STORE_STATE_REJECTED, "face_mismatch", oid), 0);
	decided_case(fx, "web", "d1", STORE_STATE_REJECTED, DECISION_MATCH, id);
	decided_case(fx, "web", "d1", STORE_STATE_REVIEW, DECISION_MATCH, id);
	decided_case(fx, "shop", "s1", STORE_STATE_APPROVED, DECISION_MATCH,
	    id);
	assert_int_equal(store_oversight_dealers(fx->h, fx->now - 1000, &rows,
	    &n), 0);
	assert_int_equal(n, 2);
	r = NULL;
	for (i = 0; i < n; i++) {
		if (!strcmp(rows[i].dealer, "d1"))
			r = &rows[i];
	}
	assert_non_null(r);
	assert_string_equal(r->channel, "web");
	assert_int_equal(r->volume, 3);
	assert_int_equal(r->decided, 3);
	assert_int_equal(r->rejected, 2);
	assert_int_equal(r->approved, 0);
	assert_int_equal(r->reviewed, 1);
	assert_int_equal(r->qa_sampled, 2);
	assert_int_equal(r->qa_checked, 1);
	assert_int_equal(r->qa_overridden, 1);
	assert_int_equal(r->ncodes, 1);
	assert_string_equal(r->code[0], "face_mismatch");
	assert_int_equal(r->code_count[0], 2);
	free(rows);
	store_qa_policy_set(0.02, SEED);
}

#define BOTH(t)								\
	cmocka_unit_test_prestate_setup_teardown(t, qa_setup,		\
	    fixture_teardown, &fixture_sqlite),				\
	cmocka_unit_test_prestate_setup_teardown(t, qa_setup,		\
	    fixture_teardown, &fixture_pg)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_qa_pick_gives_each_stratum_its_share_within_one),
		cmocka_unit_test(
		    test_qa_start_is_reproducible_per_seed_and_channel),
		BOTH(test_qa_samples_each_channel_exactly_at_the_seeded_positions),
		BOTH(test_qa_share_zero_samples_nothing),
		BOTH(test_qa_override_changes_case_once_with_webhook_and_audit),
		BOTH(test_qa_override_to_approved_fails_closed_without_match),
		BOTH(test_oversight_dealers_count_decisions_reasons_and_samples),
	};

	return (cmocka_run_group_tests(tests, fixture_group_setup,
	    fixture_group_teardown));
}
