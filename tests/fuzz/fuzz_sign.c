/*
 * libFuzzer harness over request signature verification, as the order
 * system, courier and webhook routes run it: the input is split at
 * newlines into key id, timestamp, signature, method, path and body.
 * Findings: any crash or sanitizer report; a verdict out of range; SIGN_OK
 * for a signature that is not the key's MAC of that request (the harness
 * recomputes it); the same request accepted twice (replay).
 *
 * Built and run by tests/fuzz/run; not part of the meson build.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../service/sign.h"

#define NOW	1780000000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct sign_key			key;
static struct sign_replay_entry		slots[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_request	 sr;
	struct sign_replay	 replay;
	const struct sign_key	*match;
	char			*copy, *field[6], *p, want[SIGN_HEX_LEN + 1];
	enum sign_verdict	 v;
	int64_t			 ts;
	int			 n;

	if (key.secret_len == 0 && sign_key_parse(&key,
	    "shop:00112233445566778899aabbccddeeff") == -1)
		__builtin_trap();
	if ((copy = malloc(size + 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	for (n = 0; n < 6; n++) {
		field[n] = p;
		if (n < 5 && (p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
		if (p == NULL) {
			free(copy);
			return (0);
		}
	}
	memset(&sr, 0, sizeof(sr));
	sr.key_id = field[0][0] != '\0' ? field[0] : NULL;
	sr.timestamp = field[1];
	sr.signature = field[2];
	sr.method = field[3];
	sr.path = field[4];
	sr.body = field[5];
	sr.body_len = strlen(field[5]);

	memset(slots, 0, sizeof(slots));
	sign_replay_init(&replay, slots, 64);
	match = NULL;
	v = sign_verify(&key, 1, &replay, &sr, NOW, &match);
	if ((unsigned int)v >= SIGN_VERDICT_COUNT)
		__builtin_trap();
	if (v == SIGN_OK) {
		/* Only the real MAC of exactly this request passes. */
		ts = strtoll(sr.timestamp, NULL, 10);
		if (match != &key || sign_compute(&key, sr.method, sr.path, ts,
		    sr.body, sr.body_len, want) == -1 ||
		    strcmp(want, sr.signature) != 0)
			__builtin_trap();
		if (sign_verify(&key, 1, &replay, &sr, NOW, NULL) !=
		    SIGN_REPLAYED)
			__builtin_trap();
	}
	free(copy);
	return (0);
}
