/* The SCIF user API. */
#include <errno.h>
#include <scif.h>

#define API __attribute__((visibility("default")))

static int unsupported(void)
{
	errno = EOPNOTSUPP;
	return -1;
}

API scif_epd_t scif_open(void) { return unsupported(); }
API int scif_close(scif_epd_t epd) { (void)epd; return unsupported(); }
API int scif_bind(scif_epd_t epd, uint16_t pn) { (void)epd; (void)pn; return unsupported(); }
API int scif_listen(scif_epd_t epd, int backlog) { (void)epd; (void)backlog; return unsupported(); }
API int scif_connect(scif_epd_t epd, struct scif_portID *dst) { (void)epd; (void)dst; return unsupported(); }
API int scif_accept(scif_epd_t epd, struct scif_portID *peer, scif_epd_t *newepd, int flags) { (void)epd; (void)peer; (void)newepd; (void)flags; return unsupported(); }
API int scif_send(scif_epd_t epd, void *msg, int len, int flags) { (void)epd; (void)msg; (void)len; (void)flags; return unsupported(); }
API int scif_recv(scif_epd_t epd, void *msg, int len, int flags) { (void)epd; (void)msg; (void)len; (void)flags; return unsupported(); }
API off_t scif_register(scif_epd_t epd, void *addr, size_t len, off_t offset, int prot, int map) { (void)epd; (void)addr; (void)len; (void)offset; (void)prot; (void)map; return unsupported(); }
API int scif_unregister(scif_epd_t epd, off_t offset, size_t len) { (void)epd; (void)offset; (void)len; return unsupported(); }
API void *scif_mmap(void *addr, size_t len, int prot, int map, scif_epd_t epd, off_t offset) { (void)addr; (void)len; (void)prot; (void)map; (void)epd; (void)offset; unsupported(); return SCIF_MMAP_FAILED; }
API int scif_munmap(void *addr, size_t len) { (void)addr; (void)len; return unsupported(); }
API int scif_readfrom(scif_epd_t epd, off_t lo, size_t len, off_t ro, int f) { (void)epd; (void)lo; (void)len; (void)ro; (void)f; return unsupported(); }
API int scif_writeto(scif_epd_t epd, off_t lo, size_t len, off_t ro, int f) { (void)epd; (void)lo; (void)len; (void)ro; (void)f; return unsupported(); }
API int scif_vreadfrom(scif_epd_t epd, void *a, size_t len, off_t o, int f) { (void)epd; (void)a; (void)len; (void)o; (void)f; return unsupported(); }
API int scif_vwriteto(scif_epd_t epd, void *a, size_t len, off_t o, int f) { (void)epd; (void)a; (void)len; (void)o; (void)f; return unsupported(); }
API int scif_fence_mark(scif_epd_t epd, int flags, int *mark) { (void)epd; (void)flags; (void)mark; return unsupported(); }
API int scif_fence_wait(scif_epd_t epd, int mark) { (void)epd; (void)mark; return unsupported(); }
API int scif_fence_signal(scif_epd_t epd, off_t lo, uint64_t lv, off_t ro, uint64_t rv, int f) { (void)epd; (void)lo; (void)lv; (void)ro; (void)rv; (void)f; return unsupported(); }
API int scif_get_nodeIDs(uint16_t *nodes, int len, uint16_t *self) { (void)nodes; (void)len; (void)self; return unsupported(); }
API int scif_poll(struct scif_pollepd *epds, unsigned int n, long t) { (void)epds; (void)n; (void)t; return unsupported(); }
API int scif_get_fd(scif_epd_t epd) { (void)epd; return unsupported(); }
