/*
 * Integration harness.  kore runs in its own session so that stopping it
 * (and its workers) never signals the test itself; under ASan builds the
 * sanitizer runtime is preloaded into kore, which is not instrumented.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>

#include "harness.h"
#include "pg_harness.h"
#include "sign.h"
#include "store.h"

static int	free_port(void);
static int	spawn(struct harness *);
static int	store_for(struct harness *);
static void	effective_store_url(const struct harness *, char *, size_t);
static void	dump_log(const struct harness *);
static void	keep_log(const struct harness *);
static int	run_to_file(char *const [], const char *, const char *);
static void	sleep_ms(long);
static size_t	collect(char *, size_t, size_t, void *);

const char *
harness_build_root(void)
{
	const char	*p = getenv("REALNAME_BUILD_ROOT");

	return (p != NULL ? p : "build");
}

const char *
harness_source_root(void)
{
	const char	*p = getenv("REALNAME_SOURCE_ROOT");

	return (p != NULL ? p : ".");
}

int
harness_start(struct harness *h, const char *extra)
{
	return (harness_start_late(h, extra, NULL));
}

int
harness_start_late(struct harness *h, const char *extra, const char *late)
{
	FILE		*fp;
	char		 kconf[256], tmpl[512], tool[512], path[512];
	char		*render[5];
	const char	*p;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	snprintf(h->dir, sizeof(h->dir), "/tmp/rn-it-XXXXXX");
	if (mkdtemp(h->dir) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/run", h->dir);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/tmp", h->dir);
	(void)mkdir(path, 0700);
	snprintf(h->conf, sizeof(h->conf), "%s/realname.conf", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/kore.log", h->dir);
	snprintf(kconf, sizeof(kconf), "%s/kore.conf", h->dir);
	h->port = free_port();
	if (store_for(h) == -1)
		return (-1);

	/* A known order-system key: HARNESS_CLIENT_ID:HARNESS_CLIENT_HEX. */
	snprintf(path, sizeof(path), "%s/clients", h->dir);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(fp, "%s:%s\n", HARNESS_CLIENT_ID, HARNESS_CLIENT_HEX);
	fclose(fp);
	(void)chmod(path, 0600);

	if ((fp = fopen(h->conf, "w")) == NULL)
		return (-1);
	/* deploy/test runs some suites again with every violation logged. */
	if ((p = getenv("REALNAME_TEST_SECCOMP_TRACING")) != NULL &&
	    !strcmp(p, "1"))
		fputs("seccomp_tracing = yes\n", fp);
	fprintf(fp, "listen_port = %d\npublic_url = http://127.0.0.1:%d\n"
	    "state_dir = %s\nmodels_dir = %s/assets/models\n"
	    "module_path = %s/service/realname.so\nworkers = 2\n"
	    "migrations_dir = %s/deploy/sql\nclients_file = %s/clients\n"
	    "store_url = %s\nweb_dir = %s/assets/web\n"
	    "task_threads = 2\n%s\n", h->port, h->port, h->dir,
	    harness_source_root(), harness_build_root(),
	    harness_source_root(), h->dir, h->store_url,
	    harness_source_root(),
	    extra != NULL ? extra : "");
	fclose(fp);

	snprintf(tool, sizeof(tool), "%s/service/realname-conf",
	    harness_build_root());
	snprintf(tmpl, sizeof(tmpl), "%s/deploy/kore.conf.in",
	    harness_source_root());
	render[0] = tool;
	render[1] = "render";
	render[2] = tmpl;
	render[3] = h->conf;
	render[4] = NULL;
	if (run_to_file(render, kconf, h->log) != 0)
		return (-1);
	if (late != NULL) {
		if ((fp = fopen(h->conf, "a")) == NULL)
			return (-1);
		fputs(late, fp);
		fclose(fp);
	}

	if (spawn(h) == -1)
		return (-1);
	/*
	 * kore migrated the store: every case names a known dealer.  A
	 * store kore cannot reach yet is a test's own business: cases
	 * then answer 422 dealer_unknown, which names the cause.
	 */
	if (harness_dealer_add(h, HARNESS_DEALER, HARNESS_CHANNEL, 1) == -1)
		fprintf(stderr, "# harness: no dealer %s\n", HARNESS_DEALER);
	return (0);
}

/* The store the service uses: the last store_url line of its file. */
static void
effective_store_url(const struct harness *h, char *url, size_t len)
{
	FILE	*fp;
	char	 line[1024], *p, *e;

	snprintf(url, len, "%s", h->store_url);
	if ((fp = fopen(h->conf, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "store_url", 9) != 0)
			continue;
		p = line + 9;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == ' ' ||
		    e[-1] == '\t'))
			*--e = '\0';
		snprintf(url, len, "%s", p);
	}
	fclose(fp);
}

int
harness_dealer_add(const struct harness *h, const char *code,
    const char *channel, int active)
{
	struct store	*st;
	char		 url[sizeof(h->store_url)];
	int64_t		 now;
	int		 ret;

	ret = -1;
	effective_store_url(h, url, sizeof(url));
	if (store_open(&st, url) == -1)
		goto done;
	now = store_now_ms();
	if (store_dealer_add(st, code, channel, "Harness dealer", "test",
	    now) == -1 && store_errcode(st) != STORE_CONFLICT)
		goto done;
	if (!active && store_dealer_set_active(st, code, 0, "test", now) == -1)
		goto done;
	ret = 0;
done:
	if (ret == -1)
		fprintf(stderr, "# dealer %s: %s\n", code, st != NULL ?
		    store_error(st) : "out of memory");
	store_close(st);
	return (ret);
}

int
harness_restart(struct harness *h)
{
	if (h->pid > 0)
		(void)harness_stop(h);
	return (spawn(h));
}

int
harness_kill9(struct harness *h)
{
	int	status;

	if (h->pid <= 0)
		return (-1);
	(void)kill(-h->pid, SIGKILL);
	(void)waitpid(h->pid, &status, 0);
	h->exit_status = status;
	h->pid = -1;
	return (0);
}

/* Starts kore on h's rendered configuration and waits for /healthz. */
static int
spawn(struct harness *h)
{
	struct http_reply	 r;
	char			 kconf[256];
	const char		*preload;
	int			 fd, i, status;

	snprintf(kconf, sizeof(kconf), "%s/kore.conf", h->dir);
	if ((h->pid = fork()) == -1)
		return (-1);
	if (h->pid == 0) {
		(void)setsid();
		fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd != -1) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			(void)close(fd);
		}
		setenv("REALNAME_CONFIG", h->conf, 1);
		/* As deploy/run: Tesseract's OpenMP, one thread a line. */
		setenv("OMP_THREAD_LIMIT", "1", 1);
		/*
		 * The test binary may run under ASan; kore is not built
		 * with it, so the runtime that our module needs is
		 * preloaded.  Leak checking is off: kore exits with live
		 * allocations by design and LSan's tracer would trip the
		 * seccomp filter.
		 */
		if ((preload = getenv("REALNAME_KORE_PRELOAD")) != NULL &&
		    *preload != '\0') {
			setenv("LD_PRELOAD", preload, 1);
			setenv("ASAN_OPTIONS", "detect_leaks=0:"
			    "abort_on_error=1", 1);
		}
		unsetenv("CMOCKA_MESSAGE_OUTPUT");
		execlp("stdbuf", "stdbuf", "-oL", "-eL", "kore", "-c", kconf,
		    "-f", "-n", "-r", (char *)NULL);
		_exit(127);
	}

	/* Up to 60 s: sanitizer builds start slowly on a busy machine. */
	for (i = 0; i < 600; i++) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->exit_status = status;
			h->pid = -1;
			dump_log(h);
			return (-1);
		}
		if (harness_http(h, "GET", "/healthz", NULL, 0, &r) == 0) {
			status = (int)r.status;
			http_reply_free(&r);
			if (status == 200)
				return (0);
		}
		sleep_ms(100);
	}
	(void)harness_stop(h);
	dump_log(h);
	return (-1);
}

int
harness_stop(struct harness *h)
{
	int	status, i;

	if (h->pid <= 0)
		return (h->exit_status);
	(void)kill(-h->pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->exit_status = status;
			h->pid = -1;
			return (status);
		}
		sleep_ms(100);
	}
	(void)kill(-h->pid, SIGKILL);
	(void)waitpid(h->pid, &status, 0);
	h->exit_status = status;
	h->pid = -1;
	return (status);
}

void
harness_cleanup(struct harness *h)
{
	char	cmd[256];

	if (h->dir[0] == '\0' || strncmp(h->dir, "/tmp/rn-it-", 11) != 0)
		return;
	keep_log(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", h->dir);
}

/*
 * Keeps kore's log for the scan over the whole test run (no numbers,
 * names or image bytes in any log: deploy/scan-logs) when the suite
 * names a directory for them.
 */
static void
keep_log(const struct harness *h)
{
	static int	 n;
	const char	*dir = getenv("REALNAME_TEST_LOGS");
	char		 path[512], exe[256];
	const char	*name;
	char		*text;
	FILE		*fp;
	ssize_t		 len;

	if (dir == NULL || dir[0] == '\0')
		return;
	(void)mkdir(dir, 0755);
	/* The test's own name, for whoever reads a finding. */
	name = "test";
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[len] = '\0';
		name = strrchr(exe, '/') != NULL ? strrchr(exe, '/') + 1 : exe;
	}
	snprintf(path, sizeof(path), "%s/%s-%d-%d.log", dir, name,
	    (int)getpid(), n++);
	if ((text = harness_log(h)) == NULL)
		return;
	if ((fp = fopen(path, "w")) != NULL) {
		(void)fputs(text, fp);
		(void)fclose(fp);
	}
	free(text);
}

char *
harness_log(const struct harness *h)
{
	FILE	*fp;
	char	*text;
	long	 len;

	if ((fp = fopen(h->log, "r")) == NULL)
		return (strdup(""));
	(void)fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	(void)fseek(fp, 0, SEEK_SET);
	if (len < 0 || (text = calloc(1, (size_t)len + 1)) == NULL) {
		fclose(fp);
		return (strdup(""));
	}
	if (fread(text, 1, (size_t)len, fp) != (size_t)len)
		text[0] = '\0';
	fclose(fp);
	return (text);
}

int
harness_http(const struct harness *h, const char *method, const char *path,
    const void *body, size_t len, struct http_reply *r)
{
	return (harness_http_h(h, method, path, NULL, body, len, r));
}

int
harness_http_h(const struct harness *h, const char *method, const char *path,
    const char *const *headers, const void *body, size_t len,
    struct http_reply *r)
{
	CURL			*c;
	struct curl_slist	*hdrs;
	char			 url[1024];
	CURLcode		 rc;
	FILE			*bf, *hf;
	size_t			 hlen;

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL)
		return (-1);
	if (h->ca_file[0] != '\0') {
		/* Through a TLS front whose certificate names localhost. */
		snprintf(url, sizeof(url), "https://localhost:%d%s", h->port,
		    path);
		(void)curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
		(void)curl_easy_setopt(c, CURLOPT_SSLVERSION,
		    (long)h->tls_version);
	} else
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", h->port,
		    path);
	bf = open_memstream(&r->body, &r->len);
	hf = open_memstream(&r->headers, &hlen);
	hdrs = curl_slist_append(NULL, "Expect:");
	for (; headers != NULL && *headers != NULL; headers++)
		hdrs = curl_slist_append(hdrs, *headers);
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, bf);
	(void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	(void)curl_easy_setopt(c, CURLOPT_HEADERDATA, hf);
	if (!strcmp(method, "HEAD"))
		(void)curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	fclose(bf);
	fclose(hf);
	if (rc != CURLE_OK && r->status == 0) {
		http_reply_free(r);
		return (-1);
	}
	return (0);
}

int
harness_http_signed(const struct harness *h, const struct sign_key *key,
    const char *method, const char *path, const char *body,
    const char *extra, long ts_shift, struct http_reply *r)
{
	struct sign_headers	sh;
	char			h1[128], h2[128], h3[128], h4[128];
	const char		*hdrs[7];
	size_t			len;
	int			n;

	len = body != NULL ? strlen(body) : 0;
	/* A fresh nonce: two equal calls in one second are not a replay. */
	if (sign_request_headers_nonce(key, method, path,
	    (int64_t)time(NULL) + ts_shift, body != NULL ? body : "", len,
	    &sh) == -1)
		return (-1);
	snprintf(h1, sizeof(h1), "X-App-Id: %s", sh.key_id);
	snprintf(h2, sizeof(h2), "X-Timestamp: %s", sh.timestamp);
	snprintf(h3, sizeof(h3), "X-Signature: %s", sh.signature);
	snprintf(h4, sizeof(h4), "X-Nonce: %s", sh.nonce);
	n = 0;
	hdrs[n++] = h1;
	hdrs[n++] = h2;
	hdrs[n++] = h3;
	hdrs[n++] = h4;
	hdrs[n++] = "Content-Type: application/json";
	if (extra != NULL)
		hdrs[n++] = extra;
	hdrs[n] = NULL;
	return (harness_http_h(h, method, path, hdrs, body, len, r));
}

int
harness_json_field(const char *body, const char *key, char *out, size_t len)
{
	char		 pat[64];
	const char	*p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if (body == NULL || (p = strstr(body, pat)) == NULL)
		return (-1);
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= len)
		return (-1);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return (0);
}

void
http_reply_free(struct http_reply *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	return (fwrite(p, size, n, arg));
}

static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		if (fd != -1)
			close(fd);
		return (18000 + (getpid() % 1000));
	}
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

static int
run_to_file(char *const argv[], const char *out, const char *err)
{
	pid_t	pid;
	int	fd, status;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd != -1)
			(void)dup2(fd, 1);
		fd = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd != -1)
			(void)dup2(fd, 2);
		/* The tool is ours and instrumented in ASan builds. */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return (-1);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* A failed start shows kore's own words, as TAP comments. */
static void
dump_log(const struct harness *h)
{
	char	*log, *line, *save;

	log = harness_log(h);
	for (line = strtok_r(log, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "# kore: %s\n", line);
	free(log);
}

static struct pg_harness	pg;
static int			pg_started;

static void
pg_stop_at_exit(void)
{
	if (pg_started)
		pg_harness_stop(&pg);
	pg_started = 0;
}

/* SQLite in the state directory, or a fresh PostgreSQL database. */
static int
store_for(struct harness *h)
{
	const char	*kind = getenv("REALNAME_TEST_STORE");
	char		 name[64];
	static int	 serial;

	if (kind == NULL || strcmp(kind, "postgresql") != 0) {
		snprintf(h->store_url, sizeof(h->store_url),
		    "sqlite:%s/realname.db", h->dir);
		return (0);
	}
	if (!pg_started) {
		if (pg_harness_start(&pg) == -1) {
			fprintf(stderr, "# cannot start PostgreSQL\n");
			return (-1);
		}
		pg_started = 1;
		atexit(pg_stop_at_exit);
	}
	snprintf(name, sizeof(name), "rn_it_%ld_%d", (long)getpid(),
	    serial++);
	if (pg_harness_create_db(&pg, name, h->store_url,
	    sizeof(h->store_url)) == -1) {
		fprintf(stderr, "# cannot create database %s\n", name);
		return (-1);
	}
	return (0);
}

int
harness_pg_pause(void)
{
	return (pg_started ? pg_harness_pause(&pg) : -1);
}

int
harness_pg_resume(void)
{
	return (pg_started ? pg_harness_resume(&pg) : -1);
}
