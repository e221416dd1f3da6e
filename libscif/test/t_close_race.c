/* Closing an endpoint while other threads are inside RMA calls on it: the calls end with an
   error (or complete), and nothing touches freed or unmapped memory (run under ASan too). */
#include "t.h"
#include <pthread.h>
#include <scif.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define THREADS 8
#define LEN 65536

struct shared {
	scif_epd_t a;
	off_t lo, ro;
	int ops;      /* calls done, all threads (atomic) */
	int bad;      /* an errno no call may fail with, once (atomic) */
};

static int acceptable(int err)
{
	return err == EBADF || err == ENXIO || err == ECONNRESET || err == ENOTCONN;
}

static void *rma_loop(void *arg)
{
	struct shared *s = arg;
	static __thread unsigned char buf[LEN];
	for (unsigned i = 0;; i++) {
		int r, mark;
		switch (i % 5) {
		case 0:
			r = scif_writeto(s->a, s->lo, LEN, s->ro, 0);
			break;
		case 1:
			r = scif_readfrom(s->a, s->lo, LEN, s->ro, SCIF_RMA_SYNC);
			break;
		case 2:
			r = scif_vwriteto(s->a, buf, LEN, s->ro, 0);
			break;
		case 3:
			r = scif_fence_signal(s->a, s->lo, i, s->ro + 8, i, SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_LOCAL |
					      SCIF_SIGNAL_REMOTE);
			break;
		default:
			r = scif_fence_mark(s->a, SCIF_FENCE_INIT_PEER, &mark);
			if (!r)
				r = scif_fence_wait(s->a, mark);
		}
		if (r) {
			if (!acceptable(errno))
				__atomic_store_n(&s->bad, errno, __ATOMIC_SEQ_CST);
			if (errno == EBADF)
				return NULL; /* closed */
		}
		__atomic_add_fetch(&s->ops, 1, __ATOMIC_SEQ_CST);
	}
}

TEST(closing_an_endpoint_while_threads_do_rma_on_it_touches_no_freed_memory)
{
	unsigned char *mine, *theirs;
	CHECK(posix_memalign((void **)&mine, 4096, LEN) == 0);
	CHECK(posix_memalign((void **)&theirs, 4096, LEN) == 0);
	for (int round = 0; round < 20; round++) {
		scif_epd_t l, a, b;
		t_pair(&l, &a, &b);
		struct shared s = {a, 0, 0, 0, 0};
		s.lo = scif_register(a, mine, LEN, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
		s.ro = scif_register(b, theirs, LEN, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
		CHECK(s.lo > 0 && s.ro > 0);
		pthread_t t[THREADS];
		for (int i = 0; i < THREADS; i++)
			CHECK(pthread_create(&t[i], NULL, rma_loop, &s) == 0);
		/* close once the threads are well inside their loops (a different moment each round) */
		while (__atomic_load_n(&s.ops, __ATOMIC_SEQ_CST) < THREADS * (4 + round))
			sched_yield();
		CHECK_EQ(scif_close(a), 0);
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		CHECK_EQ(s.bad, 0);
		/* the closed side's window is gone, the peer's still works for its owner */
		CHECK_EQ(scif_close(b), 0);
		CHECK_EQ(scif_close(l), 0);
	}
	free(mine); /* the heap is as it was */
	free(theirs);
}

/* Lookups race opens and closes that reuse descriptor numbers (and, inside the library, the
   endpoints' memory): a call on a descriptor either finds the endpoint it names or fails as
   on a closed descriptor, and nothing touches an endpoint after it is freed (ASan). */
struct churn {
	int stop;
	long calls;
};

static void *lookup_loop(void *arg)
{
	struct churn *c = arg;
	char b;
	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		for (scif_epd_t epd = 3; epd < 40; epd++) {
			errno = 0;
			int r = scif_recv(epd, &b, 1, 0);
			/* ENOTCONN: found, unconnected; EINTR: found, closed during the call; EBADF,
			   ENOTTY: not (or no longer) an endpoint */
			if (r != -1 || (errno != ENOTCONN && errno != EINTR && errno != EBADF && errno != ENOTTY)) {
				fprintf(stderr, "  scif_recv(%d) returned %d errno %d\n", epd, r, errno);
				__atomic_store_n(&c->stop, 2, __ATOMIC_SEQ_CST);
				return NULL;
			}
			__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

TEST(lookups_racing_opens_and_closes_find_the_endpoint_or_ebadf)
{
	struct churn c = {0, 0};
	pthread_t t[4];
	scif_epd_t keep = scif_open(); /* attaches before the readers start */
	CHECK(keep >= 0);
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, lookup_loop, &c) == 0);
	for (int round = 0; round < 2000 && !__atomic_load_n(&c.stop, __ATOMIC_SEQ_CST); round++) {
		scif_epd_t e[4];
		for (int i = 0; i < 4; i++)
			CHECK((e[i] = scif_open()) >= 0);
		for (int i = 0; i < 4; i++)
			CHECK_EQ(scif_close(e[(i + round) % 4]), 0);
	}
	int running = 0; /* stop the readers, unless one stopped on a wrong answer */
	__atomic_compare_exchange_n(&c.stop, &running, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(__atomic_load_n(&c.stop, __ATOMIC_SEQ_CST), 1);
	CHECK(c.calls > 0);
	CHECK_EQ(scif_close(keep), 0);
}
