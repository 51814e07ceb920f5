// SPDX-License-Identifier: GPL-2.0
/*
 * The control device /dev/iscsi-scst-ctl and rust/ helpers for iscsi-scst.
 * The ioctl's user memory is copied here, so the Rust side sees only a
 * kernel buffer of the size the command number states.
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

/* In iscsi.rs: handles one control request on a kernel copy of its block. */
int iscsi_scst_ctl_ioctl(unsigned int cmd, void *buf, size_t len);

/* Largest block a control request carries. */
#define CTL_MAX_BLOCK 4096

static long ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	size_t len = _IOC_SIZE(cmd);
	void *buf;
	int rc;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (len == 0 || len > CTL_MAX_BLOCK)
		return -ENOTTY;
	buf = kzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(buf, (void __user *)arg, len)) {
		rc = -EFAULT;
		goto out;
	}
	rc = iscsi_scst_ctl_ioctl(cmd, buf, len);
	if (rc >= 0 && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user((void __user *)arg, buf, len))
		rc = -EFAULT;
out:
	kfree(buf);
	return rc;
}

static const struct file_operations ctl_fops = {
	/* An open control device keeps the module loaded. */
	.owner = THIS_MODULE,
	.unlocked_ioctl = ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iscsi-scst-ctl",
	.fops = &ctl_fops,
	.mode = 0600,
};

int iscsi_scst_ctl_register(void);
void iscsi_scst_ctl_unregister(void);

int iscsi_scst_ctl_register(void)
{
	return misc_register(&ctl_dev);
}

void iscsi_scst_ctl_unregister(void)
{
	misc_deregister(&ctl_dev);
}
