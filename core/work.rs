// SPDX-License-Identifier: GPL-2.0

//! Commands waiting for an SCST thread: a FIFO linked through the
//! commands themselves (so queueing never allocates and works in any
//! context, interrupts included), and the threads sleeping for it.
//!
//! The threads are spread over "lanes", one per CPU online at load, each
//! thread bound to its lane's CPU.  A command queued on a CPU wakes a
//! sleeping thread of that CPU's lane, like a bound kernel workqueue: the
//! wakeup is local (no interrupt to another CPU) and the thread runs when
//! the submitter sleeps.  A thread of another lane wakes instead when the
//! lane has none asleep, and as well when the FIFO backs up (more than one
//! command waiting) and that other lane's CPU queued nothing in the last
//! tick: an idle neighbour helps, a busy one is left to its own commands.
//! Every thread takes commands from the one FIFO, so the order of arrival
//! is kept, and no command waits for a lane while any thread is awake.
//!
//! Lock order: `WorkQueue::list` is innermost; a session's task set lock
//! may be held while a command is queued.

use crate::cmd::{self, Command};
use crate::scst_rs::irqlock::{new_irq_spinlock, IrqSpinLock};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{new_condvar, prelude::*, sync::CondVar};

/// Commands queued for the threads, oldest first, and who sleeps.
///
/// # Invariants
///
/// Every pointer in the list is a live command that nothing else uses
/// while it is queued; `tail` is null exactly when `head` is.  `queued`
/// counts the list; `asleep[l]` counts the threads of lane `l` between
/// going to sleep and being back after the wait.
struct Fifo {
    head: *mut Command,
    tail: *mut Command,
    queued: usize,
    asleep: KVec<u32>,
    /// Per lane, the tick of its CPU's last `push`.
    pushed: KVec<u64>,
}

// SAFETY: the queued commands are owned by the queue and may be processed
// by any thread.
unsafe impl Send for Fifo {}

impl Fifo {
    /// A lane with a thread asleep, `first` if it has one.
    fn sleeper(&self, first: usize) -> Option<usize> {
        if self.asleep.get(first).is_some_and(|&n| n > 0) {
            return Some(first);
        }
        self.asleep.iter().position(|&n| n > 0)
    }

    /// A lane other than `not` with a thread asleep whose CPU queued
    /// nothing since before tick `since`.
    fn idle_neighbour(&self, not: usize, since: u64) -> Option<usize> {
        let quiet = |l: usize| self.pushed.get(l).is_some_and(|&t| t < since);
        (0..self.asleep.len())
            .find(|&l| l != not && quiet(l) && self.asleep.get(l).is_some_and(|&n| n > 0))
    }

    fn count_asleep(&mut self, lane: usize, add: bool) {
        if let Some(n) = self.asleep.get_mut(lane) {
            *n = if add {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            };
        }
    }
}

/// The SCST threads' queue.
#[pin_data]
pub(crate) struct WorkQueue {
    #[pin]
    list: IrqSpinLock<Fifo>,
    /// One condition variable per lane, which its threads sleep on.
    lanes: KVec<Pin<KBox<CondVar>>>,
}

impl WorkQueue {
    /// A queue with one lane per CPU online now (at least one).
    pub(crate) fn new() -> Result<impl PinInit<Self, Error>> {
        let n = crate::scst_rs::sys::online_cpus().max(1) as usize;
        let mut lanes = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut asleep = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut pushed = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            lanes.push(
                KBox::pin_init(new_condvar!("scst_work"), GFP_KERNEL)?,
                GFP_KERNEL,
            )?;
            asleep.push(0, GFP_KERNEL)?;
            pushed.push(0, GFP_KERNEL)?;
        }
        let fifo = Fifo {
            head: core::ptr::null_mut(),
            tail: core::ptr::null_mut(),
            queued: 0,
            asleep,
            pushed,
        };
        Ok(try_pin_init!(Self { list <- new_irq_spinlock!(fifo), lanes }))
    }

    /// Lanes: thread `i` of the pool serves lane `i % lanes()`, on that CPU.
    pub(crate) fn lanes(&self) -> usize {
        self.lanes.len()
    }

    fn lane_of_cpu(&self) -> usize {
        (crate::scst_rs::kthread::this_cpu() as usize) % self.lanes.len().max(1)
    }

    fn notify(&self, lane: Option<usize>) {
        if let Some(cv) = lane.and_then(|l| self.lanes.get(l)) {
            cv.notify_one();
        }
    }

    /// Queues `p` and wakes a thread (see the module documentation).
    ///
    /// # Safety
    ///
    /// `p` is a live command that the caller hands over: nothing uses it
    /// until a thread takes it.
    pub(crate) unsafe fn push(&self, p: *mut Command) {
        let here = self.lane_of_cpu();
        let now = crate::scst_rs::kthread::ticks();
        let (first, second) = {
            let mut q = self.list.lock();
            // SAFETY: `p` is live and ours (function contract).
            unsafe { cmd::set_next(p, core::ptr::null_mut()) };
            if q.tail.is_null() {
                q.head = p;
            } else {
                // SAFETY: `tail` is a live queued command (invariant).
                unsafe { cmd::set_next(q.tail, p) };
            }
            q.tail = p;
            q.queued += 1;
            if let Some(t) = q.pushed.get_mut(here) {
                *t = now;
            }
            let first = q.sleeper(here);
            // A backlog: a second thread, from an idle neighbour.
            let second = match first {
                Some(f) if q.queued > 1 => q.idle_neighbour(f, now.saturating_sub(1)),
                _ => None,
            };
            (first, second)
        };
        self.notify(first);
        self.notify(second);
    }

    /// Takes the oldest command for a thread of `lane`, sleeping while
    /// there is none.  `None` once `stop` is set (the setter wakes every
    /// thread with `wake_all`).
    fn pop(&self, lane: usize, stop: &AtomicBool) -> Option<*mut Command> {
        let cv = self.lanes.get(lane)?;
        let mut q = self.list.lock();
        loop {
            if stop.load(Ordering::Acquire) {
                return None;
            }
            if !q.head.is_null() {
                let p = q.head;
                // SAFETY: `head` is a live queued command (invariant).
                q.head = unsafe { cmd::next(p) };
                if q.head.is_null() {
                    q.tail = core::ptr::null_mut();
                }
                q.queued = q.queued.saturating_sub(1);
                return Some(p);
            }
            q.count_asleep(lane, true);
            // Woken by `push`, `wake_all`, or a (harmless) signal.
            let _ = cv.wait_interruptible(&mut q);
            q.count_asleep(lane, false);
        }
    }

    /// Wakes every sleeping thread (one of them was told to stop).  The
    /// lock orders this after the stop flag's store.
    pub(crate) fn wake_all(&self) {
        drop(self.list.lock());
        for cv in self.lanes.iter() {
            cv.notify_all();
        }
    }

    /// A thread's life: run queued commands until `stop`.
    pub(crate) fn serve(&self, lane: usize, stop: &AtomicBool) {
        while let Some(p) = self.pop(lane, stop) {
            // SAFETY: `p` left the queue, so this thread owns it now.
            unsafe { cmd::run_queued(p) };
        }
    }
}
