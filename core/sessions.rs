// SPDX-License-Identifier: GPL-2.0

//! Targets and sessions.
//!
//! A target driver registers each of its targets by name, and a session
//! for every initiator that logs in; the session is bound at registration
//! to a security group (see `acl`).  The handles given out are
//! `Arc::into_raw` pointers; before one is taken back it is looked up in
//! the registry, so a stale or foreign pointer is logged, never used.

use crate::acl::{select_group, GroupView};
use crate::names::check_port_name;
use crate::registry::{checked_name, Group, Registry, Shared};
use crate::scst_rs::api::abi::{ScstSession, ScstTgt, ScstTgtTemplate};
use crate::scst_rs::vec;
use kernel::{prelude::*, str::CString, sync::Arc};

/// A target: one SCSI target port of a target driver.
pub(crate) struct Target {
    pub(crate) name: CString,
    pub(crate) tmpl: &'static ScstTgtTemplate,
}

/// A session: an initiator logged in to a target (an I_T nexus).
pub(crate) struct Session {
    pub(crate) target: Arc<Target>,
    pub(crate) initiator: CString,
    /// The group bound at registration.
    pub(crate) group: CString,
}

impl GroupView for Group {
    fn name(&self) -> &[u8] {
        self.name.as_bytes()
    }

    fn lists(&self, initiator: &[u8]) -> bool {
        self.names.iter().any(|n| n.as_bytes() == initiator)
    }
}

/// Whether `a` points at `p` (handles are compared by address).
pub(crate) fn is<T>(a: &Arc<T>, p: *const T) -> bool {
    core::ptr::eq(&**a, p)
}

/// Registers target `name` of the registered template `tmpl`.
///
/// # Safety
///
/// `name` is null or a NUL-terminated string valid for the call.
pub(crate) unsafe fn add_target(
    shared: &Shared,
    tmpl: *const ScstTgtTemplate,
    name: *const core::ffi::c_char,
) -> Result<*mut ScstTgt> {
    let who = kernel::c_str!("scst_register_target");
    // SAFETY: function contract.
    let name = unsafe { checked_name(name, who, "target", check_port_name) }?;
    let mut reg = shared.registry.lock();
    let Some(t) = reg.templates.iter().find(|t| core::ptr::eq(t.tmpl, tmpl)) else {
        pr_err!("target {} refused: its driver is not registered\n", &*name);
        return Err(EINVAL);
    };
    let tmpl = t.tmpl;
    if reg.targets.iter().any(|t| t.name.as_bytes() == name.as_bytes()) {
        pr_err!("target {} already exists\n", &*name);
        return Err(EEXIST);
    }
    let target = Arc::new(Target { name, tmpl }, GFP_KERNEL)?;
    reg.targets.push(target.clone(), GFP_KERNEL)?;
    trace!(shared, crate::trace::MGMT, "target {} registered\n", &*target.name);
    Ok(Arc::into_raw(target).cast_mut().cast())
}

/// Unregisters a target and any sessions it still has.
pub(crate) fn remove_target(shared: &Shared, tgt: *mut ScstTgt) {
    let p: *const Target = tgt.cast_const().cast();
    let mut reg = shared.registry.lock();
    let Some(i) = reg.targets.iter().position(|t| is(t, p)) else {
        pr_err!("unregistering a target that is not registered\n");
        return;
    };
    crate::nexus::sessions_removed(&mut reg, |s| is(&s.target, p));
    let left = vec::retain(&mut reg.sessions, |s| !is(&s.target, p));
    if let Some(t) = vec::remove(&mut reg.targets, i) {
        if left > 0 {
            trace!(shared, crate::trace::MGMT, "target {}: {} sessions closed with it\n", &*t.name, left);
        }
        trace!(shared, crate::trace::MGMT, "target {} unregistered\n", &*t.name);
    }
    // SAFETY: `p` was found in the registry, so it is a handle from
    // `add_target` whose reference has not been released yet.
    drop(unsafe { Arc::from_raw(p) });
}

/// Unregisters every target of `tmpl`; returns how many there were.
pub(crate) fn remove_targets_of(shared: &Shared, tmpl: *const ScstTgtTemplate) -> usize {
    let mut n = 0;
    loop {
        let t = {
            let reg = shared.registry.lock();
            reg.targets.iter().find(|t| core::ptr::eq(t.tmpl, tmpl)).map(|t| &**t as *const Target)
        };
        match t {
            Some(t) => remove_target(shared, t.cast_mut().cast()),
            None => return n,
        }
        n += 1;
    }
}

/// The session behind a handle, if it is registered.
pub(crate) fn find_session(reg: &Registry, sess: *mut ScstSession) -> Option<Arc<Session>> {
    let p: *const Session = sess.cast_const().cast();
    reg.sessions.iter().find(|s| is(s, p)).cloned()
}

fn find_target(reg: &Registry, tgt: *mut ScstTgt) -> Option<Arc<Target>> {
    let p: *const Target = tgt.cast_const().cast();
    reg.targets.iter().find(|t| is(t, p)).cloned()
}

/// Registers a session of `initiator` on `tgt`, bound to its group.
///
/// # Safety
///
/// `initiator` is null or a NUL-terminated string valid for the call.
pub(crate) unsafe fn add_session(
    shared: &Shared,
    tgt: *mut ScstTgt,
    initiator: *const core::ffi::c_char,
) -> Result<*mut ScstSession> {
    let who = kernel::c_str!("scst_register_session");
    // SAFETY: function contract.
    let initiator = unsafe { checked_name(initiator, who, "initiator", check_port_name) }?;
    let mut reg = shared.registry.lock();
    let Some(target) = find_target(&reg, tgt) else {
        pr_err!("session of {} refused: target not registered\n", &*initiator);
        return Err(EINVAL);
    };
    let Some(g) = select_group(&reg.groups, initiator.as_bytes(), target.name.as_bytes())
        .and_then(|i| reg.groups.get(i))
    else {
        pr_err!("session of {} refused: no group to bind it to\n", &*initiator);
        return Err(ENOENT);
    };
    let group = CString::try_from(&*g.name)?;
    let s = Arc::new(Session { target, initiator, group }, GFP_KERNEL)?;
    reg.sessions.push(s.clone(), GFP_KERNEL)?;
    crate::nexus::session_added(&mut reg, &s);
    trace!(shared, crate::trace::MGMT, "session {} on target {} bound to group {}\n", &*s.initiator, &*s.target.name, &*s.group);
    Ok(Arc::into_raw(s).cast_mut().cast())
}

/// Unregisters a session.
pub(crate) fn remove_session(shared: &Shared, sess: *mut ScstSession) {
    let p: *const Session = sess.cast_const().cast();
    let mut reg = shared.registry.lock();
    let Some(i) = reg.sessions.iter().position(|s| is(s, p)) else {
        pr_err!("unregistering a session that is not registered\n");
        return;
    };
    crate::nexus::sessions_removed(&mut reg, |s| is(s, p));
    if let Some(s) = vec::remove(&mut reg.sessions, i) {
        trace!(shared, crate::trace::MGMT, "session {} on target {} unregistered\n", &*s.initiator, &*s.target.name);
    }
    // SAFETY: `p` was found in the registry, so it is a handle from
    // `add_session` whose reference has not been released yet.
    drop(unsafe { Arc::from_raw(p) });
}
