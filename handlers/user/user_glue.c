// SPDX-License-Identifier: GPL-2.0
/* Module parameters and rust/ helpers for scst_user. */
#include <linux/module.h>

#include "../../rust/helpers.c"

static unsigned int cmd_timeout = 60;
module_param(cmd_timeout, uint, 0644);
MODULE_PARM_DESC(cmd_timeout,
		 "Seconds a device program may keep a command before it fails with HARDWARE ERROR, LOGICAL UNIT COMMUNICATION TIME-OUT (0: no limit; read when a device registers)");

/* In user.rs: read when a device registers. */
unsigned int scst_user_cmd_timeout(void);
unsigned int scst_user_cmd_timeout(void)
{
	return READ_ONCE(cmd_timeout);
}
