/*
 * The reason catalogue: every reason a decision or a retake can give,
 * with a stable code (API, store, metrics), the customer's text in
 * zh-CN and en, the reviewer's internal text, and whether the customer
 * may try again.  Codes never change once shipped; append only.
 */
#ifndef RN_REASONS_H
#define RN_REASONS_H

enum rn_reason {
	RN_REASON_ID_NUMBER_INVALID,
	RN_REASON_CARD_EXPIRED,
	RN_REASON_OCR_NUMBER_MISMATCH,
	RN_REASON_OCR_UNREADABLE,
	RN_REASON_FACE_MISMATCH,
	RN_REASON_FACE_UNCERTAIN,
	RN_REASON_CARD_PORTRAIT_MISMATCH,
	RN_REASON_LIVENESS_LOW,
	RN_REASON_UPSTREAM_MISMATCH,
	RN_REASON_UPSTREAM_NOT_FOUND,
	RN_REASON_UPSTREAM_CARD_STATE,
	RN_REASON_UPSTREAM_FACE_MISMATCH,
	RN_REASON_UPSTREAM_NO_PHOTO,
	RN_REASON_UPSTREAM_INVALID_INPUT,
	RN_REASON_UPSTREAM_UNAVAILABLE,
	RN_REASON_ID_CAP_REACHED,
	RN_REASON_DUPLICATE_FACE,
	RN_REASON_REUSED_IMAGE,
	RN_REASON_UNDER_MIN_AGE,
	RN_REASON_SIGNAL_MISSING,
	RN_REASON_COUNT
};

struct rn_reason_info {
	const char	*code;
	const char	*text_zh;
	const char	*text_en;
	const char	*internal;
	int		 retry_allowed;
};

/* The entry for reason, or NULL if out of range. */
const struct rn_reason_info	*rn_reason_info(enum rn_reason);

/*
 * The entry as the customer of a re-registration (reregistration != 0)
 * reads it: some texts speak of the number being re-registered.  buf
 * holds the adapted copy when one is needed.  NULL if out of range.
 */
const struct rn_reason_info	*rn_reason_info_for(enum rn_reason,
				    int reregistration,
				    struct rn_reason_info *buf);

/* The reason with this code.  Returns 0, or -1 if none has it. */
int	rn_reason_from_code(const char *, enum rn_reason *);

/*
 * Retake reasons: why one uploaded photo was not accepted, keyed by the
 * imaging library's stable reason or error code, with what the customer
 * should do.  Unknown codes get a generic text (never NULL).
 */
struct rn_retake_text {
	const char	*code;
	const char	*text_zh;
	const char	*text_en;
};

const struct rn_retake_text	*rn_retake_text(const char *code);

struct jsonw;

/*
 * Writes one customer-facing reason object {code, text_zh, text_en
 * [, retry_allowed]}; retry < 0 leaves retry_allowed out.
 */
void	rn_reason_write(struct jsonw *, const char *code, const char *text_zh,
	    const char *text_en, int retry);

#endif
