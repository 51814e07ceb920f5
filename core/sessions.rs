// SPDX-License-Identifier: GPL-2.0

//! Targets and sessions.
//!
//! A target driver registers each of its targets by name, and a session
//! for every initiator that logs in; the session is bound at registration
//! to a security group (see `acl`).  The handles given out are
//! `Arc::into_raw` pointers; before one is taken back to unregister it or
//! for task management it is looked up in the registry, so a stale or
//! foreign pointer is logged, never used.  A command's session is trusted
//! like the command handles (looked up only with CONFIG_SCST_DEBUG, see
//! `cmd::session_of`): a lookup under the registry's mutex for every
//! command would serialize every CPU's submitter.

use crate::acl::{select_group, GroupView};
use crate::cmd::Command;
use crate::names::check_port_name;
use crate::registry::{checked_name, Group, Registry, RegistryGuard, Shared};
use crate::scst_rs::api::abi::{ScstSession, ScstTgt, ScstTgtTemplate};
use crate::scst_rs::irqlock::{new_irq_spinlock, IrqSpinLock};
use crate::scst_rs::vec;
use crate::taskset::{Slots, Task, TaskSet, LUN_TASKS, SESSION_TASKS};
use crate::tm::CmdState;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::{
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow},
};

// The limit drivers are told is the one the task set applies.
const _: () = assert!(LUN_TASKS == crate::scst_rs::api::abi::SCST_MAX_LUN_COMMANDS as usize);

/// A target: one SCSI target port of a target driver.
pub(crate) struct Target {
    pub(crate) name: CString,
    pub(crate) tmpl: &'static ScstTgtTemplate,
    /// Asynchronous requests (`mgmt`) about it not done yet.
    pub(crate) pending: AtomicU32,
}

/// A command in a session's task set.
pub(crate) struct TaskRef {
    pub(crate) state: Arc<CmdState>,
    /// The command; valid while the entry exists (a command leaves the
    /// set before it is freed).
    pub(crate) cmd: *mut Command,
}

// SAFETY: the pointer is only dereferenced by the stage that owns the
// command; the entry itself is just a reference to it.
unsafe impl Send for TaskRef {}

/// Slots of a session's task set, allocated at registration.
pub(crate) type TaskSlots = KVec<Option<Task<TaskRef>>>;

impl Slots<TaskRef> for TaskSlots {
    fn slots(&self) -> &[Option<Task<TaskRef>>] {
        self
    }

    fn slots_mut(&mut self) -> &mut [Option<Task<TaskRef>>] {
        self
    }
}

/// A session's commands in flight.
pub(crate) type Tasks = TaskSet<TaskRef, TaskSlots>;

/// Sums of command latencies of a session, in nanoseconds, shown by
/// /proc/scsi_tgt/latency (CONFIG_SCST_MEASURE_LATENCY).
#[derive(Default)]
pub(crate) struct Latency {
    pub(crate) commands: AtomicU64,
    /// From `scst_rx_cmd` to `xmit_response`.
    pub(crate) total_ns: AtomicU64,
    /// In the handler's `exec` (until it returned or `scst_cmd_done`).
    pub(crate) exec_ns: AtomicU64,
}

impl Latency {
    pub(crate) fn add(&self, total_ns: u64, exec_ns: u64) {
        self.total_ns.fetch_add(total_ns, Ordering::Relaxed);
        self.exec_ns.fetch_add(exec_ns, Ordering::Relaxed);
        self.commands.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn clear(&self) {
        self.commands.store(0, Ordering::Relaxed);
        self.total_ns.store(0, Ordering::Relaxed);
        self.exec_ns.store(0, Ordering::Relaxed);
    }

    /// (commands, average total ns, average exec ns).
    pub(crate) fn averages(&self) -> (u64, u64, u64) {
        let n = self.commands.load(Ordering::Relaxed);
        let avg = |v: &AtomicU64| v.load(Ordering::Relaxed).checked_div(n).unwrap_or(0);
        (n, avg(&self.total_ns), avg(&self.exec_ns))
    }
}

/// A session: an initiator logged in to a target (an I_T nexus).
#[pin_data]
pub(crate) struct Session {
    pub(crate) target: Arc<Target>,
    pub(crate) initiator: CString,
    /// The group bound at registration.
    pub(crate) group: CString,
    /// Set when unregistration begins: no new command is accepted.
    pub(crate) closing: AtomicBool,
    /// Set (under the registry's mutex) when the initiator's name was
    /// removed from `group`: the session has no LUN from then on (see
    /// `bound_group`) and its driver is asked to end it.
    revoked: AtomicBool,
    /// The driver's private pointer (`scst_sess_set_tgt_priv`).
    pub(crate) tgt_priv: AtomicUsize,
    /// Commands answered TASK SET FULL.
    pub(crate) task_set_full: AtomicU32,
    /// Command latency sums (CONFIG_SCST_MEASURE_LATENCY).
    pub(crate) latency: Latency,
    /// Task-management requests (`mgmt`) not done yet.
    pub(crate) pending: AtomicU32,
    /// Its LUNs' routes, cached (lock order: after `registry`).
    pub(crate) routes: crate::routes::Routes,
    /// Its commands in flight, in arrival order (lock order: after
    /// `registry`, before the work queue).
    #[pin]
    pub(crate) tasks: IrqSpinLock<Tasks>,
}

impl Session {
    fn new(target: Arc<Target>, initiator: CString, group: CString) -> Result<Arc<Self>> {
        let mut slots = KVec::with_capacity(SESSION_TASKS, GFP_KERNEL)?;
        for _ in 0..SESSION_TASKS {
            slots.push(None, GFP_KERNEL)?;
        }
        let routes = crate::routes::Routes::new()?;
        Arc::pin_init(
            try_pin_init!(Self {
                target,
                initiator,
                group,
                closing: AtomicBool::new(false),
                revoked: AtomicBool::new(false),
                tgt_priv: AtomicUsize::new(0),
                task_set_full: AtomicU32::new(0),
                latency: Latency::default(),
                pending: AtomicU32::new(0),
                routes,
                tasks <- new_irq_spinlock!(TaskSet::new(slots, LUN_TASKS)),
            }? Error),
            GFP_KERNEL,
        )
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// The group whose LUNs the session reaches: the one bound at
    /// registration, or none (an empty name, which no group has) once its
    /// access was revoked.  Read under the registry's mutex, which
    /// revocation holds.
    pub(crate) fn bound_group(&self) -> &[u8] {
        if self.revoked.load(Ordering::Acquire) {
            return b"";
        }
        self.group.as_bytes()
    }
}

/// Revokes the access of the sessions bound to group `group` whose
/// initiator `removed` says lost its place in it (a `names del` or
/// `clear`): from now on their commands find no LUN (the caller holds the
/// registry's mutex, so every route is looked up again), their per-LUN
/// state (nexuses, reservations, unit attentions) goes, and their drivers
/// are asked to end them; the initiator logs in again and is bound as the
/// groups say then.  A name added to a group does not move a bound
/// session (SCST's binding at login): it only gains access, at the next
/// login.
pub(crate) fn revoke(reg: &mut Registry, group: &[u8], removed: impl Fn(&[u8]) -> bool) {
    let mut n = 0;
    for s in reg
        .sessions
        .iter()
        .filter(|s| !s.is_closing() && s.bound_group() == group && removed(s.initiator.as_bytes()))
    {
        // Before the private pointer is read: see `set_tgt_priv`.
        s.revoked.store(true, Ordering::SeqCst);
        n += 1;
        let close = s.target.tmpl.close_session;
        pr_info!(
            "session {} on target {}: the initiator is no longer in group {}: its access is revoked{}\n",
            &*s.initiator,
            &*s.target.name,
            &*s.group,
            if close.is_some() { " and the session ended" } else { " (its driver keeps the session, without LUNs)" }
        );
        let priv_ = s.tgt_priv.load(Ordering::SeqCst);
        if let (Some(close), true) = (close, priv_ != 0) {
            let handle: *const Session = &**s;
            // SAFETY: the session is registered and not closing (its
            // driver unregisters it only through the registry's mutex,
            // which we hold), and `priv_` is what the driver set for it;
            // the callback's contract forbids calling back into the core.
            unsafe { close(handle.cast_mut().cast(), priv_ as *mut core::ffi::c_void) };
        }
    }
    if n > 0 {
        crate::tgt_dev::detach_stale(reg);
        crate::nexus::sessions_removed(reg, |s| s.revoked.load(Ordering::Acquire));
    }
}

/// Sets a session's private pointer; false if the session's access was
/// revoked already (before the driver could be asked to end it: the
/// driver ends it now).  With `revoke`, which sets `revoked` before it
/// reads the pointer, either side sees the other's store.
pub(crate) fn set_tgt_priv(s: &Session, p: usize) -> bool {
    s.tgt_priv.store(p, Ordering::SeqCst);
    !s.revoked.load(Ordering::SeqCst)
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
    if reg
        .targets
        .iter()
        .any(|t| t.name.as_bytes() == name.as_bytes())
    {
        pr_err!("target {} already exists\n", &*name);
        return Err(EEXIST);
    }
    let target = Arc::new(
        Target {
            name,
            tmpl,
            pending: AtomicU32::new(0),
        },
        GFP_KERNEL,
    )?;
    reg.targets.push(target.clone(), GFP_KERNEL)?;
    trace!(
        shared,
        crate::trace::MGMT,
        "target {} registered\n",
        &*target.name
    );
    Ok(Arc::into_raw(target).cast_mut().cast())
}

/// Unregisters a target and any sessions it still has, once their
/// commands have finished.
pub(crate) fn remove_target(shared: &Shared, tgt: *mut ScstTgt) {
    let p: *const Target = tgt.cast_const().cast();
    let Some(target) = shared
        .registry
        .lock()
        .targets
        .iter()
        .find(|t| is(t, p))
        .cloned()
    else {
        pr_err!("unregistering a target that is not registered\n");
        return;
    };
    // Its asynchronous requests first: they may add or remove sessions.
    crate::tm::wait_while("target removal", || {
        target.pending.load(Ordering::SeqCst) > 0
    });
    drop(target);
    let (mut reg, left) = close_sessions(shared, |s| is(&s.target, p));
    vec::retain(&mut reg.sessions, |s| !is(&s.target, p));
    crate::tgt_dev::detach_stale(&mut reg);
    let Some(i) = reg.targets.iter().position(|t| is(t, p)) else {
        return;
    };
    if let Some(t) = vec::remove(&mut reg.targets, i) {
        if left > 0 {
            trace!(
                shared,
                crate::trace::MGMT,
                "target {}: {} sessions closed with it\n",
                &*t.name,
                left
            );
        }
        trace!(
            shared,
            crate::trace::MGMT,
            "target {} unregistered\n",
            &*t.name
        );
    }
    // SAFETY: `p` was found in the registry, so it is a handle from
    // `add_target` whose reference has not been released yet.
    drop(unsafe { Arc::from_raw(p) });
}

/// Closes the sessions `which` selects that are not closing yet: no new
/// command is accepted, their reservations and unit attentions go, and
/// once their commands have finished, whatever was queued for them
/// meanwhile goes too.  Returns how many it closed (0: it did nothing)
/// and the registry, still locked, for the caller to take them off.
fn close_sessions(
    shared: &Shared,
    which: impl Fn(&Arc<Session>) -> bool,
) -> (RegistryGuard<'_>, usize) {
    let mut reg = shared.registry.lock();
    let mut n = 0;
    for s in reg.sessions.iter().filter(|s| which(s) && !s.is_closing()) {
        s.closing.store(true, Ordering::Release);
        n += 1;
    }
    if n == 0 {
        return (reg, 0);
    }
    crate::nexus::sessions_removed(&mut reg, &which);
    drop(reg);
    crate::tm::wait_while("session removal", || {
        let reg = shared.registry.lock();
        let busy =
            |s: &Arc<Session>| !s.tasks.lock().is_empty() || s.pending.load(Ordering::SeqCst) > 0;
        reg.sessions
            .iter()
            .any(|s| s.is_closing() && which(s) && busy(s))
    });
    let mut reg = shared.registry.lock();
    crate::nexus::sessions_removed(&mut reg, &which);
    (reg, n)
}

/// Unregisters every target of `tmpl`; returns how many there were.
pub(crate) fn remove_targets_of(shared: &Shared, tmpl: *const ScstTgtTemplate) -> usize {
    let mut n = 0;
    loop {
        let t = {
            let reg = shared.registry.lock();
            reg.targets
                .iter()
                .find(|t| core::ptr::eq(t.tmpl, tmpl))
                .map(|t| &**t as *const Target)
        };
        match t {
            Some(t) => remove_target(shared, t.cast_mut().cast()),
            None => return n,
        }
        n += 1;
    }
}

/// The session behind a driver's handle, trusted, not looked up: for
/// callers in atomic context, where the registry's mutex cannot be taken.
///
/// # Safety
///
/// `sess` is a registered session of the caller: a driver does not
/// unregister a session while it still submits work for it (docs/api.md).
pub(crate) unsafe fn trusted_session(sess: *mut ScstSession) -> Arc<Session> {
    // SAFETY: function contract: a live `Arc<Session>` handle.
    Arc::from(unsafe { ArcBorrow::from_raw(sess.cast_const().cast::<Session>()) })
}

/// The target behind a driver's handle, trusted as [`trusted_session`].
///
/// # Safety
///
/// `tgt` is a registered target of the caller.
pub(crate) unsafe fn trusted_target(tgt: *mut ScstTgt) -> Arc<Target> {
    // SAFETY: function contract: a live `Arc<Target>` handle.
    Arc::from(unsafe { ArcBorrow::from_raw(tgt.cast_const().cast::<Target>()) })
}

/// The session behind a handle, if it is registered.
pub(crate) fn find_session(reg: &Registry, sess: *mut ScstSession) -> Option<Arc<Session>> {
    let p: *const Session = sess.cast_const().cast();
    reg.sessions
        .iter()
        .find(|s| is(s, p) && !s.is_closing())
        .cloned()
}

fn find_target(reg: &Registry, tgt: *mut ScstTgt) -> Option<Arc<Target>> {
    let p: *const Target = tgt.cast_const().cast();
    reg.targets.iter().find(|t| is(t, p)).cloned()
}

/// Checks an initiator name a driver passed.
///
/// # Safety
///
/// `initiator` is null or a NUL-terminated string valid for the call.
pub(crate) unsafe fn initiator_name(initiator: *const core::ffi::c_char) -> Result<CString> {
    let who = kernel::c_str!("scst_register_session");
    // SAFETY: function contract.
    unsafe { checked_name(initiator, who, "initiator", check_port_name) }
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
    // SAFETY: function contract.
    let initiator = unsafe { initiator_name(initiator) }?;
    add_session_named(shared, tgt, initiator)
}

/// Registers a session of the checked name `initiator` on `tgt`.
pub(crate) fn add_session_named(
    shared: &Shared,
    tgt: *mut ScstTgt,
    initiator: CString,
) -> Result<*mut ScstSession> {
    let mut reg = shared.registry.lock();
    let Some(target) = find_target(&reg, tgt) else {
        pr_err!(
            "session of {} refused: target not registered\n",
            &*initiator
        );
        return Err(EINVAL);
    };
    let Some(g) = select_group(&reg.groups, initiator.as_bytes(), target.name.as_bytes())
        .and_then(|i| reg.groups.get(i))
    else {
        pr_err!(
            "session of {} refused: no group to bind it to\n",
            &*initiator
        );
        return Err(ENOENT);
    };
    let group = CString::try_from(&*g.name)?;
    let s = Session::new(target, initiator, group)?;
    reg.sessions.push(s.clone(), GFP_KERNEL)?;
    if let Err(e) = crate::tgt_dev::attach_session(&mut reg, &s) {
        vec::retain(&mut reg.sessions, |x| !Arc::ptr_eq(x, &s));
        pr_err!(
            "session {} on target {} refused\n",
            &*s.initiator,
            &*s.target.name
        );
        return Err(e);
    }
    crate::nexus::session_added(&mut reg, &s);
    trace!(
        shared,
        crate::trace::MGMT,
        "session {} on target {} bound to group {}\n",
        &*s.initiator,
        &*s.target.name,
        &*s.group
    );
    Ok(Arc::into_raw(s).cast_mut().cast())
}

/// Unregisters a session once its commands in flight have finished.
pub(crate) fn remove_session(shared: &Shared, sess: *mut ScstSession) {
    let p: *const Session = sess.cast_const().cast();
    let (mut reg, n) = close_sessions(shared, |s| is(s, p));
    if n == 0 {
        pr_err!("unregistering a session that is not registered\n");
        return;
    }
    let Some(i) = reg.sessions.iter().position(|s| is(s, p)) else {
        return;
    };
    if let Some(s) = vec::remove(&mut reg.sessions, i) {
        trace!(
            shared,
            crate::trace::MGMT,
            "session {} on target {} unregistered\n",
            &*s.initiator,
            &*s.target.name
        );
    }
    crate::tgt_dev::detach_stale(&mut reg);
    // SAFETY: `p` was found in the registry, so it is a handle from
    // `add_session` whose reference has not been released yet.
    drop(unsafe { Arc::from_raw(p) });
}
