// SPDX-License-Identifier: GPL-2.0
/* Module parameter and rust/ helpers for scst_test_disk. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "../../rust/helpers.c"

static unsigned int size_mb = 16;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "Size of the RAM disk in MiB (1..1024, default 16)");

unsigned int scst_test_disk_size_mb(void);

unsigned int scst_test_disk_size_mb(void)
{
	return size_mb;
}
