/*
 * JPEG decoding with TurboJPEG: probe, EXIF orientation, DCT-scaled
 * decompression, regions through libjpeg's scanline API (or a lossless
 * crop), then rotation upright.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <turbojpeg.h>

#include "decode_priv.h"
#include "exif.h"
#include "jpeg_probe.h"
#include "orient.h"

/* TurboJPEG's own scan cap (TJFLAG_LIMITSCANS). */
#define TJ_SCAN_LIMIT	500

struct jpeg_head {
	struct jpeg_probe	probe;
	int			orientation;
	int			subsamp;
	int			flags;
};

static int	read_head(struct imaging_decoder *, const uint8_t *, size_t,
		    struct jpeg_head *, struct imaging_decode_info *);
static int	choose_scale(struct imaging_decoder *, int, int,
		    tjscalingfactor *);
static int	decompress(struct imaging_decoder *, const uint8_t *, size_t,
		    const struct jpeg_head *, int, int, uint8_t *);
static int	crop_jpeg(struct imaging_decoder *, const uint8_t *, size_t,
		    const struct jpeg_head *, const tjregion *,
		    const uint8_t **, size_t *);
static void	encoded_rect(int, int, int, const struct imaging_rect *,
		    struct imaging_rect *);
static int	scanline_region(struct imaging_decoder *, const uint8_t *,
		    size_t, const struct imaging_rect *, tjscalingfactor,
		    struct imaging_image *);

int
jpeg_decode(struct imaging_decoder *dec, const uint8_t *buf, size_t len,
    const struct imaging_rect *rect, int ref_w, int ref_h, int target,
    struct imaging_image *out, struct imaging_decode_info *info)
{
	struct jpeg_head	 h;
	struct imaging_rect	 full, enc;
	struct imaging_image	 src;
	tjscalingfactor		 sf;
	tjregion		 crop;
	const uint8_t		*jb;
	size_t			 jlen, need;
	int			 w, hgt, mw, mh, sw, sh, ox, oy, ow, oh;

	if (read_head(dec, buf, len, &h, info) == -1)
		return (-1);
	w = h.probe.width;
	hgt = h.probe.height;
	if (rect == NULL) {
		full.x = full.y = 0;
		full.width = info->upright_width;
		full.height = info->upright_height;
	} else if (region_to_full(dec, rect, ref_w, ref_h,
	    info->upright_width, info->upright_height, &full) == -1)
		return (-1);
	encoded_rect(h.orientation, w, hgt, &full, &enc);
	if (choose_scale(dec, enc.width > enc.height ? enc.width : enc.height,
	    target, &sf) == -1)
		return (-1);
	info->region = full;
	info->scale_num = sf.num;
	info->scale_denom = sf.denom;

	/*
	 * A region of a single-scan JPEG: only the rows down to it and the
	 * columns around it are decoded.
	 */
	if (rect != NULL && !h.probe.progressive && h.probe.scans == 1 &&
	    scanline_region(dec, buf, len, &enc, sf, &src) == 0)
		goto upright;

	/* Cut the region out losslessly, on MCU boundaries. */
	jb = buf;
	jlen = len;
	crop.x = crop.y = 0;
	crop.w = w;
	crop.h = hgt;
	/*
	 * A lossless crop reads every coefficient of the image into memory;
	 * past max_coef_pixels the region is cut from a streamed decode.
	 */
	if (rect != NULL && (uint64_t)w * (uint64_t)hgt <=
	    dec->lim.max_coef_pixels) {
		mw = tjMCUWidth[h.subsamp];
		mh = tjMCUHeight[h.subsamp];
		crop.x = enc.x - enc.x % mw;
		crop.y = enc.y - enc.y % mh;
		crop.w = enc.x + enc.width - crop.x;
		crop.h = enc.y + enc.height - crop.y;
		if (crop.w != w || crop.h != hgt) {
			if (crop_jpeg(dec, buf, len, &h, &crop, &jb,
			    &jlen) == -1)
				return (-1);
		}
	}

	/* Decompress the (cropped) image at the chosen scale. */
	sw = TJSCALED(crop.w, sf);
	sh = TJSCALED(crop.h, sf);
	need = (size_t)sw * (size_t)sh * 3;
	if (rect == NULL && h.orientation == 1) {
		if (scratch_reserve(dec, &dec->out, need) == -1)
			return (-1);
		if (decompress(dec, jb, jlen, &h, sw, sh, dec->out.p) == -1)
			return (-1);
		out->width = sw;
		out->height = sh;
		out->stride = sw * 3;
		out->pixels = dec->out.p;
		return (0);
	}
	if (scratch_reserve(dec, &dec->tmp, need) == -1)
		return (-1);
	if (decompress(dec, jb, jlen, &h, sw, sh, dec->tmp.p) == -1)
		return (-1);

	/* The wanted part of what was decompressed, in scaled pixels. */
	ox = (int)((int64_t)(enc.x - crop.x) * sf.num / sf.denom);
	oy = (int)((int64_t)(enc.y - crop.y) * sf.num / sf.denom);
	ow = TJSCALED(enc.width, sf);
	oh = TJSCALED(enc.height, sf);
	if (ox >= sw)
		ox = sw - 1;
	if (oy >= sh)
		oy = sh - 1;
	if (ow > sw - ox)
		ow = sw - ox;
	if (oh > sh - oy)
		oh = sh - oy;
	src.width = ow;
	src.height = oh;
	src.stride = sw * 3;
	src.pixels = dec->tmp.p + (size_t)oy * src.stride + (size_t)ox * 3;

upright:
	imaging_orient_dims(h.orientation, src.width, src.height, &out->width,
	    &out->height);
	out->stride = out->width * 3;
	if (scratch_reserve(dec, &dec->out, (size_t)out->stride *
	    (size_t)out->height) == -1)
		return (-1);
	out->pixels = dec->out.p;
	if (imaging_orient_apply(&src, h.orientation, out) == -1)
		return (imaging_error_set(&dec->err, IMAGING_ERR_INTERNAL,
		    "orientation %d: dimensions do not match", h.orientation));
	return (0);
}

/*
 * Everything known before pixels: the marker walk (limits), the EXIF
 * orientation and TurboJPEG's view of the header.
 */
static int
read_head(struct imaging_decoder *dec, const uint8_t *buf, size_t len,
    struct jpeg_head *h, struct imaging_decode_info *info)
{
	struct imaging_error	 exif_err;
	int			 w, hgt, cs;

	memset(h, 0, sizeof(*h));
	h->orientation = 1;
	if (jpeg_probe(buf, len, &dec->lim, &h->probe, &dec->err) == -1)
		return (-1);
	info->encoded_width = h->probe.width;
	info->encoded_height = h->probe.height;
	info->scans = h->probe.scans;
	info->progressive = h->probe.progressive;
	if (h->probe.exif != NULL && imaging_exif_orientation(h->probe.exif,
	    h->probe.exif_len, &h->orientation, &exif_err) == -1) {
		if (dec->lim.exif_strict) {
			dec->err = exif_err;
			return (-1);
		}
		h->orientation = 1;
	}
	info->orientation = h->orientation;
	imaging_orient_dims(h->orientation, h->probe.width, h->probe.height,
	    &info->upright_width, &info->upright_height);

	if (tjDecompressHeader3(dec->tj_dec, buf, (unsigned long)len, &w, &hgt,
	    &h->subsamp, &cs) == -1)
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "JPEG header: %s", tjGetErrorStr2(dec->tj_dec)));
	if (w != h->probe.width || hgt != h->probe.height)
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "JPEG SOF says %dx%d, decoder says %dx%d",
		    h->probe.width, h->probe.height, w, hgt));
	if (cs == TJCS_CMYK || cs == TJCS_YCCK)
		return (imaging_error_set(&dec->err, IMAGING_ERR_FORMAT,
		    "CMYK JPEG is not supported"));
	if (h->subsamp < 0 || h->subsamp >= TJ_NUMSAMP)
		return (imaging_error_set(&dec->err, IMAGING_ERR_FORMAT,
		    "JPEG chroma subsampling is not supported"));
	/*
	 * The probe has counted the scans exactly; TurboJPEG's own cap (500)
	 * is a second fence, left off only if ours was raised above it.
	 */
	h->flags = 0;
	if (dec->lim.max_scans <= TJ_SCAN_LIMIT)
		h->flags |= TJFLAG_LIMITSCANS;
	return (0);
}

/*
 * The smallest TurboJPEG scale (not above 1) that keeps `longside` at or
 * above `target`; 1/1 when even that is below the target.
 */
static int
choose_scale(struct imaging_decoder *dec, int longside, int target,
    tjscalingfactor *best)
{
	tjscalingfactor	*sfs;
	int		 i, n, s, bests;

	best->num = best->denom = 1;
	if (target <= 0)
		return (0);
	sfs = tjGetScalingFactors(&n);
	if (sfs == NULL)
		return (imaging_error_set(&dec->err, IMAGING_ERR_INTERNAL,
		    "tjGetScalingFactors: %s", tjGetErrorStr2(NULL)));
	bests = longside;
	for (i = 0; i < n; i++) {
		if (sfs[i].num > sfs[i].denom)
			continue;
		s = TJSCALED(longside, sfs[i]);
		if (s >= target && s < bests) {
			*best = sfs[i];
			bests = s;
		}
	}
	return (0);
}

/*
 * Decompress into `dst` at `sw` x `sh`, the image's size at scale `sf`:
 * TurboJPEG picks the scale from the output size.  Warnings (a few corrupt
 * bytes in the entropy data) still yield a whole image and are accepted;
 * the probe has already rejected truncation.
 */
static int
decompress(struct imaging_decoder *dec, const uint8_t *jb, size_t jlen,
    const struct jpeg_head *h, int sw, int sh, uint8_t *dst)
{
	if (tjDecompress2(dec->tj_dec, jb, (unsigned long)jlen, dst, sw,
	    sw * 3, sh, TJPF_BGR, h->flags) == -1 &&
	    tjGetErrorCode(dec->tj_dec) != TJERR_WARNING)
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "JPEG decode: %s", tjGetErrorStr2(dec->tj_dec)));
	return (0);
}

/*
 * Losslessly crop `crop` (MCU-aligned) out of the JPEG into dec->jpeg.
 * Markers are not copied, so the worst-case size is known up front.
 */
static int
crop_jpeg(struct imaging_decoder *dec, const uint8_t *buf, size_t len,
    const struct jpeg_head *h, const tjregion *crop, const uint8_t **jb,
    size_t *jlen)
{
	tjtransform	 xf;
	unsigned long	 cap, size;
	unsigned char	*dst;

	if (dec->tj_xform == NULL) {
		dec->tj_xform = tjInitTransform();
		if (dec->tj_xform == NULL)
			return (imaging_error_set(&dec->err,
			    IMAGING_ERR_NOMEM, "tjInitTransform: %s",
			    tjGetErrorStr2(NULL)));
	}
	cap = tjBufSize(crop->w, crop->h, h->subsamp);
	if (cap == (unsigned long)-1)
		return (imaging_error_set(&dec->err, IMAGING_ERR_INTERNAL,
		    "tjBufSize(%d, %d) failed", crop->w, crop->h));
	if (scratch_reserve(dec, &dec->jpeg, cap) == -1)
		return (-1);
	memset(&xf, 0, sizeof(xf));
	xf.r = *crop;
	xf.op = TJXOP_NONE;
	xf.options = TJXOPT_CROP | TJXOPT_COPYNONE;
	dst = dec->jpeg.p;
	size = cap;
	if (tjTransform(dec->tj_xform, buf, (unsigned long)len, 1, &dst, &size,
	    &xf, h->flags | TJFLAG_NOREALLOC) == -1 &&
	    tjGetErrorCode(dec->tj_xform) != TJERR_WARNING)
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "JPEG crop %d,%d %dx%d: %s", crop->x, crop->y, crop->w,
		    crop->h, tjGetErrorStr2(dec->tj_xform)));
	*jb = dst;
	*jlen = size;
	return (0);
}

/*
 * The encoded-pixel rectangle holding upright rectangle `u` of an image
 * stored as `w` x `h` with `orientation`.
 */
static void
encoded_rect(int orientation, int w, int h, const struct imaging_rect *u,
    struct imaging_rect *e)
{
	int	x0, y0, x1, y1;

	imaging_orient_point(orientation, w, h, u->x, u->y, &x0, &y0);
	imaging_orient_point(orientation, w, h, u->x + u->width - 1,
	    u->y + u->height - 1, &x1, &y1);
	e->x = x0 < x1 ? x0 : x1;
	e->y = y0 < y1 ? y0 : y1;
	e->width = (x0 < x1 ? x1 - x0 : x0 - x1) + 1;
	e->height = (y0 < y1 ? y1 - y0 : y0 - y1) + 1;
}

/* libjpeg's errors come back here instead of exiting. */
struct jerr {
	struct jpeg_error_mgr	pub;
	jmp_buf			jb;
};

static void
jerr_exit(j_common_ptr c)
{
	struct jerr	*e = (struct jerr *)c->err;

	longjmp(e->jb, 1);
}

/* Warnings (a few corrupt bytes) are accepted, as TurboJPEG's are. */
static void
jerr_message(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/*
 * Decode encoded rectangle `enc` at scale `sf` into dec->tmp with
 * libjpeg's scanline API: rows above it are skipped (entropy-decoded,
 * not transformed), rows below it are never read, and only the iMCU
 * columns around it are transformed.  The lossless crop reads and
 * re-encodes the whole image first, several times the work for a face.
 * `src` receives a view of the rectangle, as the crop path gives it.
 * -1 when libjpeg refuses anything (nothing is reported): the caller
 * then takes the lossless crop path, which reports its own errors.
 */
static int
scanline_region(struct imaging_decoder *dec, const uint8_t *buf, size_t len,
    const struct imaging_rect *enc, tjscalingfactor sf,
    struct imaging_image *src)
{
	struct jpeg_decompress_struct	 ci;
	struct jerr			 je;
	JDIMENSION			 xoff, cw;
	JSAMPROW			 row;
	int				 x0, y0, w, h, stride;

	memset(&ci, 0, sizeof(ci));
	ci.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = jerr_exit;
	je.pub.emit_message = jerr_message;
	if (setjmp(je.jb)) {
		jpeg_destroy_decompress(&ci);
		return (-1);
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, buf, (unsigned long)len);
	if (jpeg_read_header(&ci, TRUE) != JPEG_HEADER_OK ||
	    ci.progressive_mode || ci.num_components != 3 ||
	    ci.jpeg_color_space != JCS_YCbCr)
		goto fail;
	ci.scale_num = (unsigned int)sf.num;
	ci.scale_denom = (unsigned int)sf.denom;
	ci.out_color_space = JCS_EXT_BGR;
	if (!jpeg_start_decompress(&ci))
		goto fail;
	/* The rectangle in scaled pixels, as the crop path computes it. */
	x0 = (int)((int64_t)enc->x * sf.num / sf.denom);
	y0 = (int)((int64_t)enc->y * sf.num / sf.denom);
	w = TJSCALED(enc->width, sf);
	h = TJSCALED(enc->height, sf);
	if (x0 >= (int)ci.output_width || y0 >= (int)ci.output_height ||
	    w < 1 || h < 1)
		goto fail;
	if (w > (int)ci.output_width - x0)
		w = (int)ci.output_width - x0;
	if (h > (int)ci.output_height - y0)
		h = (int)ci.output_height - y0;
	xoff = (JDIMENSION)x0;
	cw = (JDIMENSION)w;
	jpeg_crop_scanline(&ci, &xoff, &cw);
	if ((int)xoff > x0 || (int)(xoff + cw) < x0 + w ||
	    ci.output_width != cw)
		goto fail;
	stride = (int)cw * 3;
	if (scratch_reserve(dec, &dec->tmp, (size_t)stride * (size_t)h) == -1) {
		imaging_error_clear(&dec->err);
		goto fail;
	}
	if (y0 > 0 && jpeg_skip_scanlines(&ci, (JDIMENSION)y0) !=
	    (JDIMENSION)y0)
		goto fail;
	while ((int)ci.output_scanline < y0 + h) {
		row = dec->tmp.p + (size_t)((int)ci.output_scanline - y0) *
		    (size_t)stride;
		if (jpeg_read_scanlines(&ci, &row, 1) != 1)
			goto fail;
	}
	jpeg_abort_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	src->width = w;
	src->height = h;
	src->stride = stride;
	src->pixels = dec->tmp.p + (size_t)(x0 - (int)xoff) * 3;
	return (0);

fail:
	jpeg_destroy_decompress(&ci);
	return (-1);
}
