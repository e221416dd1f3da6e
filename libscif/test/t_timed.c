/* scif4j_send and scif4j_recv, the Java native transport's blocking calls with a time limit:
   they move what they can, wait as scif_send/scif_recv with the BLOCK flag do, and return
   what moved once the time is up (0 and errno untouched if nothing), or fail as those do. */
#include "t.h"
#include <pthread.h>
#include <scif.h>
#include <stdint.h>

int scif4j_send(scif_epd_t epd, void *msg, int len, int timeout_ms);
int scif4j_recv(scif_epd_t epd, void *msg, int len, int timeout_ms);

struct later {
	scif_epd_t epd;
	char byte;
};

static void *send_one_later(void *arg)
{
	struct later *l = arg;
	/* after the receiver is waiting for the second byte: it told us with its first */
	char first;
	CHECK_EQ(scif_recv(l->epd, &first, 1, SCIF_RECV_BLOCK), 1);
	CHECK_EQ(scif_send(l->epd, &l->byte, 1, SCIF_SEND_BLOCK), 1);
	return NULL;
}

TEST(timed_recv_and_send_move_what_they_can_and_return_at_the_time_limit)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	char buf[8] = {0};
	errno = 0;
	CHECK_EQ(scif4j_recv(a, buf, 4, 20), 0); /* nothing came: 0 after the limit */
	CHECK_EQ(errno, 0);
	CHECK_EQ(scif_send(b, "xy", 2, 0), 2);
	CHECK_EQ(scif4j_recv(a, buf, 4, 20), 2); /* part came: that part */
	CHECK(!memcmp(buf, "xy", 2));
	/* a waiting receiver gets a byte sent meanwhile */
	struct later s = {b, 'z'};
	pthread_t t;
	CHECK(pthread_create(&t, NULL, send_one_later, &s) == 0);
	CHECK_EQ(scif_send(a, "!", 1, SCIF_SEND_BLOCK), 1);
	CHECK_EQ(scif4j_recv(a, buf, 1, -1), 1);
	CHECK_EQ(buf[0], 'z');
	pthread_join(t, NULL);
	/* a full ring: send moves what fits and returns at the limit */
	static char big[1 << 20];
	int n = scif4j_send(a, big, sizeof big, 20);
	CHECK(n > 0 && n < (int)sizeof big);
	CHECK_EQ(scif4j_send(a, big, 1, 20), 0);
	CHECK_ERR(scif4j_recv(a, NULL, 1, 20), EFAULT);
	CHECK_ERR(scif4j_recv(a, buf, -1, 20), EINVAL);
	CHECK_EQ(scif_close(b), 0);
	CHECK_ERR(scif4j_recv(a, buf, 1, 20), ECONNRESET);
	CHECK_ERR(scif4j_send(a, buf, 1, 20), ECONNRESET);
	CHECK_EQ(scif_close(a), 0);
	CHECK_ERR(scif4j_recv(a, buf, 1, 20), EBADF);
	CHECK_EQ(scif_close(l), 0);
}
