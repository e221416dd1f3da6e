/* Registered memory, RMA, fences and mappings. */
#include "t.h"
#include <pthread.h>
#include <scif.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/layout.h"

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

/* ---- layout 6: copier records (docs/shm-format.md, "Copier records") ----
   The copier here is a child that writes its record in the connection file as the Java
   transport's fast path does (libscif's own copies take RMA references); the owner is this
   library's unregister, which must wait for the record. */

static struct t_chan to_copier, to_owner;

/* The connection file of the test's one connection, mapped. */
static uint8_t *map_conn(uint32_t *ring)
{
	char dir[700], path[1000];
	snprintf(dir, sizeof dir, "%s/t", t_dir());
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	struct dirent *e;
	path[0] = 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "conn-", 5))
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
	closedir(d);
	CHECK(path[0] != 0);
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(base != MAP_FAILED);
	*ring = *(uint32_t *)(base + C_RING_SIZE);
	CHECK_EQ((uint64_t)st.st_size, conn_file_size(*ring));
	return base;
}

/* The copier (side 0, the connector): maps the owner's window, announces a copy of the
   owner's entry 0 in its record 5, checks that the entry is active, and tells the owner. Then
   it waits until the owner has marked the entry unregistered (the owner is in its wait, or
   past it if the protocol were broken), "copies" through its mapping, and clears its record
   (or, with die set, exits with the record still set: a copier killed mid-copy). */
static void copier(void *arg)
{
	int die = arg != NULL;
	t_recv_int(&to_copier);
	scif_epd_t e = scif_open();
	struct scif_portID dst = {0, 1089};
	CHECK(scif_connect(e, &dst) > 0);
	off_t o;
	CHECK_EQ(scif_recv(e, &o, sizeof o, SCIF_RECV_BLOCK), sizeof o);
	uint8_t *win = scif_mmap(NULL, 16384, SCIF_PROT_READ | SCIF_PROT_WRITE, 0, e, o);
	CHECK(win != SCIF_MMAP_FAILED);
	uint32_t ring;
	uint8_t *c = map_conn(&ring);
	volatile uint64_t *rec = (volatile uint64_t *)(c + copiers_off(0, ring) + 5 * COPIER_RECORD);
	volatile uint32_t *state = (volatile uint32_t *)(c + window_table_off(1, ring) + W_STATE);
	__atomic_store_n(rec, 7ULL << 32 | 1, __ATOMIC_RELEASE); /* copies ended 7, entry 0 + 1 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	CHECK_EQ(__atomic_load_n(state, __ATOMIC_ACQUIRE), 1);
	t_send_int(&to_owner, 1);
	while (__atomic_load_n(state, __ATOMIC_ACQUIRE) == 1)
		sched_yield();
	if (die)
		_exit(0); /* record left set, no close: the owner's watchdog reaps us */
	memset(win, 0x5a, 16384);
	__atomic_store_n(rec, 8ULL << 32, __ATOMIC_RELEASE);
	CHECK_EQ(t_recv_int(&to_copier), 2);
	CHECK_EQ(scif_munmap(win, 16384), 0);
	CHECK_EQ(scif_close(e), 0);
}

static void unregister_with_a_copier(int die)
{
	t_chan_open(&to_copier);
	t_chan_open(&to_owner);
	pid_t c = t_spawn(1, copier, die ? (void *)1 : NULL);
	scif_epd_t l = scif_open(), n;
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	t_send_int(&to_copier, 1);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(l, &peer, &n, SCIF_ACCEPT_SYNC), 0);
	uint8_t *buf;
	CHECK(posix_memalign((void **)&buf, 4096, 16384) == 0);
	memset(buf, 0, 16384);
	off_t o = scif_register(n, buf, 16384, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	CHECK(o > 0);
	CHECK_EQ(scif_send(n, &o, sizeof o, SCIF_SEND_BLOCK), sizeof o);
	CHECK_EQ(t_recv_int(&to_owner), 1); /* its record names our entry, which it saw active */
	CHECK_EQ(scif_unregister(n, o, 16384), 0);
	if (die) {
		t_join(c); /* the unregister ended although the dead copier's record names the entry */
	} else {
		/* The copy that saw the window active landed before unregister returned. */
		for (int i = 0; i < 16384; i++)
			if (buf[i] != 0x5a)
				t_fail(__FILE__, __LINE__, "byte %d is %d: unregister returned before the copy ended", i, buf[i]);
		t_send_int(&to_copier, 2);
		t_join(c);
	}
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif_close(l), 0);
	free(buf);
}

TEST(unregister_waits_for_a_copier_record_of_another_process)
{
	unregister_with_a_copier(0);
}

TEST(unregister_ends_when_the_copier_dies_mid_copy)
{
	unregister_with_a_copier(1);
}
