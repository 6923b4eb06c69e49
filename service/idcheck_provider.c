/*
 * Provider adapter tables and the one response normalizer they share.
 * The normalizer fails closed: it looks for reasons to refuse a body
 * first and reads the code last, so no malformed answer can carry a
 * MATCH through.
 */

#include <stdio.h>
#include <string.h>

#include "idcheck_provider.h"
#include "jsonr.h"

static int	code_text(const struct jsonr *, const char *, char *,
		    size_t);
static void	keep_raw(const struct idcheck_provider *,
		    const struct jsonr *, struct idcheck_response *);

static const struct idcheck_code sandbox_codes[] = {
	{ IDCHECK_CODE_MATCH, IDCHECK_MATCH, 1, "一致" },
	{ IDCHECK_CODE_MISMATCH, IDCHECK_MISMATCH, 1, "不一致" },
	{ IDCHECK_CODE_NOT_FOUND, IDCHECK_NOT_FOUND, 0, "库中无此号" },
	{ IDCHECK_CODE_CARD_STATE, IDCHECK_CARD_STATE, 0, "卡状态错误" },
	{ IDCHECK_CODE_VERIFY_FAILED, IDCHECK_INVALID_INPUT, 0, "验证失败" },
	{ IDCHECK_CODE_NO_PHOTO, IDCHECK_NO_PHOTO, 0, "库中无照片" },
	/* The comparison was made: billed like a mismatch. */
	{ IDCHECK_CODE_FACE_MISMATCH, IDCHECK_FACE_MISMATCH, 1,
	    "人像比对不一致" },
	{ IDCHECK_CODE_INVALID_INPUT, IDCHECK_INVALID_INPUT, 0,
	    "参数格式错误" },
	{ IDCHECK_CODE_RATE_LIMITED, IDCHECK_RATE_LIMITED, 0,
	    "超过单日上限" },
	{ IDCHECK_CODE_SERVICE_ERROR, IDCHECK_UPSTREAM_ERROR, 0, "服务异常" },
};

/*
 * The sandbox speaks the real provider's codes with flat JSON bodies.
 * A production provider gets its own table beside this one.
 */
static const struct idcheck_provider providers[] = {
	{
		.name = "sandbox",
		.path = "/v1/id/verify",
		.sign = IDCHECK_SIGN_HMAC_SHA256_V1,
		.req_request_id = "request_id",
		.req_name = "name",
		.req_id_number = "id_number",
		.req_portrait = "portrait",
		.resp_code = "code",
		.resp_message = "message",
		.resp_similarity = "similarity",
		.resp_billable = "billable",
		.resp_request_id = "request_id",
		.resp_upstream_id = "sandbox_request_id",
		/* The sandbox's pass mark (SBX_FACE_PASS in sandbox/faces.h). */
		.face_min_similarity = 60.0,
		.codes = sandbox_codes,
		.ncodes = sizeof(sandbox_codes) / sizeof(sandbox_codes[0]),
	},
};

const struct idcheck_provider *
idcheck_provider_find(const char *name)
{
	size_t	i;

	for (i = 0; i < idcheck_provider_count(); i++) {
		if (strcmp(providers[i].name, name) == 0)
			return (&providers[i]);
	}
	return (NULL);
}

size_t
idcheck_provider_count(void)
{
	return (sizeof(providers) / sizeof(providers[0]));
}

const struct idcheck_provider *
idcheck_provider_at(size_t i)
{
	if (i >= idcheck_provider_count())
		return (NULL);
	return (&providers[i]);
}

const struct idcheck_code *
idcheck_provider_code(const struct idcheck_provider *p, const char *code)
{
	size_t	i;

	for (i = 0; i < p->ncodes; i++) {
		if (strcmp(p->codes[i].code, code) == 0)
			return (&p->codes[i]);
	}
	return (NULL);
}

enum idcheck_result
idcheck_provider_parse(const struct idcheck_provider *p, long http_status,
    const void *body, size_t len, const char *sent_request_id,
    struct idcheck_response *out)
{
	struct jsonr			 doc;
	const struct jsonr_leaf		*leaf;
	const struct idcheck_code	*entry;
	char				 echo[IDCHECK_UPSTREAM_ID_MAX];
	char				 why[IDCHECK_DETAIL_MAX * 2];
	int64_t				 n;
	int				 flag;

	if (len > IDCHECK_BODY_MAX) {
		idcheck_response_upstream_error(out, http_status,
		    "body too large");
		return (out->result);
	}
	if (jsonr_parse(&doc, body, len) == -1) {
		(void)snprintf(why, sizeof(why), "%s%s",
		    http_status == 200 ? "body is not JSON: " :
		    "HTTP status not 200; body: ", doc.err);
		idcheck_response_upstream_error(out, http_status, why);
		return (out->result);
	}
	if (http_status != 200) {
		/* Keep what it said for reviewers; it decides nothing. */
		(void)snprintf(why, sizeof(why), "HTTP status %ld",
		    http_status);
		idcheck_response_upstream_error(out, http_status, why);
		keep_raw(p, &doc, out);
		return (out->result);
	}

	idcheck_response_upstream_error(out, http_status, "");
	if (code_text(&doc, p->resp_code, out->code, sizeof(out->code))
	    == -1) {
		(void)snprintf(out->detail, sizeof(out->detail),
		    "missing or malformed field %s", p->resp_code);
		return (out->result);
	}
	if (p->resp_message != NULL) {
		n = jsonr_string(&doc, p->resp_message, out->message,
		    sizeof(out->message));
		if (n == -1) {
			(void)snprintf(out->detail, sizeof(out->detail),
			    "missing or malformed field %s",
			    p->resp_message);
			return (out->result);
		}
		out->message_cut = (size_t)n >= sizeof(out->message);
	}
	if (p->resp_request_id != NULL && sent_request_id != NULL) {
		n = jsonr_string(&doc, p->resp_request_id, echo,
		    sizeof(echo));
		if (n == -1 || (size_t)n >= sizeof(echo) ||
		    strcmp(echo, sent_request_id) != 0) {
			(void)snprintf(out->detail, sizeof(out->detail),
			    "field %s does not echo our request id",
			    p->resp_request_id);
			return (out->result);
		}
	}
	if (p->resp_upstream_id != NULL &&
	    jsonr_find(&doc, p->resp_upstream_id) != NULL) {
		n = jsonr_string(&doc, p->resp_upstream_id, out->upstream_id,
		    sizeof(out->upstream_id));
		if (n == -1) {
			(void)snprintf(out->detail, sizeof(out->detail),
			    "malformed field %s", p->resp_upstream_id);
			return (out->result);
		}
	}
	if (p->resp_similarity != NULL &&
	    (leaf = jsonr_find(&doc, p->resp_similarity)) != NULL &&
	    leaf->type != JSONR_NULL) {
		if (jsonr_double(&doc, p->resp_similarity,
		    &out->similarity) == -1 || !(out->similarity >= 0.0 &&
		    out->similarity <= 100.0)) {
			out->similarity = 0.0;
			(void)snprintf(out->detail, sizeof(out->detail),
			    "malformed field %s", p->resp_similarity);
			return (out->result);
		}
		out->has_similarity = 1;
	}
	if (p->resp_billable != NULL &&
	    jsonr_find(&doc, p->resp_billable) != NULL &&
	    jsonr_bool(&doc, p->resp_billable, &flag) == -1) {
		(void)snprintf(out->detail, sizeof(out->detail),
		    "malformed field %s", p->resp_billable);
		return (out->result);
	}

	if ((entry = idcheck_provider_code(p, out->code)) == NULL) {
		(void)snprintf(out->detail, sizeof(out->detail),
		    "unknown provider code %s", out->code);
		return (out->result);
	}
	out->result = entry->result;
	out->billable = entry->billable;
	(void)snprintf(out->detail, sizeof(out->detail), "code %s: %s",
	    out->code, idcheck_result_name(entry->result));
	if (out->result == IDCHECK_MATCH && out->has_similarity &&
	    out->similarity < p->face_min_similarity) {
		out->result = IDCHECK_FACE_MISMATCH;
		(void)snprintf(out->detail, sizeof(out->detail),
		    "code %s with similarity below our floor %.1f", out->code,
		    p->face_min_similarity);
	}
	return (out->result);
}

void
idcheck_provider_request_body(const struct idcheck_provider *p,
    struct jsonw *w, const char *request_id, const char *name,
    const char *id_number, const char *portrait_b64)
{
	jsonw_object_open(w);
	jsonw_key(w, p->req_request_id);
	jsonw_string(w, request_id);
	jsonw_key(w, p->req_name);
	jsonw_string(w, name);
	jsonw_key(w, p->req_id_number);
	jsonw_string(w, id_number);
	if (portrait_b64 != NULL) {
		jsonw_key(w, p->req_portrait);
		jsonw_string(w, portrait_b64);
	}
	jsonw_object_close(w);
}

/*
 * The code as text: a non-negative integer or a short string of
 * [0-9A-Za-z_-], so that it is safe to log and compare.  "1100" and
 * 1100 are the same code; anything else is refused, not guessed at.
 */
static int
code_text(const struct jsonr *doc, const char *path, char *out,
    size_t outlen)
{
	const struct jsonr_leaf	*leaf;
	int64_t			 v, n;
	size_t			 i;
	int			 len;

	out[0] = '\0';
	if ((leaf = jsonr_find(doc, path)) == NULL)
		return (-1);
	if (leaf->type == JSONR_NUMBER) {
		if (jsonr_int(doc, path, &v) == -1 || v < 0)
			return (-1);
		len = snprintf(out, outlen, "%lld", (long long)v);
		if (len < 0 || (size_t)len >= outlen) {
			out[0] = '\0';
			return (-1);
		}
		return (0);
	}
	if (leaf->type != JSONR_STRING)
		return (-1);
	n = jsonr_string(doc, path, out, outlen);
	if (n <= 0 || (size_t)n >= outlen)
		goto bad;
	for (i = 0; out[i] != '\0'; i++) {
		if (!((out[i] >= '0' && out[i] <= '9') ||
		    (out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= 'A' && out[i] <= 'Z') ||
		    out[i] == '_' || out[i] == '-'))
			goto bad;
	}
	return (0);
bad:
	out[0] = '\0';
	return (-1);
}

/* For non-200 answers: the code and message, if well-formed. */
static void
keep_raw(const struct idcheck_provider *p, const struct jsonr *doc,
    struct idcheck_response *out)
{
	int64_t	n;

	(void)code_text(doc, p->resp_code, out->code, sizeof(out->code));
	if (p->resp_message != NULL) {
		n = jsonr_string(doc, p->resp_message, out->message,
		    sizeof(out->message));
		out->message_cut = n > 0 && (size_t)n >= sizeof(out->message);
	}
}
