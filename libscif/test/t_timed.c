/* The scif4j_* helpers of the Java native transport: scif4j_io, the data call with a time
   limit (it moves what it can, waits as scif_send/scif_recv with the BLOCK flag do, returns
   what moved once the time is up, 0 if nothing), and scif4j_rma, the RMA calls; both return
   -errno on failure and leave errno untouched. */
#include "t.h"
#include "../src/scif4j.h"
#include <pthread.h>
#include <scif.h>
#include <stdint.h>
#include <stdlib.h>

/* scif4j_io on epd, with a handle of its own (scif4j_ep) held for the one call. */
static int io(scif_epd_t epd, int op, void *msg, int len, int timeout_ms)
{
	int64_t ep = scif4j_ep(epd);
	if (ep < 0)
		return (int)ep;
	struct scif4j_io b = {(uint64_t)ep, (uint64_t)(uintptr_t)msg, len, op, timeout_ms, 0};
	int r = scif4j_io(&b);
	scif4j_ep_put(ep);
	return r;
}

/* The timed blocking calls, as the Java side makes them. */
static int timed_send(scif_epd_t epd, void *msg, int len, int timeout_ms)
{
	return io(epd, SCIF4J_SEND | SCIF4J_BLOCK, msg, len, timeout_ms);
}

static int timed_recv(scif_epd_t epd, void *msg, int len, int timeout_ms)
{
	return io(epd, SCIF4J_RECV | SCIF4J_BLOCK, msg, len, timeout_ms);
}

struct later {
	scif_epd_t epd;
	char byte;
};

static void *send_one_later(void *arg)
{
	struct later *l = arg;
	/* after the receiver is waiting for the second byte: it told us with its first */
	char first;
	CHECK_EQ(scif_recv(l->epd, &first, 1, SCIF_RECV_BLOCK), 1);
	CHECK_EQ(scif_send(l->epd, &l->byte, 1, SCIF_SEND_BLOCK), 1);
	return NULL;
}

TEST(timed_recv_and_send_move_what_they_can_and_return_at_the_time_limit)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	char buf[8] = {0};
	errno = 0;
	CHECK_EQ(timed_recv(a, buf, 4, 20), 0); /* nothing came: 0 after the limit */
	CHECK_EQ(io(a, SCIF4J_RECV, buf, 4, -1), 0); /* without BLOCK: at once */
	CHECK_EQ(errno, 0);
	CHECK_EQ(io(b, SCIF4J_SEND, "xy", 2, -1), 2);
	CHECK_EQ(timed_recv(a, buf, 4, 20), 2); /* part came: that part */
	CHECK(!memcmp(buf, "xy", 2));
	/* a waiting receiver gets a byte sent meanwhile */
	struct later s = {b, 'z'};
	pthread_t t;
	CHECK(pthread_create(&t, NULL, send_one_later, &s) == 0);
	CHECK_EQ(scif_send(a, "!", 1, SCIF_SEND_BLOCK), 1);
	CHECK_EQ(timed_recv(a, buf, 1, -1), 1);
	CHECK_EQ(buf[0], 'z');
	pthread_join(t, NULL);
	/* a full ring: send moves what fits and returns at the limit */
	static char big[32 << 20]; /* more than the default ring's 16 MiB */
	int n = timed_send(a, big, sizeof big, 20);
	CHECK(n > 0 && n < (int)sizeof big);
	CHECK_EQ(timed_send(a, big, 1, 20), 0);
	errno = 0;
	CHECK_EQ(timed_recv(a, NULL, 1, 20), -EFAULT);
	CHECK_EQ(timed_recv(a, buf, -1, 20), -EINVAL);
	CHECK_EQ(errno, 0); /* failures return -errno and leave errno alone */
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(timed_recv(a, buf, 1, 20), -ECONNRESET);
	CHECK_EQ(timed_send(a, buf, 1, 20), -ECONNRESET);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(timed_recv(a, buf, 1, 20), -EBADF); /* no handle for a closed descriptor */
	CHECK_EQ(scif_close(l), 0);
}

TEST(a_handle_outlives_its_endpoints_close_and_then_fails_with_eintr)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	int64_t ep = scif4j_ep(a);
	CHECK(ep > 0);
	char buf[4] = "abc";
	struct scif4j_io send = {(uint64_t)ep, (uint64_t)(uintptr_t)buf, 3, SCIF4J_SEND, -1, 0};
	CHECK_EQ(scif4j_io(&send), 3);
	CHECK_EQ(scif_recv(b, buf, 3, SCIF_RECV_BLOCK), 3);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif4j_io(&send), -EINTR); /* closed while the handle was held */
	CHECK_EQ(scif4j_ep_put(ep), 0);
	CHECK_EQ(scif4j_ep(a), -EBADF);
	CHECK_EQ(scif4j_ep(-1), -EBADF);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

/* scif4j_rma on epd, with a handle of its own held for the one call. */
static int rma(scif_epd_t epd, int op, uint64_t local, uint64_t len, uint64_t remote, int flags)
{
	int64_t ep = scif4j_ep(epd);
	if (ep < 0)
		return (int)ep;
	struct scif4j_rma b = {(uint64_t)ep, op, flags, local, len, remote};
	int r = scif4j_rma(&b);
	scif4j_ep_put(ep);
	return r;
}

TEST(scif4j_rma_is_each_rma_call_with_minus_errno)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	unsigned char *mine, *theirs, *plain;
	CHECK(posix_memalign((void **)&mine, 4096, 8192) == 0);
	CHECK(posix_memalign((void **)&theirs, 4096, 8192) == 0);
	CHECK(posix_memalign((void **)&plain, 4096, 8192) == 0);
	memset(mine, 1, 8192);
	memset(theirs, 0, 8192);
	off_t lo = scif_register(a, mine, 8192, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	off_t ro = scif_register(b, theirs, 8192, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	CHECK(lo >= 0 && ro >= 0);
	uint64_t ulo = (uint64_t)lo, uro = (uint64_t)ro;
	CHECK_EQ(rma(a, SCIF4J_WRITETO, ulo, 4096, uro, SCIF_RMA_USECPU), 0);
	CHECK(theirs[0] == 1 && theirs[4095] == 1 && theirs[4096] == 0);
	theirs[4096] = 7;
	CHECK_EQ(rma(a, SCIF4J_READFROM, ulo + 4096, 4096, uro + 4096, SCIF_RMA_USECPU), 0);
	CHECK(mine[4096] == 7);
	memset(plain, 9, 8192);
	CHECK_EQ(rma(a, SCIF4J_VWRITETO, (uint64_t)(uintptr_t)plain, 8192, uro, SCIF_RMA_USECPU), 0);
	CHECK(theirs[0] == 9 && theirs[8191] == 9);
	theirs[5] = 3;
	CHECK_EQ(rma(a, SCIF4J_VREADFROM, (uint64_t)(uintptr_t)plain, 4096, uro, SCIF_RMA_USECPU), 0);
	CHECK(plain[5] == 3);
	errno = 0;
	CHECK_EQ(rma(a, SCIF4J_WRITETO, ulo, 4096, uro + 65536, 0), -ENXIO); /* no window there */
	CHECK_EQ(rma(a, SCIF4J_WRITETO, ulo, 4096, uro, 1 << 20), -EINVAL); /* unknown flag */
	CHECK_EQ(rma(a, 4, ulo, 4096, uro, 0), -EINVAL); /* unknown call */
	CHECK_EQ(errno, 0);
	int64_t held = scif4j_ep(a);
	CHECK(held > 0);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(rma(a, SCIF4J_READFROM, ulo, 4096, uro, 0), -EBADF); /* no handle for a closed descriptor */
	struct scif4j_rma late = {(uint64_t)held, SCIF4J_READFROM, 0, ulo, 4096, uro};
	CHECK_EQ(scif4j_rma(&late), -EBADF); /* closed while the handle was held */
	CHECK_EQ(scif4j_ep_put(held), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	free(mine);
	free(theirs);
	free(plain);
}

/* A serial call (SCIF4J_SERIAL: the caller serialises each direction, so the library takes no
   mutex) on a handle of its own, with no time limit. */
struct serial_recv {
	int64_t ep;
	struct t_chan started;
	int result;
};

static void *serial_recv_forever(void *arg)
{
	struct serial_recv *s = arg;
	char buf[2];
	struct scif4j_io b = {(uint64_t)s->ep, (uint64_t)(uintptr_t)buf, 2, SCIF4J_RECV | SCIF4J_BLOCK | SCIF4J_SERIAL,
			      -1, 0};
	t_send_int(&s->started, 1);
	s->result = scif4j_io(&b);
	return NULL;
}

TEST(serial_calls_move_data_and_end_with_eintr_when_their_endpoint_closes)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	int64_t ea = scif4j_ep(a), eb = scif4j_ep(b);
	CHECK(ea > 0 && eb > 0);
	char buf[8] = {0};
	struct scif4j_io send = {(uint64_t)eb, (uint64_t)(uintptr_t)"serial", 6, SCIF4J_SEND | SCIF4J_BLOCK | SCIF4J_SERIAL,
				 -1, 0};
	struct scif4j_io recv = {(uint64_t)ea, (uint64_t)(uintptr_t)buf, 6, SCIF4J_RECV | SCIF4J_BLOCK | SCIF4J_SERIAL,
				 -1, 0};
	CHECK_EQ(scif4j_io(&send), 6);
	CHECK_EQ(scif4j_io(&recv), 6);
	CHECK(!memcmp(buf, "serial", 6));
	/* a receiver waiting without a time limit leaves when another thread closes its endpoint
	   (whether it was already waiting or called after the close) */
	struct serial_recv s = {ea, {0, 0}, 0};
	t_chan_open(&s.started);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, serial_recv_forever, &s) == 0);
	CHECK_EQ(t_recv_int(&s.started), 1);
	CHECK_EQ(scif_close(a), 0);
	pthread_join(t, NULL);
	CHECK_EQ(s.result, -EINTR);
	CHECK_EQ(scif4j_ep_put(ea), 0);
	CHECK_EQ(scif4j_ep_put(eb), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

/* scif4j_io_bound: the calling thread's block, bound once (scif4j_io_bind) and read again at
   every call, moved by a call without argument; a thread that bound none gets -EINVAL. */
static void *bound_in_another_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)scif4j_io_bound();
}

TEST(scif4j_io_bound_moves_the_block_its_thread_bound)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	int64_t ea = scif4j_ep(a), eb = scif4j_ep(b);
	CHECK(ea > 0 && eb > 0);
	CHECK_EQ(scif4j_io_bound(), -EINVAL); /* nothing bound yet */
	char buf[8] = {0};
	struct scif4j_io send = {(uint64_t)eb, (uint64_t)(uintptr_t)"bound", 5, SCIF4J_SEND | SCIF4J_BLOCK | SCIF4J_SERIAL,
				 -1, 0};
	struct scif4j_io recv = {(uint64_t)ea, (uint64_t)(uintptr_t)buf, 5, SCIF4J_RECV | SCIF4J_BLOCK | SCIF4J_SERIAL,
				 -1, 0};
	CHECK_EQ(scif4j_io_bind(&send), 0);
	CHECK_EQ(scif4j_io_bound(), 5);
	send.len = 2; /* the block is read at each call */
	CHECK_EQ(scif4j_io_bound(), 2);
	CHECK_EQ(scif4j_io_bind(&recv), 0);
	recv.len = 7;
	CHECK_EQ(scif4j_io_bound(), 7);
	CHECK(!memcmp(buf, "boundbo", 7));
	pthread_t t;
	void *r;
	CHECK(pthread_create(&t, NULL, bound_in_another_thread, NULL) == 0);
	pthread_join(t, &r);
	CHECK_EQ((intptr_t)r, -EINVAL); /* the binding is the thread's */
	CHECK_EQ(scif4j_ep_put(ea), 0);
	CHECK_EQ(scif4j_ep_put(eb), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(l), 0);
}
