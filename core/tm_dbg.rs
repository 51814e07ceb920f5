// SPDX-License-Identifier: GPL-2.0

//! CONFIG_SCST_DEBUG_TM: on LUN 0 of the "Default" group, every
//! [`EVERY`]th command is held before `exec` for about a minute, so that
//! the initiator times it out and sends task management (ABORT TASK, then
//! resets).  A held command is released when it is aborted, or after
//! [`HOLD_MS`] if nobody aborts it.  With CONFIG_SCST_TM_DBG_GO_OFFLINE,
//! once [`OFFLINE_AFTER`] held commands were aborted the LUN goes
//! "offline": every command is held until aborted, so the device ends up
//! unresponsive; without it the cycle goes on forever.
//!
//! A thread (`scst_tm_dbg`) looks at the held commands every 100 ms.
//!
//! Lock order: `Shared::tm_dbg` is innermost.

use crate::acl::DEFAULT_GROUP;
use crate::cmd::Command;
use crate::registry::Shared;
use crate::scst_rs::{kthread, sys, vec};
use kernel::prelude::*;

/// One command in this many is held.
pub(crate) const EVERY: u32 = 100;
/// How long a command is held if nobody aborts it.
pub(crate) const HOLD_MS: i64 = 60_000;
/// Aborted holds before the LUN goes offline (TM_DBG_GO_OFFLINE).
pub(crate) const OFFLINE_AFTER: u32 = 5;

/// The held commands and the counters.
pub(crate) struct TmDbg {
    /// (command, when it was held in ns).
    held: KVec<(usize, i64)>,
    seen: u32,
    aborted: u32,
    offline: bool,
}

impl TmDbg {
    pub(crate) const fn new() -> Self {
        Self {
            held: KVec::new(),
            seen: 0,
            aborted: 0,
            offline: false,
        }
    }
}

/// Whether to hold command `p` to LUN `lun` of group `group`; if so it is
/// now held (the caller leaves it).
pub(crate) fn hold(shared: &Shared, p: *mut Command, lun: u64, group: &[u8]) -> bool {
    if lun != 0 || group != DEFAULT_GROUP.as_bytes() {
        return false;
    }
    let mut d = shared.tm_dbg.lock();
    d.seen = d.seen.wrapping_add(1);
    if !d.offline && d.seen % EVERY != 0 {
        return false;
    }
    if d.held
        .push(
            (p as usize, kernel::time::Ktime::ktime_get().to_ns()),
            GFP_ATOMIC,
        )
        .is_err()
    {
        return false;
    }
    pr_info!(
        "DEBUG_TM: holding command {} to LUN 0 of {}\n",
        d.seen,
        DEFAULT_GROUP
    );
    true
}

/// A held command that is due: aborted, or held long enough.
fn take_due(shared: &Shared) -> Option<(*mut Command, bool)> {
    let mut d = shared.tm_dbg.lock();
    let now = kernel::time::Ktime::ktime_get().to_ns();
    let offline = d.offline;
    let i = d.held.iter().position(|&(p, t)| {
        // SAFETY: a held command is live and owned by the list.
        let aborted = unsafe { crate::cmd::held_aborted(p as *mut Command) };
        aborted || (!offline && now - t > HOLD_MS * 1_000_000)
    })?;
    let (p, _) = vec::remove(&mut d.held, i)?;
    let p = p as *mut Command;
    // SAFETY: as above.
    let aborted = unsafe { crate::cmd::held_aborted(p) };
    if aborted {
        d.aborted += 1;
        if cfg!(CONFIG_SCST_TM_DBG_GO_OFFLINE) && d.aborted >= OFFLINE_AFTER && !d.offline {
            d.offline = true;
            pr_info!("DEBUG_TM: LUN 0 of {} goes offline\n", DEFAULT_GROUP);
        }
    }
    Some((p, aborted))
}

/// The `scst_tm_dbg` thread: releases due commands until stopped.
pub(crate) fn serve() {
    while !kthread::should_stop() {
        sys::sleep_ms(100);
        let Some(shared) = crate::exports::shared() else {
            continue;
        };
        while let Some((p, aborted)) = take_due(shared) {
            pr_info!(
                "DEBUG_TM: releasing a held command ({})\n",
                if aborted { "aborted" } else { "timed out" }
            );
            crate::cmd::resume(shared, p);
        }
    }
}
