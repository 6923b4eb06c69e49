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

int
main(int argc, char *argv[])
{
	struct accuracy_faces_result	 faces = { 0 };
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
	return (rc);
}
