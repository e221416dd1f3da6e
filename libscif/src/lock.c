/* Taking and releasing the control-plane lock (docs/shm-format.md, "The control-plane
   lock"): the lock word's swaps, the wait for its holder, the committed bit, and the end of a
   direct change. The lock word and the hold's state are described in lock_internal.h.

   A hold prepares its change privately (change_log.c: ch_set/ch_wake/ch_remove), then
   commits it: it writes the redo log into its process's log area and swaps the lock word to
   "committed", after which any waiter may apply the log on its behalf if it stops or dies
   (lock_recovery.c); then it applies the log itself (every entry is idempotent) and releases.
   A hold that had not committed when it was stopped may be pre-empted; its commit swap then
   fails and it takes the lock again, going on only if no change was made meanwhile
   ("changes" unchanged). */
#include "lock_internal.h"

#define LOCK_CHECK_NS 1000000LL

int hold_direct;
int hold_log_slot = -1;

int install(uint64_t w, int32_t me, int commit)
{
	uint64_t mine = lword(me, epoch_of(w) + 1, commit);
	if (!cas64(H_LOCK, w, mine))
		return 0;
	fab.held = mine;
	fab.held_by = me;
	return 1;
}

/* The shared half: spins briefly, then sleeps on the futex at most 1 ms at a time, looking
   at the holder every millisecond (dead: take over and reap; stopped: finish its committed
   change, or pre-empt it if it has not committed). */
void take_shared(int32_t me)
{
	uint64_t seen = 0;
	int64_t seen_since = 0, last_check = now_ns();
	for (int spins = 0;; spins++) {
		uint64_t w = get64(H_LOCK);
		int32_t owner = (int32_t)(uint32_t)w;
		if (owner == 0) {
			if (install(w, me, 0))
				return;
			continue;
		}
		if (spins < 200) {
			__builtin_ia32_pause();
			continue;
		}
		int64_t now = now_ns();
		if (w != seen) {
			seen = w;
			seen_since = now;
		}
		if (now - last_check > LOCK_CHECK_NS) {
			last_check = now;
			enum holder_check_result r = holder_check(w, me, now - seen_since);
			if (r == HOLDER_TAKEN)
				return;
			if (r == HOLDER_RETRY)
				continue;
		}
		add32(H_LOCK_WAITERS, 1);
		futex_wait(w32(H_LOCK), (uint32_t)owner, 1000000);
		add32(H_LOCK_WAITERS, -1);
	}
}

static int32_t me_id(void)
{
	return fab.slot >= 0 && getpid() == fab.pid ? fab.slot + 1 : -(int32_t)getpid();
}

void lock_take(void)
{
	lock_take_as(me_id());
}

void lock_take_as(int32_t id)
{
	hold_direct = 0;
	hold_log_slot = fab.slot >= 0 && getpid() == fab.pid ? fab.slot : -1;
	/* A caller that prepares again after ch_commit returned 1 (pre-empted) calls lock_take
	   again: ch_commit took the lock again already, so only the change starts afresh. */
	if (!(fab.held && fab.held_by == id && get64(H_LOCK) == fab.held))
		take_shared(id);
	fab.reads_since = cell(H_CHANGES);
	ch_begin();
	test_point("lock.held");
}

int commit_bit(void)
{
	int changed = 0;
	while (!committed(fab.held) && !cas64(H_LOCK, fab.held, fab.held | COMMITTED)) {
		take_shared(fab.held_by);
		if (cell(H_CHANGES) != fab.reads_since) {
			fab.reads_since = cell(H_CHANGES);
			changed = 1;
		}
	}
	fab.held |= COMMITTED;
	return changed;
}

void lock_direct(void)
{
	commit_bit(); /* a direct change depends on nothing read before this point */
	hold_direct = 1;
}

void lock_log_into(int slot)
{
	hold_log_slot = slot;
}

int lock_log_slot(void)
{
	return hold_log_slot;
}

void lock_end_direct(void)
{
	if (!fab.held || !committed(fab.held))
		return;
	uint64_t c = get64(H_CHANGES);
	while (!cas64(H_CHANGES, c, (((c >> 32) + 1) << 32) | (uint32_t)(c + 1)))
		c = get64(H_CHANGES);
	uint64_t next = lword(fab.held_by, epoch_of(fab.held) + 1, 0);
	if (cas64(H_LOCK, fab.held, next))
		fab.held = next;
	else
		take_shared(fab.held_by); /* a direct hold is neither pre-empted nor finished: a corrupt word */
	hold_direct = 0;
	fab.reads_since = cell(H_CHANGES);
}

void lock_release(void)
{
	if (hold_direct && committed(fab.held)) {
		uint64_t c = get64(H_CHANGES);
		while (!cas64(H_CHANGES, c, (((c >> 32) + 1) << 32) | (uint32_t)(c + 1)))
			c = get64(H_CHANGES);
	}
	hold_direct = 0;
	/* fails only when a waiter finished our change and took the lock: nothing left to do */
	cas64(H_LOCK, fab.held, lword(0, epoch_of(fab.held), 0));
	fab.held = 0;
	if (get32(H_LOCK_WAITERS) > 0)
		futex_wake(w32(H_LOCK));
}
