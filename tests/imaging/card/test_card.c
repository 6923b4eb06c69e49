/*
 * The card part on generated photos (tools/gen, fixed seed, 1600 px).
 *
 * Each photo is made in memory with known ground truth, decoded the way
 * the service decodes, and analysed.  The thresholds in imaging/card.c
 * were set on other seeds; nothing here is tuned to these cases.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "card.h"
#include "decode.h"
#include "gen.h"

#define SEED		20261129ULL
#define LONG_SIDE	1600
#define FONT		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

struct fixture {
	struct gen		*gen;
	struct imaging_decoder	*dec;
	struct imaging_card_ctx	*card;
};

static struct fixture	fx;

static int
setup(void **state)
{
	struct imaging_error	 err;
	const char		*data;
	char			 msg[256];

	(void)state;
	data = getenv("REALNAME_SHARED_DATA");
	if (data == NULL)
		data = "../shared/data";
	fx.gen = gen_open(data, FONT, msg, sizeof(msg));
	if (fx.gen == NULL) {
		fprintf(stderr, "# generator: %s\n", msg);
		return (-1);
	}
	fx.dec = imaging_decoder_new(NULL);
	fx.card = imaging_card_new(NULL, NULL, &err);
	if (fx.dec == NULL || fx.card == NULL) {
		fprintf(stderr, "# card context: %s\n", err.msg);
		return (-1);
	}
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	imaging_card_free(fx.card);
	imaging_decoder_free(fx.dec);
	gen_close(fx.gen);
	return (0);
}

static int
has_reason(const struct imaging_card_result *r, const char *why)
{
	int	i;

	for (i = 0; i < r->nreasons; i++)
		if (strcmp(r->reasons[i], why) == 0)
			return (1);
	return (0);
}

/*
 * Make case `index` of kind/degradation, decode it and analyse it.
 * *scale receives decoded pixels per ground-truth pixel.
 */
static void
run_case(int index, int kind, int degrade, int expected,
    struct gen_case *c, struct imaging_card_result *r, double *scale)
{
	struct gen_options	o;
	struct imaging_image	img;
	char			msg[256];

	gen_options_default(&o);
	o.kind = kind;
	o.degrade = degrade;
	o.long_side = LONG_SIDE;
	assert_int_equal(gen_make(fx.gen, SEED, index, &o, c, msg,
	    sizeof(msg)), 0);
	assert_int_equal(imaging_decode(fx.dec, c->jpeg, c->len, LONG_SIDE,
	    &img, NULL), 0);
	assert_int_equal(imaging_card_analyse(fx.card, &img, expected, r), 0);
	*scale = (double)img.width / c->truth.width;
}

/* Worst corner distance over the card's width, corners in the frame. */
static double
corner_error(const struct imaging_card_result *r, const struct gen_truth *t,
    double s)
{
	double	w, e = 0;
	int	i;

	w = hypot(t->quad[2] - t->quad[0], t->quad[3] - t->quad[1]);
	for (i = 0; i < 4; i++) {
		if (t->quad[2 * i] < 0 || t->quad[2 * i + 1] < 0 ||
		    t->quad[2 * i] > t->width || t->quad[2 * i + 1] > t->height)
			continue;
		e = fmax(e, hypot(r->quad[i].x / s - t->quad[2 * i],
		    r->quad[i].y / s - t->quad[2 * i + 1]));
	}
	return (e / w);
}

static void
test_card_finds_clean_front_reads_number_no_reason(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;
	int				i;

	(void)state;
	for (i = 0; i < 4; i++) {
		run_case(i, GEN_KIND_FRONT, 0, IMAGING_CARD_EXPECT_FRONT, &c,
		    &r, &s);
		assert_true(r.found);
		assert_true(corner_error(&r, &c.truth, s) < 0.02);
		assert_int_equal(r.side, IMAGING_CARD_SIDE_FRONT);
		assert_true(r.number_read);
		assert_string_equal(r.number, c.truth.number);
		assert_int_equal(r.number_check_ok, c.truth.number_valid);
		assert_int_equal(r.nreasons, 0);
		/* The portrait box lies inside the card, right half. */
		assert_true(r.portrait_card.x > IMAGING_CARD_WIDTH / 2);
		gen_case_free(&c);
	}
}

static void
test_card_finds_clean_back_reads_validity_no_reason(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	char				v[64];
	double				s;
	int				i;

	(void)state;
	for (i = 10; i < 14; i++) {
		run_case(i, GEN_KIND_BACK, 0, IMAGING_CARD_EXPECT_BACK, &c,
		    &r, &s);
		assert_true(r.found);
		assert_true(corner_error(&r, &c.truth, s) < 0.02);
		assert_int_equal(r.side, IMAGING_CARD_SIDE_BACK);
		assert_true(r.validity_read);
		(void)snprintf(v, sizeof(v), "%s-%s", r.valid_from, r.valid_to);
		assert_string_equal(v, c.truth.validity);
		assert_int_equal(r.nreasons, 0);
		gen_case_free(&c);
	}
}

/*
 * A number printed with a wrong check digit (one in ten generated) is
 * read as printed and reported as failing the check, not "repaired".
 */
static void
test_card_reads_wrong_check_digit_as_printed(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;
	int				i, seen = 0;

	(void)state;
	for (i = 100; i < 200 && seen < 2; i++) {
		run_case(i, GEN_KIND_FRONT, 0, IMAGING_CARD_EXPECT_FRONT, &c,
		    &r, &s);
		if (!c.truth.number_valid) {
			seen++;
			assert_true(r.number_read);
			assert_string_equal(r.number, c.truth.number);
			assert_false(r.number_check_ok);
		}
		gen_case_free(&c);
	}
	assert_int_equal(seen, 2);
}

static void
expect_reason(int first, int n, int degrade, const char *why)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;
	int				i;

	for (i = first; i < first + n; i++) {
		run_case(i, i % 2 ? GEN_KIND_BACK : GEN_KIND_FRONT, degrade,
		    i % 2 ? IMAGING_CARD_EXPECT_BACK :
		    IMAGING_CARD_EXPECT_FRONT, &c, &r, &s);
		if (!has_reason(&r, why))
			fprintf(stderr, "# case %d: %s not raised\n", i, why);
		assert_true(has_reason(&r, why));
		gen_case_free(&c);
	}
}

static void
test_card_flags_cut_off(void **state)
{
	(void)state;
	expect_reason(20, 3, GEN_DEG_CUT_OFF, IMAGING_CARD_REASON_CUT_OFF);
}

static void
test_card_flags_too_small(void **state)
{
	(void)state;
	expect_reason(30, 3, GEN_DEG_TOO_SMALL,
	    IMAGING_CARD_REASON_TOO_SMALL);
}

static void
test_card_flags_glare(void **state)
{
	(void)state;
	expect_reason(40, 3, GEN_DEG_GLARE, IMAGING_CARD_REASON_GLARE);
}

static void
test_card_flags_blur(void **state)
{
	(void)state;
	expect_reason(50, 3, GEN_DEG_BLUR, IMAGING_CARD_REASON_BLUR);
}

static void
test_card_flags_multiple_cards(void **state)
{
	(void)state;
	expect_reason(60, 2, GEN_DEG_MULTIPLE, IMAGING_CARD_REASON_MULTIPLE);
}

static void
test_card_flags_wrong_side(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;

	(void)state;
	run_case(70, GEN_KIND_BACK, 0, IMAGING_CARD_EXPECT_FRONT, &c, &r, &s);
	assert_true(r.found);
	assert_true(has_reason(&r, IMAGING_CARD_REASON_WRONG_SIDE));
	gen_case_free(&c);
	run_case(71, GEN_KIND_FRONT, 0, IMAGING_CARD_EXPECT_BACK, &c, &r, &s);
	assert_true(r.found);
	assert_true(has_reason(&r, IMAGING_CARD_REASON_WRONG_SIDE));
	gen_case_free(&c);
}

static void
test_card_finds_card_in_holding_selfie(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;

	(void)state;
	run_case(80, GEN_KIND_HOLDING, 0, IMAGING_CARD_EXPECT_HOLDING, &c,
	    &r, &s);
	assert_true(r.found);
	assert_true(corner_error(&r, &c.truth, s) < 0.03);
	assert_int_equal(r.side, IMAGING_CARD_SIDE_FRONT);
	assert_false(has_reason(&r, IMAGING_CARD_REASON_TOO_SMALL));
	gen_case_free(&c);
}

/*
 * Holding selfie case 80 analysed with a face hint: a face box `face_w`
 * card widths wide, its centre at (dx, dy) card widths from the card's.
 */
static void
run_holding_hint(double dx, double dy, double face_w, struct gen_case *c,
    struct imaging_card_result *r, double *scale)
{
	struct gen_options		o;
	struct imaging_image		img;
	struct imaging_card_hint	h;
	double				cx = 0, cy = 0, w;
	char				msg[256];
	int				i;

	gen_options_default(&o);
	o.kind = GEN_KIND_HOLDING;
	o.degrade = 0;
	o.long_side = LONG_SIDE;
	assert_int_equal(gen_make(fx.gen, SEED, 80, &o, c, msg,
	    sizeof(msg)), 0);
	assert_int_equal(imaging_decode(fx.dec, c->jpeg, c->len, LONG_SIDE,
	    &img, NULL), 0);
	*scale = (double)img.width / c->truth.width;
	for (i = 0; i < 4; i++) {
		cx += c->truth.quad[2 * i] * *scale / 4;
		cy += c->truth.quad[2 * i + 1] * *scale / 4;
	}
	w = hypot(c->truth.quad[2] - c->truth.quad[0],
	    c->truth.quad[3] - c->truth.quad[1]) * *scale;
	memset(&h, 0, sizeof(h));
	h.nfaces = 1;
	h.faces[0].w = face_w * w;
	h.faces[0].h = 1.3 * face_w * w;
	h.faces[0].x = cx + dx * w - h.faces[0].w / 2;
	h.faces[0].y = cy + dy * w - h.faces[0].h / 2;
	assert_int_equal(imaging_card_analyse_hint(fx.card, &img,
	    IMAGING_CARD_EXPECT_HOLDING, &h, r), 0);
}

static void
test_card_hint_keeps_card_held_below_face(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;

	(void)state;
	run_holding_hint(0, -1.2, 0.9, &c, &r, &s);
	assert_true(r.found);
	assert_true(corner_error(&r, &c.truth, s) < 0.03);
	gen_case_free(&c);
}

static void
test_card_hint_rules_out_outline_over_face(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;

	(void)state;
	/* A face the detector saw cannot be under the card. */
	run_holding_hint(0, 0, 0.3, &c, &r, &s);
	assert_true(!r.found || corner_error(&r, &c.truth, s) > 0.03);
	gen_case_free(&c);
}

static void
test_card_hint_rules_out_card_too_big_for_face(void **state)
{
	struct imaging_card_result	r;
	struct gen_case			c;
	double				s;

	(void)state;
	/* A card ten times a face's width is not held beside that face. */
	run_holding_hint(0, -1.2, 0.1, &c, &r, &s);
	assert_true(!r.found || corner_error(&r, &c.truth, s) > 0.03);
	gen_case_free(&c);
}

static void
test_card_reports_not_found_on_plain_wall(void **state)
{
	struct imaging_card_result	r;
	struct imaging_image		img;
	int				x, y;

	(void)state;
	img.width = 800;
	img.height = 600;
	img.stride = 800 * 3;
	img.pixels = malloc((size_t)img.stride * img.height);
	assert_non_null(img.pixels);
	for (y = 0; y < img.height; y++)
		for (x = 0; x < img.stride; x++)
			img.pixels[y * img.stride + x] = (uint8_t)(90 + y / 20);
	assert_int_equal(imaging_card_analyse(fx.card, &img,
	    IMAGING_CARD_EXPECT_FRONT, &r), 0);
	assert_false(r.found);
	assert_true(has_reason(&r, IMAGING_CARD_REASON_NOT_FOUND));
	assert_null(imaging_card_rectified(fx.card));
	free(img.pixels);
}

static void
test_card_rejects_missing_image(void **state)
{
	struct imaging_card_result	r;
	struct imaging_image		img = { 10, 10, 30, NULL };

	(void)state;
	assert_int_equal(imaging_card_analyse(fx.card, &img,
	    IMAGING_CARD_EXPECT_FRONT, &r), -1);
	assert_int_equal(imaging_card_errcode(fx.card), IMAGING_ERR_ARG);
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_finds_clean_front_reads_number_no_reason),
		cmocka_unit_test(test_card_finds_clean_back_reads_validity_no_reason),
		cmocka_unit_test(test_card_reads_wrong_check_digit_as_printed),
		cmocka_unit_test(test_card_flags_cut_off),
		cmocka_unit_test(test_card_flags_too_small),
		cmocka_unit_test(test_card_flags_glare),
		cmocka_unit_test(test_card_flags_blur),
		cmocka_unit_test(test_card_flags_multiple_cards),
		cmocka_unit_test(test_card_flags_wrong_side),
		cmocka_unit_test(test_card_finds_card_in_holding_selfie),
		cmocka_unit_test(test_card_hint_keeps_card_held_below_face),
		cmocka_unit_test(test_card_hint_rules_out_outline_over_face),
		cmocka_unit_test(
		    test_card_hint_rules_out_card_too_big_for_face),
		cmocka_unit_test(test_card_reports_not_found_on_plain_wall),
		cmocka_unit_test(test_card_rejects_missing_image),
	};

	/*
	 * Tesseract's OpenMP threads spin on a busy machine and make each
	 * line several times slower; one thread is what the service uses.
	 * libgomp reads the limit at load, hence the re-exec.
	 */
	if (getenv("OMP_THREAD_LIMIT") == NULL && argc > 0) {
		(void)setenv("OMP_THREAD_LIMIT", "1", 1);
		(void)execv("/proc/self/exe", argv);
	}
	return (cmocka_run_group_tests(tests, setup, teardown));
}
