/*
 * The national ID check client: one libcurl easy handle per call, hard
 * connect and total timeouts, retries of UPSTREAM_ERROR only (at most
 * `max_attempts`, exponential backoff with full jitter), and a circuit
 * breaker that makes no call at all while open.  Provider specifics
 * (fields, codes, signing) come from the adapter table in
 * idcheck_provider.h.  Plain C, no Kore: called from task threads.
 *
 * Fail closed: every failure mode — timeout, refused connection, HTTP
 * error, unparsable body, open breaker — answers UPSTREAM_ERROR, which
 * the rules never turn into an approval.
 */
#ifndef RN_IDCHECK_CLIENT_H
#define RN_IDCHECK_CLIENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "idcheck_provider.h"
#include "idcheck_result.h"
#include "sign.h"

enum idcheck_breaker_state {
	IDCHECK_BREAKER_CLOSED,
	IDCHECK_BREAKER_OPEN,
	IDCHECK_BREAKER_HALF_OPEN,
};

/*
 * Breaker state, shared by every caller that should see the same
 * upstream health: put it in shared memory (idcheck_breaker_init with
 * shared = 1) to share it across processes.
 */
struct idcheck_breaker {
	pthread_mutex_t			lock;
	enum idcheck_breaker_state	state;
	int				failures;	/* consecutive */
	int64_t				opened_at_ms;
	int				probe_in_flight;
};

struct idcheck_client_config {
	const char			*base_url;	/* "http://host:port" */
	const struct idcheck_provider	*provider;
	const struct sign_key		*key;
	long				 connect_timeout_ms;
	long				 total_timeout_ms;
	int				 max_attempts;
	long				 backoff_base_ms;
	long				 backoff_max_ms;
	int				 breaker_threshold;
	long				 breaker_cooldown_ms;
};

struct idcheck_call {
	const char		*case_id;	/* request ids derive from it */
	int			 first_attempt;	/* 1 on the case's first call */
	const char		*name;		/* UTF-8, sent byte-exact */
	const char		*id_number;
	const void		*portrait_jpeg;	/* optional */
	size_t			 portrait_len;
};

struct idcheck_outcome {
	struct idcheck_response	response;	/* of the last attempt */
	int			attempts;	/* HTTP calls made */
	int			breaker_refused; /* no call: breaker open */
	int64_t			elapsed_ms;
};

void	idcheck_client_config_default(struct idcheck_client_config *);

/* Initialises a breaker; shared = 1 for one in shared memory. */
int	idcheck_breaker_init(struct idcheck_breaker *, int shared);

enum idcheck_breaker_state
	idcheck_breaker_state(struct idcheck_breaker *, int64_t now_ms,
	    long cooldown_ms);

/*
 * Asks the provider.  Always fills out (UPSTREAM_ERROR on any failure)
 * and returns its result.
 */
enum idcheck_result	idcheck_verify(const struct idcheck_client_config *,
			    struct idcheck_breaker *,
			    const struct idcheck_call *,
			    struct idcheck_outcome *out);

#endif
