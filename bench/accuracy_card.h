/*
 * bench/accuracy_card: the card part on generated photos (tools/gen).
 */
#ifndef BENCH_ACCURACY_CARD_H
#define BENCH_ACCURACY_CARD_H

#include <stdint.h>

struct accuracy_card_result {
	int	ran;
	int	cases;
	double	card_found;		/* percent of all cases */
	double	side;			/* percent of found cards */
	double	ocr_exact;		/* percent of clean fronts */
	double	validity_exact;		/* percent of clean backs */
	double	quality_hit;		/* percent of injected, flagged */
	double	quality_false;		/* percent of clean, any flag */
	double	match_tar_far1;		/* percent; < 0 if not measured */
	double	match_eer;		/* percent; < 0 if not measured */
};

/*
 * Generate `count` cases of set `seed`, analyse each and compare with
 * its ground truth.  `threads` workers (each with its own generator,
 * decoder and card context).  verbose: one line per case on stderr.
 * Returns 0, or -1 if the generator, OCR or models could not be opened.
 */
int	accuracy_card(const char *models_dir, const char *data_dir,
	    uint64_t seed, int count, int threads, int verbose,
	    struct accuracy_card_result *);

#endif
