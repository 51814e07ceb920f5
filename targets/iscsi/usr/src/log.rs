//! Logging: to stderr in the foreground, else to syslog (daemon
//! facility), as iscsi-scstd did.

use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

extern "C" {
    fn openlog(ident: *const c_char, option: c_int, facility: c_int);
    fn syslog(priority: c_int, format: *const c_char, ...);
}

static TO_SYSLOG: AtomicBool = AtomicBool::new(false);
/// Debug level (`-d`): 0 logs errors and notices only.
pub static DEBUG: AtomicU32 = AtomicU32::new(0);

pub const ERR: c_int = 3;
pub const NOTICE: c_int = 5;
pub const INFO: c_int = 6;
pub const DEBUG_PRI: c_int = 7;

/// From now on, log to syslog.
pub fn use_syslog() {
    const LOG_PID: c_int = 1;
    const LOG_DAEMON: c_int = 3 << 3;
    static IDENT: &[u8] = b"iscsi-scstd\0";
    // SAFETY: IDENT is a static NUL-terminated string, as openlog keeps
    // the pointer.
    unsafe { openlog(IDENT.as_ptr().cast(), LOG_PID, LOG_DAEMON) };
    TO_SYSLOG.store(true, Ordering::Relaxed);
}

pub fn log(priority: c_int, msg: &str) {
    if priority == DEBUG_PRI && DEBUG.load(Ordering::Relaxed) == 0 {
        return;
    }
    if TO_SYSLOG.load(Ordering::Relaxed) {
        let Ok(m) = CString::new(msg.replace('\0', " ")) else {
            return;
        };
        // SAFETY: "%s" with one NUL-terminated string argument.
        unsafe { syslog(priority, c"%s".as_ptr(), m.as_ptr()) };
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
