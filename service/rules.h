/*
 * Decision rules: measured signals in, one decision out, with every
 * reason that applies and the rule that fired.  Plain C, no I/O.
 *
 * Fail closed: APPROVED is returned in exactly one place, and only when
 * the national ID check said MATCH, the live face matched the card
 * portrait above the accept threshold, every other required signal was
 * measured and passed, and no reject, review or park reason applies.
 * A signal that was not measured can never help a case get approved.
 */
#ifndef RN_RULES_H
#define RN_RULES_H

#include <stddef.h>

#include "idcheck_result.h"
#include "reasons.h"

enum rn_outcome {
	RN_OUTCOME_APPROVED,
	RN_OUTCOME_REJECTED,
	RN_OUTCOME_REVIEW,
	RN_OUTCOME_PARKED,	/* upstream gave no answer: retry later */
};

/* Which tier a reason is filed in; DEFAULT keeps the built-in one. */
enum rn_tier {
	RN_TIER_DEFAULT = 0,
	RN_TIER_REJECT,
	RN_TIER_REVIEW,
};

#define RN_TIERS_SPEC_MAX	1024

/* Thresholds, caps and tiers, from the configuration. */
struct rn_rules {
	double	face_accept_min;	/* live face vs card portrait */
	double	face_reject_max;	/* below: reject; between: review */
	double	card_portrait_min;	/* selfie card vs front card */
	double	liveness_min;		/* p(live) of the selfie face */
	double	ocr_confidence_min;	/* OCR read trusted from here */
	double	duplicate_face_min;	/* same face under another number */
	int	id_cap;			/* numbers one ID number may hold */
	int	min_age;		/* years; under it: review */
	unsigned char tier[RN_REASON_COUNT];	/* enum rn_tier */
};

/* A measured figure; measured = 0 means "no value" (never a pass). */
struct rn_figure {
	int	measured;
	double	value;
};

struct rn_signals {
	/* Local checks on the declared number (imaging/idnumber.h). */
	int			id_number_valid;
	int			age_years;		/* from the number */

	/* Imaging. */
	struct rn_figure	face_score;		/* live face vs front */
	struct rn_figure	card_portrait_score;	/* selfie card vs front */
	struct rn_figure	liveness;
	struct rn_figure	ocr_confidence;
	int			ocr_read;		/* a valid number read */
	int			ocr_matches_declared;
	int			validity_read;
	int			card_expired;

	/* National ID check; has_upstream = 0 until it was asked. */
	int			has_upstream;
	enum idcheck_result	upstream;
	int			upstream_deadline_passed;

	/* Duplicates. */
	int			active_cases_for_number; /* numbers held */
	struct rn_figure	duplicate_face_score;	/* best other-number */
	int			reused_image;
};

#define RN_DECISION_REASONS_MAX	RN_REASON_COUNT

struct rn_decision {
	enum rn_outcome	 outcome;
	enum rn_reason	 reasons[RN_DECISION_REASONS_MAX];
	size_t		 nreasons;
	const char	*rule;		/* the rule that set the outcome */
};

/* Decides.  Never fails: unknown or missing means not approved. */
void	rn_rules_decide(const struct rn_rules *, const struct rn_signals *,
	    struct rn_decision *);

/*
 * Whether paying for the national ID check is worth it: false when the
 * local signals already reject the case (never pay for a number that
 * cannot exist, a capped number or an expired card).
 */
int	rn_rules_needs_upstream(const struct rn_rules *,
	    const struct rn_signals *);

/*
 * Parses "code=reject|review[,code=...]" (the reason_tiers key) into
 * r->tier.  signal_missing and registry_unavailable cannot move: they
 * are our faults, never the customer's rejection.  Returns 0, or -1
 * with a message in err.
 */
int	rn_rules_parse_tiers(struct rn_rules *, const char *spec, char *err,
	    size_t errlen);

const char	*rn_outcome_name(enum rn_outcome);

#endif
