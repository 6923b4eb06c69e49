/*
 * GB 11643-1999 resident ID numbers.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "idnumber.h"

/* China Standard Time has no daylight saving: UTC+8 all year. */
#define CST_OFFSET	(8 * 3600)

static int	is_province(int);
static int	days_in_month(int, int);
static int	date_cmp(const struct idnumber_date *,
		    const struct idnumber_date *);
static int	digits(const char *, int);

static const struct {
	const char	*code;
	const char	*message;
} reasons[IDNUMBER_REASON_COUNT] = {
	[IDNUMBER_OK] = { "id_ok", "the ID number is valid" },
	[IDNUMBER_ERR_LENGTH] = { "id_length",
	    "the ID number must have 18 characters" },
	[IDNUMBER_ERR_CHARS] = { "id_characters",
	    "the ID number must be 17 digits followed by a digit or X" },
	[IDNUMBER_ERR_PROVINCE] = { "id_province",
	    "the ID number's first two digits are not a province code" },
	[IDNUMBER_ERR_BIRTH_DATE] = { "id_birth_date",
	    "the ID number's birth date is not a real date" },
	[IDNUMBER_ERR_BIRTH_FUTURE] = { "id_birth_future",
	    "the ID number's birth date is in the future" },
	[IDNUMBER_ERR_BIRTH_TOO_OLD] = { "id_birth_too_old",
	    "the ID number's birth date is more than 130 years ago" },
	[IDNUMBER_ERR_CHECKSUM] = { "id_check_digit",
	    "the ID number's check digit does not match" },
};

/*
 * Province-level codes of GB/T 2260, plus 83: the residence permits of
 * Hong Kong, Macao and Taiwan residents are numbered under GB 11643 with
 * 81, 82 and 83, and are accepted for SIM registration.
 */
static const uint8_t provinces[] = {
	11, 12, 13, 14, 15,
	21, 22, 23,
	31, 32, 33, 34, 35, 36, 37,
	41, 42, 43, 44, 45, 46,
	50, 51, 52, 53, 54,
	61, 62, 63, 64, 65,
	71, 81, 82, 83,
};

/* ISO 7064 MOD 11-2 weights, 2^(17-i) mod 11. */
static const int weights[17] = {
	7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
};
static const char check_chars[11] = "10X98765432";

int
idnumber_validate(const char *s, const struct idnumber_date *today,
    struct idnumber_info *info)
{
	struct idnumber_info	 dummy;
	struct idnumber_date	 now, oldest;
	char			 last;

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (s == NULL || strlen(s) != IDNUMBER_LEN)
		return (IDNUMBER_ERR_LENGTH);
	last = s[17];
	if (!digits(s, 17) || !((last >= '0' && last <= '9') ||
	    last == 'X' || last == 'x'))
		return (IDNUMBER_ERR_CHARS);
	info->check = idnumber_check_digit(s);
	info->male = (s[16] - '0') % 2;

	info->province = (s[0] - '0') * 10 + (s[1] - '0');
	if (!is_province(info->province))
		return (IDNUMBER_ERR_PROVINCE);

	info->birth.year = (s[6] - '0') * 1000 + (s[7] - '0') * 100 +
	    (s[8] - '0') * 10 + (s[9] - '0');
	info->birth.month = (s[10] - '0') * 10 + (s[11] - '0');
	info->birth.day = (s[12] - '0') * 10 + (s[13] - '0');
	if (info->birth.month < 1 || info->birth.month > 12 ||
	    info->birth.day < 1 || info->birth.day >
	    days_in_month(info->birth.year, info->birth.month))
		return (IDNUMBER_ERR_BIRTH_DATE);
	if (today == NULL) {
		idnumber_today(&now);
		today = &now;
	}
	if (date_cmp(&info->birth, today) > 0)
		return (IDNUMBER_ERR_BIRTH_FUTURE);
	/* Born before today's date IDNUMBER_MAX_AGE years ago. */
	oldest = *today;
	oldest.year -= IDNUMBER_MAX_AGE;
	if (date_cmp(&info->birth, &oldest) < 0)
		return (IDNUMBER_ERR_BIRTH_TOO_OLD);

	if ((last == 'x' ? 'X' : last) != info->check)
		return (IDNUMBER_ERR_CHECKSUM);
	return (IDNUMBER_OK);
}

const char *
idnumber_reason_code(int reason)
{
	if (reason < 0 || reason >= IDNUMBER_REASON_COUNT)
		return ("id_unknown");
	return (reasons[reason].code);
}

const char *
idnumber_reason_message(int reason)
{
	if (reason < 0 || reason >= IDNUMBER_REASON_COUNT)
		return ("unknown ID number problem");
	return (reasons[reason].message);
}

char
idnumber_check_digit(const char *first17)
{
	int	i, sum;

	if (first17 == NULL || !digits(first17, 17))
		return ('\0');
	sum = 0;
	for (i = 0; i < 17; i++)
		sum += (first17[i] - '0') * weights[i];
	return (check_chars[sum % 11]);
}

int
idnumber_mask(const char *s, char *buf, size_t bufsz)
{
	size_t	len, i;

	if (buf == NULL || bufsz == 0)
		return (-1);
	buf[0] = '\0';
	if (s == NULL)
		return (0);
	len = strlen(s);
	if (len + 1 > bufsz)
		return (-1);
	for (i = 0; i < len; i++) {
		if (len >= 10 && (i < 6 || i >= len - 4))
			buf[i] = s[i];
		else
			buf[i] = '*';
	}
	buf[len] = '\0';
	return (0);
}

char *
idnumber_normalize(char *s)
{
	size_t	len;

	if (s == NULL)
		return (s);
	len = strlen(s);
	if (len > 0 && s[len - 1] == 'x')
		s[len - 1] = 'X';
	return (s);
}

void
idnumber_today(struct idnumber_date *today)
{
	struct tm	tm;
	time_t		t;

	t = time(NULL) + CST_OFFSET;
	memset(&tm, 0, sizeof(tm));
	(void)gmtime_r(&t, &tm);
	today->year = tm.tm_year + 1900;
	today->month = tm.tm_mon + 1;
	today->day = tm.tm_mday;
}

static int
is_province(int code)
{
	size_t	i;

	for (i = 0; i < sizeof(provinces); i++)
		if (provinces[i] == code)
			return (1);
	return (0);
}

static int
days_in_month(int y, int m)
{
	static const int	mdays[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return (29);
	return (mdays[m - 1]);
}

static int
date_cmp(const struct idnumber_date *a, const struct idnumber_date *b)
{
	if (a->year != b->year)
		return (a->year < b->year ? -1 : 1);
	if (a->month != b->month)
		return (a->month < b->month ? -1 : 1);
	if (a->day != b->day)
		return (a->day < b->day ? -1 : 1);
	return (0);
}

static int
digits(const char *s, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (1);
}
