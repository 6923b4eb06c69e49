/*
 * bench/speed: timings, printed, never asserted.  One thread.
 *
 * usage: bench-speed [-c] [-m models_dir] [-d shared_data_dir] [-n runs]
 * -c: the generated case only (for profiling it alone).
 * The 4000x3000 JPEG is made at run time from faces/img1.jpg (scaled
 * up and centred on a grey canvas, quality 90).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_util.h"
#include "decode.h"
#include "speed.h"

static int	cmp_double(const void *, const void *);

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
		    "4000x3000 each), %d runs: case_cpu_ms=%.1f\n", kase.runs,
		    kase.case_cpu_ms);
		printf("speed: case_ms=%.1f decode_ms=%.1f card_ms=%.1f "
		    "faces_ms=%.1f ocr_ms=%.1f\n", kase.case_ms,
		    kase.decode_ms, kase.card_ms, kase.faces_ms, kase.ocr_ms);
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
