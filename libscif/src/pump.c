/* scif_get_fd: the endpoint's descriptor is an eventfd whose readiness this thread keeps
   equal to what scif_poll would report, so programs can put endpoints into their own
   poll/select/epoll loops. An eventfd is readable while its counter is non-zero and
   writable while it is below 2^64 - 2: counter 1 means POLLIN|POLLOUT, 0 POLLOUT only,
   2^64 - 2 POLLIN only. (Neither event cannot be shown: a descriptor with nothing to report
   then shows POLLOUT, and a send or connect through it reports the truth.) The thread
   sleeps on this process's doorbell, which changers ring for endpoints with pollers. */
#include "endpoint.h"
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WATCHED 4096

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct ep *watched[MAX_WATCHED];
static int nwatched;
static pthread_t thread;
static int started;
static volatile int stopping;

static void set_counter(struct ep *e, uint64_t want)
{
	uint64_t have = e->efd_count, v;
	if (want == have)
		return;
	if (want < have) {
		if (read(e->fd, &v, sizeof v) < 0) /* have > 0: never blocks */
			return;
		have = 0;
	}
	if (want > have) {
		v = want - have;
		if (write(e->fd, &v, sizeof v) < 0)
			return;
	}
	e->efd_count = want;
}

static void sync_one(struct ep *e)
{
	short r = ep_poll_events(e, POLLIN | POLLOUT);
	if (r & POLLNVAL)
		return;
	int in = (r & (POLLIN | POLLHUP | POLLERR)) != 0, out = (r & POLLOUT) != 0;
	set_counter(e, in && out ? 1 : in ? 0xfffffffffffffffeULL : 0);
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

void pump_watch(struct ep *e)
{
	pthread_mutex_lock(&mu);
	if (!e->watched && nwatched < MAX_WATCHED) {
		watched[nwatched++] = e;
		e->watched = 1;
		ep_ref(e);
		add32(endpoint_off(e->slot) + E_POLLERS, 1);
		if (!started && pthread_create(&thread, NULL, pump, NULL) == 0)
			started = 1;
		bump(doorbell_off(fab.slot));
	}
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
