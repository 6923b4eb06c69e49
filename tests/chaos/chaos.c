/*
 * chaos: cases submitted steadily over a run while something breaks, then
 * an account of every one of them:
 *
 *   chaos: mode=… submitted=… decided=… lost=0 duplicated=0 half_written=0
 *
 * Modes:
 *   kill-workers  SIGKILL one Kore worker every 10 s (Kore forks a new one)
 *   pg-restart    PostgreSQL store; the cluster stops mid-run for 5 s
 *   disk-full     SQLite store and state_dir on a small tmpfs that is filled
 *                 to the last byte mid-run, then freed
 *
 * In pg-restart and disk-full, /readyz must say "not ready" while the
 * store cannot write.
 *
 * submitted: cases whose submission committed (a submission refused by
 * a full disk or a stopped database is the submitter's failure, seen at
 * once, and not counted).  decided: in a final state at the end.  lost:
 * submitted but not final after the grace period.  duplicated: decided
 * more than once (one decision makes one outbox row, so every webhook of
 * a case must carry the same delivery id).  half_written: final but
 * missing its decision, reasons, any of its three sealed photos, or its
 * webhook.
 *
 * The ID check is unreachable with a short deadline, so decisions are
 * REVIEW: what is under test is the queue, leases, transactions and the
 * outbox.  Exits 0 only if lost, duplicated and half_written are 0 (and,
 * for disk-full, /readyz said not ready while the disk was full).
 *
 * usage: chaos --mode MODE [--cases N] [--seconds S] [--known-bug TEXT]
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include "direct_case.h"
#include "harness.h"
#include "idnumber.h"
#include "receiver.h"
#include "store.h"

#define SUBMITTERS	4
#define GRACE_S		180
/*
 * The tmpfs holds the whole run's store: measured 1.45 MB per case (three
 * encrypted photos, with their WAL copies before a checkpoint), so 3 MB
 * a case and a margin.  Sized any smaller, the store fills the disk by
 * itself after the filler is freed, and the run measures a disk that
 * stays full rather than one that recovers.
 */
#define TMPFS_MB_BASE		64
#define TMPFS_MB_PER_CASE	3

enum mode { M_KILL_WORKERS, M_PG_RESTART, M_DISK_FULL };

struct submitted {
	char	id[STORE_ID_LEN + 1];
	int	ok;
};

static struct harness	 kore;
static struct receiver	 rx;
static enum mode	 mode;
static int		 ncases = 200, seconds = 120;
static struct submitted	*cases;
static char		 number[19];
static char		 tmpfs_dir[64] = "/tmp/rn-chaos-XXXXXX";
static int		 tmpfs_mounted;
static double		 t0;
static atomic_int	 next_case;
static char		 keys_dir[256];
static const char	*known_bug;	/* a failure is a TAP TODO */
static char		 store_url[512];	/* what the service uses */

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Submitters: case i is due at t0 + i × seconds / ncases. */
static void *
submitter(void *arg)
{
	char	url[128];
	double	due;
	int	i;

	(void)arg;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	while ((i = atomic_fetch_add(&next_case, 1)) < ncases) {
		due = t0 + (double)i * seconds / ncases;
		while (now_s() < due)
			usleep(20 * 1000);
		cases[i].ok = direct_case_submit(store_url, keys_dir,
		    number, url, cases[i].id) == 0;
	}
	return (NULL);
}

/* A worker of kore (a child of its parent), or -1. */
static pid_t
a_worker(pid_t parent)
{
	char	 path[64];
	FILE	*fp;
	int	 pid = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
	    (int)parent, (int)parent);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	if (fscanf(fp, "%d", &pid) != 1)
		pid = -1;
	fclose(fp);
	return ((pid_t)pid);
}

static int
ready(void)
{
	struct http_reply	r;
	int			ok;

	if (harness_http(&kore, "GET", "/readyz", NULL, 0, &r) == -1)
		return (-1);
	ok = r.status == 200;
	http_reply_free(&r);
	return (ok);
}

/* Fills the tmpfs to the last byte; returns the filler's fd or -1. */
static int
fill_disk(void)
{
	static char	block[64 * 1024];
	char		path[128];
	int		fd;

	snprintf(path, sizeof(path), "%s/filler", tmpfs_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	memset(block, 0xa5, sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	/* The last partial block, byte by byte. */
	while (write(fd, block, 1) == 1)
		;
	return (fd);
}

/* Every final case's parts: decision, reasons, three photos. */
static int
whole(struct store *st, const struct store_case *c)
{
	struct store_image	img;
	int			side, ok;

	if (c->decision == NULL || c->reasons == NULL)
		return (0);
	for (side = 0; side < 3; side++) {
		if (store_image_get(st, c->id, (enum store_side)side, &img) ==
		    -1)
			return (0);
		ok = img.data != NULL && img.len > 0;
		store_image_release(&img);
		if (!ok)
			return (0);
	}
	return (1);
}

static int
is_final(enum store_state s)
{
	return (s == STORE_STATE_REVIEW || s == STORE_STATE_REJECTED ||
	    s == STORE_STATE_APPROVED);
}

/* Final cases whose webhook has not arrived yet. */
static int
unhooked(void)
{
	struct store		*st;
	struct store_case	 c;
	int			 i, k, missing, seen;

	if (store_open(&st, store_url) == -1) {
		store_close(st);
		return (-1);
	}
	missing = 0;
	pthread_mutex_lock(&rx.lock);
	for (i = 0; i < ncases; i++) {
		if (!cases[i].ok || store_case_get(st, cases[i].id, &c) == -1)
			continue;
		if (is_final(c.state)) {
			seen = 0;
			for (k = 0; k < rx.nhooks && !seen; k++)
				seen = strstr(rx.hooks[k].body,
				    cases[i].id) != NULL;
			missing += !seen;
		}
		store_case_release(&c);
	}
	pthread_mutex_unlock(&rx.lock);
	store_close(st);
	return (missing);
}

/* Counts submitted cases in a final state. */
static int
count_final(int *submitted)
{
	struct store		*st;
	struct store_case	 c;
	int			 i, final;

	*submitted = final = 0;
	if (store_open(&st, store_url) == -1) {
		store_close(st);
		return (-1);
	}
	for (i = 0; i < ncases; i++) {
		if (!cases[i].ok)
			continue;
		(*submitted)++;
		if (store_case_get(st, cases[i].id, &c) == -1)
			continue;
		final += is_final(c.state);
		store_case_release(&c);
	}
	store_close(st);
	return (final);
}

static int
start_service(void)
{
	char	extra[1024], opts[64];
	int	n;

	/*
	 * lease_s 15: a killed worker's case waits that long to be taken
	 * again; shorter, a case whose photos take longer to measure on a
	 * loaded machine is taken from a worker still working on it.  The
	 * fixture's photos are not ID cards: face_reject_max -1 keeps the
	 * face rule from rejecting on what the card search makes of them.
	 */
	n = snprintf(extra, sizeof(extra), "poll_ms = 20\npark_retry_s = 1\n"
	    "upstream_deadline_s = 1\nidcheck_url = http://127.0.0.1:9\n"
	    "idcheck_max_attempts = 1\nidcheck_connect_timeout_ms = 100\n"
	    "idcheck_daily_cap = 0\nwebhook_retry_base_s = 1\nlease_s = 15\n"
	    "workers = 2\npipeline_threads = 1\nface_reject_max = -1\n");
	if (mode == M_DISK_FULL) {
		/* The store and every durable write on the small disk. */
		snprintf(opts, sizeof(opts), "size=%dm", TMPFS_MB_BASE +
		    TMPFS_MB_PER_CASE * ncases);
		if (mkdtemp(tmpfs_dir) == NULL || mount("tmpfs", tmpfs_dir,
		    "tmpfs", 0, opts) == -1) {
			fprintf(stderr, "chaos: cannot mount a tmpfs: %s\n",
			    strerror(errno));
			return (-1);
		}
		tmpfs_mounted = 1;
		snprintf(keys_dir, sizeof(keys_dir), "%s/run", tmpfs_dir);
		(void)mkdir(keys_dir, 0700);
		snprintf(keys_dir, sizeof(keys_dir), "%s/tmp", tmpfs_dir);
		(void)mkdir(keys_dir, 0700);
		snprintf(extra + n, sizeof(extra) - (size_t)n,
		    "state_dir = %s\nstore_url = sqlite:%s/realname.db\n"
		    "disk_reserve_mb = 8\n", tmpfs_dir, tmpfs_dir);
		snprintf(keys_dir, sizeof(keys_dir), "%s/keys", tmpfs_dir);
		snprintf(store_url, sizeof(store_url),
		    "sqlite:%s/realname.db", tmpfs_dir);
		return (harness_start(&kore, extra));
	}
	if (harness_start(&kore, extra) == -1)
		return (-1);
	snprintf(keys_dir, sizeof(keys_dir), "%s/keys", kore.dir);
	snprintf(store_url, sizeof(store_url), "%s", kore.store_url);
	return (0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: chaos --mode kill-workers|pg-restart|"
	    "disk-full [--cases N] [--seconds S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	pthread_t		 th[SUBMITTERS];
	struct store		*st;
	struct store_case	 c;
	const char		*first, *name;
	double			 next_kill, paused_at = 0, filled_at = 0;
	int			 i, k, submitted, final, lost, dup, half;
	int			 filler = -1, kills = 0, pauses = 0;
	int			 degraded = 0, readyz_seen = 0, seen, ok;
	time_t			 deadline;

	name = "kill-workers";
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			i++;
			name = argv[i];
			if (!strcmp(argv[i], "kill-workers"))
				mode = M_KILL_WORKERS;
			else if (!strcmp(argv[i], "pg-restart"))
				mode = M_PG_RESTART;
			else if (!strcmp(argv[i], "disk-full"))
				mode = M_DISK_FULL;
			else
				usage();
		} else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
			ncases = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--known-bug") && i + 1 < argc)
			known_bug = argv[++i];
		else
			usage();
	}
	if (ncases < 1 || seconds < 10)
		usage();
	if (mode == M_PG_RESTART)
		setenv("REALNAME_TEST_STORE", "postgresql", 1);
	else
		unsetenv("REALNAME_TEST_STORE");
	if ((cases = calloc((size_t)ncases, sizeof(*cases))) == NULL)
		return (1);
	memcpy(number, "11010119900307123", 17);
	number[17] = idnumber_check_digit(number);
	number[18] = '\0';
	if (receiver_start(&rx) == -1 || start_service() == -1) {
		fprintf(stderr, "chaos: the service did not start\n");
		return (1);
	}

	t0 = now_s();
	next_kill = t0 + 10;
	for (i = 0; i < SUBMITTERS; i++)
		pthread_create(&th[i], NULL, submitter, NULL);

	/* The run: the fault of the mode, while cases come in. */
	while (now_s() < t0 + seconds) {
		double	t = now_s();

		if (mode == M_KILL_WORKERS && t >= next_kill) {
			pid_t	victim = a_worker(kore.pid);

			if (victim > 0 && kill(victim, SIGKILL) == 0)
				kills++;
			next_kill += 10;
		}
		if (mode == M_PG_RESTART && pauses == 0 &&
		    t >= t0 + seconds / 2.0) {
			if (harness_pg_pause() == 0)
				pauses++;
			paused_at = t;
		}
		if (mode == M_PG_RESTART && paused_at > 0 && t >= paused_at + 1 &&
		    t < paused_at + 5) {
			if (ready() == 0)
				degraded = 1;
			readyz_seen++;
		}
		if (mode == M_PG_RESTART && pauses == 1 && paused_at > 0 &&
		    t >= paused_at + 5) {
			if (harness_pg_resume() == -1)
				fprintf(stderr, "chaos: PostgreSQL did not "
				    "come back\n");
			paused_at = 0;
		}
		if (mode == M_DISK_FULL && filler == -1 && filled_at == 0 &&
		    t >= t0 + seconds / 3.0) {
			filler = fill_disk();
			filled_at = t;
		}
		if (mode == M_DISK_FULL && filler != -1) {
			if (ready() == 0)
				degraded = 1;
			readyz_seen++;
			if (t >= filled_at + 10) {
				char	path[128];

				snprintf(path, sizeof(path), "%s/filler",
				    tmpfs_dir);
				close(filler);
				unlink(path);
				filler = -2;
			}
		}
		usleep(200 * 1000);
	}
	for (i = 0; i < SUBMITTERS; i++)
		pthread_join(th[i], NULL);
	if (mode == M_PG_RESTART && paused_at > 0)
		(void)harness_pg_resume();

	/* Grace: everything submitted must end final. */
	deadline = time(NULL) + GRACE_S;
	while (time(NULL) < deadline) {
		final = count_final(&submitted);
		if (final == submitted)
			break;
		sleep(1);
	}
	final = count_final(&submitted);
	/*
	 * Every final case's webhook, counted per case: a retried delivery
	 * (its worker killed before it saw the answer) arrives twice.
	 */
	deadline = time(NULL) + 60;
	while (unhooked() > 0 && time(NULL) < deadline)
		sleep(1);

	/* The account. */
	lost = dup = half = 0;
	if (store_open(&st, store_url) == -1)
		return (1);
	pthread_mutex_lock(&rx.lock);
	for (i = 0; i < ncases; i++) {
		if (!cases[i].ok)
			continue;
		if (store_case_get(st, cases[i].id, &c) == -1) {
			lost++;
			continue;
		}
		if (!is_final(c.state)) {
			/* What a lost case looks like, for whoever reads it. */
			printf("# lost %s: state %s, claims %d, lease expires "
			    "%lld, retry at %lld, now %lld\n", c.id,
			    store_state_name(c.state), (int)c.claims,
			    (long long)c.lease_expires_at,
			    (long long)c.retry_at, (long long)store_now_ms());
			lost++;
			store_case_release(&c);
			continue;
		}
		ok = whole(st, &c);
		store_case_release(&c);
		first = NULL;
		seen = 0;
		for (k = 0; k < rx.nhooks; k++) {
			if (strstr(rx.hooks[k].body, cases[i].id) == NULL)
				continue;
			seen++;
			if (first == NULL)
				first = rx.hooks[k].delivery;
			else if (strcmp(first, rx.hooks[k].delivery) != 0) {
				dup++;
				break;
			}
		}
		if (!ok || seen == 0)
			half++;
	}
	pthread_mutex_unlock(&rx.lock);
	store_close(st);

	ok = lost == 0 && dup == 0 && half == 0 && submitted > 0 &&
	    (mode != M_KILL_WORKERS || kills > 0) &&
	    (mode != M_PG_RESTART || (pauses > 0 && degraded)) &&
	    (mode != M_DISK_FULL || degraded);
	/* TAP on stdout for the test suite; the account line on both. */
	/*
	 * A known bug (--known-bug) turns a failure into a TAP TODO: still
	 * printed and counted apart by deploy/summarize-tests, not hidden.
	 */
	if (!ok && known_bug != NULL)
		printf("1..1\nnot ok 1 - chaos %s # TODO %s\n", name, known_bug);
	else
		printf("1..1\n%s 1 - chaos %s\n", ok ? "ok" : "not ok", name);
	printf("# %d cases due over %d s; %d worker kills, %d database "
	    "stops, readyz not ready during the fault: %s (%d probes)\n", ncases,
	    seconds, kills, pauses, degraded ? "yes" : "no", readyz_seen);
	printf("# chaos: mode=%s submitted=%d decided=%d lost=%d "
	    "duplicated=%d half_written=%d\n", name, submitted, final, lost,
	    dup, half);
	fprintf(stderr, "chaos: mode=%s submitted=%d decided=%d lost=%d "
	    "duplicated=%d half_written=%d\n", name, submitted, final, lost,
	    dup, half);
	fflush(stdout);

	harness_stop(&kore);
	harness_cleanup(&kore);
	receiver_stop(&rx);
	if (tmpfs_mounted)
		(void)umount(tmpfs_dir);
	(void)rmdir(tmpfs_dir);
	free(cases);
	return (ok || known_bug != NULL ? 0 : 1);
}
