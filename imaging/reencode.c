/*
 * Re-encoding for evidence: decode upright, encode baseline JPEG with
 * TurboJPEG, nothing copied from the original file but pixels.
 */

#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "errors.h"
#include "reencode.h"

int
imaging_reencode_jpeg(struct imaging_decoder *dec, const void *buf,
    size_t len, int max_long_side, int quality, unsigned char **out,
    size_t *out_len)
{
	struct imaging_image	 img;
	tjhandle		 tj;
	unsigned char		*jpeg, *copy;
	unsigned long		 jlen;
	int			 ret;

	*out = NULL;
	*out_len = 0;
	if (quality < 1 || quality > 100)
		return (-1);

	/*
	 * The decoder picks the smallest DCT scale whose long side is not
	 * below its target; asking for half the cap keeps the result at or
	 * under about the cap without ever upscaling.
	 */
	if (imaging_decode(dec, buf, len, max_long_side > 0 ?
	    max_long_side / 2 + 1 : 0, &img, NULL) == -1)
		return (-1);

	if ((tj = tjInitCompress()) == NULL)
		return (-1);
	jpeg = NULL;
	jlen = 0;
	ret = tjCompress2(tj, img.pixels, img.width, img.stride, img.height,
	    TJPF_BGR, &jpeg, &jlen, TJSAMP_420, quality, 0);
	if (ret != 0 || jpeg == NULL) {
		if (jpeg != NULL)
			tjFree(jpeg);
		(void)tjDestroy(tj);
		return (-1);
	}
	/* Hand back malloc'ed memory so callers need not know TurboJPEG. */
	if ((copy = malloc(jlen)) == NULL) {
		tjFree(jpeg);
		(void)tjDestroy(tj);
		return (-1);
	}
	memcpy(copy, jpeg, jlen);
	tjFree(jpeg);
	(void)tjDestroy(tj);
	*out = copy;
	*out_len = jlen;
	return (0);
}
