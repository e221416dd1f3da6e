/* Test points (as the Java side's crash points): SCIF4J_TEST_CRASH_AT=NAME ends the process
   there as kill -9 would, SCIF4J_TEST_STOP_AT=NAME stops it there once (SIGSTOP). Only
   holds of a registered process count (not the attach's own), but for the attach's named
   points ("attach.*") and the reaping's ("reap.*", which an attach does too). The names are
   docs/shm-format.md's lifecycle steps. */
#include "fabric.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void test_point(const char *name)
{
	static int stopped;
	if (fab.slot < 0 && strncmp(name, "attach.", 7) && strncmp(name, "reap.", 5))
		return;
	const char *crash = getenv("SCIF4J_TEST_CRASH_AT"), *stop = getenv("SCIF4J_TEST_STOP_AT");
	if (crash && !strcmp(crash, name))
		raise(SIGKILL);
	if (stop && !stopped && !strcmp(stop, name)) {
		stopped = 1;
		raise(SIGSTOP);
	}
}
