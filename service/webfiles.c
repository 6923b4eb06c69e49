/*
 * The web pages' files, read once at start.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "webfiles.h"

struct walk {
	struct rn_webfiles	*wf;
	const char		*root;
	size_t			 total;
	size_t			 cap;
	char			*err;
	size_t			 errlen;
};

static int	segment_ok(const char *, size_t, int);
static int	walk_dir(struct walk *, const char *, int);
static int	add_file(struct walk *, const char *, const char *);
static int	read_all(const char *, unsigned char **, size_t *, char *,
		    size_t);
static int	stamp_pages(struct rn_webfiles *, char *, size_t);
static void	hash_hex(const unsigned char *, size_t, char *, size_t);
static int	by_name(const void *, const void *);

static const struct {
	const char	*ext;
	const char	*ctype;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "woff2", "font/woff2" },
};

int
rn_webfiles_load(struct rn_webfiles *wf, const char *dir, char *err,
    size_t errlen)
{
	struct walk			 w;
	crypto_generichash_state	 hs;
	unsigned char			 digest[8];
	size_t				 i;

	memset(wf, 0, sizeof(*wf));
	memset(&w, 0, sizeof(w));
	w.wf = wf;
	w.root = dir;
	w.err = err;
	w.errlen = errlen;
	if (walk_dir(&w, "", 0) == -1)
		goto fail;
	qsort(wf->files, wf->count, sizeof(wf->files[0]), by_name);

	/* The version names every asset a page may refer to. */
	crypto_generichash_init(&hs, NULL, 0, sizeof(digest));
	for (i = 0; i < wf->count; i++) {
		if (wf->files[i].is_page)
			continue;
		crypto_generichash_update(&hs,
		    (const unsigned char *)wf->files[i].name,
		    strlen(wf->files[i].name) + 1);
		crypto_generichash_update(&hs, wf->files[i].data,
		    wf->files[i].len);
	}
	crypto_generichash_final(&hs, digest, sizeof(digest));
	sodium_bin2hex(wf->version, sizeof(wf->version), digest,
	    sizeof(digest));
	if (stamp_pages(wf, err, errlen) == -1)
		goto fail;
	for (i = 0; i < wf->count; i++)
		hash_hex(wf->files[i].data, wf->files[i].len,
		    wf->files[i].etag, sizeof(wf->files[i].etag));
	return ((int)wf->count);

fail:
	rn_webfiles_free(wf);
	return (-1);
}

const struct rn_webfile *
rn_webfiles_find(const struct rn_webfiles *wf, const char *name)
{
	struct rn_webfile	key;

	if (wf->count == 0 || rn_webfiles_ctype(name) == NULL)
		return (NULL);
	snprintf(key.name, sizeof(key.name), "%s", name);
	return (bsearch(&key, wf->files, wf->count, sizeof(wf->files[0]),
	    by_name));
}

const char *
rn_webfiles_ctype(const char *name)
{
	const char	*seg, *slash, *dot;
	size_t		 i, len;

	len = strlen(name);
	if (len == 0 || len >= RN_WEB_NAME_MAX)
		return (NULL);
	for (seg = name; (slash = strchr(seg, '/')) != NULL; seg = slash + 1) {
		if (!segment_ok(seg, (size_t)(slash - seg), 0))
			return (NULL);
	}
	if ((dot = strchr(seg, '.')) == NULL || !segment_ok(seg,
	    (size_t)(dot - seg), 0) || !segment_ok(dot + 1, strlen(dot + 1),
	    1))
		return (NULL);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(dot + 1, types[i].ext))
			return (types[i].ctype);
	}
	return (NULL);
}

void
rn_webfiles_free(struct rn_webfiles *wf)
{
	size_t	i;

	for (i = 0; i < wf->count; i++)
		free(wf->files[i].data);
	free(wf->files);
	memset(wf, 0, sizeof(*wf));
}

/*
 * One path segment: starts with a lower-case letter or digit, then
 * letters, digits, '-' and '_' (an extension: letters and digits only).
 * No dot can appear, so "." and ".." never pass.
 */
static int
segment_ok(const char *s, size_t len, int ext)
{
	size_t	i;
	char	c;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (!ext && i > 0 && (c == '-' || c == '_'))
			continue;
		return (0);
	}
	return (1);
}

static int
walk_dir(struct walk *w, const char *rel, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 path[1024], child[RN_WEB_NAME_MAX + 256];
	int		 ret;

	snprintf(path, sizeof(path), "%s%s%s", w->root, *rel ? "/" : "",
	    rel);
	if ((d = opendir(path)) == NULL) {
		snprintf(w->err, w->errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	ret = 0;
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name);
		if (strlen(child) >= RN_WEB_NAME_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", w->root, child);
		/* lstat: a symbolic link is never followed. */
		if (lstat(path, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 < RN_WEB_DEPTH_MAX &&
			    segment_ok(de->d_name, strlen(de->d_name), 0))
				ret = walk_dir(w, child, depth + 1);
		} else if (S_ISREG(st.st_mode) &&
		    rn_webfiles_ctype(child) != NULL) {
			ret = add_file(w, child, path);
		}
	}
	(void)closedir(d);
	return (ret);
}

static int
add_file(struct walk *w, const char *name, const char *path)
{
	struct rn_webfiles	*wf = w->wf;
	struct rn_webfile	*f, *grown;
	const char		*ext;

	if (wf->count >= RN_WEB_FILES_MAX) {
		snprintf(w->err, w->errlen, "%s: more than %d files", w->root,
		    RN_WEB_FILES_MAX);
		return (-1);
	}
	if (wf->count == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		if ((grown = realloc(wf->files, w->cap * sizeof(*grown))) ==
		    NULL) {
			snprintf(w->err, w->errlen, "out of memory");
			return (-1);
		}
		wf->files = grown;
	}
	f = &wf->files[wf->count];
	memset(f, 0, sizeof(*f));
	if (read_all(path, &f->data, &f->len, w->err, w->errlen) == -1)
		return (-1);
	wf->count++;
	w->total += f->len;
	if (w->total > RN_WEB_TOTAL_MAX) {
		snprintf(w->err, w->errlen, "%s: more than %d bytes in all",
		    w->root, RN_WEB_TOTAL_MAX);
		return (-1);
	}
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->ctype = rn_webfiles_ctype(name);
	ext = strrchr(name, '.');
	f->is_page = ext != NULL && !strcmp(ext, ".html");
	return (0);
}

static int
read_all(const char *path, unsigned char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct stat	 st;
	unsigned char	*buf;
	size_t		 off;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > RN_WEB_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d "
		    "bytes", path, RN_WEB_FILE_MAX);
		(void)close(fd);
		return (-1);
	}
	/* One spare byte so an empty file still gets a buffer. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		(void)close(fd);
		return (-1);
	}
	for (off = 0; off < (size_t)st.st_size; off += (size_t)n) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n <= 0) {
			snprintf(err, errlen, "%s: short read", path);
			free(buf);
			(void)close(fd);
			return (-1);
		}
	}
	(void)close(fd);
	*out = buf;
	*outlen = off;
	return (0);
}

/* Pages refer to assets as "...?v=@v@": the version makes them cacheable. */
static int
stamp_pages(struct rn_webfiles *wf, char *err, size_t errlen)
{
	struct rn_webfile	*f;
	unsigned char		*out;
	const unsigned char	*p, *end, *hit;
	size_t			 i, marks, mlen, vlen, n;

	mlen = strlen(RN_WEB_VERSION_MARK);
	vlen = strlen(wf->version);
	for (i = 0; i < wf->count; i++) {
		f = &wf->files[i];
		if (!f->is_page)
			continue;
		marks = 0;
		end = f->data + f->len;
		for (p = f->data; (hit = memmem(p, (size_t)(end - p),
		    RN_WEB_VERSION_MARK, mlen)) != NULL; p = hit + mlen)
			marks++;
		if (marks == 0)
			continue;
		if ((out = malloc(f->len + marks * vlen + 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		n = 0;
		for (p = f->data; (hit = memmem(p, (size_t)(end - p),
		    RN_WEB_VERSION_MARK, mlen)) != NULL; p = hit + mlen) {
			memcpy(out + n, p, (size_t)(hit - p));
			n += (size_t)(hit - p);
			memcpy(out + n, wf->version, vlen);
			n += vlen;
		}
		memcpy(out + n, p, (size_t)(end - p));
		n += (size_t)(end - p);
		free(f->data);
		f->data = out;
		f->len = n;
	}
	return (0);
}

static void
hash_hex(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	unsigned char	digest[8];
	char		hex[17];

	crypto_generichash(digest, sizeof(digest), data, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(out, outlen, "\"%s\"", hex);
}

static int
by_name(const void *a, const void *b)
{
	return (strcmp(((const struct rn_webfile *)a)->name,
	    ((const struct rn_webfile *)b)->name));
}
