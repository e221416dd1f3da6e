/* Endpoints of this process (endpoint.c and the API files): each is a file descriptor (FD_CLOEXEC; one end of a
   Unix socket pair, see pump.c), the SCIF endpoint descriptor the program holds, mapped to
   its slot in the endpoint table. */
#ifndef LIBSCIF_ENDPOINT_H
#define LIBSCIF_ENDPOINT_H
#include "fabric.h"
#include "ring.h"
#include <scif.h>

struct ep {
	int refs;         /* atomic; a recycled ep is reset from fd on (endpoint.c) */
	struct ep *free_next; /* the free list's link, while the ep is on it (endpoint.c) */
	int fd;
	int slot;
	volatile int closed;
	int owner_pid;    /* the process whose slot it is; a forked child only borrows it */
	/* ctl serialises control calls on the endpoint; lock order: ctl, then fab.mu, then the
	   shared lock. send_mu and recv_mu serialise each direction of the data path (but for
	   serial calls, below). */
	pthread_mutex_t ctl, send_mu, recv_mu;
	/* Serial calls (scif4j_io with SCIF4J_SERIAL, message.c) inside the data path, by
	   direction (0 recv, 1 send): 1 from before the call's first look at closed until after
	   its last access to the endpoint's shared memory. Plain stores: close_ep reads them
	   after a process-wide barrier (ep_serial_drain). */
	int serial_in[2];
	uint16_t port;
	struct scif_portID peer;
	int peer_slot;
	struct conn *volatile conn; /* set once connected, last (release): then peer is valid */
	struct conn *pending;       /* a connector's file until it is accepted */
	int async_pending;
	int64_t async_deadline;
	struct rma *rma;            /* registered memory and RMA, once connected (created under ctl) */
	int bell;                   /* the socket pair's other end, kept by the library */
	int watched;                /* scif_get_fd was called: the pump keeps the fd's readiness */
	int shown;                  /* the events the fd shows (pump.c), guarded by the pump's mutex */
};

#define EP_FD_MAX 65536            /* endpoint descriptors are below this */
#define MAX_SLEEP_NS 100000000LL   /* the longest futex sleep of a wait */

/* The API's failure: errno, and -1. */
static inline int fail(int err)
{
	errno = err;
	return -1;
}

/* endpoint.c: the descriptor table (lock-free for lookups; tab_mu serialises its writers and
   is taken last: nothing is locked under it). */
/* The endpoint of epd with a reference, or NULL with errno (EBADF, ENOTTY). */
struct ep *ep_get(scif_epd_t epd);
void ep_put(struct ep *e);
void ep_ref(struct ep *e);
/* A new endpoint of fd over slot, holding the table's reference (not yet in the table). */
struct ep *ep_new(int fd, int bell, int slot);
/* Puts e into the table under fd: calls find it from now on. */
void ep_install(int fd, struct ep *e);
/* At exit, before leaving the fabric: every endpoint is closed as SCIF closes. */
void endpoints_close_all(void);
static inline uint32_t state_of(struct ep *e)
{
	return ep_field(e->slot, E_STATE);
}
/* Whether serial calls can skip the direction's mutex here: the process-wide barrier
   (membarrier, private expedited) that ep_serial_drain needs is registered. Else they take
   the mutex like every call. */
extern int ep_serial_mode; /* endpoint.c: 0 not yet known, 1 serial calls skip the mutex, -1 not */
int ep_serial_probe(void);
static inline int ep_serial_ok(void)
{
	int m = __atomic_load_n(&ep_serial_mode, __ATOMIC_ACQUIRE);
	return m ? m > 0 : ep_serial_probe();
}
/* The serial call's half of the handshake with close (the invariant: endpoint.c,
   ep_serial_drain): marks direction out busy before the call's first read of closed. */
static inline void serial_enter(struct ep *e, int out)
{
	__atomic_store_n(&e->serial_in[out], 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* the compiler keeps the store before the load of closed */
}
static inline void serial_leave(struct ep *e, int out)
{
	__atomic_store_n(&e->serial_in[out], 0, __ATOMIC_RELEASE);
}
typedef int (*cond_fn)(struct ep *);
/* Waits until ready(e), the deadline (ns, <0: none) or close; 0 ready, 1 timed out. A spin
   checks quick(e) (NULL: ready), a cheap sufficient part of ready, between full checks. */
int await(struct ep *e, int seq_field, int sleepers_field, cond_fn ready, cond_fn quick, int64_t deadline);

/* connect.c: a connect's answer arrived; a non-blocking connect accepted meanwhile is taken
   over (1 if connected). */
int answered(struct ep *e);
int collect_accepted(struct ep *e);

/* rma_api.c: e's RMA state, made at its first use; NULL with *err (EBADF closed, ENOTCONN or
   ECONNRESET unless any_state, ENOMEM). */
struct rma *ep_rma(struct ep *e, int *err, int any_state);
/* poll.c: poll events of an endpoint as scif_poll reports them (masked with events|ERR|HUP). */
short ep_poll_events(struct ep *e, short events);
/* A new endpoint descriptor (FD_CLOEXEC) and its bell; -1 with errno (pump.c). */
int ep_fd_new(int *bell);
/* Keeps the endpoint's descriptor's readiness from now on (starting the pump thread), and
   makes it exact at once. */
void pump_watch(struct ep *e);
/* After a call of this process changed what a watched endpoint reports: makes it exact. Inline
   for the data path: an endpoint nobody called scif_get_fd on costs one load. */
void pump_sync_watched(struct ep *e);
static inline void pump_sync(struct ep *e)
{
	if (__atomic_load_n(&e->watched, __ATOMIC_ACQUIRE))
		pump_sync_watched(e);
}
void pump_forget(struct ep *e);
void pump_stop(void);
#endif
