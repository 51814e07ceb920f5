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
