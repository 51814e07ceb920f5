// SPDX-License-Identifier: GPL-2.0

//! Files opened by the kernel: regular files and block device nodes read
//! and written through the page cache (or with O_DIRECT), for FILEIO.

use super::bindings;
use kernel::{error::from_err_ptr, ffi::c_void, prelude::*, str::CStr};

/// How to open a file.
#[derive(Clone, Copy, Default)]
pub(crate) struct OpenFlags {
    pub(crate) write: bool,
    /// O_DIRECT: no page cache.
    pub(crate) direct: bool,
    /// O_DSYNC: a write returns once it is on stable storage.
    pub(crate) dsync: bool,
}

/// An open file.
///
/// # Invariants
///
/// `f` is a file opened by `filp_open` and not yet closed.
pub(crate) struct File {
    f: *mut bindings::file,
}

// SAFETY: a `struct file` may be used and closed from any thread.
unsafe impl Send for File {}
// SAFETY: reads, writes, syncs and size queries on a file are
// thread-safe in the VFS.
unsafe impl Sync for File {}

impl File {
    /// Opens `path`.
    pub(crate) fn open(path: &CStr, how: OpenFlags) -> Result<Self> {
        // SAFETY: `path` is NUL-terminated; returns a file or an ERR_PTR.
        let f = from_err_ptr(unsafe { bindings::scst_rh_filp_open(path.as_char_ptr(), how.write, how.direct, how.dsync) })?;
        Ok(Self { f })
    }

    /// The size in bytes (of the device, for a block device node).
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: open file (invariant).
        unsafe { bindings::scst_rh_file_size(self.f) }.max(0) as u64
    }

    pub(crate) fn is_block_device(&self) -> bool {
        // SAFETY: open file (invariant).
        unsafe { bindings::scst_rh_file_is_bdev(self.f) }
    }

    pub(crate) fn is_dir(&self) -> bool {
        // SAFETY: open file (invariant).
        unsafe { bindings::scst_rh_file_is_dir(self.f) }
    }

    /// Reads `buf.len()` bytes at `pos`; a short read (past the end) is
    /// an error.
    pub(crate) fn read_at(&self, buf: &mut [u8], pos: u64) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            let mut p = (pos + done as u64) as bindings::loff_t;
            // SAFETY: open file; `rest` is valid for writes of its length.
            let n = unsafe { bindings::kernel_read(self.f, rest.as_mut_ptr().cast::<c_void>(), rest.len(), &mut p) };
            match n {
                n if n < 0 => return Err(Error::from_errno(n as i32)),
                0 => return Err(EIO),
                n => done += n as usize,
            }
        }
        Ok(())
    }

    /// Writes `buf` at `pos`.
    pub(crate) fn write_at(&self, buf: &[u8], pos: u64) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let rest = &buf[done..];
            let mut p = (pos + done as u64) as bindings::loff_t;
            // SAFETY: open file; `rest` is valid for reads of its length.
            let n = unsafe { bindings::kernel_write(self.f, rest.as_ptr().cast::<c_void>(), rest.len(), &mut p) };
            match n {
                n if n < 0 => return Err(Error::from_errno(n as i32)),
                0 => return Err(EIO),
                n => done += n as usize,
            }
        }
        Ok(())
    }

    /// Makes bytes `start..=end` (all with `None`) durable.
    pub(crate) fn sync(&self, range: Option<(u64, u64)>) -> Result {
        let (s, e) = range.map_or((0, i64::MAX), |(s, e)| (s as i64, e.min(i64::MAX as u64) as i64));
        // SAFETY: open file (invariant).
        let r = unsafe { bindings::vfs_fsync_range(self.f, s, e, 1) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }

    /// Deallocates `len` bytes at `pos` (they read as zeros afterwards).
    pub(crate) fn punch_hole(&self, pos: u64, len: u64) -> Result {
        // SAFETY: open file (invariant).
        let r = unsafe { bindings::scst_rh_punch_hole(self.f, pos as i64, len as i64) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(())
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // SAFETY: open file (invariant), closed once.
        unsafe { bindings::filp_close(self.f, core::ptr::null_mut()) };
    }
}
