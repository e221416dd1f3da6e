/* Files of a fabric directory, opened and created with the checks the format requires: a
   name is opened only if it is a regular file of this user (lstat), with O_NOFOLLOW, and the
   open file must be the file the name held (same device and inode); new files are created
   exclusively with mode 0600; deleting removes only regular files and links. */
#include "files.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int check_dir_stat(const char *dir, const struct stat *st, char *why, size_t n)
{
	if (!S_ISDIR(st->st_mode))
		return snprintf(why, n, "%s is not a directory", dir), -1;
	if (st->st_uid != geteuid())
		return snprintf(why, n, "%s belongs to uid %d, not to uid %d", dir, (int)st->st_uid,
				(int)geteuid()), -1;
	if (st->st_mode & S_IWOTH)
		return snprintf(why, n, "anybody may write to %s (mode %o); a fabric directory is 0700",
				dir, (unsigned)(st->st_mode & 07777)), -1;
	return 0;
}

int dir_check(const char *dir, char *why, size_t n)
{
	struct stat st;
	if (lstat(dir, &st))
		return snprintf(why, n, "%s: %s", dir, strerror(errno)), -1;
	return check_dir_stat(dir, &st, why, n);
}

int dir_create(const char *dir, char *why, size_t n)
{
	char parent[FILES_PATH_MAX];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		struct stat st;
		if (stat(parent, &st) || !S_ISDIR(st.st_mode)) {
			if (dir_create(parent, why, n))
				return -1;
		}
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return snprintf(why, n, "cannot create %s: %s", dir, strerror(errno)), -1;
	return dir_check(dir, why, n);
}

int own_name(const char *name)
{
	unsigned long a, b;
	int end = 0;
	if (!strcmp(name, "fabric"))
		return 1;
	if ((sscanf(name, "fabric.new-%lu-%lu%n", &a, &b, &end) == 2 ||
	     sscanf(name, "fabric.dead-%lu-%lu%n", &a, &b, &end) == 2) &&
	    !name[end] && end)
		return 1;
	end = 0;
	if (sscanf(name, "mem-%lu-%lu%n", &a, &b, &end) == 2 && !name[end] && end)
		return 1;
	end = 0;
	if (sscanf(name, "conn-%lu%n", &a, &end) == 1 && end && (!name[end] || !strcmp(name + end, ".tmp")))
		return 1;
	return 0;
}

int file_open_own(const char *path, int flags, char *why, size_t n)
{
	for (int attempt = 0; attempt < 10; attempt++) {
		struct stat a, b;
		if (lstat(path, &a))
			return snprintf(why, n, "%s: %s", path, strerror(errno)), -1;
		if (!S_ISREG(a.st_mode) || a.st_uid != geteuid()) {
			errno = EINVAL;
			return snprintf(why, n, "%s is not a regular file of uid %d", path, (int)geteuid()), -1;
		}
		int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			if (errno == ENOENT)
				return snprintf(why, n, "%s: %s", path, strerror(errno)), -1;
			if (errno == ELOOP)
				continue;
			return snprintf(why, n, "%s: %s", path, strerror(errno)), -1;
		}
		if (fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino && S_ISREG(b.st_mode)) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			return fd;
		}
		close(fd); /* the name changed files in between: again */
	}
	errno = EAGAIN;
	return snprintf(why, n, "%s keeps changing", path), -1;
}

int file_create_excl(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (size && ftruncate(fd, size)) {
		int e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	return fd;
}

int file_delete_own(const char *path)
{
	struct stat st;
	if (lstat(path, &st))
		return -1;
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return -1;
	return unlink(path);
}

int dir_each(const char *dir, int (*fn)(const char *dir, const char *name, void *arg), void *arg)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((r = fn(dir, e->d_name, arg)))
			break;
	}
	closedir(d);
	return r;
}
