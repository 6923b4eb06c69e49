/*
 * Provider adapters: everything that differs between ID check providers
 * is data in one const table (endpoint path, signing scheme, request
 * and response field names, the code map), so a second provider is a
 * new table, not new retry or breaker logic.  Plain C (no Kore, no curl).
 */
#ifndef RN_IDCHECK_PROVIDER_H
#define RN_IDCHECK_PROVIDER_H

#include <stddef.h>

#include "idcheck_result.h"
#include "jsonw.h"

/* Bodies larger than this are not an answer we will read. */
#define IDCHECK_BODY_MAX	(64 * 1024)

/*
 * Codes of the sandbox protocol.  11xx and 1901 are one real provider's
 * codes (see issue 4); 12xx and 1999 are ours, for the outcomes that
 * provider documents in words only.  1105 验证失败 is mapped to
 * INVALID_INPUT, not UPSTREAM_ERROR: it is a well-formed answer about
 * this request, the same input would get it again, and counting it as
 * an upstream failure would retry it and let one applicant's bad data
 * open the circuit breaker for everyone.  It still fails closed: only
 * MATCH approves.
 */
#define IDCHECK_CODE_MATCH		"1100"	/* 一致 */
#define IDCHECK_CODE_MISMATCH		"1101"	/* 不一致 */
#define IDCHECK_CODE_NOT_FOUND		"1103"	/* 库中无此号 */
#define IDCHECK_CODE_CARD_STATE		"1104"	/* 卡状态错误 */
#define IDCHECK_CODE_VERIFY_FAILED	"1105"	/* 验证失败 */
#define IDCHECK_CODE_NO_PHOTO		"1201"	/* 库中无照片 */
#define IDCHECK_CODE_FACE_MISMATCH	"1202"	/* 人像比对不一致 */
#define IDCHECK_CODE_INVALID_INPUT	"1203"	/* 参数格式错误 */
#define IDCHECK_CODE_RATE_LIMITED	"1901"	/* 超过单日上限 */
#define IDCHECK_CODE_SERVICE_ERROR	"1999"	/* 服务异常 */

/* How requests are signed; see sign.h. */
enum idcheck_sign_scheme {
	/* X-App-Id, X-Timestamp, X-Signature: HMAC-SHA256, hex. */
	IDCHECK_SIGN_HMAC_SHA256_V1,
};

struct idcheck_code {
	const char		*code;
	enum idcheck_result	 result;
	int			 billable;
	const char		*meaning;	/* the provider's wording */
};

struct idcheck_provider {
	const char			*name;
	const char			*path;	/* POST target */
	enum idcheck_sign_scheme	 sign;

	/* Request body fields. */
	const char			*req_request_id;
	const char			*req_name;
	const char			*req_id_number;
	const char			*req_portrait;	/* base64 JPEG */

	/* Response body fields (key paths); NULL if the provider has none. */
	const char			*resp_code;	/* required */
	const char			*resp_message;	/* required if set */
	const char			*resp_similarity;
	const char			*resp_billable;
	const char			*resp_request_id; /* our id echoed */
	const char			*resp_upstream_id;

	/*
	 * A MATCH whose similarity is below this is a FACE_MISMATCH, even
	 * if the provider said match: our own floor under theirs.
	 */
	double				 face_min_similarity;

	const struct idcheck_code	*codes;
	size_t				 ncodes;
};

/* The adapter named name ("sandbox"), or NULL. */
const struct idcheck_provider	*idcheck_provider_find(const char *name);

/* Number of built-in adapters and adapter i, for tests. */
size_t				 idcheck_provider_count(void);
const struct idcheck_provider	*idcheck_provider_at(size_t);

/* The code map entry for a raw code, or NULL if unknown. */
const struct idcheck_code	*idcheck_provider_code(
				    const struct idcheck_provider *,
				    const char *code);

/*
 * Normalizes one answer: HTTP status and body bytes in, exactly one
 * result out, with the raw code and message kept.  Anything but HTTP
 * 200 with a complete, well-formed body carrying a known code is
 * UPSTREAM_ERROR.  sent_request_id, if not NULL and the provider echoes
 * request ids, must come back unchanged (a crossed answer is not ours).
 * Returns out->result.
 */
enum idcheck_result	idcheck_provider_parse(const struct idcheck_provider *,
			    long http_status, const void *body, size_t len,
			    const char *sent_request_id,
			    struct idcheck_response *out);

/*
 * Writes the request body for the provider into w (portrait may be
 * NULL).  The caller checks jsonw_text(w) once at the end.
 */
void	idcheck_provider_request_body(const struct idcheck_provider *,
	    struct jsonw *w, const char *request_id, const char *name,
	    const char *id_number, const char *portrait_b64);

#endif
