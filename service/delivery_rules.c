/*
 * Courier confirmation at delivery: decision, reasons, masking.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "delivery_rules.h"

#define NUMBER_MAX	64

static const struct rn_delivery_reason_info infos[RN_DLV_REASON_COUNT] = {
	[RN_DLV_NUMBER_MISMATCH] = { "delivery_number_mismatch",
	    "证件号码与订单实名信息不一致，请勿交付。",
	    "The ID number does not match the verified customer; do not "
	    "hand over the SIM.",
	    "the number read at the door differs from the approved case's" },
	[RN_DLV_FACE_MISMATCH] = { "delivery_face_mismatch",
	    "收件人与实名认证本人不一致，请勿交付。",
	    "The recipient does not look like the verified customer; do "
	    "not hand over the SIM.",
	    "recipient face vs approved live face below delivery_face_min" },
	[RN_DLV_LIVENESS_LOW] = { "delivery_liveness_low",
	    "请为收件人本人现场拍摄正脸照片后重试。",
	    "Take a new photo of the recipient's own face, live, at the "
	    "door, and try again.",
	    "recipient photo liveness below delivery_liveness_min" },
	[RN_DLV_CHIP_PORTRAIT_MISMATCH] = { "delivery_chip_portrait_mismatch",
	    "身份证芯片照片与收件人不一致，请勿交付。",
	    "The photo on the ID card's chip is not the recipient; do not "
	    "hand over the SIM.",
	    "recipient face vs chip portrait below delivery_chip_min" },
	[RN_DLV_CHIP_PORTRAIT_UNUSABLE] = { "delivery_chip_portrait_unusable",
	    "无法读取身份证芯片照片，请重新读卡后重试。",
	    "The chip portrait could not be used; read the card again and "
	    "retry.",
	    "no face with an embedding in the chip portrait sent" },
	[RN_DLV_NAME_MISMATCH] = { "delivery_name_mismatch",
	    "证件姓名与订单实名信息不一致，请勿交付。",
	    "The name on the ID card does not match the verified customer; "
	    "do not hand over the SIM.",
	    "name read from the chip differs from the declared name" },
	[RN_DLV_REFERENCE_MISSING] = { "delivery_reference_missing",
	    "暂时无法核验，已转人工审核，请勿交付。",
	    "This delivery cannot be checked now and goes to a reviewer; "
	    "do not hand over the SIM.",
	    "no live face is stored for the approved case" },
	[RN_DLV_SIGNAL_MISSING] = { "delivery_signal_missing",
	    "暂时无法核验，已转人工审核，请勿交付。",
	    "This delivery cannot be checked now and goes to a reviewer; "
	    "do not hand over the SIM.",
	    "a figure needed to confirm was not measured" },
	[RN_DLV_ATTEMPTS_EXHAUSTED] = { "delivery_attempts_exhausted",
	    "核验次数已用完，已转人工审核，请勿交付。",
	    "No attempts are left; the delivery goes to a reviewer. Do not "
	    "hand over the SIM.",
	    "delivery_attempts_max attempts failed before this one" },
};

static void	add(struct rn_delivery_decision *, enum rn_delivery_reason);
static int	passes(const struct rn_figure *, double);
static int	fails(const struct rn_figure *, double);
static void	normalise(const char *, char *, size_t);

void
rn_delivery_decide(const struct rn_delivery_limits *lim,
    const struct rn_delivery_signals *s, struct rn_delivery_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->outcome = RN_DELIVERY_REVIEW;
	d->rule = "signal_missing";

	/* Past the limit nothing is measured: a person decides. */
	if (s->attempts_before >= lim->attempts_max) {
		add(d, RN_DLV_ATTEMPTS_EXHAUSTED);
		d->rule = "attempts_exhausted";
		return;
	}

	/* Anything measured that contradicts the approved case. */
	if (!s->number_matches)
		add(d, RN_DLV_NUMBER_MISMATCH);
	if (fails(&s->face_score, lim->face_min))
		add(d, RN_DLV_FACE_MISMATCH);
	if (fails(&s->liveness, lim->liveness_min))
		add(d, RN_DLV_LIVENESS_LOW);
	if (s->chip_sent && !s->chip_face_found)
		add(d, RN_DLV_CHIP_PORTRAIT_UNUSABLE);
	if (s->chip_sent && fails(&s->chip_score, lim->chip_min))
		add(d, RN_DLV_CHIP_PORTRAIT_MISMATCH);
	if (s->name_sent && !s->name_matches)
		add(d, RN_DLV_NAME_MISMATCH);
	if (d->nreasons > 0) {
		d->outcome = RN_DELIVERY_MISMATCH;
		d->rule = "mismatch";
		return;
	}

	/* Nothing contradicts; what could not be measured cannot confirm. */
	if (!s->reference_found)
		add(d, RN_DLV_REFERENCE_MISSING);
	if (!passes(&s->face_score, lim->face_min) ||
	    !passes(&s->liveness, lim->liveness_min) ||
	    (s->chip_sent && !passes(&s->chip_score, lim->chip_min)))
		add(d, RN_DLV_SIGNAL_MISSING);
	if (d->nreasons > 0)
		return;

	/* The one place that confirms. */
	if (s->attempts_before < lim->attempts_max && s->number_matches &&
	    s->reference_found &&
	    passes(&s->face_score, lim->face_min) &&
	    passes(&s->liveness, lim->liveness_min) &&
	    (!s->chip_sent || (s->chip_face_found &&
	    passes(&s->chip_score, lim->chip_min))) &&
	    (!s->name_sent || s->name_matches)) {
		d->outcome = RN_DELIVERY_CONFIRMED;
		d->rule = "all_checks_passed";
		return;
	}
	add(d, RN_DLV_SIGNAL_MISSING);
}

const struct rn_delivery_reason_info *
rn_delivery_reason_info(enum rn_delivery_reason r)
{
	if ((unsigned)r >= RN_DLV_REASON_COUNT)
		return (NULL);
	return (&infos[r]);
}

const char *
rn_delivery_outcome_name(enum rn_delivery_outcome o)
{
	switch (o) {
	case RN_DELIVERY_CONFIRMED:
		return ("CONFIRMED");
	case RN_DELIVERY_MISMATCH:
		return ("MISMATCH");
	default:
		return ("REVIEW");
	}
}

int
rn_delivery_mask_name(const char *name, char *out, size_t outlen)
{
	const unsigned char	*p;
	size_t			 n, o, chars, len;
	int			 i, keep;

	if (name == NULL || *name == '\0' || outlen == 0)
		return (-1);
	o = 0;
	chars = 0;
	for (p = (const unsigned char *)name; *p != '\0'; p += len) {
		if (*p < 0x80)
			len = 1;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			len = 2;
		else if ((*p & 0xf0) == 0xe0)
			len = 3;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			len = 4;
		else
			return (-1);
		for (i = 1; i < (int)len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return (-1);
		}
		/* The first character stays unless it is the only one. */
		keep = chars == 0 && p[len] != '\0';
		n = keep ? len : 1;
		if (o + n >= outlen)
			return (-1);
		if (keep)
			memcpy(out + o, p, n);
		else
			out[o] = '*';
		o += n;
		chars++;
	}
	out[o] = '\0';
	return (0);
}

int
rn_delivery_last4(const char *number, char out[5])
{
	size_t	n;

	if (number == NULL || (n = strlen(number)) < 4)
		return (-1);
	memcpy(out, number + n - 4, 5);
	return (0);
}

int
rn_delivery_number_equal(const char *read, const char *approved)
{
	char		a[NUMBER_MAX], b[NUMBER_MAX];
	unsigned char	diff;
	size_t		i, n;

	if (read == NULL || approved == NULL || strlen(read) >= NUMBER_MAX ||
	    strlen(approved) >= NUMBER_MAX)
		return (0);
	normalise(read, a, sizeof(a));
	normalise(approved, b, sizeof(b));
	n = strlen(a);
	if (n == 0 || n != strlen(b))
		return (0);
	diff = 0;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return (diff == 0);
}

int
rn_delivery_name_equal(const char *read, const char *approved)
{
	const char	*a, *b;
	size_t		 na, nb;

	if (read == NULL || approved == NULL)
		return (0);
	a = read;
	b = approved;
	while (*a == ' ' || *a == '\t')
		a++;
	while (*b == ' ' || *b == '\t')
		b++;
	na = strlen(a);
	nb = strlen(b);
	while (na > 0 && (a[na - 1] == ' ' || a[na - 1] == '\t' ||
	    a[na - 1] == '\r' || a[na - 1] == '\n'))
		na--;
	while (nb > 0 && (b[nb - 1] == ' ' || b[nb - 1] == '\t' ||
	    b[nb - 1] == '\r' || b[nb - 1] == '\n'))
		nb--;
	return (na > 0 && na == nb && memcmp(a, b, na) == 0);
}

static void
add(struct rn_delivery_decision *d, enum rn_delivery_reason r)
{
	size_t	i;

	for (i = 0; i < d->nreasons; i++) {
		if (d->reasons[i] == r)
			return;
	}
	if (d->nreasons < RN_DLV_REASON_COUNT)
		d->reasons[d->nreasons++] = r;
}

/* Measured, a number, and at or above min. */
static int
passes(const struct rn_figure *f, double min)
{
	return (f->measured && isfinite(f->value) && f->value >= min);
}

/* Measured, a number, and below min: a contradiction. */
static int
fails(const struct rn_figure *f, double min)
{
	return (f->measured && isfinite(f->value) && f->value < min);
}

/* Spaces and hyphens out, x to X: how readers and people write it. */
static void
normalise(const char *in, char *out, size_t outlen)
{
	size_t	o;

	for (o = 0; *in != '\0' && o + 1 < outlen; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n' ||
		    *in == '-')
			continue;
		out[o++] = *in == 'x' ? 'X' : *in;
	}
	out[o] = '\0';
}
