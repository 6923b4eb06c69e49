/*
 * The store's delivery block: the order's approved case is found, one
 * attempt is counted at a time (compare-and-set on the attempt count),
 * CONFIRMED and REVIEW are final, and every recorded attempt leaves its
 * webhook and its audit row in the same transaction.  Run against
 * SQLite and a throwaway PostgreSQL cluster.
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

#define NUMBER		"990101200001010018"	/* not a real region */
#define TOKEN_HASH	\
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMAGE_SHA	\
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ORDER		"order-dlv-1"


/* A case for ORDER taken through the store to `to`. */
static void
make_case(struct fixture *fx, enum store_state to, int64_t now, char *id)
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
	c.order_ref = ORDER;
	c.channel = "web";
	c.declared_name = "张三";
	c.id_number = NUMBER;
	c.id_number_hash = hash;
	c.callback_url = "http://127.0.0.1:9/hook";
	c.dealer = "web-direct";
	c.token_hash = TOKEN_HASH;
	c.token_expires_at = now + 86400000;
	assert_int_equal(store_case_create(fx->h, &c, now, id), 0);
	if (to == STORE_STATE_OPEN)
		return;
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
	assert_int_equal(store_case_decide(fx->h, id, cl.lease_token, to,
	    "{}", "[]", &ob, now, NULL), 0);
	store_case_release(&cl);
}

static int
record(struct fixture *fx, const char *case_id, enum store_delivery_result r,
    int expected, int *no)
{
	struct store_delivery_attempt	a;
	struct store_outbox_new		ob;

	memset(&a, 0, sizeof(a));
	a.order_ref = ORDER;
	a.case_id = case_id;
	a.courier_id = "courier1";
	a.result = r;
	a.figures = "{\"face_score\":0.7}";
	a.reasons = "[]";
	memset(&ob, 0, sizeof(ob));
	ob.event = r == STORE_DELIVERY_RESULT_CONFIRMED ?
	    "delivery.confirmed" : "delivery.mismatch";
	ob.url = "http://127.0.0.1:9/hook";
	ob.payload = "{\"event\":\"delivery\"}";
	return (store_delivery_record(fx->h, &a, expected, &ob, fx->now, no));
}

static void
test_store_delivery_finds_the_approved_case_of_an_order(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c;
	char			 approved[STORE_ID_LEN + 1];
	char			 open[STORE_ID_LEN + 1];

	assert_int_equal(store_case_find_by_order(fx->h, ORDER, &c), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	make_case(fx, STORE_STATE_REJECTED, fx->now, open);
	assert_int_equal(store_case_find_by_order(fx->h, ORDER, &c), 0);
	assert_int_equal(c.state, STORE_STATE_REJECTED);
	store_case_release(&c);
	make_case(fx, STORE_STATE_APPROVED, fx->now + 1, approved);
	/* A newer open case does not hide the approved one. */
	make_case(fx, STORE_STATE_OPEN, fx->now + 2, open);
	assert_int_equal(store_case_find_by_order(fx->h, ORDER, &c), 0);
	assert_string_equal(c.id, approved);
	assert_int_equal(c.state, STORE_STATE_APPROVED);
	store_case_release(&c);
}

static void
test_store_delivery_counts_attempts_by_compare_and_set(void **state)
{
	struct fixture			*fx = *state;
	struct store_delivery		 d;
	struct store_audit_report	 rep;
	char				 id[STORE_ID_LEN + 1];
	int				 no;

	make_case(fx, STORE_STATE_APPROVED, fx->now, id);
	assert_int_equal(store_delivery_get(fx->h, ORDER, &d), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(fixture_outbox_rows(fx), 1);

	assert_int_equal(record(fx, id, STORE_DELIVERY_RESULT_MISMATCH, 0,
	    &no), 0);
	assert_int_equal(no, 1);
	/* A second writer that saw 0 attempts too is refused. */
	assert_int_equal(record(fx, id, STORE_DELIVERY_RESULT_CONFIRMED, 0,
	    &no), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(fixture_outbox_rows(fx), 2);

	assert_int_equal(store_delivery_get(fx->h, ORDER, &d), 0);
	assert_int_equal(d.state, STORE_DELIVERY_OPEN);
	assert_int_equal(d.attempts, 1);
	assert_true(d.has_result);
	assert_int_equal(d.last_result, STORE_DELIVERY_RESULT_MISMATCH);
	assert_string_equal(d.case_id, id);
	assert_string_equal(d.last_courier, "courier1");
	assert_string_equal(d.last_reasons, "[]");
	store_delivery_release(&d);

	assert_int_equal(record(fx, id, STORE_DELIVERY_RESULT_CONFIRMED, 1,
	    &no), 0);
	assert_int_equal(no, 2);
	assert_int_equal(store_delivery_get(fx->h, ORDER, &d), 0);
	assert_int_equal(d.state, STORE_DELIVERY_CONFIRMED);
	assert_true(d.confirmed_at > 0);
	store_delivery_release(&d);
	/* Final: nothing more is counted. */
	assert_int_equal(record(fx, id, STORE_DELIVERY_RESULT_MISMATCH, 2,
	    &no), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(fixture_outbox_rows(fx), 3);

	assert_int_equal(store_audit_verify(fx->h, &rep), 0);
	assert_int_equal(rep.first_bad_seq, 0);
}

static void
test_store_delivery_review_is_final(void **state)
{
	struct fixture		*fx = *state;
	struct store_delivery	 d;
	char			 id[STORE_ID_LEN + 1];

	make_case(fx, STORE_STATE_APPROVED, fx->now, id);
	assert_int_equal(record(fx, id, STORE_DELIVERY_RESULT_REVIEW, 0,
	    NULL), 0);
	assert_int_equal(store_delivery_get(fx->h, ORDER, &d), 0);
	assert_int_equal(d.state, STORE_DELIVERY_REVIEW);
	assert_int_equal(d.confirmed_at, 0);
	store_delivery_release(&d);
	assert_int_equal(record(fx, id, STORE_DELIVERY_RESULT_CONFIRMED, 1,
	    NULL), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
}

static void
test_store_delivery_face_roundtrip(void **state)
{
	struct fixture	*fx = *state;
	char		 id[STORE_ID_LEN + 1];
	float		 emb[512], back[512];
	int		 i;

	make_case(fx, STORE_STATE_APPROVED, fx->now, id);
	assert_int_equal(store_face_get(fx->h, id, back, 512), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	for (i = 0; i < 512; i++)
		emb[i] = (float)(i - 256) / 1024.0f;
	assert_int_equal(store_face_put(fx->h, id, emb, 512, fx->now), 0);
	assert_int_equal(store_face_get(fx->h, id, back, 512), 0);
	assert_memory_equal(emb, back, sizeof(emb));
	/* Another size is not silently truncated. */
	assert_int_equal(store_face_get(fx->h, id, back, 128), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INTERNAL);
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
		BOTH(test_store_delivery_finds_the_approved_case_of_an_order),
		BOTH(test_store_delivery_counts_attempts_by_compare_and_set),
		BOTH(test_store_delivery_review_is_final),
		BOTH(test_store_delivery_face_roundtrip),
	};

	return (cmocka_run_group_tests(tests, fixture_group_setup,
	    fixture_group_teardown));
}
