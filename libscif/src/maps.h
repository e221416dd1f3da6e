/* What backs a range of this process's memory, from /proc/self/maps (maps.c). */
#ifndef LIBSCIF_MAPS_H
#define LIBSCIF_MAPS_H
#include "internal.h"

#define MAPS_PATH_MAX 1024

struct maps_entry {
	uintptr_t lo, hi;
	int writable, shared;
	uint64_t offset;        /* offset in the file of lo */
	unsigned dev_major, dev_minor;
	unsigned long inode;
	char path[MAPS_PATH_MAX]; /* the file, "[heap]"-like names, or "" for anonymous memory */
};

/* What covers a range: however many mappings (a private range the heap built piece by piece can
   span dozens), kept as the first of them and the first that a private range must not hold. */
struct maps_cover {
	int count;              /* the mappings covering the range */
	struct maps_entry first; /* the lowest of them */
	int odd_found;          /* whether one of them is shared or read-only */
	struct maps_entry odd;  /* the lowest such mapping, if odd_found */
};

/* Fills *out with the mappings covering [addr, addr+len), read in order: 0, or -1 if a byte of the
   range is not mapped (or maps is unreadable). */
int maps_covering(uintptr_t addr, size_t len, struct maps_cover *out);
#endif
