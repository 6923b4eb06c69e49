/*
 * realname-admin's export and export-verify subcommands (admin_export.c).
 * Each takes the arguments after its name and returns the exit status;
 * 1 means a usage error (the caller prints the usage).
 */
#ifndef RN_ADMIN_EXPORT_H
#define RN_ADMIN_EXPORT_H

#include "config.h"

int	admin_export(const struct rn_config *, int, char **);
int	admin_export_verify(const struct rn_config *, int, char **);

#endif
