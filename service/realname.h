/*
 * State every worker inherits from the parent: the validated
 * configuration and what the start-up checks found.
 */
#ifndef RN_REALNAME_H
#define RN_REALNAME_H

#include "config.h"

#define RN_VERSION	"0.1.0"

extern struct rn_config	rn_cfg;

/* Models checked at start: count, or -1 with rn_models_err set. */
extern int		rn_models_count;
extern char		rn_models_err[RN_CONFIG_ERR_MAX];

/* Master keys for evidence at rest, loaded (or made) at start. */
extern struct vault	*rn_vault;

/* Key of the ID-number lookup hash (keys/lookup.key, made at start). */
#define RN_LOOKUP_KEY_LEN	32
extern unsigned char	rn_id_hash_key[RN_LOOKUP_KEY_LEN];

#endif
