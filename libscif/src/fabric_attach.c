/* The attach protocol (docs/shm-format.md, "Lifecycle, step by step", steps 1-7): how a
   process finds, validates or creates its fabric's fabric file, and takes a slot in its
   process table, racing safely with other attachers and with a departing last process. */
#include "fabric_internal.h"
#include "files.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static void *map_fd(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int same_file(const char *path, const struct stat *st)
{
	struct stat now;
	return lstat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/* Step 3: validates the header with plain reads, then maps the same open file. Returns 1
   mapped, 0 gone (start over), -1 error (errno, why). */
static int map_existing(const char *path, struct stat *st, char *why, size_t n)
{
	int fd = file_open_own(path, O_RDWR, why, n);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	uint8_t h[128];
	fstat(fd, st);
	ssize_t got = pread(fd, h, sizeof h, 0);
	uint64_t magic, fsize;
	uint32_t version, maxp, maxe;
	memcpy(&magic, h + H_MAGIC, 8);
	memcpy(&version, h + H_VERSION, 4);
	memcpy(&fsize, h + H_FILE_SIZE, 8);
	memcpy(&maxp, h + H_MAX_PROCESSES, 4);
	memcpy(&maxe, h + H_MAX_ENDPOINTS, 4);
	const char *bad = NULL;
	char tmp[200];
	if (got < (ssize_t)sizeof h) {
		bad = "it is shorter than a header";
	} else if (magic != FABRIC_MAGIC) {
		if (magic == 0 && (uint64_t)st->st_size == FABRIC_FILE_SIZE) {
			/* an all-zero fabric a lost race of an older scif4j left: not ours, remove it */
			char dead[FILES_PATH_MAX];
			snprintf(dead, sizeof dead, "%s/fabric.dead-%d-%lld", fab.cfg.fabric_dir, (int)getpid(),
				 (long long)now_ns());
			if (same_file(path, st) && rename(path, dead) == 0)
				unlink(dead);
			close(fd);
			return 0;
		}
		snprintf(tmp, sizeof tmp, "its magic number is 0x%llx, not 0x%llx",
			 (unsigned long long)magic, (unsigned long long)FABRIC_MAGIC);
		bad = tmp;
	} else if (version != LAYOUT_VERSION) {
		snprintf(tmp, sizeof tmp, "its layout version is %u; this libscif reads version %d",
			 version, LAYOUT_VERSION);
		bad = tmp;
	} else if (fsize != FABRIC_FILE_SIZE || (uint64_t)st->st_size != FABRIC_FILE_SIZE ||
		   maxp != MAX_PROCESSES || maxe != MAX_ENDPOINTS) {
		snprintf(tmp, sizeof tmp, "its sizes (file %lld, header %llu) do not match version %d's %llu",
			 (long long)st->st_size, (unsigned long long)fsize, LAYOUT_VERSION,
			 (unsigned long long)FABRIC_FILE_SIZE);
		bad = tmp;
	}
	if (bad) {
		close(fd);
		snprintf(why, n, "%s is not a valid scif4j fabric: %s; remove the directory %s if no "
				 "process uses it", path, bad, fab.cfg.fabric_dir);
		errno = EINVAL;
		return -1;
	}
	fab.base = map_fd(fd, FABRIC_FILE_SIZE);
	close(fd);
	if (!fab.base) {
		snprintf(why, n, "cannot map %s: %s", path, strerror(errno));
		errno = ENODEV;
		return -1;
	}
	return 1;
}

/* Step 2: a new fabric file under a private name, linked in as fabric. 1 made, 0 lost a race. */
static int create(const char *path, char *why, size_t n)
{
	char tmp[FILES_PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s/fabric.new-%d-%lld", fab.cfg.fabric_dir, (int)getpid(),
		 (long long)now_ns());
	int fd = file_create_excl(tmp, (off_t)FABRIC_FILE_SIZE);
	if (fd < 0) {
		if (errno == ENOENT || errno == EEXIST)
			return 0;
		snprintf(why, n, "cannot create %s: %s", tmp, strerror(errno));
		errno = ENODEV;
		return -1;
	}
	fab.base = map_fd(fd, FABRIC_FILE_SIZE);
	close(fd);
	if (!fab.base) {
		unlink(tmp);
		snprintf(why, n, "cannot map %s: %s", tmp, strerror(errno));
		errno = ENODEV;
		return -1;
	}
	int64_t created = now_ms();
	put32(H_VERSION, LAYOUT_VERSION);
	put32(H_PAGE_SIZE, PAGE);
	put64(H_FILE_SIZE, FABRIC_FILE_SIZE);
	put32(H_MAX_PROCESSES, MAX_PROCESSES);
	put32(H_MAX_ENDPOINTS, MAX_ENDPOINTS);
	put32(H_MAX_NODES, MAX_NODES);
	put64(H_STATE, STATE_ACTIVE);
	put64(H_NEXT_CONNECTION_ID, (uint64_t)created << 20);
	put64(H_CREATED_MILLIS, (uint64_t)created);
	put64(H_PROCESS_TABLE, PROCESS_TABLE_OFFSET);
	put64(H_ENDPOINT_TABLE, ENDPOINT_TABLE_OFFSET);
	put64(H_LOG_AREA, LOG_AREA_OFFSET);
	put64(H_MAGIC, FABRIC_MAGIC); /* last: a reader that sees the magic sees the rest */
	int linked = link(tmp, path) == 0;
	unlink(tmp);
	if (!linked) {
		munmap(fab.base, FABRIC_FILE_SIZE);
		fab.base = NULL;
		return 0;
	}
	return 1;
}

/* Steps 4-7: registers in the process table, as one logged change written into the log area
   of the slot it picks (the lock is held as minus our pid). 1 registered, 0 start over, -1
   error. */
static int do_register(const char *path, const struct stat *mapped, int created, char *why, size_t n)
{
	fab.pid = (int)getpid();
	fab.self = fab.pid;
	fab.start = proc_start_time(fab.pid);
	fab.slot = -1;
	lock_take(); /* as minus our pid */
	test_point("attach.locked");
	int slot;
	do {
		ch_begin(); /* again after a pre-emption: prepare afresh */
		reap_dead_locked();
		if (cell(H_STATE) != STATE_ACTIVE) {
			if (created || !same_file(path, mapped)) {
				lock_release();
				return 0; /* closed and renamed away, as it should: start over */
			}
			lock_direct();
			if (live_processes() > 0) {
				logmsg("fabric %s had state %u although processes are attached; set it ACTIVE again",
				       fab.cfg.fabric_dir, cell(H_STATE));
				ch_set(H_STATE, STATE_ACTIVE);
			} else {
				ch_set(H_STATE, STATE_CLOSED);
				directory_remove_files_locked();
				lock_release();
				return 0;
			}
		}
		int first = live_processes() == 0;
		slot = process_slot_find_free();
		if (slot < 0) {
			lock_release();
			snprintf(why, n, "the fabric's process table is full (%d processes)", MAX_PROCESSES);
			errno = ENOMEM;
			return -1;
		}
		if (first) { /* removing files is not pre-empted: a late removal would hit newer files */
			lock_direct();
			directory_remove_stale();
			lock_end_direct();
		}
		lock_log_into(slot);
		process_slot_take(slot); /* step 8 folded in: this process is one node */
	} while (ch_commit_as("attach.committed", "attach.slot-half-written", 0) == 1);
	test_point("attach.registered");
	process_heartbeat(slot);
	lock_release();
	fab.slot = slot;
	return 1;
}

int fabric_attach(void)
{
	char err[700];
	char path[FILES_PATH_MAX];
	snprintf(path, sizeof path, "%s/fabric", fab.cfg.fabric_dir);
	for (int attempt = 0; attempt < 200; attempt++) {
		if (dir_create(fab.cfg.fabric_dir, err, sizeof err)) {
			if (errno == ENOENT)
				continue;
			logmsg("cannot attach to fabric %s: %s", fab.cfg.fabric_dir, err);
			return EINVAL;
		}
		if (directory_foreign(err)) {
			logmsg("cannot attach: %s", err);
			return EINVAL;
		}
		directory_remove_dead_temps();
		struct stat st;
		memset(&st, 0, sizeof st);
		int r, created = 0;
		if (lstat(path, &st) == 0) {
			r = map_existing(path, &st, err, sizeof err);
		} else {
			r = create(path, err, sizeof err);
			created = 1;
		}
		if (r < 0) {
			logmsg("cannot attach to fabric %s: %s", fab.cfg.fabric_dir, err);
			return errno == EINVAL ? EINVAL : ENODEV;
		}
		if (r == 0)
			continue;
		r = do_register(path, &st, created, err, sizeof err);
		if (r > 0)
			return 0;
		munmap(fab.base, FABRIC_FILE_SIZE);
		fab.base = NULL;
		if (r < 0) {
			int e = errno;
			logmsg("cannot attach to fabric %s: %s", fab.cfg.fabric_dir, err);
			return e;
		}
	}
	logmsg("cannot attach: fabric directory %s kept changing", fab.cfg.fabric_dir);
	return ENODEV;
}
