/*
 * EXIF orientation: the one EXIF field imaging/ reads.
 */
#ifndef IMAGING_EXIF_H
#define IMAGING_EXIF_H

#include <stddef.h>

#include "errors.h"

/*
 * Read the Orientation tag (0x0112) of IFD0 from an EXIF TIFF block.
 *
 * @param tiff the TIFF header and what follows it (the APP1 payload after
 * "Exif\0\0"); every offset inside is checked against `len`.
 * @param len number of bytes at `tiff`.
 * @param orientation receives 1..8; 1 when the tag is absent or 0
 * ("undefined", written by some software).
 * @param err receives IMAGING_ERR_EXIF and which field was bad.
 *
 * @return 0, or -1 if the block is structurally broken (bad byte order,
 * IFD0 offset or entry count outside the block, tag of the wrong type or
 * a value above 8).
 */
int	imaging_exif_orientation(const void *tiff, size_t len,
	    int *orientation, struct imaging_error *err);

#endif
