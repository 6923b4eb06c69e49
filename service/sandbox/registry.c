/*
 * Registry of synthetic identities for the ID check sandbox.
 */

#include <stdlib.h>
#include <string.h>

#include "idcheck_provider.h"
#include "idnumber.h"
#include "registry.h"

static int	split_tabs(char *, char **, int);

/*
 * Synthetic names only.  Index 3 is a minority name with the middle dot
 * U+00B7, index 5 carries U+2A6A5 (a CJK Extension B character).
 */
static const char *const gen_names[] = {
	"\xe5\xbc\xa0\xe4\xbc\x9f",				/* 张伟 */
	"\xe7\x8e\x8b\xe8\x8a\xb3",				/* 王芳 */
	"\xe6\x9d\x8e\xe5\xa8\x9c",				/* 李娜 */
	/* 阿不都·热合曼 */
	"\xe9\x98\xbf\xe4\xb8\x8d\xe9\x83\xbd\xc2\xb7\xe7\x83\xad"
	    "\xe5\x90\x88\xe6\x9b\xbc",
	"\xe5\x88\x98\xe6\xb4\x8b",				/* 刘洋 */
	"\xe9\xbe\x99\xf0\xaa\x9a\xa5",				/* 龙𪚥 */
	"\xe9\x99\x88\xe9\x9d\x99",				/* 陈静 */
	"\xe6\x9d\xa8\xe5\x86\x9b",				/* 杨军 */
	"\xe8\xb5\xb5\xe6\x95\x8f",				/* 赵敏 */
	"\xe9\xbb\x84\xe7\xa3\x8a",				/* 黄磊 */
	"\xe5\x91\xa8\xe6\x9d\xb0",				/* 周杰 */
	"\xe5\x90\xb4\xe5\x88\x9a",				/* 吴刚 */
	"\xe5\xbe\x90\xe4\xb8\xbd",				/* 徐丽 */
	"\xe5\xad\x99\xe6\x82\xa6",				/* 孙悦 */
	"\xe9\xa9\xac\xe8\xb6\x85",				/* 马超 */
	"\xe6\x9c\xb1\xe7\x90\xb3",				/* 朱琳 */
};

#define GEN_NAMES	(sizeof(gen_names) / sizeof(gen_names[0]))

int
sbx_registry_load(struct sbx_registry *reg, const char *path, char *err,
    size_t errlen)
{
	FILE			*fp;
	char			 line[1024], *f[4];
	struct sbx_person	*p;
	size_t			 lineno, len;

	memset(reg, 0, sizeof(*reg));
	if ((fp = fopen(path, "r")) == NULL) {
		(void)snprintf(err, errlen, "cannot open the registry file");
		return (-1);
	}
	if ((reg->people = calloc(SBX_PEOPLE_MAX, sizeof(*p))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	lineno = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			(void)snprintf(err, errlen, "line %zu too long",
			    lineno);
			goto fail;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (reg->count >= SBX_PEOPLE_MAX) {
			(void)snprintf(err, errlen, "more than %d people",
			    SBX_PEOPLE_MAX);
			goto fail;
		}
		p = &reg->people[reg->count];
		if (split_tabs(line, f, 4) != 4 ||
		    idnumber_validate(f[0], NULL, NULL) != IDNUMBER_OK ||
		    f[1][0] == '\0' || strlen(f[1]) >= sizeof(p->name) ||
		    (strcmp(f[2], "valid") != 0 &&
		    strcmp(f[2], "cancelled") != 0) ||
		    strlen(f[3]) >= sizeof(p->portrait)) {
			(void)snprintf(err, errlen, "line %zu: bad entry",
			    lineno);
			goto fail;
		}
		(void)snprintf(p->number, sizeof(p->number), "%s", f[0]);
		(void)idnumber_normalize(p->number);
		if (sbx_registry_find(reg, p->number) != NULL) {
			(void)snprintf(err, errlen, "line %zu: number listed "
			    "twice", lineno);
			goto fail;
		}
		(void)snprintf(p->name, sizeof(p->name), "%s", f[1]);
		p->cancelled = strcmp(f[2], "cancelled") == 0;
		if (strcmp(f[3], "-") != 0)
			(void)snprintf(p->portrait, sizeof(p->portrait), "%s",
			    f[3]);
		reg->count++;
	}
	(void)fclose(fp);
	return (0);
fail:
	(void)fclose(fp);
	sbx_registry_free(reg);
	return (-1);
}

void
sbx_registry_free(struct sbx_registry *reg)
{
	free(reg->people);
	memset(reg, 0, sizeof(*reg));
}

const struct sbx_person *
sbx_registry_find(const struct sbx_registry *reg, const char *number)
{
	size_t	i;

	for (i = 0; i < reg->count; i++) {
		if (strcmp(reg->people[i].number, number) == 0)
			return (&reg->people[i]);
	}
	return (NULL);
}

void
sbx_decide(const struct sbx_registry *reg, const char *name,
    const char *number, int has_portrait, struct sbx_decision *d)
{
	const struct sbx_person	*p;
	char			 norm[SBX_NUMBER_MAX];

	memset(d, 0, sizeof(*d));
	if (name == NULL || name[0] == '\0' || strlen(name) >= SBX_NAME_MAX ||
	    number == NULL || strlen(number) >= sizeof(norm) ||
	    idnumber_validate(number, NULL, NULL) != IDNUMBER_OK) {
		d->code = IDCHECK_CODE_INVALID_INPUT;
		d->message = "\xe5\x8f\x82\xe6\x95\xb0\xe6\xa0\xbc\xe5\xbc\x8f"
		    "\xe9\x94\x99\xe8\xaf\xaf";		/* 参数格式错误 */
		return;
	}
	(void)snprintf(norm, sizeof(norm), "%s", number);
	(void)idnumber_normalize(norm);
	if ((p = sbx_registry_find(reg, norm)) == NULL) {
		d->code = IDCHECK_CODE_NOT_FOUND;
		d->message = "\xe5\xba\x93\xe4\xb8\xad\xe6\x97\xa0\xe6\xad\xa4"
		    "\xe5\x8f\xb7";			/* 库中无此号 */
		return;
	}
	if (p->cancelled) {
		d->code = IDCHECK_CODE_CARD_STATE;
		d->message = "\xe5\x8d\xa1\xe7\x8a\xb6\xe6\x80\x81\xe9\x94\x99"
		    "\xe8\xaf\xaf";			/* 卡状态错误 */
		return;
	}
	if (strcmp(p->name, name) != 0) {
		d->code = IDCHECK_CODE_MISMATCH;
		/* 不一致 */
		d->message = "\xe4\xb8\x8d\xe4\xb8\x80\xe8\x87\xb4";
		return;
	}
	if (has_portrait && p->portrait[0] == '\0') {
		d->code = IDCHECK_CODE_NO_PHOTO;
		d->message = "\xe5\xba\x93\xe4\xb8\xad\xe6\x97\xa0\xe7\x85\xa7"
		    "\xe7\x89\x87";			/* 库中无照片 */
		return;
	}
	d->code = IDCHECK_CODE_MATCH;
	if (has_portrait) {
		/* XXX compare with the imaging library once it lands. */
		d->message = "\xe4\xb8\x80\xe8\x87\xb4\xef\xbc\x88\xe4\xba\xba"
		    "\xe5\x83\x8f\xe6\x9c\xaa\xe6\xaf\x94\xe5\xaf\xb9\xef\xbc"
		    "\x89";				/* 一致（人像未比对） */
		d->portrait_compared = 0;
	} else {
		d->message = "\xe4\xb8\x80\xe8\x87\xb4";	/* 一致 */
	}
}

int
sbx_registry_generate(const char *faces_dir, FILE *out)
{
	FILE	*fp;
	char	 path[SBX_PATH_MAX], line[256], first17[18];
	char	 seen[64][16], *comma;
	size_t	 nseen, i;
	int	 n, k;

	(void)snprintf(path, sizeof(path), "%s/identities.csv", faces_dir);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	fprintf(out, "# Synthetic identities for the idcheck sandbox, made "
	    "by sbx_registry_generate.\n# number\tname\tstatus\tportrait\n");
	nseen = 0;
	n = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((comma = strchr(line, ',')) == NULL ||
		    strcmp(line, "file,identity") == 0)
			continue;
		*comma++ = '\0';
		for (i = 0; i < nseen; i++) {
			if (strcmp(seen[i], comma) == 0)
				break;
		}
		if (i < nseen || nseen >= 64 || strlen(comma) >= 16 ||
		    (size_t)n >= GEN_NAMES)
			continue;
		(void)snprintf(seen[nseen++], sizeof(seen[0]), "%s", comma);
		/* Beijing Dongcheng, born 1980-01-(n+1), sequence 10n+1. */
		(void)snprintf(first17, sizeof(first17), "1101011980%02d%02d"
		    "%03d", 1 + n % 12, 1 + n, 10 * n + 1);
		fprintf(out, "%s%c\t%s\t%s\t%s/%s\n", first17,
		    idnumber_check_digit(first17), gen_names[n],
		    n == 2 ? "cancelled" : "valid", faces_dir, line);
		n++;
	}
	(void)fclose(fp);
	/* Two more without a registry photo. */
	for (k = 0; k < 2 && (size_t)n < GEN_NAMES; k++, n++) {
		(void)snprintf(first17, sizeof(first17), "3101041990%02d%02d"
		    "%03d", 1 + k, 10 + k, 20 + k);
		fprintf(out, "%s%c\t%s\tvalid\t-\n", first17,
		    idnumber_check_digit(first17), gen_names[n]);
	}
	return (ferror(out) ? -1 : n);
}

/* Splits line at tabs into at most max fields; returns the count. */
static int
split_tabs(char *line, char **f, int max)
{
	int	n;
	char	*tab;

	n = 0;
	f[n++] = line;
	while ((tab = strchr(f[n - 1], '\t')) != NULL) {
		if (n == max)
			return (max + 1);
		*tab = '\0';
		f[n++] = tab + 1;
	}
	return (n);
}
