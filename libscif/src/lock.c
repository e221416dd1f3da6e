/* The control-plane lock and its change logs (docs/shm-format.md, "The control-plane lock"
   and "Change logs").

   Lock word (header offset 40, 64 bits): owner in the low half (process slot + 1, or minus
   the pid of a process without a slot), 2 x epoch + committed in the high half. A hold
   prepares its change privately (ch_set/ch_wake/ch_remove), then commits it: it writes the
   redo log into its process's log area and swaps the lock word to "committed", after which
   any waiter may apply the log on its behalf if it stops or dies; then it applies the log
   itself (every entry is idempotent) and releases. A hold that had not committed when it
   was stopped may be pre-empted; its commit swap then fails and it takes the lock again,
   going on only if no change was made meanwhile ("changes" unchanged).

   Invariant: callers hold fab.mu around lock_take .. lock_release, so one thread of this
   process at a time prepares a change, and the static change buffer below is theirs. */
#include "fabric.h"
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define LOCK_CHECK_NS 1000000LL
#define PREEMPT_NS 2000000LL
#define PREEMPT_IDLE_NS 500000000LL
#define COMMITTED (1ULL << 32)

int lock_finished_for_others;
/* The process slot whose log area this hold's logged changes go to, -1 for none (a direct
   change): our own slot, or, while registering, the free slot we picked (lock_log_into). */
static int log_slot = -1;

/* Test points (as the Java side's crash points): SCIF4J_TEST_CRASH_AT=NAME ends the process
   there as kill -9 would, SCIF4J_TEST_STOP_AT=NAME stops it there once (SIGSTOP). Only
   holds of a registered process count (not the attach's own), but for the attach's named
   points ("attach.*") and the reaping's ("reap.*", which an attach does too). */
void test_point(const char *name)
{
	static int stopped;
	if (fab.slot < 0 && strncmp(name, "attach.", 7) && strncmp(name, "reap.", 5))
		return;
	const char *crash = getenv("SCIF4J_TEST_CRASH_AT"), *stop = getenv("SCIF4J_TEST_STOP_AT");
	if (crash && !strcmp(crash, name))
		raise(SIGKILL);
	if (stop && !stopped && !strcmp(stop, name)) {
		stopped = 1;
		raise(SIGSTOP);
	}
}

static inline uint64_t lword(int32_t owner, uint32_t epoch, int committed)
{
	return ((uint64_t)(epoch * 2u + (committed ? 1u : 0u)) << 32) | (uint32_t)owner;
}
static inline uint32_t epoch_of(uint64_t w)
{
	return (uint32_t)(w >> 32) >> 1;
}
static inline int committed(uint64_t w)
{
	return (w >> 32) & 1;
}

/* ---- the pending change ---- */
struct entry {
	uint32_t kind, off;
	uint64_t expected, val;
};
/* Big enough for a change too big for a log (written directly); a logged one has at most 169. */
#define CH_MAX (MAX_ENDPOINTS * 24)
#define RESETS_MAX 64
struct change {
	int ncells, nothers, nresets;
	struct entry cells[CH_MAX];
	struct entry others[MAX_ENDPOINTS * 4];
	int resets[RESETS_MAX]; /* endpoint slots whose counters to zero once applied */
};
/* The change being prepared, and a second one for the reaping that a lock take-over does
   while the first may be pending (reap_aside). */
static struct change buffers[2];
static struct change *ch = &buffers[0];
#define ncells (ch->ncells)
#define nothers (ch->nothers)
#define cells (ch->cells)
#define others (ch->others)
static int direct; /* this hold is a direct change: apply as we go */
int reaping_now;

void ch_begin(void)
{
	ncells = nothers = ch->nresets = 0;
}

static void reset_counters(int slot)
{
	uint64_t e = endpoint_off(slot);
	put32(e + E_SLEEPERS, 0);
	put32(e + E_SPACE_SLEEPERS, 0);
	put32(e + E_FENCE_SLEEPERS, 0);
	put32(e + E_POLLERS, 0);
}

void ch_after_reset(int slot)
{
	if (direct) {
		reset_counters(slot);
		return;
	}
	if (ch->nresets < RESETS_MAX)
		ch->resets[ch->nresets++] = slot;
}

static void run_resets(void)
{
	for (int i = 0; i < ch->nresets; i++)
		reset_counters(ch->resets[i]);
	ch->nresets = 0;
}

static struct entry *find_cell(uint64_t off)
{
	for (int i = ncells - 1; i >= 0; i--)
		if (cells[i].off == off)
			return &cells[i];
	return NULL;
}

uint32_t ch_get(uint64_t off)
{
	struct entry *e = find_cell(off);
	return e ? (uint32_t)e->val : cell(off);
}

void ch_set(uint64_t off, uint32_t v)
{
	if (direct) { /* apply at once: the hold is committed without a log */
		uint64_t old = get64(off);
		while (!cas64(off, old, ((old >> 32) + 1) << 32 | v))
			old = get64(off);
		return;
	}
	struct entry *e = find_cell(off);
	if (!e) {
		if (ncells == CH_MAX) {
			logmsg("a change of over %d cells: dropped one", CH_MAX);
			return;
		}
		e = &cells[ncells++];
		e->kind = LOGE_CELL;
		e->off = (uint32_t)off;
		e->expected = get64(off);
	}
	e->val = (((e->expected >> 32) + 1) & 0xffffffffULL) << 32 | v;
}

void ch_wake(uint64_t off)
{
	if (direct) {
		bump(off);
		return;
	}
	for (int i = 0; i < nothers; i++)
		if (others[i].kind == LOGE_WAKE && others[i].off == off)
			return;
	if (nothers < (int)(sizeof others / sizeof others[0]))
		others[nothers++] = (struct entry){LOGE_WAKE, (uint32_t)off, 0, 0};
}

void ch_remove(uint64_t id)
{
	if (direct) {
		delete_conn_file(id);
		return;
	}
	if (nothers < (int)(sizeof others / sizeof others[0]))
		others[nothers++] = (struct entry){LOGE_REMOVE, 0, 0, id};
}

void ch_remove_mem(int pid, long long start)
{
	if (direct) {
		delete_mem_files(pid, start);
		return;
	}
	if (nothers < (int)(sizeof others / sizeof others[0]))
		others[nothers++] = (struct entry){LOGE_REMOVE_MEM, 0, (uint64_t)start, (uint32_t)pid};
}

static void apply(const struct entry *e)
{
	switch (e->kind) {
	case LOGE_CELL:
		cas64(e->off, e->expected, e->val); /* fails: applied already, or changed since */
		break;
	case LOGE_WAKE:
		bump(e->off);
		break;
	case LOGE_REMOVE:
		delete_conn_file(e->val);
		break;
	case LOGE_REMOVE_MEM:
		delete_mem_files((int)e->val, (long long)e->expected);
		break;
	}
}

static uint32_t fnv(uint32_t h, uint32_t w)
{
	return (h ^ w) * 0x01000193u;
}

static uint32_t checksum(uint32_t epoch, uint32_t count, uint32_t pid, const uint8_t *entries)
{
	uint32_t h = fnv(fnv(fnv(0x811C9DC5u, epoch), count), pid);
	for (uint32_t i = 0; i < count * 6; i++) {
		uint32_t w;
		memcpy(&w, entries + 4 * i, 4);
		h = fnv(h, w);
	}
	return h;
}

/* ---- taking and releasing ---- */

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

static int install(uint64_t w, int32_t me, int commit)
{
	uint64_t mine = lword(me, epoch_of(w) + 1, commit);
	if (!cas64(H_LOCK, w, mine))
		return 0;
	fab.held = mine;
	fab.held_by = me;
	return 1;
}

/* Validates a copy of a log area against the lock word; returns its count, or 0 if torn. */
static uint32_t valid_log(const uint8_t *log, uint64_t w)
{
	uint32_t epoch, state, count, sum, pid;
	memcpy(&epoch, log + LOG_EPOCH, 4);
	memcpy(&state, log + LOG_STATE, 4);
	memcpy(&count, log + LOG_COUNT, 4);
	memcpy(&sum, log + LOG_CHECKSUM, 4);
	memcpy(&pid, log + LOG_PID, 4);
	if ((state != LOG_WRITTEN && state != LOG_FINISHED) || epoch != epoch_of(w) || count < 1 ||
	    count > LOG_MAX_ENTRIES || checksum(epoch, count, pid, log + LOG_ENTRIES) != sum)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t kind, off;
		memcpy(&kind, log + LOG_ENTRIES + LOG_ENTRY * i, 4);
		memcpy(&off, log + LOG_ENTRIES + LOG_ENTRY * i + 4, 4);
		if (kind == LOGE_CELL) {
			int in_table = off >= ENDPOINT_TABLE_OFFSET && off < LOG_AREA_OFFSET &&
				       (off - ENDPOINT_TABLE_OFFSET) % ENDPOINT_SLOT < E_CELLS_END && off % 8 == 0;
			int in_procs = off >= PROCESS_TABLE_OFFSET && off < ENDPOINT_TABLE_OFFSET &&
				       (off - PROCESS_TABLE_OFFSET) % PROCESS_SLOT < P_CELLS_END && off % 8 == 0;
			if (!in_table && !in_procs && off != H_CHANGES && off != H_STATE)
				return 0;
		} else if (kind == LOGE_WAKE) {
			/* an endpoint's event, space or fence sequence, or a process's doorbell */
			uint32_t in_ep = (off - ENDPOINT_TABLE_OFFSET) % ENDPOINT_SLOT;
			int ep_seq = off >= ENDPOINT_TABLE_OFFSET && off < LOG_AREA_OFFSET &&
				     (in_ep == E_EVENT_SEQ || in_ep == E_SPACE_SEQ || in_ep == E_FENCE_SEQ);
			int bell = off >= PROCESS_TABLE_OFFSET && off < ENDPOINT_TABLE_OFFSET &&
				   (off - PROCESS_TABLE_OFFSET) % PROCESS_SLOT == P_DOORBELL;
			if (!ep_seq && !bell)
				return 0;
		} else if (kind == LOGE_REMOVE) {
			uint64_t id;
			memcpy(&id, log + LOG_ENTRIES + LOG_ENTRY * i + 16, 8);
			if (off != 0 || id == 0)
				return 0;
		} else if (kind == LOGE_REMOVE_MEM) {
			uint64_t dead;
			memcpy(&dead, log + LOG_ENTRIES + LOG_ENTRY * i + 16, 8);
			if (off != 0 || dead == 0 || dead > INT32_MAX)
				return 0;
		} else {
			return 0;
		}
	}
	return count;
}

/* The log area a committed word names: its owner slot's, or for an owner minus P (a process
   registering or leaving) the one whose header holds P and the word's epoch; -1 if none. */
static int64_t log_area_of(uint64_t w)
{
	int32_t owner = (int32_t)(uint32_t)w;
	if (owner > 0)
		return owner <= MAX_PROCESSES ? (int64_t)log_off(owner - 1) : -1;
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (get32(log_off(i) + LOG_PID) == (uint32_t)-owner && get32(log_off(i) + LOG_EPOCH) == epoch_of(w))
			return (int64_t)log_off(i);
	return -1;
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
	uint32_t count = valid_log(copy, w);
	if (!count || get64(H_LOCK) != w)
		return 0;
	struct entry e;
	for (uint32_t i = 0; i < count; i++) {
		memcpy(&e.kind, copy + LOG_ENTRIES + LOG_ENTRY * i, 4);
		memcpy(&e.off, copy + LOG_ENTRIES + LOG_ENTRY * i + 4, 4);
		memcpy(&e.expected, copy + LOG_ENTRIES + LOG_ENTRY * i + 8, 8);
		memcpy(&e.val, copy + LOG_ENTRIES + LOG_ENTRY * i + 16, 8);
		apply(&e);
	}
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
	struct change *pending = ch;
	int pending_log = log_slot, pending_direct = direct;
	uint32_t pending_reads = fab.reads_since;
	ch = ch == &buffers[0] ? &buffers[1] : &buffers[0];
	ch_begin();
	direct = 0;
	fab.reads_since = cell(H_CHANGES);
	reap_dead_locked();
	ch = pending;
	log_slot = pending_log;
	direct = pending_direct;
	fab.reads_since = pending_reads;
}

/* The shared half: spins briefly, then sleeps on the futex at most 1 ms at a time, looking
   at the holder every millisecond (dead: take over and reap; stopped: finish its committed
   change, or pre-empt it if it has not committed). */
static void take_shared(int32_t me)
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
			int alive = holder_alive(owner);
			int stopped = alive && now - seen_since > PREEMPT_NS && holder_stopped(owner);
			if (committed(w) && (!alive || stopped)) {
				int r = finish_for(w, me);
				if (r == 2) {
					if (!alive)
						reap_aside(); /* the dead holder's change is finished: now its entries */
					return;
				}
				if (r == 0 && !alive && install(w, me, 0)) {
					reap_aside(); /* a dead holder's direct change: its own entries */
					return;
				}
				if (r)
					continue;
			} else if (!alive) {
				/* not committed: the reaping that follows is logged changes (layout 5) */
				if (install(w, me, 0)) {
					reap_aside();
					return;
				}
				continue;
			} else if (!committed(w) && now - seen_since > PREEMPT_NS &&
				   (now - seen_since > PREEMPT_IDLE_NS || stopped) && install(w, me, 0)) {
				return;
			}
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
	direct = 0;
	log_slot = fab.slot >= 0 && getpid() == fab.pid ? fab.slot : -1;
	/* A caller that prepares again after ch_commit returned 1 (pre-empted) calls lock_take
	   again: ch_commit took the lock again already, so only the change starts afresh. */
	if (!(fab.held && fab.held_by == id && get64(H_LOCK) == fab.held))
		take_shared(id);
	fab.reads_since = cell(H_CHANGES);
	ch_begin();
	test_point("lock.held");
}

/* Sets the committed bit of our hold. 0: done; 1: the hold had been pre-empted (before it
   wrote anything) and the tables changed meanwhile; the lock is ours again, committed. */
static int commit_bit(void)
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
	direct = 1;
}

void lock_log_into(int slot)
{
	log_slot = slot;
}

int lock_log_slot(void)
{
	return log_slot;
}

int ch_commit_if_large(void)
{
	if (direct || log_slot < 0 || ncells + nothers + 1 <= LOG_MAX_ENTRIES / 2)
		return 0;
	int r = ch_commit_as("change.committed", "change.half-applied", 0);
	if (r != 1 && r != 3)
		return 0;
	ch_begin(); /* pre-empted, or overtaken after the commit: what was read is stale */
	return 1;
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
	direct = 0;
	fab.reads_since = cell(H_CHANGES);
}

/* Writes the pending change into our log area and commits it. 0: committed; 1: the hold
   was pre-empted and the tables changed (prepare again); 2: too big or no log area. */
static int commit_logged(void)
{
	int count = ncells + nothers;
	if (log_slot < 0 || count > LOG_MAX_ENTRIES)
		return 2;
	for (;;) {
		/* A registrant writes into a free slot's area: once pre-empted, that slot may be
		   another process's now, whose log it must not overwrite. */
		if (fab.held_by < 0 && get64(H_LOCK) != fab.held)
			goto preempted;
		uint64_t lg = log_off(log_slot);
		uint32_t epoch = epoch_of(fab.held);
		uint32_t pid = (uint32_t)getpid();
		put32(lg + LOG_STATE, LOG_WRITING);
		uint8_t *p = fab.base + lg + LOG_ENTRIES;
		for (int i = 0; i < count; i++) {
			const struct entry *e = i < ncells ? &cells[i] : &others[i - ncells];
			memcpy(p + LOG_ENTRY * i, &e->kind, 4);
			memcpy(p + LOG_ENTRY * i + 4, &e->off, 4);
			memcpy(p + LOG_ENTRY * i + 8, &e->expected, 8);
			memcpy(p + LOG_ENTRY * i + 16, &e->val, 8);
		}
		put32(lg + LOG_COUNT, (uint32_t)count);
		put32(lg + LOG_EPOCH, epoch);
		put32(lg + LOG_PID, pid);
		put32(lg + LOG_CHECKSUM, checksum(epoch, (uint32_t)count, pid, p));
		put32(lg + LOG_STATE, LOG_WRITTEN);
		if (cas64(H_LOCK, fab.held, fab.held | COMMITTED)) {
			fab.held |= COMMITTED;
			return 0;
		}
	preempted:
		take_shared(fab.held_by); /* pre-empted while preparing */
		uint32_t changes = cell(H_CHANGES);
		if (changes != fab.reads_since) {
			fab.reads_since = changes;
			return 1;
		}
		/* nothing changed meanwhile: what we read still holds; commit with the new epoch */
	}
}

int ch_commit(void)
{
	return ch_commit_as("change.committed", "change.half-applied", 0) == 1;
}

int ch_commit_as(const char *committed_point, const char *half_point, int then_direct)
{
	if (direct || ncells + nothers == 0) {
		run_resets();
		if (then_direct && commit_bit())
			return 1;
		direct |= then_direct;
		return 0;
	}
	uint32_t changes_after = ch_get(H_CHANGES) + 1;
	ch_set(H_CHANGES, changes_after); /* the last cell of every change */
	/* cells first (changes last among them), then the wakes and removals */
	int r = commit_logged();
	if (r == 1)
		return 1;
	if (r == 2 && commit_bit())
		return 1; /* pre-empted, and what we read is stale: prepare again */
	if (r == 0)
		test_point(committed_point);
	for (int i = 0; i < ncells; i++) {
		if (r == 0 && i == ncells / 2)
			test_point(half_point);
		apply(&cells[i]);
	}
	for (int i = 0; i < nothers; i++)
		apply(&others[i]);
	ncells = nothers = 0;
	run_resets(); /* applied: what only its holder does after it */
	if (r == 0) {
		/* Re-arm the hold: it may prepare another change (or, then_direct, go on as a
		   direct change: committed with no log of the new epoch). A failed swap means a
		   waiter finished our change and took the lock: take it again (what we did is done). */
		uint64_t armed = lword(fab.held_by, epoch_of(fab.held) + 1, then_direct);
		int mine = cas64(H_LOCK, fab.held, armed);
		int overtaken = 0;
		if (mine) {
			fab.held = armed;
			direct = then_direct;
		} else {
			take_shared(fab.held_by);
			overtaken = cell(H_CHANGES) != changes_after; /* others changed the tables since */
		}
		fab.reads_since = cell(H_CHANGES);
		return mine ? 0 : overtaken ? 3 : 2;
	}
	direct |= then_direct; /* r == 2: committed without a log, direct already */
	return 0;
}

void lock_release(void)
{
	if (direct && committed(fab.held)) {
		uint64_t c = get64(H_CHANGES);
		while (!cas64(H_CHANGES, c, (((c >> 32) + 1) << 32) | (uint32_t)(c + 1)))
			c = get64(H_CHANGES);
	}
	direct = 0;
	/* fails only when a waiter finished our change and took the lock: nothing left to do */
	cas64(H_LOCK, fab.held, lword(0, epoch_of(fab.held), 0));
	fab.held = 0;
	if (get32(H_LOCK_WAITERS) > 0)
		futex_wake(w32(H_LOCK));
}
