/*
 * realname-gen: write synthetic ID-card photos and their ground truth.
 *
 *	realname-gen --seed N --count N --out DIR [--kind front|back|holding]
 *	    [--degrade none|blur|glare|card_cut_off|card_too_small|
 *	    multiple_cards] [--long-side PX] [--no-exif] [--data DIR]
 *	    [--font FILE] [--start I] [--preview]
 *
 * --preview also writes DIR/case-NNNNN.png, the photo upright (as a viewer
 * applying its EXIF orientation shows it) and scaled to 1000 px, to look at.
 * Case i becomes DIR/case-NNNNN.jpg and DIR/case-NNNNN.json.  The same
 * seed and options always give the same files.  Exit 0 on success, 1 on
 * a usage error, 2 when a case could not be made or written.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cv/card_cv.h"
#include "gen.h"

#ifndef GEN_DEFAULT_DATA
#define GEN_DEFAULT_DATA	"../shared/data"
#endif
#define GEN_DEFAULT_FONT \
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

static void
usage(void)
{
	fprintf(stderr, "usage: realname-gen --seed N --count N --out DIR "
	    "[--kind front|back|holding] [--degrade none|blur|glare|"
	    "card_cut_off|card_too_small|multiple_cards] [--long-side PX] "
	    "[--no-exif] [--data DIR] [--font FILE] [--start I] "
	    "[--preview]\n");
	exit(1);
}

static long
number(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		usage();
	return (v);
}

/* Read back the JPEG at `path` (upright) and write a small PNG beside it. */
static int
write_preview(const char *path, const char *png)
{
	struct card_cv_mat	full, small;
	double			s;
	int			rc;

	if (card_cv_read(path, &full) == -1)
		return (-1);
	s = 1000.0 / (full.width > full.height ? full.width : full.height);
	if (card_cv_mat_alloc(&small, (int)(full.width * s),
	    (int)(full.height * s), full.channels) == -1) {
		card_cv_mat_free(&full);
		return (-1);
	}
	rc = card_cv_resize(&full, &small, CARD_CV_INTER_AREA);
	if (rc == 0)
		rc = card_cv_write_png(png, &small);
	card_cv_mat_free(&full);
	card_cv_mat_free(&small);
	return (rc);
}

static int
write_file(const char *path, const void *buf, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL)
		return (-1);
	if (fwrite(buf, 1, len, f) != len) {
		(void)fclose(f);
		return (-1);
	}
	return (fclose(f) == 0 ? 0 : -1);
}

int
main(int argc, char *argv[])
{
	struct gen_options	 o;
	struct gen		*g;
	const char		*out = NULL, *data, *font = GEN_DEFAULT_FONT;
	char			 err[256], path[PATH_MAX], json[4096];
	long			 seed = -1, count = -1, start = 0, i;
	char			 png[PATH_MAX];
	int			 a, b, rc = 0, preview = 0;

	gen_options_default(&o);
	data = getenv("REALNAME_SHARED_DATA");
	if (data == NULL)
		data = GEN_DEFAULT_DATA;
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--no-exif") == 0) {
			o.exif = 0;
			continue;
		}
		if (strcmp(argv[a], "--preview") == 0) {
			preview = 1;
			continue;
		}
		if (a + 1 >= argc)
			usage();
		if (strcmp(argv[a], "--seed") == 0)
			seed = number(argv[++a]);
		else if (strcmp(argv[a], "--count") == 0)
			count = number(argv[++a]);
		else if (strcmp(argv[a], "--start") == 0)
			start = number(argv[++a]);
		else if (strcmp(argv[a], "--out") == 0)
			out = argv[++a];
		else if (strcmp(argv[a], "--data") == 0)
			data = argv[++a];
		else if (strcmp(argv[a], "--font") == 0)
			font = argv[++a];
		else if (strcmp(argv[a], "--long-side") == 0)
			o.long_side = (int)number(argv[++a]);
		else if (strcmp(argv[a], "--kind") == 0) {
			a++;
			if (strcmp(argv[a], "front") == 0)
				o.kind = GEN_KIND_FRONT;
			else if (strcmp(argv[a], "back") == 0)
				o.kind = GEN_KIND_BACK;
			else if (strcmp(argv[a], "holding") == 0)
				o.kind = GEN_KIND_HOLDING;
			else
				usage();
		} else if (strcmp(argv[a], "--degrade") == 0) {
			a++;
			if (strcmp(argv[a], "none") == 0)
				o.degrade = 0;
			else {
				for (b = 0; b < GEN_DEG_COUNT; b++)
					if (strcmp(argv[a],
					    gen_degradation_name(1 << b)) == 0)
						break;
				if (b == GEN_DEG_COUNT)
					usage();
				o.degrade = 1 << b;
			}
		} else
			usage();
	}
	if (seed < 0 || count < 0 || out == NULL)
		usage();
	if (o.long_side != 0 && (o.long_side < 640 || o.long_side > 8000)) {
		fprintf(stderr, "realname-gen: --long-side must be 640..8000\n");
		return (1);
	}
	if (mkdir(out, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "realname-gen: %s: %s\n", out, strerror(errno));
		return (2);
	}
	if ((g = gen_open(data, font, err, sizeof(err))) == NULL) {
		fprintf(stderr, "realname-gen: %s\n", err);
		return (2);
	}
	for (i = start; i < start + count; i++) {
		struct gen_case	c;

		if (gen_make(g, (uint64_t)seed, (int)i, &o, &c, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "realname-gen: case %ld: %s\n", i, err);
			rc = 2;
			break;
		}
		(void)snprintf(path, sizeof(path), "%s/case-%05ld.jpg", out, i);
		if (write_file(path, c.jpeg, c.len) == -1 ||
		    gen_truth_json(&c.truth, json, sizeof(json)) == -1) {
			fprintf(stderr, "realname-gen: %s: cannot write\n",
			    path);
			gen_case_free(&c);
			rc = 2;
			break;
		}
		(void)snprintf(png, sizeof(png), "%s/case-%05ld.png", out, i);
		if (preview && write_preview(path, png) == -1) {
			fprintf(stderr, "realname-gen: %s: cannot preview\n",
			    png);
			gen_case_free(&c);
			rc = 2;
			break;
		}
		(void)snprintf(path, sizeof(path), "%s/case-%05ld.json", out,
		    i);
		(void)strncat(json, "\n", sizeof(json) - strlen(json) - 1);
		if (write_file(path, json, strlen(json)) == -1) {
			fprintf(stderr, "realname-gen: %s: cannot write\n",
			    path);
			gen_case_free(&c);
			rc = 2;
			break;
		}
		gen_case_free(&c);
	}
	gen_close(g);
	return (rc);
}
