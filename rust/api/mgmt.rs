// SPDX-License-Identifier: GPL-2.0

//! Task management and per-LUN handler state as a driver or handler sees
//! them: the request handle of `task_mgmt_fn_done` and `task_mgmt_fn`,
//! the I_T_L handle of `attach_tgt`, `detach_tgt` and `task_mgmt_fn`, and
//! the asynchronous submissions.

use super::abi::{ScstMgmtCmd, ScstSession, ScstTgt, ScstTgtDev};
use core::ffi::c_void;
use kernel::{
    error::to_result,
    ffi::{c_char, c_int},
    prelude::*,
    str::CStr,
};

extern "C" {
    fn scst_rx_mgmt_fn(
        sess: *mut ScstSession,
        func: c_int,
        lun: *const u8,
        tag: *mut c_void,
        tgt_priv: *mut c_void,
    ) -> c_int;
    fn scst_mgmt_cmd_get_fn(m: *mut ScstMgmtCmd) -> c_int;
    fn scst_mgmt_cmd_get_status(m: *mut ScstMgmtCmd) -> c_int;
    fn scst_mgmt_cmd_get_tgt_priv(m: *mut ScstMgmtCmd) -> *mut c_void;
    fn scst_register_session_async(
        tgt: *mut ScstTgt,
        initiator: *const c_char,
        data: *mut c_void,
        result: Option<SessionResultFn>,
    ) -> c_int;
    fn scst_unregister_session_async(
        sess: *mut ScstSession,
        data: *mut c_void,
        gone: Option<SessionGoneFn>,
    ) -> c_int;
    fn scst_tgt_dev_get_lun(t: *mut ScstTgtDev) -> u64;
    fn scst_tgt_dev_get_dev_id(t: *mut ScstTgtDev) -> c_int;
    fn scst_tgt_dev_get_initiator(t: *mut ScstTgtDev) -> *const c_char;
    fn scst_tgt_dev_set_priv(t: *mut ScstTgtDev, p: *mut c_void);
    fn scst_tgt_dev_get_priv(t: *mut ScstTgtDev) -> *mut c_void;
    fn scst_tgt_dev_get_dev_priv(t: *mut ScstTgtDev) -> *mut c_void;
}

/// `scst_register_session_async`'s callback: session (null on failure),
/// data, 0 or -errno.
pub(crate) type SessionResultFn =
    unsafe extern "C" fn(sess: *mut ScstSession, data: *mut c_void, result: c_int);
/// `scst_unregister_session_async`'s callback.
pub(crate) type SessionGoneFn = unsafe extern "C" fn(data: *mut c_void);

/// Submits task management function `func` of `sess` without waiting; the
/// core calls the template's `task_mgmt_fn_done` when it is done, with
/// `tgt_priv` in the request.  On error nothing is called back.
///
/// # Safety
///
/// `sess` is a registered session of the caller.
pub(crate) unsafe fn task_mgmt_async(
    sess: *mut ScstSession,
    func: i32,
    lun: Option<&[u8; 8]>,
    tag: *mut c_void,
    tgt_priv: *mut c_void,
) -> Result {
    let lun = lun.map_or(core::ptr::null(), |l| l.as_ptr());
    // SAFETY: `sess` is registered (contract); `lun` is null or 8 bytes.
    to_result(unsafe { scst_rx_mgmt_fn(sess, func, lun, tag, tgt_priv) })
}

/// Registers a session without waiting: `result` is called from a core
/// thread with the session or the error.  On error nothing is called back.
///
/// # Safety
///
/// `tgt` is a registered target of the caller; `data` is what `result`
/// expects.
pub(crate) unsafe fn register_session_async(
    tgt: *mut ScstTgt,
    initiator: &CStr,
    data: *mut c_void,
    result: SessionResultFn,
) -> Result {
    // SAFETY: function contract; the name is NUL-terminated.
    to_result(unsafe {
        scst_register_session_async(tgt, initiator.as_char_ptr(), data, Some(result))
    })
}

/// Unregisters a session without waiting: `gone` is called from a core
/// thread once it is done.  On error the session stays registered.
///
/// # Safety
///
/// `sess` is a registered session of the caller, which sends no more
/// commands for it; `data` is what `gone` expects.
pub(crate) unsafe fn unregister_session_async(
    sess: *mut ScstSession,
    data: *mut c_void,
    gone: SessionGoneFn,
) -> Result {
    // SAFETY: function contract.
    to_result(unsafe { scst_unregister_session_async(sess, data, Some(gone)) })
}

/// The request handle of a running `task_mgmt_fn_done` or `task_mgmt_fn`.
///
/// # Invariants
///
/// `ptr` is the handle the core passed to the running callback.
pub(crate) struct MgmtRef {
    ptr: *mut ScstMgmtCmd,
}

impl MgmtRef {
    /// # Safety
    ///
    /// `ptr` is the handle of the running callback, and the `MgmtRef` does
    /// not outlive it.
    pub(crate) unsafe fn from_raw(ptr: *mut ScstMgmtCmd) -> Self {
        Self { ptr }
    }

    /// The function (`SCST_ABORT_TASK`, ...).
    pub(crate) fn func(&self) -> i32 {
        // SAFETY: live handle (invariant).
        unsafe { scst_mgmt_cmd_get_fn(self.ptr) }
    }

    /// The result, an `SCST_MGMT_STATUS_*` (in `task_mgmt_fn_done`).
    pub(crate) fn status(&self) -> i32 {
        // SAFETY: live handle (invariant).
        unsafe { scst_mgmt_cmd_get_status(self.ptr) }
    }

    /// The pointer given to [`task_mgmt_async`].
    pub(crate) fn tgt_priv(&self) -> *mut c_void {
        // SAFETY: live handle (invariant).
        unsafe { scst_mgmt_cmd_get_tgt_priv(self.ptr) }
    }
}

/// A session's view of a device through one LUN, in a running
/// `attach_tgt`, `detach_tgt` or `task_mgmt_fn`.
///
/// # Invariants
///
/// `ptr` is the handle the core passed to the running callback.
pub(crate) struct TgtDevRef {
    ptr: *mut ScstTgtDev,
}

impl TgtDevRef {
    /// # Safety
    ///
    /// `ptr` is the handle of the running callback, and the `TgtDevRef`
    /// does not outlive it.
    pub(crate) unsafe fn from_raw(ptr: *mut ScstTgtDev) -> Self {
        Self { ptr }
    }

    pub(crate) fn lun(&self) -> u64 {
        // SAFETY: live handle (invariant).
        unsafe { scst_tgt_dev_get_lun(self.ptr) }
    }

    pub(crate) fn dev_id(&self) -> i32 {
        // SAFETY: live handle (invariant).
        unsafe { scst_tgt_dev_get_dev_id(self.ptr) }
    }

    /// The session's initiator name.
    pub(crate) fn initiator(&self) -> &CStr {
        // SAFETY: live handle (invariant); the name is NUL-terminated and
        // lives as long as the session.
        unsafe { CStr::from_char_ptr(scst_tgt_dev_get_initiator(self.ptr)) }
    }

    /// Sets the handler's pointer for this session and LUN.
    pub(crate) fn set_priv(&self, p: *mut c_void) {
        // SAFETY: live handle (invariant).
        unsafe { scst_tgt_dev_set_priv(self.ptr, p) }
    }

    pub(crate) fn priv_(&self) -> *mut c_void {
        // SAFETY: live handle (invariant).
        unsafe { scst_tgt_dev_get_priv(self.ptr) }
    }

    /// The device's private pointer (its handler's `attach` set it).
    pub(crate) fn dev_priv(&self) -> *mut c_void {
        // SAFETY: live handle (invariant).
        unsafe { scst_tgt_dev_get_dev_priv(self.ptr) }
    }
}
