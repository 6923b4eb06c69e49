/*
 * The service configuration: one flat file of `key = value` lines, every
 * key known, typed and range-checked.  Plain C (no Kore) so the module,
 * realname-conf and the tests share one parser.
 */
#ifndef RN_CONFIG_H
#define RN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define RN_CONFIG_STR_MAX	256
#define RN_CONFIG_ERR_MAX	512

struct rn_config {
	char		listen_address[RN_CONFIG_STR_MAX];
	int64_t		listen_port;
	char		public_url[RN_CONFIG_STR_MAX];
	int64_t		workers;
	int64_t		task_threads;
	int64_t		worker_max_connections;
	int64_t		request_limit;
	int64_t		body_max_bytes;
	int64_t		json_body_max_bytes;
	int64_t		body_disk_offload_bytes;
	int64_t		body_timeout_s;
	int64_t		header_timeout_s;
	int64_t		keepalive_s;
	char		state_dir[RN_CONFIG_STR_MAX];
	char		models_dir[RN_CONFIG_STR_MAX];
	char		web_dir[RN_CONFIG_STR_MAX];
	char		module_path[RN_CONFIG_STR_MAX];
	int		seccomp_tracing;
	char		chroot_dir[RN_CONFIG_STR_MAX];	/* empty: no chroot */
	char		runas_user[RN_CONFIG_STR_MAX];	/* empty: no drop */
	char		store_url[RN_CONFIG_STR_MAX];
	char		migrations_dir[RN_CONFIG_STR_MAX];
	char		clients_file[RN_CONFIG_STR_MAX];
	char		keys_dir[RN_CONFIG_STR_MAX];
	int64_t		token_ttl_s;
	int64_t		image_attempts_max;
	int64_t		evidence_max_long_side;
	int64_t		pipeline_threads;
	int64_t		lease_s;
	int64_t		poll_ms;
	int64_t		park_retry_s;
	int64_t		upstream_deadline_s;
	char		idcheck_url[RN_CONFIG_STR_MAX];
	char		idcheck_provider[RN_CONFIG_STR_MAX];
	char		idcheck_key_file[RN_CONFIG_STR_MAX];
	int64_t		idcheck_connect_timeout_ms;
	int64_t		idcheck_timeout_ms;
	int64_t		idcheck_max_attempts;
	int64_t		breaker_threshold;
	int64_t		breaker_cooldown_s;
	int64_t		idcheck_daily_cap;
	int64_t		webhook_retry_base_s;
	int64_t		webhook_timeout_ms;
	int64_t		retention_days;
	int64_t		maintenance_s;
	/* Courier confirmation at delivery (service/delivery.c). */
	char		couriers_file[RN_CONFIG_STR_MAX];
	int64_t		delivery_body_max_bytes;
	int64_t		delivery_photo_max_bytes;
	int64_t		delivery_chip_max_bytes;
	int64_t		delivery_attempts_max;
	int64_t		delivery_deadline_ms;
	double		delivery_face_min;
	double		delivery_chip_min;
	double		delivery_liveness_min;
	/* The reviewer console (service/review.c). */
	int64_t		review_login_max_failures;
	int64_t		review_lockout_s;
	int64_t		review_session_idle_s;
	int64_t		review_session_max_s;
	int64_t		review_claim_s;
	/* QA sampling (service/store_qa.h). */
	double		qa_sample_share;
	int64_t		qa_sample_seed;		/* 0: random starts */
	/* The regulator export (service/export.c). */
	int64_t		export_max_cases;
	int64_t		export_max_bytes;
	struct rn_rules	rules;		/* decision thresholds and caps */
	char		reason_tiers[RN_CONFIG_STR_MAX];	/* into rules */
	int64_t		tls_listen_port;
	int64_t		task_queue_max;		/* per worker */
	int64_t		overload_retry_after_s;
	int64_t		disk_reserve_mb;		/* 0: no reserve */
	char		tls_server_name[RN_CONFIG_STR_MAX];
	char		tls_cert_file[RN_CONFIG_STR_MAX];
	char		tls_key_file[RN_CONFIG_STR_MAX];
};

/* Fills every key with its embedded default. */
void	rn_config_defaults(struct rn_config *);

/*
 * Applies one `key = value` assignment.  Returns 0, or -1 with a one-line
 * message naming the key in err.
 */
int	rn_config_set(struct rn_config *, const char *key, const char *value,
	    char *err, size_t errlen);

/*
 * Reads a configuration file on top of the defaults already in cfg.
 * Returns 0, or -1 with a one-line message (file, line, key) in err.
 */
int	rn_config_load(struct rn_config *, const char *path, char *err,
	    size_t errlen);

/*
 * Cross-key checks run after loading; fills the keys left empty that
 * derive from others (store_url, clients_file from state_dir).  Returns
 * 0 or -1 with err.
 */
int	rn_config_validate(struct rn_config *, char *err, size_t errlen);

/* Number of known keys and the name of key i, for documentation tests. */
size_t		 rn_config_key_count(void);
const char	*rn_config_key_name(size_t);

/*
 * Renders the value of key as text into out (for templates).
 * Returns 0, or -1 for an unknown key.
 */
int	rn_config_format(const struct rn_config *, const char *key,
	    char *out, size_t outlen);

#endif
