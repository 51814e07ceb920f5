// SPDX-License-Identifier: GPL-2.0

//! The pool of SCST threads ("scsi_tgtN", `scst_threads` of them, changed
//! by writing /proc/scsi_tgt/threads).  Command processing gives them work;
//! until then they sleep until stopped.

use crate::scst_rs::kthread::{self, KThread};
use crate::scst_rs::vec;
use kernel::{fmt, prelude::*, str::CString};

/// Running threads; stopped when dropped.
pub(crate) struct ThreadPool {
    threads: KVec<KThread>,
}

impl ThreadPool {
    pub(crate) fn start(count: u32) -> Result<Self> {
        let mut pool = Self { threads: KVec::new() };
        // On error the threads started so far stop as `pool` drops.
        pool.resize(count)?;
        Ok(pool)
    }

    /// Starts or stops threads until there are `count`.  On failure to
    /// start one, the pool keeps the threads it has and reports the error.
    pub(crate) fn resize(&mut self, count: u32) -> Result {
        let count = count as usize;
        while self.threads.len() > count {
            let last = self.threads.len() - 1;
            // Dropping a thread stops it.
            drop(vec::remove(&mut self.threads, last));
        }
        self.threads.reserve(count.saturating_sub(self.threads.len()), GFP_KERNEL)?;
        while self.threads.len() < count {
            let name = CString::try_from_fmt(fmt!("scsi_tgt{}", self.threads.len()))?;
            let t = KThread::run(&name, || kthread::sleep_until(kthread::should_stop))?;
            self.threads.push(t, GFP_KERNEL)?;
        }
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.threads.len()
    }
}
