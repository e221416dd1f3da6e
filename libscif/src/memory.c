/* Memory behind this process's windows (docs/shm-format.md, files mem-PID-SEQ), so that a
   peer in another process maps that very memory:
   - private memory (malloc, posix_memalign, a private mmap) is registered by moving its
     pages into a new file mem-PID-SEQ of the fabric directory, mapped shared at the very
     same addresses. When the last window over it goes, the pages move back into private
     anonymous memory at the same addresses (mremap), so the program's heap is as it was:
     free and malloc keep working; but when the endpoint closes while the peer maps the window,
     they stay in the (then nameless) file, shared with the peer's mapping (mem_release_pinned);
   - a shared mapping of a file (mmap MAP_SHARED of a file of this user that still has its
     name) is registered without copying: mem-PID-SEQ is a symbolic link to that file, and the
     window names the file offset of its first byte, as the Java side does.
   Anything else (shared anonymous memory, a memfd or deleted file, another user's file,
   read-only memory for a writable window) cannot be reached by another process through the
   fabric directory and is refused with EFAULT and a line on stderr saying why.
   A fork()ed child gets its own private copy of migrated regions (as a child of an MPSS process
   keeps copy-on-write pages), unless the range was MADV_DONTFORK; linked regions stay the
   shared file mappings they are. The registry is guarded by mu (taken after an rma's mu). */
#include "memory.h"
#include "files.h"
#include "maps.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct range *ranges;
static uint32_t next_seq;

static void path_of(char *buf, size_t n, int pid, uint32_t seq)
{
	snprintf(buf, n, "%s/mem-%d-%u", fab.cfg.fabric_dir, pid, seq);
}

/*
 * Makes a new name mem-PID-SEQ by make(path, arg) (exclusive: it fails with EEXIST on a taken
 * name). A Java shm node of this same process names its memory files mem-PID-SEQ with a counter
 * of its own: skip every name it holds (it holds at most one per registered window), not just
 * a few, before giving up. Returns make's result (>= 0), or -1.
 */
static int new_name(struct range *r, char *p, size_t n, int (*make)(const char *path, const void *arg),
		    const void *arg)
{
	int fd = -1;
	for (int skipped = 0; fd < 0 && skipped <= 1 << 16; skipped++) {
		r->seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_SEQ_CST);
		path_of(p, n, fab.pid, r->seq);
		fd = make(p, arg);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd;
}

static int make_file(const char *path, const void *arg)
{
	(void)arg;
	return file_create_excl(path, 0);
}

static int make_link(const char *path, const void *target)
{
	return symlink((const char *)target, path);
}

/* Moves the pages into a new memory file. 0, or an errno. */
static int migrate(struct range *r)
{
	char p[FILES_PATH_MAX];
	int fd = new_name(r, p, sizeof p, make_file, NULL);
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
	r->kind = RANGE_MIGRATED;
	r->writable = 1;
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

static int refuse(void *addr, size_t len, const char *why, const char *path)
{
	int named = path && *path;
	logmsg("scif_register(%p, %zu): EFAULT, %s%s%s", addr, len, why, named ? ": " : "", named ? path : "");
	return EFAULT;
}

/* Links the file behind a shared mapping into the fabric directory. 0, or an errno. */
static int link_shared(struct range *r, const struct maps_entry *m, int write)
{
	const char *path = m->path;
	size_t pl = strlen(path);
	const char *deleted = " (deleted)";
	if (path[0] != '/' || (pl > strlen(deleted) && !strcmp(path + pl - strlen(deleted), deleted)))
		return refuse(r->addr, r->len, "shared memory that is not a named file (shared anonymous memory,"
			      " a memfd or a deleted file) cannot be reached by another process", path);
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode) || major(st.st_dev) != m->dev_major ||
	    minor(st.st_dev) != m->dev_minor || st.st_ino != m->inode)
		return refuse(r->addr, r->len, "the file of the shared mapping is no longer under its name", path);
	if (st.st_uid != geteuid())
		return refuse(r->addr, r->len, "the shared mapping's file belongs to another user; peers map only"
			      " files of the fabric's user", path);
	if (write && !m->writable)
		return refuse(r->addr, r->len, "the mapping is read-only and the window is SCIF_PROT_WRITE", path);
	r->foff = m->offset + ((uintptr_t)r->addr - m->lo);
	if (r->foff + r->len > (uint64_t)st.st_size)
		return refuse(r->addr, r->len, "the region runs past the end of the mapped file", path);
	char p[FILES_PATH_MAX];
	if (new_name(r, p, sizeof p, make_link, path) < 0)
		return refuse(r->addr, r->len, "cannot link the mapped file into the fabric directory", path);
	r->kind = RANGE_LINKED;
	r->writable = m->writable;
	return 0;
}

/* Whether m maps a memory file of this process that lost its name while a peer mapped it
   (mem_release_pinned). */
static int own_pinned(const struct maps_entry *m)
{
	char own[FILES_PATH_MAX];
	int n = snprintf(own, sizeof own, "%s/mem-%d-", fab.cfg.fabric_dir, fab.pid);
	const char *deleted = " (deleted)";
	size_t pl = strlen(m->path), dl = strlen(deleted);
	return n > 0 && (size_t)n < sizeof own && m->writable && !strncmp(m->path, own, (size_t)n) &&
	       pl > dl && !strcmp(m->path + pl - dl, deleted);
}

/* Makes [r->addr, +r->len) reachable by peers. 0, or an errno. */
static int share(struct range *r, int write)
{
	static __thread struct maps_cover c;
	if (maps_covering((uintptr_t)r->addr, r->len, &c) < 0)
		return refuse(r->addr, r->len, "bytes of the region are not mapped", NULL);
	if (c.count == 1 && c.first.shared && own_pinned(&c.first))
		return migrate(r); /* our memory file, pinned at a close: migrated anew */
	if (c.count == 1 && c.first.shared)
		return link_shared(r, &c.first, write);
	if (c.odd_found && c.odd.shared)
		return refuse(r->addr, r->len, "the region mixes a shared mapping with other memory; register"
			      " the parts apart", c.odd.path);
	if (c.odd_found)
		return refuse(r->addr, r->len, "the region holds read-only private memory", c.odd.path);
	return migrate(r);
}

struct range *mem_pin(void *addr, size_t len, int write, int *err)
{
	pthread_mutex_lock(&mu);
	uintptr_t a = (uintptr_t)addr;
	for (struct range *r = ranges; r; r = r->next) {
		uintptr_t ra = (uintptr_t)r->addr;
		if (a >= ra && a < ra + r->len) {
			if (a + len > ra + r->len)
				*err = refuse(addr, len, "the region overlaps registered memory only in part", NULL);
			else if (write && !r->writable)
				*err = refuse(addr, len, "the mapping is read-only and the window is SCIF_PROT_WRITE", NULL);
			else
				r->refs++;
			pthread_mutex_unlock(&mu);
			return *err ? NULL : r;
		}
		if (ra >= a && ra < a + len) {
			*err = refuse(addr, len, "the region contains a smaller registered region", NULL);
			pthread_mutex_unlock(&mu);
			return NULL;
		}
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
	if ((*err = share(r, write))) {
		free(r);
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	r->next = ranges;
	ranges = r;
	pthread_mutex_unlock(&mu);
	return r;
}

static void release(struct range *r, int pinned);

void mem_release(struct range *r)
{
	release(r, 0);
}

void mem_release_pinned(struct range *r)
{
	release(r, 1);
}

static void release(struct range *r, int pinned)
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
	if (r->kind == RANGE_MIGRATED && !pinned && unmigrate(r->addr, r->len))
		logmsg("cannot move registered pages at %p back to private memory: %s", r->addr,
		       strerror(errno));
	char p[FILES_PATH_MAX];
	path_of(p, sizeof p, r->pid, r->seq);
	file_delete_own(p); /* a link itself, never its target */
	free(r);
}

void mem_atfork_child(void)
{
	for (struct range *r = ranges; r; r = r->next)
		if (r->kind == RANGE_MIGRATED && madvise(r->addr, r->len, MADV_NORMAL) == 0) /* absent if DONTFORK */
			unmigrate(r->addr, r->len);
	ranges = NULL; /* the child's memory is its own now: nothing of it is registered */
	pthread_mutex_init(&mu, NULL);
}
