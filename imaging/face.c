/*
 * Faces, the C layer.  See face.h; the measurements behind every
 * constant are in ../shared/MODELS.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face.h"

static void	sort_by_score(const float *, int *, int);
static float	clampf(float, float, float);
static int	square_inside(float, float, float, int, int,
		    struct face_cv_rect *);

const float face_arcface_ref[10] = {
	38.2946f, 51.6963f,
	73.5318f, 51.5014f,
	56.0252f, 71.7366f,
	41.5493f, 92.3655f,
	70.7299f, 92.2041f,
};

int
face_detect_post(const float *scores, const float *boxes, int n, int w,
    int h, float min_score, float iou, int *order, struct face_box *out,
    int cap)
{
	struct face_box	 cand;
	int		 i, j, k, m, kept;

	/* Candidates above the threshold, best first. */
	m = 0;
	for (i = 0; i < n; i++) {
		if (scores[i] >= min_score)
			order[m++] = i;
	}
	sort_by_score(scores, order, m);

	kept = 0;
	for (k = 0; k < m && kept < cap; k++) {
		i = order[k];
		cand.x1 = clampf(boxes[4 * i] * (float)w, 0, (float)w);
		cand.y1 = clampf(boxes[4 * i + 1] * (float)h, 0, (float)h);
		cand.x2 = clampf(boxes[4 * i + 2] * (float)w, 0, (float)w);
		cand.y2 = clampf(boxes[4 * i + 3] * (float)h, 0, (float)h);
		cand.score = scores[i];
		if (cand.x2 - cand.x1 < 1.0f || cand.y2 - cand.y1 < 1.0f)
			continue;
		for (j = 0; j < kept; j++) {
			if (face_iou(&cand, &out[j]) > iou)
				break;
		}
		if (j == kept)
			out[kept++] = cand;
	}
	return (kept);
}

float
face_iou(const struct face_box *a, const struct face_box *b)
{
	float	ix, iy, inter, ua;

	ix = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
	iy = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
	if (ix <= 0 || iy <= 0)
		return (0);
	inter = ix * iy;
	ua = (a->x2 - a->x1) * (a->y2 - a->y1) +
	    (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
	if (ua <= 0)
		return (0);
	return (inter / ua);
}

int
face_landmark_crop(const struct face_box *b, int w, int h,
    struct face_cv_rect *r)
{
	return (square_inside((b->x1 + b->x2) / 2, (b->y1 + b->y2) / 2,
	    b->y2 - b->y1, w, h, r));
}

int
face_liveness_crop(const struct face_box *b, int w, int h, float scale,
    struct face_cv_rect *r)
{
	float	side;

	side = fmaxf(b->x2 - b->x1, b->y2 - b->y1);
	if (side <= 0)
		return (-1);
	/*
	 * Like the model's training crop, shrink the scale rather than
	 * the context when the square would not fit the image.
	 */
	scale = fminf(scale, fminf((float)(w - 1), (float)(h - 1)) / side);
	return (square_inside((b->x1 + b->x2) / 2, (b->y1 + b->y2) / 2,
	    side * scale, w, h, r));
}

int
face_pose_crop(const struct face_box *b, int w, int h,
    struct face_cv_rect *r)
{
	float	bw, bh, x1, y1, x2, y2;

	bw = b->x2 - b->x1;
	bh = b->y2 - b->y1;
	x1 = clampf(b->x1 - bw / 4, 0, (float)w);
	y1 = clampf(b->y1 - bh / 4, 0, (float)h);
	x2 = clampf(b->x2 + bw / 4, 0, (float)w);
	y2 = clampf(b->y2 + bh / 4, 0, (float)h);
	r->x = (int)x1;
	r->y = (int)y1;
	r->w = (int)x2 - r->x;
	r->h = (int)y2 - r->y;
	if (r->w < 1 || r->h < 1)
		return (-1);
	return (0);
}

int
face_eye_crop(const float lm[136], int which, int w, int h,
    struct face_cv_rect *r)
{
	int	o;
	float	cx, cy, side;

	o = which ? 42 : 36;
	cx = (lm[2 * (o + 1)] + lm[2 * (o + 2)] + lm[2 * (o + 4)] +
	    lm[2 * (o + 5)]) / 4;
	cy = (lm[2 * (o + 1) + 1] + lm[2 * (o + 2) + 1] +
	    lm[2 * (o + 4) + 1] + lm[2 * (o + 5) + 1]) / 4;
	side = (lm[2 * (o + 3)] - lm[2 * o]) * 1.6f;
	if (side < 2)
		return (-1);
	return (square_inside(cx, cy, side, w, h, r));
}

void
face_landmarks_to_image(const float cu[136], const struct face_cv_rect *r,
    float px[136])
{
	int	i;

	for (i = 0; i < 68; i++) {
		px[2 * i] = (float)r->x + cu[2 * i] * (float)r->w;
		px[2 * i + 1] = (float)r->y + cu[2 * i + 1] * (float)r->h;
	}
}

void
face_five_points(const float lm[136], float f[10])
{
#define X(i)	lm[2 * (i)]
#define Y(i)	lm[2 * (i) + 1]
	f[0] = (X(37) + X(38) + X(40) + X(41)) / 4;
	f[1] = (Y(37) + Y(38) + Y(40) + Y(41)) / 4;
	f[2] = (X(43) + X(44) + X(46) + X(47)) / 4;
	f[3] = (Y(43) + Y(44) + Y(46) + Y(47)) / 4;
	f[4] = X(30);
	f[5] = Y(30);
	f[6] = (X(48) + X(60)) / 2;
	f[7] = (Y(48) + Y(60)) / 2;
	f[8] = (X(54) + X(64)) / 2;
	f[9] = (Y(54) + Y(64)) / 2;
#undef X
#undef Y
}

int
face_similarity(const float *src, const float *dst, int n, double m[6])
{
	double	sx, sy, dx, dy, px, py, qx, qy, num_a, num_b, den, a, b;
	int	i;

	if (n < 2)
		return (-1);
	sx = sy = dx = dy = 0;
	for (i = 0; i < n; i++) {
		sx += src[2 * i];
		sy += src[2 * i + 1];
		dx += dst[2 * i];
		dy += dst[2 * i + 1];
	}
	sx /= n;
	sy /= n;
	dx /= n;
	dy /= n;

	/*
	 * With both sets centred, the least-squares [a -b; b a] has
	 * a = sum(p.q) / sum(|p|^2) and b = sum(p x q) / sum(|p|^2).
	 */
	num_a = num_b = den = 0;
	for (i = 0; i < n; i++) {
		px = src[2 * i] - sx;
		py = src[2 * i + 1] - sy;
		qx = dst[2 * i] - dx;
		qy = dst[2 * i + 1] - dy;
		num_a += px * qx + py * qy;
		num_b += px * qy - py * qx;
		den += px * px + py * py;
	}
	if (!(den > 1e-9))
		return (-1);
	a = num_a / den;
	b = num_b / den;
	m[0] = a;
	m[1] = -b;
	m[2] = dx - (a * sx - b * sy);
	m[3] = b;
	m[4] = a;
	m[5] = dy - (b * sx + a * sy);
	return (0);
}

double
face_l2_normalise(float *v, int n)
{
	double	s;
	int	i;

	s = 0;
	for (i = 0; i < n; i++)
		s += (double)v[i] * v[i];
	s = sqrt(s);
	if (s > 0) {
		for (i = 0; i < n; i++)
			v[i] = (float)(v[i] / s);
	}
	return (s);
}

float
face_cosine(const float *a, const float *b, int n)
{
	double	ab, aa, bb;
	int	i;

	ab = aa = bb = 0;
	for (i = 0; i < n; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	if (aa <= 0 || bb <= 0)
		return (0);
	return ((float)(ab / sqrt(aa * bb)));
}

float
face_softmax_at(const float *l, int n, int k)
{
	double	mx, sum;
	int	i;

	mx = l[0];
	for (i = 1; i < n; i++)
		if (l[i] > mx)
			mx = l[i];
	sum = 0;
	for (i = 0; i < n; i++)
		sum += exp(l[i] - mx);
	return ((float)(exp(l[k] - mx) / sum));
}

float
face_pose_angle(const float l[FACE_CV_POSE_BINS])
{
	double	e;
	int	i;

	e = 0;
	for (i = 0; i < FACE_CV_POSE_BINS; i++)
		e += face_softmax_at(l, FACE_CV_POSE_BINS, i) * i;
	return ((float)(e * 3 - 99));
}

void
face_pose_from_landmarks(const float lm[136], float *yaw, float *pitch,
    float *roll)
{
	float	f[10], ex, ey, mx, my, c, s, nx, ny, j0, j16, eyl, mol, r, t;
	float	ang;

	face_five_points(lm, f);
	ang = atan2f(f[3] - f[1], f[2] - f[0]);
	*roll = ang * 180.0f / (float)M_PI;

	/* Undo the roll around the eye midpoint, then read ratios. */
	c = cosf(-ang);
	s = sinf(-ang);
	ex = (f[0] + f[2]) / 2;
	ey = (f[1] + f[3]) / 2;
#define RX(x, y)	(ex + c * ((x) - ex) - s * ((y) - ey))
#define RY(x, y)	(ey + s * ((x) - ex) + c * ((y) - ey))
	nx = RX(lm[60], lm[61]);
	ny = RY(lm[60], lm[61]);
	j0 = RX(lm[0], lm[1]);
	j16 = RX(lm[32], lm[33]);
	mx = (f[6] + f[8]) / 2;
	my = (f[7] + f[9]) / 2;
	mol = RY(mx, my);
	eyl = ey;
#undef RX
#undef RY

	/*
	 * Signs follow fr_pose (bench/accuracy measured a correlation of
	 * -0.95 for yaw and -0.72 for pitch before this negation): yaw > 0
	 * when the nose moves towards the image's left, pitch > 0 when the
	 * head tilts up.
	 */
	r = (j16 - j0) != 0 ? (nx - j0) / (j16 - j0) : 0.5f;
	*yaw = -asinf(clampf(2 * r - 1, -1, 1)) * 180.0f / (float)M_PI;
	/*
	 * On the ArcFace reference the nose tip sits 0.49 of the way from
	 * the eye line to the mouth; departures read as pitch.
	 */
	t = (mol - eyl) != 0 ? (ny - eyl) / (mol - eyl) : 0.49f;
	*pitch = -asinf(clampf(2 * (t - 0.49f), -1, 1)) * 180.0f /
	    (float)M_PI;
}

double
face_laplacian_var(const struct imaging_image *img,
    const struct face_cv_rect *r)
{
	const uint8_t	*p;
	double		 sum, sq, v, n;
	int		 x, y, g, gl, gr, gu, gd;

	if (r->w < 3 || r->h < 3)
		return (0);
#define GREY(px)	(((px)[0] * 29 + (px)[1] * 150 + (px)[2] * 77) >> 8)
	sum = sq = 0;
	for (y = r->y + 1; y < r->y + r->h - 1; y++) {
		for (x = r->x + 1; x < r->x + r->w - 1; x++) {
			p = img->pixels + (size_t)y * img->stride + 3 * x;
			g = GREY(p);
			gl = GREY(p - 3);
			gr = GREY(p + 3);
			gu = GREY(p - img->stride);
			gd = GREY(p + img->stride);
			v = gl + gr + gu + gd - 4 * g;
			sum += v;
			sq += v * v;
		}
	}
#undef GREY
	n = (double)(r->w - 2) * (r->h - 2);
	sum /= n;
	return (sq / n - sum * sum);
}

void
face_exposure(const struct imaging_image *img, const struct face_cv_rect *r,
    int dark, int bright, double *mean, double *dark_frac,
    double *bright_frac)
{
	const uint8_t	*p;
	double		 sum, n;
	long		 nd, nb;
	int		 x, y, g;

	sum = 0;
	nd = nb = 0;
	for (y = r->y; y < r->y + r->h; y++) {
		p = img->pixels + (size_t)y * img->stride + 3 * (size_t)r->x;
		for (x = 0; x < r->w; x++, p += 3) {
			g = (p[0] * 29 + p[1] * 150 + p[2] * 77) >> 8;
			sum += g;
			if (g <= dark)
				nd++;
			if (g >= bright)
				nb++;
		}
	}
	n = (double)r->w * r->h;
	if (n <= 0) {
		*mean = *dark_frac = *bright_frac = 0;
		return;
	}
	*mean = sum / n;
	*dark_frac = nd / n;
	*bright_frac = nb / n;
}

/* Insertion sort of indices by descending score; m is small after the cut. */
static void
sort_by_score(const float *scores, int *order, int m)
{
	int	i, j, t;

	for (i = 1; i < m; i++) {
		t = order[i];
		for (j = i; j > 0 && scores[order[j - 1]] < scores[t]; j--)
			order[j] = order[j - 1];
		order[j] = t;
	}
}

static float
clampf(float v, float lo, float hi)
{
	if (v < lo)
		return (lo);
	if (v > hi)
		return (hi);
	return (v);
}

/* A square of `side` centred on cx,cy, moved (and shrunk) to fit w x h. */
static int
square_inside(float cx, float cy, float side, int w, int h,
    struct face_cv_rect *r)
{
	int	s, x, y;

	s = (int)lrintf(side);
	if (s > w)
		s = w;
	if (s > h)
		s = h;
	if (s < 1)
		return (-1);
	x = (int)lrintf(cx - (float)s / 2);
	y = (int)lrintf(cy - (float)s / 2);
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x > w - s)
		x = w - s;
	if (y > h - s)
		y = h - s;
	r->x = x;
	r->y = y;
	r->w = s;
	r->h = s;
	return (0);
}
