/* This process's attachment to its fabric (docs/shm-format.md, "Lifecycle, step by step"):
   the process attaches on its first SCIF call, as the node SCIF_FABRIC names
   (fabric_attach.c), starts the watchdog (reaper.c), and leaves at exit, or when the Java
   native transport's node closes (scif4j_detach). A forked child keeps the parent's
   endpoints but not its slot. */
#include "fabric_internal.h"
#include "memory.h"
#include <stdlib.h>
#include <sys/mman.h>

struct fabric fab = {.slot = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int attach_errno; /* 0 attached; else every call fails with it */
static int in_detach;

void endpoints_close_all(void); /* endpoint.c */
void pump_stop(void);          /* pump.c */

static void detach(void)
{
	if (!fab.base || fab.slot < 0 || getpid() != fab.pid || in_detach)
		return;
	in_detach = 1;
	endpoints_close_all();
	pump_stop();
	reaper_stop();
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
		process_slot_free(fab.slot);
		if (last)
			ch_set(H_STATE, STATE_CLOSED);
		r = ch_commit_as("detach.committed", "detach.half-applied", last);
	} while (r == 1);
	test_point("detach.slot-freed");
	fab.slot = -1;
	if (last && r == 0) { /* r == 2: a waiter finished our change, and removes the files (step 5) */
		test_point("detach.closed");
		directory_remove_files_locked();
	}
	lock_release();
	munmap(fab.base, FABRIC_FILE_SIZE);
	fab.base = NULL;
	pthread_mutex_unlock(&fab.mu);
	if (last)
		directory_remove();
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
	int bad = cfg_parse(uri, &fab.cfg, err, sizeof err);
	if (bad) {
		attach_errno = bad == CFG_NOT_PERMITTED ? EPERM : EINVAL;
		logmsg("SCIF_FABRIC is %s, every SCIF call fails with %s: %s",
		       attach_errno == EPERM ? "refused" : "invalid", attach_errno == EPERM ? "EPERM" : "EINVAL", err);
		return;
	}
	membarrier_register();
	attach_errno = fabric_attach();
	if (attach_errno)
		return;
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	atexit(detach);
	reaper_start();
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

/* scif4j_detach: the Java native transport's node close leaves the fabric now, as exit
   would (every endpoint closed, the process slot freed); the Java side then loads a fresh
   copy of the library for its next attach. Returns 0. */
API int scif4j_detach(void);
API int scif4j_detach(void)
{
	detach();
	return 0;
}
