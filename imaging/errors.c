/*
 * Stable string codes and default messages for enum imaging_err.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

struct errdesc {
	const char	*code;
	const char	*message;
};

/* Indexed by enum imaging_err; the strings are part of the API. */
static const struct errdesc errtab[IMAGING_ERR_COUNT] = {
	[IMAGING_OK] = { "ok", "no error" },
	[IMAGING_ERR_ARG] = { "invalid_argument", "invalid argument" },
	[IMAGING_ERR_NOMEM] = { "out_of_memory", "out of memory" },
	[IMAGING_ERR_EMPTY] = { "image_empty", "the image has zero bytes" },
	[IMAGING_ERR_INPUT_TOO_LARGE] = { "input_too_large",
	    "the image file is larger than allowed" },
	[IMAGING_ERR_FORMAT] = { "image_format",
	    "the image is not a supported JPEG or PNG" },
	[IMAGING_ERR_TRUNCATED] = { "image_truncated",
	    "the image data ends before the image does" },
	[IMAGING_ERR_CORRUPT] = { "image_corrupt",
	    "the image data is corrupt" },
	[IMAGING_ERR_TOO_LARGE] = { "image_too_large",
	    "the image has more pixels than allowed" },
	[IMAGING_ERR_TOO_SMALL] = { "image_too_small",
	    "the image is smaller than the minimum size" },
	[IMAGING_ERR_TOO_MANY_SCANS] = { "too_many_scans",
	    "the progressive JPEG has more scans than allowed" },
	[IMAGING_ERR_PNG_BOMB] = { "png_bomb",
	    "the PNG would decompress to more bytes than allowed" },
	[IMAGING_ERR_EXIF] = { "exif_invalid",
	    "the EXIF orientation cannot be read" },
	[IMAGING_ERR_REGION] = { "region_invalid",
	    "the region is empty or outside the image" },
	[IMAGING_ERR_MODEL] = { "model_error",
	    "a model file is missing or unusable" },
	[IMAGING_ERR_CV] = { "vision_error", "the vision layer failed" },
	[IMAGING_ERR_OCR] = { "ocr_error", "the OCR engine failed" },
	[IMAGING_ERR_INTERNAL] = { "internal_error", "internal error" },
};

const char *
imaging_err_code(int code)
{
	if (code < 0 || code >= IMAGING_ERR_COUNT || errtab[code].code == NULL)
		return ("unknown_error");
	return (errtab[code].code);
}

const char *
imaging_err_message(int code)
{
	if (code < 0 || code >= IMAGING_ERR_COUNT ||
	    errtab[code].message == NULL)
		return ("unknown error");
	return (errtab[code].message);
}

int
imaging_error_set(struct imaging_error *e, int code, const char *fmt, ...)
{
	va_list	ap;

	if (e == NULL)
		return (-1);
	e->code = code;
	if (fmt == NULL) {
		(void)snprintf(e->msg, sizeof(e->msg), "%s",
		    imaging_err_message(code));
		return (-1);
	}
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return (-1);
}

void
imaging_error_clear(struct imaging_error *e)
{
	e->code = IMAGING_OK;
	e->msg[0] = '\0';
}
