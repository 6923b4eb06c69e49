/*
 * bench/speed: each part times its own stages on the same large JPEG
 * and fills its figures; main() prints the summary line.  The card and
 * OCR parts are added beside speed_faces.c by the card work.
 */
#ifndef BENCH_SPEED_H
#define BENCH_SPEED_H

#include <stddef.h>

struct speed_faces_result {
	int	ran;
	int	runs;
	double	decode_ms;	/* median, 4000x3000 JPEG to working size */
	double	faces_ms;	/* median, detect+landmarks+embed+liveness */
	double	faces_640_ms;	/* median, the same on a 640 px photo */
};

/*
 * Time the face pipeline `runs` times on `jpeg` (and on a 640 px
 * version of `photo_path`), one engine, one thread.
 */
int	speed_faces(const char *models_dir, const unsigned char *jpeg,
	    size_t len, const char *photo_path, int runs,
	    struct speed_faces_result *);

/*
 * The figures of a whole three-photo case: sums over its photos.  Each
 * is the median over the runs of its own; the stages need not add up to
 * the case (medians of parts are not parts of the median, and the case
 * also frees and allocates between stages).
 */
struct speed_figures {
	double	case_ms;	/* all three photos */
	double	decode_ms;
	double	faces_ms;	/* faces, with the finer portrait region */
	double	card_ms;	/* card find + OCR */
	double	ocr_ms;		/* the OCR part of card_ms */
};

struct speed_case_result {
	int			ran;
	int			runs;
	struct speed_figures	wall;	/* CLOCK_MONOTONIC */
	struct speed_figures	cpu;	/* CLOCK_THREAD_CPUTIME_ID */
};

int	speed_case(const char *models_dir, const char *data_dir, int runs,
	    struct speed_case_result *);

double	speed_median(double *, int);

#endif
