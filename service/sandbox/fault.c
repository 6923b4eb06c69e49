/*
 * Fault specs: strict parsing, so that a typo in a test is an error and
 * not a silently healthy upstream.
 */

#include <stdlib.h>
#include <string.h>

#include "fault.h"

static int	number(const char *, long, long, long *);

static const struct {
	const char		*name;
	enum sbx_fault_kind	 kind;
	int			 needs_arg;	/* 1 yes, 0 no, -1 optional */
} kinds[] = {
	{ "latency", SBX_FAULT_LATENCY, 1 },
	{ "hang", SBX_FAULT_HANG, -1 },
	{ "status", SBX_FAULT_STATUS, 1 },
	{ "reset", SBX_FAULT_RESET, 0 },
	{ "malformed", SBX_FAULT_MALFORMED, 0 },
	{ "rate_limit", SBX_FAULT_RATE_LIMIT, 0 },
	{ "unknown_code", SBX_FAULT_UNKNOWN_CODE, 0 },
	{ "service_error", SBX_FAULT_SERVICE_ERROR, 0 },
};

int
sbx_fault_parse(const char *spec, struct sbx_fault *f)
{
	char		 buf[SBX_FAULT_SPEC_MAX], *kind, *arg, *pct;
	long		 v;
	size_t		 i;

	memset(f, 0, sizeof(*f));
	if (strlen(spec) >= sizeof(buf))
		return (-1);
	(void)strcpy(buf, spec);
	kind = buf;
	f->percent = 100;
	if ((pct = strstr(buf, "%:")) != NULL) {
		*pct = '\0';
		if (number(buf, 1, 100, &v) == -1)
			goto bad;
		f->percent = (int)v;
		kind = pct + 2;
	}
	if ((arg = strchr(kind, '=')) != NULL)
		*arg++ = '\0';
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].name, kind) == 0)
			break;
	}
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		goto bad;
	if ((kinds[i].needs_arg == 1 && arg == NULL) ||
	    (kinds[i].needs_arg == 0 && arg != NULL))
		goto bad;
	f->kind = kinds[i].kind;
	switch (f->kind) {
	case SBX_FAULT_LATENCY:
	case SBX_FAULT_HANG:
		if (arg == NULL)
			v = SBX_HANG_DEFAULT_MS;
		else if (number(arg, 0, SBX_DELAY_MAX_MS, &v) == -1)
			goto bad;
		f->arg = v;
		break;
	case SBX_FAULT_STATUS:
		if (number(arg, 500, 503, &v) == -1 || v == 501)
			goto bad;
		f->arg = v;
		break;
	default:
		break;
	}
	return (0);
bad:
	memset(f, 0, sizeof(*f));
	return (-1);
}

enum sbx_fault_kind
sbx_fault_roll(const struct sbx_fault *f, unsigned int roll)
{
	if (f->kind == SBX_FAULT_NONE || roll >= (unsigned int)f->percent)
		return (SBX_FAULT_NONE);
	return (f->kind);
}

/* A decimal in [min, max], digits only. */
static int
number(const char *s, long min, long max, long *out)
{
	long	v;
	size_t	i;

	if (s[0] == '\0' || strlen(s) > 6)
		return (-1);
	v = 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}
