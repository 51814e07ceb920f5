// SPDX-License-Identifier: GPL-2.0

//! Device handlers as a Rust trait: a handler module implements
//! [`DevHandler`] and registers it with [`Registration`], which builds and
//! owns the C table (`ScstDevType`) the core calls, with one generated
//! `extern "C"` entry point per callback the handler provides.  The
//! handler's per-device state is a [`ForeignOwnable`] (`T::DevData`): made
//! by `attach`, lent to every callback of the device's commands, given
//! back to `detach`.  A handler module so needs no `extern "C"`, no raw
//! pointer and no `unsafe` for its callbacks.
//!
//! The contract of each callback (when the core calls it, in which
//! context, what its result means) is on the trait's methods; docs/api.md
//! has the command flow.

use super::abi::{
    ScstCmd, ScstDevType, ScstDevice, ScstMgmtCmd, ScstTgtDev, SCST_CMD_STATE_DEFAULT,
    SCST_DEV_DEV_DONE_ATOMIC, SCST_DEV_EXEC_ATOMIC, SCST_DEV_EXEC_SYNC, SCST_DEV_PARSE_ATOMIC,
    SCST_DEV_VIRTUAL, SCST_EXEC_COMPLETED, SCST_EXEC_NEED_THREAD, SCST_EXEC_NOT_COMPLETED,
    SCST_INTERFACE_VERSION, SCST_TRACE_DEFAULT,
};
// What a handler's callbacks get, for `use handler::*`.
pub(crate) use super::client::VirtualDeviceRegistration as VirtualDevice;
pub(crate) use super::cmd::Cmd;
pub(crate) use super::dev::DevRef;
pub(crate) use super::mgmt::{MgmtRef, TgtDevRef};
use crate::scst_rs::scsi::Sense;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use kernel::{
    build_error,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_void},
    prelude::*,
    str::{CStr, CString},
    types::ForeignOwnable,
    ThisModule,
};

extern "C" {
    fn scst_register_dev_driver(
        dev_type: *const ScstDevType,
        owner: super::abi::ModulePtr,
        version: u64,
    ) -> c_int;
    fn scst_unregister_dev_driver(dev_type: *const ScstDevType);
    fn scst_register_virtual_device(
        dev_type: *const ScstDevType,
        name: *const core::ffi::c_char,
    ) -> c_int;
    fn scst_proc_get_dev_type_root(dev_type: *const ScstDevType) -> *mut c_void;
}

/// A device's private data as lent to a callback.
pub(crate) type DevBorrow<'a, T> = <<T as DevHandler>::DevData as ForeignOwnable>::Borrowed<'a>;

/// What `exec` did with a command.
pub(crate) enum Exec {
    /// The command is finished (its status and data are set): the core
    /// goes on with it.  Holding the command proves `exec` did not give it
    /// away.
    Done(Cmd),
    /// The command was handed on (I/O submitted): whoever holds it calls
    /// [`Cmd::done`] once, maybe before `exec` returns.
    Later,
    /// `exec`, called outside a thread ([`super::cmd::Context::Submit`] or
    /// atomic), would have waited and did nothing: the core calls it again
    /// from a thread.  Never from a thread (the command then fails).
    NeedThread(Cmd),
}

/// A device handler.  Every method runs in the context its description
/// gives; the ones a handler does not implement are left out of the C
/// table (the core's default applies).
#[vtable]
pub(crate) trait DevHandler: Sized + 'static {
    /// A device's state, from `attach` to `detach`.  The core calls
    /// `detach` only when none of the device's commands is in flight, so
    /// every command's callbacks may borrow it.
    type DevData: ForeignOwnable + Send + Sync;

    /// SCST threads to start for the handler (0: the global pool only).
    const THREADS: u32 = 0;
    /// A handler of virtual devices, registered by name
    /// ([`Registration::add_virtual_device`]), not of real SCSI devices.
    const VIRTUAL: bool = false;
    /// `exec` always finishes the command before it returns
    /// ([`Exec::Done`]); the core checks and logs a broken promise.
    const EXEC_SYNC: bool = false;
    /// `exec` may be called in atomic context.
    const EXEC_ATOMIC: bool = false;
    /// `parse` may be called in atomic context.
    const PARSE_ATOMIC: bool = false;
    /// `dev_done` may be called in atomic context.
    const DEV_DONE_ATOMIC: bool = false;

    /// A device is being attached to the handler: its state, or the error
    /// refusing it (the core logs the refusal).  Process context, with the
    /// core's registry held: no command may be sent from here.
    fn attach(dev: &DevRef) -> Result<Self::DevData>;

    /// The device is being detached; its state comes back.  Process
    /// context.
    fn detach(_dev: &DevRef, _data: Self::DevData) {}

    /// Decodes the CDB ([`Cmd::decode`]) before the core allocates the
    /// buffer; may refuse the command with [`Cmd::fail`] and `Ok`.  An
    /// `Err` is an internal error (the command fails with INTERNAL TARGET
    /// FAILURE).
    fn parse(cmd: &Cmd, dev: DevBorrow<'_, Self>) -> Result;

    /// Executes the command: see [`Exec`] for what the result says.
    fn exec(cmd: Cmd, dev: DevBorrow<'_, Self>) -> Exec;

    /// Post-processes a finished command (its status and data may be
    /// changed) before the driver sends it.
    fn dev_done(_cmd: &mut Cmd, _dev: DevBorrow<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A session gains access to one of the handler's devices through a
    /// LUN; an error keeps the LUN from the session.  Process context,
    /// with the core's registry held: it must not wait for long.
    fn attach_tgt(_t: &TgtDevRef, _dev: DevBorrow<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The session loses that access.  Process context.
    fn detach_tgt(_t: &TgtDevRef, _dev: DevBorrow<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The handler's part of a task-management function for one LUN of a
    /// session (a LUN reset, ...), which cannot fail.  Process context,
    /// with the core's registry held.
    fn task_mgmt_fn(_m: &MgmtRef, _t: &TgtDevRef, _dev: DevBorrow<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The private data of `cmd`'s device, for code outside the handler's
/// callbacks that holds one of its commands (an I/O completion).
///
/// # Safety
///
/// `cmd` is in flight and its device is attached to a handler of type `T`.
pub(crate) unsafe fn dev_data<T: DevHandler>(cmd: &Cmd) -> Option<DevBorrow<'_, T>> {
    // SAFETY: contract; the borrow ends with the one of `cmd`.
    unsafe { borrow_priv::<T>(cmd.dev_priv()) }
}

/// Borrows a device's private data from its pointer, for `'a`.
///
/// # Safety
///
/// `p` is the private pointer of a device attached to `T`, and for `'a`
/// one of the device's commands is in flight or one of its nexus
/// callbacks runs (both end before `detach`).
unsafe fn borrow_priv<'a, T: DevHandler>(p: *mut c_void) -> Option<DevBorrow<'a, T>> {
    // SAFETY: `attach_cb` set `p` from `T::DevData::into_foreign`;
    // `detach_cb` takes it back only when no command of the device is in
    // flight, so it outlives `'a` (contract).
    (!p.is_null()).then(|| unsafe { T::DevData::borrow(p) })
}

/// A handler's C table and trace level, at a fixed address while
/// registered.  `c` comes first: a device's `dev_type` leads back here.
#[repr(C)]
struct Table {
    c: ScstDevType,
    trace: AtomicU32,
    name: CString,
    /// The state `add_virtual_device_with` hands the device's `attach`
    /// (a `T::DevData::into_foreign` pointer, or null).
    pending: AtomicPtr<c_void>,
}

/// A registered device handler of type `T`: unregistered (and its
/// devices detached) when dropped.
///
/// # Invariants
///
/// `table` comes from `KBox::into_raw`; its `c` is registered with the
/// core until this is dropped (the pointer the core holds derives from
/// `table`, so a callback may cast it back to the whole table); its
/// callbacks are `T`'s entry points below.
pub(crate) struct Registration<T: DevHandler> {
    table: NonNull<Table>,
    _t: PhantomData<T>,
}

// SAFETY: the registration is only a handle: the table is immutable while
// registered (its trace level is atomic), and unregistering works from any
// thread.
unsafe impl<T: DevHandler> Send for Registration<T> {}
// SAFETY: as for `Send`: shared access reads the immutable table.
unsafe impl<T: DevHandler> Sync for Registration<T> {}

impl<T: DevHandler> Registration<T> {
    /// Registers `T` as handler `name` of SCSI peripheral device type
    /// `ptype` on behalf of `module`.
    pub(crate) fn new(name: &CStr, ptype: u8, module: &'static ThisModule) -> Result<Self> {
        let name = CString::try_from_fmt(kernel::fmt!("{}", name))?;
        let flags = super::flag_bits(&[
            (T::EXEC_SYNC, SCST_DEV_EXEC_SYNC),
            (T::EXEC_ATOMIC, SCST_DEV_EXEC_ATOMIC),
            (T::PARSE_ATOMIC, SCST_DEV_PARSE_ATOMIC),
            (T::DEV_DONE_ATOMIC, SCST_DEV_DEV_DONE_ATOMIC),
            (T::VIRTUAL, SCST_DEV_VIRTUAL),
        ]);
        let table = KBox::new(
            Table {
                c: ScstDevType {
                    name: core::ptr::null(),
                    type_: c_int::from(ptype),
                    threads_num: c_int::try_from(T::THREADS).map_err(|_| EINVAL)?,
                    flags,
                    parse: Some(parse_cb::<T>),
                    alloc_data_buf: None,
                    exec: Some(exec_cb::<T>),
                    dev_done: T::HAS_DEV_DONE.then_some(dev_done_cb::<T> as _),
                    attach: Some(attach_cb::<T>),
                    detach: Some(detach_cb::<T>),
                    attach_tgt: T::HAS_ATTACH_TGT.then_some(attach_tgt_cb::<T> as _),
                    detach_tgt: T::HAS_DETACH_TGT.then_some(detach_tgt_cb::<T> as _),
                    task_mgmt_fn: T::HAS_TASK_MGMT_FN.then_some(task_mgmt_fn_cb::<T> as _),
                    trace_flags: core::ptr::null(),
                },
                trace: AtomicU32::new(SCST_TRACE_DEFAULT),
                name,
                pending: AtomicPtr::new(core::ptr::null_mut()),
            },
            GFP_KERNEL,
        )?;
        let p = KBox::into_raw(table);
        // SAFETY: `p` is the table just made, used by nothing else yet;
        // the pointers derive from it.  It stays at its address,
        // unchanged, until `drop` unregisters and frees it.
        let rc = unsafe {
            (*p).c.trace_flags = core::ptr::addr_of!((*p).trace);
            (*p).c.name = (*p).name.as_char_ptr().cast();
            scst_register_dev_driver(
                core::ptr::addr_of!((*p).c),
                module.as_ptr().cast(),
                SCST_INTERFACE_VERSION,
            )
        };
        if let Err(e) = to_result(rc) {
            // SAFETY: from `into_raw` above; the core did not keep it.
            drop(unsafe { KBox::from_raw(p) });
            return Err(e);
        }
        Ok(Self {
            // SAFETY: `into_raw` never returns null.
            table: unsafe { NonNull::new_unchecked(p) },
            _t: PhantomData,
        })
    }

    /// The C table, as registered.
    fn c(&self) -> *const ScstDevType {
        // SAFETY: the table lives while `self` does (invariant).
        unsafe { core::ptr::addr_of!((*self.table.as_ptr()).c) }
    }

    fn t(&self) -> &Table {
        // SAFETY: as for `c`; only atomics of it change.
        unsafe { self.table.as_ref() }
    }

    /// The handler's /proc/scsi_tgt/<name>/ directory, for its own files,
    /// which must be dropped before this registration.
    pub(crate) fn proc_dir(&self) -> Result<crate::scst_rs::procfs::ProcDir> {
        // SAFETY: the handler is registered (invariant); the directory
        // lives until it unregisters, after the caller's files are gone.
        let raw = unsafe { scst_proc_get_dev_type_root(self.c()) };
        // SAFETY: as above.
        unsafe { crate::scst_rs::procfs::ProcDir::borrowed(raw) }
    }

    /// Registers virtual device `name` of this (`VIRTUAL`) handler: the
    /// core calls `attach` before this returns.  Drop the device before
    /// the registration.
    pub(crate) fn add_virtual_device(&self, name: &CStr) -> Result<VirtualDevice> {
        // SAFETY: the table is registered (invariant); `name` is
        // NUL-terminated and lives for the call.
        let id = unsafe { scst_register_virtual_device(self.c(), name.as_char_ptr().cast()) };
        to_result(id.min(0))?;
        // SAFETY: `id` is the device the core just registered.
        Ok(unsafe { VirtualDevice::from_id(id) })
    }

    /// As `add_virtual_device`, but the device's state is `data`: the
    /// core's `attach` of this device takes it instead of calling
    /// [`DevHandler::attach`] (for a handler with one registration per
    /// device, whose state exists before the device does; no other
    /// device may be added to the registration meanwhile).
    pub(crate) fn add_virtual_device_with(
        &self,
        name: &CStr,
        data: T::DevData,
    ) -> Result<VirtualDevice> {
        let p = data.into_foreign().cast_mut();
        if self
            .t()
            .pending
            .compare_exchange(
                core::ptr::null_mut(),
                p,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `p` came from `into_foreign` just above.
            drop(unsafe { T::DevData::from_foreign(p) });
            return Err(EBUSY);
        }
        let r = self.add_virtual_device(name);
        // Not taken if the core refused the device before `attach`.
        let left = self
            .t()
            .pending
            .swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !left.is_null() {
            // SAFETY: stored above from `into_foreign`; taken back once.
            drop(unsafe { T::DevData::from_foreign(left) });
        }
        r
    }
}

impl<T: DevHandler> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: the table is registered (invariant).
        unsafe { scst_unregister_dev_driver(self.c()) };
        // SAFETY: from `into_raw` (invariant); the core no longer holds
        // it.
        drop(unsafe { KBox::from_raw(self.table.as_ptr()) });
    }
}

// The C entry points.  Each wraps the handles the core passes (valid for
// the call, by the `ScstDevType` contract in abi.rs) and calls `T`.

/// # Safety
///
/// Called by the core as `ScstDevType::parse`, with a live command of a
/// device attached to `T`.
unsafe extern "C" fn parse_cb<T: DevHandler>(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command (contract).
    let Some(c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: the command's device is attached to `T` (contract).
    let Some(d) = (unsafe { dev_data::<T>(&c) }) else {
        c.fail(Sense::LUN_NOT_SUPPORTED);
        return 0;
    };
    T::parse(&c, d).map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// As `parse_cb`, as `ScstDevType::exec`.
unsafe extern "C" fn exec_cb<T: DevHandler>(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command (contract).
    let Some(c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return SCST_EXEC_COMPLETED;
    };
    // SAFETY: the command's device is attached to `T` (contract), and its
    // data lives until `exec` returns even if the command is finished
    // before (from an I/O completion): a device leaving waits for running
    // execs before `detach` (core/tm.rs `ExecSection`).  Not tied to `c`,
    // which `exec` takes.
    let Some(d) = (unsafe { borrow_priv::<T>(c.dev_priv()) }) else {
        c.fail(Sense::LUN_NOT_SUPPORTED);
        return SCST_EXEC_COMPLETED;
    };
    match T::exec(c, d) {
        Exec::Done(_) => SCST_EXEC_COMPLETED,
        Exec::Later => SCST_EXEC_NOT_COMPLETED,
        Exec::NeedThread(_) => SCST_EXEC_NEED_THREAD,
    }
}

/// # Safety
///
/// As `parse_cb`, as `ScstDevType::dev_done`.
unsafe extern "C" fn dev_done_cb<T: DevHandler>(cmd: *mut ScstCmd) -> c_int {
    // SAFETY: the core passes a live command (contract).
    let Some(mut c) = (unsafe { Cmd::from_raw(cmd) }) else {
        return 0;
    };
    // SAFETY: as in `exec_cb`; not tied to `c`, which the handler gets
    // mutably beside it.
    if let Some(d) = unsafe { borrow_priv::<T>(c.dev_priv()) } {
        T::dev_done(&mut c, d);
    }
    SCST_CMD_STATE_DEFAULT
}

/// # Safety
///
/// Called by the core as `ScstDevType::attach`, with the handle of a
/// device being attached to `T`.
unsafe extern "C" fn attach_cb<T: DevHandler>(dev: *mut ScstDevice) -> c_int {
    // SAFETY: the handle of this call (contract).
    let d = unsafe { DevRef::from_raw(dev) };
    // SAFETY: the device attaches to a handler `Registration::<T>::new`
    // registered (contract), whose `repr(C)` `Table` starts with the
    // `ScstDevType`, registered through a pointer derived from the whole
    // table, which lives until it unregisters, after this call (the
    // `Registration` invariant).
    let table = unsafe { &*d.dev_type().cast::<Table>() };
    let pending = table.pending.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if !pending.is_null() {
        d.set_priv(pending);
        return 0;
    }
    match T::attach(&d) {
        Ok(data) => {
            d.set_priv(data.into_foreign().cast_mut());
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the core as `ScstDevType::detach`, once no command of the
/// device is in flight.
unsafe extern "C" fn detach_cb<T: DevHandler>(dev: *mut ScstDevice) {
    // SAFETY: the handle of this call (contract).
    let d = unsafe { DevRef::from_raw(dev) };
    let p = d.priv_();
    if p.is_null() {
        return;
    }
    d.set_priv(core::ptr::null_mut());
    // SAFETY: `attach_cb` set `p` from `into_foreign`; no command (and so
    // no borrow) of the device is left, and the pointer is cleared.
    let data = unsafe { T::DevData::from_foreign(p) };
    T::detach(&d, data);
}

/// # Safety
///
/// Called by the core as `ScstDevType::attach_tgt` with the handle of the
/// call.
unsafe extern "C" fn attach_tgt_cb<T: DevHandler>(t: *mut ScstTgtDev) -> c_int {
    // SAFETY: the handle of this call (contract).
    let t = unsafe { TgtDevRef::from_raw(t) };
    // SAFETY: the nexus' device is attached to `T` for the call (the core
    // detaches nexuses before their device leaves its handler).
    let Some(d) = (unsafe { borrow_priv::<T>(t.dev_priv()) }) else {
        return 0;
    };
    T::attach_tgt(&t, d).map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// As `attach_tgt_cb`, as `ScstDevType::detach_tgt`.
unsafe extern "C" fn detach_tgt_cb<T: DevHandler>(t: *mut ScstTgtDev) {
    // SAFETY: the handle of this call (contract).
    let t = unsafe { TgtDevRef::from_raw(t) };
    // SAFETY: as in `attach_tgt_cb`.
    if let Some(d) = unsafe { borrow_priv::<T>(t.dev_priv()) } {
        T::detach_tgt(&t, d);
    }
}

/// # Safety
///
/// As `attach_tgt_cb`, as `ScstDevType::task_mgmt_fn`.
unsafe extern "C" fn task_mgmt_fn_cb<T: DevHandler>(
    m: *mut ScstMgmtCmd,
    t: *mut ScstTgtDev,
) -> c_int {
    // SAFETY: the handles of this call (contract).
    let (m, t) = unsafe { (MgmtRef::from_raw(m), TgtDevRef::from_raw(t)) };
    // SAFETY: as in `attach_tgt_cb`.
    if let Some(d) = unsafe { borrow_priv::<T>(t.dev_priv()) } {
        T::task_mgmt_fn(&m, &t, d);
    }
    0
}
