/*
 * bench/peer, the realname side: decode every photo of the faces set
 * once (product decoder at the working size; OpenCV for the one file it
 * refuses, a WebP), dump the pixels for the face-api side (so both see
 * identical pixels and neither pays for decoding), then run the face
 * pipeline: one warm-up pass, one timed pass, one thread.
 *
 * usage: bench-peer [-m models] [-d data] -o DUMP_DIR
 * Prints "realname_ms=… realname_eer=…" (ms per photo, EER percent).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "decode.h"
#include "imaging.h"

#define MAX_IMAGES	256

struct photo {
	char			file[256];
	char			identity[64];
	struct imaging_image	img;
	int			has;
	float			emb[IMAGING_EMBED_DIM];
};

static int	dump(const char *, const struct photo *);
static double	eer(const float *, int, const float *, int);
static double	cpu_ms(void);

int
main(int argc, char *argv[])
{
	static struct photo	 ph[MAX_IMAGES];
	struct imaging_limits	 lim;
	struct imaging_options	 o;
	struct imaging_error	 err;
	struct imaging_decoder	*dec;
	struct imaging_engine	*e;
	struct imaging_analysis	*a;
	struct imaging_image	 out;
	const char		*models, *data, *odir;
	char			 path[1024], line[256], *comma;
	unsigned char		*buf;
	size_t			 len;
	float			*gen, *imp;
	double			 ms, s, cpu0, cpu;
	FILE			*f, *list;
	int			 ch, n, i, j, k, pass, ng, ni, fail;

	models = getenv("REALNAME_MODELS");
	if (models == NULL)
		models = "assets/models";
	data = getenv("REALNAME_SHARED_DATA");
	if (data == NULL)
		data = "../shared/data";
	odir = NULL;
	while ((ch = getopt(argc, argv, "m:d:o:")) != -1) {
		switch (ch) {
		case 'm':
			models = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'o':
			odir = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (odir == NULL)
		goto usage;

	(void)snprintf(path, sizeof(path), "%s/faces/identities.csv", data);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "peer: cannot open %s\n", path);
		return (1);
	}
	(void)snprintf(path, sizeof(path), "%s/list.txt", odir);
	if ((list = fopen(path, "w")) == NULL) {
		fprintf(stderr, "peer: cannot write %s\n", path);
		return (1);
	}
	imaging_limits_default(&lim);
	lim.min_long_side = lim.min_short_side = 64;
	if ((dec = imaging_decoder_new(&lim)) == NULL)
		return (1);
	n = 0;
	while (fgets(line, sizeof(line), f) != NULL && n < MAX_IMAGES) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((comma = strchr(line, ',')) == NULL ||
		    strcmp(line, "file,identity") == 0)
			continue;
		*comma = '\0';
		(void)snprintf(ph[n].file, sizeof(ph[n].file), "%s", line);
		(void)snprintf(ph[n].identity, sizeof(ph[n].identity), "%s",
		    comma + 1);
		(void)snprintf(path, sizeof(path), "%s/faces/%s", data, line);
		if (bench_read_file(path, &buf, &len) == -1)
			continue;
		if (imaging_decode(dec, buf, len, lim.working_long_side, &out,
		    NULL) == 0) {
			if (bench_image_copy(&out, &ph[n].img) == -1)
				return (1);
		} else if (bench_imread(path, lim.working_long_side,
		    &ph[n].img) == -1)
			continue;
		free(buf);
		if (dump(odir, &ph[n]) == -1)
			return (1);
		fprintf(list, "%s %s\n", ph[n].file, ph[n].identity);
		n++;
	}
	fclose(f);
	if (fclose(list) == EOF)
		return (1);
	imaging_decoder_free(dec);

	imaging_options_default(&o);
	o.threads = 1;
	if ((e = imaging_engine_new(models, &o, &err)) == NULL) {
		fprintf(stderr, "peer: engine: %s\n", err.msg);
		return (1);
	}
	ms = cpu = 0;
	for (pass = 0; pass < 2; pass++) {
		ms = 0;
		cpu0 = cpu_ms();
		for (i = 0; i < n; i++) {
			a = imaging_analyse_image(e, IMAGING_SIDE_FACE,
			    &ph[i].img);
			if (a == NULL)
				continue;
			ms += a->faces_ms;
			if (pass == 1 && a->primary >= 0 &&
			    a->faces[a->primary].has_embedding) {
				ph[i].has = 1;
				memcpy(ph[i].emb, a->faces[a->primary].embedding,
				    sizeof(ph[i].emb));
			}
			imaging_analysis_free(a);
		}
		cpu = cpu_ms() - cpu0;
	}
	imaging_engine_free(e);

	gen = calloc((size_t)n * n, sizeof(float));
	imp = calloc((size_t)n * n, sizeof(float));
	if (gen == NULL || imp == NULL)
		return (1);
	ng = ni = fail = 0;
	for (i = 0; i < n; i++) {
		fail += !ph[i].has;
		for (j = i + 1; j < n; j++) {
			s = -1;
			if (ph[i].has && ph[j].has)
				for (s = 0, k = 0; k < IMAGING_EMBED_DIM; k++)
					s += (double)ph[i].emb[k] * ph[j].emb[k];
			if (strcmp(ph[i].identity, ph[j].identity) == 0)
				gen[ng++] = (float)s;
			else
				imp[ni++] = (float)s;
		}
	}
	printf("realname: threads=1 images=%d detect_fail=%d genuine=%d "
	    "impostor=%d\n", n, fail, ng, ni);
	/* CPU time too: on a loaded machine wall time is not comparable. */
	printf("realname_cpu_ms=%.2f\n", cpu / n);
	printf("realname_ms=%.2f realname_eer=%.2f\n", ms / n,
	    eer(gen, ng, imp, ni));
	free(gen);
	free(imp);
	for (i = 0; i < n; i++)
		bench_image_free(&ph[i].img);
	return (0);
usage:
	fprintf(stderr, "usage: bench-peer [-m models] [-d data] -o dir\n");
	return (1);
}

/* DIR/<file>.bgr: "W H\n" then the BGR rows, unpadded. */
static int
dump(const char *dir, const struct photo *p)
{
	char	path[1024];
	FILE	*f;
	int	y;

	(void)snprintf(path, sizeof(path), "%s/%s.bgr", dir, p->file);
	if ((f = fopen(path, "wb")) == NULL)
		return (-1);
	fprintf(f, "%d %d\n", p->img.width, p->img.height);
	for (y = 0; y < p->img.height; y++)
		(void)fwrite(p->img.pixels + (size_t)y * p->img.stride, 3,
		    (size_t)p->img.width, f);
	return (fclose(f) == EOF ? -1 : 0);
}

static double
cpu_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/* Percent; the threshold where false accepts and rejects cross. */
static double
eer(const float *gen, int ng, const float *imp, int ni)
{
	double	far, frr, best, d, out;
	float	t;
	int	k, i, acc, rej;

	best = 2;
	out = 0;
	for (k = 0; k < ng + ni; k++) {
		t = k < ng ? gen[k] : imp[k - ng];
		acc = rej = 0;
		for (i = 0; i < ni; i++)
			acc += imp[i] >= t;
		for (i = 0; i < ng; i++)
			rej += gen[i] < t;
		far = (double)acc / ni;
		frr = (double)rej / ng;
		d = fabs(far - frr);
		if (d < best) {
			best = d;
			out = 100 * (far + frr) / 2;
		}
	}
	return (out);
}
