/*
 * The web pages: the customer's capture page at a case's hosted URL and
 * the static files it loads, served from memory with a strict
 * Content-Security-Policy.
 */
#ifndef RN_WEB_H
#define RN_WEB_H

/*
 * Reads rn_cfg.web_dir once, in the parent before the workers fork.  A
 * missing or bad directory is logged and only disables the pages: the
 * API does not depend on them.
 */
void	rn_web_init(void);

struct http_request;

/*
 * Answers with the page of that name (e.g. "review/index.html") under
 * the pages' headers, no-store; 503 if it is not installed.  The caller
 * has called api_begin().
 */
int	rn_web_page(struct http_request *, const char *name);

#endif
