/* The operating system: time, processes, futexes, membarrier, logging. */
#include "internal.h"
#include "scif4j.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Reads /proc/PID/stat; returns its state letter and start time (field 22). */
static int proc_stat(int pid, char *state, long long *start)
{
	char path[64], buf[1024];
	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return -1;
	*state = p[2];
	p += 2; /* field 3 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	*start = strtoll(p, NULL, 10);
	return 0;
}

long long proc_start_time(int pid)
{
	char st;
	long long start;
	if (proc_stat(pid, &st, &start) || st == 'Z' || st == 'X')
		return -1;
	return start;
}

int proc_alive(int pid, long long start)
{
	long long s = proc_start_time(pid);
	return s >= 0 && s == start;
}

int proc_stopped(int pid)
{
	char st;
	long long start;
	return proc_stat(pid, &st, &start) == 0 && (st == 'T' || st == 't');
}

int futex_wait(volatile uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
	struct timespec ts, *tp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tp = &ts;
	}
	return (int)syscall(SYS_futex, addr, FUTEX_WAIT, val, tp, NULL, 0);
}

void futex_wake(volatile uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

static int membarrier_cmd = -1; /* the command the sleeper's fence uses, 0: none */

void membarrier_register(void)
{
	if (membarrier_cmd >= 0)
		return;
	int have = (int)syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0);
	if (have > 0 && (have & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0) == 0)
		membarrier_cmd = MEMBARRIER_CMD_GLOBAL_EXPEDITED;
	else if (have > 0 && (have & MEMBARRIER_CMD_GLOBAL))
		membarrier_cmd = MEMBARRIER_CMD_GLOBAL;
	else
		membarrier_cmd = 0;
}

void sleeper_fence(void)
{
	if (membarrier_cmd > 0)
		syscall(SYS_membarrier, membarrier_cmd, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The calling thread's last line of logmsg, without its newline: what scif4j_last_message
   hands to the Java transport, whose exception then says why (a thread's own, so no lock). */
static __thread char last_message[1024];

void logmsg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = (int)sizeof buf - 2;
	memcpy(last_message, buf, (size_t)n);
	last_message[n] = '\0';
	buf[n++] = '\n';
	if (write(2, "libscif: ", 9) < 0 || write(2, buf, (size_t)n) < 0)
		return;
}

/* scif4j_last_message: copies the calling thread's last logged line into buf (at most n - 1
   bytes and a NUL); returns its length, 0 when the thread logged nothing. */
API int scif4j_last_message(char *buf, int n)
{
	if (!buf || n <= 0)
		return 0;
	size_t len = strnlen(last_message, sizeof last_message);
	if (len > (size_t)n - 1)
		len = (size_t)n - 1;
	memcpy(buf, last_message, len);
	buf[len] = '\0';
	return (int)len;
}
