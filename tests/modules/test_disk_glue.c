// SPDX-License-Identifier: GPL-2.0
/* Module parameter and rust/ helpers for scst_test_disk. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "../../rust/helpers.c"

static unsigned int size_mb = 16;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "Size of the RAM disk in MiB (1..1024, default 16)");

static unsigned int devices = 1;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices, "Number of devices, testdisk0.. (1..4, default 1)");

unsigned int scst_test_disk_devices(void);

unsigned int scst_test_disk_devices(void)
{
	return devices;
}

static bool broken_reads;
module_param(broken_reads, bool, 0644);
MODULE_PARM_DESC(broken_reads, "READs promise to fill their buffer and fill nothing (a buggy handler; changeable at run time)");

bool scst_test_disk_broken_reads(void);

bool scst_test_disk_broken_reads(void)
{
	return READ_ONCE(broken_reads);
}

static unsigned int delay_ms;
module_param(delay_ms, uint, 0644);
MODULE_PARM_DESC(delay_ms, "Complete commands asynchronously after this many ms (0 at load = synchronously; changeable at run time)");

unsigned int scst_test_disk_delay_ms(void);

unsigned int scst_test_disk_delay_ms(void)
{
	return READ_ONCE(delay_ms);
}

unsigned int scst_test_disk_size_mb(void);

unsigned int scst_test_disk_size_mb(void)
{
	return size_mb;
}
