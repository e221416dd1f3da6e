/* Memory behind windows (memory.c). */
#ifndef LIBSCIF_MEMORY_H
#define LIBSCIF_MEMORY_H
#include "fabric.h"

struct range {
	struct range *next;
	void *addr;
	size_t len;
	int pid;
	uint32_t seq; /* mem-PID-SEQ */
	int refs;     /* windows over it */
};

/* The registered memory holding [addr, addr+len), moved into a memory file if new; NULL
   with *err (EFAULT: not private writable memory, or overlapping a registered region in
   part; ENOMEM). */
struct range *mem_pin(void *addr, size_t len, int *err);
void mem_release(struct range *r);
void mem_atfork_child(void);
#endif
