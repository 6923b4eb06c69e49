/*
 * Integration harness: a real kore process with our module on a free
 * loopback port, a generated configuration, and an HTTP client.
 */
#ifndef RN_HARNESS_H
#define RN_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

/* The order-system key every harness kore trusts. */
#define HARNESS_CLIENT_ID	"shop"
#define HARNESS_CLIENT_HEX	"00112233445566778899aabbccddeeff" \
				"00112233445566778899aabbccddeeff"

struct harness {
	pid_t	 pid;
	int	 port;
	char	 dir[128];		/* private state directory */
	char	 conf[256];		/* realname configuration */
	char	 log[256];		/* kore's stdout + stderr */
	int	 exit_status;		/* after harness_stop */
	char	 store_url[512];	/* what the service was given */
	/*
	 * Set: the HTTP calls speak https to localhost:port (a TLS front),
	 * trusting this CA file, with CURLOPT_SSLVERSION tls_version.
	 */
	char	 ca_file[256];
	long	 tls_version;
};

struct http_reply {
	long	 status;
	char	*body;
	size_t	 len;
	char	*headers;
};

/*
 * With REALNAME_TEST_STORE=postgresql in the environment, every kore
 * gets a fresh database in one throwaway PostgreSQL cluster (started on
 * first use, stopped at exit); otherwise SQLite in its state directory.
 *
 * Starts kore with the given extra configuration lines (may be NULL) and
 * waits until /healthz answers.  Returns 0, or -1 if kore exited or did
 * not answer within the wait (then h->exit_status holds its status).
 */
int	harness_start(struct harness *, const char *extra_conf);

/*
 * The same, but late_conf is appended to the realname configuration
 * after the Kore configuration was rendered from it: what the module
 * itself makes of a file the renderer never saw.
 */
int	harness_start_late(struct harness *, const char *extra_conf,
	    const char *late_conf);

/*
 * The dealer every harness kore knows (registered through the store
 * once kore has migrated it): callers open cases with
 * "channel":"web","dealer":"web-direct".
 */
#define HARNESS_DEALER		"web-direct"
#define HARNESS_CHANNEL		"web"

/*
 * Registers another dealer for channel in h's store (active unless
 * active is 0).  0, or -1 with a line on stderr.
 */
int	harness_dealer_add(const struct harness *, const char *code,
	    const char *channel, int active);

/* Starts the same kore again (state, store, port kept); 0 or -1. */
int	harness_restart(struct harness *);

/* kill -9 of kore's whole process group (parent and workers). */
int	harness_kill9(struct harness *);

/* Stops kore by its process group and waits.  Returns its exit status. */
int	harness_stop(struct harness *);

/* Removes the state directory. */
void	harness_cleanup(struct harness *);

/* Reads the whole log; caller frees. */
char	*harness_log(const struct harness *);

/* One request; body may be NULL.  Returns 0 or -1 (transport error). */
int	harness_http(const struct harness *, const char *method,
	    const char *path, const void *body, size_t len,
	    struct http_reply *);

/* The same with extra request headers ("Name: value", NULL-ended). */
int	harness_http_h(const struct harness *, const char *method,
	    const char *path, const char *const *headers, const void *body,
	    size_t len, struct http_reply *);

/*
 * A request signed like the order system signs it (service/sign.h) with
 * key, at now + ts_shift seconds; extra may add one header line.
 */
struct sign_key;
int	harness_http_signed(const struct harness *, const struct sign_key *,
	    const char *method, const char *path, const char *body,
	    const char *extra, long ts_shift, struct http_reply *);

/*
 * Stops and starts again the PostgreSQL cluster the harness kores use
 * (REALNAME_TEST_STORE=postgresql): 0, or -1 if there is none.
 */
int	harness_pg_pause(void);
int	harness_pg_resume(void);

/* "key":"value" out of a flat JSON answer.  0, or -1 if absent. */
int	harness_json_field(const char *body, const char *key, char *out,
	    size_t len);

void	http_reply_free(struct http_reply *);

/* The paths meson gives the tests. */
const char	*harness_build_root(void);
const char	*harness_source_root(void);

#endif
