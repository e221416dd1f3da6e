/* The registered-memory calls of the API (register, unregister, RMA, fences, mmap): argument
   checks and errno; the work is rma*.c's. */
#include "endpoint.h"
#include "rma.h"
#include "scif4j.h"

#define PAGE_MASK ((uint64_t)PAGE - 1)

/* The endpoint's RMA state, once it is connected; NULL with *err (ENOTCONN, ECONNRESET). */
struct rma *ep_rma(struct ep *e, int *err, int any_state)
{
	/* The data path's way, without ctl: e->rma, once set, stays until the endpoint is freed
	   (a close racing this call is seen by rma.c, which fails the call with EBADF). */
	struct rma *fast = __atomic_load_n(&e->rma, __ATOMIC_ACQUIRE);
	if (fast && !e->closed && (any_state || state_of(e) == EP_CONNECTED)) {
		*err = 0;
		return fast;
	}
	if (!e->conn)
		collect_accepted(e);
	pthread_mutex_lock(&e->ctl);
	uint32_t st = state_of(e);
	*err = 0;
	if (e->closed)
		*err = EBADF;
	else if (!e->conn)
		*err = st == EP_DISCONNECTED ? ECONNRESET : ENOTCONN;
	else if (st != EP_CONNECTED && !any_state)
		*err = st == EP_DISCONNECTED ? ECONNRESET : ENOTCONN;
	else if (!e->rma) {
		struct rma *m = rma_new(e->conn, e->slot, e->peer_slot, fab.cfg.node == 0 && e->peer.node == 0,
					e->owner_pid);
		if (m)
			__atomic_store_n(&e->rma, m, __ATOMIC_RELEASE); /* after its fields: the fast path reads them */
		else
			*err = ENOMEM;
	}
	struct rma *m = *err ? NULL : e->rma;
	pthread_mutex_unlock(&e->ctl);
	return m;
}

static int page_range(int64_t off, uint64_t len)
{
	return off >= 0 && ((uint64_t)off & PAGE_MASK) == 0 && len <= (uint64_t)INT64_MAX &&
	       off - 1 <= INT64_MAX - (int64_t)len;
}

API off_t scif_register(scif_epd_t epd, void *addr, size_t len, off_t offset, int prot, int map)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return SCIF_REGISTER_FAILED;
	int err = 0;
	off_t at = -1;
	if ((prot & ~(SCIF_PROT_READ | SCIF_PROT_WRITE)) || (map & ~SCIF_MAP_FIXED) ||
	    ((uintptr_t)addr & PAGE_MASK) || len == 0 || (len & PAGE_MASK) ||
	    ((map & SCIF_MAP_FIXED) && !page_range(offset, len)))
		err = EINVAL;
	struct rma *m = err ? NULL : ep_rma(e, &err, 0);
	if (m)
		at = rma_register(m, addr, len, offset, prot, map & SCIF_MAP_FIXED, &err);
	ep_put(e);
	return err ? fail(err) : (errno = se, at);
}

API int scif_unregister(scif_epd_t epd, off_t offset, size_t len)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0;
	if (len == 0 || (len & PAGE_MASK) || !page_range(offset, len))
		err = EINVAL;
	struct rma *m = err ? NULL : ep_rma(e, &err, 1);
	if (m)
		err = rma_unregister(m, offset, len);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

/* An RMA transfer on e, which the caller holds a reference on: 0 or the errno. */
static int rma_on(struct ep *e, int to_remote, off_t loff, void *addr, int virt, size_t len, off_t roff, int flags)
{
	int err = 0;
	const int valid = SCIF_RMA_USECPU | SCIF_RMA_USECACHE | SCIF_RMA_SYNC | SCIF_RMA_ORDERED;
	if (len == 0 || (flags != 0 && !(flags & valid)) || len > (size_t)INT64_MAX)
		err = EINVAL;
	else if (virt && !addr)
		err = EFAULT;
	struct rma *m = err ? NULL : ep_rma(e, &err, 0);
	if (m)
		err = rma_copy(m, to_remote, loff, virt ? addr : NULL, len, roff);
	return err;
}

static int rma_call(scif_epd_t epd, int to_remote, off_t loff, void *addr, int virt, size_t len, off_t roff,
		    int flags)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = rma_on(e, to_remote, loff, addr, virt, len, roff, flags);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API int scif_readfrom(scif_epd_t epd, off_t lo, size_t len, off_t ro, int f)
{
	return rma_call(epd, 0, lo, NULL, 0, len, ro, f);
}
API int scif_writeto(scif_epd_t epd, off_t lo, size_t len, off_t ro, int f)
{
	return rma_call(epd, 1, lo, NULL, 0, len, ro, f);
}
API int scif_vreadfrom(scif_epd_t epd, void *a, size_t len, off_t o, int f)
{
	return rma_call(epd, 0, 0, a, 1, len, o, f);
}
API int scif_vwriteto(scif_epd_t epd, void *a, size_t len, off_t o, int f)
{
	return rma_call(epd, 1, 0, a, 1, len, o, f);
}

/* scif4j_rma (scif4j.h): the four RMA calls for the Java native transport in one JNA crossing,
   on the endpoint's handle (scif4j_ep: no descriptor lookup, no reference of its own), with
   the errno in the result. It calls rma_on, not the exported scif_* functions: the Java
   transport may load several copies of this library into one process (a fresh one per
   attach, with RTLD_GLOBAL), and a call through an exported name could reach another copy. */
API int scif4j_rma(struct scif4j_rma *rma)
{
	if (rma->op < SCIF4J_READFROM || rma->op > SCIF4J_VWRITETO)
		return -EINVAL;
	int se = errno;
	int virt = rma->op >= SCIF4J_VREADFROM, to_remote = rma->op & 1;
	int err = rma_on((struct ep *)(uintptr_t)rma->ep, to_remote, virt ? 0 : (off_t)rma->local,
			 virt ? (void *)(uintptr_t)rma->local : NULL, virt, (size_t)rma->len, (off_t)rma->remote,
			 rma->flags);
	errno = se;
	return -err;
}

API int scif_fence_mark(scif_epd_t epd, int flags, int *mark)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0;
	if (flags != SCIF_FENCE_INIT_SELF && flags != SCIF_FENCE_INIT_PEER)
		err = EINVAL;
	else if (!mark)
		err = EFAULT;
	struct rma *m = err ? NULL : ep_rma(e, &err, 0);
	if (m)
		err = rma_fence_mark(m, flags, mark);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API int scif_fence_wait(scif_epd_t epd, int mark)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err;
	struct rma *m = ep_rma(e, &err, 0);
	if (m)
		err = rma_fence_wait(m, mark);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API int scif_fence_signal(scif_epd_t epd, off_t lo, uint64_t lv, off_t ro, uint64_t rv, int f)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0;
	int init = f & (SCIF_FENCE_INIT_SELF | SCIF_FENCE_INIT_PEER), sig = f & (SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE);
	if ((f & ~(SCIF_FENCE_INIT_SELF | SCIF_FENCE_INIT_PEER | SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE)) ||
	    (init != SCIF_FENCE_INIT_SELF && init != SCIF_FENCE_INIT_PEER) || !sig ||
	    ((f & SCIF_SIGNAL_LOCAL) && (lo & 3)) || ((f & SCIF_SIGNAL_REMOTE) && (ro & 3)))
		err = EINVAL;
	struct rma *m = err ? NULL : ep_rma(e, &err, 0);
	if (m)
		err = rma_fence_signal(m, lo, lv, ro, rv, f);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API void *scif_mmap(void *addr, size_t len, int prot, int map, scif_epd_t epd, off_t offset)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return SCIF_MMAP_FAILED;
	int err = 0;
	size_t rounded = (len + PAGE_MASK) & ~(size_t)PAGE_MASK;
	if (offset < 0 || ((uint64_t)offset & PAGE_MASK) || len == 0 || (prot & ~(SCIF_PROT_READ | SCIF_PROT_WRITE)) ||
	    (map & ~SCIF_MAP_FIXED) || ((map & SCIF_MAP_FIXED) && ((uintptr_t)addr & PAGE_MASK)))
		err = EINVAL;
	else if (rounded < len || !page_range(offset, rounded))
		err = ENOMEM;
	void *r = SCIF_MMAP_FAILED;
	struct rma *m = err ? NULL : ep_rma(e, &err, 0);
	if (m)
		r = rma_mmap(m, addr, rounded, prot, map & SCIF_MAP_FIXED, offset, &err);
	ep_put(e);
	if (err) {
		errno = err;
		return SCIF_MMAP_FAILED;
	}
	errno = se;
	return r;
}

API int scif_munmap(void *addr, size_t len)
{
	int se = errno;
	if ((uintptr_t)addr & PAGE_MASK || len == 0)
		return fail(EINVAL);
	int err = rma_munmap(addr, (len + PAGE_MASK) & ~(size_t)PAGE_MASK);
	return err ? fail(err) : (errno = se, 0);
}
