/* What a waiter for the control-plane lock does about its holder (docs/shm-format.md, "The
   control-plane lock" and "Reaping a dead process"): a dead holder's lock is taken over and
   the dead reaped; a stopped or dead holder's committed change is finished from its redo log;
   a holder stopped (or idle for long) before committing is pre-empted. lock.c's wait asks
   holder_check every millisecond. */
#include "lock_internal.h"
#include <string.h>

#define PREEMPT_NS 2000000LL
#define PREEMPT_IDLE_NS 500000000LL

int lock_finished_for_others;

static int holder_alive(int32_t owner)
{
	if (owner < 0)
		return proc_start_time(-owner) >= 0;
	return process_alive_slot(owner - 1);
}

static int holder_stopped(int32_t owner)
{
	int pid = owner < 0 ? -owner : owner <= MAX_PROCESSES ? (int)get32(process_off(owner - 1) + P_PID) : 0;
	return pid > 0 && proc_stopped(pid);
}

/* A committed word of a stopped or dead holder: applies its log and takes the lock.
   Returns 2 if the lock is ours, 1 if someone else finished first, 0 if there was no valid
   log (a direct change). */
static int finish_for(uint64_t w, int32_t me)
{
	int64_t area = log_area_of(w);
	if (area < 0)
		return 0;
	static uint8_t copy[LOG_AREA];
	memcpy(copy, (const void *)(fab.base + area), LOG_AREA);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint32_t count = log_valid(copy, w);
	if (!count || get64(H_LOCK) != w)
		return 0;
	log_replay(copy, count);
	cas64((uint64_t)area, (uint64_t)LOG_WRITTEN << 32 | epoch_of(w), (uint64_t)LOG_FINISHED << 32 | epoch_of(w));
	if (!install(w, me, 0))
		return 1; /* someone else finished and took it: wait again (applied twice is fine) */
	lock_finished_for_others++;
	return 2;
}

/* After taking a dead holder's lock over (not committed): reaps the dead in logged changes
   of their own (layout 5). The change the caller may have pending (a hold taking the lock
   again after a pre-emption) is set aside meanwhile and given back, with what it had read
   since, so that it finds out from "changes" that the tables changed and prepares again.
   Inside a reaping, nothing is done: that reaping looks for the dead again after its commit. */
static void reap_aside(void)
{
	if (reaping_now)
		return;
	int pending_log = hold_log_slot, pending_direct = hold_direct;
	uint32_t pending_reads = fab.reads_since;
	struct change *pending = ch_set_aside();
	hold_direct = 0;
	fab.reads_since = cell(H_CHANGES);
	reap_dead_locked();
	ch_restore(pending);
	hold_log_slot = pending_log;
	hold_direct = pending_direct;
	fab.reads_since = pending_reads;
}

enum holder_check_result holder_check(uint64_t w, int32_t me, int64_t unchanged_ns)
{
	int32_t owner = (int32_t)(uint32_t)w;
	int alive = holder_alive(owner);
	int stopped = alive && unchanged_ns > PREEMPT_NS && holder_stopped(owner);
	if (committed(w) && (!alive || stopped)) {
		int r = finish_for(w, me);
		if (r == 2) {
			if (!alive)
				reap_aside(); /* the dead holder's change is finished: now its entries */
			return HOLDER_TAKEN;
		}
		if (r == 0 && !alive && install(w, me, 0)) {
			reap_aside(); /* a dead holder's direct change: its own entries */
			return HOLDER_TAKEN;
		}
		return r ? HOLDER_RETRY : HOLDER_WAIT;
	}
	if (!alive) {
		/* not committed: the reaping that follows is logged changes (layout 5) */
		if (install(w, me, 0)) {
			reap_aside();
			return HOLDER_TAKEN;
		}
		return HOLDER_RETRY;
	}
	if (!committed(w) && unchanged_ns > PREEMPT_NS && (unchanged_ns > PREEMPT_IDLE_NS || stopped) &&
	    install(w, me, 0))
		return HOLDER_TAKEN;
	return HOLDER_WAIT;
}
