// SPDX-License-Identifier: GPL-2.0

//! Devices: virtual devices registered by name by their handlers, and the
//! SCSI devices of the midlayer, picked up as they come and go and named
//! "H:C:I:L".  A real device is attached to the first registered
//! pass-through handler of its type, or to the one `assign` names.

use crate::names::check_object_name;
use crate::proc_cmd::Hctl;
use crate::registry::{
    checked_name, dev_type_name, Attached, DeviceEntry, Nowait, Owner, Registry, Shared, SharedRef,
};
use crate::scst_rs::scsi_devices::{ScsiDevWatcher, ScsiDevice};
use crate::scst_rs::{
    api::abi::{ScstDevType, SCST_DEV_VIRTUAL},
    vec,
};
use kernel::{fmt, prelude::*, str::CStr, str::CString};

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
    let Some(handler) = reg
        .handlers
        .iter()
        .find(|h| core::ptr::eq(h.dev_type, dev_type))
    else {
        pr_err!(
            "{}: virtual device {} refused: its handler is not registered\n",
            who,
            &*name
        );
        return Err(EINVAL);
    };
    let (handler, owner): (&'static ScstDevType, Owner) = (handler.dev_type, handler.owner);
    if handler.flags & SCST_DEV_VIRTUAL == 0 {
        pr_err!(
            "{}: virtual device {} refused: handler is not a virtual-device handler\n",
            who,
            &*name
        );
        return Err(EINVAL);
    }
    if reg
        .devices
        .iter()
        .any(|d| d.name.as_bytes() == name.as_bytes())
    {
        pr_err!("{}: virtual device {} already exists\n", who, &*name);
        return Err(EEXIST);
    }
    let id = next_id(&reg)?;
    let mut d = DeviceEntry {
        id,
        name,
        handler: None,
        real: None,
        type_: handler.type_,
        reserved_by: None,
        priv_: 0,
        nowait: Nowait::NEVER,
    };
    reg.devices.reserve(1, GFP_KERNEL)?;
    crate::attach::attach(
        &mut d,
        Attached {
            dev_type: handler,
            owner,
        },
    )?;
    reg.last_dev_id = id;
    // Cannot fail: room was reserved before `attach`.
    reg.devices.push(d, GFP_KERNEL)?;
    Ok(id)
}

/// A new device id: positive C ints, never reused while the core is loaded.
fn next_id(reg: &Registry) -> Result<u32> {
    reg.last_dev_id
        .checked_add(1)
        .filter(|&id| id <= i32::MAX as u32)
        .ok_or(ENOSPC)
}

/// Unregisters device `id`, taking it out of every group first.
pub(crate) fn remove(shared: &Shared, id: u32) -> Result {
    remove_checked(shared, id, false)
}

/// Unregisters device `id` if no group has it (else `EBUSY`, logged).
pub(crate) fn remove_unused(shared: &Shared, id: u32) -> Result {
    remove_checked(shared, id, true)
}

fn remove_checked(shared: &Shared, id: u32, unused: bool) -> Result {
    let mut reg = shared.registry.lock();
    let Some(pos) = reg.devices.iter().position(|d| d.id == id) else {
        pr_err!("unregistering device {} that is not registered\n", id);
        return Err(ENOENT);
    };
    if unused {
        let in_group = reg
            .groups
            .iter()
            .find(|g| g.luns.iter().any(|l| l.dev_id == id));
        if let (Some(g), Some(d)) = (in_group, reg.devices.get(pos)) {
            pr_err!(
                "device {} is in group {}: delete it from the group first\n",
                &*d.name,
                &*g.name
            );
            return Err(EBUSY);
        }
    }
    let name = reg
        .devices
        .get(pos)
        .and_then(|d| CString::try_from(&*d.name).ok());
    for g in reg.groups.iter_mut() {
        if vec::retain(&mut g.luns, |l| l.dev_id != id) > 0 {
            if let Some(n) = &name {
                pr_warn!("device {} removed from group {}\n", &**n, &*g.name);
            }
        }
    }
    crate::tgt_dev::detach_stale(&mut reg);
    let detached = vec::remove(&mut reg.devices, pos).and_then(|mut d| {
        trace!(
            shared,
            crate::trace::MGMT,
            "device {} unregistered\n",
            &*d.name
        );
        crate::attach::detach(&mut d)
    });
    drop(reg);
    crate::tm::wait_device_idle(shared, id);
    if let Some(d) = detached {
        d.run();
    }
    Ok(())
}

fn served_by(d: &DeviceEntry, dev_type: *const ScstDevType) -> bool {
    d.handler
        .is_some_and(|h| core::ptr::eq(h.dev_type, dev_type))
}

/// A handler is going: its real devices lose it, its virtual devices are
/// unregistered.  Returns how many virtual devices there still were.
pub(crate) fn remove_all_of(shared: &Shared, dev_type: *const ScstDevType) -> usize {
    let mut detached = KVec::new();
    {
        let mut reg = shared.registry.lock();
        for d in reg
            .devices
            .iter_mut()
            .filter(|d| d.real.is_some() && served_by(d, dev_type))
        {
            let id = d.id;
            let call = crate::attach::detach(d);
            trace!(
                shared,
                crate::trace::MGMT,
                "device {} detached from its handler\n",
                &*d.name
            );
            if detached.push((id, call), GFP_KERNEL).is_err() {
                pr_warn!(
                    "out of memory: not waiting for device {}'s commands\n",
                    &*d.name
                );
            }
        }
    }
    // Commands already routed still call the handler: let them finish.
    for (id, call) in detached {
        crate::tm::wait_device_idle(shared, id);
        if let Some(c) = call {
            c.run();
        }
    }
    let mut removed = 0;
    loop {
        let id = {
            let reg = shared.registry.lock();
            reg.devices
                .iter()
                .find(|d| served_by(d, dev_type))
                .map(|d| d.id)
        };
        match id {
            Some(id) if remove(shared, id).is_ok() => removed += 1,
            _ => return removed,
        }
    }
}

/// Watches the midlayer's SCSI devices for the core.
pub(crate) struct Watcher {
    pub(crate) shared: SharedRef,
}

impl ScsiDevWatcher for Watcher {
    fn added(&self, dev: &ScsiDevice) {
        let (h, c, i, l) = dev.hctl();
        let hctl = Hctl {
            host: h,
            channel: c,
            id: i,
            lun: l,
        };
        let Ok(name) = CString::try_from_fmt(fmt!("{}", hctl)) else {
            return;
        };
        let mut reg = self.shared.registry.lock();
        let Ok(id) = next_id(&reg) else { return };
        let type_ = dev.type_();
        let handler = reg
            .handlers
            .iter()
            .find(|e| e.dev_type.flags & SCST_DEV_VIRTUAL == 0 && e.dev_type.type_ == type_)
            .map(|e| Attached {
                dev_type: e.dev_type,
                owner: e.owner,
            });
        let mut entry = DeviceEntry {
            id,
            name,
            handler: None,
            real: Some((hctl, dev.key())),
            type_,
            reserved_by: None,
            priv_: 0,
            nowait: Nowait::NEVER,
        };
        if let Some(att) = handler {
            // A refusal is logged; the device stays without a handler.
            let _ = crate::attach::attach(&mut entry, att);
        }
        if reg.devices.push(entry, GFP_KERNEL).is_ok() {
            reg.last_dev_id = id;
            trace!(
                self.shared,
                crate::trace::MGMT,
                "SCSI device {} (type {}) added\n",
                hctl,
                type_
            );
        } else {
            pr_err!("SCSI device {} not added: out of memory\n", hctl);
        }
    }

    fn removed(&self, dev: &ScsiDevice) {
        let id = {
            let reg = self.shared.registry.lock();
            reg.devices
                .iter()
                .find(|d| d.real.is_some_and(|(_, k)| k == dev.key()))
                .map(|d| d.id)
        };
        if let Some(id) = id {
            let _ = remove(&self.shared, id);
        }
    }
}

/// `assign H:C:I:L HANDLER`: attaches a real device to a pass-through
/// handler of its type.  Refused while the device is exported.
pub(crate) fn assign(shared: &Shared, hctl: Hctl, handler: &str) -> Result {
    let mut reg = shared.registry.lock();
    let Some(h) = reg
        .handlers
        .iter()
        .find(|e| e.name.as_bytes() == handler.as_bytes())
    else {
        pr_err!("scsi_tgt: no device handler {}\n", handler);
        return Err(EINVAL);
    };
    let att = Attached {
        dev_type: h.dev_type,
        owner: h.owner,
    };
    if att.dev_type.flags & SCST_DEV_VIRTUAL != 0 {
        pr_err!(
            "scsi_tgt: {} is a virtual-device handler; it cannot take SCSI device {}\n",
            handler,
            hctl
        );
        return Err(EINVAL);
    }
    let exported = |id: u32, reg: &Registry| {
        reg.groups
            .iter()
            .any(|g| g.luns.iter().any(|l| l.dev_id == id))
    };
    let Some(d) = reg
        .devices
        .iter()
        .find(|d| d.real.is_some_and(|(a, _)| a == hctl))
    else {
        pr_err!("scsi_tgt: no SCSI device {} is known to SCST\n", hctl);
        return Err(ENODEV);
    };
    let (id, type_) = (d.id, d.type_);
    if att.dev_type.type_ != type_ {
        pr_err!(
            "scsi_tgt: {} serves type {}, SCSI device {} is type {}\n",
            handler,
            att.dev_type.type_,
            hctl,
            type_
        );
        return Err(EINVAL);
    }
    if exported(id, &reg) {
        pr_err!(
            "scsi_tgt: SCSI device {} is in a group; remove it first\n",
            hctl
        );
        return Err(EBUSY);
    }
    let Some(d) = reg.devices.iter_mut().find(|d| d.id == id) else {
        return Err(ENODEV);
    };
    // Not exported, so no command reaches it: the old handler lets go
    // first (here, under the lock), then the new one attaches.
    if let Some(old) = crate::attach::detach(d) {
        old.run();
    }
    let r = crate::attach::attach(d, att);
    if r.is_ok() {
        trace!(
            shared,
            crate::trace::MGMT,
            "device {} assigned to handler {}\n",
            &*d.name,
            dev_type_name(att.dev_type)
        );
    }
    r
}
