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

#endif
