// SPDX-License-Identifier: GPL-2.0

//! A device as a handler sees it in its `attach` and `detach` callbacks.

use super::abi::{ScstDevType, ScstDevice};
use core::ffi::c_void;
use kernel::{ffi::c_int, str::CStr};

extern "C" {
    fn scst_dev_get_id(dev: *mut ScstDevice) -> c_int;
    fn scst_dev_get_name(dev: *mut ScstDevice) -> *const kernel::ffi::c_char;
    fn scst_dev_get_scsi_device(dev: *mut ScstDevice) -> *mut c_void;
    fn scst_dev_set_priv(dev: *mut ScstDevice, p: *mut c_void);
    fn scst_dev_set_nowait(dev: *mut ScstDevice);
    fn scst_dev_set_nowait_reads(dev: *mut ScstDevice);
    fn scst_dev_set_nowait_writes(dev: *mut ScstDevice);
    fn scst_dev_get_priv(dev: *mut ScstDevice) -> *mut c_void;
    fn scst_dev_get_dev_type(dev: *mut ScstDevice) -> *const ScstDevType;
}

/// The device handle of a running `attach` or `detach`.
///
/// # Invariants
///
/// `ptr` is the handle the core passed to the running callback.
pub(crate) struct DevRef {
    ptr: *mut ScstDevice,
}

impl DevRef {
    /// Wraps the handle passed to `attach` or `detach`.
    ///
    /// # Safety
    ///
    /// `ptr` is that handle, and the `DevRef` does not outlive the call.
    pub(crate) unsafe fn from_raw(ptr: *mut ScstDevice) -> Self {
        Self { ptr }
    }

    /// The device id (`scst_register_virtual_device`'s result).
    pub(crate) fn id(&self) -> i32 {
        // SAFETY: live handle (invariant).
        unsafe { scst_dev_get_id(self.ptr) }
    }

    /// The device's name, or "H:C:I:L" for a real device.
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: live handle (invariant); the core returns a
        // NUL-terminated name valid during the callback.
        unsafe { CStr::from_char_ptr(scst_dev_get_name(self.ptr)) }
    }

    /// The midlayer's `struct scsi_device` of a real device (null for a
    /// virtual one).
    pub(crate) fn scsi_device(&self) -> *mut c_void {
        // SAFETY: live handle (invariant).
        unsafe { scst_dev_get_scsi_device(self.ptr) }
    }

    /// Sets the handler's private pointer (in `attach`): the core returns
    /// it with every command (`Cmd::dev_priv`) and in `detach`.
    pub(crate) fn set_priv(&self, p: *mut c_void) {
        // SAFETY: live handle (invariant).
        unsafe { scst_dev_set_priv(self.ptr, p) }
    }

    /// In `attach`: the handler does this device's I/O without waiting
    /// for it (it submits and is called back), so a submitter may process
    /// the device's commands ([`Context::Submit`](super::cmd::Context)),
    /// through `exec` for those marked with `Cmd::set_exec_nowait`.
    pub(crate) fn set_nowait(&self) {
        // SAFETY: the handle is live for the callback (invariant).
        unsafe { scst_dev_set_nowait(self.ptr) }
    }

    /// In `attach`: the handler tries this device's READs without waiting
    /// for I/O, so a submitter may process them; their `exec` returns
    /// `SCST_EXEC_NEED_THREAD` (`Done::Thread` in vdisk) when it would
    /// wait, and is called again from a thread.
    pub(crate) fn set_nowait_reads(&self) {
        // SAFETY: the handle is live for the callback (invariant).
        unsafe { scst_dev_set_nowait_reads(self.ptr) }
    }

    /// As `set_nowait_reads`, for the device's WRITEs.
    pub(crate) fn set_nowait_writes(&self) {
        // SAFETY: the handle is live for the callback (invariant).
        unsafe { scst_dev_set_nowait_writes(self.ptr) }
    }

    /// The real SCSI device behind this device (`None` for a virtual one),
    /// to send it commands; it stays valid while the handler has the device
    /// attached, so the handler keeps it in its device data.
    pub(crate) fn scsi_dev(&self) -> Option<crate::scst_rs::scsi_exec::ScsiDev> {
        // SAFETY: the core keeps a real device's `scsi_device` alive from
        // `attach` until `detach` has returned and the device's commands
        // are over (the core's attach contract, docs/api.md), which is as
        // long as the handler's device data, where the handler keeps it.
        unsafe { crate::scst_rs::scsi_exec::ScsiDev::from_raw(self.scsi_device()) }
    }

    /// The handler's private pointer.
    pub(crate) fn priv_(&self) -> *mut c_void {
        // SAFETY: live handle (invariant).
        unsafe { scst_dev_get_priv(self.ptr) }
    }

    /// The table of the handler the device is attaching to or detaching
    /// from.
    pub(crate) fn dev_type(&self) -> *const ScstDevType {
        // SAFETY: live handle (invariant).
        unsafe { scst_dev_get_dev_type(self.ptr) }
    }
}
