/* A fork()ed child and its parent's endpoints: the child does RMA, fences and signals
   through them on the windows its parent registered, which keep the parent's pages; it
   cannot register or unregister into them (EFAULT, ENXIO); its exit leaves them working. */
#include "t.h"
#include <scif.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN 16384

static unsigned char *mine, *theirs;
static scif_epd_t a;
static off_t lo, ro;

static void child_uses_the_parents_windows(void)
{
	/* the child's own copy of the registered buffer is not the window */
	if (madvise(mine, LEN, MADV_NORMAL) == 0) /* present unless DONTFORK */
		memset(mine, 0xEE, LEN);
	CHECK_EQ(scif_writeto(a, lo, 4096, ro, 0), 0); /* the parent's pages: pattern 1 */
	unsigned char v[4096];
	memset(v, 0x77, sizeof v);
	CHECK_EQ(scif_vwriteto(a, v, 4096, ro + 4096, SCIF_RMA_SYNC), 0);
	CHECK_EQ(scif_readfrom(a, lo + 8192, 4096, ro + 8192, 0), 0); /* into the parent's pages */
	int mark;
	CHECK_EQ(scif_fence_mark(a, SCIF_FENCE_INIT_SELF, &mark), 0);
	CHECK_EQ(scif_fence_wait(a, mark), 0);
	CHECK_EQ(scif_fence_signal(a, lo + 12288, 0xAB, ro + 12288, 0xCD,
				   SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE), 0);
	uint64_t *m = scif_mmap(NULL, LEN, SCIF_PROT_READ | SCIF_PROT_WRITE, 0, a, ro);
	CHECK(m != SCIF_MMAP_FAILED);
	m[12288 / 8 + 1] = 0x1234;
	CHECK_EQ(scif_munmap(m, LEN), 0);
	void *buf;
	CHECK(posix_memalign(&buf, 4096, 4096) == 0);
	CHECK_ERR(scif_register(a, buf, 4096, 0, SCIF_PROT_READ, 0), EFAULT);
	CHECK_ERR(scif_unregister(a, lo, LEN), ENXIO);
	CHECK_EQ(scif_close(a), 0); /* the child's descriptor only */
}

static void run(int dontfork)
{
	scif_epd_t l, b;
	t_pair(&l, &a, &b);
	CHECK(posix_memalign((void **)&mine, 4096, LEN) == 0);
	CHECK(posix_memalign((void **)&theirs, 4096, LEN) == 0);
	for (int i = 0; i < LEN; i++)
		mine[i] = 1, theirs[i] = (unsigned char)(i % 251 + 2);
	lo = scif_register(a, mine, LEN, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	ro = scif_register(b, theirs, LEN, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	CHECK(lo > 0 && ro > 0);
	if (dontfork)
		CHECK_EQ(madvise(mine, LEN, MADV_DONTFORK), 0);
	fflush(stdout);
	pid_t p = fork();
	CHECK(p >= 0);
	if (p == 0) {
		child_uses_the_parents_windows();
		exit(0);
	}
	t_join(p);
	for (int i = 0; i < 4096; i++) {
		CHECK_EQ(theirs[i], 1);                 /* the window's pages, not the child's 0xEE */
		CHECK_EQ(theirs[4096 + i], 0x77);       /* the child's vwriteto */
		CHECK_EQ(mine[8192 + i], (unsigned char)((8192 + i) % 251 + 2)); /* the child's readfrom */
	}
	CHECK_EQ(*(uint64_t *)(mine + 12288), 0xAB);
	CHECK_EQ(*(uint64_t *)(theirs + 12288), 0xCD);
	CHECK_EQ(*(uint64_t *)(theirs + 12288 + 8), 0x1234); /* the child's store through its mapping */
	/* the child's exit left the endpoints and windows working */
	CHECK_EQ(scif_vwriteto(a, "again", 5, ro, SCIF_RMA_SYNC), 0);
	CHECK(!memcmp(theirs, "again", 5));
	CHECK_EQ(scif_unregister(a, lo, LEN), 0);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	if (dontfork)
		CHECK_EQ(madvise(mine, LEN, MADV_DOFORK), 0);
	free(mine);
	free(theirs);
}

TEST(a_forked_child_does_rma_through_inherited_endpoints_on_its_parents_pages)
{
	run(0);
}

TEST(a_forked_child_does_rma_on_a_window_its_parent_made_madv_dontfork)
{
	run(1);
}
