/* Closing an endpoint ends its RMA half (fence waiters, RMAs in flight) while its slot in the
   fabric's endpoint table is still its own, and only then frees the slot, which another
   endpoint may take at once. The test reads and writes the fabric and connection files
   (their layout is the documented one) to hold a fence open and to see the slot taken. */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <scif.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
/* last: its P_PID is not the one of sys/wait.h */
#include "../src/layout.h"

#define NODE 1 /* not node 0: a host loopback connection's fences never wait */
#define PORT 1089

static uint8_t *map_file(const char *name, size_t *len)
{
	char p[900];
	snprintf(p, sizeof p, "%s/t/%s", t_dir(), name);
	int fd = open(p, O_RDWR);
	CHECK(fd >= 0);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(m != MAP_FAILED);
	*len = (size_t)st.st_size;
	return m;
}

/* The one connection file of the fabric. */
static uint8_t *map_conn(size_t *len)
{
	char p[700], name[300] = "";
	snprintf(p, sizeof p, "%s/t", t_dir());
	DIR *d = opendir(p);
	CHECK(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "conn-", 5))
			snprintf(name, sizeof name, "%s", e->d_name);
	closedir(d);
	CHECK(name[0]);
	return map_file(name, len);
}

static uint32_t u32(const uint8_t *f, uint64_t off)
{
	return __atomic_load_n((const uint32_t *)(f + off), __ATOMIC_ACQUIRE);
}

static void *connect_thread(void *arg)
{
	struct scif_portID dst = {NODE, PORT};
	return (void *)(intptr_t)scif_connect(*(scif_epd_t *)arg, &dst);
}

struct waiter {
	scif_epd_t epd;
	int signal; /* 0: fence_mark and fence_wait, 1: fence_signal */
	int r, err;
	int done; /* atomic */
};

static void *fence_thread(void *arg)
{
	struct waiter *w = arg;
	int mark = 0;
	errno = 0;
	if (w->signal) {
		w->r = scif_fence_signal(w->epd, 0, 7, 0, 0, SCIF_FENCE_INIT_PEER | SCIF_SIGNAL_LOCAL);
	} else {
		w->r = scif_fence_mark(w->epd, SCIF_FENCE_INIT_PEER, &mark);
		if (!w->r)
			w->r = scif_fence_wait(w->epd, mark);
	}
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static struct t_chan go, done;

/* Another process's first endpoint: its table walk starts at slot 0, so it takes the lowest
   free slot, the one the test's closed endpoint left. Connected, it holds it until told. */
static void child_takes_the_slot(void *arg)
{
	(void)arg;
	t_recv_int(&go);
	scif_epd_t e = scif_open();
	CHECK(e >= 0);
	struct scif_portID dst = {NODE, PORT};
	CHECK(scif_connect(e, &dst) > 0);
	t_recv_int(&go);
	CHECK_EQ(scif_close(e), 0);
	t_send_int(&done, 1);
}

TEST(closing_an_endpoint_ends_its_fence_waiters_before_its_slot_can_be_taken_again)
{
	t_chan_open(&go);
	t_chan_open(&done);
	pid_t child = t_spawn(2, child_takes_the_slot, NULL); /* before this process attaches */
	/* the runner's fabric with a fence timeout longer than the test may take to see both
	   waiters asleep on a loaded machine (a fence wait ends with ETIMEDOUT after it) */
	char uri[700];
	snprintf(uri, sizeof uri, "shm:t?node=%d&dir=%s&timeout=25000", NODE, t_dir());
	setenv("SCIF_FABRIC", uri, 1);
	scif_epd_t l = scif_open(), a = scif_open(), b;
	CHECK_EQ(scif_bind(l, PORT), PORT);
	CHECK_EQ(scif_listen(l, 2), 0);
	pthread_t ct;
	CHECK(pthread_create(&ct, NULL, connect_thread, &a) == 0);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(l, &peer, &b, SCIF_ACCEPT_SYNC), 0);
	void *cr;
	pthread_join(ct, &cr);
	CHECK((intptr_t)cr > 0);
	void *buf;
	CHECK(posix_memalign(&buf, 4096, 4096) == 0);
	CHECK_EQ(scif_register(a, buf, 4096, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, SCIF_MAP_FIXED), 0);
	*(volatile uint64_t *)buf = 0;

	/* Both sides have an operation submitted and not completed (as a Java peer's DMA
	   channel has while it copies): a fence on the peer's operations waits. */
	size_t clen, flen;
	uint8_t *c = map_conn(&clen);
	for (int side = 0; side < 2; side++)
		__atomic_add_fetch((uint32_t *)(c + side_off(side) + S_DMA_SUBMITTED), 1, __ATOMIC_SEQ_CST);
	uint8_t *f = map_file("fabric", &flen);

	struct waiter w[2] = {{a, 0, 0, 0, 0}, {a, 1, 0, 0, 0}};
	pthread_t wt[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&wt[i], NULL, fence_thread, &w[i]) == 0);
	/* both are asleep in their fence: the slot with two fence sleepers is a's */
	int slot = -1;
	while (slot < 0) {
		for (int i = 0; i < 2; i++)
			if (__atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST))
				t_fail(__FILE__, __LINE__, "fence waiter %d ended before the close: %d errno %d", i, w[i].r,
				       w[i].err);
		for (int i = 0; i < MAX_ENDPOINTS && slot < 0; i++)
			if (u32(f, endpoint_off(i) + E_FENCE_SLEEPERS) == 2)
				slot = i;
		sched_yield();
	}
	CHECK_EQ(scif_close(a), 0);

	/* Another process takes the freed slot and connects through it. */
	t_send_int(&go, 1);
	scif_epd_t b2;
	CHECK_EQ(scif_accept(l, &peer, &b2, SCIF_ACCEPT_SYNC), 0);
	CHECK_EQ(peer.node, 2);
	CHECK_EQ(u32(f, endpoint_off(slot) + E_STATE), EP_CONNECTED);
	CHECK_EQ(u32(f, endpoint_off(slot) + E_NODE), 2);

	/* The waiters ended because their endpoint closed, not because its slot changed hands
	   (they would see a peer lost, or wait on the new endpoint's fence for good). */
	for (int i = 0; i < 2; i++) {
		pthread_join(wt[i], NULL);
		CHECK_EQ(w[i].r, -1);
		CHECK_EQ(w[i].err, EINTR);
	}
	CHECK_EQ(*(volatile uint64_t *)buf, 0); /* the interrupted signal stored nothing */
	t_send_int(&go, 2);
	CHECK_EQ(t_recv_int(&done), 1);
	t_join(child);
	CHECK_EQ(scif_close(b2), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	munmap(c, clen);
	munmap(f, flen);
	free(buf);
}
