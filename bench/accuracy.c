/*
 * bench/accuracy: accuracy figures, printed, never asserted.
 *
 * usage: bench-accuracy [-m models_dir] [-d shared_data_dir]
 * Defaults: $REALNAME_MODELS or ./assets/models, and
 * $REALNAME_SHARED_DATA or ../shared/data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "accuracy.h"
#include "accuracy_card.h"

int
main(int argc, char *argv[])
{
	struct accuracy_faces_result	 faces = { 0 };
	struct accuracy_card_result	 card = { 0 };
	const char			*models, *data;
	int				 ch, rc;

	models = getenv("REALNAME_MODELS");
	if (models == NULL)
		models = "assets/models";
	data = getenv("REALNAME_SHARED_DATA");
	if (data == NULL)
		data = "../shared/data";
	while ((ch = getopt(argc, argv, "m:d:")) != -1) {
		switch (ch) {
		case 'm':
			models = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		default:
			fprintf(stderr,
			    "usage: bench-accuracy [-m models] [-d data]\n");
			return (1);
		}
	}

	rc = 0;
	if (accuracy_faces(models, data, &faces) == -1)
		rc = 1;
	if (faces.ran)
		printf("accuracy-faces: faces_eer=%.2f%% "
		    "faces_tar_far1=%.2f%% faces_tar_far0.1=%.2f%% "
		    "detect_fail=%d\n", faces.eer, faces.tar_far1,
		    faces.tar_far01, faces.detect_fail);
	/* The generated set: seed 1, 300 cases (thresholds were set on 2, 3). */
	if (accuracy_card(models, data, 1, 300, 2, 0, &card) == -1)
		rc = 1;
	if (faces.ran && card.ran)
		printf("accuracy: faces_eer=%.2f%% faces_tar_far0.1=%.2f%% "
		    "card_found=%.1f%% ocr_exact=%.1f%% match_tar_far1=%.1f%% "
		    "quality_hit=%.1f%% quality_false=%.1f%%\n", faces.eer,
		    faces.tar_far01, card.card_found, card.ocr_exact,
		    card.match_tar_far1, card.quality_hit, card.quality_false);
	return (rc);
}
