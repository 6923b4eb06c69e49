/*
 * Integration harness for idcheck-sandbox: a real kore process with the
 * sandbox module, a generated registry and signing key, and a signed
 * HTTP client.  Process handling (stop, log, cleanup) is harness.h's.
 */
#ifndef RN_SANDBOX_HARNESS_H
#define RN_SANDBOX_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "registry.h"
#include "sign.h"

struct sandbox {
	struct harness		h;		/* pid, port, dir, log */
	char			registry_path[256];
	struct sbx_registry	registry;	/* what the sandbox holds */
	struct sign_key		key;
};

/*
 * Starts kore with the sandbox bound to bind_addr (which decides whether
 * the admin routes exist), a registry generated from the shared faces
 * set and a fresh random key.  Waits until it answers.  Returns 0 or -1.
 */
int	sandbox_start(struct sandbox *, const char *bind_addr);

/*
 * The same, with extra registry lines ("number\tname\tvalid\tportrait")
 * after the generated people: identities a test made itself.
 */
int	sandbox_start_with(struct sandbox *, const char *bind_addr,
	    const char *extra_registry);

/* Stops kore, frees the registry and removes the state directory. */
void	sandbox_finish(struct sandbox *);

/*
 * One request with extra headers ("Name: value", NULL-terminated list
 * or NULL) and a total timeout.  Returns 0, or -1 on a transport error
 * (reset, timeout: r->status is then 0).  *elapsed_ms, if not NULL,
 * receives the wall time.
 */
int	sandbox_http(const struct sandbox *, const char *method,
	    const char *path, const void *body, size_t len,
	    const char *const *headers, long timeout_ms, struct http_reply *r,
	    double *elapsed_ms);

/*
 * POST /v1/id/verify signed with the sandbox key at now + skew seconds,
 * with an X-Sandbox-Fault header if fault is not NULL.
 */
int	sandbox_verify(const struct sandbox *, const void *body, size_t len,
	    int64_t skew, const char *fault, long timeout_ms,
	    struct http_reply *r, double *elapsed_ms);

/* The sandbox's call counter (GET /admin/calls), or -1. */
long	sandbox_calls(const struct sandbox *);

/* How many calls a fault was applied to (GET /admin/calls), or -1. */
long	sandbox_faulted(const struct sandbox *);

/* Sets the fault schedule for every call ("none" clears it); 0 or -1. */
int	sandbox_schedule(const struct sandbox *, const char *spec);

/*
 * Writes the sandbox key where a service can read it (0600) and appends
 * the idcheck_url and idcheck_key_file lines that point a realname
 * service at this sandbox to conf (NUL-terminated, len bytes).  0 or -1.
 */
int	sandbox_service_conf(const struct sandbox *, char *conf, size_t len);

#endif
