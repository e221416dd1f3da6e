/* scif_poll, what an endpoint reports (also to get_fd's descriptor), scif_get_nodeIDs and
   scif_get_fd. */
#include "endpoint.h"
#include <poll.h>
#include <sched.h>
#include <stdlib.h>

short ep_poll_events(struct ep *e, short events)
{
	short r;
	pthread_mutex_lock(&e->ctl);
	if (e->closed) {
		pthread_mutex_unlock(&e->ctl);
		return POLLNVAL;
	}
	uint32_t st = state_of(e);
	struct conn *c = e->conn ? e->conn : e->pending;
	switch (st) {
	case EP_LISTENING:
		r = ep_field(e->slot, E_QUEUE_COUNT) > 0 ? POLLIN : 0;
		break;
	/* POLLIN from the frame header at the published head frame, not from the byte counters:
	   the reader may take a frame before its writer published the tail counter, and the
	   counters then differ with nothing to read (a stale POLLIN on get_fd's descriptor) */
	case EP_CONNECTED:
		r = !c ? POLLERR : (short)((ring_has_data(&c->in) ? POLLIN : 0) | (ring_writable(&c->out) ? POLLOUT : 0));
		break;
	case EP_DISCONNECTED:
		r = (short)(POLLHUP | (c && ring_has_data(&c->in) ? POLLIN : 0) | (e->async_pending ? POLLOUT : 0));
		break;
	case EP_CONNECTING:
	case EP_BOUND:
		r = e->async_pending ? ((answered(e) || now_ns() >= e->async_deadline) ? POLLOUT : 0) : POLLERR;
		break;
	default:
		r = POLLERR;
	}
	pthread_mutex_unlock(&e->ctl);
	return (short)(r & (events | POLLERR | POLLHUP | POLLNVAL));
}

static int scan(struct scif_pollepd *p, unsigned n, struct ep **e)
{
	int ready = 0;
	for (unsigned i = 0; i < n; i++) {
		p[i].revents = e[i] ? ep_poll_events(e[i], p[i].events) : POLLNVAL;
		ready += p[i].revents != 0;
	}
	return ready;
}

/* Scans of a spinning scif_poll between two reads of the clock (a few microseconds). */
#define POLL_SPINS 64

API int scif_poll(struct scif_pollepd *epds, unsigned int nepds, long timeout)
{
	int se = errno;
	if (fabric_ensure())
		return -1;
	if (nepds > EP_FD_MAX)
		return fail(EINVAL);
	if (nepds && !epds)
		return fail(EFAULT);
	struct ep *stack[64], **e = nepds <= 64 ? stack : calloc(nepds, sizeof *e);
	if (!e)
		return fail(ENOMEM);
	for (unsigned i = 0; i < nepds; i++) {
		int saved = errno;
		e[i] = epds[i].epd >= 0 ? ep_get(epds[i].epd) : NULL;
		errno = saved;
	}
	int ready = scan(epds, nepds, e);
	if (!ready && timeout != 0 && fab.slot >= 0) {
		int64_t deadline = timeout < 0 ? -1 : now_ns() + timeout * 1000000LL;
		uint64_t bell = doorbell_off(fab.slot);
		enum wait_mode mode = fab.cfg.wait;
		/* Waits as await() does for one endpoint (spin, yield, then sleep, by the wait mode),
		   and is counted in the endpoints' pollers only once it sleeps (docs/shm-format.md,
		   "The doorbell"): while counted, every send and receive to them rings the doorbell
		   with a system call. It used to yield at once and be counted from the start, which
		   cost a ping-pong over scif_poll 1.4 us a round trip. */
		int counted = 0;
		int64_t start = now_ns();
		while (!ready) {
			int64_t now = now_ns();
			if (deadline >= 0 && now >= deadline)
				break;
			int64_t waited = now - start;
			if (mode == WAIT_SPIN || (mode == WAIT_ADAPTIVE && waited < 30000)) {
				/* the clock only every POLL_SPINS scans, as await() reads it every SPINS_PER_CHECK */
				for (int k = 0; k < POLL_SPINS && !ready; k++) {
					__builtin_ia32_pause();
					ready = scan(epds, nepds, e);
				}
				continue;
			}
			if (mode == WAIT_YIELD || (mode == WAIT_ADAPTIVE && waited < 200000)) {
				sched_yield();
				ready = scan(epds, nepds, e);
				continue;
			}
			if (!counted) {
				for (unsigned i = 0; i < nepds; i++)
					if (e[i])
						add32(endpoint_off(e[i]->slot) + E_POLLERS, 1);
				counted = 1;
			}
			uint32_t seen = get32(bell);
			sleeper_fence(); /* after counting, before the scan that precedes the sleep */
			if ((ready = scan(epds, nepds, e)))
				break;
			int64_t nanos = MAX_SLEEP_NS;
			if (deadline >= 0 && deadline - now < nanos)
				nanos = deadline - now;
			futex_wait(w32(bell), seen, nanos);
			ready = scan(epds, nepds, e);
		}
		for (unsigned i = 0; counted && i < nepds; i++)
			if (e[i])
				add32(endpoint_off(e[i]->slot) + E_POLLERS, -1);
	}
	for (unsigned i = 0; i < nepds; i++)
		if (e[i])
			ep_put(e[i]);
	if (e != stack)
		free(e);
	errno = se;
	return ready;
}

/* ---- nodes, descriptors ---- */

API int scif_get_nodeIDs(uint16_t *nodes, int len, uint16_t *self)
{
	int se = errno;
	if (fabric_ensure())
		return -1;
	if (!self || (len > 0 && !nodes))
		return fail(EFAULT);
	int n = 0;
	for (int node = 0; node < MAX_NODES; node++) {
		if (!node_online(node, -1))
			continue;
		if (n < len)
			nodes[n] = (uint16_t)node;
		n++;
	}
	*self = (uint16_t)fab.cfg.node;
	errno = se;
	return n;
}

API int scif_get_fd(scif_epd_t epd)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e) {
		if (errno == ENOTTY)
			errno = EINVAL;
		return -1;
	}
	if (!e->closed)
		pump_watch(e); /* not under ctl: the pump takes ctl under its own mutex */
	ep_put(e);
	errno = se;
	return epd;
}
