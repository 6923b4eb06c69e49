/*
 * Configuration: a table of typed keys with ranges and embedded defaults.
 * Defaults are applied through the same setter as the file, so a default
 * that breaks its own range is caught by the unit tests.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "config.h"

enum key_type {
	KEY_INT,
	KEY_BOOL,
	KEY_STR,
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
};

#define OFF(f)		offsetof(struct rn_config, f)
#define MIB		(1024 * 1024)

static const struct key keys[] = {
	{ "listen_address", KEY_ADDR, OFF(listen_address), 0, 0, "127.0.0.1" },
	{ "listen_port", KEY_INT, OFF(listen_port), 1, 65535, "8888" },
	{ "public_url", KEY_URL, OFF(public_url), 0, 0,
	    "http://127.0.0.1:8888" },
	{ "workers", KEY_INT, OFF(workers), 1, 64, "2" },
	{ "task_threads", KEY_INT, OFF(task_threads), 1, 64, "2" },
	{ "worker_max_connections", KEY_INT, OFF(worker_max_connections),
	    16, 65536, "512" },
	{ "request_limit", KEY_INT, OFF(request_limit), 1, 100000, "1000" },
	{ "body_max_bytes", KEY_INT, OFF(body_max_bytes), 1024,
	    (int64_t)256 * MIB, "16777216" },
	{ "json_body_max_bytes", KEY_INT, OFF(json_body_max_bytes), 256,
	    16 * MIB, "65536" },
	{ "body_disk_offload_bytes", KEY_INT, OFF(body_disk_offload_bytes),
	    0, (int64_t)256 * MIB, "1048576" },
	{ "body_timeout_s", KEY_INT, OFF(body_timeout_s), 1, 3600, "30" },
	{ "header_timeout_s", KEY_INT, OFF(header_timeout_s), 1, 600, "10" },
	{ "keepalive_s", KEY_INT, OFF(keepalive_s), 0, 3600, "20" },
	{ "state_dir", KEY_STR, OFF(state_dir), 0, 0, "var" },
	{ "models_dir", KEY_STR, OFF(models_dir), 0, 0, "assets/models" },
	{ "module_path", KEY_STR, OFF(module_path), 0, 0,
	    "build/service/realname.so" },
	{ "seccomp_tracing", KEY_BOOL, OFF(seccomp_tracing), 0, 0, "no" },
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
rn_config_validate(const struct rn_config *cfg, char *err, size_t errlen)
{
	if (cfg->json_body_max_bytes > cfg->body_max_bytes) {
		snprintf(err, errlen, "key 'json_body_max_bytes': %" PRId64
		    " exceeds body_max_bytes %" PRId64,
		    cfg->json_body_max_bytes, cfg->body_max_bytes);
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

	if ((k = key_find(name)) == NULL)
		return (-1);

	base = (const char *)cfg + k->offset;
	switch (k->type) {
	case KEY_INT:
		memcpy(&v, base, sizeof(v));
		snprintf(out, outlen, "%" PRId64, v);
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
