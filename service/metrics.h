/*
 * Request metrics shared by all Kore workers: counters live in one
 * anonymous shared mapping made by the parent before the workers fork,
 * updated with atomic adds, rendered in Prometheus text format.
 * Plain C (no Kore) so it is unit-tested on its own.
 */
#ifndef RN_METRICS_H
#define RN_METRICS_H

#include <stdint.h>
#include <stdio.h>

/* Route labels; the order matches rn_route_names in metrics.c. */
enum rn_route {
	RN_ROUTE_HEALTHZ,
	RN_ROUTE_READYZ,
	RN_ROUTE_METRICS,
	RN_ROUTE_UNMATCHED,
	RN_ROUTE_CASE_CREATE,
	RN_ROUTE_CASE_GET,
	RN_ROUTE_CASE_IMAGE,
	RN_ROUTE_CASE_SUBMIT,
	RN_ROUTE_CASE_RESEND,
	RN_ROUTE_WEB_CUSTOMER,
	RN_ROUTE_WEB_STATIC,
	RN_ROUTE_DELIVERY_CONFIRM,
	RN_ROUTE_DELIVERY_GET,
	RN_ROUTE_REVIEW_PAGE,
	RN_ROUTE_REVIEW_AUTH,
	RN_ROUTE_REVIEW_API,
	RN_ROUTE_REVIEW_PHOTO,
	RN_ROUTE_COUNT
};

/* Maps the shared counters.  Returns 0, or -1 with errno set. */
int	rn_metrics_init(void);

/* Records one answered request: route label, HTTP status, latency. */
void	rn_metrics_observe(enum rn_route, int status, uint64_t latency_us);

/*
 * Records one national ID check: its normalized result (enum
 * idcheck_result), HTTP attempts made, whether the breaker refused it,
 * and its wall time.
 */
void	rn_metrics_observe_idcheck(int result, int attempts, int refused,
	    uint64_t elapsed_ms);

/*
 * Writes every metric in Prometheus text format; breaker_state is the
 * node's ID check breaker (0 closed, 1 open, 2 half-open).
 */
void	rn_metrics_render(FILE *, const char *version, int breaker_state);

const char	*rn_route_name(enum rn_route);

#endif
