// SPDX-License-Identifier: GPL-2.0

//! Commands waiting for an SCST thread: a FIFO linked through the
//! commands themselves (so queueing never allocates and works in any
//! context, interrupts included) and a condition variable the threads
//! sleep on.
//!
//! Lock order: `WorkQueue::list` is innermost; a session's task set lock
//! may be held while a command is queued.

use crate::cmd::{self, Command};
use crate::scst_rs::irqlock::{new_irq_spinlock, IrqSpinLock};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{new_condvar, prelude::*, sync::CondVar};

/// Commands queued for the threads, oldest first.
///
/// # Invariants
///
/// Every pointer in the list is a live command that nothing else uses
/// while it is queued; `tail` is null exactly when `head` is.
struct Fifo {
    head: *mut Command,
    tail: *mut Command,
}

// SAFETY: the queued commands are owned by the queue and may be processed
// by any thread.
unsafe impl Send for Fifo {}

/// The SCST threads' queue.
#[pin_data]
pub(crate) struct WorkQueue {
    #[pin]
    list: IrqSpinLock<Fifo>,
    #[pin]
    more: CondVar,
}

impl WorkQueue {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            list <- new_irq_spinlock!(Fifo { head: core::ptr::null_mut(), tail: core::ptr::null_mut() }),
            more <- new_condvar!("scst_work"),
        })
    }

    /// Queues `p` and wakes a thread.
    ///
    /// # Safety
    ///
    /// `p` is a live command that the caller hands over: nothing uses it
    /// until a thread takes it.
    pub(crate) unsafe fn push(&self, p: *mut Command) {
        {
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
        }
        self.more.notify_one();
    }

    /// Takes the oldest command, sleeping while there is none.  `None`
    /// once `stop` is set (the setter wakes every thread with `wake_all`).
    fn pop(&self, stop: &AtomicBool) -> Option<*mut Command> {
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
                return Some(p);
            }
            // Woken by `push`, `wake_all`, or a (harmless) signal.
            let _ = self.more.wait_interruptible(&mut q);
        }
    }

    /// Wakes every sleeping thread (one of them was told to stop).  The
    /// lock orders this after the stop flag's store.
    pub(crate) fn wake_all(&self) {
        drop(self.list.lock());
        self.more.notify_all();
    }

    /// A thread's life: run queued commands until `stop`.
    pub(crate) fn serve(&self, stop: &AtomicBool) {
        while let Some(p) = self.pop(stop) {
            // SAFETY: `p` left the queue, so this thread owns it now.
            unsafe { cmd::run_queued(p) };
        }
    }
}
