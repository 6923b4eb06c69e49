/*
 * Tesseract through its C API; see ocr.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tesseract/capi.h>

#include "ocr.h"

#define OCR_DEFAULT_TESSDATA	"/usr/share/tesseract-ocr/5/tessdata"

struct imaging_ocr {
	TessBaseAPI	*api;
};

struct imaging_ocr *
imaging_ocr_new(const char *tessdata, const char *lang,
    struct imaging_error *err)
{
	struct imaging_ocr	*o;
	/*
	 * Dictionaries only hurt digit strings, and skipping them saves
	 * load time; lstm_choice_mode 2 keeps per-character alternatives.
	 */
	char			*names[] = { "load_system_dawg",
				    "load_freq_dawg", "lstm_choice_mode",
				    "debug_file" };
	char			*values[] = { "0", "0", "2", "/dev/null" };

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		if (err != NULL)
			(void)imaging_error_set(err, IMAGING_ERR_NOMEM, NULL);
		return (NULL);
	}
	if ((o->api = TessBaseAPICreate()) == NULL) {
		free(o);
		if (err != NULL)
			(void)imaging_error_set(err, IMAGING_ERR_OCR,
			    "cannot create a Tesseract engine");
		return (NULL);
	}
	if (tessdata == NULL)
		tessdata = OCR_DEFAULT_TESSDATA;
	if (TessBaseAPIInit4(o->api, tessdata, lang, OEM_LSTM_ONLY, NULL, 0,
	    names, values, sizeof(names) / sizeof(names[0]), 0) != 0) {
		if (err != NULL)
			(void)imaging_error_set(err, IMAGING_ERR_OCR,
			    "Tesseract cannot load language %s from %s",
			    lang, tessdata);
		TessBaseAPIDelete(o->api);
		free(o);
		return (NULL);
	}
	TessBaseAPISetPageSegMode(o->api, PSM_SINGLE_LINE);
	return (o);
}

void
imaging_ocr_free(struct imaging_ocr *o)
{
	if (o == NULL)
		return;
	TessBaseAPIEnd(o->api);
	TessBaseAPIDelete(o->api);
	free(o);
}

int
imaging_ocr_read_line(struct imaging_ocr *o, const uint8_t *grey,
    int width, int height, int stride, const char *whitelist,
    struct imaging_ocr_line *out)
{
	TessResultIterator	*it;
	double			 sum = 0;

	memset(out, 0, sizeof(*out));
	if (o == NULL || grey == NULL || width < 8 || height < 8 ||
	    stride < width)
		return (-1);
	if (!TessBaseAPISetVariable(o->api, "tessedit_char_whitelist",
	    whitelist != NULL ? whitelist : ""))
		return (-1);
	TessBaseAPISetImage(o->api, grey, width, height, 1, stride);
	/* The line is read at its pixel size; say so, to silence a warning. */
	TessBaseAPISetSourceResolution(o->api, 300);
	if (TessBaseAPIRecognize(o->api, NULL) != 0) {
		TessBaseAPIClear(o->api);
		return (-1);
	}
	it = TessBaseAPIGetIterator(o->api);
	if (it == NULL) {
		TessBaseAPIClear(o->api);
		return (0);
	}
	do {
		struct imaging_ocr_char	*c;
		TessChoiceIterator	*ci;
		const TessPageIterator	*pi;
		char			*sym;
		int			 l, t, r, b;

		sym = TessResultIteratorGetUTF8Text(it, RIL_SYMBOL);
		if (sym == NULL)
			continue;
		if (sym[0] == '\0' || sym[1] != '\0' ||
		    (unsigned char)sym[0] >= 0x80 || sym[0] == ' ' ||
		    out->nchars == IMAGING_OCR_MAX_CHARS) {
			TessDeleteText(sym);
			continue;
		}
		c = &out->chars[out->nchars];
		c->alt[0] = sym[0];
		c->conf[0] = TessResultIteratorConfidence(it, RIL_SYMBOL);
		c->nalt = 1;
		TessDeleteText(sym);
		pi = TessResultIteratorGetPageIteratorConst(it);
		if (pi != NULL && TessPageIteratorBoundingBox(pi, RIL_SYMBOL,
		    &l, &t, &r, &b)) {
			c->x0 = l;
			c->x1 = r;
		}
		ci = TessResultIteratorGetChoiceIterator(it);
		if (ci != NULL) {
			do {
				const char	*a = TessChoiceIteratorGetUTF8Text(ci);
				int		 k;

				if (a == NULL || a[0] == '\0' || a[1] != '\0')
					continue;
				for (k = 0; k < c->nalt; k++)
					if (c->alt[k] == a[0])
						break;
				if (k < c->nalt || c->nalt == IMAGING_OCR_MAX_ALT)
					continue;
				c->alt[c->nalt] = a[0];
				c->conf[c->nalt] = TessChoiceIteratorConfidence(ci);
				c->nalt++;
			} while (TessChoiceIteratorNext(ci));
			TessChoiceIteratorDelete(ci);
		}
		out->text[out->nchars] = c->alt[0];
		sum += c->conf[0];
		out->nchars++;
	} while (TessResultIteratorNext(it, RIL_SYMBOL));
	TessResultIteratorDelete(it);
	TessBaseAPIClear(o->api);
	out->text[out->nchars] = '\0';
	out->confidence = out->nchars > 0 ? sum / out->nchars : 0;
	return (0);
}
