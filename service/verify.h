/*
 * One case's verification: open the three sealed photos, measure them
 * with the imaging engine, check the declared number locally, ask the
 * national ID check only when the local signals do not already reject,
 * look for duplicates, and let the rules decide.  Plain C (no Kore):
 * the pipeline thread calls it; tests call it directly.
 */
#ifndef RN_VERIFY_H
#define RN_VERIFY_H

#include <stddef.h>

#include "idcheck_client.h"
#include "rules.h"
#include "store.h"

struct imaging_engine;
struct vault;

struct verify_env {
	struct store				*store;
	struct imaging_engine			*engine;
	const struct vault			*vault;
	const struct rn_rules			*rules;
	const struct idcheck_client_config	*idcheck;	/* NULL: none */
	struct idcheck_breaker			*breaker;
	int64_t					 upstream_deadline_ms;
	/* Checks per ID number per UTC day (store-wide); 0: no cap. */
	int64_t					 daily_cap;
};

struct verify_result {
	struct rn_signals	signals;
	struct rn_decision	decision;
	struct idcheck_outcome	upstream;
	int			upstream_called;
	int			upstream_capped;	/* our cap: no call */
	char			duplicate_of[STORE_ID_LEN + 1];	/* "" */
	int			reused_measurement;	/* figures of a park */
	char			measured_on[16];	/* YYYY-MM-DD, China */
	char			*decision_json;	/* free() */
	char			*reasons_json;	/* free(): customer-safe */
	char			 error[256];	/* why, if it returns -1 */
};

/*
 * Verifies case c (held under our lease).  Returns 0 with a decision, or
 * -1 when the case could not be verified at all (store or vault failure):
 * the caller leaves the lease to expire so the case is tried again.
 */
int	rn_verify_case(const struct verify_env *, const struct store_case *c,
	    int64_t now, struct verify_result *out);

void	rn_verify_result_free(struct verify_result *);

#endif
