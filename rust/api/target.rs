// SPDX-License-Identifier: GPL-2.0

//! Target drivers as a Rust trait: a driver implements [`TargetDriver`]
//! and registers it with [`Template`], which builds and owns the C table
//! (`ScstTgtTemplate`) with one generated `extern "C"` entry point per
//! callback.  Targets ([`Target`]) and sessions ([`Session`]) are typed by
//! their driver, so what a driver hands the core (a command's data, a
//! task-management request's, a session's) comes back to it with its type:
//! a driver module needs no `extern "C"`, no raw pointer and no `unsafe`
//! for its callbacks.
//!
//! Ownership of the private data:
//! - a command's `T::CmdData` goes to the core with [`Session::rx`] and
//!   comes back, once, in `xmit_response`; `rdy_to_xfer` borrows it;
//! - a task-management request's `T::MgmtData` goes with
//!   [`Session::task_mgmt`] and comes back in `task_mgmt_fn_done`;
//! - a session's `T::SessData`, set with [`Session::set_data`], is lent to
//!   `close_session` and dropped after the session is unregistered.

use super::abi::{
    ScstCmd, ScstMgmtCmd, ScstSession, ScstTgt, ScstTgtTemplate, SCST_INTERFACE_VERSION,
    SCST_TGT_NO_PROC_ENTRY, SCST_TGT_RDY_TO_XFER_ATOMIC, SCST_TGT_RES_SUCCESS,
    SCST_TGT_XMIT_RESPONSE_ATOMIC, SCST_TRACE_DEFAULT,
};
use super::cmd::{Cmd, Context};
use super::mgmt::MgmtRef;
use core::ffi::c_char;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use kernel::{
    build_error,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_void},
    prelude::*,
    str::CStr,
    sync::Arc,
    types::ForeignOwnable,
    ThisModule,
};

extern "C" {
    fn scst_register_target_template(
        tmpl: *const ScstTgtTemplate,
        owner: super::abi::ModulePtr,
        version: u64,
    ) -> c_int;
    fn scst_unregister_target_template(tmpl: *const ScstTgtTemplate);
    fn scst_proc_get_tgt_root(tmpl: *const ScstTgtTemplate) -> *mut c_void;
    fn scst_register_target(tmpl: *const ScstTgtTemplate, name: *const c_char) -> *mut ScstTgt;
    fn scst_unregister_target(tgt: *mut ScstTgt);
    fn scst_register_session(tgt: *mut ScstTgt, initiator: *const c_char) -> *mut ScstSession;
    fn scst_unregister_session(sess: *mut ScstSession);
    fn scst_sess_set_tgt_priv(sess: *mut ScstSession, priv_: *mut c_void) -> c_int;
}

/// A command's private data as lent to `rdy_to_xfer`.
pub(crate) type CmdBorrow<'a, T> = <<T as TargetDriver>::CmdData as ForeignOwnable>::Borrowed<'a>;
/// A session's private data as lent to `close_session`.
pub(crate) type SessBorrow<'a, T> = <<T as TargetDriver>::SessData as ForeignOwnable>::Borrowed<'a>;

/// What `rdy_to_xfer` did with a write's command.
pub(crate) enum Xfer {
    /// The data is in the buffer (`true`) or could not be received
    /// (`false`): the core goes on with the command once `rdy_to_xfer` has
    /// returned (it may finish it there and then, taking the command's
    /// data back, which is why the driver does not call [`Cmd::rx_data`]
    /// itself while it holds the borrow).
    Now(Cmd, bool),
    /// The driver keeps the command and calls [`Cmd::rx_data`] when the
    /// data has come.  It may do so before returning only if the command's
    /// data stays alive by itself (an `Arc` it holds a reference to): the
    /// command may be finished, and the core's reference dropped, before
    /// `rx_data` returns.
    Later,
}

/// A target driver.  The methods a driver does not implement are left
/// out of the C table (the core's default applies).
#[vtable]
pub(crate) trait TargetDriver: Sized + 'static {
    /// What the driver keeps with each command (given at [`Session::rx`]).
    type CmdData: ForeignOwnable + Send + Sync;
    /// What the driver keeps with each task-management request.
    type MgmtData: ForeignOwnable + Send;
    /// What the driver keeps with each session, for `close_session`.
    type SessData: ForeignOwnable + Send + Sync;

    /// Most scatter-gather entries the driver takes in one command (0: no
    /// limit).
    const SG_TABLESIZE: u32 = 0;
    /// SCST threads to start for the driver (0: the global pool only).
    const THREADS: u32 = 0;
    /// `xmit_response` may be called in atomic context: it never sleeps.
    const XMIT_RESPONSE_ATOMIC: bool = false;
    /// `rdy_to_xfer` may be called in atomic context.
    const RDY_TO_XFER_ATOMIC: bool = false;
    /// The driver wants no /proc/scsi_tgt/<name>/ directory.
    const NO_PROC_ENTRY: bool = false;

    /// The core has the command's data and status (or the command was
    /// aborted, [`Cmd::aborted`]: then nothing is sent): send them, then
    /// call [`Cmd::tgt_done`], now or later, exactly once.  The command's
    /// data comes back here.
    fn xmit_response(cmd: Cmd, data: Self::CmdData);

    /// A write's buffer is ready: fill it with the initiator's data (see
    /// [`Xfer`]).
    fn rdy_to_xfer(_cmd: Cmd, _data: CmdBorrow<'_, Self>) -> Xfer {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A request submitted with [`Session::task_mgmt`] is done
    /// ([`MgmtRef::status`]); its data comes back.
    fn task_mgmt_fn_done(_m: &MgmtRef, _data: Self::MgmtData) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The session's initiator lost its access (its name left the group
    /// the session is bound to): end the session as when the initiator
    /// leaves.  Called with the core's registry locked: it must not call
    /// into the core or wait for anything that does.  Not implemented:
    /// such sessions stay, without LUNs, until the driver ends them.
    fn close_session(_data: SessBorrow<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A driver's C table and trace level, at a fixed address while
/// registered.
struct Table {
    c: ScstTgtTemplate,
    trace: AtomicU32,
}

/// A registered target driver of type `T`: unregistered when dropped,
/// after its targets.
///
/// # Invariants
///
/// `table.c` is registered with the core until this is dropped; its
/// callbacks are `T`'s entry points below.
pub(crate) struct Template<T: TargetDriver> {
    table: KBox<Table>,
    _t: PhantomData<T>,
}

// SAFETY: a handle: the table is immutable while registered (its trace
// level is atomic), and the core's calls work from any thread.
unsafe impl<T: TargetDriver> Send for Template<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: TargetDriver> Sync for Template<T> {}

impl<T: TargetDriver> Template<T> {
    /// Registers `T` as target driver `name` on behalf of `module`.
    pub(crate) fn new(name: &'static CStr, module: &'static ThisModule) -> Result<Self> {
        let flags = super::flag_bits(&[
            (T::XMIT_RESPONSE_ATOMIC, SCST_TGT_XMIT_RESPONSE_ATOMIC),
            (T::RDY_TO_XFER_ATOMIC, SCST_TGT_RDY_TO_XFER_ATOMIC),
            (T::NO_PROC_ENTRY, SCST_TGT_NO_PROC_ENTRY),
        ]);
        let mut table = KBox::new(
            Table {
                c: ScstTgtTemplate {
                    name: name.as_char_ptr().cast(),
                    sg_tablesize: c_int::try_from(T::SG_TABLESIZE).map_err(|_| EINVAL)?,
                    threads_num: c_int::try_from(T::THREADS).map_err(|_| EINVAL)?,
                    flags,
                    detect: Some(detect_cb),
                    release: Some(release_cb),
                    xmit_response: Some(xmit_response_cb::<T>),
                    rdy_to_xfer: T::HAS_RDY_TO_XFER.then_some(rdy_to_xfer_cb::<T> as _),
                    on_free_cmd: None,
                    task_mgmt_fn_done: T::HAS_TASK_MGMT_FN_DONE
                        .then_some(task_mgmt_fn_done_cb::<T> as _),
                    preprocessing_done: None,
                    trace_flags: core::ptr::null(),
                    close_session: T::HAS_CLOSE_SESSION.then_some(close_session_cb::<T> as _),
                },
                trace: AtomicU32::new(SCST_TRACE_DEFAULT),
            },
            GFP_KERNEL,
        )?;
        table.c.trace_flags = &table.trace;
        // SAFETY: the table stays at its address, unchanged, until `drop`
        // unregisters it (the box is never moved out of or written again),
        // and its name is `'static`.
        to_result(unsafe {
            scst_register_target_template(&table.c, module.as_ptr().cast(), SCST_INTERFACE_VERSION)
        })?;
        Ok(Self {
            table,
            _t: PhantomData,
        })
    }

    /// The driver's /proc/scsi_tgt/<name>/ directory, for its own files,
    /// which must be dropped before this registration.
    pub(crate) fn proc_dir(&self) -> Result<crate::scst_rs::procfs::ProcDir> {
        // SAFETY: the template is registered (invariant); the directory
        // lives until it unregisters, after the caller's files are gone.
        let raw = unsafe { scst_proc_get_tgt_root(&self.table.c) };
        // SAFETY: as above.
        unsafe { crate::scst_rs::procfs::ProcDir::borrowed(raw) }
    }

    /// Registers target `name` (the core logs why it refuses one).  Drop
    /// the target before the template.
    pub(crate) fn add_target(&self, name: &CStr) -> Result<Target<T>> {
        // SAFETY: the template is registered (invariant); `name` is
        // NUL-terminated and lives for the call.
        let tgt = unsafe { scst_register_target(&self.table.c, name.as_char_ptr().cast()) };
        if tgt.is_null() {
            return Err(EINVAL);
        }
        Ok(Target {
            tgt,
            _t: PhantomData,
        })
    }
}

impl<T: TargetDriver> Drop for Template<T> {
    fn drop(&mut self) {
        // SAFETY: the template is registered (invariant).
        unsafe { scst_unregister_target_template(&self.table.c) };
    }
}

/// A registered target of driver `T`: unregistered when dropped, after
/// its sessions.  (The types do not tie a session to its target or a
/// target to its template: a module drops them in that order, as every
/// one of ours declares them.)
///
/// # Invariants
///
/// `tgt` is a handle from `scst_register_target` of `T`'s template, not
/// yet unregistered.
pub(crate) struct Target<T: TargetDriver> {
    tgt: *mut ScstTgt,
    _t: PhantomData<T>,
}

// SAFETY: the core's handles may be used from any thread.
unsafe impl<T: TargetDriver> Send for Target<T> {}
// SAFETY: as above; `&Target` only registers sessions.
unsafe impl<T: TargetDriver> Sync for Target<T> {}

impl<T: TargetDriver> Target<T> {
    /// Registers a session of `initiator` (the core binds it to the group
    /// that lists the name, else the target's default group).
    pub(crate) fn add_session(&self, initiator: &CStr) -> Result<Session<T>> {
        // SAFETY: the target is registered (invariant); `initiator` is
        // NUL-terminated and lives for the call.
        let sess = unsafe { scst_register_session(self.tgt, initiator.as_char_ptr().cast()) };
        if sess.is_null() {
            return Err(EINVAL);
        }
        Ok(Session {
            sess,
            data: AtomicPtr::new(core::ptr::null_mut()),
            _t: PhantomData,
        })
    }
}

impl<T: TargetDriver> Drop for Target<T> {
    fn drop(&mut self) {
        // SAFETY: the target is registered (invariant).
        unsafe { scst_unregister_target(self.tgt) };
    }
}

/// A registered session of driver `T`: unregistered when dropped, which
/// waits for its commands.
///
/// # Invariants
///
/// `sess` is a handle from `scst_register_session` on a target of `T`,
/// not yet unregistered.  `data` is null or a `T::SessData` from
/// `into_foreign`, set once, which is also the session's private pointer
/// in the core, and taken back only in `drop`.
pub(crate) struct Session<T: TargetDriver> {
    sess: *mut ScstSession,
    data: AtomicPtr<c_void>,
    _t: PhantomData<T>,
}

// SAFETY: the core's handles may be used from any thread; the session
// data is `Send + Sync`.
unsafe impl<T: TargetDriver> Send for Session<T> {}
// SAFETY: as above.
unsafe impl<T: TargetDriver> Sync for Session<T> {}

impl<T: TargetDriver> Session<T> {
    /// Creates a command for LUN `lun` (8-byte SAM format) with `data` as
    /// its private data; `atomic`: the caller cannot sleep.  The core may
    /// refuse (it logs why): `data` comes back.  Then set what the command
    /// needs and hand it over with [`Cmd::init_done`].
    pub(crate) fn rx(
        &self,
        lun: &[u8; 8],
        cdb: &[u8],
        data: T::CmdData,
        atomic: bool,
    ) -> core::result::Result<Cmd, T::CmdData> {
        let p = data.into_foreign().cast_mut();
        // SAFETY: the session is registered (invariant).
        match unsafe { Cmd::rx(self.sess, lun, cdb, p, atomic) } {
            Some(c) => Ok(c),
            // SAFETY: refused: the core did not keep `p`, from
            // `into_foreign` just above.
            None => Err(unsafe { T::CmdData::from_foreign(p) }),
        }
    }

    /// Submits task-management function `func` (`SCST_ABORT_TASK`, ...)
    /// without waiting: `lun` for LUN-wide functions, `tag` (the address
    /// of a command's data, as [`cmd_tag`] gives it) for ABORT TASK.  The
    /// core calls `task_mgmt_fn_done` with `data` when it is done; on
    /// error nothing is called back and `data` comes back.
    pub(crate) fn task_mgmt(
        &self,
        func: i32,
        lun: Option<&[u8; 8]>,
        tag: Option<CmdTag>,
        data: T::MgmtData,
    ) -> core::result::Result<(), T::MgmtData> {
        let tag = tag.map_or(core::ptr::null_mut(), |t| t.0);
        let p = data.into_foreign().cast_mut();
        // SAFETY: the session is registered (invariant); `tag` is only
        // compared with commands' private pointers.
        match unsafe { super::mgmt::task_mgmt_async(self.sess, func, lun, tag, p) } {
            Ok(()) => Ok(()),
            // SAFETY: refused: nothing will call back with `p`, from
            // `into_foreign` just above.
            Err(_) => Err(unsafe { T::MgmtData::from_foreign(p) }),
        }
    }

    /// Gives the session its data, lent to `close_session` from now on
    /// and dropped after the session is unregistered.  Once only (a second
    /// call gives `data` back).  Returns false if the session's access was
    /// revoked before: the driver must end it itself.
    pub(crate) fn set_data(&self, data: T::SessData) -> core::result::Result<bool, T::SessData> {
        let p = data.into_foreign().cast_mut();
        let null = core::ptr::null_mut();
        if self
            .data
            .compare_exchange(null, p, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: not kept: `p` is from `into_foreign` just above.
            return Err(unsafe { T::SessData::from_foreign(p) });
        }
        // SAFETY: the session is registered (invariant); `p` is kept until
        // `drop` takes it back (invariant).
        Ok(unsafe { scst_sess_set_tgt_priv(self.sess, p) } == 0)
    }
}

impl<T: TargetDriver> Drop for Session<T> {
    fn drop(&mut self) {
        // SAFETY: the session is registered (invariant).
        unsafe { scst_unregister_session(self.sess) };
        let p = *self.data.get_mut();
        if !p.is_null() {
            // SAFETY: `set_data` set `p` from `into_foreign` (invariant),
            // taken back once, here.  Unregistering took the core's
            // registry mutex, under which `close_session` runs, and the
            // session is gone from the core: no borrow of it is left.
            drop(unsafe { T::SessData::from_foreign(p) });
        }
    }
}

/// The name the core knows a command by for ABORT TASK: the foreign form
/// of its data.  Only compared, never followed.
#[derive(Clone, Copy)]
pub(crate) struct CmdTag(*mut c_void);

impl CmdTag {
    /// The tag of the command whose data's foreign form is `p`.
    pub(crate) fn new(p: *const c_void) -> Self {
        Self(p.cast_mut())
    }
}

/// The tag of the command whose data is `data` (a reference to what was
/// given to [`Session::rx`]).
pub(crate) fn cmd_tag<U: 'static>(data: &Arc<U>) -> CmdTag {
    // An `Arc`'s foreign form is the address of its allocation, the same
    // for every reference: this one's is the command's.
    let p = data.clone().into_foreign();
    // SAFETY: `p` comes from `into_foreign` just above.
    drop(unsafe { Arc::<U>::from_foreign(p) });
    CmdTag(p.cast_mut())
}

// The C entry points.  Each wraps the handles the core passes (valid for
// the call, by the `ScstTgtTemplate` contract in abi.rs) and calls `T`.

/// Targets are added by the driver itself: none to detect.
unsafe extern "C" fn detect_cb(_t: *const ScstTgtTemplate) -> c_int {
    0
}

/// Nothing to release: a target's state goes with its `Target`.
unsafe extern "C" fn release_cb(_t: *mut ScstTgt) -> c_int {
    0
}

/// # Safety
///
/// Called by the core as `ScstTgtTemplate::xmit_response`, with a live
/// command created by [`Session::rx`] of `T`, once.
unsafe extern "C" fn xmit_response_cb<T: TargetDriver>(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command (contract).
    let Some(c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return 0;
    };
    let p = c.tgt_priv();
    if p.is_null() {
        // Not a command of `Session::rx` (the contract excludes it).
        c.tgt_done(Context::Same);
        return 0;
    }
    // SAFETY: `Session::rx` set `p` from `T::CmdData::into_foreign`; this
    // is the command's last callback with it (contract), and comes after
    // `rx_data`, after `rdy_to_xfer`'s borrow ended (see `Xfer`).
    let data = unsafe { T::CmdData::from_foreign(p) };
    T::xmit_response(c, data);
    SCST_TGT_RES_SUCCESS
}

/// # Safety
///
/// As `xmit_response_cb`, as `ScstTgtTemplate::rdy_to_xfer`, before it.
unsafe extern "C" fn rdy_to_xfer_cb<T: TargetDriver>(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command (contract).
    let Some(c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return 0;
    };
    let p = c.tgt_priv();
    if p.is_null() {
        c.rx_data(false, Context::Same);
        return 0;
    }
    // SAFETY: `Session::rx` set `p` from `T::CmdData::into_foreign`; it is
    // taken back only in `xmit_response`, which comes after `rx_data`:
    // below, once the borrow has ended, or from the driver under the
    // rule of `Xfer::Later`.
    let data = unsafe { T::CmdData::borrow(p) };
    if let Xfer::Now(c, ok) = T::rdy_to_xfer(c, data) {
        c.rx_data(ok, Context::Same);
    }
    SCST_TGT_RES_SUCCESS
}

/// # Safety
///
/// Called by the core as `ScstTgtTemplate::task_mgmt_fn_done` with the
/// handle of a request [`Session::task_mgmt`] of `T` submitted, once.
unsafe extern "C" fn task_mgmt_fn_done_cb<T: TargetDriver>(m: *mut ScstMgmtCmd) {
    // SAFETY: the handle of this call (contract).
    let m = unsafe { MgmtRef::from_raw(m) };
    let p = m.tgt_priv();
    if p.is_null() {
        return;
    }
    // SAFETY: `Session::task_mgmt` set `p` from `into_foreign`; the core
    // calls this once per request.
    let data = unsafe { T::MgmtData::from_foreign(p) };
    T::task_mgmt_fn_done(&m, data);
}

/// # Safety
///
/// Called by the core as `ScstTgtTemplate::close_session`, for a
/// registered session of `T` whose private pointer is `tgt_priv`.
unsafe extern "C" fn close_session_cb<T: TargetDriver>(
    _sess: *mut ScstSession,
    tgt_priv: *mut c_void,
) {
    // SAFETY: the core passes the pointer `Session::set_data` set (never
    // null), under the registry mutex that unregistration takes before
    // `Session::drop` takes the data back.
    T::close_session(unsafe { T::SessData::borrow(tgt_priv) });
}
