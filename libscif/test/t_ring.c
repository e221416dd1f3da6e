/* The byte rings as the connection file shows them (docs/shm-format.md, "The byte rings"). */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <scif.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../src/layout.h"

/* Fabric t's only connection file, mapped read-only. */
static const uint8_t *map_conn_file(uint32_t ring)
{
	char dir[1000], path[1300] = "";
	snprintf(dir, sizeof dir, "%s/t", t_dir());
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (!strncmp(de->d_name, "conn-", 5))
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
	closedir(d);
	CHECK(path[0] != 0);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	void *p = mmap(NULL, conn_file_size(ring), PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	close(fd);
	return p;
}

/* A connected pair (listener l, a, b) on fabric t with rings of R bytes; returns the
   connection file, mapped read-only. */
static const uint8_t *ring_pair(uint32_t R, scif_epd_t *l, scif_epd_t *a, scif_epd_t *b)
{
	char uri[700];
	snprintf(uri, sizeof uri, "shm:t?node=0&dir=%s&ring=%u", t_dir(), R);
	setenv("SCIF_FABRIC", uri, 1);
	t_pair(l, a, b);
	return map_conn_file(R);
}

static uint64_t word(const uint8_t *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

/* Zeroing ahead: 8-byte messages (16-byte frames, so every fourth one ends where a cache line
   ends), lap after lap over the words of the laps before. After each send the next frame's
   header word is 0 (the zero word rule), and so is the first word of the cache line after the
   next frame's line: the writer zeroed it after publishing (where not, that word still holds a
   frame header of the lap before), but within the room its cached counters give, so not in
   the last line before it re-reads them (at most 4 frames a lap: R - 1 bytes and the area both
   last about 512 of these frames). */
TEST(the_writer_zeroes_the_next_lines_first_word_ahead)
{
	const uint32_t R = 4096;
	const uint64_t D = 2 * R;
	scif_epd_t l, a, b;
	const uint8_t *file = ring_pair(R, &l, &a, &b);
	const uint8_t *hdr = file + ring_header_off(0, R), *data = file + ring_data_off(0, R); /* a's */
	int laps = 4, per_lap = (int)(D / 16), not_ahead = 0;
	for (int i = 0; i < laps * per_lap; i++) {
		uint64_t m = (uint64_t)i * 0x9E3779B97F4A7C15ULL, got = 0;
		CHECK_EQ(scif_send(a, &m, 8, 0), 8);
		uint64_t next = word(hdr + R_TAIL_FRAME);
		CHECK_EQ(word(data + (next & (D - 1))), 0);
		uint64_t line = (next & ~63ULL) + 64;
		if (i >= per_lap && word(data + (line & (D - 1))) != 0)
			not_ahead++; /* from the second lap on, the word held a header of the lap before */
		CHECK_EQ(scif_recv(b, &got, 8, 0), 8);
		CHECK(got == m);
	}
	if (not_ahead > 4 * laps)
		t_fail(__FILE__, __LINE__, "the next line's first word was not zeroed ahead after %d of %d sends",
		       not_ahead, (laps - 1) * per_lap);
	munmap((void *)file, conn_file_size(R));
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

/* Wrapping early happens only when the reader has taken every frame: a reader one message
   behind has 64-byte sends stream to the area's end; once it keeps up, the next lap circles in
   the first EARLY_WRAP_AT bytes again. Every message arrives whole and in order. */
TEST(small_sends_stream_through_the_whole_area_while_the_reader_is_behind)
{
	const uint32_t R = 1u << 20;
	const uint64_t D = 2 * (uint64_t)R;
	scif_epd_t l, a, b;
	const uint8_t *file = ring_pair(R, &l, &a, &b);
	const uint8_t *hdr = file + ring_header_off(0, R); /* a's */
	uint8_t out[64], in[64];
	const long lap = (long)(D / 72); /* a 64-byte frame spans 72 bytes */
	long sent = 0, received = 0;
	uint64_t farthest = 0;
	for (int phase = 0; phase < 2; phase++) {
		/* phase 0: the reader one behind; phase 1: each message taken at once */
		uint64_t start_lap = word(hdr + R_TAIL_FRAME) / D;
		farthest = 0;
		for (long i = 0; i < 3 * lap + (phase == 0); i++) {
			memset(out, (int)(sent++ & 0xff), sizeof out);
			CHECK_EQ(scif_send(a, out, sizeof out, SCIF_SEND_BLOCK), 64);
			uint64_t tf = word(hdr + R_TAIL_FRAME), last = (tf - 1) & (D - 1);
			if ((phase == 0 || tf / D > start_lap) && last > farthest)
				farthest = last;
			if (phase == 0 && i == 0)
				continue; /* the reader starts one behind */
			CHECK_EQ(scif_recv(b, in, sizeof in, SCIF_RECV_BLOCK), 64);
			for (int k = 0; k < 64; k++)
				CHECK_EQ(in[k], (uint8_t)(received & 0xff));
			received++;
		}
		if (phase == 0) {
			CHECK_EQ(scif_recv(b, in, sizeof in, SCIF_RECV_BLOCK), 64); /* catches up */
			CHECK_EQ(in[0], (uint8_t)(received++ & 0xff));
			if (farthest < D - 72 - 8)
				t_fail(__FILE__, __LINE__, "with the reader behind, 64-byte sends stopped at %llu",
				       (unsigned long long)farthest);
		} else if (farthest == 0 || farthest >= EARLY_WRAP_AT + 72) {
			t_fail(__FILE__, __LINE__, "with the reader caught up, 64-byte sends used the area up to %llu",
			       (unsigned long long)farthest);
		}
	}
	munmap((void *)file, conn_file_size(R));
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}

/* Wrapping early: sends of at most a page that the reader takes at once circle in the area's
   first EARLY_WRAP_AT bytes (no frame starts past it), larger ones go to the area's end, and
   every byte arrives in order. */
TEST(sends_of_a_page_at_most_wrap_early_and_larger_ones_use_the_whole_area)
{
	const uint32_t R = 1u << 20;
	const uint64_t D = 2 * (uint64_t)R;
	scif_epd_t l, a, b;
	const uint8_t *file = ring_pair(R, &l, &a, &b);
	const uint8_t *hdr = file + ring_header_off(0, R); /* a's */
	static uint8_t out[65536], in[65536];
	const int sizes[] = {8, 64, EARLY_WRAP_SEND_MAX, EARLY_WRAP_SEND_MAX + 1, 65536};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		int size = sizes[s];
		uint64_t first = word(hdr + R_TAIL_FRAME), farthest = 0;
		long sends = (long)(3 * D / (uint64_t)(size < FRAME_MAX ? size + 16 : size));
		for (long i = 0; i < sends; i++) {
			memset(out, (int)(i & 0xff), (size_t)size);
			CHECK_EQ(scif_send(a, out, size, SCIF_SEND_BLOCK), size);
			uint64_t last = (word(hdr + R_TAIL_FRAME) - 1) & (D - 1); /* the last byte the send used */
			if (last > farthest)
				farthest = last;
			CHECK_EQ(scif_recv(b, in, size, SCIF_RECV_BLOCK), size);
			CHECK(memcmp(in, out, (size_t)size) == 0);
		}
		uint64_t laps = word(hdr + R_TAIL_FRAME) / D - first / D;
		if (size <= (int)EARLY_WRAP_SEND_MAX) {
			if (farthest >= EARLY_WRAP_AT + 8 + (uint64_t)size + 8)
				t_fail(__FILE__, __LINE__, "a send of %d bytes used the area up to %llu, past %u", size,
				       (unsigned long long)farthest, EARLY_WRAP_AT);
			CHECK(laps >= 3 * (D / EARLY_WRAP_AT) / 2);
		} else if (farthest < D - 8 - FRAME_MAX) {
			t_fail(__FILE__, __LINE__, "a send of %d bytes never reached the area's end: %llu", size,
			       (unsigned long long)farthest);
		}
	}
	munmap((void *)file, conn_file_size(R));
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
}
