/*
 * realname-admin dealer ... and subscribers import: who may sell cards,
 * and the numbers the operator's identities already hold (the per-ID
 * cap counts them; see README "Re-registration").
 *
 * Every change is audited by the store with actor "admin:<login>".  The
 * schema is brought up to date first, as for reviewers, so both work
 * before the service ever ran.
 */

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "admin_rereg.h"
#include "idnumber.h"
#include "store.h"

#define LOOKUP_KEY_LEN	32
#define LINE_MAX_BYTES	256
#define BAD_LINES_SHOWN	20
/* Rows per transaction: a big file never holds one lock for long. */
#define IMPORT_BATCH	5000

static struct store	*open_store(const struct rn_config *);
static void		 actor_name(char *, size_t);
static int		 lookup_key(const char *, unsigned char *);
static int		 parse_line(char *, char **, char **);
static void		 trim(char **);

int
admin_dealer(const struct rn_config *cfg, int argc, char **argv)
{
	struct store		*st;
	struct store_dealer	*list;
	const char		*channel, *name;
	char			 actor[96];
	size_t			 n, i;
	int			 ret, a;

	channel = name = NULL;
	if (argc >= 2 && !strcmp(argv[0], "add")) {
		for (a = 2; a + 1 < argc; a += 2) {
			if (!strcmp(argv[a], "--channel"))
				channel = argv[a + 1];
			else if (!strcmp(argv[a], "--name"))
				name = argv[a + 1];
			else
				return (1);
		}
		if (a != argc || channel == NULL || name == NULL)
			return (1);
	} else if (!(argc == 1 && !strcmp(argv[0], "list")) &&
	    !(argc == 2 && (!strcmp(argv[0], "disable") ||
	    !strcmp(argv[0], "enable"))))
		return (1);

	if ((st = open_store(cfg)) == NULL)
		return (4);
	actor_name(actor, sizeof(actor));
	if (!strcmp(argv[0], "list")) {
		if ((ret = store_dealer_list(st, &list, &n)) == 0) {
			for (i = 0; i < n; i++)
				printf("%s\t%s\t%s\t%s\n", list[i].code,
				    list[i].channel, list[i].active ?
				    "active" : "disabled", list[i].name);
			free(list);
		}
	} else if (!strcmp(argv[0], "add"))
		ret = store_dealer_add(st, argv[1], channel, name, actor,
		    store_now_ms());
	else
		ret = store_dealer_set_active(st, argv[1],
		    !strcmp(argv[0], "enable"), actor, store_now_ms());
	if (ret == -1) {
		fprintf(stderr, "realname-admin: dealer %s: %s\n", argv[0],
		    store_error(st));
		ret = store_errcode(st) == STORE_UNAVAILABLE ? 4 : 3;
		store_close(st);
		return (ret);
	}
	store_close(st);
	if (strcmp(argv[0], "list"))
		printf("dealer %s: %s\n", argv[1], !strcmp(argv[0], "add") ?
		    "added" : !strcmp(argv[0], "disable") ? "disabled" :
		    "enabled");
	return (0);
}

int
admin_subscribers(const struct rn_config *cfg, int argc, char **argv)
{
	struct store_subscriber	*rows;
	struct store		*st;
	struct idnumber_date	 today;
	FILE			*fp;
	unsigned char		 key[LOOKUP_KEY_LEN];
	char			 line[LINE_MAX_BYTES + 2], actor[96];
	char			 masked[64], (*store_rows)[2][80];
	char			*msisdn, *number;
	size_t			 n, cap, lineno, bad, i, len;
	int64_t			 added, kept, moved, sa, sk, sm;
	int			 ret, reason;

	if (argc != 2 || strcmp(argv[0], "import"))
		return (1);
	if ((fp = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "realname-admin: %s: %s\n", argv[1],
		    strerror(errno));
		return (2);
	}
	if (lookup_key(cfg->keys_dir, key) == -1) {
		fclose(fp);
		return (2);
	}
	idnumber_today(&today);
	rows = NULL;
	store_rows = NULL;
	n = cap = lineno = bad = 0;
	ret = 2;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			fprintf(stderr, "line %zu: longer than %d bytes\n",
			    lineno, LINE_MAX_BYTES);
			goto done;
		}
		switch (parse_line(line, &msisdn, &number)) {
		case 0:
			continue;	/* blank or comment */
		case -1:
			if (bad++ < BAD_LINES_SHOWN)
				fprintf(stderr, "line %zu: not two fields "
				    "\"msisdn,id_number\"\n", lineno);
			continue;
		}
		/* A header names the columns. */
		if (lineno == 1 && !strcmp(msisdn, "msisdn"))
			continue;
		if (!store_msisdn_valid(msisdn)) {
			if (bad++ < BAD_LINES_SHOWN)
				fprintf(stderr, "line %zu: msisdn is not 11 "
				    "digits starting with 1\n", lineno);
			continue;
		}
		idnumber_normalize(number);
		if ((reason = idnumber_validate(number, &today, NULL)) !=
		    IDNUMBER_OK) {
			if (idnumber_mask(number, masked, sizeof(masked)) == -1)
				snprintf(masked, sizeof(masked), "(too long)");
			if (bad++ < BAD_LINES_SHOWN)
				fprintf(stderr, "line %zu: ID number %s: %s\n",
				    lineno, masked,
				    idnumber_reason_message(reason));
			sodium_memzero(line, sizeof(line));
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((store_rows = reallocarray(store_rows, cap,
			    sizeof(*store_rows))) == NULL) {
				fprintf(stderr, "realname-admin: out of "
				    "memory\n");
				goto done;
			}
		}
		snprintf(store_rows[n][0], sizeof(store_rows[n][0]), "%s",
		    msisdn);
		/* Only the keyed hash is kept, as for cases. */
		if (store_id_number_hash(key, sizeof(key), number,
		    store_rows[n][1]) == -1) {
			fprintf(stderr, "realname-admin: cannot hash\n");
			goto done;
		}
		sodium_memzero(line, sizeof(line));
		n++;
	}
	if (ferror(fp)) {
		fprintf(stderr, "realname-admin: %s: read error\n", argv[1]);
		goto done;
	}
	if (bad > 0) {
		if (bad > BAD_LINES_SHOWN)
			fprintf(stderr, "... and %zu more bad lines\n",
			    bad - BAD_LINES_SHOWN);
		fprintf(stderr, "subscribers import: %zu bad lines; nothing "
		    "imported\n", bad);
		goto done;
	}
	if ((rows = calloc(n ? n : 1, sizeof(*rows))) == NULL) {
		fprintf(stderr, "realname-admin: out of memory\n");
		goto done;
	}
	for (i = 0; i < n; i++) {
		rows[i].msisdn = store_rows[i][0];
		rows[i].id_number_hash = store_rows[i][1];
	}

	if ((st = open_store(cfg)) == NULL) {
		ret = 4;
		goto done;
	}
	actor_name(actor, sizeof(actor));
	added = kept = moved = 0;
	for (i = 0; i < n; i += IMPORT_BATCH) {
		if (store_subscribers_import(st, rows + i, n - i < IMPORT_BATCH
		    ? n - i : IMPORT_BATCH, actor, store_now_ms(), &sa, &sk,
		    &sm) == -1) {
			fprintf(stderr, "realname-admin: subscribers import "
			    "(after %zu rows): %s\n", i, store_error(st));
			ret = store_errcode(st) == STORE_UNAVAILABLE ? 4 : 3;
			store_close(st);
			goto done;
		}
		added += sa;
		kept += sk;
		moved += sm;
	}
	store_close(st);
	printf("subscribers import: %zu rows: %lld added, %lld already "
	    "held, %lld moved to another ID number\n", n, (long long)added,
	    (long long)kept, (long long)moved);
	ret = 0;
done:
	fclose(fp);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(line, sizeof(line));
	free(rows);
	free(store_rows);
	return (ret);
}

/*
 * "msisdn,id_number": 1 with both fields trimmed, 0 for a blank or
 * comment line, -1 for anything else.
 */
static int
parse_line(char *line, char **msisdn, char **number)
{
	char	*p, *comma;

	p = line;
	trim(&p);
	if (*p == '\0' || *p == '#')
		return (0);
	if ((comma = strchr(p, ',')) == NULL || strchr(comma + 1, ',') !=
	    NULL)
		return (-1);
	*comma = '\0';
	*msisdn = p;
	*number = comma + 1;
	trim(msisdn);
	trim(number);
	if (**msisdn == '\0' || **number == '\0')
		return (-1);
	return (1);
}

static void
trim(char **s)
{
	char	*e;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	e = *s + strlen(*s);
	while (e > *s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
}

/* The store, migrated to this code's schema.  NULL after a message. */
static struct store *
open_store(const struct rn_config *cfg)
{
	struct store	*st;

	if (store_open(&st, cfg->store_url) == -1 ||
	    store_migrate(st, cfg->migrations_dir, NULL) == -1) {
		fprintf(stderr, "realname-admin: store: %s\n",
		    st ? store_error(st) : "out of memory");
		store_close(st);
		return (NULL);
	}
	return (st);
}

/* "admin:<login>" for the audit rows, "admin:cli" when unknown. */
static void
actor_name(char *out, size_t len)
{
	struct passwd	*pw;

	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name != NULL &&
	    strlen(pw->pw_name) < 60)
		snprintf(out, len, "admin:%s", pw->pw_name);
	else
		snprintf(out, len, "admin:cli");
}

/*
 * The service's lookup key (keys_dir/lookup.key), made here as the
 * service makes it when the service never ran: imported numbers must
 * hash as the cases' ID numbers do.
 */
static int
lookup_key(const char *dir, unsigned char *key)
{
	char		path[RN_CONFIG_STR_MAX + 32];
	struct stat	sb;
	ssize_t		n;
	int		fd;

	snprintf(path, sizeof(path), "%s/lookup.key", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    errno == ENOENT) {
		(void)mkdir(dir, 0700);
		randombytes_buf(key, LOOKUP_KEY_LEN);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd != -1 && write(fd, key, LOOKUP_KEY_LEN) ==
		    LOOKUP_KEY_LEN && fsync(fd) == 0) {
			(void)close(fd);
			return (0);
		}
		if (fd != -1)
			(void)close(fd);
		/* Made by the service meanwhile: read it. */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd == -1 || fstat(fd, &sb) == -1 || (sb.st_mode & 077) != 0) {
		fprintf(stderr, "realname-admin: %s: must be readable, mode "
		    "0600\n", path);
		if (fd != -1)
			(void)close(fd);
		return (-1);
	}
	n = read(fd, key, LOOKUP_KEY_LEN);
	(void)close(fd);
	if (n != LOOKUP_KEY_LEN) {
		fprintf(stderr, "realname-admin: %s: must hold %d bytes\n",
		    path, LOOKUP_KEY_LEN);
		return (-1);
	}
	return (0);
}
