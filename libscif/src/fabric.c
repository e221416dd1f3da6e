/* Attaching to the fabric and leaving it, reaping dead processes, and the watchdog
   (docs/shm-format.md, "Lifecycle, step by step"). The process attaches on its first SCIF
   call, as the node SCIF_FABRIC names, and leaves at exit. */
#include "fabric.h"
#include "files.h"
#include "memory.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>

struct fabric fab = {.slot = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int attach_errno; /* 0 attached; else every call fails with it */
static int in_detach;

void endpoints_close_all(void); /* endpoint.c */
void pump_stop(void);          /* pump.c */

void conn_file_path(char *buf, size_t n, uint64_t id)
{
	snprintf(buf, n, "%s/conn-%llu", fab.cfg.fabric_dir, (unsigned long long)id);
}

void delete_conn_file(uint64_t id)
{
	char p[FILES_PATH_MAX];
	conn_file_path(p, sizeof p, id);
	file_delete_own(p);
}

/* ---- processes ---- */

int process_alive_slot(int slot)
{
	if (slot < 0 || slot >= MAX_PROCESSES)
		return 0;
	uint64_t p = process_off(slot);
	long long start = (long long)((uint64_t)get32(p + P_START_TIME_HIGH) << 32 | get32(p + P_START_TIME));
	return get32(p + P_STATE) == P_LIVE && proc_alive((int)get32(p + P_PID), start);
}

int is_live_slot(int slot)
{
	return slot >= 0 && slot < MAX_PROCESSES && get32(process_off(slot) + P_STATE) == P_LIVE;
}

static int live_processes(void)
{
	int n = 0;
	for (int i = 0; i < MAX_PROCESSES; i++)
		n += is_live_slot(i);
	return n;
}

int node_online(int node, int exclude)
{
	if (node < 0 || node >= MAX_NODES)
		return 0;
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (i != exclude && is_live_slot(i) && (get32(node_cell_off(i, node)) >> (node & 31) & 1))
			return 1;
	return 0;
}

static int delete_mem_of(const char *dir, const char *name, void *arg)
{
	char pre[32];
	snprintf(pre, sizeof pre, "mem-%d-", *(int *)arg);
	if (!strncmp(name, pre, strlen(pre))) {
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, name);
		file_delete_own(p);
	}
	return 0;
}

void delete_mem_files(int pid, long long start)
{
	for (int i = 0; i < MAX_PROCESSES; i++) {
		uint64_t p = process_off(i);
		long long t = (long long)((uint64_t)get32(p + P_START_TIME_HIGH) << 32 | get32(p + P_START_TIME));
		if (is_live_slot(i) && get32(p + P_PID) == (uint32_t)pid && t != start)
			return; /* a newer process has the pid now: the files are its own */
	}
	dir_each(fab.cfg.fabric_dir, delete_mem_of, &pid);
}

static void clear_nodes(uint64_t p)
{
	for (int c = 0; c < P_NODE_CELLS; c++)
		if (ch_get(p + P_NODES + 8 * (uint64_t)c))
			ch_set(p + P_NODES + 8 * (uint64_t)c, 0);
}

/* Frees a process slot, as part of the change being prepared (or at once in a direct
   change): state free first, then pid, start time and nodes. */
static void free_process_slot(int slot)
{
	uint64_t p = process_off(slot);
	ch_set(p + P_STATE, P_FREE);
	ch_set(p + P_PID, 0);
	ch_set(p + P_START_TIME, 0);
	ch_set(p + P_START_TIME_HIGH, 0);
	clear_nodes(p);
}

static int is_dead_slot(int i)
{
	return i != fab.slot && is_live_slot(i) && !process_alive_slot(i);
}

static int first_dead(void)
{
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (is_dead_slot(i))
			return i;
	return -1;
}

/* One dead process in logged changes (docs/shm-format.md, "Reaping a dead process"): its
   nodes offline first, then its endpoints closed, committed whenever the change holds half a
   log, its memory files (a kind 4 entry) with the last of them; then its process slot in a
   change of its own. A hold with no log area of its own (registering) writes into the dead
   process's. 0 done; 1 pre-empted before a
   commit and the tables changed (the lock is held again: look again). */
static int reap_one(int i)
{
	uint64_t p = process_off(i);
	int pid = (int)get32(p + P_PID);
	long long start = (long long)((uint64_t)get32(p + P_START_TIME_HIGH) << 32 | get32(p + P_START_TIME));
	int own = lock_log_slot();
	if (own < 0)
		lock_log_into(i); /* the dead process writes there no more, and nobody picks a live slot */
	ch_begin();
	/* its nodes go offline first, so a peer woken by a close sees the node gone */
	clear_nodes(p);
	int r = tab_reap_owner(i);
	if (!r) {
		ch_remove_mem(pid, start);
		int c = ch_commit_as("reap.committed", "reap.half-applied", 0);
		r = c == 1 || c == 3; /* overtaken: the slot may be another process's now */
	}
	if (!r) {
		free_process_slot(i); /* state free first, then pid, start time and nodes */
		r = ch_commit_as("reap.committed", "reap.half-applied", 0) == 1;
	}
	lock_log_into(own);
	return r;
}

int reaping_now;

void reap_dead_locked(void)
{
	int was = reaping_now;
	reaping_now = 1;
	for (int i = first_dead(); i >= 0; i = first_dead())
		reap_one(i); /* pre-empted: the tables changed, look again */
	reaping_now = was;
}

static int any_dead(void)
{
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (is_dead_slot(i))
			return 1;
	/* an endpoint whose owner is no live process (only a corrupt table has one) */
	return 0;
}

/* ---- files ---- */

static int refuse_foreign(const char *dir, const char *name, void *arg)
{
	(void)dir;
	if (own_name(name))
		return 0;
	snprintf((char *)arg, 600, "fabric directory %s holds %s, which is not a scif4j file; a fabric "
				   "directory must hold only its own files: remove it, or choose another "
				   "fabric name or dir=", fab.cfg.fabric_dir, name);
	return 1;
}

static int remove_dead_temp(const char *dir, const char *name, void *arg)
{
	(void)arg;
	unsigned long pid, n;
	int end = 0;
	if ((sscanf(name, "fabric.new-%lu-%lu%n", &pid, &n, &end) == 2 ||
	     sscanf(name, "fabric.dead-%lu-%lu%n", &pid, &n, &end) == 2) &&
	    !name[end] && proc_start_time((int)pid) < 0) {
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, name);
		file_delete_own(p);
	}
	return 0;
}

/* Step 6: what an earlier fabric of the same name left (connections, dead pids' memory). */
static int remove_stale(const char *dir, const char *name, void *arg)
{
	(void)arg;
	unsigned long a, b;
	int end = 0;
	char p[FILES_PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (sscanf(name, "conn-%lu%n", &a, &end) == 1 && end)
		file_delete_own(p);
	else if (sscanf(name, "mem-%lu-%lu%n", &a, &b, &end) == 2 && !name[end] &&
		 proc_start_time((int)a) < 0)
		file_delete_own(p);
	return 0;
}

static int remove_all_but_fabric(const char *dir, const char *name, void *arg)
{
	(void)arg;
	if (own_name(name) && strcmp(name, "fabric")) {
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, name);
		file_delete_own(p);
	}
	return 0;
}

static void rename_and_delete(void)
{
	char from[FILES_PATH_MAX], to[FILES_PATH_MAX];
	snprintf(from, sizeof from, "%s/fabric", fab.cfg.fabric_dir);
	snprintf(to, sizeof to, "%s/fabric.dead-%d-%lld", fab.cfg.fabric_dir, (int)getpid(),
		 (long long)now_ns());
	if (rename(from, to) == 0)
		unlink(to);
}

static void remove_files_locked(void)
{
	dir_each(fab.cfg.fabric_dir, remove_all_but_fabric, NULL);
	rename_and_delete();
}

static void remove_directories(void)
{
	if (rmdir(fab.cfg.fabric_dir))
		return;
	char parent[FILES_PATH_MAX];
	snprintf(parent, sizeof parent, "%s", fab.cfg.fabric_dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash > parent) {
		*slash = 0;
		const char *base = strrchr(parent, '/');
		if (base && !strcmp(base + 1, "scif4j"))
			rmdir(parent);
	}
}

/* ---- mapping ---- */

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
				remove_files_locked();
				lock_release();
				return 0;
			}
		}
		int first = live_processes() == 0;
		slot = -1;
		for (int i = 0; i < MAX_PROCESSES && slot < 0; i++)
			if (!is_live_slot(i))
				slot = i;
		if (slot < 0) {
			lock_release();
			snprintf(why, n, "the fabric's process table is full (%d processes)", MAX_PROCESSES);
			errno = ENOMEM;
			return -1;
		}
		if (first) { /* removing files is not pre-empted: a late removal would hit newer files */
			lock_direct();
			dir_each(fab.cfg.fabric_dir, remove_stale, NULL);
			lock_end_direct();
		}
		lock_log_into(slot);
		uint64_t p = process_off(slot);
		ch_set(p + P_PID, (uint32_t)fab.pid);
		ch_set(p + P_START_TIME, (uint32_t)fab.start);
		ch_set(p + P_START_TIME_HIGH, (uint32_t)((uint64_t)fab.start >> 32));
		clear_nodes(p);
		/* step 8 folded in: this process is one node */
		int node = fab.cfg.node;
		ch_set(node_cell_off(slot, node), 1u << (node & 31));
		ch_set(p + P_STATE, P_LIVE); /* last */
	} while (ch_commit_as("attach.committed", "attach.slot-half-written", 0) == 1);
	test_point("attach.registered");
	put64(process_off(slot) + P_HEARTBEAT, (uint64_t)now_ms());
	lock_release();
	fab.slot = slot;
	return 1;
}

static void *watch(void *arg);
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cv;

static void start_watchdog(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&watch_cv, &a);
	if (pthread_create(&fab.watchdog, NULL, watch, NULL) == 0)
		fab.watchdog_started = 1;
}

static void detach(void)
{
	if (!fab.base || fab.slot < 0 || getpid() != fab.pid || in_detach)
		return;
	in_detach = 1;
	endpoints_close_all();
	pump_stop();
	pthread_mutex_lock(&watch_mu);
	fab.detaching = 1;
	pthread_cond_signal(&watch_cv);
	pthread_mutex_unlock(&watch_mu);
	if (fab.watchdog_started)
		pthread_join(fab.watchdog, NULL);
	pthread_mutex_lock(&fab.mu);
	/* Held as minus our pid from the start: once our slot is free, waiters judge us by pid.
	   Freeing the slot (and, for the last process, closing the fabric) is one logged change,
	   in our slot's log area, that a waiter finishes if we stop or die after committing it. */
	lock_take_as(-(int32_t)fab.pid);
	test_point("detach.locked");
	int last, r;
	do {
		ch_begin();
		reap_dead_locked();
		last = live_processes() - is_live_slot(fab.slot) == 0;
		free_process_slot(fab.slot);
		if (last)
			ch_set(H_STATE, STATE_CLOSED);
		r = ch_commit_as("detach.committed", "detach.half-applied", last);
	} while (r == 1);
	test_point("detach.slot-freed");
	fab.slot = -1;
	if (last && r == 0) { /* r == 2: a waiter finished our change, and removes the files (step 5) */
		test_point("detach.closed");
		remove_files_locked();
	}
	lock_release();
	munmap(fab.base, FABRIC_FILE_SIZE);
	fab.base = NULL;
	pthread_mutex_unlock(&fab.mu);
	if (last)
		remove_directories();
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&fab.mu);
}
static void atfork_parent(void)
{
	pthread_mutex_unlock(&fab.mu);
}
static void atfork_child(void)
{
	/* The child keeps the parent's endpoints (until it execs) but not its threads or its
	   process slot: its lock holds name it by pid, and its exit leaves the fabric alone. */
	pthread_mutex_init(&fab.mu, NULL);
	fab.self = (int)getpid();
	fab.watchdog_started = 0;
	mem_atfork_child();
}

static void attach_once(void)
{
	char err[700];
	const char *uri = getenv("SCIF_FABRIC");
	if (cfg_parse(uri, &fab.cfg, err, sizeof err)) {
		logmsg("SCIF_FABRIC is invalid, every SCIF call fails with EINVAL: %s", err);
		attach_errno = EINVAL;
		return;
	}
	char path[FILES_PATH_MAX];
	snprintf(path, sizeof path, "%s/fabric", fab.cfg.fabric_dir);
	membarrier_register();
	for (int attempt = 0; attempt < 200; attempt++) {
		if (dir_create(fab.cfg.fabric_dir, err, sizeof err)) {
			if (errno == ENOENT)
				continue;
			logmsg("cannot attach to fabric %s: %s", fab.cfg.fabric_dir, err);
			attach_errno = EINVAL;
			return;
		}
		if (dir_each(fab.cfg.fabric_dir, refuse_foreign, err) > 0) {
			logmsg("cannot attach: %s", err);
			attach_errno = EINVAL;
			return;
		}
		dir_each(fab.cfg.fabric_dir, remove_dead_temp, NULL);
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
			attach_errno = errno == EINVAL ? EINVAL : ENODEV;
			return;
		}
		if (r == 0)
			continue;
		r = do_register(path, &st, created, err, sizeof err);
		if (r > 0) {
			pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
			atexit(detach);
			start_watchdog();
			return;
		}
		munmap(fab.base, FABRIC_FILE_SIZE);
		fab.base = NULL;
		if (r < 0) {
			logmsg("cannot attach to fabric %s: %s", fab.cfg.fabric_dir, err);
			attach_errno = errno;
			return;
		}
	}
	logmsg("cannot attach: fabric directory %s kept changing", fab.cfg.fabric_dir);
	attach_errno = ENODEV;
}

int fabric_ensure(void)
{
	pthread_once(&once, attach_once);
	if (attach_errno) {
		errno = attach_errno;
		return -1;
	}
	if (!fab.base) {
		errno = EBADF; /* detached (at exit) */
		return -1;
	}
	return 0;
}

/* ---- the watchdog ---- */

static void *watch(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&watch_mu);
	while (!fab.detaching) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 200 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&watch_cv, &watch_mu, &ts);
		if (fab.detaching)
			break;
		pthread_mutex_unlock(&watch_mu);
		put64(process_off(fab.slot) + P_HEARTBEAT, (uint64_t)now_ms());
		if (any_dead()) {
			pthread_mutex_lock(&fab.mu);
			lock_take();
			reap_dead_locked();
			lock_release();
			pthread_mutex_unlock(&fab.mu);
		}
		pthread_mutex_lock(&watch_mu);
	}
	pthread_mutex_unlock(&watch_mu);
	return NULL;
}

/* scif4j_detach: the Java native transport's node close leaves the fabric now, as exit
   would (every endpoint closed, the process slot freed); the Java side then loads a fresh
   copy of the library for its next attach. Returns 0. */
API int scif4j_detach(void);
API int scif4j_detach(void)
{
	detach();
	return 0;
}
