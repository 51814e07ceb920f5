// SPDX-License-Identifier: GPL-2.0

//! Handler state per I_T_L nexus: a "tgt_dev" for every LUN of every
//! session, created when the session registers or the LUN is added to the
//! session's group (the handler's `attach_tgt`, which may refuse: the
//! registration or the LUN addition then fails and is undone), and gone
//! when either leaves (`detach_tgt`).  Handlers also get it in
//! `task_mgmt_fn`.
//!
//! The `ScstTgtDev` handle is the entry's address, valid during those
//! callbacks.  All of them run under `registry`, so a handler must not
//! call the core's registration functions from them, nor sleep for long.

use crate::registry::{dev_type_name, Registry};
use crate::scst_rs::api::abi::{ScstDevType, ScstTgtDev};
use crate::scst_rs::vec;
use crate::sessions::Session;
use kernel::{prelude::*, sync::Arc};

/// A device as one session sees it through one LUN.
pub(crate) struct TgtDev {
    pub(crate) sess: Arc<Session>,
    pub(crate) lun: u64,
    pub(crate) dev_id: u32,
    pub(crate) dev_type: &'static ScstDevType,
    /// The handler's private pointer (an address).
    pub(crate) priv_: usize,
    /// The device's private pointer (its handler's, an address), as
    /// when the entry was made: the device stays with that handler while
    /// the entry exists.
    pub(crate) dev_priv: usize,
}

impl TgtDev {
    pub(crate) fn as_raw(&mut self) -> *mut ScstTgtDev {
        (self as *mut Self).cast()
    }

    /// The entry behind a handle.
    ///
    /// # Safety
    ///
    /// `p` is a handle passed to a running `attach_tgt`, `detach_tgt` or
    /// `task_mgmt_fn`, and not used by anything else meanwhile.
    pub(crate) unsafe fn from_raw<'a>(p: *mut ScstTgtDev) -> &'a mut Self {
        // SAFETY: function contract: the entry lives during the call.
        unsafe { &mut *p.cast::<Self>() }
    }
}

/// The (session, LUN, device) nexuses of `reg` that `which` selects and
/// that have no entry yet.
fn missing(
    reg: &Registry,
    which: impl Fn(&Session, u64) -> bool,
) -> Result<KVec<(Arc<Session>, u64, u32)>> {
    let mut v = KVec::new();
    for s in reg.sessions.iter().filter(|s| !s.is_closing()) {
        let Some(g) = reg.group(s.bound_group()) else {
            continue;
        };
        for l in g.luns.iter().filter(|l| which(s, l.lun)) {
            let have = reg
                .tgt_devs
                .iter()
                .any(|t| Arc::ptr_eq(&t.sess, s) && t.lun == l.lun);
            if !have {
                v.push((s.clone(), l.lun, l.dev_id), GFP_KERNEL)?;
            }
        }
    }
    Ok(v)
}

/// Creates the entries `which` selects, calling `attach_tgt`.  If the
/// handler refuses one, the entries created here are detached again and
/// the error returned.
fn attach(reg: &mut Registry, which: impl Fn(&Session, u64) -> bool) -> Result {
    let todo = missing(reg, which)?;
    let first = reg.tgt_devs.len();
    reg.tgt_devs.reserve(todo.len(), GFP_KERNEL)?;
    let mut r = Ok(());
    for (sess, lun, dev_id) in todo {
        let Some((dev_type, dev_priv)) = reg
            .device(dev_id)
            .and_then(|d| d.handler.map(|h| (h.dev_type, d.priv_)))
        else {
            continue;
        };
        let mut t = KBox::new(
            TgtDev {
                sess,
                lun,
                dev_id,
                dev_type,
                priv_: 0,
                dev_priv,
            },
            GFP_KERNEL,
        )?;
        if let Some(f) = dev_type.attach_tgt {
            // SAFETY: the handler is registered (it serves the device);
            // the handle is valid for the call.
            let rc = unsafe { f(t.as_raw()) };
            if rc != 0 {
                pr_err!(
                    "handler {} refused LUN {} for session {} ({})\n",
                    dev_type_name(dev_type),
                    lun,
                    &*t.sess.initiator,
                    rc
                );
                r = Err(EINVAL);
                break;
            }
        }
        // Cannot fail: room was reserved above.
        reg.tgt_devs.push(t, GFP_KERNEL)?;
    }
    if r.is_err() {
        while reg.tgt_devs.len() > first {
            let last = reg.tgt_devs.len() - 1;
            if let Some(t) = vec::remove(&mut reg.tgt_devs, last) {
                call_detach(t);
            }
        }
    }
    r
}

fn call_detach(mut t: KBox<TgtDev>) {
    if let Some(f) = t.dev_type.detach_tgt {
        // SAFETY: the handler is registered (detaching comes before a
        // device leaves its handler); the handle is valid for the call.
        unsafe { f(t.as_raw()) };
    }
}

/// A new session gets its group's LUNs.
pub(crate) fn attach_session(reg: &mut Registry, sess: &Arc<Session>) -> Result {
    attach(reg, |s, _| core::ptr::eq(s, &**sess))
}

/// The sessions bound to `group` get its new LUN `lun`.
pub(crate) fn attach_lun(reg: &mut Registry, group: &[u8], lun: u64) -> Result {
    attach(reg, |s, l| s.bound_group() == group && l == lun)
}

/// Detaches the entries whose session or LUN is gone: the session left the
/// registry, or its group no longer has the LUN as that device.
pub(crate) fn detach_stale(reg: &mut Registry) {
    loop {
        let stale = reg.tgt_devs.iter().position(|t| {
            let registered = reg.sessions.iter().any(|s| Arc::ptr_eq(s, &t.sess));
            let in_group = reg.group(t.sess.bound_group()).is_some_and(|g| {
                g.luns
                    .iter()
                    .any(|l| l.lun == t.lun && l.dev_id == t.dev_id)
            });
            !(registered && in_group)
        });
        let Some(i) = stale else { return };
        if let Some(t) = vec::remove(&mut reg.tgt_devs, i) {
            call_detach(t);
        }
    }
}

/// Calls the handlers' `task_mgmt_fn` for the entries `which` selects;
/// returns the first non-success status one of them gave.
pub(crate) fn task_mgmt(
    reg: &mut Registry,
    m: &crate::mgmt::MgmtCmd,
    which: impl Fn(&TgtDev) -> bool,
) -> Option<i32> {
    let mut status = None;
    for t in reg.tgt_devs.iter_mut().filter(|t| which(t)) {
        let Some(f) = t.dev_type.task_mgmt_fn else {
            continue;
        };
        // SAFETY: the handler is registered; both handles are valid for
        // the call.
        let rc = unsafe { f(m.as_raw(), t.as_raw()) };
        if rc != 0 && status.is_none() {
            status = Some(rc);
        }
    }
    status
}
