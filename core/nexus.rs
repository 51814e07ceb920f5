// SPDX-License-Identifier: GPL-2.0

//! Per-nexus state the core keeps: unit attentions for each (session,
//! LUN), and SPC-2 reservations of devices.  All of it lives in the
//! registry, under its mutex, and is read when a command arrives.
//!
//! Unit attentions queued:
//! - POWER ON, RESET, OR BUS DEVICE RESET OCCURRED for every LUN a new
//!   session sees, and for a LUN newly added to a session's group;
//! - REPORTED LUNS DATA HAS CHANGED for the other LUNs of a group whose LUN
//!   list changed;
//! - MODE PARAMETERS CHANGED for the other sessions that see a device whose
//!   handler reports a change (`scst_cmd_mode_params_changed`), and
//!   POWER ON, RESET for every session that sees a reset device.
//!
//! A pending unit attention fails the next command to its LUN with CHECK
//! CONDITION, except INQUIRY, REPORT LUNS and REQUEST SENSE; REQUEST SENSE
//! returns it as its data instead.  Each is reported once.

use crate::registry::Registry;
use crate::scst_rs::scsi::sense::Sense;
use crate::scst_rs::vec;
use crate::sessions::{is, Session};
use kernel::{prelude::*, sync::Arc};

/// A unit attention waiting for the next command of a session to a LUN.
pub(crate) struct PendingUa {
    sess: Arc<Session>,
    lun: u64,
    sense: Sense,
}

/// Queues `sense` for `sess` on `lun`, once.
fn push(reg: &mut Registry, sess: &Arc<Session>, lun: u64, sense: Sense) {
    let p: *const Session = &**sess;
    if reg.uas.iter().any(|u| u.is_for(p, lun) && u.sense == sense) {
        return;
    }
    // Without memory the attention is lost; the initiator still sees the
    // new state, it is only not told so.
    if reg
        .uas
        .push(
            PendingUa {
                sess: sess.clone(),
                lun,
                sense,
            },
            GFP_KERNEL,
        )
        .is_err()
    {
        pr_warn!("unit attention dropped: out of memory\n");
    }
}

/// The LUNs of group `group`.
fn group_luns(reg: &Registry, group: &[u8]) -> KVec<u64> {
    let mut v = KVec::new();
    if let Some(g) = reg.group(group) {
        for l in g.luns.iter() {
            if v.push(l.lun, GFP_KERNEL).is_err() {
                break;
            }
        }
    }
    v
}

/// A new session: power-on for each LUN it sees.
pub(crate) fn session_added(reg: &mut Registry, sess: &Arc<Session>) {
    for lun in group_luns(reg, sess.group.as_bytes()).iter() {
        push(reg, sess, *lun, Sense::POWER_ON_RESET);
    }
}

/// The LUN list of `group` changed; `added` is a LUN new to it.
pub(crate) fn luns_changed(reg: &mut Registry, group: &[u8], added: Option<u64>) {
    let luns = group_luns(reg, group);
    let mut bound = KVec::new();
    for s in reg.sessions.iter().filter(|s| s.group.as_bytes() == group) {
        if bound.push(s.clone(), GFP_KERNEL).is_err() {
            break;
        }
    }
    for s in bound.iter() {
        for lun in luns.iter() {
            let sense = if Some(*lun) == added {
                Sense::POWER_ON_RESET
            } else {
                Sense::REPORTED_LUNS_CHANGED
            };
            push(reg, s, *lun, sense);
        }
    }
}

impl PendingUa {
    fn is_for(&self, sess: *const Session, lun: u64) -> bool {
        is(&self.sess, sess) && self.lun == lun
    }
}

/// Whether a unit attention is pending for `sess` on `lun`.
pub(crate) fn has_ua(reg: &Registry, sess: *const Session, lun: u64) -> bool {
    reg.uas.iter().any(|u| u.is_for(sess, lun))
}

/// Takes the oldest unit attention of `sess` for `lun`.
pub(crate) fn take_ua(reg: &mut Registry, sess: *const Session, lun: u64) -> Option<Sense> {
    let i = reg.uas.iter().position(|u| u.is_for(sess, lun))?;
    vec::remove(&mut reg.uas, i).map(|u| u.sense)
}

/// Sessions for which `ended` is true are going: forget their attentions
/// and release their reservations.  Allocates nothing, so it cannot fail.
pub(crate) fn sessions_removed(reg: &mut Registry, ended: impl Fn(&Arc<Session>) -> bool) {
    vec::retain(&mut reg.uas, |u| !ended(&u.sess));
    for d in reg.devices.iter_mut() {
        if d.reserved_by.as_ref().is_some_and(&ended) {
            d.reserved_by = None;
        }
    }
}

/// Devices `devs` were reset: every session that sees one gets `sense` on
/// that LUN.
pub(crate) fn devices_reset(reg: &mut Registry, devs: &[u32], sense: Sense) {
    devices_ua(reg, devs, sense, core::ptr::null());
}

/// Something of devices `devs` changed: every session that sees one,
/// except `except` (whose command made the change), gets `sense` on that
/// LUN.
pub(crate) fn devices_ua(reg: &mut Registry, devs: &[u32], sense: Sense, except: *const Session) {
    let mut todo = KVec::new();
    for s in reg.sessions.iter().filter(|s| !is(s, except)) {
        let Some(g) = reg.group(s.group.as_bytes()) else {
            continue;
        };
        for l in g.luns.iter().filter(|l| devs.contains(&l.dev_id)) {
            if todo.push((s.clone(), l.lun), GFP_KERNEL).is_err() {
                pr_warn!("unit attention dropped: out of memory\n");
            }
        }
    }
    for (s, lun) in todo.iter() {
        push(reg, s, *lun, sense);
    }
}
