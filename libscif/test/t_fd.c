/* scif_get_fd: poll, select and epoll on an endpoint's descriptor report what scif_poll
   reports, and nothing when scif_poll reports nothing. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <scif.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

/* The events poll() reports on fd within ms milliseconds (0: now). */
static short ready(int fd, short events, int ms)
{
	struct pollfd p = {fd, events, 0};
	int n = poll(&p, 1, ms);
	CHECK(n >= 0);
	return n ? p.revents : 0;
}

/* What scif_poll reports, for comparison. */
static short scif_ready(scif_epd_t e, short events)
{
	struct scif_pollepd p = {e, events, 0};
	CHECK(scif_poll(&p, 1, 0) >= 0);
	return p.revents;
}

TEST(the_descriptor_of_an_idle_endpoint_shows_nothing_and_then_each_event)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	int lfd = scif_get_fd(l), afd = scif_get_fd(a);
	CHECK_EQ(lfd, l);
	CHECK_EQ(afd, a);
	const short both = POLLIN | POLLOUT;
	/* an idle listener: nothing, as scif_poll */
	CHECK_EQ(scif_ready(l, both), 0);
	CHECK_EQ(ready(lfd, both, 0), 0);
	/* a connected endpoint with nothing to read: send space only */
	CHECK_EQ(ready(afd, both, 0), POLLOUT);
	CHECK_EQ(scif_ready(a, both), POLLOUT);
	/* a byte arrives: readable; once received, not any more (at once, no stale event) */
	CHECK_EQ(scif_send(b, "x", 1, SCIF_SEND_BLOCK), 1);
	CHECK_EQ(ready(afd, POLLIN, 5000), POLLIN);
	char ch;
	CHECK_EQ(scif_recv(a, &ch, 1, 0), 1);
	CHECK_EQ(ready(afd, both, 0), POLLOUT);
	/* the send ring full: no send space, so nothing at all; space again once the peer reads */
	static char big[65536];
	int sent = 0, n;
	while ((n = scif_send(a, big, sizeof big, 0)) > 0)
		sent += n;
	CHECK(sent > 0);
	CHECK_EQ(scif_ready(a, both), 0);
	CHECK_EQ(ready(afd, both, 0), 0);
	for (int got = 0; got < sent;) {
		int want = sent - got < (int)sizeof big ? sent - got : (int)sizeof big;
		CHECK((n = scif_recv(b, big, want, SCIF_RECV_BLOCK)) > 0);
		got += n;
	}
	CHECK_EQ(ready(afd, POLLOUT, 5000), POLLOUT);
	/* a connection request: the listener's descriptor turns readable; accepted, idle again */
	scif_epd_t c = scif_open();
	int cfd = scif_get_fd(c);
	CHECK_EQ(fcntl(cfd, F_SETFL, O_NONBLOCK), 0);
	struct scif_portID dst = {0, 1089}, peer;
	CHECK_ERR(scif_connect(c, &dst), EINPROGRESS);
	CHECK_EQ(ready(lfd, POLLIN, 5000), POLLIN);
	scif_epd_t n2;
	CHECK_EQ(scif_accept(l, &peer, &n2, 0), 0);
	CHECK_EQ(ready(lfd, both, 0), 0);
	/* the non-blocking connect's descriptor shows POLLOUT once it is answered */
	CHECK_EQ(ready(cfd, POLLOUT, 5000), POLLOUT);
	CHECK(scif_connect(c, &dst) > 0);
	/* the peer closes: POLLHUP */
	CHECK_EQ(scif_close(b), 0);
	CHECK(ready(afd, POLLIN, 5000) & POLLHUP);
	CHECK(scif_ready(a, POLLIN) & POLLHUP);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(c), 0);
	CHECK_EQ(scif_close(n2), 0);
	CHECK_EQ(scif_close(l), 0);
}

TEST(select_and_epoll_wait_for_an_endpoint_with_the_programs_own_descriptors)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	int afd = scif_get_fd(a);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = afd};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, afd, &ev), 0);
	int pfd[2];
	CHECK_EQ(pipe(pfd), 0);
	ev.data.fd = pfd[0];
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev), 0);
	struct epoll_event got[2];
	CHECK_EQ(epoll_wait(ep, got, 2, 0), 0); /* idle */
	CHECK_EQ(scif_send(b, "hello", 5, SCIF_SEND_BLOCK), 5);
	CHECK_EQ(epoll_wait(ep, got, 2, 5000), 1);
	CHECK_EQ(got[0].data.fd, afd);
	char buf[8];
	CHECK_EQ(scif_recv(a, buf, 5, SCIF_RECV_BLOCK), 5);
	CHECK_EQ(epoll_wait(ep, got, 2, 0), 0);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(afd, &r);
	struct timeval now = {0, 0};
	CHECK_EQ(select(afd + 1, &r, NULL, NULL, &now), 0);
	CHECK_EQ(scif_send(b, "!", 1, SCIF_SEND_BLOCK), 1);
	FD_ZERO(&r);
	FD_SET(afd, &r);
	struct timeval wait = {5, 0};
	CHECK_EQ(select(afd + 1, &r, NULL, NULL, &wait), 1);
	CHECK(FD_ISSET(afd, &r));
	close(ep);
	close(pfd[0]);
	close(pfd[1]);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

static struct t_chan go;

static void sender(void *arg)
{
	(void)arg;
	scif_epd_t e = scif_open();
	struct scif_portID dst = {0, 1090};
	CHECK(scif_connect(e, &dst) > 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(t_recv_int(&go), i);
		CHECK_EQ(scif_send(e, &i, sizeof i, SCIF_SEND_BLOCK), sizeof i);
	}
	CHECK_EQ(t_recv_int(&go), 3);
	CHECK_EQ(scif_close(e), 0);
}

TEST(another_processs_sends_and_close_wake_a_poll_on_the_descriptor)
{
	t_chan_open(&go);
	scif_epd_t l = scif_open(), n;
	CHECK_EQ(scif_bind(l, 1090), 1090);
	CHECK_EQ(scif_listen(l, 1), 0);
	pid_t p = t_spawn(1, sender, NULL);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(l, &peer, &n, SCIF_ACCEPT_SYNC), 0);
	int fd = scif_get_fd(n);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(ready(fd, POLLIN, 0), 0);
		t_send_int(&go, i);
		CHECK_EQ(ready(fd, POLLIN, 5000), POLLIN);
		int v;
		CHECK_EQ(scif_recv(n, &v, sizeof v, SCIF_RECV_BLOCK), sizeof v);
		CHECK_EQ(v, i);
	}
	t_send_int(&go, 3);
	CHECK(ready(fd, POLLIN, 5000) & POLLHUP);
	t_join(p);
	CHECK_EQ(scif_close(n), 0);
	CHECK_EQ(scif_close(l), 0);
}
