/*
 * PNG decoding with libpng: header checked by hand before libpng sees the
 * data, setjmp error handling, 8-bit BGR output (16-bit scaled down,
 * palette and grey expanded, alpha composited over white) and an integer
 * box filter for scaling, applied row by row so that a non-interlaced PNG
 * is never held whole at full size.
 *
 * XXX An eXIf orientation chunk is ignored (phones send JPEG); PNGs are
 * taken as upright, and gamma and colour profiles are not applied.
 */
#include <setjmp.h>
#include <string.h>

#include <png.h>

#include "decode_priv.h"
#include "jpeg_probe.h"

#define PNG_SIG_LEN	8
/* Signature, IHDR length and type, 13 bytes of IHDR, CRC. */
#define PNG_IHDR_END	33
/* Ancillary chunks (iCCP, zTXt, ...) may not inflate past this. */
#define PNG_CHUNK_MAX	(8u * 1024 * 1024)

struct png_ctx {
	struct imaging_decoder	*dec;
	const uint8_t		*buf;
	size_t			 len;
	size_t			 pos;
	int			 truncated;
	int			 excess;	/* zlib data past the image */
};

/* Box-filter state: `k` input rows and columns per output pixel. */
struct shrink {
	int		 k;
	int		 w;		/* input width */
	int		 h;		/* input height */
	int		 ch;		/* 3 (BGR) or 4 (BGRA) */
	int		 ow;
	uint32_t	*acc;		/* ow * 3 sums */
	uint8_t		*out;
	int		 stride;
};

struct png_head {
	uint32_t	w;
	uint32_t	h;
	int		interlace;
};

static int	check_head(struct imaging_decoder *, const uint8_t *, size_t,
		    struct png_head *);
static int	run_libpng(struct png_ctx *, const struct png_head *, int,
		    struct imaging_image *);
static void	shrink_row(struct shrink *, const uint8_t *, int);
static void	read_fn(png_structp, png_bytep, size_t);
static void	error_fn(png_structp, png_const_charp);
static void	warning_fn(png_structp, png_const_charp);
static uint32_t	be32(const uint8_t *);

int
png_decode(struct imaging_decoder *dec, const uint8_t *buf, size_t len,
    const struct imaging_rect *rect, int ref_w, int ref_h, int target,
    struct imaging_image *out, struct imaging_decode_info *info)
{
	struct png_head		 hd;
	struct png_ctx		 ctx;
	struct imaging_rect	 full;
	struct scratch		 swap;
	uint8_t			*dst;
	int			 k, longside, x0, y0, x1, y1, y;

	if (check_head(dec, buf, len, &hd) == -1)
		return (-1);
	info->encoded_width = info->upright_width = (int)hd.w;
	info->encoded_height = info->upright_height = (int)hd.h;
	info->orientation = 1;
	if (rect == NULL) {
		full.x = full.y = 0;
		full.width = (int)hd.w;
		full.height = (int)hd.h;
	} else if (region_to_full(dec, rect, ref_w, ref_h, (int)hd.w,
	    (int)hd.h, &full) == -1)
		return (-1);

	/* The largest integer step that keeps the long side >= target. */
	longside = full.width > full.height ? full.width : full.height;
	k = target > 0 ? longside / target : 1;
	if (k < 1)
		k = 1;
	info->scale_num = 1;
	info->scale_denom = k;
	info->region = full;

	memset(&ctx, 0, sizeof(ctx));
	ctx.dec = dec;
	ctx.buf = buf;
	ctx.len = len;
	if (run_libpng(&ctx, &hd, k, out) == -1)
		return (-1);
	if (rect == NULL)
		return (0);

	/* Cut the region out of the scaled image, into the other buffer. */
	x0 = full.x / k;
	y0 = full.y / k;
	x1 = (full.x + full.width + k - 1) / k;
	y1 = (full.y + full.height + k - 1) / k;
	if (x1 > out->width)
		x1 = out->width;
	if (y1 > out->height)
		y1 = out->height;
	if (scratch_reserve(dec, &dec->tmp, (size_t)(x1 - x0) * 3 *
	    (size_t)(y1 - y0)) == -1)
		return (-1);
	dst = dec->tmp.p;
	for (y = y0; y < y1; y++) {
		memcpy(dst, out->pixels + (size_t)y * out->stride +
		    (size_t)x0 * 3, (size_t)(x1 - x0) * 3);
		dst += (size_t)(x1 - x0) * 3;
	}
	swap = dec->out;
	dec->out = dec->tmp;
	dec->tmp = swap;
	out->width = x1 - x0;
	out->height = y1 - y0;
	out->stride = out->width * 3;
	out->pixels = dec->out.p;
	/* What the output covers exactly: whole k x k boxes. */
	info->region.x = x0 * k;
	info->region.y = y0 * k;
	info->region.width = (x1 * k < (int)hd.w ? x1 * k : (int)hd.w) -
	    x0 * k;
	info->region.height = (y1 * k < (int)hd.h ? y1 * k : (int)hd.h) -
	    y0 * k;
	return (0);
}

/*
 * Read IHDR by hand: dimensions against the limits and the size the zlib
 * stream must inflate to against max_png_bytes, before libpng allocates.
 */
static int
check_head(struct imaging_decoder *dec, const uint8_t *buf, size_t len,
    struct png_head *hd)
{
	uint64_t	rowbytes, raw;
	int		depth, ctype, channels;

	if (len < PNG_IHDR_END)
		return (imaging_error_set(&dec->err, IMAGING_ERR_TRUNCATED,
		    "PNG ends at byte %zu, inside the IHDR chunk", len));
	if (be32(buf + PNG_SIG_LEN) != 13 ||
	    memcmp(buf + PNG_SIG_LEN + 4, "IHDR", 4) != 0)
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "PNG first chunk is not a 13-byte IHDR"));
	hd->w = be32(buf + 16);
	hd->h = be32(buf + 20);
	depth = buf[24];
	ctype = buf[25];
	hd->interlace = buf[28];
	if (hd->w > PNG_UINT_31_MAX || hd->h > PNG_UINT_31_MAX)
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "PNG IHDR declares %ux%u pixels", hd->w, hd->h));
	switch (ctype) {
	case 0:
	case 3:
		channels = 1;
		break;
	case 2:
		channels = 3;
		break;
	case 4:
		channels = 2;
		break;
	case 6:
		channels = 4;
		break;
	default:
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "PNG IHDR colour type %d is invalid", ctype));
	}
	if (depth != 1 && depth != 2 && depth != 4 && depth != 8 &&
	    depth != 16)
		return (imaging_error_set(&dec->err, IMAGING_ERR_CORRUPT,
		    "PNG IHDR bit depth %d is invalid", depth));
	if (imaging_check_dims(&dec->lim, "PNG", hd->w, hd->h,
	    &dec->err) == -1)
		return (-1);
	rowbytes = ((uint64_t)hd->w * (uint64_t)(channels * depth) + 7) / 8;
	raw = (uint64_t)hd->h * (rowbytes + 1);
	if (raw > dec->lim.max_png_bytes)
		return (imaging_error_set(&dec->err, IMAGING_ERR_PNG_BOMB,
		    "PNG %ux%u, %d-bit colour type %d inflates to %llu bytes, "
		    "limit max_png_bytes=%zu", hd->w, hd->h, depth, ctype,
		    (unsigned long long)raw, dec->lim.max_png_bytes));
	return (0);
}

/*
 * All libpng calls.  Nothing declared here changes between setjmp() and a
 * longjmp() and is then read, so no local needs to be volatile; buffers
 * live in the decoder.
 */
static int
run_libpng(struct png_ctx *ctx, const struct png_head *hd, int k,
    struct imaging_image *out)
{
	struct imaging_decoder	*dec = ctx->dec;
	struct shrink		 s;
	png_structp		 png;
	png_infop		 info;
	png_bytep		*rows;
	uint8_t			*rowbuf;
	size_t			 rowbytes, accbytes, need;
	int			 rc, y, passes, ctype, depth, oh;

	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, error_fn,
	    warning_fn);
	if (png == NULL)
		return (imaging_error_set(&dec->err, IMAGING_ERR_NOMEM,
		    "png_create_read_struct failed"));
	info = png_create_info_struct(png);
	if (info == NULL) {
		png_destroy_read_struct(&png, NULL, NULL);
		return (imaging_error_set(&dec->err, IMAGING_ERR_NOMEM,
		    "png_create_info_struct failed"));
	}
	rc = -1;
	if (setjmp(png_jmpbuf(png)))
		goto cleanup;	/* error_fn has set dec->err */

	png_set_read_fn(png, ctx, read_fn);
	png_set_user_limits(png, hd->w, hd->h);
	png_set_chunk_malloc_max(png, PNG_CHUNK_MAX);
	png_read_info(png, info);

	ctype = png_get_color_type(png, info);
	depth = png_get_bit_depth(png, info);
	if (depth == 16)
		png_set_scale_16(png);
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (ctype == PNG_COLOR_TYPE_GRAY ||
	    ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	png_set_bgr(png);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);

	memset(&s, 0, sizeof(s));
	s.k = k;
	s.w = (int)hd->w;
	s.h = (int)hd->h;
	s.ch = png_get_channels(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if ((s.ch != 3 && s.ch != 4) || rowbytes != (size_t)s.w * s.ch) {
		imaging_error_set(&dec->err, IMAGING_ERR_INTERNAL,
		    "PNG transforms gave %d channels, %zu bytes a row", s.ch,
		    rowbytes);
		goto cleanup;
	}
	s.ow = (s.w + k - 1) / k;
	oh = (s.h + k - 1) / k;
	s.stride = s.ow * 3;
	if (scratch_reserve(dec, &dec->out, (size_t)s.stride * oh) == -1)
		goto cleanup;
	s.out = dec->out.p;

	/*
	 * aux holds the box sums, then one row or the row pointers; the
	 * sums are padded so that the pointers are aligned.
	 */
	accbytes = (size_t)s.ow * 3 * sizeof(uint32_t);
	accbytes = (accbytes + 15) & ~(size_t)15;
	need = accbytes + (passes > 1 ? (size_t)s.h * sizeof(png_bytep) :
	    rowbytes);
	if (scratch_reserve(dec, &dec->aux, need) == -1)
		goto cleanup;
	s.acc = (uint32_t *)(void *)dec->aux.p;

	if (passes == 1) {
		rowbuf = dec->aux.p + accbytes;
		for (y = 0; y < s.h; y++) {
			png_read_row(png, rowbuf, NULL);
			shrink_row(&s, rowbuf, y);
		}
	} else {
		/* De-interlacing needs the whole image at once. */
		if ((uint64_t)rowbytes * (uint64_t)s.h >
		    dec->lim.max_png_bytes) {
			imaging_error_set(&dec->err, IMAGING_ERR_PNG_BOMB,
			    "interlaced PNG needs %llu bytes to de-interlace, "
			    "limit max_png_bytes=%zu",
			    (unsigned long long)rowbytes * (unsigned)s.h,
			    dec->lim.max_png_bytes);
			goto cleanup;
		}
		if (scratch_reserve(dec, &dec->tmp, rowbytes * s.h) == -1)
			goto cleanup;
		rows = (png_bytep *)(void *)(dec->aux.p + accbytes);
		for (y = 0; y < s.h; y++)
			rows[y] = dec->tmp.p + (size_t)y * rowbytes;
		png_read_image(png, rows);
		for (y = 0; y < s.h; y++)
			shrink_row(&s, rows[y], y);
	}
	if (ctx->excess) {
		imaging_error_set(&dec->err, IMAGING_ERR_PNG_BOMB,
		    "PNG zlib stream inflates past its %dx%d image "
		    "(decompression bomb)", s.w, s.h);
		goto cleanup;
	}
	out->width = s.ow;
	out->height = oh;
	out->stride = s.stride;
	out->pixels = s.out;
	rc = 0;
cleanup:
	png_destroy_read_struct(&png, &info, NULL);
	return (rc);
}

/* Composite one BGR(A) row over white and add it to the box filter. */
static void
shrink_row(struct shrink *s, const uint8_t *row, int y)
{
	uint8_t		*o;
	uint32_t	 a, v, n;
	int		 x, c, ox, rows, cols;

	o = s->out + (size_t)(y / s->k) * s->stride;
	if (s->k > 1 && y % s->k == 0)
		memset(s->acc, 0, (size_t)s->ow * 3 * sizeof(uint32_t));
	for (x = 0; x < s->w; x++, row += s->ch) {
		a = s->ch == 4 ? row[3] : 255;
		for (c = 0; c < 3; c++) {
			v = (row[c] * a + 255 * (255 - a) + 127) / 255;
			if (s->k == 1)
				o[x * 3 + c] = (uint8_t)v;
			else
				s->acc[(x / s->k) * 3 + c] += v;
		}
	}
	if (s->k == 1 || (y % s->k != s->k - 1 && y != s->h - 1))
		return;
	rows = y % s->k + 1;
	for (ox = 0; ox < s->ow; ox++) {
		cols = s->w - ox * s->k < s->k ? s->w - ox * s->k : s->k;
		n = (uint32_t)(rows * cols);
		for (c = 0; c < 3; c++)
			o[ox * 3 + c] = (uint8_t)((s->acc[ox * 3 + c] + n / 2) /
			    n);
	}
}

static void
read_fn(png_structp png, png_bytep data, size_t n)
{
	struct png_ctx	*ctx = png_get_io_ptr(png);

	if (n > ctx->len - ctx->pos) {
		ctx->truncated = 1;
		png_error(png, "data ends early");
	}
	memcpy(data, ctx->buf + ctx->pos, n);
	ctx->pos += n;
}

static void
error_fn(png_structp png, png_const_charp msg)
{
	struct png_ctx	*ctx = png_get_error_ptr(png);
	int		 code;

	code = IMAGING_ERR_CORRUPT;
	if (ctx->truncated)
		code = IMAGING_ERR_TRUNCATED;
	else if (strstr(msg, "memory") != NULL)
		code = IMAGING_ERR_NOMEM;
	imaging_error_set(&ctx->dec->err, code, "PNG at byte %zu: %s",
	    ctx->pos, msg);
	png_longjmp(png, 1);
}

static void
warning_fn(png_structp png, png_const_charp msg)
{
	/* Benign problems (a bad ancillary chunk, extra data) are ignored. */
	struct png_ctx	*ctx = png_get_error_ptr(png);

	/*
	 * Benign problems (a bad ancillary chunk) are ignored, except a zlib
	 * stream longer than the image: libpng stops inflating it, but it is
	 * the shape of a decompression bomb and no encoder writes it.
	 */
	if (strstr(msg, "Too much image data") != NULL)
		ctx->excess = 1;
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}
