/* Runs every registered test in a child process (its own scratch directory, a 30 s limit)
   and prints "N passed, M failed"; exits non-zero when any failed. Arguments, if given,
   select tests by name substring. */
#include "t.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 256
static struct {
	const char *name;
	t_fn fn;
} tests[MAX_TESTS];
static int ntests;
static char dir[512];

void t_register(const char *name, t_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests++].fn = fn;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

const char *t_dir(void)
{
	return dir;
}

void t_fabric(int node)
{
	char uri[700];
	snprintf(uri, sizeof uri, "shm:t?node=%d&dir=%s&timeout=300", node, dir);
	setenv("SCIF_FABRIC", uri, 1);
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[1024];
			snprintf(p, sizeof p, "%s/%s", path, e->d_name);
			struct stat st;
			if (!lstat(p, &st) && S_ISDIR(st.st_mode))
				remove_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(path);
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

/* A runner that was killed (a build cancelled mid-test) could not remove its root: remove the
   roots of runners that are no longer alive, so that a killed run leaves nothing for good. */
static void reclaim_dead_roots(void)
{
	DIR *d = opendir("/dev/shm");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid;
		char rest;
		if (sscanf(e->d_name, "libscif-test-%d%c", &pid, &rest) != 1 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char path[300];
		snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
		remove_tree(path);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	reclaim_dead_roots();
	int passed = 0, failed = 0;
	char root[256];
	snprintf(root, sizeof root, "/dev/shm/libscif-test-%d", (int)getpid());
	if (mkdir(root, 0700)) {
		perror(root);
		return 2;
	}
	for (int i = 0; i < ntests; i++) {
		if (!selected(tests[i].name, argc, argv))
			continue;
		snprintf(dir, sizeof dir, "%s/%s", root, tests[i].name);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			t_fabric(0);
			alarm(30);
			tests[i].fn();
			exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
		kill(-pid, SIGKILL); /* helpers a test left behind */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		/* The fabric directory must be gone when the last process has left. */
		struct stat sb;
		char fdir[600];
		snprintf(fdir, sizeof fdir, "%s/t", dir);
		if (ok && lstat(fdir, &sb) == 0) {
			fprintf(stderr, "  fabric directory %s left behind\n", fdir);
			ok = 0;
		}
		if (ok)
			passed++;
		else
			failed++;
		printf("%-4s %s (%.0f ms)%s\n", ok ? "ok" : "FAIL", tests[i].name, ms,
		       WIFSIGNALED(st) ? (WTERMSIG(st) == SIGALRM ? " timed out" : " killed by a signal") : "");
		remove_tree(dir);
	}
	remove_tree(root);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

pid_t t_spawn(int node, void (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		t_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
	if (pid == 0) {
		t_fabric(node);
		fn(arg);
		exit(0);
	}
	return pid;
}

void t_join(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		t_fail(__FILE__, __LINE__, "waitpid %d: %s", (int)pid, strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail(__FILE__, __LINE__, "child %d failed (status 0x%x)", (int)pid, st);
}

void t_chan_open(struct t_chan *c)
{
	int fds[2];
	if (pipe(fds))
		t_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
	c->r = fds[0];
	c->w = fds[1];
}

void t_send_int(struct t_chan *c, int v)
{
	if (write(c->w, &v, sizeof v) != sizeof v)
		t_fail(__FILE__, __LINE__, "pipe write: %s", strerror(errno));
}

int t_recv_int(struct t_chan *c)
{
	int v;
	if (read(c->r, &v, sizeof v) != sizeof v)
		t_fail(__FILE__, __LINE__, "pipe read: peer gone");
	return v;
}
