/* Declarations shared by the library's files. Nothing here is exported: the build hides
   every symbol but scif_* and scif4j_* (visibility and the version script). */
#ifndef LIBSCIF_INTERNAL_H
#define LIBSCIF_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))

/* ---- configuration (config.c) ---- */
#define CFG_DEFAULT_DIR "/dev/shm/scif4j"
#define CFG_DEFAULT_RING (16u * 1024u * 1024u) /* as the Java transport's: docs/decisions.md */
#define CFG_MIN_RING 4096u
#define CFG_MAX_RING (1u << 30)
#define CFG_DEFAULT_TIMEOUT_MS 5000
#define CFG_MAX_NODES 257
#define CFG_PATH_MAX 512

enum wait_mode { WAIT_ADAPTIVE, WAIT_SPIN, WAIT_YIELD, WAIT_BLOCK };

struct cfg {
	char name[128];
	char dir[CFG_PATH_MAX];
	char fabric_dir[CFG_PATH_MAX + 130];
	int node;
	uint32_t ring;
	long long timeout_ms;
	int dma;
	int privileged;
	enum wait_mode wait;
};

/* cfg_parse's answer for privileged=true in a process that is not root (calls fail with EPERM) */
#define CFG_NOT_PERMITTED (-2)
/* Parses a SCIF_FABRIC value (NULL: the defaults). -1 with a message in err on a bad one,
   CFG_NOT_PERMITTED (and a message) for privileged=true in a process that is not root. */
int cfg_parse(const char *uri, struct cfg *c, char *err, size_t n);

/* ---- the operating system (sys.c) ---- */
int64_t now_ms(void);
int64_t now_ns(void);
/* Start time of a process (field 22 of /proc/PID/stat), -1 if it is gone or a zombie. */
long long proc_start_time(int pid);
/* Whether pid is alive with that start time. */
int proc_alive(int pid, long long start);
/* Whether pid is stopped (state T or t). */
int proc_stopped(int pid);
/* futex on a shared (not private) word; timeout_ns < 0: no limit. */
int futex_wait(volatile uint32_t *addr, uint32_t val, int64_t timeout_ns);
void futex_wake(volatile uint32_t *addr);
/* The sleeper's fence: every thread of every process passes a full barrier. */
void sleeper_fence(void);
void membarrier_register(void);
/* Logs one line to stderr, prefixed "libscif: ". */
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
