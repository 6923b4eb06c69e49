/*
 * The store's space reserve.  A store whose disk fills up cannot write
 * the small rows that finish work already accepted (a decision, an
 * outbox row), and a SQLite store fills its own disk quickly: every
 * case brings three sealed photos of several hundred kilobytes.  So new
 * photos are refused while the free space under the state directory or
 * the SQLite file is below `disk_reserve_mb`, keeping the rest for the
 * cases in flight, and /readyz says not ready, so a balancer sends new
 * customers to another node.  Plain C, no Kore.
 */
#ifndef RN_DISKSPACE_H
#define RN_DISKSPACE_H

#include <stddef.h>
#include <stdint.h>

/*
 * 1 when the filesystem holding path has at least reserve bytes free
 * for an unprivileged writer, 0 when it has less (err says how much),
 * -1 when it cannot be measured (err says why).  *avail (may be NULL)
 * receives the free bytes.
 */
int	diskspace_check(const char *path, uint64_t reserve, uint64_t *avail,
	    char *err, size_t errlen);

/*
 * The same for every directory the service writes durably: state_dir,
 * and the SQLite file's directory when store_url is sqlite:PATH (a
 * PostgreSQL store's disk is its server's to watch).  1, 0 or -1.
 */
int	diskspace_store_ok(const char *state_dir, const char *store_url,
	    uint64_t reserve, char *err, size_t errlen);

#endif
