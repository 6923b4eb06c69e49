/*
 * bench-load: drives a real service on loopback at a constant request
 * rate over the upload, status and health routes, and prints
 *
 *   load: rps=… p50_ms=… p99_ms=… errors=… shed=…
 *
 * Open loop: request i is due at start + i / rate whatever happened to
 * the ones before it, and its latency is counted from when it was due,
 * not from when a client got round to sending it, so a stalled service
 * shows as latency instead of hiding behind fewer requests (coordinated
 * omission).  errors are transport failures and 5xx answers other than
 * the 503 "overloaded" of load shedding, which are counted as shed.
 *
 * Usage: bench-load [-r RATE] [-d SECONDS] [-u UPLOAD_PERCENT]
 *                   [-c CLIENTS] [-o OVERLOAD_FACTOR]
 * After the run at RATE, a second run at OVERLOAD_FACTOR × RATE (0: none)
 * shows how fast the service refuses what it cannot take:
 *   load-overload: rps=… p50_ms=… p99_ms=… errors=… shed=… shed_p99_ms=…
 */

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gen.h"
#include "harness.h"
#include "sign.h"

#define CASES_MAX	64
#define SEED		20261203ULL

enum kind { K_HEALTH, K_STATUS, K_UPLOAD };

struct sample {
	double	latency_ms;
	int	status;		/* 0: transport error */
	int	kind;
};

struct run {
	double		 rate;
	int		 total;
	int		 upload_pct;
	double		 start_ms;
	atomic_int	 next;
	struct sample	*samples;
};

static struct harness	 kore;
static struct sign_key	 shop;
static char		 case_ids[CASES_MAX][40], tokens[CASES_MAX][80];
static int		 ncases;
static struct gen_case	 photo;

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return (size * n);
}

/* Which route request i goes to: a fixed, interleaved mix. */
static enum kind
kind_of(int i, int upload_pct)
{
	int	slot = (int)(((unsigned int)i * 37u) % 100u);

	if (slot < upload_pct)
		return (K_UPLOAD);
	return (slot % 2 ? K_STATUS : K_HEALTH);
}

static void *
client(void *arg)
{
	struct run		*run = arg;
	struct curl_slist	*hdrs;
	CURL			*c;
	char			 url[256], auth[128];
	double			 due, wait;
	long			 status;
	int			 i, k;
	enum kind		 kind;

	if ((c = curl_easy_init()) == NULL)
		return (NULL);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	while ((i = atomic_fetch_add(&run->next, 1)) < run->total) {
		due = run->start_ms + i * 1000.0 / run->rate;
		if ((wait = due - now_ms()) > 0)
			usleep((useconds_t)(wait * 1000));
		kind = kind_of(i, run->upload_pct);
		k = i % ncases;
		hdrs = curl_slist_append(NULL, "Expect:");
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    tokens[k]);
		switch (kind) {
		case K_HEALTH:
			snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz",
			    kore.port);
			(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "GET");
			(void)curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
			break;
		case K_STATUS:
			snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/cases/"
			    "%s", kore.port, case_ids[k]);
			hdrs = curl_slist_append(hdrs, auth);
			(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "GET");
			(void)curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
			break;
		case K_UPLOAD:
			snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/cases/"
			    "%s/images/front", kore.port, case_ids[k]);
			hdrs = curl_slist_append(hdrs, auth);
			hdrs = curl_slist_append(hdrs,
			    "Content-Type: image/jpeg");
			(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
			(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, photo.jpeg);
			(void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)photo.len);
			break;
		}
		(void)curl_easy_setopt(c, CURLOPT_URL, url);
		(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		status = 0;
		if (curl_easy_perform(c) == CURLE_OK)
			(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
			    &status);
		run->samples[i].latency_ms = now_ms() - due;
		run->samples[i].status = (int)status;
		run->samples[i].kind = kind;
		curl_slist_free_all(hdrs);
		(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	}
	curl_easy_cleanup(c);
	return (NULL);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static double
pct(double *v, int n, double p)
{
	if (n == 0)
		return (NAN);
	return (v[(int)fmin(n - 1, floor(p / 100.0 * n))]);
}

/* Runs rate × seconds requests; prints one line under label. */
static void
run_at(const char *label, double rate, int seconds, int upload_pct,
    int clients)
{
	struct run	 run;
	pthread_t	*th;
	double		*all, *shed, end;
	int		 i, nall, nshed, errors, per_kind[3] = { 0, 0, 0 };
	double		 p99_kind[3];

	memset(&run, 0, sizeof(run));
	run.rate = rate;
	run.total = (int)(rate * seconds);
	run.upload_pct = upload_pct;
	run.samples = calloc((size_t)run.total, sizeof(*run.samples));
	th = calloc((size_t)clients, sizeof(*th));
	all = calloc((size_t)run.total, sizeof(double));
	shed = calloc((size_t)run.total, sizeof(double));
	if (run.samples == NULL || th == NULL || all == NULL || shed == NULL)
		exit(1);
	atomic_init(&run.next, 0);
	run.start_ms = now_ms() + 50;
	for (i = 0; i < clients; i++)
		pthread_create(&th[i], NULL, client, &run);
	for (i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	end = now_ms();

	nall = nshed = errors = 0;
	for (i = 0; i < run.total; i++) {
		struct sample	*s = &run.samples[i];

		if (s->status == 503) {
			shed[nshed++] = s->latency_ms;
			continue;
		}
		if (s->status == 0 || s->status >= 500)
			errors++;
		all[nall++] = s->latency_ms;
		per_kind[s->kind]++;
	}
	qsort(all, (size_t)nall, sizeof(double), cmp_double);
	qsort(shed, (size_t)nshed, sizeof(double), cmp_double);
	/* Per route, for the reader (uploads are the slow ones). */
	for (i = 0; i < 3; i++) {
		double	*v = calloc((size_t)run.total + 1, sizeof(double));
		int	 n = 0, j;

		for (j = 0; j < run.total; j++) {
			if (run.samples[j].kind == i &&
			    run.samples[j].status != 503)
				v[n++] = run.samples[j].latency_ms;
		}
		qsort(v, (size_t)n, sizeof(double), cmp_double);
		p99_kind[i] = pct(v, n, 99);
		free(v);
	}
	printf("# %s: %d requests due at %.0f/s over %d s, %d clients, "
	    "%d%% uploads; took %.1f s\n", label, run.total, rate, seconds,
	    clients, upload_pct, (end - run.start_ms) / 1000);
	printf("# p99_ms by route: health=%.1f (%d) status=%.1f (%d) "
	    "upload=%.1f (%d)\n", p99_kind[K_HEALTH], per_kind[K_HEALTH],
	    p99_kind[K_STATUS], per_kind[K_STATUS], p99_kind[K_UPLOAD],
	    per_kind[K_UPLOAD]);
	printf("%s: rps=%.1f p50_ms=%.1f p99_ms=%.1f errors=%d shed=%d",
	    label, run.total / ((end - run.start_ms) / 1000), pct(all, nall,
	    50), pct(all, nall, 99), errors, nshed);
	if (nshed > 0)
		printf(" shed_p99_ms=%.1f", pct(shed, nshed, 99));
	printf("\n");
	fflush(stdout);
	free(run.samples);
	free(th);
	free(all);
	free(shed);
}

int
main(int argc, char **argv)
{
	struct gen_options	 o;
	struct http_reply	 r;
	struct gen		*gen;
	char			 body[512], err[256];
	double			 rate = 40, overload = 4;
	int			 ch, seconds = 20, upload_pct = 10, clients = 64;

	while ((ch = getopt(argc, argv, "r:d:u:c:o:")) != -1) {
		switch (ch) {
		case 'r': rate = atof(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'u': upload_pct = atoi(optarg); break;
		case 'c': clients = atoi(optarg); break;
		case 'o': overload = atof(optarg); break;
		default:
			fprintf(stderr, "usage: bench-load [-r RATE] "
			    "[-d SECONDS] [-u UPLOAD_PERCENT] [-c CLIENTS] "
			    "[-o OVERLOAD_FACTOR]\n");
			return (2);
		}
	}
	if (rate <= 0 || seconds <= 0 || clients <= 0 || upload_pct < 0 ||
	    upload_pct > 100)
		return (2);
	curl_global_init(CURL_GLOBAL_ALL);
	if (sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1)
		return (1);

	/* One phone photo of a card front, 1600 px: a real quality gate. */
	if ((gen = gen_open(getenv("REALNAME_SHARED_DATA"),
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "bench-load: %s\n", err);
		return (1);
	}
	gen_options_default(&o);
	o.kind = GEN_KIND_FRONT;
	o.degrade = 0;
	o.exif = 0;
	o.long_side = 1600;
	if (gen_make(gen, SEED, 0, &o, &photo, err, sizeof(err)) == -1)
		return (1);

	/* The service as deploy/run starts it, with room for many retakes. */
	if (harness_start(&kore, "image_attempts_max = 100\n") == -1) {
		fprintf(stderr, "bench-load: the service did not start\n");
		return (1);
	}
	for (ncases = 0; ncases < CASES_MAX; ncases++) {
		snprintf(body, sizeof(body), "{\"order_ref\":\"load-%d\","
		    "\"channel\":\"web\",\"dealer\":\"web-direct\","
		    "\"declared_name\":\"%s\","
		    "\"id_number\":\"%s\",\"callback_url\":"
		    "\"http://127.0.0.1:9/hook\"}", ncases, photo.truth.name,
		    photo.truth.number);
		if (harness_http_signed(&kore, &shop, "POST", "/v1/cases", body,
		    NULL, 0, &r) == -1 || r.status != 201 ||
		    harness_json_field(r.body, "case_id", case_ids[ncases],
		    sizeof(case_ids[0])) == -1 ||
		    harness_json_field(r.body, "upload_token", tokens[ncases],
		    sizeof(tokens[0])) == -1) {
			fprintf(stderr, "bench-load: cannot open a case\n");
			return (1);
		}
		http_reply_free(&r);
	}

	run_at("load", rate, seconds, upload_pct, clients);
	if (overload > 0)
		run_at("load-overload", rate * overload, seconds, upload_pct,
		    clients);

	harness_stop(&kore);
	harness_cleanup(&kore);
	gen_case_free(&photo);
	gen_close(gen);
	return (0);
}
