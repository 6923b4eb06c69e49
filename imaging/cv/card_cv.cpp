/*
 * OpenCV side of the card work; see card_cv.h.  Every entry point
 * catches every exception: nothing C++ crosses into C.
 */
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "card_cv.h"

/* The finder works at this long side: enough for a card over 5% of it. */
#define FIND_LONG_SIDE		800
/* Half length of the edge search along a side's normal, in pixels. */
#define REFINE_RADIUS		6
#define REFINE_SAMPLES		48
/* Straight-line outlines: lines kept, and at most this many one way. */
#define HOUGH_LINES		24
#define HOUGH_LINES_ONE_WAY	12
/* Side refinement: inlier distance (pixels) and largest turn (degrees). */
#define CONSENSUS_TOL		3.0
#define CONSENSUS_DEG		6.0

static int	edge_support(const cv::Mat &, const cv::Point2d[4], int,
		    double *, double *);

static cv::Mat
wrap(const struct card_cv_mat *m)
{
	int	type;

	type = m->channels == 1 ? CV_8UC1 :
	    m->channels == 3 ? CV_8UC3 : CV_8UC4;
	return (cv::Mat(m->height, m->width, type, m->data,
	    (size_t)m->stride));
}

static bool
mat_ok(const struct card_cv_mat *m)
{
	return (m != NULL && m->data != NULL && m->width > 0 &&
	    m->height > 0 && (m->channels == 1 || m->channels == 3 ||
	    m->channels == 4) && m->stride >= m->width * m->channels);
}

extern "C" int
card_cv_mat_alloc(struct card_cv_mat *m, int w, int h, int channels)
{
	size_t	len;

	if (m == NULL || w <= 0 || h <= 0 || w > 65535 || h > 65535 ||
	    (channels != 1 && channels != 3 && channels != 4))
		return (-1);
	len = (size_t)w * (size_t)h * (size_t)channels;
	m->data = (uint8_t *)calloc(1, len);
	if (m->data == NULL)
		return (-1);
	m->width = w;
	m->height = h;
	m->channels = channels;
	m->stride = w * channels;
	return (0);
}

extern "C" void
card_cv_mat_free(struct card_cv_mat *m)
{
	if (m == NULL)
		return;
	free(m->data);
	memset(m, 0, sizeof(*m));
}

extern "C" int
card_cv_homography(const struct card_cv_point src[4],
    const struct card_cv_point dst[4], double h[9])
{
	try {
		cv::Point2f	s[4], d[4];
		cv::Mat		H;
		int		i;

		for (i = 0; i < 4; i++) {
			s[i] = cv::Point2f((float)src[i].x, (float)src[i].y);
			d[i] = cv::Point2f((float)dst[i].x, (float)dst[i].y);
		}
		H = cv::getPerspectiveTransform(s, d);
		if (H.empty())
			return (-1);
		for (i = 0; i < 9; i++)
			h[i] = H.at<double>(i / 3, i % 3);
		for (i = 0; i < 9; i++)
			if (!std::isfinite(h[i]))
				return (-1);
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_warp(const struct card_cv_mat *src, const double h[9],
    struct card_cv_mat *dst, int keep_outside)
{
	try {
		cv::Mat	H(3, 3, CV_64F), s, d;
		int	i;

		if (!mat_ok(src) || !mat_ok(dst) ||
		    src->channels != dst->channels)
			return (-1);
		for (i = 0; i < 9; i++)
			H.at<double>(i / 3, i % 3) = h[i];
		s = wrap(src);
		d = wrap(dst);
		cv::warpPerspective(s, d, H, d.size(), cv::INTER_LINEAR,
		    keep_outside ? cv::BORDER_TRANSPARENT :
		    cv::BORDER_REPLICATE);
		return (d.data == dst->data ? 0 : -1);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_resize(const struct card_cv_mat *src, struct card_cv_mat *dst,
    int inter)
{
	try {
		cv::Mat	s, d;
		int	flag;

		if (!mat_ok(src) || !mat_ok(dst) ||
		    src->channels != dst->channels)
			return (-1);
		flag = inter == CARD_CV_INTER_AREA ? cv::INTER_AREA :
		    inter == CARD_CV_INTER_CUBIC ? cv::INTER_CUBIC :
		    cv::INTER_LINEAR;
		s = wrap(src);
		d = wrap(dst);
		cv::resize(s, d, d.size(), 0, 0, flag);
		return (d.data == dst->data ? 0 : -1);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_blur_gaussian(struct card_cv_mat *m, double sigma)
{
	try {
		cv::Mat	a;

		if (!mat_ok(m) || !(sigma > 0.0) || sigma > 500.0)
			return (-1);
		a = wrap(m);
		cv::GaussianBlur(a, a, cv::Size(0, 0), sigma, sigma,
		    cv::BORDER_REPLICATE);
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_blur_motion(struct card_cv_mat *m, int length, double angle)
{
	try {
		cv::Mat	a, k;
		double	c, s, r;
		int	sz, i;

		if (!mat_ok(m) || length < 1 || length > 1000)
			return (-1);
		sz = length | 1;
		k = cv::Mat::zeros(sz, sz, CV_32F);
		c = std::cos(angle * CV_PI / 180.0);
		s = std::sin(angle * CV_PI / 180.0);
		r = (sz - 1) / 2.0;
		for (i = 0; i < sz * 4; i++) {
			double	t = -r + (2.0 * r) * i / (sz * 4 - 1);
			int	x = (int)std::lround(r + t * c);
			int	y = (int)std::lround(r + t * s);

			k.at<float>(y, x) = 1.0f;
		}
		k /= cv::sum(k)[0];
		a = wrap(m);
		cv::filter2D(a, a, -1, k, cv::Point(-1, -1), 0,
		    cv::BORDER_REPLICATE);
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_grey(const struct card_cv_mat *src, struct card_cv_mat *grey)
{
	try {
		cv::Mat	s, g;

		if (!mat_ok(src) || grey == NULL)
			return (-1);
		if (card_cv_mat_alloc(grey, src->width, src->height, 1) == -1)
			return (-1);
		s = wrap(src);
		g = wrap(grey);
		if (src->channels == 1)
			s.copyTo(g);
		else
			cv::cvtColor(s, g, src->channels == 3 ?
			    cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
		return (0);
	} catch (...) {
		card_cv_mat_free(grey);
		return (-1);
	}
}

/* The line through a and b as (a, b, c) with a*x + b*y = c, normalised. */
static bool
line_through(cv::Point2d p, cv::Point2d q, cv::Point3d &l)
{
	double	a = q.y - p.y, b = p.x - q.x, n;

	n = std::hypot(a, b);
	if (n < 1e-9)
		return (false);
	l = cv::Point3d(a / n, b / n, (a * p.x + b * p.y) / n);
	return (true);
}

static bool
intersect(const cv::Point3d &l1, const cv::Point3d &l2, cv::Point2d &out)
{
	double	det = l1.x * l2.y - l2.x * l1.y;

	/* Nearly parallel sides do not make a corner. */
	if (std::fabs(det) < 0.05)
		return (false);
	out.x = (l1.z * l2.y - l2.z * l1.y) / det;
	out.y = (l1.x * l2.z - l2.x * l1.z) / det;
	return (true);
}

static bool
on_border(cv::Point p, cv::Point q, int w, int h)
{
	const int	m = 3;

	if (p.x <= m && q.x <= m)
		return (true);
	if (p.y <= m && q.y <= m)
		return (true);
	if (p.x >= w - 1 - m && q.x >= w - 1 - m)
		return (true);
	if (p.y >= h - 1 - m && q.y >= h - 1 - m)
		return (true);
	return (false);
}

typedef std::array<cv::Point2d, 4> card_quad_t;

static bool
corners_from_lines(const cv::Point3d l[4], int w, int h, card_quad_t &q)
{
	int	i;

	for (i = 0; i < 4; i++) {
		if (!intersect(l[(i + 3) % 4], l[i], q[i]))
			return (false);
		if (std::fabs(q[i].x) > 2.0 * w || std::fabs(q[i].y) > 2.0 * h)
			return (false);
	}
	return (true);
}

/*
 * Card outlines from a convex polygon.  Sides lying on the image border
 * are dropped; the four longest of the rest, in their cyclic order, are
 * intersected (rounded corners end up as their four true sides).  When
 * the polygon touches the border the card may show only three sides:
 * the missing one is then put parallel to the middle side, at the
 * distance the card's aspect gives, once taking the middle side as a
 * short side and once as a long one; edge support picks.
 */
static void
quads_from_poly(const std::vector<cv::Point> &poly, int w, int h,
    std::vector<card_quad_t> &out)
{
	std::vector<std::pair<double, int> >	len;
	std::vector<int>			keep;
	cv::Point3d				l[4];
	card_quad_t					q;
	size_t					i, k;
	double					on_edge = 0, per = 0;
	bool					border = false;

	k = poly.size();
	if (k < 3)
		return;
	for (i = 0; i < k; i++) {
		cv::Point	p = poly[i], r = poly[(i + 1) % k];

		per += cv::norm(p - r);
		if (on_border(p, r, w, h)) {
			border = true;
			on_edge += cv::norm(p - r);
			continue;
		}
		len.push_back(std::make_pair(cv::norm(p - r), (int)i));
	}
	std::sort(len.begin(), len.end(),
	    [](const std::pair<double, int> &a,
	    const std::pair<double, int> &b) { return (a.first > b.first); });
	/* A long stretch along the border: the card runs out of frame. */
	if (len.size() >= 4 && on_edge < 0.05 * per) {
		keep.clear();
		for (i = 0; i < 4; i++)
			keep.push_back(len[i].second);
		std::sort(keep.begin(), keep.end());
		for (i = 0; i < 4; i++)
			if (!line_through(cv::Point2d(poly[keep[i]]),
			    cv::Point2d(poly[(keep[i] + 1) % k]), l[i]))
				break;
		if (i == 4 && corners_from_lines(l, w, h, q))
			out.push_back(q);
	}
	/*
	 * Three sides also stand for a card whose fourth side is lost in
	 * a background of the same brightness, or behind a finger.
	 */
	(void)border;
	if (len.size() < 3)
		return;
	keep.clear();
	for (i = 0; i < 3; i++)
		keep.push_back(len[i].second);
	std::sort(keep.begin(), keep.end());
	for (i = 0; i < 3; i++) {
		cv::Point2d	a0 = poly[keep[i]];
		cv::Point2d	a1 = poly[(keep[i] + 1) % k];
		cv::Point2d	b0 = poly[keep[(i + 1) % 3]];
		cv::Point2d	b1 = poly[(keep[(i + 1) % 3] + 1) % k];
		cv::Point2d	c0 = poly[keep[(i + 2) % 3]];
		cv::Point2d	c1 = poly[(keep[(i + 2) % 3] + 1) % k];
		cv::Point2d	da = a1 - a0, db = b1 - b0, dc = c1 - c0, mid, n;
		double		lb = cv::norm(db), r, seen;
		int		t;

		if (cv::norm(da) < 1 || lb < 1 || cv::norm(dc) < 1)
			continue;
		da *= 1.0 / cv::norm(da);
		dc *= 1.0 / cv::norm(dc);
		db *= 1.0 / lb;
		/* A and C parallel (opposite ways round a polygon), B across. */
		if (std::fabs(da.x * dc.y - da.y * dc.x) > 0.5 ||
		    std::fabs(da.x * db.y - da.y * db.x) < 0.7)
			continue;
		mid = (a0 + a1 + c0 + c1) * 0.25;
		n = cv::Point2d(-db.y, db.x);
		if ((mid - b0).dot(n) < 0)
			n = -n;
		/* The missing side is beyond everything seen of the card. */
		seen = 0;
		for (t = 0; t < (int)k; t++)
			seen = std::max(seen, (cv::Point2d(poly[t]) - b0).dot(n));
		for (t = 0; t < 2; t++) {
			cv::Point2d	d0;

			r = t == 0 ? 85.6 / 54.0 : 54.0 / 85.6;
			d0 = b0 + n * std::max(lb * r, seen + 1.0);
			if (!line_through(a0, a1, l[0]) ||
			    !line_through(b0, b1, l[1]) ||
			    !line_through(c0, c1, l[2]) ||
			    !line_through(d0, d0 + db, l[3]))
				continue;
			if (corners_from_lines(l, w, h, q))
				out.push_back(q);
		}
	}
}

static double
sample(const cv::Mat &g, double x, double y)
{
	int	x0, y0;
	double	fx, fy, a, b, c, d;

	x0 = (int)std::floor(x);
	y0 = (int)std::floor(y);
	if (x0 < 0 || y0 < 0 || x0 + 1 >= g.cols || y0 + 1 >= g.rows)
		return (-1.0);
	fx = x - x0;
	fy = y - y0;
	a = g.at<uint8_t>(y0, x0);
	b = g.at<uint8_t>(y0, x0 + 1);
	c = g.at<uint8_t>(y0 + 1, x0);
	d = g.at<uint8_t>(y0 + 1, x0 + 1);
	return ((a * (1 - fx) + b * fx) * (1 - fy) +
	    (c * (1 - fx) + d * fx) * fy);
}

/*
 * Keep in pts only the points near the straight line most of them share
 * (within CONSENSUS_TOL pixels, turned at most CONSENSUS_DEG from the
 * side's direction `dir`): where a side runs against a background of
 * the card's own brightness its steps are weak, and the strongest step
 * near it is printed text inside the card, off the line the rest of the
 * side draws; a least-squares fit, even a robust one, is pulled towards
 * it.  Lines through pairs of points a quarter, a half and three
 * quarters of the side apart are tried; false if under `need` agree.
 * The angle limit keeps a striped shirt's lines from taking over.
 */
static bool
consensus(std::vector<cv::Point2f> &pts, size_t need, cv::Point2d dir)
{
	std::vector<cv::Point2f>	keep;
	size_t				n = pts.size(), i, j, k, d, best = 0;
	const double			tol = CONSENSUS_TOL;
	const double			maxsin = std::sin(CONSENSUS_DEG * CV_PI /
					    180);
	cv::Point3d			l, bl;

	for (i = 0; i < n; i++)
		for (d = 1; d < 4; d++) {
			size_t	cnt = 0;

			j = (i + d * n / 4) % n;
			if (j == i || !line_through(cv::Point2d(pts[i]),
			    cv::Point2d(pts[j]), l))
				continue;
			/* (l.x, l.y) is the normal: near the side's own. */
			if (std::fabs(l.x * dir.x + l.y * dir.y) > maxsin)
				continue;
			for (k = 0; k < n; k++)
				if (std::fabs(l.x * pts[k].x + l.y * pts[k].y -
				    l.z) <= tol)
					cnt++;
			if (cnt > best) {
				best = cnt;
				bl = l;
			}
		}
	if (best < need)
		return (false);
	for (k = 0; k < n; k++)
		if (std::fabs(bl.x * pts[k].x + bl.y * pts[k].y - bl.z) <= tol)
			keep.push_back(pts[k]);
	pts.swap(keep);
	return (true);
}

/*
 * Move each side of q onto the strongest grey step near it: sample the
 * profile along the side's normal, take the largest derivative with a
 * parabolic sub-pixel peak, and fit a robust line through the peaks.
 * A side with too few usable samples is left where it was.
 */
static void
refine_quad(const cv::Mat &g, cv::Point2d q[4], double radius)
{
	cv::Point3d	l[4];
	cv::Point2d	out[4];
	int		i, j, t, r;

	r = (int)std::ceil(radius);
	for (i = 0; i < 4; i++) {
		cv::Point2d		a = q[i], b = q[(i + 1) % 4];
		cv::Point2d		d = b - a, nrm;
		std::vector<cv::Point2f> pts;
		double			len = cv::norm(d);

		line_through(a, b, l[i]);
		if (len < 8)
			continue;
		d *= 1.0 / len;
		nrm = cv::Point2d(-d.y, d.x);
		for (j = 1; j < REFINE_SAMPLES; j++) {
			cv::Point2d	c = a + (b - a) * ((double)j /
			    REFINE_SAMPLES);
			std::vector<double> prof;
			double		best = 0, v0, v1, v2, off;
			int		bi = -1;

			for (t = -r - 1; t <= r + 1; t++) {
				cv::Point2d s = c + nrm * (double)t;

				prof.push_back(sample(g, s.x, s.y));
			}
			for (t = 1; t + 1 < (int)prof.size(); t++) {
				double	dv;

				if (prof[t - 1] < 0 || prof[t + 1] < 0)
					continue;
				dv = std::fabs(prof[t + 1] - prof[t - 1]);
				if (dv > best) {
					best = dv;
					bi = t;
				}
			}
			if (bi < 2 || bi + 2 >= (int)prof.size() || best < 12)
				continue;
			v0 = std::fabs(prof[bi] - prof[bi - 2]);
			v1 = best;
			v2 = std::fabs(prof[bi + 2] - prof[bi]);
			off = (v0 - 2 * v1 + v2) != 0 ?
			    0.5 * (v0 - v2) / (v0 - 2 * v1 + v2) : 0;
			if (off < -1 || off > 1)
				off = 0;
			c = c + nrm * (double)(bi - r - 1 + off);
			pts.push_back(cv::Point2f((float)c.x, (float)c.y));
		}
		if (pts.size() >= REFINE_SAMPLES / 3 &&
		    consensus(pts, REFINE_SAMPLES / 3, d)) {
			cv::Vec4f	fl;

			cv::fitLine(pts, fl, cv::DIST_HUBER, 0, 0.01, 0.01);
			line_through(cv::Point2d(fl[2], fl[3]),
			    cv::Point2d(fl[2] + fl[0], fl[3] + fl[1]), l[i]);
		}
	}
	for (i = 0; i < 4; i++)
		if (!intersect(l[(i + 3) % 4], l[i], out[i]))
			return;
	for (i = 0; i < 4; i++)
		if (cv::norm(out[i] - q[i]) > 4 * radius + 2)
			return;
	for (i = 0; i < 4; i++)
		q[i] = out[i];
}

/* Long over short side, opposite sides averaged. */
static double
quad_ratio(const cv::Point2d q[4])
{
	double	a, b;

	a = cv::norm(q[0] - q[1]) + cv::norm(q[2] - q[3]);
	b = cv::norm(q[1] - q[2]) + cv::norm(q[3] - q[0]);
	if (a < 1 || b < 1)
		return (0);
	return (a > b ? a / b : b / a);
}

/* Order corners clockwise (in image coordinates, y down). */
static void
order_clockwise(cv::Point2d q[4])
{
	cv::Point2d	c(0, 0);
	double		ang[4];
	int		i, j;

	for (i = 0; i < 4; i++)
		c += q[i] * 0.25;
	for (i = 0; i < 4; i++)
		ang[i] = std::atan2(q[i].y - c.y, q[i].x - c.x);
	for (i = 1; i < 4; i++)
		for (j = i; j > 0 && ang[j - 1] > ang[j]; j--) {
			std::swap(ang[j - 1], ang[j]);
			std::swap(q[j - 1], q[j]);
		}
}

static double
quad_area(const cv::Point2d q[4])
{
	double	a = 0;
	int	i;

	for (i = 0; i < 4; i++)
		a += q[i].x * q[(i + 1) % 4].y - q[(i + 1) % 4].x * q[i].y;
	return (std::fabs(a) / 2.0);
}

static bool
is_convex(const cv::Point2d q[4])
{
	int	i, sign = 0;

	for (i = 0; i < 4; i++) {
		cv::Point2d	a = q[(i + 1) % 4] - q[i];
		cv::Point2d	b = q[(i + 2) % 4] - q[(i + 1) % 4];
		double		z = a.x * b.y - a.y * b.x;
		int		s = z > 0 ? 1 : -1;

		if (sign == 0)
			sign = s;
		else if (s != sign)
			return (false);
	}
	return (true);
}

/* Fraction of points along q (every 2 pixels) on the edge band. */
static double
band_support(const cv::Mat &band, const card_quad_t &q, double *inside)
{
	int	i, in = 0, hit = 0, total = 0;

	for (i = 0; i < 4; i++) {
		cv::Point2d	a = q[i], b = q[(i + 1) % 4];
		double		len = cv::norm(b - a), t;

		for (t = 0; t < len; t += 2) {
			cv::Point2d	p = a + (b - a) * (t / len);
			int		x = (int)p.x, y = (int)p.y;

			total++;
			if (x < 0 || y < 0 || x >= band.cols || y >= band.rows)
				continue;
			in++;
			if (band.at<uint8_t>(y, x))
				hit++;
		}
	}
	*inside = total > 0 ? (double)in / total : 0;
	return (in > 0 ? (double)hit / in : 0);
}

struct hline {
	cv::Point3d	l;
	double		theta;
	double		len;
};

/*
 * Card outlines from straight lines: Hough segments merged into lines,
 * pairs of near-parallel lines, and two pairs crossing at a wide angle
 * make a quadrilateral.  This finds a card whose outline is broken by
 * a busy background (a face, a patterned shirt) where no contour closes.
 * Only the few best supported by the edge band are kept.
 */
static void
hough_quads(const cv::Mat &thin, const cv::Mat &band, double min_area,
    std::vector<card_quad_t> &out)
{
	std::vector<cv::Vec4i>			segs;
	std::vector<struct hline>		lines;
	std::vector<std::pair<int, int> >	pairs;
	std::vector<std::pair<double, card_quad_t> > scored;
	const double	deg = CV_PI / 180;
	int		L = std::max(thin.cols, thin.rows);
	size_t		i, j;

	cv::HoughLinesP(thin, segs, 1, deg, 50, 0.1 * L, 0.01 * L + 2);
	std::sort(segs.begin(), segs.end(),
	    [](const cv::Vec4i &a, const cv::Vec4i &b) {
		return (std::hypot(a[2] - a[0], a[3] - a[1]) >
		    std::hypot(b[2] - b[0], b[3] - b[1])); });
	for (i = 0; i < segs.size(); i++) {
		cv::Point2d	p(segs[i][0], segs[i][1]), q(segs[i][2], segs[i][3]);
		cv::Point2d	m = (p + q) * 0.5;
		struct hline	h;
		bool		merged = false;

		h.len = cv::norm(q - p);
		h.theta = std::fmod(std::atan2(q.y - p.y, q.x - p.x) + CV_PI,
		    CV_PI);
		if (!line_through(p, q, h.l))
			continue;
		for (j = 0; j < lines.size() && !merged; j++) {
			double	dt = std::fabs(h.theta - lines[j].theta);

			dt = std::min(dt, CV_PI - dt);
			if (dt < 3 * deg && std::fabs(lines[j].l.x * m.x +
			    lines[j].l.y * m.y - lines[j].l.z) < 3) {
				lines[j].len += h.len;
				merged = true;
			}
		}
		if (!merged && lines.size() < 40)
			lines.push_back(h);
	}
	std::sort(lines.begin(), lines.end(),
	    [](const struct hline &a, const struct hline &b) {
		return (a.len > b.len); });
	/*
	 * The longest lines, but not all of one direction: the text rows
	 * of a card are long lines parallel to its long sides, and a busy
	 * shirt or wall adds more; the card's short sides must make it in.
	 */
	{
		std::vector<struct hline>	keep;

		for (i = 0; i < lines.size() && keep.size() < HOUGH_LINES;
		    i++) {
			size_t	same = 0;

			for (j = 0; j < keep.size(); j++) {
				double	dt = std::fabs(lines[i].theta -
				    keep[j].theta);

				if (std::min(dt, CV_PI - dt) < 20 * deg)
					same++;
			}
			if (same < HOUGH_LINES_ONE_WAY)
				keep.push_back(lines[i]);
		}
		lines.swap(keep);
	}
	for (i = 0; i < lines.size(); i++)
		for (j = i + 1; j < lines.size(); j++) {
			double	dt = std::fabs(lines[i].theta - lines[j].theta);

			dt = std::min(dt, CV_PI - dt);
			if (dt < 15 * deg)
				pairs.push_back(std::make_pair((int)i, (int)j));
		}
	for (i = 0; i < pairs.size(); i++)
		for (j = i + 1; j < pairs.size(); j++) {
			const struct hline *a1 = &lines[pairs[i].first];
			const struct hline *a2 = &lines[pairs[i].second];
			const struct hline *b1 = &lines[pairs[j].first];
			const struct hline *b2 = &lines[pairs[j].second];
			cv::Point3d	l[4] = { a1->l, b1->l, a2->l, b2->l };
			cv::Point2d	c[4];
			card_quad_t	q;
			double		dt, sup, in, area, r;
			int		k;

			dt = std::fabs(a1->theta - b1->theta);
			dt = std::min(dt, CV_PI - dt);
			if (dt < 45 * deg)
				continue;
			if (!corners_from_lines(l, thin.cols, thin.rows, q))
				continue;
			for (k = 0; k < 4; k++)
				c[k] = q[k];
			order_clockwise(c);
			if (!is_convex(c))
				continue;
			r = quad_ratio(c);
			area = quad_area(c);
			if (r < 1.2 || r > 2.2 || area < min_area)
				continue;
			for (k = 0; k < 4; k++)
				q[k] = c[k];
			sup = band_support(band, q, &in);
			if (in < 0.6 || sup < 0.6)
				continue;
			scored.push_back(std::make_pair(sup * sup * sup * sup *
			    std::sqrt(area), q));
		}
	std::sort(scored.begin(), scored.end(),
	    [](const std::pair<double, card_quad_t> &a,
	    const std::pair<double, card_quad_t> &b) {
		return (a.first > b.first); });
	for (i = 0; i < scored.size() && i < 6; i++)
		out.push_back(scored[i].second);
}

extern "C" int
card_cv_find_quads(const struct card_cv_mat *bgr,
    const struct card_cv_mat *bgr_grey, double min_area_frac,
    int work_long_side, int flags, struct card_cv_quad *out, int cap, int *n)
{
	try {
		std::vector<std::vector<cv::Point> >	contours;
		std::vector<cv::Mat>			ch;
		std::vector<std::pair<double, struct card_cv_quad> > cand;
		std::vector<double>			outsup;
		std::vector<card_quad_t>		quads, done;
		cv::Mat		src, small, edges, thin, e, grey, g, mask;
		cv::Mat		kernel = cv::getStructuringElement(
				    cv::MORPH_ELLIPSE, cv::Size(7, 7));
		double		s, min_area, otsu, sup, in;
		int		longside, i, cnt;
		long		k;
		size_t		c;

		*n = 0;
		if (!mat_ok(bgr) || bgr->channels != 3 || cap < 1)
			return (-1);
		src = wrap(bgr);
		longside = std::max(src.cols, src.rows);
		/* Whole factors take OpenCV's fast area-averaging path. */
		if (work_long_side < 100)
			work_long_side = FIND_LONG_SIDE;
		k = std::max(1L, std::lround((double)longside /
		    work_long_side));
		s = 1.0 / k;
		if (k > 1)
			cv::resize(src, small, cv::Size(src.cols / k,
			    src.rows / k), 0, 0, cv::INTER_AREA);
		else
			small = src.clone();
		s = (double)small.cols / src.cols;
		cv::GaussianBlur(small, small, cv::Size(5, 5), 0);
		cv::split(small, ch);
		edges = cv::Mat::zeros(small.size(), CV_8U);
		for (i = 0; i < 3; i++) {
			cv::Canny(ch[i], e, 20, 60);
			edges |= e;
		}
		thin = edges.clone();
		cv::dilate(edges, edges, cv::Mat());
		cv::findContours(edges, contours, cv::RETR_LIST,
		    cv::CHAIN_APPROX_SIMPLE);
		/*
		 * Textured surfaces join the card's edges into one contour;
		 * a card is also usually the brightest large thing in the
		 * picture, so outlines of bright regions are candidates too.
		 */
		cv::cvtColor(small, g, cv::COLOR_BGR2GRAY);
		otsu = cv::threshold(g, mask, 0, 255,
		    cv::THRESH_BINARY | cv::THRESH_OTSU);
		for (i = 0; i < 6; i++) {
			std::vector<std::vector<cv::Point> >	more;
			double	level = otsu + (255 - otsu) * i / 8.0;

			cv::threshold(g, mask, level, 255, cv::THRESH_BINARY);
			cv::morphologyEx(mask, mask, cv::MORPH_OPEN, kernel);
			cv::findContours(mask, more, cv::RETR_EXTERNAL,
			    cv::CHAIN_APPROX_SIMPLE);
			contours.insert(contours.end(), more.begin(),
			    more.end());
		}
		min_area = min_area_frac * small.cols * small.rows;
		if (bgr_grey != NULL && mat_ok(bgr_grey) &&
		    bgr_grey->channels == 1 && bgr_grey->width == bgr->width &&
		    bgr_grey->height == bgr->height)
			grey = wrap(bgr_grey);
		else
			cv::cvtColor(src, grey, cv::COLOR_BGR2GRAY);
		for (c = 0; c < contours.size(); c++) {
			std::vector<cv::Point>	hull, poly;
			double			ha;

			if (contours[c].size() < 4 ||
			    cv::boundingRect(contours[c]).area() < min_area)
				continue;
			cv::convexHull(contours[c], hull);
			ha = cv::contourArea(hull);
			if (ha < min_area)
				continue;
			cv::approxPolyDP(hull, poly,
			    0.01 * cv::arcLength(hull, true), true);
			quads_from_poly(poly, small.cols, small.rows, quads);
		}
		if (flags & CARD_CV_FIND_LINES)
			hough_quads(thin, edges, min_area, quads);
		for (size_t qi = 0; qi < quads.size(); qi++) {
			cv::Point2d		q[4];
			struct card_cv_quad	cq;
			bool			seen = false;

			for (i = 0; i < 4; i++)
				q[i] = quads[qi][i] * (1.0 / s);
			order_clockwise(q);
			/* Nothing card-shaped is worth refining. */
			if (!is_convex(q) || quad_ratio(q) < 1.15 ||
			    quad_ratio(q) > 2.3)
				continue;
			/* Nor the same outline twice (masks at near levels). */
			for (size_t d = 0; d < done.size() && !seen; d++) {
				double	dmax = 0;

				for (i = 0; i < 4; i++)
					dmax = std::max(dmax,
					    cv::norm(done[d][i] - q[i]));
				seen = dmax < 0.01 * longside;
			}
			if (seen)
				continue;
			done.push_back({ q[0], q[1], q[2], q[3] });
			/* Coarse outline first, then the exact edge. */
			refine_quad(grey, q, 2.0 * std::max(REFINE_RADIUS / s,
			    (double)REFINE_RADIUS));
			refine_quad(grey, q, REFINE_RADIUS);
			order_clockwise(q);
			if (!is_convex(q))
				continue;
			for (i = 0; i < 4; i++) {
				cq.pt[i].x = q[i].x;
				cq.pt[i].y = q[i].y;
			}
			cq.area = quad_area(q);
			if (edge_support(grey, q, 240, &sup, &in) == -1)
				sup = 0;
			cand.push_back(std::make_pair(sup, cq));
		}
		std::sort(cand.begin(), cand.end(),
		    [](const std::pair<double, struct card_cv_quad> &a,
		    const std::pair<double, struct card_cv_quad> &b) {
			return (a.second.area > b.second.area); });
		cnt = 0;
		for (c = 0; c < cand.size(); c++) {
			int	k, dup = -1;

			/*
			 * Near copies of one outline (the inner and outer
			 * contour of one edge band, a contour and a line
			 * outline): the one on the edge all round stays.
			 */
			for (k = 0; k < cnt && dup < 0; k++) {
				double	dmax = 0;

				for (i = 0; i < 4; i++)
					dmax = std::max(dmax, std::hypot(
					    out[k].pt[i].x -
					    cand[c].second.pt[i].x,
					    out[k].pt[i].y -
					    cand[c].second.pt[i].y));
				if (dmax < 0.02 * longside)
					dup = k;
			}
			if (dup >= 0) {
				if (cand[c].first > outsup[dup]) {
					out[dup] = cand[c].second;
					outsup[dup] = cand[c].first;
				}
			} else if (cnt < cap) {
				outsup.push_back(cand[c].first);
				out[cnt++] = cand[c].second;
			}
		}
		*n = cnt;
		return (0);
	} catch (...) {
		*n = 0;
		return (-1);
	}
}

extern "C" int
card_cv_refine_quad(const struct card_cv_mat *grey, struct card_cv_point pt[4],
    double radius)
{
	try {
		cv::Point2d	q[4];
		int		i;

		if (!mat_ok(grey) || grey->channels != 1 || !(radius > 0))
			return (-1);
		for (i = 0; i < 4; i++)
			q[i] = cv::Point2d(pt[i].x, pt[i].y);
		refine_quad(wrap(grey), q, radius);
		refine_quad(wrap(grey), q, REFINE_RADIUS);
		order_clockwise(q);
		if (!is_convex(q))
			return (-1);
		for (i = 0; i < 4; i++) {
			pt[i].x = q[i].x;
			pt[i].y = q[i].y;
		}
		return (0);
	} catch (...) {
		return (-1);
	}
}

/*
 * Edge support of the closed polygon q (see card_cv_edge_support): the
 * step is measured across +-base pixels, so that a blurred edge (which
 * the blur figure is there to report) still counts as an edge.
 */
static int
edge_support(const cv::Mat &g, const cv::Point2d q[4], int count,
    double *support, double *inside)
{
	double	per = 0, step, pos, base;
	int	i, hit = 0, in = 0, total = 0;

	*support = *inside = 0;
	for (i = 0; i < 4; i++)
		per += cv::norm(q[(i + 1) % 4] - q[i]);
	if (per < 1 || count < 4)
		return (-1);
	step = per / count;
	base = std::max(2.0, std::max(g.cols, g.rows) / 400.0);
	pos = step / 2;
	for (i = 0; i < 4; i++) {
		cv::Point2d	a = q[i], b = q[(i + 1) % 4];
		cv::Point2d	d = b - a, nrm;
		double		len = cv::norm(d);

		if (len < 1e-6)
			continue;
		d *= 1.0 / len;
		nrm = cv::Point2d(-d.y, d.x);
		for (; pos < len; pos += step) {
			cv::Point2d	c = a + d * pos;
			double		best = 0;
			int		t;
			bool		ok = true;

			total++;
			for (t = -3; t <= 3; t++) {
				cv::Point2d	p1 = c + nrm * (t - base);
				cv::Point2d	p2 = c + nrm * (t + base);
				double		v1 = sample(g, p1.x, p1.y);
				double		v2 = sample(g, p2.x, p2.y);

				if (v1 < 0 || v2 < 0) {
					ok = false;
					break;
				}
				best = std::max(best, std::fabs(v2 - v1));
			}
			if (!ok)
				continue;
			in++;
			if (best >= 10)
				hit++;
		}
		pos -= len;
	}
	if (total == 0)
		return (-1);
	*inside = (double)in / total;
	*support = in > 0 ? (double)hit / in : 0;
	return (0);
}

extern "C" int
card_cv_edge_support(const struct card_cv_mat *grey,
    const struct card_cv_point pt[4], int count, double *support,
    double *inside)
{
	try {
		cv::Point2d	q[4];
		int		i;

		*support = *inside = 0;
		if (!mat_ok(grey) || grey->channels != 1 || count < 4)
			return (-1);
		for (i = 0; i < 4; i++)
			q[i] = cv::Point2d(pt[i].x, pt[i].y);
		return (edge_support(wrap(grey), q, count, support, inside));
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_laplacian_var(const struct card_cv_mat *grey, double *var)
{
	try {
		cv::Mat		g, lap;
		cv::Scalar	mean, sd;

		if (!mat_ok(grey) || grey->channels != 1)
			return (-1);
		g = wrap(grey);
		cv::Laplacian(g, lap, CV_32F, 3);
		cv::meanStdDev(lap, mean, sd);
		*var = sd[0] * sd[0];
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_saturated_blobs(const struct card_cv_mat *bgr, int level,
    double *total, double *largest)
{
	try {
		cv::Mat	m, mask, labels, stats, cent;
		double	npx, big = 0;
		int	i, nl;

		*total = *largest = 0;
		if (!mat_ok(bgr) || bgr->channels != 3)
			return (-1);
		m = wrap(bgr);
		cv::inRange(m, cv::Scalar(level, level, level),
		    cv::Scalar(255, 255, 255), mask);
		cv::morphologyEx(mask, mask, cv::MORPH_OPEN, cv::Mat());
		npx = (double)m.cols * m.rows;
		*total = cv::countNonZero(mask) / npx;
		if (*total == 0)
			return (0);
		nl = cv::connectedComponentsWithStats(mask, labels, stats,
		    cent, 8, CV_32S);
		for (i = 1; i < nl; i++)
			big = std::max(big,
			    (double)stats.at<int>(i, cv::CC_STAT_AREA));
		*largest = big / npx;
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_binarise(struct card_cv_mat *grey, int block, double c)
{
	try {
		cv::Mat	g;

		if (!mat_ok(grey) || grey->channels != 1)
			return (-1);
		g = wrap(grey);
		if (block <= 0)
			cv::threshold(g, g, 0, 255,
			    cv::THRESH_BINARY | cv::THRESH_OTSU);
		else
			cv::adaptiveThreshold(g, g, 255,
			    cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY,
			    block | 1, c);
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
card_cv_read(const char *path, struct card_cv_mat *out)
{
	try {
		cv::Mat	m, d;

		memset(out, 0, sizeof(*out));
		m = cv::imread(path, cv::IMREAD_UNCHANGED);
		if (m.empty() || m.depth() != CV_8U)
			return (-1);
		if (m.channels() == 1)
			cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
		else if (m.channels() == 3) {
			/* IMREAD_UNCHANGED skips EXIF: read JPEGs upright. */
			m = cv::imread(path, cv::IMREAD_COLOR);
			if (m.empty())
				return (-1);
		}
		if (card_cv_mat_alloc(out, m.cols, m.rows, m.channels()) == -1)
			return (-1);
		d = wrap(out);
		m.copyTo(d);
		return (0);
	} catch (...) {
		card_cv_mat_free(out);
		return (-1);
	}
}

extern "C" int
card_cv_write_png(const char *path, const struct card_cv_mat *m)
{
	try {
		if (!mat_ok(m))
			return (-1);
		return (cv::imwrite(path, wrap(m)) ? 0 : -1);
	} catch (...) {
		return (-1);
	}
}
