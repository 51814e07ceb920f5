// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters and rust/ helpers for iscsi-scst.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/random.h>

#include "../../../rust/helpers.c"

static unsigned int nop_in_interval = 30;
module_param(nop_in_interval, uint, 0644);
MODULE_PARM_DESC(nop_in_interval,
		 "Seconds of silence from an initiator before a NOP-In ping; as long again without an answer ends the connection (0: no pings; read when a connection starts)");

/* In session/mod.rs: read when a connection starts. */
unsigned int iscsi_scst_nop_in_interval(void);
unsigned int iscsi_scst_nop_in_interval(void)
{
	return READ_ONCE(nop_in_interval);
}

static unsigned int data_out_timeout = 20;
module_param(data_out_timeout, uint, 0644);
MODULE_PARM_DESC(data_out_timeout,
		 "Seconds a write may wait for Data-Out without any coming before its connection ends, which fails it (0: no limit; read when a connection starts)");

/* In session/mod.rs: read when a connection starts. */
unsigned int iscsi_scst_data_out_timeout(void);
unsigned int iscsi_scst_data_out_timeout(void)
{
	return READ_ONCE(data_out_timeout);
}

static bool zero_copy = true;
module_param(zero_copy, bool, 0644);
MODULE_PARM_DESC(zero_copy,
		 "Send read data by page reference instead of copying it into the socket (default Y; read per command)");

/* In session/tx.rs, for each command with data to send. */
bool iscsi_scst_zero_copy(void);
bool iscsi_scst_zero_copy(void)
{
	return READ_ONCE(zero_copy);
}

#ifdef CONFIG_SCST_ISCSI_DEBUG_DIGEST_FAILURES
static unsigned int debug_digest_failures = 100000;
module_param(debug_digest_failures, uint, 0644);
MODULE_PARM_DESC(debug_digest_failures,
		 "Treat one in this many received digests as wrong, to exercise recovery (0: none)");
#endif

/* In session/receive.rs: whether to fail a digest that matched (debug builds). */
bool iscsi_scst_simulate_digest_failure(void);
bool iscsi_scst_simulate_digest_failure(void)
{
#ifdef CONFIG_SCST_ISCSI_DEBUG_DIGEST_FAILURES
	unsigned int n = READ_ONCE(debug_digest_failures);

	return n && get_random_u32_below(n) == 0;
#else
	return false;
#endif
}
