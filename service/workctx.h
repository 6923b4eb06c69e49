/*
 * What a Kore task thread keeps between tasks: its own store handle and
 * its own imaging engine (models loaded once per thread, on first use).
 * Never used from the event loop.
 */
#ifndef RN_WORKCTX_H
#define RN_WORKCTX_H

#include <stddef.h>

struct store;
struct imaging_engine;

/* This thread's store handle, opened on first use; NULL with err set. */
struct store		*rn_thread_store(char *err, size_t errlen);

/* This thread's imaging engine, made on first use; NULL with err set. */
struct imaging_engine	*rn_thread_engine(char *err, size_t errlen);

#endif
