/*
 * The reviewer console under /review/.
 *
 *   GET  /review/  /review/stats  /review/case/{id}   pages
 *   GET  /review/login             the login page
 *   POST /review/login             {name, password} -> session cookie
 *   POST /review/logout
 *   GET  /review/api/session       who is logged in, and the CSRF token
 *   GET  /review/api/queue         REVIEW cases, oldest first (?reason=
 *                                  &channel= filter)
 *   GET  /review/api/stats         supervisor and auditor
 *   GET  /review/api/cases/{id}    everything a decision needs
 *   GET  /review/api/cases/{id}/photos/{side}   the decrypted photo
 *   POST /review/api/cases/{id}/claim|release|decide
 *   POST /review/api/export        supervisor: the regulator export
 *   GET  /review/qa  /review/channels  /review/export   supervisor pages
 *   GET  /review/api/qa/queue      supervisor: QA samples awaiting a look
 *   GET  /review/api/qa/overrides  supervisor: the overrides report
 *   POST /review/api/qa/{id}/verdict   supervisor: agree or override
 *   GET  /review/api/oversight     supervisor: figures per channel and
 *                                  dealer with outlier flags (?days=)
 *   GET  /review/api/oversight.csv the same table as text/csv
 *                                  (service/export.h), a tar download
 *
 * Sessions: a random cookie (HttpOnly, SameSite=Strict, Path=/review,
 * Secure when public_url is https), new at every login, stored only as
 * its SHA-256, ending after review_session_idle_s unused or
 * review_session_max_s after login.  Every POST but the login carries the
 * session's CSRF token in X-CSRF-Token (compared in constant time); the
 * login itself must be JSON, which a cross-site form cannot send.
 *
 * Roles: a reviewer claims, sees the photos of a case it holds and
 * decides; a supervisor also sees every photo, takes over claims and
 * reads the statistics; an auditor reads everything and changes nothing.
 * Every action is audited with the reviewer's name.  Passwords, cookies
 * and tokens are never logged; the access log names only the route.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api.h"
#include "export.h"
#include "jsonr.h"
#include "pipeline.h"
#include "realname.h"
#include "reasons.h"
#include "review_auth.h"
#include "store.h"
#include "store_qa.h"
#include "store_review.h"
#include "vault.h"
#include "web.h"
#include "workctx.h"

int	rn_review_page(struct http_request *);
int	rn_review_login(struct http_request *);
int	rn_review_logout(struct http_request *);
int	rn_review_session(struct http_request *);
int	rn_review_queue(struct http_request *);
int	rn_review_stats(struct http_request *);
int	rn_review_case(struct http_request *);
int	rn_review_case_action(struct http_request *);
int	rn_review_photo(struct http_request *);
int	rn_review_export(struct http_request *);
int	rn_review_qa(struct http_request *);
int	rn_review_qa_verdict(struct http_request *);
int	rn_review_oversight(struct http_request *);

#define COOKIE_NAME	"rn_review"
#define BODY_MAX	(16 * 1024)
#define QUERY_MAX	256
#define HISTORY_MAX	200
#define SAME_NUMBER_MAX	20
#define QUEUE_MAX	500
#define QA_LIST_MAX	500
#define DAYS_DEFAULT	30
#define DAYS_MAX	3660

enum review_op {
	OP_LOGIN,
	OP_LOGOUT,
	OP_SESSION,
	OP_QUEUE,
	OP_STATS,
	OP_CASE,
	OP_CLAIM,
	OP_RELEASE,
	OP_DECIDE,
	OP_PHOTO,
	OP_EXPORT,
	OP_QA_QUEUE,
	OP_QA_OVERRIDES,
	OP_QA_VERDICT,
	OP_OVERSIGHT,
	OP_OVERSIGHT_CSV,
};

struct review_job {
	enum review_op		 op;
	char			 cookie[RN_REVIEW_TOKEN_LEN + 1];
	int			 has_cookie;
	char			 csrf[RN_REVIEW_TOKEN_LEN + 1];
	int			 has_csrf;
	char			 case_id[STORE_ID_LEN + 1];
	enum store_side		 side;
	char			 reason_filter[STORE_REVIEW_REASON_MAX];
	char			 channel_filter[STORE_CHANNEL_MAX];
	int			 days;		/* oversight period */
	unsigned char		*body;
	size_t			 body_len;

	/* Output. */
	int			 status;
	struct jsonw		 out;
	unsigned char		*photo;
	size_t			 photo_len;
	struct export_result	 export;	/* OP_EXPORT's archive */
	char			*csv;		/* OP_OVERSIGHT_CSV's table */
	size_t			 csv_len;
	char			 set_cookie[RN_REVIEW_TOKEN_LEN + 1];
	int			 clear_cookie;
	int			 retry_after;
};

static int	handle(struct http_request *, enum rn_route, int,
		    enum review_op);
static int	answer(struct http_request *, struct review_job *);
static int	export_answer(struct http_request *, struct review_job *);
static int	read_request(struct http_request *, struct review_job *);
static void	cookie_from_header(const char *, struct review_job *);
static int	parse_case_path(const char *, struct review_job *);
static void	parse_query(const char *, struct review_job *);
static void	job_free(void *);
static void	job_error(struct review_job *, int, const char *,
		    const char *);
static int	store_failed(struct review_job *, struct store *);
static struct store *job_store(struct review_job *);
static int	job_session(struct review_job *, struct store *,
		    struct store_session *, int);
static void	actor_of(const struct store_session *, char *, size_t);
static void	work(void *);
static void	login_work(struct review_job *, struct store *);
static void	logout_work(struct review_job *, struct store *);
static void	session_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	queue_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	stats_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	case_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	claim_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	decide_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	photo_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	write_figures(struct jsonw *, const char *);
static int	reject_reasons(struct review_job *, const char *, int,
		    struct jsonw *, const char **);
static int	decision_webhook(struct jsonw *, struct store_outbox_new *,
		    const struct store_case *, enum store_state, const char *,
		    int64_t, const char *, enum store_state);
static void	export_work(struct review_job *, struct store *,
		    const struct store_session *);
static int	parse_qa_path(const char *, struct review_job *);
static int	supervisor_only(struct review_job *,
		    const struct store_session *);
static void	qa_list_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	qa_verdict_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	oversight_work(struct review_job *, struct store *,
		    const struct store_session *);
static void	write_sample(struct jsonw *, const struct store_qa_sample *);
static void	write_rate(struct jsonw *, const char *, int64_t, int64_t);

/*
 * Pages: the same for everyone (no data in them); the scripts fetch the
 * data and go to the login page when the API answers 401.
 */
int
rn_review_page(struct http_request *req)
{
	const char	*page;

	if (api_begin(req, RN_ROUTE_REVIEW_PAGE, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD) == NULL)
		return (KORE_RESULT_OK);
	if (!strcmp(req->path, "/review/") || !strcmp(req->path, "/review"))
		page = "review/index.html";
	else if (!strcmp(req->path, "/review/stats"))
		page = "review/stats.html";
	else if (!strncmp(req->path, "/review/case/", 13))
		page = "review/case.html";
	else if (!strcmp(req->path, "/review/qa"))
		page = "review/qa.html";
	else if (!strcmp(req->path, "/review/channels"))
		page = "review/channels.html";
	else if (!strcmp(req->path, "/review/export"))
		page = "review/export.html";
	else
		return (api_error(req, HTTP_STATUS_NOT_FOUND, "not_found",
		    "no such page"));
	return (rn_web_page(req, page));
}

int
rn_review_login(struct http_request *req)
{
	if (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD) {
		if (api_begin(req, RN_ROUTE_REVIEW_PAGE, HTTP_METHOD_GET |
		    HTTP_METHOD_HEAD) == NULL)
			return (KORE_RESULT_OK);
		return (rn_web_page(req, "review/login.html"));
	}
	return (handle(req, RN_ROUTE_REVIEW_AUTH, HTTP_METHOD_POST, OP_LOGIN));
}

int
rn_review_logout(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_AUTH, HTTP_METHOD_POST,
	    OP_LOGOUT));
}

int
rn_review_session(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_AUTH, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD, OP_SESSION));
}

int
rn_review_queue(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD, OP_QUEUE));
}

int
rn_review_stats(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD, OP_STATS));
}

int
rn_review_case(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD, OP_CASE));
}

int
rn_review_case_action(struct http_request *req)
{
	const char	*p;

	p = strrchr(req->path, '/');
	if (p != NULL && !strcmp(p, "/claim"))
		return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_POST,
		    OP_CLAIM));
	if (p != NULL && !strcmp(p, "/release"))
		return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_POST,
		    OP_RELEASE));
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_POST,
	    OP_DECIDE));
}

int
rn_review_photo(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_PHOTO, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD, OP_PHOTO));
}

int
rn_review_export(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_POST,
	    OP_EXPORT));
}

int
rn_review_qa(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD, !strcmp(req->path, "/review/api/qa/overrides") ?
	    OP_QA_OVERRIDES : OP_QA_QUEUE));
}

int
rn_review_qa_verdict(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_POST,
	    OP_QA_VERDICT));
}

int
rn_review_oversight(struct http_request *req)
{
	return (handle(req, RN_ROUTE_REVIEW_API, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD, !strcmp(req->path, "/review/api/oversight.csv") ?
	    OP_OVERSIGHT_CSV : OP_OVERSIGHT));
}

/*
 * One path for every API route: copy what the request carries in the
 * event loop, do the rest in a task, answer with what it left.
 */
static int
handle(struct http_request *req, enum rn_route route, int methods,
    enum review_op op)
{
	struct rn_req		*ctx;
	struct review_job	*job;

	if ((ctx = api_begin(req, route, methods)) == NULL)
		return (KORE_RESULT_OK);
	job = api_job(ctx, sizeof(*job), job_free);
	if (!ctx->task_started) {
		job->op = op;
		jsonw_init(&job->out, RN_JSON_REPLY_MAX);
		if (read_request(req, job) == -1)
			return (answer(req, job));
	}
	if (api_task(req, ctx, work, sizeof(*job), job_free) ==
	    RN_TASK_PENDING)
		return (KORE_RESULT_RETRY);
	return (answer(req, job));
}

static int
answer(struct http_request *req, struct review_job *job)
{
	char	cookie[RN_REVIEW_TOKEN_LEN + 128], secs[16];
	int	secure;

	secure = strncmp(rn_cfg.public_url, "https://", 8) == 0;
	if (job->set_cookie[0] != '\0') {
		snprintf(cookie, sizeof(cookie), COOKIE_NAME "=%s; "
		    "Path=/review; HttpOnly; SameSite=Strict%s", job->set_cookie,
		    secure ? "; Secure" : "");
		http_response_header(req, "set-cookie", cookie);
	} else if (job->clear_cookie) {
		snprintf(cookie, sizeof(cookie), COOKIE_NAME "=; Path=/review; "
		    "Max-Age=0; HttpOnly; SameSite=Strict%s",
		    secure ? "; Secure" : "");
		http_response_header(req, "set-cookie", cookie);
	}
	if (job->retry_after > 0) {
		snprintf(secs, sizeof(secs), "%d", job->retry_after);
		http_response_header(req, "retry-after", secs);
	}
	if (job->status == 0)
		job_error(job, 500, "internal_error", "no answer was made");
	if (job->export.data != NULL && job->status == 200)
		return (export_answer(req, job));
	if (job->csv != NULL && job->status == 200) {
		http_response_header(req, "content-disposition",
		    "attachment; filename=\"realname-channels.csv\"");
		return (api_reply(req, 200, "text/csv; charset=utf-8",
		    job->csv, job->csv_len));
	}
	if (job->photo != NULL && job->status == 200) {
		http_response_header(req, "content-security-policy",
		    "default-src 'none'; sandbox");
		return (api_reply(req, 200, "image/jpeg", job->photo,
		    job->photo_len));
	}
	return (api_reply_json(req, job->status, &job->out));
}

/* Headers, path and body.  -1 when the request was refused already. */
static int
read_request(struct http_request *req, struct review_job *job)
{
	const char	*v;
	ssize_t		 n;
	size_t		 off, total;

	if (http_request_header(req, "cookie", &v))
		cookie_from_header(v, job);
	if (http_request_header(req, "x-csrf-token", &v) &&
	    strlen(v) == RN_REVIEW_TOKEN_LEN) {
		memcpy(job->csrf, v, RN_REVIEW_TOKEN_LEN + 1);
		job->has_csrf = 1;
	}
	if ((job->op == OP_CASE || job->op == OP_CLAIM ||
	    job->op == OP_RELEASE || job->op == OP_DECIDE ||
	    job->op == OP_PHOTO) && parse_case_path(req->path, job) == -1) {
		job_error(job, 404, "not_found", "no such resource");
		return (-1);
	}
	if (job->op == OP_QA_VERDICT && parse_qa_path(req->path, job) == -1) {
		job_error(job, 404, "not_found", "no such resource");
		return (-1);
	}
	job->days = DAYS_DEFAULT;
	if ((job->op == OP_QUEUE || job->op == OP_OVERSIGHT ||
	    job->op == OP_OVERSIGHT_CSV) && req->query_string != NULL)
		parse_query(req->query_string, job);
	if (job->op == OP_LOGIN && (!http_request_header(req, "content-type",
	    &v) || strncasecmp(v, "application/json", 16) != 0)) {
		job_error(job, 415, "unsupported_media_type",
		    "send the login as application/json");
		return (-1);
	}
	if (req->http_body_length > BODY_MAX) {
		job_error(job, 413, "body_too_large",
		    "the request body is larger than this route accepts");
		return (-1);
	}
	total = req->http_body_length;
	if (total > 0) {
		job->body = kore_malloc(total + 1);
		off = 0;
		while (off < total) {
			n = http_body_read(req, job->body + off, total - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (off != total) {
			job_error(job, 400, "body_incomplete",
			    "the request body could not be read whole");
			return (-1);
		}
		job->body[off] = '\0';
		job->body_len = off;
	}
	return (0);
}

/* "a=b; rn_review=<64 hex>; c=d" */
static void
cookie_from_header(const char *v, struct review_job *job)
{
	const char	*p;
	size_t		 i;

	for (p = v; (p = strstr(p, COOKIE_NAME "=")) != NULL; p++) {
		if (p != v && p[-1] != ' ' && p[-1] != ';')
			continue;
		p += strlen(COOKIE_NAME "=");
		for (i = 0; i < RN_REVIEW_TOKEN_LEN; i++) {
			if (!isxdigit((unsigned char)p[i]))
				break;
		}
		if (i == RN_REVIEW_TOKEN_LEN && (p[i] == '\0' || p[i] == ';' ||
		    p[i] == ' ')) {
			memcpy(job->cookie, p, RN_REVIEW_TOKEN_LEN);
			job->cookie[RN_REVIEW_TOKEN_LEN] = '\0';
			job->has_cookie = 1;
			return;
		}
	}
}

/* "/review/api/cases/<32 hex>[/photos/<side>|/claim|...]" */
static int
parse_case_path(const char *path, struct review_job *job)
{
	const char	*p;
	size_t		 i;

	if (strncmp(path, "/review/api/cases/", 18) != 0)
		return (-1);
	p = path + 18;
	for (i = 0; i < STORE_ID_LEN; i++) {
		if (!isxdigit((unsigned char)p[i]) ||
		    isupper((unsigned char)p[i]))
			return (-1);
	}
	memcpy(job->case_id, p, STORE_ID_LEN);
	job->case_id[STORE_ID_LEN] = '\0';
	p += STORE_ID_LEN;
	if (job->op == OP_PHOTO) {
		if (strncmp(p, "/photos/", 8) != 0)
			return (-1);
		return (store_side_parse(p + 8, &job->side));
	}
	return (0);
}

/* reason=<code>&channel=<name>&days=<n>; anything else is ignored. */
static void
parse_query(const char *qs, struct review_job *job)
{
	const char	*p, *e;
	char		*dst;
	size_t		 len, max, i;

	for (p = qs; p != NULL && *p != '\0'; p = e != NULL ? e + 1 : NULL) {
		e = strchr(p, '&');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len > 5 && len < 10 && !strncmp(p, "days=", 5)) {
			for (i = 5; i < len && isdigit((unsigned char)p[i]);
			    i++)
				;
			if (i == len && atoi(p + 5) >= 1)
				job->days = atoi(p + 5) > DAYS_MAX ? DAYS_MAX :
				    atoi(p + 5);
			continue;
		}
		if (len > 7 && !strncmp(p, "reason=", 7)) {
			dst = job->reason_filter;
			max = sizeof(job->reason_filter);
			p += 7;
			len -= 7;
		} else if (len > 8 && !strncmp(p, "channel=", 8)) {
			dst = job->channel_filter;
			max = sizeof(job->channel_filter);
			p += 8;
			len -= 8;
		} else
			continue;
		if (len >= max)
			continue;
		for (i = 0; i < len; i++) {
			if (!isalnum((unsigned char)p[i]) && p[i] != '_' &&
			    p[i] != '-' && p[i] != '.')
				break;
		}
		if (i != len)
			continue;
		memcpy(dst, p, len);
		dst[len] = '\0';
	}
}

static void
job_free(void *arg)
{
	struct review_job	*job = arg;

	if (job->body != NULL) {
		sodium_memzero(job->body, job->body_len);
		kore_free(job->body);
	}
	if (job->photo != NULL) {
		sodium_memzero(job->photo, job->photo_len);
		free(job->photo);
	}
	export_result_free(&job->export);
	free(job->csv);
	sodium_memzero(job->cookie, sizeof(job->cookie));
	sodium_memzero(job->set_cookie, sizeof(job->set_cookie));
	jsonw_free(&job->out);
}

static void
job_error(struct review_job *job, int status, const char *code,
    const char *message)
{
	jsonw_free(&job->out);
	jsonw_init(&job->out, RN_JSON_REPLY_MAX);
	jsonw_error_body(&job->out, code, message);
	job->status = status;
}

static int
store_failed(struct review_job *job, struct store *st)
{
	kore_log(LOG_ERR, "review: store: %s (%s)", store_error(st),
	    store_code_name(store_errcode(st)));
	if (store_errcode(st) == STORE_UNAVAILABLE)
		job_error(job, 503, "store_unavailable",
		    "the service cannot reach its store; retry later");
	else
		job_error(job, 500, "internal_error", "the request failed");
	return (-1);
}

static struct store *
job_store(struct review_job *job)
{
	struct store	*st;
	char		 err[256];

	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		kore_log(LOG_ERR, "review: %s", err);
		job_error(job, 503, "store_unavailable",
		    "the service cannot reach its store; retry later");
	}
	return (st);
}

/*
 * The request's session, and for a POST its CSRF token.  0, or -1 with
 * 401 (no live session) or 403 (token missing or wrong) set.
 */
static int
job_session(struct review_job *job, struct store *st,
    struct store_session *s, int state_changing)
{
	char	hash[STORE_HASH_HEX_LEN + 1];

	if (!job->has_cookie) {
		job_error(job, 401, "session_required", "log in first");
		return (-1);
	}
	rn_review_session_hash(job->cookie, hash);
	if (store_session_get(st, hash, rn_cfg.review_session_idle_s * 1000,
	    rn_cfg.review_session_max_s * 1000, store_now_ms(), s) == -1) {
		if (store_errcode(st) != STORE_NOT_FOUND)
			return (store_failed(job, st));
		job->clear_cookie = 1;
		job_error(job, 401, "session_expired", "the session ended; "
		    "log in again");
		return (-1);
	}
	if (state_changing && (!job->has_csrf ||
	    !rn_review_token_equal(job->csrf, s->csrf))) {
		job_error(job, 403, "csrf_invalid", "this request needs the "
		    "session's X-CSRF-Token header");
		return (-1);
	}
	return (0);
}

static void
actor_of(const struct store_session *s, char *out, size_t len)
{
	snprintf(out, len, "reviewer:%s", s->reviewer);
}

static void
work(void *arg)
{
	struct review_job	*job = arg;
	struct store		*st;
	struct store_session	 s;
	int			 posting;

	if ((st = job_store(job)) == NULL)
		return;
	if (job->op == OP_LOGIN) {
		login_work(job, st);
		return;
	}
	posting = job->op == OP_LOGOUT || job->op == OP_CLAIM ||
	    job->op == OP_RELEASE || job->op == OP_DECIDE ||
	    job->op == OP_EXPORT || job->op == OP_QA_VERDICT;
	if (job_session(job, st, &s, posting) == -1)
		return;
	switch (job->op) {
	case OP_LOGOUT:
		logout_work(job, st);
		break;
	case OP_SESSION:
		session_work(job, st, &s);
		break;
	case OP_QUEUE:
		queue_work(job, st, &s);
		break;
	case OP_STATS:
		stats_work(job, st, &s);
		break;
	case OP_CASE:
		case_work(job, st, &s);
		break;
	case OP_CLAIM:
	case OP_RELEASE:
		claim_work(job, st, &s);
		break;
	case OP_DECIDE:
		decide_work(job, st, &s);
		break;
	case OP_PHOTO:
		photo_work(job, st, &s);
		break;
	case OP_EXPORT:
		export_work(job, st, &s);
		break;
	case OP_QA_QUEUE:
	case OP_QA_OVERRIDES:
		qa_list_work(job, st, &s);
		break;
	case OP_QA_VERDICT:
		qa_verdict_work(job, st, &s);
		break;
	case OP_OVERSIGHT:
	case OP_OVERSIGHT_CSV:
		oversight_work(job, st, &s);
		break;
	default:
		break;
	}
	sodium_memzero(&s, sizeof(s));
}

/*
 * Login.  An unknown name, a wrong password and a disabled account get
 * the same answer after the same work (one Argon2id verification); a
 * locked account is refused even with the right password.
 */
static void
login_work(struct review_job *job, struct store *st)
{
	struct store_reviewer	 r;
	struct jsonr		 jr;
	char			 name[STORE_REVIEWER_NAME_MAX];
	char			 pw[RN_REVIEW_PASSWORD_MAX + 1];
	char			 cookie[RN_REVIEW_TOKEN_LEN + 1];
	char			 csrf[RN_REVIEW_TOKEN_LEN + 1];
	char			 hash[STORE_HASH_HEX_LEN + 1];
	int64_t			 now, nlen, plen;
	int			 found, ok, locked;

	memset(&r, 0, sizeof(r));
	if (job->body == NULL || jsonr_parse(&jr, job->body,
	    job->body_len) == -1) {
		job_error(job, 400, "body_invalid", "send {\"name\":...,"
		    "\"password\":...}");
		return;
	}
	nlen = jsonr_string(&jr, "name", name, sizeof(name));
	plen = jsonr_string(&jr, "password", pw, sizeof(pw));
	if (nlen < 0 || plen < 0) {
		job_error(job, 400, "field_missing", "name and password are "
		    "required");
		goto done;
	}
	now = store_now_ms();
	found = 0;
	if (nlen < (int64_t)sizeof(name) && store_reviewer_name_valid(name)) {
		if (store_reviewer_get(st, name, &r) == 0)
			found = 1;
		else if (store_errcode(st) != STORE_NOT_FOUND) {
			(void)store_failed(job, st);
			goto done;
		}
	}
	ok = plen < (int64_t)sizeof(pw) &&
	    rn_review_password_check(found ? r.pwhash : NULL, pw);

	if (found && r.locked_until > now) {
		job->retry_after = (int)((r.locked_until - now + 999) / 1000);
		job_error(job, 429, "account_locked", "too many wrong "
		    "passwords: this account is locked for a while");
		goto done;
	}
	if (!found || !ok || r.disabled) {
		if (found && !r.disabled && store_reviewer_login_failed(st,
		    r.name, (int)rn_cfg.review_login_max_failures,
		    rn_cfg.review_lockout_s * 1000, now, &locked) == -1 &&
		    store_errcode(st) != STORE_NOT_FOUND) {
			(void)store_failed(job, st);
			goto done;
		}
		job_error(job, 401, "invalid_credentials", "wrong name or "
		    "password");
		goto done;
	}

	/* A new session at every login: an old cookie is never promoted. */
	if (job->has_cookie) {
		rn_review_session_hash(job->cookie, hash);
		(void)store_session_delete(st, hash, now);
	}
	rn_review_token_new(cookie);
	rn_review_token_new(csrf);
	rn_review_session_hash(cookie, hash);
	if (store_reviewer_login_ok(st, r.name, hash, csrf, now) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 401, "invalid_credentials", "wrong name "
			    "or password");
		else
			(void)store_failed(job, st);
		goto done;
	}
	memcpy(job->set_cookie, cookie, sizeof(cookie));
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "reviewer");
	jsonw_string(&job->out, r.name);
	jsonw_key(&job->out, "role");
	jsonw_string(&job->out, store_role_name(r.role));
	jsonw_key(&job->out, "csrf");
	jsonw_string(&job->out, csrf);
	jsonw_object_close(&job->out);
	job->status = 200;

done:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(&r, sizeof(r));
}

static void
logout_work(struct review_job *job, struct store *st)
{
	char	hash[STORE_HASH_HEX_LEN + 1];

	rn_review_session_hash(job->cookie, hash);
	if (store_session_delete(st, hash, store_now_ms()) == -1 &&
	    store_errcode(st) != STORE_NOT_FOUND) {
		(void)store_failed(job, st);
		return;
	}
	job->clear_cookie = 1;
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "logged_out");
	jsonw_bool(&job->out, 1);
	jsonw_object_close(&job->out);
	job->status = 200;
}

static void
session_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	(void)st;
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "reviewer");
	jsonw_string(&job->out, s->reviewer);
	jsonw_key(&job->out, "role");
	jsonw_string(&job->out, store_role_name(s->role));
	jsonw_key(&job->out, "csrf");
	jsonw_string(&job->out, s->csrf);
	jsonw_key(&job->out, "expires_at");
	jsonw_int(&job->out, s->created_at + rn_cfg.review_session_max_s *
	    1000);
	jsonw_key(&job->out, "idle_s");
	jsonw_int(&job->out, rn_cfg.review_session_idle_s);
	jsonw_object_close(&job->out);
	job->status = 200;
}

static void
queue_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct store_review_item	*items;
	size_t				 n, i;
	int64_t				 now;

	now = store_now_ms();
	if (store_review_queue(st, job->reason_filter, job->channel_filter,
	    QUEUE_MAX, now, &items, &n) == -1) {
		if (store_errcode(st) == STORE_INVALID)
			job_error(job, 400, "filter_invalid", "reason filters "
			    "take a reason code");
		else
			(void)store_failed(job, st);
		return;
	}
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "now");
	jsonw_int(&job->out, now);
	jsonw_key(&job->out, "reviewer");
	jsonw_string(&job->out, s->reviewer);
	jsonw_key(&job->out, "role");
	jsonw_string(&job->out, store_role_name(s->role));
	jsonw_key(&job->out, "items");
	jsonw_array_open(&job->out);
	for (i = 0; i < n; i++) {
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "case_id");
		jsonw_string(&job->out, items[i].id);
		jsonw_key(&job->out, "order_ref");
		jsonw_string(&job->out, items[i].order_ref);
		jsonw_key(&job->out, "channel");
		jsonw_string(&job->out, items[i].channel);
		jsonw_key(&job->out, "since");
		jsonw_int(&job->out, items[i].since);
		jsonw_key(&job->out, "age_ms");
		jsonw_int(&job->out, now - items[i].since);
		jsonw_key(&job->out, "reasons");
		if (items[i].reasons != NULL)
			jsonw_raw(&job->out, items[i].reasons,
			    strlen(items[i].reasons));
		else
			jsonw_null(&job->out);
		jsonw_key(&job->out, "claimed_by");
		if (items[i].claimed_by[0] != '\0')
			jsonw_string(&job->out, items[i].claimed_by);
		else
			jsonw_null(&job->out);
		jsonw_key(&job->out, "claim_expires_at");
		jsonw_int(&job->out, items[i].claim_expires_at);
		jsonw_object_close(&job->out);
	}
	jsonw_array_close(&job->out);
	jsonw_object_close(&job->out);
	store_review_items_free(items, n);
	job->status = 200;
}

static void
stats_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct store_review_stats	 r;
	struct jsonw			*w = &job->out;
	int64_t				 now;
	size_t				 i;

	if (s->role == STORE_ROLE_REVIEWER) {
		job_error(job, 403, "forbidden", "statistics are for "
		    "supervisors and auditors");
		return;
	}
	now = store_now_ms();
	if (store_review_stats(st, now - INT64_C(30) * 86400 * 1000, now,
	    &r) == -1) {
		(void)store_failed(job, st);
		return;
	}
	jsonw_object_open(w);
	jsonw_key(w, "since");
	jsonw_int(w, r.since);
	jsonw_key(w, "now");
	jsonw_int(w, now);
	jsonw_key(w, "decided");
	jsonw_int(w, r.decided);
	jsonw_key(w, "approved");
	jsonw_int(w, r.approved);
	jsonw_key(w, "rejected");
	jsonw_int(w, r.rejected);
	jsonw_key(w, "sent_back");
	jsonw_int(w, r.sent_back);
	jsonw_key(w, "approval_rate");
	if (r.approved + r.rejected > 0)
		jsonw_double(w, (double)r.approved /
		    (double)(r.approved + r.rejected));
	else
		jsonw_null(w);
	jsonw_key(w, "top_reasons");
	jsonw_array_open(w);
	for (i = 0; i < r.nreasons; i++) {
		jsonw_object_open(w);
		jsonw_key(w, "code");
		jsonw_string(w, r.reason[i]);
		jsonw_key(w, "count");
		jsonw_int(w, r.reason_count[i]);
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	jsonw_key(w, "per_day");
	jsonw_array_open(w);
	for (i = 0; i < STORE_REVIEW_STATS_DAYS; i++) {
		jsonw_object_open(w);
		jsonw_key(w, "day");
		jsonw_int(w, r.day0 + (int64_t)i * 86400 * 1000);
		jsonw_key(w, "count");
		jsonw_int(w, r.per_day[i]);
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	jsonw_key(w, "decision_time_ms");
	jsonw_object_open(w);
	jsonw_key(w, "p50");
	jsonw_int(w, r.time_p50);
	jsonw_key(w, "p90");
	jsonw_int(w, r.time_p90);
	jsonw_key(w, "p99");
	jsonw_int(w, r.time_p99);
	jsonw_key(w, "max");
	jsonw_int(w, r.time_max);
	jsonw_object_close(w);
	jsonw_key(w, "queue");
	jsonw_object_open(w);
	jsonw_key(w, "count");
	jsonw_int(w, r.queued);
	jsonw_key(w, "oldest_age_ms");
	jsonw_int(w, r.oldest_age);
	jsonw_key(w, "age_buckets");
	jsonw_array_open(w);
	for (i = 0; i < 4; i++)
		jsonw_int(w, r.age_buckets[i]);
	jsonw_array_close(w);
	jsonw_object_close(w);
	jsonw_object_close(w);
	job->status = 200;
}

/* May this session see the photos of this case (claim, or role)? */
static int
may_see_photos(const struct store_session *s, const char *holder)
{
	if (s->role != STORE_ROLE_REVIEWER)
		return (1);
	return (!strcmp(holder, s->reviewer));
}

static void
case_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct store_case	 c;
	struct store_image	 img;
	struct store_audit_row	*rows;
	struct jsonw		*w = &job->out;
	const struct rn_reason_info *ri;
	char			 holder[STORE_REVIEWER_NAME_MAX];
	char			 other[STORE_ID_LEN + 1];
	char			 ids[SAME_NUMBER_MAX][STORE_ID_LEN + 1];
	char			 actor[STORE_OWNER_MAX], path[128];
	enum store_state	 states[SAME_NUMBER_MAX];
	int64_t			 until, now;
	size_t			 n, i;
	int			 side, have_claim, matched;

	now = store_now_ms();
	if (store_case_get(st, job->case_id, &c) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "not_found", "no such case");
		else
			(void)store_failed(job, st);
		return;
	}
	have_claim = store_review_claim_get(st, c.id, now, holder,
	    &until) == 0;
	if (!have_claim)
		holder[0] = '\0';
	matched = store_decision_upstream_match(c.decision);

	jsonw_object_open(w);
	jsonw_key(w, "case");
	jsonw_object_open(w);
	jsonw_key(w, "id");
	jsonw_string(w, c.id);
	jsonw_key(w, "order_ref");
	jsonw_string(w, c.order_ref);
	jsonw_key(w, "channel");
	jsonw_string(w, c.channel);
	jsonw_key(w, "state");
	jsonw_string(w, store_state_name(c.state));
	jsonw_key(w, "created_at");
	jsonw_int(w, c.created_at);
	jsonw_key(w, "submitted_at");
	jsonw_int(w, c.submitted_at);
	jsonw_key(w, "decided_at");
	jsonw_int(w, c.decided_at);
	jsonw_key(w, "pipeline_claims");
	jsonw_int(w, c.claims);
	jsonw_object_close(w);

	/* What the order system declared, for the reviewer only. */
	jsonw_key(w, "declared");
	jsonw_object_open(w);
	jsonw_key(w, "name");
	jsonw_string(w, c.declared_name);
	jsonw_key(w, "id_number");
	jsonw_string(w, c.id_number);
	jsonw_object_close(w);

	jsonw_key(w, "decision");
	if (c.decision != NULL)
		jsonw_raw(w, c.decision, strlen(c.decision));
	else
		jsonw_null(w);
	jsonw_key(w, "reasons");
	if (c.reasons != NULL)
		jsonw_raw(w, c.reasons, strlen(c.reasons));
	else
		jsonw_null(w);
	jsonw_key(w, "upstream_match");
	jsonw_bool(w, matched);

	jsonw_key(w, "thresholds");
	jsonw_object_open(w);
	jsonw_key(w, "face_accept_min");
	jsonw_double(w, rn_cfg.rules.face_accept_min);
	jsonw_key(w, "face_reject_max");
	jsonw_double(w, rn_cfg.rules.face_reject_max);
	jsonw_key(w, "card_portrait_min");
	jsonw_double(w, rn_cfg.rules.card_portrait_min);
	jsonw_key(w, "liveness_min");
	jsonw_double(w, rn_cfg.rules.liveness_min);
	jsonw_key(w, "ocr_confidence_min");
	jsonw_double(w, rn_cfg.rules.ocr_confidence_min);
	jsonw_key(w, "duplicate_face_min");
	jsonw_double(w, rn_cfg.rules.duplicate_face_min);
	jsonw_object_close(w);

	jsonw_key(w, "claim");
	if (have_claim) {
		jsonw_object_open(w);
		jsonw_key(w, "reviewer");
		jsonw_string(w, holder);
		jsonw_key(w, "expires_at");
		jsonw_int(w, until);
		jsonw_key(w, "mine");
		jsonw_bool(w, !strcmp(holder, s->reviewer));
		jsonw_object_close(w);
	} else
		jsonw_null(w);
	jsonw_key(w, "may_decide");
	jsonw_bool(w, c.state == STORE_STATE_REVIEW &&
	    s->role != STORE_ROLE_AUDITOR);
	jsonw_key(w, "may_see_photos");
	jsonw_bool(w, may_see_photos(s, holder));
	jsonw_key(w, "me");
	jsonw_object_open(w);
	jsonw_key(w, "reviewer");
	jsonw_string(w, s->reviewer);
	jsonw_key(w, "role");
	jsonw_string(w, store_role_name(s->role));
	jsonw_object_close(w);

	/* The three photos' stored figures and geometry; reuse of each. */
	jsonw_key(w, "photos");
	jsonw_object_open(w);
	for (side = 0; side < STORE_SIDE_COUNT; side++) {
		jsonw_key(w, store_side_name((enum store_side)side));
		if (store_image_get(st, c.id, (enum store_side)side,
		    &img) == -1) {
			jsonw_null(w);
			continue;
		}
		jsonw_object_open(w);
		snprintf(path, sizeof(path), "/review/api/cases/%s/photos/%s",
		    c.id, store_side_name((enum store_side)side));
		jsonw_key(w, "url");
		jsonw_string(w, path);
		jsonw_key(w, "purged");
		jsonw_bool(w, img.data == NULL);
		jsonw_key(w, "figures");
		write_figures(w, img.figures);
		jsonw_key(w, "reused_in");
		if (store_image_find_reused(st, c.id, img.plain_sha256,
		    other) == 0)
			jsonw_string(w, other);
		else
			jsonw_null(w);
		jsonw_object_close(w);
		store_image_release(&img);
	}
	jsonw_object_close(w);

	jsonw_key(w, "same_number");
	jsonw_array_open(w);
	if (store_cases_same_number(st, c.id, c.id_number_hash, ids, states,
	    SAME_NUMBER_MAX, &n) == 0) {
		for (i = 0; i < n; i++) {
			jsonw_object_open(w);
			jsonw_key(w, "case_id");
			jsonw_string(w, ids[i]);
			jsonw_key(w, "state");
			jsonw_string(w, store_state_name(states[i]));
			jsonw_object_close(w);
		}
	}
	jsonw_array_close(w);

	jsonw_key(w, "history");
	jsonw_array_open(w);
	rows = kore_calloc(HISTORY_MAX, sizeof(*rows));
	if (store_audit_case(st, c.id, rows, HISTORY_MAX, &n) == 0) {
		for (i = 0; i < n; i++) {
			jsonw_object_open(w);
			jsonw_key(w, "seq");
			jsonw_int(w, rows[i].seq);
			jsonw_key(w, "at");
			jsonw_int(w, rows[i].created_at);
			jsonw_key(w, "actor");
			jsonw_string(w, rows[i].actor);
			jsonw_key(w, "event");
			jsonw_string(w, rows[i].event);
			jsonw_key(w, "detail");
			jsonw_raw(w, rows[i].detail, strlen(rows[i].detail));
			jsonw_object_close(w);
		}
		store_audit_rows_free(rows, n);
	}
	kore_free(rows);
	jsonw_array_close(w);

	jsonw_key(w, "reject_reasons");
	jsonw_array_open(w);
	for (i = 0; i < RN_REASON_COUNT; i++) {
		ri = rn_reason_info((enum rn_reason)i);
		/* Our own faults are never the customer's rejection. */
		if (ri == NULL || !strcmp(ri->code, "signal_missing") ||
		    !strcmp(ri->code, "registry_unavailable"))
			continue;
		jsonw_object_open(w);
		jsonw_key(w, "code");
		jsonw_string(w, ri->code);
		jsonw_key(w, "internal");
		jsonw_string(w, ri->internal);
		jsonw_key(w, "text_zh");
		jsonw_string(w, ri->text_zh);
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	jsonw_object_close(w);
	store_case_release(&c);
	if (jsonw_text(w) == NULL) {
		job_error(job, 500, "internal_error", "the view could not be "
		    "built");
		return;
	}
	job->status = 200;

	actor_of(s, actor, sizeof(actor));
	if (store_audit_append(st, job->case_id, actor, "review.viewed",
	    "{}", now) == -1)
		kore_log(LOG_ERR, "review: audit: %s", store_error(st));
}

/*
 * A photo's figures as stored: the analysis JSON the upload route wrote
 * (too many leaves for jsonr; it is our own output, not input).
 */
static void
write_figures(struct jsonw *w, const char *figures)
{
	if (figures != NULL && *figures == '{')
		jsonw_raw(w, figures, strlen(figures));
	else
		jsonw_null(w);
}

static void
claim_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	int64_t		until;
	int		ret;

	if (s->role == STORE_ROLE_AUDITOR) {
		job_error(job, 403, "forbidden", "auditors read; they do not "
		    "claim or decide");
		return;
	}
	until = 0;
	if (job->op == OP_CLAIM)
		ret = store_review_claim(st, job->case_id, s->reviewer,
		    rn_cfg.review_claim_s * 1000,
		    s->role == STORE_ROLE_SUPERVISOR, store_now_ms(), &until);
	else
		ret = store_review_release(st, job->case_id, s->reviewer,
		    store_now_ms());
	if (ret == -1) {
		if (store_errcode(st) == STORE_CONFLICT)
			job_error(job, 409, job->op == OP_CLAIM ?
			    "claimed_by_another" : "not_claimed",
			    job->op == OP_CLAIM ? "another reviewer holds "
			    "this case, or it is no longer in review" :
			    "you do not hold this case");
		else if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "not_found", "no such case");
		else
			(void)store_failed(job, st);
		return;
	}
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "case_id");
	jsonw_string(&job->out, job->case_id);
	jsonw_key(&job->out, "claimed");
	jsonw_bool(&job->out, job->op == OP_CLAIM);
	if (job->op == OP_CLAIM) {
		jsonw_key(&job->out, "expires_at");
		jsonw_int(&job->out, until);
	}
	jsonw_object_close(&job->out);
	job->status = 200;
}

/*
 * A rejection's reason: a code of the catalogue (never one of our own
 * faults), written as the customer's reasons array, in a
 * re-registration's words when rereg.  -1 after a 400.
 */
static int
reject_reasons(struct review_job *job, const char *reason, int rereg,
    struct jsonw *reasons, const char **code_out)
{
	const struct rn_reason_info	*ri;
	struct rn_reason_info		 buf;
	enum rn_reason			 code;

	if (rn_reason_from_code(reason, &code) == -1 ||
	    code == RN_REASON_SIGNAL_MISSING ||
	    code == RN_REASON_UPSTREAM_UNAVAILABLE) {
		job_error(job, 400, "reason_invalid", "reject with a reason "
		    "code from the catalogue");
		return (-1);
	}
	ri = rn_reason_info_for(code, rereg, &buf);
	jsonw_array_open(reasons);
	rn_reason_write(reasons, ri->code, ri->text_zh, ri->text_en,
	    ri->retry_allowed);
	jsonw_array_close(reasons);
	*code_out = ri->code;
	return (0);
}

/*
 * The case.decided webhook of a console decision (decided_by "reviewer"
 * or "supervisor"), with the same case fields as the pipeline's; a QA
 * override (previous a final state, else STORE_STATE_COUNT) says so and
 * names the outcome it replaced.  -1 if it could not be built.
 */
static int
decision_webhook(struct jsonw *payload, struct store_outbox_new *ob,
    const struct store_case *c, enum store_state to, const char *reasons,
    int64_t now, const char *decided_by, enum store_state previous)
{
	if (reasons == NULL)
		return (-1);
	jsonw_object_open(payload);
	jsonw_key(payload, "event");
	jsonw_string(payload, "case.decided");
	jsonw_key(payload, "case_id");
	jsonw_string(payload, c->id);
	jsonw_key(payload, "order_ref");
	jsonw_string(payload, c->order_ref);
	rn_webhook_case_fields(payload, c);
	jsonw_key(payload, "outcome");
	jsonw_string(payload, to == STORE_STATE_APPROVED ? "approved" :
	    to == STORE_STATE_REJECTED ? "rejected" : "review");
	jsonw_key(payload, "reasons");
	jsonw_raw(payload, reasons, strlen(reasons));
	jsonw_key(payload, "decided_at");
	jsonw_int(payload, now);
	jsonw_key(payload, "decided_by");
	jsonw_string(payload, decided_by);
	if (previous != STORE_STATE_COUNT) {
		jsonw_key(payload, "qa_override");
		jsonw_bool(payload, 1);
		jsonw_key(payload, "previous_outcome");
		jsonw_string(payload, previous == STORE_STATE_APPROVED ?
		    "approved" : "rejected");
	}
	jsonw_object_close(payload);
	memset(ob, 0, sizeof(*ob));
	ob->event = "case.decided";
	ob->url = c->callback_url;
	ob->payload = jsonw_text(payload);
	return (ob->payload == NULL ? -1 : 0);
}

/*
 * approve, reject (with a catalogue reason) or send_back (a new ID check
 * through the pipeline).  Approval needs the stored upstream MATCH: the
 * console says so, and the store refuses it anyway.
 */
static void
decide_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct store_review_decision	 d;
	struct store_outbox_new		 ob;
	struct store_case		 c;
	struct jsonr			 jr;
	struct jsonw			 reasons, payload;
	char				 what[16];
	char				 reason[STORE_REVIEW_REASON_MAX];
	char				 comment[STORE_REVIEW_COMMENT_MAX];
	char				 oid[STORE_ID_LEN + 1];
	int64_t				 now, clen;

	if (s->role == STORE_ROLE_AUDITOR) {
		job_error(job, 403, "forbidden", "auditors read; they do not "
		    "claim or decide");
		return;
	}
	if (job->body == NULL || jsonr_parse(&jr, job->body,
	    job->body_len) == -1 || jsonr_string(&jr, "decision", what,
	    sizeof(what)) < 0) {
		job_error(job, 400, "body_invalid", "send {\"decision\":"
		    "\"approve\"|\"reject\"|\"send_back\", \"reason\":..., "
		    "\"comment\":...}");
		return;
	}
	comment[0] = '\0';
	clen = jsonr_string(&jr, "comment", comment, sizeof(comment));
	if (clen >= (int64_t)sizeof(comment)) {
		job_error(job, 400, "field_invalid", "the comment is too long");
		return;
	}
	reason[0] = '\0';
	(void)jsonr_string(&jr, "reason", reason, sizeof(reason));

	memset(&d, 0, sizeof(d));
	d.case_id = job->case_id;
	d.reviewer = s->reviewer;
	d.comment = comment;
	jsonw_init(&reasons, 64 * 1024);
	jsonw_init(&payload, 64 * 1024);
	memset(&c, 0, sizeof(c));
	if (store_case_get(st, job->case_id, &c) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "not_found", "no such case");
		else
			(void)store_failed(job, st);
		goto done;
	}
	if (!strcmp(what, "approve")) {
		d.to = STORE_STATE_APPROVED;
		d.reason = "approved";
		jsonw_array_open(&reasons);
		jsonw_array_close(&reasons);
	} else if (!strcmp(what, "reject")) {
		if (reject_reasons(job, reason, c.kind ==
		    STORE_KIND_REREGISTRATION, &reasons, &d.reason) == -1)
			goto done;
		d.to = STORE_STATE_REJECTED;
	} else if (!strcmp(what, "send_back")) {
		d.to = STORE_STATE_SUBMITTED;
		d.reason = "send_back";
	} else {
		job_error(job, 400, "decision_invalid", "decision is approve, "
		    "reject or send_back");
		goto done;
	}

	if (d.to == STORE_STATE_APPROVED &&
	    !store_decision_upstream_match(c.decision)) {
		job_error(job, 409, "approve_needs_match", "the national ID "
		    "check did not confirm this identity (no MATCH), so the "
		    "case cannot be approved: reject it, or send it back for "
		    "a new ID check");
		goto done;
	}
	now = store_now_ms();
	if (d.to != STORE_STATE_SUBMITTED) {
		d.reasons_json = jsonw_text(&reasons);
		if (decision_webhook(&payload, &ob, &c, d.to, d.reasons_json,
		    now, "reviewer", STORE_STATE_COUNT) == -1) {
			job_error(job, 500, "internal_error", "the decision "
			    "could not be built");
			goto done;
		}
	}
	if (store_review_decide(st, &d, d.to == STORE_STATE_SUBMITTED ? NULL :
	    &ob, now, oid) == -1) {
		if (store_errcode(st) == STORE_CONFLICT)
			job_error(job, 409, "not_claimed", "decide only a case "
			    "in review that you hold (claims expire); it may "
			    "have been decided already");
		else if (store_errcode(st) == STORE_INVALID)
			job_error(job, 409, "approve_needs_match", "the case "
			    "cannot be approved without an upstream MATCH");
		else
			(void)store_failed(job, st);
		goto done;
	}
	kore_log(LOG_NOTICE, "review: case %s %s by a reviewer (%s)", c.id,
	    store_state_name(d.to), d.reason);
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "case_id");
	jsonw_string(&job->out, c.id);
	jsonw_key(&job->out, "state");
	jsonw_string(&job->out, store_state_name(d.to));
	jsonw_key(&job->out, "reason");
	jsonw_string(&job->out, d.reason);
	if (d.to != STORE_STATE_SUBMITTED) {
		jsonw_key(&job->out, "webhook_delivery_id");
		jsonw_string(&job->out, oid);
	}
	jsonw_object_close(&job->out);
	job->status = 200;

done:
	store_case_release(&c);
	jsonw_free(&reasons);
	jsonw_free(&payload);
	sodium_memzero(comment, sizeof(comment));
}

static void
photo_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct store_image	 img;
	char			 holder[STORE_REVIEWER_NAME_MAX], ad[64];
	char			 err[128], actor[STORE_OWNER_MAX], detail[48];
	int64_t			 until, now;
	size_t			 plen;

	now = store_now_ms();
	if (store_review_claim_get(st, job->case_id, now, holder,
	    &until) == -1)
		holder[0] = '\0';
	if (!may_see_photos(s, holder)) {
		job_error(job, 403, "claim_required", "claim the case to see "
		    "its photos");
		return;
	}
	if (store_image_get(st, job->case_id, job->side, &img) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "not_found", "no such photo");
		else
			(void)store_failed(job, st);
		return;
	}
	if (img.data == NULL) {
		store_image_release(&img);
		job_error(job, 410, "photo_purged", "the photo was deleted at "
		    "the end of its retention period; its figures remain");
		return;
	}
	plen = vault_plain_len(img.len);
	if (plen == 0 || (job->photo = malloc(plen)) == NULL) {
		store_image_release(&img);
		job_error(job, 500, "internal_error", "the photo could not be "
		    "opened");
		return;
	}
	snprintf(ad, sizeof(ad), "%s/%s", job->case_id,
	    store_side_name(job->side));
	if (vault_open_blob(rn_vault, img.data, img.len, ad, job->photo, err,
	    sizeof(err)) == -1) {
		kore_log(LOG_ERR, "review: photo: %s", err);
		store_image_release(&img);
		free(job->photo);
		job->photo = NULL;
		job_error(job, 500, "internal_error", "the photo could not be "
		    "opened");
		return;
	}
	store_image_release(&img);
	job->photo_len = plen;
	job->status = 200;
	actor_of(s, actor, sizeof(actor));
	snprintf(detail, sizeof(detail), "{\"side\":\"%s\"}",
	    store_side_name(job->side));
	if (store_audit_append(st, job->case_id, actor, "review.photo",
	    detail, now) == -1)
		kore_log(LOG_ERR, "review: audit: %s", store_error(st));
}

/*
 * The regulator export (service/export.h): supervisors only, audited by
 * export_run itself.  XXX the archive is built in memory and copied once
 * more into Kore's send buffers; export_max_bytes bounds both.
 */
static void
export_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct export_query	q;
	struct export_limits	lim;
	struct export_result	*r = &job->export;
	char			actor[STORE_OWNER_MAX];
	int			status;

	if (s->role != STORE_ROLE_SUPERVISOR) {
		job_error(job, 403, "forbidden", "only supervisors export "
		    "cases for the regulator");
		return;
	}
	if (export_query_json(&q, job->body, job->body_len, r) == -1) {
		job_error(job, 400, r->api_code, r->err);
		return;
	}
	lim.max_cases = (size_t)rn_cfg.export_max_cases;
	lim.max_bytes = (size_t)rn_cfg.export_max_bytes;
	actor_of(s, actor, sizeof(actor));
	if (export_run(st, rn_vault, rn_id_hash_key, sizeof(rn_id_hash_key),
	    &q, &lim, actor, store_now_ms(), r) == -1) {
		sodium_memzero(&q, sizeof(q));
		switch (r->code) {
		case EXPORT_INVALID:
			status = 400;
			break;
		case EXPORT_TOO_MANY:
		case EXPORT_TOO_LARGE:
			status = 422;
			break;
		case EXPORT_UNAVAILABLE:
			status = 503;
			break;
		default:
			kore_log(LOG_ERR, "review: export: %s", r->err);
			job_error(job, 500, "internal_error", "the export "
			    "failed");
			return;
		}
		job_error(job, status, r->api_code, r->err);
		return;
	}
	sodium_memzero(&q, sizeof(q));
	kore_log(LOG_NOTICE, "review: export of %zu cases (manifest %s)",
	    r->ncases, r->manifest_sha256);
	job->status = 200;
}

static int
export_answer(struct http_request *req, struct review_job *job)
{
	char		name[128], count[24];
	struct tm	tm;
	time_t		now;

	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(name, sizeof(name), "attachment; filename=\""
	    "realname-export-%Y%m%dT%H%M%SZ.tar\"", &tm) == 0)
		snprintf(name, sizeof(name), "attachment; filename=\""
		    "realname-export.tar\"");
	snprintf(count, sizeof(count), "%zu", job->export.ncases);
	http_response_header(req, "content-disposition", name);
	http_response_header(req, "x-export-cases", count);
	http_response_header(req, "x-export-manifest-sha256",
	    job->export.manifest_sha256);
	return (api_reply(req, 200, "application/x-tar", job->export.data,
	    job->export.len));
}

/*
 * Supervisor oversight (issue 9): the QA sample of the pipeline's own
 * decisions, and the figures per channel and dealer.  Supervisors only:
 * reviewers and auditors get 403 "forbidden" on every one of these (the
 * auditor keeps the case and audit views above).
 */

/* "/review/api/qa/<32 hex>/verdict" */
static int
parse_qa_path(const char *path, struct review_job *job)
{
	const char	*p;
	size_t		 i;

	if (strncmp(path, "/review/api/qa/", 15) != 0)
		return (-1);
	p = path + 15;
	for (i = 0; i < STORE_ID_LEN; i++) {
		if (!isxdigit((unsigned char)p[i]) ||
		    isupper((unsigned char)p[i]))
			return (-1);
	}
	if (strcmp(p + STORE_ID_LEN, "/verdict") != 0)
		return (-1);
	memcpy(job->case_id, p, STORE_ID_LEN);
	job->case_id[STORE_ID_LEN] = '\0';
	return (0);
}

static int
supervisor_only(struct review_job *job, const struct store_session *s)
{
	if (s->role == STORE_ROLE_SUPERVISOR)
		return (0);
	job_error(job, 403, "forbidden", "QA sampling, channel figures and "
	    "exports are for supervisors only");
	return (-1);
}

static void
write_sample(struct jsonw *w, const struct store_qa_sample *q)
{
	jsonw_object_open(w);
	jsonw_key(w, "case_id");
	jsonw_string(w, q->case_id);
	jsonw_key(w, "order_ref");
	jsonw_string(w, q->order_ref);
	jsonw_key(w, "channel");
	jsonw_string(w, q->channel);
	jsonw_key(w, "dealer");
	jsonw_string(w, q->dealer);
	jsonw_key(w, "auto_state");
	jsonw_string(w, store_state_name(q->auto_state));
	jsonw_key(w, "state");
	jsonw_string(w, store_state_name(q->state));
	jsonw_key(w, "seq");
	jsonw_int(w, q->seq);
	jsonw_key(w, "sampled_at");
	jsonw_int(w, q->sampled_at);
	jsonw_key(w, "upstream_match");
	jsonw_bool(w, q->upstream_match);
	jsonw_key(w, "reasons");
	if (q->reasons != NULL && *q->reasons == '[')
		jsonw_raw(w, q->reasons, strlen(q->reasons));
	else
		jsonw_null(w);
	jsonw_key(w, "verdict");
	jsonw_string(w, store_qa_verdict_name(q->verdict));
	if (q->verdict != STORE_QA_PENDING) {
		jsonw_key(w, "supervisor");
		jsonw_string(w, q->supervisor);
		jsonw_key(w, "reviewed_at");
		jsonw_int(w, q->reviewed_at);
		jsonw_key(w, "comment");
		jsonw_string(w, q->comment != NULL ? q->comment : "");
	}
	if (q->verdict == STORE_QA_OVERRIDE) {
		jsonw_key(w, "from");
		jsonw_string(w, store_state_name(q->auto_state));
		jsonw_key(w, "to");
		jsonw_string(w, store_state_name(q->to_state));
		jsonw_key(w, "reason");
		jsonw_string(w, q->reason);
	}
	jsonw_object_close(w);
}

/* The pending samples (oldest first), or the overrides (newest first). */
static void
qa_list_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct store_qa_sample	*list;
	struct jsonw		*w = &job->out;
	size_t			 n, i;

	if (supervisor_only(job, s) == -1)
		return;
	if (store_qa_list(st, job->op == OP_QA_OVERRIDES ?
	    STORE_QA_LIST_OVERRIDES : STORE_QA_LIST_PENDING, QA_LIST_MAX,
	    &list, &n) == -1) {
		(void)store_failed(job, st);
		return;
	}
	jsonw_object_open(w);
	jsonw_key(w, "now");
	jsonw_int(w, store_now_ms());
	jsonw_key(w, "share");
	jsonw_double(w, (double)store_qa_share_ppm() / STORE_QA_PPM);
	jsonw_key(w, "method");
	jsonw_string(w, "systematic sampling per channel with a random "
	    "start: decision number n of a channel is sampled when "
	    "floor(n*share + u) grows (u in [0,1) drawn once per channel "
	    "from qa_sample_seed), so each channel gets its share within one");
	jsonw_key(w, "items");
	jsonw_array_open(w);
	for (i = 0; i < n; i++)
		write_sample(w, &list[i]);
	jsonw_array_close(w);
	jsonw_object_close(w);
	store_qa_samples_free(list, n);
	job->status = 200;
}

/*
 * {"verdict":"agree"} or {"verdict":"override","to":"rejected"|"review"|
 * "approved","reason":<code>,"comment":<why>}.  Rejecting takes a reason
 * code from the catalogue; approving needs the stored upstream MATCH
 * (the store refuses it anyway); every override needs a comment.
 */
static void
qa_verdict_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	struct store_qa_decision	 d;
	struct store_qa_sample		 q;
	struct store_outbox_new		 ob;
	struct store_case		 c;
	struct jsonr			 jr;
	struct jsonw			 reasons, payload;
	char				 what[16], to[16];
	char				 reason[STORE_REVIEW_REASON_MAX];
	char				 comment[STORE_REVIEW_COMMENT_MAX];
	char				 oid[STORE_ID_LEN + 1];
	int64_t				 now, clen;
	int				 have_sample;

	if (supervisor_only(job, s) == -1)
		return;
	if (job->body == NULL || jsonr_parse(&jr, job->body,
	    job->body_len) == -1 || jsonr_string(&jr, "verdict", what,
	    sizeof(what)) < 0) {
		job_error(job, 400, "body_invalid", "send {\"verdict\":"
		    "\"agree\"} or {\"verdict\":\"override\",\"to\":..., "
		    "\"reason\":..., \"comment\":...}");
		return;
	}
	comment[0] = reason[0] = to[0] = '\0';
	clen = jsonr_string(&jr, "comment", comment, sizeof(comment));
	if (clen >= (int64_t)sizeof(comment)) {
		job_error(job, 400, "field_invalid", "the comment is too long");
		return;
	}
	(void)jsonr_string(&jr, "reason", reason, sizeof(reason));
	(void)jsonr_string(&jr, "to", to, sizeof(to));

	memset(&d, 0, sizeof(d));
	memset(&c, 0, sizeof(c));
	memset(&q, 0, sizeof(q));
	have_sample = 0;
	jsonw_init(&reasons, 64 * 1024);
	jsonw_init(&payload, 64 * 1024);
	d.case_id = job->case_id;
	d.supervisor = s->reviewer;
	d.comment = comment;
	if (!strcmp(what, "agree"))
		d.verdict = STORE_QA_AGREE;
	else if (!strcmp(what, "override"))
		d.verdict = STORE_QA_OVERRIDE;
	else {
		job_error(job, 400, "verdict_invalid", "verdict is agree or "
		    "override");
		goto done;
	}

	if (store_qa_sample_get(st, job->case_id, &q) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "not_sampled", "this case is not in "
			    "the QA sample");
		else
			(void)store_failed(job, st);
		goto done;
	}
	have_sample = 1;
	if (d.verdict == STORE_QA_OVERRIDE &&
	    store_case_get(st, job->case_id, &c) == -1) {
		(void)store_failed(job, st);
		goto done;
	}
	if (d.verdict == STORE_QA_OVERRIDE) {
		if (comment[0] == '\0') {
			job_error(job, 400, "comment_required", "say why the "
			    "decision is overridden");
			goto done;
		}
		if (!strcmp(to, "rejected")) {
			if (reject_reasons(job, reason, c.kind ==
			    STORE_KIND_REREGISTRATION, &reasons,
			    &d.reason) == -1)
				goto done;
			d.to = STORE_STATE_REJECTED;
		} else if (!strcmp(to, "approved")) {
			d.to = STORE_STATE_APPROVED;
			d.reason = "approved";
			jsonw_array_open(&reasons);
			jsonw_array_close(&reasons);
		} else if (!strcmp(to, "review")) {
			d.to = STORE_STATE_REVIEW;
			d.reason = "qa_second_look";
			if (q.reasons != NULL && *q.reasons == '[')
				jsonw_raw(&reasons, q.reasons,
				    strlen(q.reasons));
			else {
				jsonw_array_open(&reasons);
				jsonw_array_close(&reasons);
			}
		} else {
			job_error(job, 400, "to_invalid", "override to "
			    "rejected, review or approved");
			goto done;
		}
		if ((q.auto_state == STORE_STATE_APPROVED &&
		    d.to != STORE_STATE_REJECTED) ||
		    (q.auto_state == STORE_STATE_REJECTED &&
		    d.to == STORE_STATE_REJECTED)) {
			job_error(job, 409, "override_invalid", "an automatic "
			    "approval is overridden to rejected; an automatic "
			    "rejection to review or approved");
			goto done;
		}
		if (d.to == STORE_STATE_APPROVED && !q.upstream_match) {
			job_error(job, 409, "approve_needs_match", "the national "
			    "ID check did not confirm this identity (no "
			    "MATCH), so the case cannot be approved: send it "
			    "to review instead");
			goto done;
		}
	}

	now = store_now_ms();
	if (d.verdict == STORE_QA_OVERRIDE) {
		d.reasons_json = jsonw_text(&reasons);
		if (decision_webhook(&payload, &ob, &c, d.to, d.reasons_json,
		    now, "supervisor", q.auto_state) == -1) {
			job_error(job, 500, "internal_error", "the override "
			    "could not be built");
			goto done;
		}
	}
	if (store_qa_decide(st, &d, d.verdict == STORE_QA_OVERRIDE ? &ob :
	    NULL, now, oid) == -1) {
		if (store_errcode(st) == STORE_CONFLICT)
			job_error(job, 409, "verdict_conflict", "a verdict was "
			    "recorded already, or the case changed since it "
			    "was sampled");
		else if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "not_sampled", "this case is not in "
			    "the QA sample");
		else if (store_errcode(st) == STORE_INVALID)
			job_error(job, 409, "override_invalid", "the store "
			    "refused this override");
		else
			(void)store_failed(job, st);
		goto done;
	}
	kore_log(LOG_NOTICE, "review: QA %s on case %s by a supervisor",
	    store_qa_verdict_name(d.verdict), job->case_id);
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "case_id");
	jsonw_string(&job->out, job->case_id);
	jsonw_key(&job->out, "verdict");
	jsonw_string(&job->out, store_qa_verdict_name(d.verdict));
	jsonw_key(&job->out, "state");
	jsonw_string(&job->out, store_state_name(d.verdict ==
	    STORE_QA_OVERRIDE ? d.to : q.auto_state));
	if (d.verdict == STORE_QA_OVERRIDE) {
		jsonw_key(&job->out, "webhook_delivery_id");
		jsonw_string(&job->out, oid);
	}
	jsonw_object_close(&job->out);
	job->status = 200;

done:
	if (have_sample) {
		free(q.comment);
		free(q.reasons);
	}
	store_case_release(&c);
	jsonw_free(&reasons);
	jsonw_free(&payload);
	sodium_memzero(comment, sizeof(comment));
}

static void
write_rate(struct jsonw *w, const char *key, int64_t num, int64_t den)
{
	jsonw_key(w, key);
	if (den > 0)
		jsonw_double(w, (double)num / (double)den);
	else
		jsonw_null(w);
}

/*
 * The table of service/oversight.h for the cases opened in the last
 * `days` days, as JSON or as the CSV built from the same rows.
 */
static void
oversight_work(struct review_job *job, struct store *st,
    const struct store_session *s)
{
	static const char *const level[] = { "all", "channel", "dealer" };
	struct rn_oversight_row	*dealers;
	struct rn_oversight	 ov;
	const struct rn_oversight_row *r;
	struct jsonw		*w = &job->out;
	int64_t			 now, since;
	size_t			 n, i, j;

	if (supervisor_only(job, s) == -1)
		return;
	now = store_now_ms();
	since = now - (int64_t)job->days * 86400 * 1000;
	if (store_oversight_dealers(st, since, &dealers, &n) == -1) {
		(void)store_failed(job, st);
		return;
	}
	if (rn_oversight_build(dealers, n, &ov) == -1) {
		free(dealers);
		job_error(job, 500, "internal_error", "out of memory");
		return;
	}
	free(dealers);
	rn_oversight_test(&ov, RN_OVERSIGHT_ALPHA);
	if (job->op == OP_OVERSIGHT_CSV) {
		if (rn_oversight_csv(&ov, &job->csv, &job->csv_len) == -1)
			job_error(job, 500, "internal_error", "the CSV could "
			    "not be built");
		else
			job->status = 200;
		rn_oversight_free(&ov);
		return;
	}

	jsonw_object_open(w);
	jsonw_key(w, "since");
	jsonw_int(w, since);
	jsonw_key(w, "now");
	jsonw_int(w, now);
	jsonw_key(w, "days");
	jsonw_int(w, job->days);
	jsonw_key(w, "test");
	jsonw_object_open(w);
	jsonw_key(w, "method");
	jsonw_string(w, "one-sided exact binomial test of each channel's and "
	    "each dealer's rejections (and, separately, reviews) against the "
	    "overall rate: p = P(X >= k), X ~ Binomial(decided, overall "
	    "rate); flagged when p < alpha / m, m the number of channels or "
	    "of dealers tested (Bonferroni)");
	jsonw_key(w, "alpha");
	jsonw_double(w, ov.alpha);
	jsonw_key(w, "tested_channels");
	jsonw_int(w, (int64_t)ov.tested_channels);
	jsonw_key(w, "tested_dealers");
	jsonw_int(w, (int64_t)ov.tested_dealers);
	jsonw_key(w, "threshold_channel");
	jsonw_double_exact(w, ov.threshold_channel);
	jsonw_key(w, "threshold_dealer");
	jsonw_double_exact(w, ov.threshold_dealer);
	jsonw_object_close(w);
	jsonw_key(w, "rows");
	jsonw_array_open(w);
	for (i = 0; i < ov.nrows; i++) {
		r = &ov.rows[i];
		jsonw_object_open(w);
		jsonw_key(w, "level");
		jsonw_string(w, level[r->level]);
		jsonw_key(w, "channel");
		jsonw_string(w, r->channel);
		jsonw_key(w, "dealer");
		jsonw_string(w, r->dealer);
		jsonw_key(w, "volume");
		jsonw_int(w, r->volume);
		jsonw_key(w, "decided");
		jsonw_int(w, r->decided);
		jsonw_key(w, "approved");
		jsonw_int(w, r->approved);
		write_rate(w, "approval_rate", r->approved, r->decided);
		jsonw_key(w, "rejected");
		jsonw_int(w, r->rejected);
		write_rate(w, "rejection_rate", r->rejected, r->decided);
		jsonw_key(w, "reviewed");
		jsonw_int(w, r->reviewed);
		write_rate(w, "review_rate", r->reviewed, r->decided);
		jsonw_key(w, "top_rejection_reasons");
		jsonw_array_open(w);
		for (j = 0; j < r->ncodes && j < RN_OVERSIGHT_TOP; j++) {
			jsonw_object_open(w);
			jsonw_key(w, "code");
			jsonw_string(w, r->code[j]);
			jsonw_key(w, "count");
			jsonw_int(w, r->code_count[j]);
			jsonw_object_close(w);
		}
		jsonw_array_close(w);
		jsonw_key(w, "qa_sampled");
		jsonw_int(w, r->qa_sampled);
		jsonw_key(w, "qa_checked");
		jsonw_int(w, r->qa_checked);
		jsonw_key(w, "qa_overridden");
		jsonw_int(w, r->qa_overridden);
		write_rate(w, "qa_disagreement_rate", r->qa_overridden,
		    r->qa_checked);
		jsonw_key(w, "duplicate_face");
		jsonw_int(w, r->dup_face);
		jsonw_key(w, "tested");
		jsonw_bool(w, r->tested);
		jsonw_key(w, "p_rejection");
		if (r->tested)
			jsonw_double_exact(w, r->p_reject);
		else
			jsonw_null(w);
		jsonw_key(w, "flag_rejection");
		jsonw_bool(w, r->flag_reject);
		jsonw_key(w, "p_review");
		if (r->tested)
			jsonw_double_exact(w, r->p_review);
		else
			jsonw_null(w);
		jsonw_key(w, "flag_review");
		jsonw_bool(w, r->flag_review);
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	jsonw_object_close(w);
	rn_oversight_free(&ov);
	job->status = 200;
}
