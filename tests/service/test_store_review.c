/*
 * The reviewer console's store calls: reviewers, lockout, sessions with
 * idle and absolute expiry, claims that expire, and a console decision
 * written once with its webhook and audit row, refused to anyone not
 * holding a live claim and, for an approval, without an upstream MATCH.
 * Run against SQLite and a throwaway PostgreSQL cluster.
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
#include "store_review.h"

#define NUMBER		"990101200001010018"	/* not a real region */
#define TOKEN_HASH	\
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMAGE_SHA	\
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SESSION_A	\
	"1111111111111111111111111111111111111111111111111111111111111111"
#define SESSION_B	\
	"2222222222222222222222222222222222222222222222222222222222222222"
#define CSRF		\
	"3333333333333333333333333333333333333333333333333333333333333333"
/* Not real Argon2id strings: the store keeps whatever hash it is given. */
#define PWHASH		"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"
#define MIN_MS		(60 * 1000)
#define DECISION_MATCH	"{\"outcome\":\"review\",\"rule\":\"face_uncertain\"," \
			"\"reasons\":[{\"code\":\"face_uncertain\"}]," \
			"\"upstream\":{\"called\":true,\"result\":\"match\"}}"
#define DECISION_NONE	"{\"outcome\":\"review\",\"rule\":\"upstream_deadline\"," \
			"\"reasons\":[{\"code\":\"registry_unavailable\"}]," \
			"\"upstream\":{\"called\":true,\"result\":" \
			"\"upstream_error\"}}"


/* A case taken through the store to REVIEW with this decision JSON. */
static void
review_case(struct fixture *fx, const char *decision, const char *reasons,
    const char *channel, int64_t now, char *id)
{
	const unsigned char	 blob[] = { 0x01, 0x00, 0xfe, 0xff, 0x42 };
	struct store_case_new	 c;
	struct store_case	 cl;
	struct store_outbox_new	 ob;
	char			 hash[STORE_HASH_HEX_LEN + 1];
	int			 side;

	assert_int_equal(store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
	    NUMBER, hash), 0);
	memset(&c, 0, sizeof(c));
	c.order_ref = "order-rev";
	c.channel = channel;
	c.declared_name = "张三";
	c.id_number = NUMBER;
	c.id_number_hash = hash;
	c.callback_url = "http://127.0.0.1:9/hook";
	c.dealer = "web-direct";
	c.token_hash = TOKEN_HASH;
	c.token_expires_at = now + 86400000;
	assert_int_equal(store_case_create(fx->h, &c, now, id), 0);
	for (side = 0; side < STORE_SIDE_COUNT; side++)
		assert_int_equal(store_image_put(fx->h, id,
		    (enum store_side)side, blob, sizeof(blob), IMAGE_SHA,
		    "k1", "{}", now), 0);
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "test", now), 0);
	assert_int_equal(store_case_claim(fx->h, "test", 60000, now, &cl), 0);
	assert_string_equal(cl.id, id);
	memset(&ob, 0, sizeof(ob));
	ob.event = "case.decided";
	ob.url = c.callback_url;
	ob.payload = "{}";
	assert_int_equal(store_case_decide(fx->h, id, cl.lease_token,
	    STORE_STATE_REVIEW, decision, reasons, &ob, now, NULL), 0);
	store_case_release(&cl);
}

static int
decide(struct fixture *fx, const char *id, const char *who,
    enum store_state to, int64_t now)
{
	struct store_review_decision	d;
	struct store_outbox_new		ob;

	memset(&d, 0, sizeof(d));
	d.case_id = id;
	d.reviewer = who;
	d.to = to;
	d.reason = to == STORE_STATE_APPROVED ? "approved" : "face_mismatch";
	d.comment = "checked by hand";
	d.reasons_json = "[]";
	memset(&ob, 0, sizeof(ob));
	ob.event = "case.decided";
	ob.url = "http://127.0.0.1:9/hook";
	ob.payload = "{\"outcome\":\"x\"}";
	return (store_review_decide(fx->h, &d, to == STORE_STATE_SUBMITTED ?
	    NULL : &ob, now, NULL));
}

static void
test_store_review_reviewers_add_list_disable_reset(void **state)
{
	struct fixture		*fx = *state;
	struct store_reviewer	 r, list[8];
	size_t			 n;

	assert_int_equal(store_reviewer_add(fx->h, "alice",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	assert_int_equal(store_reviewer_add(fx->h, "bob",
	    STORE_ROLE_SUPERVISOR, PWHASH, "admin", fx->now), 0);
	assert_int_equal(store_reviewer_add(fx->h, "alice",
	    STORE_ROLE_AUDITOR, PWHASH, "admin", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_reviewer_add(fx->h, "Bad Name",
	    STORE_ROLE_AUDITOR, PWHASH, "admin", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);

	assert_int_equal(store_reviewer_list(fx->h, list, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "alice");
	assert_int_equal(list[1].role, STORE_ROLE_SUPERVISOR);

	assert_int_equal(store_reviewer_login_ok(fx->h, "alice", SESSION_A,
	    CSRF, fx->now), 0);
	assert_int_equal(store_reviewer_disable(fx->h, "alice", 1, "admin",
	    fx->now), 0);
	assert_int_equal(store_reviewer_get(fx->h, "alice", &r), 0);
	assert_true(r.disabled);
	{
		struct store_session	s;

		/* Disabling ended the session. */
		assert_int_equal(store_session_get(fx->h, SESSION_A, MIN_MS,
		    60 * MIN_MS, fx->now, &s), -1);
		assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	}
	/* A disabled reviewer cannot log in. */
	assert_int_equal(store_reviewer_login_ok(fx->h, "alice", SESSION_B,
	    CSRF, fx->now), -1);
	assert_int_equal(store_reviewer_reset(fx->h, "alice", "$argon2id$new",
	    "admin", fx->now), 0);
	assert_int_equal(store_reviewer_get(fx->h, "alice", &r), 0);
	assert_string_equal(r.pwhash, "$argon2id$new");
	assert_int_equal(store_reviewer_reset(fx->h, "nobody", "$x",
	    "admin", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
}

static void
test_store_review_locks_after_max_failures_and_reset_unlocks(void **state)
{
	struct fixture		*fx = *state;
	struct store_reviewer	 r;
	int			 i, locked;

	assert_int_equal(store_reviewer_add(fx->h, "carol",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	for (i = 1; i <= 4; i++) {
		assert_int_equal(store_reviewer_login_failed(fx->h, "carol", 5,
		    MIN_MS, fx->now, &locked), 0);
		assert_false(locked);
	}
	assert_int_equal(store_reviewer_get(fx->h, "carol", &r), 0);
	assert_int_equal(r.failed_logins, 4);
	assert_true(r.locked_until <= fx->now);
	assert_int_equal(store_reviewer_login_failed(fx->h, "carol", 5,
	    MIN_MS, fx->now, &locked), 0);
	assert_true(locked);
	assert_int_equal(store_reviewer_get(fx->h, "carol", &r), 0);
	assert_int_equal(r.locked_until, fx->now + MIN_MS);
	assert_int_equal(store_reviewer_login_failed(fx->h, "nobody", 5,
	    MIN_MS, fx->now, &locked), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_reviewer_reset(fx->h, "carol", PWHASH, "admin",
	    fx->now), 0);
	assert_int_equal(store_reviewer_get(fx->h, "carol", &r), 0);
	assert_int_equal(r.locked_until, 0);
	assert_int_equal(r.failed_logins, 0);
}

static void
test_store_review_session_idle_and_absolute_expiry(void **state)
{
	struct fixture		*fx = *state;
	struct store_session	 s;
	int64_t			 t;

	assert_int_equal(store_reviewer_add(fx->h, "dave",
	    STORE_ROLE_AUDITOR, PWHASH, "admin", fx->now), 0);
	assert_int_equal(store_reviewer_login_ok(fx->h, "dave", SESSION_A,
	    CSRF, fx->now), 0);
	/* Touched every 50 s: never idle 60 s, but 10 minutes old at most. */
	for (t = fx->now; t < fx->now + 10 * MIN_MS; t += 50000) {
		assert_int_equal(store_session_get(fx->h, SESSION_A, MIN_MS,
		    10 * MIN_MS, t, &s), 0);
		assert_string_equal(s.reviewer, "dave");
		assert_int_equal(s.role, STORE_ROLE_AUDITOR);
		assert_string_equal(s.csrf, CSRF);
	}
	assert_int_equal(store_session_get(fx->h, SESSION_A, MIN_MS,
	    10 * MIN_MS, fx->now + 10 * MIN_MS, &s), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	/* Deleted once expired: a later, shorter look finds nothing. */
	assert_int_equal(store_session_get(fx->h, SESSION_A, 100 * MIN_MS,
	    100 * MIN_MS, fx->now + 1, &s), -1);

	assert_int_equal(store_reviewer_login_ok(fx->h, "dave", SESSION_B,
	    CSRF, fx->now), 0);
	assert_int_equal(store_session_get(fx->h, SESSION_B, MIN_MS,
	    10 * MIN_MS, fx->now + MIN_MS, &s), -1);
	assert_int_equal(store_reviewer_login_ok(fx->h, "dave", SESSION_A,
	    CSRF, fx->now), 0);
	assert_int_equal(store_session_delete(fx->h, SESSION_A, fx->now), 0);
	assert_int_equal(store_session_get(fx->h, SESSION_A, MIN_MS,
	    10 * MIN_MS, fx->now, &s), -1);
}

static void
test_store_review_claim_locks_until_it_expires(void **state)
{
	struct fixture	*fx = *state;
	char		 id[STORE_ID_LEN + 1], who[STORE_REVIEWER_NAME_MAX];
	int64_t		 until;

	assert_int_equal(store_reviewer_add(fx->h, "alice",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	assert_int_equal(store_reviewer_add(fx->h, "bob",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	review_case(fx, DECISION_MATCH, "[]", "web", fx->now, id);
	assert_int_equal(store_review_claim(fx->h, id, "alice", MIN_MS, 0,
	    fx->now, &until), 0);
	assert_int_equal(until, fx->now + MIN_MS);
	assert_int_equal(store_review_claim(fx->h, id, "bob", MIN_MS, 0,
	    fx->now + 1000, &until), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_review_claim_get(fx->h, id, fx->now + 1000,
	    who, &until), 0);
	assert_string_equal(who, "alice");
	/* Expired: anyone may take it. */
	assert_int_equal(store_review_claim_get(fx->h, id, fx->now + MIN_MS,
	    who, &until), -1);
	assert_int_equal(store_review_claim(fx->h, id, "bob", MIN_MS, 0,
	    fx->now + MIN_MS, &until), 0);
	/* A supervisor's take-over, and a release by the holder only. */
	assert_int_equal(store_review_claim(fx->h, id, "alice", MIN_MS, 1,
	    fx->now + MIN_MS + 1, &until), 0);
	assert_int_equal(store_review_release(fx->h, id, "bob",
	    fx->now + MIN_MS + 2), -1);
	assert_int_equal(store_review_release(fx->h, id, "alice",
	    fx->now + MIN_MS + 2), 0);
	assert_int_equal(store_review_claim_get(fx->h, id, fx->now + MIN_MS + 3,
	    who, &until), -1);
}

static void
test_store_review_decides_once_with_webhook_and_audit(void **state)
{
	struct fixture			*fx = *state;
	struct store_audit_report	 rep;
	struct store_audit_row		 rows[32];
	char				 id[STORE_ID_LEN + 1];
	int64_t				 before;
	size_t				 n, i;
	int				 seen;

	assert_int_equal(store_reviewer_add(fx->h, "alice",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	assert_int_equal(store_reviewer_add(fx->h, "bob",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	review_case(fx, DECISION_NONE, "[]", "web", fx->now, id);
	before = fixture_outbox_rows(fx);
	/* Unclaimed: refused. */
	assert_int_equal(decide(fx, id, "alice", STORE_STATE_REJECTED,
	    fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_review_claim(fx->h, id, "alice", MIN_MS, 0,
	    fx->now, NULL), 0);
	/* Someone else's claim: refused. */
	assert_int_equal(decide(fx, id, "bob", STORE_STATE_REJECTED,
	    fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	/* An expired claim: refused. */
	assert_int_equal(decide(fx, id, "alice", STORE_STATE_REJECTED,
	    fx->now + MIN_MS), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	/* No upstream MATCH: never approved, nothing written. */
	assert_int_equal(decide(fx, id, "alice", STORE_STATE_APPROVED,
	    fx->now + 10), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_int_equal(fixture_state_of(fx, id), STORE_STATE_REVIEW);
	assert_int_equal(fixture_outbox_rows(fx), before);

	assert_int_equal(decide(fx, id, "alice", STORE_STATE_REJECTED,
	    fx->now + 20), 0);
	assert_int_equal(fixture_state_of(fx, id), STORE_STATE_REJECTED);
	assert_int_equal(fixture_outbox_rows(fx), before + 1);
	/* Decided once. */
	assert_int_equal(store_review_claim(fx->h, id, "alice", MIN_MS, 0,
	    fx->now + 30, NULL), -1);
	assert_int_equal(decide(fx, id, "alice", STORE_STATE_REJECTED,
	    fx->now + 30), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(fixture_outbox_rows(fx), before + 1);

	assert_int_equal(store_audit_verify(fx->h, &rep), 0);
	assert_int_equal(rep.first_bad_seq, 0);
	assert_int_equal(store_audit_case(fx->h, id, rows, 32, &n), 0);
	seen = 0;
	for (i = 0; i < n; i++) {
		if (!strcmp(rows[i].event, "review.decided")) {
			assert_string_equal(rows[i].actor, "reviewer:alice");
			assert_non_null(strstr(rows[i].detail,
			    "\"to\":\"REJECTED\""));
			seen++;
		}
	}
	store_audit_rows_free(rows, n);
	assert_int_equal(seen, 1);
}

static void
test_store_review_approves_with_match_and_sends_back_without(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c;
	char			 a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];

	assert_true(store_decision_upstream_match(DECISION_MATCH));
	assert_false(store_decision_upstream_match(DECISION_NONE));
	assert_false(store_decision_upstream_match("{}"));
	assert_false(store_decision_upstream_match(NULL));
	assert_int_equal(store_reviewer_add(fx->h, "alice",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	review_case(fx, DECISION_MATCH, "[]", "web", fx->now, a);
	assert_int_equal(store_review_claim(fx->h, a, "alice", MIN_MS, 0,
	    fx->now, NULL), 0);
	assert_int_equal(decide(fx, a, "alice", STORE_STATE_APPROVED,
	    fx->now + 5), 0);
	assert_int_equal(fixture_state_of(fx, a), STORE_STATE_APPROVED);

	/* Back for a new ID check: the pipeline's queue takes it again. */
	review_case(fx, DECISION_NONE, "[]", "web", fx->now + 10, b);
	assert_int_equal(store_review_claim(fx->h, b, "alice", MIN_MS, 0,
	    fx->now + 10, NULL), 0);
	assert_int_equal(decide(fx, b, "alice", STORE_STATE_SUBMITTED,
	    fx->now + 20), 0);
	assert_int_equal(fixture_state_of(fx, b), STORE_STATE_SUBMITTED);
	assert_int_equal(store_case_claim(fx->h, "pipe", MIN_MS, fx->now + 30,
	    &c), 0);
	assert_string_equal(c.id, b);
	assert_int_equal(c.submitted_at, fx->now + 20);
	store_case_release(&c);
}

static void
test_store_review_queue_oldest_first_filters_and_stats(void **state)
{
	struct fixture			*fx = *state;
	struct store_review_item	*items;
	struct store_review_stats	 st;
	char				 a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
	char				 c[STORE_ID_LEN + 1];
	size_t				 n;

	assert_int_equal(store_reviewer_add(fx->h, "alice",
	    STORE_ROLE_REVIEWER, PWHASH, "admin", fx->now), 0);
	review_case(fx, DECISION_NONE, "[{\"code\":\"registry_unavailable\"}]",
	    "web", fx->now - 3 * 3600 * 1000, b);
	review_case(fx, DECISION_MATCH, "[{\"code\":\"face_uncertain\"}]",
	    "shop", fx->now - 5 * 3600 * 1000, a);
	review_case(fx, DECISION_MATCH, "[{\"code\":\"face_uncertain\"}]",
	    "web", fx->now - 1000, c);
	assert_int_equal(store_review_queue(fx->h, NULL, NULL, 50, fx->now,
	    &items, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(items[0].id, a);
	assert_string_equal(items[1].id, b);
	assert_string_equal(items[2].id, c);
	assert_string_equal(items[0].claimed_by, "");
	store_review_items_free(items, n);
	assert_int_equal(store_review_queue(fx->h, "face_uncertain", "web",
	    50, fx->now, &items, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].id, c);
	store_review_items_free(items, n);

	assert_int_equal(store_review_claim(fx->h, a, "alice", MIN_MS, 0,
	    fx->now, NULL), 0);
	assert_int_equal(store_review_queue(fx->h, NULL, NULL, 50, fx->now,
	    &items, &n), 0);
	assert_string_equal(items[0].claimed_by, "alice");
	store_review_items_free(items, n);
	assert_int_equal(decide(fx, a, "alice", STORE_STATE_REJECTED,
	    fx->now), 0);

	assert_int_equal(store_review_stats(fx->h, fx->now - 86400000,
	    fx->now, &st), 0);
	assert_int_equal(st.decided, 1);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.approved, 0);
	assert_int_equal(st.nreasons, 1);
	assert_string_equal(st.reason[0], "face_mismatch");
	assert_int_equal(st.time_p50, 5 * 3600 * 1000);
	assert_int_equal(st.per_day[STORE_REVIEW_STATS_DAYS - 1], 1);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.oldest_age, 3 * 3600 * 1000);
	assert_int_equal(st.age_buckets[0], 1);
	assert_int_equal(st.age_buckets[1], 1);
}

#define BOTH(t)								\
	cmocka_unit_test_prestate_setup_teardown(t, fixture_setup,		\
	    fixture_teardown, &fixture_sqlite),				\
	cmocka_unit_test_prestate_setup_teardown(t, fixture_setup,		\
	    fixture_teardown, &fixture_pg)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_store_review_reviewers_add_list_disable_reset),
		BOTH(test_store_review_locks_after_max_failures_and_reset_unlocks),
		BOTH(test_store_review_session_idle_and_absolute_expiry),
		BOTH(test_store_review_claim_locks_until_it_expires),
		BOTH(test_store_review_decides_once_with_webhook_and_audit),
		BOTH(test_store_review_approves_with_match_and_sends_back_without),
		BOTH(test_store_review_queue_oldest_first_filters_and_stats),
	};

	return (cmocka_run_group_tests(tests, fixture_group_setup,
	    fixture_group_teardown));
}
