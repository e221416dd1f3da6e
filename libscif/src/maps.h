/* What backs a range of this process's memory, from /proc/self/maps (maps.c). */
#ifndef LIBSCIF_MAPS_H
#define LIBSCIF_MAPS_H
#include "internal.h"

#define MAPS_PATH_MAX 1024
#define MAPS_MAX 8 /* entries kept: a region over more mappings than this is refused */

struct maps_entry {
	uintptr_t lo, hi;
	int writable, shared;
	uint64_t offset;        /* offset in the file of lo */
	unsigned dev_major, dev_minor;
	unsigned long inode;
	char path[MAPS_PATH_MAX]; /* the file, "[heap]"-like names, or "" for anonymous memory */
};

/* Fills out[] with the mappings covering [addr, addr+len), in order: their count, or -1 if a
   byte of the range is not mapped (or more than max mappings cover it, or maps is unreadable). */
int maps_covering(uintptr_t addr, size_t len, struct maps_entry *out, int max);
#endif
