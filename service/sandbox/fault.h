/*
 * Faults the sandbox injects, per request (header X-Sandbox-Fault) or
 * for every request (a schedule set through the loopback admin route).
 * A spec is "kind" or "kind=arg", optionally prefixed by "PCT%:" to
 * apply it to that share of requests:
 *
 *   latency=MS	answer normally after MS milliseconds (0..60000)
 *   hang[=MS]	answer only after MS ms (default 30000): past any timeout
 *   status=N	HTTP 500, 502 or 503
 *   reset	close the connection with a TCP reset, no answer
 *   malformed	HTTP 200 with a truncated JSON body
 *   rate_limit	HTTP 200 with code 1901
 *   unknown_code	HTTP 200 with a code no provider table knows
 *   service_error	HTTP 200 with code 1999
 *
 * Plain C (no Kore).
 */
#ifndef SBX_FAULT_H
#define SBX_FAULT_H

#define SBX_FAULT_SPEC_MAX	64
#define SBX_HANG_DEFAULT_MS	30000
#define SBX_DELAY_MAX_MS	60000

enum sbx_fault_kind {
	SBX_FAULT_NONE = 0,
	SBX_FAULT_LATENCY,
	SBX_FAULT_HANG,
	SBX_FAULT_STATUS,
	SBX_FAULT_RESET,
	SBX_FAULT_MALFORMED,
	SBX_FAULT_RATE_LIMIT,
	SBX_FAULT_UNKNOWN_CODE,
	SBX_FAULT_SERVICE_ERROR,
};

struct sbx_fault {
	enum sbx_fault_kind	kind;
	long			arg;		/* ms or HTTP status */
	int			percent;	/* 1..100 */
};

/* Parses a spec.  Returns 0, or -1 (f is then SBX_FAULT_NONE). */
int	sbx_fault_parse(const char *spec, struct sbx_fault *f);

/*
 * The fault to apply now: f itself when roll (0..99, uniform) falls in
 * its share, else SBX_FAULT_NONE.
 */
enum sbx_fault_kind	sbx_fault_roll(const struct sbx_fault *f,
			    unsigned int roll);

#endif
