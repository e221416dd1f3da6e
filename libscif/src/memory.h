/* Memory behind windows (memory.c). */
#ifndef LIBSCIF_MEMORY_H
#define LIBSCIF_MEMORY_H
#include "fabric.h"

enum range_kind {
	RANGE_MIGRATED, /* private memory whose pages were moved into a new file mem-PID-SEQ */
	RANGE_LINKED    /* inside a shared mapping of a file; mem-PID-SEQ is a link to it */
};

struct range {
	struct range *next;
	enum range_kind kind;
	void *addr;
	size_t len;
	uint64_t foff; /* offset in the memory file of addr */
	int writable;  /* the memory may be written (a linked mapping may be read-only) */
	int pid;
	uint32_t seq;  /* mem-PID-SEQ */
	int refs;      /* windows over it */
};

/* The registered memory holding [addr, addr+len), made reachable by peers if new: private
   writable memory is moved into a memory file, a shared mapping of a file of this user is
   linked. NULL with *err: EFAULT (memory that cannot be shared that way: unmapped,
   read-only with write, shared anonymous, a deleted or foreign file, several mappings
   mixing kinds, or overlapping a registered region in part; a line on stderr says which),
   ENOMEM. */
struct range *mem_pin(void *addr, size_t len, int write, int *err);
void mem_release(struct range *r);
/* mem_release for a window whose endpoint closed while the peer maps it: migrated pages then
   stay the file's shared pages (only the file's name goes), so the peer's mapping and the
   program's memory remain one memory, as SCIF keeps a mapped window's pages pinned after close.
   Such memory can be registered again (it is migrated anew). */
void mem_release_pinned(struct range *r);
void mem_atfork_child(void);
#endif
