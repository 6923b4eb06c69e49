/*
 * Synthetic ID-card photos with ground truth.
 *
 * Renders resident ID cards of invented people on the blank templates of
 * ../shared/data/card-templates/ (CJK text through FreeType, a portrait
 * from ../shared/data/faces/), then composes phone-like photos of the
 * front or the back, and selfies holding the front.  Everything is drawn
 * from one seeded generator, so (seed, index, options) always gives the
 * same bytes.  Used by the realname-gen tool, the card unit tests and
 * bench/accuracy_card.
 *
 * Coordinates in the ground truth are in pixels of the upright image, at
 * full resolution (after the EXIF orientation is applied).
 */
#ifndef REALNAME_GEN_H
#define REALNAME_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_KIND_FRONT		0	/* photo of the portrait side */
#define GEN_KIND_BACK		1	/* photo of the emblem side */
#define GEN_KIND_HOLDING	2	/* selfie holding the portrait side */
#define GEN_KIND_RANDOM		(-1)

/* Injected degradations (bits); each maps to one reason code. */
#define GEN_DEG_BLUR		0x01	/* "blur" */
#define GEN_DEG_GLARE		0x02	/* "glare" */
#define GEN_DEG_CUT_OFF		0x04	/* "card_cut_off" */
#define GEN_DEG_TOO_SMALL	0x08	/* "card_too_small" */
#define GEN_DEG_MULTIPLE	0x10	/* "multiple_cards" */
#define GEN_DEG_COUNT		5
#define GEN_DEG_RANDOM		(-1)

/* Photo sizes (long side); GEN_SIZE_RANDOM picks a phone-like mix. */
#define GEN_SIZE_RANDOM		0

struct gen_options {
	int	kind;		/* GEN_KIND_* */
	int	degrade;	/* mask of GEN_DEG_*, or GEN_DEG_RANDOM */
	int	long_side;	/* exact long side, or GEN_SIZE_RANDOM */
	int	exif;		/* 1: random EXIF rotation, 0: none */
};

struct gen_truth {
	int	kind;
	int	side;		/* GEN_KIND_FRONT or _BACK: the side shown */
	int	width;		/* upright, full resolution */
	int	height;
	int	orientation;	/* EXIF orientation written, 1..8 */
	int	jpeg_quality;
	int	recompressed;	/* encoded twice */
	/* Card corners in the card's own order: top-left, top-right,
	 * bottom-right, bottom-left; x0 y0 x1 y1 ... */
	double	quad[8];
	int	degradations;	/* GEN_DEG_* */
	double	blur_sigma;	/* blur applied to the card, card widths */
	double	glare_frac;	/* saturated fraction of the card */
	int	second_side;	/* multiple cards: the side of the other one */
	double	quad2[8];	/* multiple cards: the other card */
	char	name[64];
	char	sex[8];
	char	ethnicity[16];
	char	birth[40];	/* YYYYMMDD */
	char	address[192];
	char	number[20];	/* 18 characters, printed on the card */
	int	number_valid;	/* 0 when the check digit was broken */
	char	issuer[96];
	char	validity[48];	/* YYYY.MM.DD-YYYY.MM.DD or YYYY.MM.DD-长期 */
	int	person;		/* face identity printed on the card */
	char	portrait_file[32];
	int	live_person;	/* holding: face identity of the live face */
	char	live_file[32];
	int	genuine;	/* holding: live face is the card's person */
};

struct gen_case {
	uint8_t			*jpeg;
	size_t			 len;
	struct gen_truth	 truth;
};

struct gen;

/* Defaults: random kind, random degradations, phone sizes, EXIF on. */
void		 gen_options_default(struct gen_options *);

/*
 * Open a generator on the shared data directory (card-templates/ and
 * faces/) and a CJK font file (a .ttc or .otf).  NULL and a message in
 * err on failure.
 */
struct gen	*gen_open(const char *data_dir, const char *font_path,
		    char *err, size_t errlen);
void		 gen_close(struct gen *);

/*
 * Make case `index` of the set `seed`: a JPEG (malloc'd, owned by the
 * caller through gen_case_free) and its ground truth.  Returns 0, or -1
 * with a message in err.
 */
int		 gen_make(struct gen *, uint64_t seed, int index,
		    const struct gen_options *, struct gen_case *out,
		    char *err, size_t errlen);
void		 gen_case_free(struct gen_case *);

/* The ground truth as one JSON object; -1 if it does not fit in len. */
int		 gen_truth_json(const struct gen_truth *, char *buf,
		    size_t len);

/* The reason code of one GEN_DEG_* bit ("blur", "card_cut_off", ...). */
const char	*gen_degradation_name(int bit);

#endif
