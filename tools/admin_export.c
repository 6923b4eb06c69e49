/*
 * realname-admin export and export-verify (see service/export.h for the
 * archive, README "Regulator export" for the exit codes).
 *
 *   realname-admin export (--phone N | --id-number N|- |
 *       --from YYYY-MM-DD --to YYYY-MM-DD) --out FILE
 *   realname-admin export-verify FILE
 *
 * `--id-number -` reads the number from standard input: a command line
 * is visible to every user of the machine.  The number is never printed;
 * the output names it masked.  FILE is created 0600 and never replaces
 * an existing file: the archive holds personal data and images.
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

#include "admin_export.h"
#include "export.h"
#include "realname.h"
#include "store.h"
#include "vault.h"

#define EXPORT_FILE_MAX	((size_t)8 * 1024 * 1024 * 1024)

static int	write_file(const char *, const uint8_t *, size_t);
static int	read_file(const char *, uint8_t **, size_t *);
static int	read_stdin_line(char *, size_t);
static void	actor_name(char *, size_t);

int
admin_export(const struct rn_config *cfg, int argc, char **argv)
{
	struct export_query	 q;
	struct export_result	 r;
	struct export_limits	 lim;
	struct store		*st;
	struct vault		*v;
	const char		*phone, *id, *from, *to, *out;
	unsigned char		 lookup[RN_LOOKUP_KEY_LEN];
	char			 idbuf[64], masked[STORE_ID_NUMBER_MAX];
	char			 err[EXPORT_ERR_MAX], actor[96];
	int			 i, ret, nq;

	phone = id = from = to = out = NULL;
	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--phone"))
			phone = argv[i + 1];
		else if (!strcmp(argv[i], "--id-number"))
			id = argv[i + 1];
		else if (!strcmp(argv[i], "--from"))
			from = argv[i + 1];
		else if (!strcmp(argv[i], "--to"))
			to = argv[i + 1];
		else if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
		else
			return (1);
	}
	nq = (phone != NULL) + (id != NULL) + (from != NULL || to != NULL);
	if (i != argc || out == NULL || nq != 1)
		return (1);

	memset(&r, 0, sizeof(r));
	masked[0] = '\0';
	if (phone != NULL)
		ret = export_query_phone(&q, phone, &r);
	else if (id != NULL) {
		if (!strcmp(id, "-")) {
			if (read_stdin_line(idbuf, sizeof(idbuf)) == -1) {
				fprintf(stderr, "realname-admin: export: no ID "
				    "number on standard input\n");
				return (2);
			}
			id = idbuf;
		}
		ret = export_query_id_number(&q, id, &r);
		sodium_memzero(idbuf, sizeof(idbuf));
		if (ret == 0)
			export_mask_id_number(q.id_number, masked,
			    sizeof(masked));
	} else
		ret = export_query_dates(&q, from, to, &r);
	if (ret == -1) {
		fprintf(stderr, "realname-admin: export: %s (%s)\n", r.err,
		    r.api_code);
		return (1);
	}
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "realname-admin: export: %s exists; an export "
		    "never replaces a file\n", out);
		return (2);
	}

	if ((v = vault_open(cfg->keys_dir, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "realname-admin: keys: %s\n", err);
		return (2);
	}
	if (export_lookup_key_read(cfg->keys_dir, lookup, sizeof(lookup), err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "realname-admin: keys: %s\n", err);
		vault_close(v);
		return (2);
	}
	if (store_open(&st, cfg->store_url) == -1) {
		fprintf(stderr, "realname-admin: store: %s\n",
		    st ? store_error(st) : "out of memory");
		store_close(st);
		vault_close(v);
		sodium_memzero(lookup, sizeof(lookup));
		return (4);
	}
	lim.max_cases = (size_t)cfg->export_max_cases;
	lim.max_bytes = (size_t)cfg->export_max_bytes;
	actor_name(actor, sizeof(actor));
	ret = export_run(st, v, lookup, sizeof(lookup), &q, &lim, actor,
	    store_now_ms(), &r);
	sodium_memzero(lookup, sizeof(lookup));
	sodium_memzero(&q, sizeof(q));
	store_close(st);
	vault_close(v);
	if (ret == -1) {
		fprintf(stderr, "realname-admin: export: %s\n", r.err);
		switch (r.code) {
		case EXPORT_TOO_MANY:
		case EXPORT_TOO_LARGE:
			return (5);
		case EXPORT_INVALID:
			return (1);
		default:
			return (4);
		}
	}
	if (write_file(out, r.data, r.len) == -1) {
		export_result_free(&r);
		return (2);
	}
	printf("export: %zu cases%s%s, %zu bytes, written to %s\n", r.ncases,
	    masked[0] != '\0' ? " for ID number " : "", masked, r.len, out);
	printf("export: manifest SHA-256 %s (audited as %s)\n",
	    r.manifest_sha256, actor);
	printf("export: Ed25519 public key %s (give it to the regulator to "
	    "check manifest.sig)\n", r.signing_public_key);
	export_result_free(&r);
	return (0);
}

int
admin_export_verify(const struct rn_config *cfg, int argc, char **argv)
{
	struct export_report	 rep;
	struct vault		*v;
	uint8_t			*data;
	size_t			 len, i;
	char			 err[VAULT_ERR_MAX];
	int			 ret;

	if (argc != 1)
		return (1);
	if (read_file(argv[0], &data, &len) == -1)
		return (2);
	if ((v = vault_open(cfg->keys_dir, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "realname-admin: keys: %s\n", err);
		free(data);
		return (2);
	}
	ret = export_verify(data, len, v, &rep);
	vault_close(v);
	sodium_memzero(data, len);
	free(data);
	for (i = 0; i < rep.nfailures && i < EXPORT_FAILURES_MAX; i++)
		printf("export-verify: FAILED %s\n", rep.failures[i]);
	if (rep.nfailures > EXPORT_FAILURES_MAX)
		printf("export-verify: ... and %zu more failures\n",
		    rep.nfailures - EXPORT_FAILURES_MAX);
	if (ret == -1)
		return (2);
	if (ret != 0) {
		printf("export-verify: %s does NOT verify (%zu failures)\n",
		    argv[0], rep.nfailures);
		return (3);
	}
	printf("export-verify: %s verifies: %zu cases, %zu files, SHA-256 of "
	    "each file, HMAC and Ed25519 signature of the manifest (master "
	    "key %s)\n", argv[0], rep.ncases, rep.nfiles, rep.key_id);
	return (0);
}

static int
write_file(const char *path, const uint8_t *data, size_t len)
{
	ssize_t	n;
	size_t	off;
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		fprintf(stderr, "realname-admin: export: %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	for (off = 0; off < len; off += (size_t)n) {
		n = write(fd, data + off, len - off);
		if (n <= 0) {
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			break;
		}
	}
	if (off != len || fsync(fd) == -1 || close(fd) == -1) {
		fprintf(stderr, "realname-admin: export: %s: cannot write: "
		    "%s\n", path, strerror(errno));
		(void)unlink(path);
		return (-1);
	}
	return (0);
}

static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat	 sb;
	uint8_t		*p;
	ssize_t		 n;
	size_t		 off;
	int		 fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size > EXPORT_FILE_MAX) {
		fprintf(stderr, "realname-admin: export-verify: %s: cannot "
		    "read a regular file\n", path);
		if (fd != -1)
			(void)close(fd);
		return (-1);
	}
	if ((p = malloc((size_t)sb.st_size + 1)) == NULL) {
		fprintf(stderr, "realname-admin: export-verify: out of "
		    "memory\n");
		(void)close(fd);
		return (-1);
	}
	for (off = 0; off < (size_t)sb.st_size; off += (size_t)n) {
		n = read(fd, p + off, (size_t)sb.st_size - off);
		if (n <= 0)
			break;
	}
	(void)close(fd);
	if (off != (size_t)sb.st_size) {
		fprintf(stderr, "realname-admin: export-verify: %s: short "
		    "read\n", path);
		free(p);
		return (-1);
	}
	*out = p;
	*len = off;
	return (0);
}

static int
read_stdin_line(char *buf, size_t len)
{
	size_t	n;

	if (fgets(buf, (int)len, stdin) == NULL)
		return (-1);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (n > 0 ? 0 : -1);
}

/* "admin:<login>" for the audit row, "admin:cli" when unknown. */
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
