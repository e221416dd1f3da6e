/* Fences of a connected endpoint: marks are the submitted counters of conn-ID, waits watch
   the completed counters (and sleep on the endpoint's fence word), signals store a value
   after the RMAs before them (docs/shm-format.md). */
#include "rma_internal.h"

static int reached(uint32_t completed, uint32_t seq)
{
	return (int32_t)((completed - seq) << 1) >= 0;
}

int rma_fence_mark(struct rma *m, int flags, int *mark)
{
	if (m->loopback) {
		*mark = HOST_LOOPBACK_MARK;
		return 0;
	}
	if (flags == SCIF_FENCE_INIT_SELF)
		*mark = (int)cget32(m->c, side_off(m->side) + S_DMA_SUBMITTED);
	else
		*mark = (int)(cget32(m->c, side_off(1 - m->side) + S_DMA_SUBMITTED) | 0x80000000u);
	return 0;
}

int rma_await_completion(struct rma *m, int side, uint32_t seq, int64_t until)
{
	uint64_t counter = side_off(side) + S_DMA_COMPLETED;
	uint64_t fseq = endpoint_off(m->slot) + E_FENCE_SEQ, sleepers = endpoint_off(m->slot) + E_FENCE_SLEEPERS;
	for (unsigned i = 0;; i++) {
		if (reached(cget32(m->c, counter), seq))
			return 0;
		if (__atomic_load_n(&m->closed, __ATOMIC_SEQ_CST))
			return EINTR; /* the endpoint is being closed: rma_close waits for us to leave */
		if (ep_field(m->slot, E_STATE) != EP_CONNECTED)
			return ECONNRESET;
		int64_t left = until - now_ns();
		if (left <= 0)
			return ETIMEDOUT;
		if (i < 100) {
			sched_yield();
			continue;
		}
		add32(sleepers, 1);
		uint32_t seen = get32(fseq);
		sleeper_fence(); /* our count is visible before we read the counter again (see rma_complete_one) */
		if (!reached(cget32(m->c, counter), seq) && ep_field(m->slot, E_STATE) == EP_CONNECTED &&
		    !__atomic_load_n(&m->closed, __ATOMIC_SEQ_CST))
			futex_wait(w32(fseq), seen, left < 100000000 ? left : 100000000);
		add32(sleepers, -1);
	}
}

int rma_fence_wait(struct rma *m, int mark)
{
	if (m->loopback)
		return mark == HOST_LOOPBACK_MARK ? 0 : EINVAL;
	int side = mark < 0 ? 1 - m->side : m->side;
	pthread_mutex_lock(&m->mu);
	int err = rma_enter(m);
	pthread_mutex_unlock(&m->mu);
	if (err)
		return err;
	err = rma_await_completion(m, side, (uint32_t)mark & SEQ_MASK, now_ns() + fab.cfg.timeout_ms * 1000000LL);
	rma_leave(m);
	return err;
}

/* The address of 8 writable bytes at off, in one local (or peer) window, with a reference. */
static int signal_target(struct rma *m, int remote, int64_t off, struct xfer *x, uint8_t **at)
{
	uint8_t *a[MAX_PIECES];
	uint64_t l[MAX_PIECES];
	int n;
	/* the 8 bytes must lie in one window: ENXIO before any protection check */
	int err = rma_resolve(m, remote, off, 8, 2 | RMA_ONE_WINDOW, x, a, l, &n);
	if (!err)
		*at = a[0];
	return err;
}

int rma_fence_signal(struct rma *m, int64_t loff, uint64_t lval, int64_t roff, uint64_t rval, int flags)
{
	static __thread struct xfer x;
	uint8_t *la = NULL, *ra = NULL;
	int err = 0;
	x.nrefs = 0;
	pthread_mutex_lock(&m->mu);
	if ((err = rma_enter(m)) != 0) {
		pthread_mutex_unlock(&m->mu);
		return err;
	}
	if (flags & SCIF_SIGNAL_LOCAL)
		err = signal_target(m, 0, loff, &x, &la);
	if (!err && (flags & SCIF_SIGNAL_REMOTE))
		err = signal_target(m, 1, roff, &x, &ra);
	pthread_mutex_unlock(&m->mu);
	if (!err && !m->loopback && (flags & SCIF_FENCE_INIT_PEER)) {
		/* after the peer's RMAs submitted so far (a lost peer's never complete: no store) */
		uint32_t peer = cget32(m->c, side_off(1 - m->side) + S_DMA_SUBMITTED);
		err = rma_await_completion(m, 1 - m->side, peer, INT64_MAX);
		if (err == ECONNRESET)
			err = 0, la = ra = NULL;
	}
	if (!err) {
		if (la)
			__atomic_store_n((uint64_t *)la, lval, __ATOMIC_SEQ_CST);
		if (ra)
			__atomic_store_n((uint64_t *)ra, rval, __ATOMIC_SEQ_CST);
		if (!m->loopback)
			rma_complete_one(m);
	}
	rma_release_refs(m, &x);
	rma_leave(m);
	return err;
}
