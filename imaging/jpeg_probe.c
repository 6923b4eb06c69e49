/*
 * JPEG marker walk.  Everything here reads through bounds-checked offsets
 * into the caller's buffer; nothing is allocated.
 */
#include <string.h>

#include "jpeg_probe.h"

#define M_SOI	0xd8
#define M_EOI	0xd9
#define M_SOS	0xda
#define M_APP1	0xe1
#define M_TEM	0x01

static int	is_sof(int);
static int	skip_entropy(const uint8_t *, size_t, size_t *);
static unsigned	be16(const uint8_t *);

int
imaging_check_dims(const struct imaging_limits *lim, const char *what,
    uint64_t w, uint64_t h, struct imaging_error *err)
{
	uint64_t	longs, shorts;

	if (w == 0 || h == 0)
		return (imaging_error_set(err, IMAGING_ERR_CORRUPT,
		    "%s header declares %llux%llu pixels", what,
		    (unsigned long long)w, (unsigned long long)h));
	if (w * h > lim->max_pixels)
		return (imaging_error_set(err, IMAGING_ERR_TOO_LARGE,
		    "%s is %llux%llu = %llu pixels, limit max_pixels=%llu",
		    what, (unsigned long long)w, (unsigned long long)h,
		    (unsigned long long)(w * h),
		    (unsigned long long)lim->max_pixels));
	longs = w > h ? w : h;
	shorts = w > h ? h : w;
	if (longs < (uint64_t)lim->min_long_side ||
	    shorts < (uint64_t)lim->min_short_side)
		return (imaging_error_set(err, IMAGING_ERR_TOO_SMALL,
		    "%s is %llux%llu pixels, minimum %dx%d (long x short side)",
		    what, (unsigned long long)w, (unsigned long long)h,
		    lim->min_long_side, lim->min_short_side));
	return (0);
}

int
jpeg_probe(const uint8_t *buf, size_t len, const struct imaging_limits *lim,
    struct jpeg_probe *p, struct imaging_error *err)
{
	size_t		 pos, seglen, plen;
	const uint8_t	*seg;
	int		 m;

	memset(p, 0, sizeof(*p));
	if (len < 2 || buf[0] != 0xff || buf[1] != M_SOI)
		return (imaging_error_set(err, IMAGING_ERR_FORMAT,
		    "JPEG does not start with SOI"));
	if (len < 4)
		return (imaging_error_set(err, IMAGING_ERR_TRUNCATED,
		    "JPEG ends at byte %zu, after SOI", len));
	pos = 2;
	for (;;) {
		/*
		 * Garbage between segments is skipped, as libjpeg does (with
		 * a warning); runs of 0xff are fill bytes.
		 */
		while (pos < len && buf[pos] != 0xff)
			pos++;
		while (pos < len && buf[pos] == 0xff)
			pos++;
		if (pos >= len)
			return (imaging_error_set(err, IMAGING_ERR_TRUNCATED,
			    "JPEG ends at byte %zu before EOI (after %d "
			    "scans)", len, p->scans));
		m = buf[pos++];
		if (m == M_EOI)
			break;
		if (m == M_TEM || (m >= 0xd0 && m <= 0xd7))
			continue;
		if (m == M_SOI || m == 0x00)
			return (imaging_error_set(err, IMAGING_ERR_CORRUPT,
			    "JPEG has a stray 0xff%02x at byte %zu", m,
			    pos - 2));
		if (len - pos < 2)
			return (imaging_error_set(err, IMAGING_ERR_TRUNCATED,
			    "JPEG ends inside the length of marker 0xff%02x "
			    "at byte %zu", m, pos - 2));
		seglen = be16(buf + pos);
		if (seglen < 2)
			return (imaging_error_set(err, IMAGING_ERR_CORRUPT,
			    "JPEG marker 0xff%02x at byte %zu has length %zu",
			    m, pos - 2, seglen));
		if (seglen > len - pos)
			return (imaging_error_set(err, IMAGING_ERR_TRUNCATED,
			    "JPEG marker 0xff%02x at byte %zu declares %zu "
			    "bytes, only %zu remain", m, pos - 2, seglen,
			    len - pos));
		seg = buf + pos + 2;
		plen = seglen - 2;
		pos += seglen;

		if (is_sof(m)) {
			if (p->sof_marker != 0)
				return (imaging_error_set(err,
				    IMAGING_ERR_CORRUPT,
				    "JPEG has a second SOF (0xff%02x)", m));
			if (plen < 6)
				return (imaging_error_set(err,
				    IMAGING_ERR_CORRUPT,
				    "JPEG SOF 0xff%02x is %zu bytes long", m,
				    plen));
			p->sof_marker = m;
			p->height = (int)be16(seg + 1);
			p->width = (int)be16(seg + 3);
			p->components = seg[5];
			p->progressive = (m == 0xc2 || m == 0xc6 ||
			    m == 0xca || m == 0xce);
			if (m == 0xc3 || m == 0xc7 || m == 0xcb || m == 0xcf)
				return (imaging_error_set(err,
				    IMAGING_ERR_FORMAT, "lossless JPEG "
				    "(SOF 0xff%02x) is not supported", m));
			if (seg[0] != 8)
				return (imaging_error_set(err,
				    IMAGING_ERR_FORMAT, "JPEG with %d-bit "
				    "samples is not supported", seg[0]));
			if (p->components != 1 && p->components != 3)
				return (imaging_error_set(err,
				    IMAGING_ERR_FORMAT, "JPEG with %d "
				    "components is not supported (grey or "
				    "colour only)", p->components));
			if (imaging_check_dims(lim, "JPEG",
			    (uint64_t)p->width, (uint64_t)p->height,
			    err) == -1)
				return (-1);
			/* libjpeg holds a progressive image's coefficients. */
			if (p->progressive && (uint64_t)p->width *
			    (uint64_t)p->height > lim->max_coef_pixels)
				return (imaging_error_set(err,
				    IMAGING_ERR_TOO_LARGE, "progressive JPEG "
				    "is %dx%d, limit max_coef_pixels=%llu",
				    p->width, p->height,
				    (unsigned long long)lim->max_coef_pixels));
		} else if (m == M_APP1 && p->exif == NULL && plen >= 6 &&
		    memcmp(seg, "Exif\0\0", 6) == 0) {
			p->exif = seg + 6;
			p->exif_len = plen - 6;
		} else if (m == M_SOS) {
			if (p->sof_marker == 0)
				return (imaging_error_set(err,
				    IMAGING_ERR_CORRUPT,
				    "JPEG has SOS before any SOF"));
			p->scans++;
			if (p->scans > lim->max_scans)
				return (imaging_error_set(err,
				    IMAGING_ERR_TOO_MANY_SCANS,
				    "JPEG has more than max_scans=%d scans "
				    "(SOS markers)", lim->max_scans));
			if (skip_entropy(buf, len, &pos) == -1)
				return (imaging_error_set(err,
				    IMAGING_ERR_TRUNCATED,
				    "JPEG ends inside scan %d", p->scans));
		}
	}
	if (p->sof_marker == 0 || p->scans == 0)
		return (imaging_error_set(err, IMAGING_ERR_TRUNCATED,
		    "JPEG reaches EOI without %s",
		    p->sof_marker == 0 ? "a frame header (SOF)" : "any scan"));
	return (0);
}

/*
 * Advance *pos past entropy-coded data to the next real marker (0xff not
 * followed by 0x00, a restart marker or another 0xff).  -1 if none.
 */
static int
skip_entropy(const uint8_t *buf, size_t len, size_t *pos)
{
	const uint8_t	*q, *end;

	q = buf + *pos;
	end = buf + len;
	for (;;) {
		q = memchr(q, 0xff, (size_t)(end - q));
		if (q == NULL || end - q < 2)
			return (-1);
		if (q[1] == 0x00 || (q[1] >= 0xd0 && q[1] <= 0xd7)) {
			q += 2;
			continue;
		}
		if (q[1] == 0xff) {
			q++;
			continue;
		}
		*pos = (size_t)(q - buf);
		return (0);
	}
}

static int
is_sof(int m)
{
	return (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
	    m != 0xcc);
}

static unsigned
be16(const uint8_t *p)
{
	return ((unsigned)p[0] << 8 | p[1]);
}
