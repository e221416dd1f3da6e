/* Registered memory, RMA, fences and mappings of a connected endpoint (docs/shm-format.md,
   the window table of conn-ID and its protocol). Every RMA of this library is a CPU copy
   done before the call returns: a side's "submitted" and "completed" counters move
   together, so a fence on our operations never waits, and the peer's INIT_PEER fences see
   them complete. Offsets chosen for registrations without MAP_FIXED are the Java side's:
   the highest free range below 2^63 - 4096. */
#include "rma.h"
#include "files.h"
#include "memory.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define SEQ_MASK 0x7fffffff
#define HOST_LOOPBACK_MARK 0xdead
#define TOP (INT64_MAX - PAGE) /* the highest offset a window may cover */

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
static uint64_t entry_off(struct rma *m, int side, int i)
{
	return window_table_off(side, m->c->R) + (uint64_t)i * WINDOW_ENTRY;
}

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

/* Under mu: EBADF once closed, else the call is counted in (leave() counts it out). */
static int enter(struct rma *m)
{
	if (__atomic_load_n(&m->closed, __ATOMIC_SEQ_CST))
		return EBADF;
	__atomic_add_fetch(&m->active, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* Counts a call out; the last one out after rma_close began wakes it. The decrement and the
   closer's store of closed are both sequentially consistent: either the closer sees the call
   still in (and waits for this wake-up), or this sees closed (and wakes it). */
static void leave(struct rma *m)
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

static void free_window(struct rma *m, int k)
{
	struct lwin *w = &m->w[k];
	cput32(m->c, entry_off(m, m->side, w->entry) + 0, 0); /* W_STATE free */
	m->used[w->entry] = 0;
	mem_release(w->range);
	memmove(&m->w[k], &m->w[k + 1], sizeof m->w[0] * (size_t)(m->nw - k - 1));
	m->nw--;
}

/* No mapping references the window, nor any RMA that may copy. A drained window's RMA
   references are transient: every holder takes its reference before it re-reads the state,
   so one taken after the state became unregistered fails at once and copies nothing. Reading
   the count again for a drained window would let such a holder, descheduled for a moment,
   keep the window's range reserved (EADDRINUSE for a MAP_FIXED register of it). The count is
   never reset (rma_register), so those late releases cannot skew the entry's next window. */
static int unreferenced(struct rma *m, struct lwin *w)
{
	uint64_t e = entry_off(m, m->side, w->entry);
	return cget32(m->c, e + 44) == 0 && (w->drained || cget32(m->c, e + 40) == 0); /* map refs, RMA refs */
}

/* Frees unregistered windows nobody references any more. */
static void reclaim(struct rma *m)
{
	for (int k = 0; k < m->nw;)
		if (m->w[k].unregistered && unreferenced(m, &m->w[k]))
			free_window(m, k);
		else
			k++;
}

static int64_t highest_free(struct rma *m, uint64_t len)
{
	int64_t gap_last = TOP;
	for (int k = m->nw - 1; k >= 0; k--) {
		int64_t last = m->w[k].off + (int64_t)m->w[k].len - 1;
		if ((uint64_t)(gap_last - last) >= len)
			return gap_last - (int64_t)len + 1;
		if (m->w[k].off - 1 < gap_last)
			gap_last = m->w[k].off - 1;
	}
	return gap_last >= (int64_t)len - 1 ? gap_last - (int64_t)len + 1 : -1;
}

static int overlapping(struct rma *m, int64_t off, uint64_t len)
{
	for (int k = 0; k < m->nw; k++)
		if (m->w[k].off < off + (int64_t)len && off < m->w[k].off + (int64_t)m->w[k].len)
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
	int64_t last = off + (int64_t)len - 1, next = off;
	int first = -1, count = 0;
	for (int k = 0; k < m->nw; k++) {
		struct lwin *w = &m->w[k];
		int64_t wl = w->off + (int64_t)w->len - 1;
		if (w->unregistered || wl < off || w->off > last)
			continue;
		if (w->off < off || wl > last) {
			pthread_mutex_unlock(&m->mu);
			return EINVAL; /* cuts a window */
		}
		if (w->off != next)
			break;
		if (first < 0)
			first = k;
		count++;
		next = wl + 1;
	}
	if (first < 0 || next != off + (int64_t)len) {
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
		/* One zero reading decides (see unreferenced): never read the count twice. */
		while (!(w->drained = cget32(m->c, e + 40) == 0) && ep_field(m->slot, E_STATE) == EP_CONNECTED
		       && now_ns() < deadline)
			sched_yield();
	}
	reclaim(m);
	bump_version(m);
	pthread_mutex_unlock(&m->mu);
	return 0;
}

/* ---- resolving ranges into pieces ---- */

#define MAX_PIECES 64
struct xfer {
	int n;
	uint8_t *local[MAX_PIECES], *remote[MAX_PIECES];
	uint64_t len[MAX_PIECES];
	int nrefs;
	uint64_t refs[2 * MAX_PIECES]; /* window entries whose RMA references we hold */
};

static void release_refs(struct rma *m, struct xfer *x)
{
	for (int i = 0; i < x->nrefs; i++)
		cadd32(m->c, x->refs[i] + 40, -1);
	x->nrefs = 0;
}

/* Maps [foff, foff+len) of mem-PID-SEQ (read-write if the file allows, else read-only) after
   checking that it is a regular file of this user that holds the range; NULL if not. */
static uint8_t *map_memory_file(int pid, uint32_t seq, uint64_t foff, uint64_t len)
{
	char p[FILES_PATH_MAX];
	snprintf(p, sizeof p, "%s/mem-%d-%u", fab.cfg.fabric_dir, pid, seq);
	int fd = open(p, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == EACCES)
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || foff + len > (uint64_t)st.st_size) {
		close(fd);
		return NULL;
	}
	int mprot = (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR ? PROT_READ | PROT_WRITE : PROT_READ;
	void *a = mmap(NULL, len, mprot, MAP_SHARED, fd, (off_t)foff);
	close(fd);
	return a == MAP_FAILED ? NULL : a;
}

/* The memory of one of our windows. The process that registered it reaches it at its address;
   a fork()ed child, whose memory there is its own copy (or nothing, MADV_DONTFORK), through
   the window's memory file: the window keeps the parent's pages, as SCIF's pinned pages. */
static uint8_t *own_window(struct rma *m, struct lwin *w)
{
	if (m->owner_pid == fab.self)
		return w->addr;
	if (!w->inherited_map) {
		uint64_t e = entry_off(m, m->side, w->entry);
		w->inherited_map = map_memory_file((int)cget32(m->c, e + 24), cget32(m->c, e + 28),
						   __atomic_load_n(cw64(m->c, e + 32), __ATOMIC_ACQUIRE), w->len);
	}
	return w->inherited_map;
}

/* Local windows covering [off, off+len): fills addresses into out[], at most MAX_PIECES. */
static int resolve_local(struct rma *m, int64_t off, uint64_t len, int need, struct xfer *x,
			 uint8_t **addrs, uint64_t *lens, int *n)
{
	int64_t pos = off;
	uint64_t left = len;
	*n = 0;
	if (off < 0)
		return ENXIO;
	while (left > 0) {
		struct lwin *w = NULL;
		for (int k = 0; k < m->nw; k++)
			if (!m->w[k].unregistered && m->w[k].off <= pos && pos < m->w[k].off + (int64_t)m->w[k].len)
				w = &m->w[k];
		if (!w)
			return ENXIO;
		if ((w->prot & need) != need)
			return EPERM;
		if (*n == MAX_PIECES)
			return ENOMEM;
		uint64_t e = entry_off(m, m->side, w->entry);
		cadd32(m->c, e + 40, 1);
		x->refs[x->nrefs++] = e;
		if (cget32(m->c, e + 0) != 1 || cget32(m->c, e + 48) != w->gen)
			return ENXIO;
		uint64_t take = (uint64_t)(w->off + (int64_t)w->len - pos);
		if (take > left)
			take = left;
		uint8_t *base = own_window(m, w);
		if (!base)
			return ENXIO;
		addrs[*n] = base + (pos - w->off);
		lens[(*n)++] = take;
		pos += (int64_t)take;
		left -= take;
	}
	return 0;
}

/* Reads peer entry i seqlock-style and maps it if not yet; NULL if not an active window. */
static struct rwin *peer_window(struct rma *m, int i)
{
	uint64_t e = entry_off(m, 1 - m->side, i);
	for (;;) {
		if (cget32(m->c, e + 0) != 1)
			return NULL;
		uint32_t gen = cget32(m->c, e + 48);
		struct rwin *r = &m->r[i];
		if (r->map && r->gen == gen)
			return r;
		int64_t off = (int64_t)__atomic_load_n(cw64(m->c, e + 8), __ATOMIC_ACQUIRE);
		uint64_t len = __atomic_load_n(cw64(m->c, e + 16), __ATOMIC_ACQUIRE);
		int prot = (int)cget32(m->c, e + 4);
		int pid = (int)cget32(m->c, e + 24);
		uint32_t seq = cget32(m->c, e + 28);
		uint64_t foff = __atomic_load_n(cw64(m->c, e + 32), __ATOMIC_ACQUIRE);
		if (cget32(m->c, e + 48) != gen || cget32(m->c, e + 0) != 1)
			continue;
		if (r->map) {
			munmap(r->map, r->len);
			r->map = NULL;
		}
		if (off < 0 || off % PAGE || !len || len % PAGE || foff % PAGE || len > (uint64_t)INT64_MAX)
			return NULL;
		uint8_t *a = map_memory_file(pid, seq, foff, len);
		if (!a)
			return NULL;
		*r = (struct rwin){gen, off, len, prot, a};
		return r;
	}
}

static int resolve_remote(struct rma *m, int64_t off, uint64_t len, int need, struct xfer *x,
			  uint8_t **addrs, uint64_t *lens, int *n)
{
	int64_t pos = off;
	uint64_t left = len;
	*n = 0;
	if (off < 0)
		return ENXIO;
	while (left > 0) {
		struct rwin *w = NULL;
		int idx = -1;
		for (int i = 0; i < MAX_WINDOWS && !w; i++) {
			uint64_t e = entry_off(m, 1 - m->side, i);
			if (cget32(m->c, e + 0) != 1)
				continue;
			int64_t o = (int64_t)__atomic_load_n(cw64(m->c, e + 8), __ATOMIC_ACQUIRE);
			uint64_t l = __atomic_load_n(cw64(m->c, e + 16), __ATOMIC_ACQUIRE);
			if (o <= pos && pos < o + (int64_t)l) {
				w = peer_window(m, i);
				idx = i;
				if (w && !(w->off <= pos && pos < w->off + (int64_t)w->len))
					w = NULL;
			}
		}
		if (!w)
			return ENXIO;
		if ((w->prot & need) != need)
			return EPERM;
		if (*n == MAX_PIECES)
			return ENOMEM;
		uint64_t e = entry_off(m, 1 - m->side, idx);
		cadd32(m->c, e + 40, 1);
		x->refs[x->nrefs++] = e;
		if (cget32(m->c, e + 0) != 1 || cget32(m->c, e + 48) != w->gen)
			return ENXIO;
		uint64_t take = (uint64_t)(w->off + (int64_t)w->len - pos);
		if (take > left)
			take = left;
		addrs[*n] = w->map + (pos - w->off);
		lens[(*n)++] = take;
		pos += (int64_t)take;
		left -= take;
	}
	return 0;
}

/* One operation done: both counters move on, fence waiters on either side wake. The stores
   are release stores, as a ring's (docs/shm-format.md): the copy's bytes are visible before
   the counter, and the sleeper's fence of a fence waiter orders our read of its "sleepers"
   after the counter (a full fence here cost large copies several percent: it waits for
   every store of the copy to drain). */
static void complete_one(struct rma *m)
{
	uint64_t s = side_off(m->side);
	uint32_t seq = (cget32(m->c, s + S_DMA_SUBMITTED) + 1) & SEQ_MASK;
	__atomic_store_n(cw32(m->c, s + S_DMA_SUBMITTED), seq, __ATOMIC_RELEASE);
	__atomic_store_n(cw32(m->c, s + S_DMA_COMPLETED), seq, __ATOMIC_RELEASE);
	wake_fence(m->slot);
	wake_fence(m->peer_slot);
}

int rma_copy(struct rma *m, int to_remote, int64_t loff, void *vaddr, uint64_t len, int64_t roff)
{
	static __thread struct xfer x;
	static __thread uint8_t *la[MAX_PIECES], *ra[MAX_PIECES];
	static __thread uint64_t ll[MAX_PIECES], rl[MAX_PIECES];
	int nl = 0, nr = 0, err = 0;
	x.nrefs = 0;
	pthread_mutex_lock(&m->mu);
	if ((err = enter(m)) != 0) {
		pthread_mutex_unlock(&m->mu);
		return err;
	} else if (vaddr) {
		la[0] = vaddr;
		ll[0] = len;
		nl = 1;
	} else {
		err = resolve_local(m, loff, len, to_remote ? 1 : 2, &x, la, ll, &nl);
	}
	if (!err)
		err = resolve_remote(m, roff, len, to_remote ? 2 : 1, &x, ra, rl, &nr);
	pthread_mutex_unlock(&m->mu);
	if (!err) {
		/* walk both piece lists together */
		int i = 0, j = 0;
		uint64_t io = 0, jo = 0;
		while (i < nl && j < nr) {
			uint64_t n = ll[i] - io < rl[j] - jo ? ll[i] - io : rl[j] - jo;
			if (to_remote)
				memcpy(ra[j] + jo, la[i] + io, n);
			else
				memcpy(la[i] + io, ra[j] + jo, n);
			io += n;
			jo += n;
			if (io == ll[i])
				i++, io = 0;
			if (jo == rl[j])
				j++, jo = 0;
		}
		complete_one(m);
	}
	release_refs(m, &x);
	leave(m);
	return err;
}

/* ---- fences ---- */

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

static int await_completion(struct rma *m, int side, uint32_t seq, int64_t timeout_ns)
{
	uint64_t counter = side_off(side) + S_DMA_COMPLETED;
	int64_t deadline = now_ns() + timeout_ns;
	uint64_t fseq = endpoint_off(m->slot) + E_FENCE_SEQ, sleepers = endpoint_off(m->slot) + E_FENCE_SLEEPERS;
	for (unsigned i = 0;; i++) {
		if (reached(cget32(m->c, counter), seq))
			return 0;
		if (__atomic_load_n(&m->closed, __ATOMIC_SEQ_CST))
			return EINTR; /* the endpoint is being closed: rma_close waits for us to leave */
		if (ep_field(m->slot, E_STATE) != EP_CONNECTED)
			return ECONNRESET;
		if (now_ns() >= deadline)
			return ETIMEDOUT;
		if (i < 100) {
			sched_yield();
			continue;
		}
		add32(sleepers, 1);
		uint32_t seen = get32(fseq);
		sleeper_fence();
		if (!reached(cget32(m->c, counter), seq) && ep_field(m->slot, E_STATE) == EP_CONNECTED &&
		    !__atomic_load_n(&m->closed, __ATOMIC_SEQ_CST))
			futex_wait(w32(fseq), seen, 100000000);
		add32(sleepers, -1);
	}
}

int rma_fence_wait(struct rma *m, int mark)
{
	if (m->loopback)
		return mark == HOST_LOOPBACK_MARK ? 0 : EINVAL;
	int side = mark < 0 ? 1 - m->side : m->side;
	pthread_mutex_lock(&m->mu);
	int err = enter(m);
	pthread_mutex_unlock(&m->mu);
	if (err)
		return err;
	err = await_completion(m, side, (uint32_t)mark & SEQ_MASK, fab.cfg.timeout_ms * 1000000LL);
	leave(m);
	return err;
}

/* The address of 8 writable bytes at off, in one local (or peer) window, with a reference. */
static int signal_target(struct rma *m, int remote, int64_t off, struct xfer *x, uint8_t **at)
{
	uint8_t *a[MAX_PIECES];
	uint64_t l[MAX_PIECES];
	int n;
	int err = remote ? resolve_remote(m, off, 8, 2, x, a, l, &n) : resolve_local(m, off, 8, 2, x, a, l, &n);
	if (err)
		return err;
	if (n != 1)
		return ENXIO; /* the 8 bytes must lie in one window */
	*at = a[0];
	return 0;
}

int rma_fence_signal(struct rma *m, int64_t loff, uint64_t lval, int64_t roff, uint64_t rval, int flags)
{
	static __thread struct xfer x;
	uint8_t *la = NULL, *ra = NULL;
	int err = 0;
	x.nrefs = 0;
	pthread_mutex_lock(&m->mu);
	if ((err = enter(m)) != 0) {
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
		err = await_completion(m, 1 - m->side, peer, INT64_MAX / 2);
		if (err == ECONNRESET)
			err = 0, la = ra = NULL;
	}
	if (!err) {
		if (la)
			__atomic_store_n((uint64_t *)la, lval, __ATOMIC_SEQ_CST);
		if (ra)
			__atomic_store_n((uint64_t *)ra, rval, __ATOMIC_SEQ_CST);
		if (!m->loopback)
			complete_one(m);
	}
	release_refs(m, &x);
	leave(m);
	return err;
}

/* ---- mappings of peer windows ---- */

struct mapping {
	struct mapping *next;
	uint8_t *addr;
	size_t len;
	struct conn *c; /* kept mapped while the mapping holds map references */
	int n;
	uint64_t entries[MAX_PIECES];
};
static struct mapping *mappings;
static pthread_mutex_t maps_mu = PTHREAD_MUTEX_INITIALIZER;

void *rma_mmap(struct rma *m, void *addr, size_t len, int prot, int fixed, int64_t off, int *err)
{
	pthread_mutex_lock(&m->mu);
	struct xfer x = {0};
	uint8_t *a[MAX_PIECES];
	uint64_t l[MAX_PIECES];
	int n;
	int need = (prot & SCIF_PROT_READ ? 1 : 0) | (prot & SCIF_PROT_WRITE ? 2 : 0);
	*err = m->closed ? EBADF : resolve_remote(m, off, len, need, &x, a, l, &n);
	struct mapping *mp = *err ? NULL : calloc(1, sizeof *mp);
	if (!*err && !mp)
		*err = ENOMEM;
	void *base = MAP_FAILED;
	if (!*err) {
		base = mmap(fixed ? addr : NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED : 0),
			    -1, 0);
		if (base == MAP_FAILED)
			*err = ENOMEM;
	}
	/* each piece: the peer's memory file itself, mapped shared at its place */
	uint8_t *at = base;
	for (int i = 0; !*err && i < n; i++) {
		int idx = (int)((x.refs[i] - entry_off(m, 1 - m->side, 0)) / WINDOW_ENTRY);
		uint64_t e = x.refs[i];
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/mem-%u-%u", fab.cfg.fabric_dir, cget32(m->c, e + 24), cget32(m->c, e + 28));
		int fd = open(p, (prot & SCIF_PROT_WRITE) ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
		uint64_t foff = __atomic_load_n(cw64(m->c, e + 32), __ATOMIC_ACQUIRE) + (uint64_t)(a[i] - m->r[idx].map);
		int mprot = (prot & SCIF_PROT_READ ? PROT_READ : 0) | (prot & SCIF_PROT_WRITE ? PROT_WRITE : 0);
		if (fd < 0 || mmap(at, l[i], mprot ? mprot : PROT_READ, MAP_SHARED | MAP_FIXED, fd, (off_t)foff) == MAP_FAILED)
			*err = EPERM;
		if (fd >= 0)
			close(fd);
		at += l[i];
	}
	if (!*err) {
		for (int i = 0; i < n; i++) {
			cadd32(m->c, x.refs[i] + 44, 1);
			mp->entries[i] = x.refs[i];
		}
		mp->n = n;
		mp->addr = base;
		mp->len = len;
		mp->c = m->c;
		pthread_mutex_lock(&maps_mu);
		mp->next = mappings;
		mappings = mp;
		pthread_mutex_unlock(&maps_mu);
	} else {
		if (base != MAP_FAILED && !fixed)
			munmap(base, len);
		free(mp);
		base = MAP_FAILED;
	}
	release_refs(m, &x);
	pthread_mutex_unlock(&m->mu);
	return base;
}

int rma_munmap(void *addr, size_t len)
{
	if (munmap(addr, len))
		return errno;
	pthread_mutex_lock(&maps_mu);
	for (struct mapping **p = &mappings; *p;) {
		struct mapping *mp = *p;
		if ((uint8_t *)addr <= mp->addr && mp->addr + mp->len <= (uint8_t *)addr + len) {
			for (int i = 0; i < mp->n; i++)
				__atomic_sub_fetch((volatile uint32_t *)(mp->c->base + mp->entries[i] + 44), 1,
						   __ATOMIC_SEQ_CST);
			*p = mp->next;
			free(mp);
			continue;
		}
		p = &mp->next;
	}
	pthread_mutex_unlock(&maps_mu);
	return 0;
}

int rma_maps(struct conn *c)
{
	int n = 0;
	pthread_mutex_lock(&maps_mu);
	for (struct mapping *mp = mappings; mp; mp = mp->next)
		n += mp->c == c;
	pthread_mutex_unlock(&maps_mu);
	return n;
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
	for (int k = 0; k < m->nw; k++)
		while (cget32(m->c, entry_off(m, m->side, m->w[k].entry) + 40) > 0 && now_ns() < deadline)
			sched_yield();
	while (m->nw > 0)
		free_window(m, m->nw - 1);
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
