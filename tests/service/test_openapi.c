/*
 * service/openapi.yaml and deploy/kore.conf.in describe the same routes:
 * every documented path (with sample values for its parameters) is taken
 * by a route other than the catch-all, and every route but the catch-all
 * takes at least one documented path.  Routes are matched the way Kore
 * does: exact for "/..." routes, POSIX ERE otherwise.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_ITEMS	64

static char	paths[MAX_ITEMS][256];
static int	npaths;
static char	routes[MAX_ITEMS][256];
static int	nroutes;

static FILE *
open_source(const char *rel)
{
	const char	*root = getenv("REALNAME_SOURCE_ROOT");
	char		 path[512];

	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
	return (fopen(path, "r"));
}

/* "/v1/cases/{id}/images/{side}" -> a concrete path. */
static void
sample(const char *tmpl, char *out, size_t len)
{
	const char	*p, *e;
	size_t		 n = 0;

	for (p = tmpl; *p != '\0' && n + 40 < len; ) {
		if (*p == '{' && (e = strchr(p, '}')) != NULL) {
			if (!strncmp(p, "{side}", 6))
				n += (size_t)snprintf(out + n, len - n,
				    "front");
			else
				n += (size_t)snprintf(out + n, len - n,
				    "0123456789abcdef0123456789abcdef");
			p = e + 1;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}

static int
route_takes(const char *route, const char *path)
{
	regex_t	re;
	int	ok;

	if (route[0] == '/')
		return (strcmp(route, path) == 0);
	if (regcomp(&re, route, REG_EXTENDED | REG_NOSUB) != 0)
		return (0);
	ok = regexec(&re, path, 0, NULL, 0) == 0;
	regfree(&re);
	return (ok);
}

static int
setup(void **state)
{
	FILE	*fp;
	char	 line[512], a[256], b[256];
	int	 in_paths = 0;

	(void)state;
	if ((fp = open_source("service/openapi.yaml")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (!strncmp(line, "paths:", 6)) {
			in_paths = 1;
			continue;
		}
		if (in_paths && line[0] != ' ' && line[0] != '\n')
			in_paths = 0;
		if (in_paths && !strncmp(line, "  /", 3) &&
		    sscanf(line, " %255[^:]:", a) == 1 && npaths < MAX_ITEMS)
			snprintf(paths[npaths++], sizeof(paths[0]), "%s", a);
	}
	fclose(fp);

	if ((fp = open_source("deploy/kore.conf.in")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, " route %255s %255s", a, b) == 2 &&
		    strcmp(a, "^/.*$") != 0 && nroutes < MAX_ITEMS)
			snprintf(routes[nroutes++], sizeof(routes[0]), "%s",
			    a);
	}
	fclose(fp);
	return (npaths > 0 && nroutes > 0 ? 0 : -1);
}

static void
test_openapi_every_documented_path_is_served(void **state)
{
	char	concrete[256];
	int	i, j, taken;

	(void)state;
	for (i = 0; i < npaths; i++) {
		sample(paths[i], concrete, sizeof(concrete));
		taken = 0;
		for (j = 0; j < nroutes; j++)
			taken |= route_takes(routes[j], concrete);
		if (!taken)
			fprintf(stderr, "# documented, not served: %s\n",
			    paths[i]);
		assert_true(taken);
	}
}

static void
test_openapi_every_served_route_is_documented(void **state)
{
	char	concrete[256];
	int	i, j, documented;

	(void)state;
	for (j = 0; j < nroutes; j++) {
		documented = 0;
		for (i = 0; i < npaths; i++) {
			sample(paths[i], concrete, sizeof(concrete));
			documented |= route_takes(routes[j], concrete);
		}
		if (!documented)
			fprintf(stderr, "# served, not documented: %s\n",
			    routes[j]);
		assert_true(documented);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_openapi_every_documented_path_is_served),
		cmocka_unit_test(
		    test_openapi_every_served_route_is_documented),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
