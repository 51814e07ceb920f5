// SPDX-License-Identifier: GPL-2.0
/*
 * Bodies of the helpers declared in helpers.h.  Included (not linked) by each
 * module's glue file, so every module gets its own private copy.
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/module.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/proc_fs.h>

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

unsigned int scst_rh_num_online_cpus(void)
{
	return num_online_cpus();
}

unsigned long scst_rh_totalram_mb(void)
{
	return totalram_pages() >> (20 - PAGE_SHIFT);
}
