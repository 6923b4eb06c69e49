/*
 * Courier confirmation at delivery: the decision, its reasons, and the
 * masking of what the courier may see.  Plain C, no I/O, no Kore.
 *
 * Fail closed: CONFIRMED is returned in exactly one place, and only
 * when the number read at the door equals the approved case's, the
 * recipient's face matched the approved live face at or above the
 * threshold, its liveness was measured and passed, and a chip portrait
 * or name, when the reader sent one, matched too.  A figure that was
 * not measured (or is not a number) can never help confirm.
 */
#ifndef RN_DELIVERY_RULES_H
#define RN_DELIVERY_RULES_H

#include <stddef.h>

#include "rules.h"

enum rn_delivery_outcome {
	RN_DELIVERY_CONFIRMED = 0,
	RN_DELIVERY_MISMATCH,
	RN_DELIVERY_REVIEW,
};

/* Stable codes; append only. */
enum rn_delivery_reason {
	RN_DLV_NUMBER_MISMATCH = 0,
	RN_DLV_FACE_MISMATCH,
	RN_DLV_LIVENESS_LOW,
	RN_DLV_CHIP_PORTRAIT_MISMATCH,
	RN_DLV_CHIP_PORTRAIT_UNUSABLE,
	RN_DLV_NAME_MISMATCH,
	RN_DLV_REFERENCE_MISSING,
	RN_DLV_SIGNAL_MISSING,
	RN_DLV_ATTEMPTS_EXHAUSTED,
	RN_DLV_REASON_COUNT
};

struct rn_delivery_limits {
	double	face_min;	/* recipient vs the approved live face */
	double	chip_min;	/* recipient vs the chip portrait */
	double	liveness_min;	/* p(live) of the recipient photo */
	int	attempts_max;	/* attempts before review */
};

struct rn_delivery_signals {
	int			attempts_before; /* attempts already counted */
	int			number_matches;	/* read == approved number */
	int			reference_found; /* approved live face known */
	struct rn_figure	face_score;	/* recipient vs live face */
	struct rn_figure	liveness;	/* recipient photo */
	int			chip_sent;
	int			chip_face_found;
	struct rn_figure	chip_score;	/* recipient vs chip portrait */
	int			name_sent;
	int			name_matches;
};

struct rn_delivery_decision {
	enum rn_delivery_outcome	outcome;
	enum rn_delivery_reason		reasons[RN_DLV_REASON_COUNT];
	size_t				nreasons;
	const char			*rule;	/* what set the outcome */
};

struct rn_delivery_reason_info {
	const char	*code;
	const char	*text_zh;	/* what the courier tells the customer */
	const char	*text_en;
	const char	*internal;
};

/* Decides.  Never fails: unknown or missing means not confirmed. */
void	rn_delivery_decide(const struct rn_delivery_limits *,
	    const struct rn_delivery_signals *, struct rn_delivery_decision *);

const struct rn_delivery_reason_info *rn_delivery_reason_info(
	    enum rn_delivery_reason);

/* "CONFIRMED", "MISMATCH", "REVIEW". */
const char	*rn_delivery_outcome_name(enum rn_delivery_outcome);

/*
 * The name as a courier may see it: the first character (UTF-8 code
 * point) kept, every other one an asterisk ("张三丰" -> "张**"); a
 * one-character name is all asterisk.  Returns 0, or -1 if the name is
 * empty, not valid UTF-8 or does not fit in out.
 */
int	rn_delivery_mask_name(const char *name, char *out, size_t outlen);

/* The last four characters of an ID number; -1 if it is shorter. */
int	rn_delivery_last4(const char *number, char out[5]);

/*
 * Whether the number read at the door equals the approved one: both
 * normalised (spaces dropped, x upper-cased), compared in constant time
 * for equal lengths.  An empty reading never matches.
 */
int	rn_delivery_number_equal(const char *read, const char *approved);

/* Names compared byte for byte after trimming ASCII white space. */
int	rn_delivery_name_equal(const char *read, const char *approved);

#endif
