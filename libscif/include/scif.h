/*
 * scif.h: the SCIF user API of scif4j's libscif, which emulates SCIF over the shm fabric of
 * scif4j (see docs/shm-format.md). Written for scif4j from the documented ABI of Intel's
 * libscif (the SCIF man pages and the Linux SCIF documentation): the same prototypes,
 * constants, structures and legacy aliases, so a program written for MPSS compiles unchanged
 * and links with -lscif.
 */
#ifndef SCIF_H
#define SCIF_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>
#include <errno.h>
#include <sys/select.h>
#include <poll.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Well-known ports (informational: binding below SCIF_ADMIN_PORT_END needs privilege). */
enum {
	SCIF_OFED_PORT_0 = 60,
	SCIF_OFED_PORT_1,
	SCIF_OFED_PORT_2,
	SCIF_OFED_PORT_3,
	SCIF_OFED_PORT_4,
	SCIF_OFED_PORT_5,
	SCIF_OFED_PORT_6,
	SCIF_OFED_PORT_7,
	SCIF_OFED_PORT_8,
	SCIF_OFED_PORT_9,
};

enum {
	SCIF_COI_PORT_0 = 40,
	SCIF_COI_PORT_1,
	SCIF_COI_PORT_2,
	SCIF_COI_PORT_3,
	SCIF_COI_PORT_4,
	SCIF_COI_PORT_5,
	SCIF_COI_PORT_6,
	SCIF_COI_PORT_7,
	SCIF_COI_PORT_8,
	SCIF_COI_PORT_9,
};

enum {
	SCIF_RAS_PORT_0 = 100,
	SCIF_RAS_PORT_1,
	SCIF_RAS_PORT_2,
	SCIF_RAS_PORT_3,
	SCIF_RAS_PORT_4,
	SCIF_RAS_PORT_5,
	SCIF_RAS_PORT_6,
	SCIF_RAS_PORT_7,
	SCIF_RAS_PORT_8,
	SCIF_RAS_PORT_9,
};

enum {
	SCIF_NETDEV_PORT_0 = 80,
	SCIF_NETDEV_PORT_1,
	SCIF_NETDEV_PORT_2,
	SCIF_NETDEV_PORT_3,
	SCIF_NETDEV_PORT_4,
	SCIF_NETDEV_PORT_5,
	SCIF_NETDEV_PORT_6,
	SCIF_NETDEV_PORT_7,
	SCIF_NETDEV_PORT_8,
	SCIF_NETDEV_PORT_9,
};

enum {
	SCIF_PM_PORT_0 = 120,
	SCIF_PM_PORT_1,
	SCIF_PM_PORT_2,
	SCIF_PM_PORT_3,
	SCIF_PM_PORT_4,
	SCIF_PM_PORT_5,
	SCIF_PM_PORT_6,
	SCIF_PM_PORT_7,
	SCIF_PM_PORT_8,
	SCIF_PM_PORT_9,
};

enum {
	SCIF_BT_PORT_0 = 130,
	SCIF_BT_PORT_1,
	SCIF_BT_PORT_2,
	SCIF_BT_PORT_3,
	SCIF_BT_PORT_4,
	SCIF_BT_PORT_5,
	SCIF_BT_PORT_6,
	SCIF_BT_PORT_7,
	SCIF_BT_PORT_8,
	SCIF_BT_PORT_9,
};

enum {
	MPSSD_MONRECV = 160,
	MIC_NOTIFY = 161,
	MPSSD_CRED = 162,
	MPSSD_MONSEND = 163,
	MPSSD_MICCTRL = 164,
	MPSSD_RESV5 = 165,
	MPSSD_RESV6 = 166,
	MPSSD_RESV7 = 167,
	MPSSD_RESV8 = 168,
	MPSSD_RESV9 = 169,
};

#define SCIF_COSM_LISTEN_PORT 201

enum {
	SCIF_MYO_PORT_0 = 1025,
	SCIF_MYO_PORT_1,
	SCIF_MYO_PORT_2,
	SCIF_MYO_PORT_3,
	SCIF_MYO_PORT_4,
	SCIF_MYO_PORT_5,
	SCIF_MYO_PORT_6,
	SCIF_MYO_PORT_7,
	SCIF_MYO_PORT_8,
	SCIF_MYO_PORT_9,
};

enum {
	SCIF_ST_PORT_0 = 1044,
	SCIF_ST_PORT_1,
	SCIF_ST_PORT_2,
	SCIF_ST_PORT_3,
	SCIF_ST_PORT_4,
	SCIF_ST_PORT_5,
	SCIF_ST_PORT_6,
	SCIF_ST_PORT_7,
	SCIF_ST_PORT_8,
	SCIF_ST_PORT_9,
};

/* Ports below this one need privilege to bind. */
#define SCIF_ADMIN_PORT_END 1024
/* End of the reserved range: scif_bind(epd, 0) hands out ports above it. */
#define SCIF_PORT_RSVD 1088

/* An endpoint: a file descriptor. */
typedef int scif_epd_t;

#define SCIF_OPEN_FAILED ((scif_epd_t)-1)
#define SCIF_REGISTER_FAILED ((off_t)-1)
#define SCIF_MMAP_FAILED ((void *)-1)

/* A node and a port on it. */
struct scif_portID {
	uint16_t node;
	uint16_t port;
};

/* Legacy names of struct scif_portID. */
typedef struct scif_portID scif_portID_t;
#define portID scif_portID
typedef struct scif_portID portID_t;

/* One endpoint and its events for scif_poll: the same layout as struct pollfd. */
struct scif_pollepd {
	scif_epd_t epd;
	short events;
	short revents;
};

enum scif_accept_flags { SCIF_ACCEPT_SYNC = 1 };
enum scif_send_flags { SCIF_SEND_BLOCK = 1 };
enum scif_recv_flags { SCIF_RECV_BLOCK = 1 };

/* Legacy spellings of the flags above. */
#define ACCEPT_SYNC SCIF_ACCEPT_SYNC
#define SEND_BLOCK SCIF_SEND_BLOCK
#define RECV_BLOCK SCIF_RECV_BLOCK

enum scif_prot_flags {
	SCIF_PROT_READ = (1 << 0),
	SCIF_PROT_WRITE = (1 << 1),
};

enum scif_map_flags {
	SCIF_MAP_FIXED = 0x10,
	SCIF_MAP_KERNEL = 0x20,
};

enum scif_fence_flags {
	SCIF_FENCE_INIT_SELF = (1 << 0),
	SCIF_FENCE_INIT_PEER = (1 << 1),
	SCIF_FENCE_RAS_SELF = (1 << 2),
	SCIF_FENCE_RAS_PEER = (1 << 3),
	SCIF_SIGNAL_LOCAL = (1 << 4),
	SCIF_SIGNAL_REMOTE = (1 << 5),
};

enum scif_rma_flags {
	SCIF_RMA_USECPU = (1 << 0),
	SCIF_RMA_USECACHE = (1 << 1),
	SCIF_RMA_SYNC = (1 << 2),
	SCIF_RMA_ORDERED = (1 << 3),
};

#define SCIF_POLLIN POLLIN
#define SCIF_POLLOUT POLLOUT
#define SCIF_POLLERR POLLERR
#define SCIF_POLLHUP POLLHUP
#define SCIF_POLLNVAL POLLNVAL

scif_epd_t scif_open(void);
int scif_close(scif_epd_t epd);
int scif_bind(scif_epd_t epd, uint16_t pn);
int scif_listen(scif_epd_t epd, int backlog);
int scif_connect(scif_epd_t epd, struct scif_portID *dst);
int scif_accept(scif_epd_t epd, struct scif_portID *peer, scif_epd_t *newepd, int flags);
int scif_send(scif_epd_t epd, void *msg, int len, int flags);
int scif_recv(scif_epd_t epd, void *msg, int len, int flags);
off_t scif_register(scif_epd_t epd, void *addr, size_t len, off_t offset, int prot_flags,
		    int map_flags);
int scif_unregister(scif_epd_t epd, off_t offset, size_t len);
void *scif_mmap(void *addr, size_t len, int prot_flags, int map_flags, scif_epd_t epd,
		off_t offset);
int scif_munmap(void *addr, size_t len);
int scif_readfrom(scif_epd_t epd, off_t loffset, size_t len, off_t roffset, int rma_flags);
int scif_writeto(scif_epd_t epd, off_t loffset, size_t len, off_t roffset, int rma_flags);
int scif_vreadfrom(scif_epd_t epd, void *addr, size_t len, off_t offset, int rma_flags);
int scif_vwriteto(scif_epd_t epd, void *addr, size_t len, off_t offset, int rma_flags);
int scif_fence_mark(scif_epd_t epd, int flags, int *mark);
int scif_fence_wait(scif_epd_t epd, int mark);
int scif_fence_signal(scif_epd_t epd, off_t loff, uint64_t lval, off_t roff, uint64_t rval,
		      int flags);
int scif_get_nodeIDs(uint16_t *nodes, int len, uint16_t *self);
int scif_poll(struct scif_pollepd *epds, unsigned int nepds, long timeout);
int scif_get_fd(scif_epd_t epd);

#ifdef __cplusplus
}
#endif

#endif /* SCIF_H */
