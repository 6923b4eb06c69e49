/*
 * OpenCV dnn wrapper for the face models.  See face_cv.h.
 *
 * Every entry point catches everything: an exception escaping into C
 * would abort the process that embeds us (a Kore worker).
 */
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "face_cv.h"

struct face_cv {
	cv::dnn::Net	detect;
	cv::dnn::Net	landmark;
	cv::dnn::Net	feature;
	cv::dnn::Net	liveness;
	cv::dnn::Net	pose;
	cv::dnn::Net	eye;
	int		loaded;
	std::vector<std::string> detect_outs;
	std::vector<std::string> pose_outs;
	char		err[256];
};

static void	seterr(struct face_cv *, const char *, const char *);
static cv::Mat	wrap(const struct imaging_image *);
static bool	rect_ok(const struct imaging_image *,
		    const struct face_cv_rect *);
static int	load(cv::dnn::Net &, const char *, const char *, bool,
		    int *, char *, size_t);

extern "C" struct face_cv *
face_cv_open(const char *models_dir, int flags, int threads, int *why,
    char *err, size_t errlen)
{
	struct face_cv	*fc;

	*why = FACE_CV_OK;
	if (errlen > 0)
		err[0] = '\0';
	fc = new (std::nothrow) face_cv();
	if (fc == NULL) {
		*why = FACE_CV_ENOMEM;
		(void)snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	fc->loaded = 0;
	fc->err[0] = '\0';

	if (load(fc->detect, models_dir, "fr_detect.onnx", true, why, err,
	    errlen) == -1 ||
	    load(fc->landmark, models_dir, "fr_landmark.onnx", true, why, err,
	    errlen) == -1 ||
	    load(fc->feature, models_dir, "fr_feature.onnx", true, why, err,
	    errlen) == -1 ||
	    load(fc->liveness, models_dir, "fr_liveness.onnx", true, why, err,
	    errlen) == -1)
		goto fail;

	/* Optional models: absent or unloadable means "not measured". */
	if ((flags & FACE_CV_LOAD_POSE) &&
	    load(fc->pose, models_dir, "fr_pose.onnx", false, why, err,
	    errlen) == 0 && !fc->pose.empty())
		fc->loaded |= FACE_CV_LOAD_POSE;
	if ((flags & FACE_CV_LOAD_EYE) &&
	    load(fc->eye, models_dir, "fr_eye.onnx", false, why, err,
	    errlen) == 0 && !fc->eye.empty())
		fc->loaded |= FACE_CV_LOAD_EYE;
	*why = FACE_CV_OK;
	if (errlen > 0)
		err[0] = '\0';

	try {
		fc->detect_outs.push_back("scores");
		fc->detect_outs.push_back("boxes");
		if (fc->loaded & FACE_CV_LOAD_POSE) {
			/*
			 * Yaw, pitch, roll heads by the graph's own names;
			 * OpenCV lists them in another order (617, 618,
			 * output), so ask for them by name.
			 */
			fc->pose_outs.push_back("output");
			fc->pose_outs.push_back("617");
			fc->pose_outs.push_back("618");
		}
		if (threads > 0)
			cv::setNumThreads(threads);
	} catch (const std::exception &e) {
		*why = FACE_CV_ELOAD;
		(void)snprintf(err, errlen, "opencv: %s", e.what());
		goto fail;
	} catch (...) {
		*why = FACE_CV_ELOAD;
		(void)snprintf(err, errlen, "opencv: unknown exception");
		goto fail;
	}
	return (fc);

fail:
	delete fc;
	return (NULL);
}

extern "C" void
face_cv_close(struct face_cv *fc)
{
	try {
		delete fc;
	} catch (...) {
		/* Nothing sensible to do: the memory is gone either way. */
	}
}

extern "C" const char *
face_cv_error(const struct face_cv *fc)
{
	return (fc->err);
}

extern "C" int
face_cv_loaded(const struct face_cv *fc)
{
	return (fc->loaded);
}

extern "C" int
face_cv_detect(struct face_cv *fc, const struct imaging_image *img, int rgb,
    float *scores, float *boxes, int cap, int *n)
{
	*n = 0;
	try {
		cv::Mat			 src = wrap(img);
		cv::Mat			 blob;
		std::vector<cv::Mat>	 outs;
		int			 count, i;

		blob = cv::dnn::blobFromImage(src, 1.0 / 128.0,
		    cv::Size(FACE_CV_DETECT_W, FACE_CV_DETECT_H),
		    cv::Scalar(127, 127, 127), rgb != 0, false, CV_32F);
		fc->detect.setInput(blob, "input");
		fc->detect.forward(outs, fc->detect_outs);
		if (outs.size() != 2 || outs[0].total() % 2 != 0 ||
		    outs[1].total() != outs[0].total() * 2) {
			seterr(fc, "detect", "unexpected output shape");
			return (-1);
		}
		count = (int)(outs[0].total() / 2);
		if (count > cap)
			count = cap;
		const float *s = outs[0].ptr<float>();
		const float *b = outs[1].ptr<float>();
		for (i = 0; i < count; i++) {
			scores[i] = s[2 * i + 1];
			std::memcpy(&boxes[4 * i], &b[4 * i], 4 * sizeof(float));
		}
		*n = count;
	} catch (const std::exception &e) {
		seterr(fc, "detect", e.what());
		return (-1);
	} catch (...) {
		seterr(fc, "detect", "unknown exception");
		return (-1);
	}
	return (0);
}

extern "C" int
face_cv_landmarks(struct face_cv *fc, const struct imaging_image *img,
    const struct face_cv_rect *crop, float out[2 * FACE_CV_LANDMARKS])
{
	if (!rect_ok(img, crop)) {
		seterr(fc, "landmarks", "crop outside the image");
		return (-1);
	}
	try {
		cv::Mat	src = wrap(img);
		cv::Mat	grey, small, blob, res;

		cv::cvtColor(src(cv::Rect(crop->x, crop->y, crop->w, crop->h)),
		    grey, cv::COLOR_BGR2GRAY);
		cv::resize(grey, small, cv::Size(64, 64));
		blob = cv::dnn::blobFromImage(small, 1.0 / 256.0,
		    cv::Size(), cv::Scalar(), false, false, CV_32F);
		fc->landmark.setInput(blob, "input");
		res = fc->landmark.forward();
		if (res.total() != 2 * FACE_CV_LANDMARKS) {
			seterr(fc, "landmarks", "unexpected output shape");
			return (-1);
		}
		std::memcpy(out, res.ptr<float>(),
		    2 * FACE_CV_LANDMARKS * sizeof(float));
	} catch (const std::exception &e) {
		seterr(fc, "landmarks", e.what());
		return (-1);
	} catch (...) {
		seterr(fc, "landmarks", "unknown exception");
		return (-1);
	}
	return (0);
}

extern "C" int
face_cv_embed(struct face_cv *fc, const struct imaging_image *img,
    const double m[6], int rgb, float out[FACE_CV_EMBED_DIM],
    unsigned char *aligned)
{
	try {
		cv::Mat	src = wrap(img);
		cv::Mat	warp(2, 3, CV_64F, const_cast<double *>(m));
		cv::Mat	face, blob, res;

		if (aligned != NULL)
			face = cv::Mat(FACE_CV_ALIGN_SIZE, FACE_CV_ALIGN_SIZE,
			    CV_8UC3, aligned, 3 * FACE_CV_ALIGN_SIZE);
		cv::warpAffine(src, face, warp,
		    cv::Size(FACE_CV_ALIGN_SIZE, FACE_CV_ALIGN_SIZE),
		    cv::INTER_LINEAR, cv::BORDER_CONSTANT);
		blob = cv::dnn::blobFromImage(face, 1.0 / 128.0, cv::Size(),
		    cv::Scalar(127, 127, 127), rgb != 0, false, CV_32F);
		fc->feature.setInput(blob, "input");
		res = fc->feature.forward();
		if (res.total() != FACE_CV_EMBED_DIM) {
			seterr(fc, "embed", "unexpected output shape");
			return (-1);
		}
		std::memcpy(out, res.ptr<float>(),
		    FACE_CV_EMBED_DIM * sizeof(float));
	} catch (const std::exception &e) {
		seterr(fc, "embed", e.what());
		return (-1);
	} catch (...) {
		seterr(fc, "embed", "unknown exception");
		return (-1);
	}
	return (0);
}

extern "C" int
face_cv_liveness(struct face_cv *fc, const struct imaging_image *img,
    const struct face_cv_rect *crop, int rgb,
    float logits[FACE_CV_LIVE_CLASSES])
{
	if (!rect_ok(img, crop)) {
		seterr(fc, "liveness", "crop outside the image");
		return (-1);
	}
	try {
		cv::Mat	src = wrap(img);
		cv::Mat	small, blob, res;

		cv::resize(src(cv::Rect(crop->x, crop->y, crop->w, crop->h)),
		    small, cv::Size(128, 128));
		blob = cv::dnn::blobFromImage(small, 1.0, cv::Size(),
		    cv::Scalar(), rgb != 0, false, CV_32F);
		fc->liveness.setInput(blob, "input");
		res = fc->liveness.forward();
		if (res.total() != FACE_CV_LIVE_CLASSES) {
			seterr(fc, "liveness", "unexpected output shape");
			return (-1);
		}
		std::memcpy(logits, res.ptr<float>(),
		    FACE_CV_LIVE_CLASSES * sizeof(float));
	} catch (const std::exception &e) {
		seterr(fc, "liveness", e.what());
		return (-1);
	} catch (...) {
		seterr(fc, "liveness", "unknown exception");
		return (-1);
	}
	return (0);
}

extern "C" int
face_cv_pose(struct face_cv *fc, const struct imaging_image *img,
    const struct face_cv_rect *crop, int rgb,
    float logits[3][FACE_CV_POSE_BINS])
{
	if (!(fc->loaded & FACE_CV_LOAD_POSE)) {
		seterr(fc, "pose", "model not loaded");
		return (-1);
	}
	if (!rect_ok(img, crop)) {
		seterr(fc, "pose", "crop outside the image");
		return (-1);
	}
	try {
		cv::Mat			 src = wrap(img);
		cv::Mat			 small, blob;
		std::vector<cv::Mat>	 outs;
		size_t			 i;

		cv::resize(src(cv::Rect(crop->x, crop->y, crop->w, crop->h)),
		    small, cv::Size(224, 224));
		small.convertTo(small, CV_32F, 1.0 / 255.0);
		if (rgb)
			cv::cvtColor(small, small, cv::COLOR_BGR2RGB);
		/* ImageNet mean and deviation, per channel in feed order. */
		const float mean[3] = { 0.485f, 0.456f, 0.406f };
		const float sdev[3] = { 0.229f, 0.224f, 0.225f };
		std::vector<cv::Mat> ch;
		cv::split(small, ch);
		for (i = 0; i < 3; i++)
			ch[i] = (ch[i] - mean[i]) / sdev[i];
		cv::merge(ch, small);
		blob = cv::dnn::blobFromImage(small, 1.0, cv::Size(),
		    cv::Scalar(), false, false, CV_32F);
		fc->pose.setInput(blob, "input");
		fc->pose.forward(outs, fc->pose_outs);
		if (outs.size() != 3) {
			seterr(fc, "pose", "unexpected output count");
			return (-1);
		}
		for (i = 0; i < 3; i++) {
			if (outs[i].total() != FACE_CV_POSE_BINS) {
				seterr(fc, "pose", "unexpected output shape");
				return (-1);
			}
			std::memcpy(logits[i], outs[i].ptr<float>(),
			    FACE_CV_POSE_BINS * sizeof(float));
		}
	} catch (const std::exception &e) {
		seterr(fc, "pose", e.what());
		return (-1);
	} catch (...) {
		seterr(fc, "pose", "unknown exception");
		return (-1);
	}
	return (0);
}

extern "C" int
face_cv_eye(struct face_cv *fc, const struct imaging_image *img,
    const struct face_cv_rect *crop, float logits[2])
{
	if (!(fc->loaded & FACE_CV_LOAD_EYE)) {
		seterr(fc, "eye", "model not loaded");
		return (-1);
	}
	if (!rect_ok(img, crop)) {
		seterr(fc, "eye", "crop outside the image");
		return (-1);
	}
	try {
		cv::Mat	src = wrap(img);
		cv::Mat	grey, small, blob, res;

		cv::resize(src(cv::Rect(crop->x, crop->y, crop->w, crop->h)),
		    small, cv::Size(24, 24));
		cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
		blob = cv::dnn::blobFromImage(grey, 1.0 / 255.0, cv::Size(),
		    cv::Scalar(), false, false, CV_32F);
		fc->eye.setInput(blob, "input");
		res = fc->eye.forward();
		if (res.total() != 2) {
			seterr(fc, "eye", "unexpected output shape");
			return (-1);
		}
		std::memcpy(logits, res.ptr<float>(), 2 * sizeof(float));
	} catch (const std::exception &e) {
		seterr(fc, "eye", e.what());
		return (-1);
	} catch (...) {
		seterr(fc, "eye", "unknown exception");
		return (-1);
	}
	return (0);
}

static void
seterr(struct face_cv *fc, const char *where, const char *what)
{
	(void)snprintf(fc->err, sizeof(fc->err), "%s: %s", where, what);
}

/* A cv::Mat header over our buffer; no copy, never written through. */
static cv::Mat
wrap(const struct imaging_image *img)
{
	return (cv::Mat(img->height, img->width, CV_8UC3, img->pixels,
	    (size_t)img->stride));
}

static bool
rect_ok(const struct imaging_image *img, const struct face_cv_rect *r)
{
	return (r->w > 0 && r->h > 0 && r->x >= 0 && r->y >= 0 &&
	    r->x <= img->width - r->w && r->y <= img->height - r->h);
}

static int
load(cv::dnn::Net &net, const char *dir, const char *name, bool required,
    int *why, char *err, size_t errlen)
{
	std::string	path;
	struct stat	st;

	try {
		path = std::string(dir) + "/" + name;
		if (stat(path.c_str(), &st) == -1 || !S_ISREG(st.st_mode)) {
			*why = FACE_CV_ENOMODEL;
			(void)snprintf(err, errlen, "model %s not found in %s",
			    name, dir);
			return (required ? -1 : 0);
		}
		net = cv::dnn::readNetFromONNX(path);
		if (net.empty()) {
			*why = FACE_CV_ELOAD;
			(void)snprintf(err, errlen, "model %s: empty network",
			    name);
			return (-1);
		}
		net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
		net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
	} catch (const std::exception &e) {
		*why = FACE_CV_ELOAD;
		(void)snprintf(err, errlen, "model %s: %s", name, e.what());
		return (-1);
	} catch (...) {
		*why = FACE_CV_ELOAD;
		(void)snprintf(err, errlen, "model %s: unknown exception",
		    name);
		return (-1);
	}
	return (0);
}
