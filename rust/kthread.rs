// SPDX-License-Identifier: GPL-2.0

//! Kernel threads that run a Rust closure.
//!
//! The closure must return once [`should_stop`] is true; [`sleep_until`]
//! is the race-free way for it to wait, because `kthread_stop` wakes the
//! thread and the state is set before the condition is checked.

use super::bindings;
use kernel::{
    error::from_err_ptr,
    ffi::{c_int, c_void},
    prelude::*,
    str::CStr,
};

/// A running kernel thread.
///
/// # Invariants
///
/// `task` is a thread created by `kthread_create_on_node` on which we hold a
/// task reference, and that has not been stopped yet.  `start` is the
/// leaked `KBox<Option<F>>` holding the thread's closure until the thread
/// takes it; `free_start` is `free_start::<F>` for the same `F`.  Only the
/// thread touches `start` until it has exited.
pub(crate) struct KThread {
    task: *mut bindings::task_struct,
    start: *mut c_void,
    free_start: unsafe fn(*mut c_void),
}

/// Frees a thread's start slot, and the closure if the thread never ran
/// it (`kthread_stop` before the thread's first run skips the function).
///
/// # Safety
///
/// `p` is the `KBox<Option<F>>` leaked by `KThread::run::<F>`, no longer
/// used by its thread.
unsafe fn free_start<F>(p: *mut c_void) {
    // SAFETY: function contract.
    drop(unsafe { KBox::from_raw(p.cast::<Option<F>>()) });
}

// SAFETY: a task reference may be used and dropped from any thread, and
// the closure in `start` is `Send`.
unsafe impl Send for KThread {}
// SAFETY: `KThread` has no interior mutability.
unsafe impl Sync for KThread {}

impl KThread {
    /// Starts a thread named `name` running `f`.
    pub(crate) fn run<F: FnOnce() + Send + 'static>(name: &CStr, f: F) -> Result<Self> {
        Self::run_on(name, None, f)
    }

    /// Starts a thread named `name` running `f`, bound to `cpu` if that
    /// CPU is online (else free to run anywhere).
    pub(crate) fn run_on<F: FnOnce() + Send + 'static>(
        name: &CStr,
        cpu: Option<u32>,
        f: F,
    ) -> Result<Self> {
        let data = KBox::into_raw(KBox::new(Some(f), GFP_KERNEL)?);
        // SAFETY: `trampoline` matches the thread-function ABI; `data` is a
        // leaked box that `Drop` (or the error path below) frees once the
        // thread is gone; the format is a NUL-terminated "%s" with `name`
        // as its argument.
        let task = unsafe {
            bindings::kthread_create_on_node(
                Some(trampoline::<F>),
                data.cast(),
                bindings::SCST_RH_NUMA_NO_NODE,
                kernel::c_str!("%s").as_char_ptr(),
                name.as_char_ptr(),
            )
        };
        let task = match from_err_ptr(task) {
            Ok(t) => t,
            Err(e) => {
                // SAFETY: the thread was not created, so `data` is still ours.
                drop(unsafe { KBox::from_raw(data) });
                pr_err!("cannot start thread {}: {:?}\n", name, e);
                return Err(e);
            }
        };
        // SAFETY: `task` is a new, not yet woken thread: it cannot exit
        // before we take our reference and wake it.
        unsafe {
            bindings::scst_rh_get_task_struct(task);
            if let Some(cpu) = cpu.filter(|&c| bindings::scst_rh_cpu_online(c)) {
                bindings::scst_rh_kthread_bind(task, cpu);
            }
            bindings::wake_up_process(task);
        }
        Ok(Self {
            task,
            start: data.cast(),
            free_start: free_start::<F>,
        })
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        // SAFETY: `task` is live and not yet stopped (invariant); we hold a
        // reference, which `kthread_stop` requires, and release it after.
        unsafe {
            bindings::kthread_stop(self.task);
            bindings::scst_rh_put_task_struct(self.task);
        }
        // SAFETY: the thread has exited (`kthread_stop` waited for it, or
        // it never ran), so `start` is ours again (invariant).
        unsafe { (self.free_start)(self.start) };
    }
}

unsafe extern "C" fn trampoline<F: FnOnce() + Send + 'static>(data: *mut c_void) -> c_int {
    // SAFETY: `data` is the `KBox<Option<F>>` leaked by `KThread::run::<F>`,
    // which only this thread uses until it exits (`KThread` invariant).
    let slot = unsafe { &mut *data.cast::<Option<F>>() };
    if let Some(f) = slot.take() {
        f();
    }
    // `kthread_stop` may only return once we exit; wait for it so that the
    // function's return value is what `kthread_stop` reports.
    sleep_until(should_stop);
    0
}

/// Whether `kthread_stop` was called on the current thread.
pub(crate) fn should_stop() -> bool {
    // SAFETY: only called from threads started by `KThread::run`.
    unsafe { bindings::kthread_should_stop() }
}

/// Sleeps until `cond` is true, rechecking it after every wake-up.  Whoever
/// makes `cond` true must wake the thread; `kthread_stop` does, so
/// `should_stop` may be part of `cond`.
pub(crate) fn sleep_until(mut cond: impl FnMut() -> bool) {
    loop {
        // SAFETY: sets the state of the current task only.
        unsafe { bindings::scst_rh_set_current_state(bindings::SCST_RH_TASK_INTERRUPTIBLE) };
        if cond() {
            break;
        }
        // SAFETY: plain reschedule with the state set above.
        unsafe { bindings::schedule() };
    }
    // SAFETY: as above.
    unsafe { bindings::scst_rh_set_current_state(bindings::SCST_RH_TASK_RUNNING) };
}

/// Sleeps `ticks` ticks, or less if the thread is woken (`kthread_stop`
/// does).
pub(crate) fn sleep_for(ticks: u64) {
    // SAFETY: sets the state of the current task only.
    unsafe { bindings::scst_rh_set_current_state(bindings::SCST_RH_TASK_INTERRUPTIBLE) };
    if should_stop() {
        // SAFETY: as above.
        unsafe { bindings::scst_rh_set_current_state(bindings::SCST_RH_TASK_RUNNING) };
        return;
    }
    let t = isize::try_from(ticks).unwrap_or(isize::MAX);
    // SAFETY: the state is set above; a wake-up since makes this return.
    unsafe { bindings::schedule_timeout(t as _) };
}

impl KThread {
    /// Wakes the thread (if it sleeps in `sleep_until`, it rechecks).
    pub(crate) fn wake(&self) {
        // SAFETY: the task is live and referenced (invariant).
        unsafe { bindings::wake_up_process(self.task) };
    }
}

/// The CPU the caller runs on; only a hint where it may be preempted.
pub(crate) fn this_cpu() -> u32 {
    // SAFETY: reads the current CPU number; no other effect.
    unsafe { bindings::scst_rh_this_cpu() }
}

/// The kernel's tick counter (`jiffies`).
pub(crate) fn ticks() -> u64 {
    // SAFETY: reads a counter; no other effect.
    unsafe { bindings::scst_rh_jiffies() as u64 }
}

/// `ms` milliseconds in ticks.
pub(crate) fn ticks_of_ms(ms: u32) -> u64 {
    // SAFETY: a pure conversion.
    unsafe { bindings::scst_rh_msecs_to_jiffies(ms) as u64 }
}
