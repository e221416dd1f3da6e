/* One process: the calls' error rows and the endpoint state machine. */
#include "t.h"
#include <fcntl.h>
#include <scif.h>
#include <unistd.h>

TEST(open_gives_a_cloexec_descriptor_and_close_frees_it)
{
	scif_epd_t e = scif_open();
	CHECK(e >= 0);
	CHECK(fcntl(e, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(scif_close(e), 0);
	CHECK_ERR(scif_close(e), EBADF);
}

TEST(bad_descriptors_fail_with_ebadf_or_enotty)
{
	CHECK_ERR(scif_bind(-1, 0), EBADF);
	CHECK_ERR(scif_listen(1000, 1), EBADF);
	int fds[2];
	CHECK(pipe(fds) == 0);
	CHECK_ERR(scif_bind(fds[0], 0), ENOTTY);
	CHECK_ERR(scif_send(fds[0], "x", 1, 0), ENOTTY);
	CHECK_ERR(scif_close(fds[0]), ENOTTY);
	CHECK_ERR(scif_get_fd(fds[0]), EINVAL);
}

TEST(errno_is_untouched_by_successful_calls)
{
	errno = 4321;
	scif_epd_t e = scif_open();
	CHECK(e >= 0);
	CHECK_EQ(scif_bind(e, 0), 1089);
	CHECK_EQ(scif_listen(e, 4), 0);
	uint16_t nodes[4], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	struct scif_pollepd p = {e, SCIF_POLLIN, 0};
	CHECK_EQ(scif_poll(&p, 1, 0), 0);
	CHECK_EQ(scif_close(e), 0);
	CHECK_EQ(errno, 4321);
}

TEST(bind_hands_out_ports_above_the_reserved_range_and_refuses_busy_ones)
{
	scif_epd_t a = scif_open(), b = scif_open(), c = scif_open();
	CHECK_EQ(scif_bind(a, 0), 1089);
	CHECK_EQ(scif_bind(b, 0), 1090);
	CHECK_ERR(scif_bind(a, 0), EINVAL);   /* already bound */
	CHECK_ERR(scif_bind(c, 1089), EINVAL); /* busy: EINVAL, as the driver */
	CHECK_ERR(scif_bind(c, 100), EACCES);  /* privileged */
	CHECK_EQ(scif_bind(c, 2000), 2000);
	CHECK_EQ(scif_close(a), 0);
	scif_epd_t d = scif_open();
	CHECK_EQ(scif_bind(d, 1089), 1089); /* reusable at once after close */
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(c), 0);
	CHECK_EQ(scif_close(d), 0);
}

TEST(listen_needs_a_bound_endpoint_and_a_positive_backlog)
{
	scif_epd_t e = scif_open();
	CHECK_ERR(scif_listen(e, 1), EINVAL);
	CHECK_EQ(scif_bind(e, 0), 1089);
	CHECK_ERR(scif_listen(e, 0), EINVAL);
	CHECK_EQ(scif_listen(e, 5000), 0);
	CHECK_ERR(scif_listen(e, 1), EISCONN);
	CHECK_ERR(scif_bind(e, 0), EISCONN);
	struct scif_portID dst = {0, 1089};
	CHECK_ERR(scif_connect(e, &dst), EOPNOTSUPP);
	CHECK_EQ(scif_close(e), 0);
}

TEST(get_nodeIDs_lists_this_node)
{
	uint16_t nodes[4] = {9, 9, 9, 9}, self = 9;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	CHECK_EQ(nodes[0], 0);
	CHECK_EQ(self, 0);
	CHECK_EQ(scif_get_nodeIDs(NULL, 0, &self), 1);
	CHECK_ERR(scif_get_nodeIDs(nodes, 4, NULL), EFAULT);
}

TEST(a_bad_SCIF_FABRIC_makes_every_call_fail_with_einval)
{
	setenv("SCIF_FABRIC", "shm:x?node=999", 1);
	CHECK_ERR(scif_open(), EINVAL);
	CHECK_ERR(scif_get_nodeIDs(NULL, 0, NULL), EINVAL);
	CHECK_ERR(scif_bind(0, 0), EINVAL);
}

TEST(accept_errors)
{
	scif_epd_t l = scif_open(), n;
	struct scif_portID peer;
	CHECK_ERR(scif_accept(l, &peer, &n, 0), EINVAL); /* not listening */
	CHECK_EQ(scif_bind(l, 0), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	CHECK_ERR(scif_accept(l, &peer, &n, 2), EINVAL);
	CHECK_ERR(scif_accept(l, NULL, &n, 0), EINVAL);
	CHECK_ERR(scif_accept(l, &peer, NULL, 0), EINVAL);
	CHECK_ERR(scif_accept(l, &peer, &n, 0), EAGAIN);
	CHECK_EQ(scif_close(l), 0);
}

TEST(connect_without_listener_is_refused_and_keeps_the_port)
{
	scif_epd_t e = scif_open();
	struct scif_portID dst = {0, 3000};
	CHECK_ERR(scif_connect(e, &dst), ECONNREFUSED);
	CHECK_ERR(scif_bind(e, 0), EINVAL); /* auto-bound by the connect, and still bound */
	CHECK_ERR(scif_connect(e, NULL), EINVAL);
	struct scif_portID off = {7, 3000};
	CHECK_ERR(scif_connect(e, &off), ENODEV);
	CHECK_EQ(scif_close(e), 0);
}

TEST(send_and_recv_errors_on_an_unconnected_endpoint)
{
	scif_epd_t e = scif_open();
	char b[4];
	CHECK_EQ(scif_send(e, b, 0, 0), 0);
	CHECK_EQ(scif_recv(e, b, 0, 7), 0);
	CHECK_ERR(scif_send(e, b, 4, 2), EINVAL);
	CHECK_ERR(scif_recv(e, b, -1, 0), EINVAL);
	CHECK_ERR(scif_send(e, b, 4, 0), ENOTCONN);
	CHECK_ERR(scif_recv(e, b, 4, SCIF_RECV_BLOCK), ENOTCONN);
	struct scif_pollepd p = {e, SCIF_POLLIN | SCIF_POLLOUT, 0};
	CHECK_EQ(scif_poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, SCIF_POLLERR);
	CHECK_EQ(scif_close(e), 0);
	p.revents = 0;
	CHECK_EQ(scif_poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, SCIF_POLLNVAL);
}

TEST(rma_calls_need_a_connected_endpoint)
{
	scif_epd_t e = scif_open();
	int mark;
	CHECK_ERR(scif_readfrom(e, 0, 4096, 0, 0), ENOTCONN);
	CHECK_ERR(scif_vwriteto(e, &mark, 4, 0, 0), ENOTCONN);
	CHECK_ERR(scif_fence_mark(e, SCIF_FENCE_INIT_SELF, &mark), ENOTCONN);
	CHECK_ERR(scif_fence_wait(e, 0), ENOTCONN);
	CHECK(scif_mmap(NULL, 4096, SCIF_PROT_READ, 0, e, 0) == SCIF_MMAP_FAILED && errno == ENOTCONN);
	CHECK_ERR(scif_register(-1, NULL, 4096, 0, SCIF_PROT_READ, 0), EBADF);
	CHECK_ERR(scif_munmap((void *)4097, 4096), EINVAL);
	CHECK_EQ(scif_close(e), 0);
}
