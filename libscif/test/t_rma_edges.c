/* Registered memory at the edges: windows that end exactly at 2^63, the top of the registered
   address space (every range computation there must neither overflow nor misjudge), and fence
   signals whose 8 bytes straddle two windows. */
#include "t.h"
#include <scif.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define END_OFFSET ((off_t)(INT64_MAX - 8191)) /* 2^63 - 8192: two pages that end at 2^63 */
#define RW (SCIF_PROT_READ | SCIF_PROT_WRITE)

static void *pages(int n)
{
	void *p;
	CHECK(posix_memalign(&p, 4096, (size_t)n * 4096) == 0);
	memset(p, 0, (size_t)n * 4096);
	return p;
}

static void close_pair(scif_epd_t l, scif_epd_t a, scif_epd_t b)
{
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

TEST(unregister_of_a_window_that_ends_at_2_63)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	void *buf = pages(2);
	CHECK_EQ(scif_register(a, buf, 8192, END_OFFSET, RW, SCIF_MAP_FIXED), END_OFFSET);
	CHECK_ERR(scif_unregister(a, END_OFFSET, 4096), EINVAL); /* cuts it */
	CHECK_EQ(scif_unregister(a, END_OFFSET, 8192), 0);
	/* a run of two windows whose last one ends there */
	CHECK_EQ(scif_register(a, buf, 4096, END_OFFSET, RW, SCIF_MAP_FIXED), END_OFFSET);
	CHECK_EQ(scif_register(a, buf, 4096, END_OFFSET + 4096, RW, SCIF_MAP_FIXED), END_OFFSET + 4096);
	CHECK_ERR(scif_unregister(a, END_OFFSET - 4096, 12288), ENXIO); /* a gap before them */
	CHECK_EQ(scif_unregister(a, END_OFFSET, 8192), 0);
	CHECK_ERR(scif_unregister(a, END_OFFSET, 8192), ENXIO); /* gone */
	close_pair(l, a, b);
	free(buf);
}

TEST(register_at_the_top_sees_the_windows_there)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	void *buf = pages(4);
	CHECK_EQ(scif_register(a, buf, 8192, END_OFFSET, RW, SCIF_MAP_FIXED), END_OFFSET);
	CHECK_ERR(scif_register(a, buf, 8192, END_OFFSET, RW, SCIF_MAP_FIXED), EADDRINUSE);
	CHECK_ERR(scif_register(a, buf, 4096, END_OFFSET + 4096, RW, SCIF_MAP_FIXED), EADDRINUSE);
	CHECK_ERR(scif_register(a, buf, 8192, END_OFFSET - 4096, RW, SCIF_MAP_FIXED), EADDRINUSE);
	/* automatic placement: the highest free range below 2^63 - 4096, under that window */
	CHECK_EQ(scif_register(a, buf, 4096, 0, RW, 0), END_OFFSET - 4096);
	/* more than the whole space (2^63 bytes) cannot be placed */
	CHECK_ERR(scif_register(a, buf, (size_t)1 << 63, 0, RW, 0), ENOMEM);
	close_pair(l, a, b);
	free(buf);
}

TEST(rma_mmap_and_signals_reach_the_last_byte_below_2_63)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	unsigned char *mine = pages(2), *theirs = pages(2);
	for (int i = 0; i < 8192; i++)
		mine[i] = (unsigned char)(i * 7 + 1);
	CHECK_EQ(scif_register(a, mine, 8192, END_OFFSET, RW, SCIF_MAP_FIXED), END_OFFSET);
	CHECK_EQ(scif_register(b, theirs, 8192, END_OFFSET, RW, SCIF_MAP_FIXED), END_OFFSET);
	CHECK_EQ(scif_writeto(a, END_OFFSET, 8192, END_OFFSET, 0), 0);
	CHECK(!memcmp(mine, theirs, 8192));
	theirs[8191] = 0x5A;
	CHECK_EQ(scif_readfrom(a, END_OFFSET + 8191, 1, END_OFFSET + 8191, 0), 0);
	CHECK_EQ(mine[8191], 0x5A);
	unsigned char two[2];
	CHECK_EQ(scif_vreadfrom(a, two, 2, END_OFFSET + 8190, 0), 0);
	CHECK_EQ(two[1], 0x5A);
	/* past 2^63: nothing can be there */
	CHECK_ERR(scif_writeto(a, END_OFFSET, 8192, END_OFFSET + 4096, 0), ENXIO);
	CHECK_ERR(scif_readfrom(a, END_OFFSET + 4096, 8192, END_OFFSET, 0), ENXIO);
	CHECK_ERR(scif_vwriteto(a, two, 2, (off_t)INT64_MAX, 0), ENXIO);
	/* the last 8 bytes take a signal; 4 bytes before 2^63 leave half of it outside */
	CHECK_EQ(scif_fence_signal(a, END_OFFSET + 8184, 31, END_OFFSET + 8184, 32,
				   SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE), 0);
	CHECK_EQ(*(uint64_t *)(mine + 8184), 31);
	CHECK_EQ(*(uint64_t *)(theirs + 8184), 32);
	CHECK_ERR(scif_fence_signal(a, END_OFFSET + 8188, 1, 0, 0, SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_LOCAL), ENXIO);
	CHECK_ERR(scif_fence_signal(a, 0, 0, END_OFFSET + 8188, 1, SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_REMOTE), ENXIO);
	/* a mapping of the peer's window up to 2^63 */
	unsigned char *p = scif_mmap(NULL, 8192, SCIF_PROT_READ, 0, a, END_OFFSET);
	CHECK(p != SCIF_MMAP_FAILED);
	CHECK_EQ(p[8183], theirs[8183]);
	CHECK_EQ(*(uint64_t *)(p + 8184), 32); /* the signal's word, at the very end */
	CHECK_EQ(scif_munmap(p, 8192), 0);
	CHECK(scif_mmap(NULL, 8192, SCIF_PROT_READ, 0, a, END_OFFSET + 4096) == SCIF_MMAP_FAILED);
	close_pair(l, a, b);
	free(mine);
	free(theirs);
}

/* Windows RW at [base, base + 4 pages) and `second` at [base + 4 pages, base + 5 pages) of
   endpoint w; a signal at the last 4 bytes of the first lies half in each. */
static void two_windows(scif_epd_t w, void *buf, off_t base, int first, int second)
{
	CHECK_EQ(scif_register(w, buf, 16384, base, first, SCIF_MAP_FIXED), base);
	CHECK_EQ(scif_register(w, (char *)buf + 16384, 4096, base + 16384, second, SCIF_MAP_FIXED), base + 16384);
}

TEST(fence_signal_across_two_windows_is_enxio_whatever_their_protection)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	void *mine = pages(5), *theirs = pages(5), *lone = pages(1);
	const int self = SCIF_FENCE_INIT_SELF;
	CHECK_EQ(scif_register(a, lone, 4096, 0x100000, RW, SCIF_MAP_FIXED), 0x100000);
	CHECK_EQ(scif_register(b, lone, 4096, 0x100000, RW, SCIF_MAP_FIXED), 0x100000);
	two_windows(b, theirs, 0, RW, SCIF_PROT_READ);
	two_windows(a, mine, 0, RW, SCIF_PROT_READ);
	CHECK_ERR(scif_fence_signal(a, 0x100000, 1, 16380, 2, self | SCIF_SIGNAL_REMOTE), ENXIO);
	CHECK_ERR(scif_fence_signal(a, 16380, 1, 0x100000, 2, self | SCIF_SIGNAL_LOCAL), ENXIO);
	CHECK_ERR(scif_fence_signal(a, 16380, 1, 16380, 2, self | SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE), ENXIO);
	/* one window, read-only: the protection decides */
	CHECK_ERR(scif_fence_signal(a, 0x100000, 1, 16384, 2, self | SCIF_SIGNAL_REMOTE), EPERM);
	CHECK_ERR(scif_fence_signal(a, 16384, 1, 0x100000, 2, self | SCIF_SIGNAL_LOCAL), EPERM);
	/* the other order: read-only first, then writable */
	two_windows(b, theirs, 0x200000, SCIF_PROT_READ, RW);
	two_windows(a, mine, 0x200000, SCIF_PROT_READ, RW);
	CHECK_ERR(scif_fence_signal(a, 0x100000, 1, 0x200000 + 16380, 2, self | SCIF_SIGNAL_REMOTE), ENXIO);
	CHECK_ERR(scif_fence_signal(a, 0x200000 + 16380, 1, 0x100000, 2, self | SCIF_SIGNAL_LOCAL), ENXIO);
	/* and two writable windows */
	two_windows(b, theirs, 0x300000, RW, RW);
	CHECK_ERR(scif_fence_signal(a, 0x100000, 1, 0x300000 + 16380, 2, self | SCIF_SIGNAL_REMOTE), ENXIO);
	/* an RMA across them is still checked window by window: the read-only one refuses */
	CHECK_ERR(scif_writeto(a, 0x100000, 8, 16380, 0), EPERM);
	close_pair(l, a, b);
	free(mine);
	free(theirs);
	free(lone);
}
