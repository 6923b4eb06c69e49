/*
 * The web pages' files (assets/web/): read once at start into memory,
 * so a request never opens a file (no path from a URL reaches the file
 * system, workers need no file access inside their chroot, and the
 * seccomp filter needs nothing new).  Plain C (no Kore): unit-tested on
 * its own.
 *
 * A name is a relative path of lower-case segments with one extension
 * from a fixed list, e.g. "customer/app.js".  Anything else (dot
 * segments, upper case, hidden files, other extensions, symbolic links)
 * is skipped when loading and refused when looking up.
 */
#ifndef RN_WEBFILES_H
#define RN_WEBFILES_H

#include <stddef.h>

#define RN_WEB_NAME_MAX		128
#define RN_WEB_FILE_MAX		(1024 * 1024)	/* one file */
#define RN_WEB_TOTAL_MAX	(16 * 1024 * 1024)
#define RN_WEB_FILES_MAX	256
#define RN_WEB_DEPTH_MAX	4

/* Placeholder in .html files replaced by the assets' version. */
#define RN_WEB_VERSION_MARK	"@v@"

struct rn_webfile {
	char		 name[RN_WEB_NAME_MAX];
	const char	*ctype;
	int		 is_page;	/* .html: served only by page routes */
	unsigned char	*data;
	size_t		 len;
	char		 etag[24];	/* "\"<16 hex>\"" */
};

struct rn_webfiles {
	struct rn_webfile	*files;
	size_t			 count;
	char			 version[17];	/* 16 hex of all assets */
};

/*
 * Loads every acceptable file under dir.  Returns the number of files
 * loaded, or -1 with a message in err (dir unreadable, a limit passed,
 * out of memory); on -1 nothing is kept.
 */
int	rn_webfiles_load(struct rn_webfiles *, const char *dir, char *err,
	    size_t errlen);

/* The file of that exact name, or NULL. */
const struct rn_webfile	*rn_webfiles_find(const struct rn_webfiles *,
			    const char *name);

/* The content type for an acceptable name, or NULL if not acceptable. */
const char	*rn_webfiles_ctype(const char *name);

void	rn_webfiles_free(struct rn_webfiles *);

#endif
