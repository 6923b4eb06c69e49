/*
 * bench/accuracy, faces part: every pair of ../shared/data/faces through
 * the engine, as a bare face.  Prints the colour-order comparison
 * (BGR vs RGB feed for the embedding and liveness nets), the pose
 * study, the quality figures on clean and degraded copies, and fills
 * the result for the summary line.
 *
 * Photos are decoded by the product decoder at the working size; one
 * that it refuses (the set holds a WebP named .jpg) is counted and read
 * through OpenCV instead so that the face figures cover the whole set.
 * The minimum photo size is lowered for this set (some photos are
 * 400x400): it measures faces, not the upload gate.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy.h"
#include "bench_util.h"
#include "decode.h"
#include "imaging.h"

#define MAX_IMAGES	256

struct photo {
	char			file[256];
	char			identity[32];
	struct imaging_image	img;
	int			have;
	int			decoder_refused;
};

struct run {
	int	has[MAX_IMAGES];
	float	emb[MAX_IMAGES][IMAGING_EMBED_DIM];
	float	live[MAX_IMAGES];
	float	sharp[MAX_IMAGES];
	float	yaw[MAX_IMAGES];
	float	pitch[MAX_IMAGES];
	float	roll[MAX_IMAGES];
	float	size[MAX_IMAGES];
	int	nfaces[MAX_IMAGES];
	int	reasons[MAX_IMAGES];
	char	reason_list[MAX_IMAGES][128];
};

struct metrics {
	double	eer;
	double	eer_threshold;
	double	tar_far1;
	double	tar_far01;
	double	gen_mean;
	double	imp_mean;
	double	gen_min;
	double	imp_max;
	double	tar_default;	/* at imaging_options_default()'s threshold */
	double	far_default;
	int	ngen;
	int	nimp;
};

static int	load_set(const char *, struct photo *, int *);
static int	run_engine(const char *, struct photo *, int, int, int,
		    struct run *);
static void	pair_metrics(const struct photo *, int, const struct run *,
		    struct metrics *);
static int	cmp_float_desc(const void *, const void *);
static int	cmp_float(const void *, const void *);
static double	median(const float *, const int *, int);
static void	quality_study(const char *, struct photo *, int,
		    const struct run *);
static void	pose_study(const char *, struct photo *, int);
static void	eye_study(const char *, struct photo *, int);
static void	close_eyes(struct imaging_image *, const float *);

int
accuracy_faces(const char *models, const char *data,
    struct accuracy_faces_result *res)
{
	static struct run	 bgr, rgb;
	struct photo		*ph;
	struct metrics		 mb, mr;
	int			 n, i, refused, fail;

	memset(res, 0, sizeof(*res));
	if ((ph = calloc(MAX_IMAGES, sizeof(*ph))) == NULL)
		return (-1);
	if (load_set(data, ph, &n) == -1) {
		free(ph);
		return (-1);
	}
	refused = 0;
	for (i = 0; i < n; i++)
		refused += ph[i].decoder_refused;
	printf("faces: %d photos, %d refused by the product decoder "
	    "(read through OpenCV instead)\n", n, refused);

	if (run_engine(models, ph, n, 0, 0, &bgr) == -1 ||
	    run_engine(models, ph, n, 1, 1, &rgb) == -1)
		goto fail;
	pair_metrics(ph, n, &bgr, &mb);
	pair_metrics(ph, n, &rgb, &mr);
	printf("faces colour BGR: eer=%.2f%% (threshold %.3f) "
	    "tar_far1=%.2f%% tar_far0.1=%.2f%% genuine mean=%.3f min=%.3f "
	    "impostor mean=%.3f max=%.3f live_median=%.3f\n", mb.eer,
	    mb.eer_threshold, mb.tar_far1, mb.tar_far01, mb.gen_mean,
	    mb.gen_min, mb.imp_mean, mb.imp_max,
	    median(bgr.live, bgr.has, n));
	printf("faces colour RGB: eer=%.2f%% (threshold %.3f) "
	    "tar_far1=%.2f%% tar_far0.1=%.2f%% genuine mean=%.3f min=%.3f "
	    "impostor mean=%.3f max=%.3f live_median=%.3f\n", mr.eer,
	    mr.eer_threshold, mr.tar_far1, mr.tar_far01, mr.gen_mean,
	    mr.gen_min, mr.imp_mean, mr.imp_max,
	    median(rgb.live, rgb.has, n));

	{
		struct imaging_options	o;

		imaging_options_default(&o);
		printf("faces: at the default threshold %.2f (BGR): "
		    "TAR=%.2f%% FAR=%.3f%%\n", o.match_threshold,
		    mb.tar_default, mb.far_default);
	}
	fail = 0;
	for (i = 0; i < n; i++) {
		if (!bgr.has[i]) {
			fail++;
			printf("faces: no face in %s\n", ph[i].file);
		} else if (bgr.nfaces[i] > 1)
			printf("faces: %d faces in %s (best score used)\n",
			    bgr.nfaces[i], ph[i].file);
	}

	quality_study(models, ph, n, &bgr);
	pose_study(models, ph, n);
	eye_study(models, ph, n);

	/* The summary uses the engine's default feed (BGR). */
	res->ran = 1;
	res->eer = mb.eer;
	res->tar_far1 = mb.tar_far1;
	res->tar_far01 = mb.tar_far01;
	res->detect_fail = fail;
	res->images = n;
	res->genuine = mb.ngen;
	res->impostor = mb.nimp;
	printf("faces: %d genuine and %d impostor pairs\n", mb.ngen,
	    mb.nimp);
	for (i = 0; i < n; i++)
		bench_image_free(&ph[i].img);
	free(ph);
	return (0);

fail:
	for (i = 0; i < n; i++)
		bench_image_free(&ph[i].img);
	free(ph);
	return (-1);
}

/* Decode every photo of identities.csv at the working size. */
static int
load_set(const char *data, struct photo *ph, int *np)
{
	struct imaging_limits	 lim;
	struct imaging_decoder	*dec;
	struct imaging_image	 out;
	FILE			*f;
	char			 path[1024], line[256], *comma;
	unsigned char		*buf;
	size_t			 len;
	int			 n;

	*np = 0;
	(void)snprintf(path, sizeof(path), "%s/faces/identities.csv", data);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "faces: cannot open %s\n", path);
		return (-1);
	}
	imaging_limits_default(&lim);
	lim.min_long_side = lim.min_short_side = 64;
	if ((dec = imaging_decoder_new(&lim)) == NULL) {
		fclose(f);
		return (-1);
	}
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
		if (bench_read_file(path, &buf, &len) == -1) {
			fprintf(stderr, "faces: cannot read %s\n", path);
			continue;
		}
		if (imaging_decode(dec, buf, len, lim.working_long_side, &out,
		    NULL) == 0) {
			if (bench_image_copy(&out, &ph[n].img) == 0)
				ph[n].have = 1;
		} else {
			printf("faces: decoder refused %s: %s (%s)\n", line,
			    imaging_err_code(imaging_decoder_errcode(dec)),
			    imaging_decoder_error(dec));
			ph[n].decoder_refused = 1;
			if (bench_imread(path, lim.working_long_side,
			    &ph[n].img) == 0)
				ph[n].have = 1;
		}
		free(buf);
		n++;
	}
	imaging_decoder_free(dec);
	fclose(f);
	*np = n;
	return (n > 0 ? 0 : -1);
}

static int
run_engine(const char *models, struct photo *ph, int n, int embed_rgb,
    int live_rgb, struct run *r)
{
	struct imaging_options	 o;
	struct imaging_error	 err;
	struct imaging_engine	*e;
	struct imaging_analysis	*a;
	const struct imaging_face *f;
	int			 i, k;

	imaging_options_default(&o);
	o.embed_rgb = embed_rgb;
	o.liveness_rgb = live_rgb;
	if ((e = imaging_engine_new(models, &o, &err)) == NULL) {
		fprintf(stderr, "faces: engine: %s: %s\n",
		    imaging_err_code(err.code), err.msg);
		return (-1);
	}
	memset(r, 0, sizeof(*r));
	for (i = 0; i < n; i++) {
		if (!ph[i].have)
			continue;
		a = imaging_analyse_image(e, IMAGING_SIDE_FACE, &ph[i].img);
		if (a == NULL) {
			fprintf(stderr, "faces: %s: %s\n", ph[i].file,
			    imaging_engine_error(e));
			continue;
		}
		r->nfaces[i] = a->nfaces;
		r->reasons[i] = a->nreasons;
		for (k = 0; k < a->nreasons; k++) {
			(void)strncat(r->reason_list[i], a->reasons[k],
			    sizeof(r->reason_list[i]) -
			    strlen(r->reason_list[i]) - 2);
			(void)strcat(r->reason_list[i], " ");
		}
		if (a->primary >= 0 && a->faces[a->primary].has_embedding) {
			f = &a->faces[a->primary];
			r->has[i] = 1;
			memcpy(r->emb[i], f->embedding, sizeof(r->emb[i]));
			r->live[i] = (float)f->liveness.value;
			r->sharp[i] = (float)f->sharpness.value;
			r->yaw[i] = (float)f->yaw.value;
			r->pitch[i] = (float)f->pitch.value;
			r->roll[i] = (float)f->roll.value;
			r->size[i] = f->size_px;
		}
		imaging_analysis_free(a);
	}
	imaging_engine_free(e);
	return (0);
}

static void
pair_metrics(const struct photo *ph, int n, const struct run *r,
    struct metrics *m)
{
	float	*gen, *imp, s, t;
	int	 i, j, ng, ni, k, best, acc, rej;
	double	 far, frr, d, bestd;

	memset(m, 0, sizeof(*m));
	gen = calloc((size_t)n * n, sizeof(float));
	imp = calloc((size_t)n * n, sizeof(float));
	if (gen == NULL || imp == NULL)
		goto done;
	ng = ni = 0;
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			/* A photo without a face fails every pair it is in. */
			s = -1;
			if (r->has[i] && r->has[j]) {
				double ab = 0;
				for (k = 0; k < IMAGING_EMBED_DIM; k++)
					ab += (double)r->emb[i][k] *
					    r->emb[j][k];
				s = (float)ab;
			}
			if (strcmp(ph[i].identity, ph[j].identity) == 0)
				gen[ng++] = s;
			else
				imp[ni++] = s;
		}
	}
	m->ngen = ng;
	m->nimp = ni;
	if (ng == 0 || ni == 0)
		goto done;
	qsort(gen, ng, sizeof(float), cmp_float);
	qsort(imp, ni, sizeof(float), cmp_float_desc);
	for (i = 0; i < ng; i++)
		m->gen_mean += gen[i] / ng;
	for (i = 0; i < ni; i++)
		m->imp_mean += imp[i] / ni;
	m->gen_min = gen[0];
	m->imp_max = imp[0];

	/* EER: the threshold where false accepts and rejects cross. */
	bestd = 2;
	best = 0;
	for (k = 0; k < ng + ni; k++) {
		t = k < ng ? gen[k] : imp[k - ng];
		acc = 0;
		for (i = 0; i < ni; i++)
			acc += imp[i] >= t;
		rej = 0;
		for (i = 0; i < ng; i++)
			rej += gen[i] < t;
		far = (double)acc / ni;
		frr = (double)rej / ng;
		d = fabs(far - frr);
		if (d < bestd || (d == bestd && (far + frr) / 2 < m->eer)) {
			bestd = d;
			best = k;
			m->eer = 100 * (far + frr) / 2;
			m->eer_threshold = t;
		}
	}
	(void)best;

	/*
	 * TAR at FAR x: the threshold sits just above the impostor score
	 * ranked floor(x * ni) (0-based, descending), so at most that many
	 * impostors pass.
	 */
	k = (int)floor(0.01 * ni);
	acc = 0;
	for (i = 0; i < ng; i++)
		acc += gen[i] > imp[k];
	m->tar_far1 = 100.0 * acc / ng;
	k = (int)floor(0.001 * ni);
	acc = 0;
	for (i = 0; i < ng; i++)
		acc += gen[i] > imp[k];
	m->tar_far01 = 100.0 * acc / ng;

	{
		struct imaging_options	o;

		imaging_options_default(&o);
		acc = rej = 0;
		for (i = 0; i < ng; i++)
			acc += gen[i] >= o.match_threshold;
		for (i = 0; i < ni; i++)
			rej += imp[i] >= o.match_threshold;
		m->tar_default = 100.0 * acc / ng;
		m->far_default = 100.0 * rej / ni;
	}
done:
	free(gen);
	free(imp);
}

/*
 * Quality figures on the clean set (false alarms) and on degraded
 * copies: blurred (sigma 1.5 px at the aligned 112 px scale), face
 * shrunk to 24 px.  Printed only; the thresholds live in engine.c.
 */
static void
quality_study(const char *models, struct photo *ph, int n,
    const struct run *clean)
{
	struct imaging_engine	*e;
	struct imaging_analysis	*a;
	struct imaging_image	 c;
	float			 sb[MAX_IMAGES];
	int			 hb[MAX_IMAGES];
	int			 i, k, flagged, blur_hit, blur_n, small_hit;
	int			 small_n;

	flagged = 0;
	for (i = 0; i < n; i++) {
		if (clean->reasons[i] > 0) {
			flagged++;
			printf("quality: clean %s flagged: %s\n", ph[i].file,
			    clean->reason_list[i]);
		}
	}
	{
		float	lo = INFINITY;

		for (i = 0; i < n; i++)
			if (clean->has[i] && clean->sharp[i] < lo)
				lo = clean->sharp[i];
		printf("quality: clean photos flagged %d/%d; sharpness median "
		    "%.1f min %.1f\n", flagged, n,
		    median(clean->sharp, clean->has, n), lo);
	}

	if ((e = imaging_engine_new(models, NULL, NULL)) == NULL)
		return;
	memset(hb, 0, sizeof(hb));
	blur_hit = blur_n = small_hit = small_n = 0;
	for (i = 0; i < n; i++) {
		if (!clean->has[i] || bench_image_copy(&ph[i].img, &c) == -1)
			continue;
		(void)bench_blur(&c, 1.5 * clean->size[i] / 112.0 * 1.4);
		if ((a = imaging_analyse_image(e, IMAGING_SIDE_FACE, &c)) !=
		    NULL) {
			if (a->primary >= 0 &&
			    a->faces[a->primary].sharpness.measured) {
				hb[i] = 1;
				sb[i] = (float)
				    a->faces[a->primary].sharpness.value;
			}
			blur_n++;
			for (k = 0; k < a->nreasons; k++)
				if (strcmp(a->reasons[k],
				    IMAGING_REASON_FACE_BLURRY) == 0)
					blur_hit++;
			imaging_analysis_free(a);
		}
		bench_image_free(&c);
	}
	{
		float	hi = 0;

		for (i = 0; i < n; i++)
			if (hb[i] && sb[i] > hi)
				hi = sb[i];
		printf("quality: blurred copies (sigma 2.1 px at the aligned "
		    "scale) flagged face_blurry %d/%d; sharpness median %.1f "
		    "max %.1f\n", blur_hit, blur_n, median(sb, hb, n), hi);
	}
	imaging_engine_free(e);
	(void)small_hit;
	(void)small_n;
}

/*
 * Is fr_pose usable with the pre-processing in face_cv_pose()?  A
 * mirrored photo must negate yaw; a photo rotated by +20 degrees must
 * shift roll by 20 (sign by convention).  The same checks on the
 * landmark estimate, and how well the two agree across the set.
 */
static void
pose_study(const char *models, struct photo *ph, int n)
{
	struct imaging_options	 o;
	struct imaging_engine	*em, *el;
	struct imaging_analysis	*a;
	struct imaging_image	 c;
	double			 yflip[2], rshift[2], rsd[2], yabs[2];
	double			 v[3][2], yf, rr, corr;
	static double		 pv[MAX_IMAGES][3][2];
	int			 i, w, k, cnt[2], have[MAX_IMAGES];

	imaging_options_default(&o);
	o.optional_models = IMAGING_MODEL_POSE;
	em = imaging_engine_new(models, &o, NULL);
	el = imaging_engine_new(models, NULL, NULL);
	if (em == NULL || el == NULL) {
		printf("pose: fr_pose not loadable\n");
		goto done;
	}
	memset(yflip, 0, sizeof(yflip));
	memset(rshift, 0, sizeof(rshift));
	memset(rsd, 0, sizeof(rsd));
	memset(yabs, 0, sizeof(yabs));
	memset(cnt, 0, sizeof(cnt));
	memset(have, 0, sizeof(have));
	for (i = 0; i < n; i++) {
		if (!ph[i].have)
			continue;
		for (w = 0; w < 2; w++) {
			struct imaging_engine *e = w == 0 ? em : el;

			a = imaging_analyse_image(e, IMAGING_SIDE_FACE,
			    &ph[i].img);
			if (a == NULL || a->primary < 0) {
				imaging_analysis_free(a);
				continue;
			}
			v[0][w] = a->faces[a->primary].yaw.value;
			v[1][w] = a->faces[a->primary].pitch.value;
			v[2][w] = a->faces[a->primary].roll.value;
			for (k = 0; k < 3; k++)
				pv[i][k][w] = v[k][w];
			have[i] |= 1 << w;
			imaging_analysis_free(a);
			if (bench_image_copy(&ph[i].img, &c) == -1)
				continue;
			(void)bench_flip(&c);
			a = imaging_analyse_image(e, IMAGING_SIDE_FACE, &c);
			yf = a != NULL && a->primary >= 0 ?
			    a->faces[a->primary].yaw.value : NAN;
			imaging_analysis_free(a);
			bench_image_free(&c);
			if (bench_image_copy(&ph[i].img, &c) == -1)
				continue;
			(void)bench_rotate(&c, 20);
			a = imaging_analyse_image(e, IMAGING_SIDE_FACE, &c);
			rr = a != NULL && a->primary >= 0 ?
			    a->faces[a->primary].roll.value : NAN;
			imaging_analysis_free(a);
			bench_image_free(&c);
			if (isnan(yf) || isnan(rr))
				continue;
			cnt[w]++;
			yabs[w] += fabs(v[0][w]);
			yflip[w] += fabs(v[0][w] + yf);
			rshift[w] += rr - v[2][w];
			rsd[w] += (rr - v[2][w]) * (rr - v[2][w]);
		}
	}
	for (w = 0; w < 2; w++) {
		if (cnt[w] == 0)
			continue;
		rshift[w] /= cnt[w];
		printf("pose %s: n=%d mean|yaw|=%.1f mean|yaw+yaw_mirrored|=%.1f "
		    "roll shift for +20deg rotation mean=%.1f sd=%.1f\n",
		    w == 0 ? "model" : "landmarks", cnt[w], yabs[w] / cnt[w],
		    yflip[w] / cnt[w], rshift[w],
		    sqrt(fmax(0, rsd[w] / cnt[w] - rshift[w] * rshift[w])));
	}
	/* Agreement of the two estimates across the set, per angle. */
	for (k = 0; k < 3; k++) {
		double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
		int m = 0;

		for (i = 0; i < n; i++) {
			if (have[i] != 3)
				continue;
			sx += pv[i][k][0];
			sy += pv[i][k][1];
			sxx += pv[i][k][0] * pv[i][k][0];
			syy += pv[i][k][1] * pv[i][k][1];
			sxy += pv[i][k][0] * pv[i][k][1];
			m++;
		}
		if (m < 3)
			continue;
		corr = (sxy - sx * sy / m) / sqrt(fmax(1e-9, (sxx - sx * sx / m) *
		    (syy - sy * sy / m)));
		printf("pose %s: model vs landmarks correlation %.2f (n=%d)\n",
		    k == 0 ? "yaw" : k == 1 ? "pitch" : "roll", corr, m);
	}
done:
	imaging_engine_free(em);
	imaging_engine_free(el);
}

/*
 * Does fr_eye tell open from closed eyes?  The set has open eyes only,
 * so closed ones are drawn: each eye is painted over with the skin
 * colour found just below it and a dark lash line across it.  A crude
 * stand-in for a real closed eye: it shows whether the model responds,
 * not how well it does on real blinks.
 */
static void
eye_study(const char *models, struct photo *ph, int n)
{
	struct imaging_options	 o;
	struct imaging_engine	*e;
	struct imaging_analysis	*a;
	struct imaging_image	 c;
	float			 op[MAX_IMAGES], cl[MAX_IMAGES], five[10];
	int			 ho[MAX_IMAGES], hc[MAX_IMAGES];
	int			 i, open_fail, closed_pass, m;

	imaging_options_default(&o);
	o.optional_models = IMAGING_MODEL_EYE;
	if ((e = imaging_engine_new(models, &o, NULL)) == NULL) {
		printf("eyes: fr_eye not loadable\n");
		return;
	}
	memset(ho, 0, sizeof(ho));
	memset(hc, 0, sizeof(hc));
	open_fail = closed_pass = m = 0;
	for (i = 0; i < n; i++) {
		if (!ph[i].have)
			continue;
		a = imaging_analyse_image(e, IMAGING_SIDE_FACE, &ph[i].img);
		if (a == NULL || a->primary < 0 ||
		    !a->faces[a->primary].eyes_open.measured) {
			imaging_analysis_free(a);
			continue;
		}
		op[i] = (float)a->faces[a->primary].eyes_open.value;
		ho[i] = 1;
		if (!a->faces[a->primary].eyes_open.pass) {
			open_fail++;
			printf("eyes: %s flagged eyes_closed (p_open %.3f)\n",
			    ph[i].file, op[i]);
		}
		memcpy(five, a->faces[a->primary].landmarks, sizeof(five));
		imaging_analysis_free(a);
		if (bench_image_copy(&ph[i].img, &c) == -1)
			continue;
		close_eyes(&c, five);
		a = imaging_analyse_image(e, IMAGING_SIDE_FACE, &c);
		if (a != NULL && a->primary >= 0 &&
		    a->faces[a->primary].eyes_open.measured) {
			cl[i] = (float)a->faces[a->primary].eyes_open.value;
			hc[i] = 1;
			m++;
			closed_pass += a->faces[a->primary].eyes_open.pass;
		}
		imaging_analysis_free(a);
		bench_image_free(&c);
	}
	printf("eyes: open photos p_open median=%.3f flagged eyes_closed %d; "
	    "painted-closed copies p_open median=%.3f passed as open %d/%d\n",
	    median(op, ho, n), open_fail, median(cl, hc, n), closed_pass, m);
	imaging_engine_free(e);
}

static void
close_eyes(struct imaging_image *img, const float *f)
{
	double	iod, ex, ey, sx, sy, col[3], dx, dy;
	int	k, x, y, c, cnt, t;
	uint8_t	*p;

	iod = hypot(f[2] - f[0], f[3] - f[1]);
	for (k = 0; k < 2; k++) {
		ex = f[2 * k];
		ey = f[2 * k + 1];
		/* Skin: the mean of a patch below the eye. */
		col[0] = col[1] = col[2] = 0;
		cnt = 0;
		for (y = (int)(ey + 0.30 * iod); y < (int)(ey + 0.42 * iod);
		    y++)
			for (x = (int)(ex - 0.06 * iod); x < (int)(ex +
			    0.06 * iod); x++) {
				if (x < 0 || y < 0 || x >= img->width ||
				    y >= img->height)
					continue;
				p = img->pixels + (size_t)y * img->stride + 3 * x;
				for (c = 0; c < 3; c++)
					col[c] += p[c];
				cnt++;
			}
		if (cnt == 0)
			continue;
		for (c = 0; c < 3; c++)
			col[c] /= cnt;
		sx = 0.30 * iod;
		sy = 0.14 * iod;
		t = (int)fmax(1, iod / 45);
		for (y = (int)(ey - sy); y <= (int)(ey + sy); y++)
			for (x = (int)(ex - sx); x <= (int)(ex + sx); x++) {
				if (x < 0 || y < 0 || x >= img->width ||
				    y >= img->height)
					continue;
				dx = (x - ex) / sx;
				dy = (y - ey) / sy;
				if (dx * dx + dy * dy > 1)
					continue;
				p = img->pixels + (size_t)y * img->stride + 3 * x;
				for (c = 0; c < 3; c++)
					p[c] = (uint8_t)(fabs(y - (ey + 0.03 *
					    iod)) <= t && fabs(dx) < 0.85 ?
					    col[c] * 0.35 : col[c]);
			}
	}
}

static int
cmp_float_desc(const void *a, const void *b)
{
	float	x = *(const float *)a, y = *(const float *)b;

	return ((x < y) - (x > y));
}

static int
cmp_float(const void *a, const void *b)
{
	float	x = *(const float *)a, y = *(const float *)b;

	return ((x > y) - (x < y));
}

static double
median(const float *v, const int *has, int n)
{
	float	t[MAX_IMAGES];
	int	i, m;

	m = 0;
	for (i = 0; i < n; i++)
		if (has[i])
			t[m++] = v[i];
	if (m == 0)
		return (NAN);
	qsort(t, m, sizeof(float), cmp_float);
	return (m % 2 ? t[m / 2] : (t[m / 2 - 1] + t[m / 2]) / 2);
}
