/*
 * realname-admin: operator commands over the service's configuration.
 *
 *   realname-admin audit-verify
 *	walks the audit chain in the store; exit 0 if every row verifies,
 *	3 naming the first row that does not.
 *   realname-admin sign METHOD PATH [BODY_FILE]
 *	prints the three signature headers for a request, signed with the
 *	first key of clients_file, as curl -H arguments, one per line.
 *
 * The configuration comes from $REALNAME_CONFIG (or the embedded
 * defaults), as for the service.  Exit status: 0 ok, 1 usage, 2 bad
 * configuration or unreadable input, 3 verification failed, 4 store
 * unavailable.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "sign.h"
#include "store.h"

static int	audit_verify(const struct rn_config *);
static int	sign(const struct rn_config *, int, char **);
static void	usage(void);

int
main(int argc, char **argv)
{
	struct rn_config	 cfg;
	const char		*path;
	char			 err[RN_CONFIG_ERR_MAX];

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
	if (!strcmp(argv[1], "sign") && (argc == 4 || argc == 5))
		return (sign(&cfg, argc - 2, argv + 2));
	usage();
	return (1);
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

static void
usage(void)
{
	fprintf(stderr, "usage: realname-admin audit-verify\n"
	    "       realname-admin sign METHOD PATH [BODY_FILE]\n");
	exit(1);
}
