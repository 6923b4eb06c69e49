/*
 * The normalized result of a national ID check, whatever provider gave
 * it.  Every provider answer, every transport failure and every body we
 * cannot understand ends as exactly one of these; the raw provider code
 * and message are kept beside it for reviewers and reconciliation.
 *
 * Plain C (no Kore, no curl): the client, the sandbox, the unit tests and
 * the fuzzer share it.
 */
#ifndef RN_IDCHECK_RESULT_H
#define RN_IDCHECK_RESULT_H

#include <stddef.h>

/*
 * The order is part of the metrics layout: append, never reorder.
 * Names are stable strings (metrics labels, JSON, the store).
 */
enum idcheck_result {
	IDCHECK_MATCH = 0,	/* name and number (and face) agree */
	IDCHECK_MISMATCH,	/* the number exists, the name differs */
	IDCHECK_NOT_FOUND,	/* no such number in the registry */
	IDCHECK_NO_PHOTO,	/* face asked, registry holds no photo */
	IDCHECK_FACE_MISMATCH,	/* face similarity below the threshold */
	IDCHECK_INVALID_INPUT,	/* provider refused the input as such */
	IDCHECK_CARD_STATE,	/* card cancelled, lost, expired */
	IDCHECK_RATE_LIMITED,	/* provider's per-number daily cap hit */
	IDCHECK_UPSTREAM_ERROR,	/* no trustworthy answer at all */
	IDCHECK_RESULT_COUNT
};

#define IDCHECK_CODE_MAX	16
#define IDCHECK_MESSAGE_MAX	256
#define IDCHECK_UPSTREAM_ID_MAX	64
#define IDCHECK_DETAIL_MAX	96

/*
 * One provider answer, normalized.  message is the provider's own text,
 * byte-exact UTF-8 (cut at a character boundary if longer than the
 * buffer): show it to reviewers, never log it, since a misbehaving
 * upstream could echo personal data into it.  detail says why the
 * result was chosen and never contains request data: it may be logged.
 */
struct idcheck_response {
	enum idcheck_result	result;
	long			http_status;
	char			code[IDCHECK_CODE_MAX];	/* "" if none */
	char			message[IDCHECK_MESSAGE_MAX];
	int			message_cut;
	int			has_similarity;
	double			similarity;		/* 0..100 */
	int			billable;
	char			upstream_id[IDCHECK_UPSTREAM_ID_MAX];
	char			detail[IDCHECK_DETAIL_MAX];
};

/* "match", "not_found", ...; "unknown" for a value out of range. */
const char	*idcheck_result_name(enum idcheck_result);

/* The result named name.  Returns 0, or -1 for an unknown name. */
int	idcheck_result_from_name(const char *name, enum idcheck_result *);

/*
 * True only for IDCHECK_MATCH.  Everything else, including every kind
 * of failure, can never approve an order: the check fails closed.
 */
int	idcheck_result_allows_approval(enum idcheck_result);

/*
 * True only for IDCHECK_UPSTREAM_ERROR: the one result another attempt
 * may change.  Every other result is the provider's answer about this
 * person and would be the same (and possibly billed) again.
 */
int	idcheck_result_is_retryable(enum idcheck_result);

/* Sets r to UPSTREAM_ERROR with a detail line; clears the other fields. */
void	idcheck_response_upstream_error(struct idcheck_response *r,
	    long http_status, const char *detail);

#endif
