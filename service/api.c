/*
 * Request plumbing shared by every handler.
 */

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "realname.h"

static void	ctx_onfree(struct http_request *);
static void	ctx_free(struct http_request *);
static int	task_entry(struct kore_task *);
static void	allow_header(struct http_request *, int);
static void	finish(struct http_request *, int);

/* Tasks of this worker, running or queued (one thread: no lock). */
static int64_t	tasks_held;

struct rn_req *
api_begin(struct http_request *req, enum rn_route route, int methods)
{
	struct rn_req	*ctx;

	if ((ctx = req->hdlr_extra) != NULL)
		return (ctx);

	ctx = kore_calloc(1, sizeof(*ctx));
	ctx->started_us = api_now_us();
	ctx->route = route;
	req->hdlr_extra = ctx;
	req->onfree = ctx_onfree;

	if (!(req->method & methods)) {
		allow_header(req, methods);
		(void)api_error(req, HTTP_STATUS_METHOD_NOT_ALLOWED,
		    "method_not_allowed",
		    "this method is not allowed on this path");
		return (NULL);
	}
	return (ctx);
}

void *
api_job(struct rn_req *ctx, size_t job_size, void (*job_free)(void *))
{
	if (ctx->job == NULL) {
		ctx->job = kore_calloc(1, job_size);
		ctx->job_free = job_free;
	}
	return (ctx->job);
}

enum rn_task_state
api_task(struct http_request *req, struct rn_req *ctx, void (*work)(void *),
    size_t job_size, void (*job_free)(void *))
{
	if (!ctx->task_started) {
		if (tasks_held >= rn_cfg.task_queue_max) {
			char	retry[24];

			(void)snprintf(retry, sizeof(retry), "%" PRId64,
			    rn_cfg.overload_retry_after_s);
			http_response_header(req, "retry-after", retry);
			(void)api_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE,
			    "overloaded", "the service is busy; try again "
			    "in a few seconds");
			return (RN_TASK_SHED);
		}
		tasks_held++;
		ctx->task_counted = 1;
		ctx->work = work;
		(void)api_job(ctx, job_size, job_free);
		kore_task_create(&ctx->task, task_entry);
		kore_task_bind_request(&ctx->task, req);
		ctx->task_started = 1;
		kore_task_run(&ctx->task);
		return (RN_TASK_PENDING);
	}
	if (kore_task_state(&ctx->task) != KORE_TASK_STATE_FINISHED) {
		http_request_sleep(req);
		return (RN_TASK_PENDING);
	}
	return (RN_TASK_DONE);
}

int
api_reply_json(struct http_request *req, int status, struct jsonw *w)
{
	const char	*text;

	if ((text = jsonw_text(w)) == NULL) {
		return (api_error(req, HTTP_STATUS_INTERNAL_ERROR,
		    "internal_error", "the answer could not be built"));
	}
	return (api_reply(req, status, "application/json; charset=utf-8",
	    text, strlen(text)));
}

int
api_reply(struct http_request *req, int status, const char *ctype,
    const void *body, size_t len)
{
	return (api_reply_cached(req, status, ctype, "no-store", body, len));
}

int
api_reply_cached(struct http_request *req, int status, const char *ctype,
    const char *cache, const void *body, size_t len)
{
	if (ctype != NULL)
		http_response_header(req, "content-type", ctype);
	http_response_header(req, "cache-control", cache);
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response(req, status, body, len);
	finish(req, status);
	return (KORE_RESULT_OK);
}

int
api_error(struct http_request *req, int status, const char *code,
    const char *message)
{
	struct jsonw	w;
	const char	*text;
	int		 ret;

	jsonw_init(&w, 4096);
	jsonw_error_body(&w, code, message);
	if ((text = jsonw_text(&w)) == NULL)
		text = "{\"error\":{\"code\":\"internal_error\","
		    "\"message\":\"error too long\"}}";
	ret = api_reply(req, status, "application/json; charset=utf-8",
	    text, strlen(text));
	jsonw_free(&w);
	return (ret);
}

uint64_t
api_now_us(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/*
 * Metrics and the access log.  The log names the route label, never the
 * raw path or query string: those can carry personal data.
 */
static void
finish(struct http_request *req, int status)
{
	struct rn_req	*ctx;
	enum rn_route	 route;
	uint64_t	 us;

	ctx = req->hdlr_extra;
	route = ctx != NULL ? ctx->route : RN_ROUTE_UNMATCHED;
	us = ctx != NULL ? api_now_us() - ctx->started_us : 0;
	rn_metrics_observe(route, status, us);
	kore_log(LOG_INFO, "access method=%s route=%s status=%d ms=%.1f",
	    http_method_text(req->method), rn_route_name(route), status,
	    us / 1000.0);
	if (ctx != NULL)
		ctx_free(req);
}

static void
allow_header(struct http_request *req, int methods)
{
	static const struct {
		int		 method;
		const char	*name;
	} names[] = {
		{ HTTP_METHOD_GET, "GET, HEAD" },
		{ HTTP_METHOD_POST, "POST" },
		{ HTTP_METHOD_PUT, "PUT" },
		{ HTTP_METHOD_DELETE, "DELETE" },
	};
	char	allow[64];
	size_t	i, len;

	len = 0;
	allow[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(methods & names[i].method) || len >= sizeof(allow))
			continue;
		len += (size_t)snprintf(allow + len, sizeof(allow) - len,
		    "%s%s", len ? ", " : "", names[i].name);
	}
	http_response_header(req, "allow", allow);
}

/*
 * Kore calls onfree on every free attempt, also while our task still
 * runs (after a client disconnect): free only once the task is done.
 */
static void
ctx_onfree(struct http_request *req)
{
	struct rn_req	*ctx;

	if ((ctx = req->hdlr_extra) == NULL)
		return;
	if (ctx->task_started &&
	    kore_task_state(&ctx->task) != KORE_TASK_STATE_FINISHED)
		return;
	ctx_free(req);
}

static void
ctx_free(struct http_request *req)
{
	struct rn_req	*ctx;

	if ((ctx = req->hdlr_extra) == NULL)
		return;
	if (ctx->task_started)
		kore_task_destroy(&ctx->task);
	if (ctx->task_counted)
		tasks_held--;
	if (ctx->job != NULL) {
		if (ctx->job_free != NULL)
			ctx->job_free(ctx->job);
		kore_free(ctx->job);
	}
	kore_free(ctx);
	req->hdlr_extra = NULL;
	req->onfree = NULL;
}

static int
task_entry(struct kore_task *t)
{
	struct rn_req	*ctx;

	ctx = (struct rn_req *)(void *)((char *)t -
	    offsetof(struct rn_req, task));
	ctx->work(ctx->job);
	return (KORE_RESULT_OK);
}
