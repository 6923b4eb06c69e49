/*
 * The store's side of the regulator export (service/export.c): finding
 * cases, reading what the rest of the store API does not return (kind,
 * phone number, dealer, review decisions, QA verdicts, audit rows with
 * their hashes), and auditing the export.  Same conventions as store.h:
 * 0 or -1 with store_errcode()/store_error() set.
 */
#ifndef RN_STORE_EXPORT_H
#define RN_STORE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"
#include "store.h"

#define STORE_EXPORT_KIND_MAX	32
#define STORE_EXPORT_MSISDN_MAX	32
#define STORE_EXPORT_DEALER_MAX	128

enum store_export_by {
	STORE_EXPORT_BY_MSISDN = 0,	/* cases.msisdn = value */
	STORE_EXPORT_BY_ID_HASH,	/* cases.id_number_hash = value */
	STORE_EXPORT_BY_CREATED,	/* from <= created_at < to */
};

/*
 * Up to max case ids matching, oldest first (created_at, then id), into
 * ids (max entries); n receives how many.  Callers ask for one more than
 * they accept to learn that there are too many.
 */
int	store_export_find(struct store *, enum store_export_by,
	    const char *value, int64_t from, int64_t to, size_t max,
	    char (*ids)[STORE_ID_LEN + 1], size_t *n);

/* The case's kind, phone number ("" when none) and dealer. */
int	store_export_case_extra(struct store *, const char *case_id,
	    char kind[STORE_EXPORT_KIND_MAX],
	    char msisdn[STORE_EXPORT_MSISDN_MAX],
	    char dealer[STORE_EXPORT_DEALER_MAX]);

/* The case's console decisions, oldest first, as a JSON array. */
int	store_export_reviews_json(struct store *, const char *case_id,
	    struct jsonw *);
/*
 * The case's rows of qa_samples (every column, as text), as a JSON
 * array; null when the schema has no such table.
 */
int	store_export_qa_json(struct store *, const char *case_id,
	    struct jsonw *);
/* The case's audit rows, in chain order, with prev_hash and hash. */
int	store_export_audit_json(struct store *, const char *case_id,
	    struct jsonw *);

/*
 * Audits one export in one transaction: "export.created" (no case) with
 * detail, then "export.case" for each case with case_detail.
 */
int	store_export_audit(struct store *, const char *actor,
	    const char *detail, char (*ids)[STORE_ID_LEN + 1], size_t n,
	    const char *case_detail, int64_t now);

#endif
