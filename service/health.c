/*
 * Health, readiness and metrics endpoints, and the JSON 404 for every
 * path no other route takes.
 */

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "diskspace.h"
#include "pipeline.h"
#include "realname.h"
#include "store.h"
#include "workctx.h"

int	rn_healthz(struct http_request *);
int	rn_readyz(struct http_request *);
int	rn_metrics(struct http_request *);
int	rn_not_found(struct http_request *);

struct ready_job {
	int	store_ok;
	char	store_err[256];
	int	disk_ok;
	int	imaging_ok;
	char	imaging_err[256];
	int	space_ok;
	char	space_err[256];
};

static void	ready_probe(void *);
static void	msg_add(char *, size_t, const char *);

static atomic_ulong	probe_seq;

int
rn_healthz(struct http_request *req)
{
	struct jsonw	w;
	int		ret;

	if (api_begin(req, RN_ROUTE_HEALTHZ, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD) == NULL)
		return (KORE_RESULT_OK);

	jsonw_init(&w, 1024);
	jsonw_object_open(&w);
	jsonw_key(&w, "status");
	jsonw_string(&w, "alive");
	jsonw_key(&w, "version");
	jsonw_string(&w, RN_VERSION);
	jsonw_object_close(&w);
	ret = api_reply_json(req, HTTP_STATUS_OK, &w);
	jsonw_free(&w);
	return (ret);
}

/*
 * Ready when the models passed their checksums, a task thread has its
 * imaging engine, the store answers, the state directory takes a
 * durable write, and the store's disks keep their free-space reserve
 * (disk_reserve_mb; uploads are refused below it, so a balancer should
 * send new customers elsewhere).  The probe runs in a task: it fsyncs.
 */
int
rn_readyz(struct http_request *req)
{
	struct rn_req		*ctx;
	struct ready_job	*job;
	struct jsonw		 w;
	int			 ok, ret;
	char			 msg[2048];

	if ((ctx = api_begin(req, RN_ROUTE_READYZ, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD)) == NULL)
		return (KORE_RESULT_OK);
	switch (api_task(req, ctx, ready_probe, sizeof(*job), NULL)) {
	case RN_TASK_PENDING:
		return (KORE_RESULT_RETRY);
	case RN_TASK_SHED:
		return (KORE_RESULT_OK);
	case RN_TASK_DONE:
		break;
	}

	job = ctx->job;
	ok = rn_models_count > 0 && job->store_ok && job->disk_ok &&
	    job->imaging_ok && job->space_ok;

	jsonw_init(&w, 4096);
	jsonw_object_open(&w);
	if (!ok) {
		msg[0] = '\0';
		if (rn_models_count <= 0)
			msg_add(msg, sizeof(msg), rn_models_err);
		if (!job->store_ok || !job->disk_ok)
			msg_add(msg, sizeof(msg), job->store_err);
		if (!job->imaging_ok)
			msg_add(msg, sizeof(msg), job->imaging_err);
		if (!job->space_ok)
			msg_add(msg, sizeof(msg), job->space_err);
		jsonw_key(&w, "error");
		jsonw_object_open(&w);
		jsonw_key(&w, "code");
		jsonw_string(&w, "not_ready");
		jsonw_key(&w, "message");
		jsonw_string(&w, msg);
		jsonw_object_close(&w);
	} else {
		jsonw_key(&w, "status");
		jsonw_string(&w, "ready");
	}
	jsonw_key(&w, "checks");
	jsonw_object_open(&w);
	jsonw_key(&w, "models");
	jsonw_object_open(&w);
	jsonw_key(&w, "ok");
	jsonw_bool(&w, rn_models_count > 0);
	jsonw_key(&w, "files");
	jsonw_int(&w, rn_models_count > 0 ? rn_models_count : 0);
	jsonw_object_close(&w);
	jsonw_key(&w, "store");
	jsonw_object_open(&w);
	jsonw_key(&w, "ok");
	jsonw_bool(&w, job->store_ok);
	jsonw_object_close(&w);
	jsonw_key(&w, "state_dir");
	jsonw_object_open(&w);
	jsonw_key(&w, "ok");
	jsonw_bool(&w, job->disk_ok);
	jsonw_object_close(&w);
	jsonw_key(&w, "imaging");
	jsonw_object_open(&w);
	jsonw_key(&w, "ok");
	jsonw_bool(&w, job->imaging_ok);
	jsonw_object_close(&w);
	jsonw_key(&w, "disk_reserve");
	jsonw_object_open(&w);
	jsonw_key(&w, "ok");
	jsonw_bool(&w, job->space_ok);
	jsonw_object_close(&w);
	/* Informational: an open breaker parks cases, it does not stop us. */
	jsonw_key(&w, "idcheck");
	jsonw_object_open(&w);
	jsonw_key(&w, "breaker");
	switch (rn_pipeline_breaker_state()) {
	case IDCHECK_BREAKER_CLOSED:
		jsonw_string(&w, "closed");
		break;
	case IDCHECK_BREAKER_OPEN:
		jsonw_string(&w, "open");
		break;
	default:
		jsonw_string(&w, "half_open");
		break;
	}
	jsonw_object_close(&w);
	jsonw_object_close(&w);
	jsonw_object_close(&w);

	ret = api_reply_json(req, ok ? HTTP_STATUS_OK :
	    HTTP_STATUS_SERVICE_UNAVAILABLE, &w);
	jsonw_free(&w);
	return (ret);
}

int
rn_metrics(struct http_request *req)
{
	FILE	*fp;
	char	*text;
	size_t	 len;
	int	 ret;

	if (api_begin(req, RN_ROUTE_METRICS, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD) == NULL)
		return (KORE_RESULT_OK);

	text = NULL;
	len = 0;
	if ((fp = open_memstream(&text, &len)) == NULL) {
		return (api_error(req, HTTP_STATUS_INTERNAL_ERROR,
		    "internal_error", "metrics could not be rendered"));
	}
	rn_metrics_render(fp, RN_VERSION, (int)rn_pipeline_breaker_state());
	if (fclose(fp) != 0) {
		free(text);
		return (api_error(req, HTTP_STATUS_INTERNAL_ERROR,
		    "internal_error", "metrics could not be rendered"));
	}
	ret = api_reply(req, HTTP_STATUS_OK,
	    "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
	return (ret);
}

int
rn_not_found(struct http_request *req)
{
	(void)api_begin(req, RN_ROUTE_UNMATCHED, HTTP_METHOD_ALL);
	if (req->hdlr_extra == NULL)
		return (KORE_RESULT_OK);
	return (api_error(req, HTTP_STATUS_NOT_FOUND, "not_found",
	    "no such resource"));
}

/* Appends one cause to the not-ready message, "; " between causes. */
static void
msg_add(char *msg, size_t len, const char *cause)
{
	size_t	used;

	used = strlen(msg);
	if (used + 1 >= len)
		return;
	(void)snprintf(msg + used, len - used, "%s%s", used > 0 ? "; " : "",
	    cause);
}

/* A durable write: create, write, fsync, rename, remove. */
static void
ready_probe(void *arg)
{
	struct ready_job	*job = arg;
	struct store		*st;
	char			 tmp[600], done[640];
	unsigned long		 seq;
	int			 fd;

	/* Unique per probe: task threads run probes concurrently. */
	seq = atomic_fetch_add(&probe_seq, 1);
	snprintf(tmp, sizeof(tmp), "%s/.ready-%ld-%lu.tmp", rn_cfg.state_dir,
	    (long)getpid(), seq);
	snprintf(done, sizeof(done), "%s/.ready-%ld-%lu", rn_cfg.state_dir,
	    (long)getpid(), seq);

	/*
	 * This task thread's imaging engine (models and Tesseract's data):
	 * made once per thread, as an upload would, so "ready" means a
	 * photo can be measured, not only that the model files are sound.
	 */
	if (rn_thread_engine(job->imaging_err, sizeof(job->imaging_err)) !=
	    NULL)
		job->imaging_ok = 1;

	if (diskspace_store_ok(rn_cfg.state_dir, rn_cfg.store_url,
	    (uint64_t)rn_cfg.disk_reserve_mb * 1024 * 1024, job->space_err,
	    sizeof(job->space_err)) == 1)
		job->space_ok = 1;

	/* The store answers a round trip. */
	if ((st = rn_thread_store(job->store_err, sizeof(job->store_err))) !=
	    NULL) {
		if (store_ping(st) == 0)
			job->store_ok = 1;
		else
			snprintf(job->store_err, sizeof(job->store_err),
			    "store: %s", store_error(st));
	}

	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(job->store_err, sizeof(job->store_err),
		    "state_dir: cannot write: %s", strerror(errno));
		return;
	}
	if (write(fd, "ok\n", 3) != 3 || fsync(fd) == -1) {
		snprintf(job->store_err, sizeof(job->store_err),
		    "state_dir: write failed: %s", strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return;
	}
	(void)close(fd);
	if (rename(tmp, done) == -1) {
		snprintf(job->store_err, sizeof(job->store_err),
		    "state_dir: rename failed: %s", strerror(errno));
		(void)unlink(tmp);
		return;
	}
	(void)unlink(done);
	job->disk_ok = 1;
}
