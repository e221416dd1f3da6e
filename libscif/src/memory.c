/* Memory behind this process's windows (docs/shm-format.md, files mem-PID-SEQ): a region
   of private memory (malloc, posix_memalign, a private mmap) is registered by moving its
   pages into a new file mem-PID-SEQ of the fabric directory, mapped shared at the very same
   addresses, so that a peer in another process maps that file and reaches this memory. When
   the last window over it goes, the pages move back into private anonymous memory at the
   same addresses (mremap), so the program's heap is as it was: free and malloc keep working.
   A fork()ed child gets its own private copy of such regions (as a child of an MPSS process
   keeps copy-on-write pages), unless the range was MADV_DONTFORK. */
#include "memory.h"
#include "files.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct range *ranges;
static uint32_t next_seq;

static void path_of(char *buf, size_t n, int pid, uint32_t seq)
{
	snprintf(buf, n, "%s/mem-%d-%u", fab.cfg.fabric_dir, pid, seq);
}

/* Whether [addr, addr+len) is private writable memory, from /proc/self/maps. */
static int private_writable(uintptr_t addr, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return 0;
	char line[512];
	uintptr_t at = addr, end = addr + len;
	while (at < end && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || hi <= at)
			continue;
		if (lo > at || perms[1] != 'w' || perms[3] != 'p')
			break;
		at = hi;
	}
	fclose(f);
	return at >= end;
}

/* Moves the pages into a new memory file. 0, or an errno. */
static int migrate(struct range *r)
{
	char p[FILES_PATH_MAX];
	int fd = -1;
	/*
	 * A Java shm node of this same process names its memory files mem-PID-SEQ with a counter
	 * of its own: skip every name it holds (it holds at most one per registered window), not
	 * just a few, before giving up.
	 */
	for (int skipped = 0; fd < 0 && skipped <= 1 << 16; skipped++) {
		r->seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_SEQ_CST);
		path_of(p, sizeof p, fab.pid, r->seq);
		fd = file_create_excl(p, 0);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return ENOMEM;
	for (size_t done = 0; done < r->len;) {
		ssize_t n = pwrite(fd, (uint8_t *)r->addr + done, r->len - done, (off_t)done);
		if (n <= 0) {
			close(fd);
			unlink(p);
			return ENOMEM;
		}
		done += (size_t)n;
	}
	void *m = mmap(r->addr, r->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		unlink(p);
		return ENOMEM;
	}
	return 0;
}

/* Moves the pages back into private anonymous memory at the same addresses. */
static int unmigrate(void *addr, size_t len)
{
	void *tmp = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tmp == MAP_FAILED)
		return -1;
	memcpy(tmp, addr, len);
	if (mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, addr) == MAP_FAILED) {
		munmap(tmp, len);
		return -1;
	}
	return 0;
}

struct range *mem_pin(void *addr, size_t len, int *err)
{
	pthread_mutex_lock(&mu);
	uintptr_t a = (uintptr_t)addr;
	for (struct range *r = ranges; r; r = r->next) {
		uintptr_t ra = (uintptr_t)r->addr;
		if (a >= ra && a < ra + r->len) {
			if (a + len > ra + r->len) {
				*err = EFAULT; /* overlaps registered memory in part */
				pthread_mutex_unlock(&mu);
				return NULL;
			}
			r->refs++;
			pthread_mutex_unlock(&mu);
			return r;
		}
		if (ra >= a && ra < a + len) {
			*err = EFAULT; /* contains a smaller registered region */
			pthread_mutex_unlock(&mu);
			return NULL;
		}
	}
	if (!private_writable(a, len)) {
		*err = EFAULT;
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	struct range *r = calloc(1, sizeof *r);
	if (!r) {
		*err = ENOMEM;
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	r->addr = addr;
	r->len = len;
	r->pid = fab.pid;
	r->refs = 1;
	if ((*err = migrate(r))) {
		free(r);
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	r->next = ranges;
	ranges = r;
	pthread_mutex_unlock(&mu);
	return r;
}

void mem_release(struct range *r)
{
	pthread_mutex_lock(&mu);
	if (--r->refs > 0) {
		pthread_mutex_unlock(&mu);
		return;
	}
	for (struct range **p = &ranges; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	pthread_mutex_unlock(&mu);
	if (unmigrate(r->addr, r->len))
		logmsg("cannot move registered pages at %p back to private memory: %s", r->addr,
		       strerror(errno));
	char p[FILES_PATH_MAX];
	path_of(p, sizeof p, r->pid, r->seq);
	file_delete_own(p);
	free(r);
}

void mem_atfork_child(void)
{
	for (struct range *r = ranges; r; r = r->next)
		if (madvise(r->addr, r->len, MADV_NORMAL) == 0) /* absent in the child if DONTFORK */
			unmigrate(r->addr, r->len);
	ranges = NULL; /* the child's memory is its own now: nothing of it is registered */
	pthread_mutex_init(&mu, NULL);
}
