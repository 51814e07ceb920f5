// SPDX-License-Identifier: GPL-2.0

//! Registration with scst.ko, for target drivers and device handlers.
//!
//! The functions below are exported by scst.ko (EXPORT_SYMBOL_GPL in
//! core/scst_glue.c); modpost resolves them because all modules of the suite
//! are built by one Kbuild, and depmod makes modprobe load scst.ko first.
//! A registration lasts as long as the returned handle: dropping it
//! unregisters, so a module's exit cannot forget to.

use super::abi::{
    ModulePtr, ScstDevType, ScstSession, ScstTgt, ScstTgtTemplate, SCST_INTERFACE_VERSION,
};
use kernel::{error::to_result, ffi::c_int, prelude::*, str::CStr, ThisModule};

extern "C" {
    fn scst_register_target_template(
        tmpl: *const ScstTgtTemplate,
        owner: ModulePtr,
        version: u64,
    ) -> c_int;
    fn scst_unregister_target_template(tmpl: *const ScstTgtTemplate);
    fn scst_register_dev_driver(
        dev_type: *const ScstDevType,
        owner: ModulePtr,
        version: u64,
    ) -> c_int;
    fn scst_unregister_dev_driver(dev_type: *const ScstDevType);
}

fn module_ptr(m: &'static ThisModule) -> ModulePtr {
    m.as_ptr().cast()
}

/// A registered target template.
///
/// # Invariants
///
/// `tmpl` is registered with the core until this is dropped.
pub(crate) struct TargetTemplateRegistration {
    tmpl: &'static ScstTgtTemplate,
}

impl TargetTemplateRegistration {
    /// Registers `tmpl` on behalf of `owner`.
    pub(crate) fn new(tmpl: &'static ScstTgtTemplate, owner: &'static ThisModule) -> Result<Self> {
        Self::with_version(tmpl, owner, SCST_INTERFACE_VERSION)
    }

    /// Registers claiming interface `version`.  Only tests of the version
    /// check pass anything but [`SCST_INTERFACE_VERSION`].
    pub(crate) fn with_version(
        tmpl: &'static ScstTgtTemplate,
        owner: &'static ThisModule,
        version: u64,
    ) -> Result<Self> {
        // SAFETY: `tmpl` is `'static` and immutable, as the core requires.
        to_result(unsafe { scst_register_target_template(tmpl, module_ptr(owner), version) })?;
        Ok(Self { tmpl })
    }
}

impl TargetTemplateRegistration {
    /// The driver's /proc/scsi_tgt/<name>/ directory, for its own files,
    /// which must be dropped before this registration.
    pub(crate) fn proc_dir(&self) -> Result<super::super::procfs::ProcDir> {
        // SAFETY: the template is registered (invariant); the directory
        // lives until it unregisters, after the caller's files are gone.
        let raw = unsafe { scst_proc_get_tgt_root(self.tmpl) };
        // SAFETY: as above.
        unsafe { super::super::procfs::ProcDir::borrowed(raw) }
    }
}

impl Drop for TargetTemplateRegistration {
    fn drop(&mut self) {
        // SAFETY: `tmpl` is registered (invariant).
        unsafe { scst_unregister_target_template(self.tmpl) };
    }
}

/// A registered device handler.
///
/// # Invariants
///
/// `dev_type` is registered with the core until this is dropped.
pub(crate) struct DevDriverRegistration {
    dev_type: &'static ScstDevType,
}

impl DevDriverRegistration {
    /// Registers `dev_type` on behalf of `owner`.
    pub(crate) fn new(dev_type: &'static ScstDevType, owner: &'static ThisModule) -> Result<Self> {
        Self::with_version(dev_type, owner, SCST_INTERFACE_VERSION)
    }

    /// Registers claiming interface `version` (see
    /// [`TargetTemplateRegistration::with_version`]).
    pub(crate) fn with_version(
        dev_type: &'static ScstDevType,
        owner: &'static ThisModule,
        version: u64,
    ) -> Result<Self> {
        // SAFETY: `dev_type` is `'static` and immutable, as the core requires.
        to_result(unsafe { scst_register_dev_driver(dev_type, module_ptr(owner), version) })?;
        Ok(Self { dev_type })
    }
}

impl Drop for DevDriverRegistration {
    fn drop(&mut self) {
        // SAFETY: `dev_type` is registered (invariant).
        unsafe { scst_unregister_dev_driver(self.dev_type) };
    }
}

extern "C" {
    fn scst_register_virtual_device(
        dev_type: *const ScstDevType,
        name: *const core::ffi::c_char,
    ) -> c_int;
    fn scst_unregister_virtual_device(id: c_int);
    fn scst_unregister_virtual_device_unused(id: c_int) -> c_int;
    fn scst_dev_unit_attention(id: c_int, asc: u8, ascq: u8);
    fn scst_proc_get_dev_type_root(dev_type: *const ScstDevType) -> *mut core::ffi::c_void;
    fn scst_proc_get_tgt_root(tmpl: *const ScstTgtTemplate) -> *mut core::ffi::c_void;
    fn scst_register_target(
        tmpl: *const ScstTgtTemplate,
        name: *const core::ffi::c_char,
    ) -> *mut ScstTgt;
    fn scst_unregister_target(tgt: *mut ScstTgt);
    fn scst_register_session(
        tgt: *mut ScstTgt,
        initiator: *const core::ffi::c_char,
    ) -> *mut ScstSession;
    fn scst_unregister_session(sess: *mut ScstSession);
    fn scst_sess_set_tgt_priv(sess: *mut ScstSession, priv_: *mut core::ffi::c_void) -> c_int;
}

/// A registered virtual device.
///
/// # Invariants
///
/// `id` is a device id the core returned and that is still registered.
pub(crate) struct VirtualDeviceRegistration {
    id: c_int,
}

impl VirtualDeviceRegistration {
    /// Registers virtual device `name` of the (registered, virtual)
    /// handler `dev_type`.
    pub(crate) fn new(dev_type: &'static ScstDevType, name: &CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated and lives for the call.
        let id = unsafe { scst_register_virtual_device(dev_type, name.as_char_ptr().cast()) };
        to_result(id.min(0))?;
        Ok(Self { id })
    }

    /// Takes over the registration of device `id`.
    ///
    /// # Safety
    ///
    /// `id` is a device id the core returned, registered and owned by no
    /// other `VirtualDeviceRegistration`.
    pub(crate) unsafe fn from_id(id: c_int) -> Self {
        Self { id }
    }

    /// The device id the core gave.
    pub(crate) fn id(&self) -> i32 {
        self.id
    }

    /// Unregisters the device unless a group has it; then it stays
    /// registered and comes back with the error (EBUSY; the core logs
    /// which group).
    pub(crate) fn unregister_unused(self) -> core::result::Result<(), (Self, Error)> {
        // SAFETY: `id` is registered (invariant).
        match to_result(unsafe { scst_unregister_virtual_device_unused(self.id) }) {
            Ok(()) => {
                core::mem::forget(self);
                Ok(())
            }
            Err(e) => Err((self, e)),
        }
    }
}

/// Gives every session that sees device `id` the unit attention
/// `asc`/`ascq` (nothing if `id` is not registered).
pub(crate) fn unit_attention(id: i32, asc: u8, ascq: u8) {
    // SAFETY: the core checks `id`.
    unsafe { scst_dev_unit_attention(id, asc, ascq) }
}

impl DevDriverRegistration {
    /// The handler's /proc/scsi_tgt/<name>/ directory, for its own files,
    /// which must be dropped before this registration.
    pub(crate) fn proc_dir(&self) -> Result<super::super::procfs::ProcDir> {
        // SAFETY: the handler is registered (invariant); the directory
        // lives until it unregisters, after the caller's files are gone.
        let raw = unsafe { scst_proc_get_dev_type_root(self.dev_type) };
        // SAFETY: as above.
        unsafe { super::super::procfs::ProcDir::borrowed(raw) }
    }
}

impl Drop for VirtualDeviceRegistration {
    fn drop(&mut self) {
        // SAFETY: `id` is registered (invariant).
        unsafe { scst_unregister_virtual_device(self.id) };
    }
}

/// A registered target.
///
/// # Invariants
///
/// `tgt` is a non-null handle from `scst_register_target`, not yet
/// unregistered.
pub(crate) struct TargetRegistration {
    tgt: *mut ScstTgt,
}

// SAFETY: the core's handles may be used from any thread.
unsafe impl Send for TargetRegistration {}
// SAFETY: as above; `&TargetRegistration` only gives the handle out.
unsafe impl Sync for TargetRegistration {}

impl TargetRegistration {
    /// Registers target `name` of the registered template `tmpl`.  The
    /// core logs why a refusal happened.
    pub(crate) fn new(tmpl: &'static ScstTgtTemplate, name: &CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated and lives for the call.
        let tgt = unsafe { scst_register_target(tmpl, name.as_char_ptr().cast()) };
        if tgt.is_null() {
            return Err(EINVAL);
        }
        Ok(Self { tgt })
    }
}

impl TargetRegistration {
    /// The handle, for the asynchronous session calls.
    pub(crate) fn as_ptr(&self) -> *mut ScstTgt {
        self.tgt
    }
}

impl Drop for TargetRegistration {
    fn drop(&mut self) {
        // SAFETY: `tgt` is registered (invariant).
        unsafe { scst_unregister_target(self.tgt) };
    }
}

/// A registered session.  Drop it before its target.
///
/// # Invariants
///
/// `sess` is a non-null handle from `scst_register_session`, not yet
/// unregistered.
pub(crate) struct SessionRegistration {
    sess: *mut ScstSession,
}

// SAFETY: the core's handles may be used from any thread.
unsafe impl Send for SessionRegistration {}
// SAFETY: as above.
unsafe impl Sync for SessionRegistration {}

impl SessionRegistration {
    /// Registers a session of `initiator` on `tgt`.
    pub(crate) fn new(tgt: &TargetRegistration, initiator: &CStr) -> Result<Self> {
        // SAFETY: `tgt.tgt` is registered; `initiator` is NUL-terminated.
        let sess = unsafe { scst_register_session(tgt.tgt, initiator.as_char_ptr().cast()) };
        if sess.is_null() {
            return Err(EINVAL);
        }
        Ok(Self { sess })
    }
}

impl SessionRegistration {
    /// Takes over a session registered asynchronously.
    ///
    /// # Safety
    ///
    /// `sess` is a registered session handle that nothing else will
    /// unregister.
    pub(crate) unsafe fn from_raw(sess: *mut ScstSession) -> Self {
        Self { sess }
    }

    /// Gives the handle up without unregistering (to unregister it
    /// asynchronously).
    pub(crate) fn into_raw(self) -> *mut ScstSession {
        let s = self.sess;
        core::mem::forget(self);
        s
    }

    /// The handle, for `Cmd::rx`.
    pub(crate) fn as_ptr(&self) -> *mut ScstSession {
        self.sess
    }

    /// Sets the driver's private pointer of the session (null: none),
    /// which `close_session` gets.  False if the session's access was
    /// revoked before: the driver must end it itself.
    pub(crate) fn set_priv(&self, p: *const core::ffi::c_void) -> bool {
        // SAFETY: `sess` is registered (invariant).
        unsafe { scst_sess_set_tgt_priv(self.sess, p.cast_mut()) == 0 }
    }
}

impl Drop for SessionRegistration {
    fn drop(&mut self) {
        // SAFETY: `sess` is registered (invariant).
        unsafe { scst_unregister_session(self.sess) };
    }
}
