/*
 * One line of text from a grey image, through Tesseract's C API.
 *
 * One engine per thread, created once (loading a language costs tens of
 * milliseconds and megabytes) and reused for every line; the whitelist
 * is set per call.  Nothing here aborts.
 */
#ifndef IMAGING_OCR_H
#define IMAGING_OCR_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* Up to this many characters per line, and alternatives per character. */
#define IMAGING_OCR_MAX_CHARS	64
#define IMAGING_OCR_MAX_ALT	4

/* One recognised character and what else it might have been. */
struct imaging_ocr_char {
	int	nalt;
	char	alt[IMAGING_OCR_MAX_ALT];	/* alt[0] is the choice made */
	float	conf[IMAGING_OCR_MAX_ALT];	/* 0..100 */
	int	x0;				/* left edge, pixels */
	int	x1;				/* right edge */
};

struct imaging_ocr_line {
	char			text[IMAGING_OCR_MAX_CHARS + 1];	/* no spaces */
	int			nchars;
	struct imaging_ocr_char	chars[IMAGING_OCR_MAX_CHARS];
	double			confidence;	/* mean over characters */
};

struct imaging_ocr;

/*
 * Load Tesseract with `lang` ("eng") from `tessdata` (NULL: the system
 * default).  Returns NULL and fills err (IMAGING_ERR_OCR) on failure.
 */
struct imaging_ocr	*imaging_ocr_new(const char *tessdata, const char *lang,
			    struct imaging_error *err);
void			 imaging_ocr_free(struct imaging_ocr *);

/*
 * Read one line of single-byte characters from an 8-bit grey image (dark
 * ink on light ground), keeping only characters of `whitelist`.  Only
 * ASCII results are kept: anything else is dropped.
 * Returns 0 (out->nchars may be 0), or -1 if the engine failed.
 */
int	imaging_ocr_read_line(struct imaging_ocr *, const uint8_t *grey,
	    int width, int height, int stride, const char *whitelist,
	    struct imaging_ocr_line *out);

#endif
