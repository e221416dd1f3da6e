/* scif.h: the ABI's constants and structure layouts. */
#include "t.h"
#include <scif.h>
#include <stddef.h>

TEST(header_constants)
{
	CHECK_EQ(SCIF_ACCEPT_SYNC, 1);
	CHECK_EQ(SCIF_SEND_BLOCK, 1);
	CHECK_EQ(SCIF_RECV_BLOCK, 1);
	CHECK_EQ(ACCEPT_SYNC, 1);
	CHECK_EQ(SEND_BLOCK, 1);
	CHECK_EQ(RECV_BLOCK, 1);
	CHECK_EQ(SCIF_PROT_READ, 1);
	CHECK_EQ(SCIF_PROT_WRITE, 2);
	CHECK_EQ(SCIF_MAP_FIXED, 0x10);
	CHECK_EQ(SCIF_MAP_KERNEL, 0x20);
	CHECK_EQ(SCIF_FENCE_INIT_SELF, 1);
	CHECK_EQ(SCIF_FENCE_INIT_PEER, 2);
	CHECK_EQ(SCIF_FENCE_RAS_SELF, 4);
	CHECK_EQ(SCIF_FENCE_RAS_PEER, 8);
	CHECK_EQ(SCIF_SIGNAL_LOCAL, 0x10);
	CHECK_EQ(SCIF_SIGNAL_REMOTE, 0x20);
	CHECK_EQ(SCIF_RMA_USECPU, 1);
	CHECK_EQ(SCIF_RMA_USECACHE, 2);
	CHECK_EQ(SCIF_RMA_SYNC, 4);
	CHECK_EQ(SCIF_RMA_ORDERED, 8);
	CHECK_EQ(SCIF_POLLIN, 1);
	CHECK_EQ(SCIF_POLLOUT, 4);
	CHECK_EQ(SCIF_POLLERR, 8);
	CHECK_EQ(SCIF_POLLHUP, 0x10);
	CHECK_EQ(SCIF_POLLNVAL, 0x20);
	CHECK_EQ(SCIF_ADMIN_PORT_END, 1024);
	CHECK_EQ(SCIF_PORT_RSVD, 1088);
	CHECK_EQ(SCIF_COI_PORT_0, 40);
	CHECK_EQ(MPSSD_MICCTRL, 164);
	CHECK_EQ(SCIF_ST_PORT_9, 1053);
	CHECK(SCIF_OPEN_FAILED == -1);
	CHECK(SCIF_REGISTER_FAILED == (off_t)-1);
	CHECK(SCIF_MMAP_FAILED == (void *)-1);
}

TEST(header_structs)
{
	CHECK_EQ(sizeof(struct scif_portID), 4);
	CHECK_EQ(offsetof(struct scif_portID, port), 2);
	CHECK_EQ(sizeof(struct scif_pollepd), sizeof(struct pollfd));
	CHECK_EQ(offsetof(struct scif_pollepd, events), offsetof(struct pollfd, events));
	CHECK_EQ(offsetof(struct scif_pollepd, revents), offsetof(struct pollfd, revents));
	CHECK_EQ(sizeof(scif_epd_t), sizeof(int));
	CHECK_EQ(sizeof(off_t), 8);
	struct portID legacy = {1, 2};
	portID_t alias = legacy;
	scif_portID_t alias2 = alias;
	CHECK_EQ(alias2.port, 2);
}
