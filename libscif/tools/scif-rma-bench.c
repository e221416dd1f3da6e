/* scif-rma-bench: scif_writeto and scif_readfrom against memcpy, sizes 4 KiB to 1 MiB.

     scif-rma-bench [ROUNDS]

   Forks a card process (node 1) that registers a 1 MiB window; the host (node 0) registers its
   own 1 MiB window and, for each size, times ROUNDS (default 5) rounds of: memcpy between two
   plain 1 MiB buffers, scif_writeto (host window -> card window) and scif_readfrom (card
   window -> host window), each round copying 256 MiB. Prints per size the median throughput
   of each and the ratios to memcpy. The fabric is a fresh directory under /dev/shm; the
   tool removes it. Every RMA is a CPU copy done by the calling thread (docs/shm-format.md). */
#include <scif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#define WIN (1 << 20)
#define PORT 3111
#define TOTAL (256LL << 20)

static int die(const char *what)
{
	fprintf(stderr, "scif-rma-bench: %s: %s (errno %d)\n", what, strerror(errno), errno);
	exit(1);
}

static void fabric(const char *dir, int node)
{
	char uri[600];
	snprintf(uri, sizeof uri, "shm:rmabench?node=%d&dir=%s", node, dir);
	setenv("SCIF_FABRIC", uri, 1);
}

static void *window(void)
{
	void *p;
	if (posix_memalign(&p, 4096, WIN))
		die("posix_memalign");
	memset(p, 1, WIN);
	return p;
}

static void card(void)
{
	scif_epd_t e = scif_open();
	struct scif_portID dst = {0, PORT};
	for (int tries = 0; scif_connect(e, &dst) < 0; tries++) {
		if ((errno != ECONNREFUSED && errno != ENODEV) || tries == 500)
			die("scif_connect");
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	void *buf = window();
	off_t o = scif_register(e, buf, WIN, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	if (o < 0)
		die("scif_register");
	if (scif_send(e, &o, sizeof o, SCIF_SEND_BLOCK) != sizeof o)
		die("scif_send");
	char b;
	scif_recv(e, &b, 1, SCIF_RECV_BLOCK); /* until the host is done */
	scif_close(e);
	exit(0);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* GB/s of one round: 256 MiB in pieces of size, walking the 1 MiB windows. kind: 0 memcpy,
   1 writeto, 2 readfrom. */
static double round_of(int kind, size_t size, scif_epd_t e, off_t lo, off_t ro, char *src, char *dst)
{
	long long n = TOTAL / (long long)size;
	double t0 = now();
	for (long long i = 0; i < n; i++) {
		size_t at = (size_t)(i * (long long)size) % WIN;
		if (kind == 0) {
			memcpy(dst + at, src + at, size);
			__asm__ volatile("" ::"r"(dst) : "memory");
		} else if (kind == 1) {
			if (scif_writeto(e, lo + (off_t)at, size, ro + (off_t)at, 0))
				die("scif_writeto");
		} else if (scif_readfrom(e, lo + (off_t)at, size, ro + (off_t)at, 0)) {
			die("scif_readfrom");
		}
	}
	return (double)TOTAL / (now() - t0) / 1e9;
}

static char dir[] = "/dev/shm/scif-rma-bench-XXXXXX";

/* Registered before the first SCIF call, so it runs after libscif left the fabric (atexit
   runs handlers in reverse), once the fabric's own directory is gone. */
static void remove_dir(void)
{
	rmdir(dir);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	if (rounds < 1 || rounds > 99)
		return fprintf(stderr, "usage: scif-rma-bench [ROUNDS 1-99]\n"), 2;
	if (!mkdtemp(dir))
		die("mkdtemp");
	atexit(remove_dir);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		fabric(dir, 1);
		card();
	}
	fabric(dir, 0);
	scif_epd_t l = scif_open(), e;
	struct scif_portID peer;
	if (scif_bind(l, PORT) < 0 || scif_listen(l, 1) < 0 || scif_accept(l, &peer, &e, SCIF_ACCEPT_SYNC) < 0)
		die("listen and accept");
	off_t ro, lo = scif_register(e, window(), WIN, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0);
	if (lo < 0)
		die("scif_register");
	if (scif_recv(e, &ro, sizeof ro, SCIF_RECV_BLOCK) != sizeof ro)
		die("scif_recv");
	char *src = window(), *dst = window();
	static const size_t sizes[] = {4096, 16384, 65536, 262144, 1 << 20};
	printf("%8s %14s %14s %14s %9s %9s\n", "size", "memcpy GB/s", "writeto GB/s", "readfrom GB/s",
	       "write/mc", "read/mc");
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		double r[3][99];
		for (int i = 0; i < rounds; i++) /* interleaved, so drift hits all three alike */
			for (int k = 0; k < 3; k++)
				r[k][i] = round_of(k, sizes[s], e, lo, ro, src, dst);
		double med[3];
		for (int k = 0; k < 3; k++) {
			qsort(r[k], (size_t)rounds, sizeof r[k][0], cmp);
			med[k] = r[k][rounds / 2];
		}
		printf("%7zuK %14.2f %14.2f %14.2f %9.2f %9.2f\n", sizes[s] / 1024, med[0], med[1], med[2],
		       med[1] / med[0], med[2] / med[0]);
		fflush(stdout);
	}
	char b = 0;
	scif_send(e, &b, 1, SCIF_SEND_BLOCK);
	int st;
	waitpid(c, &st, 0);
	scif_close(e);
	scif_close(l);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
