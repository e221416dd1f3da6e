/* Registered memory, RMA, fences and mappings of a connected endpoint (rma.c, rma_copy.c,
   rma_fence.c, rma_map.c). Functions return 0 or an errno. */
#ifndef LIBSCIF_RMA_H
#define LIBSCIF_RMA_H
#include "fabric.h"
#include "ring.h"
#include <scif.h>

struct rma;
/* owner_pid: the process that opened the endpoint (a fork()ed child may use m through an
   inherited endpoint: RMA and fences, not register or unregister). */
struct rma *rma_new(struct conn *c, int slot, int peer_slot, int loopback, int owner_pid);
/* Close unregisters every window; free (at the endpoint's last reference, when no call holds
   the rma) unmaps the peer's windows. The endpoint's references keep m alive: every call
   that uses it holds one (ep_get) from before it takes m until after its last access. */
void rma_close(struct rma *m);
void rma_free(struct rma *m);
int64_t rma_register(struct rma *m, void *addr, size_t len, int64_t off, int prot, int fixed, int *err);
int rma_unregister(struct rma *m, int64_t off, uint64_t len);
/* vaddr NULL: a local registered range at loff; else that memory of this process. */
int rma_copy(struct rma *m, int to_remote, int64_t loff, void *vaddr, uint64_t len, int64_t roff);
int rma_fence_mark(struct rma *m, int flags, int *mark);
int rma_fence_wait(struct rma *m, int mark);
int rma_fence_signal(struct rma *m, int64_t loff, uint64_t lval, int64_t roff, uint64_t rval, int flags);
void *rma_mmap(struct rma *m, void *addr, size_t len, int prot, int fixed, int64_t off, int *err);
int rma_munmap(void *addr, size_t len);
/* How many mappings of this process still use the connection file (it stays mapped). */
int rma_maps(struct conn *c);
#endif
