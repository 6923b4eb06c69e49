/*
 * Synthetic people for integration tests.
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

#include <cmocka.h>

#include "harness.h"
#include "imaging.h"
#include "people.h"

#define CJK_FONT	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#define POLL_MAX	600		/* × 100 ms */

const char *const people_sides[3] = { "front", "back", "holding" };

struct gen *
people_gen_open(void)
{
	struct gen	*g;
	char		 err[256];

	if ((g = gen_open(getenv("REALNAME_SHARED_DATA"), CJK_FONT, err,
	    sizeof(err))) == NULL)
		fprintf(stderr, "# gen: %s\n", err);
	return (g);
}

int
person_make(struct gen *g, uint64_t seed, int index, int long_side,
    struct person *p)
{
	struct gen_options	o;
	char			err[256];
	int			k;

	memset(p, 0, sizeof(*p));
	p->index = index;
	p->long_side = long_side;
	for (k = 0; k < 3; k++) {
		gen_options_default(&o);
		o.kind = k;
		o.degrade = 0;
		o.exif = 0;
		o.long_side = long_side;
		if (gen_make(g, seed, index, &o, &p->photo[k], err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "# gen: %s\n", err);
			person_free(p);
			return (-1);
		}
	}
	return (0);
}

void
person_free(struct person *p)
{
	int	k;

	for (k = 0; k < 3; k++)
		gen_case_free(&p->photo[k]);
	memset(p, 0, sizeof(*p));
}

const struct gen_truth *
person_card(const struct person *p)
{
	return (&p->photo[0].truth);
}

/*
 * The gate's false alarms are measured by bench/accuracy; tests about
 * what happens after upload pick people whose photos pass, as a
 * customer's retakes eventually would.
 */
int
person_accepted(struct imaging_engine *eng, const struct person *p)
{
	static const enum imaging_side kinds[3] = {
		IMAGING_SIDE_FRONT, IMAGING_SIDE_BACK, IMAGING_SIDE_HOLDING,
	};
	struct imaging_analysis	*a;
	int			 k, ok;

	for (k = 0; k < 3; k++) {
		a = imaging_analyse(eng, kinds[k], p->photo[k].jpeg,
		    p->photo[k].len);
		ok = a != NULL && a->error == IMAGING_OK && a->nreasons == 0;
		imaging_analysis_free(a);
		if (!ok)
			return (0);
	}
	return (1);
}

int
person_accepted_at(struct gen *g, struct imaging_engine *eng, uint64_t seed,
    int index, const int *sizes, int nsizes, struct person *keep)
{
	struct person	p;
	int		i, ok;

	for (i = 0; i < nsizes; i++) {
		if (person_make(g, seed, index, sizes[i], &p) == -1)
			return (-1);
		ok = person_accepted(eng, &p);
		if (i == 0 && ok)
			*keep = p;
		else
			person_free(&p);
		if (!ok) {
			if (i > 0)
				person_free(keep);
			return (0);
		}
	}
	return (1);
}

int
person_card_expired(const struct person *p)
{
	const char	*v = person_card(p)->validity, *end;
	char		 today[16];
	struct tm	 tm;
	time_t		 now;

	/* "YYYY.MM.DD-YYYY.MM.DD" or "YYYY.MM.DD-长期" (never ends). */
	if ((end = strchr(v, '-')) == NULL || strlen(end + 1) != 10)
		return (0);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y.%m.%d", &tm);
	return (strcmp(end + 1, today) < 0);
}

void
person_registry_line(char *buf, size_t len, const struct person *p,
    const char *state)
{
	const struct gen_truth	*t = person_card(p);
	const char		*data = getenv("REALNAME_SHARED_DATA");
	size_t			 n = strlen(buf);

	snprintf(buf + n, len - n, "%s\t%s\t%s\t%s/faces/%s\n", t->number,
	    t->name, state, data != NULL ? data : "../shared/data",
	    t->portrait_file);
}

#define field	harness_json_field

void
person_journey(const struct harness *kore, const struct sign_key *shop,
    const struct person *p, const char *name, const char *number,
    int must_accept, char *final, size_t final_len, char *view,
    size_t view_len, char idout[33])
{
	struct journey_opts	o;

	memset(&o, 0, sizeof(o));
	o.name = name;
	o.number = number;
	o.must_accept = must_accept;
	person_journey_opts(kore, shop, p, &o, final, final_len, view,
	    view_len, idout);
}

void
person_journey_opts(const struct harness *kore, const struct sign_key *shop,
    const struct person *p, const struct journey_opts *o, char *final,
    size_t final_len, char *view, size_t view_len, char idout[33])
{
	static int		 serial;
	struct http_reply	 r;
	const char		*name, *number, *dealer, *url, *extra;
	int			 must_accept;
	char			 body[1536];
	char			 id[40], token[80], path[160], auth[128];
	const char		*hdrs[3];
	int			 k, i;

	name = o->name != NULL ? o->name : person_card(p)->name;
	number = o->number != NULL ? o->number : person_card(p)->number;
	dealer = o->dealer != NULL ? o->dealer : HARNESS_DEALER;
	url = o->callback_url != NULL ? o->callback_url :
	    "http://127.0.0.1:9/hook";
	extra = o->extra_json != NULL ? o->extra_json : "";
	must_accept = o->must_accept;
	snprintf(body, sizeof(body), "{\"order_ref\":\"t-%d-%d-%d\","
	    "\"channel\":\"web\",\"dealer\":\"%s\",%s"
	    "\"declared_name\":\"%s\",\"id_number\":\"%s\","
	    "\"callback_url\":\"%s\"}", p->index, (int)getpid(), serial++,
	    dealer, extra, name, number, url);
	assert_int_equal(harness_http_signed(kore, shop, "POST",
	    "/v1/cases", body, NULL, 0, &r), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(field(r.body, "case_id", id, sizeof(id)), 0);
	assert_int_equal(field(r.body, "upload_token", token, sizeof(token)),
	    0);
	http_reply_free(&r);
	assert_int_equal(strlen(id), 32);
	if (idout != NULL)
		memcpy(idout, id, 33);

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: image/jpeg";
	hdrs[2] = NULL;
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "/v1/cases/%s/images/%s", id,
		    people_sides[k]);
		assert_int_equal(harness_http_h(kore, "PUT", path, hdrs,
		    p->photo[k].jpeg, p->photo[k].len, &r), 0);
		if (r.status != 200)
			fprintf(stderr, "# %s: %ld %.600s\n", people_sides[k],
			    r.status, r.body);
		if (r.status == 422 && !must_accept) {
			snprintf(final, final_len, "not_submitted");
			http_reply_free(&r);
			return;
		}
		assert_int_equal(r.status, 200);
		http_reply_free(&r);
	}

	snprintf(path, sizeof(path), "/v1/cases/%s/submit", id);
	hdrs[1] = NULL;
	assert_int_equal(harness_http_h(kore, "POST", path, hdrs, "", 0,
	    &r), 0);
	assert_int_equal(r.status, 202);
	http_reply_free(&r);

	/* The customer polls until the decision. */
	snprintf(path, sizeof(path), "/v1/cases/%s", id);
	final[0] = '\0';
	for (i = 0; i < POLL_MAX; i++) {
		assert_int_equal(harness_http_h(kore, "GET", path, hdrs, NULL,
		    0, &r), 0);
		assert_int_equal(r.status, 200);
		if (field(r.body, "state", final, final_len) == 0 &&
		    (!strcmp(final, "approved") || !strcmp(final, "rejected") ||
		    !strcmp(final, "review"))) {
			if (view != NULL)
				snprintf(view, view_len, "%s", r.body);
			http_reply_free(&r);
			return;
		}
		http_reply_free(&r);
		usleep(100 * 1000);
	}
	fail_msg("case %s never decided (last state %s)", id, final);
}
