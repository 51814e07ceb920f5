// SPDX-License-Identifier: GPL-2.0

//! The pool of SCST threads ("scsi_tgtN", `scst_threads` of them).  Command
//! processing gives them work; until then they sleep until stopped.

use crate::scst_rs::kthread::{self, KThread};
use kernel::{fmt, prelude::*, str::CString};

/// Running threads; stopped when dropped.
pub(crate) struct ThreadPool {
    threads: KVec<KThread>,
}

impl ThreadPool {
    pub(crate) fn start(count: u32) -> Result<Self> {
        let mut threads = KVec::with_capacity(count as usize, GFP_KERNEL)?;
        for i in 0..count {
            let name = CString::try_from_fmt(fmt!("scsi_tgt{}", i))?;
            // On error the threads started so far stop as `threads` drops.
            threads.push(KThread::run(&name, || kthread::sleep_until(kthread::should_stop))?, GFP_KERNEL)?;
        }
        Ok(Self { threads })
    }

    pub(crate) fn len(&self) -> usize {
        self.threads.len()
    }
}
