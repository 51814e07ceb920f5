// SPDX-License-Identifier: GPL-2.0

//! A device served by a program: its handler (one registration per
//! device, named after it, as SCST does), the jobs it hands the program
//! and the replies it takes back.
//!
//! Data moves by copy between the core's buffer and the program's: for
//! a WRITE the program first gets ALLOC_MEM, names a buffer and the data
//! is copied there before EXEC; a READ's EXEC reply names the buffer the
//! data is copied from.  No user page is held past the ioctl that copies.
//!
//! Lock order: `UserDev::q` (a spinlock) is innermost; nothing calls the
//! core or touches user memory with it held.

use crate::abi::*;
use crate::queue::{Handle, Queue, Stale};
use crate::scsi::extent;
use crate::scst_rs::api::cmd::{Context, Direction};
use crate::scst_rs::api::handler::*;
use crate::scst_rs::kthread;
use crate::scst_rs::miscdev::Ioctl;
use crate::scst_rs::ratelimit::Ratelimit;
use crate::scst_rs::scsi::sense::{SenseKey, Status};
use crate::scst_rs::scsi::Sense;
use crate::scst_rs::waitq::{WaitQueue, Woken};
use crate::wire::{self, ExecReply, Payload, Reply};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::{
    new_mutex, new_spinlock,
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow, Mutex, SpinLock},
    uaccess::UserSlice,
};

/// The program died or closed the device with the command in hand.
const GONE: Sense = Sense::new(SenseKey::HARDWARE_ERROR, 0x08, 0x00);
/// The program did not answer the command in time.
const TIMED_OUT: Sense = Sense::new(SenseKey::HARDWARE_ERROR, 0x08, 0x01);

/// Where a SCSI command is in its exchange with the program.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Asking for a buffer for the data to write.
    AllocMem,
    /// Asking for the command to be executed.
    Exec,
}

/// A SCSI command in the program's hands.
pub(crate) struct ScsiJob {
    cmd: Cmd,
    step: Step,
    /// The program's buffer (from ALLOC_MEM), or 0.
    pbuf: u64,
    sess_h: u64,
}

/// One thing the program is asked to do.
pub(crate) enum Job {
    Scsi(ScsiJob),
    Attach {
        sess_h: u64,
        lun: u64,
        initiator: CString,
    },
    Detach {
        sess_h: u64,
    },
    OnFree {
        pbuf: u64,
        resp_data_len: i32,
        status: u8,
    },
    OnCachedMemFree {
        pbuf: u64,
    },
}

impl Job {
    fn subcode(&self) -> u32 {
        match self {
            Job::Scsi(j) if j.step == Step::AllocMem => SCST_USER_ALLOC_MEM,
            Job::Scsi(_) => SCST_USER_EXEC,
            Job::Attach { .. } => SCST_USER_ATTACH_SESS,
            Job::Detach { .. } => SCST_USER_DETACH_SESS,
            Job::OnFree { .. } => SCST_USER_ON_FREE_CMD,
            Job::OnCachedMemFree { .. } => SCST_USER_ON_CACHED_MEM_FREE,
        }
    }

    /// The command of a SCSI job.
    fn into_cmd(self) -> Option<Cmd> {
        match self {
            Job::Scsi(j) => Some(j.cmd),
            _ => None,
        }
    }

    /// Ends a job the program will not answer: a command fails with
    /// `sense`, the rest are dropped.
    fn fail(self, sense: Sense) {
        if let Job::Scsi(j) = self {
            j.cmd.fail(sense);
            j.cmd.done(Context::Direct);
        }
    }
}

/// The device's SCST side, dropped (device first) when it closes.
pub(crate) struct Scst {
    dev: VirtualDevice,
    _reg: Registration<Handler>,
}

/// A device a program registered.
#[pin_data]
pub(crate) struct UserDev {
    name: CString,
    block_size: u32,
    #[pin]
    pub(crate) opt: SpinLock<scst_user_opt>,
    #[pin]
    q: SpinLock<Queue>,
    /// Woken when a job is queued or the device closes.
    #[pin]
    ready: WaitQueue,
    /// Session handles given out.
    next_sess: AtomicU64,
    /// UNREGISTER_DEVICE was called: fetching no longer waits.
    unblocked: AtomicBool,
    /// Seconds a sent command may wait for its reply (0: forever).
    timeout_s: u32,
    /// The program's mistakes are logged at this rate at most.
    pub(crate) complaints: Ratelimit,
    #[pin]
    scst: Mutex<Option<Scst>>,
}

impl UserDev {
    pub(crate) fn new(
        name: CString,
        block_size: u32,
        opt: scst_user_opt,
        timeout_s: u32,
    ) -> Result<Arc<Self>> {
        let q = Queue::new()?;
        Arc::pin_init(
            pin_init!(Self {
                name,
                block_size,
                opt <- new_spinlock!(opt),
                q <- new_spinlock!(q),
                ready <- WaitQueue::new(),
                next_sess: AtomicU64::new(1),
                unblocked: AtomicBool::new(false),
                timeout_s,
                complaints: Ratelimit::new(),
                scst <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )
    }

    /// The device's name.
    pub(crate) fn name(&self) -> &kernel::str::CStr {
        &self.name
    }

    /// Registers the device's handler (SCSI type `ptype`) and the device
    /// itself with the core.
    pub(crate) fn attach_scst(self: &Arc<Self>, ptype: u8, module: &'static ThisModule) -> Result {
        let reg = Registration::<Handler>::new(&self.name, ptype, module)?;
        let dev = reg.add_virtual_device_with(&self.name, self.clone())?;
        *self.scst.lock() = Some(Scst { dev, _reg: reg });
        Ok(())
    }

    /// The file closed: every job fails or goes, the device leaves the
    /// core (its LUNs with it).  Process context.
    pub(crate) fn close(&self) {
        self.q.lock().closed = true;
        self.ready.wake_all();
        let mut n = 0u32;
        loop {
            // Not in the `while let`: its guard would live through the
            // body, which calls the core.
            let Some(job) = self.q.lock().drain_one() else {
                break;
            };
            if matches!(job, Job::Scsi(_)) {
                n += 1;
            }
            job.fail(GONE);
        }
        if n != 0 {
            pr_warn!(
                "{}: closed with {} commands in hand: failed\n",
                self.name(),
                n
            );
        }
        let scst = self.scst.lock().take();
        drop(scst);
    }

    /// Fails the commands the program held past their deadline.
    pub(crate) fn expire(&self) {
        let now = kthread::ticks();
        loop {
            let Some(job) = self.q.lock().expired(now) else {
                break;
            };
            if matches!(job, Job::Scsi(_)) {
                pr_err!(
                    "{}: a command got no reply in {} s: failed\n",
                    self.name(),
                    self.timeout_s
                );
            }
            job.fail(TIMED_OUT);
        }
    }

    fn deadline(&self) -> Option<u64> {
        (self.timeout_s != 0).then(|| {
            let ms = self.timeout_s.saturating_mul(1000);
            kthread::ticks().wrapping_add(kthread::ticks_of_ms(ms))
        })
    }

    fn queue(&self, job: Job, front: bool) -> core::result::Result<(), Job> {
        let deadline = self.deadline();
        self.q.lock().push(job, front, deadline)?;
        self.ready.wake_all();
        Ok(())
    }

    /// A fresh session handle.
    fn new_sess(&self) -> u64 {
        self.next_sess.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether a job is ready (for `poll`), and whether the device closed.
    pub(crate) fn poll_state(&self) -> (bool, bool) {
        let q = self.q.lock();
        (q.has_ready(), q.closed)
    }

    pub(crate) fn wait_queue(&self) -> &WaitQueue {
        &self.ready
    }

    /// UNREGISTER_DEVICE: fetching no longer waits (the device stays
    /// until the file closes, as in SCST).
    pub(crate) fn unblock(&self) {
        self.unblocked.store(true, Ordering::Release);
        self.ready.wake_all();
    }

    /// The device's id in the core.
    pub(crate) fn id(&self) -> Option<i32> {
        self.scst.lock().as_ref().map(|s| s.dev.id())
    }

    // ---- Fetching ----

    /// Waits for the next job (unless `nonblock`) and writes it as a
    /// `scst_user_get_cmd` at `to`.
    pub(crate) fn get_cmd(&self, to: &Ioctl, at: usize, nonblock: bool) -> Result {
        let (h, job) = self.next_job(nonblock)?;
        let mut out = [0u8; wire::GET_CMD_SIZE];
        let n = self.encode(h, &job, &mut out);
        match to.user(at, n).writer().write_slice(&out[..n]) {
            Ok(()) => {
                let r = self.q.lock().put_back(h, job, true);
                if let Err(job) = r {
                    job.fail(GONE);
                }
                Ok(())
            }
            Err(e) => {
                let r = self.q.lock().put_back(h, job, false);
                if let Err(job) = r {
                    job.fail(GONE);
                }
                self.ready.wake_all();
                Err(e)
            }
        }
    }

    fn next_job(&self, nonblock: bool) -> Result<(Handle, Job)> {
        loop {
            {
                let mut q = self.q.lock();
                if let Some(x) = q.pop() {
                    return Ok(x);
                }
                if q.closed {
                    return Err(ENODEV);
                }
            }
            if nonblock || self.unblocked.load(Ordering::Acquire) {
                return Err(EAGAIN);
            }
            let woken = self.ready.wait_interruptible(None, || {
                let q = self.q.lock();
                q.has_ready() || q.closed || self.unblocked.load(Ordering::Acquire)
            })?;
            debug_assert!(woken == Woken::Ready);
        }
    }

    fn encode(&self, h: Handle, job: &Job, out: &mut [u8; wire::GET_CMD_SIZE]) -> usize {
        let p = match job {
            Job::Scsi(j) => self.scsi_payload(j),
            Job::Attach {
                sess_h,
                lun,
                initiator,
            } => Payload::AttachSess {
                sess_h: *sess_h,
                lun: *lun,
                rd_only: false,
                initiator: initiator.as_bytes(),
                target: b"",
            },
            Job::Detach { sess_h } => Payload::DetachSess { sess_h: *sess_h },
            Job::OnFree {
                pbuf,
                resp_data_len,
                status,
            } => Payload::OnFree {
                pbuf: *pbuf,
                resp_data_len: *resp_data_len,
                buffer_cached: false,
                aborted: false,
                status: *status,
                delivery_status: 0,
            },
            Job::OnCachedMemFree { pbuf } => Payload::OnCachedMemFree { pbuf: *pbuf },
        };
        p.encode(h.0, out)
    }

    fn scsi_payload<'a>(&self, j: &'a ScsiJob) -> Payload<'a> {
        let cdb = j.cmd.cdb();
        let len = j.cmd.bufflen();
        let dir = dir_code(j.cmd.data_direction());
        if j.step == Step::AllocMem {
            return Payload::AllocMem {
                sess_h: j.sess_h,
                cdb,
                alloc_len: len as i32,
                queue_type: 1,
                data_direction: dir,
                sn: 0,
            };
        }
        let (lba, data_len) = match extent(cdb) {
            Some(e) => (
                e.lba as i64,
                e.blocks.saturating_mul(u64::from(self.block_size)) as i64,
            ),
            None => (0, i64::from(len)),
        };
        Payload::Exec(wire::Exec {
            sess_h: j.sess_h,
            cdb,
            lba,
            data_len,
            bufflen: len as i32,
            alloc_len: if j.pbuf == 0 && len != 0 {
                len as i32
            } else {
                0
            },
            pbuf: j.pbuf,
            queue_type: 1,
            data_direction: dir,
            timeout: self.timeout_s as i32,
            sn: 0,
        })
    }

    // ---- Replies ----

    /// Takes one reply (a `scst_user_reply_cmd` at user address `from`).
    pub(crate) fn reply_from(&self, from: u64) -> Result {
        let mut b = [0u8; wire::REPLY_SIZE];
        UserSlice::new(from as usize, b.len())
            .reader()
            .read_slice(&mut b)?;
        self.reply(Reply::decode(b))
    }

    fn reply(&self, r: Reply) -> Result {
        let h = Handle(r.cmd_h);
        let taken = self.q.lock().take_sent(h, |j| j.subcode() == r.subcode);
        let job = taken.map_err(|e| {
            let why = match e {
                Stale::Unknown => "no such command (answered, timed out or never sent)",
                Stale::NotSent => "the command is not with the program",
                Stale::Subcode => "the reply is for another subcommand",
            };
            if self.complaints.allow() {
                pr_err!(
                    "{}: reply to {:#x} (subcode {:#x}) refused: {}\n",
                    self.name(),
                    r.cmd_h,
                    r.subcode,
                    why
                );
            }
            EINVAL
        })?;
        match job {
            Job::Scsi(j) if j.step == Step::AllocMem => self.alloc_reply(h, j, r.alloc_pbuf()),
            Job::Scsi(j) => self.exec_reply(h, j, r.exec()),
            Job::Attach { sess_h, .. } => {
                self.q.lock().done(h);
                if r.result() != 0 {
                    pr_warn!(
                        "{}: the program refused session {} ({}); its commands still come\n",
                        self.name(),
                        sess_h,
                        r.result()
                    );
                }
                Ok(())
            }
            _ => {
                self.q.lock().done(h);
                Ok(())
            }
        }
    }

    /// The program's buffer for a WRITE's data: copy it there, then ask
    /// for the EXEC.
    fn alloc_reply(&self, h: Handle, mut j: ScsiJob, pbuf: u64) -> Result {
        if pbuf == 0 {
            // SCST's answer to a program out of memory.
            self.q.lock().done(h);
            j.cmd.set_status(Status::BUSY, &[]);
            j.cmd.done(Context::Direct);
            return Ok(());
        }
        let data = j.cmd.buffer();
        if let Err(e) = UserSlice::new(pbuf as usize, data.len())
            .writer()
            .write_slice(data)
        {
            if self.complaints.allow() {
                pr_err!(
                    "{}: ALLOC_MEM buffer {:#x} not writable\n",
                    self.name(),
                    pbuf
                );
            }
            self.q.lock().done(h);
            j.cmd.fail(Sense::INTERNAL_TARGET_FAILURE);
            j.cmd.done(Context::Direct);
            return Err(e);
        }
        j.pbuf = pbuf;
        j.step = Step::Exec;
        let r = self.q.lock().put_back(h, Job::Scsi(j), false);
        if let Err(job) = r {
            job.fail(GONE);
        }
        self.ready.wake_all();
        Ok(())
    }

    fn exec_reply(&self, h: Handle, mut j: ScsiJob, r: ExecReply) -> Result {
        self.q.lock().done(h);
        let r = match self.finish_exec(&mut j, &r) {
            Ok(()) => Ok(()),
            Err(e) => {
                j.cmd.fail(Sense::INTERNAL_TARGET_FAILURE);
                Err(e)
            }
        };
        let status = j.cmd.status().0;
        let resp = j.cmd.resp_len() as i32;
        let pbuf = j.pbuf;
        j.cmd.done(Context::Direct);
        if self.opt.lock().on_free_cmd_type == SCST_USER_ON_FREE_CMD_CALL {
            let _ = self.queue(
                Job::OnFree {
                    pbuf,
                    resp_data_len: resp,
                    status,
                },
                false,
            );
        }
        r
    }

    fn finish_exec(&self, j: &mut ScsiJob, r: &ExecReply) -> Result {
        let data_in = j.cmd.data_direction() == Direction::Read;
        let len = r.check(j.cmd.bufflen(), data_in).map_err(|e| {
            if self.complaints.allow() {
                pr_err!("{}: EXEC reply refused: {:?}\n", self.name(), e);
            }
            EINVAL
        })?;
        if len != 0 {
            let from = if j.pbuf != 0 { j.pbuf } else { r.pbuf };
            let data = j.cmd.buffer();
            let Some(dst) = data.get_mut(..len as usize) else {
                return Err(EINVAL);
            };
            UserSlice::new(from as usize, dst.len())
                .reader()
                .read_slice(dst)?;
            if j.pbuf == 0 {
                // The program's own buffer: ON_FREE_CMD names it.
                j.pbuf = r.pbuf;
            }
        }
        let mut sense = [0u8; wire::MAX_SENSE];
        let n = usize::from(r.sense_len);
        if n != 0 {
            UserSlice::new(r.psense_buffer as usize, n)
                .reader()
                .read_slice(&mut sense[..n])?;
        }
        j.cmd.set_resp_len(self.resp_len(&j.cmd, len, data_in));
        j.cmd.set_status(Status(r.status), &sense[..n]);
        Ok(())
    }

    /// The response length to report: a block read that filled its
    /// buffer reports the length its CDB asks for, as scst_vdisk does
    /// (the buffer holds what the initiator takes; the core computes the
    /// residual from the difference).
    fn resp_len(&self, cmd: &Cmd, len: u32, data_in: bool) -> u32 {
        let full = extent(cmd.cdb())
            .map(|e| e.blocks.saturating_mul(u64::from(self.block_size)))
            .and_then(|f| u32::try_from(f).ok());
        match full {
            Some(f) if data_in && len == cmd.bufflen() => f.max(len),
            _ => len,
        }
    }

    /// GET_EXTENDED_CDB: the bytes of command `h`'s CDB beyond the 16
    /// sent, to user address `to`.
    pub(crate) fn extended_cdb(&self, h: Handle, to: u64) -> Result {
        let mut cdb = [0u8; 256];
        let n = self
            .q
            .lock()
            .peek_sent(h, |j| match j {
                Job::Scsi(s) => {
                    let c = s.cmd.cdb();
                    let n = c.len().min(cdb.len());
                    cdb[..n].copy_from_slice(&c[..n]);
                    Some(n)
                }
                _ => None,
            })
            .flatten()
            .ok_or(EINVAL)?;
        if n > SCST_MAX_CDB_SIZE {
            UserSlice::new(to as usize, n - SCST_MAX_CDB_SIZE)
                .writer()
                .write_slice(&cdb[SCST_MAX_CDB_SIZE..n])?;
        }
        Ok(())
    }

    /// PREALLOC_BUFFER: nothing is cached (data is copied), so the buffer
    /// comes straight back with ON_CACHED_MEM_FREE.
    pub(crate) fn prealloc(&self, pbuf: u64) -> Result {
        self.queue(Job::OnCachedMemFree { pbuf }, false)
            .map_err(|_| EBUSY)
    }
}

fn dir_code(d: Direction) -> u8 {
    match d {
        Direction::Write => 1,
        Direction::Read => 2,
        Direction::Bidi => 3,
        Direction::None => 4,
    }
}

/// The handler of every program's device.
pub(crate) struct Handler;

#[vtable]
impl DevHandler for Handler {
    type DevData = Arc<UserDev>;
    const VIRTUAL: bool = true;

    /// Devices come with their state (`add_virtual_device_with`); the
    /// core has no other to give this handler.
    fn attach(_d: &DevRef) -> Result<Arc<UserDev>> {
        Err(ENODEV)
    }

    fn parse(c: &Cmd, dev: ArcBorrow<'_, UserDev>) -> Result {
        let _ = c.decode(dev.block_size);
        Ok(())
    }

    fn exec(c: Cmd, dev: ArcBorrow<'_, UserDev>) -> Exec {
        let step = if c.data_direction() == Direction::Write && c.bufflen() != 0 {
            Step::AllocMem
        } else {
            Step::Exec
        };
        let sess_h = c.tgt_dev_priv() as u64;
        let job = Job::Scsi(ScsiJob {
            cmd: c,
            step,
            pbuf: 0,
            sess_h,
        });
        let Err(job) = dev.queue(job, false) else {
            return Exec::Later;
        };
        // Refused: the device closed, or the table is full.
        let Some(c) = job.into_cmd() else {
            return Exec::Later;
        };
        if dev.q.lock().closed {
            c.fail(GONE);
        } else {
            c.set_status(Status::BUSY, &[]);
        }
        Exec::Done(c)
    }

    fn attach_tgt(t: &TgtDevRef, dev: ArcBorrow<'_, UserDev>) -> Result {
        let sess_h = dev.new_sess();
        t.set_priv(sess_h as usize as *mut core::ffi::c_void);
        let initiator = CString::try_from_fmt(kernel::fmt!("{}", t.initiator()))?;
        let _ = dev.queue(
            Job::Attach {
                sess_h,
                lun: t.lun(),
                initiator,
            },
            false,
        );
        Ok(())
    }

    fn detach_tgt(t: &TgtDevRef, dev: ArcBorrow<'_, UserDev>) {
        let sess_h = t.priv_() as u64;
        let _ = dev.queue(Job::Detach { sess_h }, false);
    }
}

/// The name of the thread that times commands out.
pub(crate) fn timer_name(dev: &UserDev) -> Result<CString> {
    CString::try_from_fmt(kernel::fmt!("scst_usr_{}", dev.name()))
}
