/* Reads /proc/self/maps: which mappings cover a range of this process's memory. A line is
   "lo-hi perms offset major:minor inode   path"; the path is the rest of the line (the kernel
   escapes a newline in it), absent for anonymous memory. */
#include "maps.h"
#include <stdio.h>
#include <string.h>

static int parse(char *line, struct maps_entry *e)
{
	unsigned long lo, hi;
	unsigned long long off;
	char perms[8];
	int at = 0;
	if (sscanf(line, "%lx-%lx %7s %llx %x:%x %lu%n", &lo, &hi, perms, &off, &e->dev_major, &e->dev_minor,
		   &e->inode, &at) != 7 || strlen(perms) < 4)
		return -1;
	e->lo = lo;
	e->hi = hi;
	e->offset = off;
	e->writable = perms[1] == 'w';
	e->shared = perms[3] == 's';
	const char *p = line + at;
	while (*p == ' ' || *p == '\t')
		p++;
	snprintf(e->path, sizeof e->path, "%s", p);
	e->path[strcspn(e->path, "\n")] = 0;
	return 0;
}

int maps_covering(uintptr_t addr, size_t len, struct maps_cover *out)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	static __thread char line[MAPS_PATH_MAX + 128];
	static __thread struct maps_entry e;
	uintptr_t at = addr, end = addr + len;
	out->count = 0;
	out->odd_found = 0;
	while (at < end && fgets(line, sizeof line, f)) {
		if (parse(line, &e) || e.hi <= at)
			continue;
		if (e.lo > at)
			break; /* a hole */
		if (out->count++ == 0)
			out->first = e;
		if (!out->odd_found && (e.shared || !e.writable)) {
			out->odd_found = 1;
			out->odd = e;
		}
		at = e.hi;
	}
	fclose(f);
	return at >= end ? 0 : -1;
}
