/* Registered memory of a connected endpoint: the RMA state's life (new, close, free), the
   count of calls using it, and register/unregister into the window table of conn-ID
   (docs/shm-format.md). Transfers are rma_copy.c's, fences rma_fence.c's, mappings of peer
   windows rma_map.c's. Offsets chosen for registrations without MAP_FIXED are the Java
   side's: the highest free range below 2^63 - 4096. */
#include "rma_internal.h"
#include "memory.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct rma *rma_new(struct conn *c, int slot, int peer_slot, int loopback, int owner_pid)
{
	struct rma *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->idle, NULL);
	m->c = c;
	m->slot = slot;
	m->peer_slot = peer_slot;
	m->side = c->side;
	m->loopback = loopback;
	m->owner_pid = owner_pid;
	return m;
}

int rma_enter(struct rma *m)
{
	if (__atomic_load_n(&m->closed, __ATOMIC_SEQ_CST))
		return EBADF;
	__atomic_add_fetch(&m->active, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* The decrement and the closer's store of closed are both sequentially consistent: either the closer sees the call
   still in (and waits for this wake-up), or this sees closed (and wakes it). */
void rma_leave(struct rma *m)
{
	if (__atomic_sub_fetch(&m->active, 1, __ATOMIC_SEQ_CST) == 0 && __atomic_load_n(&m->closed, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&m->mu);
		pthread_cond_broadcast(&m->idle);
		pthread_mutex_unlock(&m->mu);
	}
}

static void bump_version(struct rma *m)
{
	cadd32(m->c, side_off(m->side) + S_RAS_VERSION, 1);
}

/* pinned: the endpoint closes while the peer maps the window (mem_release_pinned) */
static void free_window(struct rma *m, int k, int pinned)
{
	struct lwin *w = &m->w[k];
	cput32(m->c, entry_off(m, m->side, w->entry) + 0, 0); /* W_STATE free */
	m->used[w->entry] = 0;
	if (pinned)
		mem_release_pinned(w->range);
	else
		mem_release(w->range);
	memmove(&m->w[k], &m->w[k + 1], sizeof m->w[0] * (size_t)(m->nw - k - 1));
	m->nw--;
}

/* Whether a copier record of the peer's side names our entry (docs/shm-format.md, "Copier
   records": the peer's threads that copy during their call announce the entry there instead
   of taking an RMA reference). */
static int copying(struct rma *m, int entry)
{
	uint64_t records = copiers_off(1 - m->side, m->c->R);
	for (int i = 0; i < COPIERS; i++)
		if ((uint32_t)__atomic_load_n(cw64(m->c, records + (uint64_t)i * COPIER_RECORD), __ATOMIC_ACQUIRE)
		    == (uint32_t)entry + 1)
			return 1;
	return 0;
}

/* Whether the peer can still end its copies: at unregister (peer_slot -1) while our endpoint is
   connected, at close while the peer's slot still uses our connection (reaping a dead peer
   disconnects us, or frees its slot). */
static int peer_can_release(struct rma *m, int peer_slot)
{
	if (peer_slot < 0)
		return ep_field(m->slot, E_STATE) == EP_CONNECTED;
	return ((uint64_t)ep_field(peer_slot, E_CONN_HI) << 32 | ep_field(peer_slot, E_CONN_LO)) == m->c->id;
}

/* Waits until no copier record of the peer's side names our entry: each one seen naming it
   until its word changes (that copy ended; a new copy counts too, so a copier looping on the
   entry cannot starve us), while the peer can end its copies and until deadline. The caller
   marked the entry unregistered (state 2), then ran sleeper_fence (membarrier).
   Invariant: a copier stores its record, then reads the state, and copies only if active.
   The membarrier makes each of the peer's threads pass a full barrier at some point: a record
   stored before it is visible to this scan, which waits for it; a record stored after it is
   followed by a read of the state that sees our mark (stored before the membarrier), so that
   copier copies nothing. A copier that died mid-copy leaves its record; its death disconnects
   us (reaping), which ends the wait. Returns whether every such record was seen to change. */
static int await_no_copiers(struct rma *m, int entry, int peer_slot, int64_t deadline)
{
	uint64_t records = copiers_off(1 - m->side, m->c->R);
	for (int i = 0; i < COPIERS; i++) {
		volatile uint64_t *rec = cw64(m->c, records + (uint64_t)i * COPIER_RECORD);
		uint64_t word = __atomic_load_n(rec, __ATOMIC_ACQUIRE);
		if ((uint32_t)word != (uint32_t)entry + 1)
			continue;
		while (__atomic_load_n(rec, __ATOMIC_ACQUIRE) == word) {
			if (!peer_can_release(m, peer_slot) || now_ns() >= deadline)
				return 0;
			sched_yield();
		}
	}
	return 1;
}

/* No mapping references the window, nor any RMA that may copy. A drained window's RMA
   references (and copier records) are transient: every holder takes its reference before it re-reads the state,
   so one taken after the state became unregistered fails at once and copies nothing. Reading
   the count again for a drained window would let such a holder, descheduled for a moment,
   keep the window's range reserved (EADDRINUSE for a MAP_FIXED register of it). The count is
   never reset (rma_register), so those late releases cannot skew the entry's next window. */
static int unreferenced(struct rma *m, struct lwin *w)
{
	uint64_t e = entry_off(m, m->side, w->entry);
	return cget32(m->c, e + W_MAP_REFS) == 0
	       && (w->drained || (cget32(m->c, e + W_RMA_REFS) == 0 && !copying(m, w->entry)));
}

/* Frees unregistered windows nobody references any more. */
static void reclaim(struct rma *m)
{
	for (int k = 0; k < m->nw;)
		if (m->w[k].unregistered && unreferenced(m, &m->w[k]))
			free_window(m, k, 0);
		else
			k++;
}

/* The highest free range of len bytes ending at or below TOP; -1 if none. A MAP_FIXED window
   may lie above TOP (up to 2^63): it leaves no gap there. */
static int64_t highest_free(struct rma *m, uint64_t len)
{
	int64_t gap_last = TOP;
	for (int k = m->nw - 1; k >= 0; k--) {
		int64_t last = last_byte(m->w[k].off, m->w[k].len);
		if (last < gap_last && (uint64_t)(gap_last - last) >= len)
			return gap_last - (int64_t)len + 1;
		if (m->w[k].off - 1 < gap_last)
			gap_last = m->w[k].off - 1;
	}
	return gap_last >= 0 && len - 1 <= (uint64_t)gap_last ? gap_last - (int64_t)(len - 1) : -1;
}

static int overlapping(struct rma *m, int64_t off, uint64_t len)
{
	int64_t last = last_byte(off, len);
	for (int k = 0; k < m->nw; k++)
		if (m->w[k].off <= last && off <= last_byte(m->w[k].off, m->w[k].len))
			return 1;
	return 0;
}

int64_t rma_register(struct rma *m, void *addr, size_t len, int64_t off, int prot, int fixed, int *err)
{
	pthread_mutex_lock(&m->mu);
	reclaim(m);
	int64_t at = -1;
	*err = 0;
	if (m->closed) {
		*err = EBADF;
	} else if (m->owner_pid != fab.self) {
		logmsg("scif_register: EFAULT, a fork()ed child cannot register memory into an endpoint it"
		       " inherited (its registered address space is kept by the process that opened it);"
		       " open an endpoint of its own");
		*err = EFAULT;
	} else if (fixed) {
		if (overlapping(m, off, len))
			*err = EADDRINUSE;
		at = off;
	} else if ((at = highest_free(m, len)) < 0) {
		*err = ENOMEM;
	}
	int entry = 0;
	while (!*err && entry < MAX_WINDOWS && m->used[entry])
		entry++;
	if (!*err && entry == MAX_WINDOWS)
		*err = ENOMEM;
	struct range *r = *err ? NULL : mem_pin(addr, len, (prot & SCIF_PROT_WRITE) != 0, err);
	if (!r) {
		pthread_mutex_unlock(&m->mu);
		return -1;
	}
	m->used[entry] = 1;
	uint64_t e = entry_off(m, m->side, entry);
	uint32_t gen = cadd32(m->c, e + 48, 1);
	cput32(m->c, e + 4, (uint32_t)prot);
	__atomic_store_n(cw64(m->c, e + 8), (uint64_t)at, __ATOMIC_SEQ_CST);
	__atomic_store_n(cw64(m->c, e + 16), (uint64_t)len, __ATOMIC_SEQ_CST);
	cput32(m->c, e + 24, (uint32_t)r->pid);
	cput32(m->c, e + 28, r->seq);
	__atomic_store_n(cw64(m->c, e + 32), r->foff + (uint64_t)((uint8_t *)addr - (uint8_t *)r->addr), __ATOMIC_SEQ_CST);
	cput32(m->c, e + 44, 0);
	cput32(m->c, e + 0, 1); /* last: the peer reads the fields after seeing it active */
	int k = m->nw;
	while (k > 0 && m->w[k - 1].off > at)
		k--;
	memmove(&m->w[k + 1], &m->w[k], sizeof m->w[0] * (size_t)(m->nw - k));
	m->w[k] = (struct lwin){at, len, prot, addr, r, entry, gen, 0, 0, NULL};
	m->nw++;
	bump_version(m);
	pthread_mutex_unlock(&m->mu);
	return at;
}

int rma_unregister(struct rma *m, int64_t off, uint64_t len)
{
	pthread_mutex_lock(&m->mu);
	if (m->closed || m->owner_pid != fab.self) {
		if (!m->closed)
			logmsg("scif_unregister: ENXIO, a fork()ed child cannot unregister the windows of an"
			       " endpoint it inherited: the process that opened it registered them");
		pthread_mutex_unlock(&m->mu);
		return m->closed ? EBADF : ENXIO;
	}
	/* covered: the last byte of the run so far (last bytes, as the range may end at 2^63) */
	int64_t last = last_byte(off, len), covered = off - 1;
	int first = -1, count = 0;
	for (int k = 0; k < m->nw; k++) {
		struct lwin *w = &m->w[k];
		int64_t wl = last_byte(w->off, w->len);
		if (w->unregistered || wl < off || w->off > last)
			continue;
		if (w->off < off || wl > last) {
			pthread_mutex_unlock(&m->mu);
			return EINVAL; /* cuts a window */
		}
		if (w->off - 1 != covered)
			break;
		if (first < 0)
			first = k;
		count++;
		covered = wl;
	}
	if (first < 0 || covered != last) {
		pthread_mutex_unlock(&m->mu);
		return ENXIO;
	}
	for (int k = first; k < first + count; k++) {
		struct lwin *w = &m->w[k];
		if (w->unregistered)
			continue;
		w->unregistered = 1;
		uint64_t e = entry_off(m, m->side, w->entry);
		cput32(m->c, e + 0, 2); /* unregistered: still mapped by the peer, maybe */
		int64_t deadline = now_ns() + 10000000000LL;
		sleeper_fence(); /* the peer's copier records: see await_no_copiers */
		w->drained = await_no_copiers(m, w->entry, -1, deadline);
		/* One zero reading decides (see unreferenced): never read the count twice. */
		while (w->drained && !(w->drained = cget32(m->c, e + W_RMA_REFS) == 0) && peer_can_release(m, -1)
		       && now_ns() < deadline)
			sched_yield();
	}
	reclaim(m);
	bump_version(m);
	pthread_mutex_unlock(&m->mu);
	return 0;
}

/* At close, while the endpoint's slot is still its own (endpoint.c frees it only after):
   fence waiters wake and end with EINTR, copies and signals in progress end, and later calls
   fail with EBADF; then every window goes (after the peer's RMAs in flight on them end). Once
   this returns, no thread reads or wakes m->slot; the peer windows copied into stay mapped
   until rma_free. */
void rma_close(struct rma *m)
{
	pthread_mutex_lock(&m->mu);
	__atomic_store_n(&m->closed, 1, __ATOMIC_SEQ_CST);
	wake_fence(m->slot); /* a fence waiter announced itself, or sees closed before it sleeps */
	while (__atomic_load_n(&m->active, __ATOMIC_SEQ_CST) > 0)
		pthread_cond_wait(&m->idle, &m->mu);
	for (int k = 0; k < m->nw; k++)
		if (!m->w[k].unregistered) {
			m->w[k].unregistered = 1;
			cput32(m->c, entry_off(m, m->side, m->w[k].entry) + 0, 2);
		}
	int64_t deadline = now_ns() + fab.cfg.timeout_ms * 1000000LL;
	sleeper_fence(); /* unregistered first, copier records read after the barrier */
	for (int k = 0; k < m->nw; k++) {
		await_no_copiers(m, m->w[k].entry, m->peer_slot, deadline);
		while (cget32(m->c, entry_off(m, m->side, m->w[k].entry) + W_RMA_REFS) > 0 && now_ns() < deadline)
			sched_yield();
	}
	/* closing does not unmap the peer's mappings (SCIF): a window it still maps stays pinned */
	while (m->nw > 0)
		free_window(m, m->nw - 1, cget32(m->c, entry_off(m, m->side, m->w[m->nw - 1].entry) + W_MAP_REFS) > 0);
	bump_version(m);
	pthread_mutex_unlock(&m->mu);
}

/* When the endpoint's last reference goes (no call can be using m any more): the peer's
   windows are unmapped and m is freed. */
void rma_free(struct rma *m)
{
	for (int k = 0; k < m->nw; k++) /* windows left: a child's view of its parent's */
		if (m->w[k].inherited_map)
			munmap(m->w[k].inherited_map, m->w[k].len);
	for (int i = 0; i < MAX_WINDOWS; i++)
		if (m->r[i].map)
			munmap(m->r[i].map, m->r[i].len);
	pthread_cond_destroy(&m->idle);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
