// SPDX-License-Identifier: GPL-2.0

//! Where a session's commands go: the route of each LUN of its group, and
//! a cached table of them per session, so that a command finds its device
//! without the registry's mutex (which every CPU's submitter would
//! otherwise take for every command).
//!
//! A table is built from the registry under its mutex, by the first
//! command after a change that had to take it, and stamped with the
//! registry's generation (`RegistryLock::gen`), which moves on each time
//! the mutex is taken: a table is good exactly while its stamp is the
//! generation now.  A LUN with a pending unit attention, or reserved by
//! another session, is in the table but not "quiet": its commands take the
//! registry's path (`cmd::route`), which handles those.
//!
//! A device that leaves waits for the commands routed to it
//! (`tm::wait_device_idle` finds them in the task sets by their
//! `dev_id`), after taking the mutex to remove it.  So a command routed
//! through a table stores its `dev_id` first and reads the generation
//! again after: unchanged, the remover's wait will see the command;
//! changed, the command takes the registry's path.
//!
//! Lock order: `registry` before a session's table.

use crate::registry::{LunEntry, Nowait, Registry};
use crate::scst_rs::api::abi::ScstDevType;
use crate::sessions::{is, Session};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// Where a command goes.
#[derive(Clone, Copy)]
pub(crate) struct Route {
    pub(crate) dev_id: u32,
    pub(crate) handler: &'static ScstDevType,
    pub(crate) read_only: bool,
    /// The handler's private pointer for the device (see `attach`).
    pub(crate) dev_priv: usize,
    /// Which of the device's commands may run in a submitter.
    pub(crate) nowait: Nowait,
}

/// The route of `lun` in group `group`: none if the group has no such LUN
/// or its device has no handler.
pub(crate) fn lun_route(reg: &Registry, group: &[u8], lun: u64) -> Option<Route> {
    route_of(reg, reg.group(group)?.luns.iter().find(|e| e.lun == lun)?)
}

fn route_of(reg: &Registry, e: &LunEntry) -> Option<Route> {
    let d = reg.device(e.dev_id)?;
    Some(Route {
        dev_id: d.id,
        handler: d.handler?.dev_type,
        read_only: e.read_only,
        dev_priv: d.priv_,
        nowait: d.nowait,
    })
}

#[derive(Clone, Copy)]
struct Entry {
    lun: u64,
    route: Route,
    /// No unit attention pending for the session on this LUN, and the
    /// device not reserved by another session.
    quiet: bool,
}

/// A session's table.
///
/// # Invariants
///
/// `luns` was read from the registry while its generation was `gen`
/// (0: never built; the registry's generation starts at 1).
struct Table {
    gen: u64,
    luns: KVec<Entry>,
}

/// A session's cached routes.
pub(crate) struct Routes {
    table: Pin<KBox<SpinLock<Table>>>,
}

impl Routes {
    pub(crate) fn new() -> Result<Self> {
        let table = KBox::pin_init(
            new_spinlock!(
                Table {
                    gen: 0,
                    luns: KVec::new()
                },
                "scst_routes"
            ),
            GFP_KERNEL,
        )?;
        Ok(Self { table })
    }

    /// The route of `lun` if the table is of generation `gen` and the LUN
    /// is quiet; `None` sends the command the registry's way.
    pub(crate) fn quiet(&self, gen: u64, lun: u64) -> Option<Route> {
        let t = self.table.lock();
        if t.gen != gen {
            return None;
        }
        t.luns
            .iter()
            .find(|e| e.lun == lun && e.quiet)
            .map(|e| e.route)
    }

    /// Rebuilds the table of `sess` from `reg`, of generation `gen`, if it
    /// is older.  Without memory it stays stale: the session's commands
    /// keep taking the registry's path.
    pub(crate) fn refresh(&self, reg: &Registry, gen: u64, sess: &Session) {
        if self.table.lock().gen == gen {
            return;
        }
        let Some(g) = reg.group(sess.bound_group()) else {
            return;
        };
        let Ok(mut luns) = KVec::with_capacity(g.luns.len(), GFP_KERNEL) else {
            return;
        };
        for l in g.luns.iter() {
            let Some(route) = route_of(reg, l) else {
                continue;
            };
            let quiet =
                !crate::nexus::has_ua(reg, sess, l.lun) && !reserved_by_other(reg, sess, l.dev_id);
            // Cannot fail: the capacity is the group's LUN count.
            let _ = luns.push(
                Entry {
                    lun: l.lun,
                    route,
                    quiet,
                },
                GFP_KERNEL,
            );
        }
        // The old table is freed after the lock is released.
        let old = core::mem::replace(&mut *self.table.lock(), Table { gen, luns });
        drop(old);
    }
}

fn reserved_by_other(reg: &Registry, sess: &Session, dev_id: u32) -> bool {
    reg.device(dev_id)
        .and_then(|d| d.reserved_by.as_ref())
        .is_some_and(|h| !is(h, sess))
}
