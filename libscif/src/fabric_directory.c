/* A fabric directory's files (docs/shm-format.md, "Files in a fabric directory"): the names
   of connection and memory files, what an earlier fabric or a dead process leaves behind
   and when it goes, and the last process's removal of everything. Nothing here removes a
   name the protocol did not make (files.c opens and removes only this user's regular files). */
#include "fabric_internal.h"
#include "files.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void conn_file_path(char *buf, size_t n, uint64_t id)
{
	snprintf(buf, n, "%s/conn-%llu", fab.cfg.fabric_dir, (unsigned long long)id);
}

void delete_conn_file(uint64_t id)
{
	char p[FILES_PATH_MAX];
	conn_file_path(p, sizeof p, id);
	file_delete_own(p);
}

static int delete_mem_of(const char *dir, const char *name, void *arg)
{
	char pre[32];
	snprintf(pre, sizeof pre, "mem-%d-", *(int *)arg);
	if (!strncmp(name, pre, strlen(pre))) {
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, name);
		file_delete_own(p);
	}
	return 0;
}

void delete_mem_files(int pid, long long start)
{
	for (int i = 0; i < MAX_PROCESSES; i++)
		if (is_live_slot(i) && get32(process_off(i) + P_PID) == (uint32_t)pid && slot_start_time(i) != start)
			return; /* a newer process has the pid now: the files are its own */
	dir_each(fab.cfg.fabric_dir, delete_mem_of, &pid);
}

static int refuse_foreign(const char *dir, const char *name, void *arg)
{
	(void)dir;
	if (own_name(name))
		return 0;
	snprintf((char *)arg, 600, "fabric directory %s holds %s, which is not a scif4j file; a fabric "
				   "directory must hold only its own files: remove it, or choose another "
				   "fabric name or dir=", fab.cfg.fabric_dir, name);
	return 1;
}

int directory_foreign(char *why)
{
	return dir_each(fab.cfg.fabric_dir, refuse_foreign, why) > 0;
}

static int remove_dead_temp(const char *dir, const char *name, void *arg)
{
	(void)arg;
	unsigned long pid, n;
	int end = 0;
	if ((sscanf(name, "fabric.new-%lu-%lu%n", &pid, &n, &end) == 2 ||
	     sscanf(name, "fabric.dead-%lu-%lu%n", &pid, &n, &end) == 2) &&
	    !name[end] && proc_start_time((int)pid) < 0) {
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, name);
		file_delete_own(p);
	}
	return 0;
}

void directory_remove_dead_temps(void)
{
	dir_each(fab.cfg.fabric_dir, remove_dead_temp, NULL);
}

static int remove_stale(const char *dir, const char *name, void *arg)
{
	(void)arg;
	unsigned long a, b;
	int end = 0;
	char p[FILES_PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (sscanf(name, "conn-%lu%n", &a, &end) == 1 && end)
		file_delete_own(p);
	else if (sscanf(name, "mem-%lu-%lu%n", &a, &b, &end) == 2 && !name[end] &&
		 proc_start_time((int)a) < 0)
		file_delete_own(p);
	return 0;
}

void directory_remove_stale(void)
{
	dir_each(fab.cfg.fabric_dir, remove_stale, NULL);
}

static int remove_all_but_fabric(const char *dir, const char *name, void *arg)
{
	(void)arg;
	if (own_name(name) && strcmp(name, "fabric")) {
		char p[FILES_PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, name);
		file_delete_own(p);
	}
	return 0;
}

static void rename_and_delete(void)
{
	char from[FILES_PATH_MAX], to[FILES_PATH_MAX];
	snprintf(from, sizeof from, "%s/fabric", fab.cfg.fabric_dir);
	snprintf(to, sizeof to, "%s/fabric.dead-%d-%lld", fab.cfg.fabric_dir, (int)getpid(),
		 (long long)now_ns());
	if (rename(from, to) == 0)
		unlink(to);
}

void directory_remove_files_locked(void)
{
	dir_each(fab.cfg.fabric_dir, remove_all_but_fabric, NULL);
	rename_and_delete();
}

void directory_remove(void)
{
	if (rmdir(fab.cfg.fabric_dir))
		return;
	char parent[FILES_PATH_MAX];
	snprintf(parent, sizeof parent, "%s", fab.cfg.fabric_dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash > parent) {
		*slash = 0;
		const char *base = strrchr(parent, '/');
		if (base && !strcmp(base + 1, "scif4j"))
			rmdir(parent);
	}
}
