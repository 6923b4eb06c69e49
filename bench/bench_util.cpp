/*
 * Benchmark-only pixel helpers; see bench_util.h.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bench_util.h"

static int
from_mat(const cv::Mat &m, struct imaging_image *out)
{
	size_t	n;
	int	y;

	out->width = m.cols;
	out->height = m.rows;
	out->stride = 3 * m.cols;
	n = (size_t)out->stride * m.rows;
	if ((out->pixels = (uint8_t *)malloc(n)) == NULL)
		return (-1);
	for (y = 0; y < m.rows; y++)
		memcpy(out->pixels + (size_t)y * out->stride, m.ptr(y),
		    (size_t)out->stride);
	return (0);
}

static cv::Mat
wrap(const struct imaging_image *img)
{
	return (cv::Mat(img->height, img->width, CV_8UC3, img->pixels,
	    (size_t)img->stride));
}

extern "C" int
bench_imread(const char *path, int long_side, struct imaging_image *out)
{
	try {
		cv::Mat	m = cv::imread(path, cv::IMREAD_COLOR);
		double	s;

		if (m.empty())
			return (-1);
		s = (double)long_side / std::max(m.cols, m.rows);
		if (long_side > 0 && s < 1.0)
			cv::resize(m, m, cv::Size(), s, s, cv::INTER_AREA);
		return (from_mat(m, out));
	} catch (...) {
		return (-1);
	}
}

extern "C" void
bench_image_free(struct imaging_image *img)
{
	free(img->pixels);
	img->pixels = NULL;
}

extern "C" int
bench_image_copy(const struct imaging_image *src, struct imaging_image *dst)
{
	try {
		return (from_mat(wrap(src), dst));
	} catch (...) {
		return (-1);
	}
}

extern "C" int
bench_blur(struct imaging_image *img, double sigma)
{
	try {
		cv::Mat	m = wrap(img);
		cv::GaussianBlur(m, m, cv::Size(), sigma, sigma);
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
bench_flip(struct imaging_image *img)
{
	try {
		cv::Mat	m = wrap(img), t;
		cv::flip(m, t, 1);
		t.copyTo(m);
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
bench_rotate(struct imaging_image *img, double deg)
{
	try {
		cv::Mat		m = wrap(img), t;
		cv::Mat		r = cv::getRotationMatrix2D(
				    cv::Point2f(img->width / 2.0f,
				    img->height / 2.0f), deg, 1.0);
		cv::warpAffine(m, t, r, m.size(), cv::INTER_LINEAR,
		    cv::BORDER_REPLICATE);
		t.copyTo(m);
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
bench_make_jpeg(const struct imaging_image *src, int w, int h, int quality,
    unsigned char **buf, size_t *len)
{
	try {
		cv::Mat			 m = wrap(src), r;
		cv::Mat			 canvas(h, w, CV_8UC3,
					    cv::Scalar(128, 128, 128));
		std::vector<uchar>	 enc;
		std::vector<int>	 params;
		double			 s;

		s = std::min((double)w / m.cols, (double)h / m.rows);
		cv::resize(m, r, cv::Size(), s, s, cv::INTER_CUBIC);
		r.copyTo(canvas(cv::Rect((w - r.cols) / 2, (h - r.rows) / 2,
		    r.cols, r.rows)));
		params.push_back(cv::IMWRITE_JPEG_QUALITY);
		params.push_back(quality);
		if (!cv::imencode(".jpg", canvas, enc, params))
			return (-1);
		if ((*buf = (unsigned char *)malloc(enc.size())) == NULL)
			return (-1);
		memcpy(*buf, enc.data(), enc.size());
		*len = enc.size();
		return (0);
	} catch (...) {
		return (-1);
	}
}

extern "C" int
bench_read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE	*f;
	long	 n;

	*buf = NULL;
	*len = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 ||
	    (*buf = (unsigned char *)malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		fclose(f);
		return (-1);
	}
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		free(*buf);
		*buf = NULL;
		fclose(f);
		return (-1);
	}
	fclose(f);
	*len = (size_t)n;
	return (0);
}
