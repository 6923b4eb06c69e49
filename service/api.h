/*
 * The one way handlers answer: JSON bodies, JSON errors, method checks,
 * per-request context with an optional task, metrics and the access log.
 */
#ifndef RN_API_H
#define RN_API_H

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include "jsonw.h"
#include "metrics.h"

#define RN_JSON_REPLY_MAX	(4 * 1024 * 1024)

/* Per-request state, kept in req->hdlr_extra across handler retries. */
struct rn_req {
	uint64_t		 started_us;
	enum rn_route		 route;
	int			 task_started;
	int			 task_counted;	/* in the worker's queue */
	struct kore_task	 task;
	void			(*work)(void *);
	void			*job;
	void			(*job_free)(void *);
};

enum rn_task_state {
	RN_TASK_PENDING,
	RN_TASK_DONE,
	RN_TASK_SHED,		/* refused: already answered 503 */
};

/*
 * Starts (or resumes) a request on a route that accepts the given Kore
 * method mask.  Returns the context, or NULL after answering 405.
 */
struct rn_req	*api_begin(struct http_request *, enum rn_route, int methods);

/*
 * The request's job: allocated zeroed with job_size bytes on the first
 * call (job_free, if set, runs before it is freed when the request
 * ends), the same pointer on later calls.
 */
void	*api_job(struct rn_req *, size_t job_size, void (*job_free)(void *));

/*
 * Runs work(job) once in a task thread.  job is allocated zeroed with
 * job_size bytes on the first call and freed (after job_free, if set)
 * when the request ends.  Returns RN_TASK_PENDING (the handler must
 * return KORE_RESULT_RETRY) or RN_TASK_DONE.
 *
 * A worker holds at most task_queue_max tasks, running or waiting for a
 * task thread: beyond that the request is answered 503 "overloaded"
 * with Retry-After at once (RN_TASK_SHED: the handler returns
 * KORE_RESULT_OK), so an overloaded service sheds load in microseconds
 * instead of queueing without limit.
 */
enum rn_task_state	api_task(struct http_request *, struct rn_req *,
			    void (*work)(void *), size_t job_size,
			    void (*job_free)(void *));

/* Answers with the writer's JSON text (or a 500 if it failed). */
int	api_reply_json(struct http_request *, int status, struct jsonw *);

/* Answers with a body of the given content type. */
int	api_reply(struct http_request *, int status, const char *ctype,
	    const void *body, size_t len);

/* The same with a Cache-Control value other than no-store. */
int	api_reply_cached(struct http_request *, int status, const char *ctype,
	    const char *cache, const void *body, size_t len);

/* Answers {"error":{"code":code,"message":message}}. */
int	api_error(struct http_request *, int status, const char *code,
	    const char *message);

uint64_t	api_now_us(void);

#endif
