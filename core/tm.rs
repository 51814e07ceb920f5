// SPDX-License-Identifier: GPL-2.0

//! Task management.
//!
//! Every command in flight has a [`CmdState`] in `Shared::inflight`.  A
//! task management function marks the commands it affects as aborted and
//! waits until each has finished (`scst_tgt_cmd_done`): an aborted command
//! skips `exec` if it has not reached it, a running `exec` is let finish
//! (a handler cannot be interrupted), and the driver learns in
//! `xmit_response` that the command was aborted and must not answer it.
//! So when the function returns, nothing it affected is still running.
//!
//! Lock order: `inflight` is never held together with `registry`.

use crate::nexus;
use crate::registry::Shared;
use crate::scst_rs::api::abi::*;
use crate::scst_rs::{sys, vec};
use crate::sense::Sense;
use crate::sessions::Session;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{prelude::*, sync::Arc};

/// What task management needs to know of a command in flight.
pub(crate) struct CmdState {
    pub(crate) sess: Arc<Session>,
    /// The device it is for (0: none, e.g. an absent LUN).
    pub(crate) dev_id: u32,
    pub(crate) lun: u64,
    /// The driver's tag for the command (its private pointer).
    pub(crate) tag: usize,
    pub(crate) aborted: AtomicBool,
    pub(crate) finished: AtomicBool,
}

/// Adds a new command to the in-flight list.
pub(crate) fn track(shared: &Shared, st: &Arc<CmdState>) -> Result {
    shared.inflight.lock().push(st.clone(), GFP_KERNEL)?;
    Ok(())
}

/// How many commands of `sess` are in flight.
pub(crate) fn commands_of(shared: &Shared, sess: &Arc<Session>) -> usize {
    shared.inflight.lock().iter().filter(|s| Arc::ptr_eq(&s.sess, sess)).count()
}

/// A command finished: off the list.
pub(crate) fn untrack(shared: &Shared, st: &Arc<CmdState>) {
    st.finished.store(true, Ordering::Release);
    let mut l = shared.inflight.lock();
    if let Some(i) = l.iter().position(|s| Arc::ptr_eq(s, st)) {
        drop(vec::remove(&mut l, i));
    }
}

/// Performs task management function `func` for session `sess` (LUN
/// `lun`, command tag `tag` for ABORT TASK) and waits for it to complete.
/// Returns an `SCST_MGMT_STATUS_*`.
pub(crate) fn run(shared: &Shared, sess: &Arc<Session>, func: i32, lun: Option<u64>, tag: usize) -> i32 {
    // The device behind the LUN, for the LUN-wide functions.
    let dev = lun.and_then(|l| {
        let reg = shared.registry.lock();
        let g = reg.group(sess.group.as_bytes())?;
        g.luns.iter().find(|e| e.lun == l).map(|e| e.dev_id)
    });
    let same_sess = |s: &CmdState| Arc::ptr_eq(&s.sess, sess);
    let matches: &dyn Fn(&CmdState) -> bool = match func {
        SCST_ABORT_TASK => &|s| same_sess(s) && s.tag == tag,
        SCST_ABORT_TASK_SET => &|s| same_sess(s) && Some(s.lun) == lun,
        SCST_CLEAR_TASK_SET | SCST_LUN_RESET => {
            if dev.is_none() {
                return SCST_MGMT_STATUS_LUN_NOT_EXIST;
            }
            &|s| s.dev_id != 0 && Some(s.dev_id) == dev
        }
        SCST_TARGET_RESET => &|s| Arc::ptr_eq(&s.sess.target, &sess.target),
        SCST_NEXUS_LOSS_SESS => &|s| same_sess(s),
        SCST_CLEAR_ACA => return SCST_MGMT_STATUS_SUCCESS,
        _ => {
            pr_err!("task management function {} not supported\n", func);
            return SCST_MGMT_STATUS_FN_NOT_SUPPORTED;
        }
    };
    let mut marked = KVec::new();
    {
        let l = shared.inflight.lock();
        for s in l.iter().filter(|s| matches(s)) {
            s.aborted.store(true, Ordering::Release);
            trace!(shared, crate::trace::MGMT_MINOR, "function {}: aborting a command of {} to LUN {}\n", func, &*s.sess.initiator, s.lun);
            // Without memory to remember it, we still wait below by flag.
            let _ = marked.push(s.clone(), GFP_KERNEL);
        }
    }
    if func == SCST_LUN_RESET || func == SCST_TARGET_RESET {
        reset_state(shared, sess, func, dev);
    }
    wait_finished(&marked);
    trace!(shared, crate::trace::MGMT, "task management function {} from {}: {} commands aborted\n", func, &*sess.initiator, marked.len());
    if func == SCST_ABORT_TASK && marked.is_empty() {
        return SCST_MGMT_STATUS_TASK_NOT_EXIST;
    }
    SCST_MGMT_STATUS_SUCCESS
}

/// Sleeps in 10 ms steps while `busy` says so, logging every 10 s what
/// it waits for.
fn wait_while(what: &str, mut busy: impl FnMut() -> bool) {
    let mut waited_ms = 0u32;
    while busy() {
        sys::sleep_ms(10);
        waited_ms = waited_ms.saturating_add(10);
        if waited_ms % 10_000 == 0 {
            pr_warn!("{} waits for commands to finish ({} s)\n", what, waited_ms / 1000);
        }
    }
}

/// Waits until every marked command finished.
fn wait_finished(marked: &KVec<Arc<CmdState>>) {
    wait_while("task management", || marked.iter().any(|s| !s.finished.load(Ordering::Acquire)));
}

/// Waits until no command for device `dev_id` is in flight.  Called when
/// a device leaves (no new command can reach it any more), so that its
/// handler, which commands in flight call, stays until they are done.
pub(crate) fn wait_device_idle(shared: &Shared, dev_id: u32) {
    let busy = || shared.inflight.lock().iter().any(|s| s.dev_id == dev_id);
    if busy() {
        trace!(shared, crate::trace::MGMT_MINOR, "device {} left: waiting for its commands in flight\n", dev_id);
        wait_while("device removal", busy);
    }
}

/// A reset: the affected devices lose their reservations and every
/// session that sees one of them gets a reset unit attention for it.
fn reset_state(shared: &Shared, sess: &Arc<Session>, func: i32, dev: Option<u32>) {
    let mut reg = shared.registry.lock();
    // The devices reset: one, or all the target's sessions can reach.
    let mut devs = KVec::new();
    for s in reg.sessions.iter().filter(|s| func == SCST_TARGET_RESET && Arc::ptr_eq(&s.target, &sess.target)) {
        if let Some(g) = reg.group(s.group.as_bytes()) {
            for l in g.luns.iter() {
                let _ = devs.push(l.dev_id, GFP_KERNEL);
            }
        }
    }
    if let Some(d) = dev {
        let _ = devs.push(d, GFP_KERNEL);
    }
    for d in reg.devices.iter_mut().filter(|d| devs.contains(&d.id)) {
        d.reserved_by = None;
    }
    nexus::devices_reset(&mut reg, &devs, Sense::POWER_ON_RESET);
}
