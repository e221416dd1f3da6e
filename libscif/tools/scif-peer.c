/* scif-peer: a small SCIF C program for interop tests and the round-trip bench. It joins
   the fabric SCIF_FABRIC names (like any SCIF program built against libscif).

     scif-peer listen PORT BYTES           accept one connection; receive BYTES of the test
                                            pattern and its checksum, then send them back
     scif-peer connect NODE PORT BYTES     connect; send BYTES and checksum, then receive them
     scif-peer rma NODE PORT [FILE]        connect; exchange 64 KiB windows with the peer (offsets
                                            as 8-byte messages) and write into the peer's: 4 KiB of
                                            pattern A at 0 (vwriteto, fenced), a fence signal of
                                            0xC0FFEE at 8192, 0x5151 at 12288 through scif_mmap;
                                            send 1 byte; receive 1 byte once the peer wrote into
                                            ours (pattern B at 0, 0xBEEF at 8192, 0x6161 at 12288);
                                            check it, and send 1 byte: 1 if it was all there. With
                                            FILE, our window is a shared mapping of FILE at file
                                            offset 4096 (FILE is made 68 KiB long), not malloc memory
     scif-peer await-reset PORT            accept one connection and wait in a blocking recv until
                                            the peer is gone: exit 0 on ECONNRESET, printing "reset"
     scif-peer poll-fd PORT                accept one connection and wait for it in poll(2) on
                                            scif_get_fd's descriptor: 3 times, check that it shows
                                            no POLLIN, send 1 byte, poll until POLLIN, receive 4
                                            bytes; then poll until the peer's close shows POLLHUP
     scif-peer pong PORT                   accept one connection; echo 8-byte messages until
                                            the peer closes
     scif-peer ping NODE PORT COUNT        COUNT / 2 warm-up round trips of 8 bytes, then COUNT
                                            recorded ones; prints "rtt_ns MEDIAN"

   The pattern: byte i of a stream is (i * 31 + 7) mod 256; the checksum is FNV-1a 64 over
   the stream, sent as 8 little-endian bytes after it. Exit status 0 when all went well; a
   failed call prints its errno name and exits 1. */
#include <scif.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static int die(const char *what)
{
	fprintf(stderr, "scif-peer: %s: %s (errno %d)\n", what, strerror(errno), errno);
	exit(1);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void send_all(scif_epd_t e, const void *p, size_t n)
{
	if (scif_send(e, (void *)p, (int)n, SCIF_SEND_BLOCK) != (int)n)
		die("scif_send");
}

static void recv_all(scif_epd_t e, void *p, size_t n)
{
	if (scif_recv(e, p, (int)n, SCIF_RECV_BLOCK) != (int)n)
		die("scif_recv");
}

static void stream_out(scif_epd_t e, long long bytes)
{
	static unsigned char buf[65536];
	uint64_t h = 0xcbf29ce484222325ULL;
	for (long long at = 0; at < bytes;) {
		size_t n = bytes - at < (long long)sizeof buf ? (size_t)(bytes - at) : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)((at + (long long)i) * 31 + 7);
		h = fnv(h, buf, n);
		send_all(e, buf, n);
		at += (long long)n;
	}
	send_all(e, &h, 8);
}

static void stream_in(scif_epd_t e, long long bytes)
{
	static unsigned char buf[65536];
	uint64_t h = 0xcbf29ce484222325ULL, theirs;
	for (long long at = 0; at < bytes;) {
		size_t n = bytes - at < (long long)sizeof buf ? (size_t)(bytes - at) : sizeof buf;
		int got = scif_recv(e, buf, (int)n, SCIF_RECV_BLOCK);
		if (got <= 0)
			die("scif_recv");
		for (int i = 0; i < got; i++)
			if (buf[i] != (unsigned char)((at + i) * 31 + 7)) {
				fprintf(stderr, "scif-peer: byte %lld is %u, expected %u\n", at + i, buf[i],
					(unsigned char)((at + i) * 31 + 7));
				exit(1);
			}
		h = fnv(h, buf, (size_t)got);
		at += got;
	}
	recv_all(e, &theirs, 8);
	if (h != theirs) {
		fprintf(stderr, "scif-peer: checksum %016llx, sender's %016llx\n", (unsigned long long)h,
			(unsigned long long)theirs);
		exit(1);
	}
}

static scif_epd_t accept_one(int port)
{
	scif_epd_t l = scif_open(), n;
	if (l < 0)
		die("scif_open");
	if (scif_bind(l, (uint16_t)port) < 0)
		die("scif_bind");
	if (scif_listen(l, 4) < 0)
		die("scif_listen");
	printf("listening %d\n", port);
	fflush(stdout);
	struct scif_portID peer;
	if (scif_accept(l, &peer, &n, SCIF_ACCEPT_SYNC) < 0)
		die("scif_accept");
	scif_close(l);
	return n;
}

static scif_epd_t connect_to(int node, int port)
{
	scif_epd_t e = scif_open();
	if (e < 0)
		die("scif_open");
	struct scif_portID dst = {(uint16_t)node, (uint16_t)port};
	for (int tries = 0; scif_connect(e, &dst) < 0; tries++) {
		/* as SCIF tutorials do: retry while refused (or while the node is not online yet) */
		if ((errno != ECONNREFUSED && errno != ENODEV) || tries == 1000)
			die("scif_connect");
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	return e;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "listen")) {
		scif_epd_t e = accept_one(atoi(argv[2]));
		stream_in(e, atoll(argv[3]));
		stream_out(e, atoll(argv[3]));
		char b;
		if (scif_recv(e, &b, 1, SCIF_RECV_BLOCK) != -1 || errno != ECONNRESET)
			die("expected ECONNRESET once the peer closed");
		scif_close(e);
	} else if (argc == 5 && !strcmp(argv[1], "connect")) {
		scif_epd_t e = connect_to(atoi(argv[2]), atoi(argv[3]));
		stream_out(e, atoll(argv[4]));
		stream_in(e, atoll(argv[4]));
		scif_close(e);
	} else if ((argc == 4 || argc == 5) && !strcmp(argv[1], "rma")) {
		scif_epd_t e = connect_to(atoi(argv[2]), atoi(argv[3]));
		unsigned char *buf;
		if (argc == 5) {
			int fd = open(argv[4], O_RDWR | O_CREAT, 0600);
			if (fd < 0 || ftruncate(fd, 4096 + 65536))
				die(argv[4]);
			buf = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
			if (buf == MAP_FAILED)
				die("mmap");
			close(fd);
		} else if (posix_memalign((void **)&buf, 4096, 65536)) {
			die("posix_memalign");
		}
		memset(buf, 0, 65536);
		off_t mine = scif_register(e, buf, 65536, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0), theirs;
		if (mine < 0)
			die("scif_register");
		send_all(e, &mine, 8);
		recv_all(e, &theirs, 8);
		static unsigned char a[4096];
		for (int i = 0; i < 4096; i++)
			a[i] = (unsigned char)(i * 3 + 1);
		int mark;
		if (scif_vwriteto(e, a, 4096, theirs, 0) || scif_fence_mark(e, SCIF_FENCE_INIT_SELF, &mark) ||
		    scif_fence_wait(e, mark))
			die("scif_vwriteto and fence");
		if (scif_fence_signal(e, 0, 0, theirs + 8192, 0xC0FFEE, SCIF_FENCE_INIT_SELF | SCIF_SIGNAL_REMOTE))
			die("scif_fence_signal");
		uint64_t *m = scif_mmap(NULL, 65536, SCIF_PROT_READ | SCIF_PROT_WRITE, 0, e, theirs);
		if (m == SCIF_MMAP_FAILED)
			die("scif_mmap");
		m[12288 / 8] = 0x5151;
		if (scif_munmap(m, 65536))
			die("scif_munmap");
		char b = 1;
		send_all(e, &b, 1);
		recv_all(e, &b, 1);
		int ok = *(uint64_t *)(buf + 8192) == 0xBEEF && *(uint64_t *)(buf + 12288) == 0x6161;
		for (int i = 0; i < 4096; i++)
			ok &= buf[i] == (unsigned char)(i * 5 + 2);
		if (!ok)
			fprintf(stderr, "scif-peer: the peer's writes are not in the window (signal %llx, store %llx)\n",
				(unsigned long long)*(uint64_t *)(buf + 8192), (unsigned long long)*(uint64_t *)(buf + 12288));
		b = (char)ok;
		send_all(e, &b, 1);
		recv_all(e, &b, 1); /* until the peer is done with our window */
		if (scif_unregister(e, mine, 65536))
			die("scif_unregister");
		scif_close(e);
		if (argc == 5)
			munmap(buf, 65536);
		else
			free(buf);
		return ok ? 0 : 1;
	} else if (argc == 3 && !strcmp(argv[1], "await-reset")) {
		scif_epd_t e = accept_one(atoi(argv[2]));
		char b;
		if (scif_recv(e, &b, 1, SCIF_RECV_BLOCK) != -1 || errno != ECONNRESET)
			die("expected ECONNRESET when the peer dies");
		struct scif_pollepd p = {e, SCIF_POLLIN, 0};
		if (scif_poll(&p, 1, 0) != 1 || !(p.revents & SCIF_POLLHUP))
			die("expected POLLHUP when the peer died");
		printf("reset\n");
		fflush(stdout);
		scif_close(e);
	} else if (argc == 3 && !strcmp(argv[1], "poll-fd")) {
		scif_epd_t e = accept_one(atoi(argv[2]));
		struct pollfd p = {scif_get_fd(e), POLLIN, 0};
		for (int i = 0; i < 3; i++) {
			if (poll(&p, 1, 0) != 0)
				die("expected an idle descriptor before the peer sends");
			char b = (char)i, m[4];
			send_all(e, &b, 1);
			/* The peer closes right after its last send, so POLLHUP may join POLLIN then. */
			short also = i == 2 ? POLLHUP : 0;
			if (poll(&p, 1, 10000) != 1 || (p.revents != POLLIN && p.revents != (POLLIN | also)))
				die("expected POLLIN once the peer sent");
			recv_all(e, m, 4);
		}
		if (poll(&p, 1, 10000) != 1 || !(p.revents & POLLHUP))
			die("expected POLLHUP once the peer closed");
		printf("hup\n");
		fflush(stdout);
		scif_close(e);
	} else if (argc == 3 && !strcmp(argv[1], "pong")) {
		scif_epd_t e = accept_one(atoi(argv[2]));
		char m[8];
		while (scif_recv(e, m, 8, SCIF_RECV_BLOCK) == 8)
			send_all(e, m, 8);
		scif_close(e);
	} else if (argc == 5 && !strcmp(argv[1], "ping")) {
		scif_epd_t e = connect_to(atoi(argv[2]), atoi(argv[3]));
		int count = atoi(argv[4]);
		long long *rtt = malloc(sizeof *rtt * (size_t)(count > 0 ? count : 1));
		char m[8] = "pingpong";
		for (int i = 0; i < count / 2; i++) { /* warm-up, not recorded */
			send_all(e, m, 8);
			recv_all(e, m, 8);
		}
		for (int i = 0; i < count; i++) {
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			send_all(e, m, 8);
			recv_all(e, m, 8);
			clock_gettime(CLOCK_MONOTONIC, &b);
			rtt[i] = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
		}
		qsort(rtt, (size_t)count, sizeof *rtt, cmp);
		printf("rtt_ns %lld\n", count > 0 ? rtt[count / 2] : 0);
		free(rtt);
		scif_close(e);
	} else {
		fprintf(stderr, "usage: scif-peer listen PORT BYTES | connect NODE PORT BYTES | rma NODE PORT [FILE] | "
				"await-reset PORT | poll-fd PORT | pong PORT | ping NODE PORT COUNT\n");
		return 2;
	}
	return 0;
}
