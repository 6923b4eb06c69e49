/*
 * realname-conf: checks the service configuration, prints one value, or
 * renders the Kore configuration from a template with @key@ fields.
 *
 *   realname-conf check [FILE]
 *   realname-conf get KEY [FILE]
 *   realname-conf render TEMPLATE [FILE]
 *
 * FILE defaults to $REALNAME_CONFIG; without either, the embedded
 * defaults are used.  Exit status: 0 ok, 1 usage, 2 bad configuration.
 *
 * A template line that starts with @?key@ is kept (without that prefix)
 * only when the key's value is not empty: Kore's `root` and `runas`
 * exist in production only, and Kore 4.1 has no way to say "none".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int	load(struct rn_config *, const char *);
static int	render(const struct rn_config *, const char *);
static void	usage(void);

int
main(int argc, char **argv)
{
	struct rn_config	cfg;
	char			value[RN_CONFIG_STR_MAX];

	if (argc < 2)
		usage();

	if (!strcmp(argv[1], "check") && argc <= 3) {
		if (load(&cfg, argc == 3 ? argv[2] : NULL) == -1)
			return (2);
		printf("ok\n");
		return (0);
	}
	if (!strcmp(argv[1], "get") && (argc == 3 || argc == 4)) {
		if (load(&cfg, argc == 4 ? argv[3] : NULL) == -1)
			return (2);
		if (rn_config_format(&cfg, argv[2], value,
		    sizeof(value)) == -1) {
			fprintf(stderr, "realname-conf: unknown key '%s'\n",
			    argv[2]);
			return (2);
		}
		printf("%s\n", value);
		return (0);
	}
	if (!strcmp(argv[1], "render") && (argc == 3 || argc == 4)) {
		if (load(&cfg, argc == 4 ? argv[3] : NULL) == -1)
			return (2);
		return (render(&cfg, argv[2]) == -1 ? 2 : 0);
	}
	usage();
	return (1);
}

static int
load(struct rn_config *cfg, const char *path)
{
	char	err[RN_CONFIG_ERR_MAX];

	if (path == NULL)
		path = getenv("REALNAME_CONFIG");
	rn_config_defaults(cfg);
	if (path != NULL && *path != '\0' &&
	    rn_config_load(cfg, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: config: %s\n", err);
		return (-1);
	}
	if (rn_config_validate(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "realname: config: %s\n", err);
		return (-1);
	}
	return (0);
}

/* Copies the template to stdout, replacing each @key@ by its value. */
static int
render(const struct rn_config *cfg, const char *path)
{
	FILE	*fp;
	char	 line[2048], key[128], value[RN_CONFIG_STR_MAX];
	char	*p, *at, *end;
	size_t	 klen;
	int	 lineno;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "realname-conf: cannot read %s\n", path);
		return (-1);
	}
	lineno = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		p = line;
		if (p[0] == '@' && p[1] == '?') {
			if ((end = strchr(p + 2, '@')) == NULL ||
			    (klen = (size_t)(end - p - 2)) == 0 ||
			    klen >= sizeof(key)) {
				fprintf(stderr, "%s:%d: bad condition\n", path,
				    lineno);
				goto fail;
			}
			memcpy(key, p + 2, klen);
			key[klen] = '\0';
			if (rn_config_format(cfg, key, value,
			    sizeof(value)) == -1) {
				fprintf(stderr, "%s:%d: unknown key '%s'\n",
				    path, lineno, key);
				goto fail;
			}
			if (value[0] == '\0')
				continue;
			p = end + 1;
		}
		while ((at = strchr(p, '@')) != NULL) {
			if ((end = strchr(at + 1, '@')) == NULL)
				break;
			klen = (size_t)(end - at - 1);
			if (klen == 0 || klen >= sizeof(key)) {
				fprintf(stderr, "%s:%d: bad field\n", path,
				    lineno);
				goto fail;
			}
			memcpy(key, at + 1, klen);
			key[klen] = '\0';
			if (rn_config_format(cfg, key, value,
			    sizeof(value)) == -1) {
				fprintf(stderr, "%s:%d: unknown key '%s'\n",
				    path, lineno, key);
				goto fail;
			}
			fwrite(p, 1, (size_t)(at - p), stdout);
			fputs(value, stdout);
			p = end + 1;
		}
		fputs(p, stdout);
	}
	(void)fclose(fp);
	return (0);

fail:
	(void)fclose(fp);
	return (-1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: realname-conf check [FILE]\n"
	    "       realname-conf get KEY [FILE]\n"
	    "       realname-conf render TEMPLATE [FILE]\n");
	exit(1);
}
