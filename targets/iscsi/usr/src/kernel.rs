//! The daemon's side of /dev/iscsi-scst-ctl (the blocks are in
//! `iscsi_proto::ctl`).  The daemon keeps the device open while it runs,
//! which keeps the module loaded.

use iscsi_proto::ctl::{self, SessionReq, TargetReq};
use nix::errno::Errno;
use nix::sys::ioctl::ioctl_num_type;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// The module's listing of targets, sessions and connections (IET's
/// format; `portal::live_sessions` reads it).
pub const SESSION_LISTING: &str = "/proc/scsi_tgt/iscsi/session";

/// The text of [`SESSION_LISTING`]; errors name the file.
pub fn session_listing() -> Result<String, String> {
    std::fs::read_to_string(SESSION_LISTING).map_err(|e| format!("{}: {}", SESSION_LISTING, e))
}

/// The path of the control device.
pub fn device_path() -> String {
    format!("/dev/{}", ctl::DEVICE_NAME)
}

pub struct Kernel {
    dev: File,
}

impl Kernel {
    /// Opens the control device; None if the module is not loaded.
    pub fn open() -> io::Result<Option<Kernel>> {
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(device_path())
        {
            Ok(dev) => Ok(Some(Kernel { dev })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn request<T>(&self, cmd: u32, block: &mut T) -> io::Result<()> {
        // SAFETY: `block` is a live `#[repr(C)]` block of the size `cmd`
        // encodes (both from iscsi_proto::ctl).
        let rc = unsafe {
            nix::libc::ioctl(self.dev.as_raw_fd(), cmd as ioctl_num_type, block as *mut T)
        };
        Errno::result(rc).map(drop).map_err(io::Error::from)
    }

    /// Hands a logged-in connection (its socket `fd`) to the kernel.
    pub fn add_conn(&self, r: &mut ctl::ConnReq) -> io::Result<()> {
        self.request(ctl::ADD_CONN, r)
    }

    /// Deletes target `tid` (its sessions are asked to log out first);
    /// Ok(false) if the kernel does not have it.
    pub fn del_target(&self, tid: u32, name: &str) -> io::Result<bool> {
        let mut r = TargetReq::new(tid, name.as_bytes())
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        match self.request(ctl::DEL_TARGET, &mut r) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A live session's parameters, initiator and address.
    pub fn get_session(&self, tid: u32, sid: u64) -> io::Result<SessionReq> {
        let mut r = SessionReq::new(tid, sid, 0, 0);
        self.request(ctl::GET_SESSION, &mut r)?;
        Ok(r)
    }

    /// Asks a session to log out within `timeout` seconds, then drops it.
    pub fn del_session(&self, tid: u32, sid: u64, timeout: u32) -> io::Result<()> {
        self.request(ctl::DEL_SESSION, &mut SessionReq::new(tid, sid, 0, timeout))
    }

    /// Drops connection `cid` of a session.
    pub fn del_conn(&self, tid: u32, sid: u64, cid: u32) -> io::Result<()> {
        self.request(ctl::DEL_CONN, &mut SessionReq::new(tid, sid, cid, 0))
    }

    /// Adds target `name` as `tid`; Ok(false) if the kernel has it already
    /// (the daemon was restarted).
    pub fn add_target(&self, tid: u32, name: &str) -> io::Result<bool> {
        let mut r = TargetReq::new(tid, name.as_bytes())
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        match self.request(ctl::ADD_TARGET, &mut r) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }
}
