/*
 * The reviewer console from a test (see console.h).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "console.h"
#include "store.h"

char *
http_header(const struct http_reply *r, const char *name, char *out,
    size_t len)
{
	const char	*p, *e;
	size_t		 n;

	n = strlen(name);
	for (p = r->headers; p != NULL && *p != '\0'; p = e + 1) {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			snprintf(out, len, "%.*s", (int)(e - p), p);
			out[strcspn(out, "\r\n")] = '\0';
			return (out);
		}
		if (*e == '\0')
			break;
	}
	return (NULL);
}

void
console_add(const struct harness *h, const char *name, enum store_role role,
    const char *password)
{
	struct store	*st;
	char		 hash[STORE_PWHASH_MAX];

	assert_int_equal(rn_review_password_hash(password, hash), 0);
	assert_int_equal(store_open(&st, h->store_url), 0);
	assert_int_equal(store_reviewer_add(st, name, role, hash, "test",
	    store_now_ms()), 0);
	store_close(st);
}

long
console_call(const struct harness *h, const struct console *c, int csrf,
    const char *method, const char *path, const char *body,
    struct http_reply *r)
{
	char		 ck[128], tok[128];
	const char	*hdr[4];
	int		 n;

	n = 0;
	if (c != NULL && c->cookie[0] != '\0') {
		snprintf(ck, sizeof(ck), "Cookie: other=1; rn_review=%s",
		    c->cookie);
		hdr[n++] = ck;
	}
	if (c != NULL && csrf) {
		snprintf(tok, sizeof(tok), "X-CSRF-Token: %s", c->csrf);
		hdr[n++] = tok;
	}
	hdr[n++] = "Content-Type: application/json";
	hdr[n] = NULL;
	if (body == NULL && !strcmp(method, "POST"))
		body = "{}";
	memset(r, 0, sizeof(*r));
	assert_int_equal(harness_http_h(h, method, path, hdr, body,
	    body != NULL ? strlen(body) : 0, r), 0);
	return (r->status);
}

long
console_login(const struct harness *h, const char *name,
    const char *password, struct console *c)
{
	struct http_reply	r;
	char			body[512], sc[256];
	long			status;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"password\":\"%s\"}",
	    name, password);
	/* c's cookie goes along: a new login must replace that session. */
	status = console_call(h, c, 0, "POST", "/review/login", body, &r);
	if (status == 200) {
		memset(c, 0, sizeof(*c));
		assert_non_null(http_header(&r, "set-cookie", sc, sizeof(sc)));
		assert_int_equal(strncmp(sc, "rn_review=", 10), 0);
		assert_true(strlen(sc) >= 10 + RN_REVIEW_TOKEN_LEN);
		memcpy(c->cookie, sc + 10, RN_REVIEW_TOKEN_LEN);
		c->cookie[RN_REVIEW_TOKEN_LEN] = '\0';
		assert_int_equal(harness_json_field(r.body, "csrf", c->csrf,
		    sizeof(c->csrf)), 0);
	}
	http_reply_free(&r);
	return (status);
}

void
console_login_ok(const struct harness *h, const char *name,
    const char *password, struct console *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(console_login(h, name, password, c), 200);
}
