/*
 * The decoder handle, shared by decode.c, decode_jpeg.c and png_decode.c.
 * Internal to imaging/.
 */
#ifndef IMAGING_DECODE_PRIV_H
#define IMAGING_DECODE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* A buffer reused across calls; grows, never shrinks. */
struct scratch {
	uint8_t	*p;
	size_t	 cap;
};

struct imaging_decoder {
	struct imaging_limits	 lim;
	void			*tj_dec;	/* tjhandle */
	void			*tj_xform;	/* tjhandle, lazily made */
	struct scratch		 out;		/* pixels given to the caller */
	struct scratch		 tmp;		/* before orientation / crop */
	struct scratch		 jpeg;		/* losslessly cropped JPEG */
	struct scratch		 aux;		/* PNG rows, row pointers */
	struct imaging_error	 err;
};

/* Make `s` hold at least `need` bytes.  -1 (IMAGING_ERR_NOMEM set) if not. */
int	scratch_reserve(struct imaging_decoder *, struct scratch *s,
	    size_t need);

/* Decode one format; same contract as imaging_decode{,_region}(). */
int	jpeg_decode(struct imaging_decoder *, const uint8_t *, size_t,
	    const struct imaging_rect *, int, int, int,
	    struct imaging_image *, struct imaging_decode_info *);
int	png_decode(struct imaging_decoder *, const uint8_t *, size_t,
	    const struct imaging_rect *, int, int, int,
	    struct imaging_image *, struct imaging_decode_info *);

/*
 * Map `rect`, measured in a `ref_w` x `ref_h` view of an upright image of
 * `uw` x `uh` full-resolution pixels, to full resolution, rounding outwards
 * and clipping.  -1 (IMAGING_ERR_REGION set) if the result is empty.
 */
int	region_to_full(struct imaging_decoder *, const struct imaging_rect *,
	    int ref_w, int ref_h, int uw, int uh, struct imaging_rect *full);

#endif
