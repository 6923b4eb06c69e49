/*
 * QA sampling of the pipeline's own decisions, and the figures per
 * channel and dealer (migration 0007; issue 9).  Same rules as store.h:
 * plain C, one handle per thread, 0 or -1 with store_errcode() and
 * store_error(), times in UTC milliseconds passed in.
 *
 * Sampling.  A share s of the pipeline's automatic APPROVED and REJECTED
 * decisions is queued for a supervisor's second look, stratified by
 * channel, by systematic sampling with a random start: each channel
 * counts its eligible decisions (seen = 1, 2, ...) and the decision
 * number `seen` is sampled when floor((seen * s + u) / 10^6) exceeds the
 * samples taken so far, s in parts per million and u the channel's
 * start in [0, 10^6).  After n decisions a channel has exactly
 * floor((n * s + u) / 10^6) samples: n * s / 10^6 within one, whatever
 * the luck.  u is drawn once per channel: from qa_sample_seed (a keyed
 * hash of the seed and the channel: reproducible) or, with seed 0, at
 * random; it is kept in qa_strata.  A change of the share starts the
 * channel's count again.  The choice is made in the decision's own
 * transaction (store_case_decide calls store_qa_sample_tx), so a
 * decision and its sample commit together or not at all.
 *
 * The sample does not change the decision.  A supervisor records a
 * verdict: agree, or override (auto-approved -> REJECTED with a reason;
 * auto-rejected -> REVIEW, or APPROVED only when the stored decision
 * records an upstream MATCH: fail closed).  An override writes the
 * case's new state, the verdict (the sample row is the decision row),
 * the webhook outbox row and the audit row ("supervisor:<name>",
 * qa.overridden) in one transaction; an agreement the verdict and its
 * audit row (qa.agreed).
 */
#ifndef RN_STORE_QA_H
#define RN_STORE_QA_H

#include <stddef.h>
#include <stdint.h>

#include "oversight.h"
#include "store.h"
#include "store_review.h"

#define STORE_QA_PPM		1000000
#define STORE_QA_DEFAULT_SHARE	0.02

enum store_qa_verdict {
	STORE_QA_PENDING = 0,
	STORE_QA_AGREE,
	STORE_QA_OVERRIDE,
};

/* Which samples store_qa_list returns. */
enum store_qa_which {
	STORE_QA_LIST_PENDING = 0,	/* oldest first */
	STORE_QA_LIST_OVERRIDES,	/* newest verdict first */
	STORE_QA_LIST_ALL,		/* newest sample first */
};

struct store_qa_sample {
	char			 case_id[STORE_ID_LEN + 1];
	char			 order_ref[STORE_ORDER_REF_MAX];
	char			 channel[STORE_CHANNEL_MAX];
	char			 dealer[RN_OVERSIGHT_NAME_MAX];
	enum store_state	 auto_state;	/* the pipeline's */
	enum store_state	 state;		/* the case's now */
	int64_t			 seq;		/* position in its stratum */
	int64_t			 sampled_at;
	enum store_qa_verdict	 verdict;
	char			 supervisor[STORE_REVIEWER_NAME_MAX];
	enum store_state	 to_state;	/* override only */
	char			 reason[STORE_REVIEW_REASON_MAX];
	char			*comment;	/* NULL while pending */
	int64_t			 reviewed_at;
	char			*reasons;	/* the case's, JSON or NULL */
	int			 upstream_match;
};

/* A supervisor's verdict on one sample. */
struct store_qa_decision {
	const char		*case_id;
	const char		*supervisor;
	enum store_qa_verdict	 verdict;	/* AGREE or OVERRIDE */
	enum store_state	 to;		/* OVERRIDE: the new state */
	const char		*reason;	/* OVERRIDE: a code */
	const char		*comment;	/* may be "" */
	/* OVERRIDE to APPROVED or REJECTED: the case's new reasons. */
	const char		*reasons_json;
};

/*
 * The process's sampling policy (the module sets it from qa_sample_share
 * and qa_sample_seed at start; the default is 2 %, random starts).
 */
void		 store_qa_policy_set(double share, int64_t seed);
uint32_t	 store_qa_share_ppm(void);
/* A channel's start u in [0, 10^6): keyed by seed, random for 0. */
uint32_t	 store_qa_start(int64_t seed, const char *channel);
/* Whether decision number seen is sampled when sampled were so far. */
int		 store_qa_pick(uint32_t share_ppm, uint32_t start_ppm,
		    int64_t seen, int64_t sampled);

/*
 * Inside store_case_decide's transaction: counts an APPROVED or REJECTED
 * decision of case_id in its channel's stratum and queues it when
 * picked.  Other states, and a case sampled before, are left alone.
 */
int	store_qa_sample_tx(struct store *, const char *case_id,
	    enum store_state to, int64_t now);

/* Samples, at most limit.  Free with store_qa_samples_free. */
int	store_qa_list(struct store *, enum store_qa_which, size_t limit,
	    struct store_qa_sample **out, size_t *n);
int	store_qa_sample_get(struct store *, const char *case_id,
	    struct store_qa_sample *out);
void	store_qa_samples_free(struct store_qa_sample *, size_t n);

/*
 * Records a verdict (see above).  ob is the webhook of an override,
 * NULL for an agreement.  STORE_NOT_FOUND: not sampled; STORE_CONFLICT:
 * a verdict exists already, or the case left the state the pipeline
 * gave it; STORE_INVALID: an override the rules refuse (APPROVED
 * without an upstream MATCH, the same state, a bad reason).
 */
int	store_qa_decide(struct store *, const struct store_qa_decision *,
	    const struct store_outbox_new *ob, int64_t now,
	    char outbox_id[STORE_ID_LEN + 1]);

/*
 * One row per (channel, dealer) of the cases opened since `since`,
 * with their rejection reasons and QA samples, for rn_oversight_build.
 * Free with free().
 */
int	store_oversight_dealers(struct store *, int64_t since,
	    struct rn_oversight_row **out, size_t *n);

const char	*store_qa_verdict_name(enum store_qa_verdict);

#endif
