/*
 * Configuration: a table of typed keys with ranges and embedded defaults.
 * Defaults are applied through the same setter as the file, so a default
 * that breaks its own range is caught by the unit tests.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "config.h"

enum key_type {
	KEY_INT,
	KEY_INTFIELD,		/* an int, not an int64_t */
	KEY_REAL,
	KEY_BOOL,
	KEY_STR,
	KEY_OPTSTR,		/* empty: derived from state_dir */
	KEY_ADDR,
	KEY_URL,
};

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 offset;
	int64_t		 min;
	int64_t		 max;
	const char	*dflt;
	double		 rmin;		/* KEY_REAL range */
	double		 rmax;
};

#define OFF(f)		offsetof(struct rn_config, f)
#define MIB		(1024 * 1024)

/* Table rows: name, type, field, range, default. */
#define INT(n, f, lo, hi, d)	{ n, KEY_INT, OFF(f), lo, hi, d, 0, 0 }
#define INTF(n, f, lo, hi, d)	{ n, KEY_INTFIELD, OFF(f), lo, hi, d, 0, 0 }
#define REAL(n, f, lo, hi, d)	{ n, KEY_REAL, OFF(f), 0, 0, d, lo, hi }
#define OTHER(n, t, f, d)	{ n, t, OFF(f), 0, 0, d, 0, 0 }

static const struct key keys[] = {
	OTHER("listen_address", KEY_ADDR, listen_address, "127.0.0.1"),
	INT("listen_port", listen_port, 1, 65535, "8888"),
	OTHER("public_url", KEY_URL, public_url, "http://127.0.0.1:8888"),
	INT("workers", workers, 1, 64, "2"),
	INT("task_threads", task_threads, 1, 64, "2"),
	INT("task_queue_max", task_queue_max, 1, 100000, "32"),
	INT("overload_retry_after_s", overload_retry_after_s, 1, 3600, "2"),
	/* Free space kept for work in flight (service/diskspace.h). */
	INT("disk_reserve_mb", disk_reserve_mb, 0, 1048576, "128"),
	INT("worker_max_connections", worker_max_connections, 16, 65536,
	    "512"),
	INT("request_limit", request_limit, 1, 100000, "1000"),
	INT("body_max_bytes", body_max_bytes, 1024, (int64_t)256 * MIB,
	    "16777216"),
	INT("json_body_max_bytes", json_body_max_bytes, 256, 16 * MIB,
	    "65536"),
	INT("body_disk_offload_bytes", body_disk_offload_bytes, 0,
	    (int64_t)256 * MIB, "1048576"),
	INT("body_timeout_s", body_timeout_s, 1, 3600, "30"),
	INT("header_timeout_s", header_timeout_s, 1, 600, "10"),
	INT("keepalive_s", keepalive_s, 0, 3600, "20"),
	OTHER("state_dir", KEY_STR, state_dir, "var"),
	OTHER("models_dir", KEY_STR, models_dir, "assets/models"),
	OTHER("web_dir", KEY_STR, web_dir, "assets/web"),
	OTHER("module_path", KEY_STR, module_path,
	    "build/service/realname.so"),
	OTHER("seccomp_tracing", KEY_BOOL, seccomp_tracing, "no"),
	/* Production: workers chrooted here, as this user (README). */
	OTHER("chroot_dir", KEY_OPTSTR, chroot_dir, ""),
	OTHER("runas_user", KEY_OPTSTR, runas_user, ""),
	OTHER("store_url", KEY_OPTSTR, store_url, ""),
	OTHER("migrations_dir", KEY_STR, migrations_dir, "deploy/sql"),
	OTHER("clients_file", KEY_OPTSTR, clients_file, ""),
	OTHER("keys_dir", KEY_OPTSTR, keys_dir, ""),
	INT("token_ttl_s", token_ttl_s, 60, 30 * 86400, "86400"),
	INT("image_attempts_max", image_attempts_max, 1, 100, "5"),
	INT("evidence_max_long_side", evidence_max_long_side, 0, 20000,
	    "2560"),

	/* The decision pipeline (service/pipeline.c). */
	INT("pipeline_threads", pipeline_threads, 0, 16, "1"),
	INT("lease_s", lease_s, 5, 3600, "120"),
	INT("poll_ms", poll_ms, 10, 60000, "250"),
	INT("park_retry_s", park_retry_s, 1, 86400, "60"),
	INT("upstream_deadline_s", upstream_deadline_s, 1, 7 * 86400, "1800"),

	/* The national ID check (service/idcheck_client.c). */
	OTHER("idcheck_url", KEY_URL, idcheck_url, "http://127.0.0.1:8890"),
	OTHER("idcheck_provider", KEY_STR, idcheck_provider, "sandbox"),
	OTHER("idcheck_key_file", KEY_OPTSTR, idcheck_key_file, ""),
	INT("idcheck_connect_timeout_ms", idcheck_connect_timeout_ms, 50,
	    60000, "1000"),
	INT("idcheck_timeout_ms", idcheck_timeout_ms, 100, 120000, "3000"),
	INT("idcheck_max_attempts", idcheck_max_attempts, 1, 3, "3"),
	INT("breaker_threshold", breaker_threshold, 1, 1000, "5"),
	INT("breaker_cooldown_s", breaker_cooldown_s, 1, 3600, "30"),
	/* Under the provider's per-number caps (e.g. 30 face checks a day). */
	INT("idcheck_daily_cap", idcheck_daily_cap, 0, 100000, "20"),

	/* Webhooks (about 1 m, 5 m, 30 m, 2 h, 12 h with the default). */
	INT("webhook_retry_base_s", webhook_retry_base_s, 1, 3600, "60"),
	INT("webhook_timeout_ms", webhook_timeout_ms, 100, 60000, "5000"),

	/* Retention: image bytes go, hashes, figures and decisions stay. */
	INT("retention_days", retention_days, 1, 3650, "90"),
	INT("maintenance_s", maintenance_s, 1, 86400, "60"),

	/* Courier confirmation at delivery (service/delivery.c). */
	OTHER("couriers_file", KEY_OPTSTR, couriers_file, ""),
	INT("delivery_body_max_bytes", delivery_body_max_bytes, 1024,
	    (int64_t)256 * MIB, "8388608"),
	INT("delivery_photo_max_bytes", delivery_photo_max_bytes, 1024,
	    (int64_t)256 * MIB, "6291456"),
	INT("delivery_chip_max_bytes", delivery_chip_max_bytes, 1024,
	    16 * MIB, "262144"),
	INT("delivery_attempts_max", delivery_attempts_max, 1, 20, "3"),
	INT("delivery_deadline_ms", delivery_deadline_ms, 1000, 600000,
	    "20000"),
	REAL("delivery_face_min", delivery_face_min, -1, 1, "0.45"),
	REAL("delivery_chip_min", delivery_chip_min, -1, 1, "0.45"),
	REAL("delivery_liveness_min", delivery_liveness_min, 0, 1, "0.50"),

	/* The reviewer console (service/review.c). */
	INT("review_login_max_failures", review_login_max_failures, 1, 100,
	    "5"),
	INT("review_lockout_s", review_lockout_s, 1, 86400, "900"),
	INT("review_session_idle_s", review_session_idle_s, 1, 86400, "1800"),
	INT("review_session_max_s", review_session_max_s, 1, 7 * 86400,
	    "43200"),
	INT("review_claim_s", review_claim_s, 1, 86400, "900"),
	/* QA sampling of automatic decisions (service/store_qa.h). */
	REAL("qa_sample_share", qa_sample_share, 0, 1, "0.02"),
	INT("qa_sample_seed", qa_sample_seed, 0, INT64_MAX, "0"),
	/* The regulator export (service/export.c). */
	INT("export_max_cases", export_max_cases, 1, 100000, "500"),
	INT("export_max_bytes", export_max_bytes, 1 * MIB,
	    (int64_t)4096 * MIB, "268435456"),

	/* Decision rules (service/rules.h); tuned with bench/, not tests. */
	REAL("face_accept_min", rules.face_accept_min, -1, 1, "0.45"),
	REAL("face_reject_max", rules.face_reject_max, -1, 1, "0.20"),
	REAL("card_portrait_min", rules.card_portrait_min, -1, 1, "0.35"),
	REAL("liveness_min", rules.liveness_min, 0, 1, "0.50"),
	REAL("ocr_confidence_min", rules.ocr_confidence_min, 0, 1, "0.80"),
	REAL("duplicate_face_min", rules.duplicate_face_min, -1, 1, "0.60"),
	INTF("id_cap", rules.id_cap, 1, 100, "5"),
	INTF("min_age", rules.min_age, 0, 120, "16"),
	OTHER("reason_tiers", KEY_OPTSTR, reason_tiers, ""),
	/* The TLS front (nginx, deploy/nginx.conf.in); Kore has no TLS. */
	INT("tls_listen_port", tls_listen_port, 1, 65535, "443"),
	OTHER("tls_server_name", KEY_STR, tls_server_name, "_"),
	OTHER("tls_cert_file", KEY_OPTSTR, tls_cert_file, ""),
	OTHER("tls_key_file", KEY_OPTSTR, tls_key_file, ""),
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static const struct key	*key_find(const char *);
static char		*trim(char *);

void
rn_config_defaults(struct rn_config *cfg)
{
	size_t		i;
	char		err[RN_CONFIG_ERR_MAX];

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++) {
		/* The defaults are checked by the unit tests. */
		(void)rn_config_set(cfg, keys[i].name, keys[i].dflt, err,
		    sizeof(err));
	}
}

int
rn_config_set(struct rn_config *cfg, const char *name, const char *value,
    char *err, size_t errlen)
{
	const struct key	*k;
	char			*base, *end;
	int64_t			 v;
	double			 d;
	size_t			 len;
	struct in_addr		 a4;
	struct in6_addr		 a6;

	if ((k = key_find(name)) == NULL) {
		snprintf(err, errlen, "unknown key '%s'", name);
		return (-1);
	}

	base = (char *)cfg + k->offset;
	len = strlen(value);

	switch (k->type) {
	case KEY_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (len == 0 || *end != '\0' || errno != 0 ||
		    !isdigit((unsigned char)value[0])) {
			snprintf(err, errlen, "key '%s': '%s' is not a "
			    "whole number", name, value);
			return (-1);
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "key '%s': %" PRId64 " is out "
			    "of range %" PRId64 "..%" PRId64, name, v,
			    k->min, k->max);
			return (-1);
		}
		memcpy(base, &v, sizeof(v));
		return (0);
	case KEY_INTFIELD:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (len == 0 || *end != '\0' || errno != 0 ||
		    !isdigit((unsigned char)value[0]) || v < k->min ||
		    v > k->max) {
			snprintf(err, errlen, "key '%s': '%s' is not a whole "
			    "number in %" PRId64 "..%" PRId64, name, value,
			    k->min, k->max);
			return (-1);
		}
		*(int *)(void *)base = (int)v;
		return (0);
	case KEY_REAL:
		errno = 0;
		d = strtod(value, &end);
		if (len == 0 || *end != '\0' || errno != 0 || !isfinite(d) ||
		    d < k->rmin || d > k->rmax) {
			snprintf(err, errlen, "key '%s': '%s' is not a number "
			    "in %g..%g", name, value, k->rmin, k->rmax);
			return (-1);
		}
		memcpy(base, &d, sizeof(d));
		return (0);
	case KEY_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true")) {
			*(int *)(void *)base = 1;
		} else if (!strcmp(value, "no") || !strcmp(value, "false")) {
			*(int *)(void *)base = 0;
		} else {
			snprintf(err, errlen, "key '%s': '%s' is not yes "
			    "or no", name, value);
			return (-1);
		}
		return (0);
	case KEY_ADDR:
		if (inet_pton(AF_INET, value, &a4) != 1 &&
		    inet_pton(AF_INET6, value, &a6) != 1) {
			snprintf(err, errlen, "key '%s': '%s' is not an "
			    "IPv4 or IPv6 address", name, value);
			return (-1);
		}
		break;
	case KEY_URL:
		if (strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0) {
			snprintf(err, errlen, "key '%s': '%s' does not start "
			    "with http:// or https://", name, value);
			return (-1);
		}
		break;
	case KEY_STR:
		break;
	case KEY_OPTSTR:
		if (len == 0) {
			*base = '\0';
			return (0);
		}
		break;
	}

	if (len == 0) {
		snprintf(err, errlen, "key '%s': empty value", name);
		return (-1);
	}
	if (len >= RN_CONFIG_STR_MAX) {
		snprintf(err, errlen, "key '%s': value longer than %d bytes",
		    name, RN_CONFIG_STR_MAX - 1);
		return (-1);
	}
	memcpy(base, value, len + 1);
	return (0);
}

int
rn_config_load(struct rn_config *cfg, const char *path, char *err,
    size_t errlen)
{
	FILE		*fp;
	char		 line[1024], msg[RN_CONFIG_ERR_MAX];
	char		*p, *eq, *key, *value;
	int		 lineno, ret;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return (-1);
	}

	ret = -1;
	lineno = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu "
			    "bytes", path, lineno, sizeof(line) - 2);
			goto cleanup;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = trim(line);
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected 'key = value', "
			    "got '%s'", path, lineno, p);
			goto cleanup;
		}
		*eq = '\0';
		key = trim(p);
		value = trim(eq + 1);
		if (rn_config_set(cfg, key, value, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			goto cleanup;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto cleanup;
	}
	ret = 0;

cleanup:
	(void)fclose(fp);
	return (ret);
}

int
rn_config_validate(struct rn_config *cfg, char *err, size_t errlen)
{
	/* Where each optional path lives when it is left empty. */
	static const struct {
		size_t		 offset;
		const char	*fmt;
	} derived[] = {
		{ OFF(store_url), "sqlite:%s/realname.db" },
		{ OFF(idcheck_key_file), "%s/idcheck.key" },
		{ OFF(keys_dir), "%s/keys" },
		{ OFF(couriers_file), "%s/couriers" },
		{ OFF(clients_file), "%s/clients" },
		{ OFF(tls_cert_file), "%s/tls/cert.pem" },
		{ OFF(tls_key_file), "%s/tls/key.pem" },
	};
	char	 tiers_err[160], *field;
	size_t	 i;
	int	 n;

	/* Keys left empty live under state_dir. */
	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		field = (char *)cfg + derived[i].offset;
		if (field[0] != '\0')
			continue;
		n = snprintf(field, RN_CONFIG_STR_MAX, derived[i].fmt,
		    cfg->state_dir);
		if (n < 0 || n >= RN_CONFIG_STR_MAX) {
			snprintf(err, errlen, "key 'state_dir': too long");
			return (-1);
		}
	}

	/*
	 * Workers open these after the chroot, the parent before it with
	 * chroot_dir as its working directory: only a relative path means
	 * the same file to both.
	 */
	if (cfg->chroot_dir[0] != '\0') {
		if (cfg->chroot_dir[0] != '/') {
			snprintf(err, errlen, "key 'chroot_dir': '%s' is not "
			    "an absolute path", cfg->chroot_dir);
			return (-1);
		}
		if (cfg->state_dir[0] == '/' || cfg->models_dir[0] == '/' ||
		    !strncmp(cfg->store_url, "sqlite:/", 8)) {
			snprintf(err, errlen, "key 'chroot_dir': state_dir, "
			    "models_dir and a SQLite store_url must be "
			    "relative to it");
			return (-1);
		}
	}

	if (cfg->json_body_max_bytes > cfg->body_max_bytes) {
		snprintf(err, errlen, "key 'json_body_max_bytes': %" PRId64
		    " exceeds body_max_bytes %" PRId64,
		    cfg->json_body_max_bytes, cfg->body_max_bytes);
		return (-1);
	}
	if (rn_rules_parse_tiers(&cfg->rules, cfg->reason_tiers, tiers_err,
	    sizeof(tiers_err)) == -1) {
		snprintf(err, errlen, "key 'reason_tiers': %s", tiers_err);
		return (-1);
	}
	if (cfg->rules.face_reject_max > cfg->rules.face_accept_min) {
		snprintf(err, errlen, "key 'face_reject_max': %g exceeds "
		    "face_accept_min %g", cfg->rules.face_reject_max,
		    cfg->rules.face_accept_min);
		return (-1);
	}
	return (0);
}

size_t
rn_config_key_count(void)
{
	return (NKEYS);
}

const char *
rn_config_key_name(size_t i)
{
	if (i >= NKEYS)
		return (NULL);
	return (keys[i].name);
}

int
rn_config_format(const struct rn_config *cfg, const char *name, char *out,
    size_t outlen)
{
	const struct key	*k;
	const char		*base;
	int64_t			 v;
	double			 d;

	if ((k = key_find(name)) == NULL)
		return (-1);

	base = (const char *)cfg + k->offset;
	switch (k->type) {
	case KEY_INT:
		memcpy(&v, base, sizeof(v));
		snprintf(out, outlen, "%" PRId64, v);
		break;
	case KEY_INTFIELD:
		snprintf(out, outlen, "%d", *(const int *)(const void *)base);
		break;
	case KEY_REAL:
		memcpy(&d, base, sizeof(d));
		snprintf(out, outlen, "%.17g", d);
		break;
	case KEY_BOOL:
		snprintf(out, outlen, "%s",
		    *(const int *)(const void *)base ? "yes" : "no");
		break;
	default:
		snprintf(out, outlen, "%s", base);
		break;
	}
	return (0);
}

static const struct key *
key_find(const char *name)
{
	size_t		i;

	for (i = 0; i < NKEYS; i++) {
		if (!strcmp(keys[i].name, name))
			return (&keys[i]);
	}
	return (NULL);
}

static char *
trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return (s);
}
