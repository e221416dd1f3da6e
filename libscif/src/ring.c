/* The byte rings of a connection, layout version 3 (docs/shm-format.md, "The byte rings"):
   frames of an 8-byte header word (0 not written, n payload bytes, -1 wrap) and contiguous
   payload in a data area of D = 2R bytes. The writer zeroes the next frame's header word
   before it publishes a frame, so the reader never meets a word of an earlier lap. One
   writer and one reader per ring (callers serialise each side with a mutex). */
#include "ring.h"
#include "layout.h"
#include <string.h>

static inline uint64_t ld64(const volatile uint8_t *p)
{
	return __atomic_load_n((const volatile uint64_t *)p, __ATOMIC_ACQUIRE);
}
static inline void st64(volatile uint8_t *p, uint64_t v)
{
	__atomic_store_n((volatile uint64_t *)p, v, __ATOMIC_RELEASE);
}
static inline uint64_t ceil8(uint64_t x)
{
	return (x + 7) & ~7ULL;
}

/* Where the next frame starts after a frame of n bytes: frames are packed, 8-aligned. */
static inline uint64_t span(uint64_t p, uint64_t n)
{
	(void)p;
	return ceil8(8 + n);
}

/* The largest payload (at most n) of a frame at p (8-aligned) that ends at or before lim. */
static uint64_t fit(uint64_t p, uint64_t lim, uint64_t n)
{
	if (lim < p + 16)
		return 0;
	uint64_t most = (lim & ~7ULL) - p - 8;
	return n < most ? n : most;
}

/* Re-reads the reader's published positions, clamped to what is possible. */
static void refresh_head(struct ring *r)
{
	uint64_t hb = ld64(r->hdr + R_HEAD_BYTES), hf = ld64(r->hdr + R_HEAD_FRAME);
	if (hb > r->tail_bytes || r->tail_bytes - hb > r->R - 1)
		hb = hb > r->tail_bytes ? r->tail_bytes : r->tail_bytes - (r->R - 1);
	if (hf > r->tail_frame || r->tail_frame - hf > r->D)
		hf = hf > r->tail_frame ? r->tail_frame : r->tail_frame - r->D;
	r->c_head_bytes = hb;
	r->c_head_frame = hf;
}

size_t ring_write(struct ring *r, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	size_t total = 0;
	/* Our own published positions (our cache line): another process sharing the endpoint
	   (a fork()ed child) may have written since this process last did. */
	r->tail_bytes = ld64(r->hdr + R_TAIL_BYTES);
	r->tail_frame = ld64(r->hdr + R_TAIL_FRAME);
	int refreshed = 0, wrote = 0;
	while (total < len) {
		uint64_t room_bytes = r->R - 1 - (r->tail_bytes - r->c_head_bytes);
		uint64_t p = r->tail_frame, off = p % r->D, rest = r->D - off;
		uint64_t lim_room = r->c_head_frame + r->D - 8; /* the zero-ahead word must fit too */
		uint64_t want = len - total;
		if (want > FRAME_MAX)
			want = FRAME_MAX;
		if (want > room_bytes)
			want = room_bytes;
		if (rest == 8) { /* too short for a frame: wrap */
			if (p + 8 + 8 > r->c_head_frame + r->D) {
				if (refreshed++)
					break;
				refresh_head(r);
				continue;
			}
			st64(r->data, 0); /* zero-ahead: offset 0 of the next lap */
			st64(r->data + off, (uint64_t)FRAME_WRAP);
			r->tail_frame = p + 8;
			wrote = 1;
			continue;
		}
		uint64_t lim = p + rest < lim_room ? p + rest : lim_room;
		uint64_t n = want ? fit(p, lim, want) : 0;
		if (n == 0 || (n < want && !refreshed)) {
			if (!refreshed++) {
				refresh_head(r);
				continue;
			}
			if (n == 0)
				break;
		}
		uint64_t s = span(p, n);
		memcpy((uint8_t *)r->data + off + 8, src + total, n);
		uint64_t next = (p + s) % r->D;
		st64(r->data + next, 0); /* the zero word rule */
		st64(r->data + off, n); /* frames published one by one: the reader copies while we write */
		r->tail_frame = p + s;
		r->tail_bytes += n;
		total += n;
		wrote = 1;
	}
	if (wrote) {
		st64(r->hdr + R_TAIL_FRAME, r->tail_frame);
		st64(r->hdr + R_TAIL_BYTES, r->tail_bytes);
	}
	return total;
}

long ring_read(struct ring *r, void *buf, size_t len)
{
	uint8_t *dst = buf;
	size_t total = 0;
	/* as in ring_write: another process sharing the endpoint may have read since */
	r->head_bytes = ld64(r->hdr + R_HEAD_BYTES);
	r->head_frame = ld64(r->hdr + R_HEAD_FRAME);
	r->head_taken = ld64(r->hdr + R_HEAD_TAKEN);
	int moved = 0;
	while (total < len) {
		uint64_t off = r->head_frame % r->D;
		int64_t h = (int64_t)ld64(r->data + off);
		if (h == 0)
			break;
		if (h == FRAME_WRAP && off == 0)
			return -1; /* a wrap at offset 0 would go round for ever */
		if (h == FRAME_WRAP) {
			r->head_frame += r->D - off;
			r->head_taken = 0;
			moved = 1;
			continue;
		}
		if (h < 1 || h > FRAME_MAX || off + 8 + (uint64_t)h > r->D)
			return -1;
		uint64_t avail = (uint64_t)h - r->head_taken;
		if (r->head_taken >= (uint64_t)h)
			return -1;
		uint64_t m = len - total < avail ? len - total : avail;
		memcpy(dst + total, (const uint8_t *)r->data + off + 8 + r->head_taken, m);
		total += m;
		r->head_taken += m;
		moved = 1;
		if (r->head_taken == (uint64_t)h) {
			r->head_frame += span(r->head_frame, (uint64_t)h);
			r->head_taken = 0;
		}
	}
	if (moved) {
		r->head_bytes += total;
		st64(r->hdr + R_HEAD_TAKEN, r->head_taken);
		st64(r->hdr + R_HEAD_FRAME, r->head_frame);
		st64(r->hdr + R_HEAD_BYTES, r->head_bytes);
	}
	return (long)total;
}

int ring_has_data(const struct ring *r)
{
	return ld64(r->data + ld64(r->hdr + R_HEAD_FRAME) % r->D) != 0;
}

int ring_writable(const struct ring *r)
{
	uint64_t tb = ld64(r->hdr + R_TAIL_BYTES), hb = ld64(r->hdr + R_HEAD_BYTES);
	uint64_t tf = ld64(r->hdr + R_TAIL_FRAME), hf = ld64(r->hdr + R_HEAD_FRAME);
	uint64_t out = tb - hb, used = tf - hf;
	return out < r->R - 1 && used <= r->D && r->D - used >= 32;
}
