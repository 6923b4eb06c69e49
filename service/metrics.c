/*
 * Shared-memory request metrics.
 */

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <sys/mman.h>

#include "idcheck_result.h"
#include "metrics.h"

static const char *const route_names[RN_ROUTE_COUNT] = {
	"/healthz",
	"/readyz",
	"/metrics",
	"unmatched",
	"/v1/cases",
	"/v1/cases/{id}",
	"/v1/cases/{id}/images/{side}",
	"/v1/cases/{id}/submit",
	"/v1/cases/{id}/webhooks/resend",
	"/c/{id}",
	"/static/{file}",
	"/v1/deliveries/{order_ref}/confirm",
	"/v1/deliveries/{order_ref}",
	"/review/{page}",
	"/review/{login,logout,session}",
	"/review/api",
	"/review/api/cases/{id}/photos/{side}",
};

/* Statuses counted by their own label; anything else is "other". */
static const int statuses[] = {
	200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 408, 409, 410,
	411, 413, 415, 422, 429, 500, 502, 503, 504,
};
#define NSTATUS		(sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Latency histogram upper bounds in milliseconds (+Inf implied). */
static const unsigned int buckets_ms[] = {
	1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
};
#define NBUCKET		(sizeof(buckets_ms) / sizeof(buckets_ms[0]))

struct shm {
	atomic_uint_fast64_t	idcheck_calls[IDCHECK_RESULT_COUNT];
	atomic_uint_fast64_t	idcheck_attempts;
	atomic_uint_fast64_t	idcheck_retries;
	atomic_uint_fast64_t	idcheck_refused;
	atomic_uint_fast64_t	idcheck_bucket[NBUCKET];
	atomic_uint_fast64_t	idcheck_count;
	atomic_uint_fast64_t	idcheck_sum_ms;
	atomic_uint_fast64_t	requests[RN_ROUTE_COUNT][NSTATUS];
	atomic_uint_fast64_t	bucket[RN_ROUTE_COUNT][NBUCKET];
	atomic_uint_fast64_t	count[RN_ROUTE_COUNT];
	atomic_uint_fast64_t	sum_us[RN_ROUTE_COUNT];
};

static struct shm	*shm;

static size_t	status_index(int);

int
rn_metrics_init(void)
{
	void	*p;

	if (shm != NULL)
		return (0);
	p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	memset(p, 0, sizeof(*shm));
	shm = p;
	return (0);
}

void
rn_metrics_observe(enum rn_route route, int status, uint64_t latency_us)
{
	size_t		i;

	if (shm == NULL || (unsigned int)route >= RN_ROUTE_COUNT)
		return;
	atomic_fetch_add(&shm->requests[route][status_index(status)], 1);
	for (i = 0; i < NBUCKET; i++) {
		if (latency_us <= (uint64_t)buckets_ms[i] * 1000)
			atomic_fetch_add(&shm->bucket[route][i], 1);
	}
	atomic_fetch_add(&shm->count[route], 1);
	atomic_fetch_add(&shm->sum_us[route], latency_us);
}

void
rn_metrics_observe_idcheck(int result, int attempts, int refused,
    uint64_t elapsed_ms)
{
	size_t	i;

	if (shm == NULL || result < 0 || result >= IDCHECK_RESULT_COUNT)
		return;
	atomic_fetch_add(&shm->idcheck_calls[result], 1);
	atomic_fetch_add(&shm->idcheck_attempts, (uint64_t)attempts);
	if (attempts > 1)
		atomic_fetch_add(&shm->idcheck_retries,
		    (uint64_t)attempts - 1);
	if (refused)
		atomic_fetch_add(&shm->idcheck_refused, 1);
	for (i = 0; i < NBUCKET; i++) {
		if (elapsed_ms <= buckets_ms[i])
			atomic_fetch_add(&shm->idcheck_bucket[i], 1);
	}
	atomic_fetch_add(&shm->idcheck_count, 1);
	atomic_fetch_add(&shm->idcheck_sum_ms, elapsed_ms);
}

static void
render_idcheck(FILE *out, int breaker_state)
{
	size_t	i;

	fprintf(out, "# HELP realname_idcheck_calls_total National ID checks "
	    "by normalized result.\n"
	    "# TYPE realname_idcheck_calls_total counter\n");
	for (i = 0; i < IDCHECK_RESULT_COUNT; i++) {
		fprintf(out, "realname_idcheck_calls_total{result=\"%s\"} "
		    "%llu\n", idcheck_result_name((enum idcheck_result)i),
		    (unsigned long long)atomic_load(&shm->idcheck_calls[i]));
	}
	fprintf(out, "# TYPE realname_idcheck_attempts_total counter\n"
	    "realname_idcheck_attempts_total %llu\n"
	    "# TYPE realname_idcheck_retries_total counter\n"
	    "realname_idcheck_retries_total %llu\n"
	    "# TYPE realname_idcheck_breaker_refused_total counter\n"
	    "realname_idcheck_breaker_refused_total %llu\n"
	    "# HELP realname_idcheck_breaker_state 0 closed, 1 open, "
	    "2 half-open.\n# TYPE realname_idcheck_breaker_state gauge\n"
	    "realname_idcheck_breaker_state %d\n",
	    (unsigned long long)atomic_load(&shm->idcheck_attempts),
	    (unsigned long long)atomic_load(&shm->idcheck_retries),
	    (unsigned long long)atomic_load(&shm->idcheck_refused),
	    breaker_state);
	fprintf(out, "# TYPE realname_idcheck_duration_seconds histogram\n");
	for (i = 0; i < NBUCKET; i++) {
		fprintf(out, "realname_idcheck_duration_seconds_bucket"
		    "{le=\"%g\"} %llu\n", buckets_ms[i] / 1000.0,
		    (unsigned long long)atomic_load(&shm->idcheck_bucket[i]));
	}
	fprintf(out, "realname_idcheck_duration_seconds_bucket{le=\"+Inf\"} "
	    "%llu\nrealname_idcheck_duration_seconds_sum %.3f\n"
	    "realname_idcheck_duration_seconds_count %llu\n",
	    (unsigned long long)atomic_load(&shm->idcheck_count),
	    atomic_load(&shm->idcheck_sum_ms) / 1000.0,
	    (unsigned long long)atomic_load(&shm->idcheck_count));
}

void
rn_metrics_render(FILE *out, const char *version, int breaker_state)
{
	size_t		r, s, b;
	uint64_t	v;

	fprintf(out, "# HELP realname_build_info Build of the running "
	    "service.\n# TYPE realname_build_info gauge\n"
	    "realname_build_info{version=\"%s\",kore=\"4.1\"} 1\n", version);
	if (shm == NULL)
		return;

	fprintf(out, "# HELP realname_http_requests_total Answered "
	    "requests by route and status.\n"
	    "# TYPE realname_http_requests_total counter\n");
	for (r = 0; r < RN_ROUTE_COUNT; r++) {
		for (s = 0; s < NSTATUS; s++) {
			v = atomic_load(&shm->requests[r][s]);
			if (v == 0)
				continue;
			if (s < NSTATUS - 1) {
				fprintf(out, "realname_http_requests_total"
				    "{route=\"%s\",status=\"%d\"} %llu\n",
				    route_names[r], statuses[s],
				    (unsigned long long)v);
			} else {
				fprintf(out, "realname_http_requests_total"
				    "{route=\"%s\",status=\"other\"} %llu\n",
				    route_names[r], (unsigned long long)v);
			}
		}
	}

	fprintf(out, "# HELP realname_http_request_duration_seconds "
	    "Request latency from handler start to answer.\n"
	    "# TYPE realname_http_request_duration_seconds histogram\n");
	for (r = 0; r < RN_ROUTE_COUNT; r++) {
		for (b = 0; b < NBUCKET; b++) {
			fprintf(out, "realname_http_request_duration_seconds_"
			    "bucket{route=\"%s\",le=\"%g\"} %llu\n",
			    route_names[r], buckets_ms[b] / 1000.0,
			    (unsigned long long)atomic_load(
			    &shm->bucket[r][b]));
		}
		v = atomic_load(&shm->count[r]);
		fprintf(out, "realname_http_request_duration_seconds_bucket"
		    "{route=\"%s\",le=\"+Inf\"} %llu\n", route_names[r],
		    (unsigned long long)v);
		fprintf(out, "realname_http_request_duration_seconds_sum"
		    "{route=\"%s\"} %.6f\n", route_names[r],
		    atomic_load(&shm->sum_us[r]) / 1e6);
		fprintf(out, "realname_http_request_duration_seconds_count"
		    "{route=\"%s\"} %llu\n", route_names[r],
		    (unsigned long long)v);
	}
	render_idcheck(out, breaker_state);
}

const char *
rn_route_name(enum rn_route route)
{
	if ((unsigned int)route >= RN_ROUTE_COUNT)
		return ("unknown");
	return (route_names[route]);
}

static size_t
status_index(int status)
{
	size_t	i;

	for (i = 0; i < NSTATUS - 1; i++) {
		if (statuses[i] == status)
			return (i);
	}
	return (NSTATUS - 1);
}
