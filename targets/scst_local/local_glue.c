// SPDX-License-Identifier: GPL-2.0
/* Module parameters and rust/ helpers for scst_local. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "../../rust/helpers.c"

static unsigned int max_luns = 255;
module_param(max_luns, uint, 0444);
MODULE_PARM_DESC(max_luns, "Number of LUNs the local SCSI host scans (1..16384, default 255)");

static unsigned int num_hosts = 1;
module_param(num_hosts, uint, 0444);
MODULE_PARM_DESC(num_hosts, "Number of local SCSI hosts, each its own initiator (1..64, default 1)");

unsigned int scst_local_num_hosts(void);

unsigned int scst_local_num_hosts(void)
{
	return num_hosts;
}

unsigned int scst_local_max_luns(void);

unsigned int scst_local_max_luns(void)
{
	return max_luns;
}
