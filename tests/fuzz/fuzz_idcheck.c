/*
 * libFuzzer harness over the ID check response normalizer and the JSON
 * reader under it.  The first input byte picks the HTTP status (200 most
 * of the time), the rest is the body.  Findings: any crash or sanitizer
 * report, a result out of range, an unterminated field, or a MATCH that
 * did not come from HTTP 200 with code 1100 in a body the reader accepts.
 *
 * Built and run by tests/fuzz/run (sources ../service/jsonr.c
 * ../service/jsonw.c ../service/idcheck_result.c
 * ../service/idcheck_provider.c); not part of the meson build.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../service/idcheck_provider.h"
#include "../../service/jsonr.h"

static void
check_reader(const uint8_t *data, size_t size)
{
	struct jsonr	r;
	char		small[8], big[512];
	int64_t		n, i;
	double		d;
	int		b;
	size_t		k;

	if (jsonr_parse(&r, data, size) == -1) {
		if (r.err[0] == '\0' || r.nleaves != 0)
			__builtin_trap();
		return;
	}
	for (k = 0; k < r.nleaves; k++) {
		n = jsonr_string(&r, r.leaves[k].path, small, sizeof(small));
		if (r.leaves[k].type == JSONR_STRING) {
			if (n != (int64_t)r.leaves[k].decoded_len ||
			    strlen(small) >= sizeof(small))
				__builtin_trap();
			n = jsonr_string(&r, r.leaves[k].path, big,
			    sizeof(big));
			if (n < (int64_t)sizeof(big) &&
			    strlen(big) != (size_t)n)
				__builtin_trap();
		} else if (n != -1) {
			__builtin_trap();
		}
		(void)jsonr_int(&r, r.leaves[k].path, &i);
		(void)jsonr_double(&r, r.leaves[k].path, &d);
		(void)jsonr_bool(&r, r.leaves[k].path, &b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long	 statuses[] = { 200, 200, 200, 200, 500, 502,
	    503, 0 };
	const struct idcheck_provider	*p;
	struct idcheck_response		 out;
	struct jsonr			 r;
	enum idcheck_result		 res;
	long				 status;

	if (size < 1)
		return (0);
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	data++;
	size--;
	check_reader(data, size);

	p = idcheck_provider_find("sandbox");
	res = idcheck_provider_parse(p, status, data, size,
	    size > 0 && data[0] == ' ' ? "fuzz-1" : NULL, &out);
	if (res != out.result || (unsigned int)res >= IDCHECK_RESULT_COUNT)
		__builtin_trap();
	if (memchr(out.code, '\0', sizeof(out.code)) == NULL ||
	    memchr(out.message, '\0', sizeof(out.message)) == NULL ||
	    memchr(out.detail, '\0', sizeof(out.detail)) == NULL ||
	    memchr(out.upstream_id, '\0', sizeof(out.upstream_id)) == NULL)
		__builtin_trap();
	if (out.detail[0] == '\0')
		__builtin_trap();
	if (idcheck_result_allows_approval(res) && (status != 200 ||
	    strcmp(out.code, "1100") != 0 ||
	    jsonr_parse(&r, data, size) == -1))
		__builtin_trap();
	return (0);
}
