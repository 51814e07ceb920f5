// SPDX-License-Identifier: GPL-2.0
/* Module parameters and rust/ helpers for scst_local. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "../../rust/helpers.c"

static unsigned int max_luns = 255;
module_param(max_luns, uint, 0444);
MODULE_PARM_DESC(max_luns, "Number of LUNs the local SCSI host scans (1..16384, default 255)");

unsigned int scst_local_max_luns(void);

unsigned int scst_local_max_luns(void)
{
	return max_luns;
}
