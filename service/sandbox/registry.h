/*
 * The sandbox's registry of synthetic people and the decision a
 * provider would make about one request.  Plain C (no Kore) so the
 * decision is unit-tested and the generator runs as a tool.
 *
 * File format: UTF-8 text, one person per line, tab-separated:
 *   id_number <TAB> name <TAB> valid|cancelled <TAB> portrait path or -
 * Lines starting with '#' and empty lines are ignored.
 */
#ifndef SBX_REGISTRY_H
#define SBX_REGISTRY_H

#include <stddef.h>
#include <stdio.h>

#define SBX_NUMBER_MAX		19
#define SBX_NAME_MAX		96	/* bytes of UTF-8, with the NUL */
#define SBX_PATH_MAX		256
#define SBX_PEOPLE_MAX		4096
#define SBX_ERR_MAX		128

struct sbx_person {
	char	number[SBX_NUMBER_MAX];
	char	name[SBX_NAME_MAX];
	int	cancelled;
	char	portrait[SBX_PATH_MAX];		/* "" if none */
};

struct sbx_registry {
	struct sbx_person	*people;
	size_t			 count;
};

/* What the sandbox answers, before faults. */
struct sbx_decision {
	const char	*code;		/* an IDCHECK_CODE_* */
	const char	*message;
	int		 portrait_compared;
};

/*
 * Loads a registry file.  Returns 0, or -1 with a message naming the
 * line (never its content) in err.
 */
int	sbx_registry_load(struct sbx_registry *, const char *path, char *err,
	    size_t errlen);
void	sbx_registry_free(struct sbx_registry *);

const struct sbx_person	*sbx_registry_find(const struct sbx_registry *,
			    const char *number);

/*
 * The provider's answer for name + number (+ portrait): invalid input,
 * not found, card state, mismatch, no photo or match.  Names compare
 * byte for byte.  Faces are not compared yet (the imaging library's
 * comparison is not wired in): a portrait on a person with a registry
 * photo gets a match on name and number with portrait_compared 0.
 */
void	sbx_decide(const struct sbx_registry *, const char *name,
	    const char *number, int has_portrait, struct sbx_decision *);

/*
 * Writes a registry of synthetic people to out: one per identity of the
 * faces set (faces_dir/identities.csv, portrait = its first image), with
 * valid check digits, a cancelled card, a minority name with "·", a
 * rare-character name, and people without a registry photo.
 * Returns the number of people written, or -1.
 */
int	sbx_registry_generate(const char *faces_dir, FILE *out);

#endif
