// SPDX-License-Identifier: GPL-2.0

//! A wait queue that a file's `poll` can register with and that threads
//! can sleep on until a condition holds.
//!
//! The kernel crate's `CondVar` (6.12) keeps its queue private, so `poll`
//! cannot use it; this is the `wait_event` pattern instead: the sleeper
//! sets its state before it checks the condition, and a waker changes
//! the state the condition reads before it calls [`WaitQueue::wake_all`],
//! so no wake-up is lost.  The condition runs with the task state set:
//! it may take a spinlock but must not sleep (no mutex).

use super::bindings;
use core::mem::MaybeUninit;
use kernel::{error::code::ERESTARTSYS, prelude::*, types::Opaque};

// `wait_on` in rust/miscdev.rs registers pollers with a queue; dropping
// the queue detaches them (`wake_up_pollfree`) and waits an RCU grace
// period, as the kernel requires before the head's memory goes.

/// A wait queue head.
///
/// # Invariants
///
/// `wq` was initialised by `init_waitqueue_head` and is pinned.
#[pin_data(PinnedDrop)]
pub(crate) struct WaitQueue {
    #[pin]
    wq: Opaque<bindings::wait_queue_head>,
}

// SAFETY: a wait queue head is used from any thread; its list is guarded
// by its own spinlock.
unsafe impl Send for WaitQueue {}
// SAFETY: as for `Send`.
unsafe impl Sync for WaitQueue {}

#[pinned_drop]
impl PinnedDrop for WaitQueue {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: the head is initialised (invariant).
        if unsafe { bindings::scst_rh_wake_up_pollfree(self.as_raw()) } {
            // SAFETY: no precondition; pollers detached above drop their
            // last reference to the head within this grace period.
            unsafe { bindings::synchronize_rcu() };
        }
    }
}

/// How a wait ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Woken {
    /// The condition holds.
    Ready,
    /// The timeout passed first.
    TimedOut,
}

impl WaitQueue {
    /// An empty queue.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `p` points to the pinned slot of the head, which
            // the helper initialises in place.
            wq <- Opaque::ffi_init(|p| unsafe { bindings::scst_rh_init_waitqueue_head(p) }),
        })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::wait_queue_head {
        self.wq.get()
    }

    /// Wakes every sleeper (and every poller).
    pub(crate) fn wake_all(&self) {
        // SAFETY: the head is initialised (invariant).
        unsafe { bindings::scst_rh_wake_up_all(self.as_raw()) }
    }

    /// Sleeps until `ready()` is true, a signal arrives (`ERESTARTSYS`)
    /// or `timeout` jiffies pass (`None`: no limit).  `ready` must not
    /// sleep (see the module documentation).
    pub(crate) fn wait_interruptible(
        &self,
        timeout: Option<usize>,
        mut ready: impl FnMut() -> bool,
    ) -> Result<Woken> {
        let mut left = timeout.map_or(isize::MAX, |t| isize::try_from(t).unwrap_or(isize::MAX));
        let mut entry = MaybeUninit::<bindings::wait_queue_entry>::uninit();
        let e = entry.as_mut_ptr();
        // SAFETY: `e` is a local slot that stays in place until
        // `finish_wait` below takes it off the queue.
        unsafe { bindings::init_wait_entry(e, 0) };
        let r = loop {
            // SAFETY: the head is initialised (invariant) and `e` too.
            let sig = unsafe {
                bindings::prepare_to_wait_event(
                    self.as_raw(),
                    e,
                    bindings::SCST_RH_TASK_INTERRUPTIBLE,
                )
            };
            if ready() {
                break Ok(Woken::Ready);
            }
            if sig != 0 {
                break Err(ERESTARTSYS);
            }
            if left == 0 {
                break Ok(Woken::TimedOut);
            }
            // SAFETY: the task state is set; a wake-up since then makes
            // this return at once.
            left = unsafe { bindings::schedule_timeout(left as _) } as isize;
        };
        // SAFETY: `e` was queued by `prepare_to_wait_event` on this head.
        unsafe { bindings::finish_wait(self.as_raw(), e) };
        r
    }
}
