/*
 * bench/accuracy: each part measures its own set and prints its lines;
 * main() runs the parts and prints the summary.  The card / generated
 * set part is added beside accuracy_faces.c by the card work.
 */
#ifndef BENCH_ACCURACY_H
#define BENCH_ACCURACY_H

struct accuracy_faces_result {
	int	ran;
	double	eer;		/* percent */
	double	tar_far1;	/* percent */
	double	tar_far01;	/* percent */
	int	detect_fail;
	int	images;
	int	genuine;
	int	impostor;
};

/*
 * All pairs of data_dir/faces (identities.csv) through the engine.
 * Returns 0, or -1 if the set or the models could not be read.
 */
int	accuracy_faces(const char *models_dir, const char *data_dir,
	    struct accuracy_faces_result *);

#endif
