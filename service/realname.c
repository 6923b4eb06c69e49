/*
 * The Kore module: configuration at start, per-worker setup and the
 * seccomp filter for everything the service does in its workers.
 */

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sodium.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/seccomp.h>

#include "auth.h"
#include "metrics.h"
#include "models.h"
#include "pipeline.h"
#include "realname.h"
#include "store.h"
#include "store_qa.h"
#include "vault.h"
#include "web.h"

struct rn_config	rn_cfg;
int			rn_models_count = -1;
char			rn_models_err[RN_CONFIG_ERR_MAX];
struct vault		*rn_vault;
unsigned char		 rn_id_hash_key[RN_LOOKUP_KEY_LEN];

static int	lookup_key_load(const char *, char *, size_t);
static int	store_prepare(char *, size_t);
static int	privsep_prepare(char *, size_t);

void	kore_parent_configure(int, char **);
void	kore_worker_configure(void);
void	kore_worker_teardown(void);

/*
 * Syscalls our workers need beyond Kore's own list, each found the hard
 * way (see KORE.md).  glibc 2.36 creates threads with clone3, which
 * cannot be filtered by flags: answering ENOSYS makes glibc fall back to
 * clone, which Kore's task filter allows.
 */
KORE_SECCOMP_FILTER("realname",
	KORE_SYSCALL_DENY(clone3, ENOSYS),
	/* threads, OpenCV's pool */
	KORE_SYSCALL_ALLOW(rseq),
	KORE_SYSCALL_ALLOW(set_robust_list),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
	KORE_SYSCALL_ALLOW(sched_yield),
	KORE_SYSCALL_ALLOW(gettid),
	KORE_SYSCALL_ALLOW(tgkill),
	KORE_SYSCALL_ALLOW(prctl),
	KORE_SYSCALL_ALLOW(mremap),
	KORE_SYSCALL_ALLOW(sysinfo),
	KORE_SYSCALL_ALLOW(getrusage),
	KORE_SYSCALL_ALLOW(prlimit64),
	KORE_SYSCALL_ALLOW(clock_getres),
	KORE_SYSCALL_ALLOW(mlock),
	KORE_SYSCALL_ALLOW(munlock),
	/* files: stat, durable writes, directories */
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(statx),
	KORE_SYSCALL_ALLOW(fstatfs),
	KORE_SYSCALL_ALLOW(statfs),
	KORE_SYSCALL_ALLOW(faccessat),
	KORE_SYSCALL_ALLOW(faccessat2),
	KORE_SYSCALL_ALLOW(readlinkat),
	KORE_SYSCALL_ALLOW(fsync),
	KORE_SYSCALL_ALLOW(fdatasync),
	KORE_SYSCALL_ALLOW(rename),
	KORE_SYSCALL_ALLOW(renameat),
	KORE_SYSCALL_ALLOW(ftruncate),
	KORE_SYSCALL_ALLOW(unlinkat),
	KORE_SYSCALL_ALLOW(mkdir),
	KORE_SYSCALL_ALLOW(mkdirat),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(fchmod),
	KORE_SYSCALL_ALLOW(fchown),
	KORE_SYSCALL_ALLOW(flock),
	/* SQLite */
	KORE_SYSCALL_ALLOW(pread64),
	KORE_SYSCALL_ALLOW(pwrite64),
	/* sockets for libcurl and libpq, DNS */
	KORE_SYSCALL_ALLOW(socket),
	KORE_SYSCALL_ALLOW(connect),
	KORE_SYSCALL_ALLOW(getsockopt),
	KORE_SYSCALL_ALLOW(getsockname),
	KORE_SYSCALL_ALLOW(getpeername),
	KORE_SYSCALL_ALLOW(sendmsg),
	KORE_SYSCALL_ALLOW(recvmsg),
	KORE_SYSCALL_ALLOW(sendmmsg),
	KORE_SYSCALL_ALLOW(shutdown),
	KORE_SYSCALL_ALLOW(bind),
	KORE_SYSCALL_ALLOW(poll),
	KORE_SYSCALL_ALLOW(pipe2),
	KORE_SYSCALL_ALLOW(eventfd2),
	KORE_SYSCALL_ALLOW(uname),
);

void
kore_parent_configure(int argc, char **argv)
{
	static const struct rlimit	no_core = { 0, 0 };
	const char	*path;
	char		 err[RN_CONFIG_ERR_MAX], keys[RN_CONFIG_STR_MAX + 8];

	(void)argc;
	(void)argv;

	/*
	 * A worker's memory holds keys, photos, names and numbers: no core
	 * file, and no ptrace or /proc/<pid>/mem for other users.  Workers
	 * inherit both from the parent across fork.
	 */
	if (setrlimit(RLIMIT_CORE, &no_core) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		fprintf(stderr, "realname: cannot disable core dumps: %s\n",
		    strerror(errno));
		exit(1);
	}

	rn_config_defaults(&rn_cfg);
	if ((path = getenv("REALNAME_CONFIG")) != NULL && *path != '\0') {
		if (rn_config_load(&rn_cfg, path, err, sizeof(err)) == -1) {
			fprintf(stderr, "realname: config: %s\n", err);
			exit(2);
		}
	}
	if (rn_config_validate(&rn_cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: config: %s\n", err);
		exit(2);
	}
	/* Before any worker forks: every decision samples by it. */
	store_qa_policy_set(rn_cfg.qa_sample_share, rn_cfg.qa_sample_seed);

	/* Master keys for evidence at rest: made on first run, 0600. */
	snprintf(keys, sizeof(keys), "%s", rn_cfg.keys_dir);
	if ((rn_vault = vault_open(keys, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "realname: keys: %s\n", err);
		exit(1);
	}
	kore_log(LOG_NOTICE, "keys: master key %s active",
	    vault_active_key_id(rn_vault));
	if (lookup_key_load(keys, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: keys: %s\n", err);
		exit(1);
	}
	if (rn_auth_load(rn_cfg.clients_file, 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: clients: %s\n", err);
		exit(1);
	}
	if (rn_auth_load_couriers(rn_cfg.couriers_file, 1, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "realname: couriers: %s\n", err);
		exit(1);
	}
	if (store_prepare(err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: store: %s\n", err);
		exit(1);
	}
	if (privsep_prepare(err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: runas_user: %s\n", err);
		exit(1);
	}
	if (rn_pipeline_init(err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: pipeline: %s\n", err);
		exit(1);
	}

	rn_web_init();

	if (rn_metrics_init() == -1) {
		fprintf(stderr, "realname: metrics: cannot map shared "
		    "memory\n");
		exit(1);
	}

	/*
	 * A bad model does not stop the process: it keeps /readyz at 503
	 * with the reason, so an operator sees why instead of a crash loop.
	 */
	rn_models_count = rn_models_verify(rn_cfg.models_dir, rn_models_err,
	    sizeof(rn_models_err));
	if (rn_models_count == -1)
		kore_log(LOG_ERR, "models: %s", rn_models_err);
	else
		kore_log(LOG_NOTICE, "models: %d files verified",
		    rn_models_count);
}

void
kore_worker_configure(void)
{
	/*
	 * A worker outliving kore's main process (killed with SIGKILL, or
	 * crashed) keeps its listening socket; Kore notices the parent's
	 * channel closing only between requests and then drains, which a
	 * long task or a stuck upstream call delays.  So the kernel kills
	 * it.  Set here, after Kore dropped privileges (a change of uid
	 * clears it); a parent gone before this call is left to Kore's own
	 * check (getppid() is outside the seccomp filter).  The store's
	 * leases make a killed worker's work safe to take over.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		kore_log(LOG_WARNING, "worker: no parent-death signal: %s",
		    strerror(errno));
	rn_pipeline_start();
	kore_log(LOG_NOTICE, "worker ready (%s)", RN_VERSION);
}

void
kore_worker_teardown(void)
{
	rn_pipeline_stop();
}

/*
 * The store's schema is brought up to date once, by the parent, before
 * any worker serves.  A store that cannot be reached at start is fatal:
 * the service must not take uploads it cannot keep.
 */
static int
store_prepare(char *err, size_t errlen)
{
	struct store	*st;
	int		 applied;

	if (store_open(&st, rn_cfg.store_url) == -1) {
		snprintf(err, errlen, "%s", st != NULL ? store_error(st) :
		    "out of memory");
		store_close(st);
		return (-1);
	}
	if (store_migrate(st, rn_cfg.migrations_dir, &applied) == -1) {
		snprintf(err, errlen, "migrations: %s", store_error(st));
		store_close(st);
		return (-1);
	}
	kore_log(LOG_NOTICE, "store: %s ready (%d migrations applied)",
	    store_backend(st), applied);
	store_close(st);
	return (0);
}

/*
 * Workers run as runas_user and write the state directory (readiness
 * probe), its tmp/ (request bodies) and the SQLite store that the parent,
 * as root, has just created or migrated.  Those, and only those, are
 * handed over: keys/ and run/ stay the parent's.
 */
static int
privsep_prepare(char *err, size_t errlen)
{
	static const char	*sqlite_sfx[] = { "", "-wal", "-shm",
				    "-journal" };
	struct passwd		*pw;
	char			 path[RN_CONFIG_STR_MAX + 16];
	size_t			 i;
	int			 n;

	if (rn_cfg.runas_user[0] == '\0')
		return (0);
	if ((pw = getpwnam(rn_cfg.runas_user)) == NULL) {
		snprintf(err, errlen, "no user '%s'", rn_cfg.runas_user);
		return (-1);
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "'%s' is root", rn_cfg.runas_user);
		return (-1);
	}
	if (chown(rn_cfg.state_dir, pw->pw_uid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "chown %s: %s", rn_cfg.state_dir,
		    strerror(errno));
		return (-1);
	}
	snprintf(path, sizeof(path), "%s/tmp", rn_cfg.state_dir);
	if (chown(path, pw->pw_uid, pw->pw_gid) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
		return (-1);
	}
	if (strncmp(rn_cfg.store_url, "sqlite:", 7) != 0)
		return (0);
	for (i = 0; i < sizeof(sqlite_sfx) / sizeof(sqlite_sfx[0]); i++) {
		n = snprintf(path, sizeof(path), "%s%s", rn_cfg.store_url + 7,
		    sqlite_sfx[i]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			snprintf(err, errlen, "store_url: too long");
			return (-1);
		}
		if (chown(path, pw->pw_uid, pw->pw_gid) == -1 &&
		    errno != ENOENT) {
			snprintf(err, errlen, "chown %s: %s", path,
			    strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/* 32 random bytes, made on first run, 0600, beside the master keys. */
static int
lookup_key_load(const char *dir, char *err, size_t errlen)
{
	char		path[RN_CONFIG_STR_MAX + 32];
	struct stat	st;
	ssize_t		n;
	int		fd;

	snprintf(path, sizeof(path), "%s/lookup.key", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT) {
		randombytes_buf(rn_id_hash_key, sizeof(rn_id_hash_key));
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 || write(fd, rn_id_hash_key,
		    sizeof(rn_id_hash_key)) != (ssize_t)sizeof(rn_id_hash_key) ||
		    fsync(fd) == -1) {
			snprintf(err, errlen, "%s: cannot create: %s", path,
			    strerror(errno));
			if (fd != -1)
				(void)close(fd);
			return (-1);
		}
		(void)close(fd);
		return (0);
	}
	if (fd == -1 || fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: must be readable, mode 0600", path);
		if (fd != -1)
			(void)close(fd);
		return (-1);
	}
	n = read(fd, rn_id_hash_key, sizeof(rn_id_hash_key));
	(void)close(fd);
	if (n != (ssize_t)sizeof(rn_id_hash_key)) {
		snprintf(err, errlen, "%s: must hold %zu bytes", path,
		    sizeof(rn_id_hash_key));
		return (-1);
	}
	return (0);
}
