// SPDX-License-Identifier: GPL-2.0

//! Checking and defaulting the core's module parameters.  `no_std`,
//! host-tested.

/// Most SCST threads one may ask for.
pub const MAX_THREADS: i32 = 1024;

/// `scst_threads`: 0 means one per online CPU.  Returns the count to start,
/// or `None` if the parameter is out of range.
pub fn resolve_threads(param: i32, online_cpus: u32) -> Option<u32> {
    match param {
        0 => Some(online_cpus.max(1)),
        1..=MAX_THREADS => Some(param as u32),
        _ => None,
    }
}

/// `scst_max_cmd_mem` in MiB: 0 means a quarter of RAM (at least 1 MiB).
pub fn resolve_max_cmd_mem(param_mb: u32, total_ram_mb: u64) -> u64 {
    if param_mb == 0 {
        (total_ram_mb / 4).max(1)
    } else {
        param_mb as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads() {
        assert_eq!(resolve_threads(0, 2), Some(2));
        assert_eq!(resolve_threads(0, 0), Some(1));
        assert_eq!(resolve_threads(5, 2), Some(5));
        assert_eq!(resolve_threads(MAX_THREADS, 2), Some(MAX_THREADS as u32));
        assert_eq!(resolve_threads(MAX_THREADS + 1, 2), None);
        assert_eq!(resolve_threads(-1, 2), None);
    }

    #[test]
    fn max_cmd_mem() {
        assert_eq!(resolve_max_cmd_mem(0, 24 * 1024), 6 * 1024);
        assert_eq!(resolve_max_cmd_mem(0, 2), 1);
        assert_eq!(resolve_max_cmd_mem(100, 24 * 1024), 100);
    }
}
