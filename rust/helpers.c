// SPDX-License-Identifier: GPL-2.0
/*
 * Bodies of the helpers declared in helpers.h.  Included (not linked) by each
 * module's glue file, so every module gets its own private copy.
 */
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/sched/task.h>
#include <linux/module.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/proc_fs.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/pid.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_device.h>

#include "helpers.h"

void *scst_rh_pde_data(const struct inode *inode)
{
	return pde_data(inode);
}

void scst_rh_set_current_state(int state)
{
	set_current_state(state);
}

void scst_rh_get_task_struct(struct task_struct *t)
{
	get_task_struct(t);
}

void scst_rh_put_task_struct(struct task_struct *t)
{
	put_task_struct(t);
}

const char *scst_rh_module_name(struct module *m)
{
	return m ? module_name(m) : "(built-in)";
}

bool scst_rh_try_module_get(struct module *m)
{
	return try_module_get(m);
}

void scst_rh_module_put(struct module *m)
{
	module_put(m);
}

unsigned int scst_rh_num_online_cpus(void)
{
	return num_online_cpus();
}

unsigned long scst_rh_totalram_mb(void)
{
	return totalram_pages() >> (20 - PAGE_SHIFT);
}

/*
 * Whether the caller certainly may not sleep.  Without CONFIG_PREEMPT_COUNT a
 * held spinlock is invisible, so this can miss cases; it never errs the other
 * way.
 */
bool scst_rh_atomic_context(void)
{
	return in_interrupt() || irqs_disabled() ||
	       (IS_ENABLED(CONFIG_PREEMPT_COUNT) && in_atomic());
}

int scst_rh_current_pid(void)
{
	return task_pid_nr(current);
}

void *scst_rh_shost_priv(struct Scsi_Host *shost)
{
	return shost_priv(shost);
}

unsigned int scst_rh_scsi_bufflen(struct scsi_cmnd *cmd)
{
	return scsi_bufflen(cmd);
}

void scst_rh_scsi_set_resid(struct scsi_cmnd *cmd, unsigned int resid)
{
	scsi_set_resid(cmd, resid);
}

int scst_rh_scsi_sg_copy_from_buffer(struct scsi_cmnd *cmd, const void *buf, int len)
{
	return scsi_sg_copy_from_buffer(cmd, buf, len);
}

int scst_rh_scsi_sg_copy_to_buffer(struct scsi_cmnd *cmd, void *buf, int len)
{
	return scsi_sg_copy_to_buffer(cmd, buf, len);
}

/* A bitfield: bindgen's accessors are awkward across versions. */
void scst_rh_scsi_host_template_set_may_block(struct scsi_host_template *t)
{
	t->queuecommand_may_block = 1;
}

/* A class interface of the SCSI device class sees the class device, whose
 * parent is the scsi_device's generic device. */
struct scsi_device *scst_rh_class_dev_to_sdev(struct device *dev)
{
	return to_scsi_device(dev->parent);
}

unsigned long scst_rh_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void scst_rh_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}
