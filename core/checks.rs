// SPDX-License-Identifier: GPL-2.0

//! CONFIG_SCST_EXTRACHECKS: extra validity checks on what target drivers
//! and handlers hand back to the core.
//!
//! A command records whom it waits for (`Waiting`) each time the core
//! hands it out; each entry point that gives it back (`scst_cmd_init_done`,
//! `scst_rx_data`, `scst_cmd_done`, `scst_tgt_cmd_done`) checks that it was
//! the one expected, and that the handle carries a live command's magic.
//! A call that fails the check is logged and ignored: the command stays
//! where it was instead of running two stages at once.  A call asking for
//! `SCST_CONTEXT_DIRECT` or `SCST_CONTEXT_SUBMIT` from atomic context is
//! logged and moved to a thread instead of sleeping in atomic context.
//!
//! Without the option none of this is compiled in: the checks are
//! `cfg!()`-gated and a command only carries the (unused) fields.

use crate::scst_rs::{
    api::abi::{SCST_CONTEXT_DIRECT, SCST_CONTEXT_SUBMIT, SCST_CONTEXT_THREAD},
    sys,
};
use core::sync::atomic::{AtomicU8, Ordering};
use kernel::{ffi::c_int, prelude::*};

/// A live command's `magic`; a freed one has `DEAD`.
pub(crate) const LIVE: u32 = 0x5c57_c0de;
pub(crate) const DEAD: u32 = 0xdead_c0de;

/// Whom a command waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Waiting {
    /// The core has it.
    Core = 0,
    /// Received, for `scst_cmd_init_done`.
    InitDone = 1,
    /// In `rdy_to_xfer`, for `scst_rx_data`.
    Data = 2,
    /// In `exec` (NOT_COMPLETED), for `scst_cmd_done`.
    Exec = 3,
    /// In `xmit_response`, for `scst_tgt_cmd_done`.
    Response = 4,
}

impl Waiting {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::InitDone,
            2 => Self::Data,
            3 => Self::Exec,
            4 => Self::Response,
            _ => Self::Core,
        }
    }

    /// The call that gives the command back.
    fn call(self) -> &'static str {
        match self {
            Self::Core => "nothing (the core has it)",
            Self::InitDone => "scst_cmd_init_done",
            Self::Data => "scst_rx_data",
            Self::Exec => "scst_cmd_done",
            Self::Response => "scst_tgt_cmd_done",
        }
    }
}

/// A command's check state.
pub(crate) struct Tag {
    magic: u32,
    waiting: AtomicU8,
}

impl Tag {
    /// A new command's: live, waiting for `scst_cmd_init_done`.
    pub(crate) fn new() -> Self {
        Self {
            magic: LIVE,
            waiting: AtomicU8::new(Waiting::InitDone as u8),
        }
    }

    /// The core hands the command out and waits for `w`.  Called before
    /// the callback, which may answer before it returns.
    pub(crate) fn hand_out(&self, w: Waiting) {
        if cfg!(CONFIG_SCST_EXTRACHECKS) {
            self.waiting.store(w as u8, Ordering::Release);
        }
    }

    /// The command is being freed.
    pub(crate) fn kill(&mut self) {
        self.magic = DEAD;
    }

    /// Checks a call `w.call()` giving the command back in context `ctx`;
    /// `None` if the call must be ignored, else the context to go on in.
    pub(crate) fn take_back(&self, w: Waiting, ctx: c_int) -> Option<c_int> {
        if !cfg!(CONFIG_SCST_EXTRACHECKS) {
            return Some(ctx);
        }
        if self.magic != LIVE {
            pr_err!(
                "EXTRACHECKS: {}: the handle is not a live command (magic {:#x}); call ignored\n",
                w.call(),
                self.magic
            );
            return None;
        }
        let want = w as u8;
        if let Err(was) = self.waiting.compare_exchange(
            want,
            Waiting::Core as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            pr_err!(
                "EXTRACHECKS: {} called for a command that waits for {}; call ignored\n",
                w.call(),
                Waiting::from_u8(was).call()
            );
            return None;
        }
        if ctx == SCST_CONTEXT_DIRECT && sys::atomic_context() {
            pr_err!(
                "EXTRACHECKS: {}: SCST_CONTEXT_DIRECT from atomic context; using a thread\n",
                w.call()
            );
            return Some(SCST_CONTEXT_THREAD);
        }
        if ctx == SCST_CONTEXT_SUBMIT && sys::atomic_context() {
            pr_err!(
                "EXTRACHECKS: {}: SCST_CONTEXT_SUBMIT from atomic context; using a thread\n",
                w.call()
            );
            return Some(SCST_CONTEXT_THREAD);
        }
        Some(ctx)
    }
}
