/* The shm fabric's on-disk format, layout version 6 (docs/shm-format.md): every offset and
   constant of the fabric and connection files. The one place they are written; a correction
   of the document is an edit here (and in ring.c, lock*.c or change_log.c for a
   protocol change). */
#ifndef LIBSCIF_LAYOUT_H
#define LIBSCIF_LAYOUT_H
#include <stdint.h>

#define LAYOUT_VERSION 6
#define PAGE 4096

/* ---- fabric: header ---- */
#define FABRIC_MAGIC 0x4246344A46494353ULL /* "SCIF4JFB" */
#define H_MAGIC 0
#define H_VERSION 8
#define H_PAGE_SIZE 12
#define H_FILE_SIZE 16
#define H_MAX_PROCESSES 24
#define H_MAX_ENDPOINTS 28
#define H_MAX_NODES 32
#define H_LOCK 40 /* 64-bit word: owner (low 32), 2 x epoch + committed (high 32) */
#define H_NEXT_CONNECTION_ID 48
#define H_CREATED_MILLIS 56
#define H_PROCESS_TABLE 64
#define H_ENDPOINT_TABLE 72
#define H_LOCK_WAITERS 80
#define H_CHANGES 88 /* cell */
#define H_STATE 96   /* cell */
#define H_LOG_AREA 104
#define STATE_ACTIVE 1
#define STATE_CLOSED 2

#define MAX_PROCESSES 256
#define MAX_ENDPOINTS 8192
#define MAX_NODES 257

/* ---- process table: cells at 0..103, plain words from 104 ---- */
#define PROCESS_TABLE_OFFSET 4096
#define PROCESS_SLOT 128
#define P_STATE 0
#define P_PID 8
#define P_START_TIME 16 /* low 32 bits */
#define P_START_TIME_HIGH 24
#define P_NODES 32 /* nine cells: node n is bit n % 32 of the cell at P_NODES + 8 x (n / 32) */
#define P_NODE_CELLS 9
#define P_CELLS_END 104
#define P_HEARTBEAT 104
#define P_DOORBELL 112
#define P_FREE 0
#define P_LIVE 1

/* ---- endpoint table: cells at 0..151, plain words from 192 ---- */
#define ENDPOINT_TABLE_OFFSET 36864
#define ENDPOINT_SLOT 256
#define E_STATE 0
#define E_OWNER 8
#define E_GEN 16
#define E_NODE 24
#define E_PORT 32
#define E_FLAGS 40
#define E_PEER_NODE 48
#define E_PEER_PORT 56
#define E_PEER_SLOT 64
#define E_PEER_GEN 72
#define E_CONN_LO 80
#define E_CONN_HI 88
#define E_BACKLOG 96
#define E_QUEUE_COUNT 104
#define E_QUEUE_HEAD 112
#define E_QUEUE_TAIL 120
#define E_QUEUE_NEXT 128
#define E_CONNECT_RESULT 136
#define E_LISTENER 144
#define E_CELLS_END 152
#define E_EVENT_SEQ 192
#define E_SLEEPERS 196
#define E_POLLERS 200
#define E_SPACE_SEQ 204
#define E_SPACE_SLEEPERS 208
#define E_FENCE_SEQ 212
#define E_FENCE_SLEEPERS 216

#define EP_FREE 0
#define EP_UNBOUND 1
#define EP_BOUND 2
#define EP_LISTENING 3
#define EP_CONNECTING 4
#define EP_CONNECTED 5
#define EP_DISCONNECTED 6
#define FLAG_HOLDS_PORT 1
#define FLAG_ACCEPTED 2
#define FLAG_REAPED 4 /* on a free slot: reaped, its counters stale until its next allocation */
#define CONNECT_ACCEPTED 1
#define MAX_BACKLOG 1024

/* ---- change logs ---- */
#define LOG_AREA_OFFSET 2134016
#define LOG_AREA 4096
#define LOG_EPOCH 0
#define LOG_STATE 4
#define LOG_COUNT 8
#define LOG_CHECKSUM 12
#define LOG_PID 16 /* the writer's pid: names the log of an owner without a slot (minus its pid) */
#define LOG_ENTRIES 24
#define LOG_ENTRY 24
#define LOG_MAX_ENTRIES 169
#define LOG_WRITING 0
#define LOG_WRITTEN 1
#define LOG_FINISHED 2
#define LOGE_CELL 1
#define LOGE_WAKE 2
#define LOGE_REMOVE 3
#define LOGE_REMOVE_MEM 4 /* layout 5: remove mem-P-* of a dead pid P (expected: start time, val: P) */

#define FABRIC_FILE_SIZE 3182592ULL

static inline uint64_t process_off(int slot)
{
	return PROCESS_TABLE_OFFSET + (uint64_t)slot * PROCESS_SLOT;
}
static inline uint64_t node_cell_off(int pslot, int node)
{
	return process_off(pslot) + P_NODES + 8 * (uint64_t)(node >> 5);
}
static inline uint64_t endpoint_off(int slot)
{
	return ENDPOINT_TABLE_OFFSET + (uint64_t)slot * ENDPOINT_SLOT;
}
static inline uint64_t log_off(int slot)
{
	return LOG_AREA_OFFSET + (uint64_t)slot * LOG_AREA;
}

/* ---- conn-ID ---- */
#define CONN_MAGIC 0x4E43344A46494353ULL /* "SCIF4JCN" */
#define C_MAGIC 0
#define C_VERSION 8
#define C_RING_SIZE 12
#define C_CONNECTION_ID 16
#define C_CREATOR_PID 24
#define C_SIDE_AREA 1024 /* side s at 1024 x (1 + s) */
#define S_DMA_SUBMITTED 0
#define S_DMA_COMPLETED 64
#define S_RAS_VERSION 128
#define RING_HEADER 4096
#define R_TAIL_BYTES 0
#define R_TAIL_FRAME 8
#define R_HEAD_BYTES 128
#define R_HEAD_FRAME 136
#define R_HEAD_TAKEN 144
#define FRAME_MAX 16384
/* A send of at most EARLY_WRAP_SEND_MAX bytes whose frame would start EARLY_WRAP_AT bytes or
   more into the area wraps instead (docs/shm-format.md, "Wrapping early"; a writer's choice,
   the same as the Java writer's). */
#define EARLY_WRAP_AT (256u * 1024u)
#define EARLY_WRAP_SEND_MAX 4096u
#define FRAME_WRAP (-1LL)
#define WINDOW_TABLE 65536
#define MAX_WINDOWS 1024
#define WINDOW_ENTRY 64
#define W_STATE 0
#define W_RMA_REFS 40
#define W_MAP_REFS 44
#define W_GEN 48
/* Copier records (layout 6): 64 lines per side after the window tables; the word at +0 holds
   the peer entry being copied + 1 (low 32 bits, 0 between copies) and the copies ended (high
   32 bits). Record i belongs to thread number i of the side's process. */
#define COPIERS 64
#define COPIER_RECORD 64

static inline uint64_t ring_data_bytes(uint32_t r)
{
	return 2ULL * r;
}
static inline uint64_t ring_header_off(int ring, uint32_t r)
{
	return RING_HEADER + (uint64_t)ring * (RING_HEADER + ring_data_bytes(r));
}
static inline uint64_t ring_data_off(int ring, uint32_t r)
{
	return ring_header_off(ring, r) + RING_HEADER;
}
static inline uint64_t window_table_off(int side, uint32_t r)
{
	return 4096 + 2 * (RING_HEADER + ring_data_bytes(r)) + (uint64_t)side * WINDOW_TABLE;
}
static inline uint64_t copiers_off(int side, uint32_t r)
{
	return window_table_off(2, r) + (uint64_t)side * COPIERS * COPIER_RECORD;
}
static inline uint64_t conn_file_size(uint32_t r)
{
	return copiers_off(2, r);
}
static inline uint64_t side_off(int side)
{
	return (uint64_t)C_SIDE_AREA * (1 + side);
}
#endif
