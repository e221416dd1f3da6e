/* scif_mmap of a peer's windows: each piece is the peer's memory file itself, mapped shared
   at its place, and holds a map reference on its window entry until scif_munmap. */
#include "rma_internal.h"
#include "files.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

struct mapping {
	struct mapping *next;
	uint8_t *addr;
	size_t len;
	struct conn *c; /* kept mapped while the mapping holds map references */
	int n;
	uint64_t entries[MAX_PIECES];
};
static struct mapping *mappings;
static pthread_mutex_t maps_mu = PTHREAD_MUTEX_INITIALIZER;

void *rma_mmap(struct rma *m, void *addr, size_t len, int prot, int fixed, int64_t off, int *err)
{
	pthread_mutex_lock(&m->mu);
	struct xfer x = {0};
	uint8_t *a[MAX_PIECES];
	uint64_t l[MAX_PIECES];
	int n;
	int need = (prot & SCIF_PROT_READ ? 1 : 0) | (prot & SCIF_PROT_WRITE ? 2 : 0);
	*err = m->closed ? EBADF : rma_resolve(m, 1, off, len, need, &x, a, l, &n);
	struct mapping *mp = *err ? NULL : calloc(1, sizeof *mp);
	if (!*err && !mp)
		*err = ENOMEM;
	void *base = MAP_FAILED;
	if (!*err) {
		base = mmap(fixed ? addr : NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED : 0),
			    -1, 0);
		if (base == MAP_FAILED)
			*err = ENOMEM;
	}
	/* each piece: the peer's memory file itself, mapped shared at its place */
	uint8_t *at = base;
	for (int i = 0; !*err && i < n; i++) {
		int idx = (int)((x.refs[i] - entry_off(m, 1 - m->side, 0)) / WINDOW_ENTRY);
		uint64_t e = x.refs[i];
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/mem-%u-%u", fab.cfg.fabric_dir, cget32(m->c, e + 24), cget32(m->c, e + 28));
		int fd = open(p, (prot & SCIF_PROT_WRITE) ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
		uint64_t foff = __atomic_load_n(cw64(m->c, e + 32), __ATOMIC_ACQUIRE) + (uint64_t)(a[i] - m->r[idx].map);
		int mprot = (prot & SCIF_PROT_READ ? PROT_READ : 0) | (prot & SCIF_PROT_WRITE ? PROT_WRITE : 0);
		if (fd < 0 || mmap(at, l[i], mprot ? mprot : PROT_READ, MAP_SHARED | MAP_FIXED, fd, (off_t)foff) == MAP_FAILED)
			*err = EPERM;
		if (fd >= 0)
			close(fd);
		at += l[i];
	}
	if (!*err) {
		for (int i = 0; i < n; i++) {
			cadd32(m->c, x.refs[i] + 44, 1);
			mp->entries[i] = x.refs[i];
		}
		mp->n = n;
		mp->addr = base;
		mp->len = len;
		mp->c = m->c;
		pthread_mutex_lock(&maps_mu);
		mp->next = mappings;
		mappings = mp;
		pthread_mutex_unlock(&maps_mu);
	} else {
		if (base != MAP_FAILED && !fixed)
			munmap(base, len);
		free(mp);
		base = MAP_FAILED;
	}
	rma_release_refs(m, &x);
	pthread_mutex_unlock(&m->mu);
	return base;
}

int rma_munmap(void *addr, size_t len)
{
	if (munmap(addr, len))
		return errno;
	pthread_mutex_lock(&maps_mu);
	for (struct mapping **p = &mappings; *p;) {
		struct mapping *mp = *p;
		if ((uint8_t *)addr <= mp->addr && mp->addr + mp->len <= (uint8_t *)addr + len) {
			for (int i = 0; i < mp->n; i++)
				__atomic_sub_fetch((volatile uint32_t *)(mp->c->base + mp->entries[i] + 44), 1,
						   __ATOMIC_SEQ_CST);
			*p = mp->next;
			free(mp);
			continue;
		}
		p = &mp->next;
	}
	pthread_mutex_unlock(&maps_mu);
	return 0;
}

int rma_maps(struct conn *c)
{
	int n = 0;
	pthread_mutex_lock(&maps_mu);
	for (struct mapping *mp = mappings; mp; mp = mp->next)
		n += mp->c == c;
	pthread_mutex_unlock(&maps_mu);
	return n;
}
