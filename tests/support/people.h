/*
 * Synthetic people for integration tests: three generated photos of one
 * invented person (tools/gen), the registry line the ID-check sandbox
 * holds for them, and a whole customer journey through the real API
 * (open signed, upload three sides, submit, poll until decided).
 */
#ifndef RN_PEOPLE_H
#define RN_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "gen.h"

struct harness;
struct imaging_engine;
struct sign_key;

struct person {
	int		index;
	int		long_side;
	struct gen_case	photo[3];	/* front, back, holding */
};

extern const char *const people_sides[3];

/* The generator over the shared data and Debian's CJK font; NULL. */
struct gen	*people_gen_open(void);

/*
 * Person `index` of set `seed`, photographed with the given long side.
 * The same (seed, index) at another size is the same person, number and
 * card, in photos that differ in every pixel (a retake).  0 or -1.
 */
int	person_make(struct gen *, uint64_t seed, int index, int long_side,
	    struct person *);
void	person_free(struct person *);

/* The truth of the card (number, name, validity, portrait). */
const struct gen_truth	*person_card(const struct person *);

/* Whether the quality gate takes all three photos as they are. */
int	person_accepted(struct imaging_engine *, const struct person *);
/*
 * Whether the gate takes all of person index's photos at every long side
 * in sizes: 1 (keep then holds the person at sizes[0]), 0, or -1.
 */
int	person_accepted_at(struct gen *, struct imaging_engine *,
	    uint64_t seed, int index, const int *sizes, int nsizes,
	    struct person *keep);

/* Whether the card's validity period ended before today. */
int	person_card_expired(const struct person *);

/*
 * Appends "number\tname\tstate\tportrait\n" for the sandbox registry
 * (state "valid" or "cancelled").
 */
void	person_registry_line(char *buf, size_t len, const struct person *,
	    const char *state);

/*
 * One customer journey: opens a case for p declaring name and number
 * (NULL: the card's own), uploads the three photos and submits.  With
 * must_accept a refused photo fails the test; without, it ends with
 * final "not_submitted".  Then polls the customer view until the case
 * is approved, rejected or in review: final gets the state, view the
 * last customer view, id the case id (any may be NULL).
 */
void	person_journey(const struct harness *, const struct sign_key *,
	    const struct person *, const char *name, const char *number,
	    int must_accept, char *final, size_t final_len, char *view,
	    size_t view_len, char id[33]);

/* What a journey declares beyond the person (zero: person_journey's). */
struct journey_opts {
	const char	*name;		/* NULL: the card's */
	const char	*number;	/* NULL: the card's */
	const char	*dealer;	/* NULL: HARNESS_DEALER */
	const char	*callback_url;	/* NULL: a closed port */
	/* More members, each followed by a comma ("\"kind\":...,"). */
	const char	*extra_json;
	int		 must_accept;
};

void	person_journey_opts(const struct harness *, const struct sign_key *,
	    const struct person *, const struct journey_opts *, char *final,
	    size_t final_len, char *view, size_t view_len, char id[33]);

#endif
