// SPDX-License-Identifier: GPL-2.0

//! Devices: virtual devices registered by name by their handlers.  (Real
//! SCSI devices picked up from the midlayer come with pass-through.)

use crate::names::check_object_name;
use crate::registry::{checked_name, DeviceEntry, Shared};
use crate::scst_rs::{api::abi::{ScstDevType, SCST_DEV_VIRTUAL}, vec};
use kernel::{prelude::*, str::CStr};

/// Registers virtual device `name` served by `dev_type`; returns its id.
///
/// # Safety
///
/// `name` is null or a NUL-terminated string valid for the call.
pub(crate) unsafe fn add_virtual(
    shared: &Shared,
    dev_type: *const ScstDevType,
    name: *const core::ffi::c_char,
    who: &CStr,
) -> Result<u32> {
    // SAFETY: function contract.
    let name = unsafe { checked_name(name, who, "virtual device", check_object_name) }?;
    let mut reg = shared.registry.lock();
    let Some(handler) = reg.handlers.iter().find(|h| core::ptr::eq(h.dev_type, dev_type)) else {
        pr_err!("{}: virtual device {} refused: its handler is not registered\n", who, &*name);
        return Err(EINVAL);
    };
    let (handler, owner) = (handler.dev_type, handler.owner);
    if handler.flags & SCST_DEV_VIRTUAL == 0 {
        pr_err!("{}: virtual device {} refused: handler is not a virtual-device handler\n", who, &*name);
        return Err(EINVAL);
    }
    if reg.devices.iter().any(|d| d.name.as_bytes() == name.as_bytes()) {
        pr_err!("{}: virtual device {} already exists\n", who, &*name);
        return Err(EEXIST);
    }
    // Ids are positive C ints, never reused while the core is loaded.
    let id = reg.last_dev_id.checked_add(1).filter(|&id| id <= i32::MAX as u32).ok_or(ENOSPC)?;
    reg.devices.push(DeviceEntry { id, name, handler, owner, reserved_by: None }, GFP_KERNEL)?;
    reg.last_dev_id = id;
    Ok(id)
}

/// Unregisters device `id`, taking it out of every group first.
pub(crate) fn remove(shared: &Shared, id: u32) -> Result {
    let mut reg = shared.registry.lock();
    let Some(pos) = reg.devices.iter().position(|d| d.id == id) else {
        pr_err!("unregistering device {} that is not registered\n", id);
        return Err(ENOENT);
    };
    for g in reg.groups.iter_mut() {
        if vec::retain(&mut g.luns, |l| l.dev_id != id) > 0 {
            trace!(shared, crate::trace::MGMT, "device {} removed from group {}\n", id, &*g.name);
        }
    }
    if let Some(d) = vec::remove(&mut reg.devices, pos) {
        trace!(shared, crate::trace::MGMT, "virtual device {} unregistered\n", &*d.name);
    }
    Ok(())
}

/// Unregisters every device of `dev_type`; returns how many there were.
pub(crate) fn remove_all_of(shared: &Shared, dev_type: *const ScstDevType) -> usize {
    let mut removed = 0;
    loop {
        let id = {
            let reg = shared.registry.lock();
            reg.devices.iter().find(|d| core::ptr::eq(d.handler, dev_type)).map(|d| d.id)
        };
        match id {
            Some(id) if remove(shared, id).is_ok() => removed += 1,
            _ => return removed,
        }
    }
}
