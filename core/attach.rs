// SPDX-License-Identifier: GPL-2.0

//! A handler's `attach` and `detach` callbacks.
//!
//! The handler sees a device through a [`DevView`] handle (`*mut
//! ScstDevice`) valid for the callback only: its id, name, the midlayer's
//! `scsi_device` for a real device, and a private pointer the handler may
//! set in `attach` and gets back with every command (`scst_cmd_get_dev_priv`)
//! and in `detach`.  In `attach` the handler may also say that it does the
//! device's I/O without waiting for it (`scst_dev_set_nowait`), or tries
//! its READs or WRITEs so (`scst_dev_set_nowait_reads`, `_writes`).
//!
//! Both run under `registry` or not (so they must not call the core's
//! registration functions, nor sleep for long); a non-zero return of
//! `attach` refuses the attachment.  `detach` runs once no command of the
//! device is in flight, and before any later `attach` of the device.

use crate::registry::{dev_type_name, Attached, DeviceEntry, Nowait};
use crate::scst_rs::api::abi::{ScstDevType, ScstDevice};
use core::ffi::c_void;
use kernel::{prelude::*, str::CString};

/// What a handler sees of a device in `attach` and `detach`.
pub(crate) struct DevView {
    pub(crate) id: u32,
    pub(crate) name: *const u8,
    /// The midlayer's `struct scsi_device` (null for a virtual device).
    pub(crate) sdev: *mut c_void,
    /// The handler's private pointer.
    pub(crate) priv_: *mut c_void,
    /// Set by the handler in `attach` (`scst_dev_set_nowait`,
    /// `scst_dev_set_nowait_reads`, `scst_dev_set_nowait_writes`).
    pub(crate) nowait: Nowait,
    /// The handler's table (a handler finds its own state from it).
    pub(crate) dev_type: *const ScstDevType,
}

impl DevView {
    fn of(d: &DeviceEntry, dev_type: &'static ScstDevType) -> Self {
        Self {
            dev_type,
            id: d.id,
            name: d.name.as_ptr(),
            sdev: d
                .real
                .map_or(core::ptr::null_mut(), |(_, k)| k as *mut c_void),
            priv_: d.priv_ as *mut c_void,
            nowait: Nowait::NEVER,
        }
    }

    fn as_raw(&mut self) -> *mut ScstDevice {
        (self as *mut Self).cast()
    }
}

/// The view behind a handle.
///
/// # Safety
///
/// `p` is the handle passed to the running `attach` or `detach`.
pub(crate) unsafe fn view<'a>(p: *mut ScstDevice) -> &'a mut DevView {
    // SAFETY: function contract: it points at the caller's live `DevView`.
    unsafe { &mut *p.cast::<DevView>() }
}

/// Attaches `d` to `att`'s handler, calling its `attach`.  On refusal the
/// device stays as it was and the log says so.
pub(crate) fn attach(d: &mut DeviceEntry, att: Attached) -> Result {
    if let Some(f) = att.dev_type.attach {
        let mut v = DevView::of(d, att.dev_type);
        // SAFETY: the handler is registered; the handle is valid for the
        // call.
        let r = unsafe { f(v.as_raw()) };
        if r != 0 {
            pr_err!(
                "handler {} refused device {} ({})\n",
                dev_type_name(att.dev_type),
                &*d.name,
                r
            );
            return Err(EINVAL);
        }
        d.priv_ = v.priv_ as usize;
        d.nowait = v.nowait;
    }
    d.handler = Some(att);
    Ok(())
}

/// What `detach` needs of a device that left its handler.
pub(crate) struct Detached {
    dev_type: &'static ScstDevType,
    id: u32,
    name: CString,
    sdev: *mut c_void,
    priv_: *mut c_void,
}

/// Takes `d` from its handler; the caller calls [`Detached::run`] once the
/// device has no command in flight, outside `registry`.
pub(crate) fn detach(d: &mut DeviceEntry) -> Option<Detached> {
    let att = d.handler.take()?;
    let priv_ = core::mem::take(&mut d.priv_) as *mut c_void;
    d.nowait = Nowait::NEVER;
    att.dev_type.detach?;
    let name = CString::try_from(&*d.name).ok()?;
    let sdev = d
        .real
        .map_or(core::ptr::null_mut(), |(_, k)| k as *mut c_void);
    Some(Detached {
        dev_type: att.dev_type,
        id: d.id,
        name,
        sdev,
        priv_,
    })
}

impl Detached {
    /// Calls the handler's `detach` (the device has no command in flight).
    pub(crate) fn run(self) {
        let Some(f) = self.dev_type.detach else {
            return;
        };
        let mut v = DevView {
            id: self.id,
            name: self.name.as_ptr(),
            sdev: self.sdev,
            priv_: self.priv_,
            nowait: Nowait::NEVER,
            dev_type: self.dev_type,
        };
        // SAFETY: the handler is still registered (its unregistration
        // waits for this); the handle is valid for the call.
        unsafe { f(v.as_raw()) };
    }
}
