/* A host/card pair in the style of the SCIF tutorials: one source, built with -DHOST for the
   host (node 0: listens) and without for the card (node 1: connects to the host, retrying
   while refused). They exchange a greeting, a 1 MiB buffer and its sum, and check them.
   Written only against scif.h as an MPSS program is, with -Wall and nothing else. */
#include <scif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_NO 2050
#define BUF_SIZE (1024 * 1024)

#define CHECK(call)                                                                          \
	do {                                                                                   \
		if ((call) < 0) {                                                              \
			printf("%s failed: %s\n", #call, strerror(errno));                     \
			exit(1);                                                               \
		}                                                                              \
	} while (0)

int main(void)
{
	scif_epd_t epd;
	struct scif_portID portID;
	uint16_t nodes[32], self;
	static unsigned char buf[BUF_SIZE];
	int num_nodes = scif_get_nodeIDs(nodes, 32, &self);
	CHECK(num_nodes);
	CHECK(epd = scif_open());
#ifdef HOST
	scif_epd_t newepd;
	CHECK(scif_bind(epd, PORT_NO));
	CHECK(scif_listen(epd, 5));
	printf("host: listening on %d\n", PORT_NO);
	fflush(stdout);
	CHECK(scif_accept(epd, &portID, &newepd, SCIF_ACCEPT_SYNC));
	printf("host: accepted node %d port %d\n", portID.node, portID.port);
	char hello[16] = {0};
	CHECK(scif_recv(newepd, hello, 11, SCIF_RECV_BLOCK));
	if (strcmp(hello, "hello, host")) {
		printf("host: got '%s'\n", hello);
		return 1;
	}
	for (int i = 0; i < BUF_SIZE; i++)
		buf[i] = (unsigned char)(i * 7);
	unsigned long sum = 0;
	for (int i = 0; i < BUF_SIZE; i++)
		sum += buf[i];
	CHECK(scif_send(newepd, buf, BUF_SIZE, SCIF_SEND_BLOCK));
	CHECK(scif_send(newepd, &sum, sizeof sum, SCIF_SEND_BLOCK));
	int ok;
	CHECK(scif_recv(newepd, &ok, sizeof ok, SCIF_RECV_BLOCK));
	CHECK(scif_close(newepd));
	CHECK(scif_close(epd));
	printf("host: done, card says %d\n", ok);
	return ok == 1 ? 0 : 1;
#else
	portID.node = 0;
	portID.port = PORT_NO;
	int tries = 200;
	while (scif_connect(epd, &portID) < 0) {
		if (errno != ECONNREFUSED || --tries == 0) {
			printf("card: scif_connect failed: %s\n", strerror(errno));
			return 1;
		}
		usleep(10000);
	}
	CHECK(scif_send(epd, "hello, host", 11, SCIF_SEND_BLOCK));
	CHECK(scif_recv(epd, buf, BUF_SIZE, SCIF_RECV_BLOCK));
	unsigned long sum = 0, theirs;
	for (int i = 0; i < BUF_SIZE; i++)
		sum += buf[i];
	CHECK(scif_recv(epd, &theirs, sizeof theirs, SCIF_RECV_BLOCK));
	int ok = sum == theirs;
	CHECK(scif_send(epd, &ok, sizeof ok, SCIF_SEND_BLOCK));
	CHECK(scif_close(epd));
	printf("card: self %d of %d nodes, sum %s\n", self, num_nodes, ok ? "matches" : "differs");
	return ok ? 0 : 1;
#endif
}
