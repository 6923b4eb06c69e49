/*
 * Resident ID numbers (GB 11643-1999): validation, check digit, masking.
 *
 * Layout of the 18 characters: 6-digit address code (first two digits are
 * the province-level code), 8-digit birth date YYYYMMDD, 3-digit sequence
 * (odd for men, even for women), ISO 7064 MOD 11-2 check character
 * ('0'..'9' or 'X').
 *
 * Lowercase 'x' is accepted as the check character, because people type
 * it; idnumber_normalize() upper-cases it for storage and comparison.
 * Nothing here ever prints a number; log only idnumber_mask() output.
 */
#ifndef IMAGING_IDNUMBER_H
#define IMAGING_IDNUMBER_H

#include <stddef.h>

#define IDNUMBER_LEN		18
/* Oldest accepted holder, in whole years before `today`. */
#define IDNUMBER_MAX_AGE	130

/* Why a number is invalid; the order is the order of the checks. */
enum idnumber_reason {
	IDNUMBER_OK = 0,
	IDNUMBER_ERR_LENGTH,		/* not 18 characters */
	IDNUMBER_ERR_CHARS,		/* not 17 digits + digit or X */
	IDNUMBER_ERR_PROVINCE,		/* no such province-level code */
	IDNUMBER_ERR_BIRTH_DATE,	/* birth date is not a real date */
	IDNUMBER_ERR_BIRTH_FUTURE,	/* birth date after today */
	IDNUMBER_ERR_BIRTH_TOO_OLD,	/* more than IDNUMBER_MAX_AGE years */
	IDNUMBER_ERR_CHECKSUM,		/* MOD 11-2 check character wrong */
	IDNUMBER_REASON_COUNT
};

/* A calendar date. */
struct idnumber_date {
	int	year;
	int	month;		/* 1..12 */
	int	day;		/* 1..31 */
};

/* What a valid (or partly valid) number says. */
struct idnumber_info {
	int			province;	/* 11..83 */
	struct idnumber_date	birth;
	int			male;		/* 1 if the sequence is odd */
	char			check;		/* the right check character */
};

/*
 * Validate `s`, a NUL-terminated string.
 *
 * @param s the number; no spaces are stripped.
 * @param today the date to judge "in the future" and "too old" against
 * (tests pass a fixed one); NULL means idnumber_today().
 * @param info if not NULL, receives the fields read before the first
 * failure (all of them for a valid number).
 *
 * @return IDNUMBER_OK or the first enum idnumber_reason that applies.
 */
int		 idnumber_validate(const char *s,
		    const struct idnumber_date *today,
		    struct idnumber_info *info);

/* Stable string code of a reason ("id_check_digit"); never NULL. */
const char	*idnumber_reason_code(int reason);

/* English message of a reason, for logs and reviewers; never NULL. */
const char	*idnumber_reason_message(int reason);

/*
 * The MOD 11-2 check character for the first 17 characters of `first17`
 * ('0'..'9' or 'X'), or '\0' if those are not 17 digits.  Used by test
 * data generators to make valid (and deliberately broken) numbers.
 */
char		 idnumber_check_digit(const char *first17);

/*
 * Write `s` masked for logs into `buf`: the first 6 and last 4 characters
 * kept, the rest '*' (110101********1234).  A string shorter than 10
 * characters is masked whole.  Returns 0, or -1 if `bufsz` cannot hold
 * the result and its NUL (buf then holds "").
 */
int		 idnumber_mask(const char *s, char *buf, size_t bufsz);

/* Upper-case a trailing 'x' in place.  Returns `s`. */
char		*idnumber_normalize(char *s);

/* Today's date in China (UTC+8), from the system clock. */
void		 idnumber_today(struct idnumber_date *today);

#endif
