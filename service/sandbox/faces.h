/*
 * Face similarity for the sandbox: the applicant's portrait against the
 * registry photo of the person, with the imaging library, reported on a
 * provider's 0..100 scale.  Plain C (no Kore); one instance per thread.
 */
#ifndef SBX_FACES_H
#define SBX_FACES_H

#include <stddef.h>

/*
 * The provider scale: 0..100 where SBX_FACE_PASS is exactly the imaging
 * library's match threshold, so that the sandbox's 1202 answers and the
 * client's floor (idcheck_provider face_min_similarity) agree.
 */
#define SBX_FACE_PASS	60.0

struct sbx_faces;

/* Opens an engine on models_dir for npeople registry entries, or NULL. */
struct sbx_faces	*sbx_faces_new(const char *models_dir, size_t npeople,
			    char *err, size_t errlen);
void			 sbx_faces_free(struct sbx_faces *);

/*
 * Similarity of the face in portrait (JPEG or PNG bytes) with the face
 * in the registry photo at registry_path, person index i (its analysis
 * is kept for later calls).  Returns 0 with *similarity in 0..100, or
 * -1 with err saying which photo was unusable: *which is 0 for the
 * portrait, 1 for the registry photo.
 */
int	sbx_faces_compare(struct sbx_faces *, size_t i,
	    const char *registry_path, const void *portrait, size_t len,
	    double *similarity, int *which, char *err, size_t errlen);

/*
 * The calibration: cosine score to 0..100, monotonic, threshold maps to
 * SBX_FACE_PASS, 1 to 100, 0 and below to 0.
 */
double	sbx_similarity_from_cosine(double score, double threshold);

#endif
