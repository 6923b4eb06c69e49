/*
 * The service over real HTTP: a kore process with our module on a free
 * loopback port.  One kore serves the group; tests that need another
 * configuration start their own.
 */

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "harness.h"

static struct harness	main_kore;

/* Nothing in a log may show an ignored directive or a seccomp kill. */
static void
assert_log_clean(const struct harness *h)
{
	char	*log = harness_log(h);

	if (strstr(log, "ignoring \"") != NULL ||
	    strstr(log, "sandbox violation") != NULL ||
	    strstr(log, "seccomp violation") != NULL)
		fprintf(stderr, "# kore log:\n%s\n", log);
	assert_null(strstr(log, "ignoring \""));
	assert_null(strstr(log, "sandbox violation"));
	assert_null(strstr(log, "seccomp violation"));
	free(log);
}

static void
assert_json_error(const struct http_reply *r, long status, const char *code)
{
	char	want[128];

	assert_int_equal(r->status, status);
	assert_non_null(strcasestr(r->headers,
	    "content-type: application/json"));
	snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\","
	    "\"message\":\"", code);
	assert_non_null(r->body);
	assert_memory_equal(r->body, want, strlen(want));
}

static int
group_setup(void **state)
{
	(void)state;
	return (harness_start(&main_kore, NULL));
}

static int
group_teardown(void **state)
{
	(void)state;
	harness_stop(&main_kore);
	harness_cleanup(&main_kore);
	return (0);
}

static void
test_healthz_answers_alive(void **state)
{
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&main_kore, "GET", "/healthz", NULL, 0,
	    &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"status\":\"alive\""));
	http_reply_free(&r);
}

static void
test_readyz_reports_models_and_store(void **state)
{
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&main_kore, "GET", "/readyz", NULL, 0,
	    &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"models\":{\"ok\":true"));
	assert_non_null(strstr(r.body, "\"store\":{\"ok\":true}"));
	/* The task thread could make its imaging engine. */
	assert_non_null(strstr(r.body, "\"imaging\":{\"ok\":true}"));
	http_reply_free(&r);
}

struct burst {
	int	ok;
};

static void *
readyz_worker(void *arg)
{
	struct burst		*b = arg;
	struct http_reply	 r;
	int			 i;

	for (i = 0; i < 10; i++) {
		if (harness_http(&main_kore, "GET", "/readyz", NULL, 0,
		    &r) == 0 && r.status == 200)
			b->ok++;
		http_reply_free(&r);
	}
	return (NULL);
}

/* A killed task thread shows only as a hang: 80 task requests answer. */
static void
test_task_route_answers_under_concurrency(void **state)
{
	pthread_t	th[8];
	struct burst	b[8];
	int		i, total;

	(void)state;
	memset(b, 0, sizeof(b));
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, readyz_worker,
		    &b[i]), 0);
	total = 0;
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += b[i].ok;
	}
	assert_int_equal(total, 80);
}

struct shed {
	const struct harness	*h;
	int			 ok, shed, other;
};

static void *
shed_worker(void *arg)
{
	struct shed		*b = arg;
	struct http_reply	 r;
	int			 i;

	for (i = 0; i < 5; i++) {
		if (harness_http(b->h, "GET", "/readyz", NULL, 0, &r) != 0) {
			b->other++;
			continue;
		}
		if (r.status == 200)
			b->ok++;
		else if (r.status == 503 &&
		    strstr(r.body, "\"code\":\"overloaded\"") != NULL &&
		    strstr(r.headers, "retry-after: 7") != NULL)
			b->shed++;
		else
			b->other++;
		http_reply_free(&r);
	}
	return (NULL);
}

/*
 * Past task_queue_max a request is refused at once with 503 and
 * Retry-After, never queued without limit; and the count of held tasks
 * comes back down, so the service answers again afterwards.
 */
static void
test_overload_sheds_with_503_and_retry_after(void **state)
{
	struct harness		 h;
	struct http_reply	 r;
	pthread_t		 th[24];
	struct shed		 b[24];
	int			 i, ok, shed, other;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(harness_start(&h, "workers = 1\ntask_threads = 1\n"
	    "task_queue_max = 1\noverload_retry_after_s = 7\n"), 0);
	memset(b, 0, sizeof(b));
	for (i = 0; i < 24; i++) {
		b[i].h = &h;
		assert_int_equal(pthread_create(&th[i], NULL, shed_worker,
		    &b[i]), 0);
	}
	ok = shed = other = 0;
	for (i = 0; i < 24; i++) {
		pthread_join(th[i], NULL);
		ok += b[i].ok;
		shed += b[i].shed;
		other += b[i].other;
	}
	fprintf(stderr, "# 120 probes: %d answered, %d shed, %d other\n",
	    ok, shed, other);
	assert_int_equal(other, 0);
	assert_true(ok > 0);
	assert_true(shed > 0);
	/* Nothing leaked: alone, it answers every time. */
	for (i = 0; i < 5; i++) {
		assert_int_equal(harness_http(&h, "GET", "/readyz", NULL, 0,
		    &r), 0);
		assert_int_equal(r.status, 200);
		http_reply_free(&r);
	}
	harness_stop(&h);
	harness_cleanup(&h);
}

static void
test_unknown_path_is_json_404(void **state)
{
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&main_kore, "GET", "/v1/nothing/here",
	    NULL, 0, &r), 0);
	assert_json_error(&r, 404, "not_found");
	http_reply_free(&r);
}

static void
test_wrong_method_is_json_405_with_allow(void **state)
{
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_http(&main_kore, "DELETE", "/healthz", NULL,
	    0, &r), 0);
	assert_json_error(&r, 405, "method_not_allowed");
	assert_non_null(strcasestr(r.headers, "allow: GET, HEAD"));
	http_reply_free(&r);

	assert_int_equal(harness_http(&main_kore, "POST", "/metrics", "{}", 2,
	    &r), 0);
	assert_json_error(&r, 405, "method_not_allowed");
	http_reply_free(&r);
}

static void
test_metrics_count_requests_by_route_and_status(void **state)
{
	struct http_reply	r;
	int			i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(harness_http(&main_kore, "GET", "/nope-metrics",
		    NULL, 0, &r), 0);
		http_reply_free(&r);
	}
	assert_int_equal(harness_http(&main_kore, "GET", "/metrics", NULL, 0,
	    &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.headers, "content-type: text/plain"));
	assert_non_null(strstr(r.body, "realname_build_info{version=\""));
	/* Earlier tests add their own 404s: at least our three. */
	const char *p = strstr(r.body, "realname_http_requests_total{route="
	    "\"unmatched\",status=\"404\"} ");
	assert_non_null(p);
	assert_true(atoi(p + strlen("realname_http_requests_total{route="
	    "\"unmatched\",status=\"404\"} ")) >= 3);
	assert_non_null(strstr(r.body, "realname_http_request_duration_"
	    "seconds_bucket{route=\"/readyz\",le=\"+Inf\"}"));
	http_reply_free(&r);
}

static void
test_body_over_limit_is_413_and_nothing_stored(void **state)
{
	struct harness		 h;
	struct http_reply	 r;
	char			*body, path[256];
	DIR			*d;
	struct dirent		*de;
	int			 files;

	(void)state;
	assert_int_equal(harness_start(&h, "body_max_bytes = 4096\n"
	    "json_body_max_bytes = 1024\nbody_disk_offload_bytes = 1024\n"),
	    0);
	body = malloc(64 * 1024);
	assert_non_null(body);
	memset(body, 'A', 64 * 1024);
	assert_int_equal(harness_http(&h, "POST", "/v1/cases", body,
	    64 * 1024, &r), 0);
	assert_int_equal(r.status, 413);
	http_reply_free(&r);
	free(body);

	/* The offload directory holds no body, whole or partial. */
	snprintf(path, sizeof(path), "%s/tmp", h.dir);
	d = opendir(path);
	assert_non_null(d);
	files = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			files++;
	}
	closedir(d);
	assert_int_equal(files, 0);

	/* And the service still answers. */
	assert_int_equal(harness_http(&h, "GET", "/healthz", NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	harness_stop(&h);
	assert_log_clean(&h);
	harness_cleanup(&h);
}

static void
test_access_log_has_no_query_strings(void **state)
{
	struct http_reply	 r;
	char			*log;

	(void)state;
	assert_int_equal(harness_http(&main_kore, "GET",
	    "/healthz?id_number=11010519491231002X&name=x", NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	assert_int_equal(harness_http(&main_kore, "GET",
	    "/v1/cases/11010519491231002X", NULL, 0, &r), 0);
	http_reply_free(&r);
	usleep(200 * 1000);
	log = harness_log(&main_kore);
	assert_non_null(strstr(log, "access method=GET route=/healthz"));
	assert_null(strstr(log, "11010519491231002X"));
	assert_null(strstr(log, "id_number"));
	free(log);
}

static void
test_bad_config_exits_nonzero_naming_the_key(void **state)
{
	struct harness	 h;
	char		*log;

	(void)state;
	assert_int_equal(harness_start_late(&h, NULL,
	    "task_threads = many\n"), -1);
	log = harness_log(&h);
	assert_non_null(strstr(log, "task_threads"));
	free(log);
	assert_true(WIFEXITED(h.exit_status));
	assert_int_not_equal(WEXITSTATUS(h.exit_status), 0);
	harness_cleanup(&h);
}

static void
test_readyz_is_503_when_models_are_missing(void **state)
{
	struct harness		h;
	struct http_reply	r;

	(void)state;
	assert_int_equal(harness_start(&h, "models_dir = /nonexistent\n"), 0);
	assert_int_equal(harness_http(&h, "GET", "/readyz", NULL, 0, &r), 0);
	assert_json_error(&r, 503, "not_ready");
	assert_non_null(strstr(r.body, "SHA256SUMS"));
	assert_non_null(strstr(r.body, "\"models\":{\"ok\":false"));
	http_reply_free(&r);
	harness_stop(&h);
	harness_cleanup(&h);
}

/* Every route, tasks included, under seccomp tracing: no violation. */
static void
test_seccomp_tracing_finds_no_violation(void **state)
{
	static const char *paths[] = {
		"/healthz", "/readyz", "/metrics", "/nope", "/readyz",
	};
	struct harness		 h;
	struct http_reply	 r;
	size_t			 i;
	char			*log;

	(void)state;
	assert_int_equal(harness_start(&h, "seccomp_tracing = yes\n"), 0);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(harness_http(&h, "GET", paths[i], NULL, 0,
		    &r), 0);
		assert_true(r.status == 200 || r.status == 404);
		http_reply_free(&r);
	}
	harness_stop(&h);
	log = harness_log(&h);
	assert_non_null(strstr(log, "seccomp tracing enabled"));
	free(log);
	assert_log_clean(&h);
	harness_cleanup(&h);
}

/* First run: one 32-byte master key, 0600, in a 0700 directory. */
static void
test_first_run_creates_private_master_key(void **state)
{
	char		 path[512];
	struct stat	 st;
	DIR		*d;
	struct dirent	*de;
	int		 keys;

	(void)state;
	snprintf(path, sizeof(path), "%s/keys", main_kore.dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	d = opendir(path);
	assert_non_null(d);
	keys = 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "master-", 7) != 0)
			continue;
		keys++;
		snprintf(path, sizeof(path), "%s/keys/%s", main_kore.dir,
		    de->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(st.st_size, 32);
	}
	closedir(d);
	assert_int_equal(keys, 1);
}

/* Each worker's core file limit is 0, soft and hard. */
static void
test_workers_never_dump_core(void **state)
{
	char	 path[128], line[256];
	FILE	*fp;
	int	 pid, workers, core_zero;

	(void)state;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
	    (int)main_kore.pid, (int)main_kore.pid);
	assert_non_null(fp = fopen(path, "r"));
	workers = 0;
	while (fscanf(fp, "%d", &pid) == 1) {
		FILE	*lf;
		char	 lpath[64];

		snprintf(lpath, sizeof(lpath), "/proc/%d/limits", pid);
		assert_non_null(lf = fopen(lpath, "r"));
		core_zero = 0;
		while (fgets(line, sizeof(line), lf) != NULL) {
			char	soft[32], hard[32];

			/* Both limits: a hard limit of 0 cannot be raised. */
			if (strncmp(line, "Max core file size", 18) == 0 &&
			    sscanf(line + 18, "%31s %31s", soft, hard) == 2)
				core_zero = !strcmp(soft, "0") &&
				    !strcmp(hard, "0");
		}
		fclose(lf);
		assert_true(core_zero);
		workers++;
	}
	fclose(fp);
	/* workers = 2 in the harness configuration. */
	assert_true(workers >= 2);
}

static void
test_main_log_is_clean(void **state)
{
	(void)state;
	assert_log_clean(&main_kore);
}

/*
 * Kore's main process killed outright (kill -9, an OOM kill): its
 * workers must not live on with the listening socket and the pipeline
 * threads.  Runs last: it ends the group's kore, and restarts it so
 * the teardown finds what it expects.
 */
/* A process's state letter and start time (clock ticks), or -1. */
static int
proc_state(int pid, char *state, unsigned long long *start)
{
	char	 path[64], buf[1024], *p;
	FILE	*fp;
	int	 ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	ok = fgets(buf, sizeof(buf), fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
	    "%*u %*d %*d %*d %*d %*d %*d %llu", state, start) == 2;
	fclose(fp);
	return (ok ? 0 : -1);
}

static void
test_workers_die_with_the_main_process(void **state)
{
	char			 path[128], st;
	unsigned long long	 start[8], t;
	FILE			*fp;
	int			 pid[8], n, i, alive, tries;

	(void)state;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
	    (int)main_kore.pid, (int)main_kore.pid);
	assert_non_null(fp = fopen(path, "r"));
	for (n = 0; n < 8 && fscanf(fp, "%d", &pid[n]) == 1; n++)
		assert_int_equal(proc_state(pid[n], &st, &start[n]), 0);
	fclose(fp);
	assert_true(n >= 2);

	/*
	 * The main process alone (harness_kill9 kills the whole process
	 * group, which proves nothing here).
	 */
	assert_int_equal(kill(main_kore.pid, SIGKILL), 0);
	assert_int_equal(waitpid(main_kore.pid, NULL, 0), main_kore.pid);
	main_kore.pid = -1;
	/*
	 * Gone, or a zombie waiting for init: never running again.  A pid
	 * the system gave to a new process since (its start time differs)
	 * is gone too.
	 */
	for (tries = 0; tries < 100; tries++) {
		alive = 0;
		for (i = 0; i < n; i++) {
			if (proc_state(pid[i], &st, &t) == 0 &&
			    t == start[i] && st != 'Z' && st != 'X')
				alive++;
		}
		if (alive == 0)
			break;
		usleep(100 * 1000);
	}
	assert_int_equal(alive, 0);
	/*
	 * Started again for the teardown.  The port can stay refused for a
	 * moment after a kill (a clean-clone run saw "bind(): Address
	 * already in use" once with every worker gone), so a few tries.
	 */
	for (tries = 0; tries < 10; tries++) {
		if (harness_restart(&main_kore) == 0)
			break;
		sleep(1);
	}
	assert_true(tries < 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthz_answers_alive),
		cmocka_unit_test(test_readyz_reports_models_and_store),
		cmocka_unit_test(test_task_route_answers_under_concurrency),
		cmocka_unit_test(test_overload_sheds_with_503_and_retry_after),
		cmocka_unit_test(test_unknown_path_is_json_404),
		cmocka_unit_test(test_wrong_method_is_json_405_with_allow),
		cmocka_unit_test(
		    test_metrics_count_requests_by_route_and_status),
		cmocka_unit_test(test_body_over_limit_is_413_and_nothing_stored),
		cmocka_unit_test(test_access_log_has_no_query_strings),
		cmocka_unit_test(test_bad_config_exits_nonzero_naming_the_key),
		cmocka_unit_test(test_readyz_is_503_when_models_are_missing),
		cmocka_unit_test(test_seccomp_tracing_finds_no_violation),
		cmocka_unit_test(test_first_run_creates_private_master_key),
		cmocka_unit_test(test_workers_never_dump_core),
		cmocka_unit_test(test_main_log_is_clean),
		cmocka_unit_test(test_workers_die_with_the_main_process),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
