/*
 * Synthetic ID-card photos; see gen.h.
 *
 * Everything below draws from one splitmix64 stream seeded by (seed,
 * index), so a case never depends on the cases made before it.  Sizes
 * are chosen to look like what a phone uploads: the card covers most of
 * a landscape 12 MP frame, the holding selfie shows a head and the card
 * held below it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <turbojpeg.h>

#include "cv/card_cv.h"
#include "idnumber.h"
#include "gen.h"

/* The card is drawn at three times the template's 448x282. */
#define TPL_W		448
#define TPL_H		282
#define CARD_SCALE	3
#define CARD_W		(TPL_W * CARD_SCALE)
#define CARD_H		(TPL_H * CARD_SCALE)

#define MAX_FACES	128
/* Faces are kept in memory at this long side at most. */
#define FACE_LONG_SIDE	1200

struct rng {
	uint64_t	s;
};

struct face_entry {
	char			file[32];
	int			person;
	struct card_cv_mat	img;	/* loaded on first use */
};

struct gen {
	char			data_dir[PATH_MAX];
	FT_Library		ft;
	FT_Face			font;
	struct card_cv_mat	tpl[2];		/* front, back: BGRA CARD_W */
	struct face_entry	faces[MAX_FACES];
	int			nfaces;
	int			npersons;
	tjhandle		tj_enc;
	tjhandle		tj_dec;
};

struct region {
	const char	*code;
	const char	*place;
	const char	*issuer;
};

static const struct region regions[] = {
	{ "110105", "北京市朝阳区", "北京市公安局朝阳分局" },
	{ "110108", "北京市海淀区", "北京市公安局海淀分局" },
	{ "310115", "上海市浦东新区", "上海市公安局浦东分局" },
	{ "310104", "上海市徐汇区", "上海市公安局徐汇分局" },
	{ "440106", "广东省广州市天河区", "广州市公安局天河区分局" },
	{ "440305", "广东省深圳市南山区", "深圳市公安局南山分局" },
	{ "330106", "浙江省杭州市西湖区", "杭州市公安局西湖区分局" },
	{ "510107", "四川省成都市武侯区", "成都市公安局武侯区分局" },
	{ "420111", "湖北省武汉市洪山区", "武汉市公安局洪山区分局" },
	{ "320102", "江苏省南京市玄武区", "南京市公安局玄武分局" },
	{ "610113", "陕西省西安市雁塔区", "西安市公安局雁塔分局" },
	{ "370202", "山东省青岛市市南区", "青岛市公安局市南分局" },
	{ "500103", "重庆市渝中区", "重庆市公安局渝中区分局" },
	{ "430104", "湖南省长沙市岳麓区", "长沙市公安局岳麓分局" },
};
#define NREGIONS	(sizeof(regions) / sizeof(regions[0]))

static const char *surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐",
	"孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁",
	"谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "欧阳",
};
static const char *given[] = {
	"伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军",
	"洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "兰", "霞", "平",
	"刚", "桂", "文", "华", "建", "国", "志", "红", "玉", "海", "晓",
	"云", "鹏", "宇", "浩", "婷", "雪", "琳", "子", "涵", "思", "博",
};
static const char *streets[] = {
	"建国路", "人民路", "解放大道", "中山路", "长江路", "和平街",
	"学院路", "文化路", "东风路", "新华街", "滨河路", "青年路",
};
static const char *ethnicities[] = {
	"汉", "汉", "汉", "汉", "汉", "汉", "汉", "汉", "回", "满", "壮",
	"苗", "蒙古", "土家",
};

/* Where fields go, in template (448x282) pixels; baselines for text. */
#define F_TEXT_X	88
#define F_NAME_Y	66
#define F_SEX_Y		97
#define F_ETHN_X	190
#define F_BIRTH_Y	129
#define F_MONTH_X	158
#define F_DAY_X		205
#define F_ADDR_Y	162
#define F_ADDR_MAXX	272
#define F_ADDR_LINE	18
#define F_NUM_X		134
#define F_NUM_Y		247
#define F_PORT_X	298
#define F_PORT_Y	36
#define F_PORT_W	112
#define F_PORT_H	140
#define B_TEXT_X	186
#define B_ISSUER_Y	216
#define B_VALID_Y	249

static void	gen_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
gen_err(char *err, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t	z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static double
rng_unit(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0));
}

static double
rng_range(struct rng *r, double lo, double hi)
{
	return (lo + (hi - lo) * rng_unit(r));
}

static int
rng_int(struct rng *r, int n)
{
	if (n <= 1)
		return (0);
	return ((int)(rng_next(r) % (uint64_t)n));
}

static double
rng_gauss(struct rng *r)
{
	double	u, v;

	u = rng_unit(r);
	if (u < 1e-12)
		u = 1e-12;
	v = rng_unit(r);
	return (sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v));
}

static uint8_t
clamp8(double v)
{
	if (v <= 0)
		return (0);
	if (v >= 255)
		return (255);
	return ((uint8_t)(v + 0.5));
}

/* ---- loading ---- */

static int
data_path(const struct gen *g, const char *rel, char *buf, size_t len)
{
	size_t	a = strlen(g->data_dir), b = strlen(rel);

	if (a + 1 + b + 1 > len)
		return (-1);
	memcpy(buf, g->data_dir, a);
	buf[a] = '/';
	memcpy(buf + a + 1, rel, b + 1);
	return (0);
}

static int
load_faces(struct gen *g, char *err, size_t errlen)
{
	char	path[PATH_MAX], line[256], ids[MAX_FACES][16];
	FILE	*f;
	int	nids = 0, i;

	if (data_path(g, "faces/identities.csv", path, sizeof(path)) == -1 ||
	    (f = fopen(path, "r")) == NULL) {
		gen_err(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char	*comma, *id, *nl;

		if (strncmp(line, "file,", 5) == 0)
			continue;
		if ((comma = strchr(line, ',')) == NULL)
			continue;
		*comma = '\0';
		id = comma + 1;
		if ((nl = strpbrk(id, "\r\n")) != NULL)
			*nl = '\0';
		if (g->nfaces == MAX_FACES || strlen(line) >= 32 ||
		    strlen(id) >= 16 || *id == '\0')
			continue;
		for (i = 0; i < nids; i++)
			if (strcmp(ids[i], id) == 0)
				break;
		if (i == nids)
			(void)snprintf(ids[nids++], sizeof(ids[0]), "%s", id);
		(void)snprintf(g->faces[g->nfaces].file,
		    sizeof(g->faces[0].file), "%s", line);
		g->faces[g->nfaces].person = i;
		g->nfaces++;
	}
	(void)fclose(f);
	g->npersons = nids;
	if (g->nfaces < 2 || nids < 2) {
		gen_err(err, errlen, "%s: too few faces", path);
		return (-1);
	}
	return (0);
}

static struct card_cv_mat *
face_image(struct gen *g, int i)
{
	struct face_entry	*fe = &g->faces[i];
	struct card_cv_mat	 raw, small;
	char			 path[PATH_MAX];
	double			 s;
	int			 ls;

	if (fe->img.data != NULL)
		return (&fe->img);
	if (data_path(g, "faces/", path, sizeof(path)) == -1 ||
	    strlen(path) + strlen(fe->file) >= sizeof(path))
		return (NULL);
	(void)strcat(path, fe->file);
	if (card_cv_read(path, &raw) == -1)
		return (NULL);
	if (raw.channels == 4) {
		card_cv_mat_free(&raw);
		return (NULL);
	}
	ls = raw.width > raw.height ? raw.width : raw.height;
	if (ls <= FACE_LONG_SIDE) {
		fe->img = raw;
		return (&fe->img);
	}
	s = (double)FACE_LONG_SIDE / ls;
	if (card_cv_mat_alloc(&small, (int)(raw.width * s),
	    (int)(raw.height * s), 3) == -1 ||
	    card_cv_resize(&raw, &small, CARD_CV_INTER_AREA) == -1) {
		card_cv_mat_free(&raw);
		card_cv_mat_free(&small);
		return (NULL);
	}
	card_cv_mat_free(&raw);
	fe->img = small;
	return (&fe->img);
}

static int
load_template(struct gen *g, const char *name, struct card_cv_mat *out,
    char *err, size_t errlen)
{
	struct card_cv_mat	raw;
	char			path[PATH_MAX];
	int			x, y;

	if (data_path(g, "card-templates/", path, sizeof(path)) == -1 ||
	    strlen(path) + strlen(name) >= sizeof(path)) {
		gen_err(err, errlen, "%s: path too long", name);
		return (-1);
	}
	(void)strcat(path, name);
	if (card_cv_read(path, &raw) == -1) {
		gen_err(err, errlen, "%s: cannot read", path);
		return (-1);
	}
	if (card_cv_mat_alloc(out, CARD_W, CARD_H, 4) == -1)
		goto fail;
	if (raw.channels == 4) {
		if (card_cv_resize(&raw, out, CARD_CV_INTER_CUBIC) == -1)
			goto fail;
	} else {
		struct card_cv_mat	bgr;

		if (card_cv_mat_alloc(&bgr, CARD_W, CARD_H, 3) == -1)
			goto fail;
		if (card_cv_resize(&raw, &bgr, CARD_CV_INTER_CUBIC) == -1) {
			card_cv_mat_free(&bgr);
			goto fail;
		}
		for (y = 0; y < CARD_H; y++)
			for (x = 0; x < CARD_W; x++) {
				memcpy(out->data + y * out->stride + x * 4,
				    bgr.data + y * bgr.stride + x * 3, 3);
				out->data[y * out->stride + x * 4 + 3] = 255;
			}
		card_cv_mat_free(&bgr);
	}
	card_cv_mat_free(&raw);
	return (0);
fail:
	gen_err(err, errlen, "%s: cannot scale", path);
	card_cv_mat_free(&raw);
	card_cv_mat_free(out);
	return (-1);
}

static int
open_font(struct gen *g, const char *path, char *err, size_t errlen)
{
	FT_Face	f;
	long	i, n;

	if (FT_Init_FreeType(&g->ft) != 0) {
		gen_err(err, errlen, "FreeType init failed");
		return (-1);
	}
	if (FT_New_Face(g->ft, path, 0, &f) != 0) {
		gen_err(err, errlen, "%s: not a font", path);
		return (-1);
	}
	n = f->num_faces;
	/* A .ttc holds JP, KR, SC, ... faces: take Simplified Chinese. */
	for (i = 0; i < n; i++) {
		FT_Face	c;

		if (FT_New_Face(g->ft, path, i, &c) != 0)
			continue;
		if (c->family_name != NULL &&
		    strstr(c->family_name, " SC") != NULL &&
		    strstr(c->family_name, "Mono") == NULL) {
			(void)FT_Done_Face(f);
			f = c;
			break;
		}
		(void)FT_Done_Face(c);
	}
	g->font = f;
	return (0);
}

void
gen_options_default(struct gen_options *o)
{
	o->kind = GEN_KIND_RANDOM;
	o->degrade = GEN_DEG_RANDOM;
	o->long_side = GEN_SIZE_RANDOM;
	o->exif = 1;
}

struct gen *
gen_open(const char *data_dir, const char *font_path, char *err,
    size_t errlen)
{
	struct gen	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		gen_err(err, errlen, "out of memory");
		return (NULL);
	}
	if (snprintf(g->data_dir, sizeof(g->data_dir), "%s", data_dir) >=
	    (int)sizeof(g->data_dir)) {
		gen_err(err, errlen, "data directory path too long");
		goto fail;
	}
	if (load_faces(g, err, errlen) == -1 ||
	    load_template(g, "front_blank.png", &g->tpl[0], err,
	    errlen) == -1 ||
	    load_template(g, "back_blank.png", &g->tpl[1], err,
	    errlen) == -1 ||
	    open_font(g, font_path, err, errlen) == -1)
		goto fail;
	g->tj_enc = tjInitCompress();
	g->tj_dec = tjInitDecompress();
	if (g->tj_enc == NULL || g->tj_dec == NULL) {
		gen_err(err, errlen, "TurboJPEG init failed");
		goto fail;
	}
	return (g);
fail:
	gen_close(g);
	return (NULL);
}

void
gen_close(struct gen *g)
{
	int	i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nfaces; i++)
		card_cv_mat_free(&g->faces[i].img);
	card_cv_mat_free(&g->tpl[0]);
	card_cv_mat_free(&g->tpl[1]);
	if (g->font != NULL)
		(void)FT_Done_Face(g->font);
	if (g->ft != NULL)
		(void)FT_Done_FreeType(g->ft);
	if (g->tj_enc != NULL)
		(void)tjDestroy(g->tj_enc);
	if (g->tj_dec != NULL)
		(void)tjDestroy(g->tj_dec);
	free(g);
}

/* ---- identities ---- */

static void
make_identity(struct gen *g, struct rng *r, struct gen_truth *t)
{
	const struct region	*reg;
	char			 body[40];
	int			 y, m, d, seq, n, i, age, iy, im, id, years;
	static const int	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };

	(void)g;
	reg = &regions[rng_int(r, NREGIONS)];
	n = snprintf(t->name, sizeof(t->name), "%s",
	    surnames[rng_int(r, sizeof(surnames) / sizeof(surnames[0]))]);
	for (i = 0; i < 1 + rng_int(r, 2); i++)
		n += snprintf(t->name + n, sizeof(t->name) - n, "%s",
		    given[rng_int(r, sizeof(given) / sizeof(given[0]))]);
	y = 1950 + rng_int(r, 56);
	m = 1 + rng_int(r, 12);
	d = 1 + rng_int(r, mdays[m - 1]);
	seq = rng_int(r, 1000);
	(void)snprintf(t->sex, sizeof(t->sex), "%s", seq % 2 ? "男" : "女");
	(void)snprintf(t->ethnicity, sizeof(t->ethnicity), "%s",
	    ethnicities[rng_int(r, sizeof(ethnicities) /
	    sizeof(ethnicities[0]))]);
	(void)snprintf(t->birth, sizeof(t->birth), "%04d%02d%02d", y, m, d);
	(void)snprintf(t->address, sizeof(t->address), "%s%s%d号%d栋%d单元%d室",
	    reg->place, streets[rng_int(r, sizeof(streets) /
	    sizeof(streets[0]))], 1 + rng_int(r, 300), 1 + rng_int(r, 30),
	    1 + rng_int(r, 6), 101 + rng_int(r, 25) * 100 + rng_int(r, 4));
	(void)snprintf(body, sizeof(body), "%s%04d%02d%02d%03d", reg->code, y,
	    m, d, seq);
	memcpy(t->number, body, 17);
	t->number[17] = idnumber_check_digit(body);
	t->number[18] = '\0';
	t->number_valid = 1;
	/* One number in ten carries a wrong check digit on purpose. */
	if (rng_unit(r) < 0.1) {
		const char	*digits = "0123456789X";
		char		 c;

		do
			c = digits[rng_int(r, 11)];
		while (c == t->number[17]);
		t->number[17] = c;
		t->number_valid = 0;
	}
	(void)snprintf(t->issuer, sizeof(t->issuer), "%s", reg->issuer);
	/* Issued 2008..2025; length by age at issue, as the law sets it. */
	iy = 2008 + rng_int(r, 18);
	if (iy < y + 5)
		iy = y + 5;
	im = 1 + rng_int(r, 12);
	id = 1 + rng_int(r, 28);
	age = iy - y;
	years = age < 16 ? 5 : age <= 25 ? 10 : age <= 45 ? 20 : 0;
	if (years == 0)
		(void)snprintf(t->validity, sizeof(t->validity),
		    "%04d.%02d.%02d-长期", iy, im, id);
	else
		(void)snprintf(t->validity, sizeof(t->validity),
		    "%04d.%02d.%02d-%04d.%02d.%02d", iy, im, id, iy + years,
		    im, id);
}

/* ---- drawing on the card ---- */

static int
utf8_next(const char **s)
{
	const unsigned char	*p = (const unsigned char *)*s;
	int			 cp, n, i;

	if (*p == 0)
		return (0);
	if (*p < 0x80) {
		cp = *p;
		n = 1;
	} else if ((*p & 0xe0) == 0xc0) {
		cp = *p & 0x1f;
		n = 2;
	} else if ((*p & 0xf0) == 0xe0) {
		cp = *p & 0x0f;
		n = 3;
	} else {
		cp = *p & 0x07;
		n = 4;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s += i;
			return ('?');
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*s += n;
	return (cp);
}

/*
 * Draw UTF-8 text on a BGRA card at (x, baseline) in card pixels,
 * wrapping at maxx onto lines line_h apart.  Returns the pen's end x.
 */
static double
draw_text(struct gen *g, struct card_cv_mat *m, const char *s, double x,
    double baseline, int px, const uint8_t bgr[3], double spacing,
    double maxx, double line_h)
{
	double	pen = x;
	int	cp, bx, by, gx, gy, c;

	if (FT_Set_Pixel_Sizes(g->font, 0, (FT_UInt)px) != 0)
		return (x);
	while ((cp = utf8_next(&s)) != 0) {
		FT_GlyphSlot	gl;

		if (FT_Load_Char(g->font, (FT_ULong)cp, FT_LOAD_RENDER) != 0)
			continue;
		gl = g->font->glyph;
		if (maxx > 0 && pen + (gl->advance.x >> 6) > maxx) {
			pen = x;
			baseline += line_h;
		}
		bx = (int)lround(pen) + gl->bitmap_left;
		by = (int)lround(baseline) - gl->bitmap_top;
		for (gy = 0; gy < (int)gl->bitmap.rows; gy++) {
			int	yy = by + gy;

			if (yy < 0 || yy >= m->height)
				continue;
			for (gx = 0; gx < (int)gl->bitmap.width; gx++) {
				int	 xx = bx + gx, a;
				uint8_t	*p;

				if (xx < 0 || xx >= m->width)
					continue;
				a = gl->bitmap.buffer[gy * gl->bitmap.pitch +
				    gx];
				if (a == 0)
					continue;
				p = m->data + yy * m->stride + xx * m->channels;
				for (c = 0; c < 3; c++)
					p[c] = (uint8_t)((p[c] * (255 - a) +
					    bgr[c] * a + 127) / 255);
			}
		}
		pen += (gl->advance.x >> 6) + spacing;
	}
	return (pen);
}

/*
 * Paste a head-and-shoulders crop of face image `fi` into the portrait
 * box, fading its edges into the card so it reads as a printed photo on
 * a light ground.
 */
static int
draw_portrait(struct gen *g, struct card_cv_mat *card, int fi)
{
	struct card_cv_mat	*src, crop, fit;
	int			 bw, bh, bx, by, cw, ch, cx, cy, x, y, c;

	if ((src = face_image(g, fi)) == NULL)
		return (-1);
	bw = F_PORT_W * CARD_SCALE;
	bh = F_PORT_H * CARD_SCALE;
	bx = F_PORT_X * CARD_SCALE;
	by = F_PORT_Y * CARD_SCALE;
	/* The shared faces are centred portraits: take the middle. */
	cw = (int)(src->width * 0.72);
	ch = (int)(cw * (double)bh / bw);
	if (ch > src->height) {
		ch = src->height;
		cw = (int)(ch * (double)bw / bh);
	}
	cx = (src->width - cw) / 2;
	cy = (int)((src->height - ch) * 0.35);
	crop = *src;
	crop.data = src->data + cy * src->stride + cx * 3;
	crop.width = cw;
	crop.height = ch;
	if (card_cv_mat_alloc(&fit, bw, bh, 3) == -1)
		return (-1);
	if (card_cv_resize(&crop, &fit, CARD_CV_INTER_AREA) == -1) {
		card_cv_mat_free(&fit);
		return (-1);
	}
	for (y = 0; y < bh; y++)
		for (x = 0; x < bw; x++) {
			double	 ex = (x - bw / 2.0) / (bw / 2.0);
			double	 ey = (y - bh * 0.55) / (bh * 0.62);
			double	 d = sqrt(ex * ex + ey * ey), a;
			uint8_t	*p = card->data + (by + y) * card->stride +
			    (bx + x) * 4;
			uint8_t	*q = fit.data + y * fit.stride + x * 3;

			a = d < 0.85 ? 1.0 : d > 1.05 ? 0.0 :
			    (1.05 - d) / 0.2;
			for (c = 0; c < 3; c++)
				p[c] = clamp8(p[c] * (1 - a) + q[c] * a);
		}
	card_cv_mat_free(&fit);
	return (0);
}

/* Render one card of side `side` for truth `t` into a new BGRA image. */
static int
render_card(struct gen *g, const struct gen_truth *t, int side, int fi,
    struct card_cv_mat *card)
{
	static const uint8_t	 black[3] = { 20, 20, 20 };
	const struct card_cv_mat *tpl = &g->tpl[side];
	char			 buf[16];
	const int		 S = CARD_SCALE;

	if (card_cv_mat_alloc(card, CARD_W, CARD_H, 4) == -1)
		return (-1);
	memcpy(card->data, tpl->data, (size_t)tpl->stride * tpl->height);
	if (side == GEN_KIND_BACK) {
		(void)draw_text(g, card, t->issuer, B_TEXT_X * S,
		    B_ISSUER_Y * S, 13 * S, black, 0, 0, 0);
		(void)draw_text(g, card, t->validity, B_TEXT_X * S,
		    B_VALID_Y * S, 13 * S, black, 0, 0, 0);
		return (0);
	}
	(void)draw_text(g, card, t->name, F_TEXT_X * S, F_NAME_Y * S,
	    15 * S, black, 2 * S, 0, 0);
	(void)draw_text(g, card, t->sex, F_TEXT_X * S, F_SEX_Y * S, 13 * S,
	    black, 0, 0, 0);
	(void)draw_text(g, card, t->ethnicity, F_ETHN_X * S, F_SEX_Y * S,
	    13 * S, black, 0, 0, 0);
	(void)snprintf(buf, sizeof(buf), "%.4s", t->birth);
	(void)draw_text(g, card, buf, F_TEXT_X * S, F_BIRTH_Y * S, 13 * S,
	    black, 0, 0, 0);
	(void)snprintf(buf, sizeof(buf), "%d", atoi(t->birth + 4) / 100);
	(void)draw_text(g, card, buf, F_MONTH_X * S, F_BIRTH_Y * S, 13 * S,
	    black, 0, 0, 0);
	(void)snprintf(buf, sizeof(buf), "%d", atoi(t->birth + 6));
	(void)draw_text(g, card, buf, F_DAY_X * S, F_BIRTH_Y * S, 13 * S,
	    black, 0, 0, 0);
	(void)draw_text(g, card, t->address, F_TEXT_X * S, F_ADDR_Y * S,
	    13 * S, black, 0, F_ADDR_MAXX * S, F_ADDR_LINE * S);
	(void)draw_text(g, card, t->number, F_NUM_X * S, F_NUM_Y * S,
	    16 * S, black, 2.2 * S, 0, 0);
	if (draw_portrait(g, card, fi) == -1) {
		card_cv_mat_free(card);
		return (-1);
	}
	return (0);
}

/* ---- composing the photo ---- */

/* A w x h grey field of smooth noise from a gw x gh grid of values. */
static int
smooth_field(struct rng *r, int w, int h, int gw, int gh, double lo,
    double hi, struct card_cv_mat *out)
{
	struct card_cv_mat	grid;
	int			i;

	if (card_cv_mat_alloc(&grid, gw, gh, 1) == -1)
		return (-1);
	for (i = 0; i < gw * gh; i++)
		grid.data[i] = clamp8(rng_range(r, lo, hi));
	if (card_cv_mat_alloc(out, w, h, 1) == -1) {
		card_cv_mat_free(&grid);
		return (-1);
	}
	if (card_cv_resize(&grid, out, CARD_CV_INTER_CUBIC) == -1) {
		card_cv_mat_free(&grid);
		card_cv_mat_free(out);
		return (-1);
	}
	card_cv_mat_free(&grid);
	return (0);
}

/*
 * Fill a BGR canvas with a surface a card might lie on or a wall
 * behind a face: plain, wood, cloth check, dark desk, light paper.
 * Returns the kind drawn.
 */
static int
draw_background(struct rng *r, struct card_cv_mat *m, int kind)
{
	struct card_cv_mat	fine, coarse;
	double			base[3], alt[3], ang, period, ca, sa;
	int			x, y, c, ret = -1;

	if (kind < 0)
		kind = rng_int(r, 5);
	memset(&fine, 0, sizeof(fine));
	memset(&coarse, 0, sizeof(coarse));
	if (smooth_field(r, m->width, m->height, 48, 36, 96, 160,
	    &fine) == -1 ||
	    smooth_field(r, m->width, m->height, 4, 3, 80, 176,
	    &coarse) == -1)
		goto done;
	switch (kind) {
	case 1:		/* wood */
		base[0] = rng_range(r, 30, 70);
		base[1] = rng_range(r, 60, 110);
		base[2] = rng_range(r, 100, 160);
		break;
	case 3:		/* dark desk */
		base[0] = base[1] = base[2] = rng_range(r, 25, 60);
		base[rng_int(r, 3)] += rng_range(r, 0, 20);
		break;
	case 4:		/* light paper or desk */
		base[0] = base[1] = base[2] = rng_range(r, 150, 185);
		base[rng_int(r, 3)] -= rng_range(r, 0, 25);
		break;
	default:
		for (c = 0; c < 3; c++)
			base[c] = rng_range(r, 30, 170);
		break;
	}
	for (c = 0; c < 3; c++)
		alt[c] = base[c] * rng_range(r, 0.55, 0.85);
	ang = rng_range(r, 0, M_PI);
	ca = cos(ang);
	sa = sin(ang);
	period = rng_range(r, 0.01, 0.04) * m->width;
	for (y = 0; y < m->height; y++) {
		uint8_t	*p = m->data + y * m->stride;
		uint8_t	*fp = fine.data + y * fine.stride;
		uint8_t	*cp = coarse.data + y * coarse.stride;

		for (x = 0; x < m->width; x++) {
			double	f = (fp[x] - 128) / 128.0;
			double	k = cp[x] / 128.0, t, v;

			switch (kind) {
			case 1:
				t = (x * ca + y * sa) / period + 3.0 * f;
				v = 0.5 + 0.5 * sin(t * 2 * M_PI);
				v = v * v;
				for (c = 0; c < 3; c++)
					p[3 * x + c] = clamp8(k * (base[c] *
					    (1 - v) + alt[c] * v));
				break;
			case 2:
				t = ((int)floor((x * ca + y * sa) / period) +
				    (int)floor((-x * sa + y * ca) / period)) &
				    1;
				for (c = 0; c < 3; c++)
					p[3 * x + c] = clamp8(k * (t ?
					    base[c] : alt[c]) * (1 + 0.1 * f));
				break;
			default:
				for (c = 0; c < 3; c++)
					p[3 * x + c] = clamp8(k * base[c] *
					    (1 + 0.15 * f));
				break;
			}
		}
	}
	ret = kind;
done:
	card_cv_mat_free(&fine);
	card_cv_mat_free(&coarse);
	return (ret);
}

/*
 * Warp the BGRA card onto the BGR canvas at `quad` (TL, TR, BR, BL),
 * blending by the card's alpha, with a soft shadow under it.
 */
static int
composite_card(struct card_cv_mat *canvas, const struct card_cv_mat *card,
    const double quad[8], double shadow)
{
	struct card_cv_point	src[4], dst[4];
	struct card_cv_mat	tmp;
	double			h[9], minx, miny, maxx, maxy;
	int			i, x, y, x0, y0, x1, y1, c, off;

	minx = miny = 1e9;
	maxx = maxy = -1e9;
	src[0].x = 0;
	src[0].y = 0;
	src[1].x = card->width;
	src[1].y = 0;
	src[2].x = card->width;
	src[2].y = card->height;
	src[3].x = 0;
	src[3].y = card->height;
	for (i = 0; i < 4; i++) {
		minx = fmin(minx, quad[2 * i]);
		maxx = fmax(maxx, quad[2 * i]);
		miny = fmin(miny, quad[2 * i + 1]);
		maxy = fmax(maxy, quad[2 * i + 1]);
	}
	off = (int)(shadow * (maxx - minx));
	x0 = (int)fmax(0, floor(minx) - 1);
	y0 = (int)fmax(0, floor(miny) - 1);
	x1 = (int)fmin(canvas->width, ceil(maxx) + 2 + off);
	y1 = (int)fmin(canvas->height, ceil(maxy) + 2 + off);
	if (x1 <= x0 || y1 <= y0)
		return (0);
	for (i = 0; i < 4; i++) {
		dst[i].x = quad[2 * i] - x0;
		dst[i].y = quad[2 * i + 1] - y0;
	}
	if (card_cv_homography(src, dst, h) == -1)
		return (-1);
	if (card_cv_mat_alloc(&tmp, x1 - x0, y1 - y0, 4) == -1)
		return (-1);
	if (card_cv_warp(card, h, &tmp, 1) == -1) {
		card_cv_mat_free(&tmp);
		return (-1);
	}
	/* Shadow first: the card's own alpha, shifted down and right. */
	if (off > 0)
		for (y = tmp.height - 1; y >= off; y--)
			for (x = tmp.width - 1; x >= off; x--) {
				int	 a = tmp.data[(y - off) * tmp.stride +
				    (x - off) * 4 + 3];
				uint8_t	*p = canvas->data + (y0 + y) *
				    canvas->stride + (x0 + x) * 3;

				if (a == 0)
					continue;
				for (c = 0; c < 3; c++)
					p[c] = (uint8_t)(p[c] *
					    (1.0 - 0.35 * a / 255.0));
			}
	for (y = 0; y < tmp.height; y++)
		for (x = 0; x < tmp.width; x++) {
			uint8_t	*q = tmp.data + y * tmp.stride + x * 4;
			uint8_t	*p = canvas->data + (y0 + y) *
			    canvas->stride + (x0 + x) * 3;
			int	 a = q[3];

			if (a == 0)
				continue;
			for (c = 0; c < 3; c++)
				p[c] = (uint8_t)((p[c] * (255 - a) +
				    q[c] * a + 127) / 255);
		}
	card_cv_mat_free(&tmp);
	return (0);
}

/*
 * A card pose: centre (cx, cy), width w in pixels, in-plane angle, and
 * a perspective jitter of each corner, written as TL, TR, BR, BL.
 */
static void
card_quad(struct rng *r, double cx, double cy, double w, double angle,
    double jitter, double quad[8])
{
	double	hw = w / 2, hh = w * CARD_H / CARD_W / 2, ca, sa;
	double	lx[4] = { -1, 1, 1, -1 }, ly[4] = { -1, -1, 1, 1 };
	double	tilt;
	int	i;

	ca = cos(angle);
	sa = sin(angle);
	/* A tilted card: one edge nearer the camera, so longer. */
	tilt = rng_range(r, -jitter, jitter);
	for (i = 0; i < 4; i++) {
		double	x = lx[i] * hw * (1 + tilt * ly[i]);
		double	y = ly[i] * hh;

		x += rng_range(r, -jitter, jitter) * w * 0.5;
		y += rng_range(r, -jitter, jitter) * w * 0.5;
		quad[2 * i] = cx + x * ca - y * sa;
		quad[2 * i + 1] = cy + x * sa + y * ca;
	}
}

static void
quad_bounds(const double q[8], double *minx, double *miny, double *maxx,
    double *maxy)
{
	int	i;

	*minx = *miny = 1e18;
	*maxx = *maxy = -1e18;
	for (i = 0; i < 4; i++) {
		*minx = fmin(*minx, q[2 * i]);
		*maxx = fmax(*maxx, q[2 * i]);
		*miny = fmin(*miny, q[2 * i + 1]);
		*maxy = fmax(*maxy, q[2 * i + 1]);
	}
}

static void
quad_shift(double q[8], double dx, double dy)
{
	int	i;

	for (i = 0; i < 4; i++) {
		q[2 * i] += dx;
		q[2 * i + 1] += dy;
	}
}

/*
 * Place a card of width w with its whole outline at least `margin`
 * pixels inside the canvas, shrinking it if it cannot fit.
 */
static void
place_inside(struct rng *r, int W, int H, double w, double angle,
    double jitter, double margin, double fx, double fy, double quad[8])
{
	double	minx, miny, maxx, maxy, cx, cy;
	int	tries;

	for (tries = 0; tries < 40; tries++) {
		card_quad(r, 0, 0, w, angle, jitter, quad);
		quad_bounds(quad, &minx, &miny, &maxx, &maxy);
		if (maxx - minx <= W - 2 * margin &&
		    maxy - miny <= H - 2 * margin)
			break;
		w *= 0.95;
	}
	cx = margin - minx + fx * (W - 2 * margin - (maxx - minx));
	cy = margin - miny + fy * (H - 2 * margin - (maxy - miny));
	quad_shift(quad, cx, cy);
}

static int
quad_area_px(const double q[8], double *a)
{
	double	s = 0;
	int	i;

	for (i = 0; i < 4; i++)
		s += q[2 * i] * q[(2 * i + 3) % 8] -
		    q[(2 * i + 2) % 8] * q[2 * i + 1];
	*a = fabs(s) / 2;
	return (0);
}

/* A saturated specular spot on the card, with a soft halo. */
static void
add_glare(struct rng *r, struct card_cv_mat *m, const double q[8],
    struct gen_truth *t)
{
	double	area, core, a, b, u, v, cx, cy, ang, ca, sa, sat = 0;
	int	x, y, x0, x1, y0, y1, c;

	(void)quad_area_px(q, &area);
	core = area * rng_range(r, 0.012, 0.05);
	a = sqrt(core / M_PI * rng_range(r, 1.0, 2.5));
	b = core / (M_PI * a);
	/* Keep the spot well inside the card: bilinear point in the quad. */
	u = rng_range(r, 0.25, 0.75);
	v = rng_range(r, 0.25, 0.75);
	cx = (1 - v) * ((1 - u) * q[0] + u * q[2]) +
	    v * ((1 - u) * q[6] + u * q[4]);
	cy = (1 - v) * ((1 - u) * q[1] + u * q[3]) +
	    v * ((1 - u) * q[7] + u * q[5]);
	ang = rng_range(r, 0, M_PI);
	ca = cos(ang);
	sa = sin(ang);
	x0 = (int)fmax(0, cx - 2.4 * a);
	x1 = (int)fmin(m->width - 1, cx + 2.4 * a);
	y0 = (int)fmax(0, cy - 2.4 * a);
	y1 = (int)fmin(m->height - 1, cy + 2.4 * a);
	for (y = y0; y <= y1; y++)
		for (x = x0; x <= x1; x++) {
			double	 dx = x - cx, dy = y - cy;
			double	 e1 = (dx * ca + dy * sa) / a;
			double	 e2 = (-dx * sa + dy * ca) / b;
			double	 d = sqrt(e1 * e1 + e2 * e2), w;
			uint8_t	*p = m->data + y * m->stride + x * 3;

			if (d < 1) {
				p[0] = p[1] = p[2] = 255;
				sat += 1;
				continue;
			}
			if (d > 2.2)
				continue;
			w = (2.2 - d) / 1.2;
			w = 0.85 * w * w;
			for (c = 0; c < 3; c++)
				p[c] = clamp8(p[c] * (1 - w) + 255 * w);
		}
	t->glare_frac = sat / area;
}

/* Blur the whole photo by sigma pixels (cheaply, through a smaller copy). */
static int
blur_photo(struct card_cv_mat *m, double sigma, int motion, double angle)
{
	struct card_cv_mat	small;
	double			k;
	int			rc;

	if (sigma <= 3.0 && !motion)
		return (card_cv_blur_gaussian(m, sigma));
	k = sigma / 2.0;
	if (motion)
		k = sigma / 8.0;
	if (k < 1)
		k = 1;
	if (card_cv_mat_alloc(&small, (int)(m->width / k) + 1,
	    (int)(m->height / k) + 1, 3) == -1)
		return (-1);
	rc = card_cv_resize(m, &small, CARD_CV_INTER_AREA);
	if (rc == 0 && motion)
		rc = card_cv_blur_motion(&small, (int)(sigma / k), angle);
	else if (rc == 0)
		rc = card_cv_blur_gaussian(&small, sigma / k);
	if (rc == 0)
		rc = card_cv_resize(&small, m, CARD_CV_INTER_LINEAR);
	card_cv_mat_free(&small);
	return (rc);
}

/* Uneven light: a smooth gain field and a colour cast; never brighter. */
static int
light_photo(struct rng *r, struct card_cv_mat *m, double lo, double hi)
{
	struct card_cv_mat	field;
	double			cast[3];
	int			x, y, c;

	if (smooth_field(r, m->width, m->height, 3, 3, lo * 255, hi * 255,
	    &field) == -1)
		return (-1);
	for (c = 0; c < 3; c++)
		cast[c] = rng_range(r, 0.93, 1.0);
	for (y = 0; y < m->height; y++) {
		uint8_t	*p = m->data + y * m->stride;
		uint8_t	*f = field.data + y * field.stride;

		for (x = 0; x < m->width; x++)
			for (c = 0; c < 3; c++)
				p[3 * x + c] = clamp8(p[3 * x + c] * cast[c] *
				    f[x] / 255.0);
	}
	card_cv_mat_free(&field);
	return (0);
}

static void
add_noise(struct rng *r, struct card_cv_mat *m, double sigma)
{
	int8_t		table[4096];
	uint32_t	s;
	int		i, x, y;

	for (i = 0; i < 4096; i++) {
		double	v = rng_gauss(r) * sigma;

		table[i] = (int8_t)fmax(-127, fmin(127, lround(v)));
	}
	s = (uint32_t)rng_next(r) | 1;
	for (y = 0; y < m->height; y++) {
		uint8_t	*p = m->data + y * m->stride;

		for (x = 0; x < m->width * 3; x++) {
			int	v;

			s ^= s << 13;
			s ^= s >> 17;
			s ^= s << 5;
			v = p[x] + table[s & 4095];
			p[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

/* ---- encoding ---- */

/*
 * The stored pixels for EXIF orientation o: the upright image turned
 * the other way, so that a viewer applying o shows it upright.
 */
static int
orient_for_exif(const struct card_cv_mat *up, int o, struct card_cv_mat *out)
{
	int	x, y, w = up->width, h = up->height;

	if (o == 6 || o == 8) {
		if (card_cv_mat_alloc(out, h, w, 3) == -1)
			return (-1);
	} else if (card_cv_mat_alloc(out, w, h, 3) == -1)
		return (-1);
	for (y = 0; y < h; y++) {
		const uint8_t	*p = up->data + y * up->stride;

		for (x = 0; x < w; x++) {
			int	sx, sy;

			switch (o) {
			case 3:		/* viewer turns 180 */
				sx = w - 1 - x;
				sy = h - 1 - y;
				break;
			case 6:		/* viewer turns 90 clockwise */
				sx = y;
				sy = w - 1 - x;
				break;
			case 8:		/* viewer turns 90 anticlockwise */
				sx = h - 1 - y;
				sy = x;
				break;
			default:
				sx = x;
				sy = y;
				break;
			}
			memcpy(out->data + sy * out->stride + sx * 3, p + 3 * x,
			    3);
		}
	}
	return (0);
}

static int
encode(struct gen *g, const struct card_cv_mat *m, int q, uint8_t **out,
    unsigned long *len)
{
	*out = NULL;
	*len = 0;
	if (tjCompress2(g->tj_enc, m->data, m->width, m->stride, m->height,
	    TJPF_BGR, out, len, TJSAMP_420, q, 0) != 0)
		return (-1);
	return (0);
}

/* Insert an EXIF APP1 block holding only the orientation after SOI. */
static int
with_exif(const uint8_t *jpg, size_t len, int o, uint8_t **out,
    size_t *olen)
{
	static const uint8_t	hdr[] = {
		0xff, 0xe1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
		'I', 'I', 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00,
		0x01, 0x00,			/* one entry */
		0x12, 0x01, 0x03, 0x00,		/* orientation, SHORT */
		0x01, 0x00, 0x00, 0x00,		/* count 1 */
		0x00, 0x00, 0x00, 0x00,		/* value */
		0x00, 0x00, 0x00, 0x00,		/* no next IFD */
	};
	uint8_t	*b;

	if (len < 2 || jpg[0] != 0xff || jpg[1] != 0xd8)
		return (-1);
	if ((b = malloc(len + sizeof(hdr))) == NULL)
		return (-1);
	b[0] = 0xff;
	b[1] = 0xd8;
	memcpy(b + 2, hdr, sizeof(hdr));
	b[2 + 28] = (uint8_t)o;
	memcpy(b + 2 + sizeof(hdr), jpg + 2, len - 2);
	*out = b;
	*olen = len + sizeof(hdr);
	return (0);
}

static int
pick_face(struct gen *g, struct rng *r, int person, int avoid)
{
	int	cand[MAX_FACES], n = 0, i;

	for (i = 0; i < g->nfaces; i++)
		if (g->faces[i].person == person && i != avoid)
			cand[n++] = i;
	if (n == 0)
		return (avoid);
	return (cand[rng_int(r, n)]);
}

/*
 * The live photo of a selfie, covering the canvas's width and most of
 * its height, top-aligned.  *face_w receives the face width it implies
 * (the shared faces are centred portraits, the face about a third of
 * the photo's width).
 */
static int
draw_live(struct gen *g, struct rng *r, struct card_cv_mat *canvas, int fi,
    double *face_w)
{
	struct card_cv_mat	*src, fit;
	struct card_cv_point	 s[4], d[4];
	double			 h[9], sc, w, hgt, x0;

	if ((src = face_image(g, fi)) == NULL)
		return (-1);
	/*
	 * Fit the width, so that no face is cut off at the side; a photo
	 * too short for the canvas is continued downwards by its last row
	 * (a blurred torso rather than a second face).
	 */
	sc = (double)canvas->width / src->width * rng_range(r, 1.0, 1.08);
	w = src->width * sc;
	hgt = src->height * sc;
	x0 = (canvas->width - w) * rng_range(r, 0.3, 0.7);
	*face_w = 0.32 * w;
	s[0].x = 0;
	s[0].y = 0;
	s[1].x = src->width;
	s[1].y = 0;
	s[2].x = src->width;
	s[2].y = src->height;
	s[3].x = 0;
	s[3].y = src->height;
	d[0].x = x0;
	d[0].y = 0;
	d[1].x = x0 + w;
	d[1].y = 0;
	d[2].x = x0 + w;
	d[2].y = hgt;
	d[3].x = x0;
	d[3].y = hgt;
	if (card_cv_homography(s, d, h) == -1)
		return (-1);
	fit = *canvas;
	if (card_cv_warp(src, h, &fit, 0) == -1)
		return (-1);
	/* Smooth the continued rows into cloth rather than streaks. */
	if (hgt < canvas->height - 2) {
		int	y0 = (int)hgt;

		fit.data = canvas->data + (size_t)y0 * canvas->stride;
		fit.height = canvas->height - y0;
		if (blur_photo(&fit, canvas->width / 40.0, 0, 0) == -1)
			return (-1);
	}
	return (0);
}

static const int sizes[][2] = {
	{ 4000, 3000 }, { 4000, 3000 }, { 4000, 3000 }, { 3264, 2448 },
	{ 2560, 1920 }, { 1600, 1200 },
};

int
gen_make(struct gen *g, uint64_t seed, int index,
    const struct gen_options *o, struct gen_case *out, char *err,
    size_t errlen)
{
	struct gen_options	 def;
	struct rng		 r;
	struct gen_truth	*t = &out->truth;
	struct card_cv_mat	 canvas, card, card2, stored, redec;
	uint8_t			*jpg = NULL, *jpg2 = NULL;
	unsigned long		 jlen = 0, jlen2 = 0;
	double			 cw, angle, margin, card_w_px, sigma;
	int			 W, H, si, fi, rc = -1, deg, portrait_canvas;
	double			 pick, face_w;

	memset(out, 0, sizeof(*out));
	memset(&canvas, 0, sizeof(canvas));
	memset(&card, 0, sizeof(card));
	memset(&card2, 0, sizeof(card2));
	memset(&stored, 0, sizeof(stored));
	memset(&redec, 0, sizeof(redec));
	if (o == NULL) {
		gen_options_default(&def);
		o = &def;
	}
	r.s = seed * 0x2545f4914f6cdd1dULL + (uint64_t)index * 0x9e37ULL + 1;
	(void)rng_next(&r);

	t->kind = o->kind >= 0 ? o->kind : rng_unit(&r) < 0.35 ?
	    GEN_KIND_FRONT : rng_unit(&r) < 0.5 ? GEN_KIND_BACK :
	    GEN_KIND_HOLDING;
	t->side = t->kind == GEN_KIND_BACK ? GEN_KIND_BACK : GEN_KIND_FRONT;
	make_identity(g, &r, t);
	t->person = rng_int(&r, g->npersons);
	fi = pick_face(g, &r, t->person, -1);
	(void)snprintf(t->portrait_file, sizeof(t->portrait_file), "%s",
	    g->faces[fi].file);
	t->live_person = -1;

	deg = 0;
	if (t->kind != GEN_KIND_HOLDING) {
		if (o->degrade >= 0)
			deg = o->degrade;
		else if ((pick = rng_unit(&r)) >= 0.45) {
			/* One degradation per photo, so each is judged alone. */
			deg = pick < 0.57 ? GEN_DEG_BLUR : pick < 0.69 ?
			    GEN_DEG_GLARE : pick < 0.81 ? GEN_DEG_CUT_OFF :
			    pick < 0.92 ? GEN_DEG_TOO_SMALL : GEN_DEG_MULTIPLE;
		}
	} else if (o->degrade > 0)
		deg = o->degrade & (GEN_DEG_BLUR | GEN_DEG_GLARE);
	t->degradations = deg;

	si = rng_int(&r, sizeof(sizes) / sizeof(sizes[0]));
	W = sizes[si][0];
	H = sizes[si][1];
	if (o->long_side > 0) {
		H = (int)lround((double)o->long_side * 3 / 4);
		W = o->long_side;
	}
	portrait_canvas = t->kind == GEN_KIND_HOLDING || rng_unit(&r) < 0.15;
	if (portrait_canvas) {
		int	tmp = W;

		W = H;
		H = tmp;
	}
	if (card_cv_mat_alloc(&canvas, W, H, 3) == -1)
		goto nomem;
	if (render_card(g, t, t->side, fi, &card) == -1) {
		gen_err(err, errlen, "cannot render card (face %s)",
		    g->faces[fi].file);
		goto done;
	}
	margin = 0.04 * (W < H ? W : H);

	if (t->kind == GEN_KIND_HOLDING) {
		int	li;

		t->genuine = rng_unit(&r) < 0.6;
		t->live_person = t->person;
		if (!t->genuine)
			t->live_person = (t->person + 1 +
			    rng_int(&r, g->npersons - 1)) % g->npersons;
		li = pick_face(g, &r, t->live_person,
		    t->genuine ? fi : -1);
		(void)snprintf(t->live_file, sizeof(t->live_file), "%s",
		    g->faces[li].file);
		if (draw_background(&r, &canvas, 0) < 0 ||
		    draw_live(g, &r, &canvas, li, &face_w) == -1)
			goto nomem;
		/* Held nearer the camera than the face: about as wide. */
		cw = fmin(0.55 * W, fmax(0.32 * W,
		    face_w * rng_range(&r, 0.9, 1.3)));
		angle = rng_range(&r, -0.18, 0.18);
		card_quad(&r, W * rng_range(&r, 0.3, 0.7),
		    H * rng_range(&r, 0.7, 0.78), cw, angle, 0.04, t->quad);
		{
			double	minx, miny, maxx, maxy;

			/* Held in frame, near the bottom edge. */
			quad_bounds(t->quad, &minx, &miny, &maxx, &maxy);
			if (maxy > H - margin)
				quad_shift(t->quad, 0, H - margin - maxy);
			if (minx < margin)
				quad_shift(t->quad, margin - minx, 0);
			if (maxx > W - margin)
				quad_shift(t->quad, W - margin - maxx, 0);
		}
	} else {
		(void)draw_background(&r, &canvas, -1);
		angle = rng_range(&r, -0.25, 0.25);
		if (deg & GEN_DEG_TOO_SMALL)
			cw = W * rng_range(&r, 0.16, 0.27);
		else if (deg & GEN_DEG_MULTIPLE)
			cw = W * rng_range(&r, 0.40, 0.45);
		else if (portrait_canvas)
			cw = W * rng_range(&r, 0.62, 0.9);
		else
			cw = W * rng_range(&r, 0.5, 0.85);
		if (deg & GEN_DEG_MULTIPLE) {
			t->second_side = rng_int(&r, 2);
			angle *= 0.3;
			if (portrait_canvas) {
				place_inside(&r, W, H / 2, cw * 1.6, angle,
				    0.02, margin, rng_unit(&r), 0.5, t->quad);
				place_inside(&r, W, H / 2, cw * 1.6, -angle,
				    0.02, margin, rng_unit(&r), 0.5, t->quad2);
				quad_shift(t->quad2, 0, H / 2);
			} else {
				place_inside(&r, W / 2, H, cw, angle, 0.02,
				    margin, 0.5, rng_unit(&r), t->quad);
				place_inside(&r, W / 2, H, cw, -angle, 0.02,
				    margin, 0.5, rng_unit(&r), t->quad2);
				quad_shift(t->quad2, W / 2, 0);
			}
			if (render_card(g, t, t->second_side, fi,
			    &card2) == -1 ||
			    composite_card(&canvas, &card2, t->quad2,
			    0.01) == -1)
				goto nomem;
		} else
			place_inside(&r, W, H, cw, angle, 0.05, margin,
			    rng_unit(&r), rng_unit(&r), t->quad);
		if (deg & GEN_DEG_CUT_OFF) {
			double	minx, miny, maxx, maxy, d;

			/* Push one side out of the frame. */
			quad_bounds(t->quad, &minx, &miny, &maxx, &maxy);
			d = cw * rng_range(&r, 0.05, 0.18);
			switch (rng_int(&r, 4)) {
			case 0:
				quad_shift(t->quad, -minx - d, 0);
				break;
			case 1:
				quad_shift(t->quad, W - maxx + d, 0);
				break;
			case 2:
				quad_shift(t->quad, 0, -miny - d);
				break;
			default:
				quad_shift(t->quad, 0, H - maxy + d);
				break;
			}
		}
	}
	if (composite_card(&canvas, &card, t->quad, 0.008) == -1)
		goto nomem;
	if (light_photo(&r, &canvas, 0.72, 1.0) == -1)
		goto nomem;
	card_w_px = hypot(t->quad[2] - t->quad[0], t->quad[3] - t->quad[1]);
	/* Every phone photo is a little soft; a blurred one very much so. */
	sigma = 0.4 + rng_unit(&r) * 0.0006 * card_w_px;
	if (deg & GEN_DEG_BLUR) {
		int	motion = rng_unit(&r) < 0.4;

		sigma = card_w_px * (motion ? rng_range(&r, 0.012, 0.025) :
		    rng_range(&r, 0.005, 0.011));
		if (blur_photo(&canvas, sigma, motion,
		    rng_range(&r, 0, 180)) == -1)
			goto nomem;
	} else if (blur_photo(&canvas, sigma, 0, 0) == -1)
		goto nomem;
	t->blur_sigma = sigma / card_w_px;
	add_noise(&r, &canvas, rng_range(&r, 1.0, 4.0));
	if (deg & GEN_DEG_GLARE)
		add_glare(&r, &canvas, t->quad, t);

	t->width = W;
	t->height = H;
	t->orientation = 1;
	if (o->exif) {
		double	p = rng_unit(&r);

		t->orientation = p < 0.6 ? 1 : p < 0.8 ? 6 : p < 0.9 ? 8 : 3;
	}
	if (orient_for_exif(&canvas, t->orientation, &stored) == -1)
		goto nomem;
	t->jpeg_quality = 72 + rng_int(&r, 24);
	if (encode(g, &stored, t->jpeg_quality, &jpg, &jlen) == -1) {
		gen_err(err, errlen, "JPEG encode: %s", tjGetErrorStr2(g->tj_enc));
		goto done;
	}
	/* One photo in four went through a messenger: encoded again. */
	if (rng_unit(&r) < 0.25) {
		t->recompressed = 1;
		if (tjDecompress2(g->tj_dec, jpg, jlen, stored.data,
		    stored.width, stored.stride, stored.height, TJPF_BGR,
		    0) != 0) {
			gen_err(err, errlen, "JPEG decode failed");
			goto done;
		}
		if (encode(g, &stored, 70 + rng_int(&r, 16), &jpg2,
		    &jlen2) == -1) {
			gen_err(err, errlen, "JPEG re-encode failed");
			goto done;
		}
		tjFree(jpg);
		jpg = jpg2;
		jlen = jlen2;
		jpg2 = NULL;
	}
	if (t->orientation != 1) {
		if (with_exif(jpg, jlen, t->orientation, &out->jpeg,
		    &out->len) == -1)
			goto nomem;
	} else {
		if ((out->jpeg = malloc(jlen)) == NULL)
			goto nomem;
		memcpy(out->jpeg, jpg, jlen);
		out->len = jlen;
	}
	rc = 0;
	goto done;
nomem:
	gen_err(err, errlen, "out of memory or OpenCV failure");
done:
	if (jpg != NULL)
		tjFree(jpg);
	if (jpg2 != NULL)
		tjFree(jpg2);
	card_cv_mat_free(&canvas);
	card_cv_mat_free(&card);
	card_cv_mat_free(&card2);
	card_cv_mat_free(&stored);
	card_cv_mat_free(&redec);
	return (rc);
}

void
gen_case_free(struct gen_case *c)
{
	if (c == NULL)
		return;
	free(c->jpeg);
	c->jpeg = NULL;
	c->len = 0;
}

const char *
gen_degradation_name(int bit)
{
	switch (bit) {
	case GEN_DEG_BLUR:
		return ("blur");
	case GEN_DEG_GLARE:
		return ("glare");
	case GEN_DEG_CUT_OFF:
		return ("card_cut_off");
	case GEN_DEG_TOO_SMALL:
		return ("card_too_small");
	case GEN_DEG_MULTIPLE:
		return ("multiple_cards");
	}
	return ("unknown");
}

int
gen_truth_json(const struct gen_truth *t, char *buf, size_t len)
{
	static const char	*kinds[] = { "front", "back", "holding" };
	size_t			 n = 0;
	int			 i, w, first = 1;

#define PUT(...) do {							\
	w = snprintf(buf + n, len - n, __VA_ARGS__);			\
	if (w < 0 || (size_t)w >= len - n)				\
		return (-1);						\
	n += (size_t)w;							\
} while (0)
	if (len == 0)
		return (-1);
	PUT("{\"kind\":\"%s\",\"side\":\"%s\",\"width\":%d,\"height\":%d,"
	    "\"exif_orientation\":%d,\"jpeg_quality\":%d,\"recompressed\":%s,",
	    kinds[t->kind], kinds[t->side], t->width, t->height,
	    t->orientation, t->jpeg_quality, t->recompressed ? "true" : "false");
	PUT("\"quad\":[");
	for (i = 0; i < 4; i++)
		PUT("%s[%.1f,%.1f]", i ? "," : "", t->quad[2 * i],
		    t->quad[2 * i + 1]);
	PUT("],\"degradations\":[");
	for (i = 0; i < GEN_DEG_COUNT; i++)
		if (t->degradations & (1 << i)) {
			PUT("%s\"%s\"", first ? "" : ",",
			    gen_degradation_name(1 << i));
			first = 0;
		}
	PUT("],\"blur_sigma_card\":%.4f,\"glare_fraction\":%.4f,",
	    t->blur_sigma, t->glare_frac);
	if (t->degradations & GEN_DEG_MULTIPLE) {
		PUT("\"second_card\":{\"side\":\"%s\",\"quad\":[",
		    kinds[t->second_side]);
		for (i = 0; i < 4; i++)
			PUT("%s[%.1f,%.1f]", i ? "," : "", t->quad2[2 * i],
			    t->quad2[2 * i + 1]);
		PUT("]},");
	}
	PUT("\"identity\":{\"name\":\"%s\",\"sex\":\"%s\",\"ethnicity\":\"%s\","
	    "\"birth\":\"%s\",\"address\":\"%s\",\"number\":\"%s\","
	    "\"number_valid\":%s,\"issuer\":\"%s\",\"validity\":\"%s\"},",
	    t->name, t->sex, t->ethnicity, t->birth, t->address, t->number,
	    t->number_valid ? "true" : "false", t->issuer, t->validity);
	PUT("\"portrait\":{\"person\":%d,\"file\":\"%s\"}", t->person,
	    t->portrait_file);
	if (t->kind == GEN_KIND_HOLDING)
		PUT(",\"live\":{\"person\":%d,\"file\":\"%s\",\"genuine\":%s}",
		    t->live_person, t->live_file,
		    t->genuine ? "true" : "false");
	PUT("}");
#undef PUT
	return (0);
}
