/* Helpers that make endpoints for tests. */
#include "t.h"
#include <pthread.h>
#include <scif.h>
#include <stdint.h>

static void *connect_thread(void *arg)
{
	scif_epd_t e = *(scif_epd_t *)arg;
	struct scif_portID dst = {0, 1089};
	return (void *)(intptr_t)scif_connect(e, &dst);
}

void t_pair(scif_epd_t *l, scif_epd_t *a, scif_epd_t *b)
{
	*l = scif_open();
	CHECK_EQ(scif_bind(*l, 1089), 1089);
	CHECK_EQ(scif_listen(*l, 1), 0);
	*a = scif_open();
	pthread_t t;
	pthread_create(&t, NULL, connect_thread, a);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(*l, &peer, b, SCIF_ACCEPT_SYNC), 0);
	void *r;
	pthread_join(t, &r);
	CHECK((intptr_t)r > 0);
}
