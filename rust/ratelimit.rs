// SPDX-License-Identifier: GPL-2.0

//! A log rate limit for messages a user-space program or an initiator can
//! cause at will: at most [`BURST`] per [`INTERVAL_MS`] window, like the
//! kernel's `printk_ratelimited` defaults.  Races between threads only
//! let a message more or less through.

use super::kthread;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Messages per window.
pub(crate) const BURST: u32 = 10;
/// The window.
pub(crate) const INTERVAL_MS: u32 = 5000;

/// One limit, for one source of messages.
pub(crate) struct Ratelimit {
    start: AtomicU64,
    count: AtomicU32,
}

impl Ratelimit {
    pub(crate) const fn new() -> Self {
        Self {
            start: AtomicU64::new(0),
            count: AtomicU32::new(0),
        }
    }

    /// Whether one more message may be logged now.
    pub(crate) fn allow(&self) -> bool {
        let now = kthread::ticks();
        let start = self.start.load(Ordering::Relaxed);
        if start == 0 || now.wrapping_sub(start) > kthread::ticks_of_ms(INTERVAL_MS) {
            self.start.store(now.max(1), Ordering::Relaxed);
            self.count.store(0, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed) < BURST
    }
}
