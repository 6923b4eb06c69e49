/*
 * The operator's oversight figures per channel and dealer (issue 9):
 * the table the supervisors' "Channels" page and its CSV show, the
 * outlier test that flags a channel or dealer, and the CSV writer.
 * Plain C, no Kore, no store: the store fills dealer rows
 * (store_oversight_dealers), rn_oversight_build() adds the channel and
 * overall rows, rn_oversight_test() flags, and the page and the CSV both
 * print that one table, so they cannot disagree.
 *
 * Rates: approval and rejection over the decided cases (APPROVED,
 * REJECTED or REVIEW now), review rate the cases that went to a human
 * review (in REVIEW now, or decided in the console) over the decided,
 * QA disagreement the overridden samples over the samples a supervisor
 * has checked.  Every rate travels with its denominator.
 *
 * The outlier test: for each channel and each dealer with decided cases,
 * a one-sided exact binomial test of its rejections (and, separately, of
 * its reviews) against the overall rate p0: the p-value is
 * P(X >= k) for X ~ Binomial(n, p0).  It is flagged when the p-value is
 * below alpha / m, m being the number of rows tested at that level
 * (Bonferroni correction; channels and dealers are separate families).
 */
#ifndef RN_OVERSIGHT_H
#define RN_OVERSIGHT_H

#include <stddef.h>
#include <stdint.h>

#define RN_OVERSIGHT_NAME_MAX	64	/* channel or dealer, with the NUL */
#define RN_OVERSIGHT_CODE_MAX	64	/* a reason code */
#define RN_OVERSIGHT_CODES	32	/* distinct reason codes kept */
#define RN_OVERSIGHT_TOP	3	/* reasons shown per row */
#define RN_OVERSIGHT_ALPHA	0.01

enum rn_oversight_level {
	RN_OVERSIGHT_ALL = 0,	/* every case */
	RN_OVERSIGHT_CHANNEL,
	RN_OVERSIGHT_DEALER,
};

struct rn_oversight_row {
	enum rn_oversight_level	level;
	char	channel[RN_OVERSIGHT_NAME_MAX];	/* "" for ALL */
	char	dealer[RN_OVERSIGHT_NAME_MAX];	/* "" unless DEALER */
	int64_t	volume;		/* cases opened in the period */
	int64_t	decided;	/* APPROVED, REJECTED or REVIEW now */
	int64_t	approved;
	int64_t	rejected;
	int64_t	reviewed;	/* went to a human review */
	int64_t	dup_face;	/* reasons naming duplicate_face */
	int64_t	qa_sampled;
	int64_t	qa_checked;	/* sampled and given a verdict */
	int64_t	qa_overridden;
	/* Rejection reasons, most frequent first after rn_oversight_build. */
	size_t	ncodes;
	char	code[RN_OVERSIGHT_CODES][RN_OVERSIGHT_CODE_MAX];
	int64_t	code_count[RN_OVERSIGHT_CODES];
	/* Set by rn_oversight_test. */
	int	tested;		/* decided > 0 and not ALL */
	double	p_reject;	/* one-sided p-value, 1 when not tested */
	double	p_review;
	int	flag_reject;
	int	flag_review;
};

struct rn_oversight {
	struct rn_oversight_row	*rows;	/* ALL, then each channel, its dealers */
	size_t			 nrows;
	double			 alpha;
	size_t			 tested_channels;	/* Bonferroni m */
	size_t			 tested_dealers;
	double			 threshold_channel;	/* alpha / m */
	double			 threshold_dealer;
};

/* Counts one rejection reason code into a row (ignored when full). */
void	rn_oversight_count_code(struct rn_oversight_row *, const char *code,
	    int64_t count);

/*
 * Builds the table from dealer rows (any order): the overall row, then
 * each channel by name with its dealers by code.  Codes are sorted most
 * frequent first.  0, or -1 when out of memory.  Free with
 * rn_oversight_free.
 */
int	rn_oversight_build(const struct rn_oversight_row *dealers, size_t n,
	    struct rn_oversight *out);
void	rn_oversight_free(struct rn_oversight *);

/* Runs the outlier tests (see above) at significance alpha. */
void	rn_oversight_test(struct rn_oversight *, double alpha);

/*
 * P(X >= k) for X ~ Binomial(n, p), exact (summed in log space), in
 * [0, 1].  k <= 0 gives 1; k > n gives 0.
 */
double	rn_binom_upper(int64_t k, int64_t n, double p);

/* num / den, or -1 when den is 0 (written as an empty cell or null). */
double	rn_oversight_rate(int64_t num, int64_t den);

/*
 * The table as CSV (RFC 4180: CRLF, quoted when needed, quotes doubled;
 * a cell starting with = + - @ gets a leading ' so a spreadsheet does
 * not run it as a formula).  *out is NUL-terminated, malloc'd.  0 or -1.
 */
int	rn_oversight_csv(const struct rn_oversight *, char **out,
	    size_t *len);

/* The CSV's one cell writer, exposed for its test. */
int	rn_csv_cell(char **buf, size_t *len, size_t *cap, const char *cell);

#endif
