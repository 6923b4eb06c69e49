/*
 * bench/speed: timings, printed, never asserted.  One thread.
 *
 * usage: bench-speed [-c] [-m models_dir] [-d shared_data_dir] [-n runs]
 * -c: the generated case only (for profiling it alone).
 * The 4000x3000 JPEG is made at run time from faces/img1.jpg (scaled
 * up and centred on a grey canvas, quality 90).
 *
 * The last two lines are a whole generated case (front, back and holding
 * selfie, 4000x3000 JPEGs each, one engine on one thread), each figure
 * the median over the runs (default 30) after one warm-up case:
 *
 *   speed_cpu: case_ms=... decode_ms=... card_ms=... faces_ms=... ocr_ms=...
 *   speed: case_ms=... decode_ms=... card_ms=... faces_ms=... ocr_ms=...
 *
 * speed: is wall-clock time (CLOCK_MONOTONIC): what a caller waits on
 * an otherwise idle machine, and more on a busy one, where other
 * processes take the core in the middle of a case.  speed_cpu: is the
 * same spans in the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID):
 * the engine does all its work on that thread (OpenCV held to one
 * thread, Tesseract to one by OMP_THREAD_LIMIT=1), so it is the
 * single-thread cost of a case whatever else runs, and on an idle
 * machine the two agree to within the scheduler's noise.  case_ms is the
 * whole three-photo case; the stages are summed over its three photos:
 * decode (to the working size), card (outline search, rectification,
 * card quality and OCR), faces (detection, landmarks, embedding,
 * liveness, and measuring a small card portrait again from a finer
 * region decode), ocr (the OCR part of card).  Each figure is its own
 * median, so the stages need not add up to the case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_util.h"
#include "decode.h"
#include "speed.h"

static int	cmp_double(const void *, const void *);

static void
print_figures(const char *tag, const struct speed_figures *f)
{
	printf("%s: case_ms=%.1f decode_ms=%.1f card_ms=%.1f faces_ms=%.1f "
	    "ocr_ms=%.1f\n", tag, f->case_ms, f->decode_ms, f->card_ms,
	    f->faces_ms, f->ocr_ms);
}

int
main(int argc, char *argv[])
{
	struct speed_faces_result	 faces = { 0 };
	struct speed_case_result	 kase = { 0 };
	struct imaging_decoder		*dec;
	struct imaging_image		 img, copy;
	const char			*models, *data;
	char				 path[1024];
	unsigned char			*buf, *jpeg;
	size_t				 len, jlen;
	int				 ch, runs, rc, case_only = 0;

	models = getenv("REALNAME_MODELS");
	if (models == NULL)
		models = "assets/models";
	data = getenv("REALNAME_SHARED_DATA");
	if (data == NULL)
		data = "../shared/data";
	runs = 30;
	while ((ch = getopt(argc, argv, "cm:d:n:")) != -1) {
		switch (ch) {
		case 'c':
			case_only = 1;
			break;
		case 'm':
			models = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench-speed [-c] [-m models] "
			    "[-d data] [-n runs]\n");
			return (1);
		}
	}
	if (runs < 1)
		runs = 1;
	rc = 0;
	if (case_only)
		goto generated;

	(void)snprintf(path, sizeof(path), "%s/faces/img1.jpg", data);
	if (bench_read_file(path, &buf, &len) == -1 ||
	    (dec = imaging_decoder_new(NULL)) == NULL) {
		fprintf(stderr, "speed: cannot read %s\n", path);
		return (1);
	}
	if (imaging_decode(dec, buf, len, 0, &img, NULL) == -1 ||
	    bench_image_copy(&img, &copy) == -1 ||
	    bench_make_jpeg(&copy, 4000, 3000, 90, &jpeg, &jlen) == -1) {
		fprintf(stderr, "speed: cannot make the test JPEG\n");
		return (1);
	}
	imaging_decoder_free(dec);
	bench_image_free(&copy);
	free(buf);
	printf("speed: input 4000x3000 JPEG, %zu bytes, %d runs, "
	    "1 thread\n", jlen, runs);

	if (speed_faces(models, jpeg, jlen, path, runs, &faces) == -1)
		rc = 1;
	if (faces.ran)
		printf("speed: one photo: decode_ms=%.1f faces_ms=%.1f\n",
		    faces.decode_ms, faces.faces_ms);
	free(jpeg);
generated:
	if (speed_case(models, data, runs, &kase) == -1)
		rc = 1;
	if (kase.ran) {
		printf("speed: a generated case (front, back, holding; "
		    "4000x3000 each), %d runs, medians; speed_cpu: thread "
		    "CPU time, speed: wall clock\n", kase.runs);
		print_figures("speed_cpu", &kase.cpu);
		print_figures("speed", &kase.wall);
	}
	return (rc);
}

double
speed_median(double *v, int n)
{
	if (n < 1)
		return (0);
	qsort(v, n, sizeof(double), cmp_double);
	return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}
