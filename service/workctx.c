/*
 * Per-thread resources for task threads.  A store handle that lost its
 * connection reconnects by itself (store.h), so handles are kept for the
 * thread's life; an engine that failed to load is retried next time.
 */

#include <stdio.h>

#include "imaging.h"
#include "realname.h"
#include "store.h"
#include "workctx.h"

static __thread struct store		*thread_store;
static __thread struct imaging_engine	*thread_engine;

struct store *
rn_thread_store(char *err, size_t errlen)
{
	struct store	*st;

	if (thread_store != NULL)
		return (thread_store);
	if (store_open(&st, rn_cfg.store_url) == -1) {
		snprintf(err, errlen, "store: %s", st != NULL ?
		    store_error(st) : "out of memory");
		/* Keep the handle: it reconnects on a later call. */
		if (st == NULL)
			return (NULL);
	}
	thread_store = st;
	return (thread_store);
}

struct imaging_engine *
rn_thread_engine(char *err, size_t errlen)
{
	struct imaging_options	opt;
	struct imaging_error	ierr;

	if (thread_engine != NULL)
		return (thread_engine);
	imaging_options_default(&opt);
	opt.threads = 1;
	thread_engine = imaging_engine_new(rn_cfg.models_dir, &opt, &ierr);
	if (thread_engine == NULL)
		snprintf(err, errlen, "imaging: %s", ierr.msg);
	return (thread_engine);
}
