/* RMA transfers of a connected endpoint: ranges of the registered address spaces resolved
   into pieces of mapped memory, and copied. Every RMA of this library is a CPU copy done
   before the call returns: a side's "submitted" and "completed" counters move together, so a
   fence on our operations never waits, and the peer's INIT_PEER fences see them complete. */
#include "rma_internal.h"
#include "files.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

void rma_release_refs(struct rma *m, struct xfer *x)
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

/* The window under an offset: its entry in conn-ID, generation, protection, place in the
   registered address space and the address of its first byte in this process. */
struct span {
	uint64_t e;
	uint32_t gen;
	int prot;
	int64_t off;
	uint64_t len;
	uint8_t *base;
};

/* Our window under pos (under mu). */
static int local_span(struct rma *m, int64_t pos, struct span *s)
{
	struct lwin *w = NULL;
	for (int k = 0; k < m->nw; k++)
		if (!m->w[k].unregistered && covers(m->w[k].off, m->w[k].len, pos))
			w = &m->w[k];
	uint8_t *base = w ? own_window(m, w) : NULL;
	if (!base)
		return ENXIO;
	*s = (struct span){entry_off(m, m->side, w->entry), w->gen, w->prot, w->off, w->len, base};
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

/* The peer's window under pos, mapped into this process. */
static int remote_span(struct rma *m, int64_t pos, struct span *s)
{
	for (int i = 0; i < MAX_WINDOWS; i++) {
		uint64_t e = entry_off(m, 1 - m->side, i);
		if (cget32(m->c, e + 0) != 1)
			continue;
		int64_t o = (int64_t)__atomic_load_n(cw64(m->c, e + 8), __ATOMIC_ACQUIRE);
		uint64_t l = __atomic_load_n(cw64(m->c, e + 16), __ATOMIC_ACQUIRE);
		if (covers(o, l, pos)) {
			struct rwin *w = peer_window(m, i);
			if (!w || !covers(w->off, w->len, pos))
				continue; /* the entry changed meanwhile: another may hold pos now */
			*s = (struct span){e, w->gen, w->prot, w->off, w->len, w->map};
			return 0;
		}
	}
	return ENXIO;
}

/* Each piece's window is referenced before its entry is checked to be still that active
   window: a reference taken after unregister marked it fails here and copies nothing (see
   rma.c, unreferenced). Positions are off + done, done < len: a range may end at 2^63, and
   one that goes beyond fails at once (no window lies there), so none overflows. */
int rma_resolve(struct rma *m, int remote, int64_t off, uint64_t len, int need, struct xfer *x,
		uint8_t **addrs, uint64_t *lens, int *n)
{
	int prot = need & ~RMA_ONE_WINDOW;
	*n = 0;
	if (off < 0 || len > ((uint64_t)1 << 63) - (uint64_t)off)
		return ENXIO;
	for (uint64_t done = 0; done < len;) {
		int64_t pos = off + (int64_t)done;
		struct span s;
		int err = remote ? remote_span(m, pos, &s) : local_span(m, pos, &s);
		if (err)
			return err;
		if ((need & RMA_ONE_WINDOW) && s.len - (uint64_t)(pos - s.off) < len)
			return ENXIO; /* runs past the window: the next one's protection does not matter */
		if ((s.prot & prot) != prot)
			return EPERM;
		if (*n == MAX_PIECES)
			return ENOMEM;
		cadd32(m->c, s.e + 40, 1);
		x->refs[x->nrefs++] = s.e;
		if (cget32(m->c, s.e + 0) != 1 || cget32(m->c, s.e + 48) != s.gen)
			return ENXIO;
		uint64_t take = s.len - (uint64_t)(pos - s.off);
		if (take > len - done)
			take = len - done;
		addrs[*n] = s.base + (pos - s.off);
		lens[(*n)++] = take;
		done += take;
	}
	return 0;
}

/* One operation done: both counters move on, fence waiters on either side wake. The stores
   are release stores, as a ring's (docs/shm-format.md): the copy's bytes are visible before
   the counter, and the sleeper's fence of a fence waiter orders our read of its "sleepers"
   after the counter (a full fence here cost large copies several percent: it waits for
   every store of the copy to drain). */
void rma_complete_one(struct rma *m)
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
	if ((err = rma_enter(m)) != 0) {
		pthread_mutex_unlock(&m->mu);
		return err;
	} else if (vaddr) {
		la[0] = vaddr;
		ll[0] = len;
		nl = 1;
	} else {
		err = rma_resolve(m, 0, loff, len, to_remote ? 1 : 2, &x, la, ll, &nl);
	}
	if (!err)
		err = rma_resolve(m, 1, roff, len, to_remote ? 2 : 1, &x, ra, rl, &nr);
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
		rma_complete_one(m);
	}
	rma_release_refs(m, &x);
	rma_leave(m);
	return err;
}
