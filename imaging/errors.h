/*
 * Typed error codes shared by every part of imaging/.
 *
 * Each code has a stable snake_case string (for JSON, logs and the
 * service's reason mapping; never renumber or rename one) and a default
 * message.  Functions that fail also leave a precise message saying which
 * limit, which marker or which field was at fault; see struct
 * imaging_error.
 */
#ifndef IMAGING_ERRORS_H
#define IMAGING_ERRORS_H

#include <stddef.h>

enum imaging_err {
	IMAGING_OK = 0,
	IMAGING_ERR_ARG,		/* a caller passed a bad argument */
	IMAGING_ERR_NOMEM,		/* an allocation failed */
	IMAGING_ERR_EMPTY,		/* zero bytes of input */
	IMAGING_ERR_INPUT_TOO_LARGE,	/* more bytes than max_input_bytes */
	IMAGING_ERR_FORMAT,		/* not JPEG/PNG, or unsupported kind */
	IMAGING_ERR_TRUNCATED,		/* data ends before the image does */
	IMAGING_ERR_CORRUPT,		/* structurally invalid image data */
	IMAGING_ERR_TOO_LARGE,		/* more pixels than max_pixels */
	IMAGING_ERR_TOO_SMALL,		/* under the minimum dimensions */
	IMAGING_ERR_TOO_MANY_SCANS,	/* more scans than allowed */
	IMAGING_ERR_PNG_BOMB,		/* PNG would inflate past its limit */
	IMAGING_ERR_EXIF,		/* EXIF orientation unreadable */
	IMAGING_ERR_REGION,		/* region empty or outside the image */
	IMAGING_ERR_MODEL,		/* a model file missing or unusable */
	IMAGING_ERR_CV,			/* the OpenCV layer failed */
	IMAGING_ERR_OCR,		/* the OCR engine failed */
	IMAGING_ERR_INTERNAL,		/* a library call failed unexpectedly */
	IMAGING_ERR_COUNT
};

/* Room for one precise message; longer messages are truncated. */
#define IMAGING_ERRMSG_MAX	256

/*
 * The last error of a handle: a code and its precise message.
 * Embed one in any handle of imaging/ and fill it with imaging_error_set().
 */
struct imaging_error {
	int	code;
	char	msg[IMAGING_ERRMSG_MAX];
};

/*
 * Return the stable string code of `code` ("image_too_large"), or
 * "unknown_error" for a value outside enum imaging_err.  Never NULL.
 */
const char	*imaging_err_code(int code);

/*
 * Return the default English message of `code`, or a generic one for a
 * value outside enum imaging_err.  Never NULL.
 */
const char	*imaging_err_message(int code);

/*
 * Record an error in `e`: `code` from enum imaging_err and a printf-style
 * message `fmt` (if NULL the default message is used).
 * Returns -1, so that a failing function can `return (imaging_error_set(...))`.
 */
int		 imaging_error_set(struct imaging_error *e, int code,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* Reset `e` to IMAGING_OK with an empty message. */
void		 imaging_error_clear(struct imaging_error *e);

#endif
