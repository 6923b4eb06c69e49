/*
 * The decision pipeline threads of a Kore worker (see pipeline.c).
 */
#ifndef RN_PIPELINE_H
#define RN_PIPELINE_H

#include <stddef.h>

#include "idcheck_client.h"

/* Parent, before the workers fork: shared breaker, keys.  0 or -1. */
int	rn_pipeline_init(char *err, size_t errlen);

/* Worker start and stop. */
void	rn_pipeline_start(void);
void	rn_pipeline_stop(void);

struct jsonw;
struct store_case;

/*
 * Writes "kind", "msisdn" (the re-registered number, or null), "channel"
 * and "dealer" of the case into an open webhook object: every
 * case.decided webhook (pipeline and console) carries them.
 */
void	rn_webhook_case_fields(struct jsonw *, const struct store_case *);

/* The node's breaker, for /readyz and /metrics. */
enum idcheck_breaker_state	rn_pipeline_breaker_state(void);

#endif
