/* What lock.c, lock_recovery.c and change_log.c share (fabric.h is the rest of the library's
   view): the fields of the lock word, the state of the current hold, and the calls each of
   the three makes into the others (docs/shm-format.md, "The control-plane lock" and "Change
   logs").

   Lock word (header offset 40, 64 bits): owner in the low half (process slot + 1, or minus
   the pid of a process without a slot), 2 x epoch + committed in the high half.

   Invariant: callers hold fab.mu around lock_take .. lock_release, so one thread of this
   process at a time holds the lock and prepares a change: the hold's state below and the
   change buffers of change_log.c are theirs. */
#ifndef LIBSCIF_LOCK_INTERNAL_H
#define LIBSCIF_LOCK_INTERNAL_H
#include "fabric.h"

#define COMMITTED (1ULL << 32)

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

/* ---- lock.c: taking and releasing the lock word ---- */
/* This hold is a direct change: its cells are applied as they are set. */
extern int hold_direct;
/* The process slot whose log area this hold's logged changes go to, -1 for none (a direct
   change): our own slot, or, while registering, the free slot we picked (lock_log_into). */
extern int hold_log_slot;
/* Swaps w for a word of ours (epoch + 1); 1 if it is ours now. */
int install(uint64_t w, int32_t me, int commit);
/* Takes the shared half as me, waiting for its holder (and recovering it if stopped or dead). */
void take_shared(int32_t me);
/* Sets the committed bit of our hold. 0: done; 1: the hold had been pre-empted (before it
   wrote anything) and the tables changed meanwhile; the lock is ours again, committed. */
int commit_bit(void);

/* ---- lock_recovery.c: a waiter's look at the holder ---- */
enum holder_check_result {
	HOLDER_WAIT,  /* sleep on the lock word */
	HOLDER_RETRY, /* look at the lock word again at once */
	HOLDER_TAKEN  /* the lock is ours */
};
/* Looks at the holder of w (a word that has not changed for unchanged_ns): a dead one is
   taken over and reaped, a stopped (or long idle) one's committed change is finished, an
   uncommitted one pre-empted. */
enum holder_check_result holder_check(uint64_t w, int32_t me, int64_t unchanged_ns);

/* ---- change_log.c: the change being prepared and its redo log ---- */
struct change;
/* Sets the pending change aside and starts an empty one in the other buffer (the reaping of
   a lock take-over); ch_restore gives the pending one back. */
struct change *ch_set_aside(void);
void ch_restore(struct change *pending);
/* The log area a committed word names: its owner slot's, or for an owner minus P (a process
   registering or leaving) the one whose header holds P and the word's epoch; -1 if none. */
int64_t log_area_of(uint64_t w);
/* Validates a copy of a log area against the lock word; returns its count, or 0 if torn. */
uint32_t log_valid(const uint8_t *log, uint64_t w);
/* Applies the count entries of a valid copy of a log area (each entry is idempotent). */
void log_replay(const uint8_t *log, uint32_t count);
#endif
