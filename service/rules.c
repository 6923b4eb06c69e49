/*
 * Decision rules.  Reasons are collected in three tiers — reject, park,
 * review — and the outcome is the strongest tier present; approval is
 * the single remaining case and re-checks its own conditions.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"

struct tiers {
	enum rn_reason	reject[RN_REASON_COUNT];
	size_t		nreject;
	enum rn_reason	review[RN_REASON_COUNT];
	size_t		nreview;
	int		park;
};

static int	passes(const struct rn_figure *, double);
static int	below(const struct rn_figure *, double);
static void	add(enum rn_reason *, size_t *, enum rn_reason);
static void	flag(const struct rn_rules *, struct tiers *, enum rn_tier,
		    enum rn_reason);
static void	local_checks(const struct rn_rules *,
		    const struct rn_signals *, struct tiers *);
static void	upstream_checks(const struct rn_rules *,
		    const struct rn_signals *, struct tiers *);
static void	finish(struct rn_decision *, enum rn_outcome,
		    const enum rn_reason *, size_t, const char *);

void
rn_rules_decide(const struct rn_rules *r, const struct rn_signals *s,
    struct rn_decision *d)
{
	struct tiers	t;

	memset(&t, 0, sizeof(t));
	memset(d, 0, sizeof(*d));
	local_checks(r, s, &t);
	upstream_checks(r, s, &t);

	if (t.nreject > 0) {
		finish(d, RN_OUTCOME_REJECTED, t.reject, t.nreject,
		    "reject_reason_present");
		return;
	}
	if (t.park) {
		/* Park until the deadline, then a person decides. */
		if (s->upstream_deadline_passed) {
			add(t.review, &t.nreview,
			    RN_REASON_UPSTREAM_UNAVAILABLE);
		} else {
			t.review[0] = RN_REASON_UPSTREAM_UNAVAILABLE;
			finish(d, RN_OUTCOME_PARKED, t.review, 1,
			    "upstream_no_answer");
			return;
		}
	}
	if (t.nreview > 0) {
		finish(d, RN_OUTCOME_REVIEW, t.review, t.nreview,
		    "review_reason_present");
		return;
	}

	/* The only approval: every condition stated again, positively. */
	if (s->has_upstream && idcheck_result_allows_approval(s->upstream) &&
	    s->id_number_valid &&
	    passes(&s->face_score, r->face_accept_min) &&
	    passes(&s->card_portrait_score, r->card_portrait_min) &&
	    passes(&s->liveness, r->liveness_min) &&
	    s->ocr_read && s->ocr_matches_declared &&
	    passes(&s->ocr_confidence, r->ocr_confidence_min) &&
	    s->validity_read && !s->card_expired &&
	    s->active_cases_for_number < r->id_cap &&
	    s->age_years >= r->min_age &&
	    s->duplicate_face_score.measured &&
	    isfinite(s->duplicate_face_score.value) &&
	    s->duplicate_face_score.value < r->duplicate_face_min &&
	    !s->reused_image) {
		finish(d, RN_OUTCOME_APPROVED, NULL, 0, "all_checks_passed");
		return;
	}

	/* Nothing said no, but not everything said yes. */
	t.review[0] = RN_REASON_SIGNAL_MISSING;
	finish(d, RN_OUTCOME_REVIEW, t.review, 1, "approval_not_proven");
}

int
rn_rules_needs_upstream(const struct rn_rules *r, const struct rn_signals *s)
{
	struct tiers	t;

	memset(&t, 0, sizeof(t));
	local_checks(r, s, &t);
	return (t.nreject == 0);
}

const char *
rn_outcome_name(enum rn_outcome o)
{
	switch (o) {
	case RN_OUTCOME_APPROVED:
		return ("approved");
	case RN_OUTCOME_REJECTED:
		return ("rejected");
	case RN_OUTCOME_REVIEW:
		return ("review");
	case RN_OUTCOME_PARKED:
		return ("parked");
	}
	return ("unknown");
}

static void
local_checks(const struct rn_rules *r, const struct rn_signals *s,
    struct tiers *t)
{
	if (!s->id_number_valid)
		flag(r, t, RN_TIER_REJECT, RN_REASON_ID_NUMBER_INVALID);
	if (s->active_cases_for_number >= r->id_cap)
		flag(r, t, RN_TIER_REJECT, RN_REASON_ID_CAP_REACHED);
	if (s->validity_read && s->card_expired)
		flag(r, t, RN_TIER_REJECT, RN_REASON_CARD_EXPIRED);
	else if (!s->validity_read)
		add(t->review, &t->nreview, RN_REASON_SIGNAL_MISSING);

	/* A confident read of a valid number that is not the declared one. */
	if (s->ocr_read && !s->ocr_matches_declared &&
	    passes(&s->ocr_confidence, r->ocr_confidence_min))
		flag(r, t, RN_TIER_REJECT, RN_REASON_OCR_NUMBER_MISMATCH);
	else if (!s->ocr_read || !s->ocr_matches_declared ||
	    !passes(&s->ocr_confidence, r->ocr_confidence_min))
		flag(r, t, RN_TIER_REVIEW, RN_REASON_OCR_UNREADABLE);

	if (below(&s->face_score, r->face_reject_max))
		flag(r, t, RN_TIER_REJECT, RN_REASON_FACE_MISMATCH);
	else if (!passes(&s->face_score, r->face_accept_min))
		flag(r, t, RN_TIER_REVIEW, RN_REASON_FACE_UNCERTAIN);

	if (!passes(&s->card_portrait_score, r->card_portrait_min))
		flag(r, t, RN_TIER_REVIEW, RN_REASON_CARD_PORTRAIT_MISMATCH);
	if (!passes(&s->liveness, r->liveness_min))
		flag(r, t, RN_TIER_REVIEW, RN_REASON_LIVENESS_LOW);
	if (s->age_years < r->min_age && s->id_number_valid)
		flag(r, t, RN_TIER_REVIEW, RN_REASON_UNDER_MIN_AGE);

	if (!s->duplicate_face_score.measured ||
	    !isfinite(s->duplicate_face_score.value))
		add(t->review, &t->nreview, RN_REASON_SIGNAL_MISSING);
	else if (s->duplicate_face_score.value >= r->duplicate_face_min)
		flag(r, t, RN_TIER_REVIEW, RN_REASON_DUPLICATE_FACE);
	if (s->reused_image)
		flag(r, t, RN_TIER_REVIEW, RN_REASON_REUSED_IMAGE);
}

static void
upstream_checks(const struct rn_rules *r, const struct rn_signals *s,
    struct tiers *t)
{
	if (!s->has_upstream) {
		add(t->review, &t->nreview, RN_REASON_SIGNAL_MISSING);
		return;
	}
	switch (s->upstream) {
	case IDCHECK_MATCH:
		break;
	case IDCHECK_MISMATCH:
		flag(r, t, RN_TIER_REJECT, RN_REASON_UPSTREAM_MISMATCH);
		break;
	case IDCHECK_NOT_FOUND:
		flag(r, t, RN_TIER_REJECT, RN_REASON_UPSTREAM_NOT_FOUND);
		break;
	case IDCHECK_CARD_STATE:
		flag(r, t, RN_TIER_REJECT, RN_REASON_UPSTREAM_CARD_STATE);
		break;
	case IDCHECK_FACE_MISMATCH:
		flag(r, t, RN_TIER_REVIEW, RN_REASON_UPSTREAM_FACE_MISMATCH);
		break;
	case IDCHECK_NO_PHOTO:
		flag(r, t, RN_TIER_REVIEW, RN_REASON_UPSTREAM_NO_PHOTO);
		break;
	case IDCHECK_INVALID_INPUT:
		flag(r, t, RN_TIER_REVIEW, RN_REASON_UPSTREAM_INVALID_INPUT);
		break;
	case IDCHECK_RATE_LIMITED:
	case IDCHECK_UPSTREAM_ERROR:
		t->park = 1;
		break;
	default:
		/* A value we do not know is no answer at all. */
		t->park = 1;
		break;
	}
}

/*
 * Files a reason in its tier: the configured one when the operator moved
 * it (reason_tiers), else the default.  Either tier stops an approval.
 */
static void
flag(const struct rn_rules *r, struct tiers *t, enum rn_tier dflt,
    enum rn_reason reason)
{
	enum rn_tier	tier = dflt;

	if ((unsigned int)reason < RN_REASON_COUNT &&
	    r->tier[reason] != RN_TIER_DEFAULT)
		tier = (enum rn_tier)r->tier[reason];
	if (tier == RN_TIER_REJECT)
		add(t->reject, &t->nreject, reason);
	else
		add(t->review, &t->nreview, reason);
}

int
rn_rules_parse_tiers(struct rn_rules *r, const char *spec, char *err,
    size_t errlen)
{
	char		 buf[RN_TIERS_SPEC_MAX], *item, *next, *eq;
	enum rn_reason	 reason;
	enum rn_tier	 tier;

	memset(r->tier, RN_TIER_DEFAULT, sizeof(r->tier));
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "longer than %d bytes",
		    RN_TIERS_SPEC_MAX - 1);
		return (-1);
	}
	(void)strcpy(buf, spec);
	for (item = buf; item != NULL && *item != '\0'; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		while (*item == ' ')
			item++;
		if ((eq = strchr(item, '=')) == NULL) {
			snprintf(err, errlen, "'%s' is not code=reject|review",
			    item);
			return (-1);
		}
		*eq++ = '\0';
		if (rn_reason_from_code(item, &reason) == -1) {
			snprintf(err, errlen, "unknown reason code '%s'", item);
			return (-1);
		}
		/* Faults of ours are never the customer's rejection. */
		if (reason == RN_REASON_SIGNAL_MISSING ||
		    reason == RN_REASON_UPSTREAM_UNAVAILABLE) {
			snprintf(err, errlen, "reason '%s' cannot be moved",
			    item);
			return (-1);
		}
		if (!strcmp(eq, "reject"))
			tier = RN_TIER_REJECT;
		else if (!strcmp(eq, "review"))
			tier = RN_TIER_REVIEW;
		else {
			snprintf(err, errlen, "tier '%s' is not reject or "
			    "review", eq);
			return (-1);
		}
		r->tier[reason] = (unsigned char)tier;
	}
	return (0);
}

/* Measured, finite and at least min. */
static int
passes(const struct rn_figure *f, double min)
{
	return (f->measured && isfinite(f->value) && f->value >= min);
}

/* Measured, finite and under max. */
static int
below(const struct rn_figure *f, double max)
{
	return (f->measured && isfinite(f->value) && f->value < max);
}

static void
add(enum rn_reason *list, size_t *n, enum rn_reason r)
{
	size_t	i;

	for (i = 0; i < *n; i++) {
		if (list[i] == r)
			return;
	}
	if (*n < RN_REASON_COUNT)
		list[(*n)++] = r;
}

static void
finish(struct rn_decision *d, enum rn_outcome o, const enum rn_reason *list,
    size_t n, const char *rule)
{
	d->outcome = o;
	d->nreasons = n;
	if (n > 0)
		memcpy(d->reasons, list, n * sizeof(list[0]));
	d->rule = rule;
}
