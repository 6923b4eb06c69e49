/*
 * The web pages.
 *
 *   GET /c/{case_id}          the customer's capture page (its upload
 *                             token travels in the URL fragment, which
 *                             never reaches us)
 *   GET /static/{file}        the pages' CSS, JavaScript and images
 *
 * Every file was read into memory at start (webfiles.c): a URL only ever
 * selects one of those by exact name, so no request touches the file
 * system.  Pages refer to assets with "?v=<version>"; such a URL names
 * one content forever and may be cached for a year.
 */

#include <string.h>

#include "api.h"
#include "realname.h"
#include "web.h"
#include "webfiles.h"

int	rn_web_customer(struct http_request *);
int	rn_web_static(struct http_request *);

#define STATIC_PREFIX	"/static/"
#define CUSTOMER_PAGE	"customer/index.html"

/*
 * No inline script or style anywhere; uploads and polling go to this
 * origin only; photos are previewed from blob: URLs.
 */
#define WEB_CSP		"default-src 'none'; script-src 'self'; " \
			"style-src 'self'; img-src 'self' blob: data:; " \
			"connect-src 'self'; form-action 'none'; " \
			"frame-ancestors 'none'; base-uri 'none'"

static struct rn_webfiles	web;
static int			web_loaded;

static int	serve(struct http_request *, const struct rn_webfile *,
		    const char *);
static void	page_headers(struct http_request *);

void
rn_web_init(void)
{
	char	err[RN_CONFIG_ERR_MAX];
	int	n;

	if ((n = rn_webfiles_load(&web, rn_cfg.web_dir, err,
	    sizeof(err))) == -1) {
		kore_log(LOG_ERR, "web: %s (pages disabled)", err);
		return;
	}
	web_loaded = 1;
	kore_log(LOG_NOTICE, "web: %d files, version %s", n, web.version);
}

int
rn_web_customer(struct http_request *req)
{
	const struct rn_webfile	*f;

	if (api_begin(req, RN_ROUTE_WEB_CUSTOMER, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD) == NULL)
		return (KORE_RESULT_OK);
	f = web_loaded ? rn_webfiles_find(&web, CUSTOMER_PAGE) : NULL;
	if (f == NULL)
		return (api_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE,
		    "page_unavailable", "the page is not installed"));
	/*
	 * The page is the same for every case, but its URL names one: keep
	 * it out of shared caches and history snapshots.
	 */
	return (serve(req, f, "no-store"));
}

int
rn_web_static(struct http_request *req)
{
	const struct rn_webfile	*f;
	const char		*name, *etag, *cache;
	char			 want[32];

	if (api_begin(req, RN_ROUTE_WEB_STATIC, HTTP_METHOD_GET |
	    HTTP_METHOD_HEAD) == NULL)
		return (KORE_RESULT_OK);
	/* The route admits only this prefix; checked again all the same. */
	if (strncmp(req->path, STATIC_PREFIX, strlen(STATIC_PREFIX)) != 0)
		return (api_error(req, HTTP_STATUS_NOT_FOUND, "not_found",
		    "no such file"));
	name = req->path + strlen(STATIC_PREFIX);
	if (!web_loaded || (f = rn_webfiles_find(&web, name)) == NULL ||
	    f->is_page)
		return (api_error(req, HTTP_STATUS_NOT_FOUND, "not_found",
		    "no such file"));

	snprintf(want, sizeof(want), "v=%s", web.version);
	if (req->query_string != NULL && !strcmp(req->query_string, want))
		cache = "public, max-age=31536000, immutable";
	else
		cache = "no-cache";
	http_response_header(req, "etag", f->etag);
	if (http_request_header(req, "if-none-match", &etag) &&
	    !strcmp(etag, f->etag)) {
		page_headers(req);
		return (api_reply_cached(req, HTTP_STATUS_NOT_MODIFIED, NULL,
		    cache, NULL, 0));
	}
	return (serve(req, f, cache));
}

int
rn_web_page(struct http_request *req, const char *name)
{
	const struct rn_webfile	*f;

	f = web_loaded ? rn_webfiles_find(&web, name) : NULL;
	if (f == NULL || !f->is_page)
		return (api_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE,
		    "page_unavailable", "the page is not installed"));
	return (serve(req, f, "no-store"));
}

static int
serve(struct http_request *req, const struct rn_webfile *f,
    const char *cache)
{
	page_headers(req);
	/* Kore leaves the body out of an answer to HEAD. */
	return (api_reply_cached(req, HTTP_STATUS_OK, f->ctype, cache,
	    f->data, f->len));
}

static void
page_headers(struct http_request *req)
{
	http_response_header(req, "content-security-policy", WEB_CSP);
	http_response_header(req, "referrer-policy", "no-referrer");
	http_response_header(req, "x-frame-options", "DENY");
	http_response_header(req, "cross-origin-opener-policy",
	    "same-origin");
	http_response_header(req, "cross-origin-resource-policy",
	    "same-origin");
	http_response_header(req, "permissions-policy",
	    "camera=(self), microphone=(), geolocation=()");
}
