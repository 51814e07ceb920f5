//! The program's side of /dev/scst_user: one open file, one device.

use nix::errno::Errno;
use nix::sys::ioctl::ioctl_num_type;
use scst_host::user::abi::*;
use scst_host::user::wire::{self, DevDesc};
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

pub struct Dev {
    file: File,
}

impl Dev {
    /// Opens the node and registers device `desc` (its `version_str` and
    /// `license_str` are filled in here).
    pub fn register(mut desc: DevDesc, nonblocking: bool) -> Result<Dev, String> {
        let path = format!("/dev/{}", DEV_USER_NAME);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(if nonblocking {
                nix::libc::O_NONBLOCK
            } else {
                0
            })
            .open(&path)
            .map_err(|e| format!("{}: {} (is scst_user loaded?)", path, e))?;
        let version = std::ffi::CString::new(DEV_USER_VERSION).map_err(|e| e.to_string())?;
        desc.version_str = version.as_ptr() as u64;
        desc.license_str = c"GPL".as_ptr() as u64;
        let mut b = desc.encode();
        let dev = Dev { file };
        dev.ioctl(SCST_USER_REGISTER_DEVICE, b.as_mut_ptr())
            .map_err(|e| format!("registering the device: {} (the kernel log says why)", e))?;
        Ok(dev)
    }

    fn ioctl(&self, cmd: u32, arg: *mut u8) -> Result<(), Errno> {
        // SAFETY: `arg` points to a block of the size `cmd` encodes (the
        // callers pass arrays of `wire`'s sizes), or is unused.
        let rc = unsafe { nix::libc::ioctl(self.file.as_raw_fd(), cmd as ioctl_num_type, arg) };
        Errno::result(rc).map(drop)
    }

    /// Sends `reply` (if any) and fetches the next command into `cmd`.
    pub fn reply_and_get(
        &self,
        cmd: &mut [u8; wire::GET_CMD_SIZE],
        reply: Option<&[u8; wire::REPLY_SIZE]>,
    ) -> Result<(), Errno> {
        let p = reply.map_or(0u64, |r| r.as_ptr() as u64);
        cmd[wire::PREPLY_AT..wire::PREPLY_AT + 8].copy_from_slice(&p.to_ne_bytes());
        self.ioctl(SCST_USER_REPLY_AND_GET_CMD, cmd.as_mut_ptr())
    }

    /// Sends `reply` alone.
    pub fn reply(&self, reply: &[u8; wire::REPLY_SIZE]) -> Result<(), Errno> {
        self.ioctl(SCST_USER_REPLY_CMD, reply.as_ptr().cast_mut())
    }

    /// Blocked fetches return (EAGAIN): the program is stopping.
    pub fn unblock(&self) -> Result<(), Errno> {
        self.ioctl(SCST_USER_UNREGISTER_DEVICE, std::ptr::null_mut())
    }

    /// Waits until a command is ready (non-blocking mode).
    pub fn wait_ready(&self) {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        use std::os::fd::AsFd;
        let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
        let _ = poll(&mut fds, PollTimeout::from(1000u16));
    }
}
