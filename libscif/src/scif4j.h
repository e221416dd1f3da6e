/* The scif4j_* helpers this library exports for scif4j's Java native transport (JNA, direct
   mapping): not SCIF calls, so not in scif.h. JNA's dispatch costs time per argument, and
   reading errno after a call is one more crossing; so each data call takes one pointer to a
   block the caller filled in (the Java side keeps one per thread) and returns a negative
   errno instead of setting errno, which it leaves untouched. The blocks' layouts are fixed:
   the Java side writes them by offset (scif-transport-native's Scratch). */
#ifndef LIBSCIF_SCIF4J_H
#define LIBSCIF_SCIF4J_H
#include <stdint.h>

#define SCIF4J_API __attribute__((visibility("default")))

/* A reference on the endpoint of epd, as a handle for scif4j_io and scif4j_rma (message.c), or -errno; its
   memory stays valid until scif4j_ep_put, and once the endpoint is closed scif4j_io fails
   with EINTR. */
SCIF4J_API int64_t scif4j_ep(int epd);
SCIF4J_API int scif4j_ep_put(int64_t ep);

/* scif4j_io's block: 32 bytes. */
struct scif4j_io {
	uint64_t ep;        /* scif4j_ep's handle */
	uint64_t addr;      /* the bytes */
	int32_t len;        /* bytes to move, >= 0 */
	int32_t op;         /* SCIF4J_SEND or SCIF4J_RECV, | SCIF4J_BLOCK to wait, | SCIF4J_SERIAL */
	int32_t timeout_ms; /* with SCIF4J_BLOCK: return after this long with what moved (< 0: never) */
	int32_t unused;     /* 0 */
};
#define SCIF4J_RECV 0
#define SCIF4J_SEND 1
#define SCIF4J_BLOCK 2
/* The caller serialises this direction of the endpoint itself: no other send (recv) on it
   runs while this one does, every one of them passes this flag, and the endpoint is closed
   only after they returned (the Java side holds the direction's lock for the whole call, and
   takes both before scif_close). The call then takes no mutex of its own, where the
   process-wide barrier close needs is available (endpoint.c, ep_serial_drain); calls without
   the flag, scif_send and scif_recv, always take it. */
#define SCIF4J_SERIAL 4

/* scif_send or scif_recv (message.c), waiting as the BLOCK flag does but at most timeout_ms
   (counted from the first wait: a call that never waits reads no clock). Returns the bytes
   moved (0: none before the time limit) or -errno. */
SCIF4J_API int scif4j_io(struct scif4j_io *io);
/* scif4j_io of the calling thread's block, set once per thread by scif4j_io_bind: a call with
   no argument, which JNA dispatches faster than one with an argument (it decodes and encodes
   every argument again). -EINVAL before the thread's first scif4j_io_bind. */
SCIF4J_API int scif4j_io_bind(struct scif4j_io *io);
SCIF4J_API int scif4j_io_bound(void);

/* scif4j_rma's block: 40 bytes. */
struct scif4j_rma {
	uint64_t ep;     /* scif4j_ep's handle */
	int32_t op;      /* SCIF4J_READFROM .. SCIF4J_VWRITETO */
	int32_t flags;   /* the call's flags */
	uint64_t local;  /* the local registered offset, or for the v* calls the address */
	uint64_t len;
	uint64_t remote; /* the peer's registered offset */
};
#define SCIF4J_READFROM 0
#define SCIF4J_WRITETO 1
#define SCIF4J_VREADFROM 2
#define SCIF4J_VWRITETO 3

/* scif_readfrom, scif_writeto, scif_vreadfrom or scif_vwriteto on the endpoint of a handle
   (rma_api.c): 0 or -errno (EBADF once the endpoint is closed). */
SCIF4J_API int scif4j_rma(struct scif4j_rma *rma);

/* scif4j_fence_wait's block: 24 bytes. */
struct scif4j_fence {
	uint64_t ep;         /* scif4j_ep's handle */
	int32_t mark;        /* scif_fence_mark's mark */
	int32_t slice_ms;    /* the longest this call waits, >= 0 */
	int64_t deadline_ns; /* 0 before the first call, which sets it: when the wait fails with ETIMEDOUT */
};

/* scif_fence_wait on the endpoint of a handle, in slices (message.c): 0 once the marked RMAs
   are complete, -EAGAIN when slice_ms passed before (call again with the same block: the
   library's watchdog counts from the first call), else -errno as scif_fence_wait (EINTR once
   the endpoint is being closed); 1 when there is nothing to wait for in slices (host
   loopback, not connected): scif_fence_wait then answers at once. An endpoint without RMA
   state gets it here. So the Java side sees an interrupt or a close between two calls, as for
   scif4j_io. */
SCIF4J_API int scif4j_fence_wait(struct scif4j_fence *f);

/* Ends the non-blocking connect in progress on epd now, as an interrupted blocking connect
   ends (connect.c): the local port when the request was accepted meanwhile, -EINTR when it was
   still unanswered (withdrawn: the endpoint stays BOUND), -ECONNREFUSED when refused, -EINVAL
   when no connect is in progress, -EBADF for a closed epd. */
SCIF4J_API int scif4j_connect_abandon(int epd);

/* Copies the calling thread's last line libscif wrote to standard error into buf (at most
   n - 1 bytes and a NUL), e.g. why the first call could not attach (sys.c); returns its
   length, 0 when the thread wrote none. */
SCIF4J_API int scif4j_last_message(char *buf, int n);

/* Leaves the fabric now, as exit would (fabric.c): the Java node's close. */
SCIF4J_API int scif4j_detach(void);
#endif
