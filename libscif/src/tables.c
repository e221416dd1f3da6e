/* The endpoint table (docs/shm-format.md, "Endpoint table" and the protocols): every
   change is prepared through ch_set/ch_wake/ch_remove under the control-plane lock and
   committed by the caller. Slot numbers read from shared memory ("slot + 1" fields) are
   checked before use: a value outside 1..8192 is none (and logged). */
#include "fabric.h"
#include <string.h>

#define EP(slot, field) (endpoint_off(slot) + (field))

static uint32_t g(int slot, int field)
{
	return ch_get(EP(slot, field));
}
static void s(int slot, int field, uint32_t v)
{
	if (g(slot, field) != v)
		ch_set(EP(slot, field), v);
}

/* A "slot + 1" field as a slot, -1 for none; a corrupt value is logged and read as none. */
static int link_or_none(int slot, int field)
{
	uint32_t v = g(slot, field);
	if (v > MAX_ENDPOINTS) {
		logmsg("fabric %s is corrupt: endpoint slot %d's field at offset %d holds %u; expected "
		       "0 (none) or a slot number + 1 (1..%d); read as none",
		       fab.cfg.fabric_dir, slot, field, v, MAX_ENDPOINTS);
		return -1;
	}
	return (int)v - 1;
}

uint64_t tab_conn_id(int slot)
{
	return (uint64_t)g(slot, E_CONN_HI) << 32 | g(slot, E_CONN_LO);
}

void tab_set_conn_id(int slot, uint64_t id)
{
	s(slot, E_CONN_LO, (uint32_t)id);
	s(slot, E_CONN_HI, (uint32_t)(id >> 32));
}

int tab_alloc(int node)
{
	static int next_free;
	for (int i = 0; i < MAX_ENDPOINTS; i++) {
		int slot = (next_free + i) % MAX_ENDPOINTS;
		if (g(slot, E_STATE) != EP_FREE)
			continue;
		next_free = slot + 1;
		/* A reaped slot's previous owner is dead: its counters are zeroed once this change
		   is applied (the slot is then ours, and none of our threads waits on it yet). */
		if (g(slot, E_FLAGS) & FLAG_REAPED)
			ch_after_reset(slot);
		static const int zero[] = {E_PORT, E_FLAGS, E_PEER_NODE, E_PEER_PORT, E_PEER_SLOT,
					   E_PEER_GEN, E_CONN_LO, E_CONN_HI, E_BACKLOG, E_QUEUE_COUNT,
					   E_QUEUE_HEAD, E_QUEUE_TAIL, E_QUEUE_NEXT, E_CONNECT_RESULT,
					   E_LISTENER};
		for (unsigned k = 0; k < sizeof zero / sizeof zero[0]; k++)
			s(slot, zero[k], 0);
		s(slot, E_OWNER, (uint32_t)fab.slot + 1);
		s(slot, E_NODE, (uint32_t)node);
		ch_set(EP(slot, E_GEN), g(slot, E_GEN) + 1);
		s(slot, E_STATE, EP_UNBOUND);
		return slot;
	}
	return -1;
}

int tab_port_busy(int node, int port)
{
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		if (g(i, E_STATE) != EP_FREE && g(i, E_NODE) == (uint32_t)node &&
		    g(i, E_PORT) == (uint32_t)port && (g(i, E_FLAGS) & FLAG_HOLDS_PORT))
			return 1;
	return 0;
}

int tab_lowest_free_port(int node)
{
	static uint8_t used[65536];
	memset(used, 0, sizeof used);
	for (int i = 0; i < MAX_ENDPOINTS; i++) {
		if (g(i, E_STATE) != EP_FREE && g(i, E_NODE) == (uint32_t)node &&
		    (g(i, E_FLAGS) & FLAG_HOLDS_PORT)) {
			uint32_t p = g(i, E_PORT);
			if (p <= 65535)
				used[p] = 1;
		}
	}
	for (int p = 1089; p <= 65535; p++)
		if (!used[p])
			return p;
	return -1;
}

void tab_hold_port(int slot, int port)
{
	s(slot, E_PORT, (uint32_t)port);
	s(slot, E_FLAGS, g(slot, E_FLAGS) | FLAG_HOLDS_PORT);
}

int tab_find_listener(int node, int port)
{
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		if (g(i, E_STATE) == EP_LISTENING && g(i, E_NODE) == (uint32_t)node &&
		    g(i, E_PORT) == (uint32_t)port)
			return i;
	return -1;
}

static void drop_corrupt_queue(int l, const char *why)
{
	logmsg("fabric %s is corrupt: the request queue of listener slot %d %s; emptied it",
	       fab.cfg.fabric_dir, l, why);
	s(l, E_QUEUE_HEAD, 0);
	s(l, E_QUEUE_TAIL, 0);
	s(l, E_QUEUE_COUNT, 0);
}

int tab_queue_head(int l)
{
	int c = link_or_none(l, E_QUEUE_HEAD);
	if (c < 0 && g(l, E_QUEUE_COUNT) != 0)
		drop_corrupt_queue(l, "counts requests but has none");
	if (c >= 0 && (g(c, E_STATE) != EP_CONNECTING || g(c, E_LISTENER) != (uint32_t)l + 1))
		return -2;
	return c;
}

/* 1 queued, 0 full, -1 corrupt queue. */
int tab_enqueue(int l, int c)
{
	uint32_t count = g(l, E_QUEUE_COUNT);
	if (count >= g(l, E_BACKLOG))
		return 0;
	int tail = link_or_none(l, E_QUEUE_TAIL);
	if (tail >= 0 && (tail == c || g(tail, E_LISTENER) != (uint32_t)l + 1))
		return -1;
	s(c, E_QUEUE_NEXT, 0);
	s(c, E_LISTENER, (uint32_t)l + 1);
	if (tail < 0)
		s(l, E_QUEUE_HEAD, (uint32_t)c + 1);
	else
		s(tail, E_QUEUE_NEXT, (uint32_t)c + 1);
	s(l, E_QUEUE_TAIL, (uint32_t)c + 1);
	s(l, E_QUEUE_COUNT, count + 1);
	return 1;
}

/* Walks the listener's queue (bounded, stops at a bad link) and takes the connector out. */
static void unlink_from(int l, int c)
{
	int prev = -1, cur = link_or_none(l, E_QUEUE_HEAD);
	for (int steps = 0; cur >= 0; steps++) {
		if (steps == MAX_ENDPOINTS) {
			drop_corrupt_queue(l, "loops");
			return;
		}
		int next = link_or_none(cur, E_QUEUE_NEXT);
		if (cur == c) {
			if (prev < 0)
				s(l, E_QUEUE_HEAD, (uint32_t)(next + 1));
			else
				s(prev, E_QUEUE_NEXT, (uint32_t)(next + 1));
			if (g(l, E_QUEUE_TAIL) == (uint32_t)c + 1)
				s(l, E_QUEUE_TAIL, (uint32_t)(prev + 1));
			uint32_t n = g(l, E_QUEUE_COUNT);
			s(l, E_QUEUE_COUNT, n > 0 ? n - 1 : 0);
			return;
		}
		prev = cur;
		cur = next;
	}
}

void tab_unlink(int c)
{
	int l = link_or_none(c, E_LISTENER);
	if (l >= 0)
		unlink_from(l, c);
	s(c, E_LISTENER, 0);
	s(c, E_QUEUE_NEXT, 0);
}

void tab_signal(int slot)
{
	ch_wake(EP(slot, E_EVENT_SEQ));
	ch_wake(EP(slot, E_SPACE_SEQ));
	ch_wake(EP(slot, E_FENCE_SEQ));
	uint32_t owner = g(slot, E_OWNER);
	if (owner >= 1 && owner <= MAX_PROCESSES)
		ch_wake(doorbell_off((int)owner - 1));
}

void tab_answer(int c, int result)
{
	if (result != CONNECT_ACCEPTED)
		s(c, E_STATE, EP_BOUND);
	s(c, E_CONNECT_RESULT, (uint32_t)result);
	tab_signal(c);
}

/* Answers every connector queued on a closing listener, each taken off the queue at once
   (head, count), so that after each one the listener is a consistent LISTENING endpoint with
   a shorter queue: a long queue is committed in batches (ch_commit_if_large), each a logged
   change. 0 done; 1 pre-empted between batches (prepare again). */
static int refuse_queued(int l, int refusal)
{
	int c = link_or_none(l, E_QUEUE_HEAD);
	for (int steps = 0; c >= 0 && steps < MAX_ENDPOINTS; steps++) {
		if (g(c, E_STATE) != EP_CONNECTING || g(c, E_LISTENER) != (uint32_t)l + 1)
			break;
		int next = link_or_none(c, E_QUEUE_NEXT);
		s(c, E_LISTENER, 0);
		s(c, E_QUEUE_NEXT, 0);
		tab_answer(c, -refusal);
		s(l, E_QUEUE_HEAD, (uint32_t)(next + 1));
		if (next < 0)
			s(l, E_QUEUE_TAIL, 0);
		uint32_t n = g(l, E_QUEUE_COUNT);
		s(l, E_QUEUE_COUNT, n > 0 ? n - 1 : 0);
		if (ch_commit_if_large())
			return 1;
		c = next;
	}
	s(l, E_QUEUE_HEAD, 0);
	s(l, E_QUEUE_TAIL, 0);
	s(l, E_QUEUE_COUNT, 0);
	return 0;
}

static int is_peer_of(int peer, int slot)
{
	return g(peer, E_STATE) == EP_CONNECTED && g(peer, E_PEER_SLOT) == (uint32_t)slot + 1 &&
	       g(peer, E_PEER_GEN) == g(slot, E_GEN);
}

static int close_slot(int slot, int refusal, uint32_t free_flags)
{
	uint32_t state = g(slot, E_STATE);
	uint64_t conn = tab_conn_id(slot);
	int peer_keeps = 0;
	if (state == EP_LISTENING) {
		if (refuse_queued(slot, refusal))
			return 1;
	} else if (state == EP_CONNECTING) {
		tab_unlink(slot);
	} else if (state == EP_CONNECTED) {
		int peer = link_or_none(slot, E_PEER_SLOT);
		if (peer >= 0 && is_peer_of(peer, slot)) {
			s(peer, E_FLAGS, g(peer, E_FLAGS) & ~(uint32_t)FLAG_HOLDS_PORT);
			s(peer, E_STATE, EP_DISCONNECTED);
			tab_signal(peer);
			peer_keeps = 1;
		}
	}
	s(slot, E_FLAGS, free_flags);
	s(slot, E_STATE, EP_FREE);
	tab_set_conn_id(slot, 0);
	tab_signal(slot); /* reads the owner before it is cleared, so the owner's pollers hear it */
	s(slot, E_OWNER, 0);
	if (conn != 0 && !peer_keeps)
		ch_remove(conn);
	return 0;
}

int tab_close_slot(int slot, int refusal)
{
	return close_slot(slot, refusal, 0);
}

/* Reaping is logged changes (layout 5): each closed slot whole, committed once the change
   holds half a log; the slots keep FLAG_REAPED, so that their next allocation zeroes the
   counters the dead owner's threads left (plain words, which a log cannot hold). */
int tab_reap_owner(int pslot)
{
	for (int i = 0; i < MAX_ENDPOINTS; i++) {
		uint32_t owner = g(i, E_OWNER);
		if (g(i, E_STATE) != EP_FREE &&
		    (owner == (uint32_t)pslot + 1 || !is_live_slot((int)owner - 1))) {
			int lost = !node_online((int)g(i, E_NODE), pslot);
			if (close_slot(i, lost ? ENODEV : ECONNREFUSED, FLAG_REAPED) || ch_commit_if_large())
				return 1;
		}
	}
	return 0;
}

/* The changer's half of the sleeper protocol: wake only if someone said it sleeps. The data
   path's wake_receivers and wake_senders (fabric.h) read the two counts inline first and call
   this only when one is non-zero. */
void wake_sleepers(int slot, int sleepers, int seq, int pollers)
{
	if (get32(EP(slot, sleepers)) > 0)
		bump(EP(slot, seq));
	if (pollers && get32(EP(slot, E_POLLERS)) > 0) {
		uint32_t owner = get32(EP(slot, E_OWNER));
		if (owner >= 1 && owner <= MAX_PROCESSES)
			bump(doorbell_off((int)owner - 1));
	}
}

void wake_fence(int slot)
{
	wake_sleepers(slot, E_FENCE_SLEEPERS, E_FENCE_SEQ, 0);
}
