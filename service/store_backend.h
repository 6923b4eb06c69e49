/*
 * Inside the store: what a backend provides.  store.c holds every query
 * once, written in the SQL both engines accept, with parameters named
 * $1..$n (SQLite binds them by name, PostgreSQL by position), so the two
 * backends run the same statements and differ only in connection,
 * transaction and locking details.  Nothing here is for callers.
 */
#ifndef RN_STORE_BACKEND_H
#define RN_STORE_BACKEND_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_PARAMS_MAX	16

enum sval_type {
	SVAL_NULL,
	SVAL_TEXT,
	SVAL_INT,
	SVAL_BLOB,
};

/* One query parameter. */
struct sval {
	enum sval_type	 type;
	const char	*text;
	int64_t		 i;
	const void	*blob;
	size_t		 len;
};

/* One result cell: always NUL-terminated, also blobs. */
struct scell {
	char	*p;
	size_t	 len;
	int	 null;
};

/* A whole result, copied out of the engine. */
struct sres {
	size_t		 nrows;
	size_t		 ncols;
	struct scell	*cells;
};

struct store_backend {
	const char	*name;		/* the deploy/sql/ subdirectory */
	/* Appended to the queue's SELECT: row locks that skip others'. */
	const char	*claim_lock;
	const char	*ping_sql;
	int	(*open)(struct store *, const char *target);
	void	(*close)(struct store *);
	/* A write transaction: SQLite takes the write lock at once. */
	int	(*begin)(struct store *);
	int	(*commit)(struct store *);
	/* Never overwrites the error that made the caller roll back. */
	void	(*rollback)(struct store *);
	/*
	 * One statement.  res (may be NULL) receives the rows; changes (may
	 * be NULL) the rows written.
	 */
	int	(*exec)(struct store *, const char *sql, const struct sval *,
		    size_t nparams, struct sres *res, int64_t *changes);
	/* Several statements without parameters (migrations). */
	int	(*script)(struct store *, const char *sql);
	/*
	 * Serialises transactions that take the same lock until they end
	 * (the audit chain's tail, migrations).  SQLite's write lock
	 * already does.
	 */
	int	(*lock)(struct store *, int64_t key);
};

struct store {
	const struct store_backend	*be;
	void				*conn;
	int				 in_tx;
	enum store_code			 code;
	char				 err[STORE_ERR_MAX];
};

extern const struct store_backend	store_backend_sqlite;
extern const struct store_backend	store_backend_pg;

/* Sets the handle's error; returns -1 for `return (store_fail(...))`. */
int	store_fail(struct store *, enum store_code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Appends an audit row inside the caller's open transaction. */
int	store_audit_append_tx(struct store *, const char *case_id,
	    const char *actor, const char *event, const char *detail,
	    int64_t now);

/*
 * Inside the caller's open transaction: records the number an APPROVED
 * case names in subscriber_numbers (source 'case'); nothing when it
 * names none.  Every approval path calls it (store.c, store_review.c).
 */
int	store_subscriber_record_tx(struct store *, const char *case_id,
	    int64_t now);

/*
 * The helpers every store file shares (store.c, store_review.c and the
 * rest): parameters, one statement, transactions, cells, checks.
 */
struct sval	store_sv_text(const char *);	/* NULL binds NULL */
struct sval	store_sv_int(int64_t);
struct sval	store_sv_blob(const void *, size_t);
/* One statement; res (may be NULL) gets the rows, changes the count. */
int	store_q(struct store *, const char *sql, const struct sval *,
	    size_t nparams, struct sres *res, int64_t *changes);
int	store_tx_begin(struct store *);
int	store_tx_commit(struct store *);
/* Rolls back, keeping the error that caused it; returns -1. */
int	store_tx_abort(struct store *);
/* An integer cell; NULL reads as 0. */
int64_t	store_cell_int(const struct sres *, size_t row, size_t col);
/* A text cell copied whole into dst, or STORE_INTERNAL naming what. */
int	store_cell_copy(struct store *, const struct sres *, size_t row,
	    size_t col, char *dst, size_t dstlen, const char *what);
/* A text cell in new memory (NULL cell: NULL, no error). */
char	*store_cell_dup(struct store *, const struct sres *, size_t row,
	    size_t col);
/* 32 lowercase hex characters, else STORE_NOT_FOUND. */
int	store_check_id(struct store *, const char *);
/* Not NULL, shorter than max, else STORE_INVALID naming what. */
int	store_check_text(struct store *, const char *, size_t max,
	    const char *what);
/* A new random id of STORE_ID_LEN hex characters. */
int	store_new_id(struct store *, char *);

void	store_res_free(struct sres *);
const struct scell	*store_res_cell(const struct sres *, size_t row,
			    size_t col);

#endif
