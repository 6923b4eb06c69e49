/*
 * The one pixel buffer type shared by every part of imaging/.
 * Owned by whoever allocated it; functions that take a const pointer
 * never keep it.
 */
#ifndef IMAGING_IMAGE_H
#define IMAGING_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* 8-bit BGR, 3 channels, row-major, rows `stride` bytes apart. */
struct imaging_image {
	int		 width;
	int		 height;
	int		 stride;
	uint8_t		*pixels;
};

#endif
