/*
 * The reviewer console from a test: accounts added through the store,
 * a login that keeps the session's cookie and CSRF token, and calls that
 * carry them.  For cmocka tests: a call that gets no answer, or a login
 * answered 200 without its cookie or token, fails the test.
 */
#ifndef RN_TEST_CONSOLE_H
#define RN_TEST_CONSOLE_H

#include <stddef.h>

#include "harness.h"
#include "review_auth.h"
#include "store_review.h"

struct console {
	char	cookie[RN_REVIEW_TOKEN_LEN + 1];	/* "" before login */
	char	csrf[RN_REVIEW_TOKEN_LEN + 1];
};

/* A reply header's value (the first of that name), or NULL. */
char	*http_header(const struct http_reply *, const char *name, char *out,
	    size_t len);

/* Adds an account with this role and password. */
void	console_add(const struct harness *, const char *name,
	    enum store_role, const char *password);

/*
 * One call with c's cookie (if any; beside another cookie, as browsers
 * send them) and, with csrf, its token.  A POST without a body sends
 * "{}" (Kore wants a Content-Length).  The status; r must be freed.
 */
long	console_call(const struct harness *, const struct console *c,
	    int csrf, const char *method, const char *path, const char *body,
	    struct http_reply *r);

/*
 * Logs in, sending c's cookie if it holds one (zero c for a first
 * login); on 200 c holds the new session's cookie and CSRF token.  The
 * status.
 */
long	console_login(const struct harness *, const char *name,
	    const char *password, struct console *c);
/* A first login that must succeed. */
void	console_login_ok(const struct harness *, const char *name,
	    const char *password, struct console *c);

#endif
