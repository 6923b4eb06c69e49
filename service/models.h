/*
 * Model files: checked against assets/models/SHA256SUMS at start, so a
 * worker never serves with a missing or altered model.  Plain C.
 */
#ifndef RN_MODELS_H
#define RN_MODELS_H

#include <stddef.h>

/*
 * Verifies every file listed in DIR/SHA256SUMS.  Returns the number of
 * files checked, or -1 with a message naming the first bad file in err.
 */
int	rn_models_verify(const char *dir, char *err, size_t errlen);

#endif
