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

/* The node's breaker, for /readyz and /metrics. */
enum idcheck_breaker_state	rn_pipeline_breaker_state(void);

#endif
