// SPDX-License-Identifier: GPL-2.0

//! Task management.
//!
//! Every command in flight is in its session's task set (`taskset`) with
//! a [`CmdState`].  A task management function marks the commands it
//! affects as aborted, starts those parked behind an ORDERED command (they
//! skip `exec`), and waits until each has been freed
//! (`scst_tgt_cmd_done`): an aborted command skips `exec` if it has not
//! reached it, a running `exec` is let finish (a handler cannot be
//! interrupted), and the driver learns in `xmit_response` that the command
//! was aborted and must not answer it.  So when the function returns,
//! nothing it affected is still running.
//!
//! Lock order: `registry`, then a session's `tasks`.

use crate::mgmt::MgmtCmd;
use crate::nexus;
use crate::registry::{Registry, Shared};
use crate::scst_rs::api::abi::*;
use crate::scst_rs::scsi::sense::Sense;
use crate::scst_rs::sys;
use crate::sessions::{Session, TaskRef};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{prelude::*, sync::Arc};

/// What task management needs to know of a command in flight.
pub(crate) struct CmdState {
    /// The device it is for (0: not routed yet, or an absent LUN).
    pub(crate) dev_id: AtomicU32,
    pub(crate) lun: u64,
    /// The driver's tag for the command (its private pointer).
    pub(crate) tag: usize,
    pub(crate) aborted: AtomicBool,
}

impl CmdState {
    pub(crate) fn aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }
}

/// How many commands of `sess` are in flight.
pub(crate) fn commands_of(sess: &Session) -> usize {
    sess.tasks.lock().len()
}

/// Which commands of one session a function affects.
struct Scope {
    sess: Arc<Session>,
    /// `None`: all of the session's commands.
    luns: Option<KVec<u64>>,
    /// ABORT TASK: only the command with this tag.
    tag: Option<usize>,
    /// The device of a LUN-wide function (matches routed commands whose
    /// LUN left the group meanwhile).
    dev: Option<u32>,
}

impl Scope {
    fn matches(&self, st: &CmdState) -> bool {
        let lun_ok = self.luns.as_ref().is_none_or(|l| l.contains(&st.lun))
            || self
                .dev
                .is_some_and(|d| st.dev_id.load(Ordering::Relaxed) == d);
        lun_ok && self.tag.is_none_or(|t| t == st.tag)
    }
}

fn one(v: u64) -> Result<KVec<u64>> {
    let mut l = KVec::new();
    l.push(v, GFP_KERNEL)?;
    Ok(l)
}

/// The LUNs of `s`'s group that are device `dev`.
fn luns_of(reg: &Registry, s: &Session, dev: u32) -> Result<KVec<u64>> {
    let mut l = KVec::new();
    if let Some(g) = reg.group(s.bound_group()) {
        for e in g.luns.iter().filter(|e| e.dev_id == dev) {
            l.push(e.lun, GFP_KERNEL)?;
        }
    }
    Ok(l)
}

/// The commands function `func` affects, session by session.
fn scopes(
    reg: &Registry,
    sess: &Arc<Session>,
    func: i32,
    lun: Option<u64>,
    dev: Option<u32>,
    tag: usize,
) -> Result<KVec<Scope>> {
    let mut v = KVec::new();
    let mine = |luns, tag| Scope {
        sess: sess.clone(),
        luns,
        tag,
        dev: None,
    };
    match func {
        SCST_ABORT_TASK => v.push(mine(None, Some(tag)), GFP_KERNEL)?,
        SCST_ABORT_TASK_SET => {
            dev.ok_or(ENOENT)?;
            v.push(mine(Some(one(lun.unwrap_or(u64::MAX))?), None), GFP_KERNEL)?
        }
        SCST_NEXUS_LOSS_SESS => v.push(mine(None, None), GFP_KERNEL)?,
        SCST_CLEAR_TASK_SET | SCST_LUN_RESET => {
            let dev = dev.ok_or(ENOENT)?;
            for s in reg.sessions.iter() {
                v.push(
                    Scope {
                        sess: s.clone(),
                        luns: Some(luns_of(reg, s, dev)?),
                        tag: None,
                        dev: Some(dev),
                    },
                    GFP_KERNEL,
                )?;
            }
        }
        SCST_TARGET_RESET => {
            for s in reg
                .sessions
                .iter()
                .filter(|s| Arc::ptr_eq(&s.target, &sess.target))
            {
                v.push(
                    Scope {
                        sess: s.clone(),
                        luns: None,
                        tag: None,
                        dev: None,
                    },
                    GFP_KERNEL,
                )?;
            }
        }
        _ => return Err(EINVAL),
    }
    Ok(v)
}

/// Commands a function found.
#[derive(Default)]
struct Found {
    /// Marked aborted by this function.
    aborted: usize,
    /// Of those, already completed (their status was on its way).
    finished: usize,
}

/// Marks the scope's commands aborted and lets parked ones go.
fn abort(shared: &Shared, sc: &Scope, func: i32) -> Found {
    let mut f = Found::default();
    let mut tasks = sc.sess.tasks.lock();
    for (k, lun, done) in tasks.keys() {
        if sc.matches(&k.state) && !k.state.aborted.swap(true, Ordering::AcqRel) {
            f.aborted += 1;
            f.finished += usize::from(done);
            trace!(
                shared,
                crate::trace::MGMT_MINOR,
                "function {}: aborting a command of {} to LUN {}\n",
                func,
                &*sc.sess.initiator,
                lun
            );
        }
    }
    tasks.release_parked(
        |k: &TaskRef| k.state.aborted(),
        |k| crate::cmd::resume(shared, k.cmd),
    );
    f
}

/// Whether an aborted command of the scope is still in flight.
fn aborted_left(sc: &Scope) -> bool {
    sc.sess
        .tasks
        .lock()
        .keys()
        .any(|(k, _, _)| sc.matches(&k.state) && k.state.aborted())
}

/// A task-management function under way: its commands are marked
/// aborted, and it is complete once none of them is in flight.
pub(crate) struct Started {
    scopes: KVec<Scope>,
    marked: usize,
    finished: usize,
    handler_status: Option<i32>,
    /// Time waited so far, for the log.
    waited_ms: u32,
}

/// How a function stands after `start`.
pub(crate) enum Progress {
    Done(i32),
    Waiting(Started),
}

/// Performs task-management request `m` and waits for it to complete:
/// every command it affects has been freed.  Returns an
/// `SCST_MGMT_STATUS_*`.  (The core's TM thread instead starts requests
/// and polls them, so that one waiting for a stuck command does not hold
/// up the others.)
pub(crate) fn run(shared: &Shared, m: &MgmtCmd) -> i32 {
    match start(shared, m) {
        Progress::Done(status) => status,
        Progress::Waiting(s) => wait(shared, m, s),
    }
}

/// Waits for a function under way to complete; its status.
pub(crate) fn wait(shared: &Shared, m: &MgmtCmd, mut s: Started) -> i32 {
    loop {
        sys::sleep_ms(POLL_MS);
        if let Some(status) = poll(shared, m, &mut s) {
            return status;
        }
    }
}

/// How often the commands of a function under way are looked at.
pub(crate) const POLL_MS: u32 = 10;

/// The function's status if it is complete (none of its aborted commands
/// is in flight).  Called every `POLL_MS`; logs every 10 s what it still
/// waits for.
pub(crate) fn poll(shared: &Shared, m: &MgmtCmd, s: &mut Started) -> Option<i32> {
    if s.scopes.iter().any(aborted_left) {
        s.waited_ms = s.waited_ms.saturating_add(POLL_MS);
        if s.waited_ms % 10_000 == 0 {
            pr_warn!(
                "task management function {} of {} waits for commands to finish ({} s)\n",
                m.func,
                &*m.sess.initiator,
                s.waited_ms / 1000
            );
        }
        return None;
    }
    Some(status(shared, m, s))
}

fn status(shared: &Shared, m: &MgmtCmd, s: &Started) -> i32 {
    let func = m.func;
    trace!(
        shared,
        crate::trace::MGMT,
        "task management function {} from {}: {} commands aborted\n",
        func,
        &*m.sess.initiator,
        s.marked
    );
    if let Some(st) = s.handler_status {
        return st;
    }
    if func == SCST_ABORT_TASK && s.marked == 0 {
        return SCST_MGMT_STATUS_TASK_NOT_EXIST;
    }
    // The seed: a command that had finished when ABORT TASK came is
    // "aborted" (SUCCESS) unless this option says it did not exist.
    if func == SCST_ABORT_TASK
        && s.finished == s.marked
        && cfg!(CONFIG_SCST_ABORT_CONSIDER_FINISHED_TASKS_AS_NOT_EXISTING)
    {
        return SCST_MGMT_STATUS_TASK_NOT_EXIST;
    }
    SCST_MGMT_STATUS_SUCCESS
}

/// Starts task-management request `m`: marks the commands it affects
/// aborted, resets what a reset resets, and tells the handlers.
pub(crate) fn start(shared: &Shared, m: &MgmtCmd) -> Progress {
    let (sess, func, tag) = (&m.sess, m.func, m.tag);
    if func == SCST_CLEAR_ACA {
        // No ACA is ever established (ACA commands are refused).
        return Progress::Done(SCST_MGMT_STATUS_SUCCESS);
    }
    let lun = match m.lun {
        Some(Ok(l)) => Some(l),
        Some(Err(())) => return Progress::Done(SCST_MGMT_STATUS_LUN_NOT_EXIST),
        None => None,
    };
    let (scopes, dev) = {
        let reg = shared.registry.lock();
        // The device behind the LUN, for the LUN-wide functions.
        let dev = lun.and_then(|l| {
            let g = reg.group(sess.bound_group())?;
            g.luns.iter().find(|e| e.lun == l).map(|e| e.dev_id)
        });
        (scopes(&reg, sess, func, lun, dev, tag), dev)
    };
    let scopes = match scopes {
        Ok(s) => s,
        Err(e) if e == ENOENT => return Progress::Done(SCST_MGMT_STATUS_LUN_NOT_EXIST),
        Err(e) if e == EINVAL => {
            pr_err!("task management function {} not supported\n", func);
            return Progress::Done(SCST_MGMT_STATUS_FN_NOT_SUPPORTED);
        }
        Err(_) => {
            pr_err!("task management function {} refused: out of memory\n", func);
            return Progress::Done(SCST_MGMT_STATUS_REJECTED);
        }
    };
    trace!(
        shared,
        crate::trace::MGMT_DBG,
        "function {} from {}: LUN {:?}, tag {:#x}, device {:?}, {} sessions in scope\n",
        func,
        &*sess.initiator,
        lun,
        tag,
        dev,
        scopes.len()
    );
    let (mut marked, mut finished) = (0, 0);
    for sc in scopes.iter() {
        let f = abort(shared, sc, func);
        marked += f.aborted;
        finished += f.finished;
    }
    let devs = affected_devices(shared, sess, func, dev);
    if func == SCST_LUN_RESET || func == SCST_TARGET_RESET {
        reset_state(shared, &devs);
    }
    // The handlers' part, once the core's is under way.
    let handler_status = {
        let mut reg = shared.registry.lock();
        crate::tgt_dev::task_mgmt(&mut reg, m, |t| match func {
            SCST_ABORT_TASK_SET => Arc::ptr_eq(&t.sess, sess) && Some(t.lun) == lun,
            SCST_NEXUS_LOSS_SESS => Arc::ptr_eq(&t.sess, sess),
            SCST_CLEAR_TASK_SET | SCST_LUN_RESET | SCST_TARGET_RESET => devs.contains(&t.dev_id),
            _ => false,
        })
    };
    let mut s = Started {
        scopes,
        marked,
        finished,
        handler_status,
        waited_ms: 0,
    };
    match poll(shared, m, &mut s) {
        Some(status) => Progress::Done(status),
        None => Progress::Waiting(s),
    }
}

/// Sleeps in 10 ms steps while `busy` says so, logging every 10 s what
/// it waits for.
pub(crate) fn wait_while(what: &str, mut busy: impl FnMut() -> bool) {
    let mut waited_ms = 0u32;
    while busy() {
        sys::sleep_ms(10);
        waited_ms = waited_ms.saturating_add(10);
        if waited_ms % 10_000 == 0 {
            pr_warn!(
                "{} waits for commands to finish ({} s)\n",
                what,
                waited_ms / 1000
            );
        }
    }
}

/// Waits until no command for device `dev_id` is in flight.  Called when
/// a device leaves (no new command can reach it any more), so that its
/// handler, which commands in flight call, stays until they are done.
/// Sessions stay registered until their last command is freed, so every
/// command in flight is found through the registry.  (`SeqCst`: a command
/// routed through its session's table stores its `dev_id` before it checks
/// that the registry was not taken, see `routes`.)
pub(crate) fn wait_device_idle(shared: &Shared, dev_id: u32) {
    let busy = || {
        let reg = shared.registry.lock();
        let on_dev = |s: &Arc<Session>| {
            s.tasks
                .lock()
                .keys()
                .any(|(k, _, _)| k.state.dev_id.load(Ordering::SeqCst) == dev_id)
        };
        reg.sessions.iter().any(on_dev)
    };
    if busy() {
        trace!(
            shared,
            crate::trace::MGMT_MINOR,
            "device {} left: waiting for its commands in flight\n",
            dev_id
        );
        wait_while("device removal", busy);
    }
    // A command answered and gone from its task set may still be inside
    // its handler's `exec` (the answer came from an I/O completion before
    // `exec` returned): wait for every exec running now.
    ExecSection::wait();
}

extern "C" {
    // In scst_glue.c: the SRCU read section handlers' exec callbacks run in.
    fn scst_glue_exec_enter() -> core::ffi::c_int;
    fn scst_glue_exec_exit(idx: core::ffi::c_int);
    fn scst_glue_exec_sync();
}

/// A running handler `exec` (an SRCU read section: cheap, any context).
///
/// # Invariants
///
/// `idx` is what `scst_glue_exec_enter` returned, not yet given back.
pub(crate) struct ExecSection {
    idx: core::ffi::c_int,
}

impl ExecSection {
    pub(crate) fn enter() -> Self {
        // SAFETY: any context; left in `drop`.
        Self {
            idx: unsafe { scst_glue_exec_enter() },
        }
    }

    /// Waits until every section entered before has been left.  Process
    /// context, outside any section.
    pub(crate) fn wait() {
        // SAFETY: called from device removal, which runs in process
        // context and never inside `exec`.
        unsafe { scst_glue_exec_sync() }
    }
}

impl Drop for ExecSection {
    fn drop(&mut self) {
        // SAFETY: `idx` came from `enter` (invariant), given back once.
        unsafe { scst_glue_exec_exit(self.idx) }
    }
}

/// The devices a LUN-wide function affects: the LUN's, or for TARGET
/// RESET every device the target's sessions reach.
fn affected_devices(
    shared: &Shared,
    sess: &Arc<Session>,
    func: i32,
    dev: Option<u32>,
) -> KVec<u32> {
    let reg = shared.registry.lock();
    let mut devs = KVec::new();
    for s in reg
        .sessions
        .iter()
        .filter(|s| func == SCST_TARGET_RESET && Arc::ptr_eq(&s.target, &sess.target))
    {
        if let Some(g) = reg.group(s.bound_group()) {
            for l in g.luns.iter() {
                if !devs.contains(&l.dev_id) {
                    let _ = devs.push(l.dev_id, GFP_KERNEL);
                }
            }
        }
    }
    if let Some(d) = dev.filter(|_| func != SCST_TARGET_RESET) {
        let _ = devs.push(d, GFP_KERNEL);
    }
    devs
}

/// A reset: the devices lose their reservations and every session that
/// sees one of them gets a reset unit attention for it.
fn reset_state(shared: &Shared, devs: &[u32]) {
    let mut reg = shared.registry.lock();
    for d in reg.devices.iter_mut().filter(|d| devs.contains(&d.id)) {
        d.reserved_by = None;
    }
    nexus::devices_reset(&mut reg, devs, Sense::POWER_ON_RESET);
}
