/*
 * The production sandbox: kore started as root with chroot_dir and
 * runas_user set (root and runas in the rendered Kore configuration), the
 * chroot built by deploy/chroot.  Workers must run as the unprivileged
 * user, inside the chroot, under our seccomp filter, and a whole case
 * (upload, quality gate, pipeline with OCR and the face models, the ID
 * check, the decision) must still go through: everything a worker opens
 * after the chroot has to be there.
 *
 * Needs root; skipped otherwise.  The user is `realname` when it exists
 * (deploy/chroot --user realname), else `nobody`.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sodium.h>

#include "gen.h"
#include "harness.h"
#include "imaging.h"
#include "people.h"
#include "sandbox_harness.h"
#include "sign.h"

#define SEED		20261130ULL
#define MAX_WORKERS	16

static struct sandbox	sbx;
static struct harness	kore;
static struct sign_key	shop;
static struct gen	*gen;
static struct person	person;
static int		have_person;
static struct passwd	user;
static char		user_name[64];
static int		skipped;

static int	run(char *const [], const char *, const char *, const char *);
static int	start_privsep(const char *);
static int	workers(pid_t *, int);
static int	free_port(void);

/* One person whose three photos pass the quality gate. */
static int
pick_person(void)
{
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	int			 i;

	imaging_options_default(&opt);
	if ((eng = imaging_engine_new(getenv("REALNAME_MODELS"), &opt,
	    &ierr)) == NULL) {
		fprintf(stderr, "# imaging: %s\n", ierr.msg);
		return (-1);
	}
	for (i = 0; i < 60; i++) {
		if (person_make(gen, SEED, i, 2000, &person) == -1)
			break;
		if (person_card(&person)->number_valid &&
		    person.photo[2].truth.genuine &&
		    person_accepted(eng, &person)) {
			have_person = 1;
			break;
		}
		person_free(&person);
	}
	imaging_engine_free(eng);
	return (have_person ? 0 : -1);
}

static int
group_setup(void **state)
{
	struct passwd	*pw;
	char		 registry[2048], extra[2048];

	(void)state;
	if (geteuid() != 0) {
		skipped = 1;
		return (0);
	}
	if ((pw = getpwnam("realname")) == NULL &&
	    (pw = getpwnam("nobody")) == NULL)
		return (-1);
	user = *pw;
	snprintf(user_name, sizeof(user_name), "%s", pw->pw_name);
	if (user.pw_uid == 0)
		return (-1);

	if (sign_key_parse(&shop, HARNESS_CLIENT_ID ":" HARNESS_CLIENT_HEX)
	    == -1)
		return (-1);
	if ((gen = people_gen_open()) == NULL)
		return (-1);
	if (pick_person() == -1)
		return (-1);
	registry[0] = '\0';
	person_registry_line(registry, sizeof(registry), &person, "valid");
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1)
		return (-1);

	snprintf(extra, sizeof(extra), "poll_ms = 50\n"
	    "evidence_max_long_side = 2000\n");
	if (sandbox_service_conf(&sbx, extra, sizeof(extra)) == -1)
		return (-1);
	return (start_privsep(extra));
}

static int
group_teardown(void **state)
{
	(void)state;
	if (skipped)
		return (0);
	harness_stop(&kore);
	harness_cleanup(&kore);
	sandbox_finish(&sbx);
	if (have_person)
		person_free(&person);
	if (gen != NULL)
		gen_close(gen);
	return (0);
}

/*
 * The harness's dealer, added as the service's user (the SQLite files
 * the parent handed to it must stay its own) in the chroot's store.
 */
static int
add_dealer(void)
{
	struct passwd	*pw;
	pid_t		 pid;
	int		 status;

	if ((pw = getpwnam(user_name)) == NULL || (pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		/* In first: the state directory is root's, 0700. */
		if (chdir(kore.dir) == -1 || setgroups(0, NULL) == -1 ||
		    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
			_exit(1);
		snprintf(kore.store_url, sizeof(kore.store_url),
		    "sqlite:var/realname.db");
		_exit(harness_dealer_add(&kore, HARNESS_DEALER,
		    HARNESS_CHANNEL, 1) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "# dealer %s not added\n", HARNESS_DEALER);
		return (-1);
	}
	return (0);
}

/*
 * Like harness_start, but the way production runs: the chroot built by
 * deploy/chroot in the state directory, paths the workers open relative
 * to it, kore started from it as root without -n and -r.
 */
static int
start_privsep(const char *extra)
{
	char		 tool[512], tmpl[512], script[512], kconf[512];
	char		 path[512];
	const char	*preload, *tracing;
	char		*argv[8];
	FILE		*fp;
	int		 fd, i, status;
	struct http_reply r;

	memset(&kore, 0, sizeof(kore));
	kore.pid = -1;
	snprintf(kore.dir, sizeof(kore.dir), "/tmp/rn-it-XXXXXX");
	if (mkdtemp(kore.dir) == NULL)
		return (-1);
	snprintf(kore.conf, sizeof(kore.conf), "%s/realname.conf", kore.dir);
	snprintf(kore.log, sizeof(kore.log), "%s/kore.log", kore.dir);
	snprintf(kconf, sizeof(kconf), "%s/kore.conf", kore.dir);
	if ((kore.port = free_port()) == -1)
		return (-1);

	snprintf(script, sizeof(script), "%s/deploy/chroot",
	    harness_source_root());
	argv[0] = script;
	argv[1] = kore.dir;
	argv[2] = "--user";
	argv[3] = user_name;
	argv[4] = "--models";
	argv[5] = getenv("REALNAME_MODELS");
	argv[6] = NULL;
	snprintf(path, sizeof(path), "%s/chroot.log", kore.dir);
	if (argv[5] == NULL || run(argv, path, path, NULL) != 0) {
		fprintf(stderr, "# deploy/chroot failed\n");
		return (-1);
	}

	/* Read by the parent only: may live outside the chroot. */
	snprintf(path, sizeof(path), "%s/clients", kore.dir);
	if ((fp = fopen(path, "w")) == NULL)
		return (-1);
	fprintf(fp, "%s:%s\n", HARNESS_CLIENT_ID, HARNESS_CLIENT_HEX);
	fclose(fp);
	(void)chmod(path, 0600);

	tracing = getenv("REALNAME_TEST_SECCOMP_TRACING");
	if ((fp = fopen(kore.conf, "w")) == NULL)
		return (-1);
	fprintf(fp, "listen_port = %d\npublic_url = http://127.0.0.1:%d\n"
	    "chroot_dir = %s\nrunas_user = %s\n"
	    "state_dir = var\nmodels_dir = models\n"
	    "module_path = %s/service/realname.so\nworkers = 2\n"
	    "migrations_dir = %s/deploy/sql\nclients_file = %s\n"
	    "web_dir = %s/assets/web\ntask_threads = 2\n%s%s\n",
	    kore.port, kore.port, kore.dir, user_name, harness_build_root(),
	    harness_source_root(), path, harness_source_root(),
	    tracing != NULL && !strcmp(tracing, "1") ?
	    "seccomp_tracing = yes\n" : "", extra);
	fclose(fp);

	snprintf(tool, sizeof(tool), "%s/service/realname-conf",
	    harness_build_root());
	snprintf(tmpl, sizeof(tmpl), "%s/deploy/kore.conf.in",
	    harness_source_root());
	argv[0] = tool;
	argv[1] = "render";
	argv[2] = tmpl;
	argv[3] = kore.conf;
	argv[4] = NULL;
	if (run(argv, kconf, kore.log, NULL) != 0)
		return (-1);

	if ((kore.pid = fork()) == -1)
		return (-1);
	if (kore.pid == 0) {
		(void)setsid();
		if (chdir(kore.dir) == -1)
			_exit(126);
		fd = open(kore.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd != -1) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			(void)close(fd);
		}
		setenv("REALNAME_CONFIG", kore.conf, 1);
		setenv("OMP_THREAD_LIMIT", "1", 1);
		/* As the harness: the ASan runtime for our module. */
		if ((preload = getenv("REALNAME_KORE_PRELOAD")) != NULL &&
		    *preload != '\0') {
			setenv("LD_PRELOAD", preload, 1);
			setenv("ASAN_OPTIONS", "detect_leaks=0:"
			    "abort_on_error=1", 1);
		}
		unsetenv("CMOCKA_MESSAGE_OUTPUT");
		execlp("stdbuf", "stdbuf", "-oL", "-eL", "kore", "-c", kconf,
		    "-f", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 600; i++) {
		if (waitpid(kore.pid, &status, WNOHANG) == kore.pid) {
			kore.pid = -1;
			fprintf(stderr, "# kore exited: %s\n",
			    harness_log(&kore));
			return (-1);
		}
		if (harness_http(&kore, "GET", "/healthz", NULL, 0, &r) == 0) {
			status = (int)r.status;
			http_reply_free(&r);
			if (status == 200)
				return (add_dealer());
		}
		usleep(100000);
	}
	fprintf(stderr, "# kore did not answer\n");
	return (-1);
}

/* Runs argv with stdout to out (or inherited) and stderr to err. */
static int
run(char *const argv[], const char *out, const char *err, const char *dir)
{
	pid_t	pid;
	int	fd, status;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		if (dir != NULL && chdir(dir) == -1)
			_exit(126);
		if (out != NULL) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd != -1)
				(void)dup2(fd, 1);
		}
		fd = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd != -1)
			(void)dup2(fd, 2);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return (-1);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	port = -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/* The children of kore's parent: its workers.  Returns how many. */
static int
workers(pid_t *out, int max)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[300], line[256];
	FILE		*fp;
	long		 ppid;
	int		 n;

	if ((d = opendir("/proc")) == NULL)
		return (-1);
	n = 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		ppid = -1;
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (sscanf(line, "PPid: %ld", &ppid) == 1)
				break;
		}
		fclose(fp);
		if (ppid == (long)kore.pid)
			out[n++] = (pid_t)atol(de->d_name);
	}
	closedir(d);
	return (n);
}

static void
test_rendered_config_has_root_and_runas(void **state)
{
	char	 path[600], line[512];
	FILE	*fp;
	int	 root, runas;

	(void)state;
	if (skipped)
		skip();
	snprintf(path, sizeof(path), "%s/kore.conf", kore.dir);
	assert_non_null(fp = fopen(path, "r"));
	root = runas = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "root", 4) && strstr(line, kore.dir))
			root++;
		if (!strncmp(line, "runas", 5) && strstr(line, user_name))
			runas++;
		/* No condition marker may leak into Kore's file. */
		assert_null(strstr(line, "@?"));
	}
	fclose(fp);
	assert_int_equal(root, 1);
	assert_int_equal(runas, 1);
}

/* Development (the keys empty): neither line, nor a condition marker. */
static void
test_default_render_has_no_root_or_runas(void **state)
{
	char	 tool[512], tmpl[512], out[64], line[512];
	char	*argv[5];
	FILE	*fp;
	int	 fd;

	(void)state;
	snprintf(tool, sizeof(tool), "%s/service/realname-conf",
	    harness_build_root());
	snprintf(tmpl, sizeof(tmpl), "%s/deploy/kore.conf.in",
	    harness_source_root());
	snprintf(out, sizeof(out), "/tmp/rn-render-XXXXXX");
	assert_true((fd = mkstemp(out)) != -1);
	close(fd);
	argv[0] = tool;
	argv[1] = "render";
	argv[2] = tmpl;
	argv[3] = "/dev/null";
	argv[4] = NULL;
	assert_int_equal(run(argv, out, "/dev/null", NULL), 0);
	assert_non_null(fp = fopen(out, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		assert_null(strstr(line, "@"));
		assert_false(!strncmp(line, "root", 4));
		assert_false(!strncmp(line, "runas", 5));
	}
	fclose(fp);
	unlink(out);
}

static void
test_readyz_is_200_in_the_chroot(void **state)
{
	struct http_reply	r;

	(void)state;
	if (skipped)
		skip();
	assert_int_equal(harness_http(&kore, "GET", "/readyz", NULL, 0, &r),
	    0);
	if (r.status != 200)
		fprintf(stderr, "# %.*s\n", (int)r.len, r.body);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
}

/* /proc/<worker>/status and /proc/<worker>/root of every worker. */
static void
test_workers_run_as_the_user_in_the_chroot(void **state)
{
	pid_t	 pids[MAX_WORKERS];
	char	 path[64], line[256], root[512];
	FILE	*fp;
	long	 uid[4], gid[4];
	ssize_t	 len;
	int	 n, i, j, seen_uid, seen_gid;

	(void)state;
	if (skipped)
		skip();
	n = workers(pids, MAX_WORKERS);
	/* workers = 2 in the configuration. */
	assert_true(n >= 2);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		assert_non_null(fp = fopen(path, "r"));
		seen_uid = seen_gid = 0;
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (sscanf(line, "Uid: %ld %ld %ld %ld", &uid[0],
			    &uid[1], &uid[2], &uid[3]) == 4)
				seen_uid = 1;
			if (sscanf(line, "Gid: %ld %ld %ld %ld", &gid[0],
			    &gid[1], &gid[2], &gid[3]) == 4)
				seen_gid = 1;
		}
		fclose(fp);
		assert_true(seen_uid && seen_gid);
		/* Real, effective, saved and filesystem ids alike. */
		for (j = 0; j < 4; j++) {
			assert_int_equal(uid[j], (long)user.pw_uid);
			assert_int_equal(gid[j], (long)user.pw_gid);
		}
		assert_int_not_equal(uid[0], 0);

		snprintf(path, sizeof(path), "/proc/%d/root", (int)pids[i]);
		len = readlink(path, root, sizeof(root) - 1);
		assert_true(len > 0);
		root[len] = '\0';
		assert_string_equal(root, kore.dir);
	}
	fprintf(stderr, "# %d workers: uid %ld gid %ld (%s), root %s\n", n,
	    (long)user.pw_uid, (long)user.pw_gid, user_name, kore.dir);
}

static void
test_whole_case_is_decided_in_the_chroot(void **state)
{
	char	final[32], view[8192];

	(void)state;
	if (skipped)
		skip();
	person_journey(&kore, &shop, &person, NULL, NULL, 1, final,
	    sizeof(final), view, sizeof(view), NULL);
	if (strcmp(final, "approved") != 0)
		fprintf(stderr, "# %s: %s\n", final, view);
	assert_string_equal(final, "approved");
}

/* Last: the log of everything above. */
static void
test_log_has_no_violation_and_no_ignored_directive(void **state)
{
	char	*log;

	(void)state;
	if (skipped)
		skip();
	log = harness_log(&kore);
	if (strstr(log, "violation") != NULL ||
	    strstr(log, "ignoring \"") != NULL)
		fprintf(stderr, "# %s\n", log);
	assert_null(strstr(log, "seccomp violation"));
	assert_null(strstr(log, "sandbox violation"));
	assert_null(strstr(log, "ignoring \""));
	/* The privileges really were dropped: no development warnings. */
	assert_null(strstr(log, "privsep: will not"));
	assert_non_null(strstr(log, "worker ready"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_render_has_no_root_or_runas),
		cmocka_unit_test(test_rendered_config_has_root_and_runas),
		cmocka_unit_test(test_readyz_is_200_in_the_chroot),
		cmocka_unit_test(test_workers_run_as_the_user_in_the_chroot),
		cmocka_unit_test(test_whole_case_is_decided_in_the_chroot),
		cmocka_unit_test(
		    test_log_has_no_violation_and_no_ignored_directive),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
