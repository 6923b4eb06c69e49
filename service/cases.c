/*
 * The case API: the order system opens a case, the customer uploads three
 * photos and submits, both read the state.
 *
 *   POST /v1/cases                          signed (order system)
 *   PUT  /v1/cases/{id}/images/{side}       upload token (customer)
 *   POST /v1/cases/{id}/submit              upload token
 *   GET  /v1/cases/{id}                     upload token, or signed
 *
 * Handlers parse what they can without blocking (path, headers, body
 * bytes), then everything that touches the store, the vault or the
 * imaging engine runs in a task; the task leaves a status and a JSON body
 * in the job and the handler answers with them.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api.h"
#include "auth.h"
#include "decode.h"
#include "diskspace.h"
#include "idnumber.h"
#include "imaging.h"
#include "jsonr.h"
#include "realname.h"
#include "reasons.h"
#include "reencode.h"
#include "store.h"
#include "vault.h"
#include "workctx.h"

int	rn_case_create(struct http_request *);
int	rn_case_get(struct http_request *);
int	rn_case_image(struct http_request *);
int	rn_case_submit(struct http_request *);
int	rn_case_resend(struct http_request *);

#define TOKEN_MAX	128
#define IDEM_MAX	STORE_IDEM_KEY_MAX
#define ERR_MAX		512

struct case_job {
	/* Inputs, copied in the event loop. */
	char			 case_id[STORE_ID_LEN + 1];
	enum store_side		 side;
	char			 token[TOKEN_MAX];
	int			 has_token;
	char			 key_id[SIGN_KEY_ID_MAX];
	char			 timestamp[SIGN_TIMESTAMP_MAX];
	char			 signature[SIGN_HEX_LEN + 2];
	char			 nonce[SIGN_NONCE_MAX + 2];
	int			 has_signature;
	char			 idem_key[IDEM_MAX];
	int			 has_idem;
	char			 method[8];
	char			 path[256];
	unsigned char		*body;
	size_t			 body_len;

	/* Output. */
	int			 status;
	struct jsonw		 out;
};

struct case_route;

static int	case_handle(struct http_request *,
		    const struct case_route *);
static int	case_begin(struct http_request *, enum rn_route, int,
		    size_t, struct case_job **);
static int	case_answer(struct http_request *, struct case_job *);
static int	parse_case_path(const char *, char *, enum store_side *,
		    const char *);
static void	job_free(void *);
static void	job_error(struct case_job *, int, const char *,
		    const char *);
static int	job_signed(struct case_job *, const char **);
static int	job_case_by_token(struct case_job *, struct store *,
		    struct store_case *);
static int	store_failed(struct case_job *, struct store *);
static int	read_kind(struct case_job *, const struct jsonr *,
		    enum store_case_kind *, char *, size_t);
static int	check_dealer(struct case_job *, struct store *, const char *,
		    const char *);
static void	create_work(void *);
static void	image_work(void *);
static void	submit_work(void *);
static void	get_work(void *);
static void	resend_work(void *);
static void	write_case_view(struct jsonw *, const struct store_case *,
		    int);
static int64_t	now_ms(void);
static const char *state_name(enum store_state);

/* What distinguishes the case routes; one handler serves them all. */
struct case_route {
	enum rn_route	  route;
	int		  methods;
	int		  body;		/* 0 none, 1 JSON, 2 image */
	const char	 *suffix;	/* after /v1/cases/<id>; NULL: none */
	void		(*work)(void *);
};

static const struct case_route route_create = {
	RN_ROUTE_CASE_CREATE, HTTP_METHOD_POST, 1, NULL, create_work
};
static const struct case_route route_image = {
	RN_ROUTE_CASE_IMAGE, HTTP_METHOD_PUT, 2, "/images/", image_work
};
static const struct case_route route_submit = {
	RN_ROUTE_CASE_SUBMIT, HTTP_METHOD_POST, 1, "/submit", submit_work
};
static const struct case_route route_resend = {
	RN_ROUTE_CASE_RESEND, HTTP_METHOD_POST, 1, "/webhooks/resend",
	resend_work
};
static const struct case_route route_get = {
	RN_ROUTE_CASE_GET, HTTP_METHOD_GET | HTTP_METHOD_HEAD, 0, "",
	get_work
};

int
rn_case_create(struct http_request *req)
{
	return (case_handle(req, &route_create));
}

int
rn_case_image(struct http_request *req)
{
	return (case_handle(req, &route_image));
}

int
rn_case_submit(struct http_request *req)
{
	return (case_handle(req, &route_submit));
}

int
rn_case_resend(struct http_request *req)
{
	return (case_handle(req, &route_resend));
}

int
rn_case_get(struct http_request *req)
{
	return (case_handle(req, &route_get));
}

/*
 * Parse what the event loop can (path, media type), then run the route's
 * work in a task and answer with what it left in the job.
 */
static int
case_handle(struct http_request *req, const struct case_route *rt)
{
	struct case_job	*job;
	const char	*ctype;
	size_t		 max;
	int		 r;

	max = rt->body == 2 ? (size_t)rn_cfg.body_max_bytes :
	    rt->body == 1 ? (size_t)rn_cfg.json_body_max_bytes : 0;
	if ((r = case_begin(req, rt->route, rt->methods, max, &job)) != -1)
		return (r);
	if (!((struct rn_req *)req->hdlr_extra)->task_started) {
		if (rt->suffix != NULL && parse_case_path(req->path,
		    job->case_id, rt->body == 2 ? &job->side : NULL,
		    rt->suffix) == -1) {
			job_error(job, 404, "not_found", "no such resource");
			return (case_answer(req, job));
		}
		if (rt->body == 2 && (!http_request_header(req,
		    "content-type", &ctype) ||
		    (strncasecmp(ctype, "image/jpeg", 10) != 0 &&
		    strncasecmp(ctype, "image/png", 9) != 0))) {
			job_error(job, 415, "unsupported_media_type",
			    "send the photo as image/jpeg or image/png");
			return (case_answer(req, job));
		}
	}
	switch (api_task(req, req->hdlr_extra, rt->work, sizeof(*job),
	    job_free)) {
	case RN_TASK_PENDING:
		return (KORE_RESULT_RETRY);
	case RN_TASK_SHED:
		return (KORE_RESULT_OK);
	case RN_TASK_DONE:
		break;
	}
	return (case_answer(req, job));
}

/*
 * Common start: method check, then (first call only) copy the headers
 * and the body into the job.  Returns -1 to go on, or a Kore result when
 * the request was already answered.
 */
static int
case_begin(struct http_request *req, enum rn_route route, int methods,
    size_t body_max, struct case_job **jobp)
{
	struct rn_req	*ctx;
	struct case_job	*job;
	const char	*v;
	ssize_t		 n;
	size_t		 off, total;

	if ((ctx = api_begin(req, route, methods)) == NULL)
		return (KORE_RESULT_OK);
	job = api_job(ctx, sizeof(*job), job_free);
	*jobp = job;
	if (ctx->task_started)
		return (-1);

	jsonw_init(&job->out, RN_JSON_REPLY_MAX);
	snprintf(job->method, sizeof(job->method), "%s",
	    http_method_text(req->method));
	if (strlen(req->path) >= sizeof(job->path)) {
		job_error(job, 404, "not_found", "no such resource");
		return (case_answer(req, job));
	}
	snprintf(job->path, sizeof(job->path), "%s", req->path);

	if (http_request_header(req, "authorization", &v) &&
	    strncasecmp(v, "Bearer ", 7) == 0 &&
	    strlen(v + 7) < sizeof(job->token)) {
		snprintf(job->token, sizeof(job->token), "%s", v + 7);
		job->has_token = 1;
	}
	if (http_request_header(req, "x-app-id", &v) &&
	    strlen(v) < sizeof(job->key_id)) {
		snprintf(job->key_id, sizeof(job->key_id), "%s", v);
		job->has_signature = 1;
	}
	if (http_request_header(req, "x-timestamp", &v))
		snprintf(job->timestamp, sizeof(job->timestamp), "%s", v);
	if (http_request_header(req, "x-signature", &v))
		snprintf(job->signature, sizeof(job->signature), "%s", v);
	if (http_request_header(req, "x-nonce", &v))
		snprintf(job->nonce, sizeof(job->nonce), "%s", v);
	if (http_request_header(req, "idempotency-key", &v)) {
		if (strlen(v) == 0 || strlen(v) >= sizeof(job->idem_key)) {
			job_error(job, 400, "idempotency_key_invalid",
			    "Idempotency-Key must be 1 to 255 bytes");
			return (case_answer(req, job));
		}
		snprintf(job->idem_key, sizeof(job->idem_key), "%s", v);
		job->has_idem = 1;
	}

	if (req->http_body_length > body_max) {
		job_error(job, 413, "body_too_large",
		    "the request body is larger than this route accepts");
		return (case_answer(req, job));
	}
	/* http_body_read counts http_body_length down as it reads. */
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
			return (case_answer(req, job));
		}
		job->body[off] = '\0';
		job->body_len = off;
	}
	return (-1);
}

static int
case_answer(struct http_request *req, struct case_job *job)
{
	char	retry[24];

	if (job->status == 0)
		job_error(job, 500, "internal_error", "no answer was made");
	/* Every 503 here passes: say when to come back. */
	if (job->status == 503) {
		(void)snprintf(retry, sizeof(retry), "%" PRId64,
		    rn_cfg.overload_retry_after_s);
		http_response_header(req, "retry-after", retry);
	}
	return (api_reply_json(req, job->status, &job->out));
}

/* "/v1/cases/<32 hex>" then suffix ("/images/<side>", "/submit", ""). */
static int
parse_case_path(const char *path, char *id, enum store_side *side,
    const char *suffix)
{
	const char	*p;
	size_t		 i;

	if (strncmp(path, "/v1/cases/", 10) != 0)
		return (-1);
	p = path + 10;
	for (i = 0; i < STORE_ID_LEN; i++) {
		if (!isxdigit((unsigned char)p[i]) ||
		    isupper((unsigned char)p[i]))
			return (-1);
	}
	memcpy(id, p, STORE_ID_LEN);
	id[STORE_ID_LEN] = '\0';
	p += STORE_ID_LEN;
	if (strncmp(p, suffix, strlen(suffix)) != 0)
		return (-1);
	p += strlen(suffix);
	if (side == NULL)
		return (*p == '\0' ? 0 : -1);
	return (store_side_parse(p, side));
}

static void
job_free(void *arg)
{
	struct case_job	*job = arg;

	if (job->body != NULL) {
		sodium_memzero(job->body, job->body_len);
		kore_free(job->body);
	}
	sodium_memzero(job->token, sizeof(job->token));
	jsonw_free(&job->out);
}

/* Replaces whatever the job had with a JSON error. */
static void
job_error(struct case_job *job, int status, const char *code,
    const char *message)
{
	jsonw_free(&job->out);
	jsonw_init(&job->out, RN_JSON_REPLY_MAX);
	jsonw_error_body(&job->out, code, message);
	job->status = status;
}

/* Verifies the order system's signature.  0, or -1 with a 401 set. */
static int
job_signed(struct case_job *job, const char **client)
{
	struct sign_request	sr;
	enum sign_verdict	v;
	const char		*code, *message;

	memset(&sr, 0, sizeof(sr));
	sr.key_id = job->key_id;
	sr.timestamp = job->timestamp;
	sr.signature = job->signature;
	sr.nonce = job->nonce[0] != '\0' ? job->nonce : NULL;
	sr.method = job->method;
	sr.path = job->path;
	sr.body = job->body;
	sr.body_len = job->body_len;
	v = rn_auth_verify(&sr, (int64_t)time(NULL), client);
	if (v == SIGN_OK)
		return (0);
	rn_auth_refusal(v, 0, &code, &message);
	job_error(job, 401, code, message);
	return (-1);
}

/*
 * Loads the case and checks the upload token.  A missing case and a
 * token for another case answer the same 404, so tokens reveal nothing.
 */
static int
job_case_by_token(struct case_job *job, struct store *st,
    struct store_case *c)
{
	char	hash[RN_TOKEN_HEX_LEN + 1];

	if (!job->has_token) {
		job_error(job, 401, "token_missing",
		    "an upload token is required (Authorization: Bearer)");
		return (-1);
	}
	if (store_case_get(st, job->case_id, c) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND) {
			job_error(job, 404, "not_found", "no such case");
			return (-1);
		}
		return (store_failed(job, st));
	}
	rn_token_hash(job->token, hash);
	if (!rn_token_hash_equal(hash, c->token_hash)) {
		store_case_release(c);
		job_error(job, 404, "not_found", "no such case");
		return (-1);
	}
	if (c->token_expires_at <= now_ms()) {
		store_case_release(c);
		job_error(job, 401, "token_expired", "this upload link has "
		    "expired; ask the shop for a new one");
		return (-1);
	}
	return (0);
}

/* A store failure: 503 when it may pass, 500 otherwise.  Returns -1. */
static int
store_failed(struct case_job *job, struct store *st)
{
	kore_log(LOG_ERR, "store: %s (%s)", store_error(st),
	    store_code_name(store_errcode(st)));
	if (store_errcode(st) == STORE_UNAVAILABLE)
		job_error(job, 503, "store_unavailable",
		    "the service cannot store data right now; retry later");
	else
		job_error(job, 500, "internal_error", "the request failed");
	return (-1);
}

/*
 * The optional kind ("new" unless it says "reregistration") and number
 * (required for a re-registration).  0, or -1 with a 400 set.
 */
static int
read_kind(struct case_job *job, const struct jsonr *jr,
    enum store_case_kind *kind, char *msisdn, size_t msisdn_len)
{
	char	text[32];
	int64_t	len;

	*kind = STORE_KIND_NEW;
	msisdn[0] = '\0';
	if (jsonr_find(jr, "kind") != NULL) {
		len = jsonr_string(jr, "kind", text, sizeof(text));
		if (len < 0 || len >= (int64_t)sizeof(text) ||
		    store_case_kind_parse(text, kind) == -1) {
			job_error(job, 400, "field_invalid", "kind must be "
			    "\"new\" or \"reregistration\"");
			return (-1);
		}
	}
	if (jsonr_find(jr, "msisdn") != NULL) {
		len = jsonr_string(jr, "msisdn", msisdn, msisdn_len);
		if (len < 0 || len >= (int64_t)msisdn_len ||
		    !store_msisdn_valid(msisdn)) {
			msisdn[0] = '\0';
			job_error(job, 400, "field_invalid", "msisdn must be "
			    "a mobile number: 11 digits starting with 1");
			return (-1);
		}
	}
	if (*kind == STORE_KIND_REREGISTRATION && msisdn[0] == '\0') {
		job_error(job, 400, "field_missing", "msisdn is required "
		    "(a string): a re-registration names the number");
		return (-1);
	}
	return (0);
}

/*
 * Only a dealer registered for this channel and active may open cases.
 * 0, or -1 with a 422 dealer_unknown (or a store failure) set.
 */
static int
check_dealer(struct case_job *job, struct store *st, const char *dealer,
    const char *channel)
{
	struct store_dealer	d;

	if (store_dealer_get(st, dealer, &d) == -1) {
		if (store_errcode(st) != STORE_NOT_FOUND)
			return (store_failed(job, st));
		job_error(job, 422, "dealer_unknown", "this dealer is not "
		    "registered (realname-admin dealer add)");
		return (-1);
	}
	if (!d.active) {
		job_error(job, 422, "dealer_unknown", "this dealer is "
		    "disabled and may not open cases");
		return (-1);
	}
	if (strcmp(d.channel, channel)) {
		job_error(job, 422, "dealer_unknown", "this dealer is "
		    "registered for another channel");
		return (-1);
	}
	return (0);
}

static void
create_work(void *arg)
{
	struct case_job		*job = arg;
	struct store		*st;
	struct store_case_new	 cn;
	struct store_idem	 idem;
	struct jsonr		 jr;
	struct idnumber_date	 today;
	const char		*client;
	char			 err[ERR_MAX], order_ref[STORE_ORDER_REF_MAX];
	char			 channel[STORE_CHANNEL_MAX];
	char			 dealer[STORE_DEALER_MAX];
	char			 msisdn[STORE_MSISDN_MAX];
	enum store_case_kind	 kind;
	char			 name[STORE_NAME_MAX], url[STORE_URL_MAX];
	char			 number[STORE_ID_NUMBER_MAX], id[STORE_ID_LEN + 1];
	char			 token[RN_TOKEN_HEX_LEN + 1];
	char			 thash[RN_TOKEN_HEX_LEN + 1];
	char			 nhash[STORE_HASH_HEX_LEN + 1];
	char			 rhash[STORE_HASH_HEX_LEN + 1];
	unsigned char		 digest[crypto_hash_sha256_BYTES];
	int64_t			 now, len;
	int			 reason, idem_open;
	const char		*text;

	if (job_signed(job, &client) == -1)
		return;
	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		job_error(job, 503, "store_unavailable", "the service cannot "
		    "store data right now; retry later");
		return;
	}
	now = now_ms();
	idem_open = 0;
	memset(&idem, 0, sizeof(idem));

	if (job->has_idem) {
		crypto_hash_sha256(digest, job->body != NULL ? job->body :
		    (const unsigned char *)"", job->body_len);
		sodium_bin2hex(rhash, sizeof(rhash), digest, sizeof(digest));
		if (store_idem_begin(st, client, job->idem_key, rhash, now,
		    &idem) == -1) {
			(void)store_failed(job, st);
			return;
		}
		if (!idem.fresh) {
			if (strcmp(idem.request_hash, rhash) != 0) {
				job_error(job, 422, "idempotency_key_reused",
				    "this Idempotency-Key was used with "
				    "another request body");
			} else if (idem.status == 0 ||
			    idem.response == NULL) {
				job_error(job, 409, "idempotency_in_progress",
				    "the first request with this "
				    "Idempotency-Key is still running");
			} else {
				jsonw_free(&job->out);
				jsonw_init(&job->out, RN_JSON_REPLY_MAX);
				jsonw_raw(&job->out, idem.response,
				    strlen(idem.response));
				job->status = idem.status;
			}
			store_idem_release(&idem);
			return;
		}
		idem_open = 1;
		store_idem_release(&idem);
	}

	if (job->body == NULL || jsonr_parse(&jr, job->body,
	    job->body_len) == -1) {
		job_error(job, 400, "body_invalid", job->body == NULL ?
		    "a JSON body is required" : jr.err);
		goto done;
	}

#define FIELD(key, buf, min)						\
	len = jsonr_string(&jr, key, buf, sizeof(buf));			\
	if (len < (min) || len >= (int64_t)sizeof(buf)) {		\
		job_error(job, 400, len < 0 ? "field_missing" :		\
		    "field_invalid", len < 0 ? key " is required "	\
		    "(a string)" : key " is empty or too long");	\
		goto done;						\
	}
	FIELD("order_ref", order_ref, 1);
	FIELD("channel", channel, 1);
	FIELD("declared_name", name, 1);
	FIELD("id_number", number, 1);
	FIELD("callback_url", url, 1);
	FIELD("dealer", dealer, 1);
#undef FIELD
	if (read_kind(job, &jr, &kind, msisdn, sizeof(msisdn)) == -1)
		goto done;

	if (strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) {
		job_error(job, 400, "field_invalid",
		    "callback_url must be an http(s) URL");
		goto done;
	}
	idnumber_normalize(number);
	idnumber_today(&today);
	if ((reason = idnumber_validate(number, &today, NULL)) !=
	    IDNUMBER_OK) {
		job_error(job, 422, "id_number_invalid",
		    idnumber_reason_message(reason));
		goto done;
	}

	if (check_dealer(job, st, dealer, channel) == -1)
		goto done;

	rn_token_new(token, thash);
	if (store_id_number_hash(rn_id_hash_key, sizeof(rn_id_hash_key),
	    number, nhash) == -1) {
		job_error(job, 500, "internal_error", "the request failed");
		goto done;
	}
	memset(&cn, 0, sizeof(cn));
	cn.order_ref = order_ref;
	cn.channel = channel;
	cn.declared_name = name;
	cn.id_number = number;
	cn.id_number_hash = nhash;
	cn.callback_url = url;
	cn.token_hash = thash;
	cn.token_expires_at = now + rn_cfg.token_ttl_s * 1000;
	cn.kind = kind;
	cn.msisdn = msisdn;
	cn.dealer = dealer;
	if (store_case_create(st, &cn, now, id) == -1) {
		(void)store_failed(job, st);
		goto done;
	}

	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "case_id");
	jsonw_string(&job->out, id);
	jsonw_key(&job->out, "state");
	jsonw_string(&job->out, "open");
	jsonw_key(&job->out, "upload_token");
	jsonw_string(&job->out, token);
	jsonw_key(&job->out, "token_expires_at");
	jsonw_int(&job->out, cn.token_expires_at);
	jsonw_key(&job->out, "kind");
	jsonw_string(&job->out, store_case_kind_name(kind));
	/* The token travels in the fragment: never sent to a server log. */
	snprintf(err, sizeof(err), "%s/c/%s#%s", rn_cfg.public_url, id,
	    token);
	jsonw_key(&job->out, "hosted_url");
	jsonw_string(&job->out, err);
	jsonw_object_close(&job->out);
	job->status = 201;
	sodium_memzero(token, sizeof(token));

done:
	if (idem_open) {
		text = jsonw_text(&job->out);
		if (job->status >= 500 || text == NULL) {
			(void)store_idem_abandon(st, client, job->idem_key);
		} else if (store_idem_finish(st, client, job->idem_key,
		    job->status, text, now_ms()) == -1) {
			kore_log(LOG_ERR, "idempotency: %s", store_error(st));
		}
	}
	sodium_memzero(number, sizeof(number));
	sodium_memzero(name, sizeof(name));
}

static const enum imaging_side imaging_sides[STORE_SIDE_COUNT] = {
	[STORE_SIDE_FRONT] = IMAGING_SIDE_FRONT,
	[STORE_SIDE_BACK] = IMAGING_SIDE_BACK,
	[STORE_SIDE_HOLDING] = IMAGING_SIDE_HOLDING,
};

static void
retake_reasons(struct jsonw *w, const char *const *codes, int n)
{
	const struct rn_retake_text	*t;
	int				 i;

	jsonw_key(w, "reasons");
	jsonw_array_open(w);
	for (i = 0; i < n; i++) {
		t = rn_retake_text(codes[i]);
		rn_reason_write(w, codes[i], t->text_zh, t->text_en, -1);
	}
	jsonw_array_close(w);
}

static void
image_work(void *arg)
{
	struct case_job		*job = arg;
	struct store		*st;
	struct store_case	 c;
	struct imaging_engine	*eng;
	struct imaging_analysis	*a;
	struct imaging_decoder	*dec;
	unsigned char		*jpeg, *sealed, digest[crypto_hash_sha256_BYTES];
	size_t			 jlen, slen;
	char			 err[ERR_MAX], ad[64], sha[65];
	const char		*code, *figures;
	char			*json;
	int			 attempts, fmt;

	a = NULL;
	json = NULL;
	jpeg = sealed = NULL;
	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		job_error(job, 503, "store_unavailable", "retry later");
		return;
	}
	if (job_case_by_token(job, st, &c) == -1)
		return;
	if (c.state != STORE_STATE_OPEN) {
		store_case_release(&c);
		job_error(job, 409, "case_not_open", "this case no longer "
		    "takes photos");
		return;
	}
	store_case_release(&c);

	/* A photo is the big write: refused first when space runs low. */
	if (diskspace_store_ok(rn_cfg.state_dir, rn_cfg.store_url,
	    (uint64_t)rn_cfg.disk_reserve_mb * 1024 * 1024, err,
	    sizeof(err)) != 1) {
		kore_log(LOG_WARNING, "upload refused: %s", err);
		job_error(job, 503, "storage_low", "the service cannot "
		    "store photos right now; retry later");
		return;
	}

	fmt = imaging_format_detect(job->body, job->body_len);
	if (job->body == NULL || fmt == 0) {
		job_error(job, 415, "unsupported_media_type",
		    "the body is not a JPEG or PNG image");
		return;
	}
	if (store_case_count_attempt(st, job->case_id, job->side,
	    (int)rn_cfg.image_attempts_max, now_ms(), &attempts) == -1) {
		if (store_errcode(st) == STORE_CONFLICT)
			job_error(job, 429, "attempts_exhausted", "no attempts "
			    "left for this photo; the case needs a new link");
		else
			(void)store_failed(job, st);
		return;
	}

	if ((eng = rn_thread_engine(err, sizeof(err))) == NULL) {
		kore_log(LOG_ERR, "%s", err);
		job_error(job, 503, "imaging_unavailable", "photos cannot be "
		    "checked right now; retry later");
		return;
	}
	a = imaging_analyse(eng, imaging_sides[job->side], job->body,
	    job->body_len);
	if (a == NULL) {
		job_error(job, 500, "internal_error", "the photo could not "
		    "be analysed");
		return;
	}
	if (a->error != IMAGING_OK) {
		code = imaging_err_code(a->error);
		job_error(job, a->error == IMAGING_ERR_FORMAT ? 415 : 422,
		    code, a->error_msg);
		goto done;
	}
	if (a->nreasons > 0) {
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "error");
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "code");
		jsonw_string(&job->out, "retake");
		jsonw_key(&job->out, "message");
		jsonw_string(&job->out, "the photo did not pass the quality "
		    "check; see reasons");
		jsonw_object_close(&job->out);
		jsonw_key(&job->out, "side");
		jsonw_string(&job->out, store_side_name(job->side));
		retake_reasons(&job->out, a->reasons, a->nreasons);
		jsonw_key(&job->out, "attempts_left");
		jsonw_int(&job->out, rn_cfg.image_attempts_max - attempts);
		jsonw_object_close(&job->out);
		job->status = 422;
		goto done;
	}

	/* Accepted: keep an upright, metadata-free copy, sealed. */
	if ((dec = imaging_decoder_new(NULL)) == NULL ||
	    imaging_reencode_jpeg(dec, job->body, job->body_len,
	    (int)rn_cfg.evidence_max_long_side, 90, &jpeg, &jlen) == -1) {
		imaging_decoder_free(dec);
		job_error(job, 500, "internal_error", "the photo could not "
		    "be stored");
		goto done;
	}
	imaging_decoder_free(dec);
	crypto_hash_sha256(digest, job->body, job->body_len);
	sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
	slen = vault_sealed_len(jlen);
	sealed = kore_malloc(slen);
	snprintf(ad, sizeof(ad), "%s/%s", job->case_id,
	    store_side_name(job->side));
	json = imaging_analysis_json(a);
	figures = json != NULL ? json : "{}";
	if (vault_seal(rn_vault, jpeg, jlen, ad, sealed) == -1) {
		job_error(job, 500, "internal_error", "the photo could not "
		    "be sealed");
		goto done;
	}
	if (store_image_put(st, job->case_id, job->side, sealed, slen, sha,
	    vault_active_key_id(rn_vault), figures, now_ms()) == -1) {
		if (store_errcode(st) == STORE_CONFLICT)
			job_error(job, 409, "case_not_open", "this case no "
			    "longer takes photos");
		else
			(void)store_failed(job, st);
		goto done;
	}

	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "side");
	jsonw_string(&job->out, store_side_name(job->side));
	jsonw_key(&job->out, "accepted");
	jsonw_bool(&job->out, 1);
	jsonw_key(&job->out, "attempts_left");
	jsonw_int(&job->out, rn_cfg.image_attempts_max - attempts);
	jsonw_key(&job->out, "figures");
	jsonw_raw(&job->out, figures, strlen(figures));
	jsonw_object_close(&job->out);
	job->status = 200;

done:
	if (jpeg != NULL) {
		sodium_memzero(jpeg, jlen);
		free(jpeg);
	}
	if (sealed != NULL)
		kore_free(sealed);
	free(json);
	imaging_analysis_free(a);
}

static void
submit_work(void *arg)
{
	struct case_job		*job = arg;
	struct store		*st;
	struct store_case	 c;
	char			 err[ERR_MAX];
	int			 i, missing;

	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		job_error(job, 503, "store_unavailable", "retry later");
		return;
	}
	if (job_case_by_token(job, st, &c) == -1)
		return;
	if (c.state != STORE_STATE_OPEN) {
		/* Submitting twice is harmless: say where the case is. */
		jsonw_object_open(&job->out);
		write_case_view(&job->out, &c, 0);
		jsonw_object_close(&job->out);
		job->status = c.state == STORE_STATE_EXPIRED ? 409 : 202;
		store_case_release(&c);
		return;
	}
	missing = 0;
	for (i = 0; i < STORE_SIDE_COUNT; i++)
		missing += !c.accepted[i];
	if (missing > 0) {
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "error");
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "code");
		jsonw_string(&job->out, "sides_missing");
		jsonw_key(&job->out, "message");
		jsonw_string(&job->out, "all three photos must be accepted "
		    "before submitting");
		jsonw_object_close(&job->out);
		jsonw_key(&job->out, "missing");
		jsonw_array_open(&job->out);
		for (i = 0; i < STORE_SIDE_COUNT; i++) {
			if (!c.accepted[i])
				jsonw_string(&job->out,
				    store_side_name((enum store_side)i));
		}
		jsonw_array_close(&job->out);
		jsonw_object_close(&job->out);
		job->status = 409;
		store_case_release(&c);
		return;
	}
	store_case_release(&c);
	if (store_case_transition(st, job->case_id, STORE_STATE_OPEN,
	    STORE_STATE_SUBMITTED, "customer", now_ms()) == -1) {
		if (store_errcode(st) == STORE_CONFLICT)
			job_error(job, 409, "case_not_open", "the case changed "
			    "meanwhile; read it again");
		else
			(void)store_failed(job, st);
		return;
	}
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "case_id");
	jsonw_string(&job->out, job->case_id);
	jsonw_key(&job->out, "state");
	jsonw_string(&job->out, "submitted");
	jsonw_object_close(&job->out);
	job->status = 202;
}

static void
get_work(void *arg)
{
	struct case_job		*job = arg;
	struct store		*st;
	struct store_case	 c;
	const char		*client;
	char			 err[ERR_MAX];
	int			 full;

	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		job_error(job, 503, "store_unavailable", "retry later");
		return;
	}
	/* A signed call gets the full view; the customer's token, its own. */
	if (job->has_signature) {
		if (job_signed(job, &client) == -1)
			return;
		if (store_case_get(st, job->case_id, &c) == -1) {
			if (store_errcode(st) == STORE_NOT_FOUND)
				job_error(job, 404, "not_found",
				    "no such case");
			else
				(void)store_failed(job, st);
			return;
		}
		full = 1;
	} else {
		if (job_case_by_token(job, st, &c) == -1)
			return;
		full = 0;
	}
	jsonw_object_open(&job->out);
	write_case_view(&job->out, &c, full);
	jsonw_object_close(&job->out);
	job->status = 200;
	store_case_release(&c);
}

/* The order system asks for a case's webhooks again (same ids). */
static void
resend_work(void *arg)
{
	struct case_job		*job = arg;
	struct store		*st;
	struct store_case	 c;
	const char		*client;
	char			 err[ERR_MAX];
	int64_t			 requeued;

	if (job_signed(job, &client) == -1)
		return;
	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		job_error(job, 503, "store_unavailable", "retry later");
		return;
	}
	if (store_case_get(st, job->case_id, &c) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "not_found", "no such case");
		else
			(void)store_failed(job, st);
		return;
	}
	store_case_release(&c);
	if (store_outbox_resend(st, job->case_id, now_ms(), &requeued) ==
	    -1) {
		(void)store_failed(job, st);
		return;
	}
	if (requeued == 0) {
		job_error(job, 409, "nothing_to_resend", "this case has no "
		    "webhook yet (it is not decided)");
		return;
	}
	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "case_id");
	jsonw_string(&job->out, job->case_id);
	jsonw_key(&job->out, "requeued");
	jsonw_int(&job->out, requeued);
	jsonw_object_close(&job->out);
	job->status = 202;
}

/*
 * The case as its caller may see it.  The customer view never carries
 * the declared name or number; the order system's adds the decision
 * figures.
 */
static void
write_case_view(struct jsonw *w, const struct store_case *c, int full)
{
	char	masked[STORE_MSISDN_MAX];
	int	i;

	jsonw_key(w, "case_id");
	jsonw_string(w, c->id);
	jsonw_key(w, "state");
	jsonw_string(w, state_name(c->state));
	jsonw_key(w, "sides");
	jsonw_object_open(w);
	for (i = 0; i < STORE_SIDE_COUNT; i++) {
		jsonw_key(w, store_side_name((enum store_side)i));
		jsonw_object_open(w);
		jsonw_key(w, "accepted");
		jsonw_bool(w, c->accepted[i]);
		jsonw_key(w, "attempts_left");
		jsonw_int(w, rn_cfg.image_attempts_max - c->attempts[i]);
		jsonw_object_close(w);
	}
	jsonw_object_close(w);
	jsonw_key(w, "reasons");
	if (c->reasons != NULL)
		jsonw_raw(w, c->reasons, strlen(c->reasons));
	else
		jsonw_null(w);
	jsonw_key(w, "kind");
	jsonw_string(w, store_case_kind_name(c->kind));
	if (!full) {
		/* The capture page names the number, masked: 138****8000. */
		jsonw_key(w, "msisdn_masked");
		if (c->msisdn[0] != '\0') {
			(void)snprintf(masked, sizeof(masked), "%.3s****%s",
			    c->msisdn, c->msisdn + 7);
			jsonw_string(w, masked);
		} else
			jsonw_null(w);
	}
	if (full) {
		jsonw_key(w, "order_ref");
		jsonw_string(w, c->order_ref);
		jsonw_key(w, "channel");
		jsonw_string(w, c->channel);
		jsonw_key(w, "dealer");
		jsonw_string(w, c->dealer);
		jsonw_key(w, "msisdn");
		if (c->msisdn[0] != '\0')
			jsonw_string(w, c->msisdn);
		else
			jsonw_null(w);
		jsonw_key(w, "created_at");
		jsonw_int(w, c->created_at);
		jsonw_key(w, "decided_at");
		jsonw_int(w, c->decided_at);
		jsonw_key(w, "decision");
		if (c->decision != NULL)
			jsonw_raw(w, c->decision, strlen(c->decision));
		else
			jsonw_null(w);
	}
}

static int64_t
now_ms(void)
{
	return (store_now_ms());
}

/* The API's lower-case state names (the store keeps upper case). */
static const char *
state_name(enum store_state st)
{
	static const char *const names[STORE_STATE_COUNT] = {
		[STORE_STATE_OPEN] = "open",
		[STORE_STATE_SUBMITTED] = "submitted",
		[STORE_STATE_PROCESSING] = "processing",
		[STORE_STATE_PARKED] = "parked",
		[STORE_STATE_APPROVED] = "approved",
		[STORE_STATE_REJECTED] = "rejected",
		[STORE_STATE_REVIEW] = "review",
		[STORE_STATE_EXPIRED] = "expired",
	};

	if ((unsigned int)st >= STORE_STATE_COUNT || names[st] == NULL)
		return ("unknown");
	return (names[st]);
}
