/* What fabric.c, fabric_attach.c, fabric_directory.c, process_table.c and reaper.c share
   (fabric.h is the rest of the library's view): the attach protocol, the fabric directory's
   files, the process table's writes, and the watchdog's start and stop. */
#ifndef LIBSCIF_FABRIC_INTERNAL_H
#define LIBSCIF_FABRIC_INTERNAL_H
#include "fabric.h"

/* ---- fabric_attach.c: finding or creating the fabric, and registering ---- */
/* Steps 1-7 of docs/shm-format.md's lifecycle. 0: attached (fab.base mapped, fab.slot
   ours); else the errno every SCIF call fails with, having logged why. */
int fabric_attach(void);

/* ---- fabric_directory.c: the fabric directory's files ---- */
/* 1 if the directory holds a name that is not a scif4j file's, written with advice into why
   (600 bytes at least); else 0. */
int directory_foreign(char *why);
/* Removes the private names (fabric.new-*, fabric.dead-*) that dead attachers left. */
void directory_remove_dead_temps(void);
/* Step 6: removes what an earlier fabric of the same name left (connections, dead pids'
   memory files). The first process registering does it, in a direct change. */
void directory_remove_stale(void);
/* The fabric was closed: removes every file but fabric, then renames fabric away and
   removes it. Caller holds the lock. */
void directory_remove_files_locked(void);
/* Removes the (empty) fabric directory, and its parent if it is a scif4j directory. */
void directory_remove(void);

/* ---- process_table.c: the process table's slots (writes as part of the pending change) ---- */
long long slot_start_time(int slot);
int live_processes(void);
/* The lowest slot that is not LIVE, -1 if the table is full. */
int process_slot_find_free(void);
/* Registers this process (fab.pid, fab.start, node fab.cfg.node) in slot: state LIVE last. */
void process_slot_take(int slot);
/* Frees a slot: state free first, then pid, start time and nodes. */
void process_slot_free(int slot);
/* Takes the slot's nodes offline. */
void process_slot_clear_nodes(int slot);
/* Refreshes the slot's heartbeat (a plain word, outside any change). */
void process_heartbeat(int slot);

/* ---- reaper.c: the watchdog ---- */
void reaper_start(void);
/* Stops the watchdog and waits for it (at detach). */
void reaper_stop(void);
#endif
