/*
 * The store's space reserve (see diskspace.h).
 */

#include <sys/statvfs.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "diskspace.h"

#define PATH_MAX_LEN	1024
#define MIB		(UINT64_C(1024) * 1024)

int
diskspace_check(const char *path, uint64_t reserve, uint64_t *avail,
    char *err, size_t errlen)
{
	struct statvfs	sv;
	uint64_t	free_bytes;

	if (statvfs(path, &sv) == -1) {
		snprintf(err, errlen, "%s: cannot measure free space: %s",
		    path, strerror(errno));
		return (-1);
	}
	/* f_bavail: what a non-root writer (the workers) may still use. */
	free_bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	if (avail != NULL)
		*avail = free_bytes;
	if (free_bytes < reserve) {
		snprintf(err, errlen, "%s: %" PRIu64 " MB free, below the "
		    "reserve of %" PRIu64 " MB", path, free_bytes / MIB,
		    reserve / MIB);
		return (0);
	}
	return (1);
}

int
diskspace_store_ok(const char *state_dir, const char *store_url,
    uint64_t reserve, char *err, size_t errlen)
{
	char		 dir[PATH_MAX_LEN];
	const char	*file, *slash;
	size_t		 len;
	int		 rc;

	if (reserve == 0)
		return (1);
	if ((rc = diskspace_check(state_dir, reserve, NULL, err,
	    errlen)) != 1)
		return (rc);
	if (store_url == NULL || strncmp(store_url, "sqlite:", 7) != 0)
		return (1);
	file = store_url + 7;
	if ((slash = strrchr(file, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else {
		len = (size_t)(slash - file);
		if (len == 0)
			len = 1;	/* a file in / */
		if (len >= sizeof(dir)) {
			snprintf(err, errlen, "store_url: path too long");
			return (-1);
		}
		memcpy(dir, file, len);
		dir[len] = '\0';
	}
	return (diskspace_check(dir, reserve, NULL, err, errlen));
}
