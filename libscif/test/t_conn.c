/* Connections: loopback in one process, and across real processes. */
#include "../src/scif4j.h"
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <scif.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *connect_thread(void *arg)
{
	scif_epd_t e = *(scif_epd_t *)arg;
	struct scif_portID dst = {0, 1089};
	intptr_t r = scif_connect(e, &dst);
	return (void *)r;
}

/* A connected pair on node 0 of this process: *a connected, *b accepted. */
static void loopback_pair(scif_epd_t *l, scif_epd_t *a, scif_epd_t *b)
{
	*l = scif_open();
	CHECK_EQ(scif_bind(*l, 1089), 1089);
	CHECK_EQ(scif_listen(*l, 4), 0);
	*a = scif_open();
	pthread_t t;
	pthread_create(&t, NULL, connect_thread, a);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(*l, &peer, b, SCIF_ACCEPT_SYNC), 0);
	void *r;
	pthread_join(t, &r);
	CHECK((intptr_t)r >= 1089);
	CHECK_EQ(peer.node, 0);
	CHECK_EQ(peer.port, (intptr_t)r);
}

TEST(loopback_connect_accept_send_recv)
{
	scif_epd_t l, a, b;
	loopback_pair(&l, &a, &b);
	CHECK(fcntl(b, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(scif_send(a, "hello", 5, SCIF_SEND_BLOCK), 5);
	char buf[16] = {0};
	CHECK_EQ(scif_recv(b, buf, 5, SCIF_RECV_BLOCK), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(scif_send(b, "ok", 2, 0), 2);
	CHECK_EQ(scif_recv(a, buf, 16, 0), 2); /* non-blocking: what is there */
	CHECK_EQ(scif_recv(a, buf, 16, 0), 0); /* nothing: 0, not EAGAIN */
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

TEST(peer_close_drains_then_resets_and_polls_hup)
{
	scif_epd_t l, a, b;
	loopback_pair(&l, &a, &b);
	CHECK_EQ(scif_send(a, "bye", 3, SCIF_SEND_BLOCK), 3);
	CHECK_EQ(scif_close(a), 0);
	struct scif_pollepd p = {b, SCIF_POLLIN, 0};
	CHECK_EQ(scif_poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, SCIF_POLLIN | SCIF_POLLHUP);
	char buf[8];
	CHECK_EQ(scif_recv(b, buf, 8, SCIF_RECV_BLOCK), 3);
	CHECK_ERR(scif_recv(b, buf, 8, SCIF_RECV_BLOCK), ECONNRESET);
	CHECK_ERR(scif_send(b, buf, 8, 0), ECONNRESET);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

TEST(a_4096_byte_ring_takes_at_most_4095_bytes)
{
	char uri[700];
	snprintf(uri, sizeof uri, "shm:t?node=0&dir=%s&ring=4096", t_dir());
	setenv("SCIF_FABRIC", uri, 1);
	scif_epd_t l, a, b;
	loopback_pair(&l, &a, &b);
	static char big[10000];
	CHECK_EQ(scif_send(a, big, sizeof big, 0), 4095);
	CHECK_EQ(scif_send(a, big, 1, 0), 0);
	struct scif_pollepd p = {a, SCIF_POLLOUT, 0};
	CHECK_EQ(scif_poll(&p, 1, 0), 0);
	static char in[10000];
	CHECK_EQ(scif_recv(b, in, sizeof in, 0), 4095);
	CHECK_EQ(scif_poll(&p, 1, 0), 1);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

TEST(listener_polls_in_when_a_request_is_queued_and_close_refuses_it)
{
	scif_epd_t l = scif_open();
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	scif_epd_t c = scif_open();
	CHECK_EQ(fcntl(c, F_SETFL, O_NONBLOCK), 0);
	struct scif_portID dst = {0, 1089};
	CHECK_ERR(scif_connect(c, &dst), EINPROGRESS);
	struct scif_pollepd p = {l, SCIF_POLLIN, 0};
	CHECK_EQ(scif_poll(&p, 1, 1000), 1);
	CHECK_EQ(p.revents, SCIF_POLLIN);
	scif_epd_t c2 = scif_open();
	CHECK_ERR(scif_connect(c2, &dst), ECONNREFUSED); /* backlog 1 is full */
	CHECK_EQ(scif_close(l), 0);                       /* refuses the queued request */
	struct scif_pollepd q = {c, SCIF_POLLOUT, 0};
	CHECK_EQ(scif_poll(&q, 1, 1000), 1);
	CHECK_EQ(q.revents, SCIF_POLLOUT);
	CHECK_ERR(scif_connect(c, &dst), ECONNREFUSED);
	CHECK_EQ(scif_close(c), 0);
	CHECK_EQ(scif_close(c2), 0);
}

TEST(non_blocking_connect_completes_through_poll)
{
	scif_epd_t l = scif_open();
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 2), 0);
	scif_epd_t c = scif_open();
	int fd = scif_get_fd(c);
	CHECK_EQ(fd, c);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	struct scif_portID dst = {0, 1089}, peer;
	CHECK_ERR(scif_connect(c, &dst), EINPROGRESS);
	CHECK_ERR(scif_connect(c, &dst), EINPROGRESS);
	scif_epd_t n;
	CHECK_EQ(scif_accept(l, &peer, &n, 0), 0);
	struct pollfd pf = {fd, POLLOUT, 0};
	CHECK_EQ(poll(&pf, 1, 2000), 1);
	CHECK(scif_connect(c, &dst) >= 1089);
	CHECK_EQ(scif_send(n, "x", 1, SCIF_SEND_BLOCK), 1);
	struct pollfd in = {fd, POLLIN, 0};
	CHECK_EQ(poll(&in, 1, 2000), 1); /* the descriptor is readable once a byte waits */
	char ch;
	CHECK_EQ(scif_recv(c, &ch, 1, 0), 1);
	CHECK_EQ(scif_close(c), 0);
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif_close(l), 0);
}

/* scif4j_connect_abandon, the end of the Java transport's interrupted blocking connect: an
   unanswered request leaves the listener's queue and the endpoint stays BOUND; one accepted
   meanwhile is taken over; a refusal is reported. */
TEST(an_abandoned_connect_is_withdrawn_or_collected)
{
	scif_epd_t l = scif_open();
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	scif_epd_t c = scif_open();
	CHECK_EQ(fcntl(c, F_SETFL, O_NONBLOCK), 0);
	struct scif_portID dst = {0, 1089}, peer;
	CHECK_EQ(scif4j_connect_abandon(c), -EINVAL); /* nothing in progress */
	CHECK_ERR(scif_connect(c, &dst), EINPROGRESS);
	CHECK_EQ(scif4j_connect_abandon(c), -EINTR); /* unanswered */
	scif_epd_t n;
	CHECK_ERR(scif_accept(l, &peer, &n, 0), EAGAIN); /* withdrawn */
	struct scif_pollepd p = {c, SCIF_POLLIN | SCIF_POLLOUT, 0};
	CHECK_EQ(scif_poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, SCIF_POLLERR); /* BOUND */
	CHECK_ERR(scif_bind(c, 0), EINVAL);
	CHECK_ERR(scif_connect(c, &dst), EINPROGRESS);
	CHECK_EQ(scif_accept(l, &peer, &n, SCIF_ACCEPT_SYNC), 0);
	CHECK_EQ(scif4j_connect_abandon(c), peer.port); /* accepted meanwhile: connected */
	CHECK_EQ(scif_send(n, "x", 1, SCIF_SEND_BLOCK), 1);
	char ch;
	CHECK_EQ(scif_recv(c, &ch, 1, SCIF_RECV_BLOCK), 1);
	scif_epd_t r = scif_open();
	CHECK_EQ(fcntl(r, F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(scif_connect(r, &dst), EINPROGRESS);
	CHECK_EQ(scif_close(l), 0); /* refuses the queued request */
	CHECK_EQ(scif4j_connect_abandon(r), -ECONNREFUSED);
	CHECK_EQ(scif_close(r), 0);
	CHECK_EQ(scif_close(c), 0);
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif4j_connect_abandon(c), -EBADF);
}

/* ---- across processes ---- */

static uint64_t fnv64(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define STREAM (3 * 1024 * 1024 + 7)

static void stream_out(scif_epd_t e, unsigned seed)
{
	static unsigned char buf[65536];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t sent = 0;
	while (sent < STREAM) {
		size_t n = STREAM - sent < sizeof buf ? STREAM - sent : (seed % 9000) + 1;
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)(sent + i + seed);
		h = fnv64(h, buf, n);
		CHECK_EQ(scif_send(e, buf, (int)n, SCIF_SEND_BLOCK), (long long)n);
		sent += n;
		seed = seed * 1103515245 + 12345;
	}
	CHECK_EQ(scif_send(e, &h, 8, SCIF_SEND_BLOCK), 8);
}

static void stream_in(scif_epd_t e)
{
	static unsigned char buf[70000];
	uint64_t h = 0xcbf29ce484222325ULL, theirs;
	size_t got = 0;
	while (got < STREAM) {
		size_t want = STREAM - got < sizeof buf ? STREAM - got : sizeof buf;
		int n = scif_recv(e, buf, (int)want, got % 2 ? SCIF_RECV_BLOCK : 0);
		CHECK(n >= 0);
		h = fnv64(h, buf, (size_t)n);
		got += (size_t)n;
	}
	CHECK_EQ(scif_recv(e, &theirs, 8, SCIF_RECV_BLOCK), 8);
	CHECK(h == theirs);
}

static struct t_chan ready;

static void card_streams(void *arg)
{
	(void)arg;
	t_recv_int(&ready);
	uint16_t nodes[8], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 8, &self), 2);
	CHECK_EQ(self, 1);
	scif_epd_t e = scif_open();
	struct scif_portID dst = {0, 1089};
	CHECK(scif_connect(e, &dst) >= 1089);
	stream_out(e, 7);
	stream_in(e);
	CHECK_EQ(scif_close(e), 0);
}

TEST(two_processes_stream_checksummed_data_both_ways)
{
	t_chan_open(&ready);
	pid_t card = t_spawn(1, card_streams, NULL);
	scif_epd_t l = scif_open();
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	t_send_int(&ready, 1);
	scif_epd_t n;
	struct scif_portID peer;
	CHECK_EQ(scif_accept(l, &peer, &n, SCIF_ACCEPT_SYNC), 0);
	CHECK_EQ(peer.node, 1);
	stream_in(n);
	stream_out(n, 3);
	t_join(card);
	char b;
	CHECK_ERR(scif_recv(n, &b, 1, SCIF_RECV_BLOCK), ECONNRESET);
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif_close(l), 0);
}

TEST(a_peer_killed_with_sigkill_is_noticed_within_a_second)
{
	struct t_chan back;
	t_chan_open(&ready);
	t_chan_open(&back);
	pid_t card = fork();
	if (card == 0) {
		struct t_chan in = {ready.r, -1};
		t_fabric(1);
		scif_epd_t e = scif_open();
		struct scif_portID dst = {0, 1089};
		t_recv_int(&in);
		if (scif_connect(e, &dst) < 0)
			_exit(1);
		t_send_int(&back, 1);
		pause();
		_exit(0);
	}
	scif_epd_t l = scif_open(), n;
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	t_send_int(&ready, 1);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(l, &peer, &n, SCIF_ACCEPT_SYNC), 0);
	CHECK_EQ(t_recv_int(&back), 1);
	uint16_t nodes[4], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 2);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(card, SIGKILL);
	waitpid(card, NULL, 0);
	char b;
	CHECK_ERR(scif_recv(n, &b, 1, SCIF_RECV_BLOCK), ECONNRESET);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(s < 1.0);
	struct scif_pollepd p = {n, SCIF_POLLIN, 0};
	CHECK_EQ(scif_poll(&p, 1, 0), 1);
	CHECK(p.revents & SCIF_POLLHUP);
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif_close(l), 0);
}

TEST(a_forked_child_uses_the_parents_endpoint_and_its_exit_leaves_it_open)
{
	scif_epd_t l, a, b;
	loopback_pair(&l, &a, &b);
	pid_t child = fork();
	if (child == 0) {
		if (scif_send(a, "kid", 3, SCIF_SEND_BLOCK) != 3)
			_exit(1);
		scif_close(a); /* drops the child's reference only */
		exit(0);       /* runs the library's exit handler: must not leave the fabric */
	}
	int st;
	waitpid(child, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char buf[4];
	CHECK_EQ(scif_recv(b, buf, 3, SCIF_RECV_BLOCK), 3);
	CHECK(!memcmp(buf, "kid", 3));
	CHECK_EQ(scif_send(a, "dad", 3, SCIF_SEND_BLOCK), 3); /* still connected */
	CHECK_EQ(scif_recv(b, buf, 3, SCIF_RECV_BLOCK), 3);
	uint16_t nodes[2], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 2, &self), 1);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

/* Runs a program of the test directory as node `node` (its stdout to out_fd if >= 0). */
static pid_t run_program(const char *name, int node, int out_fd)
{
	char exe[600], path[700];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	CHECK(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(path, sizeof path, "%s/%s", exe, name);
	pid_t pid = fork();
	if (pid == 0) {
		t_fabric(node);
		if (out_fd >= 0)
			dup2(out_fd, 1);
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	return pid;
}

TEST(a_tutorial_style_host_and_card_pair_runs_unmodified)
{
	/* The host first, as on a real machine (a card's connect to a node that is not online
	   fails with ENODEV; the tutorials retry only while refused). */
	int out[2];
	CHECK(pipe(out) == 0);
	pid_t host = run_program("pair-host", 0, out[1]);
	close(out[1]);
	char line[64] = {0};
	for (size_t n = 0; n < sizeof line - 1 && read(out[0], line + n, 1) == 1 && line[n] != '\n'; n++)
		;
	CHECK(!strncmp(line, "host: listening", 15));
	pid_t card = run_program("pair-card", 1, -1);
	t_join(card);
	char rest[256];
	while (read(out[0], rest, sizeof rest) > 0)
		;
	t_join(host);
}
