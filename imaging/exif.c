/*
 * A strict, minimal TIFF/EXIF reader for the Orientation tag.  Offsets are
 * compared with the block length by subtraction, so no sum can wrap.
 */
#include <stdint.h>

#include "exif.h"

#define TIFF_HDR_LEN	8
#define IFD_ENTRY_LEN	12
#define TAG_ORIENTATION	0x0112
#define TYPE_SHORT	3
#define TYPE_LONG	4

static unsigned	rd16(const uint8_t *, int);
static uint32_t	rd32(const uint8_t *, int);

int
imaging_exif_orientation(const void *tiff, size_t len, int *orientation,
    struct imaging_error *err)
{
	const uint8_t	*t = tiff, *ent;
	uint32_t	 ifd, cnt, value;
	unsigned	 n, i, tag, type;
	int		 le;

	*orientation = 1;
	if (len < TIFF_HDR_LEN)
		return (imaging_error_set(err, IMAGING_ERR_EXIF,
		    "EXIF block is %zu bytes, shorter than a TIFF header",
		    len));
	if (t[0] == 'I' && t[1] == 'I')
		le = 1;
	else if (t[0] == 'M' && t[1] == 'M')
		le = 0;
	else
		return (imaging_error_set(err, IMAGING_ERR_EXIF,
		    "EXIF byte order is 0x%02x%02x, not II or MM", t[0], t[1]));
	if (rd16(t + 2, le) != 42)
		return (imaging_error_set(err, IMAGING_ERR_EXIF,
		    "EXIF TIFF magic is %u, not 42", rd16(t + 2, le)));
	ifd = rd32(t + 4, le);
	if (ifd < TIFF_HDR_LEN || ifd > len - 2)
		return (imaging_error_set(err, IMAGING_ERR_EXIF,
		    "EXIF IFD0 offset %u is outside the %zu-byte block",
		    ifd, len));
	n = rd16(t + ifd, le);
	if (n > (len - ifd - 2) / IFD_ENTRY_LEN)
		return (imaging_error_set(err, IMAGING_ERR_EXIF,
		    "EXIF IFD0 at %u declares %u entries, room for %zu",
		    ifd, n, (len - ifd - 2) / IFD_ENTRY_LEN));
	for (i = 0; i < n; i++) {
		ent = t + ifd + 2 + (size_t)i * IFD_ENTRY_LEN;
		tag = rd16(ent, le);
		if (tag != TAG_ORIENTATION)
			continue;
		type = rd16(ent + 2, le);
		cnt = rd32(ent + 4, le);
		if (cnt != 1 || (type != TYPE_SHORT && type != TYPE_LONG))
			return (imaging_error_set(err, IMAGING_ERR_EXIF,
			    "EXIF Orientation has type %u count %u, want "
			    "SHORT x 1", type, cnt));
		/* A count-1 SHORT or LONG sits in the value field itself. */
		value = type == TYPE_SHORT ? rd16(ent + 8, le) :
		    rd32(ent + 8, le);
		if (value > 8)
			return (imaging_error_set(err, IMAGING_ERR_EXIF,
			    "EXIF Orientation is %u, outside 1..8", value));
		*orientation = value == 0 ? 1 : (int)value;
		return (0);
	}
	return (0);
}

static unsigned
rd16(const uint8_t *p, int le)
{
	if (le)
		return ((unsigned)p[1] << 8 | p[0]);
	return ((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p, int le)
{
	if (le)
		return ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
		    (uint32_t)p[1] << 8 | p[0]);
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}
