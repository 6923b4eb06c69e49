/*
 * bench/accuracy_card: the card part against generated ground truth.
 *
 * Each case is generated in memory (tools/gen, seed and index), decoded
 * at the working size like the service does, analysed, and compared:
 * - card found: an outline whose corners are all within 3% of the card's
 *   width of the true ones (either card when there are two);
 * - side: of the cards found;
 * - number OCR exact: the 18 characters, on fronts without degradation;
 * - validity exact: the whole period, on backs without degradation;
 * - quality: for each injected degradation, whether its reason was raised
 *   (hit), and on photos without any, whether any card reason was raised
 *   (false alarm);
 * - live face against card portrait in holding selfies, through the
 *   faces engine when its models load: TAR at FAR 1% and EER.
 * Figures are printed, never asserted.  Thresholds and search choices in
 * imaging/card.c and imaging/cv/card_cv.cpp were set on seeds 2 and 3;
 * the default set here, seed 1, judges them.  card_ms_mean is the wall
 * time per photo of decode, the selfie's face hint and the card part;
 * card_cpu_ms_mean the same in the worker thread's CPU time.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "card.h"
#include "decode.h"
#include "gen.h"
#include "imaging.h"

#include "accuracy_card.h"

#define FONT_PATH	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

struct rec {
	int	done;
	int	kind;
	int	side_truth;
	int	deg;
	int	found;
	int	quad_ok;
	double	quad_err;	/* card widths */
	int	side;
	double	side_conf;
	int	number_exact;
	int	validity_exact;
	int	flags;		/* GEN_DEG_* bits raised */
	int	not_found_flag;
	double	sharp;
	double	glare;
	double	area;
	double	margin;
	int	holding;
	int	genuine;
	int	have_score;
	double	score;
	double	ms;
	double	cpu_ms;		/* the same span in this thread's CPU time */
};

struct job {
	const char	*models;
	const char	*data;
	uint64_t	 seed;
	int		 count;
	int		 verbose;
	int		 faces;		/* engine usable */
	pthread_mutex_t	 lock;
	int		 next;
	int		 failed;
	struct rec	*recs;
};

static double
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/* This thread's CPU time: wall time on a shared machine says little. */
static double
cpu_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/*
 * Worst corner error over the card's width.  Corners the photo does not
 * show (a cut-off card) can only be guessed, so they are not judged.
 */
static double
quad_error(const struct imaging_card_result *r, double s, const double *q,
    int width, int height)
{
	double	w, e = 0;
	int	i, seen = 0;

	w = hypot(q[2] - q[0], q[3] - q[1]);
	for (i = 0; i < 4; i++) {
		if (q[2 * i] < 0 || q[2 * i + 1] < 0 || q[2 * i] > width ||
		    q[2 * i + 1] > height)
			continue;
		seen++;
		e = fmax(e, hypot(r->quad[i].x / s - q[2 * i],
		    r->quad[i].y / s - q[2 * i + 1]));
	}
	if (seen == 0)
		return (1);
	return (e / w);
}

static int
reason_bits(const struct imaging_card_result *r, int *not_found)
{
	int	i, b, bits = 0;

	*not_found = 0;
	for (i = 0; i < r->nreasons; i++) {
		if (strcmp(r->reasons[i], IMAGING_CARD_REASON_NOT_FOUND) == 0)
			*not_found = 1;
		for (b = 0; b < GEN_DEG_COUNT; b++)
			if (strcmp(r->reasons[i],
			    gen_degradation_name(1 << b)) == 0)
				bits |= 1 << b;
	}
	return (bits);
}

static int
in_quad(const struct imaging_card_point q[4], double x, double y)
{
	int	i, pos = 0, neg = 0;

	for (i = 0; i < 4; i++) {
		double	z = (q[(i + 1) % 4].x - q[i].x) * (y - q[i].y) -
		    (q[(i + 1) % 4].y - q[i].y) * (x - q[i].x);

		if (z > 0)
			pos++;
		else if (z < 0)
			neg++;
	}
	return (pos == 0 || neg == 0);
}

/*
 * Live face (the best outside the card) against the card's portrait.
 * The portrait is small at working size, so its region is decoded again
 * at full resolution, as the service does, and analysed as a bare face.
 * `img` belongs to `dec` and is gone after the region decode.
 */
static void
score_holding(struct imaging_engine *eng, struct imaging_decoder *dec,
    const struct gen_case *c, const struct imaging_image *img,
    const struct imaging_card_result *r, struct rec *rec)
{
	struct imaging_analysis	*a, *b = NULL;
	struct imaging_image	 pimg;
	struct imaging_rect	 box;
	double			 sx, sy, x0, y0, x1, y1, mx, my;
	int			 i, live = -1, port = -1;

	if ((a = imaging_analyse_image(eng, IMAGING_SIDE_HOLDING,
	    img)) == NULL)
		return;
	sx = a->width > 0 ? (double)img->width / a->width : 1;
	sy = a->height > 0 ? (double)img->height / a->height : 1;
	for (i = 0; i < a->nfaces; i++) {
		const struct imaging_face *f = &a->faces[i];
		double	cx = (f->box[0] + f->box[2]) / 2 * sx;
		double	cy = (f->box[1] + f->box[3]) / 2 * sy;

		if (!f->has_embedding || (r->found && in_quad(r->quad, cx, cy)))
			continue;
		if (live < 0 || f->score > a->faces[live].score)
			live = i;
	}
	if (live < 0 || !r->found)
		goto done;
	x0 = y0 = 1e9;
	x1 = y1 = -1e9;
	for (i = 0; i < 4; i++) {
		x0 = fmin(x0, r->portrait_image[i].x);
		y0 = fmin(y0, r->portrait_image[i].y);
		x1 = fmax(x1, r->portrait_image[i].x);
		y1 = fmax(y1, r->portrait_image[i].y);
	}
	mx = (x1 - x0) * 0.15;
	my = (y1 - y0) * 0.15;
	box.x = (int)fmax(0, x0 - mx);
	box.y = (int)fmax(0, y0 - my);
	box.width = (int)fmin(img->width, x1 + mx) - box.x;
	box.height = (int)fmin(img->height, y1 + my) - box.y;
	if (box.width < 8 || box.height < 8)
		goto done;
	if (imaging_decode_region(dec, c->jpeg, c->len, img->width,
	    img->height, &box, 0, &pimg, NULL) == -1)
		goto done;
	if ((b = imaging_analyse_image(eng, IMAGING_SIDE_FACE,
	    &pimg)) == NULL)
		goto done;
	for (i = 0; i < b->nfaces; i++)
		if (b->faces[i].has_embedding && (port < 0 ||
		    b->faces[i].score > b->faces[port].score))
			port = i;
	if (port >= 0) {
		rec->have_score = 1;
		rec->score = imaging_face_score(&a->faces[live],
		    &b->faces[port]);
	}
done:
	imaging_analysis_free(a);
	if (b != NULL)
		imaging_analysis_free(b);
}

/* The faces the detector finds in the working image, as a card hint. */
static int
face_hint(struct imaging_engine *eng, const struct imaging_image *img,
    struct imaging_card_hint *h)
{
	struct imaging_analysis	*a;
	int			 i;

	memset(h, 0, sizeof(*h));
	/* As the engine does: the card part may ask for faces again. */
	h->detect = imaging_detect_boxes;
	h->detect_arg = eng;
	if ((a = imaging_analyse_image(eng, IMAGING_SIDE_FACE, img)) == NULL)
		return (-1);
	for (i = 0; i < a->nfaces && i < IMAGING_CARD_MAX_HINT_FACES; i++) {
		h->faces[i].x = a->faces[i].box[0];
		h->faces[i].y = a->faces[i].box[1];
		h->faces[i].w = a->faces[i].box[2] - a->faces[i].box[0];
		h->faces[i].h = a->faces[i].box[3] - a->faces[i].box[1];
		h->nfaces++;
	}
	imaging_analysis_free(a);
	return (0);
}

static void *
worker(void *arg)
{
	struct job		*j = arg;
	struct gen		*g;
	struct imaging_decoder	*dec;
	struct imaging_card_ctx	*cc;
	struct imaging_engine	*eng = NULL;
	struct imaging_error	 err;
	char			 msg[256];

	g = gen_open(j->data, FONT_PATH, msg, sizeof(msg));
	dec = imaging_decoder_new(NULL);
	cc = imaging_card_new(NULL, NULL, &err);
	if (j->faces)
		eng = imaging_engine_new(j->models, NULL, &err);
	if (g == NULL || dec == NULL || cc == NULL) {
		fprintf(stderr, "accuracy-card: cannot open the generator, "
		    "decoder or card context\n");
		pthread_mutex_lock(&j->lock);
		j->failed = 1;
		pthread_mutex_unlock(&j->lock);
		goto done;
	}
	for (;;) {
		struct gen_case		 c;
		struct imaging_image	 img;
		struct imaging_decode_info info;
		struct imaging_card_result r;
		struct imaging_card_hint hint, *hp;
		struct rec		*rec;
		double			 t0, c0, s, e2;
		int			 i, expected;
		char			 val[64];

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->count)
			break;
		rec = &j->recs[i];
		if (gen_make(g, j->seed, i, NULL, &c, msg, sizeof(msg)) == -1) {
			fprintf(stderr, "accuracy-card: case %d: %s\n", i, msg);
			continue;
		}
		t0 = now_ms();
		c0 = cpu_ms();
		if (imaging_decode(dec, c.jpeg, c.len, 1600, &img,
		    &info) == -1) {
			fprintf(stderr, "accuracy-card: case %d: decode: %s\n",
			    i, imaging_decoder_error(dec));
			gen_case_free(&c);
			continue;
		}
		expected = c.truth.kind == GEN_KIND_BACK ?
		    IMAGING_CARD_EXPECT_BACK : c.truth.kind ==
		    GEN_KIND_HOLDING ? IMAGING_CARD_EXPECT_HOLDING :
		    IMAGING_CARD_EXPECT_FRONT;
		/*
		 * A selfie's faces are found first, as the engine does, and
		 * tell the card part where to look.
		 */
		hp = NULL;
		if (expected == IMAGING_CARD_EXPECT_HOLDING && eng != NULL &&
		    face_hint(eng, &img, &hint) == 0)
			hp = &hint;
		if (imaging_card_analyse_hint(cc, &img, expected, hp,
		    &r) == -1) {
			fprintf(stderr, "accuracy-card: case %d: %s\n", i,
			    imaging_card_error(cc));
			gen_case_free(&c);
			continue;
		}
		rec->ms = now_ms() - t0;
		rec->cpu_ms = cpu_ms() - c0;
		rec->kind = c.truth.kind;
		rec->side_truth = c.truth.side;
		rec->deg = c.truth.degradations;
		rec->found = r.found;
		s = (double)img.width / c.truth.width;
		if (r.found) {
			rec->quad_err = quad_error(&r, s, c.truth.quad,
			    c.truth.width, c.truth.height);
			/* Two cards: either may be the one found. */
			if (rec->deg & GEN_DEG_MULTIPLE) {
				e2 = quad_error(&r, s, c.truth.quad2,
				    c.truth.width, c.truth.height);
				if (e2 < rec->quad_err) {
					rec->quad_err = e2;
					rec->side_truth = c.truth.second_side;
				}
			}
			rec->quad_ok = rec->quad_err <= 0.03;
		}
		rec->side = r.side;
		rec->side_conf = r.side_confidence;
		rec->number_exact = r.number_read &&
		    strcmp(r.number, c.truth.number) == 0;
		(void)snprintf(val, sizeof(val), "%s-%s", r.valid_from,
		    r.valid_to);
		rec->validity_exact = r.validity_read &&
		    strcmp(val, c.truth.validity) == 0;
		rec->flags = reason_bits(&r, &rec->not_found_flag);
		rec->sharp = r.sharpness.value;
		rec->glare = r.glare.value;
		rec->area = r.area.value;
		rec->margin = r.margin.value;
		rec->holding = c.truth.kind == GEN_KIND_HOLDING;
		rec->genuine = c.truth.genuine;
		if (rec->holding && eng != NULL)
			score_holding(eng, dec, &c, &img, &r, rec);
		rec->done = 1;
		if (j->verbose)
			fprintf(stderr, "case %4d kind=%d deg=%02x found=%d "
			    "qerr=%.3f side=%d/%d conf=%.2f sharp=%.3f "
			    "glare=%.4f area=%.3f margin=%.4f flags=%02x "
			    "num=%d val=%d [%s|%s] score=%.3f g=%d ms=%.0f "
			    "cpu=%.0f\n",
			    i, rec->kind, rec->deg, rec->found, rec->quad_err,
			    rec->side, rec->side_truth, rec->side_conf,
			    rec->sharp, rec->glare, rec->area, rec->margin,
			    rec->flags, rec->number_exact,
			    rec->validity_exact, val, c.truth.validity,
			    rec->have_score ? rec->score : -9.0,
			    rec->genuine, rec->ms, rec->cpu_ms);
		gen_case_free(&c);
	}
done:
	imaging_engine_free(eng);
	imaging_card_free(cc);
	imaging_decoder_free(dec);
	gen_close(g);
	return (NULL);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/* TAR at FAR 1% and EER from genuine and impostor scores. */
static void
match_rates(const double *gen, int ng, const double *imp, int ni,
    double *tar, double *eer)
{
	double	*s, thr, best = 2;
	int	 i, k, n;

	*tar = *eer = -1;
	if (ng == 0 || ni == 0)
		return;
	if ((s = malloc(sizeof(double) * ni)) == NULL)
		return;
	memcpy(s, imp, sizeof(double) * ni);
	qsort(s, ni, sizeof(double), cmp_double);
	/* The smallest threshold with at most 1% of impostors at or above. */
	k = (int)floor(ni * 0.99);
	if (k >= ni)
		k = ni - 1;
	thr = s[k] + 1e-6;
	for (i = 0, n = 0; i < ng; i++)
		if (gen[i] >= thr)
			n++;
	*tar = 100.0 * n / ng;
	for (thr = -1; thr <= 1; thr += 0.001) {
		int	fa = 0, fr = 0;
		double	far, frr;

		for (i = 0; i < ni; i++)
			if (imp[i] >= thr)
				fa++;
		for (i = 0; i < ng; i++)
			if (gen[i] < thr)
				fr++;
		far = (double)fa / ni;
		frr = (double)fr / ng;
		if (fabs(far - frr) < best) {
			best = fabs(far - frr);
			*eer = 100.0 * (far + frr) / 2;
		}
	}
	free(s);
}

static double
pct(int a, int b)
{
	return (b > 0 ? 100.0 * a / b : 0);
}

int
accuracy_card(const char *models_dir, const char *data_dir, uint64_t seed,
    int count, int threads, int verbose, struct accuracy_card_result *out)
{
	struct job		 j;
	struct imaging_engine	*eng;
	struct imaging_error	 err;
	pthread_t		 th[16];
	double			*gs, *is;
	int			 i, b, t, nt, ng = 0, ni = 0, done = 0;
	int			 found = 0, nfound = 0, side_ok = 0;
	int			 fronts = 0, num_ok = 0, backs = 0, val_ok = 0;
	int			 inj[GEN_DEG_COUNT] = { 0 };
	int			 hit[GEN_DEG_COUNT] = { 0 };
	int			 falsed[GEN_DEG_COUNT] = { 0 };
	int			 clean = 0, clean_flag = 0, inj_all = 0;
	int			 hit_all = 0, holdings = 0, scored = 0;
	int			 photos = 0, photos_found = 0, hold_found = 0;
	double			 ms = 0, cpu = 0;

	memset(out, 0, sizeof(*out));
	out->match_tar_far1 = out->match_eer = -1;
	memset(&j, 0, sizeof(j));
	j.models = models_dir;
	j.data = data_dir;
	j.seed = seed;
	j.count = count;
	j.verbose = verbose;
	if ((eng = imaging_engine_new(models_dir, NULL, &err)) != NULL) {
		j.faces = 1;
		imaging_engine_free(eng);
	} else
		fprintf(stderr, "accuracy-card: faces engine not usable (%s); "
		    "no match figures\n", err.msg);
	j.recs = calloc((size_t)count, sizeof(struct rec));
	gs = calloc((size_t)count + 1, sizeof(double));
	is = calloc((size_t)count + 1, sizeof(double));
	if (j.recs == NULL || gs == NULL || is == NULL) {
		free(j.recs);
		free(gs);
		free(is);
		return (-1);
	}
	pthread_mutex_init(&j.lock, NULL);
	nt = threads < 1 ? 1 : threads > 16 ? 16 : threads;
	for (t = 0; t < nt; t++)
		if (pthread_create(&th[t], NULL, worker, &j) != 0)
			break;
	nt = t;
	for (t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&j.lock);

	for (i = 0; i < count; i++) {
		struct rec	*r = &j.recs[i];

		if (!r->done)
			continue;
		done++;
		ms += r->ms;
		cpu += r->cpu_ms;
		if (r->found && r->quad_ok) {
			found++;
			nfound++;
			if (r->side == r->side_truth)
				side_ok++;
		}
		if (r->kind == GEN_KIND_HOLDING)
			hold_found += r->found && r->quad_ok;
		else {
			photos++;
			photos_found += r->found && r->quad_ok;
		}
		if (r->kind == GEN_KIND_FRONT && r->deg == 0) {
			fronts++;
			num_ok += r->number_exact;
		}
		if (r->kind == GEN_KIND_BACK && r->deg == 0) {
			backs++;
			val_ok += r->validity_exact;
		}
		if (r->holding) {
			holdings++;
			if (r->have_score)
				scored++;
			if (r->genuine)
				gs[ng++] = r->have_score ? r->score : -1;
			else
				is[ni++] = r->have_score ? r->score : -1;
			continue;
		}
		if (r->deg == 0) {
			clean++;
			if (r->flags != 0 || r->not_found_flag)
				clean_flag++;
			for (b = 0; b < GEN_DEG_COUNT; b++)
				if (r->flags & (1 << b))
					falsed[b]++;
			continue;
		}
		for (b = 0; b < GEN_DEG_COUNT; b++)
			if (r->deg & (1 << b)) {
				inj[b]++;
				inj_all++;
				if (r->flags & (1 << b)) {
					hit[b]++;
					hit_all++;
				}
			}
	}
	out->ran = done > 0;
	out->cases = done;
	out->card_found = pct(found, done);
	out->side = pct(side_ok, nfound);
	out->ocr_exact = pct(num_ok, fronts);
	out->validity_exact = pct(val_ok, backs);
	out->quality_hit = pct(hit_all, inj_all);
	out->quality_false = pct(clean_flag, clean);
	if (j.faces)
		match_rates(gs, ng, is, ni, &out->match_tar_far1,
		    &out->match_eer);
	printf("accuracy-card: seed=%llu cases=%d card_ms_mean=%.1f "
	    "card_cpu_ms_mean=%.1f clean_fronts=%d clean_backs=%d "
	    "holding=%d (faces scored %d, genuine %d, impostor %d)\n",
	    (unsigned long long)seed, done, done ? ms / done : 0,
	    done ? cpu / done : 0, fronts, backs, holdings, scored, ng, ni);
	for (b = 0; b < GEN_DEG_COUNT; b++)
		printf("accuracy-card: %-15s hit=%d/%d (%.1f%%) "
		    "false_on_clean=%d/%d (%.1f%%)\n", gen_degradation_name(1 << b),
		    hit[b], inj[b], pct(hit[b], inj[b]), falsed[b], clean,
		    pct(falsed[b], clean));
	printf("accuracy-card: found in front/back photos %d/%d (%.1f%%), "
	    "in holding selfies %d/%d (%.1f%%)\n", photos_found, photos,
	    pct(photos_found, photos), hold_found, holdings,
	    pct(hold_found, holdings));
	if (out->match_eer >= 0)
		printf("accuracy-card: match_eer=%.2f%%\n", out->match_eer);
	free(j.recs);
	free(gs);
	free(is);
	return (j.failed ? -1 : 0);
}

#ifdef ACCURACY_CARD_MAIN
/*
 * usage: bench-accuracy-card [-s seed] [-n count] [-j threads] [-v]
 *     [-m models_dir] [-d shared_data_dir]
 * Defaults: seed 1, 300 cases, 2 threads.
 */
int
main(int argc, char *argv[])
{
	struct accuracy_card_result	 r;
	const char			*models, *data;
	unsigned long long		 seed = 1;
	int				 ch, count = 300, threads = 2;
	int				 verbose = 0, rc;

	models = getenv("REALNAME_MODELS");
	if (models == NULL)
		models = "assets/models";
	data = getenv("REALNAME_SHARED_DATA");
	if (data == NULL)
		data = "../shared/data";
	while ((ch = getopt(argc, argv, "s:n:j:vm:d:")) != -1) {
		switch (ch) {
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'j':
			threads = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'm':
			models = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench-accuracy-card [-s seed] "
			    "[-n count] [-j threads] [-v] [-m models] "
			    "[-d data]\n");
			return (1);
		}
	}
	if (count < 1)
		count = 1;
	/*
	 * Tesseract's OpenMP threads spin against our worker threads and
	 * make each line several times slower; libgomp reads the limit
	 * only at load, hence the re-exec.
	 */
	if (getenv("OMP_THREAD_LIMIT") == NULL) {
		(void)setenv("OMP_THREAD_LIMIT", "1", 1);
		(void)execv("/proc/self/exe", argv);
	}
	rc = accuracy_card(models, data, seed, count, threads, verbose, &r);
	if (!r.ran)
		return (1);
	printf("accuracy-card: card_found=%.1f%% side=%.1f%% "
	    "ocr_exact=%.1f%% validity_exact=%.1f%% quality_hit=%.1f%% "
	    "quality_false=%.1f%% match_tar_far1=", r.card_found, r.side,
	    r.ocr_exact, r.validity_exact, r.quality_hit, r.quality_false);
	if (r.match_tar_far1 >= 0)
		printf("%.1f%%\n", r.match_tar_far1);
	else
		printf("n/a\n");
	return (rc == 0 ? 0 : 1);
}
#endif
