/*
 * GB 11643-1999 ID number rules.  Check digits in the test are computed
 * from the ISO 7064 MOD 11-2 definition (weights 2^(17-i) mod 11, check
 * value (12 - sum mod 11) mod 11) rather than the library's tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "idnumber.h"

static const struct idnumber_date today = { 2024, 6, 15 };

static char
ref_check(const char *s17)
{
	int	i, sum = 0, v;

	for (i = 0; i < 17; i++)
		sum += (s17[i] - '0') * ((1 << (17 - i)) % 11);
	v = (12 - sum % 11) % 11;
	return (v == 10 ? 'X' : (char)('0' + v));
}

/* Build a number from address, birth date and sequence, with a right check. */
static void
make(char out[19], const char *addr6, const char *birth8, const char *seq3)
{
	(void)snprintf(out, 19, "%s%s%s0", addr6, birth8, seq3);
	out[17] = ref_check(out);
	out[18] = '\0';
}

static void
test_idnumber_accepts_standard_examples(void **state)
{
	struct idnumber_info	info;

	(void)state;
	/* The X-check-digit example of GB 11643-1999. */
	assert_int_equal(idnumber_validate("11010519491231002X", &today,
	    &info), IDNUMBER_OK);
	assert_int_equal(info.province, 11);
	assert_int_equal(info.birth.year, 1949);
	assert_int_equal(info.birth.month, 12);
	assert_int_equal(info.birth.day, 31);
	assert_int_equal(info.male, 0);
	assert_int_equal(info.check, 'X');
}

static void
test_idnumber_accepts_generated_valid_numbers(void **state)
{
	static const char	*addr[] = { "110101", "310104", "440305",
	    "650102", "810000", "820000", "830000", "710000" };
	char			 n[19];
	size_t			 i;
	int			 seq;

	(void)state;
	for (i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
		for (seq = 0; seq < 1000; seq += 37) {
			char	s3[4];

			(void)snprintf(s3, sizeof(s3), "%03d", seq);
			make(n, addr[i], "19850307", s3);
			assert_int_equal(idnumber_validate(n, &today, NULL),
			    IDNUMBER_OK);
		}
	}
}

static void
test_idnumber_x_check_digit_upper_and_lower(void **state)
{
	char	n[19];
	int	seq, found = 0;

	(void)state;
	/* Find sequences whose check digit is X and try both cases. */
	for (seq = 0; seq < 1000 && found < 5; seq++) {
		char	s3[4];

		(void)snprintf(s3, sizeof(s3), "%03d", seq);
		make(n, "320311", "19900101", s3);
		if (n[17] != 'X')
			continue;
		found++;
		assert_int_equal(idnumber_check_digit(n), 'X');
		assert_int_equal(idnumber_validate(n, &today, NULL),
		    IDNUMBER_OK);
		n[17] = 'x';
		assert_int_equal(idnumber_validate(n, &today, NULL),
		    IDNUMBER_OK);
		assert_string_equal(idnumber_normalize(n) + 17, "X");
		/* A wrong digit where X belongs is a checksum error. */
		n[17] = '0';
		assert_int_equal(idnumber_validate(n, &today, NULL),
		    IDNUMBER_ERR_CHECKSUM);
	}
	assert_int_equal(found, 5);
}

static void
test_idnumber_check_digit_matches_definition(void **state)
{
	char	n[19];
	int	i;

	(void)state;
	assert_int_equal(idnumber_check_digit("44052418800101001"), '4');
	assert_int_equal(idnumber_check_digit("11010519491231002"), 'X');
	for (i = 0; i < 2000; i++) {
		(void)snprintf(n, sizeof(n), "%06d%08d%03d", 110000 + i * 7,
		    19000101 + i * 1013, i % 1000);
		assert_int_equal(idnumber_check_digit(n), ref_check(n));
	}
	assert_int_equal(idnumber_check_digit("1101051949123100"), '\0');
	assert_int_equal(idnumber_check_digit("1101051949123100A"), '\0');
	assert_int_equal(idnumber_check_digit(NULL), '\0');
}

static void
test_idnumber_rejects_wrong_length(void **state)
{
	(void)state;
	assert_int_equal(idnumber_validate("", &today, NULL),
	    IDNUMBER_ERR_LENGTH);
	assert_int_equal(idnumber_validate(NULL, &today, NULL),
	    IDNUMBER_ERR_LENGTH);
	assert_int_equal(idnumber_validate("11010519491231002", &today, NULL),
	    IDNUMBER_ERR_LENGTH);
	assert_int_equal(idnumber_validate("11010519491231002X1", &today,
	    NULL), IDNUMBER_ERR_LENGTH);
	/* The old 15-digit numbers are not accepted. */
	assert_int_equal(idnumber_validate("110105491231002", &today, NULL),
	    IDNUMBER_ERR_LENGTH);
}

static void
test_idnumber_rejects_bad_characters(void **state)
{
	(void)state;
	assert_int_equal(idnumber_validate("1101051949123100XX", &today,
	    NULL), IDNUMBER_ERR_CHARS);
	assert_int_equal(idnumber_validate("X10105194912310021", &today,
	    NULL), IDNUMBER_ERR_CHARS);
	assert_int_equal(idnumber_validate("11010519491231002Y", &today,
	    NULL), IDNUMBER_ERR_CHARS);
	assert_int_equal(idnumber_validate("110105 9491231002X", &today,
	    NULL), IDNUMBER_ERR_CHARS);
	assert_int_equal(idnumber_validate("11010519491231002-", &today,
	    NULL), IDNUMBER_ERR_CHARS);
	/* Full-width digits are bytes, not digits. */
	assert_int_equal(idnumber_validate("\xef\xbc\x91" "101051949123100",
	    &today, NULL), IDNUMBER_ERR_CHARS);
}

static void
test_idnumber_rejects_unknown_province(void **state)
{
	static const char	*bad[] = { "000101", "100101", "160101",
	    "200101", "240101", "300101", "380101", "470101", "550101",
	    "600101", "660101", "700101", "720101", "800101", "840101",
	    "910101", "990101" };
	char			 n[19];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make(n, bad[i], "19850307", "123");
		assert_int_equal(idnumber_validate(n, &today, NULL),
		    IDNUMBER_ERR_PROVINCE);
	}
}

static void
test_idnumber_rejects_impossible_birth_dates(void **state)
{
	static const char	*bad[] = { "19850001", "19851301", "19850100",
	    "19850132", "19850431", "19850229", "19000229", "21000229",
	    "20230229", "19859999" };
	char			 n[19];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make(n, "110101", bad[i], "123");
		assert_int_equal(idnumber_validate(n, &today, NULL),
		    IDNUMBER_ERR_BIRTH_DATE);
	}
}

static void
test_idnumber_accepts_leap_days(void **state)
{
	static const char	*ok[] = { "20000229", "19960229", "20240229",
	    "19840229" };
	char			 n[19];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		make(n, "110101", ok[i], "123");
		assert_int_equal(idnumber_validate(n, &today, NULL),
		    IDNUMBER_OK);
	}
}

static void
test_idnumber_rejects_birth_in_future(void **state)
{
	struct idnumber_date	later = { 2030, 1, 1 };
	char			n[19];

	(void)state;
	make(n, "110101", "20240616", "123");
	assert_int_equal(idnumber_validate(n, &today, NULL),
	    IDNUMBER_ERR_BIRTH_FUTURE);
	/* The same number is fine once "today" has passed it. */
	assert_int_equal(idnumber_validate(n, &later, NULL), IDNUMBER_OK);
	make(n, "110101", "20240615", "123");
	assert_int_equal(idnumber_validate(n, &today, NULL), IDNUMBER_OK);
	make(n, "110101", "20250101", "123");
	assert_int_equal(idnumber_validate(n, &today, NULL),
	    IDNUMBER_ERR_BIRTH_FUTURE);
}

static void
test_idnumber_rejects_absurdly_old(void **state)
{
	char	n[19];

	(void)state;
	/* GB 11643's own 1880 example is 144 years old on `today`. */
	assert_int_equal(idnumber_validate("440524188001010014", &today,
	    NULL), IDNUMBER_ERR_BIRTH_TOO_OLD);
	make(n, "110101", "18940614", "123");
	assert_int_equal(idnumber_validate(n, &today, NULL),
	    IDNUMBER_ERR_BIRTH_TOO_OLD);
	make(n, "110101", "18940615", "123");
	assert_int_equal(idnumber_validate(n, &today, NULL), IDNUMBER_OK);
}

static void
test_idnumber_rejects_every_wrong_check_digit(void **state)
{
	const char	*digits = "0123456789X";
	char		 n[19];
	int		 i, ok = 0;

	(void)state;
	make(n, "310104", "19770812", "451");
	for (i = 0; digits[i] != '\0'; i++) {
		n[17] = digits[i];
		if (digits[i] == ref_check(n)) {
			assert_int_equal(idnumber_validate(n, &today, NULL),
			    IDNUMBER_OK);
			ok++;
		} else
			assert_int_equal(idnumber_validate(n, &today, NULL),
			    IDNUMBER_ERR_CHECKSUM);
	}
	assert_int_equal(ok, 1);
	/* A swap of two digits is caught. */
	make(n, "310104", "19770812", "451");
	n[14] = '5';
	n[15] = '4';
	assert_int_equal(idnumber_validate(n, &today, NULL),
	    IDNUMBER_ERR_CHECKSUM);
}

static void
test_idnumber_reports_sex_from_sequence(void **state)
{
	struct idnumber_info	info;
	char			n[19];

	(void)state;
	make(n, "110101", "19850307", "123");
	assert_int_equal(idnumber_validate(n, &today, &info), IDNUMBER_OK);
	assert_int_equal(info.male, 1);
	make(n, "110101", "19850307", "124");
	assert_int_equal(idnumber_validate(n, &today, &info), IDNUMBER_OK);
	assert_int_equal(info.male, 0);
}

static void
test_idnumber_reason_codes_are_distinct(void **state)
{
	int	i, j;

	(void)state;
	for (i = 0; i < IDNUMBER_REASON_COUNT; i++) {
		assert_true(strlen(idnumber_reason_code(i)) > 3);
		assert_true(strlen(idnumber_reason_message(i)) > 10);
		for (j = 0; j < i; j++)
			assert_string_not_equal(idnumber_reason_code(i),
			    idnumber_reason_code(j));
	}
	assert_string_equal(idnumber_reason_code(IDNUMBER_ERR_CHECKSUM),
	    "id_check_digit");
	assert_string_equal(idnumber_reason_code(-1), "id_unknown");
	assert_string_equal(idnumber_reason_code(IDNUMBER_REASON_COUNT),
	    "id_unknown");
}

static void
test_idnumber_mask_keeps_first6_last4(void **state)
{
	char	buf[32];

	(void)state;
	assert_int_equal(idnumber_mask("110101199003071234", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "110101********1234");
	assert_int_equal(idnumber_mask("11010519491231002X", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "110105********002X");
	/* Too short to keep anything without revealing most of it. */
	assert_int_equal(idnumber_mask("123456789", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "*********");
	assert_int_equal(idnumber_mask("110101199003071234", buf, 18), -1);
	assert_string_equal(buf, "");
	assert_int_equal(idnumber_mask(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void
test_idnumber_today_is_plausible(void **state)
{
	struct idnumber_date	d;

	(void)state;
	idnumber_today(&d);
	assert_true(d.year >= 2024 && d.year < 2200);
	assert_true(d.month >= 1 && d.month <= 12);
	assert_true(d.day >= 1 && d.day <= 31);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idnumber_accepts_standard_examples),
		cmocka_unit_test(test_idnumber_accepts_generated_valid_numbers),
		cmocka_unit_test(test_idnumber_x_check_digit_upper_and_lower),
		cmocka_unit_test(test_idnumber_check_digit_matches_definition),
		cmocka_unit_test(test_idnumber_rejects_wrong_length),
		cmocka_unit_test(test_idnumber_rejects_bad_characters),
		cmocka_unit_test(test_idnumber_rejects_unknown_province),
		cmocka_unit_test(test_idnumber_rejects_impossible_birth_dates),
		cmocka_unit_test(test_idnumber_accepts_leap_days),
		cmocka_unit_test(test_idnumber_rejects_birth_in_future),
		cmocka_unit_test(test_idnumber_rejects_absurdly_old),
		cmocka_unit_test(test_idnumber_rejects_every_wrong_check_digit),
		cmocka_unit_test(test_idnumber_reports_sex_from_sequence),
		cmocka_unit_test(test_idnumber_reason_codes_are_distinct),
		cmocka_unit_test(test_idnumber_mask_keeps_first6_last4),
		cmocka_unit_test(test_idnumber_today_is_plausible),
	};

	return (cmocka_run_group_tests_name("imaging_idnumber", tests, NULL,
	    NULL));
}
