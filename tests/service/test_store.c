/*
 * The store: one suite of behaviour tests, run once against SQLite (a
 * file in a temporary directory) and once against PostgreSQL (a
 * throwaway cluster started here, a fresh database per test).  Every
 * identity is synthetic.
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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "store.h"
#include "store_fixture.h"

#define LEASE_MS	30000
#define NAME_UYGHUR	"阿不都·热合曼"
#define NAME_RARE	"𠀀"	/* U+20000, four bytes in UTF-8 */
#define NUMBER		"990101200001010018"	/* not a real region */
#define TOKEN_HASH	\
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMAGE_SHA	\
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define REQ_HASH_A	\
	"1111111111111111111111111111111111111111111111111111111111111111"
#define REQ_HASH_B	\
	"2222222222222222222222222222222222222222222222222222222222222222"
#define THREADS		8
#define QUEUE_CASES	40


/*
 * Helpers.
 */

static void
make_case_number(struct fixture *fx, const char *name, const char *number,
    int64_t now, char *id)
{
	struct store_case_new	c;
	char			hash[STORE_HASH_HEX_LEN + 1];

	assert_int_equal(store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
	    number, hash), 0);
	memset(&c, 0, sizeof(c));
	c.order_ref = "order-0001";
	c.channel = "web";
	c.declared_name = name;
	c.id_number = number;
	c.id_number_hash = hash;
	c.callback_url = "http://127.0.0.1:9/hook";
	c.dealer = "web-direct";
	c.token_hash = TOKEN_HASH;
	c.token_expires_at = now + 86400000;
	if (store_case_create(fx->h, &c, now, id) == -1)
		printf("# create: %s\n", store_error(fx->h));
	assert_int_equal(strlen(id), STORE_ID_LEN);
}

static void
make_case(struct fixture *fx, const char *name, int64_t now, char *id)
{
	make_case_number(fx, name, NUMBER, now, id);
}

static void
accept_all(struct fixture *fx, const char *id, int64_t now)
{
	const unsigned char	blob[] = { 0x01, 0x00, 0xfe, 0xff, 0x42 };
	int			side;

	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		assert_int_equal(store_image_put(fx->h, id,
		    (enum store_side)side, blob, sizeof(blob), IMAGE_SHA,
		    "k1", "{\"sharpness\":1}", now), 0);
	}
}

static void
submitted_case(struct fixture *fx, int64_t now, char *id)
{
	make_case(fx, NAME_UYGHUR, now, id);
	accept_all(fx, id, now);
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "test", now), 0);
}

static void
claimed_case(struct fixture *fx, struct store_case *c)
{
	char	id[STORE_ID_LEN + 1];

	submitted_case(fx, fx->now, id);
	assert_int_equal(store_case_claim(fx->h, "worker-a", LEASE_MS,
	    fx->now, c), 0);
	assert_string_equal(c->id, id);
}

static const struct store_outbox_new decided_hook = {
	"case.decided", "http://127.0.0.1:9/hook",
	"{\"decision\":\"APPROVED\"}",
};

/* Runs SQL behind the store's back, as an intruder with the file would. */
static int
raw_exec(struct fixture *fx, const char *sql)
{
	sqlite3		*db;
	PGconn		*conn;
	PGresult	*res;
	int		 ok;

	if (fx->kind == BACKEND_SQLITE) {
		if (sqlite3_open(fx->url + 7, &db) != SQLITE_OK) {
			sqlite3_close(db);
			return (-1);
		}
		ok = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
		sqlite3_close(db);
		return (ok ? 0 : -1);
	}
	conn = PQconnectdb(fx->url);
	if (PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return (-1);
	}
	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	PQfinish(conn);
	return (ok ? 0 : -1);
}

static double
elapsed_s(const struct timespec *t0)
{
	struct timespec	t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
}

/*
 * Cases.
 */

static void
test_case_round_trip_keeps_utf8_names_byte_exact(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c;
	char			 id[STORE_ID_LEN + 1], id2[STORE_ID_LEN + 1];
	char			 hash[STORE_HASH_HEX_LEN + 1];
	const char		*names[] = { NAME_UYGHUR, NAME_RARE,
				    NAME_RARE NAME_UYGHUR };
	size_t			 i;

	for (i = 0; i < 3; i++) {
		make_case(fx, names[i], fx->now, id);
		assert_int_equal(store_case_get(fx->h, id, &c), 0);
		assert_int_equal(strlen(c.declared_name), strlen(names[i]));
		assert_memory_equal(c.declared_name, names[i],
		    strlen(names[i]) + 1);
		assert_string_equal(c.id_number, NUMBER);
		assert_string_equal(c.order_ref, "order-0001");
		assert_string_equal(c.channel, "web");
		assert_string_equal(c.callback_url,
		    "http://127.0.0.1:9/hook");
		assert_string_equal(c.token_hash, TOKEN_HASH);
		assert_int_equal(c.token_expires_at, fx->now + 86400000);
		assert_int_equal(c.state, STORE_STATE_OPEN);
		assert_int_equal(c.created_at, fx->now);
		assert_null(c.decision);
		assert_int_equal(c.lease_token[0], '\0');
		(void)store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
		    NUMBER, hash);
		assert_string_equal(c.id_number_hash, hash);
		store_case_release(&c);
	}
	/* Fresh random ids, and the keyed hash is not the plain one. */
	make_case(fx, NAME_RARE, fx->now, id2);
	assert_string_not_equal(id, id2);
	assert_null(strstr(hash, NUMBER));

	id[0] = id[0] == 'a' ? 'b' : 'a';
	assert_int_equal(store_case_get(fx->h, id, &c), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_case_get(fx->h, "../../etc", &c), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
}

static void
test_case_transition_refused_when_state_moved(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c;
	char			 id[STORE_ID_LEN + 1];
	int			 n;

	make_case(fx, NAME_UYGHUR, fx->now, id);
	/* Submit needs three accepted sides. */
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "order-system", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	accept_all(fx, id, fx->now);
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "order-system", fx->now + 1), 0);
	/* The same move again: the case is no longer OPEN. */
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "order-system", fx->now + 2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_EXPIRED, "janitor", fx->now + 2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_case_get(fx->h, id, &c), 0);
	assert_int_equal(c.state, STORE_STATE_SUBMITTED);
	assert_int_equal(c.submitted_at, fx->now + 1);
	store_case_release(&c);
	/* No retake once submitted. */
	assert_int_equal(store_image_put(fx->h, id, STORE_SIDE_FRONT, "x", 1,
	    IMAGE_SHA, "k1", "{}", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_case_count_attempt(fx->h, id, STORE_SIDE_BACK,
	    5, fx->now, &n), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	/* Leased states cannot be reached by a plain transition. */
	assert_int_equal(store_case_transition(fx->h, id,
	    STORE_STATE_SUBMITTED, STORE_STATE_PROCESSING, "x", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
}

static void
test_case_attempts_are_counted_and_capped_per_side(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c;
	char			 id[STORE_ID_LEN + 1];
	int			 n, i;

	make_case(fx, NAME_UYGHUR, fx->now, id);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(store_case_count_attempt(fx->h, id,
		    STORE_SIDE_FRONT, 3, fx->now, &n), 0);
		assert_int_equal(n, i);
	}
	assert_int_equal(store_case_count_attempt(fx->h, id, STORE_SIDE_FRONT,
	    3, fx->now, &n), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_non_null(strstr(store_error(fx->h), "limit"));
	assert_int_equal(store_case_count_attempt(fx->h, id,
	    STORE_SIDE_HOLDING, 3, fx->now, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_case_get(fx->h, id, &c), 0);
	assert_int_equal(c.attempts[STORE_SIDE_FRONT], 3);
	assert_int_equal(c.attempts[STORE_SIDE_BACK], 0);
	assert_int_equal(c.attempts[STORE_SIDE_HOLDING], 1);
	assert_int_equal(c.accepted[STORE_SIDE_FRONT], 0);
	store_case_release(&c);
}

static void
test_case_open_past_its_token_expiry_expires(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c;
	char			 id[STORE_ID_LEN + 1], late[STORE_ID_LEN + 1];
	char			 sub[STORE_ID_LEN + 1];
	int64_t			 n;

	make_case(fx, NAME_UYGHUR, fx->now, id);
	make_case(fx, NAME_UYGHUR, fx->now + 1000, late);
	submitted_case(fx, fx->now, sub);
	assert_int_equal(store_case_expire(fx->h, fx->now + 86400000 - 1, 10,
	    &n), 0);
	assert_int_equal(n, 0);
	/* Only the OPEN case whose token ran out; submitted ones stay. */
	assert_int_equal(store_case_expire(fx->h, fx->now + 86400000, 10, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(store_case_get(fx->h, id, &c), 0);
	assert_int_equal(c.state, STORE_STATE_EXPIRED);
	store_case_release(&c);
	assert_int_equal(store_case_get(fx->h, late, &c), 0);
	assert_int_equal(c.state, STORE_STATE_OPEN);
	store_case_release(&c);
	assert_int_equal(store_case_expire(fx->h, fx->now + 2 * 86400000, 10,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_case_get(fx->h, sub, &c), 0);
	assert_int_equal(c.state, STORE_STATE_SUBMITTED);
	store_case_release(&c);
}

static void
test_image_round_trip_purge_and_reuse(void **state)
{
	struct fixture		*fx = *state;
	struct store_image	 img;
	struct store_case	 c;
	unsigned char		 blob[70000];
	char			 id[STORE_ID_LEN + 1], id2[STORE_ID_LEN + 1];
	char			 other[STORE_ID_LEN + 1];
	int64_t			 purged;
	size_t			 i;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 7 + (i >> 8));
	make_case(fx, NAME_UYGHUR, fx->now, id);
	make_case(fx, NAME_RARE, fx->now, id2);
	assert_int_equal(store_image_put(fx->h, id, STORE_SIDE_BACK, blob,
	    sizeof(blob), IMAGE_SHA, "master-2", "{\"w\":1280}", fx->now), 0);
	assert_int_equal(store_image_get(fx->h, id, STORE_SIDE_BACK, &img), 0);
	assert_int_equal(img.len, sizeof(blob));
	assert_memory_equal(img.data, blob, sizeof(blob));
	assert_string_equal(img.key_id, "master-2");
	assert_string_equal(img.figures, "{\"w\":1280}");
	assert_string_equal(img.plain_sha256, IMAGE_SHA);
	store_image_release(&img);
	assert_int_equal(store_case_get(fx->h, id, &c), 0);
	assert_int_equal(c.accepted[STORE_SIDE_BACK], 1);
	assert_int_equal(c.accepted[STORE_SIDE_FRONT], 0);
	store_case_release(&c);
	assert_int_equal(store_image_get(fx->h, id, STORE_SIDE_FRONT, &img),
	    -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);

	/* The same plaintext in another case is a reuse signal. */
	assert_int_equal(store_image_find_reused(fx->h, id, IMAGE_SHA,
	    other), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_image_put(fx->h, id2, STORE_SIDE_FRONT, blob,
	    10, IMAGE_SHA, "master-2", "{}", fx->now), 0);
	assert_int_equal(store_image_find_reused(fx->h, id2, IMAGE_SHA,
	    other), 0);
	assert_string_equal(other, id);

	/* Retention drops the bytes and keeps the hash and figures. */
	assert_int_equal(store_image_purge(fx->h, fx->now + 1, fx->now + 2,
	    &purged), 0);
	assert_int_equal(purged, 2);
	assert_int_equal(store_image_get(fx->h, id, STORE_SIDE_BACK, &img), 0);
	assert_null(img.data);
	assert_int_equal(img.purged_at, fx->now + 2);
	assert_string_equal(img.plain_sha256, IMAGE_SHA);
	assert_string_equal(img.figures, "{\"w\":1280}");
	store_image_release(&img);
}

static void
test_face_similar_found_only_under_another_number(void **state)
{
	struct fixture		*fx = *state;
	float			 v[512], w[512], u[512];
	char			 a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
	char			 same[STORE_ID_LEN + 1], x[STORE_ID_LEN + 1];
	char			 other[STORE_ID_LEN + 1];
	double			 score;
	size_t			 i;

	for (i = 0; i < 512; i++) {
		v[i] = (float)((int)(i * 37 % 101) - 50) / 50.0f;
		w[i] = v[i] + (i % 7 == 0 ? 0.05f : 0.0f);
		u[i] = (float)((int)(i * 53 % 97) - 48) / 48.0f;
	}
	make_case_number(fx, NAME_UYGHUR, NUMBER, fx->now, a);
	make_case_number(fx, NAME_UYGHUR, NUMBER, fx->now, same);
	make_case_number(fx, NAME_RARE, "990101200001010026", fx->now, b);
	make_case_number(fx, NAME_RARE, "990101200001010034", fx->now, x);
	assert_int_equal(store_face_put(fx->h, a, v, 512, fx->now), 0);
	assert_int_equal(store_face_put(fx->h, same, v, 512, fx->now), 0);
	assert_int_equal(store_face_put(fx->h, x, u, 512, fx->now), 0);
	/* Nothing similar under another number yet. */
	assert_int_equal(store_face_find_similar(fx->h, a, v, 512, 0.8,
	    other, &score), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_face_put(fx->h, b, w, 512, fx->now), 0);
	assert_int_equal(store_face_find_similar(fx->h, a, v, 512, 0.8,
	    other, &score), 0);
	printf("# same face under another number: cosine %.4f\n", score);
	assert_string_equal(other, b);
	assert_true(score > 0.99 && score < 1.0);
	/* A rejected case no longer counts. */
	assert_int_equal(store_case_transition(fx->h, b, STORE_STATE_OPEN,
	    STORE_STATE_REJECTED, "test", fx->now), 0);
	assert_int_equal(store_face_find_similar(fx->h, a, v, 512, 0.8,
	    other, &score), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_face_put(fx->h, a, v, 0, fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
}

/*
 * The queue.
 */

struct claimer {
	const char		*url;
	pthread_barrier_t	*barrier;
	int64_t		 now;
	char		 owner[16];
	char		 ids[QUEUE_CASES][STORE_ID_LEN + 1];
	int		 n;
	int		 errors;
	char		 err[STORE_ERR_MAX];
};

static void *
claim_all(void *arg)
{
	struct claimer		*cl = arg;
	struct store		*h;
	struct store_case	 c;
	struct timespec		 work = { 0, 2000000 };

	if (store_open(&h, cl->url) == -1) {
		cl->errors++;
		(void)pthread_barrier_wait(cl->barrier);
		store_close(h);
		return (NULL);
	}
	/* Both connected before either claims: they really race. */
	(void)pthread_barrier_wait(cl->barrier);
	for (;;) {
		if (store_case_claim(h, cl->owner, LEASE_MS, cl->now,
		    &c) == -1) {
			if (store_errcode(h) != STORE_NOT_FOUND) {
				cl->errors++;
				(void)snprintf(cl->err, sizeof(cl->err), "%s",
				    store_error(h));
			}
			break;
		}
		if (cl->n < QUEUE_CASES)
			memcpy(cl->ids[cl->n], c.id, sizeof(c.id));
		cl->n++;
		store_case_release(&c);
		/*
		 * A moment of "work", as a real worker has: without it one
		 * SQLite writer re-takes the lock before the other's busy
		 * handler wakes up, and takes every case.
		 */
		(void)nanosleep(&work, NULL);
	}
	store_close(h);
	return (NULL);
}

static void
test_queue_concurrent_claims_never_share_a_case(void **state)
{
	struct fixture		*fx = *state;
	struct claimer		*cl;
	pthread_t		 t[2];
	pthread_barrier_t	 barrier;
	struct timespec		 t0;
	struct store_counts	 counts;
	char			 id[STORE_ID_LEN + 1];
	int			 i, j, k, total;

	for (i = 0; i < QUEUE_CASES; i++)
		submitted_case(fx, fx->now + i, id);
	cl = calloc(2, sizeof(*cl));
	assert_non_null(cl);
	assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		cl[i].url = fx->url;
		cl[i].barrier = &barrier;
		cl[i].now = fx->now + QUEUE_CASES;
		(void)snprintf(cl[i].owner, sizeof(cl[i].owner), "worker-%d",
		    i);
		assert_int_equal(pthread_create(&t[i], NULL, claim_all,
		    &cl[i]), 0);
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	(void)pthread_barrier_destroy(&barrier);
	printf("# %d claims by two handles in %.0f ms (2 ms work each)\n",
	    QUEUE_CASES, elapsed_s(&t0) * 1000.0);
	for (i = 0; i < 2; i++) {
		if (cl[i].errors)
			printf("# claimer %d: %s\n", i, cl[i].err);
		assert_int_equal(cl[i].errors, 0);
	}
	printf("# claims: worker-0 %d, worker-1 %d\n", cl[0].n, cl[1].n);
	total = cl[0].n + cl[1].n;
	assert_int_equal(total, QUEUE_CASES);
	/* No id twice, within or across the two claimers. */
	for (i = 0; i < 2; i++) {
		for (j = 0; j < cl[i].n; j++) {
			for (k = j + 1; k < cl[i].n; k++)
				assert_string_not_equal(cl[i].ids[j],
				    cl[i].ids[k]);
			for (k = 0; i == 0 && k < cl[1].n; k++)
				assert_string_not_equal(cl[0].ids[j],
				    cl[1].ids[k]);
		}
	}
	assert_int_equal(store_counts(fx->h, fx->now, &counts), 0);
	assert_int_equal(counts.cases[STORE_STATE_PROCESSING], QUEUE_CASES);
	assert_int_equal(counts.cases[STORE_STATE_SUBMITTED], 0);
	free(cl);
}

static void
test_queue_expired_lease_is_claimed_again(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c1, c2;

	claimed_case(fx, &c1);
	assert_int_equal(c1.claims, 1);
	assert_int_equal(c1.state, STORE_STATE_PROCESSING);
	assert_string_equal(c1.lease_owner, "worker-a");
	assert_int_equal(c1.lease_expires_at, fx->now + LEASE_MS);
	/* Held: nobody else gets it. */
	assert_int_equal(store_case_claim(fx->h, "worker-b", LEASE_MS,
	    fx->now + LEASE_MS - 1, &c2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	/* Renewed by its holder, it stays held past the first expiry. */
	assert_int_equal(store_case_renew(fx->h, c1.id, c1.lease_token,
	    LEASE_MS, fx->now + 1000), 0);
	assert_int_equal(store_case_claim(fx->h, "worker-b", LEASE_MS,
	    fx->now + LEASE_MS, &c2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	/* The holder died: once the lease runs out, the case comes back. */
	assert_int_equal(store_case_claim(fx->h, "worker-b", LEASE_MS,
	    fx->now + 1000 + LEASE_MS, &c2), 0);
	assert_string_equal(c2.id, c1.id);
	assert_string_equal(c2.lease_owner, "worker-b");
	assert_string_not_equal(c2.lease_token, c1.lease_token);
	assert_int_equal(c2.claims, 2);
	/* The old holder can no longer renew. */
	assert_int_equal(store_case_renew(fx->h, c1.id, c1.lease_token,
	    LEASE_MS, fx->now + 2000 + LEASE_MS), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	store_case_release(&c1);
	store_case_release(&c2);
}

static void
test_queue_decision_refused_after_losing_the_lease(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c1, c2, got;
	struct store_counts	 counts;
	char			 ob[STORE_ID_LEN + 1];
	int64_t			 later;

	claimed_case(fx, &c1);
	later = fx->now + LEASE_MS + 1;
	assert_int_equal(store_case_claim(fx->h, "worker-b", LEASE_MS, later,
	    &c2), 0);
	/* The first worker comes back late: its decision is refused. */
	assert_int_equal(store_case_decide(fx->h, c1.id, c1.lease_token,
	    STORE_STATE_APPROVED, "{\"by\":\"a\"}", "[]", &decided_hook,
	    later, ob), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_case_decide(fx->h, c2.id, c2.lease_token,
	    STORE_STATE_REJECTED, "{\"by\":\"b\"}", "[\"FACE_MISMATCH\"]",
	    &decided_hook, later + 1, ob), 0);
	/* Written once: the winner cannot decide a second time either. */
	assert_int_equal(store_case_decide(fx->h, c2.id, c2.lease_token,
	    STORE_STATE_APPROVED, "{\"by\":\"b\"}", "[]", &decided_hook,
	    later + 2, ob), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_case_get(fx->h, c1.id, &got), 0);
	assert_int_equal(got.state, STORE_STATE_REJECTED);
	assert_string_equal(got.decision, "{\"by\":\"b\"}");
	assert_string_equal(got.reasons, "[\"FACE_MISMATCH\"]");
	assert_int_equal(got.decided_at, later + 1);
	assert_int_equal(got.lease_token[0], '\0');
	assert_int_equal(store_counts(fx->h, later, &counts), 0);
	assert_int_equal(counts.outbox[STORE_OUTBOX_PENDING], 1);
	/* A decided case is never claimed again. */
	assert_int_equal(store_case_claim(fx->h, "worker-c", LEASE_MS,
	    later + 10 * LEASE_MS, &c2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	store_case_release(&got);
	store_case_release(&c1);
	store_case_release(&c2);
}

static void
test_queue_decision_and_outbox_are_atomic(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c, got;
	struct store_counts	 counts;
	struct store_outbox	 o;
	struct store_outbox_new	 bad = decided_hook;
	char			 ob[STORE_ID_LEN + 1];

	claimed_case(fx, &c);
	/* The outbox row fails a constraint after the case was updated. */
	bad.url = "ftp://127.0.0.1/hook";
	assert_int_equal(store_case_decide(fx->h, c.id, c.lease_token,
	    STORE_STATE_APPROVED, "{}", "[]", &bad, fx->now + 1, ob), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_int_equal(store_case_get(fx->h, c.id, &got), 0);
	assert_int_equal(got.state, STORE_STATE_PROCESSING);
	assert_string_equal(got.lease_token, c.lease_token);
	assert_null(got.decision);
	assert_int_equal(got.decided_at, 0);
	store_case_release(&got);
	assert_int_equal(store_counts(fx->h, fx->now, &counts), 0);
	assert_int_equal(counts.outbox[STORE_OUTBOX_PENDING], 0);
	assert_int_equal(counts.cases[STORE_STATE_APPROVED], 0);

	/* Still ours: the retry commits both. */
	assert_int_equal(store_case_decide(fx->h, c.id, c.lease_token,
	    STORE_STATE_APPROVED, "{\"face\":0.71}", "[]", &decided_hook,
	    fx->now + 2, ob), 0);
	assert_int_equal(store_outbox_get(fx->h, ob, &o), 0);
	assert_string_equal(o.case_id, c.id);
	assert_string_equal(o.event, "case.decided");
	assert_string_equal(o.payload, decided_hook.payload);
	assert_int_equal(o.state, STORE_OUTBOX_PENDING);
	assert_int_equal(o.next_attempt_at, fx->now + 2);
	store_outbox_release(&o);
	assert_int_equal(store_counts(fx->h, fx->now + 2, &counts), 0);
	assert_int_equal(counts.cases[STORE_STATE_APPROVED], 1);
	assert_int_equal(counts.outbox[STORE_OUTBOX_PENDING], 1);
	assert_int_equal(counts.outbox_due, 1);
	store_case_release(&c);
}

static void
test_queue_parked_case_is_due_at_its_retry_time(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c, again;

	claimed_case(fx, &c);
	assert_int_equal(store_case_park(fx->h, c.id, c.lease_token,
	    fx->now + 60000, "[\"UPSTREAM_ERROR\"]",
	    "{\"outcome\":\"parked\"}", fx->now + 1), 0);
	assert_int_equal(store_case_park(fx->h, c.id, c.lease_token,
	    fx->now + 60000, "[]", "{}", fx->now + 2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_case_claim(fx->h, "worker-b", LEASE_MS,
	    fx->now + 59999, &again), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_case_claim(fx->h, "worker-b", LEASE_MS,
	    fx->now + 60000, &again), 0);
	assert_string_equal(again.id, c.id);
	assert_int_equal(again.retry_at, fx->now + 60000);
	assert_string_equal(again.reasons, "[\"UPSTREAM_ERROR\"]");
	/* The parking decision comes back with the claim. */
	assert_non_null(again.decision);
	assert_string_equal(again.decision, "{\"outcome\":\"parked\"}");
	store_case_release(&again);
	store_case_release(&c);
}

/*
 * The outbox.
 */

static void
test_outbox_retry_is_scheduled_and_delivery_logged(void **state)
{
	struct fixture		*fx = *state;
	struct store_case	 c;
	struct store_outbox	 o, o2;
	char			 ob[STORE_ID_LEN + 1];
	int64_t			 t, n;

	claimed_case(fx, &c);
	t = fx->now + 10;
	assert_int_equal(store_case_decide(fx->h, c.id, c.lease_token,
	    STORE_STATE_REVIEW, "{}", "[\"LOW_LIVENESS\"]", &decided_hook, t,
	    ob), 0);
	assert_int_equal(store_outbox_claim(fx->h, "sender-a", 10000, t, &o),
	    0);
	assert_string_equal(o.id, ob);
	/* Leased: a second sender finds nothing. */
	assert_int_equal(store_outbox_claim(fx->h, "sender-b", 10000, t, &o2),
	    -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	/* The receiver answered 500: try again in a minute. */
	assert_int_equal(store_outbox_retry(fx->h, o.id, o.lease_token, 500,
	    "HTTP 500", 12, t + 60000, t + 20), 0);
	assert_int_equal(store_outbox_claim(fx->h, "sender-b", 10000,
	    t + 59999, &o2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_outbox_claim(fx->h, "sender-b", 10000,
	    t + 60000, &o2), 0);
	assert_string_equal(o2.id, ob);	/* stable delivery id */
	assert_int_equal(o2.attempts, 1);
	/* The first sender's lease is gone. */
	assert_int_equal(store_outbox_delivered(fx->h, o.id, o.lease_token,
	    200, 5, t + 60001), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_outbox_delivered(fx->h, o2.id, o2.lease_token,
	    200, 5, t + 60002), 0);
	store_outbox_release(&o);
	store_outbox_release(&o2);
	assert_int_equal(store_outbox_get(fx->h, ob, &o), 0);
	assert_int_equal(o.state, STORE_OUTBOX_DELIVERED);
	assert_int_equal(o.attempts, 2);
	assert_int_equal(o.delivered_at, t + 60002);
	store_outbox_release(&o);
	assert_int_equal(store_outbox_log_count(fx->h, ob, &n), 0);
	assert_int_equal(n, 2);

	/* Resend: the same row, due again; giving up marks it FAILED. */
	assert_int_equal(store_outbox_resend(fx->h, c.id, t + 70000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_outbox_claim(fx->h, "sender-a", 10000,
	    t + 70000, &o), 0);
	assert_string_equal(o.id, ob);
	assert_int_equal(store_outbox_retry(fx->h, o.id, o.lease_token, 0,
	    "connection refused", 3, STORE_OUTBOX_RETRY_NEVER, t + 70001), 0);
	store_outbox_release(&o);
	assert_int_equal(store_outbox_get(fx->h, ob, &o), 0);
	assert_int_equal(o.state, STORE_OUTBOX_FAILED);
	assert_int_equal(o.attempts, 3);
	store_outbox_release(&o);
	assert_int_equal(store_outbox_log_count(fx->h, ob, &n), 0);
	assert_int_equal(n, 3);
	store_case_release(&c);
}

/*
 * Idempotency keys.
 */

struct idem_racer {
	const char		*url;
	int64_t			 now;
	pthread_barrier_t	*barrier;
	int			 rc;
	struct store_idem	 idem;
	char			 err[STORE_ERR_MAX];
};

static void *
idem_race(void *arg)
{
	struct idem_racer	*r = arg;
	struct store		*h;

	r->rc = -1;
	if (store_open(&h, r->url) == -1) {
		(void)pthread_barrier_wait(r->barrier);
		store_close(h);
		return (NULL);
	}
	(void)pthread_barrier_wait(r->barrier);
	r->rc = store_idem_begin(h, "shop-1", "key-42", REQ_HASH_A, r->now,
	    &r->idem);
	if (r->rc == -1)
		(void)snprintf(r->err, sizeof(r->err), "%s", store_error(h));
	store_close(h);
	return (NULL);
}

static void
test_idempotency_insert_if_absent_under_concurrency(void **state)
{
	struct fixture		*fx = *state;
	struct idem_racer	 r[THREADS];
	pthread_t		 t[THREADS];
	pthread_barrier_t	 barrier;
	struct store_idem	 idem;
	int64_t			 n;
	int			 i, fresh;

	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	memset(r, 0, sizeof(r));
	for (i = 0; i < THREADS; i++) {
		r[i].url = fx->url;
		r[i].now = fx->now;
		r[i].barrier = &barrier;
		assert_int_equal(pthread_create(&t[i], NULL, idem_race, &r[i]),
		    0);
	}
	fresh = 0;
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (r[i].rc == -1)
			printf("# racer %d: %s\n", i, r[i].err);
		assert_int_equal(r[i].rc, 0);
		fresh += r[i].idem.fresh;
		if (!r[i].idem.fresh) {
			/* A concurrent duplicate: still running (409). */
			assert_int_equal(r[i].idem.status, 0);
			assert_string_equal(r[i].idem.request_hash,
			    REQ_HASH_A);
		}
		store_idem_release(&r[i].idem);
	}
	(void)pthread_barrier_destroy(&barrier);
	assert_int_equal(fresh, 1);

	/* The answer is stored once and replayed. */
	assert_int_equal(store_idem_finish(fx->h, "shop-1", "key-42", 201,
	    "{\"id\":\"c1\"}", fx->now + 1), 0);
	assert_int_equal(store_idem_finish(fx->h, "shop-1", "key-42", 201,
	    "{\"id\":\"c2\"}", fx->now + 2), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_idem_begin(fx->h, "shop-1", "key-42",
	    REQ_HASH_A, fx->now + 3, &idem), 0);
	assert_int_equal(idem.fresh, 0);
	assert_int_equal(idem.status, 201);
	assert_string_equal(idem.response, "{\"id\":\"c1\"}");
	store_idem_release(&idem);
	/* Same key, other body: the caller sees the other hash (422). */
	assert_int_equal(store_idem_begin(fx->h, "shop-1", "key-42",
	    REQ_HASH_B, fx->now + 4, &idem), 0);
	assert_int_equal(idem.fresh, 0);
	assert_string_equal(idem.request_hash, REQ_HASH_A);
	store_idem_release(&idem);
	/* Keys are per client; an abandoned key can be used again. */
	assert_int_equal(store_idem_begin(fx->h, "shop-2", "key-42",
	    REQ_HASH_B, fx->now, &idem), 0);
	assert_int_equal(idem.fresh, 1);
	assert_int_equal(store_idem_abandon(fx->h, "shop-2", "key-42"), 0);
	assert_int_equal(store_idem_begin(fx->h, "shop-2", "key-42",
	    REQ_HASH_A, fx->now, &idem), 0);
	assert_int_equal(idem.fresh, 1);
	/* Old keys expire. */
	assert_int_equal(store_idem_purge(fx->h, fx->now + 1, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_idem_begin(fx->h, "shop-1", "key-42",
	    REQ_HASH_B, fx->now + 5, &idem), 0);
	assert_int_equal(idem.fresh, 1);
}

/*
 * The audit chain.
 */

static void
test_audit_chain_verifies_and_finds_a_tampered_row(void **state)
{
	struct fixture			*fx = *state;
	struct store_audit_report	 r;
	char				 id[STORE_ID_LEN + 1], sql[256];

	submitted_case(fx, fx->now, id);	/* 1 + 3 images + 1 */
	assert_int_equal(store_audit_append(fx->h, NULL, "reviewer-7",
	    "review.login", "{\"ip\":\"127.0.0.1\"}", fx->now + 1), 0);
	assert_int_equal(store_audit_verify(fx->h, &r), 0);
	assert_int_equal(r.first_bad_seq, 0);
	assert_int_equal(r.rows, 6);

	/* The store refuses to change audit rows... */
	assert_int_equal(raw_exec(fx, "UPDATE audit SET actor = 'x' WHERE "
	    "seq = 3"), -1);
	assert_int_equal(raw_exec(fx, "DELETE FROM audit WHERE seq = 6"), -1);
	/* ...but whoever holds the database can: the chain shows it. */
	assert_int_equal(raw_exec(fx, fx->kind == BACKEND_SQLITE ?
	    "DROP TRIGGER audit_no_update" :
	    "ALTER TABLE audit DISABLE TRIGGER audit_no_change"), 0);
	(void)snprintf(sql, sizeof(sql), "UPDATE audit SET detail = "
	    "'{\"side\":\"front\",\"sha256\":\"%064d\"}' WHERE seq = 3", 0);
	assert_int_equal(raw_exec(fx, sql), 0);
	assert_int_equal(store_audit_verify(fx->h, &r), 0);
	printf("# tampered: first bad row %lld: %s\n",
	    (long long)r.first_bad_seq, r.reason);
	assert_int_equal(r.first_bad_seq, 3);
	assert_int_equal(r.rows, 2);
	assert_non_null(strstr(r.reason, "content"));
}

/*
 * Migrations, counts and failure.
 */

static void
test_migrations_run_twice_are_a_no_op(void **state)
{
	struct fixture	*fx = *state;
	char		 dir[64], sub[128], cmd[1536];
	int		 applied;

	applied = -1;
	assert_int_equal(store_migrate(fx->h, fx->sql_dir, &applied), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(store_migrate(fx->h, fx->sql_dir, &applied), 0);
	assert_int_equal(applied, 0);

	/* An applied migration edited afterwards is refused. */
	(void)snprintf(dir, sizeof(dir), "/tmp/rn-mig-XXXXXX");
	assert_non_null(mkdtemp(dir));
	(void)snprintf(sub, sizeof(sub), "%s/%s", dir, store_backend(fx->h));
	(void)snprintf(cmd, sizeof(cmd), "mkdir %s && cp %s/%s/*.sql %s/ && "
	    "echo '-- edited' >> %s/0001_init.sql", sub, fx->sql_dir,
	    store_backend(fx->h), sub, sub);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_migrate(fx->h, dir, &applied), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_non_null(strstr(store_error(fx->h), "changed"));
	/* A directory short of what the code needs is refused. */
	(void)snprintf(cmd, sizeof(cmd), "rm %s/000[3-9]_*.sql", sub);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_migrate(fx->h, dir, &applied), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_non_null(strstr(store_error(fx->h), "stops at version 2"));
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_counter_adds_per_key_and_day(void **state)
{
	struct fixture	*fx = *state;
	int64_t		 v;

	assert_int_equal(store_counter_add(fx->h, "idcheck:abc", "2026-11-29",
	    1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_counter_add(fx->h, "idcheck:abc", "2026-11-29",
	    1, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(store_counter_add(fx->h, "idcheck:abc", "2026-11-30",
	    1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_counter_add(fx->h, "idcheck:xyz", "2026-11-29",
	    5, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(store_counter_add(fx->h, "", "2026-11-29", 1, &v),
	    -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
}

static void
test_counts_report_cases_by_state(void **state)
{
	struct fixture		*fx = *state;
	struct store_counts	 counts;
	struct store_case	 c;
	char			 id[STORE_ID_LEN + 1];
	int64_t			 n;

	make_case(fx, NAME_UYGHUR, fx->now, id);
	make_case(fx, NAME_RARE, fx->now, id);
	submitted_case(fx, fx->now, id);
	submitted_case(fx, fx->now + 1, id);
	assert_int_equal(store_case_claim(fx->h, "w", LEASE_MS, fx->now, &c),
	    0);
	assert_int_equal(store_counts(fx->h, fx->now, &counts), 0);
	assert_int_equal(counts.cases[STORE_STATE_OPEN], 2);
	assert_int_equal(counts.cases[STORE_STATE_SUBMITTED], 1);
	assert_int_equal(counts.cases[STORE_STATE_PROCESSING], 1);
	assert_int_equal(counts.cases[STORE_STATE_APPROVED], 0);
	/* The per-number lookup goes by the keyed hash. */
	assert_int_equal(store_case_count_by_number(fx->h, c.id_number_hash,
	    STORE_STATE_OPEN, c.id, &n), 0);
	assert_int_equal(n, 2);
	store_case_release(&c);
	assert_int_equal(store_ping(fx->h), 0);
}

/*
 * A case of number declaring msisdn (kind), decided as `to` through the
 * queue like the pipeline does.  Returns the case id in id.
 */
static void
decided_case(struct fixture *fx, const char *number, enum store_case_kind
    kind, const char *msisdn, enum store_state to, char *id)
{
	struct store_case_new	cn;
	struct store_case	c;
	char			hash[STORE_HASH_HEX_LEN + 1];

	assert_int_equal(store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
	    number, hash), 0);
	memset(&cn, 0, sizeof(cn));
	cn.order_ref = "order-held";
	cn.channel = "web";
	cn.declared_name = NAME_UYGHUR;
	cn.id_number = number;
	cn.id_number_hash = hash;
	cn.callback_url = "http://127.0.0.1:9/hook";
	cn.dealer = "web-direct";
	cn.token_hash = TOKEN_HASH;
	cn.token_expires_at = fx->now + 86400000;
	cn.kind = kind;
	cn.msisdn = msisdn;
	assert_int_equal(store_case_create(fx->h, &cn, fx->now, id), 0);
	accept_all(fx, id, fx->now);
	assert_int_equal(store_case_transition(fx->h, id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "test", fx->now), 0);
	assert_int_equal(store_case_claim(fx->h, "w", LEASE_MS, fx->now, &c),
	    0);
	assert_string_equal(c.id, id);
	assert_int_equal(c.kind, kind);
	assert_string_equal(c.msisdn, msisdn != NULL ? msisdn : "");
	assert_string_equal(c.dealer, "web-direct");
	assert_int_equal(store_case_decide(fx->h, id, c.lease_token, to,
	    "{}", "[]", &decided_hook, fx->now, NULL), 0);
	store_case_release(&c);
}

static int64_t
held(struct fixture *fx, const char *hash, const char *except_msisdn,
    const char *except_case)
{
	int64_t	n;

	assert_int_equal(store_numbers_held(fx->h, hash, except_msisdn,
	    except_case, &n), 0);
	return (n);
}

/*
 * The per-ID cap counts the numbers an identity holds: its approved
 * cases that name no number, and its subscriber numbers (imported, or
 * recorded by an approved case that names one), never the number being
 * re-registered, never a number that moved to another identity.
 */
static void
test_numbers_held_count_imports_and_approvals_once(void **state)
{
	struct fixture		*fx = *state;
	struct store_subscriber	 rows[3];
	const char		*other = "990101200001010026";
	char			 h[STORE_HASH_HEX_LEN + 1];
	char			 oh[STORE_HASH_HEX_LEN + 1];
	char			 id[STORE_ID_LEN + 1], rid[STORE_ID_LEN + 1];
	int64_t			 added, kept, moved, n;

	assert_int_equal(store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
	    NUMBER, h), 0);
	assert_int_equal(store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
	    other, oh), 0);
	assert_int_equal(held(fx, h, NULL, NULL), 0);

	/* A new order without a number: one line by itself. */
	decided_case(fx, NUMBER, STORE_KIND_NEW, NULL, STORE_STATE_APPROVED,
	    id);
	assert_int_equal(held(fx, h, NULL, NULL), 1);
	/* Not while that very case is being decided again. */
	assert_int_equal(held(fx, h, NULL, id), 0);
	/* Rejected cases hold nothing, numbered or not. */
	decided_case(fx, NUMBER, STORE_KIND_NEW, "13900000009",
	    STORE_STATE_REJECTED, rid);
	assert_int_equal(held(fx, h, NULL, NULL), 1);

	/* Two imported numbers. */
	rows[0].msisdn = "13800138000";
	rows[0].id_number_hash = h;
	rows[1].msisdn = "13800138001";
	rows[1].id_number_hash = h;
	assert_int_equal(store_subscribers_import(fx->h, rows, 2, "test",
	    fx->now, &added, &kept, &moved), 0);
	assert_int_equal(added, 2);
	assert_int_equal(held(fx, h, NULL, NULL), 3);
	/* The number being re-registered is not counted against it. */
	assert_int_equal(held(fx, h, "13800138000", NULL), 2);

	/* Re-registering an imported number approved: still one number. */
	decided_case(fx, NUMBER, STORE_KIND_REREGISTRATION, "13800138001",
	    STORE_STATE_APPROVED, rid);
	assert_int_equal(held(fx, h, NULL, NULL), 3);
	assert_int_equal(store_subscribers_count(fx->h, h, &n), 0);
	assert_int_equal(n, 2);

	/* A new order naming a new number adds it, recorded once. */
	decided_case(fx, NUMBER, STORE_KIND_NEW, "13700000001",
	    STORE_STATE_APPROVED, rid);
	assert_int_equal(held(fx, h, NULL, NULL), 4);

	/* Its real holder re-registers 13800138000: it leaves NUMBER. */
	decided_case(fx, other, STORE_KIND_REREGISTRATION, "13800138000",
	    STORE_STATE_APPROVED, rid);
	assert_int_equal(held(fx, h, NULL, NULL), 3);
	assert_int_equal(held(fx, oh, NULL, NULL), 1);

	/* Importing the same rows again keeps them; one moves back. */
	rows[2].msisdn = "13800138000";
	rows[2].id_number_hash = h;
	assert_int_equal(store_subscribers_import(fx->h, rows + 1, 2, "test",
	    fx->now, &added, &kept, &moved), 0);
	assert_int_equal(added, 0);
	assert_int_equal(kept, 1);
	assert_int_equal(moved, 1);
	assert_int_equal(held(fx, h, NULL, NULL), 4);
	assert_int_equal(held(fx, oh, NULL, NULL), 0);
}

/* A bad row refuses the whole import; a re-registration needs a number. */
static void
test_numbers_import_and_case_refuse_bad_numbers(void **state)
{
	struct fixture		*fx = *state;
	struct store_subscriber	 rows[2];
	struct store_case_new	 cn;
	char			 h[STORE_HASH_HEX_LEN + 1];
	char			 id[STORE_ID_LEN + 1];
	int64_t			 n;

	assert_int_equal(store_id_number_hash(fixture_lookup_key, sizeof(fixture_lookup_key),
	    NUMBER, h), 0);
	rows[0].msisdn = "13800138000";
	rows[0].id_number_hash = h;
	rows[1].msisdn = "23800138000";		/* not a mobile number */
	rows[1].id_number_hash = h;
	assert_int_equal(store_subscribers_import(fx->h, rows, 2, "test",
	    fx->now, NULL, NULL, NULL), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_non_null(strstr(store_error(fx->h), "row 2"));
	assert_int_equal(store_subscribers_count(fx->h, h, &n), 0);
	assert_int_equal(n, 0);

	memset(&cn, 0, sizeof(cn));
	cn.order_ref = "order-rr";
	cn.channel = "web";
	cn.declared_name = NAME_UYGHUR;
	cn.id_number = NUMBER;
	cn.id_number_hash = h;
	cn.callback_url = "http://127.0.0.1:9/hook";
	cn.dealer = "web-direct";
	cn.token_hash = TOKEN_HASH;
	cn.token_expires_at = fx->now + 86400000;
	cn.kind = STORE_KIND_REREGISTRATION;
	assert_int_equal(store_case_create(fx->h, &cn, fx->now, id), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	cn.msisdn = "1380013800";
	assert_int_equal(store_case_create(fx->h, &cn, fx->now, id), -1);
	cn.msisdn = "13800138000";
	assert_int_equal(store_case_create(fx->h, &cn, fx->now, id), 0);
}

/* Dealers: added once, listed, disabled and enabled, each audited. */
static void
test_dealers_add_list_disable_audited(void **state)
{
	struct fixture			*fx = *state;
	struct store_dealer		 d, *list;
	struct store_audit_report	 rep;
	size_t				 n;

	assert_int_equal(store_dealer_add(fx->h, "shop-2", "app", "二号店",
	    "admin:test", fx->now), 0);
	assert_int_equal(store_dealer_add(fx->h, "shop-1", "web", "One",
	    "admin:test", fx->now), 0);
	assert_int_equal(store_dealer_add(fx->h, "shop-1", "app", "Again",
	    "admin:test", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_CONFLICT);
	assert_int_equal(store_dealer_add(fx->h, "shop 3", "web", "x",
	    "admin:test", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_INVALID);
	assert_int_equal(store_dealer_get(fx->h, "shop-9", &d), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_dealer_set_active(fx->h, "shop-2", 0,
	    "admin:test", fx->now + 1), 0);
	assert_int_equal(store_dealer_get(fx->h, "shop-2", &d), 0);
	assert_string_equal(d.channel, "app");
	assert_string_equal(d.name, "二号店");
	assert_int_equal(d.active, 0);
	assert_int_equal(d.updated_at, fx->now + 1);
	assert_int_equal(store_dealer_list(fx->h, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].code, "shop-1");
	assert_int_equal(list[0].active, 1);
	assert_string_equal(list[1].code, "shop-2");
	free(list);
	assert_int_equal(store_dealer_set_active(fx->h, "shop-9", 1,
	    "admin:test", fx->now), -1);
	assert_int_equal(store_errcode(fx->h), STORE_NOT_FOUND);
	assert_int_equal(store_audit_verify(fx->h, &rep), 0);
	assert_int_equal(rep.first_bad_seq, 0);
	assert_int_equal(rep.rows, 3);
}

static void
test_unreachable_store_is_unavailable_not_a_hang(void **state)
{
	struct fixture		*fx = *state;
	struct store		*h;
	struct store_case	 c;
	struct timespec		 t0;
	char			 id[STORE_ID_LEN + 1];

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fx->kind == BACKEND_SQLITE) {
		assert_int_equal(store_open(&h,
		    "sqlite:/nonexistent/rn/realname.db"), -1);
		assert_int_equal(store_errcode(h), STORE_UNAVAILABLE);
		assert_int_equal(store_ping(h), -1);
		assert_int_equal(store_errcode(h), STORE_UNAVAILABLE);
		store_close(h);
		return;
	}
	make_case(fx, NAME_UYGHUR, fx->now, id);
	assert_int_equal(fixture_pg_pause(), 0);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_ping(fx->h), -1);
	assert_int_equal(store_errcode(fx->h), STORE_UNAVAILABLE);
	assert_int_equal(store_case_get(fx->h, id, &c), -1);
	assert_int_equal(store_errcode(fx->h), STORE_UNAVAILABLE);
	printf("# server stopped: %s\n", store_error(fx->h));
	assert_int_equal(store_open(&h, fx->url), -1);
	assert_int_equal(store_errcode(h), STORE_UNAVAILABLE);
	store_close(h);
	printf("# unavailable answers took %.2f s\n", elapsed_s(&t0));
	assert_true(elapsed_s(&t0) < 10.0);
	/* The same handle reconnects once the server is back. */
	assert_int_equal(fixture_pg_resume(), 0);
	assert_int_equal(store_ping(fx->h), 0);
	assert_int_equal(store_case_get(fx->h, id, &c), 0);
	assert_memory_equal(c.declared_name, NAME_UYGHUR,
	    sizeof(NAME_UYGHUR));
	store_case_release(&c);
}

/* A server that accepts TCP and never speaks: connect_timeout decides. */
static void
test_silent_server_connect_is_bounded(void **state)
{
	struct fixture		*fx = *state;
	struct sockaddr_in	 sin;
	struct store		*h;
	struct timespec		 t0;
	socklen_t		 len;
	char			 url[128];
	int			 fd;

	(void)fx;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	(void)snprintf(url, sizeof(url), "postgresql://nobody@127.0.0.1:%d/x",
	    ntohs(sin.sin_port));
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_open(&h, url), -1);
	printf("# silent server: %.2f s: %s\n", elapsed_s(&t0),
	    store_error(h));
	assert_int_equal(store_errcode(h), STORE_UNAVAILABLE);
	assert_true(elapsed_s(&t0) < 8.0);
	store_close(h);
	(void)close(fd);
}

#define BOTH(f)								\
	{ "sqlite_" #f, f, fixture_setup, fixture_teardown,		\
	    &fixture_sqlite },						\
	{ "postgresql_" #f, f, fixture_setup, fixture_teardown,		\
	    &fixture_pg }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_case_round_trip_keeps_utf8_names_byte_exact),
		BOTH(test_case_transition_refused_when_state_moved),
		BOTH(test_case_attempts_are_counted_and_capped_per_side),
		BOTH(test_case_open_past_its_token_expiry_expires),
		BOTH(test_image_round_trip_purge_and_reuse),
		BOTH(test_face_similar_found_only_under_another_number),
		BOTH(test_queue_concurrent_claims_never_share_a_case),
		BOTH(test_queue_expired_lease_is_claimed_again),
		BOTH(test_queue_decision_refused_after_losing_the_lease),
		BOTH(test_queue_decision_and_outbox_are_atomic),
		BOTH(test_queue_parked_case_is_due_at_its_retry_time),
		BOTH(test_outbox_retry_is_scheduled_and_delivery_logged),
		BOTH(test_idempotency_insert_if_absent_under_concurrency),
		BOTH(test_audit_chain_verifies_and_finds_a_tampered_row),
		BOTH(test_migrations_run_twice_are_a_no_op),
		BOTH(test_counts_report_cases_by_state),
		BOTH(test_counter_adds_per_key_and_day),
		BOTH(test_numbers_held_count_imports_and_approvals_once),
		BOTH(test_numbers_import_and_case_refuse_bad_numbers),
		BOTH(test_dealers_add_list_disable_audited),
		BOTH(test_unreachable_store_is_unavailable_not_a_hang),
		{ "postgresql_test_silent_server_connect_is_bounded",
		    test_silent_server_connect_is_bounded, fixture_setup,
		    fixture_teardown, &fixture_pg },
	};

	return (cmocka_run_group_tests_name("store", tests,
	    fixture_group_setup, fixture_group_teardown));
}
