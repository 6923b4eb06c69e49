/*
 * realname-inspect: the imaging pipeline's JSON for a photo, or the
 * comparison of the faces in two photos.
 *
 *	realname-inspect [--models DIR] [--threads N] --side SIDE FILE
 *	realname-inspect [--models DIR] [--threads N] [--side SIDE]
 *	    --compare A B
 *	realname-inspect [--models DIR] [--threads N] --case FRONT BACK HOLDING
 *
 * SIDE is front, back, holding or face (--compare defaults to face).
 * --case analyses the three photos of a case and scores the live face
 * and the card portrait held in the selfie against the front's portrait.
 * The models directory is --models, else $REALNAME_MODELS, else
 * ./assets/models.  JSON goes to stdout, diagnostics to stderr.
 *
 * Exit status:
 *	0	analysed (quality reasons, if any, are in the JSON)
 *	1	usage
 *	2	a file could not be read
 *	3	a photo was rejected by the decoder (typed code in "error")
 *	4	models missing or unusable
 *	5	--compare, --case: a photo has no face to compare
 *	6	internal failure (memory, the vision layer)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imaging.h"

#define EXIT_USAGE	1
#define EXIT_UNREADABLE	2
#define EXIT_REJECTED	3
#define EXIT_MODELS	4
#define EXIT_NOFACE	5
#define EXIT_INTERNAL	6

/* The largest file we read; the decoder enforces its own, lower cap. */
#define INSPECT_MAX_FILE	(256u * 1024 * 1024)

static void	usage(void);
static int	read_file(const char *, unsigned char **, size_t *);
static int	analyse_file(struct imaging_engine *, int, const char *,
		    struct imaging_analysis **);
static int	inspect_case(struct imaging_engine *, char *[3]);
static void	print_score(const char *, struct imaging_engine *,
		    const struct imaging_face *, const struct imaging_face *,
		    int *);

int
main(int argc, char *argv[])
{
	static const struct option	 longopts[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "side", required_argument, NULL, 's' },
		{ "compare", no_argument, NULL, 'c' },
		{ "case", no_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct imaging_options		 o;
	struct imaging_error		 err;
	struct imaging_engine		*e;
	struct imaging_analysis		*a, *b;
	struct imaging_comparison	 cmp;
	const char			*models;
	char				*json, *end;
	long				 threads;
	int				 ch, side, compare, whole, rc;

	models = getenv("REALNAME_MODELS");
	if (models == NULL || *models == '\0')
		models = "assets/models";
	side = -1;
	compare = whole = 0;
	threads = 1;
	while ((ch = getopt_long(argc, argv, "m:s:cCt:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			models = optarg;
			break;
		case 's':
			if ((side = imaging_side_parse(optarg)) == -1) {
				fprintf(stderr, "realname-inspect: unknown side "
				    "'%s'\n", optarg);
				usage();
				return (EXIT_USAGE);
			}
			break;
		case 'c':
			compare = 1;
			break;
		case 'C':
			whole = 1;
			break;
		case 't':
			errno = 0;
			threads = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || threads < 1 ||
			    threads > 64) {
				usage();
				return (EXIT_USAGE);
			}
			break;
		default:
			usage();
			return (EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if ((compare && whole) || (compare && argc != 2) ||
	    (whole && argc != 3) || (!compare && !whole && (argc != 1 ||
	    side == -1))) {
		usage();
		return (EXIT_USAGE);
	}
	if (side == -1)
		side = IMAGING_SIDE_FACE;

	imaging_options_default(&o);
	o.threads = (int)threads;
	if ((e = imaging_engine_new(models, &o, &err)) == NULL) {
		fprintf(stderr, "realname-inspect: %s: %s\n",
		    imaging_err_code(err.code), err.msg);
		return (err.code == IMAGING_ERR_MODEL ? EXIT_MODELS :
		    EXIT_INTERNAL);
	}

	if (whole) {
		rc = inspect_case(e, argv);
		imaging_engine_free(e);
		return (rc);
	}

	a = b = NULL;
	json = NULL;
	if ((rc = analyse_file(e, side, argv[0], &a)) != 0 &&
	    rc != EXIT_REJECTED)
		goto done;
	if (!compare) {
		json = imaging_analysis_json(a);
		goto print;
	}
	if (rc == 0 && (rc = analyse_file(e, side, argv[1], &b)) != 0 &&
	    rc != EXIT_REJECTED)
		goto done;
	if (rc == EXIT_REJECTED) {
		/* Show which photo was refused, and why. */
		json = imaging_analysis_json(b != NULL ? b : a);
		goto print;
	}
	if (imaging_compare(e, a, b, &cmp) == -1) {
		fprintf(stderr, "realname-inspect: %s\n",
		    imaging_engine_error(e));
		rc = EXIT_NOFACE;
		memset(&cmp, 0, sizeof(cmp));
		cmp.threshold = imaging_engine_options(e)->match_threshold;
	}
	json = imaging_comparison_json(&cmp, a, b);

print:
	if (json == NULL) {
		fprintf(stderr, "realname-inspect: out of memory\n");
		rc = EXIT_INTERNAL;
		goto done;
	}
	printf("%s\n", json);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "realname-inspect: write error\n");
		rc = EXIT_INTERNAL;
	}
done:
	free(json);
	imaging_analysis_free(a);
	imaging_analysis_free(b);
	imaging_engine_free(e);
	return (rc);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: realname-inspect [--models DIR] [--threads N] "
	    "--side front|back|holding|face FILE\n"
	    "       realname-inspect [--models DIR] [--threads N] "
	    "[--side SIDE] --compare A B\n"
	    "       realname-inspect [--models DIR] [--threads N] "
	    "--case FRONT BACK HOLDING\n"
	    "exit: 0 ok, 1 usage, 2 unreadable file, 3 image rejected, "
	    "4 models missing, 5 no face to compare, 6 internal error\n");
}

/*
 * The three photos of a case: each analysis, then the live face of the
 * selfie and the portrait on the card it holds, each against the
 * portrait on the front.
 */
static int
inspect_case(struct imaging_engine *e, char *paths[3])
{
	static const enum imaging_side	 sides[3] = { IMAGING_SIDE_FRONT,
	    IMAGING_SIDE_BACK, IMAGING_SIDE_HOLDING };
	struct imaging_analysis		*an[3] = { NULL, NULL, NULL };
	const struct imaging_analysis	*f, *h;
	char				*json;
	int				 i, rc, r;

	rc = 0;
	for (i = 0; i < 3; i++) {
		r = analyse_file(e, sides[i], paths[i], &an[i]);
		if (r != 0 && r != EXIT_REJECTED) {
			rc = r;
			goto done;
		}
		if (r != 0)
			rc = r;
	}
	printf("{");
	for (i = 0; i < 3; i++) {
		if ((json = imaging_analysis_json(an[i])) == NULL) {
			rc = EXIT_INTERNAL;
			goto done;
		}
		printf("\"%s\":%s,", imaging_side_name(sides[i]), json);
		free(json);
	}
	f = an[0];
	h = an[2];
	print_score("live_vs_front_portrait", e, f->primary >= 0 ?
	    &f->faces[f->primary] : NULL, h->primary >= 0 ?
	    &h->faces[h->primary] : NULL, &rc);
	printf(",");
	print_score("card_portrait_vs_front_portrait", e, f->primary >= 0 ?
	    &f->faces[f->primary] : NULL, h->card_portrait >= 0 ?
	    &h->faces[h->card_portrait] : NULL, &rc);
	printf("}\n");
	if (fflush(stdout) == EOF)
		rc = EXIT_INTERNAL;
done:
	for (i = 0; i < 3; i++)
		imaging_analysis_free(an[i]);
	return (rc);
}

/* "name":{score...} or "name":null when a face is missing (exit 5). */
static void
print_score(const char *name, struct imaging_engine *e,
    const struct imaging_face *a, const struct imaging_face *b, int *rc)
{
	struct imaging_comparison	c;

	if (a == NULL || b == NULL ||
	    imaging_compare_faces(e, a, b, &c) == -1) {
		printf("\"%s\":null", name);
		if (*rc == 0)
			*rc = EXIT_NOFACE;
		return;
	}
	printf("\"%s\":{\"score\":%.4f,\"threshold\":%.4f,"
	    "\"match\":%s}", name, c.score, c.threshold,
	    c.match ? "true" : "false");
}

/* 0, or an exit status after saying why on stderr. */
static int
analyse_file(struct imaging_engine *e, int side, const char *path,
    struct imaging_analysis **out)
{
	unsigned char	*buf;
	size_t		 len;

	*out = NULL;
	if (read_file(path, &buf, &len) == -1) {
		fprintf(stderr, "realname-inspect: %s: %s\n", path,
		    strerror(errno));
		return (EXIT_UNREADABLE);
	}
	*out = imaging_analyse(e, (enum imaging_side)side, buf, len);
	free(buf);
	if (*out == NULL) {
		fprintf(stderr, "realname-inspect: %s: %s: %s\n", path,
		    imaging_err_code(imaging_engine_errcode(e)),
		    imaging_engine_error(e));
		return (EXIT_INTERNAL);
	}
	if ((*out)->error != IMAGING_OK) {
		fprintf(stderr, "realname-inspect: %s: rejected: %s: %s\n",
		    path, imaging_err_code((*out)->error), (*out)->error_msg);
		return (EXIT_REJECTED);
	}
	return (0);
}

static int
read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE		*f;
	unsigned char	*p, *np;
	size_t		 cap, n, r;
	int		 saved;

	*buf = NULL;
	*len = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	cap = 1u << 20;
	n = 0;
	if ((p = malloc(cap)) == NULL)
		goto fail;
	for (;;) {
		r = fread(p + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			if (cap >= INSPECT_MAX_FILE) {
				errno = EFBIG;
				goto fail;
			}
			if ((np = realloc(p, cap * 2)) == NULL)
				goto fail;
			p = np;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		errno = EIO;
		goto fail;
	}
	(void)fclose(f);
	*buf = p;
	*len = n;
	return (0);
fail:
	saved = errno;
	free(p);
	(void)fclose(f);
	errno = saved;
	return (-1);
}
