/* scif4j_fence_wait, the Java native transport's scif_fence_wait in slices: 0 once the marked
   RMAs are complete, -EAGAIN when its slice passed first, -ETIMEDOUT at the library's watchdog,
   1 when there is nothing to wait for in slices; errno left untouched. */
#include "t.h"
#include "../src/scif4j.h"
#include <scif.h>
#include <stdint.h>
#include <stdlib.h>

/* scif4j_fence_wait of mark on epd, with a handle of its own held for the one call. */
static int fence_wait(scif_epd_t epd, int mark, int slice_ms, int64_t deadline_ns)
{
	int64_t ep = scif4j_ep(epd);
	if (ep < 0)
		return (int)ep;
	struct scif4j_fence b = {(uint64_t)ep, mark, slice_ms, deadline_ns};
	int r = scif4j_fence_wait(&b);
	scif4j_ep_put(ep);
	return r;
}

static struct t_chan to_peer;

/* The peer on node 1 (host loopback on node 0 has no waits to slice): connects, then closes
   when told. */
static void peer(void *arg)
{
	(void)arg;
	t_recv_int(&to_peer);
	scif_epd_t e = scif_open();
	struct scif_portID dst = {0, 1089};
	CHECK(scif_connect(e, &dst) > 0);
	CHECK_EQ(t_recv_int(&to_peer), 2);
	CHECK_EQ(scif_close(e), 0);
}

TEST(scif4j_fence_wait_waits_one_slice_at_most)
{
	t_chan_open(&to_peer);
	pid_t p = t_spawn(1, peer, NULL);
	scif_epd_t l = scif_open(), n;
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	t_send_int(&to_peer, 1);
	struct scif_portID from;
	CHECK_EQ(scif_accept(l, &from, &n, SCIF_ACCEPT_SYNC), 0);
	/* no RMA state yet: made here, so that a mark never issued waits in slices too (the plain
	   call would wait the watchdog's whole period, deaf to a close from another thread) */
	CHECK_EQ(fence_wait(n, 1000, 20, 0), -EAGAIN);
	int done;
	CHECK_EQ(scif_fence_mark(n, SCIF_FENCE_INIT_SELF, &done), 0);
	int ahead = done + 1000; /* no RMA submitted reaches it */
	errno = 0;
	CHECK_EQ(fence_wait(n, done, 0, 0), 0);
	CHECK_EQ(fence_wait(n, ahead, 0, 0), -EAGAIN);     /* the slice of 0 ms is over */
	CHECK_EQ(fence_wait(n, ahead, 20, 0), -EAGAIN);    /* and one of 20 ms */
	CHECK_EQ(fence_wait(n, ahead, 20, 1), -ETIMEDOUT); /* the watchdog's deadline passed long ago */
	CHECK_EQ(fence_wait(n, done, -1, 0), -EINVAL);
	CHECK_EQ(errno, 0);
	t_send_int(&to_peer, 2);
	t_join(p);
	CHECK_EQ(fence_wait(n, ahead, 20, 0), 1); /* not connected: the plain call answers ECONNRESET */
	CHECK_ERR(scif_fence_wait(n, ahead), ECONNRESET);
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif_close(l), 0);
}
