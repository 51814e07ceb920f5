// SPDX-License-Identifier: GPL-2.0

//! CONFIG_SCST_STRICT_SERIALIZING: each device executes one command at a
//! time.  A command that reaches `exec` while another of its device is
//! executing (until its `exec` completed or its `scst_cmd_done`) waits in
//! the device's line, in arrival order, and is resumed when its turn
//! comes.  Stateful devices (tapes) then see their commands strictly one
//! after the other, so an abort never finds several outstanding.
//!
//! Lock order: `Shared::serial` is innermost.

use crate::cmd::Command;
use crate::scst_rs::vec;
use kernel::prelude::*;

/// A device executing a command, and the commands waiting for it.
struct Line {
    dev_id: u32,
    waiting: KVec<usize>,
}

/// The lines of the devices executing a command.
pub(crate) struct Serial {
    lines: KVec<Line>,
}

impl Serial {
    pub(crate) const fn new() -> Self {
        Self { lines: KVec::new() }
    }

    /// Command `p` wants to execute on `dev_id`: true if it may now,
    /// false if it was queued (it is then the line's until `leave` hands
    /// it back).
    pub(crate) fn enter(&mut self, dev_id: u32, p: *mut Command) -> bool {
        match self.lines.iter_mut().find(|l| l.dev_id == dev_id) {
            None => {
                if self
                    .lines
                    .push(
                        Line {
                            dev_id,
                            waiting: KVec::new(),
                        },
                        GFP_ATOMIC,
                    )
                    .is_err()
                {
                    pr_warn!(
                        "STRICT_SERIALIZING: out of memory: device {} executes concurrently\n",
                        dev_id
                    );
                }
                true
            }
            Some(l) => {
                if l.waiting.push(p as usize, GFP_ATOMIC).is_err() {
                    pr_warn!(
                        "STRICT_SERIALIZING: out of memory: device {} executes concurrently\n",
                        dev_id
                    );
                    return true;
                }
                false
            }
        }
    }

    /// The command executing on `dev_id` is done: the next waiting one,
    /// if any, which the caller resumes.
    pub(crate) fn leave(&mut self, dev_id: u32) -> Option<*mut Command> {
        let i = self.lines.iter().position(|l| l.dev_id == dev_id)?;
        let next = self
            .lines
            .get_mut(i)
            .and_then(|l| vec::remove(&mut l.waiting, 0));
        if next.is_none() {
            vec::remove(&mut self.lines, i);
        }
        next.map(|p| p as *mut Command)
    }
}
