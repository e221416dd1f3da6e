/* What the rma*.c files share (rma.h is the rest of the library's view): the per-endpoint
   RMA state, the window entry accessors of conn-ID (docs/shm-format.md, the window table),
   and the calls that count an RMA call in and out and resolve ranges into pieces. */
#ifndef LIBSCIF_RMA_INTERNAL_H
#define LIBSCIF_RMA_INTERNAL_H
#include "rma.h"

#define SEQ_MASK 0x7fffffff
#define HOST_LOOPBACK_MARK 0xdead
#define TOP (INT64_MAX - PAGE) /* the highest offset an automatically placed window covers */

/* Ranges are handled by their first and last bytes: a MAP_FIXED window may end exactly at
   2^63, one past INT64_MAX, so its end does not fit an int64_t (len > 0). */
static inline int64_t last_byte(int64_t off, uint64_t len)
{
	return off + (int64_t)(len - 1);
}
/* Whether [off, off+len) holds pos; false for a negative off (a peer's entry is not trusted). */
static inline int covers(int64_t off, uint64_t len, int64_t pos)
{
	return off >= 0 && off <= pos && (uint64_t)(pos - off) < len;
}

struct lwin {
	int64_t off;
	uint64_t len;
	int prot;
	uint8_t *addr;
	struct range *range;
	int entry;
	uint32_t gen;
	int unregistered;
	int drained; /* unregister saw its RMA references at zero: any taken since are transient */
	uint8_t *inherited_map; /* a fork()ed child's mapping of the window's memory file */
};

struct rwin { /* a peer window mapped into this process for RMA */
	uint32_t gen;
	int64_t off;
	uint64_t len;
	int prot;
	uint8_t *map;
};

struct rma {
	pthread_mutex_t mu; /* guards what follows; lock order: an endpoint's ctl, then mu, then memory.c's */
	int closed;         /* set by rma_close (atomic): calls that begin later fail with EBADF */
	/* Calls that use m outside mu (copies, fence waits and signals: they read and wake the
	   endpoint's slot): counted in under mu while not closed, counted out atomically; rma_close
	   waits on idle until none is left, so that no call touches the slot once it is freed. */
	int active;
	pthread_cond_t idle;
	int owner_pid;      /* the process that opened the endpoint; a fork()ed child inherits m */
	struct conn *c;
	int slot, peer_slot, side, loopback;
	struct lwin w[MAX_WINDOWS]; /* sorted by offset, nw of them */
	int nw;
	uint8_t used[MAX_WINDOWS];
	struct rwin r[MAX_WINDOWS];
};

static inline volatile uint32_t *cw32(struct conn *c, uint64_t off)
{
	return (volatile uint32_t *)(c->base + off);
}
static inline volatile uint64_t *cw64(struct conn *c, uint64_t off)
{
	return (volatile uint64_t *)(c->base + off);
}
static inline uint32_t cget32(struct conn *c, uint64_t off)
{
	return __atomic_load_n(cw32(c, off), __ATOMIC_ACQUIRE);
}
static inline void cput32(struct conn *c, uint64_t off, uint32_t v)
{
	__atomic_store_n(cw32(c, off), v, __ATOMIC_SEQ_CST);
}
static inline uint32_t cadd32(struct conn *c, uint64_t off, int d)
{
	return __atomic_add_fetch(cw32(c, off), (uint32_t)d, __ATOMIC_SEQ_CST);
}
static inline uint64_t entry_off(struct rma *m, int side, int i)
{
	return window_table_off(side, m->c->R) + (uint64_t)i * WINDOW_ENTRY;
}

#define MAX_PIECES 64
struct xfer {
	int n;
	uint8_t *local[MAX_PIECES], *remote[MAX_PIECES];
	uint64_t len[MAX_PIECES];
	int nrefs;
	uint64_t refs[2 * MAX_PIECES]; /* window entries whose RMA references we hold */
};

/* Under mu: EBADF once closed, else the call is counted in (rma_leave counts it out). */
int rma_enter(struct rma *m);
/* Counts a call out; the last one out after rma_close began wakes it. */
void rma_leave(struct rma *m);
/* Drops the RMA references x holds. */
void rma_release_refs(struct rma *m, struct xfer *x);
/* rma_resolve's need: the range must lie in a single window, else ENXIO whatever the windows'
   protection (a fence signal's 8 bytes: SCIF checks that before the protection). */
#define RMA_ONE_WINDOW 4
/* Under mu: [off, off+len) of our (remote: the peer's) windows as pieces with access need
   (1 read, 2 write, maybe | RMA_ONE_WINDOW), each window referenced in x; 0, ENXIO, EPERM or
   ENOMEM (too many pieces). */
int rma_resolve(struct rma *m, int remote, int64_t off, uint64_t len, int need, struct xfer *x,
		uint8_t **addrs, uint64_t *lens, int *n);
/* Waits until side's completed counter reaches seq (31-bit sequence numbers): 0, EINTR once
   the endpoint is being closed, ECONNRESET once it is not connected, ETIMEDOUT at the
   CLOCK_MONOTONIC time until (ns). A few yields, then sleeps on the endpoint's fence word, which
   rma_complete_one bumps and wakes when sleepers are counted. Between rma_enter and rma_leave. */
int rma_await_completion(struct rma *m, int side, uint32_t seq, int64_t until);
/* One operation done: both counters move on, fence waiters on either side wake. */
void rma_complete_one(struct rma *m);
#endif
