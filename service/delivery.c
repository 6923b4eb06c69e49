/*
 * Courier confirmation at delivery: before the SIM is handed over, the
 * courier's app sends a photo of the recipient taken at the door and the
 * ID number its card reader read (optionally the chip portrait and the
 * name); the service compares them with the order's approved case.
 *
 *   POST /v1/deliveries/{order_ref}/confirm   courier-signed, multipart
 *   GET  /v1/deliveries/{order_ref}           courier-signed
 *
 * Multipart parts of a confirmation:
 *   photo          file, JPEG or PNG (required)
 *   id_number      text (required)
 *   chip_portrait  file, JPEG or PNG (optional)
 *   chip_name      text, UTF-8 (optional)
 *
 * The handler copies headers and the body in the event loop; signature,
 * parsing, the store and the imaging run in a task.  Every recorded
 * attempt (result, figures, reasons), its webhook and its audit row are
 * written in one transaction, only while the delivery is still open
 * with the attempt count this task saw.  Photo problems the courier can
 * fix (blur, no face, wrong format) answer 422/415 and are not counted;
 * faults and timeouts answer 5xx and are not counted: nothing but every
 * check passing ever confirms.  No name, number or image byte is logged.
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
#include "delivery_rules.h"
#include "imaging.h"
#include "multipart.h"
#include "realname.h"
#include "reasons.h"
#include "store.h"
#include "workctx.h"

int	rn_delivery_confirm(struct http_request *);
int	rn_delivery_get(struct http_request *);

#define DLV_PREFIX	"/v1/deliveries/"
#define DLV_CONFIRM	"/confirm"
#define ERR_MAX		512
#define CTYPE_MAX	256
#define CHIP_NAME_MAX	STORE_NAME_MAX

struct dlv_job {
	/* Inputs, copied in the event loop. */
	char			 order_ref[STORE_ORDER_REF_MAX];
	char			 key_id[SIGN_KEY_ID_MAX];
	char			 timestamp[SIGN_TIMESTAMP_MAX];
	char			 signature[SIGN_HEX_LEN + 2];
	char			 nonce[SIGN_NONCE_MAX + 2];
	char			 idem_key[STORE_IDEM_KEY_MAX];
	int			 has_idem;
	char			 method[8];
	char			 path[256];
	char			 boundary[MULTIPART_BOUNDARY_MAX];
	unsigned char		*body;
	size_t			 body_len;

	/* Output. */
	int			 status;
	struct jsonw		 out;
};

/* What a confirmation carries, pointing into the job's body. */
struct dlv_input {
	const struct multipart_part	*photo;
	const struct multipart_part	*chip;
	char				 number[STORE_ID_NUMBER_MAX];
	char				 name[CHIP_NAME_MAX];
	int				 name_sent;
	char				 hash[STORE_HASH_HEX_LEN + 1];
};

/* The figures one attempt measured. */
struct dlv_measure {
	struct rn_delivery_signals	 sig;
	double				 photo_ms;
	double				 chip_ms;
	int				 imaging_ran;
};

static int	dlv_handle(struct http_request *, enum rn_route, int,
		    void (*)(void *));
static int	dlv_begin(struct http_request *, struct dlv_job *, int);
static int	dlv_answer(struct http_request *, struct dlv_job *);
static int	parse_order_path(const char *, int, char *, size_t);
static void	job_free(void *);
static void	job_error(struct dlv_job *, int, const char *, const char *);
static int	job_signed(struct dlv_job *, const char **);
static int	store_failed(struct dlv_job *, struct store *);
static void	confirm_work(void *);
static void	get_work(void *);
static int	read_input(struct dlv_job *, struct multipart *,
		    struct dlv_input *);
static int	text_part(struct dlv_job *, const struct multipart_part *,
		    char *, size_t);
static int	measure(struct dlv_job *, struct store *,
		    const struct store_case *, const struct dlv_input *,
		    struct dlv_measure *);
static struct imaging_analysis *chip_analyse(struct imaging_engine *,
		    const struct multipart_part *, int *);
static void	write_figures(struct jsonw *, const struct dlv_measure *,
		    const struct rn_delivery_decision *, int);
static void	write_reasons(struct jsonw *,
		    const struct rn_delivery_decision *);
static void	write_payload(struct jsonw *, const char *,
		    const struct store_case *, const char *, int,
		    const struct rn_delivery_decision *, int64_t);
static void	figure(struct jsonw *, const char *,
		    const struct rn_figure *);
static double	elapsed_ms(int64_t);

int
rn_delivery_confirm(struct http_request *req)
{
	return (dlv_handle(req, RN_ROUTE_DELIVERY_CONFIRM, HTTP_METHOD_POST,
	    confirm_work));
}

int
rn_delivery_get(struct http_request *req)
{
	return (dlv_handle(req, RN_ROUTE_DELIVERY_GET,
	    HTTP_METHOD_GET | HTTP_METHOD_HEAD, get_work));
}

static int
dlv_handle(struct http_request *req, enum rn_route route, int methods,
    void (*work)(void *))
{
	struct rn_req	*ctx;
	struct dlv_job	*job;

	if ((ctx = api_begin(req, route, methods)) == NULL)
		return (KORE_RESULT_OK);
	job = api_job(ctx, sizeof(*job), job_free);
	if (!ctx->task_started && dlv_begin(req, job,
	    route == RN_ROUTE_DELIVERY_CONFIRM) == -1)
		return (dlv_answer(req, job));
	switch (api_task(req, ctx, work, sizeof(*job), job_free)) {
	case RN_TASK_PENDING:
		return (KORE_RESULT_RETRY);
	case RN_TASK_SHED:
		return (KORE_RESULT_OK);
	case RN_TASK_DONE:
		break;
	}
	return (dlv_answer(req, job));
}

/*
 * First call only: path, headers, media type and the body into the
 * job.  Returns 0 to run the task, or -1 with an error set.
 */
static int
dlv_begin(struct http_request *req, struct dlv_job *job, int confirm)
{
	const char	*v;
	ssize_t		 n;
	size_t		 off, total, max;

	jsonw_init(&job->out, RN_JSON_REPLY_MAX);
	snprintf(job->method, sizeof(job->method), "%s",
	    http_method_text(req->method));
	if (strlen(req->path) >= sizeof(job->path) ||
	    parse_order_path(req->path, confirm, job->order_ref,
	    sizeof(job->order_ref)) == -1) {
		job_error(job, 404, "not_found", "no such resource (an "
		    "order_ref is 1-127 of A-Z a-z 0-9 . _ : -)");
		return (-1);
	}
	snprintf(job->path, sizeof(job->path), "%s", req->path);

	if (http_request_header(req, "x-app-id", &v) &&
	    strlen(v) < sizeof(job->key_id))
		snprintf(job->key_id, sizeof(job->key_id), "%s", v);
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
			return (-1);
		}
		snprintf(job->idem_key, sizeof(job->idem_key), "%s", v);
		job->has_idem = 1;
	}

	max = confirm ? (size_t)rn_cfg.delivery_body_max_bytes : 0;
	if (confirm && (!http_request_header(req, "content-type", &v) ||
	    multipart_boundary(v, job->boundary) == -1)) {
		job_error(job, 415, "unsupported_media_type", "send "
		    "multipart/form-data with a boundary (parts: photo, "
		    "id_number, chip_portrait, chip_name)");
		return (-1);
	}
	if (req->http_body_length > max) {
		job_error(job, 413, "body_too_large", confirm ? "the body "
		    "is larger than delivery_body_max_bytes" : "this route "
		    "takes no body");
		return (-1);
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
			    "the request body could not be read whole; "
			    "send it again (same Idempotency-Key)");
			return (-1);
		}
		job->body[off] = '\0';
		job->body_len = off;
	}
	return (0);
}

static int
dlv_answer(struct http_request *req, struct dlv_job *job)
{
	if (job->status == 0)
		job_error(job, 500, "internal_error", "no answer was made");
	return (api_reply_json(req, job->status, &job->out));
}

/*
 * "/v1/deliveries/<order_ref>" (+ "/confirm").  Order references are
 * what the order system chose; the route takes a safe subset so that
 * the path needs no decoding and signs as sent.
 */
static int
parse_order_path(const char *path, int confirm, char *out, size_t outlen)
{
	const char	*p;
	size_t		 n, i, tail;

	if (strncmp(path, DLV_PREFIX, strlen(DLV_PREFIX)) != 0)
		return (-1);
	p = path + strlen(DLV_PREFIX);
	n = strlen(p);
	tail = strlen(DLV_CONFIRM);
	if (confirm) {
		if (n <= tail || strcmp(p + n - tail, DLV_CONFIRM) != 0)
			return (-1);
		n -= tail;
	}
	if (n == 0 || n >= outlen)
		return (-1);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)p[i]) &&
		    strchr("._:-", p[i]) == NULL)
			return (-1);
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return (0);
}

static void
job_free(void *arg)
{
	struct dlv_job	*job = arg;

	if (job->body != NULL) {
		sodium_memzero(job->body, job->body_len);
		kore_free(job->body);
	}
	jsonw_free(&job->out);
}

static void
job_error(struct dlv_job *job, int status, const char *code,
    const char *message)
{
	jsonw_free(&job->out);
	jsonw_init(&job->out, RN_JSON_REPLY_MAX);
	jsonw_error_body(&job->out, code, message);
	job->status = status;
}

/* The courier's signature.  0, or -1 with a 401 set. */
static int
job_signed(struct dlv_job *job, const char **courier)
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
	v = rn_auth_verify_courier(&sr, (int64_t)time(NULL), courier);
	if (v == SIGN_OK)
		return (0);
	rn_auth_refusal(v, 1, &code, &message);
	job_error(job, 401, code, message);
	return (-1);
}

static int
store_failed(struct dlv_job *job, struct store *st)
{
	kore_log(LOG_ERR, "delivery: store: %s (%s)", store_error(st),
	    store_code_name(store_errcode(st)));
	if (store_errcode(st) == STORE_UNAVAILABLE)
		job_error(job, 503, "store_unavailable", "the service cannot "
		    "store data right now; retry later (same "
		    "Idempotency-Key)");
	else
		job_error(job, 500, "internal_error", "the request failed");
	return (-1);
}

static void
confirm_work(void *arg)
{
	struct dlv_job			*job = arg;
	struct store			*st;
	struct store_case		 c;
	struct store_delivery		 d;
	struct store_delivery_attempt	 at;
	struct store_outbox_new		 ob;
	struct store_idem		 idem;
	struct multipart		 mp;
	struct dlv_input		 in;
	struct dlv_measure		 m;
	struct rn_delivery_limits	 lim;
	struct rn_delivery_decision	 dec;
	struct jsonw			 figures, reasons, payload;
	const char			*courier, *text;
	char				 err[ERR_MAX];
	char				 scope[STORE_CLIENT_MAX];
	int64_t				 started;
	int				 attempts, attempt_no, idem_open;
	int				 have_case, have_delivery, retry_later;

	started = store_now_ms();
	idem_open = have_case = have_delivery = retry_later = 0;
	memset(&in, 0, sizeof(in));
	jsonw_init(&figures, 64 * 1024);
	jsonw_init(&reasons, 64 * 1024);
	jsonw_init(&payload, 64 * 1024);
	st = NULL;

	if (job_signed(job, &courier) == -1)
		goto done;
	if (read_input(job, &mp, &in) == -1)
		goto done;
	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		job_error(job, 503, "store_unavailable", "retry later (same "
		    "Idempotency-Key)");
		goto done;
	}
	snprintf(scope, sizeof(scope), "courier/%s", courier);

	if (job->has_idem) {
		if (store_idem_begin(st, scope, job->idem_key, in.hash,
		    started, &idem) == -1) {
			(void)store_failed(job, st);
			goto done;
		}
		if (!idem.fresh) {
			if (strcmp(idem.request_hash, in.hash) != 0) {
				job_error(job, 422, "idempotency_key_reused",
				    "this Idempotency-Key was used with "
				    "another confirmation");
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
			goto done;
		}
		idem_open = 1;
		store_idem_release(&idem);
	}

	if (store_case_find_by_order(st, job->order_ref, &c) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "order_not_found", "no "
			    "verification case for this order");
		else
			(void)store_failed(job, st);
		goto done;
	}
	have_case = 1;
	if (c.state != STORE_STATE_APPROVED) {
		job_error(job, 409, "order_not_approved", "this order's "
		    "real-name check is not approved; do not hand over "
		    "the SIM");
		goto done;
	}
	attempts = 0;
	if (store_delivery_get(st, job->order_ref, &d) == 0) {
		have_delivery = 1;
		attempts = d.attempts;
		if (d.state == STORE_DELIVERY_CONFIRMED) {
			job_error(job, 409, "delivery_confirmed", "this "
			    "delivery is already confirmed");
			goto done;
		}
		if (d.state == STORE_DELIVERY_REVIEW) {
			job_error(job, 409, "delivery_in_review", "this "
			    "delivery is with a reviewer; do not hand over "
			    "the SIM");
			goto done;
		}
	} else if (store_errcode(st) != STORE_NOT_FOUND) {
		(void)store_failed(job, st);
		goto done;
	}

	lim.face_min = rn_cfg.delivery_face_min;
	lim.chip_min = rn_cfg.delivery_chip_min;
	lim.liveness_min = rn_cfg.delivery_liveness_min;
	lim.attempts_max = (int)rn_cfg.delivery_attempts_max;
	memset(&m, 0, sizeof(m));
	m.sig.attempts_before = attempts;
	/* Past the limit nothing is measured: a person decides. */
	if (attempts < lim.attempts_max &&
	    measure(job, st, &c, &in, &m) == -1)
		goto done;
	if (elapsed_ms(started) > (double)rn_cfg.delivery_deadline_ms) {
		kore_log(LOG_ERR, "delivery: case %s: checks took %.0f ms, "
		    "over delivery_deadline_ms: not decided", c.id,
		    elapsed_ms(started));
		job_error(job, 503, "delivery_timeout", "the checks took too "
		    "long and were not counted; retry (same "
		    "Idempotency-Key)");
		goto done;
	}
	rn_delivery_decide(&lim, &m.sig, &dec);

	write_figures(&figures, &m, &dec, attempts + 1);
	write_reasons(&reasons, &dec);
	write_payload(&payload, job->order_ref, &c, courier, attempts + 1,
	    &dec, store_now_ms());
	if (jsonw_text(&figures) == NULL || jsonw_text(&reasons) == NULL ||
	    jsonw_text(&payload) == NULL) {
		job_error(job, 500, "internal_error", "the result could not "
		    "be written");
		goto done;
	}
	memset(&at, 0, sizeof(at));
	at.order_ref = job->order_ref;
	at.case_id = c.id;
	at.courier_id = courier;
	at.result = dec.outcome == RN_DELIVERY_CONFIRMED ?
	    STORE_DELIVERY_RESULT_CONFIRMED :
	    dec.outcome == RN_DELIVERY_MISMATCH ?
	    STORE_DELIVERY_RESULT_MISMATCH : STORE_DELIVERY_RESULT_REVIEW;
	at.figures = jsonw_text(&figures);
	at.reasons = jsonw_text(&reasons);
	memset(&ob, 0, sizeof(ob));
	ob.event = dec.outcome == RN_DELIVERY_CONFIRMED ?
	    "delivery.confirmed" : "delivery.mismatch";
	ob.url = c.callback_url;
	ob.payload = jsonw_text(&payload);
	if (store_delivery_record(st, &at, attempts, &ob, store_now_ms(),
	    &attempt_no) == -1) {
		if (store_errcode(st) == STORE_CONFLICT) {
			job_error(job, 409, "delivery_changed", "another "
			    "attempt for this order was counted meanwhile; "
			    "read GET /v1/deliveries/{order_ref}");
			/* Not this key's answer: a retry decides afresh. */
			retry_later = 1;
		} else
			(void)store_failed(job, st);
		goto done;
	}
	kore_log(LOG_NOTICE, "delivery: case %s attempt %d by courier %s: "
	    "%s (rule %s)", c.id, attempt_no, courier,
	    rn_delivery_outcome_name(dec.outcome), dec.rule);

	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "order_ref");
	jsonw_string(&job->out, job->order_ref);
	jsonw_key(&job->out, "case_id");
	jsonw_string(&job->out, c.id);
	jsonw_key(&job->out, "result");
	jsonw_string(&job->out, rn_delivery_outcome_name(dec.outcome));
	jsonw_key(&job->out, "state");
	jsonw_string(&job->out, dec.outcome == RN_DELIVERY_CONFIRMED ?
	    "confirmed" : dec.outcome == RN_DELIVERY_REVIEW ? "review" :
	    "pending");
	jsonw_key(&job->out, "attempt");
	jsonw_int(&job->out, attempt_no);
	jsonw_key(&job->out, "attempts_left");
	jsonw_int(&job->out, dec.outcome == RN_DELIVERY_MISMATCH &&
	    attempt_no < lim.attempts_max ? lim.attempts_max - attempt_no : 0);
	jsonw_key(&job->out, "courier_id");
	jsonw_string(&job->out, courier);
	jsonw_key(&job->out, "reasons");
	jsonw_raw(&job->out, jsonw_text(&reasons),
	    strlen(jsonw_text(&reasons)));
	jsonw_key(&job->out, "figures");
	jsonw_raw(&job->out, jsonw_text(&figures),
	    strlen(jsonw_text(&figures)));
	jsonw_object_close(&job->out);
	job->status = 200;

done:
	if (idem_open) {
		text = jsonw_text(&job->out);
		if (job->status >= 500 || text == NULL || retry_later) {
			(void)store_idem_abandon(st, scope, job->idem_key);
		} else if (store_idem_finish(st, scope, job->idem_key,
		    job->status, text, store_now_ms()) == -1) {
			kore_log(LOG_ERR, "delivery: idempotency: %s",
			    store_error(st));
		}
	}
	if (have_case) {
		sodium_memzero(c.declared_name, sizeof(c.declared_name));
		sodium_memzero(c.id_number, sizeof(c.id_number));
		store_case_release(&c);
	}
	if (have_delivery)
		store_delivery_release(&d);
	sodium_memzero(&in, sizeof(in));
	jsonw_free(&figures);
	jsonw_free(&reasons);
	jsonw_free(&payload);
}

/*
 * The parts of a confirmation, each checked and bounded, and the hash
 * that identifies it for Idempotency-Key (the parts, not the multipart
 * framing: a phone that rebuilds the body with a new boundary still
 * sends the same confirmation).
 */
static int
read_input(struct dlv_job *job, struct multipart *mp, struct dlv_input *in)
{
	static const char *const known[] = {
		"photo", "id_number", "chip_portrait", "chip_name",
	};
	crypto_hash_sha256_state	 hs;
	const struct multipart_part	*p;
	unsigned char			 md[crypto_hash_sha256_BYTES];
	char				 msg[160];
	size_t				 i, k;
	int				 ok;

	if (multipart_parse(job->body, job->body_len, job->boundary, mp,
	    msg, sizeof(msg)) == -1) {
		job_error(job, 400, "body_invalid", msg);
		return (-1);
	}
	for (i = 0; i < mp->nparts; i++) {
		ok = 0;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= strcmp(mp->parts[i].name, known[k]) == 0;
		if (!ok) {
			snprintf(msg, sizeof(msg), "unknown part '%.60s' (parts: "
			    "photo, id_number, chip_portrait, chip_name)",
			    mp->parts[i].name);
			job_error(job, 400, "part_unknown", msg);
			return (-1);
		}
	}
	if ((in->photo = multipart_find(mp, "photo")) == NULL ||
	    in->photo->len == 0) {
		job_error(job, 400, "part_missing", "the part 'photo' (the "
		    "recipient's face, JPEG or PNG) is missing or empty");
		return (-1);
	}
	if (in->photo->len > (size_t)rn_cfg.delivery_photo_max_bytes) {
		job_error(job, 413, "part_too_large", "the part 'photo' is "
		    "larger than delivery_photo_max_bytes");
		return (-1);
	}
	if ((p = multipart_find(mp, "id_number")) == NULL) {
		job_error(job, 400, "part_missing", "the part 'id_number' "
		    "(as the card reader read it) is missing");
		return (-1);
	}
	if (text_part(job, p, in->number, sizeof(in->number)) == -1)
		return (-1);
	if ((in->chip = multipart_find(mp, "chip_portrait")) != NULL) {
		if (in->chip->len == 0) {
			job_error(job, 400, "part_invalid", "the part "
			    "'chip_portrait' is empty");
			return (-1);
		}
		if (in->chip->len > (size_t)rn_cfg.delivery_chip_max_bytes) {
			job_error(job, 413, "part_too_large", "the part "
			    "'chip_portrait' is larger than "
			    "delivery_chip_max_bytes");
			return (-1);
		}
	}
	if ((p = multipart_find(mp, "chip_name")) != NULL) {
		if (text_part(job, p, in->name, sizeof(in->name)) == -1)
			return (-1);
		in->name_sent = 1;
	}

	crypto_hash_sha256_init(&hs);
	crypto_hash_sha256_update(&hs, (const unsigned char *)job->order_ref,
	    strlen(job->order_ref) + 1);
	crypto_hash_sha256(md, in->photo->data, in->photo->len);
	crypto_hash_sha256_update(&hs, md, sizeof(md));
	crypto_hash_sha256_update(&hs, (const unsigned char *)in->number,
	    strlen(in->number) + 1);
	if (in->chip != NULL) {
		crypto_hash_sha256(md, in->chip->data, in->chip->len);
		crypto_hash_sha256_update(&hs, md, sizeof(md));
	}
	crypto_hash_sha256_update(&hs, (const unsigned char *)"|", 1);
	if (in->name_sent)
		crypto_hash_sha256_update(&hs,
		    (const unsigned char *)in->name, strlen(in->name) + 1);
	crypto_hash_sha256_final(&hs, md);
	sodium_bin2hex(in->hash, sizeof(in->hash), md, sizeof(md));
	return (0);
}

/* A text part: non-empty, no NUL, shorter than outlen. */
static int
text_part(struct dlv_job *job, const struct multipart_part *p, char *out,
    size_t outlen)
{
	char	msg[128];

	if (p->len == 0 || p->len >= outlen ||
	    memchr(p->data, '\0', p->len) != NULL) {
		snprintf(msg, sizeof(msg), "the part '%s' is empty, too long "
		    "or not text", p->name);
		job_error(job, 400, "part_invalid", msg);
		return (-1);
	}
	memcpy(out, p->data, p->len);
	out[p->len] = '\0';
	return (0);
}

/*
 * The recipient photo through the quality gate, its face against the
 * approved case's live face, and the chip portrait and name when sent.
 * Returns 0 with the signals filled, or -1 with an answer set (a photo
 * to retake, or a fault): then nothing is counted.
 */
static int
measure(struct dlv_job *job, struct store *st, const struct store_case *c,
    const struct dlv_input *in, struct dlv_measure *m)
{
	struct imaging_engine		*eng;
	struct imaging_analysis		*a, *chip;
	const struct imaging_face	*face, *cface;
	const struct rn_retake_text	*t;
	float				*ref;
	char				 err[ERR_MAX];
	int64_t				 t0;
	double				 dot;
	int				 i, ret;

	a = chip = NULL;
	ref = NULL;
	ret = -1;
	if ((eng = rn_thread_engine(err, sizeof(err))) == NULL) {
		kore_log(LOG_ERR, "delivery: %s", err);
		job_error(job, 503, "imaging_unavailable", "photos cannot be "
		    "checked right now; retry later (same Idempotency-Key)");
		return (-1);
	}
	m->imaging_ran = 1;
	t0 = store_now_ms();
	a = imaging_analyse(eng, IMAGING_SIDE_FACE, in->photo->data,
	    in->photo->len);
	m->photo_ms = elapsed_ms(t0);
	if (a == NULL) {
		job_error(job, 503, "imaging_unavailable", "the photo could "
		    "not be analysed; retry (same Idempotency-Key)");
		goto done;
	}
	if (a->error != IMAGING_OK) {
		job_error(job, a->error == IMAGING_ERR_FORMAT ? 415 : 422,
		    imaging_err_code(a->error), a->error_msg);
		goto done;
	}
	if (a->nreasons > 0 || a->primary < 0 ||
	    !a->faces[a->primary].has_embedding) {
		/* Something the courier can fix: not counted. */
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "error");
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "code");
		jsonw_string(&job->out, "retake");
		jsonw_key(&job->out, "message");
		jsonw_string(&job->out, "the recipient photo did not pass "
		    "the quality check; take it again (not counted as an "
		    "attempt)");
		jsonw_object_close(&job->out);
		jsonw_key(&job->out, "reasons");
		jsonw_array_open(&job->out);
		for (i = 0; i < a->nreasons; i++) {
			t = rn_retake_text(a->reasons[i]);
			rn_reason_write(&job->out, a->reasons[i], t->text_zh,
			    t->text_en, -1);
		}
		if (a->nreasons == 0) {
			t = rn_retake_text(IMAGING_REASON_NO_FACE);
			rn_reason_write(&job->out, IMAGING_REASON_NO_FACE,
			    t->text_zh, t->text_en, -1);
		}
		jsonw_array_close(&job->out);
		jsonw_object_close(&job->out);
		job->status = 422;
		goto done;
	}
	face = &a->faces[a->primary];
	if (face->liveness.measured) {
		m->sig.liveness.measured = 1;
		m->sig.liveness.value = face->liveness.value;
	}

	/* The approved live face, as the pipeline stored it. */
	if ((ref = calloc(IMAGING_EMBED_DIM, sizeof(*ref))) == NULL) {
		job_error(job, 503, "out_of_memory", "retry later");
		goto done;
	}
	if (store_face_get(st, c->id, ref, IMAGING_EMBED_DIM) == 0) {
		m->sig.reference_found = 1;
		dot = 0;
		/* Both are L2-normalised: the cosine is the dot product. */
		for (i = 0; i < IMAGING_EMBED_DIM; i++)
			dot += (double)face->embedding[i] * ref[i];
		m->sig.face_score.measured = 1;
		m->sig.face_score.value = dot;
	} else if (store_errcode(st) != STORE_NOT_FOUND) {
		(void)store_failed(job, st);
		goto done;
	}

	if (in->chip != NULL) {
		m->sig.chip_sent = 1;
		t0 = store_now_ms();
		chip = chip_analyse(eng, in->chip, &i);
		m->chip_ms = elapsed_ms(t0);
		if (i == IMAGING_ERR_FORMAT) {
			job_error(job, 415, "unsupported_media_type", "the "
			    "part 'chip_portrait' must be JPEG or PNG");
			goto done;
		}
		if (chip == NULL && i == IMAGING_ERR_NOMEM) {
			job_error(job, 503, "imaging_unavailable", "the chip "
			    "portrait could not be analysed; retry");
			goto done;
		}
		/* Its own quality does not matter: only who it shows. */
		if (chip != NULL && chip->error == IMAGING_OK &&
		    chip->primary >= 0 &&
		    chip->faces[chip->primary].has_embedding) {
			cface = &chip->faces[chip->primary];
			m->sig.chip_face_found = 1;
			m->sig.chip_score.measured = 1;
			m->sig.chip_score.value = imaging_face_score(face,
			    cface);
		}
	}

	m->sig.number_matches = rn_delivery_number_equal(in->number,
	    c->id_number);
	if (in->name_sent) {
		m->sig.name_sent = 1;
		m->sig.name_matches = rn_delivery_name_equal(in->name,
		    c->declared_name);
	}
	ret = 0;

done:
	free(ref);
	imaging_analysis_free(a);
	imaging_analysis_free(chip);
	return (ret);
}

/*
 * A chip portrait is small (102 x 126 on a resident ID card): under the
 * photo gate's minimum size, and filled by the face, which a detector
 * trained on photos misses.  It is decoded with its own limits and set
 * in the middle of a grey canvas three times its size; nothing is
 * scaled up.  *err gets IMAGING_OK, or the decoder's or engine's code
 * (then NULL is returned).
 */
#define CHIP_MIN_SIDE		48
#define CHIP_PAD_BELOW		400

static struct imaging_analysis *
chip_analyse(struct imaging_engine *eng, const struct multipart_part *part,
    int *err)
{
	struct imaging_limits	 lim;
	struct imaging_decoder	*dec;
	struct imaging_analysis	*a;
	struct imaging_image	 img, canvas;
	uint8_t			*px;
	int			 y, ox, oy;

	*err = IMAGING_OK;
	a = NULL;
	px = NULL;
	imaging_limits_default(&lim);
	lim.min_long_side = CHIP_MIN_SIDE;
	lim.min_short_side = CHIP_MIN_SIDE;
	if ((dec = imaging_decoder_new(&lim)) == NULL) {
		*err = IMAGING_ERR_NOMEM;
		return (NULL);
	}
	if (imaging_decode(dec, part->data, part->len,
	    lim.working_long_side, &img, NULL) == -1) {
		*err = imaging_decoder_errcode(dec);
		goto done;
	}
	if (img.width >= CHIP_PAD_BELOW || img.height >= CHIP_PAD_BELOW) {
		a = imaging_analyse_image(eng, IMAGING_SIDE_FACE, &img);
	} else {
		canvas.width = img.width * 3;
		canvas.height = img.height * 3;
		canvas.stride = canvas.width * 3;
		if ((px = malloc((size_t)canvas.stride *
		    (size_t)canvas.height)) == NULL) {
			*err = IMAGING_ERR_NOMEM;
			goto done;
		}
		memset(px, 128, (size_t)canvas.stride * (size_t)canvas.height);
		ox = img.width;
		oy = img.height;
		for (y = 0; y < img.height; y++)
			memcpy(px + (size_t)(oy + y) * (size_t)canvas.stride +
			    (size_t)ox * 3, img.pixels + (size_t)y *
			    (size_t)img.stride, (size_t)img.width * 3);
		canvas.pixels = px;
		a = imaging_analyse_image(eng, IMAGING_SIDE_FACE, &canvas);
	}
	if (a == NULL)
		*err = imaging_engine_errcode(eng);

done:
	free(px);
	imaging_decoder_free(dec);
	return (a);
}

/* What the result was built from: figures and thresholds, no PII. */
static void
write_figures(struct jsonw *w, const struct dlv_measure *m,
    const struct rn_delivery_decision *d, int attempt)
{
	const struct rn_delivery_signals	*s = &m->sig;

	jsonw_object_open(w);
	jsonw_key(w, "rule");
	jsonw_string(w, d->rule);
	jsonw_key(w, "attempt");
	jsonw_int(w, attempt);
	jsonw_key(w, "attempts_max");
	jsonw_int(w, rn_cfg.delivery_attempts_max);
	jsonw_key(w, "measured");
	jsonw_bool(w, m->imaging_ran);
	jsonw_key(w, "number_matches");
	jsonw_bool(w, s->number_matches);
	jsonw_key(w, "reference_found");
	jsonw_bool(w, s->reference_found);
	figure(w, "face_score", &s->face_score);
	jsonw_key(w, "face_min");
	jsonw_double(w, rn_cfg.delivery_face_min);
	figure(w, "liveness", &s->liveness);
	jsonw_key(w, "liveness_min");
	jsonw_double(w, rn_cfg.delivery_liveness_min);
	jsonw_key(w, "chip_sent");
	jsonw_bool(w, s->chip_sent);
	if (s->chip_sent) {
		jsonw_key(w, "chip_face_found");
		jsonw_bool(w, s->chip_face_found);
		figure(w, "chip_score", &s->chip_score);
		jsonw_key(w, "chip_min");
		jsonw_double(w, rn_cfg.delivery_chip_min);
	}
	jsonw_key(w, "name_sent");
	jsonw_bool(w, s->name_sent);
	if (s->name_sent) {
		jsonw_key(w, "name_matches");
		jsonw_bool(w, s->name_matches);
	}
	jsonw_key(w, "photo_ms");
	jsonw_double(w, m->photo_ms);
	jsonw_key(w, "chip_ms");
	jsonw_double(w, m->chip_ms);
	jsonw_object_close(w);
}

static void
write_reasons(struct jsonw *w, const struct rn_delivery_decision *d)
{
	const struct rn_delivery_reason_info	*ri;
	size_t					 i;

	jsonw_array_open(w);
	for (i = 0; i < d->nreasons; i++) {
		ri = rn_delivery_reason_info(d->reasons[i]);
		rn_reason_write(w, ri->code, ri->text_zh, ri->text_en, -1);
	}
	jsonw_array_close(w);
}

/* The order system's webhook: result and reason codes, no PII. */
static void
write_payload(struct jsonw *w, const char *order_ref,
    const struct store_case *c, const char *courier, int attempt,
    const struct rn_delivery_decision *d, int64_t now)
{
	size_t	i;

	jsonw_object_open(w);
	jsonw_key(w, "event");
	jsonw_string(w, d->outcome == RN_DELIVERY_CONFIRMED ?
	    "delivery.confirmed" : "delivery.mismatch");
	jsonw_key(w, "order_ref");
	jsonw_string(w, order_ref);
	jsonw_key(w, "case_id");
	jsonw_string(w, c->id);
	jsonw_key(w, "result");
	jsonw_string(w, rn_delivery_outcome_name(d->outcome));
	jsonw_key(w, "attempt");
	jsonw_int(w, attempt);
	jsonw_key(w, "courier_id");
	jsonw_string(w, courier);
	jsonw_key(w, "reasons");
	jsonw_array_open(w);
	for (i = 0; i < d->nreasons; i++)
		jsonw_string(w, rn_delivery_reason_info(d->reasons[i])->code);
	jsonw_array_close(w);
	jsonw_key(w, "at");
	jsonw_int(w, now);
	jsonw_object_close(w);
}

static void
figure(struct jsonw *w, const char *key, const struct rn_figure *f)
{
	jsonw_key(w, key);
	if (f->measured && f->value == f->value)
		jsonw_double(w, f->value);
	else
		jsonw_null(w);
}

static double
elapsed_ms(int64_t since)
{
	return ((double)(store_now_ms() - since));
}

/* What the courier sees before and after: state and minimal PII. */
static void
get_work(void *arg)
{
	struct dlv_job		*job = arg;
	struct store		*st;
	struct store_case	 c;
	struct store_delivery	 d;
	const char		*courier, *state, *zh, *en;
	char			 err[ERR_MAX], masked[STORE_NAME_MAX];
	char			 last4[5];
	int			 have_delivery, approved, left;

	if (job_signed(job, &courier) == -1)
		return;
	if ((st = rn_thread_store(err, sizeof(err))) == NULL) {
		job_error(job, 503, "store_unavailable", "retry later");
		return;
	}
	if (store_case_find_by_order(st, job->order_ref, &c) == -1) {
		if (store_errcode(st) == STORE_NOT_FOUND)
			job_error(job, 404, "order_not_found", "no "
			    "verification case for this order");
		else
			(void)store_failed(job, st);
		return;
	}
	have_delivery = 0;
	if (store_delivery_get(st, job->order_ref, &d) == 0)
		have_delivery = 1;
	else if (store_errcode(st) != STORE_NOT_FOUND) {
		(void)store_failed(job, st);
		goto done;
	}
	approved = c.state == STORE_STATE_APPROVED;
	left = (int)rn_cfg.delivery_attempts_max -
	    (have_delivery ? d.attempts : 0);
	if (left < 0)
		left = 0;
	if (have_delivery && d.state == STORE_DELIVERY_CONFIRMED) {
		state = "confirmed";
		zh = "已确认本人签收，可以交付。";
		en = "Confirmed: hand over the SIM.";
	} else if (have_delivery && d.state == STORE_DELIVERY_REVIEW) {
		state = "review";
		zh = "已转人工审核，请勿交付。";
		en = "Under review: do not hand over the SIM.";
	} else if (!approved) {
		state = "not_approved";
		zh = "该订单尚未通过实名认证，请勿交付。";
		en = "This order's real-name check is not approved: do not "
		    "hand over the SIM.";
	} else {
		state = "pending";
		zh = "请读取收件人身份证，并为本人现场拍摄正脸照片。";
		en = "Read the recipient's ID card and take a photo of their "
		    "face at the door.";
	}

	jsonw_object_open(&job->out);
	jsonw_key(&job->out, "order_ref");
	jsonw_string(&job->out, job->order_ref);
	jsonw_key(&job->out, "state");
	jsonw_string(&job->out, state);
	jsonw_key(&job->out, "deliverable");
	jsonw_bool(&job->out, have_delivery &&
	    d.state == STORE_DELIVERY_CONFIRMED);
	jsonw_key(&job->out, "attempts_used");
	jsonw_int(&job->out, have_delivery ? d.attempts : 0);
	jsonw_key(&job->out, "attempts_left");
	jsonw_int(&job->out, approved && !(have_delivery &&
	    d.state != STORE_DELIVERY_OPEN) ? left : 0);
	jsonw_key(&job->out, "last_result");
	if (have_delivery && d.has_result)
		jsonw_string(&job->out,
		    store_delivery_result_name(d.last_result));
	else
		jsonw_null(&job->out);
	jsonw_key(&job->out, "reasons");
	if (have_delivery && d.last_reasons != NULL)
		jsonw_raw(&job->out, d.last_reasons, strlen(d.last_reasons));
	else
		jsonw_null(&job->out);
	jsonw_key(&job->out, "message");
	rn_reason_write(&job->out, state, zh, en, -1);
	/* Only for an approved order, and only masked. */
	if (approved) {
		jsonw_key(&job->out, "customer");
		jsonw_object_open(&job->out);
		jsonw_key(&job->out, "name_masked");
		if (rn_delivery_mask_name(c.declared_name, masked,
		    sizeof(masked)) == 0)
			jsonw_string(&job->out, masked);
		else
			jsonw_null(&job->out);
		jsonw_key(&job->out, "id_number_last4");
		if (rn_delivery_last4(c.id_number, last4) == 0)
			jsonw_string(&job->out, last4);
		else
			jsonw_null(&job->out);
		jsonw_object_close(&job->out);
	}
	jsonw_object_close(&job->out);
	job->status = 200;
	sodium_memzero(masked, sizeof(masked));

done:
	if (have_delivery)
		store_delivery_release(&d);
	sodium_memzero(c.declared_name, sizeof(c.declared_name));
	sodium_memzero(c.id_number, sizeof(c.id_number));
	store_case_release(&c);
}
