// SPDX-License-Identifier: GPL-2.0
/* Module parameter and rust/ helpers for scst_api_test. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "../../rust/helpers.c"

static int iface_version_delta;
module_param(iface_version_delta, int, 0444);
MODULE_PARM_DESC(iface_version_delta,
		 "Added to the interface version the module claims (non-zero: the core must refuse it)");

static int iface_revision_delta;
module_param(iface_revision_delta, int, 0444);
MODULE_PARM_DESC(iface_revision_delta,
		 "Added to the interface revision the module claims (non-zero: the core must refuse it)");

static char *initiators = "";
module_param(initiators, charp, 0444);
MODULE_PARM_DESC(initiators, "Comma-separated initiator names: one session each");

static bool async_sessions;
module_param(async_sessions, bool, 0444);
MODULE_PARM_DESC(async_sessions, "Register and unregister the sessions asynchronously");

static int tm_func = -1;
module_param(tm_func, int, 0444);
MODULE_PARM_DESC(tm_func, "Task management function each session performs on LUN 0 at load (-1: none)");

static bool abort_done_test;
module_param(abort_done_test, bool, 0444);
MODULE_PARM_DESC(abort_done_test, "ABORT TASK of a command whose response is held, and log the status");

bool scst_api_test_abort_done_test(void);

bool scst_api_test_abort_done_test(void)
{
	return abort_done_test;
}

static bool order_test;
module_param(order_test, bool, 0444);
MODULE_PARM_DESC(order_test, "Send commands with each task attribute to LUN 0 and log the order of the answers");

static bool misuse_test;
module_param(misuse_test, bool, 0444);
MODULE_PARM_DESC(misuse_test, "Break the command protocol like a buggy driver (for CONFIG_SCST_EXTRACHECKS)");

static bool refuse_test;
module_param(refuse_test, bool, 0444);
MODULE_PARM_DESC(refuse_test, "Refuse a command in xmit_response and one in rdy_to_xfer, and log what the core made of them");

bool scst_api_test_refuse_test(void);

bool scst_api_test_refuse_test(void)
{
	return refuse_test;
}

bool scst_api_test_misuse_test(void);

bool scst_api_test_misuse_test(void)
{
	return misuse_test;
}

bool scst_api_test_order_test(void);

bool scst_api_test_order_test(void)
{
	return order_test;
}

bool scst_api_test_async_sessions(void);
int scst_api_test_tm_func(void);

bool scst_api_test_async_sessions(void)
{
	return async_sessions;
}

int scst_api_test_tm_func(void)
{
	return tm_func;
}

const char *scst_api_test_initiators(void);

const char *scst_api_test_initiators(void)
{
	return initiators;
}

int scst_api_test_version_delta(void);
int scst_api_test_revision_delta(void);

int scst_api_test_revision_delta(void)
{
	return iface_revision_delta;
}

int scst_api_test_version_delta(void)
{
	return iface_version_delta;
}
