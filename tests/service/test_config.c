/*
 * Configuration: defaults are valid, every kind of bad value is refused
 * with a message naming the key.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char	path[64];

static void
write_conf(const char *text)
{
	FILE	*fp;
	int	 fd;

	snprintf(path, sizeof(path), "/tmp/rn-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
load_text(struct rn_config *cfg, const char *text, char *err, size_t len)
{
	int	ret;

	write_conf(text);
	rn_config_defaults(cfg);
	ret = rn_config_load(cfg, path, err, len);
	unlink(path);
	return (ret);
}

static void
test_config_defaults_are_valid(void **state)
{
	struct rn_config	cfg, probe;
	char			err[RN_CONFIG_ERR_MAX], value[256];
	size_t			i;

	(void)state;
	rn_config_defaults(&cfg);
	assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen_address, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 8888);
	/* Every default survives its own setter: format, then set again. */
	for (i = 0; i < rn_config_key_count(); i++) {
		assert_int_equal(rn_config_format(&cfg,
		    rn_config_key_name(i), value, sizeof(value)), 0);
		rn_config_defaults(&probe);
		assert_int_equal(rn_config_set(&probe,
		    rn_config_key_name(i), value, err, sizeof(err)), 0);
	}
}

static void
test_config_file_overrides_defaults(void **state)
{
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text(&cfg, "# comment\n\nlisten_port = 9000 "
	    "# trailing\n  workers=4\nseccomp_tracing = yes\n", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg.listen_port, 9000);
	assert_int_equal(cfg.workers, 4);
	assert_int_equal(cfg.seccomp_tracing, 1);
}

static void
test_config_rejects_unknown_key(void **state)
{
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text(&cfg, "listen_prot = 80\n", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "listen_prot"));
	assert_non_null(strstr(err, ":1:"));
}

static void
test_config_rejects_bad_values(void **state)
{
	static const struct {
		const char	*line;
		const char	*key;
	} cases[] = {
		{ "listen_port = 0\n", "listen_port" },
		{ "listen_port = 70000\n", "listen_port" },
		{ "listen_port = 80x\n", "listen_port" },
		{ "listen_port = -5\n", "listen_port" },
		{ "workers = \n", "workers" },
		{ "seccomp_tracing = maybe\n", "seccomp_tracing" },
		{ "listen_address = localhost\n", "listen_address" },
		{ "public_url = ftp://x\n", "public_url" },
		{ "body_max_bytes = 99999999999999999999\n", "body_max_bytes" },
		{ "state_dir = \n", "state_dir" },
		{ "face_accept_min = 1.5\n", "face_accept_min" },
		{ "face_accept_min = nan\n", "face_accept_min" },
		{ "liveness_min = 0.5x\n", "liveness_min" },
		{ "id_cap = 0\n", "id_cap" },
	};
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load_text(&cfg, cases[i].line, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, cases[i].key));
	}
}

static void
test_config_rejects_line_without_assignment(void **state)
{
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text(&cfg, "workers 2\n", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "expected 'key = value'"));
}

static void
test_config_reports_unreadable_file(void **state)
{
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];

	(void)state;
	rn_config_defaults(&cfg);
	assert_int_equal(rn_config_load(&cfg, "/nonexistent/realname.conf",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/realname.conf"));
}

static void
test_config_rule_thresholds_load(void **state)
{
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text(&cfg, "face_accept_min = 0.5\n"
	    "id_cap = 3\n", err, sizeof(err)), 0);
	assert_true(cfg.rules.face_accept_min == 0.5);
	assert_int_equal(cfg.rules.id_cap, 3);
	assert_int_equal(load_text(&cfg, "face_reject_max = 0.6\n", err,
	    sizeof(err)), 0);
	assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "face_reject_max"));
}

static void
test_config_cross_check_json_limit(void **state)
{
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text(&cfg, "body_max_bytes = 2048\n"
	    "json_body_max_bytes = 4096\n", err, sizeof(err)), 0);
	assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "json_body_max_bytes"));
}

/*
 * With chroot_dir the workers see paths from inside it and the parent
 * from its working directory (chroot_dir): only relative paths agree.
 */
static void
test_config_chroot_needs_relative_worker_paths(void **state)
{
	static const char *bad[] = {
		"chroot_dir = srv\n",
		"chroot_dir = /srv/rn\nstate_dir = /srv/rn/var\n",
		"chroot_dir = /srv/rn\nmodels_dir = /opt/models\n",
		"chroot_dir = /srv/rn\nstore_url = sqlite:/srv/rn/var/x.db\n",
	};
	struct rn_config	cfg;
	char			err[RN_CONFIG_ERR_MAX];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_text(&cfg, bad[i], err, sizeof(err)),
		    0);
		assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "chroot_dir"));
	}
	/* Relative paths, PostgreSQL, and parent-only absolute paths. */
	assert_int_equal(load_text(&cfg, "chroot_dir = /srv/rn\n"
	    "runas_user = realname\nstate_dir = var\nmodels_dir = models\n"
	    "web_dir = /opt/rn/web\nmodule_path = /opt/rn/realname.so\n",
	    err, sizeof(err)), 0);
	assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.store_url, "sqlite:var/realname.db");
	assert_int_equal(load_text(&cfg, "chroot_dir = /srv/rn\n"
	    "state_dir = var\nmodels_dir = models\n"
	    "store_url = postgresql://rn@127.0.0.1/rn\n", err, sizeof(err)),
	    0);
	assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)), 0);
	/* Development: no chroot, absolute paths as before. */
	assert_int_equal(load_text(&cfg, "state_dir = /var/lib/rn\n", err,
	    sizeof(err)), 0);
	assert_int_equal(rn_config_validate(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.chroot_dir, "");
	assert_string_equal(cfg.runas_user, "");
}

/* Every key is documented in README.md's configuration table. */
static void
test_config_every_key_is_in_the_readme(void **state)
{
	const char	*root = getenv("REALNAME_SOURCE_ROOT");
	char		 path[512], want[96], *text;
	FILE		*fp;
	long		 len;
	size_t		 i;

	(void)state;
	snprintf(path, sizeof(path), "%s/README.md", root ? root : ".");
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	for (i = 0; i < rn_config_key_count(); i++) {
		snprintf(want, sizeof(want), "| `%s` |", rn_config_key_name(i));
		if (strstr(text, want) == NULL)
			fprintf(stderr, "# not in README.md: %s\n", want);
		assert_non_null(strstr(text, want));
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults_are_valid),
		cmocka_unit_test(test_config_file_overrides_defaults),
		cmocka_unit_test(test_config_rejects_unknown_key),
		cmocka_unit_test(test_config_rejects_bad_values),
		cmocka_unit_test(test_config_rejects_line_without_assignment),
		cmocka_unit_test(test_config_reports_unreadable_file),
		cmocka_unit_test(test_config_cross_check_json_limit),
		cmocka_unit_test(test_config_rule_thresholds_load),
		cmocka_unit_test(
		    test_config_chroot_needs_relative_worker_paths),
		cmocka_unit_test(test_config_every_key_is_in_the_readme),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
