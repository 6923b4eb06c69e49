/*
 * idcheck-sandbox under test.  The configuration is rendered from
 * deploy/sandbox.conf.in like deploy/run does; the module reads its
 * registry, key and bind address from the environment.
 */

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
#include <sodium.h>

#include "jsonr.h"
#include "sandbox_harness.h"

static int	render(const char *, const char *, const struct sandbox *,
		    const char *);
static int	pick_port(void);
static size_t	sink(char *, size_t, size_t, void *);
static double	now_ms(void);

int
sandbox_start(struct sandbox *s, const char *bind_addr)
{
	return (sandbox_start_with(s, bind_addr, NULL));
}

int
sandbox_start_with(struct sandbox *s, const char *bind_addr,
    const char *extra_registry)
{
	FILE			*fp;
	struct http_reply	 r;
	char			 conf[512], tmpl[512], keytext[160], err[128];
	unsigned char		 secret[32];
	const char		*faces, *preload;
	int			 fd, i, status;

	memset(s, 0, sizeof(*s));
	s->h.pid = -1;
	(void)snprintf(s->h.dir, sizeof(s->h.dir), "/tmp/rn-it-sbx-XXXXXX");
	if (mkdtemp(s->h.dir) == NULL)
		return (-1);
	(void)snprintf(s->h.log, sizeof(s->h.log), "%s/sandbox.log",
	    s->h.dir);
	(void)snprintf(s->registry_path, sizeof(s->registry_path),
	    "%s/registry.tsv", s->h.dir);
	(void)snprintf(conf, sizeof(conf), "%s/sandbox.conf", s->h.dir);
	(void)snprintf(tmpl, sizeof(tmpl), "%s/deploy/sandbox.conf.in",
	    harness_source_root());
	s->h.port = pick_port();

	if ((faces = getenv("REALNAME_SHARED_DATA")) == NULL)
		faces = "../shared/data";
	(void)snprintf(keytext, sizeof(keytext), "%s/faces", faces);
	if ((fp = fopen(s->registry_path, "w")) == NULL)
		return (-1);
	i = sbx_registry_generate(keytext, fp);
	if (extra_registry != NULL)
		fputs(extra_registry, fp);
	if (fclose(fp) != 0 || i <= 0) {
		fprintf(stderr, "# cannot make a registry from %s\n",
		    keytext);
		return (-1);
	}
	if (sbx_registry_load(&s->registry, s->registry_path, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "# registry: %s\n", err);
		return (-1);
	}

	randombytes_buf(secret, sizeof(secret));
	if (sign_key_init(&s->key, "test-app", secret, sizeof(secret)) == -1)
		return (-1);
	(void)snprintf(keytext, sizeof(keytext), "%s:", s->key.id);
	(void)sodium_bin2hex(keytext + strlen(keytext),
	    sizeof(keytext) - strlen(keytext), secret, sizeof(secret));
	sodium_memzero(secret, sizeof(secret));

	if (render(tmpl, conf, s, bind_addr) == -1)
		return (-1);

	if ((s->h.pid = fork()) == -1)
		return (-1);
	if (s->h.pid == 0) {
		(void)setsid();
		fd = open(s->h.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd != -1) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			(void)close(fd);
		}
		setenv("IDCHECK_SANDBOX_REGISTRY", s->registry_path, 1);
		setenv("IDCHECK_SANDBOX_KEYS", keytext, 1);
		setenv("IDCHECK_SANDBOX_BIND", bind_addr, 1);
		/* As harness.c: kore is not instrumented, our module is. */
		if ((preload = getenv("REALNAME_KORE_PRELOAD")) != NULL &&
		    *preload != '\0') {
			setenv("LD_PRELOAD", preload, 1);
			setenv("ASAN_OPTIONS", "detect_leaks=0:"
			    "abort_on_error=1", 1);
		}
		unsetenv("CMOCKA_MESSAGE_OUTPUT");
		execlp("stdbuf", "stdbuf", "-oL", "-eL", "kore", "-c", conf,
		    "-f", "-n", "-r", (char *)NULL);
		_exit(127);
	}
	sodium_memzero(keytext, sizeof(keytext));

	for (i = 0; i < 600; i++) {
		if (waitpid(s->h.pid, &status, WNOHANG) == s->h.pid) {
			s->h.exit_status = status;
			s->h.pid = -1;
			return (-1);
		}
		/* Any HTTP answer means the worker is up. */
		if (sandbox_http(s, "GET", "/", NULL, 0, NULL, 1000, &r,
		    NULL) == 0) {
			status = (int)r.status;
			http_reply_free(&r);
			if (status == 404)
				return (0);
		}
		usleep(100 * 1000);
	}
	(void)harness_stop(&s->h);
	return (-1);
}

void
sandbox_finish(struct sandbox *s)
{
	(void)harness_stop(&s->h);
	harness_cleanup(&s->h);
	sbx_registry_free(&s->registry);
	sign_key_clear(&s->key);
}

int
sandbox_http(const struct sandbox *s, const char *method, const char *path,
    const void *body, size_t len, const char *const *headers,
    long timeout_ms, struct http_reply *r, double *elapsed_ms)
{
	CURL			*c;
	struct curl_slist	*hdrs;
	FILE			*bf, *hf;
	char			 url[512];
	size_t			 hlen;
	CURLcode		 rc;
	double			 t0;
	int			 i;

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL)
		return (-1);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->h.port,
	    path);
	bf = open_memstream(&r->body, &r->len);
	hf = open_memstream(&r->headers, &hlen);
	/* Kore never sends 100 Continue: an empty Expect saves a second. */
	hdrs = curl_slist_append(NULL, "Expect:");
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, bf);
	(void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink);
	(void)curl_easy_setopt(c, CURLOPT_HEADERDATA, hf);
	if (body != NULL) {
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	}
	t0 = now_ms();
	rc = curl_easy_perform(c);
	if (elapsed_ms != NULL)
		*elapsed_ms = now_ms() - t0;
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	fclose(bf);
	fclose(hf);
	if (rc != CURLE_OK) {
		/* A reply cut short is a transport error, whatever came. */
		http_reply_free(r);
		return (-1);
	}
	return (0);
}

int
sandbox_verify(const struct sandbox *s, const void *body, size_t len,
    int64_t skew, const char *fault, long timeout_ms, struct http_reply *r,
    double *elapsed_ms)
{
	struct sign_headers	 sh;
	char			 h[4][160];
	const char		*list[5];
	int			 n;

	if (sign_request_headers(&s->key, "POST", "/v1/id/verify",
	    (int64_t)time(NULL) + skew, body, len, &sh) == -1)
		return (-1);
	(void)snprintf(h[0], sizeof(h[0]), "%s: %s", SIGN_HEADER_KEY_ID,
	    sh.key_id);
	(void)snprintf(h[1], sizeof(h[1]), "%s: %s", SIGN_HEADER_TIMESTAMP,
	    sh.timestamp);
	(void)snprintf(h[2], sizeof(h[2]), "%s: %s", SIGN_HEADER_SIGNATURE,
	    sh.signature);
	n = 3;
	if (fault != NULL) {
		(void)snprintf(h[3], sizeof(h[3]), "X-Sandbox-Fault: %s",
		    fault);
		n = 4;
	}
	list[0] = h[0];
	list[1] = h[1];
	list[2] = h[2];
	list[3] = n == 4 ? h[3] : NULL;
	list[4] = NULL;
	return (sandbox_http(s, "POST", "/v1/id/verify", body, len, list,
	    timeout_ms, r, elapsed_ms));
}

long
sandbox_calls(const struct sandbox *s)
{
	struct http_reply	r;
	struct jsonr		doc;
	int64_t			v;

	if (sandbox_http(s, "GET", "/admin/calls", NULL, 0, NULL, 5000, &r,
	    NULL) == -1)
		return (-1);
	v = -1;
	if (r.status != 200 || jsonr_parse(&doc, r.body, r.len) == -1 ||
	    jsonr_int(&doc, "calls", &v) == -1)
		v = -1;
	http_reply_free(&r);
	return ((long)v);
}

int
sandbox_schedule(const struct sandbox *s, const char *spec)
{
	struct http_reply	r;
	int			ok;

	if (sandbox_http(s, "PUT", "/admin/faults", spec, strlen(spec), NULL,
	    5000, &r, NULL) == -1)
		return (-1);
	ok = r.status == 204;
	http_reply_free(&r);
	return (ok ? 0 : -1);
}

long
sandbox_faulted(const struct sandbox *s)
{
	struct http_reply	r;
	struct jsonr		doc;
	int64_t			v;

	if (sandbox_http(s, "GET", "/admin/calls", NULL, 0, NULL, 5000, &r,
	    NULL) == -1)
		return (-1);
	v = -1;
	if (r.status != 200 || jsonr_parse(&doc, r.body, r.len) == -1 ||
	    jsonr_int(&doc, "faulted", &v) == -1)
		v = -1;
	http_reply_free(&r);
	return ((long)v);
}

int
sandbox_service_conf(const struct sandbox *s, char *conf, size_t len)
{
	char	 keyfile[512], hex[200];
	size_t	 n;
	FILE	*fp;

	(void)snprintf(keyfile, sizeof(keyfile), "%s/service-idcheck.key",
	    s->h.dir);
	sodium_bin2hex(hex, sizeof(hex), s->key.secret, s->key.secret_len);
	if ((fp = fopen(keyfile, "w")) == NULL)
		return (-1);
	(void)fchmod(fileno(fp), 0600);
	fprintf(fp, "%s:%s\n", s->key.id, hex);
	sodium_memzero(hex, sizeof(hex));
	if (fclose(fp) != 0)
		return (-1);
	n = strlen(conf);
	if ((size_t)snprintf(conf + n, len - n, "idcheck_url = "
	    "http://127.0.0.1:%d\nidcheck_key_file = %s\n", s->h.port,
	    keyfile) >= len - n)
		return (-1);
	return (0);
}

/* Copies tmpl to out with @bind@ @port@ @module@ @dir@ replaced. */
static int
render(const char *tmpl, const char *out, const struct sandbox *s,
    const char *bind_addr)
{
	FILE	*in, *fp;
	char	 line[1024], value[512], *at, *end;
	int	 ret;

	if ((in = fopen(tmpl, "r")) == NULL)
		return (-1);
	if ((fp = fopen(out, "w")) == NULL) {
		(void)fclose(in);
		return (-1);
	}
	ret = 0;
	while (fgets(line, sizeof(line), in) != NULL) {
		at = line;
		while ((at = strchr(line, '@')) != NULL &&
		    (end = strchr(at + 1, '@')) != NULL) {
			*at = '\0';
			*end = '\0';
			if (strcmp(at + 1, "bind") == 0)
				(void)snprintf(value, sizeof(value), "%s",
				    bind_addr);
			else if (strcmp(at + 1, "port") == 0)
				(void)snprintf(value, sizeof(value), "%d",
				    s->h.port);
			else if (strcmp(at + 1, "module") == 0)
				(void)snprintf(value, sizeof(value),
				    "%s/service/sandbox/idcheck-sandbox.so",
				    harness_build_root());
			else if (strcmp(at + 1, "dir") == 0)
				(void)snprintf(value, sizeof(value), "%s",
				    s->h.dir);
			else {
				ret = -1;
				break;
			}
			fputs(line, fp);
			fputs(value, fp);
			memmove(line, end + 1, strlen(end + 1) + 1);
		}
		fputs(line, fp);
	}
	(void)fclose(in);
	if (fclose(fp) != 0)
		ret = -1;
	return (ret);
}

static int
pick_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, port;

	port = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (19000 + getpid() % 1000);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	(void)close(fd);
	return (port != -1 ? port : 19000 + getpid() % 1000);
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	return (fwrite(p, size, n, arg));
}

static double
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}
