/*
 * The resident ID card in a photo: find its outline, rectify it, tell the
 * side, locate the portrait and the number line, read the number and the
 * validity period, and measure the card's own quality.
 *
 * One context per thread, created once: it holds the OCR engine (see
 * ocr.h) and the scratch images reused from call to call.  Nothing here
 * aborts; functions return 0 / -1 and leave a typed code (enum
 * imaging_err) and a message in the context.
 *
 * Coordinates: "image" coordinates are pixels of the image passed in;
 * "card" coordinates are pixels of the rectified card, IMAGING_CARD_WIDTH x
 * IMAGING_CARD_HEIGHT, portrait side up and readable (the ID-1 format is
 * 85.6 x 54 mm, so one card pixel is 0.1 mm).
 */
#ifndef IMAGING_CARD_H
#define IMAGING_CARD_H

#include <stddef.h>

#include "errors.h"
#include "image.h"

#define IMAGING_CARD_WIDTH		856
#define IMAGING_CARD_HEIGHT		540

/* What the caller expects to see (enum imaging_side's first values). */
#define IMAGING_CARD_EXPECT_FRONT	0	/* portrait side */
#define IMAGING_CARD_EXPECT_BACK	1	/* emblem side */
#define IMAGING_CARD_EXPECT_HOLDING	2	/* front, held in a selfie */
#define IMAGING_CARD_EXPECT_ANY		(-1)

#define IMAGING_CARD_SIDE_UNKNOWN	(-1)
#define IMAGING_CARD_SIDE_FRONT		0
#define IMAGING_CARD_SIDE_BACK		1

/* Stable reason codes; a failing figure points at one of these. */
#define IMAGING_CARD_REASON_NOT_FOUND	"card_not_found"
#define IMAGING_CARD_REASON_CUT_OFF	"card_cut_off"
#define IMAGING_CARD_REASON_TOO_SMALL	"card_too_small"
#define IMAGING_CARD_REASON_GLARE	"glare"
#define IMAGING_CARD_REASON_BLUR	"blur"
#define IMAGING_CARD_REASON_MULTIPLE	"multiple_cards"
#define IMAGING_CARD_REASON_WRONG_SIDE	"wrong_side"

#define IMAGING_CARD_MAX_REASONS	8

/* Thresholds; imaging_card_options_default() explains each value. */
struct imaging_card_options {
	double	min_area_frac;		/* front/back photo */
	double	min_area_frac_holding;	/* card in a selfie */
	double	min_margin_frac;	/* gap to the frame, of the short side */
	double	max_glare_frac;		/* largest saturated blob, of the card */
	double	min_sharpness;		/* see imaging_card_result.sharpness */
	double	min_sharpness_holding;	/* the same, card in a selfie */
	double	min_side_confidence;
	int	ocr;			/* 0: skip OCR */
	int	threads;		/* Tesseract may use this many; 0: 1 */
};

struct imaging_card_point {
	double	x;
	double	y;
};

struct imaging_card_rect {
	double	x;
	double	y;
	double	w;
	double	h;
};

/* One quality figure, its limit and its verdict. */
struct imaging_card_figure {
	int		 measured;
	double		 value;
	double		 limit;
	int		 pass;
	const char	*reason;	/* the reason code when failing */
};

struct imaging_card_result {
	int	found;
	/*
	 * Corners in image pixels in the card's own order: top-left,
	 * top-right, bottom-right, bottom-left of the upright card.  A
	 * corner may lie outside the image when the card is cut off.
	 */
	struct imaging_card_point	quad[4];
	/* Card area over image area. */
	struct imaging_card_figure	area;
	/* Smallest gap between the card and the frame, over the short side;
	 * negative when a corner is outside. */
	struct imaging_card_figure	margin;
	/* Largest saturated blob on the card, over the card's area. */
	struct imaging_card_figure	glare;
	/*
	 * Sharpness: variance of the Laplacian of the card's grey image at
	 * 428 x 270 (or the card's own size in the image, if smaller),
	 * divided by the card's own contrast (grey standard deviation
	 * squared) so that light and exposure cancel.
	 */
	struct imaging_card_figure	sharpness;
	/* Number of card outlines found; fails above one. */
	struct imaging_card_figure	cards;
	/* Side shown, and how sure: 0.5 a coin toss, 1 certain. */
	int				side;
	double				side_confidence;
	struct imaging_card_figure	side_check;	/* fails: wrong_side */
	/* Front: the portrait and the number line. */
	struct imaging_card_rect	portrait_card;	/* card pixels */
	struct imaging_card_point	portrait_image[4];	/* image px */
	struct imaging_card_rect	number_card;
	struct imaging_card_point	number_image[4];
	/* OCR; number_read is 0 when nothing 18 characters long was read. */
	int				number_read;
	char				number[20];
	int				number_check_ok;	/* MOD 11-2 */
	double				number_confidence;	/* 0..100 */
	/* Back: validity period; read 0 when not read. */
	int				validity_read;
	char				valid_from[11];		/* YYYY.MM.DD */
	char				valid_to[16];		/* or 长期 */
	int				valid_long_term;
	double				validity_confidence;
	/* Failed reason codes, in the order raised. */
	int				nreasons;
	const char			*reasons[IMAGING_CARD_MAX_REASONS];
	/* Milliseconds spent finding, and reading (wall clock). */
	double				find_ms;
	double				ocr_ms;
	double				ocr_cpu_ms;	/* thread CPU time */
};

/*
 * What the caller already knows of the photo: the faces its detector
 * found, in image pixels, any order.  In a holding selfie the largest is
 * the person; a much smaller one outside it may be the card's portrait.
 * A card held up to the camera is near the face, not over it, and of a
 * size that goes with the face's, so these judge the card outlines.
 *
 * `detect`, when not NULL, runs the caller's face detector on `view` (a
 * view into the image, its own pixels) and writes up to `cap` face boxes
 * in the view's pixels, best first; it returns their count or -1.  The
 * card's printed portrait is too small for a detector that sees the
 * whole frame, so when no clean card outline shows, the card part asks
 * for faces in a few windows beside and below the person's face, where
 * the portrait then covers enough of the detector's input.
 */
#define IMAGING_CARD_MAX_HINT_FACES	8

typedef int (*imaging_card_detect_fn)(void *arg,
	    const struct imaging_image *view, struct imaging_card_rect *faces,
	    int cap);

struct imaging_card_hint {
	int				nfaces;
	struct imaging_card_rect	faces[IMAGING_CARD_MAX_HINT_FACES];
	imaging_card_detect_fn		detect;
	void				*detect_arg;
};

struct imaging_card_ctx;

/*
 * Fill `o` with the defaults (see card.c for why each value).
 */
void	imaging_card_options_default(struct imaging_card_options *o);

/*
 * Create a context.
 *
 * @param tessdata the Tesseract data directory (holding eng.traineddata),
 * or NULL for the system default (/usr/share/tesseract-ocr/5/tessdata).
 * @param o thresholds; NULL means the defaults.  Copied.
 * @param err if not NULL, receives the error when NULL is returned.
 * @return the context, or NULL.  Use from one thread at a time.
 */
struct imaging_card_ctx	*imaging_card_new(const char *tessdata,
			    const struct imaging_card_options *o,
			    struct imaging_error *err);
void			 imaging_card_free(struct imaging_card_ctx *);

/* The thresholds in force (the context's copy; may be changed). */
struct imaging_card_options *imaging_card_options(struct imaging_card_ctx *);

/*
 * Analyse one upright BGR image.
 *
 * @param ctx the context.
 * @param img the photo (any size; 1200-2000 px long side is plenty).
 * @param expected IMAGING_CARD_EXPECT_* : which side should be there,
 * and which size limit applies (a card in a selfie is smaller).
 * @param r receives every figure; r->found is 0 when no card was seen
 * (reason card_not_found), which is not an error.  The number (front)
 * and the validity period (back) are read from card photos, not from a
 * card held in a selfie (IMAGING_CARD_EXPECT_HOLDING).
 * @return 0, or -1 on an internal failure (memory, OpenCV, OCR engine).
 */
int	imaging_card_analyse(struct imaging_card_ctx *ctx,
	    const struct imaging_image *img, int expected,
	    struct imaging_card_result *r);

/*
 * imaging_card_analyse() with what the caller knows of the photo; `hint`
 * may be NULL (the same as imaging_card_analyse).  Only a holding selfie
 * uses it for now: outlines over the face or of a size that does not go
 * with it are ruled out, and where the detector saw the card's portrait
 * the region around it is searched on its own.
 */
int	imaging_card_analyse_hint(struct imaging_card_ctx *ctx,
	    const struct imaging_image *img, int expected,
	    const struct imaging_card_hint *hint,
	    struct imaging_card_result *r);

/*
 * The rectified card of the last successful imaging_card_analyse() on
 * `ctx` (IMAGING_CARD_WIDTH x IMAGING_CARD_HEIGHT, BGR, upright), owned by the
 * context; NULL when no card was found.
 */
const struct imaging_image *imaging_card_rectified(
	    const struct imaging_card_ctx *ctx);

/* Map a point of the rectified card to image pixels of the last call. */
int	imaging_card_to_image(const struct imaging_card_ctx *ctx, double x,
	    double y, struct imaging_card_point *out);

/* The last error code and message; never NULL. */
int		 imaging_card_errcode(const struct imaging_card_ctx *);
const char	*imaging_card_error(const struct imaging_card_ctx *);

/* "front", "back" or "unknown". */
const char	*imaging_card_side_name(int side);

#endif
