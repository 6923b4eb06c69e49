/*
 * Webhook receiver for tests.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "receiver.h"

static void
header(const char *req, const char *name, char *out, size_t len)
{
	const char	*p, *e;

	out[0] = '\0';
	if ((p = strcasestr(req, name)) == NULL)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	if ((e = strstr(p, "\r\n")) == NULL || (size_t)(e - p) >= len)
		return;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

static void *
receive(void *arg)
{
	struct receiver	*rx = arg;
	char		 req[16384], reply[128], cl[16];
	const char	*body;
	struct hook	*h;
	struct timespec	 ts;
	ssize_t		 n;
	size_t		 got;
	int		 c, status;

	while (!rx->stop) {
		if ((c = accept(rx->fd, NULL, NULL)) == -1)
			continue;
		got = 0;
		/* Read until the body (Content-Length) is complete. */
		for (;;) {
			n = read(c, req + got, sizeof(req) - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			if ((body = strstr(req, "\r\n\r\n")) != NULL) {
				header(req, "Content-Length:", cl, sizeof(cl));
				if (strlen(body + 4) >= (size_t)atoi(cl))
					break;
			}
			if (got >= sizeof(req) - 1)
				break;
		}
		req[got] = '\0';
		pthread_mutex_lock(&rx->lock);
		rx->calls++;
		status = rx->calls <= rx->fail_first ? 500 : 200;
		if (status == 200 && rx->nhooks < RECEIVER_HOOKS_MAX &&
		    (body = strstr(req, "\r\n\r\n")) != NULL) {
			h = &rx->hooks[rx->nhooks++];
			memset(h, 0, sizeof(*h));
			header(req, "X-Delivery-Id:", h->delivery,
			    sizeof(h->delivery));
			header(req, "X-App-Id:", h->key_id, sizeof(h->key_id));
			header(req, "X-Timestamp:", h->timestamp,
			    sizeof(h->timestamp));
			header(req, "X-Signature:", h->signature,
			    sizeof(h->signature));
			snprintf(h->body, sizeof(h->body), "%s", body + 4);
			clock_gettime(CLOCK_MONOTONIC, &ts);
			h->at_ms = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
		}
		pthread_mutex_unlock(&rx->lock);
		n = snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n", status);
		if (write(c, reply, (size_t)n) != n)
			fprintf(stderr, "# receiver: short write\n");
		close(c);
	}
	return (NULL);
}

int
receiver_start(struct receiver *rx)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			one = 1;

	memset(rx, 0, sizeof(*rx));
	if ((rx->hooks = calloc(RECEIVER_HOOKS_MAX, sizeof(*rx->hooks))) ==
	    NULL)
		return (-1);
	pthread_mutex_init(&rx->lock, NULL);
	rx->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(rx->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	if (bind(rx->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(rx->fd, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(rx->fd, 64) == -1)
		return (-1);
	rx->port = ntohs(sin.sin_port);
	return (pthread_create(&rx->th, NULL, receive, rx));
}

void
receiver_stop(struct receiver *rx)
{
	struct sockaddr_in	sin;
	int			fd;

	rx->stop = 1;
	/* Wake accept() with one last connection. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)rx->port);
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	pthread_join(rx->th, NULL);
	close(rx->fd);
	free(rx->hooks);
}

int
receiver_wait(struct receiver *rx, int n, int seconds)
{
	int	i, got;

	got = 0;
	for (i = 0; i < seconds * 10; i++) {
		pthread_mutex_lock(&rx->lock);
		got = rx->nhooks;
		pthread_mutex_unlock(&rx->lock);
		if (got >= n)
			return (got);
		usleep(100 * 1000);
	}
	return (got);
}
