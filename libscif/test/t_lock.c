/* The control-plane lock across processes: a holder stopped (SIGSTOP) or killed anywhere in
   a change delays the others by milliseconds only; a committed change is finished by a
   waiter from the holder's redo log; one pre-empted before committing prepares it again. The
   test reads the fabric file itself (its layout is the documented one) to see the effects. */
#include "t.h"
#include <fcntl.h>
#include <pthread.h>
#include <scif.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
/* last: its P_PID is not the one of sys/wait.h */
#include "../src/layout.h"

static const uint8_t *fabric_map(void)
{
	char p[700];
	snprintf(p, sizeof p, "%s/t/fabric", t_dir());
	int fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	void *m = mmap(NULL, FABRIC_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(m != MAP_FAILED);
	return m;
}

static uint32_t u32(const uint8_t *f, uint64_t off)
{
	return __atomic_load_n((const uint32_t *)(f + off), __ATOMIC_ACQUIRE);
}

static int process_slot_of(const uint8_t *f, pid_t pid)
{
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (u32(f, process_off(i) + P_STATE) == P_LIVE && u32(f, process_off(i) + P_PID) == (uint32_t)pid)
			return i;
	return -1;
}

static int endpoints_of(const uint8_t *f, int pslot)
{
	int n = 0;
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		n += u32(f, endpoint_off(i) + E_STATE) != EP_FREE && u32(f, endpoint_off(i) + E_OWNER) == (uint32_t)pslot + 1;
	return n;
}

static struct t_chan go, done;

/* The child: attaches, says so, waits, then opens an endpoint (where it stops or dies) and
   binds and closes it, proving it goes on correctly after SIGCONT. */
static void child_opens(void *arg)
{
	const char *env = arg;
	uint16_t self;
	CHECK_EQ(scif_get_nodeIDs(NULL, 0, &self), 1); /* attached; the test's process is not yet */
	t_send_int(&done, 1);
	t_recv_int(&go);
	putenv((char *)env);
	scif_epd_t e = scif_open();
	CHECK(e >= 0);
	CHECK(scif_bind(e, 0) >= 1089);
	CHECK_EQ(scif_close(e), 0);
	t_send_int(&done, 2);
}

static pid_t start_child(const char *env)
{
	t_chan_open(&go);
	t_chan_open(&done);
	pid_t child = t_spawn(1, child_opens, (void *)env);
	close(done.w); /* so that a child that fails ends our reads */
	CHECK_EQ(t_recv_int(&done), 1);
	uint16_t self; /* this process attaches now, as node 0 (after the fork: see t_spawn) */
	CHECK_EQ(scif_get_nodeIDs(NULL, 0, &self), 2);
	return child;
}

static void await_stopped(pid_t child)
{
	int st;
	CHECK_EQ(waitpid(child, &st, WUNTRACED), child);
	CHECK(WIFSTOPPED(st));
}

TEST(a_change_committed_by_a_stopped_holder_is_finished_by_a_waiter)
{
	pid_t child = start_child("SCIF4J_TEST_STOP_AT=change.committed");
	const uint8_t *f = fabric_map();
	int cslot = process_slot_of(f, child);
	CHECK(cslot >= 0);
	t_send_int(&go, 1);
	await_stopped(child); /* holding the lock, its open committed but not applied */
	CHECK_EQ(endpoints_of(f, cslot), 0);
	scif_epd_t e = scif_open(); /* needs the lock: finishes the child's change first */
	CHECK(e >= 0);
	CHECK_EQ(endpoints_of(f, cslot), 1);
	CHECK_EQ(u32(f, log_off(cslot) + LOG_STATE), LOG_FINISHED);
	CHECK_EQ(scif_bind(e, 1089), 1089);
	kill(child, SIGCONT);
	CHECK_EQ(t_recv_int(&done), 2); /* the child went on, bound and closed */
	t_join(child);
	CHECK_EQ(scif_close(e), 0);
	munmap((void *)f, FABRIC_FILE_SIZE);
}

TEST(a_holder_stopped_before_committing_is_preempted_and_prepares_again)
{
	pid_t child = start_child("SCIF4J_TEST_STOP_AT=lock.held");
	const uint8_t *f = fabric_map();
	int cslot = process_slot_of(f, child);
	t_send_int(&go, 1);
	await_stopped(child);
	scif_epd_t e = scif_open(); /* pre-empts the stopped holder after 2 ms */
	CHECK(e >= 0);
	CHECK_EQ(endpoints_of(f, cslot), 0);
	kill(child, SIGCONT);
	CHECK_EQ(t_recv_int(&done), 2);
	t_join(child);
	CHECK_EQ(endpoints_of(f, cslot), 0);
	CHECK_EQ(scif_close(e), 0);
	munmap((void *)f, FABRIC_FILE_SIZE);
}

TEST(a_holder_killed_half_way_through_applying_is_finished_and_reaped)
{
	pid_t child = start_child("SCIF4J_TEST_CRASH_AT=change.half-applied");
	t_send_int(&go, 1);
	int st;
	CHECK_EQ(waitpid(child, &st, 0), child);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	scif_epd_t e = scif_open(); /* takes over the dead holder's lock, finishes, reaps */
	CHECK(e >= 0);
	uint16_t nodes[4], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	const uint8_t *f = fabric_map();
	int used = 0;
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		used += u32(f, endpoint_off(i) + E_STATE) != EP_FREE;
	CHECK_EQ(used, 1); /* ours only: the dead child's endpoint was reaped */
	CHECK_EQ(scif_close(e), 0);
	munmap((void *)f, FABRIC_FILE_SIZE);
}

/* ---- layout 4: attaching and leaving are logged changes ---- */

/* The child for the attach and detach points: an attach point's variable is set before its
   first SCIF call (which attaches); a detach point's fires at exit, once the test's process
   has attached too. */
static void child_attaches(void *arg)
{
	const char *env = arg;
	int detaching = strstr(env, "detach.") != NULL;
	if (!detaching) {
		t_recv_int(&go);
		putenv((char *)env);
	}
	scif_epd_t e = scif_open();
	CHECK(e >= 0);
	CHECK(scif_bind(e, 0) >= 1089);
	CHECK_EQ(scif_close(e), 0);
	t_send_int(&done, 1);
	if (detaching) {
		putenv((char *)env);
		t_recv_int(&go); /* then exit: the detach stops or dies at the point */
	}
}

static pid_t start_attaching_child(const char *env)
{
	t_chan_open(&go);
	t_chan_open(&done);
	pid_t child = t_spawn(1, child_attaches, (void *)env);
	close(done.w);
	int detaching = strstr(env, "detach.") != NULL;
	if (detaching)
		CHECK_EQ(t_recv_int(&done), 1); /* the child attached first (see t_spawn) */
	uint16_t self;
	CHECK(scif_get_nodeIDs(NULL, 0, &self) >= 1); /* this process attaches now */
	t_send_int(&go, 1);
	return child;
}

static char proc_state(pid_t pid)
{
	char p[64], buf[512];
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	CHECK(f != NULL);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *close_paren = strrchr(buf, ')');
	CHECK(close_paren && close_paren[1] == ' ');
	return close_paren[2];
}

/* This process's control plane while the child is stopped at a point of its attach or detach. */
static void open_bind_close_while_stopped(pid_t child)
{
	scif_epd_t l = scif_open();
	CHECK(l >= 0);
	CHECK_EQ(scif_bind(l, 2000), 2000);
	CHECK_EQ(scif_listen(l, 4), 0);
	scif_epd_t e = scif_open();
	CHECK(e >= 0);
	CHECK_EQ(scif_close(e), 0);
	CHECK_EQ(scif_close(l), 0);
	CHECK_EQ(proc_state(child), 'T'); /* all of it ran while the child was stopped */
}

static void stopped_at(const char *env)
{
	pid_t child = start_attaching_child(env);
	await_stopped(child);
	open_bind_close_while_stopped(child);
	kill(child, SIGCONT);
	if (!strstr(env, "detach."))
		CHECK_EQ(t_recv_int(&done), 1); /* the resumed attach went on */
	t_join(child);
	uint16_t nodes[4], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1); /* the child left cleanly */
	const uint8_t *f = fabric_map();
	CHECK_EQ(process_slot_of(f, child), -1);
	munmap((void *)f, FABRIC_FILE_SIZE);
}

TEST(a_process_stopped_with_its_attach_committed_holds_nobody)
{
	stopped_at("SCIF4J_TEST_STOP_AT=attach.committed");
}

TEST(a_process_stopped_half_way_through_its_attach_holds_nobody)
{
	stopped_at("SCIF4J_TEST_STOP_AT=attach.slot-half-written");
}

TEST(a_process_stopped_once_registered_holds_nobody)
{
	stopped_at("SCIF4J_TEST_STOP_AT=attach.registered");
}

TEST(a_process_stopped_with_its_detach_committed_holds_nobody)
{
	stopped_at("SCIF4J_TEST_STOP_AT=detach.committed");
}

TEST(a_process_stopped_with_its_slot_freed_holds_nobody)
{
	stopped_at("SCIF4J_TEST_STOP_AT=detach.slot-freed");
}

/* kill -9 at every step of the logged changes of attach and detach: this process's next
   call finishes or takes over the dead one's change and reaps it. One test per step: a
   child must fork before this process attaches (see t_spawn). */
static void killed_at(const char *env)
{
	pid_t child = start_attaching_child(env);
	int st;
	CHECK_EQ(waitpid(child, &st, 0), child);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		t_fail(__FILE__, __LINE__, "the child did not die at %s (status 0x%x)", env, st);
	scif_epd_t e = scif_open(); /* takes over or finishes the dead child's change, reaps it */
	CHECK(e >= 0);
	CHECK_EQ(scif_bind(e, 1089), 1089);
	CHECK_EQ(scif_close(e), 0);
	uint16_t nodes[4], self;
	if (scif_get_nodeIDs(nodes, 4, &self) != 1)
		t_fail(__FILE__, __LINE__, "the child killed at %s is still online", env);
	const uint8_t *f = fabric_map();
	CHECK_EQ(process_slot_of(f, child), -1);
	munmap((void *)f, FABRIC_FILE_SIZE);
}

#define KILLED_AT(name, point)                                                             \
	TEST(a_process_killed_at_##name##_is_recovered)                                    \
	{                                                                                  \
		killed_at("SCIF4J_TEST_CRASH_AT=" point);                                  \
	}
KILLED_AT(attach_locked, "attach.locked")
KILLED_AT(attach_committed, "attach.committed")
KILLED_AT(attach_slot_half_written, "attach.slot-half-written")
KILLED_AT(attach_registered, "attach.registered")
KILLED_AT(detach_locked, "detach.locked")
KILLED_AT(detach_committed, "detach.committed")
KILLED_AT(detach_half_applied, "detach.half-applied")
KILLED_AT(detach_slot_freed, "detach.slot-freed")

/* ---- layout 5: reaping is logged changes ---- */

static struct t_chan reaper_go, reaper_done;

static void *connect_to_node_2(void *arg)
{
	struct scif_portID dst = {2, 1089};
	return (void *)(intptr_t)scif_connect(*(scif_epd_t *)arg, &dst);
}

/* The process that dies: a connected pair on its node (2), then it waits to be killed. */
static void child_holds(void *arg)
{
	(void)arg;
	scif_epd_t l = scif_open(), a = scif_open(), b;
	CHECK_EQ(scif_bind(l, 1089), 1089);
	CHECK_EQ(scif_listen(l, 1), 0);
	pthread_t t;
	pthread_create(&t, NULL, connect_to_node_2, &a);
	struct scif_portID peer;
	CHECK_EQ(scif_accept(l, &peer, &b, SCIF_ACCEPT_SYNC), 0);
	void *r;
	pthread_join(t, &r);
	CHECK((intptr_t)r > 0);
	t_send_int(&done, 1);
	t_recv_int(&go); /* never: it is killed */
}

/* The reaper: its attach (its first call, once told) reaps the dead process and stops or dies
   at the point its variable names; resumed, it goes on. */
static void child_reaps(void *arg)
{
	t_recv_int(&reaper_go);
	putenv((char *)arg);
	scif_epd_t e = scif_open();
	CHECK(e >= 0);
	CHECK_EQ(scif_close(e), 0);
	t_send_int(&reaper_done, 2);
}

static uint8_t *fabric_map_rw(void)
{
	char p[700];
	snprintf(p, sizeof p, "%s/t/fabric", t_dir());
	int fd = open(p, O_RDWR);
	CHECK(fd >= 0);
	void *m = mmap(NULL, FABRIC_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(m != MAP_FAILED);
	return m;
}

static int exists_in_fabric(const char *name)
{
	char p[700];
	snprintf(p, sizeof p, "%s/t/%s", t_dir(), name);
	return access(p, F_OK) == 0;
}

/* A process died holding a connected pair (and a memory file); the next to attach reaps it
   and stops (or dies) inside its reaping change. Returns the dead process's slot, with the
   reaper stopped (or dead) there and the dead's endpoints' sleeper and poller counters set
   as threads that died asleep leave them; *dead_pid is set. */
static int reaper_at(const char *env, pid_t *dead_pid, pid_t *reaper, uint8_t **fabric)
{
	t_chan_open(&go);
	t_chan_open(&done);
	t_chan_open(&reaper_go);
	t_chan_open(&reaper_done);
	pid_t dead = t_spawn(2, child_holds, NULL);
	pid_t r = t_spawn(1, child_reaps, (void *)env); /* both forked before this process attaches */
	close(done.w);
	close(reaper_done.w);
	CHECK_EQ(t_recv_int(&done), 1);
	kill(dead, SIGKILL);
	int st;
	CHECK_EQ(waitpid(dead, &st, 0), dead);
	uint8_t *f = fabric_map_rw();
	int dslot = process_slot_of(f, dead);
	CHECK(dslot >= 0);
	CHECK_EQ(endpoints_of(f, dslot), 3);
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		if (u32(f, endpoint_off(i) + E_OWNER) == (uint32_t)dslot + 1 && u32(f, endpoint_off(i) + E_STATE) != EP_FREE) {
			__atomic_store_n((uint32_t *)(f + endpoint_off(i) + E_SLEEPERS), 5, __ATOMIC_SEQ_CST);
			__atomic_store_n((uint32_t *)(f + endpoint_off(i) + E_POLLERS), 3, __ATOMIC_SEQ_CST);
		}
	char mem[700];
	snprintf(mem, sizeof mem, "%s/t/mem-%d-1", t_dir(), (int)dead);
	int fd = open(mem, O_CREAT | O_EXCL | O_WRONLY, 0600); /* what a window of the dead leaves */
	CHECK(fd >= 0);
	close(fd);
	t_send_int(&reaper_go, 1);
	*dead_pid = dead;
	*reaper = r;
	*fabric = f;
	return dslot;
}

/* This process's attach and control plane while the reaper is stopped inside its change: a
   waiter finishes the reaping change from its log (in the dead's log area, naming the
   reaper's pid); then everything of the dead process is gone, and a reaped slot's stale
   counters are zeroed by its next allocation, and only by it. */
static void reaper_stopped_at(const char *env)
{
	pid_t dead, r;
	uint8_t *f;
	int dslot = reaper_at(env, &dead, &r, &f);
	await_stopped(r);
	char mem[64];
	snprintf(mem, sizeof mem, "mem-%d-1", (int)dead);
	CHECK(exists_in_fabric(mem)); /* the reaping change is not applied (whole) yet */
	/* the registering reaper (no slot of its own) committed its log into the dead's area */
	CHECK_EQ(u32(f, log_off(dslot) + LOG_PID), (uint32_t)r);
	CHECK_EQ(u32(f, log_off(dslot) + LOG_STATE), LOG_WRITTEN);
	CHECK_EQ((int32_t)u32(f, H_LOCK), -(int32_t)r);
	scif_epd_t e = scif_open(); /* attaches: finishes the stopped reaper's change first */
	CHECK(e >= 0);
	int ours = process_slot_of(f, getpid()), reaped = 0, mine = 0;
	for (int i = 0; i < MAX_ENDPOINTS; i++) {
		uint64_t ep = endpoint_off(i);
		if (u32(f, ep + E_STATE) == EP_FREE && (u32(f, ep + E_FLAGS) & FLAG_REAPED)) {
			reaped++;
			CHECK_EQ(u32(f, ep + E_SLEEPERS), 5); /* stale until its next allocation */
		} else if (u32(f, ep + E_STATE) != EP_FREE && u32(f, ep + E_OWNER) == (uint32_t)ours + 1) {
			mine++;
			CHECK_EQ(u32(f, ep + E_FLAGS) & FLAG_REAPED, 0);
			CHECK_EQ(u32(f, ep + E_SLEEPERS), 0);
			CHECK_EQ(u32(f, ep + E_POLLERS), 0);
		}
	}
	CHECK_EQ(mine, 1);
	/* three reaped (the first slots: the dead process made the fabric); ours, allocated from
	   the first free slot, is one of them, its counters zeroed: the other two keep theirs */
	CHECK_EQ(reaped, 2);
	open_bind_close_while_stopped(r);
	CHECK_EQ(process_slot_of(f, dead), -1);
	CHECK(!exists_in_fabric(mem));
	uint16_t nodes[4], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1); /* node 2 went offline; the reaper is not attached yet */
	kill(r, SIGCONT);
	CHECK_EQ(t_recv_int(&reaper_done), 2); /* the resumed reaper found its change done, attached */
	t_join(r);
	CHECK_EQ(scif_close(e), 0);
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	munmap(f, FABRIC_FILE_SIZE);
}

TEST(a_reaper_stopped_with_its_reaping_committed_holds_nobody)
{
	reaper_stopped_at("SCIF4J_TEST_STOP_AT=reap.committed");
}

TEST(a_reaper_stopped_half_way_through_its_reaping_holds_nobody)
{
	reaper_stopped_at("SCIF4J_TEST_STOP_AT=reap.half-applied");
}

/* A reaper killed inside its reaping change: this process finishes the change, reaps the
   dead reaper in turn, and every trace of both is gone. */
TEST(a_reaper_killed_half_way_through_its_reaping_is_finished_and_reaped)
{
	pid_t dead, r;
	uint8_t *f;
	reaper_at("SCIF4J_TEST_CRASH_AT=reap.half-applied", &dead, &r, &f);
	int st;
	CHECK_EQ(waitpid(r, &st, 0), r);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	scif_epd_t e = scif_open(); /* takes over the dead reaper's lock, finishes its change */
	CHECK(e >= 0);
	CHECK_EQ(process_slot_of(f, dead), -1);
	CHECK_EQ(process_slot_of(f, r), -1);
	int used = 0;
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		used += u32(f, endpoint_off(i) + E_STATE) != EP_FREE;
	CHECK_EQ(used, 1); /* ours only */
	char mem[64];
	snprintf(mem, sizeof mem, "mem-%d-1", (int)dead);
	CHECK(!exists_in_fabric(mem));
	uint16_t nodes[4], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	CHECK_EQ(scif_close(e), 0);
	munmap(f, FABRIC_FILE_SIZE);
}
