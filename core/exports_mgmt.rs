// SPDX-License-Identifier: GPL-2.0

//! The exported entry points of task management, asynchronous session
//! registration and the per-LUN handler state (see `mgmt`, `tm` and
//! `tgt_dev`).

use crate::exports::shared;
use crate::mgmt::{MgmtCmd, SessionGoneFn, SessionResultFn};
use crate::scst_rs::api::abi::{
    ScstMgmtCmd, ScstSession, ScstTgt, ScstTgtDev, SCST_MGMT_STATUS_REJECTED,
};
use crate::tgt_dev::TgtDev;
use core::ffi::{c_char, c_void};
use kernel::{ffi::c_int, prelude::*};

/// The LUN of a task-management request: none, or the decoded 8-byte SAM
/// LUN at `lun` (`Err` if it does not decode).
///
/// # Safety
///
/// `lun` is null or valid for 8 bytes.
unsafe fn tm_lun(lun: *const u8) -> Option<core::result::Result<u64, ()>> {
    if lun.is_null() {
        return None;
    }
    // SAFETY: function contract.
    let raw = unsafe { core::slice::from_raw_parts(lun, 8) };
    Some(crate::lun::decode(raw).map_err(|_| ()))
}

/// Performs task management function `func` (`SCST_ABORT_TASK`, ...) for
/// `sess`: `lun` (8-byte SAM, may be null for session-wide functions),
/// `tag` the driver's private pointer of the command for ABORT TASK.
/// Waits until every affected command has finished, so it must be called
/// in process context.  Returns an `SCST_MGMT_STATUS_*`.
///
/// # Safety
///
/// `lun` is null or valid for 8 bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_rx_mgmt_fn_sync(
    sess: *mut ScstSession,
    func: c_int,
    lun: *const u8,
    tag: *mut c_void,
) -> c_int {
    let Some(core) = shared() else {
        return SCST_MGMT_STATUS_REJECTED;
    };
    let s = crate::sessions::find_session(&core.registry.lock(), sess);
    let Some(s) = s else {
        pr_err!("task management refused: session not registered\n");
        return SCST_MGMT_STATUS_REJECTED;
    };
    // SAFETY: function contract.
    let lun = unsafe { tm_lun(lun) };
    let m = MgmtCmd {
        sess: s,
        func,
        lun,
        tag: tag as usize,
        tgt_priv: core::ptr::null_mut(),
        status: 0,
    };
    crate::tm::run(core, &m)
}

/// Submits task management function `func` for `sess`, as
/// `scst_rx_mgmt_fn_sync`, from any context: the core's `scst_tmd` thread
/// performs it and then calls the template's `task_mgmt_fn_done` with a
/// request whose `scst_mgmt_cmd_get_tgt_priv` is `tgt_priv`.  Returns 0,
/// or a negative errno if it was refused (nothing will be called back).
///
/// # Safety
///
/// `sess` is a registered session of the caller; `lun` is null or valid
/// for 8 bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_rx_mgmt_fn(
    sess: *mut ScstSession,
    func: c_int,
    lun: *const u8,
    tag: *mut c_void,
    tgt_priv: *mut c_void,
) -> c_int {
    let Some(core) = shared() else {
        return EINVAL.to_errno();
    };
    // SAFETY: function contract.
    let lun = unsafe { tm_lun(lun) };
    // SAFETY: function contract.
    match unsafe { crate::mgmt::submit_tm(core, sess, func, lun, tag as usize, tgt_priv) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The function of a task-management request.
///
/// # Safety
///
/// `m` is the handle passed to a running `task_mgmt_fn_done` or
/// `task_mgmt_fn`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_mgmt_cmd_get_fn(m: *mut ScstMgmtCmd) -> c_int {
    // SAFETY: function contract.
    unsafe { MgmtCmd::from_raw(m) }.func
}

/// The result (`SCST_MGMT_STATUS_*`) of a request, in `task_mgmt_fn_done`.
///
/// # Safety
///
/// As for `scst_mgmt_cmd_get_fn`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_mgmt_cmd_get_status(m: *mut ScstMgmtCmd) -> c_int {
    // SAFETY: function contract.
    unsafe { MgmtCmd::from_raw(m) }.status
}

/// The driver's pointer given to `scst_rx_mgmt_fn` (null for a
/// synchronous request).
///
/// # Safety
///
/// As for `scst_mgmt_cmd_get_fn`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_mgmt_cmd_get_tgt_priv(m: *mut ScstMgmtCmd) -> *mut c_void {
    // SAFETY: function contract.
    unsafe { MgmtCmd::from_raw(m) }.tgt_priv
}

/// Registers a session of `initiator` on `tgt` from any context: the
/// core's `scst_mgmtd` thread registers it and then calls
/// `result(session or null, data, 0 or -errno)`.  Returns 0, or a negative
/// errno if it was refused at once (`result` is then not called).
///
/// # Safety
///
/// `tgt` is a registered target of the caller; `initiator` is null or a
/// NUL-terminated string valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_register_session_async(
    tgt: *mut ScstTgt,
    initiator: *const c_char,
    data: *mut c_void,
    result: Option<SessionResultFn>,
) -> c_int {
    let Some(core) = shared() else {
        return EINVAL.to_errno();
    };
    let Some(result) = result else {
        pr_err!("scst_register_session_async: no result function\n");
        return EINVAL.to_errno();
    };
    // SAFETY: function contract.
    let r = unsafe { crate::sessions::initiator_name(initiator) }
        // SAFETY: function contract.
        .and_then(|name| unsafe { crate::mgmt::submit_add_session(core, tgt, name, data, result) });
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Unregisters `sess` without waiting: the core's `scst_mgmtd` thread
/// waits for its commands, unregisters it and then calls `gone(data)`.
/// Returns 0, or a negative errno if it was refused (`gone` is then not
/// called and the session stays).
///
/// # Safety
///
/// `sess` is a registered session of the caller, which sends no command
/// for it any more.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_unregister_session_async(
    sess: *mut ScstSession,
    data: *mut c_void,
    gone: Option<SessionGoneFn>,
) -> c_int {
    let Some(core) = shared() else {
        return EINVAL.to_errno();
    };
    let Some(gone) = gone else {
        pr_err!("scst_unregister_session_async: no callback\n");
        return EINVAL.to_errno();
    };
    // SAFETY: function contract.
    match unsafe { crate::mgmt::submit_remove_session(core, sess, data, gone) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

// Per-LUN handler state, in `attach_tgt`, `detach_tgt` and `task_mgmt_fn`.

/// The LUN through which the session sees the device.
///
/// # Safety
///
/// `t` is the handle passed to a running `attach_tgt`, `detach_tgt` or
/// `task_mgmt_fn`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_tgt_dev_get_lun(t: *mut ScstTgtDev) -> u64 {
    // SAFETY: function contract.
    unsafe { TgtDev::from_raw(t) }.lun
}

/// The device's id.
///
/// # Safety
///
/// As for `scst_tgt_dev_get_lun`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_tgt_dev_get_dev_id(t: *mut ScstTgtDev) -> c_int {
    // SAFETY: function contract.
    unsafe { TgtDev::from_raw(t) }.dev_id as c_int
}

/// The session's initiator name, NUL-terminated.
///
/// # Safety
///
/// As for `scst_tgt_dev_get_lun`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_tgt_dev_get_initiator(t: *mut ScstTgtDev) -> *const c_char {
    // SAFETY: function contract.
    unsafe { TgtDev::from_raw(t) }
        .sess
        .initiator
        .as_char_ptr()
        .cast()
}

/// Sets the handler's private pointer for this session and LUN.
///
/// # Safety
///
/// As for `scst_tgt_dev_get_lun`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_tgt_dev_set_priv(t: *mut ScstTgtDev, p: *mut c_void) {
    // SAFETY: function contract.
    unsafe { TgtDev::from_raw(t) }.priv_ = p as usize;
}

/// The device's private pointer (set by its handler's `attach`).
///
/// # Safety
///
/// As for `scst_tgt_dev_get_lun`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_tgt_dev_get_dev_priv(t: *mut ScstTgtDev) -> *mut c_void {
    // SAFETY: function contract.
    unsafe { TgtDev::from_raw(t) }.dev_priv as *mut c_void
}

/// The handler's private pointer for this session and LUN.
///
/// # Safety
///
/// As for `scst_tgt_dev_get_lun`.
#[no_mangle]
pub(crate) unsafe extern "C" fn scst_tgt_dev_get_priv(t: *mut ScstTgtDev) -> *mut c_void {
    // SAFETY: function contract.
    unsafe { TgtDev::from_raw(t) }.priv_ as *mut c_void
}
