// SPDX-License-Identifier: GPL-2.0
/*
 * Bodies of the helpers declared in helpers.h.  Included (not linked) by each
 * module's glue file, so every module gets its own private copy.
 */
#include <linux/sched.h>
#include <linux/kthread.h>
#include <linux/spinlock.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/module.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/proc_fs.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/bottom_half.h>
#include <linux/pid.h>
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/bio.h>
#include <linux/vmalloc.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/shmem_fs.h>
#include <linux/xarray.h>
#include <linux/scatterlist.h>
#include <linux/wait.h>
#include <linux/poll.h>
#include <linux/capability.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/ipv6.h>
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

unsigned int scst_rh_this_cpu(void)
{
	return raw_smp_processor_id();
}

unsigned long scst_rh_jiffies(void)
{
	return jiffies;
}

bool scst_rh_cpu_online(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}

void scst_rh_kthread_bind(struct task_struct *t, unsigned int cpu)
{
	kthread_bind(t, cpu);
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

/*
 * Completes a midlayer command in its submitter's queuecommand.  A queue
 * with one hardware context finishes its requests in the block softirq;
 * raised from a task with bottom halves enabled, that wakes ksoftirqd (a
 * context switch).  With them disabled around scsi_done() the softirq runs
 * right here, at local_bh_enable(), as it would on the way out of an
 * interrupt.
 */
void scst_rh_scsi_done_inline(struct scsi_cmnd *cmd)
{
	if (in_task() && !irqs_disabled()) {
		local_bh_disable();
		scsi_done(cmd);
		local_bh_enable();
	} else {
		scsi_done(cmd);
	}
}

unsigned int scst_rh_noio_save(void)
{
	return memalloc_noio_save();
}

void scst_rh_noio_restore(unsigned int flags)
{
	memalloc_noio_restore(flags);
}

/*
 * The current task's block plug, taken off the task (see sys::unplugged).
 * The block layer sets PF_BLOCK_TS only with a plug to hold the time it
 * caches, and the scheduler then clears that time through current->plug:
 * the cached time goes first, as a reschedule would drop it.
 */
struct blk_plug *scst_rh_plug_detach(void)
{
	struct blk_plug *plug = current->plug;

	if (plug)
		blk_plug_invalidate_ts();
	current->plug = NULL;
	return plug;
}

void scst_rh_plug_restore(struct blk_plug *plug)
{
	current->plug = plug;
}

void scst_rh_io_worker(void)
{
	current->flags |= PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO;
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

struct scatterlist *scst_rh_scsi_sglist(struct scsi_cmnd *cmd)
{
	return scsi_sglist(cmd);
}

unsigned int scst_rh_scsi_sg_count(struct scsi_cmnd *cmd)
{
	return scsi_sg_count(cmd);
}

/* A bitfield: bindgen's accessors are awkward across versions. */
void scst_rh_scsi_host_template_set_may_block(struct scsi_host_template *t)
{
	t->queuecommand_may_block = 1;
}

static struct lock_class_key scst_rh_fq_lock_key;

/*
 * A target's host completes a request inside the completion of the backing
 * device's (BLOCKIO, pass-through), and with a queue per CPU at once, so
 * one queue's flush sequence ends within another's: its flush queues' lock
 * gets a class of its own, as nvme-loop's (blk_mq_hctx_set_fq_lock_class),
 * or lockdep reports recursive locking.
 */
static int scst_rh_device_configure(struct scsi_device *sdev, struct queue_limits *lim)
{
	struct blk_mq_hw_ctx *hctx;
	unsigned long i;

	queue_for_each_hw_ctx(sdev->request_queue, hctx, i)
		blk_mq_hctx_set_fq_lock_class(hctx, &scst_rh_fq_lock_key);
	return 0;
}

void scst_rh_scsi_host_template_set_nested(struct scsi_host_template *t)
{
	t->device_configure = scst_rh_device_configure;
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

/*
 * O_NOATIME: a read done in a submitter (scst_rh_file_rw_bvec_nowait)
 * runs nested in the initiator's I/O, where updating the atime could
 * start a journal transaction inside one of the initiator's file system;
 * and a backing file's atime tells nothing.
 */
struct file *scst_rh_filp_open(const char *path, bool write, bool direct, bool dsync)
{
	int flags = (write ? O_RDWR : O_RDONLY) | O_LARGEFILE | O_NOATIME;

	if (direct)
		flags |= O_DIRECT;
	if (dsync)
		flags |= O_DSYNC;
	return filp_open(path, flags, 0600);
}

long long scst_rh_file_size(struct file *f)
{
	return i_size_read(f->f_mapping->host);
}

bool scst_rh_file_is_bdev(struct file *f)
{
	return S_ISBLK(file_inode(f)->i_mode);
}

bool scst_rh_file_is_dir(struct file *f)
{
	return S_ISDIR(file_inode(f)->i_mode);
}

int scst_rh_punch_hole(struct file *f, long long pos, long long len)
{
	return vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, pos, len);
}

struct file *scst_rh_bdev_open(const char *path, bool write)
{
	blk_mode_t mode = BLK_OPEN_READ | (write ? BLK_OPEN_WRITE : 0);

	return bdev_file_open_by_path(path, mode, NULL, NULL);
}

struct block_device *scst_rh_file_bdev(struct file *f)
{
	return file_bdev(f);
}

unsigned int scst_rh_bdev_logical_block_size(struct block_device *bdev)
{
	return bdev_logical_block_size(bdev);
}

unsigned int scst_rh_bdev_max_sectors(struct block_device *bdev)
{
	return queue_max_sectors(bdev_get_queue(bdev));
}

long long scst_rh_bdev_bytes(struct block_device *bdev)
{
	return bdev_nr_bytes(bdev);
}

bool scst_rh_bdev_discard(struct block_device *bdev)
{
	return bdev_max_discard_sectors(bdev) > 0;
}

int scst_rh_bdev_discard_range(struct block_device *bdev, unsigned long long sector, unsigned long long nr)
{
	return blkdev_issue_discard(bdev, sector, nr, GFP_KERNEL);
}

static blk_opf_t scst_rh_opf(bool write, bool fua)
{
	if (!write)
		return REQ_OP_READ;
	return REQ_OP_WRITE | (fua ? REQ_FUA : 0);
}

struct bio *scst_rh_bio_alloc(struct block_device *bdev, unsigned int nr_vecs, bool write, bool fua)
{
	return bio_alloc(bdev, nr_vecs, scst_rh_opf(write, fua), GFP_KERNEL);
}

/* The next bio of a chain: `bio` is chained to it and submitted. */
struct bio *scst_rh_bio_next(struct bio *bio, struct block_device *bdev, unsigned int nr_vecs, bool write, bool fua)
{
	return blk_next_bio(bio, bdev, nr_vecs, scst_rh_opf(write, fua), GFP_KERNEL);
}

struct page *scst_rh_addr_page(const void *addr)
{
	return is_vmalloc_addr(addr) ? vmalloc_to_page(addr) : virt_to_page(addr);
}

struct page *scst_rh_sg_page(struct scatterlist *sg)
{
	return sg_page(sg);
}

long scst_rh_file_rw_bvec(struct file *f, struct bio_vec *bv, unsigned int n, size_t bytes, long long *pos, bool write)
{
	struct iov_iter iter;

	iov_iter_bvec(&iter, write ? ITER_SOURCE : ITER_DEST, bv, n, bytes);
	return write ? vfs_iter_write(f, &iter, pos, 0) : vfs_iter_read(f, &iter, pos, 0);
}

/*
 * Whether no page of bytes [pos, pos + len) of a tmpfs file is in swap:
 * reading them then waits for no I/O (a hole reads as zeros, no page
 * needed).
 */
static bool scst_rh_shmem_in_memory(struct address_space *m, loff_t pos, size_t len)
{
	XA_STATE(xas, &m->i_pages, pos >> PAGE_SHIFT);
	pgoff_t last = (pos + len - 1) >> PAGE_SHIFT;
	bool in_memory = true;
	void *e;

	rcu_read_lock();
	xas_for_each(&xas, e, last) {
		if (xas_retry(&xas, e))
			continue;
		if (xa_is_value(e)) {
			in_memory = false;
			break;
		}
	}
	rcu_read_unlock();
	return in_memory;
}

/*
 * Whether scst_rh_file_rw_bvec_nowait can read (write): buffered (an
 * O_DIRECT transfer waits for its I/O whatever the flag), not a block
 * device node, whose reads take its inode's lock (nested in a read of the
 * initiator's block device node, lockdep sees that lock class taken
 * twice), on tmpfs or on a file system that honours IOCB_NOWAIT
 * (FMODE_NOWAIT; for writes through the page cache FOP_BUFFER_WASYNC as
 * well: ext4 refuses them); a write not O_DSYNC, which waits for its I/O.
 */
bool scst_rh_file_rw_nowait(struct file *f, bool write)
{
	if ((f->f_flags & O_DIRECT) || S_ISBLK(file_inode(f)->i_mode))
		return false;
	if (write && (!(f->f_mode & FMODE_WRITE) || (f->f_flags & O_DSYNC)))
		return false;
	if (shmem_mapping(f->f_mapping))
		return true;
	return (f->f_mode & FMODE_NOWAIT) && (!write || (f->f_op->fop_flags & FOP_BUFFER_WASYNC));
}

static ssize_t scst_rh_file_rw_iter_nowait(struct file *f, struct iov_iter *iter, size_t bytes, long long *pos, bool write)
{
	struct kiocb kiocb;
	ssize_t r;

	if (f->f_mode & FMODE_NOWAIT) {
		init_sync_kiocb(&kiocb, f);
		kiocb.ki_pos = *pos;
		kiocb.ki_flags |= IOCB_NOWAIT | (write ? 0 : IOCB_NOIO);
		r = write ? vfs_iocb_iter_write(f, &kiocb, iter) : vfs_iocb_iter_read(f, &kiocb, iter);
		if (r > 0)
			*pos = kiocb.ki_pos;
		return r;
	}
	if (shmem_mapping(f->f_mapping) && scst_rh_shmem_in_memory(f->f_mapping, *pos, bytes))
		return write ? vfs_iter_write(f, iter, pos, 0) : vfs_iter_read(f, iter, pos, 0);
	return -EAGAIN;
}

/*
 * A read (write) that waits for no I/O, or -EAGAIN: with IOCB_NOWAIT
 * where the file system honours it, and on tmpfs, which does not, when no
 * page of the range is in swap.  A page swapped out between the check and
 * the transfer is read back in here: slow, but correct.  IOCB_NOIO: a
 * read's miss starts no readahead here (the thread's read does), which
 * would take the mapping's invalidate_lock nested in the initiator's
 * readahead.  Allocations (a write's new pages) start no I/O either: this
 * runs inside the initiator's submit_bio, where a bio submitted for
 * reclaim would only start once we return.
 */
long scst_rh_file_rw_bvec_nowait(struct file *f, struct bio_vec *bv, unsigned int n, size_t bytes, long long *pos, bool write)
{
	struct iov_iter iter;
	unsigned int noio;
	ssize_t r;

	if (!bytes || !scst_rh_file_rw_nowait(f, write))
		return -EAGAIN;
	iov_iter_bvec(&iter, write ? ITER_SOURCE : ITER_DEST, bv, n, bytes);
	noio = memalloc_noio_save();
	r = scst_rh_file_rw_iter_nowait(f, &iter, bytes, pos, write);
	memalloc_noio_restore(noio);
	return r;
}

bool scst_rh_vmalloc_pages_shared(const void *addr, size_t len)
{
	size_t i;

	if (!is_vmalloc_addr(addr))
		return false;
	/* From the end: the network lets the last pages go last. */
	for (i = DIV_ROUND_UP(offset_in_page(addr) + len, PAGE_SIZE); i-- > 0;) {
		const void *p = PTR_ALIGN_DOWN(addr, PAGE_SIZE) + i * PAGE_SIZE;

		if (page_count(vmalloc_to_page(p)) > 1)
			return true;
	}
	return false;
}

int scst_rh_bio_errno(struct bio *bio)
{
	return blk_status_to_errno(bio->bi_status);
}

struct socket *scst_rh_sock_lookup(int fd, int *err)
{
	struct socket *sock = sockfd_lookup(fd, err);

	if (!sock)
		return NULL;
	/*
	 * The iSCSI code uses TCP calls on it (no delay, keepalive, the TCP
	 * state): any other stream socket (SCTP, MPTCP, Unix) is refused.
	 */
	if ((sock->sk->sk_family != AF_INET && sock->sk->sk_family != AF_INET6) ||
	    sock->type != SOCK_STREAM || sock->sk->sk_protocol != IPPROTO_TCP) {
		pr_err("scst: socket fd %d handed over is not TCP over IPv4/IPv6 (family %d, type %d, protocol %d)\n",
		       fd, sock->sk->sk_family, sock->type, sock->sk->sk_protocol);
		sockfd_put(sock);
		*err = -EINVAL;
		return NULL;
	}
	return sock;
}

void scst_rh_sock_put(struct socket *sock)
{
	sockfd_put(sock);
}

/* Receives exactly len bytes; 0 at end of stream, else len or -errno. */
int scst_rh_sock_recv(struct socket *sock, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct kvec iov = { .iov_base = buf + done, .iov_len = len - done };
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
		int rc = kernel_recvmsg(sock, &msg, &iov, 1, len - done, MSG_WAITALL | MSG_NOSIGNAL);

		if (rc <= 0) {
			/* A receive timeout inside a PDU: the peer stalled. */
			if (rc == -EAGAIN && done)
				return -ETIMEDOUT;
			return rc == 0 && done ? -EPIPE : rc;
		}
		done += rc;
	}
	return len;
}

/* Receives wait at most ms milliseconds (0: forever), then give -EAGAIN. */
void scst_rh_sock_set_rcvtimeo(struct socket *sock, unsigned int ms)
{
	lock_sock(sock->sk);
	WRITE_ONCE(sock->sk->sk_rcvtimeo, ms ? (long)msecs_to_jiffies(ms) : MAX_SCHEDULE_TIMEOUT);
	release_sock(sock->sk);
}

void scst_rh_sock_set_sndtimeo(struct socket *sock, unsigned int ms)
{
	lock_sock(sock->sk);
	WRITE_ONCE(sock->sk->sk_sndtimeo, ms ? (long)msecs_to_jiffies(ms) : MAX_SCHEDULE_TIMEOUT);
	release_sock(sock->sk);
}

/* Sends all len bytes; MSG_MORE when more of the same PDU follows. */
int scst_rh_sock_send(struct socket *sock, const void *buf, size_t len, bool more)
{
	size_t done = 0;

	while (done < len) {
		struct kvec iov = { .iov_base = (void *)buf + done, .iov_len = len - done };
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0) };
		int rc = kernel_sendmsg(sock, &msg, &iov, 1, len - done);

		if (rc <= 0)
			return rc ? rc : -EPIPE;
		done += rc;
	}
	return len;
}

/* Sends `bv[0..n]` (`bytes` in all) by page reference. */
static int scst_rh_sock_splice(struct socket *sock, struct bio_vec *bv, unsigned int n, size_t bytes, bool more)
{
	struct msghdr msg = { .msg_flags = MSG_SPLICE_PAGES | MSG_NOSIGNAL | (more ? MSG_MORE : 0) };

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, bytes);
	while (msg_data_left(&msg)) {
		int rc = sock_sendmsg(sock, &msg);

		if (rc <= 0)
			return rc ? rc : -EPIPE;
	}
	return 0;
}

int scst_rh_sock_send_pages(struct socket *sock, const void *buf, size_t len, bool more)
{
	const void *p = buf;
	const void *end = buf + len;

	while (p < end) {
		struct bio_vec bv[16];
		unsigned int n = 0;
		size_t bytes = 0;
		int rc;

		while (n < ARRAY_SIZE(bv) && p + bytes < end && is_vmalloc_addr(p + bytes)) {
			const void *at = p + bytes;
			size_t k = min_t(size_t, end - at, PAGE_SIZE - offset_in_page(at));
			struct page *page = vmalloc_to_page(at);

			if (!sendpage_ok(page))
				break;
			bvec_set_page(&bv[n++], page, k, offset_in_page(at));
			bytes += k;
		}
		if (n) {
			rc = scst_rh_sock_splice(sock, bv, n, bytes, more || p + bytes < end);
		} else {
			/* Not vmalloc memory: a page's worth by copy. */
			bytes = min_t(size_t, end - p, PAGE_SIZE - offset_in_page(p));
			rc = scst_rh_sock_send(sock, p, bytes, more || p + bytes < end);
		}
		if (rc < 0)
			return rc;
		p += bytes;
	}
	return len;
}

void scst_rh_sock_shutdown(struct socket *sock)
{
	kernel_sock_shutdown(sock, SHUT_RDWR);
}

/*
 * Resets the connection (RST) and drops both queues: for a peer that
 * stopped reading, a shutdown would leave its data queued here and its
 * sends blocked on a zero window until the socket is closed.  Only TCP
 * sockets are handed over (scst_rh_sock_lookup).
 */
void scst_rh_sock_abort(struct socket *sock)
{
	tcp_abort(sock->sk, ECONNABORTED);
}

int scst_rh_sock_peer(struct socket *sock, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	int rc = kernel_getpeername(sock, (struct sockaddr *)&ss);

	if (rc < 0)
		return rc;
	return snprintf(buf, len, "%pISpc", &ss);
}

int scst_rh_sock_local(struct socket *sock, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	int rc = kernel_getsockname(sock, (struct sockaddr *)&ss);

	if (rc < 0)
		return rc;
	/* A dual-stack socket's IPv4 peer: show the IPv4 address. */
	if (ss.ss_family == AF_INET6 && ipv6_addr_v4mapped(&in6->sin6_addr)) {
		struct sockaddr_in in4 = {
			.sin_family = AF_INET,
			.sin_port = in6->sin6_port,
			.sin_addr.s_addr = in6->sin6_addr.s6_addr32[3],
		};

		return snprintf(buf, len, "%pISpc", &in4);
	}
	return snprintf(buf, len, "%pISpc", &ss);
}

void scst_rh_sock_nodelay(struct socket *sock)
{
	tcp_sock_set_nodelay(sock->sk);
}

void scst_rh_sock_push(struct socket *sock)
{
	/* Uncorking pushes what MSG_MORE sends left in the queue. */
	tcp_sock_set_cork(sock->sk, false);
}

/* Pass-through requests to real SCSI devices (rust/scsi_exec.rs). */
struct request *scst_rh_pt_alloc(struct scsi_device *sdev, bool write, bool atomic)
{
	return scsi_alloc_request(sdev->request_queue, write ? REQ_OP_DRV_OUT : REQ_OP_DRV_IN,
				  atomic ? BLK_MQ_REQ_NOWAIT : 0);
}

int scst_rh_pt_map(struct request *rq, void *buf, unsigned int len, bool atomic)
{
	return blk_rq_map_kern(rq->q, rq, buf, len, atomic ? GFP_ATOMIC : GFP_KERNEL);
}

struct scsi_cmnd *scst_rh_pt_scmd(struct request *rq)
{
	return blk_mq_rq_to_pdu(rq);
}

unsigned long scst_rh_msecs_to_jiffies(unsigned int ms)
{
	return msecs_to_jiffies(ms);
}

unsigned int scst_rh_sdev_max_bytes(struct scsi_device *sdev)
{
	/* Some hosts (scsi_debug) take UINT_MAX sectors: cap the bytes. */
	return min_t(u64, (u64)queue_max_hw_sectors(sdev->request_queue) << SECTOR_SHIFT, UINT_MAX);
}

unsigned int scst_rh_sdev_max_segments(struct scsi_device *sdev)
{
	return queue_max_segments(sdev->request_queue);
}

void scst_rh_init_waitqueue_head(struct wait_queue_head *wq)
{
	init_waitqueue_head(wq);
}

void scst_rh_wake_up_all(struct wait_queue_head *wq)
{
	wake_up_all(wq);
}

bool scst_rh_wake_up_pollfree(struct wait_queue_head *wq)
{
	if (!waitqueue_active(wq))
		return false;
	__wake_up_pollfree(wq);
	return true;
}

void scst_rh_poll_wait(struct file *file, struct wait_queue_head *wq, struct poll_table_struct *pt)
{
	poll_wait(file, wq, pt);
}

bool scst_rh_file_nonblock(const struct file *file)
{
	return file->f_flags & O_NONBLOCK;
}

bool scst_rh_capable_admin(void)
{
	return capable(CAP_SYS_ADMIN);
}
