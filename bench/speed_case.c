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

/* Figures per run: case, decode, faces, card, OCR; wall then CPU. */
#define NFIG	10

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
	double			*v[NFIG] = { NULL }, t0, c0;
	char			 err[256];
	int			 r, k, index, rc = -1;

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
	for (k = 0; k < NFIG; k++)
		if ((v[k] = calloc((size_t)runs, sizeof(double))) == NULL) {
			fprintf(stderr, "speed: out of memory\n");
			goto done;
		}
	/* One warm-up case: the first forward pass costs more. */
	for (r = -1; r < runs; r++) {
		double	f[NFIG] = { 0 };

		t0 = wall_ms();
		c0 = cpu_ms();
		for (k = 0; k < 3; k++) {
			a = imaging_analyse(eng, sides[k], photo[k].jpeg,
			    photo[k].len);
			if (a == NULL) {
				fprintf(stderr, "speed: analysis failed: %s\n",
				    imaging_engine_error(eng));
				goto done;
			}
			f[1] += a->decode_ms;
			f[2] += a->faces_ms;
			f[3] += a->card_ms;
			f[4] += a->ocr_ms;
			f[6] += a->decode_cpu_ms;
			f[7] += a->faces_cpu_ms;
			f[8] += a->card_cpu_ms;
			f[9] += a->ocr_cpu_ms;
			imaging_analysis_free(a);
		}
		f[0] = wall_ms() - t0;
		f[5] = cpu_ms() - c0;
		if (r < 0)
			continue;
		for (k = 0; k < NFIG; k++)
			v[k][r] = f[k];
	}
	out->ran = 1;
	out->runs = runs;
	out->wall.case_ms = speed_median(v[0], runs);
	out->wall.decode_ms = speed_median(v[1], runs);
	out->wall.faces_ms = speed_median(v[2], runs);
	out->wall.card_ms = speed_median(v[3], runs);
	out->wall.ocr_ms = speed_median(v[4], runs);
	out->cpu.case_ms = speed_median(v[5], runs);
	out->cpu.decode_ms = speed_median(v[6], runs);
	out->cpu.faces_ms = speed_median(v[7], runs);
	out->cpu.card_ms = speed_median(v[8], runs);
	out->cpu.ocr_ms = speed_median(v[9], runs);
	rc = 0;
done:
	for (k = 0; k < NFIG; k++)
		free(v[k]);
	imaging_engine_free(eng);
	for (k = 0; k < 3; k++)
		gen_case_free(&photo[k]);
	return (rc);
}
