/* Endpoints: the table of this process's endpoint descriptors, their references, opening
   and closing, and the wait every blocking call uses (the sleeper protocol of
   docs/shm-format.md). Every call validates its arguments and fails with -1 (or the _FAILED
   sentinel) and errno as Intel's libscif does; errno is set only when a call fails. */
#include "endpoint.h"
#include "rma.h"
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

/* Endpoints by descriptor, and descriptors whose scif_close is under way (until their fd is
   closed: calls on them fail with EBADF, as on a closed fd, not ENOTTY).

   Lookups (every call's ep_get) take no lock: a reader loads eps[fd], takes a reference only
   on a live endpoint (refs > 0, compare-and-swap: a dead one is never revived), and loads
   eps[fd] again: unchanged, the endpoint is the descriptor's; changed, it drops the reference
   and looks again. This is safe because a struct ep is never given back to malloc: at its
   last reference it goes to a free list and a later scif_open reuses it (type-stable memory),
   so a reader's stale pointer reaches a refs word that is 0 (the CAS fails) or belongs to a
   live endpoint (an ordinary reference, dropped again: whoever drops the last frees). The
   table holds one reference to each endpoint in it and drops it only after taking it out.
   tab_mu serialises the writers (install, take out, closing[]) and the free list; it is taken
   last: nothing is locked under it. */
static struct ep *eps[EP_FD_MAX];
static uint8_t closing[EP_FD_MAX];
static pthread_mutex_t tab_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ep *free_eps; /* through free_next */

/* What a recycled ep resets and, under ASan, poisons while it is free: every field from fd on
   (not refs, which stale readers may still load, nor the free list's link). */
#define BODY(e) ((char *)&(e)->fd)
#define BODY_LEN (sizeof(struct ep) - offsetof(struct ep, fd))
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(e) ASAN_POISON_MEMORY_REGION(BODY(e), BODY_LEN)
#define UNPOISON(e) ASAN_UNPOISON_MEMORY_REGION(BODY(e), BODY_LEN)
#else
#define POISON(e) ((void)(e))
#define UNPOISON(e) ((void)(e))
#endif

/* A reference on e if it is still live (refs > 0). */
static int ref_if_live(struct ep *e)
{
	int n = __atomic_load_n(&e->refs, __ATOMIC_RELAXED);
	while (n > 0)
		if (__atomic_compare_exchange_n(&e->refs, &n, n + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

/* The endpoint in the table under fd, with a reference, or NULL. */
static struct ep *lookup(int fd)
{
	for (;;) {
		struct ep *e = __atomic_load_n(&eps[fd], __ATOMIC_SEQ_CST);
		if (!e)
			return NULL;
		if (!ref_if_live(e))
			continue; /* taken out meanwhile: the next load sees it */
		if (__atomic_load_n(&eps[fd], __ATOMIC_SEQ_CST) == e)
			return e;
		ep_put(e);
	}
}

struct ep *ep_get(scif_epd_t epd)
{
	if (fabric_ensure())
		return NULL;
	struct ep *e = epd >= 0 && epd < EP_FD_MAX ? lookup(epd) : NULL;
	if (!e) {
		int being_closed = epd >= 0 && epd < EP_FD_MAX && __atomic_load_n(&closing[epd], __ATOMIC_SEQ_CST);
		errno = being_closed || fcntl(epd, F_GETFD) < 0 ? EBADF : ENOTTY;
	}
	return e;
}

/* Another reference; the caller holds one. */
void ep_ref(struct ep *e)
{
	__atomic_add_fetch(&e->refs, 1, __ATOMIC_SEQ_CST);
}

static void ep_free(struct ep *e)
{
	if (e->rma)
		rma_free(e->rma);
	if (e->conn && rma_maps(e->conn) > 0)
		e->conn = NULL; /* mappings of the peer's windows still count on it: it stays mapped */
	conn_close(e->conn);
	conn_close(e->pending);
	pthread_mutex_destroy(&e->ctl);
	pthread_mutex_destroy(&e->send_mu);
	pthread_mutex_destroy(&e->recv_mu);
	close(e->bell);
	pthread_mutex_lock(&tab_mu);
	e->free_next = free_eps;
	free_eps = e;
	POISON(e);
	pthread_mutex_unlock(&tab_mu);
}

void ep_put(struct ep *e)
{
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_SEQ_CST) == 0)
		ep_free(e);
}

struct ep *ep_new(int fd, int bell, int slot)
{
	pthread_mutex_lock(&tab_mu);
	struct ep *e = free_eps;
	if (e) {
		UNPOISON(e);
		free_eps = e->free_next;
	}
	pthread_mutex_unlock(&tab_mu);
	if (!e && !(e = calloc(1, sizeof *e)))
		return NULL;
	/* refs stays 0 until the end: a stale reader's CAS fails on it */
	memset(BODY(e), 0, BODY_LEN);
	e->fd = fd;
	e->bell = bell;
	e->slot = slot;
	e->peer_slot = -1;
	e->owner_pid = (int)getpid();
	pthread_mutex_init(&e->ctl, NULL);
	pthread_mutex_init(&e->send_mu, NULL);
	pthread_mutex_init(&e->recv_mu, NULL);
	__atomic_store_n(&e->refs, 1, __ATOMIC_SEQ_CST); /* the table's */
	return e;
}

/* ---- waiting (the sleeper protocol of docs/shm-format.md) ---- */

/* Spinning waits check without a pause instruction for this long, as the Java Waiter does: a
   pause takes tens to a hundred and more cycles, and an arrival that falls into one waits for its
   end (two arrivals per round trip). After this, every check pauses, which spares the power and
   a hyperthread sibling in longer waits. (Measured later for the spin before this wait,
   message.c's first_spin, the belief did not hold there and that spin pauses now; the waits
   that reach this rule begin ~1.7 us in, longer than a round trip, and were not measured.) */
#define PAUSE_AFTER_NS 10000
/* Checks of quick(e) between two full checks (and clock reads) of a spin. */
#define SPINS_PER_CHECK 256

/* Waits until ready(e), the deadline (ns, <0: none) or close; 0 ready, 1 timed out. While it
   spins it mostly checks quick(e) (NULL: ready), the cheap part of ready that touches the line
   the awaited change arrives on, and ready and closed every SPINS_PER_CHECK checks. */
int await(struct ep *e, int seq_field, int sleepers_field, cond_fn ready, cond_fn quick, int64_t deadline)
{
	int64_t start = now_ns();
	uint64_t seq = endpoint_off(e->slot) + (uint64_t)seq_field;
	uint64_t sleepers = endpoint_off(e->slot) + (uint64_t)sleepers_field;
	enum wait_mode mode = fab.cfg.wait;
	if (!quick)
		quick = ready;
	for (;;) {
		if (ready(e) || e->closed)
			return 0;
		int64_t now = now_ns();
		if (deadline >= 0 && now >= deadline)
			return 1;
		int64_t waited = now - start;
		if (mode == WAIT_SPIN || (mode == WAIT_ADAPTIVE && waited < 30000)) {
			if (waited < PAUSE_AFTER_NS) {
				for (int k = 0; k < SPINS_PER_CHECK; k++)
					if (quick(e))
						return 0;
			} else {
				/* a pause is up to ~40 ns, the condition a cache line */
				for (int k = 0; k < SPINS_PER_CHECK && !quick(e); k++)
					__builtin_ia32_pause();
			}
			continue;
		}
		if (mode == WAIT_YIELD || (mode == WAIT_ADAPTIVE && waited < 200000)) {
			sched_yield();
			continue;
		}
		add32(sleepers, 1);
		uint32_t seen = get32(seq);
		sleeper_fence(); /* after announcing, before re-checking */
		if (!ready(e) && !e->closed) {
			int64_t nanos = MAX_SLEEP_NS;
			if (deadline >= 0 && deadline - now < nanos)
				nanos = deadline - now > 0 ? deadline - now : 1;
			futex_wait(w32(seq), seen, nanos);
		}
		add32(sleepers, -1);
	}
}

void ep_install(int fd, struct ep *e)
{
	pthread_mutex_lock(&tab_mu);
	__atomic_store_n(&eps[fd], e, __ATOMIC_SEQ_CST); /* after e's fields: lookups read them after */
	pthread_mutex_unlock(&tab_mu);
}

/* ---- open, close ---- */

API scif_epd_t scif_open(void)
{
	int se = errno;
	if (fabric_ensure())
		return SCIF_OPEN_FAILED;
	int bell, fd = ep_fd_new(&bell);
	if (fd < 0)
		return SCIF_OPEN_FAILED;
	if (fd >= EP_FD_MAX) {
		close(fd);
		close(bell);
		return fail(EMFILE);
	}
	pthread_mutex_lock(&fab.mu);
	int slot;
	do {
		lock_take();
		slot = tab_alloc(fab.cfg.node);
	} while (slot >= 0 && ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
	struct ep *e = slot >= 0 ? ep_new(fd, bell, slot) : NULL;
	if (!e) {
		if (slot >= 0) {
			pthread_mutex_lock(&fab.mu);
			do
				lock_take();
			while (tab_close_slot(slot, ECONNREFUSED) || ch_commit());
			lock_release();
			pthread_mutex_unlock(&fab.mu);
		} else {
			logmsg("scif_open: the fabric's endpoint table is full (%d endpoints)", MAX_ENDPOINTS);
		}
		close(fd);
		close(bell);
		return fail(ENOMEM);
	}
	ep_install(fd, e);
	errno = se;
	return fd;
}

/* ---- serial calls ----

   A serial call (scif4j_io with SCIF4J_SERIAL: its caller serialises each direction of the
   endpoint itself) takes no mutex, which would cost two atomic instructions on every send and
   receive; close still has to know when the calls in flight are gone, before the exit's
   detach unmaps the fabric they read. The handshake is an asymmetric Dekker:

   Invariant: a serial call stores serial_in[direction] = 1 before its first read of closed
   and 0 after its last access to the endpoint's slot, rings or the fabric (message.c, move);
   close stores closed = 1, runs the process-wide barrier (membarrier, private expedited), then
   waits until both are 0. The barrier makes every thread of the process that runs meanwhile
   execute a full fence: a call whose read of closed came after that fence reads 1 and leaves
   without touching shared memory (move's loop tests closed first); a call whose read came
   before it had stored its 1 before it, and close sees that 1 and waits. So once
   ep_serial_drain returns, no serial call uses the endpoint's shared memory again. Without the
   barrier (an old kernel, a seccomp filter) serial calls take the mutex like any other. */
int ep_serial_mode; /* 0 not yet known, 1 serial calls skip the mutex, -1 they take it */

static void serial_init(void)
{
	int have = (int)syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0);
	int ok = have > 0 && (have & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		 syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0;
	__atomic_store_n(&ep_serial_mode, ok ? 1 : -1, __ATOMIC_RELEASE);
}

int ep_serial_probe(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int se = errno;
	pthread_once(&once, serial_init);
	errno = se;
	return __atomic_load_n(&ep_serial_mode, __ATOMIC_ACQUIRE) > 0;
}

/* Waits for the serial calls in flight on e to see closed (set by the caller) and leave. */
static void ep_serial_drain(struct ep *e)
{
	if (__atomic_load_n(&ep_serial_mode, __ATOMIC_ACQUIRE) <= 0)
		return; /* every call took the mutex, which close takes next */
	int se = errno;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) != 0)
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* registered (fork keeps it): not expected */
	errno = se;
	/* each leaves within one turn of its wait's loop: close_slot has woken sleepers */
	while (__atomic_load_n(&e->serial_in[0], __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&e->serial_in[1], __ATOMIC_ACQUIRE))
		sched_yield();
}

/* Frees the endpoint's slot as SCIF closes (peers see the disconnect). */
static void close_slot(struct ep *e)
{
	pthread_mutex_lock(&fab.mu);
	do
		lock_take();
	while (tab_close_slot(e->slot, ECONNREFUSED) || ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
}

static int close_ep(struct ep *e, int close_fd)
{
	pthread_mutex_lock(&tab_mu);
	int ours = eps[e->fd] == e;
	if (ours) {
		__atomic_store_n(&closing[e->fd], 1, __ATOMIC_SEQ_CST); /* first: a failed lookup says EBADF */
		__atomic_store_n(&eps[e->fd], NULL, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&tab_mu);
	if (!ours)
		return fail(EBADF);
	if (e->owner_pid == (int)getpid())
		pump_forget(e); /* before ctl: the pump takes ctl under its own mutex */
	/* The RMA half ends first, while the slot is still this endpoint's: RMA calls and fence
	   waiters read and wake e->slot, and once close_slot frees it another endpoint (of any
	   process) may take it. Invariant: after rma_close returns no thread uses e->slot through
	   e->rma; only then is the slot freed. A forked child only drops its reference: the
	   endpoint (its slot and windows) stays its parent's. */
	int owner = e->owner_pid == (int)getpid();
	pthread_mutex_lock(&e->ctl);
	e->closed = 1; /* ep_rma hands e->rma out no more, and creates none */
	struct rma *m = e->rma; /* freed by ep_free: other threads may still hold it */
	pthread_mutex_unlock(&e->ctl);
	if (m && owner)
		rma_close(m); /* fence waiters end, RMAs in flight end, every window is unregistered */
	if (owner) {
		pthread_mutex_lock(&e->ctl);
		close_slot(e); /* also wakes every waiter on the endpoint */
		pthread_mutex_unlock(&e->ctl);
	}
	/* in-flight sends and receives end (they see closed) before the rings are unmapped */
	ep_serial_drain(e);
	pthread_mutex_lock(&e->send_mu);
	pthread_mutex_lock(&e->recv_mu);
	pthread_mutex_unlock(&e->recv_mu);
	pthread_mutex_unlock(&e->send_mu);
	if (close_fd) {
		pthread_mutex_lock(&tab_mu);
		close(e->fd);
		__atomic_store_n(&closing[e->fd], 0, __ATOMIC_SEQ_CST); /* the number may be reused from now on */
		pthread_mutex_unlock(&tab_mu);
	}
	ep_put(e);
	return 0;
}

API int scif_close(scif_epd_t epd)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int r = close_ep(e, 1);
	int err = errno;
	ep_put(e);
	errno = r ? err : se;
	return r;
}

/* At exit, before leaving the fabric: every endpoint is closed as SCIF closes. */
void endpoints_close_all(void)
{
	for (int fd = 0; fd < EP_FD_MAX; fd++) {
		struct ep *e = lookup(fd);
		if (e) {
			close_ep(e, 0);
			ep_put(e);
		}
	}
}
