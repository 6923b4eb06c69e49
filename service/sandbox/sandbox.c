/*
 * idcheck-sandbox: a Kore application that speaks the ID check provider
 * protocol (see idcheck_provider.h) over a registry of synthetic people,
 * with faults on demand and a call counter for tests.
 *
 * Configuration comes from the environment, read once in the parent:
 *   IDCHECK_SANDBOX_REGISTRY	registry file (registry.h)
 *   IDCHECK_SANDBOX_KEYS	"id:hexsecret[,id:hexsecret...]"
 *   IDCHECK_SANDBOX_BIND	the address sandbox.conf binds; the admin
 *				routes exist only when it is loopback
 *   IDCHECK_SANDBOX_CAP_NAME	checks per ID number per day without a
 *				portrait before code 1901 (default 1000)
 *   IDCHECK_SANDBOX_CAP_FACE	the same with a portrait (default 30)
 *   IDCHECK_SANDBOX_MODELS	the models directory: portraits are then
 *				compared with the registry photo (a task
 *				thread, the imaging library); unset, a
 *				portrait gets a name-and-number answer
 *				with portrait_compared false
 *
 * One worker only: the replay cache and the request-id table live in
 * the worker.  The call counter and the fault schedule live in shared
 * memory so the admin route reads what the verify route wrote.
 *
 * Logs carry routes, statuses and codes, never a name or a number.
 */

#include <sys/mman.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/seccomp.h>
#include <kore/tasks.h>

#include <sodium.h>

#include "faces.h"
#include "fault.h"
#include "idcheck_provider.h"
#include "idnumber.h"
#include "jsonr.h"
#include "jsonw.h"
#include "registry.h"
#include "sign.h"

#define SBX_KEYS_MAX		8
#define SBX_REPLAY_SLOTS	4096
#define SBX_IDS_MAX		4096
#define SBX_REQUEST_ID_MAX	64
#define SBX_BODY_MAX		(8 * 1024 * 1024)
#define SBX_REPLY_MAX		4096
#define SBX_CAPS_MAX		4096
#define SBX_CAP_NAME_DEFAULT	1000
#define SBX_CAP_FACE_DEFAULT	30

/* Provider messages (UTF-8). */
#define MSG_RATE_LIMITED	"\xe8\xb6\x85\xe8\xbf\x87\xe5\x8d\x95\xe6" \
	"\x97\xa5\xe4\xb8\x8a\xe9\x99\x90"		/* 超过单日上限 */
#define MSG_SERVICE_ERROR	"\xe6\x9c\x8d\xe5\x8a\xa1\xe5\xbc\x82\xe5" \
	"\xb8\xb8"					/* 服务异常 */
#define MSG_INVALID_INPUT	"\xe5\x8f\x82\xe6\x95\xb0\xe6\xa0\xbc\xe5" \
	"\xbc\x8f\xe9\x94\x99\xe8\xaf\xaf"		/* 参数格式错误 */
#define MSG_NO_PHOTO		"\xe5\xba\x93\xe4\xb8\xad\xe6\x97\xa0\xe7" \
	"\x85\xa7\xe7\x89\x87"				/* 库中无照片 */
#define MSG_FACE_MISMATCH	"\xe4\xba\xba\xe5\x83\x8f\xe6\xaf\x94\xe5" \
	"\xaf\xb9\xe4\xb8\x8d\xe4\xb8\x80\xe8\x87\xb4"	/* 人像比对不一致 */

/* What a proxy in front of a dead provider sends. */
#define BAD_GATEWAY	"<html><body>502 Bad Gateway</body></html>"

void	kore_parent_configure(int, char **);
void	kore_worker_configure(void);
int	sbx_verify(struct http_request *);
int	sbx_admin_calls(struct http_request *);
int	sbx_admin_faults(struct http_request *);
int	sbx_admin_reset(struct http_request *);
int	sbx_not_found(struct http_request *);

struct sbx_shared {
	atomic_ulong		calls;		/* verify requests received */
	atomic_ulong		refused;	/* of which 401 */
	atomic_ulong		faulted;	/* of which a fault applied */
	struct sbx_fault	schedule;	/* admin only; one worker */
};

#define SBX_PHASE_FACE		1	/* comparison task running */
#define SBX_PHASE_DELAY		2	/* answer held by a fault */

/* One verify request across handler calls. */
struct sbx_ctx {
	int			 phase;
	char			 request_id[SBX_REQUEST_ID_MAX];
	const char		*code;
	const char		*message;
	int			 portrait;	/* one was sent */
	int			 compared;
	int			 has_similarity;
	double			 similarity;
	enum sbx_fault_kind	 kind;
	long			 arg;

	/* Face comparison in a task thread. */
	int			 task_started;
	struct kore_task	 task;
	size_t			 person;
	unsigned char		*jpeg;
	size_t			 jpeg_len;
	int			 face_rc;	/* 0, -1 unusable, -2 engine */
	int			 face_which;
	double			 face_similarity;

	/* An answer held back by a latency or hang fault. */
	struct kore_timer	*timer;
	int			 fired;
	char			*reply;
	size_t			 reply_len;
};

/* Checks of one number on one day (China time), as providers cap them. */
struct sbx_cap {
	char		number[SBX_NUMBER_MAX];
	long		day;
	unsigned long	name_checks;
	unsigned long	face_checks;
};

struct sbx_seen_id {
	char		id[SBX_REQUEST_ID_MAX];
	unsigned char	body_hash[crypto_hash_sha256_BYTES];
};

static int	reply_json(struct http_request *, int, struct jsonw *);
static int	reply_error(struct http_request *, int, const char *,
		    const char *);
static int	reply_raw(struct http_request *, int, const char *, size_t);
static int	read_body(struct http_request *, char **, size_t *);
static int	admin_allowed(struct http_request *);
static int	request_id_ok(const char *);
static int	remember_id(const char *, const void *, size_t);
static void	answer(struct jsonw *, const struct sbx_ctx *);
static int	respond(struct http_request *, struct sbx_ctx *);
static int	portrait_bytes(const struct jsonr *, struct sbx_ctx *);
static int	face_task(struct kore_task *);
static void	face_verdict(struct sbx_ctx *);
static void	timer_fired(void *, u_int64_t);
static void	ctx_free(struct http_request *);
static int	loopback_text(const char *);
static int	over_cap(const char *, int);
static unsigned long	env_count(const char *, unsigned long);

/*
 * Beyond Kore's own list (see KORE.md): glibc 2.36 makes threads with
 * clone3, answered ENOSYS so that it falls back to clone; the rest is
 * what the task thread, OpenCV and model loading were seen to need.
 */
KORE_SECCOMP_FILTER("idcheck-sandbox",
	KORE_SYSCALL_DENY(clone3, ENOSYS),
	KORE_SYSCALL_ALLOW(rseq),
	KORE_SYSCALL_ALLOW(set_robust_list),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
	KORE_SYSCALL_ALLOW(sched_yield),
	KORE_SYSCALL_ALLOW(gettid),
	KORE_SYSCALL_ALLOW(tgkill),
	KORE_SYSCALL_ALLOW(prctl),
	KORE_SYSCALL_ALLOW(mremap),
	KORE_SYSCALL_ALLOW(sysinfo),
	KORE_SYSCALL_ALLOW(prlimit64),
	KORE_SYSCALL_ALLOW(clock_getres),
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(statx),
	KORE_SYSCALL_ALLOW(fstatfs),
	KORE_SYSCALL_ALLOW(statfs),
	KORE_SYSCALL_ALLOW(faccessat),
	KORE_SYSCALL_ALLOW(faccessat2),
	KORE_SYSCALL_ALLOW(readlinkat),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(pipe2),
	KORE_SYSCALL_ALLOW(eventfd2),
	KORE_SYSCALL_ALLOW(setsockopt),
	KORE_SYSCALL_ALLOW(getrandom),
);

static struct sbx_registry	 registry;
static struct sign_key		 keys[SBX_KEYS_MAX];
static size_t			 nkeys;
static int			 admin_enabled;
static struct sbx_shared	*shm;
static struct sign_replay_entry	 replay_slots[SBX_REPLAY_SLOTS];
static struct sign_replay	 replay;
static struct sbx_seen_id	 seen_ids[SBX_IDS_MAX];
static size_t			 seen_next;
static unsigned long		 answer_seq;
static struct sbx_cap		 caps[SBX_CAPS_MAX];
static unsigned long		 cap_name = SBX_CAP_NAME_DEFAULT;
static unsigned long		 cap_face = SBX_CAP_FACE_DEFAULT;
static char			*models_dir;

void
kore_parent_configure(int argc, char **argv)
{
	const char	*v;
	char		 err[SBX_ERR_MAX], *list, *tok, *save;

	(void)argc;
	(void)argv;

	if (sodium_init() == -1)
		fatal("sandbox: libsodium init failed");
	if ((v = getenv("IDCHECK_SANDBOX_REGISTRY")) == NULL || *v == '\0')
		fatal("sandbox: IDCHECK_SANDBOX_REGISTRY is not set");
	if (sbx_registry_load(&registry, v, err, sizeof(err)) == -1)
		fatal("sandbox: registry: %s", err);

	if ((v = getenv("IDCHECK_SANDBOX_KEYS")) == NULL || *v == '\0')
		fatal("sandbox: IDCHECK_SANDBOX_KEYS is not set");
	list = kore_strdup(v);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (nkeys == SBX_KEYS_MAX ||
		    sign_key_parse(&keys[nkeys], tok) == -1)
			fatal("sandbox: IDCHECK_SANDBOX_KEYS: key %zu is "
			    "malformed", nkeys + 1);
		nkeys++;
	}
	sodium_memzero(list, strlen(list));
	kore_free(list);

	v = getenv("IDCHECK_SANDBOX_BIND");
	admin_enabled = v != NULL && loopback_text(v);
	cap_name = env_count("IDCHECK_SANDBOX_CAP_NAME", SBX_CAP_NAME_DEFAULT);
	cap_face = env_count("IDCHECK_SANDBOX_CAP_FACE", SBX_CAP_FACE_DEFAULT);
	if ((v = getenv("IDCHECK_SANDBOX_MODELS")) != NULL && *v != '\0')
		models_dir = kore_strdup(v);

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		fatal("sandbox: cannot map shared memory");
	memset(shm, 0, sizeof(*shm));

	kore_log(LOG_NOTICE, "sandbox: %zu people, %zu keys, admin %s, "
	    "faces %s", registry.count, nkeys, admin_enabled ? "on" : "off",
	    models_dir != NULL ? "compared" : "not compared");
}

void
kore_worker_configure(void)
{
	/* Kore 4.1 counts its keymgr and acme slots in worker_count. */
	if (worker_count != 1 + KORE_WORKER_BASE)
		fatal("sandbox: run with exactly one worker");
	sign_replay_init(&replay, replay_slots, SBX_REPLAY_SLOTS);
}

int
sbx_verify(struct http_request *req)
{
	struct sbx_ctx		*ctx;
	struct sign_request	 sr;
	struct sbx_fault	 fault;
	struct sbx_decision	 d;
	struct jsonr		 doc;
	struct linger		 lg;
	const struct jsonr_leaf	*leaf;
	const struct sbx_person	*who;
	enum sign_verdict	 verdict;
	enum sbx_fault_kind	 kind;
	const char		*spec;
	char			*body, request_id[SBX_REQUEST_ID_MAX];
	char			 name[SBX_NAME_MAX], number[SBX_NUMBER_MAX];
	size_t			 len;
	int64_t			 n;
	int			 portrait;

	/* Later calls: a face comparison or a delayed answer is done. */
	if ((ctx = req->hdlr_extra) != NULL) {
		if (ctx->phase == SBX_PHASE_FACE) {
			if (kore_task_state(&ctx->task) !=
			    KORE_TASK_STATE_FINISHED) {
				http_request_sleep(req);
				return (KORE_RESULT_RETRY);
			}
			face_verdict(ctx);
			return (respond(req, ctx));
		}
		if (!ctx->fired) {
			http_request_sleep(req);
			return (KORE_RESULT_RETRY);
		}
		return (reply_raw(req, 200, ctx->reply, ctx->reply_len));
	}

	atomic_fetch_add(&shm->calls, 1);
	if (req->method != HTTP_METHOD_POST)
		return (reply_error(req, 405, "method_not_allowed",
		    "use POST"));
	if (read_body(req, &body, &len) == -1)
		return (reply_error(req, 400, "bad_body",
		    "the body could not be read"));

	memset(&sr, 0, sizeof(sr));
	(void)http_request_header(req, "x-app-id", &sr.key_id);
	(void)http_request_header(req, "x-timestamp", &sr.timestamp);
	(void)http_request_header(req, "x-signature", &sr.signature);
	sr.method = "POST";
	sr.path = req->path;
	sr.body = body;
	sr.body_len = len;
	verdict = sign_verify(keys, nkeys, &replay, &sr, (int64_t)time(NULL),
	    NULL);
	if (verdict != SIGN_OK) {
		atomic_fetch_add(&shm->refused, 1);
		kore_free(body);
		kore_log(LOG_INFO, "verify: refused (%s)",
		    sign_verdict_name(verdict));
		return (reply_error(req, 401, "unauthorized",
		    sign_verdict_name(verdict)));
	}

	if (http_request_header(req, "x-sandbox-fault", &spec)) {
		if (sbx_fault_parse(spec, &fault) == -1) {
			kore_free(body);
			return (reply_error(req, 400, "bad_fault",
			    "X-Sandbox-Fault is not a fault spec"));
		}
	} else {
		fault = shm->schedule;
	}
	kind = sbx_fault_roll(&fault, randombytes_uniform(100));
	if (kind != SBX_FAULT_NONE)
		atomic_fetch_add(&shm->faulted, 1);

	if (kind == SBX_FAULT_RESET) {
		kore_free(body);
		/* A zero linger turns the close into a TCP reset. */
		lg.l_onoff = 1;
		lg.l_linger = 0;
		(void)setsockopt(req->owner->fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
		kore_log(LOG_INFO, "verify: fault reset");
		return (KORE_RESULT_ERROR);
	}
	if (kind == SBX_FAULT_STATUS) {
		kore_free(body);
		kore_log(LOG_INFO, "verify: fault status %ld", fault.arg);
		if (fault.arg == 502)
			return (reply_raw(req, 502, BAD_GATEWAY,
			    strlen(BAD_GATEWAY)));
		return (reply_error(req, (int)fault.arg, "service_unavailable",
		    "injected fault"));
	}

	if (jsonr_parse(&doc, body, len) == -1) {
		kore_free(body);
		return (reply_error(req, 400, "bad_json", doc.err));
	}
	n = jsonr_string(&doc, "request_id", request_id, sizeof(request_id));
	if (n <= 0 || (size_t)n >= sizeof(request_id) ||
	    !request_id_ok(request_id)) {
		kore_free(body);
		return (reply_error(req, 400, "bad_request_id",
		    "request_id: 1 to 63 of [A-Za-z0-9._:-]"));
	}
	if (remember_id(request_id, body, len) == -1) {
		kore_free(body);
		return (reply_error(req, 409, "request_id_reused",
		    "this request_id came with another body"));
	}
	n = jsonr_string(&doc, "name", name, sizeof(name));
	if (n < 0 || (size_t)n >= sizeof(name))
		name[0] = '\0';
	n = jsonr_string(&doc, "id_number", number, sizeof(number));
	if (n < 0 || (size_t)n >= sizeof(number))
		number[0] = '\0';
	leaf = jsonr_find(&doc, "portrait");
	portrait = leaf != NULL && leaf->type == JSONR_STRING &&
	    leaf->len > 0;

	ctx = kore_calloc(1, sizeof(*ctx));
	req->hdlr_extra = ctx;
	req->onfree = ctx_free;
	(void)snprintf(ctx->request_id, sizeof(ctx->request_id), "%s",
	    request_id);
	ctx->portrait = portrait;
	ctx->kind = kind;
	ctx->arg = fault.arg;

	if (over_cap(number, portrait)) {
		d.code = IDCHECK_CODE_RATE_LIMITED;
		d.message = MSG_RATE_LIMITED;
	} else {
		sbx_decide(&registry, name, number, portrait, &d);
	}
	ctx->code = d.code;
	ctx->message = d.message;
	who = NULL;
	if (strcmp(d.code, IDCHECK_CODE_MATCH) == 0 && portrait &&
	    models_dir != NULL) {
		(void)idnumber_normalize(number);
		who = sbx_registry_find(&registry, number);
	}
	sodium_memzero(name, sizeof(name));
	sodium_memzero(number, sizeof(number));

	/* Faults that replace the answer make the comparison moot. */
	if (kind == SBX_FAULT_RATE_LIMIT || kind == SBX_FAULT_UNKNOWN_CODE ||
	    kind == SBX_FAULT_SERVICE_ERROR)
		who = NULL;
	if (who != NULL && who->portrait[0] != '\0') {
		if (portrait_bytes(&doc, ctx) == -1) {
			ctx->code = IDCHECK_CODE_INVALID_INPUT;
			ctx->message = MSG_INVALID_INPUT;
		} else {
			ctx->person = (size_t)(who - registry.people);
			ctx->phase = SBX_PHASE_FACE;
			kore_free(body);
			kore_task_create(&ctx->task, face_task);
			kore_task_bind_request(&ctx->task, req);
			ctx->task_started = 1;
			kore_task_run(&ctx->task);
			return (KORE_RESULT_RETRY);
		}
	}
	kore_free(body);
	return (respond(req, ctx));
}

/*
 * The answer for ctx, with the faults that shape it: a replaced code,
 * a cut body, or a delay.
 */
static int
respond(struct http_request *req, struct sbx_ctx *ctx)
{
	struct jsonw	w;
	int		ret;

	switch (ctx->kind) {
	case SBX_FAULT_RATE_LIMIT:
		ctx->code = IDCHECK_CODE_RATE_LIMITED;
		ctx->message = MSG_RATE_LIMITED;
		ctx->has_similarity = 0;
		break;
	case SBX_FAULT_UNKNOWN_CODE:
		ctx->code = "4242";
		ctx->message = "unknown";
		ctx->has_similarity = 0;
		break;
	case SBX_FAULT_SERVICE_ERROR:
		ctx->code = IDCHECK_CODE_SERVICE_ERROR;
		ctx->message = MSG_SERVICE_ERROR;
		ctx->has_similarity = 0;
		break;
	default:
		break;
	}
	jsonw_init(&w, SBX_REPLY_MAX);
	answer(&w, ctx);
	kore_log(LOG_INFO, "verify: code %s fault %d", ctx->code,
	    (int)ctx->kind);

	if (ctx->kind == SBX_FAULT_MALFORMED && jsonw_text(&w) != NULL) {
		/* Cut mid-body: the shape of a proxy that gave up. */
		ret = reply_raw(req, 200, jsonw_text(&w),
		    strlen(jsonw_text(&w)) / 2);
		jsonw_free(&w);
		return (ret);
	}
	if ((ctx->kind == SBX_FAULT_LATENCY || ctx->kind == SBX_FAULT_HANG) &&
	    jsonw_text(&w) != NULL) {
		ctx->phase = SBX_PHASE_DELAY;
		ctx->reply_len = strlen(jsonw_text(&w));
		ctx->reply = kore_strdup(jsonw_text(&w));
		jsonw_free(&w);
		ctx->timer = kore_timer_add(timer_fired, (u_int64_t)ctx->arg,
		    req, KORE_TIMER_ONESHOT);
		http_request_sleep(req);
		return (KORE_RESULT_RETRY);
	}
	ret = reply_json(req, 200, &w);
	jsonw_free(&w);
	return (ret);
}

/* The portrait, base64-decoded into ctx.  Returns 0 or -1. */
static int
portrait_bytes(const struct jsonr *doc, struct sbx_ctx *ctx)
{
	const struct jsonr_leaf	*leaf;
	char			*b64;
	size_t			 cap, len;
	int			 ret;

	if ((leaf = jsonr_find(doc, "portrait")) == NULL ||
	    leaf->type != JSONR_STRING || leaf->decoded_len == 0)
		return (-1);
	b64 = kore_malloc(leaf->decoded_len + 1);
	(void)jsonr_string(doc, "portrait", b64, leaf->decoded_len + 1);
	cap = leaf->decoded_len / 4 * 3 + 3;
	ctx->jpeg = kore_malloc(cap);
	ret = sodium_base642bin(ctx->jpeg, cap, b64, leaf->decoded_len,
	    "\r\n", &len, NULL, sodium_base64_VARIANT_ORIGINAL);
	kore_free(b64);
	if (ret != 0 || len == 0)
		return (-1);
	ctx->jpeg_len = len;
	return (0);
}

/*
 * Task thread: compare the portrait with the registry photo.  One
 * engine per task thread, made on first use; the sandbox runs one.
 */
static int
face_task(struct kore_task *t)
{
	static __thread struct sbx_faces	*faces;
	struct sbx_ctx				*ctx;
	char					 err[256];

	ctx = (struct sbx_ctx *)(void *)((char *)t -
	    offsetof(struct sbx_ctx, task));
	if (faces == NULL &&
	    (faces = sbx_faces_new(models_dir, registry.count, err,
	    sizeof(err))) == NULL) {
		kore_log(LOG_ERR, "verify: faces: %s", err);
		ctx->face_rc = -2;
		return (KORE_RESULT_OK);
	}
	ctx->face_rc = sbx_faces_compare(faces, ctx->person,
	    registry.people[ctx->person].portrait, ctx->jpeg, ctx->jpeg_len,
	    &ctx->face_similarity, &ctx->face_which, err, sizeof(err));
	if (ctx->face_rc == -1)
		kore_log(LOG_INFO, "verify: face not compared (%s)",
		    ctx->face_which == 0 ? "portrait" : "registry photo");
	return (KORE_RESULT_OK);
}

/* What the finished comparison makes of a name-and-number match. */
static void
face_verdict(struct sbx_ctx *ctx)
{
	kore_free(ctx->jpeg);
	ctx->jpeg = NULL;
	ctx->phase = 0;
	if (ctx->face_rc == -2) {
		ctx->code = IDCHECK_CODE_SERVICE_ERROR;
		ctx->message = MSG_SERVICE_ERROR;
		return;
	}
	if (ctx->face_rc == -1) {
		if (ctx->face_which == 0) {
			ctx->code = IDCHECK_CODE_INVALID_INPUT;
			ctx->message = MSG_INVALID_INPUT;
		} else {
			ctx->code = IDCHECK_CODE_NO_PHOTO;
			ctx->message = MSG_NO_PHOTO;
		}
		return;
	}
	ctx->compared = 1;
	ctx->has_similarity = 1;
	ctx->similarity = ctx->face_similarity;
	if (ctx->similarity < SBX_FACE_PASS) {
		ctx->code = IDCHECK_CODE_FACE_MISMATCH;
		ctx->message = MSG_FACE_MISMATCH;
	}
}

int
sbx_admin_calls(struct http_request *req)
{
	struct jsonw	w;
	int		ret;

	if (!admin_allowed(req))
		return (sbx_not_found(req));
	jsonw_init(&w, 512);
	jsonw_object_open(&w);
	jsonw_key(&w, "calls");
	jsonw_int(&w, (int64_t)atomic_load(&shm->calls));
	jsonw_key(&w, "refused");
	jsonw_int(&w, (int64_t)atomic_load(&shm->refused));
	jsonw_key(&w, "faulted");
	jsonw_int(&w, (int64_t)atomic_load(&shm->faulted));
	jsonw_object_close(&w);
	ret = reply_json(req, 200, &w);
	jsonw_free(&w);
	return (ret);
}

/* PUT a fault spec as the body: the schedule for every request. */
int
sbx_admin_faults(struct http_request *req)
{
	struct sbx_fault	 f;
	char			*body, spec[SBX_FAULT_SPEC_MAX];
	size_t			 len;

	if (!admin_allowed(req))
		return (sbx_not_found(req));
	if (req->method != HTTP_METHOD_PUT)
		return (reply_error(req, 405, "method_not_allowed",
		    "use PUT"));
	if (read_body(req, &body, &len) == -1)
		return (reply_error(req, 400, "bad_body", "no body"));
	if (len == 0 || len >= sizeof(spec)) {
		kore_free(body);
		return (reply_error(req, 400, "bad_fault", "bad length"));
	}
	memcpy(spec, body, len);
	spec[len] = '\0';
	kore_free(body);
	if (strcmp(spec, "none") == 0)
		memset(&f, 0, sizeof(f));
	else if (sbx_fault_parse(spec, &f) == -1)
		return (reply_error(req, 400, "bad_fault",
		    "not a fault spec"));
	shm->schedule = f;
	return (reply_raw(req, 204, NULL, 0));
}

int
sbx_admin_reset(struct http_request *req)
{
	if (!admin_allowed(req))
		return (sbx_not_found(req));
	if (req->method != HTTP_METHOD_POST)
		return (reply_error(req, 405, "method_not_allowed",
		    "use POST"));
	atomic_store(&shm->calls, 0);
	atomic_store(&shm->refused, 0);
	atomic_store(&shm->faulted, 0);
	memset(&shm->schedule, 0, sizeof(shm->schedule));
	return (reply_raw(req, 204, NULL, 0));
}

int
sbx_not_found(struct http_request *req)
{
	return (reply_error(req, 404, "not_found", "no such route"));
}

static void
answer(struct jsonw *w, const struct sbx_ctx *ctx)
{
	const struct idcheck_provider	*p;
	const struct idcheck_code	*c;
	char				 sid[32];

	p = idcheck_provider_find("sandbox");
	c = p != NULL ? idcheck_provider_code(p, ctx->code) : NULL;
	(void)snprintf(sid, sizeof(sid), "sbx-%d-%lu", (int)getpid(),
	    ++answer_seq);
	jsonw_object_open(w);
	jsonw_key(w, "code");
	jsonw_int(w, strtol(ctx->code, NULL, 10));
	jsonw_key(w, "message");
	jsonw_string(w, ctx->message);
	jsonw_key(w, "request_id");
	jsonw_string(w, ctx->request_id);
	jsonw_key(w, "sandbox_request_id");
	jsonw_string(w, sid);
	jsonw_key(w, "billable");
	jsonw_bool(w, c != NULL && c->billable);
	if (ctx->portrait) {
		jsonw_key(w, "portrait_compared");
		jsonw_bool(w, ctx->compared);
	}
	if (ctx->has_similarity) {
		jsonw_key(w, "similarity");
		jsonw_double(w, ctx->similarity);
	}
	jsonw_object_close(w);
}

static int
reply_json(struct http_request *req, int status, struct jsonw *w)
{
	const char	*text;

	if ((text = jsonw_text(w)) == NULL)
		return (reply_error(req, 500, "internal_error",
		    "the answer could not be built"));
	return (reply_raw(req, status, text, strlen(text)));
}

static int
reply_error(struct http_request *req, int status, const char *code,
    const char *message)
{
	struct jsonw	w;
	int		ret;

	jsonw_init(&w, 1024);
	jsonw_error_body(&w, code, message);
	if (jsonw_text(&w) == NULL)
		ret = reply_raw(req, 500, "{}", 2);
	else
		ret = reply_raw(req, status, jsonw_text(&w),
		    strlen(jsonw_text(&w)));
	jsonw_free(&w);
	return (ret);
}

static int
reply_raw(struct http_request *req, int status, const char *body,
    size_t len)
{
	if (len > 0)
		http_response_header(req, "content-type",
		    "application/json; charset=utf-8");
	http_response_header(req, "cache-control", "no-store");
	http_response(req, status, body, len);
	return (KORE_RESULT_OK);
}

static int
read_body(struct http_request *req, char **out, size_t *lenp)
{
	char	*buf;
	size_t	 len;
	ssize_t	 r;

	*out = NULL;
	*lenp = 0;
	if (req->http_body_length > SBX_BODY_MAX)
		return (-1);
	buf = kore_malloc(req->http_body_length + 1);
	len = 0;
	while (len < req->http_body_length) {
		r = http_body_read(req, buf + len,
		    req->http_body_length - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	return (0);
}

/*
 * The admin routes exist only on a loopback sandbox and answer only
 * loopback peers: they reset counters and inject faults.
 */
static int
admin_allowed(struct http_request *req)
{
	if (!admin_enabled)
		return (0);
	if (req->owner->family == AF_INET)
		return ((ntohl(req->owner->addr.ipv4.sin_addr.s_addr) >> 24)
		    == 127);
	if (req->owner->family == AF_INET6)
		return (memcmp(&req->owner->addr.ipv6.sin6_addr,
		    &in6addr_loopback, sizeof(in6addr_loopback)) == 0);
	return (0);
}

static int
loopback_text(const char *addr)
{
	return (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strcmp(addr, "localhost") == 0);
}

static int
request_id_ok(const char *id)
{
	size_t	i;

	for (i = 0; id[i] != '\0'; i++) {
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    id[i] == '-' || id[i] == '_' || id[i] == '.' ||
		    id[i] == ':'))
			return (0);
	}
	return (i > 0);
}

/*
 * A request id names one request: the same id again with the same body
 * is a retry, with another body an error.  The oldest ids are forgotten
 * first.
 */
static int
remember_id(const char *id, const void *body, size_t len)
{
	unsigned char	hash[crypto_hash_sha256_BYTES];
	size_t		i;

	(void)crypto_hash_sha256(hash, body, len);
	for (i = 0; i < SBX_IDS_MAX; i++) {
		if (strcmp(seen_ids[i].id, id) != 0)
			continue;
		return (sodium_memcmp(seen_ids[i].body_hash, hash,
		    sizeof(hash)) == 0 ? 0 : -1);
	}
	(void)snprintf(seen_ids[seen_next].id, sizeof(seen_ids[0].id), "%s",
	    id);
	memcpy(seen_ids[seen_next].body_hash, hash, sizeof(hash));
	seen_next = (seen_next + 1) % SBX_IDS_MAX;
	return (0);
}

/*
 * Counts one check of number and says whether it is over the day's cap.
 * An empty number is not counted (it is invalid input anyway).  When
 * the table is full of today's numbers, every new number is over: the
 * sandbox then behaves like a provider refusing service.
 */
static int
over_cap(const char *number, int face)
{
	struct sbx_cap	*c, *slot;
	char		 key[SBX_NUMBER_MAX];
	long		 today;
	size_t		 i;

	if (number[0] == '\0')
		return (0);
	(void)snprintf(key, sizeof(key), "%s", number);
	(void)idnumber_normalize(key);
	today = (long)((time(NULL) + 8 * 3600) / 86400);
	c = slot = NULL;
	for (i = 0; i < SBX_CAPS_MAX; i++) {
		if (caps[i].day == today && strcmp(caps[i].number, key) == 0) {
			c = &caps[i];
			break;
		}
		if (slot == NULL && caps[i].day != today)
			slot = &caps[i];
	}
	if (c == NULL) {
		if (slot == NULL)
			return (1);
		memset(slot, 0, sizeof(*slot));
		memcpy(slot->number, key, sizeof(slot->number));
		slot->day = today;
		c = slot;
	}
	if (face) {
		if (c->face_checks >= cap_face)
			return (1);
		c->face_checks++;
	} else {
		if (c->name_checks >= cap_name)
			return (1);
		c->name_checks++;
	}
	return (0);
}

static unsigned long
env_count(const char *name, unsigned long def)
{
	const char	*v;
	char		*end;
	unsigned long	 n;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return (def);
	n = strtoul(v, &end, 10);
	if (*end != '\0' || v[0] < '0' || v[0] > '9' || n > 1000000)
		fatal("sandbox: %s must be a count up to 1000000", name);
	return (n);
}

static void
timer_fired(void *arg, u_int64_t now)
{
	struct http_request	*req = arg;
	struct sbx_ctx		*ctx = req->hdlr_extra;

	(void)now;
	ctx->timer = NULL;
	ctx->fired = 1;
	http_request_wakeup(req);
}

static void
ctx_free(struct http_request *req)
{
	struct sbx_ctx	*ctx;

	if ((ctx = req->hdlr_extra) == NULL)
		return;
	/*
	 * Kore calls this on every free attempt, also while the face task
	 * still runs (client gone): free only once it is done.
	 */
	if (ctx->task_started &&
	    kore_task_state(&ctx->task) != KORE_TASK_STATE_FINISHED)
		return;
	if (ctx->task_started)
		kore_task_destroy(&ctx->task);
	/* The client left before the delayed answer: stop its timer. */
	if (ctx->timer != NULL)
		kore_timer_remove(ctx->timer);
	kore_free(ctx->jpeg);
	kore_free(ctx->reply);
	kore_free(ctx);
	req->hdlr_extra = NULL;
	req->onfree = NULL;
}
