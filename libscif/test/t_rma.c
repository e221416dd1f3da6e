/* Registered memory, RMA, fences and mappings. */
#include "t.h"
#include <pthread.h>
#include <scif.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define TOP_OFFSET 0x7FFFFFFFFFFFF000LL /* 2^63 - 4096: automatic offsets end just below */

TEST(register_checks_its_arguments)
{
	scif_epd_t e = scif_open();
	void *buf;
	CHECK(posix_memalign(&buf, 4096, 8192) == 0);
	CHECK_ERR(scif_register(e, buf, 8192, 0, SCIF_PROT_READ, 0), ENOTCONN);
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	CHECK_ERR(scif_register(a, (char *)buf + 1, 4096, 0, SCIF_PROT_READ, 0), EINVAL);
	CHECK_ERR(scif_register(a, buf, 0, 0, SCIF_PROT_READ, 0), EINVAL);
	CHECK_ERR(scif_register(a, buf, 100, 0, SCIF_PROT_READ, 0), EINVAL);
	CHECK_ERR(scif_register(a, buf, 4096, 0, 4, 0), EINVAL);
	CHECK_ERR(scif_register(a, buf, 4096, 0, SCIF_PROT_READ, SCIF_MAP_KERNEL), EINVAL);
	CHECK_ERR(scif_register(a, buf, 4096, 5, SCIF_PROT_READ, SCIF_MAP_FIXED), EINVAL);
	CHECK_ERR(scif_register(a, NULL, 4096, 0, SCIF_PROT_READ, 0), EFAULT);
	CHECK_EQ(scif_register(a, buf, 8192, 0, SCIF_PROT_READ, 0), TOP_OFFSET - 8192);
	CHECK_EQ(scif_register(a, buf, 4096, 0, SCIF_PROT_READ, 0), TOP_OFFSET - 8192 - 4096);
	CHECK_EQ(scif_register(a, buf, 4096, 0x10000, SCIF_PROT_READ, SCIF_MAP_FIXED), 0x10000);
	CHECK_ERR(scif_register(a, buf, 8192, 0xF000, SCIF_PROT_READ, SCIF_MAP_FIXED), EADDRINUSE);
	CHECK_ERR(scif_unregister(a, TOP_OFFSET - 8192, 4096), EINVAL); /* cuts a window */
	CHECK_ERR(scif_unregister(a, 0x20000, 4096), ENXIO);
	CHECK_ERR(scif_unregister(a, 3, 4096), EINVAL);
	CHECK_EQ(scif_unregister(a, TOP_OFFSET - 8192 - 4096, 4096 + 8192), 0); /* a run of two */
	CHECK_EQ(scif_unregister(a, 0x10000, 4096), 0);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	CHECK_EQ(scif_close(e), 0);
	/* the heap is as it was: the buffer can be freed and malloc goes on */
	free(buf);
	for (int i = 0; i < 1000; i++)
		free(malloc((size_t)i * 37 + 1));
}

TEST(host_loopback_rma_fences_and_signals)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	unsigned char *mine, *theirs;
	CHECK(posix_memalign((void **)&mine, 4096, 65536) == 0);
	CHECK(posix_memalign((void **)&theirs, 4096, 65536) == 0);
	for (int i = 0; i < 65536; i++)
		mine[i] = (unsigned char)(i * 13), theirs[i] = 0;
	off_t lo = scif_register(a, mine, 65536, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	off_t ro = scif_register(b, theirs, 65536, 0x100000, SCIF_PROT_READ | SCIF_PROT_WRITE, SCIF_MAP_FIXED);
	CHECK(lo >= 0);
	CHECK_EQ(ro, 0x100000);
	CHECK_EQ(scif_writeto(a, lo, 65536, ro, 0), 0);
	CHECK(!memcmp(mine, theirs, 65536)); /* the very memory of the buffer */
	theirs[100] = 0xAB;
	unsigned char one;
	CHECK_EQ(scif_vreadfrom(a, &one, 1, ro + 100, SCIF_RMA_SYNC), 0);
	CHECK_EQ(one, 0xAB);
	CHECK_EQ(scif_readfrom(a, lo + 4096, 4096, ro, SCIF_RMA_USECPU), 0);
	CHECK(!memcmp(mine + 4096, theirs, 4096));
	CHECK_ERR(scif_writeto(a, lo, 4096, ro + 65536, 0), ENXIO);
	CHECK_ERR(scif_writeto(a, lo, 0, ro, 0), EINVAL);
	CHECK_ERR(scif_vwriteto(a, NULL, 8, ro, 0), EFAULT);
	int mark;
	CHECK_EQ(scif_fence_mark(a, SCIF_FENCE_INIT_SELF, &mark), 0);
	CHECK_EQ(mark, 0xdead);
	CHECK_EQ(scif_fence_wait(a, mark), 0);
	CHECK_ERR(scif_fence_wait(a, 1), EINVAL);
	CHECK_ERR(scif_fence_mark(a, 3, &mark), EINVAL);
	CHECK_EQ(scif_fence_signal(a, lo + 8, 11, ro + 16, 22, SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE), 0);
	CHECK_EQ(*(uint64_t *)(mine + 8), 11);
	CHECK_EQ(*(uint64_t *)(theirs + 16), 22);
	CHECK_ERR(scif_fence_signal(a, lo + 2, 1, ro, 2, SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_LOCAL), EINVAL);
	CHECK_ERR(scif_fence_signal(a, lo, 1, ro, 2, SCIF_SIGNAL_LOCAL), EINVAL);
	/* a read-only window refuses writes into it */
	off_t ronly = scif_register(b, theirs, 4096, 0x200000, SCIF_PROT_READ, SCIF_MAP_FIXED);
	CHECK_EQ(ronly, 0x200000);
	CHECK_ERR(scif_writeto(a, lo, 8, ronly, 0), EPERM);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	free(mine);
	free(theirs);
}

static struct t_chan to_card, to_host;

/* The card: registers a buffer, says where, then checks what the host wrote and mapped. */
static void card(void *arg)
{
	(void)arg;
	uint64_t *buf;
	CHECK(posix_memalign((void **)&buf, 4096, 16384) == 0);
	memset(buf, 0, 16384);
	t_recv_int(&to_card);
	scif_epd_t e = scif_open();
	struct scif_portID dst = {0, 1089};
	CHECK(scif_connect(e, &dst) > 0);
	off_t o = scif_register(e, buf, 16384, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	CHECK(o > 0);
	CHECK_EQ(scif_send(e, &o, sizeof o, SCIF_SEND_BLOCK), sizeof o);
	CHECK_EQ(t_recv_int(&to_card), 2); /* the host wrote, signalled and mapped */
	CHECK_EQ(buf[1], 0x1111);
	CHECK_EQ(buf[2], 77);       /* the fence signal */
	CHECK_EQ(buf[600], 0x2222); /* a store through the host's mapping */
	buf[601] = 0x3333;          /* seen through the mapping */
	t_send_int(&to_host, 3);
	CHECK_EQ(t_recv_int(&to_card), 4);
	CHECK_EQ(scif_close(e), 0);
}

TEST(rma_signal_and_mmap_across_processes)
{
	t_chan_open(&to_card);
	t_chan_open(&to_host);
	pid_t c = t_spawn(1, card, NULL);
	scif_epd_t l = scif_open(), n;
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	t_send_int(&to_card, 1);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(l, &peer, &n, SCIF_ACCEPT_SYNC), 0);
	off_t ro;
	CHECK_EQ(scif_recv(n, &ro, sizeof ro, SCIF_RECV_BLOCK), sizeof ro);
	uint64_t v = 0x1111;
	CHECK_EQ(scif_vwriteto(n, &v, 8, ro + 8, 0), 0);
	int mark;
	CHECK_EQ(scif_fence_mark(n, SCIF_FENCE_INIT_SELF, &mark), 0);
	CHECK_EQ(scif_fence_wait(n, mark), 0);
	CHECK_EQ(scif_fence_mark(n, SCIF_FENCE_INIT_PEER, &mark), 0);
	CHECK(mark < 0);
	CHECK_EQ(scif_fence_wait(n, mark), 0);
	CHECK_EQ(scif_fence_signal(n, 0, 0, ro + 16, 77, SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_REMOTE), 0);
	uint64_t *m = scif_mmap(NULL, 16384, SCIF_PROT_READ | SCIF_PROT_WRITE, 0, n, ro);
	CHECK(m != SCIF_MMAP_FAILED);
	CHECK_EQ(m[1], 0x1111);
	m[600] = 0x2222;
	t_send_int(&to_card, 2);
	CHECK_EQ(t_recv_int(&to_host), 3);
	CHECK_EQ(m[601], 0x3333);
	CHECK_EQ(scif_munmap(m, 16384), 0);
	t_send_int(&to_card, 4);
	t_join(c);
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif_close(l), 0);
}
