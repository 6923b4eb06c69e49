/*
 * The oversight browser test's service: the real kore with our module,
 * a webhook receiver, and the population of tests/support/oversight_cases.c
 * (300 decided cases, the seeded QA sample, one dealer rejected at three
 * times the overall rate; accounts sue, rita, audrey).  No ID check or
 * imaging is involved: the cases are decided through the store.
 *
 *   oversight-launcher
 *
 * Prints one JSON line when everything answers:
 *   {"base":..., "log":..., "password":..., "eligible":[web, shop]}
 * then reads commands on stdin, one a line, each answered by one line:
 *   hooks     {"overrides":<webhooks received that carry qa_override>}
 * and stops everything at end of input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "oversight_cases.h"
#include "receiver.h"

int
main(void)
{
	struct harness	kore;
	struct receiver	rx;
	char		url[128], line[128];
	int64_t		eligible[2];
	int		i, n, ret = 1;

	if (receiver_start(&rx) == -1)
		return (1);
	if (harness_start(&kore, oversight_conf()) == -1) {
		fprintf(stderr, "# kore did not start\n");
		receiver_stop(&rx);
		return (1);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	if (oversight_populate(&kore, url, eligible) == -1)
		goto stop;
	printf("{\"base\":\"http://127.0.0.1:%d\",\"log\":\"%s\","
	    "\"password\":\"%s\",\"eligible\":[%lld,%lld]}\n", kore.port,
	    kore.log, OVERSIGHT_PASSWORD, (long long)eligible[0],
	    (long long)eligible[1]);
	fflush(stdout);

	ret = 0;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "hooks")) {
			pthread_mutex_lock(&rx.lock);
			for (i = n = 0; i < rx.nhooks; i++)
				n += strstr(rx.hooks[i].body,
				    "\"qa_override\":true") != NULL;
			pthread_mutex_unlock(&rx.lock);
			printf("{\"overrides\":%d}\n", n);
		} else
			printf("{\"error\":\"unknown command\"}\n");
		fflush(stdout);
	}
stop:
	harness_stop(&kore);
	harness_cleanup(&kore);
	receiver_stop(&rx);
	return (ret);
}
