/* Registering memory that is not the library's own: shared file mappings are linked (zero
   copy), and what no other process can reach is refused with EFAULT. */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <scif.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file of pages pages in the test's directory (outside the fabric's), open read-write. */
static int data_file(const char *name, int pages, char *path, size_t n)
{
	CHECK(mkdir(t_dir(), 0700) == 0 || errno == EEXIST);
	snprintf(path, n, "%s/%s", t_dir(), name);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)pages * 4096) == 0);
	return fd;
}

/* The target of the one symbolic link mem-* in the fabric directory, or "" if none. */
static void linked_file(char *target, size_t n)
{
	char fdir[700];
	snprintf(fdir, sizeof fdir, "%s/t", t_dir());
	DIR *d = opendir(fdir);
	CHECK(d);
	struct dirent *e;
	target[0] = 0;
	while ((e = readdir(d))) {
		char p[1000];
		snprintf(p, sizeof p, "%s/%s", fdir, e->d_name);
		struct stat st;
		if (!strncmp(e->d_name, "mem-", 4) && !lstat(p, &st) && S_ISLNK(st.st_mode)) {
			ssize_t l = readlink(p, target, n - 1);
			CHECK(l > 0);
			target[l] = 0;
		}
	}
	closedir(d);
}

TEST(a_shared_file_mapping_is_registered_without_copying)
{
	char path[700], target[700];
	int fd = data_file("data", 4, path, sizeof path);
	/* pages 1-2 of the file: the window starts at file offset 4096 */
	unsigned char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	CHECK(map != MAP_FAILED);
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	off_t w = scif_register(b, map, 8192, 0x40000, SCIF_PROT_READ | SCIF_PROT_WRITE, SCIF_MAP_FIXED);
	CHECK_EQ(w, 0x40000);
	linked_file(target, sizeof target);
	CHECK(!strcmp(target, path)); /* mem-PID-SEQ is a link to the program's file */

	/* the peer's RMA lands in the file itself */
	unsigned char src[4096];
	for (int i = 0; i < 4096; i++)
		src[i] = (unsigned char)(i * 7 + 3);
	CHECK_EQ(scif_vwriteto(a, src, 4096, w + 4096, SCIF_RMA_SYNC), 0);
	unsigned char got[4096];
	CHECK_EQ(pread(fd, got, 4096, 8192), 4096);
	CHECK(!memcmp(got, src, 4096));
	CHECK(!memcmp(map + 4096, src, 4096));
	/* and the program's stores are what the peer reads */
	map[5] = 0x5A;
	unsigned char one;
	CHECK_EQ(scif_vreadfrom(a, &one, 1, w + 5, 0), 0);
	CHECK_EQ(one, 0x5A);
	/* a peer's mapping of the window is the file too */
	unsigned char *m = scif_mmap(NULL, 8192, SCIF_PROT_READ | SCIF_PROT_WRITE, 0, a, w);
	CHECK(m != SCIF_MMAP_FAILED);
	m[100] = 0xC3;
	CHECK_EQ(pread(fd, &one, 1, 4096 + 100), 1);
	CHECK_EQ(one, 0xC3);
	CHECK_EQ(scif_munmap(m, 8192), 0);

	/* unregister removes the link, never the file, and leaves the mapping shared */
	CHECK_EQ(scif_unregister(b, w, 8192), 0);
	linked_file(target, sizeof target);
	CHECK_EQ(target[0], 0);
	map[6] = 0x6B;
	CHECK_EQ(pread(fd, &one, 1, 4096 + 6), 1);
	CHECK_EQ(one, 0x6B);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	CHECK_EQ(munmap(map, 8192), 0);
	close(fd);
	CHECK_EQ(unlink(path), 0);
}

TEST(a_read_only_file_mapping_makes_only_read_only_windows)
{
	char path[700];
	int fd = data_file("ro", 1, path, sizeof path);
	CHECK_EQ(pwrite(fd, "abc", 3, 0), 3);
	void *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	CHECK_ERR(scif_register(b, map, 4096, 0, SCIF_PROT_READ | SCIF_PROT_WRITE, 0), EFAULT);
	off_t w = scif_register(b, map, 4096, 0, SCIF_PROT_READ, 0);
	CHECK(w > 0);
	CHECK_ERR(scif_register(b, map, 4096, 0, SCIF_PROT_WRITE, 0), EFAULT); /* the same range again */
	char got[3];
	CHECK_EQ(scif_vreadfrom(a, got, 3, w, 0), 0);
	CHECK(!memcmp(got, "abc", 3));
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	munmap(map, 4096);
	close(fd);
}

TEST(memory_no_other_process_can_reach_is_refused_with_efault)
{
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	const int rw = SCIF_PROT_READ | SCIF_PROT_WRITE;
	/* shared anonymous memory */
	void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(anon != MAP_FAILED);
	CHECK_ERR(scif_register(b, anon, 4096, 0, rw, 0), EFAULT);
	/* a file deleted after it was mapped */
	char path[700];
	int fd = data_file("gone", 2, path, sizeof path);
	void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(gone != MAP_FAILED);
	CHECK_EQ(unlink(path), 0);
	CHECK_ERR(scif_register(b, gone, 4096, 0, rw, 0), EFAULT);
	/* a file mapped past its end */
	int fd2 = data_file("short", 1, path, sizeof path);
	void *past = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	CHECK(past != MAP_FAILED);
	CHECK_ERR(scif_register(b, past, 8192, 0, rw, 0), EFAULT);
	/* a region of private memory and a shared mapping together */
	uint8_t *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(two != MAP_FAILED);
	CHECK(mmap(two + 4096, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd2, 0) != MAP_FAILED);
	CHECK_ERR(scif_register(b, two, 8192, 0, rw, 0), EFAULT);
	/* unmapped memory, and read-only private memory */
	uint8_t *hole = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(hole != MAP_FAILED);
	CHECK_EQ(munmap(hole + 4096, 4096), 0);
	CHECK_ERR(scif_register(b, hole, 8192, 0, rw, 0), EFAULT);
	CHECK_EQ(mprotect(hole, 4096, PROT_READ), 0);
	CHECK_ERR(scif_register(b, hole, 4096, 0, SCIF_PROT_READ, 0), EFAULT);
	/* nothing was left registered or linked: the parts register on their own */
	CHECK(scif_register(b, two, 4096, 0, rw, 0) > 0);
	CHECK(scif_register(b, two + 4096, 4096, 0, rw, 0) > 0);
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	close(fd);
	close(fd2);
}

/* How many lines of /proc/self/maps cover part of [p, p + len). */
static int mappings_over(const void *p, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	CHECK(f);
	uintptr_t lo = (uintptr_t)p, hi = lo + len, a, b;
	char line[1200];
	int n = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && b > lo)
			n++;
	fclose(f);
	return n;
}

/* Private memory the program's heap built piece by piece (a malloc arena whose pages were moved
   or registered before: each moved page keeps a mapping of its own) is as registrable as one
   mapping, however many mappings it spans. */
TEST(private_memory_over_many_mappings_is_registered)
{
	enum { PAGES = 24 };
	uint8_t *buf = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 0x11, PAGES * 4096);
	for (int i = 0; i < PAGES; i += 2) { /* a page moved in from elsewhere merges with no neighbour */
		uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(page != MAP_FAILED);
		memset(page, 0x11, 4096);
		CHECK(mremap(page, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, buf + i * 4096) == buf + i * 4096);
	}
	CHECK(mappings_over(buf, PAGES * 4096) > 16);
	for (int i = 0; i < PAGES * 4096; i++)
		buf[i] = (uint8_t)(i * 7 + i / 4096);
	scif_epd_t l, a, b;
	t_pair(&l, &a, &b);
	const int rw = SCIF_PROT_READ | SCIF_PROT_WRITE;
	CHECK_EQ(scif_register(b, buf, PAGES * 4096, 0x100000, rw, SCIF_MAP_FIXED), 0x100000);
	static uint8_t got[PAGES * 4096];
	CHECK_EQ(scif_vreadfrom(a, got, sizeof got, 0x100000, 0), 0);
	CHECK(!memcmp(got, buf, sizeof got));
	CHECK_EQ(scif_unregister(b, 0x100000, PAGES * 4096), 0);
	for (int i = 0; i < PAGES * 4096; i++) /* the program's bytes are as they were */
		CHECK_EQ(buf[i], (uint8_t)(i * 7 + i / 4096));
	CHECK_EQ(scif_close(a), 0);
	CHECK_EQ(scif_close(b), 0);
	CHECK_EQ(scif_close(l), 0);
	CHECK_EQ(munmap(buf, PAGES * 4096), 0);
}
