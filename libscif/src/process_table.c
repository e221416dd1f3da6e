/* The fabric's process table (docs/shm-format.md, "Process table"): one slot per process
   attached to the fabric, with its pid, start time, heartbeat, state, doorbell and a bit
   per node it is attached as; a node is online while a LIVE process has its bit. Every write
   to a process slot is made here, as part of the change being prepared (change_log.c). */
#include "fabric_internal.h"

long long slot_start_time(int slot)
{
	uint64_t p = process_off(slot);
	return (long long)((uint64_t)get32(p + P_START_TIME_HIGH) << 32 | get32(p + P_START_TIME));
}

int process_alive_slot(int slot)
{
	if (slot < 0 || slot >= MAX_PROCESSES)
		return 0;
	uint64_t p = process_off(slot);
	return get32(p + P_STATE) == P_LIVE && proc_alive((int)get32(p + P_PID), slot_start_time(slot));
}

int is_live_slot(int slot)
{
	return slot >= 0 && slot < MAX_PROCESSES && get32(process_off(slot) + P_STATE) == P_LIVE;
}

int live_processes(void)
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

int process_slot_find_free(void)
{
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (!is_live_slot(i))
			return i;
	return -1;
}

void process_slot_clear_nodes(int slot)
{
	uint64_t p = process_off(slot);
	for (int c = 0; c < P_NODE_CELLS; c++)
		if (ch_get(p + P_NODES + 8 * (uint64_t)c))
			ch_set(p + P_NODES + 8 * (uint64_t)c, 0);
}

void process_slot_take(int slot)
{
	uint64_t p = process_off(slot);
	ch_set(p + P_PID, (uint32_t)fab.pid);
	ch_set(p + P_START_TIME, (uint32_t)fab.start);
	ch_set(p + P_START_TIME_HIGH, (uint32_t)((uint64_t)fab.start >> 32));
	process_slot_clear_nodes(slot);
	/* step 8 folded in: this process is one node */
	int node = fab.cfg.node;
	ch_set(node_cell_off(slot, node), 1u << (node & 31));
	ch_set(p + P_STATE, P_LIVE); /* last */
}

void process_slot_free(int slot)
{
	uint64_t p = process_off(slot);
	ch_set(p + P_STATE, P_FREE);
	ch_set(p + P_PID, 0);
	ch_set(p + P_START_TIME, 0);
	ch_set(p + P_START_TIME_HIGH, 0);
	process_slot_clear_nodes(slot);
}

void process_heartbeat(int slot)
{
	put64(process_off(slot) + P_HEARTBEAT, (uint64_t)now_ms());
}
