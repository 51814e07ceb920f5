// SPDX-License-Identifier: GPL-2.0

//! Security groups (LUN masking): creating and deleting them and applying
//! the commands of their `devices` and `names` files.
//!
//! Every command checks everything before it changes anything, so a
//! refused command leaves the group as it was.

use crate::acl::DEFAULT_GROUP;
use crate::proc;
use crate::proc_cmd::{DevRef, DevicesCmd, NamesCmd};
use crate::registry::{Group, LunEntry, Registry, SharedRef};
use crate::scst_rs::{sys::ModuleRef, vec};
use kernel::{prelude::*, str::CString};

fn lookup<'a>(reg: &'a mut Registry, group: &[u8]) -> Result<&'a mut Group> {
    match reg.group_index(group) {
        Some(i) => reg.groups.get_mut(i).ok_or(ENOENT),
        None => Err(ENOENT),
    }
}

fn cstring(s: &str) -> Result<CString> {
    CString::try_from_fmt(kernel::fmt!("{}", s))
}

/// Creates group `name` with its /proc directory.
pub(crate) fn add(shared: &SharedRef, name: &str) -> Result {
    let cname = cstring(name)?;
    let mut reg = shared.registry.lock();
    if reg.group_index(name.as_bytes()).is_some() {
        pr_err!("group {} already exists\n", name);
        return Err(EEXIST);
    }
    // Created under the lock: a concurrent add of the same name must not
    // reach procfs (a duplicate entry is a kernel warning there).
    let files = proc::group_files(shared, &cname)?;
    reg.groups.push(
        Group {
            name: cname,
            luns: KVec::new(),
            names: KVec::new(),
            _files: Some(files),
        },
        GFP_KERNEL,
    )?;
    trace!(shared, crate::trace::MGMT, "group {} added\n", name);
    Ok(())
}

/// Deletes group `name`.  "Default" stays.
pub(crate) fn del(shared: &SharedRef, name: &str) -> Result {
    if name == DEFAULT_GROUP {
        pr_err!("group {} cannot be deleted\n", name);
        return Err(EINVAL);
    }
    let removed = {
        let mut reg = shared.registry.lock();
        // A revoked session reaches no group any more.
        let bound = reg
            .sessions
            .iter()
            .filter(|s| s.bound_group() == name.as_bytes())
            .count();
        if bound > 0 {
            pr_err!("group {} has {} sessions bound to it\n", name, bound);
            return Err(EBUSY);
        }
        match reg.group_index(name.as_bytes()) {
            Some(i) => vec::remove(&mut reg.groups, i),
            None => None,
        }
    };
    // Dropped here, outside the lock: removes the group's /proc files.
    match removed {
        Some(_) => {
            trace!(shared, crate::trace::MGMT, "group {} deleted\n", name);
            Ok(())
        }
        None => {
            pr_err!("no group {}\n", name);
            Err(ENOENT)
        }
    }
}

/// Removes every group (module exit).  Their /proc files hold references
/// to the shared state, so this also breaks that cycle.
pub(crate) fn teardown(shared: &SharedRef) {
    let groups = core::mem::take(&mut shared.registry.lock().groups);
    drop(groups);
}

/// Applies a command written to `group`'s devices file.
pub(crate) fn apply_devices(shared: &SharedRef, group: &[u8], cmd: DevicesCmd<'_>) -> Result {
    let mut reg = shared.registry.lock();
    let dev_id = match cmd {
        DevicesCmd::Add { dev, .. } | DevicesCmd::Del(dev) => Some(resolve(&reg, dev)?),
        DevicesCmd::Clear => None,
    };
    let owner = dev_id
        .and_then(|id| reg.device(id))
        .and_then(|d| d.handler)
        .map(|h| h.owner);
    let g = lookup(&mut reg, group)?;
    match (cmd, dev_id) {
        (DevicesCmd::Add { lun, read_only, .. }, Some(dev_id)) => {
            if let Some(used) = g.luns.iter().find(|l| l.lun == lun) {
                pr_err!(
                    "group {}: LUN {} is already used by device {}\n",
                    &*g.name,
                    lun,
                    used.dev_id
                );
                return Err(EEXIST);
            }
            if let Some(other) = g.luns.iter().find(|l| l.dev_id == dev_id) {
                pr_err!("group {}: device is already LUN {}\n", &*g.name, other.lun);
                return Err(EEXIST);
            }
            let Some(owner) = owner else {
                pr_err!(
                    "group {}: the device has no handler; assign one first\n",
                    &*g.name
                );
                return Err(ENODEV);
            };
            // SAFETY: the handler's module is loaded: it is registered (a
            // device's handler is detached or its device removed before it
            // unregisters).
            let pin = unsafe { ModuleRef::get(owner.0) }.ok_or_else(|| {
                pr_err!(
                    "group {}: the device's handler is being unloaded\n",
                    &*g.name
                );
                ENODEV
            })?;
            g.luns.push(
                LunEntry {
                    lun,
                    dev_id,
                    read_only,
                    _pin: pin,
                },
                GFP_KERNEL,
            )?;
            if let Err(e) = crate::tgt_dev::attach_lun(&mut reg, group, lun) {
                // Undone: the handler refused one of the group's sessions.
                if let Ok(g) = lookup(&mut reg, group) {
                    vec::retain(&mut g.luns, |l| l.lun != lun);
                }
                return Err(e);
            }
            if let Ok(g) = lookup(&mut reg, group) {
                warn_no_lun0(g);
            }
            crate::nexus::luns_changed(&mut reg, group, Some(lun));
            return Ok(());
        }
        (DevicesCmd::Del(_), Some(dev_id)) => {
            if vec::retain(&mut g.luns, |l| l.dev_id != dev_id) == 0 {
                pr_err!("group {}: device is not in the group\n", &*g.name);
                return Err(ENOENT);
            }
        }
        _ => g.luns = KVec::new(),
    }
    warn_no_lun0(g);
    crate::tgt_dev::detach_stale(&mut reg);
    crate::nexus::luns_changed(&mut reg, group, None);
    Ok(())
}

/// The LUNs of a group must start at 0: initiators scan from LUN 0 and
/// may not look further if it is absent.  SCST allows the state in between
/// (LUN 0 may be added last) but says so.
fn warn_no_lun0(g: &Group) {
    if !g.luns.is_empty() && !g.luns.iter().any(|l| l.lun == 0) {
        pr_warn!(
            "group {} has no LUN 0: initiators may not see its other LUNs\n",
            &*g.name
        );
    }
}

/// The id of the device `dev` names.
fn resolve(reg: &Registry, dev: DevRef<'_>) -> Result<u32> {
    match dev {
        DevRef::Virtual(name) => match reg
            .devices
            .iter()
            .find(|d| d.name.as_bytes() == name.as_bytes())
        {
            Some(d) => Ok(d.id),
            None => {
                pr_err!("no device {}\n", name);
                Err(ENODEV)
            }
        },
        DevRef::Real(hctl) => match reg
            .devices
            .iter()
            .find(|d| d.real.is_some_and(|(a, _)| a == hctl))
        {
            Some(d) => Ok(d.id),
            None => {
                pr_err!("no SCSI device {} is known to SCST\n", hctl);
                Err(ENODEV)
            }
        },
    }
}

/// Applies a command written to `group`'s names file.
pub(crate) fn apply_names(shared: &SharedRef, group: &[u8], cmd: NamesCmd<'_>) -> Result {
    let mut reg = shared.registry.lock();
    if let NamesCmd::Add(name) = cmd {
        // A name listed in two groups would make the binding ambiguous.
        if let Some(other) = reg
            .groups
            .iter()
            .find(|g| g.names.iter().any(|n| n.as_bytes() == name.as_bytes()))
        {
            pr_err!("initiator {} is already in group {}\n", name, &*other.name);
            return Err(EEXIST);
        }
    }
    let g = lookup(&mut reg, group)?;
    match cmd {
        NamesCmd::Add(name) => g.names.push(cstring(name)?, GFP_KERNEL)?,
        NamesCmd::Del(name) => {
            if vec::retain(&mut g.names, |n| n.as_bytes() != name.as_bytes()) == 0 {
                pr_err!("group {}: no initiator {}\n", &*g.name, name);
                return Err(ENOENT);
            }
            // A session of that initiator bound to the group loses it.
            crate::sessions::revoke(&mut reg, group, |i| i == name.as_bytes());
        }
        NamesCmd::Clear => {
            let old = core::mem::replace(&mut g.names, KVec::new());
            crate::sessions::revoke(&mut reg, group, |i| old.iter().any(|n| n.as_bytes() == i));
        }
    }
    Ok(())
}
