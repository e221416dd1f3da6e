/* The fabric directory: another layout version, foreign files, URIs, leaving. */
#include "t.h"
#include <fcntl.h>
#include <scif.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static void make_fabric_dir(char *dir, size_t n)
{
	snprintf(dir, n, "%s/t", t_dir());
	CHECK(mkdir(t_dir(), 0700) == 0 || errno == EEXIST);
	CHECK(mkdir(dir, 0700) == 0);
}

static void refused(uint32_t version, off_t size)
{
	char dir[600], path[700];
	make_fabric_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/fabric", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	CHECK(fd >= 0);
	uint64_t magic = 0x4246344A46494353ULL;
	CHECK(pwrite(fd, &magic, 8, 0) == 8 && pwrite(fd, &version, 4, 8) == 4);
	CHECK(ftruncate(fd, size) == 0);
	close(fd);
	CHECK_ERR(scif_open(), EINVAL);
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
}

TEST(a_fabric_file_of_another_layout_version_is_refused_with_einval)
{
	refused(2, 1085440);
}

/* Layout 5: the same fabric file, but connection files without copier records. */
TEST(a_layout_5_fabric_file_is_refused_with_einval)
{
	refused(5, 3182592);
}

TEST(a_foreign_file_in_the_fabric_directory_is_refused_with_einval)
{
	char dir[600], path[700];
	make_fabric_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/notes.txt", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(scif_get_nodeIDs(NULL, 0, NULL), EINVAL);
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
}

TEST(uri_options_are_checked_as_the_java_side_checks_them)
{
	static const char *const bad[] = {
		"tcp:x?node=1", "shm:x?node=-1", "shm:x?ring=5000", "shm:x?ring=1024",
		"shm:x?dir=relative", "shm:x?wait=often", "shm:x?colour=red", "shm:x?node=1&node=2",
		"shm:../x", "shm:x?timeout=0", "shm:x?node",
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			setenv("SCIF_FABRIC", bad[i], 1);
			_exit(scif_open() == -1 && errno == EINVAL ? 0 : 1);
		}
		t_join(pid);
	}
}

TEST(privileged_without_root_is_refused_with_eperm_as_on_the_java_side)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && setuid(65534) != 0) /* nobody */
			_exit(2);
		setenv("SCIF_FABRIC", "shm:x?privileged=true", 1);
		_exit(scif_open() == -1 && errno == EPERM ? 0 : 1);
	}
	t_join(pid);
}

TEST(a_process_leaves_the_fabric_at_exit_and_the_last_removes_it)
{
	pid_t pid = fork();
	if (pid == 0) {
		t_fabric(3);
		scif_epd_t e = scif_open();
		_exit(e >= 0 && scif_bind(e, 0) > 0 ? 0 : 1); /* _exit: no exit handlers */
	}
	t_join(pid); /* left behind a live-looking fabric: the next attach reaps it */
	uint16_t nodes[4], self;
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	pid = fork();
	if (pid == 0) {
		t_fabric(3);
		exit(scif_open() >= 0 ? 0 : 1); /* exit: leaves, closing its endpoint */
	}
	t_join(pid);
	CHECK_EQ(scif_get_nodeIDs(nodes, 4, &self), 1);
	CHECK_EQ(nodes[0], 0);
}
