/* This process's attachment to its fabric (fabric.c and fabric_internal.h's files), the
   control-plane lock (lock.c, lock_recovery.c) and its change logs (change_log.c), and the
   endpoint table (tables.c). */
#ifndef LIBSCIF_FABRIC_H
#define LIBSCIF_FABRIC_H
#include "internal.h"
#include "layout.h"

struct fabric {
	struct cfg cfg;
	uint8_t *base;     /* the mapped fabric file */
	int slot;          /* our process slot, -1 before registering */
	int pid;           /* the pid that attached (a forked child is not it) */
	int self;          /* this process's pid (getpid() without a system call), set at fork */
	long long start;   /* its start time */
	/* The process half of the lock, always taken before the shared word (one global
	   order). Every control-plane change of this process runs under it. */
	pthread_mutex_t mu;
	pthread_t watchdog;
	int watchdog_started;
	volatile int detaching;
	/* The current hold of the shared lock: its word, owner id and the "changes" value seen
	   when it began. Guarded by mu. */
	uint64_t held;
	int32_t held_by;
	uint32_t reads_since;
	int port_hint;
};

extern struct fabric fab;

/* ---- word access in the mapped file (offsets are checked by the callers' constants) ---- */
static inline volatile uint32_t *w32(uint64_t off)
{
	return (volatile uint32_t *)(fab.base + off);
}
static inline volatile uint64_t *w64(uint64_t off)
{
	return (volatile uint64_t *)(fab.base + off);
}
static inline uint32_t get32(uint64_t off)
{
	return __atomic_load_n(w32(off), __ATOMIC_ACQUIRE);
}
static inline uint64_t get64(uint64_t off)
{
	return __atomic_load_n(w64(off), __ATOMIC_ACQUIRE);
}
static inline void put32(uint64_t off, uint32_t v)
{
	__atomic_store_n(w32(off), v, __ATOMIC_SEQ_CST);
}
static inline void put64(uint64_t off, uint64_t v)
{
	__atomic_store_n(w64(off), v, __ATOMIC_SEQ_CST);
}
static inline uint32_t add32(uint64_t off, int32_t d)
{
	return __atomic_add_fetch(w32(off), (uint32_t)d, __ATOMIC_SEQ_CST);
}
static inline int cas64(uint64_t off, uint64_t expect, uint64_t val)
{
	return __atomic_compare_exchange_n(w64(off), &expect, val, 0, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}
/* The value half of a cell. */
static inline uint32_t cell(uint64_t off)
{
	return get32(off);
}
static inline uint32_t ep_field(int slot, int field)
{
	return get32(endpoint_off(slot) + (uint64_t)field);
}
/* Bumps a futex word and wakes everyone sleeping on it. */
static inline void bump(uint64_t off)
{
	add32(off, 1);
	futex_wake(w32(off));
}

/* ---- fabric.c: attaching and leaving ---- */
/* Attaches on the first call (config from SCIF_FABRIC); 0, or -1 with errno. */
int fabric_ensure(void);

/* ---- process_table.c ---- */
/* Whether the slot is LIVE and its process (pid and start time) runs. */
int process_alive_slot(int slot);
int is_live_slot(int slot);
/* Whether a LIVE process slot but exclude_slot has the node's bit. */
int node_online(int node, int exclude_slot);

/* ---- reaper.c ---- */
/* Frees every endpoint and slot of dead processes, in logged changes (layout 5). Caller
   holds the lock and has no change pending. */
void reap_dead_locked(void);
/* Set while reap_dead_locked runs: a lock take-over inside it does not reap again. */
extern int reaping_now;

/* ---- fabric_directory.c ---- */
/* Applies a kind 4 log entry: removes the mem-PID-* files of a dead pid, unless a live process
   slot holds that pid with another start time (a newer process). Idempotent. */
void delete_mem_files(int pid, long long start);
void conn_file_path(char *buf, size_t n, uint64_t id);
void delete_conn_file(uint64_t id);
/* The process doorbell's offset. */
static inline uint64_t doorbell_off(int pslot)
{
	return process_off(pslot) + P_DOORBELL;
}

/* ---- lock.c, lock_recovery.c: the control-plane lock ---- */
void lock_take(void);
/* Takes the lock as owner id (a process slot + 1, or minus our pid). */
void lock_take_as(int32_t id);
void lock_release(void);
/* While registering: our logged changes go to the log area of the free slot we picked. */
void lock_log_into(int slot);
/* The slot whose log area this hold's logged changes go to, -1 for none. */
int lock_log_slot(void);
/* Ends a direct change within a hold: bumps "changes" and re-arms, so what follows is logged. */
void lock_end_direct(void);
/* Marks the hold committed for a direct change (process table, reaping): never pre-empted. */
void lock_direct(void);
/* crash_point.c: crash and stop points for the tests (SCIF4J_TEST_CRASH_AT, SCIF4J_TEST_STOP_AT). */
void test_point(const char *name);
/* ---- change_log.c: a change prepared privately, then committed as a redo log (or
   directly), then applied ---- */
uint32_t ch_get(uint64_t off);          /* a cell's value, as the pending change sees it */
void ch_set(uint64_t off, uint32_t v);  /* the cell's new value */
void ch_wake(uint64_t off);             /* bump and wake a futex word after the cells */
void ch_remove(uint64_t conn_id);       /* delete conn-ID after the cells */
void ch_remove_mem(int pid, long long start); /* delete a dead pid's mem files after the cells */
/* Once the change is applied, by this process only: zero the counters of a reaped slot it
   allocated (plain words, which a log cannot hold). */
void ch_after_reset(int slot);
/* Commits the change prepared so far if it holds half a log (a long change in batches, each
   leaving the tables consistent). 0: go on; 1: pre-empted (the change dropped) or overtaken
   after its commit (3 above): the caller prepares the rest again (the lock is held again). */
int ch_commit_if_large(void);
void ch_begin(void);                    /* starts preparing (the lock is held) */
/* Commits and applies the change: 0 done, 1 pre-empted while preparing and the tables
   changed (the caller prepares again; the lock is held again). */
int ch_commit(void);
/* ch_commit with the names of its crash points; then_direct: hold on as a direct change.
   0 done; 1 pre-empted (prepare again); 2 done, but a waiter finished the change and took
   the lock meanwhile (the lock is held again, not direct); 3 as 2, and other changes were
   made before the lock was ours again: what was read before the commit is stale. */
int ch_commit_as(const char *committed_point, const char *half_point, int then_direct);
/* lock_recovery.c, for the tests: changes finished on a stopped holder's behalf. */
extern int lock_finished_for_others;

/* ---- tables.c: the endpoint table (callers hold the lock and prepare a change) ---- */
int tab_alloc(int node);
int tab_port_busy(int node, int port);
int tab_lowest_free_port(int node);
void tab_hold_port(int slot, int port);
int tab_find_listener(int node, int port);
int tab_enqueue(int listener, int connector);
void tab_unlink(int connector);
/* The checked head of a listener's queue: -1 none, -2 corrupt (ENODEV). */
int tab_queue_head(int listener);
void tab_answer(int connector, int result);
/* 0 done; 1 pre-empted between two batches of a long queue: the change was dropped, prepare
   again (the lock is held again). */
int tab_close_slot(int slot, int refusal);
void tab_signal(int slot);
uint64_t tab_conn_id(int slot);
void tab_set_conn_id(int slot, uint64_t id);
/* Closes a dead process's endpoints in batches: 0 done (the last batch pending), 1 pre-empted. */
int tab_reap_owner(int pslot);
/* Outside the lock: the data path's wakes (only if someone sleeps). */
void wake_sleepers(int slot, int sleepers, int seq, int pollers);
/* Inline, as every send and receive calls them: the two counts share the peer slot's line. */
static inline void wake_receivers(int slot)
{
	uint64_t ep = endpoint_off(slot);
	if (get32(ep + E_SLEEPERS) > 0 || get32(ep + E_POLLERS) > 0)
		wake_sleepers(slot, E_SLEEPERS, E_EVENT_SEQ, 1);
}
static inline void wake_senders(int slot)
{
	uint64_t ep = endpoint_off(slot);
	if (get32(ep + E_SPACE_SLEEPERS) > 0 || get32(ep + E_POLLERS) > 0)
		wake_sleepers(slot, E_SPACE_SLEEPERS, E_SPACE_SEQ, 1);
}
void wake_fence(int slot);
#endif
