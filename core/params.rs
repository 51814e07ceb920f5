// SPDX-License-Identifier: GPL-2.0

//! The module parameters, declared with module_param() in scst_glue.c
//! (the 6.12 `module!` macro has no parameters) and read once at load.

use crate::limits::{resolve_max_cmd_mem, resolve_threads, MAX_THREADS};
use crate::scst_rs::sys;
use kernel::{
    ffi::{c_int, c_uint},
    prelude::*,
};

extern "C" {
    // Getters in scst_glue.c for this module's own parameters.
    fn scst_glue_threads() -> c_int;
    fn scst_glue_max_cmd_mem() -> c_uint;
}

/// The parameters after checking and defaulting.
pub(crate) struct Params {
    pub(crate) threads: u32,
    pub(crate) max_cmd_mem_mb: u64,
}

pub(crate) fn read() -> Result<Params> {
    // SAFETY: plain reads of this module's parameters, set before init.
    let (threads, mem) = unsafe { (scst_glue_threads(), scst_glue_max_cmd_mem()) };
    let Some(threads) = resolve_threads(threads, sys::online_cpus()) else {
        pr_err!(
            "scst_threads={} out of range 0..={} (0: one per CPU)\n",
            threads,
            MAX_THREADS
        );
        return Err(EINVAL);
    };
    Ok(Params {
        threads,
        max_cmd_mem_mb: resolve_max_cmd_mem(mem, sys::total_ram_mb()),
    })
}
