/*
 * bench/speed, faces part.  See speed.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "imaging.h"
#include "speed.h"

#define WARMUP	3

/* Process CPU time: unlike wall time, not inflated by other load. */
static double
cpu_now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

int
speed_faces(const char *models, const unsigned char *jpeg, size_t len,
    const char *photo_path, int runs, struct speed_faces_result *r)
{
	struct imaging_options	 o;
	struct imaging_error	 err;
	struct imaging_engine	*e;
	struct imaging_analysis	*a;
	struct imaging_image	 small;
	double			*dec, *faces, *f640, *cbig, *c640, c0;
	int			 i, n, rc;

	memset(r, 0, sizeof(*r));
	imaging_options_default(&o);
	o.threads = 1;
	if ((e = imaging_engine_new(models, &o, &err)) == NULL) {
		fprintf(stderr, "speed: engine: %s\n", err.msg);
		return (-1);
	}
	rc = -1;
	dec = calloc(runs, sizeof(double));
	faces = calloc(runs, sizeof(double));
	f640 = calloc(runs, sizeof(double));
	cbig = calloc(runs, sizeof(double));
	c640 = calloc(runs, sizeof(double));
	small.pixels = NULL;
	if (dec == NULL || faces == NULL || f640 == NULL || cbig == NULL ||
	    c640 == NULL)
		goto done;

	n = 0;
	for (i = 0; i < WARMUP + runs; i++) {
		c0 = cpu_now();
		if ((a = imaging_analyse(e, IMAGING_SIDE_FACE, jpeg,
		    len)) == NULL || a->error != IMAGING_OK || a->nfaces != 1) {
			fprintf(stderr, "speed: analysis failed\n");
			imaging_analysis_free(a);
			goto done;
		}
		if (i >= WARMUP) {
			cbig[n] = cpu_now() - c0;
			dec[n] = a->decode_ms;
			faces[n] = a->faces_ms;
			n++;
		}
		if (i == 0)
			printf("speed: working image %dx%d, face %.0f px\n",
			    a->work_width, a->work_height,
			    a->faces[0].size_px);
		imaging_analysis_free(a);
	}

	if (bench_imread(photo_path, 640, &small) == -1)
		goto done;
	for (i = 0; i < WARMUP + runs; i++) {
		c0 = cpu_now();
		if ((a = imaging_analyse_image(e, IMAGING_SIDE_FACE,
		    &small)) == NULL) {
			fprintf(stderr, "speed: 640 analysis failed\n");
			goto done;
		}
		if (i >= WARMUP) {
			f640[i - WARMUP] = a->faces_ms;
			c640[i - WARMUP] = cpu_now() - c0;
		}
		imaging_analysis_free(a);
	}
	printf("speed: cpu time medians: 4000x3000 decode+faces "
	    "cpu_ms=%.1f, %dx%d faces cpu_ms=%.1f\n", speed_median(cbig,
	    runs), small.width, small.height, speed_median(c640, runs));

	/* The optional head-pose model, for the record. */
	{
		struct imaging_engine	*ep;
		double			*fp;

		o.optional_models = IMAGING_MODEL_POSE;
		ep = imaging_engine_new(models, &o, NULL);
		fp = calloc(runs, sizeof(double));
		for (i = 0; ep != NULL && fp != NULL && i < WARMUP + runs;
		    i++) {
			if ((a = imaging_analyse_image(ep, IMAGING_SIDE_FACE,
			    &small)) == NULL)
				break;
			if (i >= WARMUP)
				fp[i - WARMUP] = a->faces_ms;
			imaging_analysis_free(a);
		}
		if (ep != NULL && fp != NULL && i == WARMUP + runs)
			printf("speed: faces on the same photo with fr_pose: "
			    "faces_ms=%.1f\n", speed_median(fp, runs));
		free(fp);
		imaging_engine_free(ep);
	}

	r->ran = 1;
	r->runs = runs;
	r->decode_ms = speed_median(dec, runs);
	r->faces_ms = speed_median(faces, runs);
	r->faces_640_ms = speed_median(f640, runs);
	printf("speed: faces on a %dx%d photo: faces_ms=%.1f\n",
	    small.width, small.height, r->faces_640_ms);
	rc = 0;
done:
	if (small.pixels != NULL)
		bench_image_free(&small);
	free(dec);
	free(faces);
	free(f640);
	free(cbig);
	free(c640);
	imaging_engine_free(e);
	return (rc);
}
