//! Logging: to stderr, and to syslog (daemon facility) when it is not a
//! terminal.

use nix::syslog::{self, Facility, LogFlags, Severity};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static TO_SYSLOG: AtomicBool = AtomicBool::new(false);
/// Debug level (`-d`): 0 logs errors and notices only, 1 each command.
pub static DEBUG: AtomicU32 = AtomicU32::new(0);

pub const ERR: Severity = Severity::LOG_ERR;
pub const NOTICE: Severity = Severity::LOG_NOTICE;
pub const DEBUG_PRI: Severity = Severity::LOG_DEBUG;

/// Logs to syslog as well when stderr is not a terminal.
pub fn init() {
    if std::io::stderr().is_terminal() {
        return;
    }
    if syslog::openlog(Some(c"fileio_tgt"), LogFlags::LOG_PID, Facility::LOG_DAEMON).is_ok() {
        TO_SYSLOG.store(true, Ordering::Relaxed);
    }
}

pub fn log(priority: Severity, msg: &str) {
    if priority == DEBUG_PRI && DEBUG.load(Ordering::Relaxed) == 0 {
        return;
    }
    if TO_SYSLOG.load(Ordering::Relaxed) {
        // A NUL would end the message early.
        let _ = syslog::syslog(priority, msg.replace('\0', " ").as_str());
    }
    eprintln!("fileio_tgt: {}", msg);
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
