/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel headers the 6.12 `kernel` crate does not cover, for our own bindgen
 * run (rust/gen-bindings).  Only code under rust/ may use the result.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/completion.h>
#include <linux/crc32c.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/proc_fs.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <net/sock.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_driver.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_tcq.h>

#include "helpers.h"

/* Constants bindgen cannot see through macros. */
const int SCST_RH_TASK_RUNNING = TASK_RUNNING;
const int SCST_RH_TASK_INTERRUPTIBLE = TASK_INTERRUPTIBLE;
const int SCST_RH_NUMA_NO_NODE = NUMA_NO_NODE;
const int SCST_RH_SCSI_SUCCESS = SUCCESS;
const int SCST_RH_SCSI_FAILED = FAILED;
const int SCST_RH_DID_RESET = DID_RESET;
const int SCST_RH_DMA_TO_DEVICE = DMA_TO_DEVICE;
const int SCST_RH_DMA_FROM_DEVICE = DMA_FROM_DEVICE;
const int SCST_RH_DMA_BIDIRECTIONAL = DMA_BIDIRECTIONAL;
const int SCST_RH_SCSI_SENSE_BUFFERSIZE = SCSI_SENSE_BUFFERSIZE;
