/* The change a hold of the control-plane lock prepares, and the redo log it is published as
   (docs/shm-format.md, "Change logs"). While a hold prepares its change, every cell it
   writes is recorded here with the cell as it was (expected) and its new value, so that its
   own later reads see the new value and the tables see nothing yet; the wakes and file
   removals that follow the cells are recorded after them. ch_commit writes the log into the
   hold's log area, commits it by the lock word (lock.c) and applies it; a waiter that finds
   a stopped or dead holder's committed log validates a copy of it and replays it
   (lock_recovery.c). A direct change (lock_direct) is applied as it is set, without a log.
   The change buffers are the lock holder's (see lock_internal.h). */
#include "lock_internal.h"
#include <string.h>

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
   while the first may be pending (ch_set_aside). */
static struct change buffers[2];
static struct change *ch = &buffers[0];
#define ncells (ch->ncells)
#define nothers (ch->nothers)
#define cells (ch->cells)
#define others (ch->others)

void ch_begin(void)
{
	ncells = nothers = ch->nresets = 0;
}

struct change *ch_set_aside(void)
{
	struct change *pending = ch;
	ch = ch == &buffers[0] ? &buffers[1] : &buffers[0];
	ch_begin();
	return pending;
}

void ch_restore(struct change *pending)
{
	ch = pending;
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
	if (hold_direct) {
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
	if (hold_direct) { /* apply at once: the hold is committed without a log */
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
	if (hold_direct) {
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
	if (hold_direct) {
		delete_conn_file(id);
		return;
	}
	if (nothers < (int)(sizeof others / sizeof others[0]))
		others[nothers++] = (struct entry){LOGE_REMOVE, 0, 0, id};
}

void ch_remove_mem(int pid, long long start)
{
	if (hold_direct) {
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

/* ---- the log ---- */

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

uint32_t log_valid(const uint8_t *log, uint64_t w)
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

void log_replay(const uint8_t *log, uint32_t count)
{
	struct entry e;
	for (uint32_t i = 0; i < count; i++) {
		memcpy(&e.kind, log + LOG_ENTRIES + LOG_ENTRY * i, 4);
		memcpy(&e.off, log + LOG_ENTRIES + LOG_ENTRY * i + 4, 4);
		memcpy(&e.expected, log + LOG_ENTRIES + LOG_ENTRY * i + 8, 8);
		memcpy(&e.val, log + LOG_ENTRIES + LOG_ENTRY * i + 16, 8);
		apply(&e);
	}
}

int64_t log_area_of(uint64_t w)
{
	int32_t owner = (int32_t)(uint32_t)w;
	if (owner > 0)
		return owner <= MAX_PROCESSES ? (int64_t)log_off(owner - 1) : -1;
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (get32(log_off(i) + LOG_PID) == (uint32_t)-owner && get32(log_off(i) + LOG_EPOCH) == epoch_of(w))
			return (int64_t)log_off(i);
	return -1;
}

/* Writes the pending change into our log area and commits it. 0: committed; 1: the hold
   was pre-empted and the tables changed (prepare again); 2: too big or no log area. */
static int commit_logged(void)
{
	int count = ncells + nothers;
	if (hold_log_slot < 0 || count > LOG_MAX_ENTRIES)
		return 2;
	for (;;) {
		/* A registrant writes into a free slot's area: once pre-empted, that slot may be
		   another process's now, whose log it must not overwrite. */
		if (fab.held_by < 0 && get64(H_LOCK) != fab.held)
			goto preempted;
		uint64_t lg = log_off(hold_log_slot);
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

/* ---- committing ---- */

int ch_commit_if_large(void)
{
	if (hold_direct || hold_log_slot < 0 || ncells + nothers + 1 <= LOG_MAX_ENTRIES / 2)
		return 0;
	int r = ch_commit_as("change.committed", "change.half-applied", 0);
	if (r != 1 && r != 3)
		return 0;
	ch_begin(); /* pre-empted, or overtaken after the commit: what was read is stale */
	return 1;
}

int ch_commit(void)
{
	return ch_commit_as("change.committed", "change.half-applied", 0) == 1;
}

int ch_commit_as(const char *committed_point, const char *half_point, int then_direct)
{
	if (hold_direct || ncells + nothers == 0) {
		run_resets();
		if (then_direct && commit_bit())
			return 1;
		hold_direct |= then_direct;
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
			hold_direct = then_direct;
		} else {
			take_shared(fab.held_by);
			overtaken = cell(H_CHANGES) != changes_after; /* others changed the tables since */
		}
		fab.reads_since = cell(H_CHANGES);
		return mine ? 0 : overtaken ? 3 : 2;
	}
	hold_direct |= then_direct; /* r == 2: committed without a log, direct already */
	return 0;
}
