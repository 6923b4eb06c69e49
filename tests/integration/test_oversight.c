/*
 * Operator oversight inside a real kore on a real SQLite store (issue
 * 9): 300 cases over two channels and six dealers, decided through the
 * store's own decision call with the service's sampling policy (2 %,
 * seed 7), one dealer rejected at three times the overall rate.  Then,
 * through the console: the seeded sample is in the supervisor's QA
 * queue with each channel's exact count; an override changes the case,
 * is audited and sends its webhook, and is in the overrides report; an
 * agreement leaves the case; the flagged dealer (and only it) is
 * flagged and the CSV carries the same numbers as the API's table;
 * reviewers and auditors get 403 "forbidden" on every supervisor route
 * while the auditor still reads a case.
 *
 * The cases are written while kore runs no pipeline thread (so none of
 * them is taken by it), then kore restarts with one to deliver the
 * webhooks.
 */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "console.h"
#include "harness.h"
#include "oversight_cases.h"
#include "receiver.h"
#include "review_auth.h"
#include "store.h"
#include "store_qa.h"
#include "store_review.h"

#define PASSWORD	OVERSIGHT_PASSWORD
#define TOKEN_MAX	(RN_REVIEW_TOKEN_LEN + 1)
#define SHARE		OVERSIGHT_SHARE
#define SEED		OVERSIGHT_SEED
#define PER_DEALER	OVERSIGHT_PER_DEALER
#define NDEALERS	OVERSIGHT_DEALERS

static struct harness	kore;
static struct receiver	rx;
static struct console	sup, rev, aud;
static int64_t		eligible[2];	/* web, shop */

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/*
 * A member of the flat JSON object that starts at obj (our own output,
 * one object per array element): the raw text of its value in out.
 */
static int
member(const char *obj, const char *key, char *out, size_t len)
{
	char		 pat[80];
	const char	*p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(obj, pat)) == NULL)
		return (-1);
	p += strlen(pat);
	if (*p == '"') {
		p++;
		e = strchr(p, '"');
	} else
		e = p + strcspn(p, ",}]");
	if (e == NULL || (size_t)(e - p) >= len)
		return (-1);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return (0);
}

/* Splits an array of objects at each "{\"<first>\":" into elements. */
static size_t
elements(char *body, const char *first, char **out, size_t max)
{
	char	 pat[64], *p;
	size_t	 n, i;

	snprintf(pat, sizeof(pat), "{\"%s\":", first);
	n = 0;
	for (p = strstr(body, pat); p != NULL && n < max;
	    p = strstr(p + 1, pat))
		out[n++] = p;
	/* Each element ends where the next begins. */
	for (i = 0; i + 1 < n; i++)
		out[i + 1][-1] = '\0';
	return (n);
}

/*
 * The console as this suite's kore sees it (tests/support/console.h);
 * every call of a logged-in console carries its CSRF token.
 */
#define call(c, m, p, b, r)						\
	console_call(&kore, c, (c) != NULL, m, p, b, r)
#define login(n, c)		console_login_ok(&kore, n, PASSWORD, c)

static int
group_setup(void **state)
{
	char	url[128];

	(void)state;
	if (receiver_start(&rx) == -1)
		return (-1);
	if (harness_start(&kore, oversight_conf()) == -1) {
		printf("# kore did not start\n");
		return (-1);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	if (oversight_populate(&kore, url, eligible) == -1)
		return (-1);
	login("sue", &sup);
	login("rita", &rev);
	login("audrey", &aud);
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&kore);
	harness_cleanup(&kore);
	receiver_stop(&rx);
	return (0);
}

static void
test_oversight_seeded_sample_is_in_the_queue_per_channel(void **state)
{
	static const char *const channels[] = { "web", "shop" };
	struct http_reply	 r;
	char			*items[64], v[128];
	size_t			 n, i, c, got;
	int64_t			 want;

	(void)state;
	assert_int_equal(call(&sup, "GET", "/review/api/qa/queue", NULL, &r),
	    200);
	assert_int_equal(member(r.body, "share", v, sizeof(v)), 0);
	assert_true(fabs(atof(v) - SHARE) < 1e-9);
	n = elements(r.body, "case_id", items, 64);
	for (c = 0; c < 2; c++) {
		/* floor((n s + u) / 10^6): n s within one, never luck. */
		want = (eligible[c] * (int64_t)(SHARE * STORE_QA_PPM + 0.5) +
		    store_qa_start(SEED, channels[c])) / STORE_QA_PPM;
		assert_true(want > eligible[c] * SHARE - 1 &&
		    want < eligible[c] * SHARE + 1);
		got = 0;
		for (i = 0; i < n; i++) {
			assert_int_equal(member(items[i], "channel", v,
			    sizeof(v)), 0);
			if (!strcmp(v, channels[c]))
				got++;
		}
		printf("# %s: %lld eligible decisions, %zu sampled "
		    "(%.2f expected)\n", channels[c],
		    (long long)eligible[c], got, eligible[c] * SHARE);
		assert_int_equal(got, want);
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(member(items[i], "verdict", v, sizeof(v)), 0);
		assert_string_equal(v, "pending");
		assert_int_equal(member(items[i], "auto_state", v, sizeof(v)),
		    0);
		assert_true(!strcmp(v, "APPROVED") || !strcmp(v, "REJECTED"));
	}
	http_reply_free(&r);
}

/*
 * Through the console, not the store: a second SQLite connection from
 * this process, closed while kore's are open, could delete the WAL that
 * kore still writes to.
 */
static char *
case_view(const char *id)
{
	struct http_reply	 r;
	char			 path[128], *body;

	snprintf(path, sizeof(path), "/review/api/cases/%s", id);
	assert_int_equal(call(&sup, "GET", path, NULL, &r), 200);
	body = r.body;
	r.body = NULL;
	http_reply_free(&r);
	return (body);
}

static int
audited(const char *id, const char *event, const char *actor)
{
	char	*body, pat[128];
	int	 found;

	body = case_view(id);
	snprintf(pat, sizeof(pat), "\"actor\":\"%s\",\"event\":\"%s\"",
	    actor, event);
	found = strstr(body, pat) != NULL;
	free(body);
	return (found);
}

static int
state_is(const char *id, const char *state)
{
	char	*body, v[32];
	int	 ret;

	body = case_view(id);
	ret = member(body, "state", v, sizeof(v)) == 0 && !strcmp(v, state);
	free(body);
	return (ret);
}

static void
test_oversight_override_is_audited_changes_the_case_and_sends_webhook(
    void **state)
{
	struct http_reply	 r;
	char			*items[64], v[64], body[256], path[128];
	char			 target[STORE_ID_LEN + 1], other[STORE_ID_LEN + 1];
	char			 auto_state[16];
	size_t			 n, i;
	double			 t0;
	int			 found;

	(void)state;
	assert_int_equal(call(&sup, "GET", "/review/api/qa/queue", NULL, &r),
	    200);
	n = elements(r.body, "case_id", items, 64);
	assert_true(n >= 2);
	assert_int_equal(member(items[0], "case_id", target, sizeof(target)),
	    0);
	assert_int_equal(member(items[0], "auto_state", auto_state,
	    sizeof(auto_state)), 0);
	assert_int_equal(member(items[1], "case_id", other, sizeof(other)), 0);
	http_reply_free(&r);

	/* No comment: refused; then the override. */
	snprintf(path, sizeof(path), "/review/api/qa/%s/verdict", target);
	if (!strcmp(auto_state, "APPROVED"))
		snprintf(body, sizeof(body), "{\"verdict\":\"override\","
		    "\"to\":\"rejected\",\"reason\":\"face_mismatch\"}");
	else
		snprintf(body, sizeof(body), "{\"verdict\":\"override\","
		    "\"to\":\"review\"}");
	assert_int_equal(call(&sup, "POST", path, body, &r), 400);
	http_reply_free(&r);
	body[strlen(body) - 1] = '\0';
	strncat(body, ",\"comment\":\"the card photo is a screen\"}",
	    sizeof(body) - strlen(body) - 1);
	assert_int_equal(call(&sup, "POST", path, body, &r), 200);
	assert_non_null(strstr(r.body, "\"verdict\":\"override\""));
	http_reply_free(&r);
	assert_true(state_is(target, !strcmp(auto_state, "APPROVED") ?
	    "REJECTED" : "REVIEW"));
	assert_true(audited(target, "qa.overridden", "supervisor:sue"));
	/* Once only. */
	assert_int_equal(call(&sup, "POST", path, body, &r), 409);
	http_reply_free(&r);

	/* An agreement leaves its case as it was. */
	snprintf(path, sizeof(path), "/review/api/qa/%s/verdict", other);
	assert_int_equal(call(&sup, "POST", path, "{\"verdict\":\"agree\"}",
	    &r), 200);
	http_reply_free(&r);
	assert_true(audited(other, "qa.agreed", "supervisor:sue"));
	assert_true(state_is(other, "APPROVED"));
	assert_int_equal(call(&sup, "GET", "/review/api/qa/queue", NULL, &r),
	    200);
	assert_null(strstr(r.body, target));
	assert_null(strstr(r.body, other));
	http_reply_free(&r);

	/* The overrides report: who, when, from, to, reason. */
	assert_int_equal(call(&sup, "GET", "/review/api/qa/overrides", NULL,
	    &r), 200);
	n = elements(r.body, "case_id", items, 64);
	assert_int_equal(n, 1);
	assert_int_equal(member(items[0], "case_id", v, sizeof(v)), 0);
	assert_string_equal(v, target);
	assert_int_equal(member(items[0], "supervisor", v, sizeof(v)), 0);
	assert_string_equal(v, "sue");
	assert_int_equal(member(items[0], "from", v, sizeof(v)), 0);
	assert_string_equal(v, auto_state);
	assert_int_equal(member(items[0], "to", v, sizeof(v)), 0);
	assert_string_equal(v, !strcmp(auto_state, "APPROVED") ? "REJECTED" :
	    "REVIEW");
	assert_int_equal(member(items[0], "reviewed_at", v, sizeof(v)), 0);
	assert_true(atoll(v) > 0);
	http_reply_free(&r);

	/* The override's webhook reaches the order system. */
	t0 = now_s();
	found = 0;
	while (!found && now_s() - t0 < 90) {
		pthread_mutex_lock(&rx.lock);
		for (i = 0; i < (size_t)rx.nhooks; i++) {
			if (strstr(rx.hooks[i].body, target) != NULL &&
			    strstr(rx.hooks[i].body, "\"qa_override\":true") !=
			    NULL &&
			    strstr(rx.hooks[i].body, "\"decided_by\":"
			    "\"supervisor\"") != NULL &&
			    strstr(rx.hooks[i].body, "\"dealer\":\"") != NULL)
				found = 1;
		}
		pthread_mutex_unlock(&rx.lock);
		if (!found)
			usleep(100 * 1000);
	}
	assert_true(found);
}

static void
test_oversight_flags_the_dealer_and_csv_matches_the_table(void **state)
{
	static const char *const cols[] = { "volume", "decided", "approved",
	    "rejected", "reviewed", "qa_sampled", "qa_checked",
	    "qa_overridden", "duplicate_face" };
	struct http_reply	 r, csv;
	char			*rows[32], *lines[64], *p, *cells[32];
	char			 v[128], level[16], ch[64], de[64], ctype[128];
	size_t			 n, nl, i, j, k, nc, flagged;
	int			 found;

	(void)state;
	assert_int_equal(call(&sup, "GET", "/review/api/oversight?days=2",
	    NULL, &r), 200);
	assert_int_equal(call(&sup, "GET", "/review/api/oversight.csv?days=2",
	    NULL, &csv), 200);
	assert_non_null(http_header(&csv, "content-type", ctype, sizeof(ctype)));
	assert_int_equal(strncmp(ctype, "text/csv", 8), 0);
	assert_non_null(strstr(r.body, "binomial"));

	/* CSV lines (CRLF), header first. */
	nl = 0;
	for (p = csv.body; p != NULL && *p != '\0' && nl < 64; ) {
		lines[nl++] = p;
		if ((p = strstr(p, "\r\n")) != NULL) {
			*p = '\0';
			p += 2;
		}
	}
	assert_true(nl > 1);
	assert_int_equal(strncmp(lines[0], "level,channel,dealer,volume,"
	    "decided,approved,approval_rate,rejected,rejection_rate,reviewed,"
	    "review_rate,top_rejection_reasons,qa_sampled,qa_checked,"
	    "qa_overridden,qa_disagreement_rate,duplicate_face,p_rejection,"
	    "flag_rejection,p_review,flag_review", 60), 0);

	n = elements(r.body, "level", rows, 32);
	/* all, two channels, six dealers */
	assert_int_equal(n, 1 + 2 + NDEALERS);
	assert_int_equal(nl, 1 + n);
	flagged = 0;
	for (i = 0; i < n; i++) {
		assert_int_equal(member(rows[i], "level", level,
		    sizeof(level)), 0);
		assert_int_equal(member(rows[i], "channel", ch, sizeof(ch)), 0);
		assert_int_equal(member(rows[i], "dealer", de, sizeof(de)), 0);
		assert_int_equal(member(rows[i], "flag_rejection", v,
		    sizeof(v)), 0);
		if (!strcmp(v, "true")) {
			flagged++;
			assert_string_equal(level, "dealer");
			assert_string_equal(de, "shop-bad");
		}
		if (!strcmp(de, "shop-bad"))
			assert_string_equal(v, "true");
		assert_int_equal(member(rows[i], "flag_review", v, sizeof(v)),
		    0);
		assert_string_equal(v, "false");
		if (!strcmp(level, "dealer")) {
			assert_int_equal(member(rows[i], "volume", v,
			    sizeof(v)), 0);
			assert_int_equal(atoi(v), PER_DEALER);
		}

		/* The same row in the CSV: same counts, rates and flags. */
		found = 0;
		for (k = 1; k < nl && !found; k++) {
			/* No cell of this table is quoted (no comma). */
			nc = 0;
			for (p = lines[k]; nc < 32; ) {
				cells[nc++] = p;
				if ((p = strchr(p, ',')) == NULL)
					break;
				*p++ = '\0';
			}
			if (nc != 21 || strcmp(cells[0], level) ||
			    strcmp(cells[1], ch) || strcmp(cells[2], de)) {
				/* Put the commas back for the next row. */
				for (j = 1; j < nc; j++)
					cells[j][-1] = ',';
				continue;
			}
			found = 1;
			for (j = 0; j < sizeof(cols) / sizeof(cols[0]); j++) {
				static const int at[] = { 3, 4, 5, 7, 9, 12,
				    13, 14, 16 };

				assert_int_equal(member(rows[i], cols[j], v,
				    sizeof(v)), 0);
				assert_string_equal(cells[at[j]], v);
			}
			assert_int_equal(member(rows[i], "rejection_rate", v,
			    sizeof(v)), 0);
			assert_true(fabs(atof(cells[8]) - atof(v)) < 5.1e-5);
			assert_int_equal(member(rows[i], "review_rate", v,
			    sizeof(v)), 0);
			assert_true(fabs(atof(cells[10]) - atof(v)) < 5.1e-5);
			assert_int_equal(member(rows[i], "flag_rejection", v,
			    sizeof(v)), 0);
			assert_string_equal(cells[18], !strcmp(v, "true") ?
			    "1" : "0");
			assert_int_equal(member(rows[i], "flag_review", v,
			    sizeof(v)), 0);
			assert_string_equal(cells[20], !strcmp(v, "true") ?
			    "1" : "0");
		}
		if (!found)
			fail_msg("no CSV line for %s %s %s", level, ch, de);
	}
	assert_int_equal(flagged, 1);
	http_reply_free(&r);
	http_reply_free(&csv);
}

static void
test_oversight_only_supervisors_reach_these_routes(void **state)
{
	static const struct {
		const char	*method;
		const char	*path;
		const char	*body;
	} routes[] = {
		{ "GET", "/review/api/qa/queue", NULL },
		{ "GET", "/review/api/qa/overrides", NULL },
		{ "POST", "/review/api/qa/00000000000000000000000000000000/"
		    "verdict", "{\"verdict\":\"agree\"}" },
		{ "GET", "/review/api/oversight", NULL },
		{ "GET", "/review/api/oversight.csv", NULL },
		{ "POST", "/review/api/export", "{\"from\":\"2026-01-01\","
		    "\"to\":\"2026-01-02\"}" },
	};
	const struct console	*who[] = { &rev, &aud };
	struct http_reply	 r;
	char			*items[64], id[STORE_ID_LEN + 1], path[128];
	size_t			 i, w;

	(void)state;
	for (w = 0; w < 2; w++) {
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			if (call(who[w], routes[i].method, routes[i].path,
			    routes[i].body, &r) != 403)
				fail_msg("%s %s: %ld for a %s", routes[i].method,
				    routes[i].path, r.status, w ? "auditor" :
				    "reviewer");
			assert_non_null(strstr(r.body,
			    "\"code\":\"forbidden\""));
			http_reply_free(&r);
		}
	}
	/* Without a session: 401, not the data. */
	assert_int_equal(call(NULL, "GET", "/review/api/oversight", NULL, &r),
	    401);
	http_reply_free(&r);

	/* The auditor still reads a case and its audit rows. */
	assert_int_equal(call(&sup, "GET", "/review/api/qa/overrides", NULL,
	    &r), 200);
	assert_int_equal(elements(r.body, "case_id", items, 64), 1);
	assert_int_equal(member(items[0], "case_id", id, sizeof(id)), 0);
	http_reply_free(&r);
	snprintf(path, sizeof(path), "/review/api/cases/%s", id);
	assert_int_equal(call(&aud, "GET", path, NULL, &r), 200);
	assert_non_null(strstr(r.body, "qa.overridden"));
	http_reply_free(&r);
	/* And the supervisor pages are there (they say who may use them). */
	assert_int_equal(call(&rev, "GET", "/review/qa", NULL, &r), 200);
	assert_non_null(strstr(r.body, "Supervisors only"));
	http_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_oversight_seeded_sample_is_in_the_queue_per_channel),
		cmocka_unit_test(
		    test_oversight_override_is_audited_changes_the_case_and_sends_webhook),
		cmocka_unit_test(
		    test_oversight_flags_the_dealer_and_csv_matches_the_table),
		cmocka_unit_test(
		    test_oversight_only_supervisors_reach_these_routes),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
