// SPDX-License-Identifier: GPL-2.0

//! The C-ABI entry points scst.ko exports (EXPORT_SYMBOL_GPL in
//! scst_glue.c).  This is the only place errors become errnos.
//!
//! The interface version is checked before anything else is read: a module
//! built against another layout may have passed a structure we would
//! misread.

use crate::registry::Shared;
use crate::scst_rs::{
    api::abi::{
        check_version, version_parts, ModulePtr, ScstDevType, ScstSession, ScstTgt, ScstTgtTemplate,
        SCST_INTERFACE_VERSION,
    },
    sys,
};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{ffi::c_int, prelude::*, str::CStr, sync::Arc};

/// The core's state while scst.ko is loaded.
///
/// Set at the end of init and cleared at the start of exit.  Exported
/// functions are only called by modules that link against scst.ko, and the
/// module loader refuses to unload scst.ko while any of them is loaded, so
/// no call can overlap exit.
static CORE: AtomicPtr<Shared> = AtomicPtr::new(core::ptr::null_mut());

/// Publishes `shared` to the exported functions; `Published` withdraws it.
pub(crate) struct Published {
    _shared: Arc<Shared>,
}

impl Published {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        CORE.store(&*shared as *const Shared as *mut Shared, Ordering::Release);
        Self { _shared: shared }
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        CORE.store(core::ptr::null_mut(), Ordering::Release);
    }
}

fn shared() -> Option<&'static Shared> {
    let p = CORE.load(Ordering::Acquire);
    // SAFETY: non-null only while a `Published` holds the `Arc`, which
    // outlives every caller (see `CORE`).
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Checks `version`, logging why a module is refused.
fn version_ok(version: u64, who: &CStr, what: &str) -> bool {
    match check_version(version) {
        Ok(()) => true,
        Err((rev, fp)) => {
            let (our_rev, our_fp) = version_parts(SCST_INTERFACE_VERSION);
            pr_err!(
                "scst: {}: {} refused: built for SCST interface {}:{:08x}, this SCST provides {}:{:08x}; rebuild the module against this SCST\n",
                who, what, rev, fp, our_rev, our_fp
            );
            false
        }
    }
}

fn to_errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Registers a target driver.
///
/// # Safety
///
/// `owner` is the calling module; if `version` is ours, `tmpl` is null or a
/// template that stays valid and unchanged until unregistered.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_target_template(
    tmpl: *const ScstTgtTemplate,
    owner: ModulePtr,
    version: u64,
) -> c_int {
    // SAFETY: the caller is `owner` and stays loaded during the call.
    let who = unsafe { sys::module_name(owner) };
    if !version_ok(version, who, "target driver") {
        return EINVAL.to_errno();
    }
    let (Some(core), false) = (shared(), tmpl.is_null()) else {
        pr_err!("{}: null target template\n", who);
        return EINVAL.to_errno();
    };
    // SAFETY: non-null and valid until unregistration (function contract).
    let tmpl = unsafe { &*tmpl };
    let r = core.add_template(tmpl, who);
    if r.is_ok() {
        pr_info!("target driver {} registered\n", tmpl_name(tmpl));
    }
    to_errno(r)
}

fn tmpl_name(t: &ScstTgtTemplate) -> &CStr {
    // SAFETY: registration checked the name is a valid C string.
    unsafe { CStr::from_char_ptr(t.name.cast()) }
}

/// Unregisters a target driver.
///
/// # Safety
///
/// `tmpl` was registered by the caller.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_unregister_target_template(tmpl: *const ScstTgtTemplate) {
    if let Some(core) = shared() {
        core.remove_template(tmpl);
    }
}

/// Registers a device handler.
///
/// # Safety
///
/// As [`scst_register_target_template`], for `dev_type`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_dev_driver(
    dev_type: *const ScstDevType,
    owner: ModulePtr,
    version: u64,
) -> c_int {
    // SAFETY: the caller is `owner` and stays loaded during the call.
    let who = unsafe { sys::module_name(owner) };
    if !version_ok(version, who, "device handler") {
        return EINVAL.to_errno();
    }
    let (Some(core), false) = (shared(), dev_type.is_null()) else {
        pr_err!("{}: null device handler\n", who);
        return EINVAL.to_errno();
    };
    // SAFETY: non-null and valid until unregistration (function contract).
    let dev_type = unsafe { &*dev_type };
    let r = core.add_handler(dev_type, who);
    if r.is_ok() {
        // SAFETY: registration checked the name is a valid C string.
        let name = unsafe { CStr::from_char_ptr(dev_type.name.cast()) };
        pr_info!("device handler {} for type {} registered\n", name, dev_type.type_);
    }
    to_errno(r)
}

/// Registers virtual device `name` of handler `dev_type`, which must be
/// registered with `SCST_DEV_VIRTUAL`.  Returns the device id (> 0) or a
/// negative errno.
///
/// # Safety
///
/// `name` is null or a NUL-terminated string valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_virtual_device(
    dev_type: *const ScstDevType,
    name: *const core::ffi::c_char,
) -> c_int {
    let Some(core) = shared() else { return EINVAL.to_errno() };
    let who = kernel::c_str!("scst_register_virtual_device");
    // SAFETY: function contract.
    match unsafe { crate::devices::add_virtual(core, dev_type, name, who) } {
        // Ids are at most `i32::MAX` (devices::add_virtual).
        Ok(id) => id as c_int,
        Err(e) => e.to_errno(),
    }
}

/// Unregisters a virtual device, taking it out of every group.
#[no_mangle]
pub(crate) extern "C" fn scst_unregister_virtual_device(id: c_int) {
    if let (Some(core), Ok(id)) = (shared(), u32::try_from(id)) {
        let _ = crate::devices::remove(core, id);
    }
}

/// Registers target `name` of target driver `tmpl`; null on failure (the
/// log says why).
///
/// # Safety
///
/// `name` is null or a NUL-terminated string valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_target(
    tmpl: *const ScstTgtTemplate,
    name: *const core::ffi::c_char,
) -> *mut ScstTgt {
    let Some(core) = shared() else { return core::ptr::null_mut() };
    // SAFETY: function contract.
    unsafe { crate::sessions::add_target(core, tmpl, name) }.unwrap_or(core::ptr::null_mut())
}

/// Unregisters a target and its remaining sessions.
#[no_mangle]
pub(crate) extern "C" fn scst_unregister_target(tgt: *mut ScstTgt) {
    if let Some(core) = shared() {
        crate::sessions::remove_target(core, tgt);
    }
}

/// Registers a session of `initiator` on `tgt`; null on failure.
///
/// # Safety
///
/// `initiator` is null or a NUL-terminated string valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_session(
    tgt: *mut ScstTgt,
    initiator: *const core::ffi::c_char,
) -> *mut ScstSession {
    let Some(core) = shared() else { return core::ptr::null_mut() };
    // SAFETY: function contract.
    unsafe { crate::sessions::add_session(core, tgt, initiator) }.unwrap_or(core::ptr::null_mut())
}

/// Unregisters a session.
#[no_mangle]
pub(crate) extern "C" fn scst_unregister_session(sess: *mut ScstSession) {
    if let Some(core) = shared() {
        crate::sessions::remove_session(core, sess);
    }
}

/// Unregisters a device handler.
///
/// # Safety
///
/// `dev_type` was registered by the caller.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_unregister_dev_driver(dev_type: *const ScstDevType) {
    if let Some(core) = shared() {
        core.remove_handler(dev_type);
    }
}
