/*
 * The oversight table, its outlier test and its CSV (see oversight.h).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oversight.h"

#define CSV_MAX		(64 * 1024 * 1024)

static int	row_cmp(const void *, const void *);
static void	row_add(struct rn_oversight_row *,
		    const struct rn_oversight_row *);
static void	codes_sort(struct rn_oversight_row *);
static int	buf_put(char **, size_t *, size_t *, const char *, size_t);
static int	csv_int(char **, size_t *, size_t *, int64_t);
static int	csv_rate(char **, size_t *, size_t *, double, const char *);

void
rn_oversight_count_code(struct rn_oversight_row *r, const char *code,
    int64_t count)
{
	size_t	i;

	if (code == NULL || *code == '\0' ||
	    strlen(code) >= RN_OVERSIGHT_CODE_MAX)
		return;
	for (i = 0; i < r->ncodes; i++) {
		if (!strcmp(r->code[i], code)) {
			r->code_count[i] += count;
			return;
		}
	}
	if (r->ncodes == RN_OVERSIGHT_CODES)
		return;
	memcpy(r->code[r->ncodes], code, strlen(code) + 1);
	r->code_count[r->ncodes] = count;
	r->ncodes++;
}

int
rn_oversight_build(const struct rn_oversight_row *dealers, size_t n,
    struct rn_oversight *out)
{
	struct rn_oversight_row	*sorted, *rows, *all, *ch;
	size_t			 i, nch, k;

	memset(out, 0, sizeof(*out));
	out->alpha = RN_OVERSIGHT_ALPHA;
	sorted = NULL;
	if (n > 0) {
		if ((sorted = calloc(n, sizeof(*sorted))) == NULL)
			return (-1);
		memcpy(sorted, dealers, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), row_cmp);
	}
	nch = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(sorted[i].channel, sorted[i - 1].channel))
			nch++;
	}
	if ((rows = calloc(1 + nch + n, sizeof(*rows))) == NULL) {
		free(sorted);
		return (-1);
	}
	all = &rows[0];
	all->level = RN_OVERSIGHT_ALL;
	k = 1;
	ch = NULL;
	for (i = 0; i < n; i++) {
		if (ch == NULL || strcmp(sorted[i].channel, ch->channel)) {
			ch = &rows[k++];
			ch->level = RN_OVERSIGHT_CHANNEL;
			memcpy(ch->channel, sorted[i].channel,
			    sizeof(ch->channel));
			ch->channel[sizeof(ch->channel) - 1] = '\0';
		}
		rows[k] = sorted[i];
		rows[k].level = RN_OVERSIGHT_DEALER;
		rows[k].channel[sizeof(rows[k].channel) - 1] = '\0';
		rows[k].dealer[sizeof(rows[k].dealer) - 1] = '\0';
		row_add(ch, &rows[k]);
		row_add(all, &rows[k]);
		k++;
	}
	for (i = 0; i < k; i++)
		codes_sort(&rows[i]);
	free(sorted);
	out->rows = rows;
	out->nrows = k;
	return (0);
}

void
rn_oversight_free(struct rn_oversight *ov)
{
	free(ov->rows);
	ov->rows = NULL;
	ov->nrows = 0;
}

void
rn_oversight_test(struct rn_oversight *ov, double alpha)
{
	struct rn_oversight_row	*all, *r;
	double			 p_rej, p_rev, th;
	size_t			 i;

	ov->alpha = alpha;
	ov->tested_channels = ov->tested_dealers = 0;
	if (ov->nrows == 0)
		return;
	all = &ov->rows[0];
	for (i = 1; i < ov->nrows; i++) {
		r = &ov->rows[i];
		r->tested = r->decided > 0;
		if (!r->tested)
			continue;
		if (r->level == RN_OVERSIGHT_CHANNEL)
			ov->tested_channels++;
		else
			ov->tested_dealers++;
	}
	ov->threshold_channel = ov->tested_channels > 0 ?
	    alpha / (double)ov->tested_channels : alpha;
	ov->threshold_dealer = ov->tested_dealers > 0 ?
	    alpha / (double)ov->tested_dealers : alpha;
	p_rej = all->decided > 0 ? (double)all->rejected /
	    (double)all->decided : 0;
	p_rev = all->decided > 0 ? (double)all->reviewed /
	    (double)all->decided : 0;
	for (i = 0; i < ov->nrows; i++) {
		r = &ov->rows[i];
		r->p_reject = r->p_review = 1;
		r->flag_reject = r->flag_review = 0;
		if (!r->tested)
			continue;
		th = r->level == RN_OVERSIGHT_CHANNEL ? ov->threshold_channel :
		    ov->threshold_dealer;
		r->p_reject = rn_binom_upper(r->rejected, r->decided, p_rej);
		r->p_review = rn_binom_upper(r->reviewed, r->decided, p_rev);
		r->flag_reject = r->p_reject < th;
		r->flag_review = r->p_review < th;
	}
}

/*
 * The sum runs away from the mode, where the terms only shrink: from k
 * up when k lies above the mean, else the lower tail from k - 1 down
 * (then 1 minus it).  The first term comes from lgamma in log space;
 * each next by the ratio of neighbours; the sum stops once a term no
 * longer changes it.  A first term that underflows means a tail below
 * 1e-300: 0 is then the right answer.
 */
double
rn_binom_upper(int64_t k, int64_t n, double p)
{
	double	t, sum, up, down;
	int64_t	i, j;
	int	upper;

	if (k <= 0)
		return (1);
	if (k > n)
		return (0);
	if (p <= 0)
		return (0);
	if (p >= 1)
		return (1);
	upper = (double)k > (double)n * p;
	j = upper ? k : k - 1;
	t = exp(lgamma((double)n + 1) - lgamma((double)j + 1) -
	    lgamma((double)(n - j) + 1) + (double)j * log(p) +
	    (double)(n - j) * log1p(-p));
	up = p / (1 - p);
	down = (1 - p) / p;
	sum = 0;
	if (upper) {
		for (i = j; i <= n && t > 0; i++) {
			sum += t;
			if (t < sum * 1e-17)
				break;
			t *= (double)(n - i) / (double)(i + 1) * up;
		}
	} else {
		for (i = j; i >= 0 && t > 0; i--) {
			sum += t;
			if (t < sum * 1e-17)
				break;
			t *= (double)i / (double)(n - i + 1) * down;
		}
		sum = 1 - sum;
	}
	if (sum < 0)
		sum = 0;
	if (sum > 1)
		sum = 1;
	return (sum);
}

double
rn_oversight_rate(int64_t num, int64_t den)
{
	if (den <= 0)
		return (-1);
	return ((double)num / (double)den);
}

int
rn_oversight_csv(const struct rn_oversight *ov, char **out, size_t *len)
{
	static const char *const head[] = { "level", "channel", "dealer",
	    "volume", "decided", "approved", "approval_rate", "rejected",
	    "rejection_rate", "reviewed", "review_rate", "top_rejection_reasons",
	    "qa_sampled", "qa_checked", "qa_overridden",
	    "qa_disagreement_rate", "duplicate_face", "p_rejection",
	    "flag_rejection", "p_review", "flag_review" };
	static const char *const level[] = { "all", "channel", "dealer" };
	const struct rn_oversight_row	*r;
	char				*buf;
	char				 reasons[RN_OVERSIGHT_TOP *
					     (RN_OVERSIGHT_CODE_MAX + 24)];
	size_t				 blen, cap, i, j, off;
	int				 ok;

	buf = NULL;
	blen = cap = 0;
	ok = 1;
	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
		if (i > 0)
			ok &= buf_put(&buf, &blen, &cap, ",", 1) == 0;
		ok &= rn_csv_cell(&buf, &blen, &cap, head[i]) == 0;
	}
	ok &= buf_put(&buf, &blen, &cap, "\r\n", 2) == 0;
	for (i = 0; ok && i < ov->nrows; i++) {
		r = &ov->rows[i];
		off = 0;
		reasons[0] = '\0';
		for (j = 0; j < r->ncodes && j < RN_OVERSIGHT_TOP; j++)
			off += (size_t)snprintf(reasons + off,
			    sizeof(reasons) - off, "%s%s:%lld", j ? "; " : "",
			    r->code[j], (long long)r->code_count[j]);
		ok &= rn_csv_cell(&buf, &blen, &cap, level[r->level]) == 0;
		ok &= buf_put(&buf, &blen, &cap, ",", 1) == 0;
		ok &= rn_csv_cell(&buf, &blen, &cap, r->channel) == 0;
		ok &= buf_put(&buf, &blen, &cap, ",", 1) == 0;
		ok &= rn_csv_cell(&buf, &blen, &cap, r->dealer) == 0;
		ok &= csv_int(&buf, &blen, &cap, r->volume) == 0;
		ok &= csv_int(&buf, &blen, &cap, r->decided) == 0;
		ok &= csv_int(&buf, &blen, &cap, r->approved) == 0;
		ok &= csv_rate(&buf, &blen, &cap, rn_oversight_rate(r->approved,
		    r->decided), "%.4f") == 0;
		ok &= csv_int(&buf, &blen, &cap, r->rejected) == 0;
		ok &= csv_rate(&buf, &blen, &cap, rn_oversight_rate(r->rejected,
		    r->decided), "%.4f") == 0;
		ok &= csv_int(&buf, &blen, &cap, r->reviewed) == 0;
		ok &= csv_rate(&buf, &blen, &cap, rn_oversight_rate(r->reviewed,
		    r->decided), "%.4f") == 0;
		ok &= buf_put(&buf, &blen, &cap, ",", 1) == 0;
		ok &= rn_csv_cell(&buf, &blen, &cap, reasons) == 0;
		ok &= csv_int(&buf, &blen, &cap, r->qa_sampled) == 0;
		ok &= csv_int(&buf, &blen, &cap, r->qa_checked) == 0;
		ok &= csv_int(&buf, &blen, &cap, r->qa_overridden) == 0;
		ok &= csv_rate(&buf, &blen, &cap, rn_oversight_rate(
		    r->qa_overridden, r->qa_checked), "%.4f") == 0;
		ok &= csv_int(&buf, &blen, &cap, r->dup_face) == 0;
		ok &= csv_rate(&buf, &blen, &cap, r->tested ? r->p_reject : -1,
		    "%.6g") == 0;
		ok &= csv_int(&buf, &blen, &cap, r->flag_reject) == 0;
		ok &= csv_rate(&buf, &blen, &cap, r->tested ? r->p_review : -1,
		    "%.6g") == 0;
		ok &= csv_int(&buf, &blen, &cap, r->flag_review) == 0;
		ok &= buf_put(&buf, &blen, &cap, "\r\n", 2) == 0;
	}
	if (!ok) {
		free(buf);
		return (-1);
	}
	*out = buf;
	*len = blen;
	return (0);
}

/*
 * One cell: quoted when it holds a comma, a quote, CR or LF (quotes
 * doubled); a leading = + - @ (also after spaces or a tab, which some
 * spreadsheets skip) gets a ' first, inside the quotes if any.
 */
int
rn_csv_cell(char **buf, size_t *len, size_t *cap, const char *cell)
{
	const char	*p;
	int		 quote, guard;

	quote = strpbrk(cell, ",\"\r\n") != NULL;
	p = cell;
	while (*p == ' ' || *p == '\t')
		p++;
	guard = *p == '=' || *p == '+' || *p == '-' || *p == '@' ||
	    *cell == '\t' || *cell == '\r';
	if (quote && buf_put(buf, len, cap, "\"", 1) == -1)
		return (-1);
	if (guard && buf_put(buf, len, cap, "'", 1) == -1)
		return (-1);
	for (p = cell; *p != '\0'; p++) {
		if (*p == '"' && buf_put(buf, len, cap, "\"", 1) == -1)
			return (-1);
		if (buf_put(buf, len, cap, p, 1) == -1)
			return (-1);
	}
	if (quote && buf_put(buf, len, cap, "\"", 1) == -1)
		return (-1);
	return (0);
}

/* Channel, then dealer, by byte order. */
static int
row_cmp(const void *a, const void *b)
{
	const struct rn_oversight_row	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->channel, y->channel)) != 0)
		return (c);
	return (strcmp(x->dealer, y->dealer));
}

static void
row_add(struct rn_oversight_row *to, const struct rn_oversight_row *r)
{
	size_t	i;

	to->volume += r->volume;
	to->decided += r->decided;
	to->approved += r->approved;
	to->rejected += r->rejected;
	to->reviewed += r->reviewed;
	to->dup_face += r->dup_face;
	to->qa_sampled += r->qa_sampled;
	to->qa_checked += r->qa_checked;
	to->qa_overridden += r->qa_overridden;
	for (i = 0; i < r->ncodes; i++)
		rn_oversight_count_code(to, r->code[i], r->code_count[i]);
}

/* Most frequent first, then by code: a stable order for equal counts. */
static void
codes_sort(struct rn_oversight_row *r)
{
	char	tmp[RN_OVERSIGHT_CODE_MAX];
	int64_t	t;
	size_t	i, j;

	for (i = 1; i < r->ncodes; i++) {
		for (j = i; j > 0 && (r->code_count[j] > r->code_count[j - 1] ||
		    (r->code_count[j] == r->code_count[j - 1] &&
		    strcmp(r->code[j], r->code[j - 1]) < 0)); j--) {
			t = r->code_count[j];
			r->code_count[j] = r->code_count[j - 1];
			r->code_count[j - 1] = t;
			memcpy(tmp, r->code[j], sizeof(tmp));
			memcpy(r->code[j], r->code[j - 1], sizeof(tmp));
			memcpy(r->code[j - 1], tmp, sizeof(tmp));
		}
	}
}

static int
buf_put(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	char	*nb;
	size_t	 ncap;

	if (*len + n + 1 > *cap) {
		ncap = *cap == 0 ? 4096 : *cap;
		while (ncap < *len + n + 1)
			ncap *= 2;
		if (ncap > CSV_MAX)
			return (-1);
		if ((nb = realloc(*buf, ncap)) == NULL)
			return (-1);
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return (0);
}

/* ",<n>" */
static int
csv_int(char **buf, size_t *len, size_t *cap, int64_t v)
{
	char	s[32];
	int	n;

	n = snprintf(s, sizeof(s), ",%lld", (long long)v);
	return (buf_put(buf, len, cap, s, (size_t)n));
}

/* ",<rate>" or "," when there is none (v < 0). */
static int
csv_rate(char **buf, size_t *len, size_t *cap, double v, const char *fmt)
{
	char	s[48];
	int	n;

	s[0] = ',';
	n = 1;
	if (v >= 0)
		n += snprintf(s + 1, sizeof(s) - 1, fmt, v);
	return (buf_put(buf, len, cap, s, (size_t)n));
}
