/*
 * The durable pipeline.  Each Kore worker runs `pipeline_threads` threads
 * of its own (not Kore tasks: Kore hands tasks to its threads round-robin,
 * and a case that takes a second must never sit in front of an upload's
 * quality check).  A thread claims a due case from the store under a
 * lease, verifies it, and commits the decision together with its webhook
 * in one transaction; then it delivers due webhooks.  A worker killed
 * mid-case loses nothing: the lease expires and any worker on any node
 * claims the case again; a decision is written once because it is only
 * written while the lease is still ours.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>

#include <curl/curl.h>

#include <kore/kore.h>

#include "auth.h"
#include "idcheck_client.h"
#include "imaging.h"
#include "jsonw.h"
#include "metrics.h"
#include "pipeline.h"
#include "realname.h"
#include "store.h"
#include "verify.h"

#define PIPELINE_THREADS_MAX	16
#define OWNER_MAX		96

static pthread_t		 threads[PIPELINE_THREADS_MAX];
static int			 nthreads;
static volatile int		 stopping;
static struct idcheck_breaker	*breaker;
static struct sign_key		 idcheck_key;
static int			 idcheck_ready;

static void	*pipeline_main(void *);
static int	 decide_one(struct store *, struct imaging_engine *,
		    const char *);
static int	 deliver_one(struct store *, const char *);
static void	 webhook_payload(struct jsonw *, const struct store_case *,
		    const struct verify_result *, int64_t);
static void	 nap(long);
static void	 maintain(struct store *);
static const char *url_path(const char *);

int
rn_pipeline_init(char *err, size_t errlen)
{
	void	*p;

	/* One breaker for the whole node: every worker sees its state. */
	p = mmap(NULL, sizeof(*breaker), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "breaker: %s", strerror(errno));
		return (-1);
	}
	breaker = p;
	if (idcheck_breaker_init(breaker, 1) == -1) {
		snprintf(err, errlen, "breaker: cannot initialise");
		return (-1);
	}
	if (rn_auth_key_file(rn_cfg.idcheck_key_file, "realname", 1,
	    &idcheck_key, err, errlen) == -1)
		return (-1);
	if (idcheck_provider_find(rn_cfg.idcheck_provider) == NULL) {
		snprintf(err, errlen, "key 'idcheck_provider': no provider "
		    "'%s'", rn_cfg.idcheck_provider);
		return (-1);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl failed to initialise");
		return (-1);
	}
	idcheck_ready = 1;
	return (0);
}

void
rn_pipeline_start(void)
{
	int	i;

	stopping = 0;
	for (i = 0; i < rn_cfg.pipeline_threads && i < PIPELINE_THREADS_MAX;
	    i++) {
		if (pthread_create(&threads[i], NULL, pipeline_main,
		    (void *)(intptr_t)i) != 0) {
			kore_log(LOG_ERR, "pipeline: thread %d not started", i);
			break;
		}
		nthreads++;
	}
}

void
rn_pipeline_stop(void)
{
	int	i;

	stopping = 1;
	for (i = 0; i < nthreads; i++)
		(void)pthread_join(threads[i], NULL);
	nthreads = 0;
}

enum idcheck_breaker_state
rn_pipeline_breaker_state(void)
{
	if (breaker == NULL)
		return (IDCHECK_BREAKER_CLOSED);
	return (idcheck_breaker_state(breaker, 0, 0));
}

static void *
pipeline_main(void *arg)
{
	struct store		*st;
	struct imaging_engine	*eng;
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	char			 owner[OWNER_MAX], host[64];
	int64_t			 next_maintenance;
	int			 worked, first;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "node");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s/%ld/%d", host, (long)getpid(),
	    (int)(intptr_t)arg);

	st = NULL;
	eng = NULL;
	first = (int)(intptr_t)arg == 0;
	next_maintenance = 0;
	while (!stopping) {
		if (st == NULL && store_open(&st, rn_cfg.store_url) == -1 &&
		    st == NULL) {
			nap(rn_cfg.poll_ms * 4);
			continue;
		}
		if (eng == NULL) {
			imaging_options_default(&opt);
			opt.threads = 1;
			if ((eng = imaging_engine_new(rn_cfg.models_dir, &opt,
			    &ierr)) == NULL) {
				kore_log(LOG_ERR, "pipeline: imaging: %s",
				    ierr.msg);
				nap(rn_cfg.poll_ms * 20);
				continue;
			}
		}
		worked = decide_one(st, eng, owner);
		worked |= deliver_one(st, owner);
		/* Idempotent, so every worker's first thread may run it. */
		if (first && store_now_ms() >= next_maintenance) {
			maintain(st);
			next_maintenance = store_now_ms() +
			    rn_cfg.maintenance_s * 1000;
		}
		if (!worked)
			nap(rn_cfg.poll_ms);
	}
	imaging_engine_free(eng);
	store_close(st);
	return (NULL);
}

/* Claims and decides one case.  Returns 1 if there was one. */
static int
decide_one(struct store *st, struct imaging_engine *eng, const char *owner)
{
	struct idcheck_client_config	 icfg;
	struct verify_env		 env;
	struct verify_result		 res;
	struct store_case		 c;
	struct store_outbox_new		 ob;
	struct jsonw			 w;
	enum store_state		 to;
	int64_t				 now;

	now = store_now_ms();
	if (store_case_claim(st, owner, rn_cfg.lease_s * 1000, now, &c) ==
	    -1) {
		if (store_errcode(st) != STORE_NOT_FOUND)
			kore_log(LOG_ERR, "pipeline: claim: %s",
			    store_error(st));
		return (0);
	}

	idcheck_client_config_default(&icfg);
	icfg.base_url = rn_cfg.idcheck_url;
	icfg.provider = idcheck_provider_find(rn_cfg.idcheck_provider);
	icfg.key = &idcheck_key;
	icfg.connect_timeout_ms = rn_cfg.idcheck_connect_timeout_ms;
	icfg.total_timeout_ms = rn_cfg.idcheck_timeout_ms;
	icfg.max_attempts = (int)rn_cfg.idcheck_max_attempts;
	icfg.breaker_threshold = (int)rn_cfg.breaker_threshold;
	icfg.breaker_cooldown_ms = rn_cfg.breaker_cooldown_s * 1000;

	memset(&env, 0, sizeof(env));
	env.store = st;
	env.engine = eng;
	env.vault = rn_vault;
	env.rules = &rn_cfg.rules;
	env.idcheck = idcheck_ready ? &icfg : NULL;
	env.breaker = breaker;
	env.upstream_deadline_ms = rn_cfg.upstream_deadline_s * 1000;
	env.daily_cap = rn_cfg.idcheck_daily_cap;

	if (rn_verify_case(&env, &c, now, &res) == -1) {
		/* Leave the lease to expire: the case is tried again. */
		kore_log(LOG_ERR, "pipeline: case %s not verified: %s", c.id,
		    res.error);
		rn_verify_result_free(&res);
		store_case_release(&c);
		return (1);
	}
	if (res.upstream_called)
		rn_metrics_observe_idcheck(res.upstream.response.result,
		    res.upstream.attempts, res.upstream.breaker_refused,
		    (uint64_t)res.upstream.elapsed_ms);

	now = store_now_ms();
	if (res.decision.outcome == RN_OUTCOME_PARKED) {
		if (store_case_park(st, c.id, c.lease_token,
		    now + rn_cfg.park_retry_s * 1000, res.reasons_json,
		    res.decision_json, now) == -1)
			kore_log(LOG_ERR, "pipeline: park %s: %s", c.id,
			    store_error(st));
		else
			kore_log(LOG_NOTICE, "pipeline: case %s parked "
			    "(upstream: %s)", c.id, res.upstream.response.detail);
		goto done;
	}

	switch (res.decision.outcome) {
	case RN_OUTCOME_APPROVED:
		to = STORE_STATE_APPROVED;
		break;
	case RN_OUTCOME_REJECTED:
		to = STORE_STATE_REJECTED;
		break;
	default:
		to = STORE_STATE_REVIEW;
		break;
	}
	jsonw_init(&w, 256 * 1024);
	webhook_payload(&w, &c, &res, now);
	memset(&ob, 0, sizeof(ob));
	ob.event = "case.decided";
	ob.url = c.callback_url;
	ob.payload = jsonw_text(&w) != NULL ? jsonw_text(&w) : "{}";
	if (store_case_decide(st, c.id, c.lease_token, to, res.decision_json,
	    res.reasons_json, &ob, now, NULL) == -1) {
		kore_log(LOG_ERR, "pipeline: decide %s: %s (%s)", c.id,
		    store_error(st), store_code_name(store_errcode(st)));
	} else {
		kore_log(LOG_NOTICE, "pipeline: case %s %s (rule %s)", c.id,
		    rn_outcome_name(res.decision.outcome),
		    res.decision.rule);
	}
	jsonw_free(&w);

done:
	rn_verify_result_free(&res);
	store_case_release(&c);
	return (1);
}

/*
 * What the order system receives: the outcome and reason codes, never
 * the declared name or ID number.  The delivery id travels as a header.
 */

/*
 * The case's kind, the phone number it names (the re-registered one)
 * and where it was sold; the console's decision webhook (review.c)
 * writes the same fields.
 */
void
rn_webhook_case_fields(struct jsonw *w, const struct store_case *c)
{
	jsonw_key(w, "kind");
	jsonw_string(w, store_case_kind_name(c->kind));
	jsonw_key(w, "msisdn");
	if (c->msisdn[0] != '\0')
		jsonw_string(w, c->msisdn);
	else
		jsonw_null(w);
	jsonw_key(w, "channel");
	jsonw_string(w, c->channel);
	jsonw_key(w, "dealer");
	jsonw_string(w, c->dealer);
}
static void
webhook_payload(struct jsonw *w, const struct store_case *c,
    const struct verify_result *r, int64_t now)
{
	jsonw_object_open(w);
	jsonw_key(w, "event");
	jsonw_string(w, "case.decided");
	jsonw_key(w, "case_id");
	jsonw_string(w, c->id);
	jsonw_key(w, "order_ref");
	jsonw_string(w, c->order_ref);
	rn_webhook_case_fields(w, c);
	jsonw_key(w, "outcome");
	jsonw_string(w, rn_outcome_name(r->decision.outcome));
	jsonw_key(w, "reasons");
	jsonw_raw(w, r->reasons_json, strlen(r->reasons_json));
	jsonw_key(w, "decided_at");
	jsonw_int(w, now);
	jsonw_object_close(w);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return (size * n);
}

/* Delivers one due webhook.  Returns 1 if there was one. */
static int
deliver_one(struct store *st, const char *owner)
{
	static const int		 steps[] = { 1, 5, 30, 120, 720 };
	struct store_outbox		 ob;
	const struct sign_key		*key;
	struct sign_headers		 sh;
	struct curl_slist		*hdrs;
	CURL				*c;
	CURLcode			 rc;
	char				 line[160];
	long				 status;
	int64_t				 now, start, next;

	now = store_now_ms();
	if (store_outbox_claim(st, owner, rn_cfg.webhook_timeout_ms * 2 +
	    10000, now, &ob) == -1) {
		if (store_errcode(st) != STORE_NOT_FOUND)
			kore_log(LOG_ERR, "webhook: claim: %s",
			    store_error(st));
		return (0);
	}

	hdrs = NULL;
	status = 0;
	rc = CURLE_FAILED_INIT;
	start = store_now_ms();
	key = rn_auth_webhook_key();
	if (key != NULL && (c = curl_easy_init()) != NULL &&
	    sign_request_headers(key, "POST", url_path(ob.url),
	    (int64_t)time(NULL),
	    ob.payload, strlen(ob.payload), &sh) == 0) {
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, "Expect:");
		snprintf(line, sizeof(line), "X-Delivery-Id: %s", ob.id);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), "X-Event: %s", ob.event);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), SIGN_HEADER_KEY_ID ": %s",
		    sh.key_id);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), SIGN_HEADER_TIMESTAMP ": %s",
		    sh.timestamp);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), SIGN_HEADER_SIGNATURE ": %s",
		    sh.signature);
		hdrs = curl_slist_append(hdrs, line);
		(void)curl_easy_setopt(c, CURLOPT_URL, ob.url);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, ob.payload);
		(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		(void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
		    rn_cfg.webhook_timeout_ms);
		(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		    rn_cfg.webhook_timeout_ms);
		(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		rc = curl_easy_perform(c);
		(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(hdrs);
	now = store_now_ms();

	if (rc == CURLE_OK && status >= 200 && status < 300) {
		if (store_outbox_delivered(st, ob.id, ob.lease_token,
		    (int)status, now - start, now) == -1)
			kore_log(LOG_ERR, "webhook: %s", store_error(st));
	} else {
		if (ob.attempts < (int)(sizeof(steps) / sizeof(steps[0])))
			next = now + (int64_t)steps[ob.attempts] *
			    rn_cfg.webhook_retry_base_s * 1000;
		else
			next = STORE_OUTBOX_RETRY_NEVER;
		snprintf(line, sizeof(line), "%s", rc == CURLE_OK ?
		    "non-2xx answer" : curl_easy_strerror(rc));
		if (store_outbox_retry(st, ob.id, ob.lease_token, (int)status,
		    line, now - start, next, now) == -1)
			kore_log(LOG_ERR, "webhook: %s", store_error(st));
		kore_log(LOG_NOTICE, "webhook %s for case %s: %s (%ld), "
		    "attempt %d", ob.id, ob.case_id, line, status,
		    ob.attempts + 1);
	}
	store_outbox_release(&ob);
	return (1);
}

static void
nap(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* The path (and query) of an http(s) URL, "/" when it has none. */
static const char *
url_path(const char *url)
{
	const char	*p;

	if ((p = strstr(url, "://")) == NULL)
		return ("/");
	if ((p = strchr(p + 3, '/')) == NULL)
		return ("/");
	return (p);
}

/*
 * Retention and housekeeping: image bytes past retention_days (hashes,
 * figures and decisions stay), OPEN cases whose upload link expired, and
 * idempotency keys older than a day.
 */
static void
maintain(struct store *st)
{
	int64_t	now, n;

	now = store_now_ms();
	if (store_image_purge(st, now - rn_cfg.retention_days * 86400000LL,
	    now, &n) == -1)
		kore_log(LOG_ERR, "maintenance: purge: %s", store_error(st));
	else if (n > 0)
		kore_log(LOG_NOTICE, "maintenance: %lld images purged",
		    (long long)n);
	if (store_case_expire(st, now, 1000, &n) == -1)
		kore_log(LOG_ERR, "maintenance: expire: %s", store_error(st));
	else if (n > 0)
		kore_log(LOG_NOTICE, "maintenance: %lld cases expired",
		    (long long)n);
	if (store_idem_purge(st, now - 86400000LL, &n) == -1)
		kore_log(LOG_ERR, "maintenance: idempotency: %s",
		    store_error(st));
}
