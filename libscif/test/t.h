/* A tiny test harness: TEST(name) { ... } registers a test; the runner runs each in its own
   process with its own scratch fabric directory and a time limit, and prints
   "N passed, M failed". */
#ifndef T_H
#define T_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn);
void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
/* The test's scratch directory (the fabric's dir), and a fabric URI for node `node`. */
const char *t_dir(void);
void t_fabric(int node);

#define TEST(name)                                                                         \
	static void test_##name(void);                                                     \
	__attribute__((constructor)) static void reg_##name(void)                         \
	{                                                                                  \
		t_register(#name, test_##name);                                            \
	}                                                                                  \
	static void test_##name(void)

#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c))                                                                  \
			t_fail(__FILE__, __LINE__, "%s (errno %d %s)", #c, errno,          \
			       strerror(errno));                                           \
	} while (0)
#define CHECK_EQ(a, b)                                                                     \
	do {                                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);                        \
		if (a_ != b_)                                                              \
			t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld (errno %d)", \
			       #a, a_, #b, b_, errno);                                     \
	} while (0)
/* A call that must fail with -1 and the given errno. */
#define CHECK_ERR(call, err)                                                               \
	do {                                                                               \
		errno = 0;                                                                 \
		long long r_ = (long long)(call);                                          \
		int e_ = errno;                                                            \
		if (r_ != -1 || e_ != (err))                                               \
			t_fail(__FILE__, __LINE__, "%s returned %lld errno %d (%s), expected -1 errno %d (%s)", \
			       #call, r_, e_, strerror(e_), (err), strerror(err));         \
	} while (0)

#include <sys/types.h>
/* Runs fn(arg) in a child process attached as node (its first SCIF call attaches it; fork
   before this process's own first SCIF call, else the child shares this one's node);
   the child exits 0 when fn returns, 1 when a check fails. */
pid_t t_spawn(int node, void (*fn)(void *), void *arg);
/* Waits for a child and checks that it exited 0. */
void t_join(pid_t pid);
/* A one-way channel between processes of a test (a pipe): ints, blocking. */
struct t_chan {
	int r, w;
};
void t_chan_open(struct t_chan *c);
void t_send_int(struct t_chan *c, int v);
int t_recv_int(struct t_chan *c);
/* A connected pair on this node through a listener on port 1089: a connected, b accepted. */
void t_pair(int *l, int *a, int *b);
#endif
