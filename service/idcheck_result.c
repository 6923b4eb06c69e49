/*
 * Normalized ID check results: names and the two policy questions every
 * caller asks (may this approve? may this be retried?), answered once.
 */

#include <stdio.h>
#include <string.h>

#include "idcheck_result.h"

static const char *const result_names[IDCHECK_RESULT_COUNT] = {
	[IDCHECK_MATCH] = "match",
	[IDCHECK_MISMATCH] = "mismatch",
	[IDCHECK_NOT_FOUND] = "not_found",
	[IDCHECK_NO_PHOTO] = "no_photo",
	[IDCHECK_FACE_MISMATCH] = "face_mismatch",
	[IDCHECK_INVALID_INPUT] = "invalid_input",
	[IDCHECK_CARD_STATE] = "card_state",
	[IDCHECK_RATE_LIMITED] = "rate_limited",
	[IDCHECK_UPSTREAM_ERROR] = "upstream_error",
};

const char *
idcheck_result_name(enum idcheck_result r)
{
	if ((unsigned int)r >= IDCHECK_RESULT_COUNT)
		return ("unknown");
	return (result_names[r]);
}

int
idcheck_result_from_name(const char *name, enum idcheck_result *out)
{
	size_t	i;

	for (i = 0; i < IDCHECK_RESULT_COUNT; i++) {
		if (strcmp(result_names[i], name) == 0) {
			*out = (enum idcheck_result)i;
			return (0);
		}
	}
	return (-1);
}

int
idcheck_result_allows_approval(enum idcheck_result r)
{
	/* Written as an equality on purpose: no list to forget to update. */
	return (r == IDCHECK_MATCH);
}

int
idcheck_result_is_retryable(enum idcheck_result r)
{
	return (r == IDCHECK_UPSTREAM_ERROR);
}

void
idcheck_response_upstream_error(struct idcheck_response *r,
    long http_status, const char *detail)
{
	memset(r, 0, sizeof(*r));
	r->result = IDCHECK_UPSTREAM_ERROR;
	r->http_status = http_status;
	(void)snprintf(r->detail, sizeof(r->detail), "%s", detail);
}
