/*
 * Verification of one case.  Every figure that feeds the rules is written
 * into the decision JSON with the rule that fired, so a reviewer (and a
 * regulator) sees exactly why.  A signal that could not be measured stays
 * unmeasured: the rules then never approve.
 */

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "idnumber.h"
#include "imaging.h"
#include "jsonr.h"
#include "jsonw.h"
#include "reasons.h"
#include "vault.h"
#include "verify.h"

static const enum imaging_side sides[STORE_SIDE_COUNT] = {
	[STORE_SIDE_FRONT] = IMAGING_SIDE_FRONT,
	[STORE_SIDE_BACK] = IMAGING_SIDE_BACK,
	[STORE_SIDE_HOLDING] = IMAGING_SIDE_HOLDING,
};

static int	load_photo(const struct verify_env *, const char *,
		    enum store_side, unsigned char **, size_t *, char *,
		    char *, size_t);
static const float *measure_images(struct imaging_analysis *const *,
		    const char *, struct rn_signals *);
static void	measure_store(const struct verify_env *,
		    const struct store_case *, const float *, int,
		    char (*)[STORE_HASH_HEX_LEN + 1], int64_t,
		    struct rn_signals *, char *);
static void	measure_number(const struct store_case *,
		    struct rn_signals *);
static int	parked_signals(const struct store_case *,
		    struct rn_signals *);
static void	today_text(char [16]);
static int	card_expired(const struct imaging_card_summary *,
		    const struct idnumber_date *);
static void	write_decision(const struct verify_result *,
		    const struct store_case *, struct jsonw *);
static void	write_reasons(const struct rn_decision *, int,
		    struct jsonw *);
static void	figure(struct jsonw *, const char *,
		    const struct rn_figure *);
static int	under_daily_cap(const struct verify_env *,
		    const struct store_case *, int64_t,
		    struct verify_result *);

int
rn_verify_case(const struct verify_env *env, const struct store_case *c,
    int64_t now, struct verify_result *out)
{
	struct imaging_analysis	*a[STORE_SIDE_COUNT];
	struct idcheck_call	 call;
	struct jsonw		 w;
	unsigned char		*photo[STORE_SIDE_COUNT];
	size_t			 len[STORE_SIDE_COUNT];
	char			 sha[STORE_SIDE_COUNT][STORE_HASH_HEX_LEN + 1];
	float			 live_emb[IMAGING_EMBED_DIM];
	const float		*emb;
	int			 i, ret, reuse;

	memset(out, 0, sizeof(*out));
	memset(a, 0, sizeof(a));
	memset(photo, 0, sizeof(photo));
	ret = -1;

	/*
	 * A case parked for the ID check was measured already: its photos
	 * have not changed, so the figures it was parked with stand and
	 * only the store's signals (duplicates, caps) are asked again.
	 * Re-imaging every parked case on every retry would let an upstream
	 * outage eat the CPUs.
	 */
	reuse = parked_signals(c, &out->signals) == 0;
	emb = NULL;
	if (reuse) {
		if (store_face_get(env->store, c->id, live_emb,
		    IMAGING_EMBED_DIM) == 0)
			emb = live_emb;
		else if (store_errcode(env->store) != STORE_NOT_FOUND)
			reuse = 0;	/* unsure: measure again */
	}
	out->reused_measurement = reuse;
	today_text(out->measured_on);
	for (i = 0; i < STORE_SIDE_COUNT; i++) {
		if (load_photo(env, c->id, (enum store_side)i, &photo[i],
		    &len[i], sha[i], out->error, sizeof(out->error)) == -1)
			goto done;
		if (!reuse)
			a[i] = imaging_analyse(env->engine, sides[i], photo[i],
			    len[i]);
	}
	if (!reuse) {
		memset(&out->signals, 0, sizeof(out->signals));
		emb = measure_images(a, c->id_number, &out->signals);
	}
	measure_number(c, &out->signals);
	measure_store(env, c, emb, !reuse, sha, now, &out->signals,
	    out->duplicate_of);

	/* Pay for the national check only if it can still matter. */
	if (env->idcheck != NULL &&
	    rn_rules_needs_upstream(env->rules, &out->signals) &&
	    under_daily_cap(env, c, now, out)) {
		memset(&call, 0, sizeof(call));
		call.case_id = c->id;
		call.first_attempt = c->claims <= 1;
		call.name = c->declared_name;
		call.id_number = c->id_number;
		/* The live face goes to the registry comparison. */
		call.portrait_jpeg = photo[STORE_SIDE_HOLDING];
		call.portrait_len = len[STORE_SIDE_HOLDING];
		out->signals.upstream = idcheck_verify(env->idcheck,
		    env->breaker, &call, &out->upstream);
		out->signals.has_upstream = 1;
		out->upstream_called = 1;
	}
	out->signals.upstream_deadline_passed = c->submitted_at > 0 &&
	    now - c->submitted_at >= env->upstream_deadline_ms;

	rn_rules_decide(env->rules, &out->signals, &out->decision);

	jsonw_init(&w, 1024 * 1024);
	write_decision(out, c, &w);
	out->decision_json = jsonw_text(&w) ? strdup(jsonw_text(&w)) : NULL;
	jsonw_free(&w);
	jsonw_init(&w, 64 * 1024);
	write_reasons(&out->decision, c->kind == STORE_KIND_REREGISTRATION,
	    &w);
	out->reasons_json = jsonw_text(&w) ? strdup(jsonw_text(&w)) : NULL;
	jsonw_free(&w);
	if (out->decision_json == NULL || out->reasons_json == NULL) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		goto done;
	}
	ret = 0;

done:
	for (i = 0; i < STORE_SIDE_COUNT; i++) {
		imaging_analysis_free(a[i]);
		if (photo[i] != NULL) {
			sodium_memzero(photo[i], len[i]);
			free(photo[i]);
		}
	}
	return (ret);
}

/*
 * The provider caps checks per ID number per day: count ours in the
 * store (shared by every node) and stay under our own cap.  Over it, or
 * when the count cannot be kept, no call is made and the answer is
 * RATE_LIMITED, which parks the case: never an approval.
 */
static int
under_daily_cap(const struct verify_env *env, const struct store_case *c,
    int64_t now, struct verify_result *out)
{
	char		key[96], day[16];
	time_t		secs;
	struct tm	tm;
	int64_t		n;

	if (env->daily_cap <= 0)
		return (1);
	secs = (time_t)(now / 1000);
	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(key, sizeof(key), "idcheck:%s", c->id_number_hash);
	if (store_counter_add(env->store, key, day, 1, &n) == 0 &&
	    n <= env->daily_cap)
		return (1);
	out->signals.has_upstream = 1;
	out->signals.upstream = IDCHECK_RATE_LIMITED;
	out->upstream_capped = 1;
	return (0);
}

void
rn_verify_result_free(struct verify_result *r)
{
	free(r->decision_json);
	free(r->reasons_json);
	r->decision_json = r->reasons_json = NULL;
}

/* Fetches and opens one sealed photo; sha gets its plaintext hash. */
static int
load_photo(const struct verify_env *env, const char *id, enum store_side side,
    unsigned char **out, size_t *len, char *sha, char *err, size_t errlen)
{
	struct store_image	img;
	char			ad[64], verr[160];

	if (store_image_get(env->store, id, side, &img) == -1) {
		snprintf(err, errlen, "image %s: %s", store_side_name(side),
		    store_error(env->store));
		return (-1);
	}
	if (img.data == NULL || (*len = vault_plain_len(img.len)) == 0) {
		snprintf(err, errlen, "image %s: no bytes (purged?)",
		    store_side_name(side));
		store_image_release(&img);
		return (-1);
	}
	if ((*out = malloc(*len)) == NULL) {
		store_image_release(&img);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	snprintf(ad, sizeof(ad), "%s/%s", id, store_side_name(side));
	if (vault_open_blob(env->vault, img.data, img.len, ad, *out, verr,
	    sizeof(verr)) == -1) {
		snprintf(err, errlen, "image %s: %s", store_side_name(side),
		    verr);
		free(*out);
		*out = NULL;
		store_image_release(&img);
		return (-1);
	}
	snprintf(sha, STORE_HASH_HEX_LEN + 1, "%s", img.plain_sha256);
	store_image_release(&img);
	return (0);
}

/* Today in China, "YYYY-MM-DD": the day card validity is judged on. */
static void
today_text(char out[16])
{
	struct idnumber_date	d;

	idnumber_today(&d);
	snprintf(out, 16, "%04d-%02d-%02d", d.year % 10000, d.month % 100,
	    d.day % 100);
}

/* The declared number, by the local rules. */
static void
measure_number(const struct store_case *c, struct rn_signals *s)
{
	struct idnumber_info	info;
	struct idnumber_date	today;
	char			number[STORE_ID_NUMBER_MAX];

	s->id_number_valid = 0;
	s->age_years = 0;
	idnumber_today(&today);
	snprintf(number, sizeof(number), "%s", c->id_number);
	idnumber_normalize(number);
	if (idnumber_validate(number, &today, &info) == IDNUMBER_OK) {
		s->id_number_valid = 1;
		s->age_years = today.year - info.birth.year -
		    (today.month < info.birth.month ||
		    (today.month == info.birth.month &&
		    today.day < info.birth.day));
	}
}

/*
 * The figures the photos give.  Returns the live face's embedding (in
 * a[]), or NULL when there is no live face with one.
 */
static const float *
measure_images(struct imaging_analysis *const *a, const char *declared,
    struct rn_signals *s)
{
	const struct imaging_analysis	*front, *back, *hold;
	const struct imaging_face	*live, *portrait, *held;
	struct idnumber_date		 today;
	char				 number[STORE_ID_NUMBER_MAX];

	front = a[STORE_SIDE_FRONT];
	back = a[STORE_SIDE_BACK];
	hold = a[STORE_SIDE_HOLDING];
	idnumber_today(&today);
	snprintf(number, sizeof(number), "%s", declared);
	idnumber_normalize(number);

	/* Faces: live face vs front portrait, held card vs front card. */
	portrait = NULL;
	if (front != NULL && front->error == IMAGING_OK &&
	    front->primary >= 0)
		portrait = &front->faces[front->primary];
	live = held = NULL;
	if (hold != NULL && hold->error == IMAGING_OK) {
		if (hold->primary >= 0)
			live = &hold->faces[hold->primary];
		if (hold->card_portrait >= 0)
			held = &hold->faces[hold->card_portrait];
	}
	if (portrait != NULL && live != NULL && portrait->has_embedding &&
	    live->has_embedding) {
		s->face_score.measured = 1;
		s->face_score.value = imaging_face_score(live, portrait);
	}
	if (portrait != NULL && held != NULL && portrait->has_embedding &&
	    held->has_embedding) {
		s->card_portrait_score.measured = 1;
		s->card_portrait_score.value = imaging_face_score(held,
		    portrait);
	}
	if (live != NULL && live->liveness.measured) {
		s->liveness.measured = 1;
		s->liveness.value = live->liveness.value;
	}

	/* The number printed on the card, read with its check digit. */
	if (front != NULL && front->error == IMAGING_OK &&
	    front->card.measured && front->card.number_read) {
		s->ocr_read = front->card.number_check_ok;
		s->ocr_matches_declared =
		    strcmp(front->card.number, number) == 0;
		s->ocr_confidence.measured = 1;
		s->ocr_confidence.value = front->card.number_check_ok ? 1 : 0;
	}
	if (back != NULL && back->error == IMAGING_OK &&
	    back->card.measured && back->card.validity_read) {
		s->validity_read = 1;
		s->card_expired = card_expired(&back->card, &today);
	}
	return (live != NULL && live->has_embedding ? live->embedding : NULL);
}

/*
 * The signals the store gives: the numbers the identity holds,
 * reused photos, and the same face under another number.  A fresh live
 * face is stored for later cases first; no other face at all is a
 * measured "nothing similar".
 */
static void
measure_store(const struct verify_env *env, const struct store_case *c,
    const float *live, int fresh_face, char (*sha)[STORE_HASH_HEX_LEN + 1],
    int64_t now, struct rn_signals *s, char *dup_id)
{
	char	other[STORE_ID_LEN + 1];
	int64_t	count;
	double	score;
	int	i;

	dup_id[0] = '\0';
	s->active_cases_for_number = 0;
	s->reused_image = 0;
	memset(&s->duplicate_face_score, 0, sizeof(s->duplicate_face_score));
	/*
	 * The per-ID cap counts the numbers the identity already holds
	 * (imported ones too), not the one it re-registers now.
	 */
	if (store_numbers_held(env->store, c->id_number_hash,
	    c->kind == STORE_KIND_REREGISTRATION ? c->msisdn : NULL, c->id,
	    &count) == 0)
		s->active_cases_for_number = (int)count;
	else
		s->active_cases_for_number = env->rules->id_cap;
	for (i = 0; i < STORE_SIDE_COUNT; i++) {
		if (store_image_find_reused(env->store, c->id, sha[i],
		    other) == 0)
			s->reused_image = 1;
	}
	if (live == NULL || (fresh_face && store_face_put(env->store, c->id,
	    live, IMAGING_EMBED_DIM, now) == -1))
		return;
	if (store_face_find_similar(env->store, c->id, live,
	    IMAGING_EMBED_DIM, -1.0, dup_id, &score) == 0) {
		s->duplicate_face_score.measured = 1;
		s->duplicate_face_score.value = score;
	} else if (store_errcode(env->store) == STORE_NOT_FOUND) {
		s->duplicate_face_score.measured = 1;
		s->duplicate_face_score.value = -1;
		dup_id[0] = '\0';
	}
}

/*
 * The image figures a parked case was decided with, from the decision
 * JSON it was parked with (written exactly: %.17g).  0, or -1 when the
 * case was not parked or any figure is missing: then it is measured
 * again from the photos.
 */
static int
parked_signals(const struct store_case *c, struct rn_signals *s)
{
	static const struct {
		const char	*path;
		size_t		 off;
	} figs[] = {
		{ "signals.face_score", offsetof(struct rn_signals,
		    face_score) },
		{ "signals.card_portrait_score", offsetof(struct rn_signals,
		    card_portrait_score) },
		{ "signals.liveness", offsetof(struct rn_signals, liveness) },
		{ "signals.ocr_confidence", offsetof(struct rn_signals,
		    ocr_confidence) },
	}, flags[] = {
		{ "signals.ocr_read", offsetof(struct rn_signals, ocr_read) },
		{ "signals.ocr_matches_declared", offsetof(struct rn_signals,
		    ocr_matches_declared) },
		{ "signals.validity_read", offsetof(struct rn_signals,
		    validity_read) },
		{ "signals.card_expired", offsetof(struct rn_signals,
		    card_expired) },
	};
	const struct jsonr_leaf	*leaf;
	struct rn_figure	*f;
	struct jsonr		*r;
	char			 outcome[16], day[16], today[16];
	size_t			 i;
	int			 ret;

	memset(s, 0, sizeof(*s));
	today_text(today);
	if (c->state != STORE_STATE_PROCESSING || c->decision == NULL ||
	    (r = malloc(sizeof(*r))) == NULL)
		return (-1);
	ret = -1;
	if (jsonr_parse(r, c->decision, strlen(c->decision)) == -1 ||
	    jsonr_string(r, "outcome", outcome, sizeof(outcome)) < 0 ||
	    strcmp(outcome, "parked") != 0 ||
	    jsonr_string(r, "measured_on", day, sizeof(day)) < 0 ||
	    strcmp(day, today) != 0)
		goto done;	/* another day: a card may have expired since */
	for (i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		f = (struct rn_figure *)(void *)((char *)s + figs[i].off);
		if ((leaf = jsonr_find(r, figs[i].path)) == NULL)
			goto done;
		if (leaf->type == JSONR_NULL)
			continue;
		if (jsonr_double(r, figs[i].path, &f->value) == -1 ||
		    !isfinite(f->value))
			goto done;
		f->measured = 1;
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (jsonr_bool(r, flags[i].path,
		    (int *)(void *)((char *)s + flags[i].off)) == -1)
			goto done;
	}
	ret = 0;
done:
	if (ret == -1)
		memset(s, 0, sizeof(*s));
	free(r);
	return (ret);
}

/* The back's end date is before today ("长期" never expires). */
static int
card_expired(const struct imaging_card_summary *card,
    const struct idnumber_date *today)
{
	int	y, m, d;

	if (card->valid_long_term)
		return (0);
	if (sscanf(card->valid_to, "%4d.%2d.%2d", &y, &m, &d) != 3)
		return (1);
	if (y != today->year)
		return (y < today->year);
	if (m != today->month)
		return (m < today->month);
	return (d < today->day);
}

static void
write_decision(const struct verify_result *r, const struct store_case *c,
    struct jsonw *w)
{
	const struct rn_signals		*s = &r->signals;
	const struct rn_reason_info	*ri;
	size_t				 i;

	jsonw_object_open(w);
	jsonw_key(w, "outcome");
	jsonw_string(w, rn_outcome_name(r->decision.outcome));
	jsonw_key(w, "rule");
	jsonw_string(w, r->decision.rule);
	jsonw_key(w, "reasons");
	jsonw_array_open(w);
	for (i = 0; i < r->decision.nreasons; i++) {
		ri = rn_reason_info(r->decision.reasons[i]);
		jsonw_object_open(w);
		jsonw_key(w, "code");
		jsonw_string(w, ri->code);
		jsonw_key(w, "internal");
		jsonw_string(w, ri->internal);
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	jsonw_key(w, "claims");
	jsonw_int(w, c->claims);
	/* Whether the photos were measured now or when the case parked. */
	jsonw_key(w, "measured");
	jsonw_string(w, r->reused_measurement ? "when_parked" : "now");
	jsonw_key(w, "measured_on");
	jsonw_string(w, r->measured_on);
	jsonw_key(w, "signals");
	jsonw_object_open(w);
	jsonw_key(w, "id_number_valid");
	jsonw_bool(w, s->id_number_valid);
	jsonw_key(w, "age_years");
	jsonw_int(w, s->age_years);
	figure(w, "face_score", &s->face_score);
	figure(w, "card_portrait_score", &s->card_portrait_score);
	figure(w, "liveness", &s->liveness);
	figure(w, "ocr_confidence", &s->ocr_confidence);
	jsonw_key(w, "ocr_read");
	jsonw_bool(w, s->ocr_read);
	jsonw_key(w, "ocr_matches_declared");
	jsonw_bool(w, s->ocr_matches_declared);
	jsonw_key(w, "validity_read");
	jsonw_bool(w, s->validity_read);
	jsonw_key(w, "card_expired");
	jsonw_bool(w, s->card_expired);
	jsonw_key(w, "active_cases_for_number");
	jsonw_int(w, s->active_cases_for_number);
	figure(w, "duplicate_face_score", &s->duplicate_face_score);
	if (s->duplicate_face_score.measured &&
	    s->duplicate_face_score.value >= 0 && r->duplicate_of[0] != '\0') {
		jsonw_key(w, "duplicate_face_of");
		jsonw_string(w, r->duplicate_of);
	}
	jsonw_key(w, "reused_image");
	jsonw_bool(w, s->reused_image);
	jsonw_object_close(w);

	jsonw_key(w, "upstream");
	jsonw_object_open(w);
	jsonw_key(w, "called");
	jsonw_bool(w, r->upstream_called);
	if (r->upstream_capped) {
		jsonw_key(w, "result");
		jsonw_string(w, "rate_limited");
		jsonw_key(w, "detail");
		jsonw_string(w, "our daily cap per ID number: no call made");
	}
	if (r->upstream_called) {
		jsonw_key(w, "result");
		jsonw_string(w, idcheck_result_name(r->upstream.response.result));
		jsonw_key(w, "code");
		jsonw_string(w, r->upstream.response.code);
		jsonw_key(w, "message");
		jsonw_string(w, r->upstream.response.message);
		jsonw_key(w, "http_status");
		jsonw_int(w, r->upstream.response.http_status);
		jsonw_key(w, "attempts");
		jsonw_int(w, r->upstream.attempts);
		jsonw_key(w, "breaker_refused");
		jsonw_bool(w, r->upstream.breaker_refused);
		jsonw_key(w, "detail");
		jsonw_string(w, r->upstream.response.detail);
		if (r->upstream.response.has_similarity) {
			jsonw_key(w, "similarity");
			jsonw_double(w, r->upstream.response.similarity);
		}
	}
	jsonw_object_close(w);
	jsonw_object_close(w);
}

/* What the customer may read: code, texts, whether to try again. */
static void
write_reasons(const struct rn_decision *d, int rereg, struct jsonw *w)
{
	const struct rn_reason_info	*ri;
	struct rn_reason_info		 buf;
	size_t				 i;

	jsonw_array_open(w);
	for (i = 0; i < d->nreasons; i++) {
		ri = rn_reason_info_for(d->reasons[i], rereg, &buf);
		rn_reason_write(w, ri->code, ri->text_zh, ri->text_en,
		    ri->retry_allowed);
	}
	jsonw_array_close(w);
}

static void
figure(struct jsonw *w, const char *key, const struct rn_figure *f)
{
	jsonw_key(w, key);
	/* Exact, so that a parked case is decided again on the same value. */
	if (f->measured && isfinite(f->value))
		jsonw_double_exact(w, f->value);
	else
		jsonw_null(w);
}
