/* scif_get_fd: an endpoint's descriptor is one end of a Unix socket pair, whose other end
   ("bell") the library keeps. The pump keeps the descriptor's readiness equal to what
   scif_poll reports for the endpoint, so programs put endpoints into their own
   poll/select/epoll loops:
   - POLLIN: a byte waits in the descriptor (the library wrote it through the bell);
   - POLLOUT: the descriptor's send buffer has room; the library fills it (writing from the
     descriptor into the bell, never read) to show "no send space", and drains the bell to
     show space again;
   - POLLHUP: once the endpoint is DISCONNECTED, both ends are shut down (for good: SCIF's
     DISCONNECTED is final); the kernel then reports POLLHUP and POLLIN (a recv reports the
     remaining bytes or ECONNRESET);
   - POLLERR (an endpoint that is not connected, listening or connecting without blocking)
     shows as POLLIN: the call made then reports the error.
   An endpoint with nothing to report shows nothing. The pump thread sleeps on this
   process's doorbell, which changers ring for endpoints with pollers (docs/shm-format.md,
   "Waking without losing a wake-up"); this process's own calls that change what an
   endpoint reports (send, recv, accept, connect) update its descriptor before they return
   (pump_sync), so a level-triggered loop never sees a stale event.
   Lock order: mu (here), then an endpoint's ctl (ep_poll_events). Only the process that
   opened an endpoint keeps its descriptor: a fork()ed child shares the socket, not the pump. */
#include "endpoint.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_WATCHED 4096
enum { SHOW_IN = 1, SHOW_OUT = 2, SHOW_HUP = 4 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct ep *watched[MAX_WATCHED];
static int nwatched;
static pthread_t thread;
static int started;
static volatile int stopping;

int ep_fd_new(int *bell)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	int small = 1; /* the kernel's minimum: filling it takes a write or two */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	*bell = sv[1];
	return sv[0];
}

/* Shows the wanted events on the endpoint's descriptor. Caller holds mu. */
static void show(struct ep *e, int want)
{
	static char junk[4096];
	char sink[4096];
	int have = e->shown;
	if (have & SHOW_HUP)
		return; /* final */
	if (want & SHOW_HUP) {
		/* the descriptor's half first (no event on it yet), then the bell's, which makes it
		   POLLHUP and POLLIN at once: a poller never wakes to POLLIN without POLLHUP */
		shutdown(e->fd, SHUT_WR);
		shutdown(e->bell, SHUT_WR);
		e->shown = want;
		return;
	}
	if ((want & SHOW_IN) && !(have & SHOW_IN))
		send(e->bell, "!", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (!(want & SHOW_IN) && (have & SHOW_IN))
		while (recv(e->fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
			;
	if (!(want & SHOW_OUT) && (have & SHOW_OUT))
		while (send(e->fd, junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
			;
	if ((want & SHOW_OUT) && !(have & SHOW_OUT))
		while (recv(e->bell, sink, sizeof sink, MSG_DONTWAIT) > 0)
			;
	e->shown = want;
}

static void sync_one(struct ep *e)
{
	short r = ep_poll_events(e, POLLIN | POLLOUT);
	if (r & POLLNVAL)
		return;
	show(e, (r & (POLLIN | POLLERR) ? SHOW_IN : 0) | (r & POLLOUT ? SHOW_OUT : 0) |
			(r & POLLHUP ? SHOW_HUP | SHOW_IN : 0));
}

static void *pump(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!stopping) {
		uint64_t bell = doorbell_off(fab.slot);
		uint32_t seen = get32(bell);
		sleeper_fence();
		pthread_mutex_lock(&mu);
		for (int i = 0; i < nwatched; i++)
			sync_one(watched[i]);
		pthread_mutex_unlock(&mu);
		futex_wait(w32(bell), seen, 20000000);
	}
	return NULL;
}

void pump_stop(void)
{
	if (!started)
		return;
	stopping = 1;
	bump(doorbell_off(fab.slot));
	pthread_join(thread, NULL);
	started = 0;
}

static int ours(struct ep *e)
{
	return e->owner_pid == fab.self; /* this process's pid, without a system call */
}

void pump_watch(struct ep *e)
{
	if (!ours(e))
		return;
	pthread_mutex_lock(&mu);
	if (!e->watched && nwatched < MAX_WATCHED) {
		watched[nwatched++] = e;
		e->watched = 1;
		e->shown = SHOW_OUT; /* a new socket pair: an empty buffer, nothing to read */
		ep_ref(e);
		add32(endpoint_off(e->slot) + E_POLLERS, 1);
		if (!started && pthread_create(&thread, NULL, pump, NULL) == 0)
			started = 1;
	}
	if (e->watched)
		sync_one(e); /* exact when the call returns */
	pthread_mutex_unlock(&mu);
}

void pump_sync_watched(struct ep *e)
{
	if (!ours(e))
		return;
	pthread_mutex_lock(&mu);
	if (e->watched)
		sync_one(e);
	pthread_mutex_unlock(&mu);
}

void pump_forget(struct ep *e)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < nwatched; i++) {
		if (watched[i] == e) {
			watched[i] = watched[--nwatched];
			add32(endpoint_off(e->slot) + E_POLLERS, -1);
			e->watched = 0;
			pthread_mutex_unlock(&mu);
			ep_put(e);
			return;
		}
	}
	pthread_mutex_unlock(&mu);
}
