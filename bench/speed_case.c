/*
 * bench/speed, the whole case: a generated person's three 4000x3000 phone
 * photos (front, back, holding selfie) through the engine on one thread,
 * everything it does for an upload (decode, faces, card, OCR).  Medians
 * over the runs; CPU time beside wall time (the machine may be shared).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"
#include "imaging.h"
#include "speed.h"

static double
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static double
cpu_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

int
speed_case(const char *models, const char *data, int runs,
    struct speed_case_result *out)
{
	static const enum imaging_side sides[3] = {
		IMAGING_SIDE_FRONT, IMAGING_SIDE_BACK, IMAGING_SIDE_HOLDING,
	};
	struct gen		*gen;
	struct gen_options	 o;
	struct gen_case		 photo[3];
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	struct imaging_analysis	*a;
	double			*cw, *cc, *dec, *fac, *crd, *ocr, t0, c0;
	char			 err[256];
	int			 r, k, index;

	memset(out, 0, sizeof(*out));
	if ((gen = gen_open(data,
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "speed: gen: %s\n", err);
		return (-1);
	}
	/* The first person with a valid number and a genuine selfie. */
	for (index = 0; index < 50; index++) {
		for (k = 0; k < 3; k++) {
			gen_options_default(&o);
			o.kind = k;
			o.degrade = 0;
			o.long_side = 4000;
			o.exif = 0;
			if (gen_make(gen, 1, index, &o, &photo[k], err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "speed: gen: %s\n", err);
				gen_close(gen);
				return (-1);
			}
		}
		if (photo[0].truth.number_valid && photo[2].truth.genuine)
			break;
		for (k = 0; k < 3; k++)
			gen_case_free(&photo[k]);
	}
	gen_close(gen);
	if (index == 50)
		return (-1);

	imaging_options_default(&opt);
	opt.threads = 1;
	if ((eng = imaging_engine_new(models, &opt, &ierr)) == NULL) {
		fprintf(stderr, "speed: engine: %s\n", ierr.msg);
		return (-1);
	}
	cw = calloc((size_t)runs, sizeof(double));
	cc = calloc((size_t)runs, sizeof(double));
	dec = calloc((size_t)runs, sizeof(double));
	fac = calloc((size_t)runs, sizeof(double));
	crd = calloc((size_t)runs, sizeof(double));
	ocr = calloc((size_t)runs, sizeof(double));
	/* One warm-up case: the first forward pass costs more. */
	for (r = -1; r < runs; r++) {
		double	d = 0, f = 0, c = 0, oc = 0;

		t0 = wall_ms();
		c0 = cpu_ms();
		for (k = 0; k < 3; k++) {
			a = imaging_analyse(eng, sides[k], photo[k].jpeg,
			    photo[k].len);
			if (a != NULL) {
				d += a->decode_ms;
				f += a->faces_ms;
				c += a->card_ms;
				oc += a->ocr_ms;
			}
			imaging_analysis_free(a);
		}
		if (r < 0)
			continue;
		cw[r] = wall_ms() - t0;
		cc[r] = cpu_ms() - c0;
		dec[r] = d;
		fac[r] = f;
		crd[r] = c;
		ocr[r] = oc;
	}
	out->ran = 1;
	out->runs = runs;
	out->case_ms = speed_median(cw, runs);
	out->case_cpu_ms = speed_median(cc, runs);
	out->decode_ms = speed_median(dec, runs);
	out->faces_ms = speed_median(fac, runs);
	out->card_ms = speed_median(crd, runs);
	out->ocr_ms = speed_median(ocr, runs);
	free(cw);
	free(cc);
	free(dec);
	free(fac);
	free(crd);
	free(ocr);
	imaging_engine_free(eng);
	for (k = 0; k < 3; k++)
		gen_case_free(&photo[k]);
	return (0);
}
