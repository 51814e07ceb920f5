// SPDX-License-Identifier: GPL-2.0

//! The pool of SCST threads ("scsi_tgtN", `scst_threads` of them, changed
//! by writing /proc/scsi_tgt/threads).  They run the command stages that
//! cannot run where they were requested (see `cmd`), taking commands from
//! the shared `WorkQueue` in arrival order.  Thread `i` is bound to CPU
//! `i % lanes` and woken first for commands queued there (see `work`).

use crate::scst_rs::kthread::KThread;
use crate::scst_rs::sys;
use crate::scst_rs::vec;
use crate::work::WorkQueue;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{fmt, prelude::*, str::CString, sync::Arc};

/// One thread and the flag that tells it to return.
struct Worker {
    stop: Arc<AtomicBool>,
    thread: KThread,
}

/// Running threads; stopped when dropped.  There are `base` of them
/// (`scst_threads`, /proc/scsi_tgt/threads) plus `extra`, the sum of the
/// `threads_num` of the registered target drivers and device handlers.
pub(crate) struct ThreadPool {
    queue: Arc<WorkQueue>,
    threads: KVec<Worker>,
    base: u32,
    extra: u32,
}

impl ThreadPool {
    pub(crate) fn start(count: u32, queue: Arc<WorkQueue>) -> Result<Self> {
        let mut pool = Self {
            queue,
            threads: KVec::new(),
            base: count,
            extra: 0,
        };
        // On error the threads started so far stop as `pool` drops.
        pool.resize(count)?;
        Ok(pool)
    }

    /// Sets the base count (a write to /proc/scsi_tgt/threads).
    pub(crate) fn set_base(&mut self, n: u32) -> Result {
        self.base = n;
        self.resize(n.saturating_add(self.extra))
    }

    /// A driver or handler asking for `n` threads registers (`add`) or
    /// goes.  On failure to start them the count stays as it was.
    pub(crate) fn change_extra(&mut self, n: u32, add: bool) -> Result {
        let extra = if add {
            self.extra.saturating_add(n)
        } else {
            self.extra.saturating_sub(n)
        };
        if let Err(e) = self.resize(self.base.saturating_add(extra)) {
            let _ = self.resize(self.base.saturating_add(self.extra));
            return Err(e);
        }
        self.extra = extra;
        Ok(())
    }

    pub(crate) fn base(&self) -> u32 {
        self.base
    }

    /// Starts or stops threads until there are `count`.  On failure to
    /// start one, the pool keeps the threads it has and reports the error.
    pub(crate) fn resize(&mut self, count: u32) -> Result {
        let count = count as usize;
        while self.threads.len() > count {
            let last = self.threads.len() - 1;
            if let Some(w) = vec::remove(&mut self.threads, last) {
                w.stop.store(true, Ordering::Release);
                self.queue.wake_all();
                // Dropping the thread waits for it to return.
                drop(w.thread);
            }
        }
        self.threads
            .reserve(count.saturating_sub(self.threads.len()), GFP_KERNEL)?;
        while self.threads.len() < count {
            let name = CString::try_from_fmt(fmt!("scsi_tgt{}", self.threads.len()))?;
            let stop = Arc::new(AtomicBool::new(false), GFP_KERNEL)?;
            let (q, s) = (self.queue.clone(), stop.clone());
            // Lane `i % lanes` on CPU `i % lanes`: the threads spread over
            // the CPUs (see `work`).
            let lane = self.threads.len() % self.queue.lanes().max(1);
            let thread = KThread::run_on(&name, Some(lane as u32), move || {
                sys::io_worker();
                q.serve(lane, &s)
            })?;
            self.threads.push(Worker { stop, thread }, GFP_KERNEL)?;
        }
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        let _ = self.resize(0);
    }
}
