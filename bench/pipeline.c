/*
 * bench-pipeline: cases per second and submit-to-decision latency of the
 * whole service on this machine.  It starts the service (the real kore
 * with our module, SQLite) and the ID-check sandbox (no injected latency)
 * on loopback, renders synthetic people with tools/gen, puts them in the
 * sandbox's registry, and for each: opens a case (signed), uploads the
 * three photos through the quality gate, submits.  A decision's time is
 * the arrival of its webhook.  Cases whose photos the gate refuses are
 * counted and left out.  Figures are printed, never asserted.
 *
 *   bench-pipeline [-n CASES] [-c CLIENTS]       (default 200, 4)
 *
 * Last line: pipeline: cases_per_s=… p50_ms=… p99_ms=…
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>

#include "gen.h"
#include "harness.h"
#include "receiver.h"
#include "sandbox_harness.h"
#include "sign.h"

#define SEED	20261201ULL

struct bench_case {
	struct gen_case	photo[3];
	char		id[40];
	double		submitted_ms;	/* 0: not submitted */
	double		decided_ms;
};

static struct harness	 kore;
static struct sandbox	 sbx;
static struct receiver	 rx;
static struct sign_key	 shop;
static struct bench_case *cases;
static int		 ncases, next_case, refused;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* One case through the API; returns 0 if submitted. */
static int
run_one(struct bench_case *bc)
{
	static const char *const sides[3] = { "front", "back", "holding" };
	struct http_reply	 r;
	char			 body[1024], token[80], path[160], auth[128];
	const char		*hdrs[3];
	const struct gen_truth	*t = &bc->photo[0].truth;
	int			 k;

	snprintf(body, sizeof(body), "{\"order_ref\":\"bench-%s\","
	    "\"channel\":\"web\",\"dealer\":\"web-direct\","
	    "\"declared_name\":\"%s\",\"id_number\":"
	    "\"%s\",\"callback_url\":\"http://127.0.0.1:%d/hook\"}", t->number,
	    t->name, t->number, rx.port);
	if (harness_http_signed(&kore, &shop, "POST", "/v1/cases", body,
	    NULL, 0, &r) == -1 || r.status != 201 ||
	    harness_json_field(r.body, "case_id", bc->id, sizeof(bc->id)) ==
	    -1 || harness_json_field(r.body, "upload_token", token,
	    sizeof(token)) == -1) {
		fprintf(stderr, "bench-pipeline: open: %ld %s\n", r.status,
		    r.body ? r.body : "");
		http_reply_free(&r);
		return (-1);
	}
	http_reply_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs[0] = auth;
	hdrs[1] = "Content-Type: image/jpeg";
	hdrs[2] = NULL;
	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "/v1/cases/%s/images/%s", bc->id,
		    sides[k]);
		if (harness_http_h(&kore, "PUT", path, hdrs,
		    bc->photo[k].jpeg, bc->photo[k].len, &r) == -1 ||
		    r.status != 200) {
			http_reply_free(&r);
			return (-1);
		}
		http_reply_free(&r);
	}
	snprintf(path, sizeof(path), "/v1/cases/%s/submit", bc->id);
	hdrs[1] = NULL;
	bc->submitted_ms = now_ms();
	if (harness_http_h(&kore, "POST", path, hdrs, "", 0, &r) == -1 ||
	    r.status != 202) {
		bc->submitted_ms = 0;
		http_reply_free(&r);
		return (-1);
	}
	http_reply_free(&r);
	return (0);
}

static void *
client(void *arg)
{
	int	i;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		i = next_case++;
		pthread_mutex_unlock(&lock);
		if (i >= ncases)
			break;
		if (run_one(&cases[i]) == -1) {
			pthread_mutex_lock(&lock);
			refused++;
			pthread_mutex_unlock(&lock);
		}
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct gen		*gen;
	struct gen_options	 o;
	pthread_t		*th;
	char			*registry, err[256], keyfile[512], hex[200];
	char			 extra[1024];
	const char		*data;
	double			*lat, first, last;
	size_t			 rlen, roff;
	int			 ch, nclients, i, k, submitted, decided, n;
	FILE			*fp;

	ncases = 200;
	nclients = 4;
	while ((ch = getopt(argc, argv, "n:c:")) != -1) {
		switch (ch) {
		case 'n':
			ncases = atoi(optarg);
			break;
		case 'c':
			nclients = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench-pipeline [-n CASES] "
			    "[-c CLIENTS]\n");
			return (1);
		}
	}
	if (ncases < 1 || nclients < 1 || ncases > RECEIVER_HOOKS_MAX) {
		fprintf(stderr, "bench-pipeline: 1..%d cases\n",
		    RECEIVER_HOOKS_MAX);
		return (1);
	}
	if ((data = getenv("REALNAME_SHARED_DATA")) == NULL)
		data = "../shared/data";

	/* People: valid numbers only, rendered once, registered upstream. */
	if ((gen = gen_open(data,
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "bench-pipeline: gen: %s\n", err);
		return (2);
	}
	cases = calloc((size_t)ncases, sizeof(*cases));
	rlen = (size_t)ncases * 512;
	registry = calloc(1, rlen);
	if (cases == NULL || registry == NULL)
		return (2);
	roff = 0;
	for (i = 0, n = 0; n < ncases && i < ncases * 3; i++) {
		struct bench_case	*bc = &cases[n];

		for (k = 0; k < 3; k++) {
			gen_options_default(&o);
			o.kind = k;
			o.degrade = 0;
			o.long_side = 2000;
			if (gen_make(gen, SEED, i, &o, &bc->photo[k], err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "bench-pipeline: %s\n", err);
				return (2);
			}
		}
		if (!bc->photo[0].truth.number_valid ||
		    !bc->photo[2].truth.genuine) {
			for (k = 0; k < 3; k++)
				gen_case_free(&bc->photo[k]);
			continue;
		}
		roff += (size_t)snprintf(registry + roff, rlen - roff,
		    "%s\t%s\tvalid\t%s/faces/%s\n", bc->photo[0].truth.number,
		    bc->photo[0].truth.name, data,
		    bc->photo[0].truth.portrait_file);
		n++;
	}
	ncases = n;
	gen_close(gen);

	if (sodium_init() < 0 || receiver_start(&rx) == -1 ||
	    sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX) ==
	    -1 || sandbox_start_with(&sbx, "127.0.0.1", registry) == -1) {
		fprintf(stderr, "bench-pipeline: cannot start the sandbox\n");
		return (2);
	}
	snprintf(keyfile, sizeof(keyfile), "%s/service-idcheck.key",
	    sbx.h.dir);
	sodium_bin2hex(hex, sizeof(hex), sbx.key.secret, sbx.key.secret_len);
	if ((fp = fopen(keyfile, "w")) == NULL)
		return (2);
	fprintf(fp, "%s:%s\n", sbx.key.id, hex);
	fclose(fp);
	chmod(keyfile, 0600);
	snprintf(extra, sizeof(extra), "poll_ms = 20\nidcheck_url = "
	    "http://127.0.0.1:%d\nidcheck_key_file = %s\n"
	    "evidence_max_long_side = 2000\n", sbx.h.port, keyfile);
	if (harness_start(&kore, extra) == -1) {
		fprintf(stderr, "bench-pipeline: cannot start the service\n");
		sandbox_finish(&sbx);
		return (2);
	}

	th = calloc((size_t)nclients, sizeof(*th));
	for (i = 0; i < nclients; i++)
		pthread_create(&th[i], NULL, client, NULL);
	for (i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);

	submitted = 0;
	for (i = 0; i < ncases; i++)
		submitted += cases[i].submitted_ms > 0;
	(void)receiver_wait(&rx, submitted, 600);

	/* Match webhooks to cases: decision time = arrival. */
	pthread_mutex_lock(&rx.lock);
	for (k = 0; k < rx.nhooks; k++) {
		for (i = 0; i < ncases; i++) {
			if (cases[i].id[0] != '\0' && cases[i].decided_ms == 0 &&
			    strstr(rx.hooks[k].body, cases[i].id) != NULL)
				cases[i].decided_ms = rx.hooks[k].at_ms;
		}
	}
	pthread_mutex_unlock(&rx.lock);

	lat = calloc((size_t)ncases, sizeof(*lat));
	decided = 0;
	first = last = 0;
	for (i = 0; i < ncases; i++) {
		if (cases[i].submitted_ms == 0 || cases[i].decided_ms == 0)
			continue;
		lat[decided++] = cases[i].decided_ms - cases[i].submitted_ms;
		if (first == 0 || cases[i].submitted_ms < first)
			first = cases[i].submitted_ms;
		if (cases[i].decided_ms > last)
			last = cases[i].decided_ms;
	}
	qsort(lat, (size_t)decided, sizeof(*lat), cmp_double);
	printf("pipeline: %d people, %d refused by the quality gate, "
	    "%d submitted, %d decided; %d clients, 2 workers x 1 pipeline "
	    "thread, SQLite\n", ncases, refused, submitted, decided,
	    nclients);
	{
		int	approved = 0;

		pthread_mutex_lock(&rx.lock);
		for (k = 0; k < rx.nhooks; k++)
			approved += strstr(rx.hooks[k].body,
			    "\"outcome\":\"approved\"") != NULL;
		pthread_mutex_unlock(&rx.lock);
		printf("pipeline: %d approved of %d decided\n", approved,
		    decided);
	}
	/* Why the others were not approved: reason codes by count. */
	{
		char	codes[32][48];
		int	counts[32], ncodes = 0, c;

		pthread_mutex_lock(&rx.lock);
		for (k = 0; k < rx.nhooks; k++) {
			const char	*p = rx.hooks[k].body, *e;
			char		 code[48];

			while ((p = strstr(p, "{\"code\":\"")) != NULL) {
				p += 9;
				if ((e = strchr(p, '"')) == NULL ||
				    (size_t)(e - p) >= sizeof(code))
					break;
				memcpy(code, p, (size_t)(e - p));
				code[e - p] = '\0';
				for (c = 0; c < ncodes; c++)
					if (!strcmp(codes[c], code))
						break;
				if (c == ncodes && ncodes < 32) {
					snprintf(codes[ncodes], sizeof(codes[0]),
					    "%s", code);
					counts[ncodes++] = 0;
				}
				if (c < 32)
					counts[c]++;
				p = e;
			}
		}
		pthread_mutex_unlock(&rx.lock);
		printf("pipeline: reasons:");
		for (c = 0; c < ncodes; c++)
			printf(" %s=%d", codes[c], counts[c]);
		printf("\n");
	}
	if (decided > 0)
		printf("pipeline: cases_per_s=%.2f p50_ms=%.0f p99_ms=%.0f\n",
		    decided / ((last - first) / 1000.0),
		    lat[decided / 2], lat[(decided * 99) / 100 < decided ?
		    (decided * 99) / 100 : decided - 1]);
	else
		printf("pipeline: cases_per_s=0 p50_ms=nan p99_ms=nan\n");

	harness_stop(&kore);
	harness_cleanup(&kore);
	sandbox_finish(&sbx);
	receiver_stop(&rx);
	return (decided > 0 ? 0 : 3);
}
