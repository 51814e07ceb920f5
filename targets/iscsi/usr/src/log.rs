//! Logging: to stderr in the foreground, else to syslog (daemon
//! facility), as iscsi-scstd did.

use nix::syslog::{self, Facility, LogFlags, Severity};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static TO_SYSLOG: AtomicBool = AtomicBool::new(false);
/// Debug level (`-d`): 0 logs errors and notices only.
pub static DEBUG: AtomicU32 = AtomicU32::new(0);

pub const ERR: Severity = Severity::LOG_ERR;
pub const NOTICE: Severity = Severity::LOG_NOTICE;
pub const DEBUG_PRI: Severity = Severity::LOG_DEBUG;

/// From now on, log to syslog.
pub fn use_syslog() {
    match syslog::openlog(
        Some(c"iscsi-scstd"),
        LogFlags::LOG_PID,
        Facility::LOG_DAEMON,
    ) {
        Ok(()) => TO_SYSLOG.store(true, Ordering::Relaxed),
        Err(e) => eprintln!("iscsi-scstd: openlog: {}; logging to stderr", e),
    }
}

pub fn log(priority: Severity, msg: &str) {
    if priority == DEBUG_PRI && DEBUG.load(Ordering::Relaxed) == 0 {
        return;
    }
    if TO_SYSLOG.load(Ordering::Relaxed) {
        // A NUL would end the message early.
        let _ = syslog::syslog(priority, msg.replace('\0', " ").as_str());
    } else {
        eprintln!("iscsi-scstd: {}", msg);
    }
}

#[macro_export]
macro_rules! err {
    ($($a:tt)*) => { $crate::log::log($crate::log::ERR, &format!($($a)*)) };
}

#[macro_export]
macro_rules! notice {
    ($($a:tt)*) => { $crate::log::log($crate::log::NOTICE, &format!($($a)*)) };
}

#[macro_export]
macro_rules! debug {
    ($($a:tt)*) => { $crate::log::log($crate::log::DEBUG_PRI, &format!($($a)*)) };
}
