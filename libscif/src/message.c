/* scif_send and scif_recv: the data path over the connection's byte rings, one loop for both
   directions; and scif4j_io, the same calls with a time limit, for the Java native transport
   (and scif4j_fence_wait, its fence wait with a time limit). */
#include "endpoint.h"
#include "rma_internal.h"
#include "scif4j.h"

static int not_connected(struct ep *e, uint32_t st)
{
	if (e->closed)
		return EINTR;
	return st == EP_DISCONNECTED ? ECONNRESET : ENOTCONN;
}

static int can_send(struct ep *e)
{
	return state_of(e) != EP_CONNECTED || ring_writable(&e->conn->out);
}

static int can_recv(struct ep *e)
{
	return state_of(e) != EP_CONNECTED || ring_has_data(&e->conn->in);
}

/* The cheap parts of can_send and can_recv that a spin checks most of the time (the full check
   also reads the endpoint's state in the endpoint table): the caller is the direction's only
   thread (its mutex, or a serial call), so the receiver's own head frame is current. */
static int quick_send(struct ep *e)
{
	return ring_writable(&e->conn->out);
}

static int quick_recv(struct ep *e)
{
	return ring_readable_own(&e->conn->in);
}

/* Checks of the first spin of a blocking call, before it reads the clock. With a pause after
   each (~25 ns here), 64 last about as long as the 1,024 checks without one that it made
   before: a blocking recv with a 0 ms limit on an idle connection took 1.71 us against 1.75. */
#define FIRST_SPINS 64

/* The first spin of a blocking call that can make no progress (adaptive and spin waits, as the
   Java shm transport's recv spins first): quick checks without a clock read, so an answer that
   comes within a round trip's time is met soon; 1 if it came. A check that finds nothing
   pauses, as the Java shm recv's spin does (docs/decisions.md, "Spinning with a pause"). This
   spin had no pause once, on the belief that an arrival falling into a pause waits for its end;
   measured since (docs/native.md, "The first spin pauses"), the C<->C round trip is ~20 ns
   shorter at p50 with the pause in two of this VM's core layouts and the same within the
   clock's 10 ns step in the third, p99 no worse. closed and the state are checked by move's
   loop after it, and by await's full checks. */
static int first_spin(struct ep *e, int out)
{
	if (fab.cfg.wait != WAIT_ADAPTIVE && fab.cfg.wait != WAIT_SPIN)
		return 0;
	cond_fn quick = out ? quick_send : quick_recv;
	for (int k = 0; k < FIRST_SPINS; k++) {
		if (quick(e))
			return 1;
		__builtin_ia32_pause();
	}
	return 0;
}

/* One direction of the data path on e, which the caller holds a reference on. Moves up to len
   bytes: once (flags without the BLOCK bit), or until all moved, timeout_ms passed (< 0: no
   limit; counted from the first wait, so a call that never waits reads no clock), or the
   endpoint closed. A send writes only while connected; a receive also drains what a peer that
   left had sent. Returns the bytes moved (0 at the deadline) and sets *err (0, or the errno).
   A serial call (the caller serialises this direction of e itself, scif4j.h's SCIF4J_SERIAL)
   takes no mutex: it marks itself in e->serial_in instead, which close waits for
   (endpoint.c, ep_serial_drain). */
static int move(struct ep *e, uint8_t *msg, int len, int flags, int out, int timeout_ms, int serial, int *err)
{
	static const char *const name[] = {"scif_recv", "scif_send"};
	int total = 0;
	*err = 0;
	if (len == 0)
		return 0;
	if (len < 0 || (flags != 0 && !(flags & (out ? SCIF_SEND_BLOCK : SCIF_RECV_BLOCK)))) {
		*err = EINVAL;
		return 0;
	}
	if (!msg) {
		*err = EFAULT;
		return 0;
	}
	int block = flags != 0;
	int64_t deadline = -2; /* not yet read from the clock */
	pthread_mutex_t *mu = out ? &e->send_mu : &e->recv_mu;
	if (serial)
		serial_enter(e, out); /* before the loop's first read of closed */
	else
		pthread_mutex_lock(mu);
	for (;;) {
		struct conn *c = __atomic_load_n(&e->conn, __ATOMIC_ACQUIRE);
		uint32_t st = e->closed ? EP_FREE : state_of(e);
		if (e->closed || !c || (out && st != EP_CONNECTED)) {
			if (!c && !e->closed && collect_accepted(e))
				continue;
			if (!total)
				*err = not_connected(e, st);
			break;
		}
		long n;
		if (out) {
			n = (long)ring_write(&c->out, msg + total, (size_t)(len - total));
			if (n > 0)
				wake_receivers(e->peer_slot);
		} else if ((n = ring_read(&c->in, msg + total, (size_t)(len - total))) > 0) {
			wake_senders(e->peer_slot);
		} else if (n < 0) {
			logmsg("%s: the connection's ring %llu holds a corrupt frame; connection reset", name[out],
			       (unsigned long long)c->id);
			if (!total)
				*err = ECONNRESET;
			break;
		}
		total += (int)n;
		if (total == len)
			break;
		if (n > 0)
			continue;
		if (!out && (st = state_of(e)) != EP_CONNECTED) {
			if (ring_has_data(&c->in))
				continue;
			if (!total)
				*err = not_connected(e, st);
			break;
		}
		if (!block)
			break;
		if (deadline == -2) {
			if (first_spin(e, out))
				continue;
			deadline = timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000;
		}
		if (await(e, out ? E_SPACE_SEQ : E_EVENT_SEQ, out ? E_SPACE_SLEEPERS : E_SLEEPERS,
			  out ? can_send : can_recv, out ? quick_send : quick_recv, deadline))
			break; /* the deadline passed: what moved so far */
	}
	if (serial)
		serial_leave(e, out); /* after the last access to the rings and the fabric */
	else
		pthread_mutex_unlock(mu);
	pump_sync(e); /* less send space, or fewer bytes waiting */
	return total;
}

/* scif_send or scif_recv: the bytes moved, or -1 with errno (errno untouched on success). */
static int transfer(scif_epd_t epd, void *msg, int len, int flags, int out)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err, total = move(e, msg, len, flags, out, -1, 0, &err);
	ep_put(e);
	return err ? fail(err) : (errno = se, total);
}

API int scif_send(scif_epd_t epd, void *msg, int len, int flags)
{
	return transfer(epd, msg, len, flags, 1);
}

API int scif_recv(scif_epd_t epd, void *msg, int len, int flags)
{
	return transfer(epd, msg, len, flags, 0);
}

/* scif4j_ep: a reference on epd's endpoint, as its handle for scif4j_io and scif4j_rma: a data
   call then neither looks the descriptor up nor counts a reference of its own (two atomic
   read-modify-writes of a shared line per call). The endpoint's memory stays valid until
   scif4j_ep_put; once it is closed, scif4j_io fails with EINTR. Returns the handle or -errno. */
API int64_t scif4j_ep(scif_epd_t epd)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	int64_t r = e ? (int64_t)(uintptr_t)e : -(int64_t)errno;
	if (e)
		ep_serial_ok(); /* registers the barrier serial calls need, once, before the first */
	errno = se;
	return r;
}

API int scif4j_ep_put(int64_t ep)
{
	ep_put((struct ep *)(uintptr_t)ep);
	return 0;
}

/* scif4j_io: scif_send or scif_recv for the Java native transport, in one JNA crossing (the
   block's layout and why: scif4j.h). With SCIF4J_BLOCK it waits this library's own way (a
   spin on the ring, then a futex sleep) but returns after timeout_ms with what moved so far,
   so that the Java side sees an interrupt or a close of its own between two calls. With
   SCIF4J_SERIAL (and the barrier registered) it takes no mutex. */
static int io_call(struct scif4j_io *io)
{
	int out = io->op & SCIF4J_SEND;
	int flags = io->op & SCIF4J_BLOCK ? (out ? SCIF_SEND_BLOCK : SCIF_RECV_BLOCK) : 0;
	int serial = (io->op & SCIF4J_SERIAL) && ep_serial_ok();
	struct ep *e = (struct ep *)(uintptr_t)io->ep;
	int se = errno; /* a wait may set it */
	int err, total = move(e, (uint8_t *)(uintptr_t)io->addr, io->len, flags, out, io->timeout_ms, serial, &err);
	errno = se;
	return err ? -err : total;
}

API int scif4j_io(struct scif4j_io *io)
{
	return io_call(io);
}

/* The block scif4j_io_bound moves: this thread's, as scif4j_io_bind set it. A thread-local of
   this library, so a copy of the library loaded later starts unbound, and a thread binds its
   block once per copy (the Java side's Scratch counts the copies). Both call io_call, never
   the exported scif4j_io: an earlier copy of the library loaded with RTLD_GLOBAL (as JNA
   loads them) would provide that name, with its own fabric. */
static __thread struct scif4j_io *bound_io;

API int scif4j_io_bind(struct scif4j_io *io)
{
	bound_io = io;
	return 0;
}

API int scif4j_io_bound(void)
{
	struct scif4j_io *io = bound_io;
	return io ? io_call(io) : -EINVAL;
}

API int scif4j_fence_wait(struct scif4j_fence *f)
{
	struct ep *e = (struct ep *)(uintptr_t)f->ep;
	/* e->rma, once set, stays until the endpoint is freed: the caller's handle holds it */
	struct rma *m = __atomic_load_n(&e->rma, __ATOMIC_ACQUIRE);
	if (f->slice_ms < 0)
		return -EINVAL;
	int err = 0;
	if (!m && !e->closed && state_of(e) == EP_CONNECTED)
		m = ep_rma(e, &err, 0); /* a mark never issued waits the watchdog's time: in slices too */
	if (!m || m->loopback || e->closed || state_of(e) != EP_CONNECTED)
		return 1;
	pthread_mutex_lock(&m->mu);
	err = rma_enter(m);
	pthread_mutex_unlock(&m->mu);
	if (err)
		return -err;
	int se = errno; /* a futex wait may set it */
	int64_t now = now_ns();
	if (!f->deadline_ns)
		f->deadline_ns = now + fab.cfg.timeout_ms * 1000000LL;
	int64_t until = now + (int64_t)f->slice_ms * 1000000;
	int side = f->mark < 0 ? 1 - m->side : m->side;
	err = rma_await_completion(m, side, (uint32_t)f->mark & SEQ_MASK,
				   until < f->deadline_ns ? until : f->deadline_ns);
	rma_leave(m);
	errno = se;
	if (err == ETIMEDOUT && now_ns() < f->deadline_ns)
		err = EAGAIN; /* only this slice is over */
	return -err;
}
