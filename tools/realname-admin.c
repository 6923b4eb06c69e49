/*
 * realname-admin: operator commands over the service's configuration.
 *
 *   realname-admin audit-verify
 *	walks the audit chain in the store; exit 0 if every row verifies,
 *	3 naming the first row that does not.
 *   realname-admin sign METHOD PATH [BODY_FILE]
 *	prints the three signature headers for a request, signed with the
 *	first key of clients_file, as curl -H arguments, one per line.
 *   realname-admin reviewer add NAME reviewer|supervisor|auditor
 *   realname-admin reviewer reset NAME
 *	add a console reviewer, or give one a new password (which also
 *	unlocks the account and ends its sessions).  The password is read
 *	from standard input (one line; never from the command line, which
 *	other users can see), at least 10 characters.
 *   realname-admin reviewer disable|enable NAME
 *   realname-admin reviewer list
 *   realname-admin migrate
 *	applies the schema migrations (deploy/sql/) to the configured store
 *	and exits; deploy/postgresql-setup runs it as the schema's owner.
 *   realname-admin rotate-key
 *	adds a new evidence master key in keys_dir (0600); the service
 *	seals with it from its next start, and every older blob still
 *	opens with the key it names.  Prints the new key id.
 *   realname-admin dealer add CODE --channel C --name N
 *   realname-admin dealer list
 *   realname-admin dealer disable|enable CODE
 *	the dealers that may open cases for a channel (admin_rereg.c).
 *   realname-admin subscribers import FILE
 *	the numbers identities already hold, CSV "msisdn,id_number"
 *	(admin_rereg.c); the per-ID cap counts them.
 *   realname-admin export (--phone N | --id-number N|- |
 *       --from YYYY-MM-DD --to YYYY-MM-DD) --out FILE
 *   realname-admin export-verify FILE
 *	the regulator export and its verification (admin_export.c).
 *
 * The configuration comes from $REALNAME_CONFIG (or the embedded
 * defaults), as for the service.  Exit status: 0 ok, 1 usage, 2 bad
 * configuration or unreadable input, 3 verification failed, 4 store
 * unavailable, 5 export refused by its limits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "admin_export.h"
#include "admin_rereg.h"
#include "auth.h"
#include "config.h"
#include "sign.h"
#include "review_auth.h"
#include "store.h"
#include "store_review.h"
#include "vault.h"

#define ADMIN_ACTOR	"admin:cli"

static int	audit_verify(const struct rn_config *);
static int	migrate(const struct rn_config *);
static int	rotate_key(const struct rn_config *);
static int	reviewer(const struct rn_config *, int, char **);
static int	read_password(char *, size_t);
static int	sign(const struct rn_config *, int, char **);
static void	usage(void);

int
main(int argc, char **argv)
{
	struct rn_config	 cfg;
	const char		*path;
	char			 err[RN_CONFIG_ERR_MAX];
	int			 ret;

	if (argc < 2)
		usage();
	rn_config_defaults(&cfg);
	if ((path = getenv("REALNAME_CONFIG")) != NULL && *path != '\0' &&
	    rn_config_load(&cfg, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname-admin: config: %s\n", err);
		return (2);
	}
	if (rn_config_validate(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname-admin: config: %s\n", err);
		return (2);
	}
	if (!strcmp(argv[1], "audit-verify") && argc == 2)
		return (audit_verify(&cfg));
	if (!strcmp(argv[1], "migrate") && argc == 2)
		return (migrate(&cfg));
	if (!strcmp(argv[1], "rotate-key") && argc == 2)
		return (rotate_key(&cfg));
	if (!strcmp(argv[1], "sign") && (argc == 4 || argc == 5))
		return (sign(&cfg, argc - 2, argv + 2));
	if (!strcmp(argv[1], "reviewer") && argc >= 3)
		return (reviewer(&cfg, argc - 2, argv + 2));
	if (!strcmp(argv[1], "dealer") && (ret = admin_dealer(&cfg, argc - 2,
	    argv + 2)) != 1)
		return (ret);
	if (!strcmp(argv[1], "subscribers") && (ret = admin_subscribers(&cfg,
	    argc - 2, argv + 2)) != 1)
		return (ret);
	if (!strcmp(argv[1], "export") && (ret = admin_export(&cfg, argc - 2,
	    argv + 2)) != 1)
		return (ret);
	if (!strcmp(argv[1], "export-verify") && (ret =
	    admin_export_verify(&cfg, argc - 2, argv + 2)) != 1)
		return (ret);
	usage();
	return (1);
}

static int
migrate(const struct rn_config *cfg)
{
	struct store	*st;
	int		 applied;

	if (store_open(&st, cfg->store_url) == -1 ||
	    store_migrate(st, cfg->migrations_dir, &applied) == -1) {
		fprintf(stderr, "realname-admin: store: %s\n",
		    st ? store_error(st) : "out of memory");
		store_close(st);
		return (4);
	}
	printf("migrate: %s schema at version %d (%d applied now)\n",
	    store_backend(st), STORE_SCHEMA_VERSION, applied);
	store_close(st);
	return (0);
}

static int
rotate_key(const struct rn_config *cfg)
{
	struct vault	*v;
	char		 err[VAULT_ERR_MAX];

	if ((v = vault_open(cfg->keys_dir, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "realname-admin: keys: %s\n", err);
		return (2);
	}
	if (vault_rotate(v, cfg->keys_dir, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname-admin: keys: %s\n", err);
		vault_close(v);
		return (2);
	}
	printf("rotate-key: master key %s is active from the service's next "
	    "start\n", vault_active_key_id(v));
	vault_close(v);
	return (0);
}

static int
audit_verify(const struct rn_config *cfg)
{
	struct store			*st;
	struct store_audit_report	 rep;

	if (store_open(&st, cfg->store_url) == -1) {
		fprintf(stderr, "realname-admin: store: %s\n",
		    st ? store_error(st) : "out of memory");
		store_close(st);
		return (4);
	}
	if (store_audit_verify(st, &rep) == -1) {
		fprintf(stderr, "realname-admin: audit: %s\n",
		    store_error(st));
		store_close(st);
		return (4);
	}
	store_close(st);
	if (rep.first_bad_seq != 0) {
		printf("audit: %lld rows verified; row %lld does not: %s\n",
		    (long long)rep.rows, (long long)rep.first_bad_seq,
		    rep.reason);
		return (3);
	}
	printf("audit: %lld rows verified, chain intact\n",
	    (long long)rep.rows);
	return (0);
}

static int
sign(const struct rn_config *cfg, int argc, char **argv)
{
	struct sign_key		 key;
	struct sign_headers	 sh;
	char			 err[256], *body;
	size_t			 len;
	long			 n;
	FILE			*fp;

	if (rn_auth_key_file(cfg->clients_file, "shop", 0, &key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "realname-admin: %s\n", err);
		return (2);
	}
	body = NULL;
	len = 0;
	if (argc == 3) {
		if ((fp = fopen(argv[2], "rb")) == NULL) {
			fprintf(stderr, "realname-admin: cannot read %s\n",
			    argv[2]);
			return (2);
		}
		fseek(fp, 0, SEEK_END);
		n = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		if (n < 0 || (body = malloc((size_t)n + 1)) == NULL ||
		    fread(body, 1, (size_t)n, fp) != (size_t)n) {
			fclose(fp);
			free(body);
			fprintf(stderr, "realname-admin: cannot read %s\n",
			    argv[2]);
			return (2);
		}
		fclose(fp);
		len = (size_t)n;
	}
	if (sign_request_headers(&key, argv[0], argv[1], (int64_t)time(NULL),
	    body != NULL ? body : "", len, &sh) == -1) {
		fprintf(stderr, "realname-admin: cannot sign\n");
		free(body);
		return (2);
	}
	printf("-H\nX-App-Id: %s\n-H\nX-Timestamp: %s\n-H\nX-Signature: %s\n",
	    sh.key_id, sh.timestamp, sh.signature);
	sign_key_clear(&key);
	free(body);
	return (0);
}

/*
 * Reviewer accounts.  The schema is brought up to date first (the same
 * migrations the service applies at start), so reviewers can be added
 * before the service ever ran.
 */
static int
reviewer(const struct rn_config *cfg, int argc, char **argv)
{
	struct store		*st;
	struct store_reviewer	*list;
	enum store_role		 role;
	char			 pw[RN_REVIEW_PASSWORD_MAX + 2];
	char			 hash[STORE_PWHASH_MAX];
	size_t			 n, i;
	int			 ret;
	int64_t			 now;

	role = STORE_ROLE_REVIEWER;
	if (!(argc == 3 && !strcmp(argv[0], "add") &&
	    store_role_parse(argv[2], &role) == 0) &&
	    !(argc == 2 && (!strcmp(argv[0], "reset") ||
	    !strcmp(argv[0], "disable") || !strcmp(argv[0], "enable"))) &&
	    !(argc == 1 && !strcmp(argv[0], "list")))
		usage();
	if (argc >= 2 && !store_reviewer_name_valid(argv[1])) {
		fprintf(stderr, "realname-admin: reviewer names are 1 to 63 "
		    "of a-z 0-9 . _ -, starting with a letter or digit\n");
		return (1);
	}
	hash[0] = '\0';
	if (!strcmp(argv[0], "add") || !strcmp(argv[0], "reset")) {
		if (read_password(pw, sizeof(pw)) == -1)
			return (2);
		ret = rn_review_password_hash(pw, hash);
		sodium_memzero(pw, sizeof(pw));
		if (ret == -1) {
			fprintf(stderr, "realname-admin: the password must be "
			    "%d to %d characters\n", RN_REVIEW_PASSWORD_MIN,
			    RN_REVIEW_PASSWORD_MAX);
			return (2);
		}
	}

	if (store_open(&st, cfg->store_url) == -1 ||
	    store_migrate(st, cfg->migrations_dir, NULL) == -1) {
		fprintf(stderr, "realname-admin: store: %s\n",
		    st ? store_error(st) : "out of memory");
		store_close(st);
		return (4);
	}
	now = store_now_ms();
	ret = 0;
	if (!strcmp(argv[0], "add"))
		ret = store_reviewer_add(st, argv[1], role, hash, ADMIN_ACTOR,
		    now);
	else if (!strcmp(argv[0], "reset"))
		ret = store_reviewer_reset(st, argv[1], hash, ADMIN_ACTOR,
		    now);
	else if (!strcmp(argv[0], "disable") || !strcmp(argv[0], "enable"))
		ret = store_reviewer_disable(st, argv[1],
		    !strcmp(argv[0], "disable"), ADMIN_ACTOR, now);
	else {
		if ((list = calloc(1000, sizeof(*list))) == NULL ||
		    store_reviewer_list(st, list, 1000, &n) == -1) {
			free(list);
			ret = -1;
		} else {
			for (i = 0; i < n; i++)
				printf("%s\t%s\t%s%s\n", list[i].name,
				    store_role_name(list[i].role),
				    list[i].disabled ? "disabled" : "active",
				    list[i].locked_until > now ?
				    " (locked)" : "");
			free(list);
		}
	}
	sodium_memzero(hash, sizeof(hash));
	if (ret == -1) {
		fprintf(stderr, "realname-admin: reviewer %s: %s\n", argv[0],
		    store_error(st));
		ret = store_errcode(st) == STORE_UNAVAILABLE ? 4 : 3;
		store_close(st);
		return (ret);
	}
	store_close(st);
	if (strcmp(argv[0], "list"))
		printf("reviewer %s: %s\n", argv[1], !strcmp(argv[0], "add") ?
		    "added" : !strcmp(argv[0], "reset") ? "password reset" :
		    !strcmp(argv[0], "disable") ? "disabled" : "enabled");
	return (0);
}

/* One line from standard input, echo off when it is a terminal. */
static int
read_password(char *pw, size_t len)
{
	struct termios	old, quiet;
	int		tty;
	size_t		n;

	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(pw, (int)len, stdin) == NULL)
		pw[0] = '\0';
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	n = strlen(pw);
	if (n > 0 && pw[n - 1] != '\n' && !feof(stdin)) {
		fprintf(stderr, "realname-admin: password too long\n");
		sodium_memzero(pw, len);
		return (-1);
	}
	while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
		pw[--n] = '\0';
	return (0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: realname-admin audit-verify\n"
	    "       realname-admin sign METHOD PATH [BODY_FILE]\n"
	    "       realname-admin reviewer add NAME "
	    "reviewer|supervisor|auditor  (password on stdin)\n"
	    "       realname-admin reviewer reset NAME  (password on stdin)\n"
	    "       realname-admin reviewer disable|enable NAME\n"
	    "       realname-admin reviewer list\n"
	    "       realname-admin migrate\n"
	    "       realname-admin rotate-key\n"
	    "       realname-admin dealer add CODE --channel C --name N\n"
	    "       realname-admin dealer list\n"
	    "       realname-admin dealer disable|enable CODE\n"
	    "       realname-admin subscribers import FILE  "
	    "(CSV msisdn,id_number)\n"
	    "       realname-admin export (--phone N | --id-number N|- | "
	    "--from YYYY-MM-DD --to YYYY-MM-DD) --out FILE\n"
	    "       realname-admin export-verify FILE\n");
	exit(1);
}
