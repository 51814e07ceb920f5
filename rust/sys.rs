// SPDX-License-Identifier: GPL-2.0

//! Small facts about the running system and the modules in it.

use super::{api::abi::ModulePtr, bindings};
use kernel::str::CStr;

/// The name of module `m`, for log messages.
///
/// # Safety
///
/// `m` is null or a module that stays loaded while the result is used.
pub(crate) unsafe fn module_name<'a>(m: ModulePtr) -> &'a CStr {
    // SAFETY: the helper returns the module's NUL-terminated name (or a
    // static string for null), valid while the module is loaded.
    unsafe { CStr::from_char_ptr(bindings::scst_rh_module_name(m.cast())) }
}

/// ESHUTDOWN, which the kernel crate's error codes do not name:
/// `scst_sess_set_tgt_priv`'s answer (negated) for a revoked session.
pub(crate) const ESHUTDOWN: kernel::ffi::c_int = kernel::bindings::ESHUTDOWN as kernel::ffi::c_int;

/// The number of online CPUs.
pub(crate) fn online_cpus() -> u32 {
    // SAFETY: reads a counter; no preconditions.
    unsafe { bindings::scst_rh_num_online_cpus() }
}

/// Total RAM in MiB.
pub(crate) fn total_ram_mb() -> u64 {
    // SAFETY: reads a counter; no preconditions.
    unsafe { bindings::scst_rh_totalram_mb() as u64 }
}

/// Whether the caller certainly runs in atomic context (interrupt, irqs
/// off, or preemption disabled where the kernel counts it).  May miss a
/// held spinlock on kernels without CONFIG_PREEMPT_COUNT.
pub(crate) fn atomic_context() -> bool {
    // SAFETY: reads the current CPU's context; no preconditions.
    unsafe { bindings::scst_rh_atomic_context() }
}

/// Runs `f` with every allocation of the current task made as GFP_NOIO:
/// what a block queue's submitter calls must not recurse into I/O (memory
/// reclaim writing pages back through the very queue being served).
pub(crate) fn noio<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: sets a flag of the current task, restored below on the
    // same task.
    let flags = unsafe { bindings::scst_rh_noio_save() };
    let r = f();
    // SAFETY: `flags` came from the save above, on this task.
    unsafe { bindings::scst_rh_noio_restore(flags) };
    r
}

/// Marks the current thread as one doing the I/O of a block device, as
/// the loop driver marks its workers: its allocations never start I/O
/// (reclaim writing back through a scst_local disk this thread serves
/// would wait for the thread itself), and writing into the page cache it
/// is throttled by the dirty pages of the file's own device only (not by
/// all dirty pages, which include those of a scst_local disk whose
/// writeback waits for this thread).
pub(crate) fn io_worker() {
    // SAFETY: sets two flags of the current task, a kernel thread of ours
    // that keeps them for its whole life.
    unsafe { bindings::scst_rh_io_worker() }
}

/// Runs `f` with the current task's block plug put aside, so that the I/O
/// `f` submits goes to its queues at once instead of joining the caller's
/// plug.
///
/// A block queue's `queue_rq` may run inside a flush of that very plug:
/// `blk_mq_flush_plug_list` zeroes the plug's count, then issues the listed
/// requests one by one.  A request that `queue_rq` adds to the plug (a
/// BLOCKIO bio, a pass-through request) is issued by that same loop, but
/// leaves the count at one over an empty list, and the plug's next request
/// dereferences the missing last one: an oops in `blk_add_rq_to_plug`
/// (writeback flushes its plug mid-way when it must reschedule).  Outside a
/// flush, the plug would merely hold our I/O back until its owner unplugs.
pub(crate) fn unplugged<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: takes the current task's plug pointer off the task; it is
    // put back below, on the same task, before the caller sees it again.
    let plug = unsafe { bindings::scst_rh_plug_detach() };
    let r = f();
    // SAFETY: `plug` came from the detach above, on this task; whoever owns
    // it is our caller, still waiting for us.
    unsafe { bindings::scst_rh_plug_restore(plug) };
    r
}

/// The pid of the current task (of the interrupted one in interrupt
/// context), for log prefixes.
pub(crate) fn current_pid() -> i32 {
    // SAFETY: reads `current`, always valid.
    unsafe { bindings::scst_rh_current_pid() }
}

/// A reference on a module: while it exists, the module cannot be
/// unloaded (`rmmod` answers "in use").
///
/// # Invariants
///
/// We hold one reference on `m` (taken by `try_module_get`), or `m` is
/// null (built-in code, which cannot be unloaded).
pub(crate) struct ModuleRef {
    m: ModulePtr,
}

// SAFETY: a module reference may be dropped from any thread.
unsafe impl Send for ModuleRef {}
// SAFETY: `&ModuleRef` exposes nothing.
unsafe impl Sync for ModuleRef {}

impl ModuleRef {
    /// Takes a reference on `m`; `None` if the module is being unloaded.
    ///
    /// # Safety
    ///
    /// `m` is null or a module that is loaded (or being unloaded) now.
    pub(crate) unsafe fn get(m: ModulePtr) -> Option<Self> {
        // SAFETY: function contract; try_module_get(NULL) succeeds.
        unsafe { bindings::scst_rh_try_module_get(m.cast()) }.then_some(Self { m })
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: we hold a reference (invariant); module_put(NULL) is a
        // no-op.
        unsafe { bindings::scst_rh_module_put(self.m.cast()) };
    }
}

/// Sleeps for at least `ms` milliseconds (process context only).
pub(crate) fn sleep_ms(ms: u32) {
    // SAFETY: a plain sleep of the current task.
    unsafe { bindings::msleep(ms) };
}

/// Polls `done` every 10 ms for up to `ms` milliseconds (process context
/// only); whether it became true.
pub(crate) fn wait_up_to(ms: u32, mut done: impl FnMut() -> bool) -> bool {
    let mut waited = 0u32;
    while !done() {
        if waited >= ms {
            return false;
        }
        sleep_ms(10);
        waited = waited.saturating_add(10);
    }
    true
}
