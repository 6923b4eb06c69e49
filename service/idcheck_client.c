/*
 * National ID check client over libcurl.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "idcheck_client.h"
#include "jsonw.h"

struct body {
	char	*data;
	size_t	 len;
	size_t	 max;
	int	 overflow;
};

static enum idcheck_result	attempt(const struct idcheck_client_config *,
				    const struct idcheck_call *, int,
				    struct idcheck_response *);
static int	breaker_admit(const struct idcheck_client_config *,
		    struct idcheck_breaker *, int64_t);
static void	breaker_report(const struct idcheck_client_config *,
		    struct idcheck_breaker *, int, int64_t);
static size_t	collect(char *, size_t, size_t, void *);
static int64_t	mono_ms(void);
static void	sleep_ms(long);

void
idcheck_client_config_default(struct idcheck_client_config *c)
{
	memset(c, 0, sizeof(*c));
	c->provider = idcheck_provider_find("sandbox");
	c->connect_timeout_ms = 1000;
	c->total_timeout_ms = 3000;
	c->max_attempts = 3;
	c->backoff_base_ms = 100;
	c->backoff_max_ms = 2000;
	c->breaker_threshold = 5;
	c->breaker_cooldown_ms = 30000;
}

int
idcheck_breaker_init(struct idcheck_breaker *b, int shared)
{
	pthread_mutexattr_t	attr;
	int			rc;

	memset(b, 0, sizeof(*b));
	b->state = IDCHECK_BREAKER_CLOSED;
	pthread_mutexattr_init(&attr);
	if (shared) {
		pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	}
	rc = pthread_mutex_init(&b->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return (rc == 0 ? 0 : -1);
}

enum idcheck_breaker_state
idcheck_breaker_state(struct idcheck_breaker *b, int64_t now, long cooldown)
{
	enum idcheck_breaker_state	s;

	if (pthread_mutex_lock(&b->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&b->lock);
	s = b->state;
	if (s == IDCHECK_BREAKER_OPEN && now - b->opened_at_ms >= cooldown)
		s = IDCHECK_BREAKER_HALF_OPEN;
	pthread_mutex_unlock(&b->lock);
	return (s);
}

enum idcheck_result
idcheck_verify(const struct idcheck_client_config *cfg,
    struct idcheck_breaker *b, const struct idcheck_call *call,
    struct idcheck_outcome *out)
{
	enum idcheck_result	r;
	int64_t			start;
	long			cap;
	int			n;

	memset(out, 0, sizeof(*out));
	start = mono_ms();
	r = IDCHECK_UPSTREAM_ERROR;
	idcheck_response_upstream_error(&out->response, 0,
	    "no call was made");

	for (n = 0; n < cfg->max_attempts; n++) {
		if (!breaker_admit(cfg, b, mono_ms())) {
			out->breaker_refused = 1;
			idcheck_response_upstream_error(&out->response, 0,
			    "circuit breaker open: no call made");
			r = IDCHECK_UPSTREAM_ERROR;
			break;
		}
		r = attempt(cfg, call, n, &out->response);
		out->attempts++;
		breaker_report(cfg, b, r == IDCHECK_UPSTREAM_ERROR,
		    mono_ms());
		if (!idcheck_result_is_retryable(r) ||
		    n + 1 == cfg->max_attempts)
			break;
		/* Full jitter: a random wait up to base * 2^n, capped. */
		cap = cfg->backoff_base_ms << n;
		if (cap > cfg->backoff_max_ms || cap <= 0)
			cap = cfg->backoff_max_ms;
		sleep_ms((long)randombytes_uniform((uint32_t)cap + 1));
	}
	out->elapsed_ms = mono_ms() - start;
	return (r);
}

/* One HTTP call.  Everything that goes wrong is UPSTREAM_ERROR. */
static enum idcheck_result
attempt(const struct idcheck_client_config *cfg,
    const struct idcheck_call *call, int n, struct idcheck_response *resp)
{
	const struct idcheck_provider	*p = cfg->provider;
	CURL				*c;
	struct curl_slist		*hdrs;
	struct sign_headers		 sh;
	struct jsonw			 w;
	struct body			 body;
	char				 url[1024], rid[96], line[160];
	char				*b64;
	const char			*text;
	size_t				 b64len;
	long				 status;
	CURLcode			 rc;
	enum idcheck_result		 r;

	c = NULL;
	hdrs = NULL;
	b64 = NULL;
	memset(&body, 0, sizeof(body));
	body.max = IDCHECK_BODY_MAX;
	jsonw_init(&w, 16 * 1024 * 1024);

	/* Recognisable upstream: the case and which attempt of it this is. */
	snprintf(rid, sizeof(rid), "%s-%d%s", call->case_id, n + 1,
	    call->first_attempt ? "" : "r");
	if (call->portrait_jpeg != NULL && call->portrait_len > 0) {
		b64len = sodium_base64_encoded_len(call->portrait_len,
		    sodium_base64_VARIANT_ORIGINAL);
		if ((b64 = malloc(b64len)) == NULL) {
			idcheck_response_upstream_error(resp, 0,
			    "out of memory");
			r = IDCHECK_UPSTREAM_ERROR;
			goto done;
		}
		sodium_bin2base64(b64, b64len, call->portrait_jpeg,
		    call->portrait_len, sodium_base64_VARIANT_ORIGINAL);
	}
	idcheck_provider_request_body(p, &w, rid, call->name, call->id_number,
	    b64);
	if ((text = jsonw_text(&w)) == NULL ||
	    sign_request_headers(cfg->key, "POST", p->path,
	    (int64_t)time(NULL), text, strlen(text), &sh) == -1 ||
	    (c = curl_easy_init()) == NULL) {
		idcheck_response_upstream_error(resp, 0,
		    "request could not be built");
		r = IDCHECK_UPSTREAM_ERROR;
		goto done;
	}

	snprintf(url, sizeof(url), "%s%s", cfg->base_url, p->path);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	snprintf(line, sizeof(line), SIGN_HEADER_KEY_ID ": %s", sh.key_id);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), SIGN_HEADER_TIMESTAMP ": %s",
	    sh.timestamp);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), SIGN_HEADER_SIGNATURE ": %s",
	    sh.signature);
	hdrs = curl_slist_append(hdrs, line);

	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_POST, 1L);
	(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	(void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(text));
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    cfg->connect_timeout_ms);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->total_timeout_ms);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);

	rc = curl_easy_perform(c);
	status = 0;
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		snprintf(line, sizeof(line), "transport: %s",
		    body.overflow ? "response larger than the limit" :
		    curl_easy_strerror(rc));
		idcheck_response_upstream_error(resp, status, line);
		r = IDCHECK_UPSTREAM_ERROR;
		goto done;
	}
	r = idcheck_provider_parse(p, status, body.data, body.len, rid, resp);

done:
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	jsonw_free(&w);
	if (b64 != NULL) {
		sodium_memzero(b64, strlen(b64));
		free(b64);
	}
	free(body.data);
	return (r);
}

/*
 * Closed: go.  Open: refuse until the cool-down has passed, then let
 * exactly one probe through (half-open).
 */
static int
breaker_admit(const struct idcheck_client_config *cfg,
    struct idcheck_breaker *b, int64_t now)
{
	int	ok;

	if (b == NULL)
		return (1);
	if (pthread_mutex_lock(&b->lock) == EOWNERDEAD) {
		pthread_mutex_consistent(&b->lock);
		b->probe_in_flight = 0;
	}
	switch (b->state) {
	case IDCHECK_BREAKER_CLOSED:
		ok = 1;
		break;
	case IDCHECK_BREAKER_OPEN:
		ok = now - b->opened_at_ms >= cfg->breaker_cooldown_ms;
		if (ok) {
			b->state = IDCHECK_BREAKER_HALF_OPEN;
			b->probe_in_flight = 1;
		}
		break;
	default:
		/* Half-open: one probe at a time. */
		ok = !b->probe_in_flight;
		if (ok)
			b->probe_in_flight = 1;
		break;
	}
	pthread_mutex_unlock(&b->lock);
	return (ok);
}

static void
breaker_report(const struct idcheck_client_config *cfg,
    struct idcheck_breaker *b, int failed, int64_t now)
{
	if (b == NULL)
		return;
	if (pthread_mutex_lock(&b->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&b->lock);
	if (!failed) {
		b->state = IDCHECK_BREAKER_CLOSED;
		b->failures = 0;
	} else if (b->state == IDCHECK_BREAKER_HALF_OPEN ||
	    ++b->failures >= cfg->breaker_threshold) {
		b->state = IDCHECK_BREAKER_OPEN;
		b->opened_at_ms = now;
	}
	b->probe_in_flight = 0;
	pthread_mutex_unlock(&b->lock);
}

/* Keeps at most body->max bytes; more aborts the transfer. */
static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n;
	char		*np;

	if (b->len + len > b->max) {
		b->overflow = 1;
		return (0);
	}
	if ((np = realloc(b->data, b->len + len + 1)) == NULL)
		return (0);
	b->data = np;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (len);
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
