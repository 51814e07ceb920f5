// SPDX-License-Identifier: GPL-2.0

//! Asynchronous management: task-management requests and session
//! registration or unregistration submitted from any context, done later
//! by one of two core threads, which then call the driver back.
//!
//! - `scst_tmd` runs task-management functions (`scst_rx_mgmt_fn`) and
//!   calls the template's `task_mgmt_fn_done`.
//! - `scst_mgmtd` registers and unregisters sessions
//!   (`scst_register_session_async`, `scst_unregister_session_async`) and
//!   calls the driver's result function.
//!
//! Two threads, so that a session unregistration (which waits for the
//! session's task management) never waits behind itself.  `scst_tmd`
//! does not wait for one request's commands before taking the next: it
//! starts each (marks its commands aborted) and polls those under way, so
//! a command that takes long to go (a write whose data never comes, a
//! slow device) holds up only the requests that affect it.
//!
//! Submission only allocates (atomically) and queues.  A request counts
//! as pending on its target and, for task management, on its session;
//! unregistering either waits until its pending requests are done, so a
//! callback never comes after the unregistration returned.  Callbacks must
//! not unregister the session or target they are about (they would wait
//! for themselves).
//!
//! Lock order: a queue's list is innermost.

use crate::registry::Shared;
use crate::scst_rs::api::abi::{ScstMgmtCmd, ScstSession, ScstTgt, SCST_MGMT_STATUS_REJECTED};
use crate::scst_rs::irqlock::{new_irq_spinlock, IrqSpinLock};
use crate::scst_rs::kthread::KThread;
use crate::scst_rs::vec;
use crate::sessions::{Session, Target};
use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{
    new_condvar,
    prelude::*,
    str::CString,
    sync::{Arc, CondVar},
};

/// A session registration's result callback: the session handle (null on
/// failure), the driver's data, 0 or a negative errno.
pub(crate) type SessionResultFn =
    unsafe extern "C" fn(sess: *mut ScstSession, data: *mut c_void, result: c_int);
/// A session unregistration's callback, called once it is complete.
pub(crate) type SessionGoneFn = unsafe extern "C" fn(data: *mut c_void);

/// A task-management request.  Its address is the `ScstMgmtCmd` handle
/// the driver gets in `task_mgmt_fn_done` and the handler in
/// `task_mgmt_fn`.
pub(crate) struct MgmtCmd {
    pub(crate) sess: Arc<Session>,
    /// `SCST_ABORT_TASK`, ...
    pub(crate) func: i32,
    /// The LUN, if one was given; `Err(())` if it could not be decoded.
    pub(crate) lun: Option<core::result::Result<u64, ()>>,
    /// ABORT TASK: the driver's tag of the command.
    pub(crate) tag: usize,
    /// The driver's pointer for this request.
    pub(crate) tgt_priv: *mut c_void,
    /// An `SCST_MGMT_STATUS_*` once done.
    pub(crate) status: i32,
}

impl MgmtCmd {
    pub(crate) fn as_raw(&self) -> *mut ScstMgmtCmd {
        (self as *const Self).cast_mut().cast()
    }

    /// The request behind a handle.
    ///
    /// # Safety
    ///
    /// `p` is a handle passed to a running `task_mgmt_fn_done` or
    /// `task_mgmt_fn`.
    pub(crate) unsafe fn from_raw<'a>(p: *mut ScstMgmtCmd) -> &'a Self {
        // SAFETY: function contract: the request lives during the call.
        unsafe { &*p.cast::<Self>() }
    }
}

/// Something for a management thread to do.
enum Job {
    Tm(KBox<MgmtCmd>),
    AddSession {
        target: Arc<Target>,
        initiator: CString,
        data: *mut c_void,
        result: SessionResultFn,
    },
    RemoveSession {
        target: Arc<Target>,
        sess: *mut ScstSession,
        data: *mut c_void,
        gone: SessionGoneFn,
    },
}

// SAFETY: the raw pointers are the driver's, handed back to it; the core
// never dereferences them.
unsafe impl Send for Job {}

/// Requests waiting for one management thread, oldest first.
#[pin_data]
pub(crate) struct JobQueue {
    #[pin]
    list: IrqSpinLock<KVec<Job>>,
    #[pin]
    more: CondVar,
    stop: AtomicBool,
}

impl JobQueue {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            list <- new_irq_spinlock!(KVec::new()),
            more <- new_condvar!("scst_mgmt"),
            stop: AtomicBool::new(false),
        })
    }

    fn push(&self, j: Job) -> Result {
        self.list.lock().push(j, GFP_ATOMIC)?;
        self.more.notify_one();
        Ok(())
    }

    /// The oldest job, if one is queued.
    fn try_pop(&self) -> Option<Job> {
        vec::remove(&mut self.list.lock(), 0)
    }

    fn pop(&self) -> Option<Job> {
        let mut q = self.list.lock();
        loop {
            if let Some(j) = vec::remove(&mut q, 0) {
                return Some(j);
            }
            if self.stop.load(Ordering::Acquire) {
                return None;
            }
            let _ = self.more.wait_interruptible(&mut q);
        }
    }

    fn serve(&self) {
        // Task-management requests under way, oldest first.
        let mut under_way = KVec::new();
        loop {
            let job = if under_way.is_empty() {
                self.pop()
            } else {
                self.try_pop()
            };
            if job.is_none() && under_way.is_empty() {
                return;
            }
            // Jobs exist only while something is registered, so the core
            // is published.
            let Some(shared) = crate::exports::shared() else {
                // Not published (cannot be while jobs exist): nothing to do.
                drop(job);
                crate::scst_rs::sys::sleep_ms(crate::tm::POLL_MS);
                continue;
            };
            let took = job.is_some();
            if let Some(j) = job {
                run(shared, j, &mut under_way);
            }
            poll(shared, &mut under_way);
            if !took && !under_way.is_empty() {
                crate::scst_rs::sys::sleep_ms(crate::tm::POLL_MS);
            }
        }
    }
}

/// The two management threads; stopped when dropped (at module exit,
/// when nothing is registered, so their queues are empty).
pub(crate) struct MgmtThreads {
    queues: [Arc<JobQueue>; 2],
    _threads: KVec<KThread>,
}

impl MgmtThreads {
    pub(crate) fn start(tm: Arc<JobQueue>, sessions: Arc<JobQueue>) -> Result<Self> {
        let mut t = Self {
            queues: [tm.clone(), sessions.clone()],
            _threads: KVec::new(),
        };
        for (name, q) in [
            (kernel::c_str!("scst_tmd"), tm),
            (kernel::c_str!("scst_mgmtd"), sessions),
        ] {
            t._threads
                .push(KThread::run(name, move || q.serve())?, GFP_KERNEL)?;
        }
        Ok(t)
    }
}

impl Drop for MgmtThreads {
    fn drop(&mut self) {
        for q in self.queues.iter() {
            q.stop.store(true, Ordering::Release);
            drop(q.list.lock());
            q.more.notify_all();
        }
        // Dropping `_threads` next waits for each to return.
    }
}

/// A target's or session's count of requests not done yet.
fn hold(n: &AtomicU32) {
    n.fetch_add(1, Ordering::SeqCst);
}

fn release(n: &AtomicU32) {
    n.fetch_sub(1, Ordering::SeqCst);
}

/// A task-management request under way and how it stands.
type UnderWay = KVec<(KBox<MgmtCmd>, crate::tm::Started)>;

/// Completes the requests under way whose commands are all gone.
fn poll(shared: &Shared, under_way: &mut UnderWay) {
    let mut i = 0;
    while let Some((m, s)) = under_way.get_mut(i) {
        match crate::tm::poll(shared, m, s) {
            Some(status) => {
                if let Some((m, _)) = vec::remove(under_way, i) {
                    tm_done(m, status);
                }
            }
            None => i += 1,
        }
    }
}

/// A task-management request is complete: the driver hears of it.
fn tm_done(mut m: KBox<MgmtCmd>, status: i32) {
    m.status = status;
    if let Some(done) = m.sess.target.tmpl.task_mgmt_fn_done {
        // SAFETY: the template is registered (its target has this
        // request pending, so it cannot go); the handle lives during the
        // call.
        unsafe { done(m.as_raw()) };
    }
    release(&m.sess.pending);
    release(&m.sess.target.pending);
}

fn run(shared: &Shared, j: Job, under_way: &mut UnderWay) {
    match j {
        Job::Tm(m) => match crate::tm::start(shared, &m) {
            crate::tm::Progress::Done(status) => tm_done(m, status),
            crate::tm::Progress::Waiting(s) => {
                if under_way.reserve(1, GFP_KERNEL).is_ok() {
                    // Cannot fail: room was reserved.
                    let _ = under_way.push((m, s), GFP_KERNEL);
                } else {
                    // No room to keep it: waited for here, as a whole.
                    let status = crate::tm::wait(shared, &m, s);
                    tm_done(m, status);
                }
            }
        },
        Job::AddSession {
            target,
            initiator,
            data,
            result,
        } => {
            let tgt = (&*target as *const Target).cast_mut().cast::<ScstTgt>();
            let r = crate::sessions::add_session_named(shared, tgt, initiator);
            let (sess, code) = match r {
                Ok(s) => (s, 0),
                Err(e) => (core::ptr::null_mut(), e.to_errno()),
            };
            // SAFETY: the driver's callback with its own data.
            unsafe { result(sess, data, code) };
            release(&target.pending);
        }
        Job::RemoveSession {
            target,
            sess,
            data,
            gone,
        } => {
            crate::sessions::remove_session(shared, sess);
            // SAFETY: the driver's callback with its own data.
            unsafe { gone(data) };
            release(&target.pending);
        }
    }
}

/// Queues task-management function `func` of session `sess`.
///
/// # Safety
///
/// `sess` is a registered session of the caller.
pub(crate) unsafe fn submit_tm(
    shared: &Shared,
    sess: *mut ScstSession,
    func: i32,
    lun: Option<core::result::Result<u64, ()>>,
    tag: usize,
    tgt_priv: *mut c_void,
) -> Result {
    // SAFETY: function contract.
    let s = unsafe { crate::sessions::trusted_session(sess) };
    if s.target.tmpl.task_mgmt_fn_done.is_none() {
        pr_err!(
            "task management from {} refused: its driver has no task_mgmt_fn_done\n",
            &*s.initiator
        );
        return Err(EINVAL);
    }
    hold(&s.pending);
    hold(&s.target.pending);
    let give_back = |s: &Session| {
        release(&s.pending);
        release(&s.target.pending);
    };
    if s.is_closing() {
        give_back(&s);
        pr_err!(
            "task management refused: session {} is being unregistered\n",
            &*s.initiator
        );
        return Err(EBUSY);
    }
    let m = MgmtCmd {
        sess: s.clone(),
        func,
        lun,
        tag,
        tgt_priv,
        status: SCST_MGMT_STATUS_REJECTED,
    };
    let r = KBox::new(m, GFP_ATOMIC)
        .map_err(Error::from)
        .and_then(|m| shared.tm_jobs.push(Job::Tm(m)));
    if r.is_err() {
        give_back(&s);
        pr_err!(
            "task management function {} of {} refused: out of memory\n",
            func,
            &*s.initiator
        );
    }
    r
}

/// Queues the registration of a session of `initiator` on `tgt`.
///
/// # Safety
///
/// `tgt` is a registered target of the caller.
pub(crate) unsafe fn submit_add_session(
    shared: &Shared,
    tgt: *mut ScstTgt,
    initiator: CString,
    data: *mut c_void,
    result: SessionResultFn,
) -> Result {
    // SAFETY: function contract.
    let target = unsafe { crate::sessions::trusted_target(tgt) };
    queue_session_job(
        shared,
        target.clone(),
        Job::AddSession {
            target,
            initiator,
            data,
            result,
        },
    )
}

/// Queues a session job about `target`, counted as pending on it.
fn queue_session_job(shared: &Shared, target: Arc<Target>, j: Job) -> Result {
    hold(&target.pending);
    let r = shared.session_jobs.push(j);
    if r.is_err() {
        release(&target.pending);
        pr_err!(
            "session (un)registration on {} refused: out of memory\n",
            &*target.name
        );
    }
    r
}

/// Queues the unregistration of session `sess`.
///
/// # Safety
///
/// `sess` is a registered session of the caller.
pub(crate) unsafe fn submit_remove_session(
    shared: &Shared,
    sess: *mut ScstSession,
    data: *mut c_void,
    gone: SessionGoneFn,
) -> Result {
    // SAFETY: function contract.
    let target = unsafe { crate::sessions::trusted_session(sess) }
        .target
        .clone();
    queue_session_job(
        shared,
        target.clone(),
        Job::RemoveSession {
            target,
            sess,
            data,
            gone,
        },
    )
}
