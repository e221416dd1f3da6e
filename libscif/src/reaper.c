/* Frees what dead processes left in the fabric (docs/shm-format.md, "Reaping a dead
   process"): their nodes, their endpoint slots (closed as SCIF closes them, so their peers
   see ECONNRESET), their memory files and their process slots, in logged changes (layout 5).
   Attach, detach and a lock take-over reap (lock_recovery.c); the watchdog thread also looks
   for dead processes every 200 ms, and refreshes this process's heartbeat. */
#include "fabric_internal.h"
#include <signal.h>
#include <time.h>

int reaping_now;

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
	int pid = (int)get32(process_off(i) + P_PID);
	long long start = slot_start_time(i);
	int own = lock_log_slot();
	if (own < 0)
		lock_log_into(i); /* the dead process writes there no more, and nobody picks a live slot */
	ch_begin();
	/* its nodes go offline first, so a peer woken by a close sees the node gone */
	process_slot_clear_nodes(i);
	int r = tab_reap_owner(i);
	if (!r) {
		ch_remove_mem(pid, start);
		int c = ch_commit_as("reap.committed", "reap.half-applied", 0);
		r = c == 1 || c == 3; /* overtaken: the slot may be another process's now */
	}
	if (!r) {
		process_slot_free(i); /* state free first, then pid, start time and nodes */
		r = ch_commit_as("reap.committed", "reap.half-applied", 0) == 1;
	}
	lock_log_into(own);
	return r;
}

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

/* ---- the watchdog ---- */

/* Carries only the watchdog's timed sleep: the watchdog drops it before it takes fab.mu. */
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cv;

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
		process_heartbeat(fab.slot);
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

void reaper_start(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&watch_cv, &a);
	if (pthread_create(&fab.watchdog, NULL, watch, NULL) == 0)
		fab.watchdog_started = 1;
}

void reaper_stop(void)
{
	pthread_mutex_lock(&watch_mu);
	fab.detaching = 1;
	pthread_cond_signal(&watch_cv);
	pthread_mutex_unlock(&watch_mu);
	if (fab.watchdog_started)
		pthread_join(fab.watchdog, NULL);
}
