/*
 * Test-input crafting.  The EXIF orientation transforms here are written
 * from the EXIF definition (where row 0 and column 0 of the stored image
 * lie), independently of imaging/orient.c, so that a test built on them
 * can catch a wrong transform in the library.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>

#include "craft.h"

struct membuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

static int	mb_put(struct membuf *, const void *, size_t);
static void	png_write_fn(png_structp, png_bytep, size_t);
static void	png_flush_fn(png_structp);
static void	put_be32(uint8_t *, uint32_t);
static int	png_chunk(struct membuf *, const char *, const uint8_t *,
		    size_t);
static void	stored_from_upright(int, int, int, int, int, int *, int *);

char *
craft_shared_path(const char *rel, char *buf, size_t bufsz)
{
	const char	*root = getenv("REALNAME_SHARED_DATA");

	if (root == NULL)
		root = "../shared/data";
	(void)snprintf(buf, bufsz, "%s/%s", root, rel);
	return (buf);
}

int
craft_read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE	*fp;
	long	 n;

	*buf = NULL;
	*len = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return (-1);
	if (fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1) {
		fclose(fp);
		return (-1);
	}
	if ((*buf = malloc((size_t)n + 1)) == NULL ||
	    fread(*buf, 1, (size_t)n, fp) != (size_t)n) {
		free(*buf);
		*buf = NULL;
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	*len = (size_t)n;
	return (0);
}

int
craft_image_alloc(struct imaging_image *img, int w, int h)
{
	img->width = w;
	img->height = h;
	img->stride = w * 3;
	img->pixels = calloc((size_t)w * 3, (size_t)h);
	return (img->pixels == NULL ? -1 : 0);
}

void
craft_image_free(struct imaging_image *img)
{
	free(img->pixels);
	memset(img, 0, sizeof(*img));
}

int
craft_image_copy(const struct imaging_image *src, struct imaging_image *dst)
{
	int	y;

	if (craft_image_alloc(dst, src->width, src->height) == -1)
		return (-1);
	for (y = 0; y < src->height; y++)
		memcpy(dst->pixels + (size_t)y * dst->stride,
		    src->pixels + (size_t)y * src->stride,
		    (size_t)src->width * 3);
	return (0);
}

int
craft_jpeg_encode(const struct imaging_image *img, int quality,
    int progressive, uint8_t **out, size_t *outlen)
{
	tjhandle	 tj;
	unsigned char	*jb = NULL;
	unsigned long	 jlen = 0;
	int		 rc;

	if ((tj = tjInitCompress()) == NULL)
		return (-1);
	rc = tjCompress2(tj, img->pixels, img->width, img->stride,
	    img->height, TJPF_BGR, &jb, &jlen, TJSAMP_420, quality,
	    progressive ? TJFLAG_PROGRESSIVE : 0);
	tjDestroy(tj);
	if (rc == -1)
		return (-1);
	*out = malloc(jlen);
	if (*out == NULL) {
		tjFree(jb);
		return (-1);
	}
	memcpy(*out, jb, jlen);
	*outlen = jlen;
	tjFree(jb);
	return (0);
}

size_t
craft_tiff_orientation(uint8_t *b, int value, int le)
{
	/* Header, IFD0 at 8 with one entry, next-IFD offset 0. */
	static const uint8_t	le_tmpl[26] = {
	    'I', 'I', 42, 0, 8, 0, 0, 0,
	    1, 0,
	    0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0 };
	static const uint8_t	be_tmpl[26] = {
	    'M', 'M', 0, 42, 0, 0, 0, 8,
	    0, 1,
	    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,
	    0, 0, 0, 0 };

	memcpy(b, le ? le_tmpl : be_tmpl, sizeof(le_tmpl));
	if (le) {
		b[18] = (uint8_t)value;
		b[19] = (uint8_t)(value >> 8);
	} else {
		b[18] = (uint8_t)(value >> 8);
		b[19] = (uint8_t)value;
	}
	return (sizeof(le_tmpl));
}

int
craft_jpeg_insert_exif(const uint8_t *jpeg, size_t len, const uint8_t *tiff,
    size_t tifflen, uint8_t **out, size_t *outlen)
{
	struct membuf	mb = { NULL, 0, 0 };
	uint8_t		hdr[10];
	size_t		seglen;

	seglen = 2 + 6 + tifflen;
	if (len < 2 || seglen > 0xffff)
		return (-1);
	hdr[0] = 0xff;
	hdr[1] = 0xe1;
	hdr[2] = (uint8_t)(seglen >> 8);
	hdr[3] = (uint8_t)seglen;
	memcpy(hdr + 4, "Exif\0\0", 6);
	if (mb_put(&mb, jpeg, 2) == -1 || mb_put(&mb, hdr, sizeof(hdr)) == -1 ||
	    mb_put(&mb, tiff, tifflen) == -1 ||
	    mb_put(&mb, jpeg + 2, len - 2) == -1) {
		free(mb.p);
		return (-1);
	}
	*out = mb.p;
	*outlen = mb.len;
	return (0);
}

int
craft_jpeg_oriented(const struct imaging_image *u, int orientation,
    int quality, uint8_t **out, size_t *outlen)
{
	struct imaging_image	 s;
	uint8_t			 tiff[64], *plain;
	size_t			 plainlen, tifflen;
	int			 x, y, ux, uy, rc;
	const uint8_t		*sp;

	if (orientation >= 5)
		rc = craft_image_alloc(&s, u->height, u->width);
	else
		rc = craft_image_alloc(&s, u->width, u->height);
	if (rc == -1)
		return (-1);
	for (y = 0; y < s.height; y++) {
		for (x = 0; x < s.width; x++) {
			stored_from_upright(orientation, u->width, u->height,
			    x, y, &ux, &uy);
			sp = u->pixels + (size_t)uy * u->stride +
			    (size_t)ux * 3;
			memcpy(s.pixels + (size_t)y * s.stride +
			    (size_t)x * 3, sp, 3);
		}
	}
	rc = craft_jpeg_encode(&s, quality, 0, &plain, &plainlen);
	craft_image_free(&s);
	if (rc == -1)
		return (-1);
	tifflen = craft_tiff_orientation(tiff, orientation, orientation % 2);
	rc = craft_jpeg_insert_exif(plain, plainlen, tiff, tifflen, out,
	    outlen);
	free(plain);
	return (rc);
}

/*
 * Which upright pixel (ux, uy) the stored pixel (x, y) shows, for an
 * upright image of `w` x `h`, from the EXIF definition of each value.
 */
static void
stored_from_upright(int o, int w, int h, int x, int y, int *ux, int *uy)
{
	switch (o) {
	case 2:		/* row 0 top, column 0 right */
		*ux = w - 1 - x; *uy = y;
		break;
	case 3:		/* row 0 bottom, column 0 right */
		*ux = w - 1 - x; *uy = h - 1 - y;
		break;
	case 4:		/* row 0 bottom, column 0 left */
		*ux = x; *uy = h - 1 - y;
		break;
	case 5:		/* row 0 left, column 0 top */
		*ux = y; *uy = x;
		break;
	case 6:		/* row 0 right, column 0 top */
		*ux = w - 1 - y; *uy = x;
		break;
	case 7:		/* row 0 right, column 0 bottom */
		*ux = w - 1 - y; *uy = h - 1 - x;
		break;
	case 8:		/* row 0 left, column 0 bottom */
		*ux = y; *uy = h - 1 - x;
		break;
	default:
		*ux = x; *uy = y;
		break;
	}
}

int
craft_jpeg_sof_only(int w, int h, uint8_t **out, size_t *outlen)
{
	return (craft_jpeg_sof_marker(0xc0, w, h, out, outlen));
}

int
craft_jpeg_sof_marker(int marker, int w, int h, uint8_t **out,
    size_t *outlen)
{
	uint8_t	b[] = {
	    0xff, 0xd8,
	    0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
	    0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0,
		0x12, 0x34, 0x56, 0x78,
	    0xff, 0xd9 };

	b[3] = (uint8_t)marker;
	b[7] = (uint8_t)(h >> 8);
	b[8] = (uint8_t)h;
	b[9] = (uint8_t)(w >> 8);
	b[10] = (uint8_t)w;
	if ((*out = malloc(sizeof(b))) == NULL)
		return (-1);
	memcpy(*out, b, sizeof(b));
	*outlen = sizeof(b);
	return (0);
}

int
craft_jpeg_many_scans(const uint8_t *p, size_t len, int scans, uint8_t **out,
    size_t *outlen)
{
	struct membuf	mb = { NULL, 0, 0 };
	size_t		i, sos = 0, eoi = 0, best = 0, bestlen = 0;
	int		have = 0, k;

	/*
	 * Find the EOI and the shortest scan (an SOS up to the next SOS or
	 * EOI), so that thousands of copies stay small.  Scanning for 0xff
	 * 0xda / 0xff 0xd9 is exact: entropy data stuffs every 0xff.
	 */
	for (i = 2; i + 1 < len; i++) {
		if (p[i] != 0xff || (p[i + 1] != 0xda && p[i + 1] != 0xd9))
			continue;
		if (have > 0 && (bestlen == 0 || i - sos < bestlen)) {
			best = sos;
			bestlen = i - sos;
		}
		if (p[i + 1] == 0xd9) {
			eoi = i;
			break;
		}
		sos = i;
		have++;
	}
	if (have == 0 || eoi == 0 || bestlen == 0)
		return (-1);
	if (mb_put(&mb, p, eoi) == -1)
		goto fail;
	for (k = have; k < scans; k++)
		if (mb_put(&mb, p + best, bestlen) == -1)
			goto fail;
	if (mb_put(&mb, p + eoi, 2) == -1)
		goto fail;
	*out = mb.p;
	*outlen = mb.len;
	return (0);
fail:
	free(mb.p);
	return (-1);
}

int
craft_png_encode(const struct imaging_image *img, int color_type, int depth,
    int interlace, int alpha, uint8_t **out, size_t *outlen)
{
	struct membuf	 mb = { NULL, 0, 0 };
	png_structp	 png;
	png_infop	 info;
	png_color	 pal[256];
	/* Set after setjmp() and used after longjmp(): volatile. */
	uint8_t		*volatile row = NULL;
	volatile int	 ch;
	const uint8_t	*s;
	int		 bpc, x, y, i, v, c, pass, passes;
	unsigned	 vals[4];

	switch (color_type) {
	case PNG_COLOR_TYPE_GRAY:
	case PNG_COLOR_TYPE_PALETTE:
		ch = 1;
		break;
	case PNG_COLOR_TYPE_GRAY_ALPHA:
		ch = 2;
		break;
	case PNG_COLOR_TYPE_RGB:
		ch = 3;
		break;
	default:
		ch = 4;
		break;
	}
	bpc = depth / 8;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png == NULL)
		return (-1);
	info = png_create_info_struct(png);
	if (info == NULL || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		free(mb.p);
		return (-1);
	}
	png_set_write_fn(png, &mb, png_write_fn, png_flush_fn);
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, (png_uint_32)img->width,
	    (png_uint_32)img->height, depth, color_type,
	    interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (color_type == PNG_COLOR_TYPE_PALETTE) {
		for (i = 0; i < 256; i++) {
			pal[i].red = (png_byte)(((i >> 5) & 7) * 255 / 7);
			pal[i].green = (png_byte)(((i >> 2) & 7) * 255 / 7);
			pal[i].blue = (png_byte)((i & 3) * 255 / 3);
		}
		png_set_PLTE(png, info, pal, 256);
	}
	png_write_info(png, info);
	row = malloc((size_t)img->width * ch * bpc);
	if (row == NULL)
		png_error(png, "no memory");
	passes = png_set_interlace_handling(png);
	for (pass = 0; pass < passes; pass++) {
		for (y = 0; y < img->height; y++) {
			s = img->pixels + (size_t)y * img->stride;
			for (x = 0; x < img->width; x++, s += 3) {
				/* s is B, G, R. */
				switch (color_type) {
				case PNG_COLOR_TYPE_GRAY:
				case PNG_COLOR_TYPE_GRAY_ALPHA:
					vals[0] = (s[0] + s[1] + s[2]) / 3;
					vals[1] = (unsigned)alpha;
					break;
				case PNG_COLOR_TYPE_PALETTE:
					vals[0] = (s[2] >> 5) << 5 |
					    (s[1] >> 5) << 2 | s[0] >> 6;
					break;
				default:
					vals[0] = s[2];
					vals[1] = s[1];
					vals[2] = s[0];
					vals[3] = (unsigned)alpha;
					break;
				}
				for (c = 0; c < ch; c++) {
					v = (int)vals[c];
					if (bpc == 2) {
						v = v * 257;
						row[(x * ch + c) * 2] =
						    (uint8_t)(v >> 8);
						row[(x * ch + c) * 2 + 1] =
						    (uint8_t)v;
					} else
						row[x * ch + c] = (uint8_t)v;
				}
			}
			png_write_row(png, row);
		}
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	*out = mb.p;
	*outlen = mb.len;
	return (0);
}

int
craft_png_raw(uint32_t w, uint32_t h, int depth, int color_type,
    size_t inflated, uint8_t **out, size_t *outlen)
{
	static const uint8_t	 sig[8] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static uint8_t		 zeros[65536];
	struct membuf		 mb = { NULL, 0, 0 };
	struct membuf		 z = { NULL, 0, 0 };
	z_stream		 zs;
	uint8_t			 ihdr[13], chunk[65536];
	size_t			 left, n;
	int			 zrc;

	put_be32(ihdr, w);
	put_be32(ihdr + 4, h);
	ihdr[8] = (uint8_t)depth;
	ihdr[9] = (uint8_t)color_type;
	ihdr[10] = ihdr[11] = ihdr[12] = 0;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit(&zs, 9) != Z_OK)
		return (-1);
	left = inflated;
	do {
		n = left < sizeof(zeros) ? left : sizeof(zeros);
		left -= n;
		zs.next_in = zeros;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			zrc = deflate(&zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
			if (zrc == Z_STREAM_ERROR ||
			    mb_put(&z, chunk, sizeof(chunk) - zs.avail_out)
			    == -1) {
				deflateEnd(&zs);
				free(z.p);
				return (-1);
			}
		} while (zs.avail_out == 0);
	} while (left > 0);
	deflateEnd(&zs);

	if (mb_put(&mb, sig, sizeof(sig)) == -1 ||
	    png_chunk(&mb, "IHDR", ihdr, sizeof(ihdr)) == -1 ||
	    png_chunk(&mb, "IDAT", z.p, z.len) == -1 ||
	    png_chunk(&mb, "IEND", NULL, 0) == -1) {
		free(z.p);
		free(mb.p);
		return (-1);
	}
	free(z.p);
	*out = mb.p;
	*outlen = mb.len;
	return (0);
}

double
craft_mean_abs_diff(const struct imaging_image *a,
    const struct imaging_image *b)
{
	const uint8_t	*pa, *pb;
	double		 sum = 0;
	int		 x, y;

	if (a->width != b->width || a->height != b->height ||
	    a->width == 0 || a->height == 0)
		return (-1);
	for (y = 0; y < a->height; y++) {
		pa = a->pixels + (size_t)y * a->stride;
		pb = b->pixels + (size_t)y * b->stride;
		for (x = 0; x < a->width * 3; x++)
			sum += pa[x] > pb[x] ? pa[x] - pb[x] : pb[x] - pa[x];
	}
	return (sum / ((double)a->width * a->height * 3));
}

double
craft_mean_abs_diff_scaled(const struct imaging_image *a,
    const struct imaging_image *full, int x0, int y0, int num, int den)
{
	double		 sum = 0, acc[3];
	const uint8_t	*pa, *pf;
	int		 i, j, fx, fy, fx0, fx1, fy0, fy1, c, n;

	for (j = 0; j < a->height; j++) {
		fy0 = y0 + j * num / den;
		fy1 = y0 + (j + 1) * num / den;
		if (fy1 > full->height)
			fy1 = full->height;
		for (i = 0; i < a->width; i++) {
			fx0 = x0 + i * num / den;
			fx1 = x0 + (i + 1) * num / den;
			if (fx1 > full->width)
				fx1 = full->width;
			acc[0] = acc[1] = acc[2] = 0;
			n = 0;
			for (fy = fy0; fy < fy1; fy++)
				for (fx = fx0; fx < fx1; fx++, n++) {
					pf = full->pixels +
					    (size_t)fy * full->stride +
					    (size_t)fx * 3;
					for (c = 0; c < 3; c++)
						acc[c] += pf[c];
				}
			if (n == 0)
				return (-1);
			pa = a->pixels + (size_t)j * a->stride +
			    (size_t)i * 3;
			for (c = 0; c < 3; c++) {
				acc[c] /= n;
				sum += pa[c] > acc[c] ? pa[c] - acc[c] :
				    acc[c] - pa[c];
			}
		}
	}
	return (sum / ((double)a->width * a->height * 3));
}

static int
mb_put(struct membuf *mb, const void *p, size_t n)
{
	uint8_t	*np;
	size_t	 ncap;

	if (n > mb->cap - mb->len) {
		ncap = mb->cap ? mb->cap : 4096;
		while (ncap - mb->len < n)
			ncap *= 2;
		if ((np = realloc(mb->p, ncap)) == NULL)
			return (-1);
		mb->p = np;
		mb->cap = ncap;
	}
	if (n > 0)
		memcpy(mb->p + mb->len, p, n);
	mb->len += n;
	return (0);
}

static void
png_write_fn(png_structp png, png_bytep data, size_t n)
{
	if (mb_put(png_get_io_ptr(png), data, n) == -1)
		png_error(png, "no memory");
}

static void
png_flush_fn(png_structp png)
{
	(void)png;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
png_chunk(struct membuf *mb, const char *type, const uint8_t *data,
    size_t len)
{
	uint8_t		hdr[8], crc[4];
	uLong		c;

	put_be32(hdr, (uint32_t)len);
	memcpy(hdr + 4, type, 4);
	c = crc32(0L, (const Bytef *)type, 4);
	if (len > 0)
		c = crc32(c, data, (uInt)len);
	put_be32(crc, (uint32_t)c);
	if (mb_put(mb, hdr, 8) == -1 || mb_put(mb, data, len) == -1 ||
	    mb_put(mb, crc, 4) == -1)
		return (-1);
	return (0);
}
