/*
 * The oversight suites' population (integration_oversight and the
 * oversight browser test): 300 synthetic cases over two channels and six
 * dealers, decided through the store's own decision call with the
 * service's QA sampling policy, one dealer ("shop-bad") rejected at three
 * times the overall rate; and three console accounts, sue (supervisor),
 * rita (reviewer) and audrey (auditor), all with OVERSIGHT_PASSWORD.
 */
#ifndef RN_OVERSIGHT_CASES_H
#define RN_OVERSIGHT_CASES_H

#include <stdint.h>

#include "harness.h"

#define OVERSIGHT_PASSWORD	"correct horse battery"
#define OVERSIGHT_SHARE		0.02
#define OVERSIGHT_SEED		7
#define OVERSIGHT_DEALERS	6
#define OVERSIGHT_PER_DEALER	50

/*
 * The configuration lines to start kore with: no pipeline thread (so
 * the cases are the population's alone), and the sampling policy above.
 */
const char	*oversight_conf(void);

/*
 * After harness_start(kore, oversight_conf() + more): writes the cases
 * (webhooks to hook_url) and the accounts, then restarts kore with a
 * pipeline thread polling often, so the webhooks go out.  eligible[0] and [1] receive the
 * automatic APPROVED and REJECTED decisions of channels "web" and
 * "shop".  0, or -1 with a message on stderr.
 */
int	oversight_populate(struct harness *kore, const char *hook_url,
	    int64_t eligible[2]);

#endif
