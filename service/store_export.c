/*
 * The regulator export's queries (see store_export.h).  Written in the
 * SQL both engines accept, through the helpers of store_backend.h.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_backend.h"
#include "store_export.h"

#define QA_COLUMNS_MAX	32
#define QA_COLUMN_LEN	64

static int	qa_columns(struct store *, char (*)[QA_COLUMN_LEN], size_t *);
static void	cell_string(struct jsonw *, const struct sres *, size_t,
		    size_t);

int
store_export_find(struct store *h, enum store_export_by by,
    const char *value, int64_t from, int64_t to, size_t max,
    char (*ids)[STORE_ID_LEN + 1], size_t *n)
{
	struct sres	 res;
	struct sval	 p[3];
	const char	*sql;
	size_t		 i, np;
	int		 ret;

	*n = 0;
	memset(&res, 0, sizeof(res));
	switch (by) {
	case STORE_EXPORT_BY_MSISDN:
		sql = "SELECT id FROM cases WHERE msisdn = $1 "
		    "ORDER BY created_at, id LIMIT $2";
		p[0] = store_sv_text(value);
		np = 2;
		break;
	case STORE_EXPORT_BY_ID_HASH:
		sql = "SELECT id FROM cases WHERE id_number_hash = $1 "
		    "ORDER BY created_at, id LIMIT $2";
		p[0] = store_sv_text(value);
		np = 2;
		break;
	case STORE_EXPORT_BY_CREATED:
		sql = "SELECT id FROM cases WHERE created_at >= $1 AND "
		    "created_at < $3 ORDER BY created_at, id LIMIT $2";
		p[0] = store_sv_int(from);
		p[2] = store_sv_int(to);
		np = 3;
		break;
	default:
		return (store_fail(h, STORE_INVALID, "export: bad query"));
	}
	if (by != STORE_EXPORT_BY_CREATED && (value == NULL || *value == '\0'))
		return (store_fail(h, STORE_INVALID, "export: empty query"));
	p[1] = store_sv_int((int64_t)max);
	if (store_q(h, sql, p, np, &res, NULL) == -1)
		return (-1);
	ret = 0;
	for (i = 0; i < res.nrows && i < max; i++) {
		if (store_cell_copy(h, &res, i, 0, ids[i], sizeof(ids[i]),
		    "case id") == -1) {
			ret = -1;
			break;
		}
	}
	if (ret == 0)
		*n = i;
	store_res_free(&res);
	return (ret);
}

int
store_export_case_extra(struct store *h, const char *case_id,
    char kind[STORE_EXPORT_KIND_MAX], char msisdn[STORE_EXPORT_MSISDN_MAX],
    char dealer[STORE_EXPORT_DEALER_MAX])
{
	struct sres	res;
	struct sval	p[1];
	int		ret;

	memset(&res, 0, sizeof(res));
	p[0] = store_sv_text(case_id);
	if (store_q(h, "SELECT kind, msisdn, dealer FROM cases WHERE id = $1",
	    p, 1, &res, NULL) == -1)
		return (-1);
	if (res.nrows != 1) {
		store_res_free(&res);
		return (store_fail(h, STORE_NOT_FOUND, "export: no such "
		    "case"));
	}
	ret = 0;
	if (store_cell_copy(h, &res, 0, 0, kind, STORE_EXPORT_KIND_MAX,
	    "kind") == -1 || store_cell_copy(h, &res, 0, 1, msisdn,
	    STORE_EXPORT_MSISDN_MAX, "msisdn") == -1 ||
	    store_cell_copy(h, &res, 0, 2, dealer, STORE_EXPORT_DEALER_MAX,
	    "dealer") == -1)
		ret = -1;
	store_res_free(&res);
	return (ret);
}

int
store_export_reviews_json(struct store *h, const char *case_id,
    struct jsonw *w)
{
	static const char	*names[] = { "id", "reviewer", "outcome",
				    "reason", "comment" };
	struct sres		 res;
	struct sval		 p[1];
	size_t			 i, k;

	memset(&res, 0, sizeof(res));
	p[0] = store_sv_text(case_id);
	if (store_q(h, "SELECT id, reviewer, outcome, reason, comment, "
	    "review_since, decided_at FROM review_decisions WHERE "
	    "case_id = $1 ORDER BY decided_at, id", p, 1, &res, NULL) == -1)
		return (-1);
	jsonw_array_open(w);
	for (i = 0; i < res.nrows; i++) {
		jsonw_object_open(w);
		for (k = 0; k < 5; k++) {
			jsonw_key(w, names[k]);
			cell_string(w, &res, i, k);
		}
		jsonw_key(w, "review_since");
		jsonw_int(w, store_cell_int(&res, i, 5));
		jsonw_key(w, "decided_at");
		jsonw_int(w, store_cell_int(&res, i, 6));
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	store_res_free(&res);
	return (0);
}

/*
 * QA verdicts live in another part's table (qa_samples, migration 0007);
 * every column is exported as text, so this code does not depend on its
 * layout and an older schema without the table exports null.
 */
int
store_export_qa_json(struct store *h, const char *case_id, struct jsonw *w)
{
	char		 cols[QA_COLUMNS_MAX][QA_COLUMN_LEN];
	char		 sql[QA_COLUMNS_MAX * (QA_COLUMN_LEN + 24) + 128];
	struct sres	 res;
	struct sval	 p[1];
	size_t		 ncols, i, k, off;
	int		 n;

	if (qa_columns(h, cols, &ncols) == -1)
		return (-1);
	if (ncols == 0) {
		jsonw_null(w);
		return (0);
	}
	off = 0;
	n = snprintf(sql, sizeof(sql), "SELECT ");
	off += (size_t)n;
	for (i = 0; i < ncols; i++) {
		n = snprintf(sql + off, sizeof(sql) - off, "%sCAST(%s AS TEXT)",
		    i > 0 ? ", " : "", cols[i]);
		if (n < 0 || (size_t)n >= sizeof(sql) - off)
			return (store_fail(h, STORE_INTERNAL, "export: "
			    "qa_samples has too many columns"));
		off += (size_t)n;
	}
	n = snprintf(sql + off, sizeof(sql) - off, " FROM qa_samples WHERE "
	    "case_id = $1");
	if (n < 0 || (size_t)n >= sizeof(sql) - off)
		return (store_fail(h, STORE_INTERNAL, "export: qa query too "
		    "long"));
	memset(&res, 0, sizeof(res));
	p[0] = store_sv_text(case_id);
	if (store_q(h, sql, p, 1, &res, NULL) == -1)
		return (-1);
	jsonw_array_open(w);
	for (i = 0; i < res.nrows; i++) {
		jsonw_object_open(w);
		for (k = 0; k < ncols && k < res.ncols; k++) {
			jsonw_key(w, cols[k]);
			cell_string(w, &res, i, k);
		}
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	store_res_free(&res);
	return (0);
}

int
store_export_audit_json(struct store *h, const char *case_id,
    struct jsonw *w)
{
	struct sres	res;
	struct sval	p[1];
	size_t		i;

	memset(&res, 0, sizeof(res));
	p[0] = store_sv_text(case_id);
	if (store_q(h, "SELECT seq, created_at, actor, event, detail, "
	    "prev_hash, hash FROM audit WHERE case_id = $1 ORDER BY seq",
	    p, 1, &res, NULL) == -1)
		return (-1);
	jsonw_array_open(w);
	for (i = 0; i < res.nrows; i++) {
		jsonw_object_open(w);
		jsonw_key(w, "seq");
		jsonw_int(w, store_cell_int(&res, i, 0));
		jsonw_key(w, "created_at");
		jsonw_int(w, store_cell_int(&res, i, 1));
		jsonw_key(w, "actor");
		cell_string(w, &res, i, 2);
		jsonw_key(w, "event");
		cell_string(w, &res, i, 3);
		/*
		 * The detail as stored, as a string: the chain's hash covers
		 * these exact bytes, so a checker recomputes it from them.
		 */
		jsonw_key(w, "detail");
		cell_string(w, &res, i, 4);
		jsonw_key(w, "prev_hash");
		cell_string(w, &res, i, 5);
		jsonw_key(w, "hash");
		cell_string(w, &res, i, 6);
		jsonw_object_close(w);
	}
	jsonw_array_close(w);
	store_res_free(&res);
	return (0);
}

int
store_export_audit(struct store *h, const char *actor, const char *detail,
    char (*ids)[STORE_ID_LEN + 1], size_t n, const char *case_detail,
    int64_t now)
{
	size_t	i;

	if (store_tx_begin(h) == -1)
		return (-1);
	if (store_audit_append_tx(h, NULL, actor, "export.created", detail,
	    now) == -1)
		return (store_tx_abort(h));
	for (i = 0; i < n; i++) {
		if (store_audit_append_tx(h, ids[i], actor, "export.case",
		    case_detail, now) == -1)
			return (store_tx_abort(h));
	}
	return (store_tx_commit(h));
}

/* The columns of qa_samples, none when the table does not exist. */
static int
qa_columns(struct store *h, char (*cols)[QA_COLUMN_LEN], size_t *n)
{
	const struct scell	*c;
	struct sres		 res;
	const char		*sql;
	size_t			 i, j, col;

	*n = 0;
	memset(&res, 0, sizeof(res));
	if (!strcmp(store_backend(h), "sqlite")) {
		sql = "SELECT name FROM pragma_table_info('qa_samples') "
		    "ORDER BY cid";
	} else {
		sql = "SELECT column_name FROM information_schema.columns "
		    "WHERE table_name = 'qa_samples' AND table_schema = "
		    "current_schema() ORDER BY ordinal_position";
	}
	if (store_q(h, sql, NULL, 0, &res, NULL) == -1)
		return (-1);
	for (i = 0, col = 0; i < res.nrows && col < QA_COLUMNS_MAX; i++) {
		c = store_res_cell(&res, i, 0);
		/* Only plain identifiers go into the statement. */
		if (c->null || c->len == 0 || c->len >= QA_COLUMN_LEN)
			continue;
		for (j = 0; j < c->len; j++) {
			if (!islower((unsigned char)c->p[j]) &&
			    !isdigit((unsigned char)c->p[j]) && c->p[j] != '_')
				break;
		}
		if (j != c->len)
			continue;
		memcpy(cols[col], c->p, c->len + 1);
		col++;
	}
	*n = col;
	store_res_free(&res);
	return (0);
}

static void
cell_string(struct jsonw *w, const struct sres *res, size_t row, size_t col)
{
	const struct scell	*c;

	c = store_res_cell(res, row, col);
	if (c->null)
		jsonw_null(w);
	else
		jsonw_string_len(w, c->p, c->len);
}
