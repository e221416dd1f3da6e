/* The byte rings of a connection, layout version 3 (docs/shm-format.md, "The byte rings"):
   frames of an 8-byte header word (0 not written, n payload bytes, -1 wrap) and contiguous
   payload in a data area of D = 2R bytes. The writer zeroes the next frame's header word
   before it publishes a frame, so the reader never meets a word of an earlier lap, and after
   publishing zeroes the first word of the next cache line ahead (docs/shm-format.md,
   "Zeroing ahead": a writer's choice, as the Java writer makes it), and a send of at most a
   page wraps early past 256 KiB when the reader has taken every frame ("Wrapping early", the
   same). One writer and one reader per ring (callers serialise each side: a mutex, or the
   caller's own lock for serial calls). */
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

/* The area offset of area position p: D = 2R is a power of two (conn.c checks R), so a mask,
   not a division (a 64-bit divide costs tens of cycles, several of them per call). */
static inline uint64_t area_off(const struct ring *r, uint64_t p)
{
	return p & (r->D - 1);
}

/* Copies n bytes: up to 16 (small messages, a round trip's 8) inline with two overlapping
   loads and stores, rather than through a call of libc's memcpy. */
static inline void copy(void *dst, const void *src, uint64_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
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

/* A cache line of the data area: the writer zeroes the first word of the next one ahead. */
#define LINE 64ULL

/* Stores the zero-ahead word at area position z (the word after a frame, or offset 0 of the
   next lap after a wrap), unless zero_next_line already zeroed it. */
static inline void zero_ahead(struct ring *r, uint64_t z)
{
	if (z != r->zeroed_ahead)
		st64(r->data + area_off(r, z), 0);
}

/* After publishing, with p the tail frame: zeroes the first word of the cache line after the
   one the next frame starts in, if the room allows (the word then lies within head frame + D,
   so the reader has read that word's previous lap). A frame that ends where a line ends has
   its zero-ahead word there, in a line nothing of the frame itself stores into and that the
   reader holds a copy of from the previous lap: stored then, just before the frame's header,
   the word makes the header wait for that line's transfer from the reader; stored here, the
   transfer overlaps the wait for the peer, and zero_ahead later skips the word.

   Invariant: while zeroed_ahead lies above the tail frame, the word there holds 0. Only frames
   store into area words, and a frame leaves the tail frame above every word it stored (its
   header, payload and padding) but its zero-ahead word, which is only ever stored 0. This holds
   for frames of another process sharing the endpoint (a fork()ed child) too, since positions
   are absolute: once its frames passed zeroed_ahead, the tail frame ring_write re-reads lies
   above it and no later zero-ahead word of ours is at zeroed_ahead. The zeroing store comes
   before (in program order) the release store of any later frame's header, so a reader that
   sees that header also sees the 0. */
static inline void zero_next_line(struct ring *r, uint64_t p)
{
	uint64_t line = (p & ~(LINE - 1)) + LINE;
	if (line != r->zeroed_ahead && line + 8 <= r->c_head_frame + r->D) {
		st64(r->data + area_off(r, line), 0);
		r->zeroed_ahead = line;
	}
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
	const uint64_t first_frame = r->tail_frame; /* where this write begins */
	int refreshed = 0, wrote = 0;
	while (total < len) {
		uint64_t room_bytes = r->R - 1 - (r->tail_bytes - r->c_head_bytes);
		uint64_t p = r->tail_frame, off = area_off(r, p), rest = r->D - off;
		uint64_t lim_room = r->c_head_frame + r->D - 8; /* the zero-ahead word must fit too */
		uint64_t want = len - total;
		if (want > FRAME_MAX)
			want = FRAME_MAX;
		if (want > room_bytes)
			want = room_bytes;
		/* A small send wraps early past EARLY_WRAP_AT (docs/shm-format.md, "Wrapping
		   early"), as the Java writer does, if the reader has taken every frame before this
		   write's: decided once a lap from the reader's published head frame (this write may
		   have cut its first frame short for room). A reader behind has the writer stream on
		   through the rest of this lap. */
		int early = len <= EARLY_WRAP_SEND_MAX && off >= EARLY_WRAP_AT && rest > 8 &&
			    p >= r->streaming_lap_end;
		if (early) {
			if (!refreshed++) {
				refresh_head(r);
				continue;
			}
			if (r->c_head_frame != first_frame) {
				r->streaming_lap_end = p + rest;
				early = 0;
			}
		}
		if ((rest == 8 || early) && p + rest + 8 > r->c_head_frame + r->D) {
			/* no room for the wrap by the cached counters: read the reader's once */
			if (!refreshed++) {
				refresh_head(r);
				continue;
			}
			if (rest == 8)
				break;
			early = 0;
		}
		if (rest == 8 || early) {
			/* one word left, too short for a frame, or an early wrap: a wrap */
			zero_ahead(r, p + rest); /* offset 0 of the next lap */
			st64(r->data + off, (uint64_t)FRAME_WRAP);
			r->tail_frame = p + rest;
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
		copy((uint8_t *)r->data + off + 8, src + total, n);
		zero_ahead(r, p + s); /* the zero word rule */
		st64(r->data + off, n); /* frames published one by one: the reader copies while we write */
		r->tail_frame = p + s;
		r->tail_bytes += n;
		total += n;
		wrote = 1;
	}
	if (wrote) {
		st64(r->hdr + R_TAIL_FRAME, r->tail_frame);
		st64(r->hdr + R_TAIL_BYTES, r->tail_bytes);
		zero_next_line(r, r->tail_frame);
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
		uint64_t off = area_off(r, r->head_frame);
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
		copy(dst + total, (const uint8_t *)r->data + off + 8 + r->head_taken, m);
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
	return ld64(r->data + area_off(r, ld64(r->hdr + R_HEAD_FRAME))) != 0;
}

int ring_writable(const struct ring *r)
{
	uint64_t tb = ld64(r->hdr + R_TAIL_BYTES), hb = ld64(r->hdr + R_HEAD_BYTES);
	uint64_t tf = ld64(r->hdr + R_TAIL_FRAME), hf = ld64(r->hdr + R_HEAD_FRAME);
	uint64_t out = tb - hb, used = tf - hf;
	return out < r->R - 1 && used <= r->D && r->D - used >= 32;
}
