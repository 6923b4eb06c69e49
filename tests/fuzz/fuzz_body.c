/*
 * libFuzzer harness over the JSON request bodies of the API: the strict
 * reader every endpoint parses its body with, the fields the case,
 * delivery and review routes read from it, the ID number rules applied
 * to a declared number, and the writer the answers are built with.
 * Findings: any crash or sanitizer report; a reason code out of range;
 * a string leaf that the writer cannot carry back unchanged (written
 * into a document and read again, it must decode to the same bytes).
 *
 * Built and run by tests/fuzz/run; not part of the meson build.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../imaging/idnumber.h"
#include "../../service/jsonr.h"
#include "../../service/jsonw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The fields the routes read (service/cases.c, delivery.c, review). */
static const char *const fields[] = {
	"order_ref", "channel", "dealer", "declared_name", "id_number",
	"callback_url", "phone_number", "kind", "reason", "comment",
	"username", "password", "csrf", "decision",
};

static void
round_trip(const char *s, size_t len)
{
	struct jsonw	 w;
	struct jsonr	 r;
	const char	*text;
	char		 back[600];
	int64_t		 n;

	jsonw_init(&w, 4096);
	jsonw_object_open(&w);
	jsonw_key(&w, "v");
	jsonw_string_len(&w, s, len);
	jsonw_object_close(&w);
	if ((text = jsonw_text(&w)) != NULL) {
		if (jsonr_parse(&r, text, strlen(text)) == -1)
			__builtin_trap();
		n = jsonr_string(&r, "v", back, sizeof(back));
		if (n != (int64_t)len || memcmp(back, s, len) != 0)
			__builtin_trap();
	}
	jsonw_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct idnumber_date today = { 2026, 11, 29 };
	struct jsonr		r;
	struct idnumber_info	info;
	char			v[512];
	int64_t			n, i64;
	size_t			k;
	int			reason;

	if (jsonr_parse(&r, data, size) == -1)
		return (0);
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		n = jsonr_string(&r, fields[k], v, sizeof(v));
		if (n < 0) {
			(void)jsonr_int(&r, fields[k], &i64);
			continue;
		}
		if (strlen(v) >= sizeof(v))
			__builtin_trap();
		/* Strings with a NUL inside are refused by the routes. */
		if (n < (int64_t)sizeof(v) && (size_t)n == strlen(v))
			round_trip(v, (size_t)n);
		if (!strcmp(fields[k], "id_number")) {
			reason = idnumber_validate(v, &today, &info);
			if (reason < 0 ||
			    idnumber_reason_code(reason) == NULL)
				__builtin_trap();
		}
	}
	return (0);
}
