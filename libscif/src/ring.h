/* Connections (conn.c) and their byte rings of frames (ring.c). */
#ifndef LIBSCIF_RING_H
#define LIBSCIF_RING_H
#include "internal.h"

struct ring {
	volatile uint8_t *hdr;
	volatile uint8_t *data;
	uint64_t D;  /* data area bytes: 2R */
	uint32_t R;  /* ring size: at most R - 1 stream bytes outstanding */
	/* writer's own positions, and its cache of the reader's */
	uint64_t tail_bytes, tail_frame, c_head_bytes, c_head_frame;
	/* the area position of the word the writer zeroed ahead (ring.c, zero_next_line), or
	   UINT64_MAX: while it lies above the tail frame, that word holds 0 */
	uint64_t zeroed_ahead;
	/* the area position where the lap the writer decided to stream through ends (ring.c,
	   ring_write's early wrap), or 0 */
	uint64_t streaming_lap_end;
	/* reader's own positions */
	uint64_t head_bytes, head_frame, head_taken;
};

struct conn {
	uint64_t id;
	uint8_t *base;
	size_t size;
	uint32_t R;
	int side; /* 0 connector, 1 acceptor */
	struct ring out, in;
};

/* Creates conn-ID exclusively (EEXIST: taken) as the connector's side. */
struct conn *conn_create(const char *path, uint64_t id, uint32_t ring);
/* Opens and validates an existing conn-ID as the acceptor; NULL with a message in why. */
struct conn *conn_open(const char *path, uint64_t id, char *why, size_t n);
void conn_close(struct conn *c);

/* Writes up to len bytes without blocking; returns the bytes written (0: no room). */
size_t ring_write(struct ring *r, const void *buf, size_t len);
/* Reads up to len bytes without blocking; returns bytes read, or -1 for a corrupt frame. */
long ring_read(struct ring *r, void *buf, size_t len);
/* Whether a frame waits at the published head frame (any thread: the reader's own check,
   and poll's; exact once the reader has published its head). */
int ring_has_data(const struct ring *r);
/* The reader's own check, by the thread that reads the ring (after its ring_read): whether a
   frame waits at its head frame. One load, of the line the frame arrives on. */
static inline int ring_readable_own(const struct ring *r)
{
	return __atomic_load_n((const volatile uint64_t *)(r->data + (r->head_frame & (r->D - 1))),
			       __ATOMIC_ACQUIRE) != 0;
}
/* From the counters (any thread): send space. */
int ring_writable(const struct ring *r);
#endif
