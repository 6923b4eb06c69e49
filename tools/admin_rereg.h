/*
 * realname-admin's dealer and subscribers subcommands (admin_rereg.c).
 * Each takes the arguments after its name and returns the exit status;
 * 1 means a usage error (the caller prints the usage).
 */
#ifndef RN_ADMIN_REREG_H
#define RN_ADMIN_REREG_H

#include "config.h"

/*
 *   dealer add CODE --channel C --name N
 *   dealer list
 *   dealer disable|enable CODE
 */
int	admin_dealer(const struct rn_config *, int, char **);

/*
 *   subscribers import FILE
 *	CSV lines "msisdn,id_number" (an optional header line naming
 *	them, blank lines and lines starting with '#' skipped).  Nothing
 *	is imported when a line is bad: each bad line is reported with its
 *	number, ID numbers masked.
 */
int	admin_subscribers(const struct rn_config *, int, char **);

#endif
