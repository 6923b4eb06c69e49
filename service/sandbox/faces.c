/*
 * Sandbox face comparison over the imaging engine.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faces.h"
#include "imaging.h"

#define REGISTRY_PHOTO_MAX	(16 * 1024 * 1024)

struct sbx_ref {
	int			tried;
	int			ok;
	struct imaging_face	face;
};

struct sbx_faces {
	struct imaging_engine	*engine;
	struct sbx_ref		*refs;
	size_t			 nrefs;
};

static int	primary_face(struct imaging_engine *, const void *, size_t,
		    struct imaging_face *, char *, size_t);
static void	*read_file(const char *, size_t *);

struct sbx_faces *
sbx_faces_new(const char *models_dir, size_t npeople, char *err,
    size_t errlen)
{
	struct sbx_faces	*f;
	struct imaging_options	 opt;
	struct imaging_error	 ierr;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->refs = calloc(npeople > 0 ? npeople : 1,
	    sizeof(*f->refs))) == NULL) {
		free(f);
		(void)snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	f->nrefs = npeople;
	imaging_options_default(&opt);
	/* One thread: the engine runs inside one Kore task thread. */
	opt.threads = 1;
	opt.card = 0;
	memset(&ierr, 0, sizeof(ierr));
	if ((f->engine = imaging_engine_new(models_dir, &opt, &ierr)) ==
	    NULL) {
		(void)snprintf(err, errlen, "imaging: %s", ierr.msg);
		sbx_faces_free(f);
		return (NULL);
	}
	return (f);
}

void
sbx_faces_free(struct sbx_faces *f)
{
	if (f == NULL)
		return;
	if (f->engine != NULL)
		imaging_engine_free(f->engine);
	free(f->refs);
	free(f);
}

int
sbx_faces_compare(struct sbx_faces *f, size_t i, const char *registry_path,
    const void *portrait, size_t len, double *similarity, int *which,
    char *err, size_t errlen)
{
	struct imaging_face		 live;
	struct imaging_comparison	 cmp;
	struct sbx_ref			*ref;
	void				*buf;
	size_t				 blen;

	*similarity = 0.0;
	*which = 1;
	if (i >= f->nrefs) {
		(void)snprintf(err, errlen, "no such person");
		return (-1);
	}
	ref = &f->refs[i];
	if (!ref->tried) {
		ref->tried = 1;
		if ((buf = read_file(registry_path, &blen)) == NULL) {
			(void)snprintf(err, errlen, "registry photo "
			    "unreadable");
			return (-1);
		}
		ref->ok = primary_face(f->engine, buf, blen, &ref->face, err,
		    errlen) == 0;
		free(buf);
	}
	if (!ref->ok) {
		(void)snprintf(err, errlen, "registry photo has no usable "
		    "face");
		return (-1);
	}
	*which = 0;
	if (primary_face(f->engine, portrait, len, &live, err, errlen) == -1)
		return (-1);
	if (imaging_compare_faces(f->engine, &live, &ref->face, &cmp) == -1) {
		(void)snprintf(err, errlen, "%s",
		    imaging_engine_error(f->engine));
		return (-1);
	}
	*similarity = sbx_similarity_from_cosine(cmp.score, cmp.threshold);
	return (0);
}

double
sbx_similarity_from_cosine(double score, double threshold)
{
	double	s;

	if (!(threshold > 0.0 && threshold < 1.0) || !(score > 0.0))
		return (0.0);
	if (score >= 1.0)
		return (100.0);
	if (score < threshold)
		s = SBX_FACE_PASS * score / threshold;
	else
		s = SBX_FACE_PASS + (100.0 - SBX_FACE_PASS) *
		    (score - threshold) / (1.0 - threshold);
	return (s);
}

/* The photo's primary face with its embedding. */
static int
primary_face(struct imaging_engine *e, const void *buf, size_t len,
    struct imaging_face *out, char *err, size_t errlen)
{
	struct imaging_analysis	*a;
	int			 ret;

	if ((a = imaging_analyse(e, IMAGING_SIDE_FACE, buf, len)) == NULL) {
		(void)snprintf(err, errlen, "%s", imaging_engine_error(e));
		return (-1);
	}
	ret = -1;
	if (a->error != IMAGING_OK)
		(void)snprintf(err, errlen, "photo rejected: %s",
		    a->error_msg);
	else if (a->primary < 0 || !a->faces[a->primary].has_embedding)
		(void)snprintf(err, errlen, "no usable face");
	else {
		*out = a->faces[a->primary];
		ret = 0;
	}
	imaging_analysis_free(a);
	return (ret);
}

static void *
read_file(const char *path, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "rb")) == NULL)
		return (NULL);
	buf = NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) > 0 &&
	    len <= REGISTRY_PHOTO_MAX && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len)) != NULL) {
		if (fread(buf, 1, (size_t)len, fp) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else {
			*lenp = (size_t)len;
		}
	}
	(void)fclose(fp);
	return (buf);
}
