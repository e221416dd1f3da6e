/* Connection files conn-ID (docs/shm-format.md, "conn-ID"): created by the connector
   (side 0), opened by the acceptor (side 1) after checking magic, version, id, ring size
   and the file's exact size through the very file descriptor it maps. */
#include "files.h"
#include "layout.h"
#include "ring.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static void ring_init(struct ring *r, uint8_t *base, int which, uint32_t R)
{
	memset(r, 0, sizeof *r);
	r->hdr = base + ring_header_off(which, R);
	r->data = base + ring_data_off(which, R);
	r->D = ring_data_bytes(R);
	r->R = R;
	r->zeroed_ahead = UINT64_MAX; /* none yet */
}

/* A side takes over its rings where they stand: it writes one and reads the other. */
static void ring_adopt(struct ring *out, struct ring *in)
{
	out->tail_bytes = __atomic_load_n((volatile uint64_t *)(out->hdr + R_TAIL_BYTES), __ATOMIC_ACQUIRE);
	out->tail_frame = __atomic_load_n((volatile uint64_t *)(out->hdr + R_TAIL_FRAME), __ATOMIC_ACQUIRE);
	/* the cached reader positions start at the worst case: the first write re-reads them */
	out->c_head_bytes = out->tail_bytes >= out->R - 1 ? out->tail_bytes - (out->R - 1) : 0;
	out->c_head_frame = out->tail_frame >= out->D ? out->tail_frame - out->D : 0;
	for (int i = 0; i < 1000; i++) {
		volatile uint64_t *hb = (volatile uint64_t *)(in->hdr + R_HEAD_BYTES);
		uint64_t b1 = __atomic_load_n(hb, __ATOMIC_ACQUIRE);
		in->head_frame = __atomic_load_n((volatile uint64_t *)(in->hdr + R_HEAD_FRAME), __ATOMIC_ACQUIRE);
		in->head_taken = __atomic_load_n((volatile uint64_t *)(in->hdr + R_HEAD_TAKEN), __ATOMIC_ACQUIRE);
		in->head_bytes = __atomic_load_n(hb, __ATOMIC_ACQUIRE);
		if (b1 == in->head_bytes)
			break;
	}
}

static struct conn *wrap(uint64_t id, uint8_t *base, uint32_t R, int side)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->id = id;
	c->base = base;
	c->size = conn_file_size(R);
	c->R = R;
	c->side = side;
	struct ring r0, r1;
	ring_init(&r0, base, 0, R);
	ring_init(&r1, base, 1, R);
	c->out = side == 0 ? r0 : r1;
	c->in = side == 0 ? r1 : r0;
	ring_adopt(&c->out, &c->in);
	return c;
}

struct conn *conn_create(const char *path, uint64_t id, uint32_t R)
{
	size_t size = conn_file_size(R);
	int fd = file_create_excl(path, (off_t)size);
	if (fd < 0)
		return NULL;
	uint8_t *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		unlink(path);
		return NULL;
	}
	uint32_t version = LAYOUT_VERSION, pid = (uint32_t)getpid();
	memcpy(base + C_VERSION, &version, 4);
	memcpy(base + C_RING_SIZE, &R, 4);
	memcpy(base + C_CONNECTION_ID, &id, 8);
	memcpy(base + C_CREATOR_PID, &pid, 4);
	__atomic_store_n((uint64_t *)(base + C_MAGIC), CONN_MAGIC, __ATOMIC_RELEASE); /* last */
	struct conn *c = wrap(id, base, R, 0);
	if (!c) {
		munmap(base, size);
		unlink(path);
	}
	return c;
}

struct conn *conn_open(const char *path, uint64_t id, char *why, size_t n)
{
	int fd = file_open_own(path, O_RDWR, why, n);
	if (fd < 0)
		return NULL;
	struct stat st;
	uint8_t h[32];
	if (fstat(fd, &st) || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
		snprintf(why, n, "%s is shorter than a connection header", path);
		close(fd);
		return NULL;
	}
	uint64_t magic, fid;
	uint32_t version, R;
	memcpy(&magic, h + C_MAGIC, 8);
	memcpy(&version, h + C_VERSION, 4);
	memcpy(&R, h + C_RING_SIZE, 4);
	memcpy(&fid, h + C_CONNECTION_ID, 8);
	if (magic == CONN_MAGIC && version != LAYOUT_VERSION) {
		snprintf(why, n, "%s has connection layout version %u; this libscif speaks version %d", path,
			 version, LAYOUT_VERSION);
		close(fd);
		return NULL;
	}
	if (magic != CONN_MAGIC || fid != id || R < 4096 || R > (1u << 30) || (R & (R - 1)) ||
	    (uint64_t)st.st_size != conn_file_size(R)) {
		snprintf(why, n, "%s is not a valid scif4j connection file (magic 0x%llx, version %u, id %llu, "
				 "ring %u, size %lld)", path, (unsigned long long)magic, version,
			 (unsigned long long)fid, R, (long long)st.st_size);
		close(fd);
		return NULL;
	}
	uint8_t *base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		snprintf(why, n, "cannot map %s: %s", path, strerror(errno));
		return NULL;
	}
	struct conn *c = wrap(id, base, R, 1);
	if (!c)
		munmap(base, st.st_size);
	return c;
}

void conn_close(struct conn *c)
{
	if (!c)
		return;
	munmap(c->base, c->size);
	free(c);
}
