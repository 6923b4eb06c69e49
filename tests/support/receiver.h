/*
 * A webhook receiver for tests: an HTTP peer on loopback that records
 * every delivery it accepts (headers and body) and can answer 500 to the
 * first N calls.
 */
#ifndef RN_RECEIVER_H
#define RN_RECEIVER_H

#include <pthread.h>

#define RECEIVER_HOOKS_MAX	512

struct hook {
	char	delivery[64];
	char	key_id[64];
	char	timestamp[32];
	char	signature[80];
	char	body[2048];
	double	at_ms;		/* CLOCK_MONOTONIC when it arrived */
};

struct receiver {
	int		 fd;
	int		 port;
	int		 stop;
	int		 fail_first;	/* answer 500 this many times */
	int		 calls;
	int		 nhooks;	/* accepted (2xx) deliveries */
	struct hook	*hooks;		/* RECEIVER_HOOKS_MAX */
	pthread_mutex_t	 lock;
	pthread_t	 th;
};

int	receiver_start(struct receiver *);
void	receiver_stop(struct receiver *);

/* Waits up to seconds for at least n accepted deliveries; returns count. */
int	receiver_wait(struct receiver *, int n, int seconds);

#endif
