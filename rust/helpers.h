/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for static inline functions and macros that Rust cannot call
 * directly.  Definitions are in helpers.c, which each module compiles into
 * itself through its own glue file (a shared object linked into several
 * modules makes Kbuild warn).  The names are module-local: never exported.
 */
#ifndef SCST_RUST_HELPERS_H
#define SCST_RUST_HELPERS_H

struct task_struct;
struct inode;
struct Scsi_Host;
struct scsi_cmnd;
struct scsi_host_template;
struct scsi_device;
struct device;
struct file;
struct block_device;
struct bio;
struct socket;
struct scatterlist;
struct page;
struct bio_vec;
#include <linux/spinlock_types.h>
#include <linux/types.h>

void *scst_rh_pde_data(const struct inode *inode);

void scst_rh_set_current_state(int state);
void scst_rh_get_task_struct(struct task_struct *t);
void scst_rh_put_task_struct(struct task_struct *t);

struct module;
const char *scst_rh_module_name(struct module *m);
bool scst_rh_try_module_get(struct module *m);
void scst_rh_module_put(struct module *m);
unsigned int scst_rh_num_online_cpus(void);
/* The CPU the caller runs on (a hint once preemption is possible). */
unsigned int scst_rh_this_cpu(void);
unsigned long scst_rh_jiffies(void);
bool scst_rh_cpu_online(unsigned int cpu);
/* Binds a created, not yet woken thread to `cpu`. */
void scst_rh_kthread_bind(struct task_struct *t, unsigned int cpu);
unsigned long scst_rh_totalram_mb(void);
bool scst_rh_atomic_context(void);
int scst_rh_current_pid(void);
void scst_rh_scsi_done_inline(struct scsi_cmnd *cmd);
unsigned int scst_rh_noio_save(void);
void scst_rh_noio_restore(unsigned int flags);
struct blk_plug *scst_rh_plug_detach(void);
void scst_rh_plug_restore(struct blk_plug *plug);
/* The current task does I/O for a block device (as the loop driver's workers). */
void scst_rh_io_worker(void);
void *scst_rh_shost_priv(struct Scsi_Host *shost);
unsigned int scst_rh_scsi_bufflen(struct scsi_cmnd *cmd);
void scst_rh_scsi_set_resid(struct scsi_cmnd *cmd, unsigned int resid);
int scst_rh_scsi_sg_copy_from_buffer(struct scsi_cmnd *cmd, const void *buf, int len);
int scst_rh_scsi_sg_copy_to_buffer(struct scsi_cmnd *cmd, void *buf, int len);
struct scatterlist *scst_rh_scsi_sglist(struct scsi_cmnd *cmd);
unsigned int scst_rh_scsi_sg_count(struct scsi_cmnd *cmd);
void scst_rh_scsi_host_template_set_may_block(struct scsi_host_template *t);
void scst_rh_scsi_host_template_set_nested(struct scsi_host_template *t);
struct scsi_device *scst_rh_class_dev_to_sdev(struct device *dev);

unsigned long scst_rh_spin_lock_irqsave(spinlock_t *lock);
void scst_rh_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);

/* Files and block devices (rust/file.rs, rust/blockio.rs). */
struct file *scst_rh_filp_open(const char *path, bool write, bool direct, bool dsync);
long long scst_rh_file_size(struct file *f);
bool scst_rh_file_is_bdev(struct file *f);
bool scst_rh_file_is_dir(struct file *f);
int scst_rh_punch_hole(struct file *f, long long pos, long long len);
struct file *scst_rh_bdev_open(const char *path, bool write);
struct block_device *scst_rh_file_bdev(struct file *f);
unsigned int scst_rh_bdev_logical_block_size(struct block_device *bdev);
unsigned int scst_rh_bdev_max_sectors(struct block_device *bdev);
long long scst_rh_bdev_bytes(struct block_device *bdev);
bool scst_rh_bdev_discard(struct block_device *bdev);
int scst_rh_bdev_discard_range(struct block_device *bdev, unsigned long long sector, unsigned long long nr);
struct bio *scst_rh_bio_alloc(struct block_device *bdev, unsigned int nr_vecs, bool write, bool fua);
struct bio *scst_rh_bio_next(struct bio *bio, struct block_device *bdev, unsigned int nr_vecs, bool write, bool fua);
/* The page of kernel address `addr` (kmalloc or vmalloc memory). */
struct page *scst_rh_addr_page(const void *addr);
/* Scatter-gather entries (rust/sg.rs). */
struct page *scst_rh_sg_page(struct scatterlist *sg);
/* Reads into (or, with `write`, writes from) the `n` pages of `bv`,
 * `bytes` in all, at `*pos` of `f`, which advances; the bytes moved or a
 * negative errno. */
long scst_rh_file_rw_bvec(struct file *f, struct bio_vec *bv, unsigned int n, size_t bytes, long long *pos, bool write);
bool scst_rh_file_rw_nowait(struct file *f, bool write);
long scst_rh_file_rw_bvec_nowait(struct file *f, struct bio_vec *bv, unsigned int n, size_t bytes, long long *pos, bool write);
/* Whether a page of the vmalloc memory `addr..addr+len` has a reference
 * besides its owner's (the network still holds it). */
bool scst_rh_vmalloc_pages_shared(const void *addr, size_t len);
int scst_rh_bio_errno(struct bio *bio);

/* TCP sockets handed over by user space (rust/socket.rs). */
struct socket *scst_rh_sock_lookup(int fd, int *err);
void scst_rh_sock_put(struct socket *sock);
int scst_rh_sock_recv(struct socket *sock, void *buf, size_t len);
void scst_rh_sock_set_rcvtimeo(struct socket *sock, unsigned int ms);
void scst_rh_sock_set_sndtimeo(struct socket *sock, unsigned int ms);
void scst_rh_sock_abort(struct socket *sock);
int scst_rh_sock_send(struct socket *sock, const void *buf, size_t len, bool more);
/* Sends vmalloc memory by page reference, without a copy (other memory is
 * copied); the pages must not be rewritten while the network holds them
 * (scst_rh_vmalloc_pages_shared). */
int scst_rh_sock_send_pages(struct socket *sock, const void *buf, size_t len, bool more);
void scst_rh_sock_shutdown(struct socket *sock);
int scst_rh_sock_peer(struct socket *sock, char *buf, size_t len);
/* The local address (IPv4-mapped shown as IPv4), "%pISpc" form. */
int scst_rh_sock_local(struct socket *sock, char *buf, size_t len);
void scst_rh_sock_nodelay(struct socket *sock);
/* Sends what earlier MSG_MORE sends left queued. */
void scst_rh_sock_push(struct socket *sock);

/* Pass-through requests (rust/scsi_exec.rs). */
struct request;
struct request *scst_rh_pt_alloc(struct scsi_device *sdev, bool write, bool atomic);
int scst_rh_pt_map(struct request *rq, void *buf, unsigned int len, bool atomic);
struct scsi_cmnd *scst_rh_pt_scmd(struct request *rq);
unsigned long scst_rh_msecs_to_jiffies(unsigned int ms);
unsigned int scst_rh_sdev_max_bytes(struct scsi_device *sdev);
unsigned int scst_rh_sdev_max_segments(struct scsi_device *sdev);

/* Wait queues and poll (rust/waitq.rs, rust/miscdev.rs). */
struct wait_queue_head;
struct poll_table_struct;
void scst_rh_init_waitqueue_head(struct wait_queue_head *wq);
void scst_rh_wake_up_all(struct wait_queue_head *wq);
/* Detaches pollers before the head is freed; true if there were any. */
bool scst_rh_wake_up_pollfree(struct wait_queue_head *wq);
void scst_rh_poll_wait(struct file *file, struct wait_queue_head *wq, struct poll_table_struct *pt);
bool scst_rh_file_nonblock(const struct file *file);
bool scst_rh_capable_admin(void);

#endif
