/* Calls not implemented yet fail with EOPNOTSUPP (the README lists them). */
#include "t.h"
#include <scif.h>

TEST(unsupported_calls_fail_with_eopnotsupp)
{
	CHECK_ERR(scif_munmap((void *)4096, 4096), EOPNOTSUPP);
}
