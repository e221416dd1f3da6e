/* The fabric directory: another layout version, foreign files, URIs, leaving. */
#include "../src/scif4j.h"
#include "t.h"
#include <fcntl.h>
#include <scif.h>
#include <stdint.h>
#include <string.h>
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

/* Each bad value is refused with EINVAL, and scif4j_last_message (what the Java transport puts
   into its exception) says what was wrong: it names the part of the URI at fault. */
TEST(uri_options_are_checked_as_the_java_side_checks_them)
{
	static const char *const bad[][2] = {
		{"tcp:x?node=1", "not an shm: fabric"}, {"shm:x?node=-1", "node=-1"},
		{"shm:x?ring=5000", "ring=5000"}, {"shm:x?ring=1024", "ring=1024"},
		{"shm:x?dir=relative", "dir=relative"}, {"shm:x?wait=often", "wait=often"},
		{"shm:x?colour=red", "colour"}, {"shm:x?node=1&node=2", "given twice"},
		{"shm:../x", "fabric name"}, {"shm:x?timeout=0", "timeout=0"}, {"shm:x?node", "'node' has no value"},
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			setenv("SCIF_FABRIC", bad[i][0], 1);
			if (scif_open() != -1 || errno != EINVAL)
				_exit(1);
			char m[700];
			int n = scif4j_last_message(m, sizeof m);
			if (n <= 0 || !strstr(m, bad[i][1]) || strlen(m) != (size_t)n) {
				fprintf(stderr, "%s: last message '%s' does not contain '%s'\n", bad[i][0], m, bad[i][1]);
				_exit(1);
			}
			_exit(0);
		}
		t_join(pid);
	}
}

/* A thread that logged nothing has no last message; a short buffer gets a cut, terminated copy. */
TEST(the_last_message_is_the_calling_threads_own)
{
	pid_t pid = fork();
	if (pid == 0) {
		char m[8] = "unset";
		if (scif4j_last_message(m, sizeof m) != 0 || m[0] != '\0')
			_exit(1);
		setenv("SCIF_FABRIC", "shm:x?wait=often", 1);
		if (scif_open() != -1)
			_exit(2);
		if (scif4j_last_message(m, sizeof m) != 7 || strlen(m) != 7)
			_exit(3);
		_exit(scif4j_last_message(NULL, 4) == 0 ? 0 : 4);
	}
	t_join(pid);
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
